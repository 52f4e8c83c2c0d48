/*
 * test_base.c: src/base (b64, buf, clock, conf, digest's hash128, log,
 * random, seal).
 *
 * Each test sets the global state it relies on (clock mode, log level and
 * descriptor), so the suite also passes with CK_FORK=no.
 */
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/conf.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/random.h"
#include "base/seal.h"
#include "unit.h"

#define SEC		INT64_C(1000000)
#define DAY		(86400 * SEC)
/* 2026-12-20T08:30:00Z */
#define T_2026_12_20	(INT64_C(1797755400) * SEC)

/* Helpers. */

/* A temporary file holding 'text'; its path in 'path' (PATH_MAX-ish). */
static void
temp_file(const char *text, char *path, size_t len)
{
	const char	*dir;
	int		 fd;

	if ((dir = getenv("TMPDIR")) == NULL || dir[0] == '\0')
		dir = "/tmp";
	ck_assert_int_lt(snprintf(path, len, "%s/guichet-test-XXXXXX", dir),
	    (int)len);
	ck_assert_int_ne(fd = mkstemp(path), -1);
	close(fd);
	unit_write(path, text, 0600);
}

/* Load 'text' as a configuration file into 'c'; the result of the load. */
static int
load_text(struct conf *c, const char *text, char *path, size_t len,
    struct conf_error *err)
{
	int	 rc;

	temp_file(text, path, len);
	memset(err, 0, sizeof(*err));
	rc = conf_load_file(c, path, 1, err);
	unlink(path);
	return (rc);
}

static void
conf_value(const struct conf *c, const char *key, const char *want)
{
	char	 got[1024];

	conf_get(c, key, got, sizeof(got));
	ck_assert_msg(strcmp(got, want) == 0, "%s is '%s', want '%s'", key,
	    got, want);
}

/*
 * The file 'text' is refused; the message names "<path>:<line>:" (unless
 * 'line' is NULL) and holds 'word' (unless NULL).
 */
static void
conf_file_refused(const char *text, const char *line, const char *word)
{
	struct conf		 c;
	struct conf_error	 err;
	char			 path[512], where[600];

	conf_init(&c);
	ck_assert_int_eq(load_text(&c, text, path, sizeof(path), &err), -1);
	if (line != NULL) {
		snprintf(where, sizeof(where), "%s:%s:", path, line);
		ck_assert_msg(strstr(err.msg, where) != NULL,
		    "'%s' not in '%s'", where, err.msg);
	}
	if (word != NULL)
		ck_assert_msg(strstr(err.msg, word) != NULL,
		    "'%s' not in '%s'", word, err.msg);
	conf_cleanup(&c);
}

/* Log lines go to a pipe whose read end does not block. */
static void
capture_begin(int fds[2])
{
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_ne(fcntl(fds[0], F_SETFL, O_NONBLOCK), -1);
}

/* What was written since the last read; NULL when nothing was. */
static char *
capture_read(int fds[2])
{
	static char	 line[8192];
	ssize_t		 n;

	n = read(fds[0], line, sizeof(line) - 1);
	if (n <= 0)
		return (NULL);
	line[n] = '\0';
	return (line);
}

static void
capture_end(int fds[2])
{
	log_init(LOG_LEVEL_INFO, 2);
	close(fds[0]);
	close(fds[1]);
}

/* 'line' is one JSON object on one line; returns it (caller decrefs). */
static json_t *
log_object(const char *line, const char *level)
{
	json_error_t	 je;
	json_t		*v;
	const char	*t;
	int64_t		 us;
	size_t		 len;

	ck_assert_ptr_nonnull(line);
	len = strlen(line);
	ck_assert_uint_gt(len, 1);
	ck_assert_msg(line[len - 1] == '\n', "no newline: %s", line);
	ck_assert_msg(strchr(line, '\n') == line + len - 1,
	    "more than one line: %s", line);
	v = json_loadb(line, len - 1, JSON_REJECT_DUPLICATES, &je);
	ck_assert_msg(v != NULL, "not JSON (%s): %s", je.text, line);
	ck_assert(json_is_object(v));
	ck_assert(json_is_string(json_object_get(v, "time")));
	t = json_string_value(json_object_get(v, "time"));
	ck_assert_msg(t[strlen(t) - 1] == 'Z', "time %s", t);
	ck_assert_msg(clock_parse(t, &us) == 0, "time %s", t);
	ck_assert_str_eq(json_string_value(json_object_get(v, "level")),
	    level);
	return (v);
}

/* buf */

START_TEST(test_buf_init_empty)
{
	struct buf	 b;

	buf_init(&b);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	buf_reset(&b);
	ck_assert_str_eq(b.data, "");
	buf_add(&b, "x", 0);
	ck_assert_uint_eq(b.len, 0);
	buf_cleanup(&b);
	ck_assert_ptr_nonnull(b.data);
	ck_assert_uint_eq(b.len, 0);
	buf_cleanup(&b);		/* twice is harmless */
}
END_TEST

