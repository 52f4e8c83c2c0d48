/*
 * definition.c: a procedure's definition, the one JSON format of the
 * administrators' bodies (POST and PUT /api/v1/admin/procedures...), of
 * guichetctl procedures import and export, and of the demo's files
 * (sql/demo/procedures/):
 *
 *   {"code": "terrasse",
 *    "title": {"fr", "en", "it"}, "description": {"fr", "en", "it"},
 *    "department": "mairie",                    identity.departments
 *    "profile_kinds": ["permanent_resident", ...],
 *    "theme": "N19803",                         procedures.themes
 *    "deadline_days": 60, "implicit": "acceptance" | "rejection" | null,
 *    "retention_years": 5, "legal_basis": "...",
 *    "grants": {"kind": "resident", "season": "2026-2027"} | null,
 *    "documents": [{"code", "label": {...}, "required"}],
 *    "form": [field, ...]}                      form.c
 *
 * Its schema (procedures_definition_spec) says the shape; definition_check()
 * says the rest, one error per problem, with JSON pointers into the body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "json/check.h"
#include "procedures/procedures_int.h"

#define JF_END	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, JK_END }

/* A text in French, English and Italian, each of 1 to 'max' characters. */
#define TEXT_FIELDS(max) { \
	{ .name = "fr", .kind = JK_STRING, .flags = JF_REQUIRED, .min_len = 1, \
	  .max_len = (max) }, \
	{ .name = "en", .kind = JK_STRING, .flags = JF_REQUIRED, .min_len = 1, \
	  .max_len = (max) }, \
	{ .name = "it", .kind = JK_STRING, .flags = JF_REQUIRED, .min_len = 1, \
	  .max_len = (max) }, \
	JF_END \
}

static const struct json_field title_fields[] = TEXT_FIELDS(200);
static const struct json_field help_fields[] = TEXT_FIELDS(1000);
static const struct json_field description_fields[] = TEXT_FIELDS(8000);
const struct json_spec procedures_text_spec = { .name = "ProcedureText",
    .fields = title_fields };
const struct json_spec procedures_help_spec = { .name = "ProcedureHelp",
    .fields = help_fields };
static const struct json_spec description_spec = {
    .name = "ProcedureDescription", .fields = description_fields };

static const char *const profile_kinds[] = { "permanent_resident",
    "secondary_resident", "seasonal_worker", "tourist", NULL };
static const char *const implicits[] = { "acceptance", "rejection", NULL };
static const char *const grant_kinds[] = { "resident", "seasonal_worker",
    "secondary_resident", NULL };

static const struct json_field grants_fields[] = {
	{ .name = "kind", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .one_of = grant_kinds },
	{ .name = "season", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 9, .max_len = 9 },
	JF_END
};
static const struct json_spec grants_spec = { .name = "ProcedureGrants",
    .fields = grants_fields };

static const struct json_field document_fields[] = {
	{ .name = "code", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 2, .max_len = 48 },
	{ .name = "label", .kind = JK_OBJECT, .flags = JF_REQUIRED,
	  .object = &procedures_text_spec },
	{ .name = "required", .kind = JK_BOOLEAN, .flags = JF_REQUIRED },
	JF_END
};
static const struct json_spec document_spec = { .name = "ProcedureDocument",
    .fields = document_fields };

static const struct json_field definition_fields[] = {
	{ .name = "code", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 2, .max_len = 47 },
	{ .name = "title", .kind = JK_OBJECT, .flags = JF_REQUIRED,
	  .object = &procedures_text_spec },
	{ .name = "description", .kind = JK_OBJECT, .flags = JF_REQUIRED,
	  .object = &description_spec },
	{ .name = "department", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 2, .max_len = 40 },
	{ .name = "profile_kinds", .kind = JK_ARRAY, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 4, .items = JK_STRING,
	  .one_of = profile_kinds },
	{ .name = "theme", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 2, .max_len = 9 },
	{ .name = "deadline_days", .kind = JK_INTEGER, .flags = JF_REQUIRED,
	  .min = 1, .max = 3650 },
	{ .name = "implicit", .kind = JK_STRING,
	  .flags = JF_REQUIRED | JF_NULLABLE, .one_of = implicits },
	{ .name = "retention_years", .kind = JK_INTEGER, .flags = JF_REQUIRED,
	  .min = 1, .max = 100 },
	{ .name = "legal_basis", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 1000 },
	{ .name = "grants", .kind = JK_OBJECT, .flags = JF_NULLABLE,
	  .object = &grants_spec },
	{ .name = "documents", .kind = JK_ARRAY, .max_len = 50,
	  .object = &document_spec },
	{ .name = "form", .kind = JK_ARRAY, .flags = JF_REQUIRED,
	  .max_len = FORM_FIELDS_MAX, .items = JK_OBJECT },
	JF_END
};
const struct json_spec procedures_definition_spec = {
    .name = "ProcedureDefinition", .fields = definition_fields };

