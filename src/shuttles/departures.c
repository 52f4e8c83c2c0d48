/*
 * departures.c: the next departures at a stop (shuttles_departures()).
 *
 * GTFS times count from noon minus 12 h of their service day, in the
 * feed's time zone, and pass 24:00:00 for trips after midnight; so the
 * departures after an instant come from three service days: yesterday's
 * (its trips past midnight), today's and tomorrow's (when today's end).
 * Which services run each day is decided here (calendar.txt and
 * calendar_dates.txt: gtfs_service_runs()), from one query; one more
 * reads, for the three days at once, the scheduled departures at the stop
 * and the windows of the frequency-based trips, expanded here
 * (gtfs_freq_next()).  Everything is merged by instant and cut to the
 * limit.  The parsed time zones are kept (tz_cached()): a zone's rules
 * do not change while guichetd runs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "json/check.h"
#include "shuttles/gtfs.h"
#include "shuttles/shuttles_int.h"

#define DAYS		3	/* yesterday, today, tomorrow */
#define ZONES_MAX	8	/* distinct agency_timezone values kept */

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

/* Append service id 'id' to the PostgreSQL text[] literal 'out'. */
static void
array_add(struct buf *out, const char *id)
{
	if (out->len > 1)
		buf_addc(out, ',');
	buf_addc(out, '"');
	for (; *id != '\0'; id++) {
		if (*id == '"' || *id == '\\')
			buf_addc(out, '\\');
		buf_addc(out, *id);
	}
	buf_addc(out, '"');
}

/*
 * The services running on each of the DAYS days from 'first', as text[]
 * literals in out[]: the rows of SS_SERVICES are the calendar's (day
 * NULL) and the exceptions of those days.  How many run in all, or -1.
 */
static int
services(struct db *db, int32_t first, struct buf *out,
    struct db_error *err)
{
	struct gtfs_calendar	 cal;
	struct db_res		*res;
	const char		*p[1], *days, *id;
	char			 date[16];
	int32_t			 day;
	int			 i, j, k, c, exc, n = 0, rows;

	gtfs_date_format(first, date, sizeof(date));
	p[0] = date;
	if (db_exec(db, SHUT_STMT(SS_SERVICES), p, &res, err) == -1)
		return (-1);
	rows = db_res_rows(res);
	for (k = 0; k < DAYS; k++) {
		day = first + k;
		buf_reset(&out[k]);
		buf_addc(&out[k], '{');
		for (i = 0; i < rows; i++) {
			id = db_str(res, i, "service_id");
			memset(&cal, 0, sizeof(cal));
			if (db_isnull(res, i, "day")) {
				/* A calendar row, with its exception that day. */
				days = db_str(res, i, "days");
				cal.has_calendar = 1;
				for (c = 0; c < 7 && days[c] != '\0'; c++)
					if (days[c] == '1')
						cal.days |= 1u << c;
				cal.start = (int32_t)db_int64(res, i,
				    "start_day");
				cal.end = (int32_t)db_int64(res, i, "end_day");
				exc = 0;
				for (j = 0; j < rows; j++)
					if (!db_isnull(res, j, "day") &&
					    db_int64(res, j, "day") == day &&
					    strcmp(db_str(res, j, "service_id"),
					    id) == 0)
						exc = (int)db_int64(res, j,
						    "exception");
			} else {
				/* An exception of a service without calendar. */
				if (db_int64(res, i, "day") != day)
					continue;
				for (j = 0; j < rows; j++)
					if (db_isnull(res, j, "day") &&
					    strcmp(db_str(res, j, "service_id"),
					    id) == 0)
						break;
				if (j < rows)
					continue;	/* seen with its calendar */
				exc = (int)db_int64(res, i, "exception");
			}
			if (gtfs_service_runs(&cal, day, exc)) {
				array_add(&out[k], id);
				n++;
			}
		}
		buf_addc(&out[k], '}');
	}
	db_res_free(res);
	return (n);
}

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
	struct db_res	*feed = NULL, *res = NULL;
	struct deps	 d = { NULL, 0, 0 };
	struct dep	 x;
	const struct tz	*tz;
	struct buf	 svc[DAYS];
	const char	*p[8];
	char		 since[DAYS][24], lim[24], tzname[65];
	int64_t		 at = at_us / 1000000, base[DAYS];
	int32_t		 today;
	long		 start, end, headway, t, from;
	int		 k, i, rc = -1;
	size_t		 j;

	(void)lang;
	*out = NULL;
	for (k = 0; k < DAYS; k++)
		buf_init(&svc[k]);
	if (db_exec(db, SHUT_STMT(SS_FEED_GET), NULL, &feed, err) == -1)
		goto out;
	if (db_res_rows(feed) == 0) {
		rc = 1;
		goto out;
	}
	snprintf(tzname, sizeof(tzname), "%s", db_str(feed, 0, "timezone"));
	if ((tz = tz_cached(tzname)) == NULL) {
		memset(err, 0, sizeof(*err));
		err->code = DB_E_INTERNAL;
		goto out;
	}
	today = (int32_t)((at + tz_offset(tz, at)) / 86400 -
	    ((at + tz_offset(tz, at)) % 86400 < 0));
	if ((i = services(db, today - 1, svc, err)) == -1)
		goto out;
	*out = json_array();
	if (i == 0) {
		rc = 0;
		goto out;
	}
	p[0] = stop;
	for (k = 0; k < DAYS; k++) {
		base[k] = gtfs_service_day_base(tz, today - 1 + k);
		snprintf(since[k], sizeof(since[k]), "%ld", at - base[k] < 0 ?
		    0L : (long)(at - base[k]));
		p[1 + 2 * k] = svc[k].data;
		p[2 + 2 * k] = since[k];
	}
	snprintf(lim, sizeof(lim), "%ld", limit);
	p[7] = lim;
	if (db_exec(db, SHUT_STMT(SS_DEPARTURES), p, &res, err) == -1) {
		json_decref(*out);
		*out = NULL;
		goto out;
	}
	for (i = 0; i < db_res_rows(res); i++) {
		memset(&x, 0, sizeof(x));
		k = (int)db_int64(res, i, "day");
		x.day = today - 1 + k;
		x.row = i;
		x.res = res;
		if (!db_int64(res, i, "frequency")) {
			x.gtfs = (long)db_int64(res, i, "departure");
			x.at = base[k] + x.gtfs;
			deps_add(&d, &x);
			continue;
		}
		/* A window: its trips' times at the stop, 'limit' at most. */
		start = (long)db_int64(res, i, "start_time");
		end = (long)db_int64(res, i, "end_time");
		headway = (long)db_int64(res, i, "headway");
		from = strtol(since[k], NULL, 10);
		x.frequency = 1;
		for (j = 0; j < (size_t)limit; j++) {
			if ((t = gtfs_freq_next(start, end, headway,
			    (long)db_int64(res, i, "departure"), from)) < 0)
				break;
			x.gtfs = t;
			x.at = base[k] + t;
			deps_add(&d, &x);
			from = t + 1;
		}
	}
	if (d.n > 0)
		qsort(d.v, d.n, sizeof(*d.v), by_time);
	for (j = 0; j < d.n && j < (size_t)limit; j++)
		json_array_append_new(*out, dep_json(&d.v[j], tz, tzname));
	rc = 0;
out:
	db_res_free(res);
	db_res_free(feed);
	free(d.v);
	for (k = 0; k < DAYS; k++)
		buf_cleanup(&svc[k]);
	return (rc);
}
