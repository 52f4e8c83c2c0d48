/*
 * deadline.c: calendar months on dates and instants (see deadline.h).
 * Days are converted with the proleptic Gregorian "days from civil"
 * algorithm (H. Hinnant), so that no libc time zone state is touched.
 */
#include <stdint.h>

#include "base/clock.h"
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
	clock_civil_from_days(days, &y, &m, &d);
	(void)deadline_add_months_ymd(&y, &m, &d, months);
	return (clock_days_from_civil(y, m, d) * US_PER_DAY + tod);
}
