/*
 * t5201-gtfs: the shuttles' GTFS feed (src/shuttles) against a real
 * guichetd and PostgreSQL, on the demo town (whose own feed `guichetctl
 * demo` imported):
 *  - the reference sample feed (t/data/gtfs/sample-feed-1/)
 *    imports as it is (and the demo run again keeps it); the departures at its stops are the feed's: its
 *    trips by calendar.txt (weekday and weekend services), the day its
 *    calendar_dates.txt removes, the frequency-based trips of
 *    frequencies.txt every headway, the next service day when today's
 *    trips are gone, in its zone (America/Los_Angeles);
 *  - a feed written here as feeds are written in the wild (a byte order
 *    mark, CRLF, quoted fields with commas, columns in another order):
 *    trips past midnight (25:10:00) belong to the service day before,
 *    exceptions remove and add days, and the service day's times count
 *    from noon minus 12 h on the day the clocks change (Europe/Paris);
 *  - the official zip of the sample feed, with its real defects (a
 *    misspelt column, short rows): refused with file:line reasons and
 *    nothing imported; with --skip-errors, imported without those rows;
 *  - the departures come from what the import computed (migrations 028
 *    and 032): the days each service runs, the day patterns, the
 *    departures per stop and pattern with the frequency-based trips
 *    expanded; the same answers with the feed's own tables emptied;
 *  - a re-import is atomic: while it waits to commit, readers (the API
 *    and SQL) see the old feed complete, with what was computed from it;
 *    after, the new one, at once;
 *  - routes and stops are public, cached, with ETag and a short max-age,
 *    304 on If-None-Match; stops near a point, nearest first; 400 and
 *    404 problems.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idlib.h"

#define SAMPLE_DIR	"sample-feed-1"
#define SAMPLE_ZIP	"sample-feed-1.zip"

/*
 * The reference feed, copied unchanged into t/data/gtfs (its README says
 * from where), or $GUICHET_TEST_GTFS_DIR.
 */
static char *
sample(const char *what)
{
	const char	*d = getenv("GUICHET_TEST_GTFS_DIR");
	char		*base, *p;

	base = d != NULL ? strdup(d) : harness_src("t/data/gtfs");
	p = harness_printf("%s/%s", base, what);
	free(base);
	ck_assert_msg(access(p, R_OK) == 0, "%s is missing", p);
	return (p);
}

/* guichetctl gtfs import ARGS...; the exit status, *out and *err. */
static int
gtfs_import(const struct idenv *e, char **out, char **err, ...)
{
	const char	*args[8] = { "gtfs", "import" };
	va_list		 ap;
	int		 n = 2;

	va_start(ap, err);
	while (n < 7 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	return (idl_ctl(e->db, 1, args, out, err));
}

static void
import_ok(const struct idenv *e, const char *path)
{
	char	*out = NULL, *err = NULL;
	int	 rc = gtfs_import(e, &out, &err, path, NULL);

	ck_assert_msg(rc == 0, "import %s: %d\n%s%s", path, rc, out, err);
	free(out);
	free(err);
}

/* GET the departures at 'stop' from 'at' (at most 'limit'): the body. */
static json_t *
departures(const struct idenv *e, const char *stop, const char *at,
    int limit)
{
	char	*path = harness_printf("/api/v1/shuttles/stops/%s/departures"
		    "?at=%s&limit=%d", stop, at, limit);
	long	 status;
	json_t	*j = idl_reqj(e, "GET", path, NULL, NULL, &status);

	ck_assert_msg(status == 200, "%s: %ld", path, status);
	ck_assert_ptr_nonnull(j);
	free(path);
	return (j);
}

/*
 * The departures as "trip departs_at local_time service_date gtfs_time"
 * lines, for comparisons that say all at once.
 */
static char *
lines_of(const json_t *j)
{
	const json_t	*it;
	char		*all = strdup(""), *more;
	size_t		 i;

	json_array_foreach(json_object_get(j, "items"), i, it) {
		more = harness_printf("%s%s %s %s %s %s%s\n", all,
		    idl_jstr(it, "trip_id"), idl_jstr(it, "departs_at"),
		    idl_jstr(it, "local_time"), idl_jstr(it, "service_date"),
		    idl_jstr(it, "gtfs_time"), json_is_true(json_object_get(it,
		    "frequency_based")) ? " f" : "");
		free(all);
		all = more;
	}
	return (all);
}

static void
assert_departures(const struct idenv *e, const char *stop, const char *at,
    int limit, const char *want)
{
	json_t	*j = departures(e, stop, at, limit);
	char	*got = lines_of(j);

	ck_assert_msg(strcmp(got, want) == 0, "%s from %s:\n%s\nwanted:\n%s",
	    stop, at, got, want);
	free(got);
	json_decref(j);
}

/* The sample feed imports as it is, every row of it. */
START_TEST(test_sample_feed_imports)
{
	struct idenv	 e;
	char		*dir = sample(SAMPLE_DIR);

	idl_start_new(&e, NULL);
	import_ok(&e, dir);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.agencies"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.stops"), 9);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.routes"), 5);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.trips"), 11);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.stop_times"), 28);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.calendar"), 2);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.calendar_dates"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.frequencies"), 11);
	/* 6:05:00 and 6:07:00 of CITY1 at NANAA, as seconds. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT arrival::bigint * 100000 "
	    "+ departure FROM shuttles.stop_times WHERE trip_id = 'CITY1' AND "
	    "stop_sequence = 2"), 21900L * 100000 + 22020);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.feed WHERE timezone = 'America/Los_Angeles' AND "
	    "source = 'sample-feed-1' AND skipped = 0"), 1);
	/* The demo again keeps the feed it finds. */
	{
		const char	*args[] = { "demo", NULL };
		char		*out = NULL, *err = NULL;

		ck_assert_int_eq(idl_ctl(e.db, 0, args, &out, &err), 0);
		ck_assert_msg(strstr(out, "demo shuttles: a feed is imported "
		    "already (kept)") != NULL, "%s", out);
		free(out);
		free(err);
	}
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.routes"), 5);
	free(dir);
	idl_stop(&e);
}
END_TEST

