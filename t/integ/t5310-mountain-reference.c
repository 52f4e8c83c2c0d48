/*
 * t5310-mountain-reference: the mountain's reference data as one
 * document (src/mountain/reference.c) against real guichetd processes
 * and PostgreSQL, on the demo town (Montgenèvre's 22 lifts, imported by
 * the demo through the same path):
 *  - guichetctl mountain export prints what import reads back to no
 *    change, and exports again to the same bytes; GET /api/v1/admin/mountain
 *    answers the same document, PUT of it changes nothing;
 *  - each class of bad document (not JSON, the schema's: unknown member,
 *    wrong type, value not allowed, missing section; and what a schema
 *    cannot say: ids, duplicates, references between sections, dates,
 *    hours, coordinates, bands, days) is refused with its JSON pointer,
 *    through guichetctl ("FILE: POINTER: reason") and HTTP (422), and
 *    changes nothing; a failure of the database in the middle of the
 *    transaction changes nothing either;
 *  - a change shows at once: a price in the quote and the list of
 *    passes, a removed lift gone from GET /api/v1/lifts (its history
 *    kept), a new one closed, one that stays keeps its status; a dry run
 *    reports and changes nothing; the writing process shows it even when
 *    no notification comes (it drops its own cache);
 *  - a change (not a dry run, not an import that changes nothing) is an
 *    event "mountain_reference" of the live stream;
 *  - the age bands are the operator's: the quote follows them;
 *  - a town without lifts: an empty mountain;
 *  - only the operator (lifts:write, or staff of the department).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtnlib.h"

#define FROZEN	"2026-12-20T08:00:00Z"
#define ADMIN	"/api/v1/admin/mountain"
#define LIFTS	"/api/v1/lifts"
#define PASSES	"/api/v1/lift-passes"
#define QUOTE	"/api/v1/lift-passes/quote?product=day_2026&start=2026-12-20" \
		"&birthdate=1990-01-01"

/* guichetctl mountain export: its text (caller frees), 0 asserted. */
static char *
export_text(const struct idenv *e)
{
	char	*out, *err;

	ck_assert_int_eq(idl_ctl_words(e, &out, &err, "mountain", "export", NULL), 0);
	free(err);
	return (out);
}

static json_t *
export_doc(const struct idenv *e)
{
	char	*text = export_text(e);
	json_t	*j = json_loads(text, 0, NULL);

	ck_assert_msg(j != NULL, "export is not JSON: %s", text);
	free(text);
	return (j);
}

/* 'doc' into a scratch file: its path. */
static char *
doc_file(const json_t *doc)
{
	char	*text = json_dumps(doc, JSON_INDENT(1) | JSON_REAL_PRECISION(15));
	char	*path = idl_scratch("mountain.json", text);

	free(text);
	return (path);
}

/* guichetctl mountain import [--dry-run] of 'doc': status, *out, *err. */
static int
import(const struct idenv *e, const json_t *doc, int dry, char **out,
    char **err)
{
	char	*path = doc_file(doc);
	int	 rc;

	rc = dry ? idl_ctl_words(e, out, err, "mountain", "import", "--dry-run", path,
	    NULL) : idl_ctl_words(e, out, err, "mountain", "import", path, NULL);
	free(path);
	return (rc);
}

/* The index of the item of section 'sec' whose 'key' is 'v'. */
static size_t
index_of(json_t *doc, const char *sec, const char *key, const char *v)
{
	json_t	*it;
	size_t	 i;

	json_array_foreach(json_object_get(doc, sec), i, it)
		if (strcmp(idl_jstr(it, key), v) == 0)
			return (i);
	ck_abort_msg("no %s %s", sec, v);
	return (0);
}

/* The item of section 'sec' whose 'key' is 'v' (asserted). */
static json_t *
find(json_t *doc, const char *sec, const char *key, const char *v)
{
	return (json_array_get(json_object_get(doc, sec), index_of(doc, sec,
	    key, v)));
}

