/*
 * incidents_attr.c: what a report's values must be, without a database:
 * the categories' attributes (Open311 attribute datatypes: string,
 * number, datetime, text, singlevaluelist, multivaluelist), the
 * transition table, the bounds of a position, and the public GeoJSON
 * Feature of a report (RFC 7946: [longitude, latitude]).  The pure parts
 * are tested by t/unit/test_incidents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "db/db.h"
#include "incidents/incidents_int.h"
#include "json/check.h"

#define ATTR_TEXT_MAX	4000

#define L3(fr, en, it)	{ [LANG_FR] = fr, [LANG_EN] = en, [LANG_IT] = it }

enum amsg { AM_REQUIRED, AM_TYPE_STRING, AM_TYPE_NUMBER, AM_DATETIME,
    AM_LIST, AM_LONG, AM_UNKNOWN, AM__COUNT };

static const char *const amsgs[AM__COUNT][3] = {
	[AM_REQUIRED] = L3("ce champ est obligatoire pour cette catégorie",
	    "this field is required for this category",
	    "questo campo è obbligatorio per questa categoria"),
	[AM_TYPE_STRING] = L3("un texte est attendu", "a string is expected",
	    "è atteso un testo"),
	[AM_TYPE_NUMBER] = L3("un nombre est attendu", "a number is expected",
	    "è atteso un numero"),
	[AM_DATETIME] = L3("une date et heure RFC 3339 est attendue",
	    "an RFC 3339 date and time is expected",
	    "è attesa una data e ora RFC 3339"),
	[AM_LIST] = L3("cette valeur n'est pas dans la liste",
	    "this value is not in the list", "questo valore non è nella lista"),
	[AM_LONG] = L3("texte trop long", "text too long", "testo troppo lungo"),
	[AM_UNKNOWN] = L3("cette catégorie n'a pas cet attribut",
	    "this category has no such attribute",
	    "questa categoria non ha questo attributo"),
};

static void
attr_error(json_t *errors, const char *code, const char *what,
    enum amsg m, enum lang l)
{
	char	 field[160];

	snprintf(field, sizeof(field), "/attributes/%s", code);
	json_error_add(errors, field, what, amsgs[m][l]);
}

/* 1 when 'v' is the key of one of the definition's values. */
static int
listed(const json_t *def, const json_t *v)
{
	const json_t	*x;
	size_t		 i;

	if (!json_is_string(v))
		return (0);
	json_array_foreach(json_object_get(def, "values"), i, x)
		if (json_is_string(json_object_get(x, "key")) &&
		    strcmp(json_string_value(json_object_get(x, "key")),
		    json_string_value(v)) == 0)
			return (1);
	return (0);
}

static size_t
check_one(const json_t *def, const char *code, const json_t *v, enum lang l,
    json_t *errors)
{
	const char	*type = json_str(def, "datatype");
	const json_t	*x;
	int64_t		 t;
	size_t		 i;

	if (type == NULL)
		type = "string";
	if (strcmp(type, "number") == 0) {
		if (!json_is_number(v)) {
			attr_error(errors, code, "type", AM_TYPE_NUMBER, l);
			return (1);
		}
		return (0);
	}
	if (strcmp(type, "multivaluelist") == 0) {
		if (!json_is_array(v) || json_array_size(v) == 0) {
			attr_error(errors, code, "type", AM_LIST, l);
			return (1);
		}
		json_array_foreach(v, i, x)
			if (!listed(def, x)) {
				attr_error(errors, code, "one_of", AM_LIST, l);
				return (1);
			}
		return (0);
	}
	if (!json_is_string(v)) {
		attr_error(errors, code, "type", AM_TYPE_STRING, l);
		return (1);
	}
	if (strcmp(type, "datetime") == 0) {
		if (clock_parse(json_string_value(v), &t) != 0) {
			attr_error(errors, code, "format", AM_DATETIME, l);
			return (1);
		}
		return (0);
	}
	if (strcmp(type, "singlevaluelist") == 0) {
		if (!listed(def, v)) {
			attr_error(errors, code, "one_of", AM_LIST, l);
			return (1);
		}
		return (0);
	}
	/* string, text */
	if (json_utf8_len(json_string_value(v)) > (strcmp(type, "text") == 0 ?
	    ATTR_TEXT_MAX : 200)) {
		attr_error(errors, code, "max_length", AM_LONG, l);
		return (1);
	}
	return (0);
}

size_t
incidents_check_attributes(const json_t *defs, const json_t *values,
    enum lang l, json_t *errors)
{
	const json_t	*def, *v;
	const char	*code, *k;
	size_t		 i, n = 0, j;
	int		 known;