/*
 * Departures against the feed (America/Los_Angeles, PDT: UTC-7 in June
 * 2007).  2007-06-05 is a Tuesday: FULLW runs, WE does not.
 */
START_TEST(test_sample_departures)
{
	struct idenv	 e;
	char		*dir = sample(SAMPLE_DIR);
	json_t		*j, *it;

	idl_start_new(&e, NULL);
	import_ok(&e, dir);
	/*
	 * BEATTY_AIRPORT from 07:50 on Tuesday: AB1 at 8:00:00 (its first
	 * stop); AB2 and AAMV4 end there (no departure), STBA too, AAMV1
	 * and AAMV3 are WE.  Then nothing until AB1 on Wednesday.
	 */
	assert_departures(&e, "BEATTY_AIRPORT", "2007-06-05T14:50:00Z", 5,
	    "AB1 2007-06-05T15:00:00Z 08:00:00-07:00 2007-06-05 08:00:00\n"
	    "AB1 2007-06-06T15:00:00Z 08:00:00-07:00 2007-06-06 08:00:00\n");
	/* Sunday 2007-06-03: WE runs too: AAMV1 (8:00) and AAMV3 (13:00). */
	assert_departures(&e, "BEATTY_AIRPORT", "2007-06-03T14:00:00Z", 3,
	    "AAMV1 2007-06-03T15:00:00Z 08:00:00-07:00 2007-06-03 08:00:00\n"
	    "AB1 2007-06-03T15:00:00Z 08:00:00-07:00 2007-06-03 08:00:00\n"
	    "AAMV3 2007-06-03T20:00:00Z 13:00:00-07:00 2007-06-03 13:00:00\n");
	/*
	 * Monday 2007-06-04: calendar_dates.txt removes FULLW
	 * (FULLW,20070604,2): no AB1 that day; the next is Tuesday's.
	 */
	assert_departures(&e, "BEATTY_AIRPORT", "2007-06-04T14:00:00Z", 1,
	    "AB1 2007-06-05T15:00:00Z 08:00:00-07:00 2007-06-05 08:00:00\n");
	/*
	 * STAGECOACH from 8:00 on Tuesday: frequency-based trips at their
	 * first stop: STBA every 1800 s from 6:00:00, CITY1 every 600 s
	 * from 8:00:00 (CITY2 ends there).
	 */
	assert_departures(&e, "STAGECOACH", "2007-06-05T15:00:00Z", 6,
	    "CITY1 2007-06-05T15:00:00Z 08:00:00-07:00 2007-06-05 08:00:00 f\n"
	    "STBA 2007-06-05T15:00:00Z 08:00:00-07:00 2007-06-05 08:00:00 f\n"
	    "CITY1 2007-06-05T15:10:00Z 08:10:00-07:00 2007-06-05 08:10:00 f\n"
	    "CITY1 2007-06-05T15:20:00Z 08:20:00-07:00 2007-06-05 08:20:00 f\n"
	    "CITY1 2007-06-05T15:30:00Z 08:30:00-07:00 2007-06-05 08:30:00 f\n"
	    "STBA 2007-06-05T15:30:00Z 08:30:00-07:00 2007-06-05 08:30:00 f\n");
	/*
	 * NADAV: CITY1 leaves it 14 minutes after leaving its first stop
	 * (6:14:00 - 6:00:00), CITY2 too (6:44:00 - 6:30:00).  From 21:40,
	 * the last window (19:00:00-22:00:00, 1800 s) starts trips at 21:30
	 * (22:00:00 ends it): both at 21:44.  Then Wednesday's first, 6:14.
	 */
	assert_departures(&e, "NADAV", "2007-06-06T04:40:00Z", 4,
	    "CITY1 2007-06-06T04:44:00Z 21:44:00-07:00 2007-06-05 21:44:00 f\n"
	    "CITY2 2007-06-06T04:44:00Z 21:44:00-07:00 2007-06-05 21:44:00 f\n"
	    "CITY1 2007-06-06T13:14:00Z 06:14:00-07:00 2007-06-06 06:14:00 f\n"
	    "CITY2 2007-06-06T13:14:00Z 06:14:00-07:00 2007-06-06 06:14:00 f\n");
	/* Each departure says its route and headsign (the trip's, else
	   the last stop's name). */
	j = departures(&e, "BULLFROG", "2007-06-05T15:00:00Z", 2);
	it = json_array_get(json_object_get(j, "items"), 0);
	idl_assert_strs(it, "trip_id", "BFC1", "route_id", "BFC",
	    "route_short_name", "20", "route_long_name",
	    "Bullfrog - Furnace Creek Resort", "headsign",
	    "to Furnace Creek Resort", "timezone", "America/Los_Angeles",
	    NULL);
	idl_assert_strs(json_object_get(j, "stop"), "stop_id", "BULLFROG",
	    "name", "Bullfrog (Demo)", NULL);
	json_decref(j);
	j = departures(&e, "NANAA", "2007-06-05T15:00:00Z", 1);
	idl_assert_str(json_array_get(json_object_get(j, "items"), 0),
	    "headsign", "E Main St / S Irving St (Demo)");
	json_decref(j);
	free(dir);
	idl_stop(&e);
}
END_TEST