START_TEST(test_buf_growth)
{
	struct buf	 b;
	size_t		 i, cap;

	buf_init(&b);
	for (i = 0; i < 100000; i++) {
		buf_addc(&b, (char)('a' + i % 26));
		ck_assert_uint_eq(b.len, i + 1);
		ck_assert_uint_gt(b.cap, b.len);
		ck_assert_int_eq(b.data[b.len], '\0');
	}
	for (i = 0; i < 100000; i++)
		ck_assert_int_eq(b.data[i], 'a' + (int)(i % 26));
	/* Bytes, NUL included, go in as they are. */
	buf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	buf_add(&b, "a\0b", 3);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_int_eq(memcmp(b.data, "a\0b", 4), 0);
	buf_adds(&b, "cd");
	ck_assert_uint_eq(b.len, 5);
	ck_assert_int_eq(memcmp(b.data, "a\0bcd", 6), 0);
	/* buf_grow reserves without changing the contents. */
	buf_grow(&b, 1 << 20);
	cap = b.cap;
	ck_assert_uint_ge(cap, b.len + (1 << 20) + 1);
	ck_assert_uint_eq(b.len, 5);
	for (i = 0; i < (1 << 20); i++)
		buf_addc(&b, 'z');
	ck_assert_uint_eq(b.cap, cap);
	buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_addf)
{
	struct buf	 b;
	char		 want[600];

	buf_init(&b);
	buf_addf(&b, "%s", "");
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	buf_addf(&b, "%d-%s", 42, "x");
	ck_assert_str_eq(b.data, "42-x");
	buf_addf(&b, "/%zu", (size_t)7);
	ck_assert_str_eq(b.data, "42-x/7");
	ck_assert_uint_eq(b.len, 6);
	/* Longer than the first allocation. */
	buf_addf(&b, "%0500d", 1);
	ck_assert_uint_eq(b.len, 506);
	snprintf(want, sizeof(want), "42-x/7%0500d", 1);
	ck_assert_str_eq(b.data, want);
	buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_json_str)
{
	struct buf	 b;
	json_t		*v;
	char		 all[128];
	int		 i;

	buf_init(&b);
	buf_add_json_str(&b, "plain");
	ck_assert_str_eq(b.data, "\"plain\"");
	buf_reset(&b);
	buf_add_json_str(&b, "");
	ck_assert_str_eq(b.data, "\"\"");
	buf_reset(&b);
	buf_add_json_str(&b, "a\"b\\c\nd\re\tf\x01g\x1fh\x7fi");
	ck_assert_str_eq(b.data,
	    "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh\\u007fi\"");
	buf_reset(&b);
	/* UTF-8 is copied. */
	buf_add_json_str(&b, "Montgen\xc3\xa8vre \xe2\x82\xac");
	ck_assert_str_eq(b.data, "\"Montgen\xc3\xa8vre \xe2\x82\xac\"");
	buf_reset(&b);
	/* Every ASCII byte survives a round trip through a JSON parser. */
	for (i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	all[127] = '\0';
	buf_add_json_str(&b, all);
	ck_assert_ptr_null(memchr(b.data, '\n', b.len));
	v = json_loads(b.data, JSON_DECODE_ANY, NULL);
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(json_string_value(v), all);
	json_decref(v);
	/* Appends to what is there. */
	buf_reset(&b);
	buf_adds(&b, "{\"k\":");
	buf_add_json_str(&b, "v");
	buf_addc(&b, '}');
	ck_assert_str_eq(b.data, "{\"k\":\"v\"}");
	buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_real)
{
	struct buf	 b;
	json_t		*v;

	buf_init(&b);
	buf_adds(&b, "[");
	buf_add_real(&b, "45");
	buf_adds(&b, ",");
	buf_add_real(&b, "-6.7219");
	buf_adds(&b, ",");
	buf_add_real(&b, "1e-07");
	buf_adds(&b, "]");
	ck_assert_str_eq(b.data, "[45.0,-6.7219,1e-07]");
	/* Each reads back as a real. */
	v = json_loads(b.data, 0, NULL);
	ck_assert(json_is_real(json_array_get(v, 0)));
	ck_assert(json_is_real(json_array_get(v, 1)));
	ck_assert(json_is_real(json_array_get(v, 2)));
	json_decref(v);
	buf_cleanup(&b);
}
END_TEST

START_TEST(test_buf_detach)
{
	struct buf	 b;
	char		*p;
	size_t		 len;

	buf_init(&b);
	buf_adds(&b, "hello");
	p = buf_detach(&b, &len);
	ck_assert_str_eq(p, "hello");
	ck_assert_uint_eq(len, 5);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	/* The buffer is reusable and no longer shares the storage. */
	buf_adds(&b, "again");
	ck_assert_str_eq(b.data, "again");
	ck_assert_str_eq(p, "hello");
	free(p);
	p = buf_detach(&b, NULL);
	ck_assert_str_eq(p, "again");
	free(p);
	/* An untouched buffer detaches to a string the caller can free. */
	p = buf_detach(&b, &len);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, "");
	ck_assert_uint_eq(len, 0);
	free(p);
	buf_cleanup(&b);
}
END_TEST

/* clock */

START_TEST(test_clock_parse_forms)
{
	static const struct {
		const char	*text;
		int64_t		 us;
	} forms[] = {
		{ "2026-12-20T08:30:00Z", T_2026_12_20 },
		{ "2026-12-20T09:30:00+01:00", T_2026_12_20 },
		{ "2026-12-20T03:00:00-05:30", T_2026_12_20 },
		{ "2026-12-20T08:30:00+00:00", T_2026_12_20 },
		{ "2026-12-20T08:30:00.5Z", T_2026_12_20 + 500000 },
		{ "2026-12-20T08:30:00.000001Z", T_2026_12_20 + 1 },
		{ "2026-12-20T08:30:00.123456789Z", T_2026_12_20 + 123456 },
		{ "2026-12-20T09:30:00.25+01:00", T_2026_12_20 + 250000 },
		{ "2028-02-29T12:00:00Z", INT64_C(1835438400) * SEC },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1969-12-31T23:59:59Z", -SEC },
	};
	int64_t	 t;
	size_t	 i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		ck_assert_msg(clock_parse(forms[i].text, &t) == 0, "%s",
		    forms[i].text);
		ck_assert_msg(t == forms[i].us, "%s: %lld", forms[i].text,
		    (long long)t);
	}
}
END_TEST

START_TEST(test_clock_parse_refused)
{
	static const char *const bad[] = {
		"", "now", "2026-12-20", "2026-12-20T08:30:00",
		"2026-12-20 08:30:00Z", "2026-12-20T08:30Z",
		"2026-02-29T08:30:00Z", "1900-02-29T00:00:00Z",
		"2026-04-31T08:30:00Z", "2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z", "2026-12-00T00:00:00Z",
		"2026-12-20T24:00:00Z", "2026-12-20T08:60:00Z",
		"2026-12-20T08:30:60Z", "2026-12-20T08:30:00+0100",
		"2026-12-20T08:30:00+01", "2026-12-20T08:30:00+24:00",
		"2026-12-20T08:30:00.Z", "2026-12-20T08:30:00Zjunk",
		"2026-12-20T08:30:00Z ", " 2026-12-20T08:30:00Z",
		"2026-1-20T08:30:00Z", "26-12-20T08:30:00Z",
		"2026-12-20T8:30:00Z", "2026/12/20T08:30:00Z",
		"2026-12-20T08:30:00+01:00Z", NULL
	};
	int64_t	 t;
	size_t	 i;

	for (i = 0; bad[i] != NULL; i++) {
		t = 12345;
		ck_assert_msg(clock_parse(bad[i], &t) == -1, "accepted '%s'",
		    bad[i]);
	}
}
END_TEST

/* Every day of years 1 to 9999 (every 7th): the calendar of timegm(3). */
START_TEST(test_clock_parse_calendar)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	struct tm	 tm;
	char		 s[40];
	int64_t		 t;
	int		 y, m, d, n;

	for (y = 1; y <= 9999; y += 7)
		for (m = 1; m <= 12; m++) {
			n = mdays[m - 1] + (m == 2 && ((y % 4 == 0 &&
			    y % 100 != 0) || y % 400 == 0));
			for (d = 1; d <= n; d++) {
				snprintf(s, sizeof(s),
				    "%04d-%02d-%02dT23:59:58+01:30", y, m, d);
				ck_assert_int_eq(clock_parse(s, &t), 0);
				memset(&tm, 0, sizeof(tm));
				tm.tm_year = y - 1900;
				tm.tm_mon = m - 1;
				tm.tm_mday = d;
				tm.tm_hour = 23;
				tm.tm_min = 59;
				tm.tm_sec = 58;
				ck_assert_msg(t == ((int64_t)timegm(&tm) -
				    5400) * 1000000, "%s", s);
			}
		}
}
END_TEST

