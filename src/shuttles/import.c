/*
 * import.c: guichetctl gtfs import PATH [--skip-errors].
 *
 * A feed is a directory of .txt files or a .zip of them (read with
 * libzip: random access by name, sizes known before reading, so that a
 * zip bomb is refused by its declared size and stopped by its real one).
 * Each file is read whole (FILE_MAX at most) and parsed as CSV (gtfs.h);
 * the files are read in the order of their references (agency before
 * routes, calendars before trips, trips and stops before stop_times), so
 * that each row is checked against the rows already accepted.  Every
 * problem is one line "file:line: reason" on the report; a feed with
 * problems is refused unless told to skip them (the rows are left out).
 *
 * The accepted rows become COPY data, then one transaction deletes the
 * old feed, copies the new one and sets shuttles.feed last: readers see
 * the old feed, complete, until the commit.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <strings.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/xmalloc.h"
#include "core/module.h"
#include "http/cache.h"
#include "shuttles/gtfs.h"
#include "shuttles/shuttles_int.h"

#define FILE_MAX	(256L * 1024 * 1024)
#define REPORT_MAX	200		/* problems printed, the rest counted */
#define COLS_MAX	16

/* A set of strings (ids, composite keys): open addressing. */
struct set {
	char	**slot;
	size_t	 cap, n;
};

static uint64_t
hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h);
}

static char **
set_find(const struct set *s, const char *k)
{
	size_t	 i;

	for (i = hash(k) & (s->cap - 1); s->slot[i] != NULL;
	    i = (i + 1) & (s->cap - 1))
		if (strcmp(s->slot[i], k) == 0)
			break;
	return (&s->slot[i]);
}

static int
set_has(const struct set *s, const char *k)
{
	return (s->cap > 0 && *set_find(s, k) != NULL);
}

/* Add 'k': 1, or 0 when it was there. */
static int
set_add(struct set *s, const char *k)
{
	struct set	 grown;
	char		**p;
	size_t		 i;

	if (s->cap > 0 && *set_find(s, k) != NULL)
		return (0);
	if ((s->n + 1) * 2 > s->cap) {
		grown.cap = s->cap == 0 ? 64 : s->cap * 2;
		grown.n = s->n;
		grown.slot = xcalloc(grown.cap, sizeof(char *));
		for (i = 0; i < s->cap; i++)
			if (s->slot[i] != NULL)
				*set_find(&grown, s->slot[i]) = s->slot[i];
		free(s->slot);
		*s = grown;
	}
	p = set_find(s, k);
	*p = xstrdup(k);
	s->n++;
	return (1);
}