/* The anonymous quote of QUOTE's adult: its price. */
static long
quote_price(const struct idenv *e, const char *path)
{
	json_t	*j;
	long	 st, cents;

	j = idl_reqj(e, "GET", path, NULL, NULL, &st);
	ck_assert_msg(st == 200, "%s: %ld", path, st);
	cents = (long)json_integer_value(json_object_get(j, "price_cents"));
	json_decref(j);
	return (cents);
}

/* GET /api/v1/lift-passes: the standard adult price of 'code'. */
static long
listed_price(const struct idenv *e, const char *code)
{
	json_t	*j, *it;
	long	 st, cents = -1;
	size_t	 i;

	j = idl_reqj(e, "GET", PASSES, NULL, NULL, &st);
	ck_assert_int_eq(st, 200);
	json_array_foreach(json_object_get(j, "items"), i, it)
		if (strcmp(idl_jstr(it, "code"), code) == 0)
			cents = (long)json_integer_value(json_object_get(
			    json_object_get(json_object_get(it, "prices"),
			    "standard"), "adult"));
	json_decref(j);
	return (cents);
}

/* The report's list 'part' of section 'sec' as compact JSON (frees). */
static char *
report_part(const json_t *report, const char *sec, const char *part)
{
	return (json_dumps(json_object_get(json_object_get(report, sec),
	    part), JSON_COMPACT));
}

START_TEST(test_round_trip)
{
	struct idenv	 e;
	char		*first, *second, *path, *out, *err, *op;
	json_t		*doc, *j;
	long		 st;

	idl_start_new(&e, FROZEN);
	/* The demo came through the import: all of it is there. */
	doc = export_doc(&e);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "lifts")), 22);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "slopes")), 11);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "passes")), 6);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "seasons")), 2);
	ck_assert_int_eq(json_array_size(json_object_get(doc, "bands")), 4);
	j = find(doc, "lifts", "id", "tc6-le-chalvet");
	idl_assert_str(j, "type", "gondola");
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "capacity_per_hour")), 2000);
	idl_assert_str(json_object_get(json_object_get(j, "hours"), "summer"),
	    "opens", "09:30");
	ck_assert(json_real_value(json_object_get(json_object_get(
	    json_object_get(j, "stations"), "top"), "lat")) == 44.9216);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    json_object_get(find(doc, "passes", "code", "season_2026"),
	    "prices"), "resident"), "adult")), 26000);

	/* Export, import back: nothing changes, and the bytes are the same. */
	first = export_text(&e);
	path = idl_scratch("export.json", first);
	ck_assert_int_eq(idl_ctl_words(&e, &out, &err, "mountain", "import", path, NULL),
	    0);
	ck_assert_msg(strstr(out, "lifts: 0 created, 0 changed, 0 removed, 22 "
	    "unchanged") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "passes: 0 created, 0 changed, 0 removed, 6 "
	    "unchanged") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "bands: unchanged") != NULL, "%s", out);
	free(out);
	free(err);
	second = export_text(&e);
	ck_assert_str_eq(first, second);

	/* The same document over HTTP, and back. */
	op = idl_operator_token(&e);
	j = idl_reqj(&e, "GET", ADMIN, op, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_msg(json_equal(j, doc), "GET %s is not the export", ADMIN);
	j = idl_sendj(&e, "PUT", ADMIN, op, j, &st);
	ck_assert_msg(st == 200, "PUT: %ld", st);
	ck_assert(json_is_false(json_object_get(j, "dry_run")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j,
	    "lifts"), "unchanged")), 22);
	json_decref(j);
	free(second);
	second = export_text(&e);
	ck_assert_str_eq(first, second);
	json_decref(doc);
	free(first);
	free(second);
	free(path);
	free(op);
	idl_stop(&e);
}
END_TEST

/*
 * Bad documents: each is the demo's export with one defect, its pointer
 * and a word of its reason.
 */
