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
 * start of their item written.  Each guichetd keeps what it read of them
 * in memory (timetable.c: the days' patterns, the alerts active now, the
 * texts of the stops asked for), under the answer cache's rule; every
 * request computes its answer from them: the three days of its instant,
 * their texts merged by instant, then trip_id in byte order, and the rest
 * of each item (times and dates of its day, the alerts of its route).
 * The feed's time zone comes parsed with the timetable.
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

/*
 * The alerts of 't' whose 'member' ("route_ids", "stop_ids") holds the
 * 'len' bytes at 'id', as a JSON array in language 'lang'.
 */
static void
add_alerts(struct buf *out, const struct timetable *t, const char *member,
    const char *id, size_t len, enum lang lang)
{
	const json_t	*v;
	const char	*s;
	size_t		 i, j;
	int		 n = 0;

	buf_addc(out, '[');
	for (i = 0; i < t->nalerts; i++)
		json_array_foreach(json_object_get(t->alerts[i].ids, member),
		    j, v)
			if ((s = json_string_value(v)) != NULL &&
			    strlen(s) == len && memcmp(s, id, len) == 0) {
				if (n++ > 0)
					buf_addc(out, ',');
				buf_adds(out, t->alerts[i].text[lang]);
				break;
			}
	buf_addc(out, ']');
}

/*
 * The answer from timetable 't': 0, 1 when the stop is not in the feed,
 * 2 when there is no feed, 3 when 't' turned out stale, -1 with 'err'.
 */
static int
departures_from(struct timetable *t, struct db *db, const char *stop,
    int64_t at, long limit, enum lang lang, struct buf *out,
    struct db_error *err)
{
	const struct tt_pattern	*got[TT_WANT];
	struct tt_pattern	*spare = NULL;
	const struct tz		*tz;
	struct buf		 tzjson;
	struct dep		 head[3];
	const char		*cur[3], *end[3];
	int64_t			 base[3], local;
	int32_t			 today;
	long			 want[TT_WANT], pattern[3];
	int			 k, i, n, best, rc, live[3], slot[3];
	long			 count;

	if (t->has_feed && (tz = t->tz) == NULL) {
		memset(err, 0, sizeof(*err));	/* the import checked it */
		err->code = DB_E_INTERNAL;
		return (-1);
	}
	if (!t->has_feed) {
		/* the stop first: no feed, no stop either */
		want[0] = 0;
		rc = timetable_stop(t, db, stop, want, 1, got, &spare, err);
		timetable_spare_free(spare);
		return (rc == 0 ? 2 : rc == 2 ? 3 : rc);
	}
	local = at + tz_offset(tz, at);
	today = (int32_t)(local / 86400 - (local % 86400 < 0));
	/* The patterns of yesterday, today and tomorrow, each read once. */
	want[0] = 0;
	n = 1;
	for (k = 0; k < 3; k++) {
		pattern[k] = timetable_patterns(t, today - 1, k);
		slot[k] = -1;
		if (pattern[k] <= 0)
			continue;
		for (i = 0; i < n && want[i] != pattern[k]; i++)
			;
		if (i == n)
			want[n++] = pattern[k];
		slot[k] = i;
	}
	rc = timetable_stop(t, db, stop, want, n, got, &spare, err);
	if (rc != 0) {
		timetable_spare_free(spare);
		return (rc == 2 ? 3 : rc);
	}
	/* Each day's departures, from the first at or after the instant. */
	for (k = 0; k < 3; k++) {
		live[k] = 0;
		if (slot[k] == -1 || !got[slot[k]]->present)
			continue;
		base[k] = gtfs_service_day_base(tz, today - 1 + k);
		cur[k] = got[slot[k]]->departures;
		end[k] = cur[k] + got[slot[k]]->len;
		while ((live[k] = dep_next(&cur[k], end[k], base[k],
		    &head[k])) && head[k].at < at)
			;
	}
	buf_init(&tzjson);
	buf_add_json_str(&tzjson, t->zone);
	buf_addc(&tzjson, '\0');
	buf_adds(out, "{\"stop\":{\"stop_id\":");
	buf_add_json_str(out, stop);
	buf_adds(out, ",\"name\":");
	if (got[0]->name != NULL)
		buf_add_json_str(out, got[0]->name);
	else
		buf_adds(out, "null");
	buf_adds(out, ",\"alerts\":");
	add_alerts(out, t, "stop_ids", stop, strlen(stop), lang);
	buf_adds(out, "},\"items\":[");
	/* Merged by instant, then trip_id (byte order), then day. */
	for (count = 0; count < limit; count++) {
		best = -1;
		for (k = 0; k < 3; k++)
			if (live[k] && (best == -1 || head[k].at < head[best].at ||
			    (head[k].at == head[best].at &&
			    head[k].rank < head[best].rank)))
				best = k;
		if (best == -1)
			break;
		if (count > 0)
			buf_addc(out, ',');
		buf_add(out, head[best].item, head[best].itemlen);
		add_times(out, &head[best], today - 1 + best, tz, tzjson.data);
		buf_adds(out, ",\"alerts\":");
		add_alerts(out, t, "route_ids", head[best].route,
		    head[best].routelen, lang);
		buf_addc(out, '}');
		live[best] = dep_next(&cur[best], end[best], base[best],
		    &head[best]);
	}
	buf_adds(out, "],\"next_cursor\":null}");
	buf_cleanup(&tzjson);
	timetable_spare_free(spare);
	return (0);
}

int
shuttles_departures(struct db *db, const char *stop, int64_t at_us,
    int64_t now_us, long limit, enum lang lang, struct buf *out,
    struct db_error *err)
{
	struct timetable	*t;
	int			 rc, again;

	for (again = 0; ; again++) {
		if ((t = timetable_get(db, now_us, again, err)) == NULL)
			return (-1);
		rc = departures_from(t, db, stop, at_us / 1000000, limit, lang,
		    out, err);
		timetable_put(t);
		if (rc != 3)
			return (rc);
		/*
		 * A feed was imported meanwhile: once more, on a timetable
		 * read now (not the one kept: another request may have put
		 * back one it read before the import).  Feeds imported in a
		 * row faster than that: busy, try again (503).
		 */
		buf_reset(out);
		if (again > 0) {
			memset(err, 0, sizeof(*err));
			err->code = DB_E_SERIALIZATION;
			return (-1);
		}
	}
}
