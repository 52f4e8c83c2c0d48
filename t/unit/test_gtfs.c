/*
 * test_gtfs.c: the pure parts of the shuttles module (src/shuttles/gtfs.c),
 * without a database:
 *  - CSV as GTFS feeds write it: RFC 4180 quoting (commas, quotes and line
 *    breaks inside quotes), a UTF-8 byte order mark, CRLF and LF, blank
 *    lines, the line numbers of records, malformed records reported and
 *    skipped; columns found by name in any order, unknown ones ignored,
 *    missing required ones named, a duplicate refused;
 *  - GTFS times (H:MM:SS, past 24:00:00) and dates (which services run
 *    on a day, and the trips of a frequency window, are computed by the
 *    import in SQL since migration 028: t/integ/t5201-gtfs checks them);
 *  - time zones from the system's TZif files: Europe/Paris across both
 *    changes of 2026 (the gap, the repeated hour) and the GTFS service
 *    day's origin (noon minus 12 h) on those days.
 */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "shuttles/gtfs.h"
#include "unit.h"

/* Every record of 'text' as "f1|f2|..." lines with their line numbers. */
static void
records(const char *text, size_t len, char *out, size_t outlen)
{
	struct csv	 c;
	char		 why[128];
	size_t		 used = 0, i;
	int		 rc;

	out[0] = '\0';
	csv_open(&c, text, len);
	while ((rc = csv_next(&c, why, sizeof(why))) != 0) {
		used += (size_t)snprintf(out + used, outlen - used, "%zu:",
		    c.line);
		if (rc == -1) {
			used += (size_t)snprintf(out + used, outlen - used,
			    "ERROR(%s)\n", why);
			continue;
		}
		for (i = 0; i < c.nfields; i++)
			used += (size_t)snprintf(out + used, outlen - used,
			    "%s%s", i > 0 ? "|" : "", c.field[i]);
		used += (size_t)snprintf(out + used, outlen - used, "\n");
	}
	csv_close(&c);
}

START_TEST(test_csv_quoting)
{
	static const char text[] =
	    "stop_id,stop_name,stop_desc\n"
	    "A,\"Gare, quai 1\",\"dit \"\"le grand\"\"\"\n"
	    "B,\"deux\nlignes\",\n"
	    "C,,\"\"\n";
	char	 out[512];

	records(text, sizeof(text) - 1, out, sizeof(out));
	ck_assert_str_eq(out,
	    "1:stop_id|stop_name|stop_desc\n"
	    "2:A|Gare, quai 1|dit \"le grand\"\n"
	    "3:B|deux\nlignes|\n"
	    "5:C||\n");
}
END_TEST

START_TEST(test_csv_bom_crlf_blank)
{
	static const char text[] =
	    "\xef\xbb\xbftrip_id,start_time\r\n"
	    "T1,6:00:00\r\n"
	    "\r\n"
	    "T2,\"7:00:00\"\r\n"
	    "T3,8:00:00";		/* no line break at the end */
	char	 out[512];

	records(text, sizeof(text) - 1, out, sizeof(out));
	ck_assert_str_eq(out,
	    "1:trip_id|start_time\n"
	    "2:T1|6:00:00\n"
	    "4:T2|7:00:00\n"
	    "5:T3|8:00:00\n");
}
END_TEST

START_TEST(test_csv_errors)
{
	static const char text[] =
	    "a,b\n"
	    "x,he said \"hi\"\n"
	    "\"closed\"junk,y\n"
	    "ok,1\n"
	    "z,\"never closed\n";
	char	 out[512];

	records(text, sizeof(text) - 1, out, sizeof(out));
	ck_assert_str_eq(out,
	    "1:a|b\n"
	    "2:ERROR(a quote inside an unquoted field)\n"
	    "3:ERROR(text after a closing quote)\n"
	    "4:ok|1\n"
	    "5:ERROR(a quoted field is not closed)\n");
}
END_TEST

