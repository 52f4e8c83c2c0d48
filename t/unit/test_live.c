/*
 * test_live: the framing of the live stream's events (src/http/live.c,
 * live_frame()): the id, the event's name, one "data:" line per line of
 * the data whatever its line ends, the blank line that ends the event;
 * names that are not names and frames that do not fit are refused.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "http/live.h"
#include "unit.h"

START_TEST(test_frame)
{
	char	 b[256];
	size_t	 n;

	n = live_frame(b, sizeof(b), 42, "lift", "{\"id\":\"tc6\"}");
	ck_assert_str_eq(b, "id: 42\nevent: lift\ndata: {\"id\":\"tc6\"}\n\n");
	ck_assert_uint_eq(n, strlen(b));
	/* Each line of the data its own "data:" line: LF, CRLF, CR. */
	live_frame(b, sizeof(b), 7, "snow_report", "a\nb\r\nc\rd");
	ck_assert_str_eq(b, "id: 7\nevent: snow_report\ndata: a\ndata: b\n"
	    "data: c\ndata: d\n\n");
	live_frame(b, sizeof(b), UINT64_MAX, "x1", "");
	ck_assert_str_eq(b, "id: 18446744073709551615\nevent: x1\ndata: \n\n");
}
END_TEST

START_TEST(test_frame_refused)
{
	char	 b[64], name[LIVE_EVENT_MAX + 2];

	/* A name that would break the framing, or is not one. */
	ck_assert_uint_eq(live_frame(b, sizeof(b), 1, "lift\ndata: x", "{}"),
	    0);
	ck_assert_uint_eq(live_frame(b, sizeof(b), 1, "Lift", "{}"), 0);
	ck_assert_uint_eq(live_frame(b, sizeof(b), 1, "", "{}"), 0);
	ck_assert_uint_eq(live_frame(b, sizeof(b), 1, NULL, "{}"), 0);
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_uint_eq(live_frame(b, sizeof(b), 1, name, "{}"), 0);
	/* Too long for the buffer: nothing rather than a cut frame. */
	/* 42 characters and the NUL: 43 bytes fit, 42 do not. */
	ck_assert_uint_eq(live_frame(b, 42, 1, "lift", "0123456789012345"), 0);
	ck_assert_uint_eq(live_frame(b, 43, 1, "lift", "0123456789012345"), 42);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_frame,
	&test_frame_refused,
	NULL
};

const struct test_group test_groups[] = {
	{ "live", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
