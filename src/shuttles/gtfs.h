/*
 * gtfs.h: the pure parts of the shuttles module, without a database:
 * reading GTFS CSV files (RFC 4180 with GTFS's leniencies), GTFS times and
 * dates, and the time zone of a feed (TZif files of the system's tzdata, read without touching the
 * process's TZ, so that request threads may use them).
 *
 * t/unit/test_gtfs checks every function here.  Which services run on a
 * day and the trips of frequency windows are the import's, in SQL
 * (migrations 028 and 032, shuttles.expand_feed()).
 */
#ifndef GUICHET_SHUTTLES_GTFS_H
#define GUICHET_SHUTTLES_GTFS_H

#include <stddef.h>
#include <stdint.h>

/*
 * CSV (RFC 4180): fields separated by commas, records by CRLF or LF; a
 * field in double quotes may hold commas, line breaks and "" for a quote.
 * A UTF-8 byte order mark before the header is skipped; blank lines are
 * skipped; spaces are kept as they are.
 */
struct csv {
	const char	*p, *end;
	size_t		 line;		/* the current record's first line */
	size_t		 next_line;
	char		*rec;		/* the record's fields, NUL-separated */
	size_t		 reccap;
	char		**field;	/* into 'rec' */
	size_t		 nfields, fieldcap;
};

void	 csv_open(struct csv *, const char *, size_t);
/*
 * The next record: 1 (csv->field[0..nfields-1], csv->line), 0 at the
 * end, -1 with the reason in 'err' (an unterminated quote, a quote inside
 * an unquoted field, text after a closing quote); parsing can go on with
 * the next record after an error.
 */
int	 csv_next(struct csv *, char *, size_t);
void	 csv_close(struct csv *);

/*
 * The columns a reader wants: after csv_header(), idx[i] is the index of
 * column 'names[i]' in the header, or -1.  Returns the number of the
 * required ones (required[i] non-zero) that are missing, their names in
 * 'missing' (comma-separated).  Unknown columns are ignored; a name twice
 * in the header is an error (-1).
 */
int	 csv_header(const struct csv *, const char *const *, const int *,
	    size_t, int *, char *, size_t);
/* Field idx of the current record, "" when idx is -1 or out of the row. */
const char *csv_get(const struct csv *, int);

/*
 * GTFS times "H:MM:SS" or "HH:MM:SS", hours past 23 for trips that run
 * after midnight of their service day: seconds since the service day's
 * noon minus 12 h, or -1.
 */
long	 gtfs_time_parse(const char *);
/* "HH:MM:SS" of a count of seconds (hours may pass 23); out >= 16. */
void	 gtfs_time_format(long, char *, size_t);
/* A date "YYYYMMDD": days since 1970-01-01, or INT32_MIN when invalid. */
int32_t	 gtfs_date_parse(const char *);
/* Days since 1970-01-01 as "YYYY-MM-DD" (out >= 11). */
void	 gtfs_date_format(int32_t, char *, size_t);

/*
 * Time zones: the TZif file of 'name' under /usr/share/zoneinfo (or the
 * directory of tz_dir when set).  Read once; thread-safe afterwards.
 */
struct tz;
struct tz *tz_load(const char *);
void	 tz_free(struct tz *);
/* 1 when 'name' is a zone of the tz database ("Europe/Paris"). */
int	 tz_name_ok(const char *);
/* The offset from UTC, in seconds, at the instant 't' (seconds). */
long	 tz_offset(const struct tz *, int64_t);
/*
 * The instant (seconds since the epoch) of the local wall time 'local'
 * (seconds since the epoch as if local were UTC): in a gap, the offset
 * before the gap; when ambiguous, the earlier instant.
 */
int64_t	 tz_local_to_utc(const struct tz *, int64_t);
/*
 * GTFS service day 'day' (days since the epoch) in the zone: the instant
 * its times count from, noon local time minus 12 h (so that times are
 * right on the days the clocks change).
 */
int64_t	 gtfs_service_day_base(const struct tz *, int32_t);

#endif
