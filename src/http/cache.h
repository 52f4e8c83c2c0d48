/*
 * cache.h: answers of public, read-mostly GETs kept in memory (the lift
 * status, timetables, catalogues, the register of processing activities),
 * keyed by request, dropped by tag when PostgreSQL says the data changed.
 *
 * A handler asks cache_reply(req, key) first: 1 means the reply is set
 * from the cache and it returns.  Otherwise it builds the answer and calls
 * cache_store(req, key, tag) after setting a 200 reply.  The key names
 * what the answer depends on ("privacy_register:en"); the tag, the data
 * it was built from ("privacy_register").  A trigger on that data runs
 * pg_notify('guichet_cache', tag) (see ops.notify_cache() in the SQL),
 * which drops every entry of the tag in every guichetd.  The handler
 * that made the change also calls cache_drop(tag) once it committed: the
 * notification reaches its own process a moment later, and until then
 * the next read there (the operator's own check) would get the answer
 * from before.
 *
 * Invariants:
 *  - an answer built before a change is never stored after the change's
 *    notification: each drop bumps an epoch that cache_reply() recorded
 *    in the request, and cache_store() refuses a request of an older one;
 *  - while the listening connection is down nothing is stored and nothing
 *    is served (notifications may be missed); it is emptied when lost and
 *    when back;
 *  - entries also expire after CACHE_TTL seconds, a bound on a
 *    notification lost some other way, or sooner when the handler says
 *    when time alone changes the answer (cache_store_until()); the memory is bounded (entries and
 *    bytes), the least recently stored entry going first.
 */
#ifndef GUICHET_CACHE_H
#define GUICHET_CACHE_H

#include <stdint.h>

struct request;

#define CACHE_TTL		300		/* seconds */
#define CACHE_ENTRIES		256
#define CACHE_BYTES		(16 * 1024 * 1024)
#define CACHE_ENTRY_BYTES	(1024 * 1024)

/* Subscribe to the notifications (before notify_start()). */
void	 cache_init(void);
/* 1: the reply is set from the cache; 0: build it (and cache_store()). */
int	 cache_reply(struct request *, const char *);
/* Keep the request's 200 reply under 'key', dropped with 'tag'. */
void	 cache_store(struct request *, const char *, const char *);
/*
 * The same for an answer that time alone makes wrong at 'until' (µs
 * since the epoch, clock_now()'s; 0: never): a timetable's alert that
 * starts or ends then.  It expires then, or after CACHE_TTL if sooner.
 */
void	 cache_store_until(struct request *, const char *, const char *,
	    int64_t);
/*
 * Data a module keeps in memory under the same rule as the answers (the
 * shuttles' timetable): the epoch to record before reading it from the
 * database, 0 when nothing may be kept (the listener is down).  The data
 * is still good while cache_epoch() returns what was recorded: every drop
 * (a notification of any tag, the listener lost or back) changes it.
 */
uint64_t cache_epoch(void);
/* Drop the entries of 'tag' (a notification's payload); NULL: all. */
void	 cache_drop(const char *);

struct cache_stats {
	uint64_t	 hits, misses, stores, drops;
	uint64_t	 entries, bytes;
};
void	 cache_stats(struct cache_stats *);

#endif