static const struct json_field patch_fields[] = {
	{ .name = "active", .kind = JK_BOOLEAN, .flags = JF_REQUIRED },
	JF_END
};
const struct json_spec procedures_patch_spec = { .name = "ProcedurePatch",
    .fields = patch_fields };

int
code_ok(const char *s, size_t min, size_t max)
{
	size_t	 n;

	if (s == NULL || *s < 'a' || *s > 'z')
		return (0);
	n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
	return (s[n] == '\0' && n >= min && n <= max);
}

/* "2026-2027": two years, one after the other. */
static int
season_ok(const char *s)
{
	if (s == NULL || strlen(s) != 9 || s[4] != '-' ||
	    strspn(s, "0123456789") != 4 || strspn(s + 5, "0123456789") != 4)
		return (0);
	return (atoi(s + 5) == atoi(s) + 1);
}

/* 1 when statement 'st' with 'param' counts a row; -1 with 'err'. */
static int
exists(struct db *db, enum procedures_stmt st, const char *param,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { param };
	int		 n;

	if (db_exec(db, PROC_STMT(st), p, &res, err) == -1)
		return (-1);
	n = db_res_rows(res) == 1 && db_int64(res, 0, "n") > 0;
	db_res_free(res);
	return (n);
}

size_t
definition_check(struct db *db, const json_t *def, enum lang lang,
    json_t *errors, struct db_error *err)
{
	const json_t	*a, *v, *w;
	const char	*s;
	size_t		 n, i, k;
	char		 at[64];
	int		 r;

	n = json_check(def, &procedures_definition_spec, lang, errors);
	if (!json_is_object(def))
		return (n);
	if ((s = json_str(def, "code")) != NULL && !code_ok(s, PROC_CODE_MIN, PROC_CODE_MAX))
		form_error(errors, &n, "/code", "format", FM_NAME, lang, NULL);
	a = json_object_get(def, "profile_kinds");
	json_array_foreach(a, i, v) {
		for (k = 0; k < i; k++)
			if (json_equal(json_array_get(a, k), v)) {
				snprintf(at, sizeof(at), "/profile_kinds/%zu",
				    i);
				form_error(errors, &n, at, "duplicate",
				    FM_TWICE, lang, NULL);
				break;
			}
	}
	a = json_object_get(def, "documents");
	json_array_foreach(a, i, v) {
		snprintf(at, sizeof(at), "/documents/%zu/code", i);
		if ((s = json_str(v, "code")) == NULL)
			continue;
		if (!code_ok(s, 2, 48))
			form_error(errors, &n, at, "format", FM_NAME, lang,
			    NULL);
		for (k = 0; k < i; k++)
			if ((w = json_object_get(json_array_get(a, k),
			    "code")) != NULL && json_is_string(w) &&
			    strcmp(json_string_value(w), s) == 0) {
				form_error(errors, &n, at, "duplicate",
				    FM_DUPLICATE, lang, s);
				break;
			}
	}
	if ((s = json_str(json_object_get(def, "grants"), "season")) != NULL &&
	    !season_ok(s))
		form_error(errors, &n, "/grants/season", "format", FM_SEASON,
		    lang, NULL);
	if (json_is_array(a = json_object_get(def, "form")))
		n += form_check_definition(a, lang, errors);
	if (db == NULL)
		return (n);
	if ((s = json_str(def, "department")) != NULL) {
		if ((r = exists(db, PS_DEPARTMENT_EXISTS, s, err)) == -1)
			return ((size_t)-1);
		if (r == 0)
			form_error(errors, &n, "/department", "unknown",
			    FM_DEPARTMENT, lang, NULL);
	}
	if ((s = json_str(def, "theme")) != NULL) {
		if ((r = exists(db, PS_THEME_EXISTS, s, err)) == -1)
			return ((size_t)-1);
		if (r == 0)
			form_error(errors, &n, "/theme", "unknown", FM_THEME,
			    lang, NULL);
	}
	return (n);
}

enum implicit_decision
implicit_from(const char *s)
{
	if (s != NULL && strcmp(s, "acceptance") == 0)
		return (IMPLICIT_ACCEPTANCE);
	if (s != NULL && strcmp(s, "rejection") == 0)
		return (IMPLICIT_REJECTION);
	return (IMPLICIT_NONE);
}

const char *
implicit_name(enum implicit_decision d)
{
	switch (d) {
	case IMPLICIT_ACCEPTANCE:
		return ("acceptance");
	case IMPLICIT_REJECTION:
		return ("rejection");
	default:
		return (NULL);
	}
}

static void
texts_parse(char **out, const json_t *t)
{
	int	 l;

	for (l = 0; l < LANG__COUNT; l++)
		out[l] = xstrdup(json_str(t, lang_code((enum lang)l)) != NULL ?
		    json_str(t, lang_code((enum lang)l)) : "");
}

static json_t *
texts_json(char *const *t)
{
	json_t	*o = json_object();
	int	 l;

	for (l = 0; l < LANG__COUNT; l++)
		json_set_str(o, lang_code((enum lang)l), t[l]);
	return (o);
}