START_TEST(test_clock_format_round_trip)
{
	static const int64_t times[] = {
		0, 1, -1, T_2026_12_20, T_2026_12_20 + 500000,
		T_2026_12_20 + 999999, INT64_C(1835438400) * SEC + 123456,
		-DAY - 1, INT64_C(4102444799) * SEC,	/* 2099-12-31T23:59:59 */
	};
	char	 out[32];
	int64_t	 t;
	size_t	 i;

	clock_format(T_2026_12_20, out, sizeof(out));
	ck_assert_str_eq(out, "2026-12-20T08:30:00Z");
	clock_format(T_2026_12_20 + 500000, out, sizeof(out));
	ck_assert_str_eq(out, "2026-12-20T08:30:00.500000Z");
	clock_format(0, out, sizeof(out));
	ck_assert_str_eq(out, "1970-01-01T00:00:00Z");
	clock_format(-1, out, sizeof(out));
	ck_assert_str_eq(out, "1969-12-31T23:59:59.999999Z");
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		clock_format(times[i], out, sizeof(out));
		ck_assert_msg(clock_parse(out, &t) == 0, "refused %s", out);
		ck_assert_msg(t == times[i], "%s: %lld != %lld", out,
		    (long long)t, (long long)times[i]);
	}
}
END_TEST

START_TEST(test_clock_configure_frozen)
{
	int64_t	 a, b;

	ck_assert_int_eq(clock_configure("2026-12-20T08:30:00Z"), 0);
	a = clock_now();
	usleep(20000);
	b = clock_now();
	ck_assert_int_eq(a, T_2026_12_20);
	ck_assert_int_eq(b, T_2026_12_20);
	ck_assert_int_eq(clock_configure("2026-12-20T09:30:00.5+01:00"), 0);
	ck_assert_int_eq(clock_now(), T_2026_12_20 + 500000);
	/* The monotonic clock is not frozen. */
	a = clock_mono();
	usleep(20000);
	b = clock_mono();
	ck_assert_int_ge(b - a, 15000);
	ck_assert_int_eq(clock_configure("system"), 0);
}
END_TEST

static int64_t
system_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * SEC + ts.tv_nsec / 1000);
}

START_TEST(test_clock_configure_offset)
{
	int64_t	 d;

	ck_assert_int_eq(clock_configure("+30d"), 0);
	d = clock_now() - system_us();
	ck_assert_int_ge(d, 30 * DAY - 5 * SEC);
	ck_assert_int_le(d, 30 * DAY + 5 * SEC);
	ck_assert_int_eq(clock_configure("-3600s"), 0);
	d = clock_now() - system_us();
	ck_assert_int_ge(d, -3600 * SEC - 5 * SEC);
	ck_assert_int_le(d, -3600 * SEC + 5 * SEC);
	ck_assert_int_eq(clock_configure("-2d"), 0);
	d = clock_now() - system_us();
	ck_assert_int_ge(d, -2 * DAY - 5 * SEC);
	ck_assert_int_le(d, -2 * DAY + 5 * SEC);
	/* A shifted clock still moves. */
	ck_assert_int_eq(clock_configure("+1d"), 0);
	d = clock_now();
	usleep(20000);
	ck_assert_int_gt(clock_now(), d);
	ck_assert_int_eq(clock_configure("system"), 0);
}
END_TEST

START_TEST(test_clock_configure_system)
{
	int64_t	 d;

	ck_assert_int_eq(clock_configure("2000-01-01T00:00:00Z"), 0);
	ck_assert_int_eq(clock_configure("system"), 0);
	d = clock_now() - system_us();
	ck_assert_int_ge(d, -5 * SEC);
	ck_assert_int_le(d, 5 * SEC);
}
END_TEST

START_TEST(test_clock_configure_bad)
{
	static const char *const bad[] = {
		"", "System", "now", "30d", "+30", "+30h", "+d", "+ 30d",
		"+30 d", "+30dd", "+-30d", "+3.5d", "--30d", "+30D",
		"2026-02-30T00:00:00Z", "2026-12-20", "tomorrow", NULL
	};
	size_t	 i;

	ck_assert_int_eq(clock_configure("2026-12-20T08:30:00Z"), 0);
	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_msg(clock_configure(bad[i]) == -1, "accepted '%s'",
		    bad[i]);
		/* A refused setting leaves the clock as it was. */
		ck_assert_int_eq(clock_now(), T_2026_12_20);
	}
	ck_assert_int_eq(clock_configure("system"), 0);
}
END_TEST

/*
 * An offset too large for the microsecond clock must be refused, not
 * wrapped around (signed overflow).
 */
START_TEST(test_clock_configure_offset_overflow)
{
	ck_assert_int_eq(clock_configure("2026-12-20T08:30:00Z"), 0);
	ck_assert_int_eq(clock_configure("+99999999999999999999999d"), -1);
	ck_assert_int_eq(clock_configure("+200000000d"), -1);
	ck_assert_int_eq(clock_configure("-200000000d"), -1);
	ck_assert_int_eq(clock_configure("+99999999999999s"), -1);
	ck_assert_int_eq(clock_now(), T_2026_12_20);
	ck_assert_int_eq(clock_configure("+36500d"), 0);
	ck_assert_int_eq(clock_configure("system"), 0);
}
END_TEST

/* conf */

static const char *const all_keys[] = {
	"listen_address", "port", "database", "database_role", "threads",
	"connection_limit",
	"per_ip_connection_limit", "connection_timeout",
	"connection_memory_limit", "live_limit", "live_heartbeat",
	"header_timeout",
	"header_connection_limit", "body_max", "upload_max", "upload_memory",
	"json_max_depth",
	"statement_timeout", "db_connect_timeout", "shutdown_timeout",
	"jwt_key_file", "log_level", "public_url", "clock", "sql_dir",
	"templates_dir", "static_dir", "slow_threads", "slow_queue",
	"slow_queue_per_address", "list_threads", "list_queue",
	"list_queue_per_address", "trusted_proxy",
	"password_memory_kib", "password_iterations", "password_parallelism",
	"clamd_socket", "clamd_scan_interval",
	"smtp_url", "smtp_starttls", "smtp_user", "smtp_password_file",
	"smtp_timeout", "mail_from", "mail_batch", "mail_max_attempts",
	"mail_retry_base", "mail_retry_max",
	"case_draft_days", "shuttles_department",
	"open311_jurisdiction", NULL
};

