/*
 * departures.c: the next departures at a stop (shuttles_departures()).
 *
 * GTFS times count from noon minus 12 h of their service day, in the
 * feed's time zone, and pass 24:00:00 for trips after midnight; so the
 * departures after an instant come from three service days: yesterday's
 * (its trips past midnight), today's and tomorrow's (when today's end).
 * For each day: which services run (calendar.txt, calendar_dates.txt:
 * gtfs_service_runs()), the scheduled departures at the stop, and the
 * frequency-based trips' windows, expanded here (gtfs_freq_next()).
 * Everything is merged by instant and cut to the limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "json/check.h"
#include "shuttles/gtfs.h"
#include "shuttles/shuttles_int.h"

struct dep {
	int64_t	 at;		/* seconds since the epoch */
	long	 gtfs;		/* seconds of its service day */
	int32_t	 day;
	int	 frequency;
	int	 row;		/* in 'res' */
	const struct db_res *res;
};

struct deps {
	struct dep	*v;
	size_t		 n, cap;
};

static void
deps_add(struct deps *d, const struct dep *x)
{
	if (d->n == d->cap) {
		d->cap = d->cap == 0 ? 32 : d->cap * 2;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	d->v[d->n++] = *x;
}

static int
by_time(const void *a, const void *b)
{
	const struct dep	*x = a, *y = b;
	int			 c;

	if (x->at != y->at)
		return (x->at < y->at ? -1 : 1);
	c = strcmp(db_str(x->res, x->row, "trip_id"),
	    db_str(y->res, y->row, "trip_id"));
	return (c);
}

/* The services running on 'day', as a PostgreSQL text[] literal. */
static int
services(struct db *db, int32_t day, struct buf *out, struct db_error *err)
{
	struct gtfs_calendar	 cal;
	struct db_res		*res;
	const char		*p[1], *id, *days;
	char			 date[16];
	int			 i, k, n = 0;

	gtfs_date_format(day, date, sizeof(date));
	p[0] = date;
	if (db_exec(db, SHUT_STMT(SS_SERVICES), p, &res, err) == -1)
		return (-1);
	buf_reset(out);
	buf_addc(out, '{');
	for (i = 0; i < db_res_rows(res); i++) {
		memset(&cal, 0, sizeof(cal));
		if (!db_isnull(res, i, "days")) {
			days = db_str(res, i, "days");
			cal.has_calendar = 1;
			for (k = 0; k < 7 && days[k] != '\0'; k++)
				if (days[k] == '1')
					cal.days |= 1u << k;
			cal.start = (int32_t)db_int64(res, i, "start_day");
			cal.end = (int32_t)db_int64(res, i, "end_day");
		}
		if (!gtfs_service_runs(&cal, day,
		    (int)db_int64(res, i, "exception")))
			continue;
		id = db_str(res, i, "service_id");
		if (n++ > 0)
			buf_addc(out, ',');
		/* An array element in double quotes, \ and " escaped. */
		buf_addc(out, '"');
		for (; *id != '\0'; id++) {
			if (*id == '"' || *id == '\\')
				buf_addc(out, '\\');
			buf_addc(out, *id);
		}
		buf_addc(out, '"');
	}
	buf_addc(out, '}');
	db_res_free(res);
	return (n);
}

static json_t *
dep_json(const struct dep *d, const struct tz *tz, const char *tzname)
{
	const struct db_res	*r = d->res;
	char			 local[40], date[16], gt[16];
	int64_t			 wall = d->at + tz_offset(tz, d->at);
	long			 off = tz_offset(tz, d->at);
	json_t			*o;

	snprintf(local, sizeof(local), "%02d:%02d:%02d%c%02ld:%02ld",
	    (int)(((wall % 86400) + 86400) % 86400 / 3600),
	    (int)(((wall % 86400) + 86400) % 86400 / 60 % 60),
	    (int)(((wall % 86400) + 86400) % 86400 % 60),
	    off < 0 ? '-' : '+', labs(off) / 3600, labs(off) / 60 % 60);
	gtfs_date_format(d->day, date, sizeof(date));
	gtfs_time_format(d->gtfs, gt, sizeof(gt));
	o = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s, "
	    "s:b}",
	    "trip_id", db_str(r, d->row, "trip_id"),
	    "route_id", db_str(r, d->row, "route_id"),
	    "route_short_name", db_str(r, d->row, "short_name"),
	    "route_long_name", db_str(r, d->row, "long_name"),
	    "headsign", db_str(r, d->row, "headsign"),
	    "local_time", local, "timezone", tzname,
	    "service_date", date, "gtfs_time", gt,
	    "frequency_based", d->frequency);
	json_set_time(o, "departs_at", d->at * 1000000);
	return (o);
}