/* A feed as they come: BOM, CRLF, quotes, columns in any order. */
static const char *const night_feed[][2] = {
	{ "agency.txt", "\xef\xbb\xbf" "agency_name,agency_url,"
	  "agency_timezone\r\n\"Navettes, nuit\",https://example.org,"
	  "Europe/Paris\r\n" },
	{ "stops.txt", "stop_lat,stop_id,stop_lon,stop_name,"
	  "platform_code\r\n44.89,A,6.63,\"Gare, quai 2\",2\r\n"
	  "44.90,B,6.64,\"Champ de Mars\",\r\n"
	  "44.93,C,6.72,Village,\r\n" },
	{ "routes.txt", "route_type,route_long_name,route_id\r\n"
	  "3,\"Navette \"\"de nuit\"\"\",R1\r\n" },
	/* weekdays of 2026 */
	{ "calendar.txt", "service_id,monday,tuesday,wednesday,"
	  "thursday,friday,saturday,sunday,start_date,end_date\r\n"
	  "SVC,1,1,1,1,1,0,0,20260101,20261231\r\n" },
	/* none on Christmas; on the Sunday the clocks change, and
	   the EXTRA service on 26 December only */
	{ "calendar_dates.txt", "date,service_id,exception_type\r\n"
	  "20261225,SVC,2\r\n20260329,SVC,1\r\n20261226,EXTRA,1\r\n" },
	{ "trips.txt", "trip_id,route_id,service_id,trip_headsign\r\n"
	  "T_NIGHT,R1,SVC,Village\r\nT_EXTRA,R1,EXTRA,\r\n" },
	{ "stop_times.txt", "stop_sequence,trip_id,stop_id,"
	  "departure_time,arrival_time\r\n"
	  "1,T_NIGHT,A,23:50:00,23:50:00\r\n"
	  "2,T_NIGHT,B,25:10:00,25:10:00\r\n"
	  "3,T_NIGHT,C,25:30:00,25:30:00\r\n"
	  "1,T_EXTRA,A,10:00:00,10:00:00\r\n"
	  "2,T_EXTRA,B,10:10:00,10:10:00\r\n"
	  "3,T_EXTRA,C,10:30:00,10:30:00\r\n" },
	/* the line's path, the last point without a distance */
	{ "shapes.txt", "shape_id,shape_pt_lat,shape_pt_lon,"
	  "shape_pt_sequence,shape_dist_traveled\r\n"
	  "S_NIGHT,44.89,6.63,1,0\r\n"
	  "S_NIGHT,44.8951234,6.6354321,2,1250.5\r\n"
	  "S_NIGHT,44.93,6.72,3,\r\n" },
};

/* The night feed's file 'name' (NULL: every one) written into 'dir'. */
static void
write_night_file(const char *dir, const char *name)
{
	char	*p;
	size_t	 i;

	for (i = 0; i < sizeof(night_feed) / sizeof(night_feed[0]); i++) {
		if (name != NULL && strcmp(name, night_feed[i][0]) != 0)
			continue;
		p = harness_printf("%s/%s", dir, night_feed[i][0]);
		ck_assert_int_eq(harness_write_file(p, night_feed[i][1]), 0);
		free(p);
	}
}

static char *
write_night_feed(const char *name)
{
	char	*dir = harness_printf("%s/%d-%s", harness_tmpdir(),
		    (int)getpid(), name);

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	write_night_file(dir, NULL);
	return (dir);
}

