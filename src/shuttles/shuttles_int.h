/*
 * shuttles_int.h: shared between the files of src/shuttles only.
 *
 * gtfs.c             the pure parts: CSV, times, dates, service days'
 *                    origins, time zones (gtfs.h)
 * import.c           reading a GTFS feed (a directory or a zip), checking
 *                    it row by row (file:line reasons), and replacing the
 *                    feed in one transaction, with what the departures
 *                    read computed from it: shuttles_import()
 * shuttles_db.c      the statement table
 * timetable.c        what the departures are computed from, in memory
 * departures.c       the next departures at a stop: shuttles_departures()
 * alerts.c           the alerts operators post, GTFS-Realtime's feed
 * shuttles_http.c    the handlers
 * shuttles_module.c  the declaration, the problem codes, guichetctl gtfs
 */
#ifndef GUICHET_SHUTTLES_INT_H
#define GUICHET_SHUTTLES_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/lang.h"
#include "db/db.h"
#include "http/reply.h"

enum shuttles_stmt {
	SS_DELETE_STOP_TIMES,
	SS_DELETE_TRIPS,
	SS_DELETE_FREQUENCIES,
	SS_DELETE_SHAPES,
	SS_DELETE_CALENDAR_DATES,
	SS_DELETE_CALENDAR,
	SS_DELETE_ROUTES,
	SS_DELETE_STOPS,
	SS_DELETE_AGENCIES,
	SS_COPY_AGENCIES,
	SS_COPY_STOPS,
	SS_COPY_ROUTES,
	SS_COPY_TRIPS,
	SS_COPY_STOP_TIMES,
	SS_COPY_CALENDAR,
	SS_COPY_CALENDAR_DATES,
	SS_COPY_FREQUENCIES,
	SS_COPY_SHAPES,
	SS_EXPAND_FEED,
	SS_VACUUM,
	SS_FEED_SET,
	SS_FEED_GET,
	SS_ROUTES,
	SS_STOPS,
	SS_TIMETABLE,
	SS_STOP_PATTERNS,
	SS_ALERT_INSERT,
	SS_ALERT_DELETE,
	SS_ALERT_GET,
	SS_ALERT_UNKNOWN,
	SS_ALERTS_ACTIVE,
	SS_ALERTS_NEXT_CHANGE,
	SS__COUNT
};
extern struct db_stmt	shuttles_stmts[SS__COUNT];
#define SHUT_STMT(x)	(&shuttles_stmts[(x)])

struct module_stmts;
extern const struct module_stmts	shuttles_stmt_table;

enum shuttles_err {
	SHE_NO_FEED,		/* 404: no feed imported */
	SHE_STOP_NOT_FOUND,	/* 404 */
	SHE_ALERT_NOT_FOUND,	/* 404 */
	SHE_BAD_AT,		/* 400: ?at= */
	SHE_BAD_NEAR,		/* 400: ?near= / ?radius= */
	SHE_ALERT_NO_TARGET,	/* 422: neither route_ids nor stop_ids */
	SHE_ALERT_PERIOD,	/* 422: a period ends before it starts */
	SHE_ALERT_UNKNOWN,	/* 422: %s = the ids not in the feed */
	SHE__COUNT
};
extern const struct errcode	shuttles_errors[SHE__COUNT];
#define SHUT_ERR(x)	(&shuttles_errors[(x)])

/*
 * The department whose agents post alerts: the setting
 * shuttles_department, read at init (shuttles_module.c).
 */
extern char	shuttles_department[48];
#define SHUTTLES_CACHE_TAG	"shuttles"
#define SHUTTLES_SCOPE		"shuttles:write"

/* import.c */
struct import_summary {
	long	 rows;		/* imported */
	long	 errors;	/* rows with a problem (skipped with skip) */
};
/*
 * Import the GTFS feed at 'path' (a directory or a .zip): every row
 * checked, each problem printed to 'report' as "file:line: reason".  With
 * problems, nothing is imported unless 'skip' (then those rows are left
 * out).  The feed replaces the current one in one transaction.  0, 1 when
 * refused (problems printed), -1 when the database failed.
 */
int	 shuttles_import(struct db *, const char *, int, FILE *, int64_t,
	    struct import_summary *);

