/*
 * mountain_db.c: the ski area's SQL, one statement per use, and its
 * business operations: a change of status of lifts and slopes (one, or a
 * batch for the morning opening: all or nothing), each kept in the
 * history.  The public documents are built in SQL as JSON (one round
 * trip, then cached); texts people read are chosen by a language
 * parameter, falling back to French; times come from the injectable
 * clock as parameters, never now().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "core/module.h"
#include "json/check.h"
#include "mountain/mountain_int.h"

/* Column 'c' (c_fr, c_en, c_it) in the language $1, French by default. */
#define LOC(c) \
	"CASE $1::text WHEN 'en' THEN coalesce(" c "_en, " c "_fr) " \
	"WHEN 'it' THEN coalesce(" c "_it, " c "_fr) ELSE " c "_fr END"
/* A timestamptz as the API's RFC 3339 UTC to the second. */
#define TS(x) DB_TIME_SQL(x)
/* The first instant of the day of $2 in the town. */
#define TODAY \
	"(date_trunc('day', $2::timestamptz AT TIME ZONE '" MOUNTAIN_ZONE \
	"') AT TIME ZONE '" MOUNTAIN_ZONE "')"
/*
 * The first instant of the next day of $2 in the town, in microseconds
 * since the epoch: when an answer that says "today" must be built again.
 */
#define NEXT_DAY \
	"(extract(epoch FROM (date_trunc('day', $2::timestamptz AT TIME ZONE '" \
	MOUNTAIN_ZONE "') + interval '1 day') AT TIME ZONE '" MOUNTAIN_ZONE \
	"') * 1000000)::bigint AS next_day"

#define LIFT_JSON \
	"json_build_object('id', l.id, 'name', l.name, 'type', l.kind, " \
	"'sector', l.sector, 'capacity_per_hour', l.capacity_per_hour, " \
	"'hours', l.hours, 'stations', json_build_object('bottom', " \
	"json_build_object('lat', l.bottom_lat, 'lon', l.bottom_lon, " \
	"'altitude_m', l.bottom_alt), 'top', json_build_object('lat', " \
	"l.top_lat, 'lon', l.top_lon, 'altitude_m', l.top_alt)), " \
	"'status', l.status, 'reason', " LOC("l.reason") ", " \
	"'expected_at', " TS("l.expected_at") ", " \
	"'status_changed_at', " TS("l.status_at") ")"

#define SLOPE_JSON \
	"json_build_object('id', s.id, 'name', s.name, 'difficulty', " \
	"s.difficulty, 'sector', s.sector, 'length_m', s.length_m, " \
	"'snowmaking', s.snowmaking, 'groomed', coalesce(s.groomed_on = " \
	"($2::timestamptz AT TIME ZONE '" MOUNTAIN_ZONE "')::date, false), " \
	"'groomed_on', s.groomed_on, 'lifts', coalesce((SELECT " \
	"json_agg(sl.lift_id ORDER BY sl.lift_id) FROM mountain.slope_lifts " \
	"sl WHERE sl.slope_id = s.id), '[]'::json), " \
	"'status', s.status, 'reason', " LOC("s.reason") ", " \
	"'expected_at', " TS("s.expected_at") ", " \
	"'status_changed_at', " TS("s.status_at") ")"

/*
 * One change of status with its history row: $1 id .. $8 by; 'more' sets
 * other columns of the row.
 */
#define SET_STATUS(table, kind, more) \
	"WITH u AS (UPDATE mountain." table " SET status = $2, " more \
	"reason_fr = $3, reason_en = $4, reason_it = $5, " \
	"expected_at = $6::timestamptz, status_at = $7::timestamptz " \
	"WHERE id = $1 RETURNING id, status, reason_fr, reason_en, " \
	"reason_it, expected_at, status_at) " \
	"INSERT INTO mountain.status_history (item_kind, item_id, status, " \
	"reason_fr, reason_en, reason_it, expected_at, changed_at, " \
	"changed_by) SELECT '" kind "', id, status, reason_fr, reason_en, " \
	"reason_it, expected_at, status_at, $8 FROM u RETURNING item_id AS id"

