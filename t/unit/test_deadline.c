/*
 * test_deadline: calendar months for the Art. 12(3) deadlines (reference
 * A2): 15 Jan -> 15 Feb, 31 Jan -> 28 or 29 Feb, month ends, leap years,
 * year boundaries, negative months, instants keep their UTC time of day,
 * and the result agrees with timegm(3) over many days.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "privacy/deadline.h"
#include "unit.h"

/* "YYYY-MM-DD" + n months, as "YYYY-MM-DD" into out[16]. */
static void
add(const char *in, int n, char *out)
{
	int	 y, m, d;

	ck_assert_int_eq(sscanf(in, "%d-%d-%d", &y, &m, &d), 3);
	ck_assert_int_eq(deadline_add_months_ymd(&y, &m, &d, n), 0);
	snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

/* One case: a date plus months, and the date that must come out. */
struct add_case {
	const char	*from;
	int		 months;
	const char	*to;
};

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))

static void
check_adds(const struct add_case *c, size_t n)
{
	char	 got[16];
	size_t	 i;

	for (i = 0; i < n; i++) {
		add(c[i].from, c[i].months, got);
		ck_assert_msg(strcmp(got, c[i].to) == 0,
		    "%s + %d months: %s, want %s", c[i].from, c[i].months, got,
		    c[i].to);
	}
}

static int64_t
at(const char *t)
{
	int64_t	 us;

	ck_assert_msg(clock_parse(t, &us) == 0, "time %s", t);
	return (us);
}

START_TEST(test_leap_years)
{
	static const struct {
		int	 year, leap;
	} years[] = {
		{ 2024, 1 }, { 2026, 0 }, { 2028, 1 }, { 1900, 0 }, { 2000, 1 },
		{ 2100, 0 }, { 2400, 1 },
	};
	static const struct {
		int	 year, month, days;
	} months[] = {
		{ 2026, 2, 28 }, { 2028, 2, 29 }, { 2100, 2, 28 },
		{ 2000, 2, 29 }, { 2026, 4, 30 }, { 2026, 12, 31 },
		{ 2026, 0, 0 }, { 2026, 13, 0 },
	};
	size_t	 i;

	for (i = 0; i < NCASES(years); i++)
		ck_assert_msg(deadline_is_leap(years[i].year) == years[i].leap,
		    "%d", years[i].year);
	for (i = 0; i < NCASES(months); i++)
		ck_assert_msg(deadline_days_in_month(months[i].year,
		    months[i].month) == months[i].days, "%d-%d", months[i].year,
		    months[i].month);
}
END_TEST

START_TEST(test_one_month_same_day)
{
	static const struct add_case cases[] = {
		{ "2026-01-15", 1, "2026-02-15" },
		{ "2026-02-15", 1, "2026-03-15" },
		{ "2026-03-01", 1, "2026-04-01" },
		{ "2026-06-30", 1, "2026-07-30" },
		{ "2026-02-28", 1, "2026-03-28" },
	};

	check_adds(cases, NCASES(cases));
}
END_TEST

START_TEST(test_month_ends_clamp)
{
	static const struct add_case cases[] = {
		{ "2026-01-31", 1, "2026-02-28" },
		{ "2028-01-31", 1, "2028-02-29" },	/* leap */
		{ "2100-01-31", 1, "2100-02-28" },	/* not leap */
		{ "2000-01-31", 1, "2000-02-29" },	/* leap (400) */
		{ "2026-01-30", 1, "2026-02-28" },
		{ "2026-01-29", 1, "2026-02-28" },
		{ "2028-01-29", 1, "2028-02-29" },
		{ "2028-01-30", 1, "2028-02-29" },
		{ "2026-03-31", 1, "2026-04-30" },
		{ "2026-05-31", 1, "2026-06-30" },
		{ "2026-08-31", 1, "2026-09-30" },
		{ "2026-10-31", 1, "2026-11-30" },
		{ "2026-07-31", 1, "2026-08-31" },	/* two 31-day months */
		{ "2028-02-29", 1, "2028-03-29" },
		{ "2028-02-29", 12, "2029-02-28" },
		{ "2028-02-29", 48, "2032-02-29" },
	};

	check_adds(cases, NCASES(cases));
}
END_TEST

START_TEST(test_year_boundary)
{
	static const struct add_case cases[] = {
		{ "2026-12-15", 1, "2027-01-15" },
		{ "2026-12-31", 1, "2027-01-31" },
		{ "2026-11-30", 2, "2027-01-30" },
		{ "2026-12-31", 2, "2027-02-28" },
		{ "2027-12-31", 2, "2028-02-29" },
		{ "2026-10-31", 3, "2027-01-31" },
		{ "2026-01-15", 24, "2028-01-15" },
	};

	check_adds(cases, NCASES(cases));
}
END_TEST