/* timetable.c */
struct tz;
/* What the departures are computed from, kept in memory (timetable.c). */
#define TT_WANT		4	/* patterns a request reads: the stop's, 3 days' */
struct tt_alert {
	json_t		*ids;			/* {route_ids, stop_ids} */
	char		*text[LANG__COUNT];	/* its public form, as JSON */
};
struct tt_pattern {
	struct tt_pattern	*next;		/* in its bucket, or a spare */
	uint64_t		 hash;		/* of stop_id */
	char			*stop_id;
	long			 pattern;	/* 0: the stop itself */
	int			 present;	/* the stop has departures then */
	char			*name;		/* the stop's (pattern 0) */
	char			*departures;	/* stop_patterns.departures */
	size_t			 len;
};
struct timetable {
	_Atomic int		 refs;
	uint64_t		 epoch;		/* cache_epoch() when read */
	uint64_t		 seq;		/* its load's number */
	int64_t			 from, until;	/* good for now in [from, until) */
	int			 has_feed;
	char			 zone[65];	/* the feed's time zone */
	const struct tz		*tz;		/* parsed (NULL: it does not load) */
	char			 version[48];	/* the feed's row version (xmin) */
	int32_t			 day0, ndays;	/* days[i]: day day0 + i */
	long			(*days)[3];	/* its patterns and the next 2 */
	struct tt_alert		*alerts;	/* active from 'from' to 'until' */
	size_t			 nalerts;
	pthread_mutex_t		 lock;		/* the buckets, bytes */
	struct tt_pattern	**buckets;
	size_t			 bytes;
};
/*
 * The timetable good at 'now' (a reference: timetable_put() it), read
 * from the database when the one kept is stale or when 'fresh' (a
 * request found rows of a newer feed than the one kept); NULL with 'err'.
 */
struct timetable *timetable_get(struct db *, int64_t, int,
	    struct db_error *);
void	 timetable_put(struct timetable *);
/* The pattern of day 'day' + 'k' (k: 0..2) from day_patterns' row 'day'. */
long	 timetable_patterns(const struct timetable *, int32_t, int);
/*
 * The rows of stop 'stop' for the 'n' distinct patterns 'want' (want[0]
 * is 0: the stop itself) into got[]: 0; 1 when the stop is not in the
 * feed; 2 when the timetable turned out stale (get a new one and ask
 * again); -1 with 'err'.  Rows not kept in the timetable are chained in
 * *spare: timetable_spare_free() them when done with got[].
 */
int	 timetable_stop(struct timetable *, struct db *, const char *,
	    const long *, int, const struct tt_pattern **,
	    struct tt_pattern **, struct db_error *);
void	 timetable_spare_free(struct tt_pattern *);

/* departures.c */
/*
 * The answer of GET /api/v1/shuttles/stops/{id}/departures: the next
 * departures at stop 'stop' from instant 'at' (microseconds), at most
 * 'limit', with the alerts active at 'now', read in one statement and
 * written as JSON to 'out': 0, 1 when the stop is not in the feed, 2 when
 * there is no feed, -1 with 'err'.
 */
struct buf;
int	 shuttles_departures(struct db *, const char *, int64_t, int64_t,
	    long, enum lang, struct buf *, struct db_error *);

/* alerts.c */
/*
 * Post alert 'in' (checked against shuttles_alert_spec) for 'posted_by'
 * ("department:<code>", "client:<id>") at 'now': 0 and its id; 1 with
 * *problem when what the schema cannot say is wrong (nothing informed, a
 * period that ends before it starts, ids that are not in the feed: then
 * 'arg' names them); -1 with 'err'.
 */
int	 alerts_post(struct db *, const json_t *, const char *, int64_t,
	    char *, size_t, enum shuttles_err *, char *, size_t,
	    struct db_error *);
/*
 * The rows of SS_ALERTS_ACTIVE (or the alert rows of SS_TIMETABLE) from
 * row 'first' on, as a JSON array of their public form.
 */
json_t	*alerts_json(const struct db_res *, int, enum lang);
/* The alerts of 'all' (alerts_json()) whose 'member' array holds 'id'. */
json_t	*alerts_on(const json_t *, const char *, const char *);
/*
 * The GTFS-Realtime FeedMessage (FULL_DATASET) of the alerts active at
 * 'now', packed: 0 with *out (malloc'ed) and *len, -1 with 'err'.
 */
int	 alerts_feed(struct db *, int64_t, void **, size_t *,
	    struct db_error *);

struct ctl_ctx;
int	 shuttles_ctl(struct ctl_ctx *);
int	 shuttles_demo(struct ctl_ctx *);

struct request;
int	 shuttles_routes_list(struct request *);
int	 shuttles_stops_list(struct request *);
int	 shuttles_departures_get(struct request *);
int	 shuttles_alert_post(struct request *);
int	 shuttles_alert_delete(struct request *);
int	 shuttles_alerts_list(struct request *);
int	 shuttles_gtfs_rt(struct request *);
extern const struct json_spec	shuttles_alert_spec;

#endif
