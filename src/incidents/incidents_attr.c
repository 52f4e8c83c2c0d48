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

#include "base/buf.h"
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

/*
 * The public columns (INCIDENTS_PUBLIC_COLS) by index, looked up once per
 * result: the name of the category's name is the language's.
 */
static const char *const public_cols[IC__COUNT] = {
	[IC_ID] = "id", [IC_CATEGORY] = "category", [IC_NAME] = NULL,
	[IC_DEPARTMENT] = "department", [IC_DESCRIPTION] = "description",
	[IC_LON] = "lon", [IC_LAT] = "lat", [IC_ADDRESS] = "address",
	[IC_ATTRIBUTES] = "attributes", [IC_STATUS] = "status",
	[IC_CLOSE_REASON] = "close_reason", [IC_DUPLICATE_OF] = "duplicate_of",
	[IC_STATUS_NOTE] = "status_note", [IC_SUPPORTERS] = "supporters",
	[IC_CREATED_AT] = "created_at", [IC_UPDATED_AT] = "updated_at",
	[IC_EXPECTED_AT] = "expected_at", [IC_FINISHED_AT] = "finished_at",
	[IC_PHOTOS] = "photos",
};

/* The columns of 'res', the category's name in column 'name'. */
static void
cols_named(const struct db_res *res, const char *name,
    struct incidents_cols *c)
{
	int	 k;

	for (k = 0; k < IC__COUNT; k++)
		c->c[k] = db_col(res, k == IC_NAME ? name : public_cols[k]);
}

void
incidents_cols(const struct db_res *res, enum lang l, struct incidents_cols *c)
{
	char	 col[16];

	snprintf(col, sizeof(col), "name_%s", lang_code(l));
	cols_named(res, col, c);
}

void
incidents_cols_one(const struct db_res *res, struct incidents_cols *c)
{
	cols_named(res, "category_name", c);
}

void
incidents_view(const struct db_res *res, int i, const struct incidents_cols *c,
    struct incident_view *v)
{
	v->id = db_cell(res, i, c->c[IC_ID]);
	v->category = db_cell(res, i, c->c[IC_CATEGORY]);
	v->category_name = db_cell(res, i, c->c[IC_NAME]);
	v->department = db_cell(res, i, c->c[IC_DEPARTMENT]);
	v->description = db_cell(res, i, c->c[IC_DESCRIPTION]);
	v->lon = db_cell(res, i, c->c[IC_LON]);
	v->lat = db_cell(res, i, c->c[IC_LAT]);
	if (v->lon == NULL || v->lat == NULL)
		v->lon = v->lat = NULL;
	v->address = db_cell(res, i, c->c[IC_ADDRESS]);
	v->attributes = db_cell(res, i, c->c[IC_ATTRIBUTES]);
	v->status = db_cell(res, i, c->c[IC_STATUS]);
	v->close_reason = db_cell(res, i, c->c[IC_CLOSE_REASON]);
	v->duplicate_of = db_cell(res, i, c->c[IC_DUPLICATE_OF]);
	v->status_note = db_cell(res, i, c->c[IC_STATUS_NOTE]);
	v->supporters = db_cell(res, i, c->c[IC_SUPPORTERS]);
	v->photos = db_cell(res, i, c->c[IC_PHOTOS]);
	db_time_cell(res, i, c->c[IC_CREATED_AT], v->created_at,
	    sizeof(v->created_at));
	db_time_cell(res, i, c->c[IC_UPDATED_AT], v->updated_at,
	    sizeof(v->updated_at));
	db_time_cell(res, i, c->c[IC_EXPECTED_AT], v->expected_at,
	    sizeof(v->expected_at));
	db_time_cell(res, i, c->c[IC_FINISHED_AT], v->finished_at,
	    sizeof(v->finished_at));
}

size_t
incidents_photo_first(const char *photos)
{
	return (photos != NULL ? strcspn(photos, ",") : 0);
}

/*
 * 'key' (the JSON text ,"name": written as it is) and 'v' as a JSON
 * string or null; member_plain() for values that need no escaping (ids,
 * times).
 */
static void
member(struct buf *b, const char *key, const char *v)
{
	buf_adds(b, key);
	if (v != NULL)
		buf_add_json_str(b, v);
	else
		buf_adds(b, "null");
}

static void
member_plain(struct buf *b, const char *key, const char *v)
{
	buf_adds(b, key);
	if (v != NULL && v[0] != '\0') {
		buf_addc(b, '"');
		buf_adds(b, v);
		buf_addc(b, '"');
	} else
		buf_adds(b, "null");
}

/* The photos: their public copy's and thumbnail's paths. */
static void
photos_write(struct buf *b, const struct incident_view *v)
{
	const char	*p = v->photos;
	size_t		 n;
	int		 first = 1;

	buf_adds(b, ",\"photos\":[");
	while (p != NULL && *p != '\0') {
		n = strcspn(p, ",");
		if (n > 0 && n < 64) {
			if (!first)
				buf_addc(b, ',');
			first = 0;
			buf_addf(b, "{\"id\":\"%.*s\",\"url\":\"/api/v1/incidents/"
			    "%s/photos/%.*s\",\"thumbnail_url\":\"/api/v1/"
			    "incidents/%s/photos/%.*s/thumbnail\"}", (int)n, p,
			    v->id, (int)n, p, v->id, (int)n, p);
		}
		p += n;
		if (*p == ',')
			p++;
	}
	buf_addc(b, ']');
}

void
incidents_feature_write(struct buf *b, const struct incident_view *v)
{
	member_plain(b, "{\"type\":\"Feature\",\"id\":", v->id);
	buf_adds(b, ",\"geometry\":");
	if (v->lon == NULL)
		buf_adds(b, "null");
	else {
		buf_adds(b, "{\"type\":\"Point\",\"coordinates\":[");
		buf_add_real(b, v->lon);
		buf_addc(b, ',');
		buf_add_real(b, v->lat);
		buf_adds(b, "]}");
	}
	member(b, ",\"properties\":{\"category\":", v->category);
	member(b, ",\"category_name\":", v->category_name);
	member(b, ",\"department\":", v->department);
	member(b, ",\"description\":", v->description);
	member(b, ",\"address\":", v->address);
	/* jsonb's text is JSON already. */
	buf_adds(b, ",\"attributes\":");
	buf_adds(b, v->attributes != NULL ? v->attributes : "{}");
	member(b, ",\"status\":", v->status);
	member(b, ",\"close_reason\":", v->close_reason);
	member_plain(b, ",\"duplicate_of\":", v->duplicate_of);
	member(b, ",\"status_note\":", v->status_note);
	buf_adds(b, ",\"supporters\":");
	buf_adds(b, v->supporters != NULL ? v->supporters : "0");
	photos_write(b, v);
	member_plain(b, ",\"created_at\":", v->created_at);
	member_plain(b, ",\"updated_at\":", v->updated_at);
	member_plain(b, ",\"expected_at\":", v->expected_at);
	member_plain(b, ",\"finished_at\":", v->finished_at);
	buf_adds(b, "}}");
}

json_t *
incidents_feature(const struct db_res *res, int i, enum lang l)
{
	struct incidents_cols	 c;
	struct incident_view	 v;
	struct buf		 b;
	json_t			*f;

	incidents_cols(res, l, &c);
	incidents_view(res, i, &c, &v);
	buf_init(&b);
	incidents_feature_write(&b, &v);
	if ((f = json_loadb(b.data, b.len, 0, NULL)) == NULL)
		abort();
	buf_cleanup(&b);
	return (f);
}
