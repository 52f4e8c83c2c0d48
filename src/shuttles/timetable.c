/*
 * timetable.c: the feed's timetable as the departures read it, held in
 * memory by each guichetd (struct timetable, shuttles_int.h).
 *
 * An answer of GET /api/v1/shuttles/stops/{id}/departures is computed on
 * every request (departures.c: the instant, its three service days, the
 * merge, the times) and never kept: each ?at= is another answer.  What it
 * is computed from changes only when a feed is imported or an alert is
 * posted or removed, and both notify 'guichet_cache' (the triggers of
 * sql/024_shuttles.sql).  So that data is read from PostgreSQL when first
 * needed and kept under the answer cache's rule (cache_epoch(), cache.h):
 * a notification makes it stale in every guichetd, so does a listener that
 * is down (nothing is kept then), the next instant an alert starts or
 * ends, and CACHE_TTL.  Why: on the benchmark's 2 cores one database round
 * trip per request costs as much as the rest of the request (GET
 * /api/v1/me, one row by primary key, runs at 0.46 x pgbench -S), and the
 * departures must run at half of pgbench -S at least (the target bench/run.sh
 * holds).
 *
 * A timetable holds:
 *  - read in one statement (SS_TIMETABLE, one snapshot of the data): the
 *    feed's time zone and version (its row's xmin), the patterns of
 *    each service day, the alerts active now written as JSON in each
 *    language;
 *  - the departures of the (stop, pattern) pairs asked for so far
 *    (SS_STOP_PATTERNS), read when first asked, with whether the stop has
 *    departures on that pattern; at most TT_BYTES of them: beyond, a
 *    request reads its own and frees them.  A stop that is not in the feed
 *    is never kept (an unknown id costs its request a statement, not
 *    memory).  Rows of another version of the feed than the timetable's
 *    (an import committed, its notification not here yet) make the
 *    timetable stale: the request reads a new one.
 *
 * A request holds a reference (timetable_get() .. timetable_put()): a
 * newer timetable may replace the current one meanwhile; the last
 * reference frees it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/digest.h"
#include "base/xmalloc.h"
#include "http/cache.h"
#include "shuttles/gtfs.h"
#include "shuttles/shuttles_int.h"

#define TT_BUCKETS	1024
#define TT_BYTES	(8 * 1024 * 1024)	/* departures kept, at most */

#define ZONES_MAX	8	/* distinct agency_timezone values kept */

/*
 * The zone 'name', parsed once per process (a zone's rules do not change
 * while guichetd runs); NULL when it is none.
 */
static const struct tz *
tz_cached(const char *name)
{
	static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
	static struct {
		char		 name[65];
		struct tz	*tz;
	}			 zones[ZONES_MAX];
	static int		 nzones;
	const struct tz		*found = NULL;
	struct tz		*tz;
	int			 i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < nzones && found == NULL; i++)
		if (strcmp(zones[i].name, name) == 0)
			found = zones[i].tz;
	if (found == NULL && nzones < ZONES_MAX &&
	    (tz = tz_load(name)) != NULL) {
		snprintf(zones[nzones].name, sizeof(zones[nzones].name), "%s",
		    name);
		zones[nzones].tz = tz;
		found = zones[nzones++].tz;
	}
	pthread_mutex_unlock(&lock);
	return (found);
}

/* The rows of SS_TIMETABLE, by kind. */
enum { TT_FEED, TT_DAY, TT_ALERT };

static pthread_mutex_t	 cur_lock = PTHREAD_MUTEX_INITIALIZER;
static struct timetable	*cur;		/* cur_lock: the latest, or NULL */
static _Atomic uint64_t	 loads;		/* numbers the loads, in order */

static void
pattern_free(struct tt_pattern *p)
{
	free(p->stop_id);
	free(p->name);
	free(p->departures);
	free(p);
}

