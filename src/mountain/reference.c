/*
 * reference.c: the mountain's reference data, what an operator sets up
 * for a season and changes seldom: the lifts (type, sector, capacity,
 * opening hours by season, the positions of the two stations), the
 * slopes (difficulty, sector, length, the lifts that serve them), the
 * seasons, the age bands and the lift-pass products with their prices by
 * profile and band.  One document holds all of it:
 *
 *   {"seasons": [...], "bands": [...], "lifts": [...], "slopes": [...],
 *    "passes": [...]}
 *
 * mountain_export() prints it; mountain_import() replaces the data with
 * a document, checked first (mountain_reference_spec, then what a schema
 * cannot say: ids, references between sections, dates, hours, bands),
 * applied in one transaction, so that a bad document changes nothing.
 * What the document names stays or is created, what it does not name is
 * removed.  A lift or slope that stays (the same id) keeps its status,
 * its reason and its history; a new one starts closed; one removed
 * leaves the public lists, its history stays in mountain.status_history
 * (append-only: what was said publicly about it), found again if the same
 * id comes back.  An export imports back to no change.
 *
 * Its callers, one operation for all (ARCHITECTURE.md, "Rules a module
 * keeps"):
 *   guichetctl mountain import [--dry-run] FILE.json | mountain export
 *   GET  /api/v1/admin/mountain             the operator: the document
 *   PUT  /api/v1/admin/mountain[?dry_run=true]  the operator: replace it
 *   guichetctl demo                         sql/demo/mountain/montgenevre.json
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/conf.h"
#include "auth/policy.h"
#include "base/log.h"
#include "core/module.h"
#include "db/db.h"
#include "http/cache.h"
#include "http/reply.h"
#include "json/check.h"
#include "mountain/mountain_int.h"

/* The largest document guichetctl reads, and its deepest nesting. */
#define REF_FILE_MAX	(8 * 1024 * 1024)
#define REF_DEPTH_MAX	16
/* Doubles as text: 15 significant digits read back to the same double. */
#define REF_DUMP	(JSON_COMPACT | JSON_REAL_PRECISION(15))

/* The schema (the OpenAPI fragment's MountainReference says the same). */

static const char *const lift_types[] = { "chairlift", "gondola",
    "cable_car", "drag_lift", "magic_carpet", NULL };
static const char *const difficulties[] = { "green", "blue", "red", "black",
    "itinerary", NULL };
static const char *const pass_kinds[] = { "day", "half_day", "multi_day",
    "season", "pedestrian", NULL };
static const char *const band_names[] = { "infant", "child", "adult",
    "senior", NULL };

static const struct json_field hours_fields[] = {
	{ .name = "opens", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 5, .max_len = 5 },
	{ .name = "closes", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 5, .max_len = 5 },
	JF_END,
};
static const struct json_spec hours_spec = { .name = "LiftHoursOfSeason",
    .fields = hours_fields };

static const struct json_field lift_hours_fields[] = {
	{ .name = "winter", .kind = JK_OBJECT, .object = &hours_spec },
	{ .name = "summer", .kind = JK_OBJECT, .object = &hours_spec },
	JF_END,
};
static const struct json_spec lift_hours_spec = { .name = "LiftHours",
    .fields = lift_hours_fields };

static const struct json_field station_fields[] = {
	{ .name = "lat", .kind = JK_NUMBER, .flags = JF_REQUIRED },
	{ .name = "lon", .kind = JK_NUMBER, .flags = JF_REQUIRED },
	{ .name = "altitude_m", .kind = JK_INTEGER, .flags = JF_NULLABLE,
	  .min = -500, .max = 9000 },
	JF_END,
};
static const struct json_spec station_spec = { .name = "LiftStation",
    .fields = station_fields };

static const struct json_field stations_fields[] = {
	{ .name = "bottom", .kind = JK_OBJECT, .flags = JF_REQUIRED,
	  .object = &station_spec },
	{ .name = "top", .kind = JK_OBJECT, .flags = JF_REQUIRED,
	  .object = &station_spec },
	JF_END,
};
static const struct json_spec stations_spec = { .name = "LiftStations",
    .fields = stations_fields };

static const struct json_field lift_fields[] = {
	{ .name = "id", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 48 },
	{ .name = "name", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 100 },
	{ .name = "type", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .one_of = lift_types },
	{ .name = "sector", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 100 },
	{ .name = "capacity_per_hour", .kind = JK_INTEGER,
	  .flags = JF_REQUIRED, .min = 1, .max = 20000 },
	{ .name = "hours", .kind = JK_OBJECT, .object = &lift_hours_spec },
	{ .name = "stations", .kind = JK_OBJECT, .flags = JF_REQUIRED,
	  .object = &stations_spec },
	{ .name = "source", .kind = JK_STRING, .flags = JF_NULLABLE,
	  .min_len = 1, .max_len = 200 },
	JF_END,
};
static const struct json_spec lift_spec = { .name = "LiftReference",
    .fields = lift_fields };

static const struct json_field slope_fields[] = {
	{ .name = "id", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 48 },
	{ .name = "name", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 100 },
	{ .name = "difficulty", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .one_of = difficulties },
	{ .name = "sector", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 100 },
	{ .name = "length_m", .kind = JK_INTEGER, .flags = JF_REQUIRED,
	  .min = 1, .max = 50000 },
	{ .name = "snowmaking", .kind = JK_BOOLEAN },
	{ .name = "lifts", .kind = JK_ARRAY, .max_len = 50,
	  .items = JK_STRING },
	JF_END,
};
static const struct json_spec slope_spec = { .name = "SlopeReference",
    .fields = slope_fields };

static const struct json_field season_fields[] = {
	{ .name = "code", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 9, .max_len = 9 },
	{ .name = "starts_on", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .format = JF_DATE },
	{ .name = "ends_on", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .format = JF_DATE },
	JF_END,
};
static const struct json_spec season_spec = { .name = "Season",
    .fields = season_fields };

static const struct json_field band_fields[] = {
	{ .name = "band", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .one_of = band_names },
	{ .name = "from_age", .kind = JK_INTEGER, .flags = JF_REQUIRED,
	  .min = 0, .max = 130 },
	JF_END,
};
static const struct json_spec band_spec = { .name = "AgeBand",
    .fields = band_fields };

static const struct json_field title_fields[] =
    MOUNTAIN_TEXT_FIELDS(JF_REQUIRED, 1, 100);