START_TEST(test_csv_header)
{
	static const char *const names[] = { "trip_id", "arrival_time",
	    "departure_time", "stop_id", "stop_sequence", "pickup_type" };
	static const int req[] = { 1, 0, 0, 1, 1, 0 };
	/* Columns in another order, one unknown, one with spaces. */
	static const char text[] = "stop_sequence, stop_id ,zone,trip_id,"
	    "departure_time\n3,S1,Z,T9,25:10:00\n";
	static const char missing_text[] = "trip_id,arrival_time,"
	    "drop_off_time\n";
	static const char dup_text[] = "trip_id,stop_id,trip_id,"
	    "stop_sequence\n";
	struct csv	 c;
	char		 why[64], missing[128];
	int		 idx[6];

	csv_open(&c, text, sizeof(text) - 1);
	ck_assert_int_eq(csv_next(&c, why, sizeof(why)), 1);
	ck_assert_int_eq(csv_header(&c, names, req, 6, idx, missing,
	    sizeof(missing)), 0);
	ck_assert_int_eq(idx[0], 3);
	ck_assert_int_eq(idx[1], -1);
	ck_assert_int_eq(idx[2], 4);
	ck_assert_int_eq(idx[3], 1);
	ck_assert_int_eq(idx[4], 0);
	ck_assert_int_eq(idx[5], -1);
	ck_assert_int_eq(csv_next(&c, why, sizeof(why)), 1);
	ck_assert_str_eq(csv_get(&c, idx[0]), "T9");
	ck_assert_str_eq(csv_get(&c, idx[3]), "S1");
	ck_assert_str_eq(csv_get(&c, idx[2]), "25:10:00");
	ck_assert_str_eq(csv_get(&c, idx[1]), "");
	ck_assert_str_eq(csv_get(&c, 17), "");
	csv_close(&c);

	csv_open(&c, missing_text, sizeof(missing_text) - 1);
	ck_assert_int_eq(csv_next(&c, why, sizeof(why)), 1);
	ck_assert_int_eq(csv_header(&c, names, req, 6, idx, missing,
	    sizeof(missing)), 2);
	ck_assert_str_eq(missing, "stop_id, stop_sequence");
	csv_close(&c);

	csv_open(&c, dup_text, sizeof(dup_text) - 1);
	ck_assert_int_eq(csv_next(&c, why, sizeof(why)), 1);
	ck_assert_int_eq(csv_header(&c, names, req, 6, idx, missing,
	    sizeof(missing)), -1);
	csv_close(&c);
}
END_TEST

START_TEST(test_times)
{
	static const struct { const char *in; long want; } t[] = {
		{ "6:00:00", 6 * 3600 },
		{ "06:00:00", 6 * 3600 },
		{ " 8:05:09 ", 8 * 3600 + 5 * 60 + 9 },
		{ "23:59:59", 86399 },
		{ "24:00:00", 86400 },
		{ "25:10:00", 25 * 3600 + 600 },
		{ "47:30:00", 47 * 3600 + 1800 },
		{ "6:0:00", -1 },
		{ "12:60:00", -1 },
		{ "12:00:60", -1 },
		{ "12:00", -1 },
		{ "", -1 },
		{ "-1:00:00", -1 },
		{ "1a:00:00", -1 },
	};
	char	 out[16];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(gtfs_time_parse(t[i].in) == t[i].want,
		    "\"%s\": %ld, not %ld", t[i].in, gtfs_time_parse(t[i].in),
		    t[i].want);
	gtfs_time_format(25 * 3600 + 600, out, sizeof(out));
	ck_assert_str_eq(out, "25:10:00");
	gtfs_time_format(6 * 3600 + 7, out, sizeof(out));
	ck_assert_str_eq(out, "06:00:07");
}
END_TEST