START_TEST(test_after_midnight_and_exceptions)
{
	struct idenv	 e;
	char		*dir;
	json_t		*j;
	long		 status;

	idl_start_new(&e, NULL);
	dir = write_night_feed("night");
	import_ok(&e, dir);
	j = idl_reqj(&e, "GET", "/api/v1/shuttles/routes", NULL, NULL,
	    &status);
	ck_assert_int_eq(status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
	idl_assert_strs(json_array_get(json_object_get(j, "items"), 0),
	    "route_id", "R1", "long_name", "Navette \"de nuit\"", NULL);
	json_decref(j);
	j = idl_reqj(&e, "GET", "/api/v1/shuttles/stops?limit=1", NULL, NULL,
	    &status);
	idl_assert_str(json_array_get(json_object_get(j, "items"), 0), "name",
	    "Gare, quai 2");
	json_decref(j);
	/*
	 * Thursday 2026-12-24 00:00 in Paris (23:00Z the day before):
	 * Wednesday's T_NIGHT passes B at 25:10:00 of its service day, 01:10
	 * on Thursday.
	 */
	assert_departures(&e, "B", "2026-12-23T23:00:00Z", 1,
	    "T_NIGHT 2026-12-24T00:10:00Z 01:10:00+01:00 2026-12-23 "
	    "25:10:00\n");
	/*
	 * From Friday 25 at 01:00: Thursday's night trip (01:10 on the
	 * 25th); not Friday's (SVC removed on the 25th), then the EXTRA
	 * trip that only 26 December has.
	 */
	assert_departures(&e, "B", "2026-12-25T00:00:00Z", 5,
	    "T_NIGHT 2026-12-25T00:10:00Z 01:10:00+01:00 2026-12-24 "
	    "25:10:00\n"
	    "T_EXTRA 2026-12-26T09:10:00Z 10:10:00+01:00 2026-12-26 "
	    "10:10:00\n");
	/*
	 * Sunday 2026-03-29, added, the day clocks go forward: its times
	 * count from noon minus 12 h (22:00Z on the 28th), so 23:50:00 is
	 * 23:50 CEST, 21:50Z, and 25:10:00 is 01:10 CEST on Monday.
	 */
	assert_departures(&e, "A", "2026-03-29T21:00:00Z", 1,
	    "T_NIGHT 2026-03-29T21:50:00Z 23:50:00+02:00 2026-03-29 "
	    "23:50:00\n");
	assert_departures(&e, "B", "2026-03-29T21:00:00Z", 1,
	    "T_NIGHT 2026-03-29T23:10:00Z 01:10:00+02:00 2026-03-29 "
	    "25:10:00\n");
	/* C ends both trips: no departure there. */
	assert_departures(&e, "C", "2026-12-23T20:00:00Z", 5, "");
	/* shapes.txt: every point, to the 7th decimal, distances or none. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.shapes WHERE shape_id = 'S_NIGHT'"), 3);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.shapes WHERE shape_id = 'S_NIGHT' AND sequence = 2 AND "
	    "abs(lat - 44.8951234) < 1e-9 AND abs(lon - 6.6354321) < 1e-9 AND "
	    "dist = 1250.5"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.shapes WHERE shape_id = 'S_NIGHT' AND sequence = 3 AND "
	    "dist IS NULL AND lat = 44.93"), 1);
	free(dir);
	idl_stop(&e);
}
END_TEST

/*
 * The feed's own tables emptied behind the server's back: the answers
 * come from what the import computed (migrations 028 and 032: the day
 * patterns and each stop's departures per pattern), not from them nor
 * from the days each service runs.
 */
static void
empty_feed_tables(const struct idenv *e)
{
	ck_assert_int_eq(idl_sql_exec(e, "DELETE FROM shuttles.stop_times; "
	    "DELETE FROM shuttles.trips; DELETE FROM shuttles.frequencies; "
	    "DELETE FROM shuttles.calendar; "
	    "DELETE FROM shuttles.calendar_dates; "
	    "DELETE FROM shuttles.service_days"), 0);
}

/*
 * What the import computes for the departures: the days each service
 * runs (calendar.txt, less the days calendar_dates.txt removes, plus
 * those it adds) and the departures per stop with frequencies expanded;
 * the answers are read from it alone.
 */
START_TEST(test_departures_precomputed)
{
	struct idenv	 e;
	char		*dir = sample(SAMPLE_DIR), *night;

	idl_start_new(&e, NULL);
	import_ok(&e, dir);
	/* FULLW every day of 2007-2010 (1,461) but 2007-06-04; WE on
	   weekends. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.service_days WHERE service_id = 'FULLW'"),
	    1460L);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.service_days WHERE service_id = 'FULLW' AND "
	    "day = '2007-06-04'"), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.service_days WHERE service_id = 'WE' AND "
	    "extract(isodow FROM day) < 6"), 0);
	/*
	 * STBA at STAGECOACH, its first stop: one departure every 1800 s
	 * from 6:00:00 to 22:00:00 (end excluded): 32 of them.
	 */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.day_patterns d JOIN shuttles.stop_patterns s "
	    "ON s.pattern = d.patterns[1], "
	    "regexp_split_to_table(s.departures, E'\\n') l "
	    "WHERE d.day = '2007-06-05' AND s.stop_id = 'STAGECOACH' AND "
	    "strpos(l, ' t ') > 0 AND "
	    "strpos(l, '{\"trip_id\":\"STBA\",') > 0"), 32);
	/* BEATTY_AIRPORT ends STBA: no departure there. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.stop_patterns WHERE stop_id = 'BEATTY_AIRPORT' AND "
	    "strpos(departures, '\"trip_id\":\"STBA\"') > 0"), 0);
	/*
	 * One pattern per distinct set of services on a day: FULLW alone
	 * (weekdays), FULLW and WE (weekends); none on 2007-06-04 (FULLW
	 * removed).  A day's row has the patterns of the two days after it.
	 */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.day_patterns WHERE day = '2007-06-04' AND "
	    "patterns[1] IS NULL AND patterns[2] = "
	    "(SELECT patterns[1] FROM shuttles.day_patterns "
	    "WHERE day = '2007-06-05')"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(DISTINCT p) FROM "
	    "shuttles.day_patterns, unnest(patterns) p WHERE day BETWEEN "
	    "'2007-06-05' AND '2007-06-09'"), 2);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.day_patterns d JOIN shuttles.patterns p "
	    "ON p.pattern = d.patterns[3] WHERE d.day = '2007-06-07' AND "
	    "p.service_ids = '{FULLW,WE}'"), 1);
	empty_feed_tables(&e);
	/* Frequencies, and the day calendar_dates.txt removes, as before. */
	assert_departures(&e, "STAGECOACH", "2007-06-05T15:00:00Z", 3,
	    "CITY1 2007-06-05T15:00:00Z 08:00:00-07:00 2007-06-05 08:00:00 f\n"
	    "STBA 2007-06-05T15:00:00Z 08:00:00-07:00 2007-06-05 08:00:00 f\n"
	    "CITY1 2007-06-05T15:10:00Z 08:10:00-07:00 2007-06-05 08:10:00 f\n");
	assert_departures(&e, "BEATTY_AIRPORT", "2007-06-04T14:00:00Z", 1,
	    "AB1 2007-06-05T15:00:00Z 08:00:00-07:00 2007-06-05 08:00:00\n");
	/* Past midnight, across an exception, the day clocks change. */
	night = write_night_feed("precomputed");
	import_ok(&e, night);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.service_days WHERE day = '2026-12-26'"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.service_days WHERE service_id = 'SVC' AND "
	    "day IN ('2026-12-24', '2026-12-25', '2026-03-29')"), 2);
	empty_feed_tables(&e);
	assert_departures(&e, "B", "2026-12-25T00:00:00Z", 5,
	    "T_NIGHT 2026-12-25T00:10:00Z 01:10:00+01:00 2026-12-24 "
	    "25:10:00\n"
	    "T_EXTRA 2026-12-26T09:10:00Z 10:10:00+01:00 2026-12-26 "
	    "10:10:00\n");
	assert_departures(&e, "B", "2026-03-29T21:00:00Z", 1,
	    "T_NIGHT 2026-03-29T23:10:00Z 01:10:00+02:00 2026-03-29 "
	    "25:10:00\n");
	free(night);
	free(dir);
	idl_stop(&e);
}
END_TEST