static void
set_free(struct set *s)
{
	size_t	 i;

	for (i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* Where the files come from. */
struct source {
	const char	*path;
	zip_t		*zip;
};

enum gtfs_file {
	GF_AGENCY, GF_STOPS, GF_ROUTES, GF_CALENDAR, GF_CALENDAR_DATES,
	GF_TRIPS, GF_STOP_TIMES, GF_FREQUENCIES, GF_SHAPES, GF__COUNT
};

struct import {
	struct source	 src;
	FILE		*report;
	int		 skip;
	long		 errors, printed, rows;
	const char	*file;		/* the file being read */
	size_t		 line;
	struct buf	 copy[GF__COUNT];
	long		 count[GF__COUNT];
	struct set	 agencies, stops, routes, services, trips, keys;
	char		 timezone[65];
	char		 first_agency[256];
	int		 fatal;
};

static void
problem(struct import *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One problem at the current file and line. */
static void
problem(struct import *im, const char *fmt, ...)
{
	va_list	 ap;

	im->errors++;
	if (im->printed++ >= REPORT_MAX)
		return;
	fprintf(im->report, "%s:%zu: ", im->file, im->line);
	va_start(ap, fmt);
	vfprintf(im->report, fmt, ap);
	va_end(ap);
	fputc('\n', im->report);
}

/*
 * The content of 'name' (NUL-terminated), NULL when the feed has no such
 * file (*absent) or it could not be read (a problem reported).
 */
static char *
source_read(struct import *im, const char *name, size_t *len, int *absent)
{
	struct stat	 st;
	zip_stat_t	 zs;
	zip_file_t	*zf;
	zip_int64_t	 idx, n;
	char		 path[4096], *data;
	FILE		*f;

	*absent = 0;
	im->file = name;
	im->line = 0;
	if (im->src.zip != NULL) {
		idx = zip_name_locate(im->src.zip, name, ZIP_FL_NOCASE |
		    ZIP_FL_NODIR);
		if (idx < 0) {
			*absent = 1;
			return (NULL);
		}
		if (zip_stat_index(im->src.zip, (zip_uint64_t)idx, 0,
		    &zs) == -1 || (zs.valid & ZIP_STAT_SIZE) == 0 ||
		    zs.size > (zip_uint64_t)FILE_MAX) {
			problem(im, "larger than %ld bytes or unreadable",
			    FILE_MAX);
			return (NULL);
		}
		if ((zf = zip_fopen_index(im->src.zip, (zip_uint64_t)idx,
		    0)) == NULL) {
			problem(im, "cannot be read from the zip: %s",
			    zip_strerror(im->src.zip));
			return (NULL);
		}
		data = xmalloc(zs.size + 1);
		n = zip_fread(zf, data, zs.size);
		zip_fclose(zf);
		if (n < 0 || (zip_uint64_t)n != zs.size) {
			problem(im, "cannot be read from the zip (damaged)");
			free(data);
			return (NULL);
		}
		data[n] = '\0';
		*len = (size_t)n;
		return (data);
	}
	snprintf(path, sizeof(path), "%s/%s", im->src.path, name);
	if ((f = fopen(path, "rb")) == NULL) {
		if (errno == ENOENT)
			*absent = 1;
		else
			problem(im, "%s", strerror(errno));
		return (NULL);
	}
	if (fstat(fileno(f), &st) == -1 || st.st_size > FILE_MAX) {
		problem(im, "larger than %ld bytes", FILE_MAX);
		fclose(f);
		return (NULL);
	}
	data = xmalloc((size_t)st.st_size + 1);
	*len = fread(data, 1, (size_t)st.st_size, f);
	fclose(f);
	data[*len] = '\0';
	return (data);
}

/* COPY text format: one field; NULL for "" when 'null_empty'. */
static void
copy_field(struct buf *b, const char *v, int null_empty, int last)
{
	db_copy_field(b, null_empty && v != NULL && *v == '\0' ? NULL : v,
	    last);
}

/*
 * Columns of the row 'f' in order, 'cols' naming each by its index, with
 * '?' after it when empty is NULL ("0 1 4? 5?"); the last one ends the
 * row when 'last'.
 */
static void
copy_fields(struct buf *b, const char *const *f, const char *cols, int last)
{
	const char	*p = cols;
	char		*end;
	long		 i;
	int		 null_empty;

	for (;;) {
		i = strtol(p, &end, 10);
		null_empty = *end == '?';
		p = end + null_empty;
		p += strspn(p, " ");
		copy_field(b, f[i], null_empty, last && *p == '\0');
		if (*p == '\0')
			return;
	}
}

static void
copy_long(struct buf *b, long v, int last)
{
	buf_addf(b, "%ld%c", v, last ? '\n' : '\t');
}

/* An integer field between min and max; 'dflt' when empty (-1: needed). */
static int
int_field(struct import *im, const char *col, const char *v, long min,
    long max, long dflt, long *out)
{
	char	*end;

	if (*v == '\0') {
		if (dflt == LONG_MIN) {
			problem(im, "%s is required", col);
			return (-1);
		}
		*out = dflt;
		return (0);
	}
	errno = 0;
	*out = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v || *out < min ||
	    *out > max) {
		problem(im, "%s \"%.40s\" is not an integer from %ld to %ld",
		    col, v, min, max);
		return (-1);
	}
	return (0);
}

static int
coord_field(struct import *im, const char *col, const char *v, double lim,
    double *out)
{
	char	*end;

	errno = 0;
	*out = strtod(v, &end);
	if (*v == '\0' || errno != 0 || *end != '\0' || *out < -lim ||
	    *out > lim || *out != *out) {
		problem(im, "%s \"%.40s\" is not a number from %g to %g", col,
		    v, -lim, lim);
		return (-1);
	}
	return (0);
}

static int
required(struct import *im, const char *col, const char *v)
{
	if (*v != '\0')
		return (0);
	problem(im, "%s is required", col);
	return (-1);
}

/* Times of stop_times and frequencies: -1 after a problem, -2 empty. */
static long
time_field(struct import *im, const char *col, const char *v, int needed)
{
	long	 t;

	if (*v == '\0') {
		if (needed) {
			problem(im, "%s is required", col);
			return (-1);
		}
		return (-2);
	}
	if ((t = gtfs_time_parse(v)) < 0) {
		problem(im, "%s \"%.40s\" is not a time H:MM:SS", col, v);
		return (-1);
	}
	return (t);
}

/*
 * 'a' and 'b' together for the first time in this file (the keys of its
 * rows): 1; 0 when a row before had them.
 */
static int
pair_new(struct import *im, const char *a, const char *b)
{
	char	*key = xmalloc(strlen(a) + strlen(b) + 2);
	int	 added;

	sprintf(key, "%s\x1f%s", a, b);
	added = set_add(&im->keys, key);
	free(key);
	return (added);
}

/* pair_new() of 'a' and the number 'n'. */
static int
pair_new_long(struct import *im, const char *a, long n)
{
	char	 b[24];

	snprintf(b, sizeof(b), "%ld", n);
	return (pair_new(im, a, b));
}

/* The rows of each file: f[i] is the value of column i of the spec. */
typedef int (*row_fn)(struct import *, const char *const *);

/* agency.txt */
static int
agency_row(struct import *im, const char *const *f)
{
	struct buf	*b = &im->copy[GF_AGENCY];
	struct tz	*tz;

	if (required(im, "agency_name", f[1]) == -1 ||
	    required(im, "agency_url", f[2]) == -1 ||
	    required(im, "agency_timezone", f[3]) == -1)
		return (-1);
	if ((tz = tz_load(f[3])) == NULL) {
		problem(im, "agency_timezone \"%.64s\" is not a time zone",
		    f[3]);
		return (-1);
	}
	tz_free(tz);
	if (im->timezone[0] != '\0' && strcmp(im->timezone, f[3]) != 0) {
		problem(im, "agency_timezone %.64s differs from the first "
		    "agency's %s", f[3], im->timezone);
		return (-1);
	}
	if (!set_add(&im->agencies, f[0])) {
		problem(im, "agency_id \"%.64s\" appears twice", f[0]);
		return (-1);
	}
	if (im->timezone[0] == '\0') {
		snprintf(im->timezone, sizeof(im->timezone), "%s", f[3]);
		snprintf(im->first_agency, sizeof(im->first_agency), "%s",
		    f[0]);
	}
	copy_fields(b, f, "0 1 2 3 4? 5?", 1);
	return (0);
}

/* stops.txt */
static int
stops_row(struct import *im, const char *const *f)
{
	struct buf	*b = &im->copy[GF_STOPS];
	double		 lat = 0, lon = 0;
	long		 type, wheel;
	int		 located;

	if (required(im, "stop_id", f[0]) == -1 ||
	    int_field(im, "location_type", f[6], 0, 4, 0, &type) == -1 ||
	    int_field(im, "wheelchair_boarding", f[8], 0, 2, 0, &wheel) == -1)
		return (-1);
	located = type <= 2;
	if (located && (required(im, "stop_name", f[2]) == -1 ||
	    coord_field(im, "stop_lat", f[4], 90, &lat) == -1 ||
	    coord_field(im, "stop_lon", f[5], 180, &lon) == -1))
		return (-1);
	if (!set_add(&im->stops, f[0])) {
		problem(im, "stop_id \"%.64s\" appears twice", f[0]);
		return (-1);
	}
	copy_fields(b, f, "0 1? 2 3?", 0);
	if (located) {
		buf_addf(b, "%.7f\t%.7f\t", lat, lon);
	} else
		buf_adds(b, "\\N\t\\N\t");
	copy_long(b, type, 0);
	copy_field(b, f[7], 1, 0);
	copy_long(b, wheel, 1);
	return (0);
}

/* routes.txt */
static int
routes_row(struct import *im, const char *const *f)
{
	struct buf	*b = &im->copy[GF_ROUTES];
	const char	*agency = f[1];
	long		 type;

	if (required(im, "route_id", f[0]) == -1 ||
	    int_field(im, "route_type", f[5], 0, 1799, LONG_MIN, &type) == -1)
		return (-1);
	if (f[2][0] == '\0' && f[3][0] == '\0') {
		problem(im, "route_short_name or route_long_name is "
		    "required");
		return (-1);
	}
	if (*agency == '\0') {
		if (im->agencies.n > 1) {
			problem(im, "agency_id is required: the feed has "
			    "several agencies");
			return (-1);
		}
		agency = im->first_agency;
	} else if (!set_has(&im->agencies, agency)) {
		problem(im, "agency_id \"%.64s\" is not in agency.txt", agency);
		return (-1);
	}
	if (!set_add(&im->routes, f[0])) {
		problem(im, "route_id \"%.64s\" appears twice", f[0]);
		return (-1);
	}
	copy_field(b, f[0], 0, 0);
	copy_field(b, agency, 0, 0);
	copy_fields(b, f, "2? 3? 4?", 0);
	copy_long(b, type, 0);
	copy_fields(b, f, "6? 7? 8?", 1);
	return (0);
}

/* calendar.txt */
static int
calendar_row(struct import *im, const char *const *f)
{
	static const char *const days[] = { "monday", "tuesday", "wednesday",
	    "thursday", "friday", "saturday", "sunday" };
	struct buf	*b = &im->copy[GF_CALENDAR];
	char		 d[8], s[11], e[11];
	int32_t		 start, end;
	long		 v;
	int		 i;

	if (required(im, "service_id", f[0]) == -1)
		return (-1);
	for (i = 0; i < 7; i++) {
		if (int_field(im, days[i], f[1 + i], 0, 1, LONG_MIN, &v) == -1)
			return (-1);
		d[i] = (char)('0' + v);
	}
	d[7] = '\0';
	if ((start = gtfs_date_parse(f[8])) == INT32_MIN ||
	    (end = gtfs_date_parse(f[9])) == INT32_MIN) {
		problem(im, "start_date and end_date must be dates YYYYMMDD");
		return (-1);
	}
	if (end < start) {
		problem(im, "end_date is before start_date");
		return (-1);
	}
	if (!set_add(&im->keys, f[0])) {
		problem(im, "service_id \"%.64s\" appears twice", f[0]);
		return (-1);
	}
	set_add(&im->services, f[0]);
	gtfs_date_format(start, s, sizeof(s));
	gtfs_date_format(end, e, sizeof(e));
	copy_field(b, f[0], 0, 0);
	copy_field(b, d, 0, 0);
	copy_field(b, s, 0, 0);
	copy_field(b, e, 0, 1);
	return (0);
}

/* calendar_dates.txt */
static int
calendar_dates_row(struct import *im, const char *const *f)
{
	struct buf	*b = &im->copy[GF_CALENDAR_DATES];
	char		 s[11];
	int32_t		 day;
	long		 type;

	if (required(im, "service_id", f[0]) == -1 ||
	    int_field(im, "exception_type", f[2], 1, 2, LONG_MIN, &type) == -1)
		return (-1);
	if ((day = gtfs_date_parse(f[1])) == INT32_MIN) {
		problem(im, "date \"%.20s\" is not a date YYYYMMDD", f[1]);
		return (-1);
	}
	if (!pair_new(im, f[0], f[1])) {
		problem(im, "service %.64s has two exceptions on %s", f[0],
		    f[1]);
		return (-1);
	}
	set_add(&im->services, f[0]);
	gtfs_date_format(day, s, sizeof(s));
	copy_field(b, f[0], 0, 0);
	copy_field(b, s, 0, 0);
	copy_long(b, type, 1);
	return (0);
}

/* trips.txt */
static int
trips_row(struct import *im, const char *const *f)
{
	struct buf	*b = &im->copy[GF_TRIPS];
	long		 dir;

	if (required(im, "route_id", f[0]) == -1 ||
	    required(im, "service_id", f[1]) == -1 ||
	    required(im, "trip_id", f[2]) == -1 ||
	    int_field(im, "direction_id", f[4], 0, 1, -1, &dir) == -1)
		return (-1);
	if (!set_has(&im->routes, f[0])) {
		problem(im, "route_id \"%.64s\" is not in routes.txt", f[0]);
		return (-1);
	}
	if (!set_has(&im->services, f[1])) {
		problem(im, "service_id \"%.64s\" is in neither calendar.txt "
		    "nor calendar_dates.txt", f[1]);
		return (-1);
	}
	if (!set_add(&im->trips, f[2])) {
		problem(im, "trip_id \"%.64s\" appears twice", f[2]);
		return (-1);
	}
	copy_fields(b, f, "2 0 1 3? 5?", 0);
	if (dir < 0)
		buf_adds(b, "\\N\t");
	else
		copy_long(b, dir, 0);
	copy_fields(b, f, "6? 7?", 1);
	return (0);
}

/* stop_times.txt */
static int
stop_times_row(struct import *im, const char *const *f)
{
	struct buf	*b = &im->copy[GF_STOP_TIMES];
	long		 seq, arr, dep, pick, drop;

	if (required(im, "trip_id", f[0]) == -1 ||
	    required(im, "stop_id", f[3]) == -1 ||
	    int_field(im, "stop_sequence", f[4], 0, INT_MAX, LONG_MIN,
	    &seq) == -1 ||
	    (arr = time_field(im, "arrival_time", f[1], 0)) == -1 ||
	    (dep = time_field(im, "departure_time", f[2], 0)) == -1 ||
	    int_field(im, "pickup_type", f[6], 0, 3, 0, &pick) == -1 ||
	    int_field(im, "drop_off_type", f[7], 0, 3, 0, &drop) == -1)
		return (-1);
	if (!set_has(&im->trips, f[0])) {
		problem(im, "trip_id \"%.64s\" is not in trips.txt", f[0]);
		return (-1);
	}
	if (!set_has(&im->stops, f[3])) {
		problem(im, "stop_id \"%.64s\" is not in stops.txt", f[3]);
		return (-1);
	}
	if (arr == -2)
		arr = dep;
	if (dep == -2)
		dep = arr;
	if (dep >= 0 && arr > dep) {
		problem(im, "departure_time is before arrival_time");
		return (-1);
	}
	if (!pair_new_long(im, f[0], seq)) {
		problem(im, "trip %.64s has stop_sequence %ld twice", f[0], seq);
		return (-1);
	}
	copy_field(b, f[0], 0, 0);
	copy_long(b, seq, 0);
	copy_field(b, f[3], 0, 0);
	if (arr < 0)
		buf_adds(b, "\\N\t\\N\t");
	else {
		copy_long(b, arr, 0);
		copy_long(b, dep, 0);
	}
	copy_field(b, f[5], 1, 0);
	copy_long(b, pick, 0);
	copy_long(b, drop, 1);
	return (0);
}

/* frequencies.txt */
static int
frequencies_row(struct import *im, const char *const *f)
{
	struct buf	*b = &im->copy[GF_FREQUENCIES];
	long		 start, end, headway, exact;

	if (required(im, "trip_id", f[0]) == -1 ||
	    (start = time_field(im, "start_time", f[1], 1)) < 0 ||
	    (end = time_field(im, "end_time", f[2], 1)) < 0 ||
	    int_field(im, "headway_secs", f[3], 1, 86400, LONG_MIN,
	    &headway) == -1 ||
	    int_field(im, "exact_times", f[4], 0, 1, 0, &exact) == -1)
		return (-1);
	if (end <= start) {
		problem(im, "end_time is not after start_time");
		return (-1);
	}
	if (!set_has(&im->trips, f[0])) {
		problem(im, "trip_id \"%.64s\" is not in trips.txt", f[0]);
		return (-1);
	}
	if (!pair_new_long(im, f[0], start)) {
		problem(im, "trip %.64s has two windows from %s", f[0], f[1]);
		return (-1);
	}
	copy_field(b, f[0], 0, 0);
	copy_long(b, start, 0);
	copy_long(b, end, 0);
	copy_long(b, headway, 0);
	copy_long(b, exact, 1);
	return (0);
}

/* shapes.txt */
static int
shapes_row(struct import *im, const char *const *f)
{
	struct buf	*b = &im->copy[GF_SHAPES];
	double		 lat, lon, dist = 0;
	long		 seq;
	char		*end;

	if (required(im, "shape_id", f[0]) == -1 ||
	    coord_field(im, "shape_pt_lat", f[1], 90, &lat) == -1 ||
	    coord_field(im, "shape_pt_lon", f[2], 180, &lon) == -1 ||
	    int_field(im, "shape_pt_sequence", f[3], 0, INT_MAX, LONG_MIN,
	    &seq) == -1)
		return (-1);
	if (f[4][0] != '\0') {
		dist = strtod(f[4], &end);
		if (*end != '\0' || dist < 0) {
			problem(im, "shape_dist_traveled \"%.40s\" is not a "
			    "number", f[4]);
			return (-1);
		}
	}
	if (!pair_new_long(im, f[0], seq)) {
		problem(im, "shape %.64s has shape_pt_sequence %ld twice",
		    f[0], seq);
		return (-1);
	}
	copy_field(b, f[0], 0, 0);
	copy_long(b, seq, 0);
	buf_addf(b, "%.7f\t%.7f\t", lat, lon);
	if (f[4][0] == '\0')
		buf_adds(b, "\\N\n");
	else
		buf_addf(b, "%.3f\n", dist);
	return (0);
}

/* The files, in the order they are read, and their columns. */
static const struct gtfs_spec {
	const char	*name;
	int		 needed;	/* the feed must have it */
	row_fn		 row;
	const char	*cols[COLS_MAX];
	int		 req[COLS_MAX];
} specs[GF__COUNT] = {
	[GF_AGENCY] = { "agency.txt", 1, agency_row,
	  { "agency_id", "agency_name", "agency_url", "agency_timezone",
	    "agency_lang", "agency_phone" },
	  { 0, 1, 1, 1, 0, 0 } },
	[GF_STOPS] = { "stops.txt", 1, stops_row,
	  { "stop_id", "stop_code", "stop_name", "stop_desc", "stop_lat",
	    "stop_lon", "location_type", "parent_station",
	    "wheelchair_boarding" },
	  { 1, 0, 0, 0, 0, 0, 0, 0, 0 } },
	[GF_ROUTES] = { "routes.txt", 1, routes_row,
	  { "route_id", "agency_id", "route_short_name", "route_long_name",
	    "route_desc", "route_type", "route_url", "route_color",
	    "route_text_color" },
	  { 1, 0, 0, 0, 0, 1, 0, 0, 0 } },
	[GF_CALENDAR] = { "calendar.txt", 0, calendar_row,
	  { "service_id", "monday", "tuesday", "wednesday", "thursday",
	    "friday", "saturday", "sunday", "start_date", "end_date" },
	  { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 } },
	[GF_CALENDAR_DATES] = { "calendar_dates.txt", 0, calendar_dates_row,
	  { "service_id", "date", "exception_type" }, { 1, 1, 1 } },
	[GF_TRIPS] = { "trips.txt", 1, trips_row,
	  { "route_id", "service_id", "trip_id", "trip_headsign",
	    "direction_id", "trip_short_name", "block_id", "shape_id" },
	  { 1, 1, 1, 0, 0, 0, 0, 0 } },
	[GF_STOP_TIMES] = { "stop_times.txt", 1, stop_times_row,
	  { "trip_id", "arrival_time", "departure_time", "stop_id",
	    "stop_sequence", "stop_headsign", "pickup_type",
	    "drop_off_type" },
	  { 1, 0, 0, 1, 1, 0, 0, 0 } },
	[GF_FREQUENCIES] = { "frequencies.txt", 0, frequencies_row,
	  { "trip_id", "start_time", "end_time", "headway_secs",
	    "exact_times" },
	  { 1, 1, 1, 1, 0 } },
	[GF_SHAPES] = { "shapes.txt", 0, shapes_row,
	  { "shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence",
	    "shape_dist_traveled" },
	  { 1, 1, 1, 1, 0 } },
};

static size_t
spec_ncols(const struct gtfs_spec *s)
{
	size_t	 n = 0;

	while (n < COLS_MAX && s->cols[n] != NULL)
		n++;
	return (n);
}

/* Note the header's columns that no spec reads (a misspelt one, say). */
static void
unknown_columns(struct import *im, const struct csv *c,
    const struct gtfs_spec *s, size_t ncols)
{
	size_t	 j, i;

	for (j = 0; j < c->nfields; j++) {
		for (i = 0; i < ncols; i++)
			if (strcmp(c->field[j], s->cols[i]) == 0)
				break;
		if (i == ncols && c->field[j][0] != '\0')
			fprintf(im->report, "%s:1: note: column %.64s is not "
			    "read\n", s->name, c->field[j]);
	}
}

/* Read and check one file; its rows go to im->copy. */
static void
read_file(struct import *im, enum gtfs_file which)
{
	const struct gtfs_spec	*s = &specs[which];
	const char		*vals[COLS_MAX];
	struct csv		 c;
	char			*data, why[128], missing[256];
	size_t			 len = 0, ncols = spec_ncols(s), i;
	int			 idx[COLS_MAX], rc, absent, nmissing;

	set_free(&im->keys);
	if ((data = source_read(im, s->name, &len, &absent)) == NULL) {
		if (absent && s->needed) {
			im->line = 0;
			problem(im, "the feed has no %s", s->name);
			im->fatal = 1;
		} else if (!absent)
			im->fatal = 1;
		return;
	}
	csv_open(&c, data, len);
	rc = csv_next(&c, why, sizeof(why));
	im->line = c.line;
	if (rc == 0) {
		im->line = 1;
		problem(im, "the file is empty: no header");
		im->fatal = 1;
		goto out;
	}
	if (rc == -1) {
		problem(im, "the header: %s", why);
		im->fatal = 1;
		goto out;
	}
	nmissing = csv_header(&c, s->cols, s->req, ncols, idx, missing,
	    sizeof(missing));
	if (nmissing == -1) {
		problem(im, "a column appears twice in the header");
		im->fatal = 1;
		goto out;
	}
	if (nmissing > 0) {
		problem(im, "required column%s missing: %s", nmissing > 1 ?
		    "s" : "", missing);
		im->fatal = 1;
		goto out;
	}
	unknown_columns(im, &c, s, ncols);
	{
		size_t	 width = c.nfields;

		while ((rc = csv_next(&c, why, sizeof(why))) != 0) {
			im->line = c.line;
			if (rc == -1) {
				problem(im, "%s", why);
				continue;
			}
			if (c.nfields != width) {
				problem(im, "%zu fields where the header has "
				    "%zu", c.nfields, width);
				continue;
			}
			for (i = 0; i < ncols; i++)
				vals[i] = csv_get(&c, idx[i]);
			if (s->row(im, vals) == 0) {
				im->count[which]++;
				im->rows++;
			}
		}
	}
out:
	csv_close(&c);
	free(data);
}

static const enum shuttles_stmt deletes[] = { SS_DELETE_STOP_TIMES,
    SS_DELETE_FREQUENCIES, SS_DELETE_TRIPS, SS_DELETE_SHAPES,
    SS_DELETE_CALENDAR_DATES, SS_DELETE_CALENDAR, SS_DELETE_ROUTES,
    SS_DELETE_STOPS, SS_DELETE_AGENCIES };
static const enum shuttles_stmt copies[GF__COUNT] = {
	[GF_AGENCY] = SS_COPY_AGENCIES, [GF_STOPS] = SS_COPY_STOPS,
	[GF_ROUTES] = SS_COPY_ROUTES, [GF_CALENDAR] = SS_COPY_CALENDAR,
	[GF_CALENDAR_DATES] = SS_COPY_CALENDAR_DATES,
	[GF_TRIPS] = SS_COPY_TRIPS, [GF_STOP_TIMES] = SS_COPY_STOP_TIMES,
	[GF_FREQUENCIES] = SS_COPY_FREQUENCIES, [GF_SHAPES] = SS_COPY_SHAPES,
};

struct import_tx {
	struct import	*im;
	const char	*source;
	int64_t		 now;
};

static int
copy_table(struct db *db, const struct db_stmt *st, const struct buf *b,
    long want, struct db_error *err)
{
	size_t	 off, n;
	long	 rows = 0;
	int	 rc = -1;

	if (db_copy_begin(db, st, err) == -1)
		goto end;
	for (off = 0; off < b->len; off += n) {
		n = b->len - off < 64 * 1024 ? b->len - off : 64 * 1024;
		if (db_copy_put(db, b->data + off, n, err) == -1)
			goto end;
	}
	rc = 0;
end:
	if (db_copy_end(db, rc == 0 ? NULL : "guichet: the feed could not "
	    "be sent", &rows, rc == 0 ? err : NULL) == -1 || rows != want)
		rc = -1;
	return (rc);
}

static int
import_tx(struct db *db, void *arg, struct db_error *err)
{
	struct import_tx	*t = arg;
	const char		*p[4];
	char			 now[40], skipped[24];
	size_t			 i;

	for (i = 0; i < NELEM(deletes); i++)
		if (db_exec(db, SHUT_STMT(deletes[i]), NULL, NULL, err) == -1)
			return (-1);
	for (i = 0; i < GF__COUNT; i++)
		if (t->im->count[i] > 0 && copy_table(db, SHUT_STMT(copies[i]),
		    &t->im->copy[i], t->im->count[i], err) == -1)
			return (-1);
	/* What a request does not compute (departures.c). */
	if (db_exec(db, SHUT_STMT(SS_EXPAND_FEED), NULL, NULL, err) == -1)
		return (-1);
	/* Last: a reader waiting on this row sees the old feed till now. */
	clock_format(t->now, now, sizeof(now));
	snprintf(skipped, sizeof(skipped), "%ld", t->im->errors);
	p[0] = t->source;
	p[1] = t->im->timezone;
	p[2] = now;
	p[3] = skipped;
	return (db_exec(db, SHUT_STMT(SS_FEED_SET), p, NULL, err));
}

int
shuttles_import(struct db *db, const char *path, int skip, FILE *report,
    int64_t now, struct import_summary *sum)
{
	struct import		 im;
	struct import_tx	 t;
	struct db_error		 err;
	struct stat		 st;
	const char		*base;
	size_t			 len = strlen(path), i;
	int			 zerr, rc = 1;

	memset(&im, 0, sizeof(im));
	memset(sum, 0, sizeof(*sum));
	im.report = report;
	im.skip = skip;
	im.src.path = path;
	im.file = path;
	for (i = 0; i < GF__COUNT; i++)
		buf_init(&im.copy[i]);
	if (stat(path, &st) == -1) {
		fprintf(report, "%s: %s\n", path, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (len < 4 || strcasecmp(path + len - 4, ".zip") != 0) {
			fprintf(report, "%s: neither a directory nor a .zip\n",
			    path);
			goto out;
		}
		if ((im.src.zip = zip_open(path, ZIP_RDONLY, &zerr)) == NULL) {
			fprintf(report, "%s: not a readable zip (libzip "
			    "error %d)\n", path, zerr);
			goto out;
		}
	}
	for (i = 0; i < GF__COUNT && !im.fatal; i++)
		read_file(&im, (enum gtfs_file)i);
	if (!im.fatal && im.count[GF_CALENDAR] + im.count[GF_CALENDAR_DATES] ==
	    0) {
		im.file = "calendar.txt";
		im.line = 0;
		problem(&im, "the feed has no service: neither calendar.txt "
		    "nor calendar_dates.txt has a row");
		im.fatal = 1;
	}
	for (i = 0; i < GF__COUNT && !im.fatal; i++)
		if (specs[i].needed && im.count[i] == 0) {
			im.file = specs[i].name;
			im.line = 0;
			problem(&im, "no row of %s could be imported",
			    specs[i].name);
			im.fatal = 1;
		}
	if (im.printed > REPORT_MAX)
		fprintf(report, "... and %ld more problems\n",
		    im.printed - REPORT_MAX);
	sum->errors = im.errors;
	if (im.fatal) {
		fprintf(report, "%s: the feed cannot be imported: nothing "
		    "imported\n", path);
		goto out;
	}
	if (im.errors > 0 && !skip) {
		fprintf(report, "%s: %ld problem%s: nothing imported "
		    "(--skip-errors imports the feed without those rows)\n",
		    path, im.errors, im.errors > 1 ? "s" : "");
		goto out;
	}
	base = strrchr(path, '/') != NULL && strrchr(path, '/')[1] != '\0' ?
	    strrchr(path, '/') + 1 : path;
	t.im = &im;
	t.source = base;
	t.now = now;
	if (db_tx(db, import_tx, &t, &err) == -1) {
		fprintf(report, "%s: the database failed: nothing imported\n",
		    path);
		rc = -1;
		goto out;
	}
	/* Committed: the cached routes and stops of this process go now. */
	cache_drop(SHUTTLES_CACHE_TAG);
	/* Not the import's to fail: a request reads the heap meanwhile. */
	if (db_exec(db, SHUT_STMT(SS_VACUUM), NULL, NULL, &err) == -1)
		fprintf(report, "%s: imported; VACUUM failed (SQLSTATE %s)\n",
		    path, err.sqlstate);
	sum->rows = im.rows;
	rc = 0;
out:
	if (im.src.zip != NULL)
		zip_discard(im.src.zip);
	for (i = 0; i < GF__COUNT; i++)
		buf_cleanup(&im.copy[i]);
	set_free(&im.agencies);
	set_free(&im.stops);
	set_free(&im.routes);
	set_free(&im.services);
	set_free(&im.trips);
	set_free(&im.keys);
	return (rc);
}