/* shuttles_department is a department's code, nothing else. */
START_TEST(test_conf_department)
{
	static const char *const bad[] = { "", "x", "Mairie", "1mairie",
	    "mairie-ville", "mairie;drop", "_mairie",
	    "a2345678901234567890123456789012345678901", NULL };
	struct conf		 c;
	struct conf_error	 e;
	size_t			 i;

	conf_init(&c);
	ck_assert_str_eq(c.shuttles_department, "services_techniques");
	for (i = 0; bad[i] != NULL; i++)
		ck_assert_msg(conf_set(&c, "shuttles_department", bad[i], "test",
		    &e) == -1, "accepted '%s'", bad[i]);
	/* The message says what a code is (not another key's hint). */
	ck_assert_msg(strstr(e.msg, "department's code") != NULL, "%s", e.msg);
	ck_assert_int_eq(conf_set(&c, "shuttles_department", "mairie", "test",
	    &e), 0);
	ck_assert_str_eq(c.shuttles_department, "mairie");
	conf_cleanup(&c);
}
END_TEST

START_TEST(test_conf_defaults)
{
	struct conf	 c;

	conf_init(&c);
	ck_assert_str_eq(c.listen_address, "127.0.0.1");
	ck_assert_int_eq(c.port, 8080);
	ck_assert_str_eq(c.database, "dbname=guichet");
	ck_assert_int_eq(c.json_max_depth, 32);
	ck_assert_int_eq(c.body_max, 1048576);
	ck_assert_str_eq(c.log_level, "info");
	ck_assert_str_eq(c.clock, "system");
	ck_assert_str_eq(c.public_url, "http://127.0.0.1:8080");
	ck_assert_ptr_nonnull(c.jwt_key_file);
	ck_assert_ptr_nonnull(c.sql_dir);
	ck_assert_ptr_nonnull(c.templates_dir);
	ck_assert_ptr_nonnull(c.static_dir);
	conf_value(&c, "port", "8080");
	conf_value(&c, "listen_address", "127.0.0.1");
	conf_value(&c, "no_such_key", "");
	conf_cleanup(&c);
}
END_TEST

START_TEST(test_conf_keys)
{
	struct conf_key_info	 ki;
	struct conf		 c;
	char			 got[1024];
	size_t			 i, j, n;

	n = conf_nkeys();
	for (i = 0; all_keys[i] != NULL; i++)
		;
	ck_assert_uint_eq(n, i);
	conf_init(&c);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(conf_key(i, &ki), 0);
		ck_assert_ptr_nonnull(ki.key);
		ck_assert(conf_is_key(ki.key));
		ck_assert_msg(strcmp(ki.type, "string") == 0 ||
		    strcmp(ki.type, "integer") == 0, "%s: type %s", ki.key,
		    ki.type);
		ck_assert_msg(ki.help != NULL && ki.help[0] != '\0',
		    "%s: no help", ki.key);
		ck_assert_ptr_nonnull(ki.dflt);
		/* The default is what a fresh configuration holds. */
		conf_get(&c, ki.key, got, sizeof(got));
		ck_assert_msg(strcmp(got, ki.dflt) == 0, "%s: '%s' != '%s'",
		    ki.key, got, ki.dflt);
		/* Every documented key is in the table, once. */
		for (j = 0; all_keys[j] != NULL; j++)
			if (strcmp(all_keys[j], ki.key) == 0)
				break;
		ck_assert_msg(all_keys[j] != NULL, "unexpected key %s",
		    ki.key);
		for (j = 0; j < i; j++) {
			struct conf_key_info	 prev;

			ck_assert_int_eq(conf_key(j, &prev), 0);
			ck_assert_str_ne(prev.key, ki.key);
		}
	}
	ck_assert_int_eq(conf_key(n, &ki), -1);
	ck_assert_int_eq(conf_key(n + 100, &ki), -1);
	for (i = 0; all_keys[i] != NULL; i++)
		ck_assert_msg(conf_is_key(all_keys[i]), "%s missing",
		    all_keys[i]);
	ck_assert(!conf_is_key("prot"));
	ck_assert(!conf_is_key("PORT"));
	ck_assert(!conf_is_key("sql-dir"));
	ck_assert(!conf_is_key(""));
	conf_cleanup(&c);
}
END_TEST

START_TEST(test_conf_file)
{
	struct conf		 c;
	struct conf_error	 err;
	char			 path[512];

	conf_init(&c);
	ck_assert_int_eq(load_text(&c,
	    "# guichet test configuration\n"
	    "\n"
	    "   \t\n"
	    "   port = 8081\n"
	    "listen_address=0.0.0.0\n"
	    "\t# an indented comment\n"
	    "database = \"host=/tmp dbname=x\"   \n"
	    "public_url = https://mairie.example.fr # trailing comment\n"
	    "jwt_key_file = \"  spaced  \"\n"
	    "static_dir = \"/srv/#static\"\n"
	    "templates_dir = /srv/tpl#1\n"
	    "log_level = debug\n"
	    "json_max_depth = 8\n"
	    "clock = +30d\n"
	    "threads = 0\n",
	    path, sizeof(path), &err), 0);
	ck_assert_int_eq(c.port, 8081);
	ck_assert_str_eq(c.listen_address, "0.0.0.0");
	ck_assert_str_eq(c.database, "host=/tmp dbname=x");
	ck_assert_str_eq(c.public_url, "https://mairie.example.fr");
	ck_assert_str_eq(c.jwt_key_file, "  spaced  ");
	ck_assert_str_eq(c.static_dir, "/srv/#static");
	ck_assert_str_eq(c.templates_dir, "/srv/tpl#1");
	ck_assert_str_eq(c.log_level, "debug");
	ck_assert_int_eq(c.json_max_depth, 8);
	ck_assert_str_eq(c.clock, "+30d");
	ck_assert_int_eq(c.threads, 0);
	/* Untouched keys keep their defaults. */
	ck_assert_int_eq(c.body_max, 1048576);
	conf_cleanup(&c);

	/* An empty file is fine. */
	conf_init(&c);
	ck_assert_int_eq(load_text(&c, "", path, sizeof(path), &err), 0);
	ck_assert_int_eq(c.port, 8080);
	conf_cleanup(&c);
}
END_TEST

/* A quoted value may be followed by a comment, like any other value. */
START_TEST(test_conf_file_quoted_then_comment)
{
	struct conf		 c;
	struct conf_error	 err;
	char			 path[512];

	conf_init(&c);
	ck_assert_int_eq(load_text(&c,
	    "database = \"host=/tmp dbname=x\" # the test cluster\n",
	    path, sizeof(path), &err), 0);
	ck_assert_str_eq(c.database, "host=/tmp dbname=x");
	conf_cleanup(&c);
}
END_TEST