/* The official zip: a misspelt column and 13 short rows. */
START_TEST(test_zip_defects)
{
	struct idenv	 e;
	char		*zip = sample(SAMPLE_ZIP), *out = NULL, *err = NULL;
	long		 before;

	idl_start_new(&e, NULL);
	before = idl_sql_count(&e, "SELECT count(*) FROM shuttles.stop_times");
	ck_assert_int_gt(before, 0);	/* the demo's */
	ck_assert_int_ne(gtfs_import(&e, &out, &err, zip, NULL), 0);
	ck_assert_msg(strstr(err, "stop_times.txt:1: note: column "
	    "drop_off_time is not read") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "stop_times.txt:17: 5 fields where the "
	    "header has 9\n") != NULL && strstr(err, "stop_times.txt:29: 5 "
	    "fields where the header has 9\n") != NULL, "%s", err);
	ck_assert_msg(idl_count(err, "fields where the header has") == 13,
	    "%s", err);
	ck_assert_msg(strstr(err, "13 problems: nothing imported") != NULL,
	    "%s", err);
	/* Nothing changed: the demo's feed is still there, all of it. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.stop_times"), before);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.feed WHERE source = 'montgenevre'"), 1);
	free(out);
	free(err);
	/* Told to skip them: the 15 whole rows of stop_times, no more. */
	ck_assert_int_eq(gtfs_import(&e, &out, &err, zip, "--skip-errors",
	    NULL), 0);
	ck_assert_msg(strstr(out, "13 rows with problems left out") != NULL,
	    "%s", out);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.stop_times"), 15);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.stop_times WHERE trip_id LIKE 'BFC%%'"), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.feed WHERE source = 'sample-feed-1.zip' AND "
	    "skipped = 13"), 1);
	free(out);
	free(err);
	/* Not a feed at all. */
	ck_assert_int_ne(gtfs_import(&e, &out, &err, "/etc/hostname", NULL),
	    0);
	ck_assert_msg(strstr(err, "neither a directory nor a .zip") != NULL,
	    "%s", err);
	free(out);
	free(err);
	free(zip);
	idl_stop(&e);
}
END_TEST

