/*
 * departures.c: the next departures at a stop (shuttles_departures()).
 *
 * GTFS times count from noon minus 12 h of their service day, in the
 * feed's time zone, and pass 24:00:00 for trips after midnight; so the
 * departures after an instant come from three service days: yesterday's
 * (its trips past midnight), today's and tomorrow's (when today's end).
 * The import computed what does not depend on the request (migrations
 * 028 and 032, shuttles.expand_feed()): the pattern of each day (the set
 * of services that run), and per stop and pattern one text of the day's
 * departures at the stop, sorted, frequency-based trips expanded, the
 * start of their item written.  So one statement (SS_DEPARTURES) reads
 * the stop, the texts of those three days by primary key, and the alerts
 * active now; this file picks the next departures from the three texts
 * (merged by instant, then trip_id in byte order) and writes the answer:
 * the rest of each item (times and dates of its day, the alerts of its
 * route).  The parsed time zones are kept (tz_cached()): a zone's rules
 * do not change while guichetd runs.
 *
 * The answer is written as text, not built as jansson values: ten items
 * of twelve members each, built then dumped, were half of the time of a
 * request (perf, bench/run.sh "departures").
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "json/check.h"
#include "shuttles/gtfs.h"
#include "shuttles/shuttles_int.h"

#define ZONES_MAX	8	/* distinct agency_timezone values kept */

/* The rows of SS_DEPARTURES, in this order. */
enum { KIND_STOP, KIND_ALERT };

/* The zone 'name', parsed once per process; NULL when it is none. */
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

/* Write 'v' (0..99, or more: all its digits) as two digits at least. */
static char *
put2(char *p, long v)
{
	if (v >= 100)
		p = put2(p, v / 100);
	*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return (p);
}

/* "YYYY-MM-DD" of the UTC day of 't' (seconds), then 'sep'. */
static char *
put_date(char *p, int64_t t, char sep)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	gmtime_r(&tt, &tm);
	p = put2(p, (tm.tm_year + 1900) / 100);
	p = put2(p, (tm.tm_year + 1900) % 100);
	*p++ = '-';
	p = put2(p, tm.tm_mon + 1);
	*p++ = '-';
	p = put2(p, tm.tm_mday);
	*p++ = sep;
	return (p);
}

/* "HH:MM:SS" of 'sec' seconds (hours past 23 as they are). */
static char *
put_time(char *p, long sec)
{
	p = put2(p, sec / 3600);
	*p++ = ':';
	p = put2(p, sec / 60 % 60);
	*p++ = ':';
	return (put2(p, sec % 60));
}

/* One line of a stop's departures (migration 032). */
struct dep {
	long		 secs;		/* since its service day's base */
	long		 rank;		/* of its trip_id in byte order */
	int		 freq;
	const char	*route, *item;
	size_t		 routelen, itemlen;
	int64_t		 at;		/* base + secs */
};

/*
 * The line at *p (before 'end') into 'd', *p past it: 1, or 0 at the end
 * (or on a line that is not one, which the import never writes).
 */
static int
dep_next(const char **p, const char *end, int64_t base, struct dep *d)
{
	const char	*s = *p, *nl;
	char		*e;
	unsigned long	 n;

	if (s >= end)
		return (0);
	d->secs = strtol(s, &e, 10);
	if (*e != ' ')
		return (0);
	d->rank = strtol(e + 1, &e, 10);
	if (*e != ' ' || end - e < 4)
		return (0);
	d->freq = e[1] == 't';
	n = strtoul(e + 3, &e, 10);
	if (*e != ':' || (size_t)(end - e) < n + 2)
		return (0);
	d->route = e + 1;
	d->routelen = n;
	s = d->route + n + 1;
	if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
		return (0);
	d->item = s;
	d->itemlen = (size_t)(nl - s);
	d->at = base + d->secs;
	*p = nl + 1;
	return (1);
}

/*
 * The members of departure 'd' that depend on its day 'day' (days since
 * 1970-01-01), after the start of its item: local_time ... departs_at
 * ('tzjson': the zone's name as a JSON string).  Written by hand: printf
 * was a fifth of a request.
 */