START_TEST(test_conf_file_errors)
{
	struct conf		 c;
	struct conf_error	 err;

	conf_file_refused("# comment\n\nprot = 8080\n", "3", "'prot'");
	conf_file_refused("port = 8081\nPort = 8082\n", "2", "Port");
	conf_file_refused("port = 70000\n", "1", "port");
	conf_file_refused("port = 70000\n", "1", "70000");
	conf_file_refused("port = 0\n", "1", "port");
	conf_file_refused("port = 80x\n", "1", "port");
	conf_file_refused("port = \n", "1", "port");
	conf_file_refused("port = 8 0\n", "1", "port");
	conf_file_refused("threads = -1\n", "1", "threads");
	conf_file_refused("json_max_depth = 1001\n", "1", "json_max_depth");
	conf_file_refused("port = 99999999999999999999\n", "1", "port");
	conf_file_refused("\n\nlog_level = verbose\n", "3", "log_level");
	conf_file_refused("public_url = ftp://x.fr\n", "1", "public_url");
	conf_file_refused("public_url = http://x.fr/\n", "1", "public_url");
	conf_file_refused("clock = tomorrow\n", "1", "clock");
	conf_file_refused("clock = 2026-02-30T00:00:00Z\n", "1", "clock");
	conf_file_refused("database = \n", "1", "database");
	conf_file_refused("just some words\n", "1", NULL);
	conf_file_refused("= 8080\n", "1", NULL);

	/* A missing file is an error only when required. */
	conf_init(&c);
	ck_assert_int_eq(conf_load_file(&c, "/nonexistent/guichet.conf", 0,
	    &err), 0);
	ck_assert_int_eq(conf_load_file(&c, "/nonexistent/guichet.conf", 1,
	    &err), -1);
	ck_assert_msg(strstr(err.msg, "/nonexistent/guichet.conf") != NULL,
	    "%s", err.msg);
	conf_cleanup(&c);
}
END_TEST

START_TEST(test_conf_env)
{
	static char	 e_path[] = "PATH=/usr/bin";
	static char	 e_port[] = "GUICHET_PORT=9090";
	static char	 e_sql[] = "GUICHET_SQL_DIR=/opt/sql";
	static char	 e_config[] = "GUICHET_CONFIG=/nonexistent.conf";
	static char	 e_test[] = "GUICHET_TEST_DATABASE=host=/tmp";
	static char	 e_test2[] = "GUICHET_TEST_PG_STOP=pg_ctl stop";
	static char	 e_other[] = "GUICHETX=1";
	static char	*env[] = { e_path, e_port, e_config, e_test, e_sql,
	    e_test2, e_other, NULL };
	static char	 e_bad[] = "GUICHET_PORT=abc";
	static char	*env_bad[] = { e_bad, NULL };
	static char	 e_unknown[] = "GUICHET_PROT=8080";
	static char	*env_unknown[] = { e_unknown, NULL };
	struct conf		 c;
	struct conf_error	 err;
	char			 path[512];

	conf_init(&c);
	ck_assert_int_eq(load_text(&c, "port = 8081\nthreads = 3\n", path,
	    sizeof(path), &err), 0);
	ck_assert_int_eq(c.port, 8081);
	ck_assert_int_eq(conf_load_env(&c, env, &err), 0);
	ck_assert_int_eq(c.port, 9090);		/* env over file */
	ck_assert_int_eq(c.threads, 3);		/* file kept otherwise */
	ck_assert_str_eq(c.sql_dir, "/opt/sql");
	ck_assert_str_eq(c.database, "dbname=guichet");
	/* A flag (conf_set) comes last and wins. */
	ck_assert_int_eq(conf_set(&c, "port", "1234", "--port", &err), 0);
	ck_assert_int_eq(c.port, 1234);
	ck_assert_int_eq(conf_set(&c, "sql_dir", "/a", "--sql-dir", &err), 0);
	ck_assert_int_eq(conf_set(&c, "sql_dir", "/b", "--sql-dir", &err), 0);
	ck_assert_str_eq(c.sql_dir, "/b");
	conf_value(&c, "sql_dir", "/b");
	conf_value(&c, "port", "1234");

	/* Errors name their origin. */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(conf_load_env(&c, env_bad, &err), -1);
	ck_assert_msg(strstr(err.msg, "GUICHET_PORT") != NULL, "%s", err.msg);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(conf_load_env(&c, env_unknown, &err), -1);
	ck_assert_msg(strstr(err.msg, "GUICHET_PROT") != NULL, "%s", err.msg);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(conf_set(&c, "port", "0", "--port", &err), -1);
	ck_assert_msg(strstr(err.msg, "--port") != NULL, "%s", err.msg);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(conf_set(&c, "prot", "1", "--prot", &err), -1);
	ck_assert_msg(strstr(err.msg, "prot") != NULL, "%s", err.msg);
	/* A refused value leaves the previous one. */
	ck_assert_int_eq(c.port, 1234);
	ck_assert_int_eq(conf_set(&c, "log_level", "loud", "--log-level",
	    &err), -1);
	ck_assert_str_eq(c.log_level, "info");
	/* A NULL error is allowed. */
	ck_assert_int_eq(conf_set(&c, "port", "x", "--port", NULL), -1);
	conf_cleanup(&c);
}
END_TEST

START_TEST(test_conf_bounds)
{
	struct conf		 c;
	struct conf_error	 err;

	conf_init(&c);
	ck_assert_int_eq(conf_set(&c, "port", "1", "t", &err), 0);
	ck_assert_int_eq(conf_set(&c, "port", "65535", "t", &err), 0);
	ck_assert_int_eq(conf_set(&c, "port", "65536", "t", &err), -1);
	ck_assert_msg(strstr(err.msg, "65535") != NULL, "%s", err.msg);
	ck_assert_int_eq(conf_set(&c, "port", " 80", "t", &err), -1);
	ck_assert_int_eq(conf_set(&c, "port", "", "t", &err), -1);
	ck_assert_int_eq(conf_set(&c, "json_max_depth", "1", "t", &err), 0);
	ck_assert_int_eq(conf_set(&c, "json_max_depth", "0", "t", &err), -1);
	ck_assert_int_eq(conf_set(&c, "public_url", "https://x.fr:8443", "t",
	    &err), 0);
	ck_assert_int_eq(conf_set(&c, "public_url", "https://x .fr", "t",
	    &err), -1);
	ck_assert_int_eq(conf_set(&c, "public_url", "x.fr", "t", &err), -1);
	ck_assert_int_eq(conf_set(&c, "clock", "2026-12-20T08:30:00Z", "t",
	    &err), 0);
	ck_assert_int_eq(conf_set(&c, "clock", "-3600s", "t", &err), 0);
	ck_assert_int_eq(conf_set(&c, "clock", "system", "t", &err), 0);
	ck_assert_int_eq(conf_set(&c, "clock", "+30h", "t", &err), -1);
	ck_assert_int_eq(conf_set(&c, "log_level", "warn", "t", &err), 0);
	ck_assert_int_eq(conf_set(&c, "log_level", "WARN", "t", &err), -1);
	ck_assert_int_eq(conf_set(&c, "listen_address", "", "t", &err), -1);
	conf_cleanup(&c);
}
END_TEST