/* Broken rows of every kind, each reported with its file and line. */
START_TEST(test_row_errors)
{
	struct idenv	 e;
	char		*dir, *p, *out = NULL, *err = NULL;

	idl_start_new(&e, NULL);
	dir = write_night_feed("broken");
	p = harness_printf("%s/stop_times.txt", dir);
	ck_assert_int_eq(harness_write_file(p, "trip_id,stop_id,"
	    "stop_sequence,departure_time\n"
	    "T_NIGHT,A,1,23:50:00\n"
	    "T_NIGHT,NOWHERE,2,24:00:00\n"
	    "T_GHOST,A,1,08:00:00\n"
	    "T_NIGHT,B,2,25:61:00\n"
	    "T_NIGHT,C,1,25:30:00\n"
	    "T_NIGHT,\"C,3,25:30:00\n"), 0);
	free(p);
	ck_assert_int_ne(gtfs_import(&e, &out, &err, dir, NULL), 0);
	ck_assert_msg(strstr(err, "stop_times.txt:3: stop_id \"NOWHERE\" is "
	    "not in stops.txt\n") != NULL &&
	    strstr(err, "stop_times.txt:4: trip_id \"T_GHOST\" is not in "
	    "trips.txt\n") != NULL &&
	    strstr(err, "stop_times.txt:5: departure_time \"25:61:00\" is not "
	    "a time H:MM:SS\n") != NULL &&
	    strstr(err, "stop_times.txt:6: trip T_NIGHT has stop_sequence 1 "
	    "twice\n") != NULL &&
	    strstr(err, "stop_times.txt:7: a quoted field is not closed\n") !=
	    NULL, "%s", err);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.trips WHERE trip_id = 'T_NIGHT'"), 0);
	free(out);
	free(err);
	/* shapes.txt's rows too, the good stop_times back. */
	write_night_file(dir, "stop_times.txt");
	p = harness_printf("%s/shapes.txt", dir);
	ck_assert_int_eq(harness_write_file(p, "shape_id,shape_pt_lat,"
	    "shape_pt_lon,shape_pt_sequence,shape_dist_traveled\n"
	    "S1,44.89,6.63,1,0\n"
	    "S1,94.89,6.63,2,10\n"
	    "S1,44.9,6.64,x,20\n"
	    "S1,44.9,6.64,3,far\n"
	    "S1,44.9,6.64,1,30\n"
	    ",44.9,6.64,4,40\n"), 0);
	free(p);
	ck_assert_int_ne(gtfs_import(&e, &out, &err, dir, NULL), 0);
	ck_assert_msg(strstr(err, "shapes.txt:3: shape_pt_lat \"94.89\" is "
	    "not a number from -90 to 90\n") != NULL &&
	    strstr(err, "shapes.txt:4: shape_pt_sequence \"x\" is not an "
	    "integer from 0 to 2147483647\n") != NULL &&
	    strstr(err, "shapes.txt:5: shape_dist_traveled \"far\" is not a "
	    "number\n") != NULL &&
	    strstr(err, "shapes.txt:6: shape S1 has shape_pt_sequence 1 "
	    "twice\n") != NULL &&
	    strstr(err, "shapes.txt:7: shape_id is required\n") != NULL,
	    "%s", err);
	ck_assert_ptr_null(strstr(err, "stop_times.txt"));
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.shapes"), 0);
	free(out);
	free(err);
	/* Told to skip them: the one good point. */
	ck_assert_int_eq(gtfs_import(&e, &out, &err, dir, "--skip-errors",
	    NULL), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.shapes WHERE shape_id = 'S1'"), 1);
	free(out);
	free(err);
	/* A required column missing: the file cannot be read at all. */
	p = harness_printf("%s/trips.txt", dir);
	ck_assert_int_eq(harness_write_file(p, "trip_id,service_id\n"
	    "T_NIGHT,SVC\n"), 0);
	free(p);
	ck_assert_int_ne(gtfs_import(&e, &out, &err, dir, "--skip-errors",
	    NULL), 0);
	ck_assert_msg(strstr(err, "trips.txt:1: required column missing: "
	    "route_id\n") != NULL, "%s", err);
	free(out);
	free(err);
	free(dir);
	idl_stop(&e);
}
END_TEST

/* Wait until guichetctl's import waits for a lock: 1, or 0 after 10 s. */
static int
import_waiting(const struct idenv *e)
{
	int	 i;
	long	 n;

	for (i = 0; i < 200; i++) {
		n = idl_sql_count(e, "SELECT count(*) FROM pg_stat_activity "
		    "WHERE application_name = 'guichetctl' AND "
		    "wait_event_type = 'Lock'");
		if (n > 0)
			return (1);
		harness_sleep_ms(50);
	}
	return (0);
}

static long
route_count(const struct idenv *e)
{
	long	 status;
	json_t	*j = idl_reqj(e, "GET", "/api/v1/shuttles/routes?limit=100",
		    NULL, NULL, &status);
	long	 n;

	ck_assert_int_eq(status, 200);
	n = (long)json_array_size(json_object_get(j, "items"));
	json_decref(j);
	return (n);
}

START_TEST(test_reimport_atomic)
{
	struct idenv	 e;
	PGconn		*holder;
	PGresult	*r;
	char		*dir = sample(SAMPLE_DIR), *got;
	pid_t		 pid;
	int		 status;
	long		 before;
	json_t		*j;

	idl_start_new(&e, NULL);
	before = idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.stop_patterns WHERE stop_id = 'MTG_OFFICE'");
	ck_assert_int_gt(before, 0);
	/* The demo's feed, read once: now in the cache. */
	ck_assert_int_eq(route_count(&e), 3);
	/* Hold the feed's row: the import will wait on it to commit. */
	holder = PQconnectdb(e.db);
	ck_assert_int_eq(PQstatus(holder), CONNECTION_OK);
	r = PQexec(holder, "BEGIN");
	PQclear(r);
	r = PQexec(holder, "SELECT 1 FROM shuttles.feed FOR UPDATE");
	ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	if ((pid = fork()) == 0) {
		const char *args[] = { "gtfs", "import", dir, NULL };

		_exit(idl_ctl(e.db, 1, args, NULL, NULL) == 0 ? 0 : 1);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_msg(import_waiting(&e), "the import never waited to "
	    "commit");
	/* It has deleted and copied everything but not committed. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.routes"), 3);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.stop_times"), 41);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.stops WHERE stop_id = 'BULLFROG'"), 0);
	/* The API too: the old routes, and departures of the old feed. */
	ck_assert_int_eq(route_count(&e), 3);
	j = departures(&e, "MTG_OFFICE", "2026-12-21T07:00:00Z", 2);
	got = lines_of(j);
	ck_assert_msg(strcmp(got,
	    "N2_0815 2026-12-21T07:15:00Z 08:15:00+01:00 2026-12-21 "
	    "08:15:00\n"
	    "N1_BOUCLE 2026-12-21T07:30:00Z 08:30:00+01:00 2026-12-21 "
	    "08:30:00 f\n") == 0, "%s", got);
	free(got);
	json_decref(j);
	/* What the import computes for the departures: the old feed's too. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.stop_patterns WHERE stop_id = 'MTG_OFFICE'"), before);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.stop_patterns WHERE stop_id = 'STAGECOACH'"), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.service_days WHERE service_id = 'FULLW'"), 0);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/shuttles/stops/"
	    "STAGECOACH/departures?at=2007-06-05T15:00:00Z", NULL, NULL),
	    404);
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
	/* Let it commit: the new feed, whole, at once. */
	r = PQexec(holder, "COMMIT");
	PQclear(r);
	PQfinish(holder);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the import failed: %d", status);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.stop_times"), 28);
	/* The new feed's departures, and none of the old one's left. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.stop_patterns WHERE stop_id = 'MTG_OFFICE'"), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "shuttles.service_days WHERE service_id = 'HIVER'"), 0);
	assert_departures(&e, "STAGECOACH", "2007-06-05T15:00:00Z", 1,
	    "CITY1 2007-06-05T15:00:00Z 08:00:00-07:00 2007-06-05 08:00:00 f\n");
	/* The cache was emptied by the commit's notification. */
	for (status = 0; status < 40 && route_count(&e) != 5; status++)
		harness_sleep_ms(50);
	ck_assert_int_eq(route_count(&e), 5);
	free(dir);
	idl_stop(&e);
}
END_TEST