START_TEST(test_dates)
{
	char	 out[16];

	ck_assert_int_eq(gtfs_date_parse("19700101"), 0);
	ck_assert_int_eq(gtfs_date_parse("20070604"), 13668);
	ck_assert_int_eq(gtfs_date_parse("20261220"), 20807);
	ck_assert_int_eq(gtfs_date_parse("20240229"), 19782);
	ck_assert_int_eq(gtfs_date_parse("20230229"), INT32_MIN);
	ck_assert_int_eq(gtfs_date_parse("21000229"), INT32_MIN);
	ck_assert_int_eq(gtfs_date_parse("20070631"), INT32_MIN);
	ck_assert_int_eq(gtfs_date_parse("2007-06-04"), INT32_MIN);
	ck_assert_int_eq(gtfs_date_parse("200706"), INT32_MIN);
	gtfs_date_format(13668, out, sizeof(out));
	ck_assert_str_eq(out, "2007-06-04");
	gtfs_date_format(gtfs_date_parse("20000229"), out, sizeof(out));
	ck_assert_str_eq(out, "2000-02-29");
}
END_TEST

START_TEST(test_tz_paris_dst)
{
	struct tz	*tz = tz_load("Europe/Paris");

	ck_assert_ptr_nonnull(tz);
	/* 2026-03-29 01:00Z: 02:00 CET becomes 03:00 CEST. */
	ck_assert_int_eq(tz_offset(tz, 1774744200), 3600);	/* 00:30Z */
	ck_assert_int_eq(tz_offset(tz, 1774747800), 7200);	/* 01:30Z */
	/* 02:30 local does not exist: the offset before the gap. */
	ck_assert_int_eq(tz_local_to_utc(tz, (int64_t)20541 * 86400 + 9000),
	    1774747800);
	/* 03:30 local is CEST: 01:30Z. */
	ck_assert_int_eq(tz_local_to_utc(tz, (int64_t)20541 * 86400 + 12600),
	    1774747800);
	/* 2026-10-25: 02:30 local happens twice; the first is 00:30Z. */
	ck_assert_int_eq(tz_local_to_utc(tz, (int64_t)20751 * 86400 + 9000),
	    1792888200);
	ck_assert_int_eq(tz_offset(tz, 1792888200), 7200);
	ck_assert_int_eq(tz_offset(tz, 1792888200 + 3600), 3600);
	/*
	 * The service day's origin is noon minus 12 h: on 2026-03-29 it is
	 * 23:00 local the evening before (22:00Z), on 2026-10-25 01:00 local
	 * (23:00Z the day before), on an ordinary winter day local midnight.
	 */
	ck_assert_int_eq(gtfs_service_day_base(tz, 20541), 1774735200);
	ck_assert_int_eq(gtfs_service_day_base(tz, 20751), 1792882800);
	ck_assert_int_eq(gtfs_service_day_base(tz, 20807), 1797721200);
	tz_free(tz);
}
END_TEST

START_TEST(test_tz_other_zones)
{
	struct tz	*la = tz_load("America/Los_Angeles");

	ck_assert_ptr_nonnull(la);
	/* The sample feed's zone: 2007-06-04 is PDT (UTC-7). */
	ck_assert_int_eq(gtfs_service_day_base(la, 13668), 1180940400);
	ck_assert_int_eq(tz_offset(la, 1180940400), -7 * 3600);
	tz_free(la);
	ck_assert_ptr_null(tz_load("Europe/Nowhere"));
	ck_assert_ptr_null(tz_load("../../etc/passwd"));
	ck_assert_ptr_null(tz_load("/etc/passwd"));
	ck_assert(!tz_name_ok("Europe/../passwd"));
	ck_assert(tz_name_ok("America/Argentina/Buenos_Aires"));
	ck_assert(tz_name_ok("Etc/GMT+5"));
}
END_TEST

static const TTest *const *const tests[] = {
	&test_csv_quoting,
	&test_csv_bom_crlf_blank,
	&test_csv_errors,
	&test_csv_header,
	&test_times,
	&test_dates,
	&test_tz_paris_dst,
	&test_tz_other_zones,
	NULL
};

const struct test_group test_groups[] = {
	{ "gtfs", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