struct procedure *
definition_parse(const json_t *def)
{
	struct procedure	*p;
	const json_t		*v;

	p = xcalloc(1, sizeof(*p));
	snprintf(p->code, sizeof(p->code), "%s", json_str(def, "code"));
	snprintf(p->department, sizeof(p->department), "%s",
	    json_str(def, "department"));
	p->active = 1;
	texts_parse(p->title, json_object_get(def, "title"));
	texts_parse(p->description, json_object_get(def, "description"));
	p->profile_kinds = json_deep_copy(json_object_get(def,
	    "profile_kinds"));
	p->form = json_deep_copy(json_object_get(def, "form"));
	v = json_object_get(def, "documents");
	p->documents = v != NULL ? json_deep_copy(v) : json_array();
	p->deadline_days = (int)json_integer_value(json_object_get(def,
	    "deadline_days"));
	p->implicit = implicit_from(json_str(def, "implicit"));
	p->retention_years = (int)json_integer_value(json_object_get(def,
	    "retention_years"));
	p->legal_basis = xstrdup(json_str(def, "legal_basis"));
	p->theme = xstrdup(json_str(def, "theme"));
	v = json_object_get(def, "grants");
	p->grants = json_is_object(v) ? json_deep_copy(v) : NULL;
	return (p);
}

json_t *
definition_of(const struct procedure *p)
{
	json_t	*o = json_object();

	json_set_str(o, "code", p->code);
	json_object_set_new(o, "title", texts_json(p->title));
	json_object_set_new(o, "description", texts_json(p->description));
	json_set_str(o, "department", p->department);
	json_object_set_new(o, "profile_kinds",
	    json_deep_copy(p->profile_kinds));
	json_set_str(o, "theme", p->theme);
	json_object_set_new(o, "deadline_days",
	    json_integer(p->deadline_days));
	json_object_set_new(o, "implicit", implicit_name(p->implicit) != NULL ?
	    json_string(implicit_name(p->implicit)) : json_null());
	json_object_set_new(o, "retention_years",
	    json_integer(p->retention_years));
	json_set_str(o, "legal_basis", p->legal_basis);
	json_object_set_new(o, "grants", p->grants != NULL ?
	    json_deep_copy(p->grants) : json_null());
	json_object_set_new(o, "documents", json_deep_copy(p->documents));
	json_object_set_new(o, "form", json_deep_copy(p->form));
	return (o);
}

/* A copy of 'o' with each member of 'keys' ({fr, en, it}) in 'lang'. */
static json_t *
localize(const json_t *o, const char *const *keys, enum lang lang)
{
	json_t		*c = json_deep_copy(o), *t;
	const char	*s;
	size_t		 i;

	for (i = 0; keys[i] != NULL; i++) {
		if ((t = json_object_get(c, keys[i])) == NULL ||
		    !json_is_object(t))
			continue;
		s = json_str(t, lang_code(lang));
		json_object_set_new(c, keys[i], json_string(s != NULL ? s :
		    ""));
	}
	return (c);
}

json_t *
procedure_localized(const struct procedure *p, enum lang lang)
{
	static const char *const texts[] = { "label", "help", NULL };
	json_t		*o, *docs, *form, *f, *opts, *op;
	const json_t	*v, *w;
	size_t		 i, k;

	o = json_object();
	json_set_str(o, "code", p->code);
	json_object_set_new(o, "version", json_integer(p->version));
	json_object_set_new(o, "active", json_boolean(p->active));
	json_set_str(o, "title", p->title[lang]);
	json_set_str(o, "description", p->description[lang]);
	json_set_str(o, "department", p->department);
	json_set_str(o, "theme", p->theme);
	json_object_set_new(o, "profile_kinds",
	    json_deep_copy(p->profile_kinds));
	json_object_set_new(o, "deadline_days",
	    json_integer(p->deadline_days));
	json_object_set_new(o, "implicit", implicit_name(p->implicit) != NULL ?
	    json_string(implicit_name(p->implicit)) : json_null());
	json_object_set_new(o, "retention_years",
	    json_integer(p->retention_years));
	json_set_str(o, "legal_basis", p->legal_basis);
	json_object_set_new(o, "grants", p->grants != NULL ?
	    json_deep_copy(p->grants) : json_null());
	docs = json_array();
	json_array_foreach(p->documents, i, v)
		json_array_append_new(docs, localize(v, texts, lang));
	json_object_set_new(o, "documents", docs);
	form = json_array();
	json_array_foreach(p->form, i, v) {
		f = localize(v, texts, lang);
		if ((w = json_object_get(v, "options")) != NULL) {
			opts = json_array();
			json_array_foreach(w, k, op)
				json_array_append_new(opts, localize(op, texts,
				    lang));
			json_object_set_new(f, "options", opts);
		}
		json_array_append_new(form, f);
	}
	json_object_set_new(o, "form", form);
	return (o);
}