struct db_stmt mountain_stmts[MS__COUNT] = {
	/* GET /api/v1/lifts in language $1 */
	[MS_LIFTS] = { .name = "mountain_select_lifts",
	  .sql = "SELECT coalesce(json_agg(" LIFT_JSON " ORDER BY l.position, "
	  "l.id), '[]'::json)::text AS items, "
	  "count(*) FILTER (WHERE l.status = 'open') AS open, "
	  "count(*) AS total FROM mountain.lifts l", .nparams = 1 },
	/* GET /api/v1/lifts/{id}: lift $3 in $1 with its history of the day of $2 */
	[MS_LIFT] = { .name = "mountain_select_lift",
	  .sql = "SELECT (" LIFT_JSON "::jsonb || jsonb_build_object("
	  "'history', coalesce((SELECT json_agg(json_build_object("
	  "'status', h.status, 'reason', " LOC("h.reason") ", "
	  "'expected_at', " TS("h.expected_at") ", "
	  "'changed_at', " TS("h.changed_at") ") ORDER BY h.changed_at, h.id) "
	  "FROM mountain.status_history h WHERE h.item_kind = 'lift' AND "
	  "h.item_id = l.id AND h.changed_at >= " TODAY "), '[]'::json)))::text "
	  "AS lift, " NEXT_DAY " FROM mountain.lifts l WHERE l.id = $3",
	  .nparams = 3 },
	/* GET /api/v1/slopes in $1 at $2 (groomed today) */
	[MS_SLOPES] = { .name = "mountain_select_slopes",
	  .sql = "SELECT coalesce(json_agg(" SLOPE_JSON " ORDER BY s.position, "
	  "s.id), '[]'::json)::text AS items, "
	  "count(*) FILTER (WHERE s.status = 'open') AS open, "
	  "count(*) AS total, "
	  "coalesce(sum(s.length_m) FILTER (WHERE s.status = 'open'), 0) "
	  "AS m_open, coalesce(sum(s.length_m), 0) AS m_total, " NEXT_DAY
	  " FROM mountain.slopes s", .nparams = 2 },
	[MS_LIFT_SET] = { .name = "mountain_update_lift_status",
	  .sql = SET_STATUS("lifts", "lift", ""), .nparams = 8 },
	[MS_SLOPE_SET] = { .name = "mountain_update_slope_status",
	/* $9: 'true' groomed today, 'false' not, NULL unchanged */
	  .sql = SET_STATUS("slopes", "slope", "groomed_on = CASE $9::text "
	  "WHEN 'true' THEN ($7::timestamptz AT TIME ZONE '" MOUNTAIN_ZONE
	  "')::date WHEN 'false' THEN NULL ELSE groomed_on END, "),
	  .nparams = 9 },
	/* the batch: which of the ids of the JSON array $1 exist */
	[MS_LIFTS_KNOWN] = { .name = "mountain_select_lift_ids",
	  .sql = "SELECT id FROM mountain.lifts WHERE id IN "
	  "(SELECT jsonb_array_elements_text($1::jsonb))", .nparams = 1 },
	[MS_SLOPES_KNOWN] = { .name = "mountain_select_slope_ids",
	  .sql = "SELECT id FROM mountain.slopes WHERE id IN "
	  "(SELECT jsonb_array_elements_text($1::jsonb))", .nparams = 1 },
	/* GET /api/v1/snow-report in $1: the latest */
	[MS_SNOW_CURRENT] = { .name = "mountain_select_snow",
	  .sql = "SELECT json_build_object('depth_bottom_cm', r.depth_bottom_cm, "
	  "'depth_top_cm', r.depth_top_cm, 'fresh_24h_cm', r.fresh_24h_cm, "
	  "'last_snowfall', r.last_snowfall, 'avalanche', json_build_object("
	  "'level', r.avalanche_risk, 'date', r.avalanche_date, "
	  "'scale', 'EAWS'), 'weather', r.weather, "
	  "'temperature_c', r.temperature_c, 'comment', " LOC("r.comment")
	  ", 'reported_at', " TS("r.reported_at") ")::text AS report "
	  "FROM mountain.snow_reports r ORDER BY r.reported_at DESC, r.id DESC "
	  "LIMIT 1", .nparams = 1 },
	[MS_SNOW_INSERT] = { .name = "mountain_insert_snow",
	  .sql = "INSERT INTO mountain.snow_reports (depth_bottom_cm, "
	  "depth_top_cm, fresh_24h_cm, last_snowfall, avalanche_risk, "
	  "avalanche_date, weather, temperature_c, comment_fr, comment_en, "
	  "comment_it, reported_at, reported_by) VALUES ($1, $2, $3, "
	  "$4::date, $5, $6::date, $7, $8, $9, $10, $11, $12::timestamptz, "
	  "$13) RETURNING id", .nparams = 13 },
	[MS_SEASON_OF] = { .name = "mountain_select_season",
	  .sql = "SELECT code FROM mountain.seasons WHERE $1::date "
	  "BETWEEN starts_on AND ends_on", .nparams = 1 },
	/* GET /api/v1/lift-passes in $1 */
	[MS_PRODUCTS] = { .name = "mountain_select_products",
	  .sql = "SELECT coalesce(json_agg(json_build_object('code', p.code, "
	  "'kind', p.kind, 'days', p.days, 'season', p.season, "
	  "'title', " LOC("p.title") ", 'valid_from', s.starts_on, "
	  "'valid_to', s.ends_on, 'prices', (SELECT json_object_agg("
	  "pr.profile, pr.bands) FROM (SELECT profile, json_object_agg(band, "
	  "cents ORDER BY band) AS bands FROM mountain.pass_prices WHERE "
	  "product = p.code GROUP BY profile) pr)) ORDER BY s.starts_on, "
	  "p.position, p.code), '[]'::json)::text AS items "
	  "FROM mountain.pass_products p JOIN mountain.seasons s "
	  "ON s.code = p.season", .nparams = 1 },
	/* the quote: product $1 in $2 */
	[MS_PRODUCT] = { .name = "mountain_select_product",
	  .sql = "SELECT p.code AS code, p.kind AS kind, p.days AS days, "
	  "p.season AS season, s.starts_on::text AS starts_on, "
	  "s.ends_on::text AS ends_on, "
	  "CASE WHEN p.kind = 'season' THEN s.ends_on::text ELSE "
	  "($3::date + p.days - 1)::text END AS last_day, "
	  "CASE WHEN p.kind = 'season' THEN s.ends_on::text ELSE "
	  "(s.ends_on - p.days + 1)::text END AS last_start, "
	  "CASE $2::text WHEN 'en' THEN p.title_en WHEN 'it' THEN p.title_it "
	  "ELSE p.title_fr END AS title "
	  "FROM mountain.pass_products p JOIN mountain.seasons s "
	  "ON s.code = p.season WHERE p.code = $1", .nparams = 3 },
	[MS_PRICES] = { .name = "mountain_select_prices",
	  .sql = "SELECT profile, cents FROM mountain.pass_prices "
	  "WHERE product = $1 AND band = $2", .nparams = 2 },
	/* the resort's age bands (migration 031) */
	[MS_BANDS] = { .name = "mountain_select_bands",
	  .sql = "SELECT band, from_age FROM mountain.age_bands", .nparams = 0 },
};

