/*
 * access.h: the access log's interface for every module (ARCHITECTURE.md,
 * invariant "every personal-data read by an agent or a partner is written
 * to the access log").
 *
 * The log itself (privacy.access_log, who may see which entry and when)
 * belongs to the privacy module, which sits above the modules that read
 * people's data first (identity); they record through this interface and
 * the privacy module installs the recorder at start-up.  Without a
 * recorder, recording fails: a read that cannot be logged is refused.
 */
#ifndef GUICHET_CORE_ACCESS_H
#define GUICHET_CORE_ACCESS_H

#include <stdint.h>

struct db;
struct db_error;
struct principal;

/*
 * Record that 'who' (an agent or a partner) read 'dataset'/'record' about
 * the person 'subject' for 'purpose' (required of agents), inside the
 * caller's transaction: the read and its record commit together or not at
 * all.  'disclose_after' (microseconds, 0: at once) keeps the entry from
 * the person until then (a legal secrecy).  0, or -1 with 'err'.
 */
int	 access_record(struct db *, const char *subject,
	    const struct principal *who, const char *dataset,
	    const char *record, const char *purpose, int64_t disclose_after,
	    struct db_error *err);

typedef int	(*access_recorder_fn)(struct db *, const char *,
		    const struct principal *, const char *, const char *,
		    const char *, int64_t, struct db_error *);
void	 access_set_recorder(access_recorder_fn);

#endif