static const struct json_spec title_spec = { .name = "LiftPassTitle",
    .fields = title_fields };

#define BAND_PRICE(n) { .name = n, .kind = JK_INTEGER, .min = 0, \
	.max = 10000000 }
static const struct json_field band_prices_fields[] = {
	BAND_PRICE("infant"), BAND_PRICE("child"), BAND_PRICE("adult"),
	BAND_PRICE("senior"),
	JF_END,
};
static const struct json_spec band_prices_spec = { .name = "BandPrices",
    .fields = band_prices_fields };

#define PROFILE_PRICES(n) { .name = n, .kind = JK_OBJECT, \
	.object = &band_prices_spec }
static const struct json_field prices_fields[] = {
	PROFILE_PRICES("standard"), PROFILE_PRICES("resident"),
	PROFILE_PRICES("seasonal_worker"), PROFILE_PRICES("secondary_resident"),
	JF_END,
};
static const struct json_spec prices_spec = { .name = "LiftPassPrices",
    .fields = prices_fields };

static const struct json_field pass_fields[] = {
	{ .name = "code", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 2, .max_len = 48 },
	{ .name = "season", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 9, .max_len = 9 },
	{ .name = "kind", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .one_of = pass_kinds },
	{ .name = "days", .kind = JK_INTEGER, .flags = JF_REQUIRED,
	  .min = 1, .max = 366 },
	{ .name = "title", .kind = JK_OBJECT, .flags = JF_REQUIRED,
	  .object = &title_spec },
	{ .name = "prices", .kind = JK_OBJECT, .flags = JF_REQUIRED,
	  .object = &prices_spec },
	JF_END,
};
static const struct json_spec pass_spec = { .name = "LiftPassReference",
    .fields = pass_fields };

static const struct json_field reference_fields[] = {
	{ .name = "seasons", .kind = JK_ARRAY, .flags = JF_REQUIRED,
	  .max_len = 100, .object = &season_spec },
	{ .name = "bands", .kind = JK_ARRAY, .flags = JF_REQUIRED,
	  .max_len = 4, .object = &band_spec },
	{ .name = "lifts", .kind = JK_ARRAY, .flags = JF_REQUIRED,
	  .max_len = 1000, .object = &lift_spec },
	{ .name = "slopes", .kind = JK_ARRAY, .flags = JF_REQUIRED,
	  .max_len = 2000, .object = &slope_spec },
	{ .name = "passes", .kind = JK_ARRAY, .flags = JF_REQUIRED,
	  .max_len = 1000, .object = &pass_spec },
	JF_END,
};
const struct json_spec mountain_reference_spec = {
    .name = "MountainReference", .fields = reference_fields };

/* What a schema cannot say. */

enum ref_msg {
	RM_ID, RM_PASS_CODE, RM_SEASON_CODE, RM_DUPLICATE, RM_ENDS_BEFORE,
	RM_BAND_ORDER, RM_BAND_FIRST, RM_LAT, RM_LON, RM_TIME, RM_CLOSES,
	RM_NO_LIFT, RM_NO_SEASON, RM_NO_BAND, RM_DAYS_ONE, RM_DAYS_MANY,
	RM_NO_PRICE, RM__COUNT
};

static const struct {
	const char	*code;
	const char	*text[3];
} ref_msgs[RM__COUNT] = {
	[RM_ID] = { "pattern", {
	    "lettres minuscules, chiffres et « - », d'abord une lettre ou un "
	    "chiffre",
	    "lowercase letters, digits and '-', starting with a letter or a "
	    "digit",
	    "lettere minuscole, cifre e '-', prima una lettera o una cifra" } },
	[RM_PASS_CODE] = { "pattern", {
	    "lettres minuscules, chiffres et « _ », d'abord une lettre",
	    "lowercase letters, digits and '_', starting with a letter",
	    "lettere minuscole, cifre e '_', prima una lettera" } },
	[RM_SEASON_CODE] = { "pattern", {
	    "deux années qui se suivent : 2026-2027",
	    "two years in a row: 2026-2027",
	    "due anni consecutivi: 2026-2027" } },
	[RM_DUPLICATE] = { "duplicate", {
	    "déjà donné plus haut dans le document",
	    "already given above in the document",
	    "già indicato più sopra nel documento" } },
	[RM_ENDS_BEFORE] = { "range", {
	    "le dernier jour ne peut précéder le premier",
	    "the last day cannot be before the first",
	    "l'ultimo giorno non può precedere il primo" } },
	[RM_BAND_ORDER] = { "order", {
	    "les tranches vont de la plus jeune à la plus âgée (infant, child, "
	    "adult, senior), chacune commence après la précédente",
	    "bands go from the youngest to the oldest (infant, child, adult, "
	    "senior), each starting after the one before",
	    "le fasce vanno dalla più giovane alla più anziana (infant, child, "
	    "adult, senior), ognuna inizia dopo la precedente" } },
	[RM_BAND_FIRST] = { "range", {
	    "la première tranche commence à 0 an",
	    "the first band starts at age 0",
	    "la prima fascia inizia a 0 anni" } },
	[RM_LAT] = { "range", {
	    "une latitude entre -90 et 90", "a latitude between -90 and 90",
	    "una latitudine tra -90 e 90" } },
	[RM_LON] = { "range", {
	    "une longitude entre -180 et 180",
	    "a longitude between -180 and 180",
	    "una longitudine tra -180 e 180" } },
	[RM_TIME] = { "format", {
	    "une heure HH:MM (00:00 à 23:59)", "a time HH:MM (00:00 to 23:59)",
	    "un'ora HH:MM (da 00:00 a 23:59)" } },
	[RM_CLOSES] = { "range", {
	    "la fermeture suit l'ouverture", "closes after it opens",
	    "la chiusura segue l'apertura" } },
	[RM_NO_LIFT] = { "unknown", {
	    "aucune remontée du document n'a cet identifiant",
	    "no lift of the document has this id",
	    "nessun impianto del documento ha questo identificativo" } },
	[RM_NO_SEASON] = { "unknown", {
	    "aucune saison du document n'a ce code",
	    "no season of the document has this code",
	    "nessuna stagione del documento ha questo codice" } },
	[RM_NO_BAND] = { "unknown", {
	    "aucune tranche d'âge du document n'a ce nom",
	    "no age band of the document has this name",
	    "nessuna fascia d'età del documento ha questo nome" } },
	[RM_DAYS_ONE] = { "range", {
	    "un forfait journée, demi-journée ou piéton vaut 1 jour",
	    "a day, half-day or pedestrian pass is for 1 day",
	    "uno skipass giornaliero, mezza giornata o pedone vale 1 giorno" } },
	[RM_DAYS_MANY] = { "range", {
	    "un forfait de plusieurs jours en compte au moins 2",
	    "a multi-day pass is for 2 days or more",
	    "uno skipass plurigiornaliero vale almeno 2 giorni" } },
	[RM_NO_PRICE] = { "required", {
	    "un forfait a au moins un prix",
	    "a pass has at least one price",
	    "uno skipass ha almeno un prezzo" } },
};