void
timetable_put(struct timetable *t)
{
	struct tt_pattern	*p, *next;
	size_t			 i;
	int			 l;

	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	for (i = 0; i < TT_BUCKETS; i++)
		for (p = t->buckets[i]; p != NULL; p = next) {
			next = p->next;
			pattern_free(p);
		}
	for (i = 0; i < t->nalerts; i++) {
		json_decref(t->alerts[i].ids);
		for (l = 0; l < LANG__COUNT; l++)
			free(t->alerts[i].text[l]);
	}
	free(t->alerts);
	free(t->days);
	free(t->buckets);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/*
 * The alerts of rows first.. of 'res' into t->alerts: their ids and their
 * public form in each language, written once.
 */
static void
alerts_fill(struct timetable *t, const struct db_res *res, int first)
{
	json_t	*all;
	size_t	 k;
	int	 l;

	t->nalerts = (size_t)(db_res_rows(res) - first);
	t->alerts = xcalloc(t->nalerts, sizeof(*t->alerts));
	for (k = 0; k < t->nalerts; k++)
		t->alerts[k].ids = json_pack("{s:o, s:o}",
		    "route_ids", json_loads(db_str(res, first + (int)k,
		    "route_ids"), 0, NULL),
		    "stop_ids", json_loads(db_str(res, first + (int)k,
		    "stop_ids"), 0, NULL));
	for (l = 0; l < LANG__COUNT; l++) {
		all = alerts_json(res, first, (enum lang)l);
		for (k = 0; k < t->nalerts; k++)
			t->alerts[k].text[l] = json_dumps(json_array_get(all,
			    k), JSON_COMPACT);
		json_decref(all);
	}
}

/* A new timetable of the data at 'now', recorded at 'epoch', or NULL. */
static struct timetable *
timetable_load(struct db *db, int64_t now, uint64_t epoch, uint64_t seq,
    struct db_error *err)
{
	struct timetable	*t;
	struct db_res		*res = NULL;
	const char		*p[1], *s;
	char			 at[40], *e;
	int64_t			 ttl = (int64_t)CACHE_TTL * 1000000;
	int32_t			 day;
	int			 i, k, rows, first_day = -1, ndays = 0;
	int			 first_alert = -1;

	clock_format(now, at, sizeof(at));
	p[0] = at;
	if (db_exec(db, SHUT_STMT(SS_TIMETABLE), p, &res, err) == -1)
		return (NULL);
	t = xcalloc(1, sizeof(*t));
	atomic_init(&t->refs, 1);
	pthread_mutex_init(&t->lock, NULL);
	t->buckets = xcalloc(TT_BUCKETS, sizeof(*t->buckets));
	t->epoch = epoch;
	t->seq = seq;
	t->from = now;
	t->until = now + ttl;
	rows = db_res_rows(res);
	for (i = 0; i < rows; i++)
		switch (db_int64(res, i, "kind")) {
		case TT_FEED:
			snprintf(t->zone, sizeof(t->zone), "%s",
			    db_str(res, i, "timezone"));
			t->tz = tz_cached(t->zone);
			snprintf(t->version, sizeof(t->version), "%s",
			    db_str(res, i, "version"));
			t->has_feed = 1;
			if (!db_isnull(res, i, "next_change") &&
			    db_time(res, i, "next_change") < t->until)
				t->until = db_time(res, i, "next_change");
			break;
		case TT_DAY:
			if (first_day == -1)
				first_day = i;
			ndays++;
			break;
		case TT_ALERT:
			if (first_alert == -1)
				first_alert = i;
			break;
		}
	if (first_alert != -1)
		alerts_fill(t, res, first_alert);
	/* The days, from the first (they come in order), gaps left at 0. */
	if (ndays > 0) {
		t->day0 = (int32_t)db_int64(res, first_day, "day");
		t->ndays = (int32_t)db_int64(res, first_day + ndays - 1,
		    "day") - t->day0 + 1;
		t->days = xcalloc((size_t)t->ndays, sizeof(*t->days));
		for (i = first_day; i < first_day + ndays; i++) {
			day = (int32_t)db_int64(res, i, "day") - t->day0;
			if ((s = db_str(res, i, "patterns")) == NULL ||
			    *s++ != '{')
				continue;
			/* "{1,NULL,2}": NULL, a day without service, is 0 */
			for (k = 0; k < 3 && *s != '\0' && *s != '}'; k++) {
				if (strncmp(s, "NULL", 4) == 0)
					s += 4;
				else {
					t->days[day][k] = strtol(s, &e, 10);
					s = e;
				}
				if (*s == ',')
					s++;
			}
		}
	}
	db_res_free(res);
	return (t);
}

struct timetable *
timetable_get(struct db *db, int64_t now, int fresh, struct db_error *err)
{
	struct timetable	*t, *old = NULL;
	uint64_t		 epoch = cache_epoch(), seq;

	pthread_mutex_lock(&cur_lock);
	t = cur;
	if (!fresh && t != NULL && epoch != 0 && t->epoch == epoch &&
	    now >= t->from && now < t->until) {
		atomic_fetch_add(&t->refs, 1);
		pthread_mutex_unlock(&cur_lock);
		return (t);
	}
	pthread_mutex_unlock(&cur_lock);
	/* Numbered before it reads: a later number saw later data. */
	seq = atomic_fetch_add(&loads, 1) + 1;
	if ((t = timetable_load(db, now, epoch, seq, err)) == NULL)
		return (NULL);
	if (epoch == 0)		/* not listening: nothing is kept */
		return (t);
	pthread_mutex_lock(&cur_lock);
	/* Never over one read after it (a twin's, or a fresh one). */
	if (cur == NULL || cur->seq < t->seq) {
		atomic_fetch_add(&t->refs, 1);
		old = cur;
		cur = t;
	}
	pthread_mutex_unlock(&cur_lock);
	timetable_put(old);
	return (t);
}

/* Stale: no request takes it any more (it goes with its last one). */
static void
timetable_stale(struct timetable *t)
{
	struct timetable	*old = NULL;

	pthread_mutex_lock(&cur_lock);
	if (cur != NULL && (cur == t || strcmp(cur->version, t->version) ==
	    0)) {
		old = cur;
		cur = NULL;
	}
	pthread_mutex_unlock(&cur_lock);
	timetable_put(old);
}

long
timetable_patterns(const struct timetable *t, int32_t day, int k)
{
	int64_t	 i = (int64_t)day - t->day0;

	return (i >= 0 && i < t->ndays ? t->days[i][k] : 0);
}

/* t->lock held: the pair (stop, pattern), or NULL. */
static struct tt_pattern *
find(struct timetable *t, const char *stop, uint64_t h, long pattern)
{
	struct tt_pattern	*p;

	for (p = t->buckets[(h ^ (uint64_t)pattern) % TT_BUCKETS];
	    p != NULL; p = p->next)
		if (p->hash == h && p->pattern == pattern &&
		    strcmp(p->stop_id, stop) == 0)
			return (p);
	return (NULL);
}

int
timetable_stop(struct timetable *t, struct db *db, const char *stop,
    const long *want, int n, const struct tt_pattern **got,
    struct tt_pattern **spare, struct db_error *err)
{
	struct tt_pattern	*p, *loaded[TT_WANT];
	struct db_res		*res = NULL;
	const char		*params[2], *v;
	char			 list[TT_WANT * 24 + 4];
	uint64_t		 h = fnv1a64(stop);
	size_t			 len;
	int			 i, j, missing = 0, rc = 0;

	*spare = NULL;
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < n; i++)
		if ((got[i] = find(t, stop, h, want[i])) == NULL)
			missing++;
	pthread_mutex_unlock(&t->lock);
	if (missing == 0)
		return (got[0]->present ? 0 : 1);

	/* Read them all (a few rows by primary key). */
	len = (size_t)snprintf(list, sizeof(list), "{");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%ld",
		    i > 0 ? "," : "", want[i]);
	snprintf(list + len, sizeof(list) - len, "}");
	params[0] = stop;
	params[1] = list;
	if (db_exec(db, SHUT_STMT(SS_STOP_PATTERNS), params, &res, err) == -1)
		return (-1);
	for (i = 0; i < n; i++)
		loaded[i] = NULL;
	for (j = 0; j < db_res_rows(res) && rc == 0; j++) {
		v = db_isnull(res, j, "version") ? "" :
		    db_str(res, j, "version");
		if (strcmp(v, t->version) != 0) {
			rc = 2;		/* another feed than the timetable's */
			break;
		}
		for (i = 0; i < n && want[i] != db_int64(res, j, "pattern"); i++)
			;
		if (i == n || loaded[i] != NULL)
			continue;
		p = loaded[i] = xcalloc(1, sizeof(*p));
		p->stop_id = xstrdup(stop);
		p->hash = h;
		p->pattern = want[i];
		p->present = db_bool(res, j, "present");
		p->name = db_isnull(res, j, "name") ? NULL :
		    xstrdup(db_str(res, j, "name"));
		p->departures = xstrdup(db_isnull(res, j, "departures") ? "" :
		    db_str(res, j, "departures"));
		p->len = strlen(p->departures);
	}
	db_res_free(res);
	for (i = 0; i < n && rc == 0; i++)
		if (loaded[i] == NULL)
			rc = 2;		/* the statement said less: read anew */
	if (rc == 0 && !loaded[0]->present)
		rc = 1;			/* not in the feed: nothing kept */
	if (rc != 0) {
		for (i = 0; i < n; i++)
			if ((got[i] = loaded[i]) != NULL) {
				loaded[i]->next = *spare;
				*spare = loaded[i];
			}
		if (rc == 2)
			timetable_stale(t);
		return (rc);
	}
	/* Keep them, unless a twin request did or the memory is spent. */
	pthread_mutex_lock(&t->lock);
	for (i = 0; i < n; i++) {
		p = loaded[i];
		if ((got[i] = find(t, stop, h, p->pattern)) != NULL ||
		    t->bytes + p->len > TT_BYTES) {
			if (got[i] == NULL)
				got[i] = p;
			p->next = *spare;
			*spare = p;
		} else {
			got[i] = p;
			t->bytes += p->len;
			p->next = t->buckets[(h ^ (uint64_t)p->pattern) %
			    TT_BUCKETS];
			t->buckets[(h ^ (uint64_t)p->pattern) % TT_BUCKETS] = p;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return (0);
}

void
timetable_spare_free(struct tt_pattern *p)
{
	struct tt_pattern	*next;

	for (; p != NULL; p = next) {
		next = p->next;
		pattern_free(p);
	}
}