const struct module_stmts mountain_stmt_table = { mountain_stmts,
    MS__COUNT };

const char *const mountain_status_names[] = { "open", "closed", "on_hold",
    "scheduled", NULL };

int
mountain_status_from(const char *s)
{
	int	 i;

	for (i = 0; s != NULL && mountain_status_names[i] != NULL; i++)
		if (strcmp(s, mountain_status_names[i]) == 0)
			return (i);
	return (-1);
}

int
mountain_status_from_operator(const char *w)
{
	static const struct { const char *word; int status; } map[] = {
		{ "opened", MST_OPEN }, { "open", MST_OPEN },
		{ "closed", MST_CLOSED },
		/* out of its period: closed for the season */
		{ "out_period", MST_CLOSED },
		{ "on_hold", MST_ON_HOLD }, { "hold", MST_ON_HOLD },
		/* running late: on hold until it starts */
		{ "delayed", MST_ON_HOLD },
		{ "scheduled", MST_SCHEDULED },
	};
	size_t	 i;

	for (i = 0; w != NULL && i < NELEM(map); i++)
		if (strcmp(w, map[i].word) == 0)
			return (map[i].status);
	return (-1);
}

void
status_change_of(const json_t *o, struct status_change *c)
{
	const json_t	*r = json_object_get(o, "reason");

	memset(c, 0, sizeof(*c));
	c->id = json_str(o, "id");
	c->status = json_str(o, "status");
	c->reason[0] = json_str(r, "fr");
	c->reason[1] = json_str(r, "en");
	c->reason[2] = json_str(r, "it");
	c->expected_at = json_str(o, "expected_at");
	c->groomed = json_is_true(json_object_get(o, "groomed")) ? 1 :
	    json_is_false(json_object_get(o, "groomed")) ? 0 : -1;
}

