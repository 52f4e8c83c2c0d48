/*
 * gtfs.c: CSV, GTFS times and dates, service days' origins and time
 * zones (gtfs.h).  No database, no global state.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "shuttles/gtfs.h"

#define ZONEINFO	"/usr/share/zoneinfo"
#define TZIF_MAX	(1024 * 1024)

/* CSV */

void
csv_open(struct csv *c, const char *data, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->p = data;
	c->end = data + len;
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		c->p += 3;
	c->next_line = 1;
}

void
csv_close(struct csv *c)
{
	free(c->rec);
	free(c->field);
	memset(c, 0, sizeof(*c));
}

static void
rec_add(struct csv *c, size_t *len, char ch)
{
	if (*len + 1 >= c->reccap) {
		c->reccap = c->reccap == 0 ? 256 : c->reccap * 2;
		c->rec = xrealloc(c->rec, c->reccap);
	}
	c->rec[(*len)++] = ch;
}

/* Field offsets are kept in 'field' as integers until the record ends. */
static void
field_start(struct csv *c, size_t len)
{
	if (c->nfields == c->fieldcap) {
		c->fieldcap = c->fieldcap == 0 ? 16 : c->fieldcap * 2;
		c->field = xrealloc(c->field, c->fieldcap * sizeof(*c->field));
	}
	c->field[c->nfields++] = (char *)(uintptr_t)len;
}

static int
eol(const struct csv *c)
{
	return (c->p >= c->end || *c->p == '\n' || *c->p == '\r');
}

int
csv_next(struct csv *c, char *err, size_t errlen)
{
	const char	*bad = NULL;
	size_t		 len = 0, i;

	for (;;) {
		if (c->p >= c->end)
			return (0);
		c->line = c->next_line;
		if (*c->p == '\n') {
			c->p++;
			c->next_line++;
		} else if (*c->p == '\r') {
			c->p++;
			if (c->p < c->end && *c->p == '\n')
				c->p++;
			c->next_line++;
		} else
			break;
	}
	c->nfields = 0;
	for (;;) {
		field_start(c, len);
		if (c->p < c->end && *c->p == '"') {
			c->p++;
			for (;;) {
				if (c->p >= c->end) {
					if (bad == NULL)
						bad = "a quoted field is not "
						    "closed";
					break;
				}
				if (*c->p == '"') {
					if (c->p + 1 < c->end &&
					    c->p[1] == '"') {
						rec_add(c, &len, '"');
						c->p += 2;
						continue;
					}
					c->p++;
					break;
				}
				if (*c->p == '\n')
					c->next_line++;
				rec_add(c, &len, *c->p++);
			}
			while (!eol(c) && *c->p != ',') {
				if (bad == NULL)
					bad = "text after a closing quote";
				rec_add(c, &len, *c->p++);
			}
		} else {
			while (!eol(c) && *c->p != ',') {
				if (*c->p == '"' && bad == NULL)
					bad = "a quote inside an unquoted "
					    "field";
				rec_add(c, &len, *c->p++);
			}
		}
		rec_add(c, &len, '\0');
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '\r')
			c->p++;
		if (c->p < c->end && *c->p == '\n')
			c->p++;
		c->next_line++;
		break;
	}
	for (i = 0; i < c->nfields; i++)
		c->field[i] = c->rec + (size_t)(uintptr_t)c->field[i];
	if (bad != NULL) {
		snprintf(err, errlen, "%s", bad);
		return (-1);
	}
	return (1);
}

/* The header's name 'h' without surrounding spaces equals 'name'. */
static int
header_is(const char *h, const char *name)
{
	size_t	 n;

	while (*h == ' ' || *h == '\t')
		h++;
	n = strlen(h);
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	return (n == strlen(name) && memcmp(h, name, n) == 0);
}

int
csv_header(const struct csv *c, const char *const *names,
    const int *required, size_t n, int *idx, char *missing, size_t mlen)
{
	size_t	 i, j, used = 0;
	int	 count = 0;

	if (mlen > 0)
		missing[0] = '\0';
	for (i = 0; i < n; i++) {
		idx[i] = -1;
		for (j = 0; j < c->nfields; j++) {
			if (!header_is(c->field[j], names[i]))
				continue;
			if (idx[i] != -1)
				return (-1);
			idx[i] = (int)j;
		}
		if (idx[i] == -1 && required[i]) {
			if (used < mlen)
				used += (size_t)snprintf(missing + used,
				    mlen - used, "%s%s", count > 0 ? ", " : "",
				    names[i]);
			count++;
		}
	}
	return (count);
}

const char *
csv_get(const struct csv *c, int idx)
{
	if (idx < 0 || (size_t)idx >= c->nfields)
		return ("");
	return (c->field[idx]);
}

/* Times and dates */

static int
digits(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return (0);
	return (1);
}

long
gtfs_time_parse(const char *s)
{
	size_t	 n, h;
	long	 hh, mm, ss;

	while (*s == ' ')
		s++;
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n < 7 || n > 9)
		return (-1);
	h = n - 6;		/* 1 to 3 digits of hours */
	if (!digits(s, h) || s[h] != ':' || !digits(s + h + 1, 2) ||
	    s[h + 3] != ':' || !digits(s + h + 4, 2))
		return (-1);
	hh = strtol(s, NULL, 10);
	mm = (s[h + 1] - '0') * 10 + (s[h + 2] - '0');
	ss = (s[h + 4] - '0') * 10 + (s[h + 5] - '0');
	if (mm > 59 || ss > 59 || hh > 167)
		return (-1);
	return (hh * 3600 + mm * 60 + ss);
}