static void
add_times(struct buf *out, const struct dep *d, int32_t day,
    const struct tz *tz, const char *tzjson)
{
	int64_t		 at = d->at;
	long		 off = tz_offset(tz, at), dep = d->secs;
	char		 b[160], *p = b;

	p = stpcpy(p, ",\"local_time\":\"");
	p = put_time(p, (long)((((at + off) % 86400) + 86400) % 86400));
	*p++ = off < 0 ? '-' : '+';
	p = put2(p, labs(off) / 3600);
	*p++ = ':';
	p = put2(p, labs(off) / 60 % 60);
	p = stpcpy(p, "\",\"timezone\":");
	buf_add(out, b, (size_t)(p - b));
	buf_adds(out, tzjson);
	p = stpcpy(b, ",\"service_date\":\"");
	p = put_date(p, (int64_t)day * 86400, '"');
	p = stpcpy(p, ",\"gtfs_time\":\"");
	p = put_time(p, dep < 0 ? 0 : dep);
	p = stpcpy(p, d->freq ?
	    "\",\"frequency_based\":true,\"departs_at\":\"" :
	    "\",\"frequency_based\":false,\"departs_at\":\"");
	p = put_date(p, at, 'T');
	p = put_time(p, (long)(((at % 86400) + 86400) % 86400));
	p = stpcpy(p, "Z\"");
	buf_add(out, b, (size_t)(p - b));
}

/* Append 'v' as compact JSON, and drop it. */
static void
add_json(struct buf *b, json_t *v)
{
	char	*s;

	if (json_is_array(v) && json_array_size(v) == 0)
		buf_adds(b, "[]");
	else {
		s = json_dumps(v, JSON_COMPACT);
		buf_adds(b, s);
		free(s);
	}
	json_decref(v);
}

/*
 * The zone of the feed as last answered, from which a request counts its
 * service days before it knows the feed's (the statement says it; the
 * request runs again in the right one when another feed changed it).
 */
static pthread_mutex_t	 zone_lock = PTHREAD_MUTEX_INITIALIZER;
static char		 zone_last[65] = "UTC";

/*
 * SS_DEPARTURES for the instant 'at' counted in zone 'zone' (its service
 * day *today): 0 with *res, -1 (with 'err') when the database failed or
 * the zone is none.
 */
static int
departures_in(struct db *db, const char *stop, int64_t at, int64_t now_us,
    const char *zone, int32_t *today, struct db_res **res,
    struct db_error *err)
{
	const struct tz	*tz;
	const char	*p[3];
	char		 now[40], day[16];
	int64_t		 local;

	if ((tz = tz_cached(zone)) == NULL) {
		memset(err, 0, sizeof(*err));
		err->code = DB_E_INTERNAL;
		return (-1);
	}
	local = at + tz_offset(tz, at);
	*today = (int32_t)(local / 86400 - (local % 86400 < 0));
	clock_format(now_us, now, sizeof(now));
	gtfs_date_format(*today - 1, day, sizeof(day));
	p[0] = stop;
	p[1] = day;
	p[2] = now;
	return (db_exec(db, SHUT_STMT(SS_DEPARTURES), p, res, err));
}

/*
 * The patterns of the three days from their array as text ("{1,NULL,2}")
 * into 'p': 0 for a day without service.
 */
static void
days_parse(const char *s, long p[3])
{
	char	*e;
	int	 k;

	for (k = 0; k < 3; k++)
		p[k] = 0;
	if (s == NULL || *s++ != '{')
		return;
	for (k = 0; k < 3 && *s != '\0' && *s != '}'; k++) {
		if (strncmp(s, "NULL", 4) == 0)
			s += 4;
		else {
			p[k] = strtol(s, &e, 10);
			s = e;
		}
		if (*s == ',')
			s++;
	}
}

/* The alerts of 'alerts' on route 'd' as a JSON array. */
static void
add_route_alerts(struct buf *out, const json_t *alerts, const struct dep *d)
{
	char	 small[128], *id;

	if (json_array_size(alerts) == 0) {
		buf_adds(out, "[]");
		return;
	}
	id = d->routelen < sizeof(small) ? small : xmalloc(d->routelen + 1);
	memcpy(id, d->route, d->routelen);
	id[d->routelen] = '\0';
	add_json(out, alerts_on(alerts, "route_ids", id));
	if (id != small)
		free(id);
}