/*
 * Whatever the conf file accepts for "clock", clock_configure() must take:
 * the setting is checked when read, not when guichetd starts using it.
 */
START_TEST(test_conf_clock_agrees_with_clock)
{
	static const char *const values[] = {
		"system", "+30d", "-3600s", "2026-12-20T08:30:00Z",
		"+99999999999999999999999d", "+200000000d", "tomorrow", "+30h",
		NULL
	};
	struct conf		 c;
	struct conf_error	 err;
	size_t			 i;
	int			 a, b;

	conf_init(&c);
	for (i = 0; values[i] != NULL; i++) {
		a = conf_set(&c, "clock", values[i], "t", &err);
		b = clock_configure(values[i]);
		ck_assert_msg(a == b, "'%s': conf says %d, clock says %d",
		    values[i], a, b);
	}
	clock_configure("system");
	conf_cleanup(&c);
}
END_TEST

/* log */

START_TEST(test_log_level_parse)
{
	static const struct {
		const char	*name;
		enum log_level	 level;
	} levels[] = {
		{ "debug", LOG_LEVEL_DEBUG }, { "info", LOG_LEVEL_INFO },
		{ "warn", LOG_LEVEL_WARN }, { "error", LOG_LEVEL_ERROR },
	};
	enum log_level	 l;
	size_t		 i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		ck_assert_int_eq(log_level_parse(levels[i].name, &l), 0);
		ck_assert_int_eq(l, levels[i].level);
	}
	l = LOG_LEVEL_WARN;
	ck_assert_int_eq(log_level_parse("DEBUG", &l), -1);
	ck_assert_int_eq(log_level_parse("", &l), -1);
	ck_assert_int_eq(log_level_parse("warning", &l), -1);
	ck_assert_int_eq(log_level_parse("fatal", &l), -1);
	ck_assert_int_eq(log_level_parse("info ", &l), -1);
	ck_assert_int_eq(l, LOG_LEVEL_WARN);
	for (l = LOG_LEVEL_DEBUG; l <= LOG_LEVEL_ERROR; l++) {
		enum log_level	 back;

		ck_assert_int_eq(log_level_parse(log_level_name(l), &back), 0);
		ck_assert_int_eq(back, l);
	}
	log_init(LOG_LEVEL_ERROR, 2);
	ck_assert_int_eq(log_get_level(), LOG_LEVEL_ERROR);
	log_init(LOG_LEVEL_INFO, 2);
	ck_assert_int_eq(log_get_level(), LOG_LEVEL_INFO);
}
END_TEST

START_TEST(test_log_line_json)
{
	int	 fds[2];
	json_t	*v;
	char	*line;

	capture_begin(fds);
	log_init(LOG_LEVEL_INFO, fds[1]);
	log_info("started on port %d", 8080);
	line = capture_read(fds);
	v = log_object(line, "info");
	ck_assert_str_eq(json_string_value(json_object_get(v, "msg")),
	    "started on port 8080");
	/* "time" carries microseconds. */
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(v,
	    "time"))), strlen("2026-12-20T08:30:00.000000Z"));
	json_decref(v);
	capture_end(fds);
}
END_TEST

START_TEST(test_log_line_escapes)
{
	const char	*tricky = "two\nlines \"quoted\" back\\slash\ttab\r\x01";
	int		 fds[2];
	json_t		*v;
	char		*line;

	capture_begin(fds);
	log_init(LOG_LEVEL_DEBUG, fds[1]);
	log_warnx("%s", tricky);
	line = capture_read(fds);
	v = log_object(line, "warn");
	ck_assert_str_eq(json_string_value(json_object_get(v, "msg")), tricky);
	json_decref(v);
	/* A format string's own newline does not split the line either. */
	log_debug("a\nb %s", "c\"d");
	line = capture_read(fds);
	v = log_object(line, "debug");
	ck_assert_str_eq(json_string_value(json_object_get(v, "msg")),
	    "a\nb c\"d");
	json_decref(v);
	capture_end(fds);
}
END_TEST

START_TEST(test_log_levels_filter)
{
	int	 fds[2];
	json_t	*v;

	capture_begin(fds);
	log_init(LOG_LEVEL_WARN, fds[1]);
	log_info("hidden");
	log_debug("hidden");
	ck_assert_ptr_null(capture_read(fds));
	log_warnx("shown");
	v = log_object(capture_read(fds), "warn");
	ck_assert_str_eq(json_string_value(json_object_get(v, "msg")),
	    "shown");
	json_decref(v);
	log_init(LOG_LEVEL_INFO, fds[1]);
	log_debug("hidden");
	ck_assert_ptr_null(capture_read(fds));
	log_info("%s", "");
	v = log_object(capture_read(fds), "info");
	ck_assert_str_eq(json_string_value(json_object_get(v, "msg")), "");
	json_decref(v);
	capture_end(fds);
}
END_TEST

START_TEST(test_log_warn_errno)
{
	int	 fds[2];
	json_t	*v;
	char	 want[256];

	capture_begin(fds);
	log_init(LOG_LEVEL_INFO, fds[1]);
	errno = ENOENT;
	log_warn("open %s", "x.conf");
	ck_assert_int_eq(errno, ENOENT);	/* preserved */
	v = log_object(capture_read(fds), "warn");
	snprintf(want, sizeof(want), "open x.conf: %s", strerror(ENOENT));
	ck_assert_str_eq(json_string_value(json_object_get(v, "msg")), want);
	json_decref(v);
	errno = ENOENT;
	log_warnx("no errno");
	v = log_object(capture_read(fds), "warn");
	ck_assert_str_eq(json_string_value(json_object_get(v, "msg")),
	    "no errno");
	json_decref(v);
	capture_end(fds);
}
END_TEST