void
gtfs_time_format(long t, char *out, size_t len)
{
	if (t < 0)
		t = 0;
	snprintf(out, len, "%02ld:%02ld:%02ld", t / 3600, t / 60 % 60,
	    t % 60);
}

int32_t
gtfs_date_parse(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 y, m, d;

	if (strlen(s) != 8 || !digits(s, 8))
		return (INT32_MIN);
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[4] - '0') * 10 + (s[5] - '0');
	d = (s[6] - '0') * 10 + (s[7] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return (INT32_MIN);
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return (INT32_MIN);
	return ((int32_t)clock_days_from_civil(y, m, d));
}

void
gtfs_date_format(int32_t day, char *out, size_t len)
{
	int	 y, m, d;

	clock_civil_from_days(day, &y, &m, &d);
	snprintf(out, len, "%04d-%02d-%02d", y, m, d);
}

/* Time zones: TZif (RFC 8536), version 2 and later's 64-bit data. */

struct tz {
	size_t		 n;
	int64_t		*at;		/* transitions, ascending */
	int32_t		*off;		/* the offset from each */
	int32_t		 off0;		/* before the first */
};

int
tz_name_ok(const char *name)
{
	size_t	 i, n = name != NULL ? strlen(name) : 0;

	if (n == 0 || n > 64 || name[0] == '/' || name[0] == '.' ||
	    strstr(name, "..") != NULL)
		return (0);
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= 'a' &&
		    name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		    strchr("/_+-", name[i]) != NULL))
			return (0);
	return (1);
}

static uint32_t
be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

static int64_t
be64(const unsigned char *p)
{
	return ((int64_t)((uint64_t)be32(p) << 32 | be32(p + 4)));
}

struct tz *
tz_load(const char *name)
{
	unsigned char	*b = NULL, *p, *types;
	struct tz	*tz = NULL;
	char		 path[256];
	FILE		*f;
	size_t		 len, i, sz;
	uint32_t	 isut, isstd, leap, timecnt, typecnt, charcnt;
	int		 v2, pass;

	if (!tz_name_ok(name))
		return (NULL);
	snprintf(path, sizeof(path), "%s/%s", ZONEINFO, name);
	if ((f = fopen(path, "rb")) == NULL)
		return (NULL);
	b = xmalloc(TZIF_MAX);
	len = fread(b, 1, TZIF_MAX, f);
	fclose(f);
	p = b;
	for (pass = 0; pass < 2; pass++) {
		if ((size_t)(p - b) + 44 > len || memcmp(p, "TZif", 4) != 0)
			goto bad;
		v2 = p[4] >= '2';
		isut = be32(p + 20);
		isstd = be32(p + 24);
		leap = be32(p + 28);
		timecnt = be32(p + 32);
		typecnt = be32(p + 36);
		charcnt = be32(p + 40);
		if (typecnt == 0 || typecnt > 256 || timecnt > 100000 ||
		    leap > 10000 || charcnt > 10000 || isut > 256 ||
		    isstd > 256)
			goto bad;
		sz = pass == 0 ? 4 : 8;
		if (pass == 0 && v2) {
			p += 44 + timecnt * 4 + timecnt + typecnt * 6 +
			    charcnt + leap * 8 + isstd + isut;
			continue;
		}
		p += 44;
		if ((size_t)(p - b) + timecnt * sz + timecnt + typecnt * 6 >
		    len)
			goto bad;
		types = p + timecnt * sz + timecnt;
		tz = xcalloc(1, sizeof(*tz));
		tz->n = timecnt;
		tz->at = xcalloc(timecnt + 1, sizeof(*tz->at));
		tz->off = xcalloc(timecnt + 1, sizeof(*tz->off));
		for (i = 0; i < timecnt; i++) {
			uint8_t	 t = p[timecnt * sz + i];

			if (t >= typecnt)
				goto bad;
			tz->at[i] = sz == 8 ? be64(p + i * 8) :
			    (int32_t)be32(p + i * 4);
			tz->off[i] = (int32_t)be32(types + t * 6);
		}
		/* Before the first transition: the first standard type. */
		tz->off0 = (int32_t)be32(types);
		for (i = 0; i < typecnt; i++)
			if (types[i * 6 + 4] == 0) {
				tz->off0 = (int32_t)be32(types + i * 6);
				break;
			}
		free(b);
		return (tz);
	}
bad:
	tz_free(tz);
	free(b);
	return (NULL);
}

void
tz_free(struct tz *tz)
{
	if (tz == NULL)
		return;
	free(tz->at);
	free(tz->off);
	free(tz);
}

long
tz_offset(const struct tz *tz, int64_t t)
{
	size_t	 lo = 0, hi = tz->n, mid;

	if (tz->n == 0 || t < tz->at[0])
		return (tz->off0);
	/* The last transition at or before t. */
	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if (tz->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return (tz->off[lo]);
}

int64_t
tz_local_to_utc(const struct tz *tz, int64_t local)
{
	long	 before = tz_offset(tz, local - 86400);
	long	 after = tz_offset(tz, local + 86400);
	int64_t	 u1 = local - before, u2 = local - after;
	int	 ok1 = tz_offset(tz, u1) == before;
	int	 ok2 = tz_offset(tz, u2) == after;

	if (ok1 && ok2)
		return (u1 < u2 ? u1 : u2);
	if (ok2)
		return (u2);
	return (u1);
}

int64_t
gtfs_service_day_base(const struct tz *tz, int32_t day)
{
	return (tz_local_to_utc(tz, (int64_t)day * 86400 + 43200) - 43200);
}