static const char *const msg_expected[3][3] = {
	{ "une ouverture prévue dit à quelle heure",
	  "a scheduled opening says when", "un'apertura prevista dice quando" },
	{ "l'heure attendue doit être à venir",
	  "the expected time must be in the future",
	  "l'ora prevista deve essere futura" },
	{ "une raison en français d'abord",
	  "a reason in French first", "una ragione prima in francese" },
};

size_t
status_change_check(const struct status_change *c, const char *prefix,
    int64_t now, enum lang lang, json_t *errors)
{
	char	 field[96];
	int64_t	 at;
	size_t	 n = 0;

	snprintf(field, sizeof(field), "%s/expected_at", prefix);
	if (mountain_status_from(c->status) == MST_SCHEDULED &&
	    c->expected_at == NULL) {
		json_error_add(errors, field, "required",
		    msg_expected[0][lang]);
		n++;
	}
	if (c->expected_at != NULL && clock_parse(c->expected_at, &at) == 0 &&
	    at <= now) {
		json_error_add(errors, field, "range", msg_expected[1][lang]);
		n++;
	}
	if (c->reason[0] == NULL && (c->reason[1] != NULL ||
	    c->reason[2] != NULL)) {
		snprintf(field, sizeof(field), "%s/reason/fr", prefix);
		json_error_add(errors, field, "required",
		    msg_expected[2][lang]);
		n++;
	}
	return (n);
}

struct set_tx {
	const struct status_change	*c[2];
	size_t				 n[2];
	const char			*by;
	char				 now[40];
	enum mountain_kind		 bad_kind;
	size_t				 bad_index;
	int				 unknown;
};

static int
set_tx(struct db *db, void *arg, struct db_error *err)
{
	struct set_tx	*t = arg;
	struct db_res	*res;
	const char	*p[9];
	size_t		 i;
	int		 k, rows;

	t->unknown = 0;
	for (k = 0; k < 2; k++)
		for (i = 0; i < t->n[k]; i++) {
			p[0] = t->c[k][i].id;
			p[1] = t->c[k][i].status;
			p[2] = t->c[k][i].reason[0];
			p[3] = t->c[k][i].reason[1];
			p[4] = t->c[k][i].reason[2];
			p[5] = t->c[k][i].expected_at;
			p[6] = t->now;
			p[7] = t->by;
			p[8] = t->c[k][i].groomed == 1 ? "true" :
			    t->c[k][i].groomed == 0 ? "false" : NULL;
			if (db_exec(db, MOUNTAIN_STMT(k == MK_LIFT ?
			    MS_LIFT_SET : MS_SLOPE_SET), p, &res, err) == -1)
				return (-1);
			rows = db_res_rows(res);
			db_res_free(res);
			if (rows != 1) {
				/* Nothing of the batch: rolled back. */
				t->unknown = 1;
				t->bad_kind = (enum mountain_kind)k;
				t->bad_index = i;
				err->code = DB_OK;
				return (-1);
			}
		}
	return (0);
}