START_TEST(test_log_line_custom)
{
	struct buf	 b;
	int		 fds[2];
	json_t		*v;

	capture_begin(fds);
	log_init(LOG_LEVEL_INFO, fds[1]);
	buf_init(&b);
	log_line_begin(&b, "access");
	buf_adds(&b, ",\"status\":200,\"path\":");
	buf_add_json_str(&b, "/api/v1/\"x\"\n");
	log_line_end(&b);
	buf_cleanup(&b);
	v = log_object(capture_read(fds), "access");
	ck_assert_int_eq(json_integer_value(json_object_get(v, "status")),
	    200);
	ck_assert_str_eq(json_string_value(json_object_get(v, "path")),
	    "/api/v1/\"x\"\n");
	json_decref(v);
	capture_end(fds);
}
END_TEST

/* fatalx() ends the process with status 1 (a child of the test's). */
START_TEST(test_log_fatalx_exits)
{
	pid_t	 pid;
	int	 fd, st;

	ck_assert_int_ne(fd = open("/dev/null", O_WRONLY), -1);
	ck_assert_int_ne(pid = fork(), -1);
	if (pid == 0) {
		log_init(LOG_LEVEL_ERROR, fd);
		fatalx("expected exit from a test");
		_exit(0);
	}
	close(fd);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1,
	    "fatalx: wait status %d, expected exit status 1", st);
}
END_TEST

/* b64 and random. */

/* RFC 4648 section 10, and the two characters where the alphabets differ. */
static const struct {
	const char	*in;
	size_t		 len;
	const char	*b64;
	const char	*b64url;
	const char	*hex;
} b64_vectors[] = {
	{ .in = "", .len = 0, .b64 = "", .b64url = "", .hex = "" },
	{ .in = "f", .len = 1, .b64 = "Zg==", .b64url = "Zg", .hex = "66" },
	{ .in = "fo", .len = 2, .b64 = "Zm8=", .b64url = "Zm8",
	    .hex = "666f" },
	{ .in = "foo", .len = 3, .b64 = "Zm9v", .b64url = "Zm9v",
	    .hex = "666f6f" },
	{ .in = "foob", .len = 4, .b64 = "Zm9vYg==", .b64url = "Zm9vYg",
	    .hex = "666f6f62" },
	{ .in = "fooba", .len = 5, .b64 = "Zm9vYmE=", .b64url = "Zm9vYmE",
	    .hex = "666f6f6261" },
	{ .in = "foobar", .len = 6, .b64 = "Zm9vYmFy", .b64url = "Zm9vYmFy",
	    .hex = "666f6f626172" },
	{ .in = "\xfb\xff", .len = 2, .b64 = "+/8=", .b64url = "-_8",
	    .hex = "fbff" },
	{ .in = "\x00\x10\x83", .len = 3, .b64 = "ABCD", .b64url = "ABCD",
	    .hex = "001083" },
};

START_TEST(test_b64_vectors)
{
	char		 out[32], *s;
	unsigned char	 raw[16];
	size_t		 i, n;

	for (i = 0; i < sizeof(b64_vectors) / sizeof(b64_vectors[0]); i++) {
		n = b64_vectors[i].len;
		ck_assert_uint_eq(b64url_encode(b64_vectors[i].in, n, out),
		    B64URL_LEN(n));
		ck_assert_str_eq(out, b64_vectors[i].b64url);
		s = b64url_encode_new(b64_vectors[i].in, n);
		ck_assert_str_eq(s, b64_vectors[i].b64url);
		free(s);
		ck_assert_uint_eq(b64_encode(b64_vectors[i].in, n, out),
		    B64_LEN(n));
		ck_assert_str_eq(out, b64_vectors[i].b64);
		hex_encode(b64_vectors[i].in, n, out);
		ck_assert_str_eq(out, b64_vectors[i].hex);
		ck_assert_int_eq(b64url_decode(b64_vectors[i].b64url,
		    strlen(b64_vectors[i].b64url), raw, n), (ssize_t)n);
		ck_assert_mem_eq(raw, b64_vectors[i].in, n);
		ck_assert_int_eq(b64_decode(b64_vectors[i].b64,
		    strlen(b64_vectors[i].b64), raw, n), (ssize_t)n);
		ck_assert_mem_eq(raw, b64_vectors[i].in, n);
	}
}
END_TEST

/* One spelling per value: everything but the canonical form is refused. */
START_TEST(test_b64_strict)
{
	static const char *const bad_url[] = {
		"Zh",		/* "f" with a non-zero unused bit */
		"Zm9",		/* "fo" likewise */
		"Z",		/* a length no encoding has */
		"Zm9vY",
		"Zg==",		/* padding */
		"Zm9v+",	/* the standard alphabet */
		"+/8",
		"Zm 9v",
		"Zm9v\n",
	};
	static const char *const bad_std[] = {
		"Zg",		/* padding missing */
		"Zg=",
		"Zh==",
		"Zg===",
		"Z===",
		"Zg=A",
		"-_8=",		/* the url alphabet */
		"Zm9v\n",
	};
	unsigned char	 raw[16];
	size_t		 i;

	for (i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
		ck_assert_msg(b64url_decode(bad_url[i], strlen(bad_url[i]), raw,
		    sizeof(raw)) == -1, "%s", bad_url[i]);
	for (i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++)
		ck_assert_msg(b64_decode(bad_std[i], strlen(bad_std[i]), raw,
		    sizeof(raw)) == -1, "%s", bad_std[i]);
	/* No more than 'max' bytes. */
	ck_assert_int_eq(b64url_decode("Zm9vYmFy", 8, raw, 5), -1);
	ck_assert_int_eq(b64url_decode("Zm9vYmFy", 8, raw, 6), 6);
	ck_assert_int_eq(b64_decode("Zm9vYg==", 8, raw, 3), -1);
	/* An embedded NUL is outside the alphabet. */
	ck_assert_int_eq(b64url_decode("Zm\0v", 4, raw, sizeof(raw)), -1);
}
END_TEST

START_TEST(test_random_token)
{
	char		 a[RANDOM_TOKEN_LEN], b[RANDOM_TOKEN_LEN];
	unsigned char	 raw[32], zero[32];

	ck_assert_int_eq(random_token(a, sizeof(a)), 0);
	ck_assert_int_eq(random_token(b, sizeof(b)), 0);
	ck_assert_uint_eq(strlen(a), RANDOM_TOKEN_LEN - 1);
	ck_assert_int_eq(b64url_decode(a, strlen(a), raw, sizeof(raw)), 32);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(random_token(a, RANDOM_TOKEN_LEN - 1), -1);
	memset(zero, 0, sizeof(zero));
	memset(raw, 0, sizeof(raw));
	ck_assert_int_eq(random_fill(raw, sizeof(raw)), 0);
	ck_assert_mem_ne(raw, zero, sizeof(raw));
	ck_assert_int_eq(random_fill(raw, 0), 0);
}
END_TEST


/*
 * hash128(): the same bytes the same value; any change of one bit, of the
 * length (trailing zeros too) or of the order of 64-byte stripes and
 * 1 KiB blocks another; no two values alike among many inputs around the
 * stripe and block boundaries; and the input is read where it lies
 * (unaligned).
 */
static int
hash_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	unsigned char	 x[HASH128_LEN], y[HASH128_LEN];

	hash128(a, alen, x);
	hash128(b, blen, y);
	return (memcmp(x, y, sizeof(x)) == 0);
}