struct defect {
	const char	*pointer;
	const char	*reason;	/* a word of the English message */
	void		(*make)(json_t *);
};

static void
set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, json_string(v));
}

static json_t *
lift0(json_t *d)
{
	return (json_array_get(json_object_get(d, "lifts"), 0));
}

static void d_unknown(json_t *d) { set_str(lift0(d), "colour", "red"); }
static void d_type(json_t *d) { set_str(lift0(d), "capacity_per_hour", "900"); }
static void d_enum(json_t *d) { set_str(lift0(d), "type", "funicular"); }
static void d_missing(json_t *d) { json_object_del(d, "seasons"); }
static void d_id(json_t *d) { set_str(lift0(d), "id", "Bad Id"); }
static void
d_dup(json_t *d)
{
	set_str(json_array_get(json_object_get(d, "lifts"), 2), "id",
	    idl_jstr(json_array_get(json_object_get(d, "lifts"), 1), "id"));
}
static void
d_slope_lift(json_t *d)
{
	json_array_set_new(json_object_get(json_array_get(json_object_get(d,
	    "slopes"), 0), "lifts"), 0, json_string("no-such-lift"));
}
static void
d_season(json_t *d)
{
	set_str(json_array_get(json_object_get(d, "passes"), 0), "season",
	    "2030-2031");
}
static void
d_band(json_t *d)
{
	/* No senior band any more: the senior prices name none. */
	json_array_remove(json_object_get(d, "bands"), 3);
}
static void
d_hours(json_t *d)
{
	json_object_set_new(lift0(d), "hours", json_pack("{s:{s:s,s:s}}",
	    "winter", "opens", "09:00", "closes", "25:00"));
}
static void
d_closes(json_t *d)
{
	json_object_set_new(lift0(d), "hours", json_pack("{s:{s:s,s:s}}",
	    "winter", "opens", "16:00", "closes", "09:00"));
}
static void
d_lat(json_t *d)
{
	json_object_set_new(json_object_get(json_object_get(lift0(d),
	    "stations"), "top"), "lat", json_real(91.5));
}
static void
d_dates(json_t *d)
{
	set_str(json_array_get(json_object_get(d, "seasons"), 1), "ends_on",
	    "2026-11-30");
}
static void
d_order(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "bands"), 2),
	    "from_age", json_integer(4));
}
static void
d_days(json_t *d)
{
	json_object_set_new(json_array_get(json_object_get(d, "passes"), 0),
	    "days", json_integer(2));
}

static const struct defect defects[] = {
	{ "/lifts/0/colour", "unknown", d_unknown },
	{ "/lifts/0/capacity_per_hour", "integer", d_type },
	{ "/lifts/0/type", "chairlift", d_enum },
	{ "/seasons", "required", d_missing },
	{ "/lifts/0/id", "lowercase", d_id },
	{ "/lifts/2/id", "already", d_dup },
	{ "/slopes/0/lifts/0", "no lift", d_slope_lift },
	{ "/passes/0/season", "no season", d_season },
	{ "/passes/0/prices/standard/senior", "no age band", d_band },
	{ "/lifts/0/hours/winter/closes", "HH:MM", d_hours },
	{ "/lifts/0/hours/winter/closes", "after", d_closes },
	{ "/lifts/0/stations/top/lat", "latitude", d_lat },
	{ "/seasons/1/ends_on", "last day", d_dates },
	{ "/bands/2", "youngest", d_order },
	{ "/passes/0/days", "1 day", d_days },
};

