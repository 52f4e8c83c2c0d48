/*
 * clock.h: the injectable clock.
 *
 * Everything in guichet that asks "what time is it" (token expiry, deadlines,
 * retention, timetables, the access log's business timestamps) asks
 * clock_now().  The operator's "clock" setting makes it either the system
 * clock, a frozen instant (an RFC 3339 timestamp) or the system clock moved by
 * a signed offset ("+30d", "-3600s"), so that tests can cross a deadline.
 * Times are microseconds since the Unix epoch, UTC.
 */
#ifndef GUICHET_CLOCK_H
#define GUICHET_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Parse a clock setting; 0 on success (and the clock is set), -1 if malformed. */
int	 clock_configure(const char *);
/* 0 when clock_configure() would accept the setting; changes nothing. */
int	 clock_check(const char *);
int64_t	 clock_now(void);
/* Monotonic microseconds, for durations; never affected by clock_configure. */
int64_t	 clock_mono(void);

/* "2026-12-20T08:30:00Z" (no fraction when whole seconds); out >= 32 bytes. */
void	 clock_format(int64_t, char *, size_t);
/* RFC 3339 with 'Z' or an offset, optional fraction; 0 on success, -1 otherwise. */
int	 clock_parse(const char *, int64_t *);
/*
 * Days from 1970-01-01 to the valid date y-m-d of the proleptic Gregorian
 * calendar (timegm()'s; Howard Hinnant's algorithm).
 */
int64_t	 clock_days_from_civil(int64_t, int, int);
/* Its inverse: the date of day 'z' since 1970-01-01. */
void	 clock_civil_from_days(int64_t, int *, int *, int *);

#endif