struct ref_check {
	json_t		*errors;
	enum lang	 lang;
	size_t		 n;
};

static void
ref_error(struct ref_check *c, enum ref_msg m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One error at the pointer 'fmt' (printf). */
static void
ref_error(struct ref_check *c, enum ref_msg m, const char *fmt, ...)
{
	char	 field[160];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(field, sizeof(field), fmt, ap);
	va_end(ap);
	if (c->n < JSON_ERRORS_MAX)
		json_error_add(c->errors, field, ref_msgs[m].code,
		    ref_msgs[m].text[c->lang]);
	c->n++;
}

/* 's' is made of the characters of 'set', its first one of 'first'. */
static int
made_of(const char *s, const char *first, const char *set)
{
	return (s[0] != '\0' && strchr(first, s[0]) != NULL &&
	    strspn(s, set) == strlen(s));
}

#define LOWER	"abcdefghijklmnopqrstuvwxyz"
#define DIGITS	"0123456789"

/* A time "HH:MM": minutes since midnight, or -1. */
static int
hhmm(const char *s)
{
	if (strlen(s) != 5 || strspn(s, DIGITS) != 2 || s[2] != ':' ||
	    strspn(s + 3, DIGITS) != 2)
		return (-1);
	if (atoi(s) > 23 || atoi(s + 3) > 59)
		return (-1);
	return (atoi(s) * 60 + atoi(s + 3));
}

/* Item 'i' of 'arr' has the same 'key' as one before it. */
static int
seen_before(const json_t *arr, size_t i, const char *key)
{
	const char	*v = json_str(json_array_get(arr, i), key);
	size_t		 j;

	for (j = 0; j < i; j++)
		if (strcmp(json_str(json_array_get(arr, j), key), v) == 0)
			return (1);
	return (0);
}

/* Some item of 'arr' has 'key' equal to 'v'. */
static int
listed(const json_t *arr, const char *key, const char *v)
{
	const json_t	*it;
	size_t		 i;

	json_array_foreach(arr, i, it)
		if (strcmp(json_str(it, key), v) == 0)
			return (1);
	return (0);
}

static void
check_seasons(struct ref_check *c, const json_t *seasons)
{
	const json_t	*s;
	const char	*code;
	size_t		 i;

	json_array_foreach(seasons, i, s) {
		code = json_str(s, "code");
		if (strspn(code, DIGITS) != 4 || code[4] != '-' ||
		    strspn(code + 5, DIGITS) != 4 ||
		    atoi(code + 5) != atoi(code) + 1)
			ref_error(c, RM_SEASON_CODE, "/seasons/%zu/code", i);
		else if (seen_before(seasons, i, "code"))
			ref_error(c, RM_DUPLICATE, "/seasons/%zu/code", i);
		if (strcmp(json_str(s, "ends_on"), json_str(s, "starts_on")) <
		    0)
			ref_error(c, RM_ENDS_BEFORE, "/seasons/%zu/ends_on", i);
	}
}

static void
check_bands(struct ref_check *c, const json_t *bands)
{
	const json_t	*b;
	size_t		 i;
	int		 k, last_k = -1;
	json_int_t	 age, last_age = -1;

	json_array_foreach(bands, i, b) {
		for (k = 0; band_names[k] != NULL; k++)
			if (strcmp(band_names[k], json_str(b, "band")) == 0)
				break;
		age = json_integer_value(json_object_get(b, "from_age"));
		if (i == 0 && age != 0)
			ref_error(c, RM_BAND_FIRST, "/bands/0/from_age");
		if (seen_before(bands, i, "band"))
			ref_error(c, RM_DUPLICATE, "/bands/%zu/band", i);
		else if (i > 0 && (k < last_k || age <= last_age))
			ref_error(c, RM_BAND_ORDER, "/bands/%zu", i);
		last_k = k;
		last_age = age;
	}
}

static void
check_station(struct ref_check *c, const json_t *st, size_t i,
    const char *which)
{
	double	 lat = json_number_value(json_object_get(st, "lat"));
	double	 lon = json_number_value(json_object_get(st, "lon"));

	if (!(lat >= -90.0 && lat <= 90.0))
		ref_error(c, RM_LAT, "/lifts/%zu/stations/%s/lat", i, which);
	if (!(lon >= -180.0 && lon <= 180.0))
		ref_error(c, RM_LON, "/lifts/%zu/stations/%s/lon", i, which);
}

static void
check_lifts(struct ref_check *c, const json_t *lifts)
{
	static const char *const periods[] = { "winter", "summer" };
	const json_t	*l, *h, *stations;
	const char	*id;
	size_t		 i, p;
	int		 opens, closes;

	json_array_foreach(lifts, i, l) {
		id = json_str(l, "id");
		if (!made_of(id, LOWER DIGITS, LOWER DIGITS "-"))
			ref_error(c, RM_ID, "/lifts/%zu/id", i);
		else if (seen_before(lifts, i, "id"))
			ref_error(c, RM_DUPLICATE, "/lifts/%zu/id", i);
		stations = json_object_get(l, "stations");
		check_station(c, json_object_get(stations, "bottom"), i,
		    "bottom");
		check_station(c, json_object_get(stations, "top"), i, "top");
		for (p = 0; p < NELEM(periods); p++) {
			h = json_object_get(json_object_get(l, "hours"),
			    periods[p]);
			if (h == NULL)
				continue;
			opens = hhmm(json_str(h, "opens"));
			closes = hhmm(json_str(h, "closes"));
			if (opens == -1)
				ref_error(c, RM_TIME, "/lifts/%zu/hours/%s/opens",
				    i, periods[p]);
			if (closes == -1)
				ref_error(c, RM_TIME,
				    "/lifts/%zu/hours/%s/closes", i, periods[p]);
			else if (opens != -1 && closes <= opens)
				ref_error(c, RM_CLOSES,
				    "/lifts/%zu/hours/%s/closes", i, periods[p]);
		}
	}
}

static void
check_slopes(struct ref_check *c, const json_t *slopes, const json_t *lifts)
{
	const json_t	*s, *served, *l;
	const char	*id;
	size_t		 i, k, j;

	json_array_foreach(slopes, i, s) {
		id = json_str(s, "id");
		if (!made_of(id, LOWER DIGITS, LOWER DIGITS "-"))
			ref_error(c, RM_ID, "/slopes/%zu/id", i);
		else if (seen_before(slopes, i, "id"))
			ref_error(c, RM_DUPLICATE, "/slopes/%zu/id", i);
		served = json_object_get(s, "lifts");
		json_array_foreach(served, k, l) {
			if (!listed(lifts, "id", json_string_value(l))) {
				ref_error(c, RM_NO_LIFT, "/slopes/%zu/lifts/%zu",
				    i, k);
				continue;
			}
			for (j = 0; j < k; j++)
				if (json_equal(json_array_get(served, j), l)) {
					ref_error(c, RM_DUPLICATE,
					    "/slopes/%zu/lifts/%zu", i, k);
					break;
				}
		}
	}
}

static void
check_passes(struct ref_check *c, const json_t *passes, const json_t *seasons,
    const json_t *bands)
{
	const json_t	*p, *bp, *cents;
	const char	*code, *kind, *profile, *band;
	json_int_t	 days;
	size_t		 i, count;

	json_array_foreach(passes, i, p) {
		code = json_str(p, "code");
		if (!made_of(code, LOWER, LOWER DIGITS "_"))
			ref_error(c, RM_PASS_CODE, "/passes/%zu/code", i);
		else if (seen_before(passes, i, "code"))
			ref_error(c, RM_DUPLICATE, "/passes/%zu/code", i);
		if (!listed(seasons, "code", json_str(p, "season")))
			ref_error(c, RM_NO_SEASON, "/passes/%zu/season", i);
		kind = json_str(p, "kind");
		days = json_integer_value(json_object_get(p, "days"));
		if ((strcmp(kind, "day") == 0 || strcmp(kind, "half_day") == 0 ||
		    strcmp(kind, "pedestrian") == 0) && days != 1)
			ref_error(c, RM_DAYS_ONE, "/passes/%zu/days", i);
		if (strcmp(kind, "multi_day") == 0 && days < 2)
			ref_error(c, RM_DAYS_MANY, "/passes/%zu/days", i);
		count = 0;
		json_object_foreach((json_t *)json_object_get(p, "prices"),
		    profile, bp)
			json_object_foreach((json_t *)bp, band, cents) {
				count++;
				if (!listed(bands, "band", band))
					ref_error(c, RM_NO_BAND,
					    "/passes/%zu/prices/%s/%s", i,
					    profile, band);
			}
		if (count == 0)
			ref_error(c, RM_NO_PRICE, "/passes/%zu/prices", i);
	}
}

size_t
mountain_reference_check(const json_t *doc, enum lang lang, json_t *errors)
{
	struct ref_check	 c = { .errors = errors, .lang = lang };
	size_t			 n;

	/* The schema first: what follows reads a document of its shape. */
	if ((n = json_check(doc, &mountain_reference_spec, lang, errors)) > 0)
		return (n);
	check_seasons(&c, json_object_get(doc, "seasons"));
	check_bands(&c, json_object_get(doc, "bands"));
	check_lifts(&c, json_object_get(doc, "lifts"));
	check_slopes(&c, json_object_get(doc, "slopes"),
	    json_object_get(doc, "lifts"));
	check_passes(&c, json_object_get(doc, "passes"),
	    json_object_get(doc, "seasons"), json_object_get(doc, "bands"));
	return (c.n);
}

/* The statements (one table, mountain_ref_stmts). */

/* Item 'x' of section 's' of the document $1, numbered n from 1. */
#define ITEMS(s, x) \
	"jsonb_array_elements($1::jsonb->'" s "') WITH ORDINALITY AS i(" x \
	", n)"
/* The pairs (slope, lift) of the document $1. */
#define SLOPE_LIFTS \
	"SELECT s->>'id' AS slope_id, li AS lift_id FROM " \
	"jsonb_array_elements($1::jsonb->'slopes') s, " \
	"jsonb_array_elements_text(coalesce(s->'lifts', '[]')) li"
/* The prices (product, profile, band, cents) of the document $1. */
#define PRICES \
	"SELECT p->>'code' AS product, pr.key AS profile, b.key AS band, " \
	"(b.value #>> '{}')::integer AS cents FROM " \
	"jsonb_array_elements($1::jsonb->'passes') p, " \
	"jsonb_each(p->'prices') pr, jsonb_each(pr.value) b"
/* Keys 'k' of the items of section 's' of $1. */
#define KEYS(s, k) \
	"(SELECT x->>'" k "' FROM jsonb_array_elements($1::jsonb->'" s \
	"') x)"
/* Profiles and bands in the order of the API, not of the alphabet. */
#define PROFILE_ORDER \
	"array_position(ARRAY['standard', 'resident', 'seasonal_worker', " \
	"'secondary_resident'], profile)"
#define BAND_ORDER \
	"array_position(ARRAY['infant', 'child', 'adult', 'senior'], band)"

#define STATION(p) \
	"json_build_object('lat', l." p "_lat, 'lon', l." p "_lon, " \
	"'altitude_m', l." p "_alt)"

enum ref_stmt {
	RS_LOCK,
	RS_EXPORT,
	RS_SEASONS_UPSERT,
	RS_BANDS_CLEAR,
	RS_BANDS_INSERT,
	RS_LIFTS_UPSERT,
	RS_SLOPES_UPSERT,
	RS_SLOPE_LIFTS_DELETE,
	RS_SLOPE_LIFTS_INSERT,
	RS_SLOPES_DELETE,
	RS_LIFTS_DELETE,
	RS_PASSES_UPSERT,
	RS_PRICES_DELETE,
	RS_PRICES_UPSERT,
	RS_PASSES_DELETE,
	RS_SEASONS_DELETE,
	RS_PUBLISH,
	RS__COUNT
};

static struct db_stmt ref_stmts[RS__COUNT] = {
	/* one import at a time: the second reads what the first made */
	[RS_LOCK] = { .name = "mountain_lock_reference",
	  .sql = "SELECT pg_advisory_xact_lock(hashtext('mountain.reference')) "
	  "AS locked", .nparams = 0 },
	/* the document, in the order of its sections' positions */
	[RS_EXPORT] = { .name = "mountain_select_reference",
	  .sql = "SELECT json_build_object("
	  "'seasons', coalesce((SELECT json_agg(json_build_object('code', "
	  "code, 'starts_on', starts_on, 'ends_on', ends_on) ORDER BY "
	  "starts_on, code) FROM mountain.seasons), '[]'::json), "
	  "'bands', coalesce((SELECT json_agg(json_build_object('band', band, "
	  "'from_age', from_age) ORDER BY from_age) FROM mountain.age_bands), "
	  "'[]'::json), "
	  "'lifts', coalesce((SELECT json_agg(json_build_object('id', l.id, "
	  "'name', l.name, 'type', l.kind, 'sector', l.sector, "
	  "'capacity_per_hour', l.capacity_per_hour, 'hours', l.hours, "
	  "'stations', json_build_object('bottom', " STATION("bottom") ", "
	  "'top', " STATION("top") "), 'source', l.source) ORDER BY "
	  "l.position, l.id) FROM mountain.lifts l), '[]'::json), "
	  "'slopes', coalesce((SELECT json_agg(json_build_object('id', s.id, "
	  "'name', s.name, 'difficulty', s.difficulty, 'sector', s.sector, "
	  "'length_m', s.length_m, 'snowmaking', s.snowmaking, 'lifts', "
	  "coalesce((SELECT json_agg(sl.lift_id ORDER BY sl.lift_id) FROM "
	  "mountain.slope_lifts sl WHERE sl.slope_id = s.id), '[]'::json)) "
	  "ORDER BY s.position, s.id) FROM mountain.slopes s), '[]'::json), "
	  "'passes', coalesce((SELECT json_agg(json_build_object('code', "
	  "p.code, 'season', p.season, 'kind', p.kind, 'days', p.days, "
	  "'title', json_build_object('fr', p.title_fr, 'en', p.title_en, "
	  "'it', p.title_it), 'prices', coalesce((SELECT json_object_agg("
	  "pr.profile, pr.bands ORDER BY pr.o) FROM (SELECT profile, "
	  PROFILE_ORDER " AS o, json_object_agg(band, cents ORDER BY "
	  BAND_ORDER ") AS bands FROM mountain.pass_prices WHERE product = "
	  "p.code GROUP BY profile) pr), '{}'::json)) ORDER BY p.position, "
	  "p.code) FROM mountain.pass_products p), '[]'::json))::text AS doc",
	  .nparams = 0 },
	[RS_SEASONS_UPSERT] = { .name = "mountain_upsert_seasons",
	  .sql = "INSERT INTO mountain.seasons AS t (code, starts_on, ends_on) "
	  "SELECT x->>'code', (x->>'starts_on')::date, (x->>'ends_on')::date "
	  "FROM " ITEMS("seasons", "x") " ON CONFLICT (code) DO UPDATE SET "
	  "starts_on = EXCLUDED.starts_on, ends_on = EXCLUDED.ends_on WHERE "
	  "(t.starts_on, t.ends_on) IS DISTINCT FROM (EXCLUDED.starts_on, "
	  "EXCLUDED.ends_on)", .nparams = 1 },
	/* the bands all at once: their ages are unique, and may move */
	[RS_BANDS_CLEAR] = { .name = "mountain_delete_bands",
	  .sql = "DELETE FROM mountain.age_bands", .nparams = 0 },
	[RS_BANDS_INSERT] = { .name = "mountain_insert_bands",
	  .sql = "INSERT INTO mountain.age_bands (band, from_age) SELECT "
	  "x->>'band', (x->>'from_age')::integer FROM " ITEMS("bands", "x"),
	  .nparams = 1 },
	/* $2: the clock, the status time of a new lift (closed) */
	[RS_LIFTS_UPSERT] = { .name = "mountain_upsert_lifts",
	  .sql = "INSERT INTO mountain.lifts AS t (id, name, kind, sector, "
	  "capacity_per_hour, hours, bottom_lat, bottom_lon, bottom_alt, "
	  "top_lat, top_lon, top_alt, position, status_at, source) SELECT "
	  "x->>'id', x->>'name', x->>'type', x->>'sector', "
	  "(x->>'capacity_per_hour')::integer, coalesce(x->'hours', '{}'), "
	  "(x#>>'{stations,bottom,lat}')::float8, "
	  "(x#>>'{stations,bottom,lon}')::float8, "
	  "(x#>>'{stations,bottom,altitude_m}')::integer, "
	  "(x#>>'{stations,top,lat}')::float8, "
	  "(x#>>'{stations,top,lon}')::float8, "
	  "(x#>>'{stations,top,altitude_m}')::integer, n, $2::timestamptz, "
	  "x->>'source' FROM " ITEMS("lifts", "x") " ON CONFLICT (id) DO "
	  "UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, sector = "
	  "EXCLUDED.sector, capacity_per_hour = EXCLUDED.capacity_per_hour, "
	  "hours = EXCLUDED.hours, bottom_lat = EXCLUDED.bottom_lat, "
	  "bottom_lon = EXCLUDED.bottom_lon, bottom_alt = EXCLUDED.bottom_alt, "
	  "top_lat = EXCLUDED.top_lat, top_lon = EXCLUDED.top_lon, top_alt = "
	  "EXCLUDED.top_alt, position = EXCLUDED.position, source = "
	  "EXCLUDED.source WHERE (t.name, t.kind, t.sector, "
	  "t.capacity_per_hour, t.hours, t.bottom_lat, t.bottom_lon, "
	  "t.bottom_alt, t.top_lat, t.top_lon, t.top_alt, t.position, "
	  "t.source) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, "
	  "EXCLUDED.sector, EXCLUDED.capacity_per_hour, EXCLUDED.hours, "
	  "EXCLUDED.bottom_lat, EXCLUDED.bottom_lon, EXCLUDED.bottom_alt, "
	  "EXCLUDED.top_lat, EXCLUDED.top_lon, EXCLUDED.top_alt, "
	  "EXCLUDED.position, EXCLUDED.source)", .nparams = 2 },
	[RS_SLOPES_UPSERT] = { .name = "mountain_upsert_slopes",
	  .sql = "INSERT INTO mountain.slopes AS t (id, name, difficulty, "
	  "sector, length_m, snowmaking, position, status_at) SELECT "
	  "x->>'id', x->>'name', x->>'difficulty', x->>'sector', "
	  "(x->>'length_m')::integer, coalesce((x->>'snowmaking')::boolean, "
	  "false), n, $2::timestamptz FROM " ITEMS("slopes", "x") " ON "
	  "CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, difficulty = "
	  "EXCLUDED.difficulty, sector = EXCLUDED.sector, length_m = "
	  "EXCLUDED.length_m, snowmaking = EXCLUDED.snowmaking, position = "
	  "EXCLUDED.position WHERE (t.name, t.difficulty, t.sector, "
	  "t.length_m, t.snowmaking, t.position) IS DISTINCT FROM "
	  "(EXCLUDED.name, EXCLUDED.difficulty, EXCLUDED.sector, "
	  "EXCLUDED.length_m, EXCLUDED.snowmaking, EXCLUDED.position)",
	  .nparams = 2 },
	[RS_SLOPE_LIFTS_DELETE] = { .name = "mountain_delete_slope_lifts",
	  .sql = "DELETE FROM mountain.slope_lifts t WHERE (t.slope_id, "
	  "t.lift_id) NOT IN (" SLOPE_LIFTS ")", .nparams = 1 },
	[RS_SLOPE_LIFTS_INSERT] = { .name = "mountain_insert_slope_lifts",
	  .sql = "INSERT INTO mountain.slope_lifts (slope_id, lift_id) "
	  SLOPE_LIFTS " ON CONFLICT DO NOTHING", .nparams = 1 },
	/* removed: the history stays (no foreign key, append-only) */
	[RS_SLOPES_DELETE] = { .name = "mountain_delete_slopes",
	  .sql = "DELETE FROM mountain.slopes WHERE id NOT IN "
	  KEYS("slopes", "id"), .nparams = 1 },
	[RS_LIFTS_DELETE] = { .name = "mountain_delete_lifts",
	  .sql = "DELETE FROM mountain.lifts WHERE id NOT IN "
	  KEYS("lifts", "id"), .nparams = 1 },
	[RS_PASSES_UPSERT] = { .name = "mountain_upsert_passes",
	  .sql = "INSERT INTO mountain.pass_products AS t (code, season, kind, "
	  "days, title_fr, title_en, title_it, position) SELECT x->>'code', "
	  "x->>'season', x->>'kind', (x->>'days')::integer, "
	  "x#>>'{title,fr}', x#>>'{title,en}', x#>>'{title,it}', n FROM "
	  ITEMS("passes", "x") " ON CONFLICT (code) DO UPDATE SET season = "
	  "EXCLUDED.season, kind = EXCLUDED.kind, days = EXCLUDED.days, "
	  "title_fr = EXCLUDED.title_fr, title_en = EXCLUDED.title_en, "
	  "title_it = EXCLUDED.title_it, position = EXCLUDED.position WHERE "
	  "(t.season, t.kind, t.days, t.title_fr, t.title_en, t.title_it, "
	  "t.position) IS DISTINCT FROM (EXCLUDED.season, EXCLUDED.kind, "
	  "EXCLUDED.days, EXCLUDED.title_fr, EXCLUDED.title_en, "
	  "EXCLUDED.title_it, EXCLUDED.position)", .nparams = 1 },
	[RS_PRICES_DELETE] = { .name = "mountain_delete_prices",
	  .sql = "DELETE FROM mountain.pass_prices t WHERE (t.product, "
	  "t.profile, t.band) NOT IN (SELECT product, profile, band FROM ("
	  PRICES ") f)", .nparams = 1 },
	[RS_PRICES_UPSERT] = { .name = "mountain_upsert_prices",
	  .sql = "INSERT INTO mountain.pass_prices AS t (product, profile, "
	  "band, cents) " PRICES " ON CONFLICT (product, profile, band) DO "
	  "UPDATE SET cents = EXCLUDED.cents WHERE t.cents <> EXCLUDED.cents",
	  .nparams = 1 },
	[RS_PASSES_DELETE] = { .name = "mountain_delete_passes",
	  .sql = "DELETE FROM mountain.pass_products WHERE code NOT IN "
	  KEYS("passes", "code"), .nparams = 1 },
	[RS_SEASONS_DELETE] = { .name = "mountain_delete_seasons",
	  .sql = "DELETE FROM mountain.seasons WHERE code NOT IN "
	  KEYS("seasons", "code"), .nparams = 1 },
	/* the live stream's event (http/live.h), sent at commit */
	[RS_PUBLISH] = { .name = "mountain_publish_reference",
	  .sql = "SELECT mountain.publish_reference($1::jsonb) AS published",
	  .nparams = 1 },
};

const struct module_stmts mountain_ref_stmt_table = { ref_stmts, RS__COUNT };

/* The document as it is in 'db', or NULL with 'err'. */
static json_t *
export_doc(struct db *db, struct db_error *err)
{
	struct db_res	*res = NULL;
	json_t		*doc;

	if (db_exec(db, &ref_stmts[RS_EXPORT], NULL, &res, err) == -1)
		return (NULL);
	doc = json_loads(db_str(res, 0, "doc"), 0, NULL);
	db_res_free(res);
	if (doc == NULL)
		err->code = DB_E_INTERNAL;
	return (doc);
}

json_t *
mountain_export(struct db *db, struct db_error *err)
{
	memset(err, 0, sizeof(*err));
	return (export_doc(db, err));
}

/*
 * What changed in section 'name' (items keyed by 'key') from 'before' to
 * 'after': {"created": [keys], "changed": [...], "removed": [...],
 * "unchanged": n}.
 */
static json_t *
section_diff(const json_t *before, const json_t *after, const char *name,
    const char *key)
{
	const json_t	*b = json_object_get(before, name);
	const json_t	*a = json_object_get(after, name);
	const json_t	*it, *old;
	json_t		*byid = json_object(), *created = json_array();
	json_t		*changed = json_array(), *removed = json_array();
	size_t		 i, same = 0;

	json_array_foreach(b, i, it)
		json_object_set(byid, json_str(it, key), (json_t *)it);
	json_array_foreach(a, i, it) {
		if ((old = json_object_get(byid, json_str(it, key))) == NULL)
			json_array_append_new(created,
			    json_string(json_str(it, key)));
		else if (!json_equal(old, it))
			json_array_append_new(changed,
			    json_string(json_str(it, key)));
		else
			same++;
		json_object_del(byid, json_str(it, key));
	}
	json_array_foreach(b, i, it)
		if (json_object_get(byid, json_str(it, key)) != NULL)
			json_array_append_new(removed,
			    json_string(json_str(it, key)));
	json_decref(byid);
	return (json_pack("{s:o, s:o, s:o, s:I}", "created", created,
	    "changed", changed, "removed", removed, "unchanged",
	    (json_int_t)same));
}

static json_t *
reference_diff(const json_t *before, const json_t *after, int dry_run)
{
	return (json_pack("{s:b, s:o, s:o, s:o, s:o, s:{s:b}}",
	    "dry_run", dry_run,
	    "seasons", section_diff(before, after, "seasons", "code"),
	    "lifts", section_diff(before, after, "lifts", "id"),
	    "slopes", section_diff(before, after, "slopes", "id"),
	    "passes", section_diff(before, after, "passes", "code"),
	    "bands", "changed", !json_equal(json_object_get(before, "bands"),
	    json_object_get(after, "bands"))));
}

/*
 * When something changed, the event "mountain_reference" of the live
 * stream, {"lifts": {"created": n, "changed": n, "removed": n}, ...,
 * "bands": {"changed": b}}: counts only, a payload of NOTIFY being small;
 * a screen fetches the lists again.
 */
static int
publish(struct db *db, const json_t *report, struct db_error *err)
{
	static const char *const secs[] = { "seasons", "lifts", "slopes",
	    "passes" };
	static const char *const parts[] = { "created", "changed", "removed" };
	const json_t	*bands = json_object_get(report, "bands");
	json_t		*ev, *o;
	const char	*p[1];
	char		*text;
	size_t		 i, k, n;
	int		 any = json_is_true(json_object_get(bands, "changed"));
	int		 rc;

	ev = json_object();
	for (i = 0; i < NELEM(secs); i++) {
		o = json_object();
		for (k = 0; k < NELEM(parts); k++) {
			n = json_array_size(json_object_get(json_object_get(
			    report, secs[i]), parts[k]));
			any |= n > 0;
			json_object_set_new(o, parts[k], json_integer(
			    (json_int_t)n));
		}
		json_object_set_new(ev, secs[i], o);
	}
	json_object_set(ev, "bands", (json_t *)bands);
	if (!any) {
		json_decref(ev);
		return (0);
	}
	text = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	p[0] = text;
	rc = db_exec(db, &ref_stmts[RS_PUBLISH], p, NULL, err);
	free(text);
	return (rc);
}

struct import_tx {
	const char	*doc;		/* the checked document as text */
	char		 now[40];
	int		 dry_run;
	json_t		*report;	/* set on success */
	int		 rolled_back;	/* the dry run's own rollback */
};

static const enum ref_stmt apply_order[] = {
	RS_SEASONS_UPSERT, RS_BANDS_CLEAR, RS_BANDS_INSERT, RS_LIFTS_UPSERT,
	RS_SLOPES_UPSERT, RS_SLOPE_LIFTS_DELETE, RS_SLOPE_LIFTS_INSERT,
	RS_SLOPES_DELETE, RS_LIFTS_DELETE, RS_PASSES_UPSERT, RS_PRICES_DELETE,
	RS_PRICES_UPSERT, RS_PASSES_DELETE, RS_SEASONS_DELETE,
};

static int
import_tx(struct db *db, void *arg, struct db_error *err)
{
	struct import_tx	*t = arg;
	const char		*p[2] = { t->doc, t->now };
	json_t			*before, *after;
	size_t			 i;

	json_decref(t->report);
	t->report = NULL;
	t->rolled_back = 0;
	if (db_exec(db, &ref_stmts[RS_LOCK], NULL, NULL, err) == -1 ||
	    (before = export_doc(db, err)) == NULL)
		return (-1);
	for (i = 0; i < NELEM(apply_order); i++)
		if (db_exec(db, &ref_stmts[apply_order[i]], p, NULL, err) ==
		    -1) {
			json_decref(before);
			return (-1);
		}
	if ((after = export_doc(db, err)) == NULL) {
		json_decref(before);
		return (-1);
	}
	t->report = reference_diff(before, after, t->dry_run);
	json_decref(before);
	json_decref(after);
	if (!t->dry_run && publish(db, t->report, err) == -1)
		return (-1);
	if (t->dry_run) {
		/* Seen, then undone. */
		t->rolled_back = 1;
		err->code = DB_OK;
		return (-1);
	}
	return (0);
}

int
mountain_import(struct db *db, const json_t *doc, int dry_run, int64_t now,
    enum lang lang, struct import_result *r, struct db_error *err)
{
	struct import_tx	 t;
	char			*text;
	int			 rc;

	memset(err, 0, sizeof(*err));
	memset(r, 0, sizeof(*r));
	r->errors = json_array();
	if ((r->nerrors = mountain_reference_check(doc, lang, r->errors)) >
	    0)
		return (1);
	memset(&t, 0, sizeof(t));
	text = json_dumps(doc, REF_DUMP);
	t.doc = text;
	t.dry_run = dry_run;
	clock_format(now, t.now, sizeof(t.now));
	rc = db_tx(db, import_tx, &t, err);
	free(text);
	if (rc == -1 && !t.rolled_back) {
		json_decref(t.report);
		if (err->code == DB_OK)
			err->code = DB_E_INTERNAL;
		return (-1);
	}
	r->report = t.report;
	if (!dry_run) {
		/* Committed: this process's next read shows it (cache.h). */
		cache_drop(MOUNTAIN_CACHE_TAG);
		cache_drop(MOUNTAIN_PASSES_CACHE_TAG);
	}
	return (0);
}

void
import_result_free(struct import_result *r)
{
	json_decref(r->errors);
	json_decref(r->report);
	memset(r, 0, sizeof(*r));
}

/* guichetctl mountain import|export, and the demo. */

/* One line of a section of the report: "lifts: 1 created (a), ...". */
static void
print_section(const json_t *report, const char *name)
{
	static const char *const parts[] = { "created", "changed", "removed" };
	const json_t	*s = json_object_get(report, name), *ids, *id;
	size_t		 i, k;

	printf("%s:", name);
	for (i = 0; i < NELEM(parts); i++) {
		ids = json_object_get(s, parts[i]);
		printf(" %zu %s", json_array_size(ids), parts[i]);
		json_array_foreach(ids, k, id)
			printf("%s%s", k == 0 ? " (" : ", ",
			    json_string_value(id));
		printf("%s,", json_array_size(ids) > 0 ? ")" : "");
	}
	printf(" %lld unchanged\n", (long long)json_integer_value(
	    json_object_get(s, "unchanged")));
}

/* How many items section 'name' has after an import. */
static size_t
section_count(const json_t *report, const char *name)
{
	const json_t	*s = json_object_get(report, name);

	return (json_array_size(json_object_get(s, "created")) +
	    json_array_size(json_object_get(s, "changed")) +
	    (size_t)json_integer_value(json_object_get(s, "unchanged")));
}

/*
 * Import file 'path' (a dry run: checked, applied, reported, undone): 0,
 * or -1 with the problems printed as "path: pointer: reason".  'quiet'
 * (the demo): one line.
 */
static int
import_file(struct db *db, const char *path, int dry_run, int quiet)
{
	struct import_result	 r;
	struct db_error		 err;
	const json_t		*e;
	char			 why[600];
	json_t			*doc;
	size_t			 i;
	int			 rc;

	if ((doc = json_read_file(path, REF_FILE_MAX, REF_DEPTH_MAX, why,
	    sizeof(why))) == NULL) {
		fprintf(stderr, "guichetctl: %s\n", why);
		return (-1);
	}
	rc = mountain_import(db, doc, dry_run, clock_now(), LANG_EN, &r, &err);
	json_decref(doc);
	if (rc == 1) {
		json_array_foreach(r.errors, i, e)
			fprintf(stderr, "%s: %s: %s\n", path,
			    json_str(e, "field")[0] != '\0' ?
			    json_str(e, "field") : "(the document)",
			    json_str(e, "message"));
		if (r.nerrors > json_array_size(r.errors))
			fprintf(stderr, "%s: %zu more problems\n", path,
			    r.nerrors - json_array_size(r.errors));
		fprintf(stderr, "guichetctl: %s: %zu problem%s: nothing "
		    "changed\n", path, r.nerrors, r.nerrors == 1 ? "" : "s");
	} else if (rc == -1)
		fprintf(stderr, "guichetctl: %s: the database refused it "
		    "(sqlstate %s): nothing changed\n", path,
		    err.sqlstate[0] != '\0' ? err.sqlstate : "none");
	else if (quiet)
		printf("demo mountain: %zu lifts, %zu slopes, %zu lift "
		    "passes\n", section_count(r.report, "lifts"),
		    section_count(r.report, "slopes"),
		    section_count(r.report, "passes"));
	else {
		print_section(r.report, "seasons");
		printf("bands: %s\n", json_is_true(json_object_get(
		    json_object_get(r.report, "bands"), "changed")) ?
		    "changed" : "unchanged");
		print_section(r.report, "lifts");
		print_section(r.report, "slopes");
		print_section(r.report, "passes");
		if (dry_run)
			printf("dry run: nothing changed\n");
	}
	import_result_free(&r);
	return (rc == 0 ? 0 : -1);
}

int
mountain_ref_ctl(struct ctl_ctx *ctl)
{
	struct db_error	 err;
	json_t		*doc;

	if (strcmp(ctl->argv[0], "export") == 0 && ctl->argc == 1) {
		if ((doc = mountain_export(ctl->db, &err)) == NULL) {
			fprintf(stderr, "guichetctl: the database is "
			    "unavailable\n");
			return (-1);
		}
		json_dumpf(doc, stdout, JSON_INDENT(2) |
		    JSON_REAL_PRECISION(15));
		printf("\n");
		json_decref(doc);
		return (0);
	}
	if (strcmp(ctl->argv[0], "import") == 0 && ctl->argc == 2)
		return (import_file(ctl->db, ctl->argv[1], 0, 0));
	if (strcmp(ctl->argv[0], "import") == 0 && ctl->argc == 3 &&
	    strcmp(ctl->argv[1], "--dry-run") == 0)
		return (import_file(ctl->db, ctl->argv[2], 1, 0));
	fprintf(stderr, "usage: guichetctl mountain import [--dry-run] "
	    "FILE.json | mountain export\n");
	return (-1);
}

/* guichetctl demo: the demo town's mountain, through the same import. */
int
mountain_demo(struct ctl_ctx *ctl)
{
	char	 path[4096];

	snprintf(path, sizeof(path), "%s/demo/mountain/montgenevre.json",
	    ctl->conf->sql_dir);
	return (import_file(ctl->db, path, 0, 1));
}

/* GET /api/v1/admin/mountain */

int
mountain_admin_get(struct request *req)
{
	struct db_error	 err;
	json_t		*doc;

	if ((doc = mountain_export(db_thread(), &err)) == NULL) {
		reply_db_error(req, &err);
		return (0);
	}
	reply_json(req, 200, doc);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

/* PUT /api/v1/admin/mountain[?dry_run=true] */

int
mountain_admin_put(struct request *req)
{
	struct import_result	 r;
	struct db_error		 err;
	const char		*dry = request_query(req, "dry_run");
	char			 count[24];
	int			 rc;

	if (dry != NULL && strcmp(dry, "true") != 0 &&
	    strcmp(dry, "false") != 0) {
		reply_error(req, HTTP_ERR(HE_BAD_QUERY), "dry_run=true|false");
		return (0);
	}
	rc = mountain_import(db_thread(), req->json, dry != NULL &&
	    strcmp(dry, "true") == 0, clock_now(), req->lang, &r, &err);
	if (rc == -1)
		reply_db_error(req, &err);
	else if (rc == 1) {
		snprintf(count, sizeof(count), "%zu", r.nerrors);
		reply_error_fields(req, MOUNTAIN_ERR(MTE_REFERENCE_INVALID),
		    r.errors, count);
		r.errors = NULL;
	} else {
		log_info("mountain reference %s by %s", json_is_true(
		    json_object_get(r.report, "dry_run")) ? "tried" :
		    "imported", req->principal != NULL ? req->principal->id :
		    "unknown");
		reply_json(req, 200, r.report);
		r.report = NULL;
		reply_header(req, "Cache-Control", "no-store");
	}
	import_result_free(&r);
	return (0);
}
