/*
 * alerts.c: the alerts operators post on the shuttles, with
 * GTFS-Realtime's Alert semantics: a cause, an effect, active periods
 * (none: always), the routes and stops they inform about, a header and a
 * description in fr, en and it.  Their public form (alerts_json()) goes
 * on the routes, stops and departures they affect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/check.h"
#include "shuttles/shuttles_int.h"

static json_t *
json_text(const char *s)
{
	json_t	*j = s != NULL ? json_loads(s, 0, NULL) : NULL;

	return (j != NULL ? j : json_array());
}

json_t *
alerts_json(const struct db_res *res, enum lang lang)
{
	const char	*l = lang_code(lang);
	char		 hcol[24], dcol[24];
	json_t		*all = json_array(), *a;
	int		 i;

	snprintf(hcol, sizeof(hcol), "header_%s", l);
	snprintf(dcol, sizeof(dcol), "description_%s", l);
	for (i = 0; i < db_res_rows(res); i++) {
		a = json_pack("{s:s?, s:s?, s:s?, s:o, s:o, s:o, s:s?, s:s?, "
		    "s:s?}",
		    "id", db_str(res, i, "id"),
		    "cause", db_str(res, i, "cause"),
		    "effect", db_str(res, i, "effect"),
		    "active_periods", json_text(db_str(res, i, "periods")),
		    "route_ids", json_text(db_str(res, i, "route_ids")),
		    "stop_ids", json_text(db_str(res, i, "stop_ids")),
		    "header", db_str(res, i, hcol),
		    "description", db_str(res, i, dcol),
		    "url", db_str(res, i, "url"));
		json_array_append_new(all, a);
	}
	return (all);
}