	json_array_foreach(defs, i, def) {
		if ((code = json_str(def, "code")) == NULL)
			continue;
		v = values != NULL ? json_object_get(values, code) : NULL;
		if (v == NULL || json_is_null(v)) {
			if (json_is_true(json_object_get(def, "required"))) {
				attr_error(errors, code, "required",
				    AM_REQUIRED, l);
				n++;
			}
			continue;
		}
		n += check_one(def, code, v, l, errors);
	}
	if (values == NULL)
		return (n);
	json_object_foreach((json_t *)values, k, v) {
		known = 0;
		json_array_foreach(defs, j, def)
			if (json_str(def, "code") != NULL &&
			    strcmp(json_str(def, "code"), k) == 0)
				known = 1;
		if (!known) {
			attr_error(errors, k, "unknown", AM_UNKNOWN, l);
			n++;
		}
	}
	return (n);
}

/*
 * The transition table: an agent of the department acknowledges, starts
 * and resolves a report, or closes it (with a reason) from any state not
 * yet finished.
 */
static const struct {
	const char	*from;
	const char	*to;
} moves[] = {
	{ "open", "acknowledged" },
	{ "open", "in_progress" },
	{ "acknowledged", "in_progress" },
	{ "open", "resolved" },
	{ "acknowledged", "resolved" },
	{ "in_progress", "resolved" },
	{ "open", "closed" },
	{ "acknowledged", "closed" },
	{ "in_progress", "closed" },
};

int
incidents_move_allowed(const char *from, const char *to)
{
	size_t	 i;

	for (i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
		if (strcmp(moves[i].from, from) == 0 &&
		    strcmp(moves[i].to, to) == 0)
			return (1);
	return (0);
}

int
incidents_lonlat_ok(double lon, double lat)
{
	return (lon >= -180.0 && lon <= 180.0 && lat >= -90.0 && lat <= 90.0);
}

static json_t *
raw_json(const struct db_res *res, int i, const char *col, json_t *dflt)
{
	const char	*s = db_str(res, i, col);
	json_t		*v;

	if (s == NULL || (v = json_loads(s, 0, NULL)) == NULL)
		return (dflt);
	json_decref(dflt);
	return (v);
}

json_t *
incidents_category_json(const struct db_res *res, int i, enum lang l)
{
	char	 col[16];

	snprintf(col, sizeof(col), "name_%s", lang_code(l));
	return (json_pack("{s:s?, s:s?, s:s?, s:o, s:I, s:b}",
	    "code", db_str(res, i, "code"),
	    "department", db_str(res, i, "department"),
	    "name", db_str(res, i, col),
	    "attributes", raw_json(res, i, "attributes", json_array()),
	    "resolution_days", (json_int_t)db_int64(res, i, "resolution_days"),
	    "anonymous_allowed", db_bool(res, i, "anonymous_allowed")));
}

/* The report's photos: their public copy's and thumbnail's paths. */
static json_t *
photos_json(const struct db_res *res, int i)
{
	json_t	*ids, *out = json_array(), *v;
	char	 url[160];
	size_t	 k;

	if (db_col(res, "photos") < 0 || db_isnull(res, i, "photos"))
		return (out);
	ids = json_loads(db_str(res, i, "photos"), 0, NULL);
	json_array_foreach(ids, k, v) {
		snprintf(url, sizeof(url), "/api/v1/incidents/%s/photos/%s",
		    db_str(res, i, "id"), json_string_value(v));
		json_array_append_new(out, json_pack("{s:s, s:s, s:s+}",
		    "id", json_string_value(v), "url", url, "thumbnail_url",
		    url, "/thumbnail"));
	}
	json_decref(ids);
	return (out);
}

json_t *
incidents_feature(const struct db_res *res, int i, enum lang l)
{
	json_t	*props, *geom;
	char	 col[16];

	snprintf(col, sizeof(col), "name_%s", lang_code(l));
	if (db_isnull(res, i, "lon"))
		geom = json_null();
	else
		geom = json_pack("{s:s, s:[f, f]}", "type", "Point",
		    "coordinates", strtod(db_str(res, i, "lon"), NULL),
		    strtod(db_str(res, i, "lat"), NULL));
	props = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:s?, s:s?, "
	    "s:s?, s:s?, s:I}",
	    "category", db_str(res, i, "category"),
	    "category_name", db_str(res, i, col),
	    "department", db_str(res, i, "department"),
	    "description", db_str(res, i, "description"),
	    "address", db_str(res, i, "address"),
	    "attributes", raw_json(res, i, "attributes", json_object()),
	    "status", db_str(res, i, "status"),
	    "close_reason", db_str(res, i, "close_reason"),
	    "duplicate_of", db_str(res, i, "duplicate_of"),
	    "status_note", db_str(res, i, "status_note"),
	    "supporters", (json_int_t)db_int64(res, i, "supporters"));
	json_object_set_new(props, "photos", photos_json(res, i));
	json_set_time(props, "created_at", db_time(res, i, "created_at"));
	json_set_time(props, "updated_at", db_time(res, i, "updated_at"));
	json_set_time(props, "expected_at", db_time(res, i, "expected_at"));
	json_set_time(props, "finished_at", db_time(res, i, "finished_at"));
	return (json_pack("{s:s, s:s?, s:o, s:o}", "type", "Feature",
	    "id", db_str(res, i, "id"), "geometry", geom,
	    "properties", props));
}