int
mountain_set_statuses(struct db *db, const struct status_change *lifts,
    size_t nl, const struct status_change *slopes, size_t ns, const char *by,
    int64_t now, enum mountain_kind *bad_kind, size_t *bad_index,
    struct db_error *err)
{
	struct set_tx	 t;

	memset(&t, 0, sizeof(t));
	t.c[MK_LIFT] = lifts;
	t.n[MK_LIFT] = nl;
	t.c[MK_SLOPE] = slopes;
	t.n[MK_SLOPE] = ns;
	t.by = by;
	clock_format(now, t.now, sizeof(t.now));
	if (db_tx(db, set_tx, &t, err) == -1) {
		if (t.unknown) {
			*bad_kind = t.bad_kind;
			*bad_index = t.bad_index;
			return (1);
		}
		return (-1);
	}
	return (0);
}

/*
 * guichetctl mountain status lift|slope ID STATUS [REASON_FR [EXPECTED_AT]]:
 * the same operation as PUT .../status, by "guichetctl".
 */
int
mountain_ctl(struct ctl_ctx *ctl)
{
	struct status_change	 c;
	struct db_error		 err;
	enum mountain_kind	 kind, bk;
	json_t			*errors;
	size_t			 bi, n;
	int			 rc;

	if (ctl->argc >= 1 && (strcmp(ctl->argv[0], "import") == 0 ||
	    strcmp(ctl->argv[0], "export") == 0))
		return (mountain_ref_ctl(ctl));
	if (ctl->argc < 4 || ctl->argc > 6 || strcmp(ctl->argv[0],
	    "status") != 0 || (strcmp(ctl->argv[1], "lift") != 0 &&
	    strcmp(ctl->argv[1], "slope") != 0)) {
		fprintf(stderr, "usage: guichetctl mountain status lift|slope "
		    "ID STATUS [REASON_FR [EXPECTED_AT]] | mountain import "
		    "[--dry-run] FILE.json | mountain export\n");
		return (-1);
	}
	kind = strcmp(ctl->argv[1], "lift") == 0 ? MK_LIFT : MK_SLOPE;
	memset(&c, 0, sizeof(c));
	c.id = ctl->argv[2];
	c.status = ctl->argv[3];
	c.reason[0] = ctl->argc >= 5 ? ctl->argv[4] : NULL;
	c.expected_at = ctl->argc >= 6 ? ctl->argv[5] : NULL;
	c.groomed = -1;
	if (mountain_status_from(c.status) == -1) {
		fprintf(stderr, "guichetctl: %s: not open, closed, on_hold or "
		    "scheduled\n", c.status);
		return (-1);
	}
	errors = json_array();
	n = status_change_check(&c, "", clock_now(), LANG_EN, errors);
	if (n == 0 && c.expected_at != NULL &&
	    !json_format_ok(JF_DATETIME, c.expected_at))
		n = 1;
	json_decref(errors);
	if (n > 0) {
		fprintf(stderr, "guichetctl: scheduled needs an expected time "
		    "to come (RFC 3339)\n");
		return (-1);
	}
	rc = mountain_set_statuses(ctl->db, kind == MK_LIFT ? &c : NULL,
	    kind == MK_LIFT, kind == MK_SLOPE ? &c : NULL, kind == MK_SLOPE,
	    "guichetctl", clock_now(), &bk, &bi, &err);
	if (rc == -1) {
		fprintf(stderr, "guichetctl: the database failed\n");
		return (-1);
	}
	if (rc == 1) {
		fprintf(stderr, "guichetctl: no %s %s\n", ctl->argv[1], c.id);
		return (-1);
	}
	printf("%s %s: %s\n", ctl->argv[1], c.id, c.status);
	return (0);
}