START_TEST(test_bad_documents)
{
	struct idenv	 e;
	char		*before, *after, *out, *err, *line, *path, *op;
	json_t		*doc, *bad, *j, *fe;
	size_t		 i;
	long		 st;

	idl_start_new(&e, FROZEN);
	op = idl_operator_token(&e);
	before = export_text(&e);
	doc = json_loads(before, 0, NULL);
	/* Not JSON at all. */
	path = idl_scratch("broken.json", "{\"lifts\": [");
	ck_assert_int_ne(idl_ctl_words(&e, &out, &err, "mountain", "import", path, NULL),
	    0);
	ck_assert_msg(strstr(err, "not JSON") != NULL, "%s", err);
	free(out);
	free(err);
	free(path);
	for (i = 0; i < sizeof(defects) / sizeof(defects[0]); i++) {
		bad = json_deep_copy(doc);
		defects[i].make(bad);
		/* guichetctl: "FILE: POINTER: reason", nothing changed. */
		ck_assert_int_ne(import(&e, bad, 0, &out, &err), 0);
		line = harness_printf(": %s: ", defects[i].pointer);
		ck_assert_msg(strstr(err, line) != NULL, "defect %zu: no %s "
		    "in: %s", i, defects[i].pointer, err);
		ck_assert_msg(strstr(strstr(err, line), defects[i].reason) !=
		    NULL, "defect %zu: no '%s' in: %s", i, defects[i].reason,
		    err);
		ck_assert_msg(strstr(err, "nothing changed") != NULL, "%s", err);
		free(line);
		free(out);
		free(err);
		/* HTTP: 422 with the same pointer. */
		j = idl_sendj(&e, "PUT", ADMIN, op, json_incref(bad), &st);
		ck_assert_msg(st == 422, "defect %zu: PUT %ld", i, st);
		fe = idl_error_for(j, defects[i].pointer);
		ck_assert_msg(fe != NULL, "defect %zu: no error for %s", i,
		    defects[i].pointer);
		json_decref(j);
		json_decref(bad);
		after = export_text(&e);
		ck_assert_msg(strcmp(before, after) == 0, "defect %zu changed "
		    "the data", i);
		free(after);
	}
	/* The semantic refusal has its own problem code. */
	bad = json_deep_copy(doc);
	d_dup(bad);
	j = idl_sendj(&e, "PUT", ADMIN, op, bad, &st);
	ck_assert_int_eq(st, 422);
	idl_assert_str(j, "code", "mountain_reference_invalid");
	json_decref(j);
	json_decref(doc);
	free(before);
	free(op);
	idl_stop(&e);
}
END_TEST

/* A failure in the middle of the transaction: nothing of it stays. */
START_TEST(test_atomic)
{
	struct idenv	 e;
	char		*before, *after, *out, *err;
	json_t		*doc;

	idl_start_new(&e, FROZEN);
	before = export_text(&e);
	doc = json_loads(before, 0, NULL);
	/* A lift renamed (applied first), a price changed (applied later). */
	set_str(find(doc, "lifts", "id", "tc6-le-chalvet"), "name",
	    "TC6 RENAMED");
	json_object_set_new(json_object_get(json_object_get(find(doc,
	    "passes", "code", "day_2026"), "prices"), "standard"), "adult",
	    json_integer(5200));
	idl_fail_on(&e, "UPDATE", "mountain.pass_prices");
	ck_assert_int_ne(import(&e, doc, 0, &out, &err), 0);
	ck_assert_msg(strstr(err, "nothing changed") != NULL, "%s", err);
	free(out);
	free(err);
	after = export_text(&e);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "mountain.lifts WHERE name = 'TC6 RENAMED'"), 0);
	free(after);
	/* Once the database lets it: all of it. */
	idl_fail_off(&e, "mountain.pass_prices");
	ck_assert_int_eq(import(&e, doc, 0, &out, &err), 0);
	free(out);
	free(err);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "mountain.lifts WHERE name = 'TC6 RENAMED'"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT cents FROM "
	    "mountain.pass_prices WHERE product = 'day_2026' AND profile = "
	    "'standard' AND band = 'adult'"), 5200);
	json_decref(doc);
	free(before);
	idl_stop(&e);
}
END_TEST