int
shuttles_departures(struct db *db, const char *stop, int64_t at_us,
    int64_t now_us, long limit, enum lang lang, struct buf *out,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const struct tz	*tz;
	struct buf	 tzjson;
	struct dep	 head[3];
	const char	*feedzone, *cur[3], *end[3];
	char		 zone[65];
	json_t		*alerts, *o;
	int64_t		 at = at_us / 1000000, base[3];
	int32_t		 today;
	int		 i, k, best, first, rows, rc, again, live[3];
	long		 pattern[3];
	long		 n;

	buf_init(&tzjson);
	pthread_mutex_lock(&zone_lock);
	snprintf(zone, sizeof(zone), "%s", zone_last);
	pthread_mutex_unlock(&zone_lock);
	for (again = 0; ; again++) {
		if (departures_in(db, stop, at, now_us, zone, &today, &res,
		    err) == -1)
			return (-1);
		rows = db_res_rows(res);
		if (rows == 0 || db_int64(res, 0, "kind") != KIND_STOP ||
		    db_int64(res, 0, "pattern") != 0) {
			rc = 1;
			goto out;
		}
		if (db_isnull(res, 0, "timezone")) {
			rc = 2;
			goto out;
		}
		feedzone = db_str(res, 0, "timezone");
		if (strcmp(feedzone, zone) == 0)
			break;
		/* Counted in another zone: again, in the feed's. */
		snprintf(zone, sizeof(zone), "%s", feedzone);
		pthread_mutex_lock(&zone_lock);
		snprintf(zone_last, sizeof(zone_last), "%s", zone);
		pthread_mutex_unlock(&zone_lock);
		db_res_free(res);
		res = NULL;
		if (again > 0) {	/* the feed changed in between: once more */
			memset(err, 0, sizeof(*err));
			err->code = DB_E_INTERNAL;
			return (-1);
		}
	}
	tz = tz_cached(zone);
	buf_add_json_str(&tzjson, zone);
	buf_addc(&tzjson, '\0');
	for (first = 1; first < rows &&
	    db_int64(res, first, "kind") == KIND_STOP; first++)
		;
	/* Each day's departures, from the first at or after the instant. */
	days_parse(db_str(res, 0, "days"), pattern);
	for (k = 0; k < 3; k++) {
		live[k] = 0;
		for (i = 1; i < first && pattern[k] > 0; i++)
			if (db_int64(res, i, "pattern") == pattern[k])
				break;
		if (pattern[k] <= 0 || i == first)
			continue;
		base[k] = gtfs_service_day_base(tz, today - 1 + k);
		cur[k] = db_str(res, i, "departures");
		end[k] = cur[k] + strlen(cur[k]);
		while ((live[k] = dep_next(&cur[k], end[k], base[k],
		    &head[k])) && head[k].at < at)
			;
	}
	alerts = alerts_json(res, first, lang);
	o = json_pack("{s:s?, s:s?, s:o}",
	    "stop_id", stop,
	    "name", db_str(res, 0, "name"),
	    "alerts", alerts_on(alerts, "stop_ids", stop));
	buf_adds(out, "{\"stop\":");
	add_json(out, o);
	buf_adds(out, ",\"items\":[");
	/* Merged by instant, then trip_id (byte order), then day. */
	for (n = 0; n < limit; n++) {
		best = -1;
		for (k = 0; k < 3; k++)
			if (live[k] && (best == -1 || head[k].at < head[best].at ||
			    (head[k].at == head[best].at &&
			    head[k].rank < head[best].rank)))
				best = k;
		if (best == -1)
			break;
		if (n > 0)
			buf_addc(out, ',');
		buf_add(out, head[best].item, head[best].itemlen);
		add_times(out, &head[best], today - 1 + best, tz, tzjson.data);
		buf_adds(out, ",\"alerts\":");
		add_route_alerts(out, alerts, &head[best]);
		buf_addc(out, '}');
		live[best] = dep_next(&cur[best], end[best], base[best],
		    &head[best]);
	}
	buf_adds(out, "],\"next_cursor\":null}");
	json_decref(alerts);
	rc = 0;
out:
	db_res_free(res);
	buf_cleanup(&tzjson);
	return (rc);
}
