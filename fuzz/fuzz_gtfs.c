/*
 * fuzz_gtfs: any bytes as a GTFS CSV file (src/shuttles/gtfs.c): every
 * record read, malformed ones skipped, the header matched against
 * stop_times.txt's columns, and each field read as a GTFS time and date,
 * as the import does with a feed from anywhere.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "shuttles/gtfs.h"

static const char *const cols[] = { "trip_id", "arrival_time",
    "departure_time", "stop_id", "stop_sequence" };
static const int req[] = { 1, 0, 0, 1, 1 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv	 c;
	char		 why[128], missing[128], out[32];
	int		 idx[5], rc, first = 1;
	size_t		 i;
	long		 t;

	csv_open(&c, (const char *)data, size);
	while ((rc = csv_next(&c, why, sizeof(why))) != 0) {
		if (rc == -1)
			continue;
		if (first) {
			(void)csv_header(&c, cols, req, 5, idx, missing,
			    sizeof(missing));
			first = 0;
		}
		for (i = 0; i < c.nfields; i++) {
			if ((t = gtfs_time_parse(c.field[i])) >= 0)
				gtfs_time_format(t, out, sizeof(out));
			if (gtfs_date_parse(c.field[i]) != INT32_MIN)
				gtfs_date_format(gtfs_date_parse(c.field[i]),
				    out, sizeof(out));
		}
		(void)csv_get(&c, (int)c.nfields);
	}
	csv_close(&c);
	return (0);
}