START_TEST(test_changes_show_at_once)
{
	struct idenv	 e;
	char		*op, *ids, *out, *err, *s;
	json_t		*doc, *j, *lifts, *nl;
	long		 st;

	idl_start_new(&e, FROZEN);
	op = idl_operator_token(&e);
	/* The operator's morning: the gondola opens, the Obélisque runs. */
	j = idl_reqj(&e, "PUT", LIFTS "/tc6-le-chalvet/status", op,
	    "{\"status\": \"open\"}", &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	j = idl_reqj(&e, "PUT", LIFTS "/sc-obelisque/status", op,
	    "{\"status\": \"on_hold\", \"reason\": {\"fr\": \"Vent\"}}", &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	/* Read, so that the answers are in the cache. */
	ck_assert_int_eq(quote_price(&e, QUOTE), 4950);
	ck_assert_int_eq(quote_price(&e, QUOTE), 4950);
	ids = idl_listed(&e, LIFTS, NULL);
	ck_assert_ptr_nonnull(strstr(ids, " sc-obelisque "));
	free(ids);
	free(idl_listed(&e, LIFTS, NULL));
	ck_assert_int_eq(listed_price(&e, "day_2026"), 4950);
	ck_assert_int_eq(listed_price(&e, "day_2026"), 4950);

	/*
	 * No notification comes (the triggers of migrations 025 and 031 are
	 * off): only the writing process's own drop can show the change.
	 */
	ck_assert_int_eq(idl_sql_exec(&e, "ALTER TABLE mountain.lifts DISABLE "
	    "TRIGGER USER; ALTER TABLE mountain.slopes DISABLE TRIGGER USER; "
	    "ALTER TABLE mountain.slope_lifts DISABLE TRIGGER USER; ALTER "
	    "TABLE mountain.seasons DISABLE TRIGGER USER; ALTER TABLE "
	    "mountain.age_bands DISABLE TRIGGER USER; ALTER TABLE "
	    "mountain.pass_products DISABLE TRIGGER USER; ALTER TABLE "
	    "mountain.pass_prices DISABLE TRIGGER USER"), 0);

	doc = export_doc(&e);
	lifts = json_object_get(doc, "lifts");
	/* A price changes; the Obélisque is removed; a lift is added. */
	json_object_set_new(json_object_get(json_object_get(find(doc,
	    "passes", "code", "day_2026"), "prices"), "standard"), "adult",
	    json_integer(5200));
	json_array_remove(lifts, index_of(doc, "lifts", "id", "sc-obelisque"));
	nl = json_deep_copy(find(doc, "lifts", "id", "sc-le-col"));
	set_str(nl, "id", "tk-nouveau");
	set_str(nl, "name", "TK NOUVEAU");
	json_object_set_new(nl, "source", json_null());
	json_array_append_new(lifts, nl);
	/* The gondola gets more cabins: it stays, open. */
	json_object_set_new(find(doc, "lifts", "id", "tc6-le-chalvet"),
	    "capacity_per_hour", json_integer(2400));

	/* A dry run says so and changes nothing. */
	j = idl_sendj(&e, "PUT", ADMIN "?dry_run=true", op,
	    json_incref(doc), &st);
	ck_assert_int_eq(st, 200);
	ck_assert(json_is_true(json_object_get(j, "dry_run")));
	s = report_part(j, "lifts", "removed");
	ck_assert_str_eq(s, "[\"sc-obelisque\"]");
	free(s);
	json_decref(j);
	ck_assert_int_eq(quote_price(&e, QUOTE), 4950);
	ids = idl_listed(&e, LIFTS, NULL);
	ck_assert_ptr_nonnull(strstr(ids, " sc-obelisque "));
	free(ids);
	ck_assert_int_eq(import(&e, doc, 1, &out, &err), 0);
	ck_assert_msg(strstr(out, "dry run: nothing changed") != NULL, "%s",
	    out);
	free(out);
	free(err);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "mountain.lifts WHERE id = 'sc-obelisque'"), 1);

	/* Applied. */
	j = idl_sendj(&e, "PUT", ADMIN, op, json_incref(doc), &st);
	ck_assert_int_eq(st, 200);
	s = report_part(j, "lifts", "created");
	ck_assert_str_eq(s, "[\"tk-nouveau\"]");
	free(s);
	s = report_part(j, "lifts", "changed");
	ck_assert_str_eq(s, "[\"tc6-le-chalvet\"]");
	free(s);
	s = report_part(j, "lifts", "removed");
	ck_assert_str_eq(s, "[\"sc-obelisque\"]");
	free(s);
	s = report_part(j, "passes", "changed");
	ck_assert_str_eq(s, "[\"day_2026\"]");
	free(s);
	json_decref(j);
	/* The quote and the list of passes, at once. */
	ck_assert_int_eq(quote_price(&e, QUOTE), 5200);
	ck_assert_int_eq(listed_price(&e, "day_2026"), 5200);
	/* The removed lift is gone from the list, the new one is closed. */
	ids = idl_listed(&e, LIFTS, NULL);
	ck_assert_msg(strstr(ids, " sc-obelisque ") == NULL, "%s", ids);
	ck_assert_ptr_nonnull(strstr(ids, " tk-nouveau "));
	free(ids);
	j = idl_reqj(&e, "GET", LIFTS "/tk-nouveau", NULL, NULL, &st);
	ck_assert_int_eq(st, 200);
	idl_assert_str(j, "status", "closed");
	json_decref(j);
	j = idl_reqj(&e, "GET", LIFTS "/sc-obelisque", NULL, NULL, &st);
	ck_assert_int_eq(st, 404);
	json_decref(j);
	/* The gondola stays open, with its history, and carries more. */
	j = idl_reqj(&e, "GET", LIFTS "/tc6-le-chalvet", NULL, NULL, &st);
	idl_assert_str(j, "status", "open");
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "capacity_per_hour")), 2400);
	ck_assert_int_eq(json_array_size(json_object_get(j, "history")), 1);
	json_decref(j);
	/* The removed lift's history is kept. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "mountain.status_history WHERE item_id = 'sc-obelisque'"), 1);
	/* Through guichetctl too: the price back. */
	json_object_set_new(json_object_get(json_object_get(find(doc,
	    "passes", "code", "day_2026"), "prices"), "standard"), "adult",
	    json_integer(4950));
	ck_assert_int_eq(import(&e, doc, 0, &out, &err), 0);
	ck_assert_msg(strstr(out, "passes: 0 created, 1 changed (day_2026), 0 "
	    "removed, 5 unchanged") != NULL, "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT cents FROM "
	    "mountain.pass_prices WHERE product = 'day_2026' AND profile = "
	    "'standard' AND band = 'adult'"), 4950);
	json_decref(doc);
	free(op);
	idl_stop(&e);
}
END_TEST

