/*
 * departures.c: the next departures at a stop (shuttles_departures()).
 *
 * GTFS times count from noon minus 12 h of their service day, in the
 * feed's time zone, and pass 24:00:00 for trips after midnight; so the
 * departures after an instant come from three service days: yesterday's
 * (its trips past midnight), today's and tomorrow's (when today's end).
 * The import counted them all (migration 028, shuttles.expand_feed()):
 * each departure at each stop on each day its service runs, at its
 * instant, frequency-based trips expanded, with its item of the answer
 * written but for its alerts.  So one statement (SS_DEPARTURES) reads the
 * stop, the first departures from the instant off one index, and the
 * alerts active now; this file writes the answer from its rows, each
 * item completed with the alerts of its route.
 *
 * The answer is written as text, not built as jansson values: ten items
 * of ten members each, built then dumped, were half of the time of a
 * request (perf, bench/run.sh "departures").
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "json/check.h"
#include "shuttles/shuttles_int.h"

/* The rows of SS_DEPARTURES, in this order. */
enum { KIND_STOP, KIND_DEPARTURE, KIND_ALERT };

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

int
shuttles_departures(struct db *db, const char *stop, int64_t at_us,
    int64_t now_us, long limit, enum lang lang, struct buf *out,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[4];
	char		 at[24], now[40], lim[24];
	json_t		*alerts, *o;
	int		 i, first, rows, rc;

	snprintf(at, sizeof(at), "%lld", (long long)(at_us / 1000000));
	clock_format(now_us, now, sizeof(now));
	snprintf(lim, sizeof(lim), "%ld", limit);
	p[0] = stop;
	p[1] = at;
	p[2] = lim;
	p[3] = now;
	if (db_exec(db, SHUT_STMT(SS_DEPARTURES), p, &res, err) == -1)
		return (-1);
	rows = db_res_rows(res);
	if (rows == 0 || db_int64(res, 0, "kind") != KIND_STOP) {
		rc = 1;
		goto out;
	}
	if (db_isnull(res, 0, "timezone")) {
		rc = 2;
		goto out;
	}
	for (first = 1; first < rows &&
	    db_int64(res, first, "kind") == KIND_DEPARTURE; first++)
		;
	alerts = alerts_json(res, first, lang);
	o = json_pack("{s:s?, s:s?, s:o}",
	    "stop_id", db_str(res, 0, "stop_id"),
	    "name", db_str(res, 0, "name"),
	    "alerts", alerts_on(alerts, "stop_ids", stop));
	buf_adds(out, "{\"stop\":");
	add_json(out, o);
	buf_adds(out, ",\"items\":[");
	for (i = 1; i < first; i++) {
		if (i > 1)
			buf_addc(out, ',');
		buf_adds(out, db_str(res, i, "item"));
		buf_adds(out, ",\"alerts\":");
		add_json(out, alerts_on(alerts, "route_ids",
		    db_str(res, i, "route_id")));
		buf_addc(out, '}');
	}
	buf_adds(out, "],\"next_cursor\":null}");
	json_decref(alerts);
	rc = 0;
out:
	db_res_free(res);
	return (rc);
}