START_TEST(test_extension_two_months)
{
	/* due + 2 months: the longest legal extension (Art. 12(3)). */
	static const struct add_case cases[] = {
		{ "2026-02-15", 2, "2026-04-15" },
		{ "2026-02-28", 2, "2026-04-28" },
		{ "2026-12-31", 2, "2027-02-28" },
		{ "2026-03-31", 2, "2026-05-31" },
		{ "2026-04-30", 2, "2026-06-30" },
	};

	check_adds(cases, NCASES(cases));
}
END_TEST

START_TEST(test_negative_and_zero)
{
	static const struct add_case cases[] = {
		{ "2026-03-31", -1, "2026-02-28" },
		{ "2028-03-31", -1, "2028-02-29" },
		{ "2026-01-15", -1, "2025-12-15" },
		{ "2026-01-31", -13, "2024-12-31" },
		{ "2026-05-17", 0, "2026-05-17" },
	};

	check_adds(cases, NCASES(cases));
}
END_TEST

START_TEST(test_invalid_dates_refused)
{
	int	 y = 2026, m = 2, d = 29;

	ck_assert_int_eq(deadline_add_months_ymd(&y, &m, &d, 1), -1);
	ck_assert_int_eq(y, 2026);
	ck_assert_int_eq(m, 2);
	ck_assert_int_eq(d, 29);
	m = 13;
	d = 1;
	ck_assert_int_eq(deadline_add_months_ymd(&y, &m, &d, 1), -1);
	m = 4;
	d = 31;
	ck_assert_int_eq(deadline_add_months_ymd(&y, &m, &d, 1), -1);
	m = 4;
	d = 0;
	ck_assert_int_eq(deadline_add_months_ymd(&y, &m, &d, 1), -1);
}
END_TEST

START_TEST(test_instants_keep_time_of_day)
{
	static const struct {
		const char	*from;
		int		 months;
		const char	*to;
	} cases[] = {
		{ "2026-01-15T10:20:30Z", 1, "2026-02-15T10:20:30Z" },
		{ "2026-01-31T23:59:59.999999Z", 1,
		    "2026-02-28T23:59:59.999999Z" },
		{ "2028-01-31T00:00:00Z", 1, "2028-02-29T00:00:00Z" },
		/* Counted in UTC: 00:30 in Paris on 1 February is 31 January. */
		{ "2026-02-01T00:30:00+01:00", 1, "2026-02-28T23:30:00Z" },
		{ "2026-12-31T12:00:00Z", 3, "2027-03-31T12:00:00Z" },
		/* Before 1970. */
		{ "1969-12-31T18:00:00Z", 2, "1970-02-28T18:00:00Z" },
		{ "1960-01-31T06:00:00Z", 1, "1960-02-29T06:00:00Z" },
	};
	size_t	 i;

	for (i = 0; i < NCASES(cases); i++)
		ck_assert_msg(deadline_add_months(at(cases[i].from),
		    cases[i].months) == at(cases[i].to), "%s + %d months",
		    cases[i].from, cases[i].months);
}
END_TEST

/* Every day of 2024-2031 against timegm(3) and the clamp rule. */
START_TEST(test_agrees_with_timegm)
{
	struct tm	 tm;
	time_t		 t, want;
	int		 y, m, d, n, dim;
	int64_t		 got;

	for (y = 2024; y <= 2031; y++)
		for (m = 1; m <= 12; m++)
			for (d = 1; d <= deadline_days_in_month(y, m); d++)
				for (n = 1; n <= 3; n++) {
					memset(&tm, 0, sizeof(tm));
					tm.tm_year = y - 1900;
					tm.tm_mon = m - 1;
					tm.tm_mday = d;
					tm.tm_hour = 7;
					t = timegm(&tm);
					memset(&tm, 0, sizeof(tm));
					tm.tm_year = y - 1900 + (m - 1 + n) / 12;
					tm.tm_mon = (m - 1 + n) % 12;
					dim = deadline_days_in_month(
					    tm.tm_year + 1900, tm.tm_mon + 1);
					tm.tm_mday = d > dim ? dim : d;
					tm.tm_hour = 7;
					want = timegm(&tm);
					got = deadline_add_months(
					    (int64_t)t * 1000000, n);
					ck_assert_msg(got == (int64_t)want * 1000000,
					    "%04d-%02d-%02d + %d", y, m, d, n);
				}
}
END_TEST

static const TTest *const *const tests[] = {
	&test_leap_years,
	&test_one_month_same_day,
	&test_month_ends_clamp,
	&test_year_boundary,
	&test_extension_two_months,
	&test_negative_and_zero,
	&test_invalid_dates_refused,
	&test_instants_keep_time_of_day,
	&test_agrees_with_timegm,
	NULL
};

const struct test_group test_groups[] = {
	{ "deadline", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