/*
 * A guichetctl import reaches a running guichetd's cache, and the screens
 * on its live stream (NOTIFY).
 */
START_TEST(test_ctl_reaches_server)
{
	struct idenv	 e;
	struct raw_resp	 raw;
	char		*out, *err, *ids, *path;
	int		 fd;
	json_t		*doc;
	int		 i, gone = 0;

	idl_start_new(&e, FROZEN);
	free(idl_listed(&e, LIFTS, NULL));
	free(idl_listed(&e, LIFTS, NULL));
	/* A screen listens to the live stream. */
	fd = harness_connect(&e.s);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(harness_send_str(fd, "GET /api/v1/live?events="
	    "mountain_reference HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: "
	    "text/event-stream\r\n\r\n"), 0);
	harness_raw_read(fd, 500, 1, &raw);
	ck_assert_int_eq(raw.status, 200);
	raw_resp_free(&raw);
	/* An import that changes nothing says nothing. */
	out = export_text(&e);
	path = idl_scratch("same.json", out);
	free(out);
	ck_assert_int_eq(idl_ctl_words(&e, &out, &err, "mountain", "import",
	    path, NULL), 0);
	free(out);
	free(err);
	free(path);
	harness_raw_read(fd, 1000, 1, &raw);
	ck_assert_msg(strstr(raw.data, "mountain_reference") == NULL, "%s",
	    raw.data);
	raw_resp_free(&raw);
	doc = export_doc(&e);
	json_array_remove(json_object_get(doc, "lifts"), index_of(doc,
	    "lifts", "id", "tp-la-butte"));
	/* La Butte's slope loses its lift with it. */
	json_array_clear(json_object_get(find(doc, "slopes", "id",
	    "la-butte"), "lifts"));
	ck_assert_int_eq(import(&e, doc, 0, &out, &err), 0);
	ck_assert_msg(strstr(out, "lifts: 0 created, 0 changed, 1 removed "
	    "(tp-la-butte), 21 unchanged") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "slopes: 0 created, 1 changed (la-butte)")
	    != NULL, "%s", out);
	free(out);
	free(err);
	for (i = 0; i < 50 && !gone; i++) {
		ids = idl_listed(&e, LIFTS, NULL);
		gone = strstr(ids, " tp-la-butte ") == NULL;
		free(ids);
		if (!gone)
			harness_sleep_ms(100);
	}
	ck_assert_msg(gone, "the removed lift is still listed");
	/* The screen is told, counts only: it fetches the lists again. */
	harness_raw_read(fd, 3000, 1, &raw);
	ck_assert_msg(strstr(raw.data, "event: mountain_reference") != NULL &&
	    strstr(raw.data, "\"lifts\":{\"changed\":0,\"created\":0,"
	    "\"removed\":1}") != NULL, "%s", raw.data);
	raw_resp_free(&raw);
	close(fd);
	json_decref(doc);
	idl_stop(&e);
}
END_TEST