START_TEST(test_routes_stops_http)
{
	struct idenv		 e;
	struct http_resp	 r;
	const char		*etag, *cc;
	char			*hdr;
	json_t			*j, *items;
	long			 status;

	idl_start_new(&e, NULL);
	/* The demo town's feed: its three routes, by route_id. */
	ck_assert_int_eq(idl_req(&e, "GET", "/api/v1/shuttles/routes", NULL,
	    NULL, &r), 200);
	j = harness_json(&r);
	items = json_object_get(j, "items");
	ck_assert_int_eq(json_array_size(items), 3);
	idl_assert_strs(json_array_get(items, 0), "route_id", "N1",
	    "short_name", "N1", "long_name", "Navette du village", NULL);
	idl_assert_strs(json_array_get(items, 2), "route_id", "N3",
	    "long_name", "Montgenèvre – Claviere – Cesana", NULL);
	ck_assert(json_is_null(json_object_get(j, "next_cursor")));
	json_decref(j);
	etag = http_resp_header(&r, "ETag");
	cc = http_resp_header(&r, "Cache-Control");
	ck_assert_ptr_nonnull(etag);
	ck_assert_msg(cc != NULL && strcmp(cc, "public, max-age=30") == 0,
	    "%s", cc);
	hdr = harness_printf("If-None-Match: %s", etag);
	http_resp_free(&r);
	ck_assert_int_eq(idl_req_with(&e, "GET", "/api/v1/shuttles/routes",
	    NULL, hdr, NULL, &r), 304);
	ck_assert_uint_eq(r.body_len, 0);
	http_resp_free(&r);
	free(hdr);
	/* A page of two, then the rest. */
	j = idl_reqj(&e, "GET", "/api/v1/shuttles/stops?limit=2", NULL, NULL,
	    &status);
	ck_assert_int_eq(status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 2);
	idl_assert_str(json_array_get(json_object_get(j, "items"), 0),
	    "stop_id", "BRI_CHAMP_MARS");
	ck_assert(json_is_string(json_object_get(j, "next_cursor")));
	json_decref(j);
	/* Near the tourist office: within 800 m, nearest first. */
	j = idl_reqj(&e, "GET", "/api/v1/shuttles/stops?near=44.9316,6.7219"
	    "&radius=800", NULL, NULL, &status);
	ck_assert_int_eq(status, 200);
	items = json_object_get(j, "items");
	ck_assert_msg(json_array_size(items) == 3, "%s", harness_dump(j));
	idl_assert_str(json_array_get(items, 0), "stop_id", "MTG_OFFICE");
	idl_assert_str(json_array_get(items, 1), "stop_id", "MTG_GONDRANS");
	idl_assert_str(json_array_get(items, 2), "stop_id", "MTG_CHALVET");
	ck_assert(json_real_value(json_object_get(json_array_get(items, 0),
	    "distance_m")) < 1);
	ck_assert(json_real_value(json_object_get(json_array_get(items, 2),
	    "distance_m")) > 600);
	json_decref(j);
	/* Problems. */
	ck_assert_int_eq(idl_req(&e, "GET", "/api/v1/shuttles/stops?"
	    "near=91,6", NULL, NULL, &r), 400);
	json_decref(harness_assert_problem(&r, 400, NULL, NULL));
	ck_assert_msg(strstr(r.body, "shuttles_bad_near") != NULL, "%s",
	    r.body);
	http_resp_free(&r);
	ck_assert_int_eq(idl_req(&e, "GET", "/api/v1/shuttles/stops?"
	    "radius=100", NULL, NULL, &r), 400);
	http_resp_free(&r);
	ck_assert_int_eq(idl_req(&e, "GET", "/api/v1/shuttles/stops/NOPE/"
	    "departures", NULL, NULL, &r), 404);
	ck_assert_msg(strstr(r.body, "shuttle_stop_not_found") != NULL, "%s",
	    r.body);
	http_resp_free(&r);
	ck_assert_int_eq(idl_req(&e, "GET", "/api/v1/shuttles/stops/"
	    "MTG_OFFICE/departures?at=tomorrow", NULL, NULL, &r), 400);
	ck_assert_msg(strstr(r.body, "shuttles_bad_at") != NULL, "%s",
	    r.body);
	http_resp_free(&r);
	idl_stop(&e);
}
END_TEST

