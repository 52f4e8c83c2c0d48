/*
 * clock.c: system, frozen or shifted time (see clock.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

enum clock_mode { CLOCK_SYSTEM, CLOCK_FROZEN, CLOCK_SHIFTED };

static _Atomic int	clock_mode = CLOCK_SYSTEM;
static _Atomic int64_t	clock_value;	/* frozen instant or offset */

static int64_t
system_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

int64_t
clock_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

int64_t
clock_now(void)
{
	switch (atomic_load_explicit(&clock_mode, memory_order_relaxed)) {
	case CLOCK_FROZEN:
		return (atomic_load_explicit(&clock_value,
		    memory_order_relaxed));
	case CLOCK_SHIFTED:
		return (system_now() + atomic_load_explicit(&clock_value,
		    memory_order_relaxed));
	default:
		return (system_now());
	}
}

/*
 * Offsets are bounded (a thousand years either way) so that clock_now()'s
 * sum and clock_format()'s calendar can never overflow.
 */
#define CLOCK_MAX_OFFSET	(INT64_C(365250) * 86400 * 1000000)

static int
clock_setting(const char *s, int *mode, int64_t *value)
{
	long long	 n, unit;
	char		*end;

	if (strcmp(s, "system") == 0) {
		*mode = CLOCK_SYSTEM;
		*value = 0;
		return (0);
	}
	if (s[0] == '+' || s[0] == '-') {
		if (!isdigit((unsigned char)s[1]))
			return (-1);
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno != 0)
			return (-1);
		if (strcmp(end, "s") == 0)
			unit = 1000000;
		else if (strcmp(end, "d") == 0)
			unit = INT64_C(86400) * 1000000;
		else
			return (-1);
		if (n > CLOCK_MAX_OFFSET / unit ||
		    n < -(CLOCK_MAX_OFFSET / unit))
			return (-1);
		*mode = CLOCK_SHIFTED;
		*value = (int64_t)n * unit;
		return (0);
	}
	if (clock_parse(s, value) == -1)
		return (-1);
	*mode = CLOCK_FROZEN;
	return (0);
}

int
clock_check(const char *s)
{
	int64_t	 v;
	int	 mode;

	return (clock_setting(s, &mode, &v));
}

int
clock_configure(const char *s)
{
	int64_t	 v;
	int	 mode;

	if (clock_setting(s, &mode, &v) == -1)
		return (-1);
	atomic_store(&clock_value, v);
	atomic_store(&clock_mode, mode);
	return (0);
}

void
clock_format(int64_t us, char *out, size_t len)
{
	struct tm	 tm;
	time_t		 secs;
	int64_t		 frac;
	char		 base[24];

	secs = (time_t)(us / 1000000);
	frac = us % 1000000;
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac == 0)
		snprintf(out, len, "%sZ", base);
	else
		snprintf(out, len, "%s.%06lldZ", base, (long long)frac);
}

static int
digits(const char *s, int n, int *out)
{
	int	 v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return (0);
}

int64_t
clock_days_from_civil(int64_t y, int m, int d)
{
	int64_t		 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

void
clock_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t		 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int
clock_parse(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int		 y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0, lim;
	int64_t		 frac = 0, scale = 100000;
	const char	*p;
	time_t		 t;

	if (strlen(s) < 20 || digits(s, 4, &y) == -1 || s[4] != '-' ||
	    digits(s + 5, 2, &mo) == -1 || s[7] != '-' ||
	    digits(s + 8, 2, &d) == -1 || (s[10] != 'T' && s[10] != 't') ||
	    digits(s + 11, 2, &h) == -1 || s[13] != ':' ||
	    digits(s + 14, 2, &mi) == -1 || s[16] != ':' ||
	    digits(s + 17, 2, &se) == -1)
		return (-1);
	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
		return (-1);
	lim = mdays[mo - 1];
	if (mo == 2 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		lim = 28;
	if (d > lim)
		return (-1);
	p = s + 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return (-1);
		for (; isdigit((unsigned char)*p); p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (digits(p + 1, 2, &oh) == -1 || p[3] != ':' ||
		    digits(p + 4, 2, &om) == -1 || oh > 23 || om > 59)
			return (-1);
		p += 6;
	} else
		return (-1);
	if (*p != '\0')
		return (-1);
	t = (time_t)clock_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    se;
	t -= sign * (oh * 3600 + om * 60);
	*out = (int64_t)t * 1000000 + frac;
	return (0);
}