START_TEST(test_bands_are_the_operators)
{
	struct idenv	 e;
	char		*op;
	json_t		*doc, *bands, *j, *b;
	long		 st;

	idl_start_new(&e, FROZEN);
	op = idl_operator_token(&e);
	doc = export_doc(&e);
	/* Children from 5 to 15, adults from 16, no senior price. */
	bands = json_pack("[{s:s,s:i},{s:s,s:i},{s:s,s:i}]", "band", "infant",
	    "from_age", 0, "band", "child", "from_age", 5, "band", "adult",
	    "from_age", 16);
	json_object_set_new(doc, "bands", bands);
	{
		json_t	*p, *pr;
		size_t	 i;
		const char *k;

		json_array_foreach(json_object_get(doc, "passes"), i, p)
			json_object_foreach(json_object_get(p, "prices"), k, pr)
				json_object_del(pr, "senior");
	}
	j = idl_sendj(&e, "PUT", ADMIN, op, doc, &st);
	ck_assert_msg(st == 200, "%ld", st);
	ck_assert(json_is_true(json_object_get(json_object_get(j, "bands"),
	    "changed")));
	json_decref(j);
	/* Five: a child now; fifteen: still a child; seventy: an adult. */
	j = idl_reqj(&e, "GET", "/api/v1/lift-passes/quote?product=day_2026&"
	    "start=2026-12-20&birthdate=2021-12-20", NULL, NULL, &st);
	ck_assert_int_eq(st, 200);
	idl_assert_str(j, "band", "child");
	ck_assert_msg(strstr(idl_jstr(j, "why"), "(5 à 15 ans)") != NULL, "%s",
	    idl_jstr(j, "why"));
	json_decref(j);
	j = idl_reqj(&e, "GET", "/api/v1/lift-passes/quote?product=day_2026&"
	    "start=2026-12-20&birthdate=2011-12-21", NULL, NULL, &st);
	idl_assert_str(j, "band", "child");
	json_decref(j);
	j = idl_reqj(&e, "GET", "/api/v1/lift-passes/quote?product=day_2026&"
	    "start=2026-12-20&birthdate=1956-01-01", NULL, NULL, &st);
	idl_assert_str(j, "band", "adult");
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "price_cents")), 4950);
	json_decref(j);
	j = idl_reqj(&e, "GET", PASSES, NULL, NULL, &st);
	bands = json_object_get(j, "bands");
	ck_assert_int_eq(json_array_size(bands), 3);
	b = json_array_get(bands, 1);
	idl_assert_str(b, "band", "child");
	ck_assert_int_eq(json_integer_value(json_object_get(b, "to_age")), 15);
	ck_assert(json_is_null(json_object_get(json_array_get(bands, 2),
	    "to_age")));
	json_decref(j);
	free(op);
	idl_stop(&e);
}
END_TEST

