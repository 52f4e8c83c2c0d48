/*
 * deadline.h: calendar arithmetic for the deadlines of rights requests
 * (Art. 12(3) RGPD: one calendar month, extendable by two more).
 *
 * Pure functions: no clock, no locale, no time zone database.  A month is
 * a calendar month: the same day of the month, or the last day of the
 * target month when it is shorter (31 January + 1 month = 28 or 29
 * February), which is also what PostgreSQL's "+ interval '1 month'" does,
 * so the database's checks agree with these.  Instants are counted in UTC.
 */
#ifndef GUICHET_DEADLINE_H
#define GUICHET_DEADLINE_H

#include <stdint.h>

/* 1 when 'y' is a leap year of the Gregorian calendar. */
int	 deadline_is_leap(int);
/* Days in month 'm' (1-12) of year 'y'; 0 for a month out of range. */
int	 deadline_days_in_month(int, int);
/*
 * Add 'months' (may be negative) to the date *y-*m-*d in place, clamping
 * the day to the end of the target month.  0, or -1 (nothing changed)
 * when the date is not a real calendar date.
 */
int	 deadline_add_months_ymd(int *, int *, int *, int);
/*
 * The instant 'us' (microseconds since the Unix epoch, UTC) plus 'months'
 * calendar months, at the same UTC time of day.
 */
int64_t	 deadline_add_months(int64_t, int);

#endif
