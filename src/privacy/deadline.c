/*
 * deadline.c: calendar months on dates and instants (see deadline.h).
 * Days are converted with the proleptic Gregorian "days from civil"
 * algorithm (H. Hinnant), so that no libc time zone state is touched.
 */
#include <stdint.h>

#include "privacy/deadline.h"

#define US_PER_DAY	(86400LL * 1000000LL)

int
deadline_is_leap(int y)
{
	return ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
}

int
deadline_days_in_month(int y, int m)
{
	static const int	 days[12] = { 31, 28, 31, 30, 31, 30, 31, 31,
	    30, 31, 30, 31 };

	if (m < 1 || m > 12)
		return (0);
	return (m == 2 && deadline_is_leap(y) ? 29 : days[m - 1]);
}

int
deadline_add_months_ymd(int *y, int *m, int *d, int months)
{
	long	 total;
	int	 ny, nm, dim;

	if (*m < 1 || *m > 12 || *d < 1 || *d > deadline_days_in_month(*y, *m))
		return (-1);
	total = (long)*y * 12 + (*m - 1) + months;
	/* Floor division: months before year 0 stay in range. */
	ny = (int)(total >= 0 ? total / 12 : -((-total + 11) / 12));
	nm = (int)(total - (long)ny * 12) + 1;
	dim = deadline_days_in_month(ny, nm);
	*y = ny;
	*m = nm;
	if (*d > dim)
		*d = dim;
	return (0);
}

/* Days since 1970-01-01 of a civil date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t	 era, doe, yoe, doy, mp;

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

int64_t
deadline_add_months(int64_t us, int months)
{
	int64_t	 days, tod;
	int	 y, m, d;

	days = us / US_PER_DAY;
	tod = us % US_PER_DAY;
	if (tod < 0) {
		tod += US_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	(void)deadline_add_months_ymd(&y, &m, &d, months);
	return (days_from_civil(y, m, d) * US_PER_DAY + tod);
}