/*
 * The departures are computed from a timetable each guichetd keeps
 * (src/shuttles/timetable.c), dropped by the notification of an import.
 * Before it arrives, a stop's rows of the new feed must not be read with
 * the days of the old one: they carry the version of the feed row, which
 * every import writes, even two imports at one instant (the operators'
 * frozen clock, --clock): with the notification turned off, the demo's
 * feed imported over the sample's at the same instant answers the demo's
 * departures, not none.
 */
START_TEST(test_reimport_same_instant)
{
	struct idenv	 e;
	char		*dir = sample(SAMPLE_DIR);
	char		*demo = harness_src("sql/demo/gtfs/montgenevre");
	const char	*a1[] = { "--clock", "2026-12-01T08:00:00Z", "gtfs",
			    "import", dir, NULL };
	const char	*a2[] = { "--clock", "2026-12-01T08:00:00Z", "gtfs",
			    "import", demo, NULL };

	idl_start_new(&e, NULL);
	ck_assert_int_eq(idl_ctl(e.db, 0, a1, NULL, NULL), 0);
	/* Read, and so kept, the sample's timetable. */
	assert_departures(&e, "STAGECOACH", "2007-06-05T15:00:00Z", 1,
	    "CITY1 2007-06-05T15:00:00Z 08:00:00-07:00 2007-06-05 08:00:00 f\n");
	ck_assert_int_eq(idl_sql_exec(&e, "ALTER TABLE shuttles.feed "
	    "DISABLE TRIGGER feed_cache"), 0);
	ck_assert_int_eq(idl_ctl(e.db, 0, a2, NULL, NULL), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM shuttles.feed "
	    "WHERE imported_at = '2026-12-01T08:00:00Z'"), 1);
	assert_departures(&e, "MTG_OFFICE", "2026-12-21T07:00:00Z", 2,
	    "N2_0815 2026-12-21T07:15:00Z 08:15:00+01:00 2026-12-21 "
	    "08:15:00\n"
	    "N1_BOUCLE 2026-12-21T07:30:00Z 08:30:00+01:00 2026-12-21 "
	    "08:30:00 f\n");
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/shuttles/stops/"
	    "STAGECOACH/departures?at=2007-06-05T15:00:00Z", NULL, NULL),
	    404);
	ck_assert_int_eq(idl_sql_exec(&e, "ALTER TABLE shuttles.feed "
	    "ENABLE TRIGGER feed_cache"), 0);
	free(demo);
	free(dir);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_sample_feed_imports,
	&test_sample_departures,
	&test_departures_precomputed,
	&test_after_midnight_and_exceptions,
	&test_zip_defects,
	&test_row_errors,
	&test_reimport_atomic,
	&test_reimport_same_instant,
	&test_routes_stops_http,
	NULL
};

const struct test_group test_groups[] = {
	{ "gtfs", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
