/*
 * retention.h: the purge that enforces the retention rules (Art. 5(1)(e)
 * RGPD).
 *
 * Invariants:
 *  - the rules are data (privacy.retention_rules, sql/007): the purge
 *    reads them on every run, so a period the DPO changes applies at the
 *    next run, and the register shows the same periods;
 *  - "now" is a parameter (the injectable clock), never now() in SQL, so
 *    that tests cross each limit;
 *  - each rule runs in its own transactions: one failing rule (a lock, an
 *    append-only table) leaves the others done;
 *  - a 'delete' rule runs in batches of a bounded number of rows, each in
 *    its own transaction, until a batch finds fewer: a backlog is worked
 *    through within statement_timeout, and a failing batch leaves the
 *    batches before it done (its rule's count says how many rows);
 *  - the report and the logs hold counts, never data.
 */
#ifndef GUICHET_PRIVACY_RETENTION_H
#define GUICHET_PRIVACY_RETENTION_H

#include <jansson.h>
#include <stdint.h>

struct conf;
struct db;
struct db_error;

/*
 * How an 'anonymise' rule anonymises one account: the Art. 17 erasure
 * (privacy_erase(), erase.h) with the reason "retention", in its own
 * transaction.  0, 1 when there was nothing left to erase, -1 with 'err'.
 */
int	 retention_erase_account(struct db *, const char *, int64_t,
	    struct db_error *);

/*
 * Run every rule at 'now' (microseconds, clock_now() or a test's value).
 * *report (may be NULL; caller decrefs) gets
 * {"at", "rules": [{"rule", "table", "action", "retention", "from",
 * "status": "ok"|"skipped"|"failed", "count"}]}.
 * 0 when every rule ran, -1 when one failed (the report says which).
 */
int	 privacy_purge(struct db *, int64_t, json_t **);

/* guichetctl privacy purge: run once, print the report. */
int	 privacy_purge_ctl(struct db *, int);

/*
 * guichetd: a thread with its own connection that purges shortly after
 * start-up, then every day.  retention_stop() returns within a second.
 */
void	 retention_start(void);
void	 retention_stop(void);

#endif