int
shuttles_departures(struct db *db, const char *stop, int64_t at_us,
    long limit, enum lang lang, json_t **out, struct db_error *err)
{
	struct db_res	*feed = NULL, *res[6] = { NULL };
	struct deps	 d = { NULL, 0, 0 };
	struct dep	 x;
	struct tz	*tz = NULL;
	struct buf	 svc;
	const char	*p[4];
	char		 from[24], lim[24], tzname[65];
	int64_t		 at = at_us / 1000000, base;
	int32_t		 today, day;
	long		 start, end, headway, offset, t, fromsec;
	int		 k, i, nres = 0, rc = -1, n;
	size_t		 j;

	(void)lang;
	*out = NULL;
	buf_init(&svc);
	if (db_exec(db, SHUT_STMT(SS_FEED_GET), NULL, &feed, err) == -1)
		goto out;
	if (db_res_rows(feed) == 0) {
		rc = 1;
		goto out;
	}
	snprintf(tzname, sizeof(tzname), "%s", db_str(feed, 0, "timezone"));
	if ((tz = tz_load(tzname)) == NULL) {
		memset(err, 0, sizeof(*err));
		err->code = DB_E_INTERNAL;
		goto out;
	}
	today = (int32_t)((at + tz_offset(tz, at)) / 86400 -
	    ((at + tz_offset(tz, at)) % 86400 < 0));
	snprintf(lim, sizeof(lim), "%ld", limit);
	for (k = -1; k <= 1; k++) {
		day = today + k;
		if ((n = services(db, day, &svc, err)) == -1)
			goto out;
		if (n == 0)
			continue;
		base = gtfs_service_day_base(tz, day);
		fromsec = at - base < 0 ? 0 : (long)(at - base);
		snprintf(from, sizeof(from), "%ld", fromsec);
		p[0] = stop;
		p[1] = svc.data;
		p[2] = from;
		p[3] = lim;
		if (db_exec(db, SHUT_STMT(SS_DEPARTURES), p, &res[nres],
		    err) == -1)
			goto out;
		for (i = 0; i < db_res_rows(res[nres]); i++) {
			memset(&x, 0, sizeof(x));
			x.gtfs = (long)db_int64(res[nres], i, "departure");
			x.at = base + x.gtfs;
			x.day = day;
			x.row = i;
			x.res = res[nres];
			deps_add(&d, &x);
		}
		nres++;
		if (db_exec(db, SHUT_STMT(SS_FREQ_DEPARTURES), p, &res[nres],
		    err) == -1)
			goto out;
		for (i = 0; i < db_res_rows(res[nres]); i++) {
			start = (long)db_int64(res[nres], i, "start_time");
			end = (long)db_int64(res[nres], i, "end_time");
			headway = (long)db_int64(res[nres], i, "headway");
			offset = (long)db_int64(res[nres], i, "offset");
			for (t = fromsec, j = 0; j < (size_t)limit; j++) {
				if ((t = gtfs_freq_next(start, end, headway,
				    offset, t)) < 0)
					break;
				memset(&x, 0, sizeof(x));
				x.gtfs = t;
				x.at = base + t;
				x.day = day;
				x.frequency = 1;
				x.row = i;
				x.res = res[nres];
				deps_add(&d, &x);
				t++;
			}
		}
		nres++;
	}
	if (d.n > 0)
		qsort(d.v, d.n, sizeof(*d.v), by_time);
	*out = json_array();
	for (j = 0; j < d.n && j < (size_t)limit; j++)
		json_array_append_new(*out, dep_json(&d.v[j], tz, tzname));
	rc = 0;
out:
	for (i = 0; i < nres; i++)
		db_res_free(res[i]);
	db_res_free(feed);
	tz_free(tz);
	free(d.v);
	buf_cleanup(&svc);
	return (rc);
}