/* A seaside town: no lifts, no slopes, no passes. */
START_TEST(test_empty_mountain)
{
	struct idenv	 e;
	char		*path, *out, *err;
	json_t		*j;
	long		 st;

	idl_start_new(&e, FROZEN);
	path = idl_scratch("seaside.json", "{\"seasons\": [], \"bands\": [], "
	    "\"lifts\": [], \"slopes\": [], \"passes\": []}");
	ck_assert_int_eq(idl_ctl_words(&e, &out, &err, "mountain", "import", path, NULL),
	    0);
	ck_assert_msg(strstr(out, "lifts: 0 created, 0 changed, 22 removed")
	    != NULL, "%s", out);
	free(out);
	free(err);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "mountain.lifts"), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "mountain.pass_prices"), 0);
	j = idl_reqj(&e, "GET", "/api/v1/slopes", NULL, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 0);
	json_decref(j);
	out = export_text(&e);
	ck_assert_msg(strstr(out, "\"lifts\": []") != NULL, "%s", out);
	free(out);
	free(path);
	idl_stop(&e);
}
END_TEST

START_TEST(test_who)
{
	struct idenv	 e;
	struct mtn_cast	 c;
	char		*admin;
	json_t		*j, *doc;
	long		 st;

	admin = idl_start_admin(&e, FROZEN);
	mtn_cast(&e, &c);
	doc = export_doc(&e);
	ck_assert_int_eq(idl_status(&e, "GET", ADMIN, NULL, NULL), 401);
	ck_assert_int_eq(idl_status(&e, "GET", ADMIN, c.res, NULL), 403);
	ck_assert_int_eq(idl_status(&e, "GET", ADMIN, c.tech, NULL), 403);
	ck_assert_int_eq(idl_status(&e, "GET", ADMIN, c.chief, NULL), 200);
	ck_assert_int_eq(idl_status(&e, "GET", ADMIN, c.op, NULL), 200);
	j = idl_sendj(&e, "PUT", ADMIN, NULL, json_incref(doc), &st);
	ck_assert_int_eq(st, 401);
	json_decref(j);
	j = idl_sendj(&e, "PUT", ADMIN, c.tech, json_incref(doc), &st);
	ck_assert_int_eq(st, 403);
	json_decref(j);
	j = idl_sendj(&e, "PUT", ADMIN, c.chief, json_incref(doc), &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	j = idl_sendj(&e, "PUT", ADMIN "?dry_run=maybe", c.op, doc, &st);
	ck_assert_int_eq(st, 400);
	json_decref(j);
	free(admin);
	mtn_cast_end(&e, &c);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_round_trip,
	&test_bad_documents,
	&test_atomic,
	&test_changes_show_at_once,
	&test_ctl_reaches_server,
	&test_bands_are_the_operators,
	&test_empty_mountain,
	&test_who,
	NULL
};

const struct test_group test_groups[] = {
	{ "mountain_reference", HARNESS_TIMEOUT * 3, NULL, NULL, cl_prepare,
	  NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