START_TEST(test_hash128)
{
	enum { N = 3000 };
	static unsigned char	 a[N + 1], b[N + 1], seen[400][HASH128_LEN];
	unsigned char		 h[HASH128_LEN], s[64];
	size_t			 i, k, n, lens[] = { 0, 1, 7, 8, 63, 64, 65, 127,
	    128, 1023, 1024, 1025, 2047, 2048, 2049, N };
	int			 bit, j, m = 0;

	for (i = 0; i < sizeof(a); i++)
		a[i] = (unsigned char)(i * 7 + (i >> 8) * 13 + 1);
	ck_assert(hash_eq(a, N, a, N));
	memcpy(b + 1, a, N);
	ck_assert(hash_eq(a, N, b + 1, N));
	/* One bit anywhere. */
	for (i = 0; i < N; i += 97)
		for (bit = 0; bit < 8; bit += 3) {
			memcpy(b, a, N);
			b[i] ^= (unsigned char)(1 << bit);
			ck_assert_msg(!hash_eq(a, N, b, N), "byte %zu bit %d",
			    i, bit);
		}
	/* The length: a prefix, a zero more. */
	memset(b, 0, sizeof(b));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]) - 1; i++) {
		ck_assert(!hash_eq(a, lens[i], a, lens[i] + 1));
		ck_assert(!hash_eq(b, lens[i], b, lens[i] + 1));
	}
	/* Two stripes swapped, two blocks swapped. */
	memcpy(b, a, N);
	memcpy(s, b, 64);
	memcpy(b, b + 64, 64);
	memcpy(b + 64, s, 64);
	ck_assert(!hash_eq(a, N, b, N));
	for (i = 0; i < 1024; i++) {
		b[i] = a[1024 + i];
		b[1024 + i] = a[i];
	}
	ck_assert(!hash_eq(a, 2048, b, 2048));
	/* All different. */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (k = 0; k < 24 && k < lens[i] && m < 400; k++) {
			/* distinct inputs: each length once, its middle byte
			 * changed k times */
			n = lens[i];
			memcpy(b, a, n);
			b[n / 2] ^= (unsigned char)k;
			hash128(b, n, h);
			for (j = 0; j < m; j++)
				ck_assert_msg(memcmp(seen[j], h, sizeof(h)) != 0,
				    "collision at %d", j);
			memcpy(seen[m++], h, sizeof(h));
		}
}
END_TEST

/*
 * seal/unseal: the round trip, a token that does not show its text, one
 * changed byte anywhere refused, another key's token refused, two seals
 * of one text different (a fresh nonce each).
 */
START_TEST(test_seal_round_trip_and_refusals)
{
	static const char	 text[] = "2026-12-20T08:30:00Z|resident@example.test";
	unsigned char		 k1[SEAL_KEY_LEN], k2[SEAL_KEY_LEN];
	unsigned char		 raw[256];
	char			*t, *t2, *p, *bad;
	ssize_t			 n, i;

	memset(k1, 0x11, sizeof(k1));
	memset(k2, 0x22, sizeof(k2));
	seal_set_key(k1);
	t = seal(text);
	ck_assert_ptr_nonnull(t);
	p = unseal(t);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, text);
	free(p);
	/* Opaque: neither the text nor its base64url is in the token. */
	ck_assert_ptr_null(strstr(t, "example"));
	n = b64url_decode(t, strlen(t), raw, sizeof(raw));
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_null(memmem(raw, (size_t)n, "example", 7));
	t2 = seal(text);
	ck_assert_str_ne(t, t2);
	free(t2);
	/* Each byte changed in turn: refused. */
	for (i = 0; i < n; i++) {
		raw[i] ^= 0x01;
		bad = b64url_encode_new(raw, (size_t)n);
		ck_assert_msg(unseal(bad) == NULL, "byte %zd changed: accepted",
		    i);
		free(bad);
		raw[i] ^= 0x01;
	}
	/* Cut short, or not base64url: refused. */
	ck_assert_ptr_null(unseal(""));
	ck_assert_ptr_null(unseal("not a token!"));
	bad = b64url_encode_new(raw, 20);
	ck_assert_ptr_null(unseal(bad));
	free(bad);
	/* Under another key: refused; back under the first, accepted. */
	seal_set_key(k2);
	ck_assert_ptr_null(unseal(t));
	seal_set_key(k1);
	p = unseal(t);
	ck_assert_ptr_nonnull(p);
	free(p);
	free(t);
}
END_TEST

static const TTest *const *const b64_tests[] = {
	&test_b64_vectors,
	&test_b64_strict,
	&test_random_token,
	&test_hash128,
	NULL
};

static const TTest *const *const seal_tests[] = {
	&test_seal_round_trip_and_refusals,
	NULL
};

static const TTest *const *const buf_tests[] = {
	&test_buf_init_empty,
	&test_buf_growth,
	&test_buf_addf,
	&test_buf_json_str,
	&test_buf_real,
	&test_buf_detach,
	NULL
};

static const TTest *const *const clock_tests[] = {
	&test_clock_parse_forms,
	&test_clock_parse_refused,
	&test_clock_parse_calendar,
	&test_clock_format_round_trip,
	&test_clock_configure_frozen,
	&test_clock_configure_offset,
	&test_clock_configure_system,
	&test_clock_configure_bad,
	&test_clock_configure_offset_overflow,
	NULL
};

static const TTest *const *const conf_tests[] = {
	&test_conf_defaults,
	&test_conf_keys,
	&test_conf_department,
	&test_conf_file,
	&test_conf_file_quoted_then_comment,
	&test_conf_file_errors,
	&test_conf_env,
	&test_conf_bounds,
	&test_conf_clock_agrees_with_clock,
	NULL
};

static const TTest *const *const log_tests[] = {
	&test_log_level_parse,
	&test_log_line_json,
	&test_log_line_escapes,
	&test_log_levels_filter,
	&test_log_warn_errno,
	&test_log_line_custom,
	&test_log_fatalx_exits,
	NULL
};

const struct test_group test_groups[] = {
	{ "b64", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, b64_tests },
	{ "buf", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, buf_tests },
	/* The calendar's half a million dates outlast 4 s on a loaded host. */
	{ "clock", 60, NULL, NULL, NULL, NULL, clock_tests },
	{ "conf", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, conf_tests },
	{ "log", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, log_tests },
	{ "seal", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, seal_tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
