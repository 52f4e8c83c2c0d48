/*
 * procedures_db.c: the catalogue's SQL, one statement per use;
 * procedures_get() and procedure_free() (procedures.h); and the business
 * operations on the catalogue, one function each, which the HTTP
 * handlers, guichetctl and the demo all call: saving a definition (a new
 * procedure or a new version of one) and setting whether a procedure can
 * be filed.  Texts people read are chosen in SQL by a language parameter;
 * times come from the injectable clock as parameters, never now().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/lang.h"
#include "core/module.h"
#include "http/cache.h"
#include "json/check.h"
#include "procedures/procedures_int.h"

/* The column 'c' (c_fr, c_en, c_it) in the language of the SQL text 'p'. */
#define PROC_LOC(p, c) \
	"CASE " p "::text WHEN 'en' THEN " c "_en WHEN 'it' THEN " c "_it " \
	"ELSE " c "_fr END"

struct db_stmt procedures_stmts[PS__COUNT] = {
	/*
	 * version_get(): version $2 of procedure $1, the current one for
	 * 0; "active": new cases may be filed under it.
	 */
	[PS_VERSION_GET] = { .name = "procedures_select_version",
	  .sql = "SELECT v.code AS code, v.version AS version, "
	  "p.active AND v.version = p.current_version AS active, "
	  "p.active AS procedure_active, p.current_version AS current_version, "
	  "v.department AS department, v.title_fr AS title_fr, "
	  "v.title_en AS title_en, v.title_it AS title_it, "
	  "v.description_fr AS description_fr, "
	  "v.description_en AS description_en, "
	  "v.description_it AS description_it, "
	  "to_json(v.profile_kinds)::text AS profile_kinds, "
	  "v.form::text AS form, v.documents::text AS documents, "
	  "v.deadline_days AS deadline_days, v.implicit AS implicit, "
	  "v.retention_years AS retention_years, "
	  "v.legal_basis AS legal_basis, v.theme AS theme, "
	  "v.grants::text AS grants, v.created_at AS created_at "
	  "FROM procedures.procedures p JOIN procedures.versions v "
	  "ON v.code = p.code WHERE p.code = $1 AND v.version = "
	  "CASE WHEN $2::integer = 0 THEN p.current_version "
	  "ELSE $2::integer END", .nparams = 2 },
	/* save_tx(): one change of a procedure at a time. */
	[PS_PROCEDURE_LOCK] = { .name = "procedures_lock_procedure",
	  .sql = "SELECT current_version FROM procedures.procedures "
	  "WHERE code = $1 FOR UPDATE", .nparams = 1 },
	/* ...a new procedure (its version 1 follows: the key is deferred)... */
	[PS_PROCEDURE_INSERT] = { .name = "procedures_insert_procedure",
	  .sql = "INSERT INTO procedures.procedures (code, active, "
	  "current_version, created_at, updated_at) "
	  "VALUES ($1, true, 1, $2, $2)", .nparams = 2 },
	/* ...or a new current version. */
	[PS_PROCEDURE_SET_VERSION] = { .name = "procedures_update_version",
	  .sql = "UPDATE procedures.procedures SET current_version = $2, "
	  "updated_at = $3 WHERE code = $1", .nparams = 3 },
	[PS_VERSION_INSERT] = { .name = "procedures_insert_version",
	  .sql = "INSERT INTO procedures.versions (code, version, department, "
	  "title_fr, title_en, title_it, description_fr, description_en, "
	  "description_it, profile_kinds, form, documents, deadline_days, "
	  "implicit, retention_years, legal_basis, theme, grants, source, "
	  "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
	  "ARRAY(SELECT jsonb_array_elements_text($10::jsonb)), $11::jsonb, "
	  "$12::jsonb, $13, $14, $15, $16, $17, $18::jsonb, $19, $20)",
	  .nparams = 20 },
	/* procedures_set_active() */
	[PS_PROCEDURE_SET_ACTIVE] = { .name = "procedures_update_active",
	  .sql = "UPDATE procedures.procedures SET active = $2, "
	  "updated_at = $3 WHERE code = $1 RETURNING code", .nparams = 3 },
	/* procedures_admin_get(): every version, oldest first */
	[PS_VERSION_LIST] = { .name = "procedures_select_versions",
	  .sql = "SELECT version, source, created_at "
	  "FROM procedures.versions WHERE code = $1 ORDER BY version",
	  .nparams = 1 },
	/* definition_check() */
	[PS_DEPARTMENT_EXISTS] = { .name = "procedures_count_department",
	  .sql = "SELECT count(*) AS n FROM identity.departments "
	  "WHERE code = $1", .nparams = 1 },
	[PS_THEME_EXISTS] = { .name = "procedures_count_theme",
	  .sql = "SELECT count(*) AS n FROM procedures.themes WHERE id = $1",
	  .nparams = 1 },
	/*
	 * GET /api/v1/procedures: the current versions of the active
	 * procedures in language $1, filtered by profile kind $2,
	 * department $3 and theme $4 (NULL: any), after code $5 (NULL:
	 * from the start), $6 rows.
	 */
	[PS_PUBLIC_LIST] = { .name = "procedures_select_public",
	  .sql = "SELECT v.code AS code, v.version AS version, "
	  PROC_LOC("$1", "v.title") " AS title, v.department AS department, "
	  "v.theme AS theme, " PROC_LOC("$1", "t.title") " AS theme_title, "
	  "to_json(v.profile_kinds)::text AS profile_kinds, "
	  "v.deadline_days AS deadline_days, v.implicit AS implicit "
	  "FROM procedures.procedures p JOIN procedures.versions v "
	  "ON v.code = p.code AND v.version = p.current_version "
	  "JOIN procedures.themes t ON t.id = v.theme "
	  "WHERE p.active AND ($2::text IS NULL OR $2 = ANY (v.profile_kinds)) "
	  "AND ($3::text IS NULL OR v.department = $3) "
	  "AND ($4::text IS NULL OR v.theme = $4) "
	  "AND ($5::text IS NULL OR v.code > $5) "
	  "ORDER BY v.code LIMIT $6", .nparams = 6 },
	/* GET /api/v1/admin/procedures: every procedure, after code $1. */
	[PS_ADMIN_LIST] = { .name = "procedures_select_admin",
	  .sql = "SELECT p.code AS code, p.current_version AS version, "
	  "p.active AS active, v.title_fr AS title_fr, v.title_en AS title_en, "
	  "v.title_it AS title_it, v.department AS department, "
	  "v.theme AS theme, p.updated_at AS updated_at "
	  "FROM procedures.procedures p JOIN procedures.versions v "
	  "ON v.code = p.code AND v.version = p.current_version "
	  "WHERE ($1::text IS NULL OR p.code > $1) "
	  "ORDER BY p.code LIMIT $2", .nparams = 2 },
};

const struct module_stmts procedures_stmt_table = { procedures_stmts,
    PS__COUNT };

/* A JSON column (text); an empty array for NULL or garbage. */
static json_t *
json_col(const struct db_res *res, const char *col, int nullable)
{
	const char	*s = db_str(res, 0, col);
	json_t		*j;

	if (s == NULL && nullable)
		return (NULL);
	if (s == NULL || (j = json_loads(s, JSON_DECODE_ANY, NULL)) == NULL)
		return (json_array());
	return (j);
}

static char *
str_col(const struct db_res *res, const char *col)
{
	const char	*s = db_str(res, 0, col);

	return (strdup(s != NULL ? s : ""));
}

/* What procedures_get() does not say of a version. */
struct version_meta {
	int	 procedure_active;
	int	 current_version;
	int64_t	 created_at;
};

static int
version_get(struct db *db, const char *code, int version,
    struct procedure **out, struct version_meta *meta, struct db_error *err)
{
	struct db_res		*res = NULL;
	struct procedure	*p;
	const char		*params[2];
	char			 v[16], col[32];
	int			 l;

	*out = NULL;
	if (code == NULL || strlen(code) >= sizeof(p->code) || version < 0)
		return (1);
	snprintf(v, sizeof(v), "%d", version);
	params[0] = code;
	params[1] = v;
	if (db_exec(db, PROC_STMT(PS_VERSION_GET), params, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return (1);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		db_res_free(res);
		return (-1);
	}
	snprintf(p->code, sizeof(p->code), "%s", db_str(res, 0, "code"));
	p->version = (int)db_int64(res, 0, "version");
	p->active = db_bool(res, 0, "active");
	snprintf(p->department, sizeof(p->department), "%s",
	    db_str(res, 0, "department"));
	for (l = 0; l < LANG__COUNT; l++) {
		snprintf(col, sizeof(col), "title_%s",
		    lang_code((enum lang)l));
		p->title[l] = str_col(res, col);
		snprintf(col, sizeof(col), "description_%s",
		    lang_code((enum lang)l));
		p->description[l] = str_col(res, col);
	}
	p->profile_kinds = json_col(res, "profile_kinds", 0);
	p->form = json_col(res, "form", 0);
	p->documents = json_col(res, "documents", 0);
	p->deadline_days = (int)db_int64(res, 0, "deadline_days");
	p->implicit = implicit_from(db_str(res, 0, "implicit"));
	p->retention_years = (int)db_int64(res, 0, "retention_years");
	p->legal_basis = str_col(res, "legal_basis");
	p->theme = str_col(res, "theme");
	p->grants = json_col(res, "grants", 1);
	if (meta != NULL) {
		meta->procedure_active = db_bool(res, 0, "procedure_active");
		meta->current_version = (int)db_int64(res, 0,
		    "current_version");
		meta->created_at = db_time(res, 0, "created_at");
	}
	db_res_free(res);
	*out = p;
	return (0);
}

int
procedures_get(struct db *db, const char *code, int version,
    struct procedure **out, struct db_error *err)
{
	memset(err, 0, sizeof(*err));
	return (version_get(db, code, version, out, NULL, err));
}

void
procedure_free(struct procedure *p)
{
	int	 l;

	if (p == NULL)
		return;
	for (l = 0; l < LANG__COUNT; l++) {
		free(p->title[l]);
		free(p->description[l]);
	}
	json_decref(p->profile_kinds);
	json_decref(p->form);
	json_decref(p->documents);
	free(p->legal_basis);
	free(p->theme);
	json_decref(p->grants);
	free(p);
}

/* Saving. */

struct save_tx {
	const json_t		*def;
	enum save_mode		 mode;
	const char		*source;
	enum lang		 lang;
	int64_t			 now;
	struct save_result	*res;
};

static int
version_insert(struct db *db, const struct procedure *p, int version,
    const char *source, const char *now, struct db_error *err)
{
	const char	*params[20];
	char		 v[16], deadline[16], retention[16];
	char		*kinds, *form, *docs, *grants;
	int		 l, rc;

	snprintf(v, sizeof(v), "%d", version);
	snprintf(deadline, sizeof(deadline), "%d", p->deadline_days);
	snprintf(retention, sizeof(retention), "%d", p->retention_years);
	kinds = json_dumps(p->profile_kinds, JSON_COMPACT);
	form = json_dumps(p->form, JSON_COMPACT);
	docs = json_dumps(p->documents, JSON_COMPACT);
	grants = p->grants != NULL ? json_dumps(p->grants, JSON_COMPACT) :
	    NULL;
	params[0] = p->code;
	params[1] = v;
	params[2] = p->department;
	for (l = 0; l < LANG__COUNT; l++) {
		params[3 + l] = p->title[l];
		params[6 + l] = p->description[l];
	}
	params[9] = kinds;
	params[10] = form;
	params[11] = docs;
	params[12] = deadline;
	params[13] = implicit_name(p->implicit);
	params[14] = retention;
	params[15] = p->legal_basis;
	params[16] = p->theme;
	params[17] = grants;
	params[18] = source;
	params[19] = now;
	rc = db_exec(db, PROC_STMT(PS_VERSION_INSERT), params, NULL, err);
	free(kinds);
	free(form);
	free(docs);
	free(grants);
	return (rc);
}

/* 'p' says what the current version 'cur' says: nothing to save. */
static int
same_as_current(const struct procedure *p, const struct procedure *cur)
{
	json_t	*a, *b;
	int	 same;

	a = definition_of(p);
	b = definition_of(cur);
	same = json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return (same);
}

static int
save_tx(struct db *db, void *arg, struct db_error *err)
{
	struct save_tx		*t = arg;
	struct save_result	*r = t->res;
	struct procedure	*p = NULL, *cur = NULL;
	struct db_res		*res = NULL;
	const char		*params[3];
	char			 now[40], v[16];
	int			 rc = -1, found;

	json_array_clear(r->errors);
	r->nerrors = definition_check(db, t->def, t->lang, r->errors, err);
	if (r->nerrors == (size_t)-1)
		return (-1);
	if (r->nerrors > 0) {
		r->outcome = SAVE_INVALID;
		return (0);
	}
	clock_format(t->now, now, sizeof(now));
	p = definition_parse(t->def);
	params[0] = p->code;
	if (db_exec(db, PROC_STMT(PS_PROCEDURE_LOCK), params, &res, err) == -1)
		goto out;
	found = db_res_rows(res) == 1;
	db_res_free(res);
	if (!found && t->mode == SAVE_UPDATE) {
		r->outcome = SAVE_NOT_FOUND;
		rc = 0;
		goto out;
	}
	if (found && t->mode == SAVE_CREATE) {
		r->outcome = SAVE_EXISTS;
		rc = 0;
		goto out;
	}
	if (!found) {
		params[1] = now;
		if (db_exec(db, PROC_STMT(PS_PROCEDURE_INSERT), params, NULL,
		    err) == -1 || version_insert(db, p, 1, t->source, now,
		    err) == -1)
			goto out;
		r->outcome = SAVE_CREATED;
		r->version = 1;
		rc = 0;
		goto out;
	}
	if ((found = version_get(db, p->code, 0, &cur, NULL, err)) != 0) {
		if (found == 1)
			err->code = DB_E_INTERNAL;
		goto out;
	}
	if (same_as_current(p, cur)) {
		r->outcome = SAVE_UNCHANGED;
		r->version = cur->version;
		rc = 0;
		goto out;
	}
	snprintf(v, sizeof(v), "%d", cur->version + 1);
	params[1] = v;
	params[2] = now;
	if (version_insert(db, p, cur->version + 1, t->source, now, err) == -1 ||
	    db_exec(db, PROC_STMT(PS_PROCEDURE_SET_VERSION), params, NULL,
	    err) == -1)
		goto out;
	r->outcome = SAVE_NEW_VERSION;
	r->version = cur->version + 1;
	rc = 0;
out:
	procedure_free(p);
	procedure_free(cur);
	return (rc);
}

int
procedures_save(struct db *db, const json_t *def, enum save_mode mode,
    const char *source, enum lang lang, int64_t now, struct save_result *r,
    struct db_error *err)
{
	struct save_tx	 t = { .def = def, .mode = mode, .source = source,
			    .lang = lang, .now = now, .res = r };

	memset(err, 0, sizeof(*err));
	memset(r, 0, sizeof(*r));
	r->errors = json_array();
	if (db_tx(db, save_tx, &t, err) == -1) {
		r->outcome = SAVE_FAILED;
		if (err->code == DB_OK)
			err->code = DB_E_INTERNAL;
		return (-1);
	}
	if (r->outcome == SAVE_CREATED || r->outcome == SAVE_NEW_VERSION)
		cache_drop(PROCEDURES_CACHE_TAG);
	return (0);
}

int
procedures_set_active(struct db *db, const char *code, int active,
    int64_t now, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*params[3];
	char		 t[40];
	int		 n;

	memset(err, 0, sizeof(*err));
	clock_format(now, t, sizeof(t));
	params[0] = code;
	params[1] = active ? "true" : "false";
	params[2] = t;
	if (db_exec(db, PROC_STMT(PS_PROCEDURE_SET_ACTIVE), params, &res,
	    err) == -1)
		return (-1);
	n = db_res_rows(res);
	db_res_free(res);
	if (n == 1)
		cache_drop(PROCEDURES_CACHE_TAG);
	return (n == 1 ? 0 : 1);
}

int
procedures_admin_get(struct db *db, const char *code, int version,
    json_t **out, struct db_error *err)
{
	struct procedure	*p = NULL;
	struct version_meta	 meta;
	struct db_res		*res = NULL;
	const char		*params[1] = { code };
	json_t			*o, *versions, *v;
	int			 rc, i;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	if ((rc = version_get(db, code, version, &p, &meta, err)) != 0)
		return (rc);
	if (db_exec(db, PROC_STMT(PS_VERSION_LIST), params, &res, err) == -1) {
		procedure_free(p);
		return (-1);
	}
	o = definition_of(p);
	json_object_set_new(o, "version", json_integer(p->version));
	json_object_set_new(o, "current_version",
	    json_integer(meta.current_version));
	json_object_set_new(o, "active", json_boolean(meta.procedure_active));
	json_set_time(o, "created_at", meta.created_at);
	versions = json_array();
	for (i = 0; i < db_res_rows(res); i++) {
		v = json_pack("{s:I, s:s?}", "version",
		    (json_int_t)db_int64(res, i, "version"), "source",
		    db_str(res, i, "source"));
		json_set_time(v, "created_at", db_time(res, i, "created_at"));
		json_array_append_new(versions, v);
	}
	json_object_set_new(o, "versions", versions);
	db_res_free(res);
	procedure_free(p);
	*out = o;
	return (0);
}

int
procedures_public_get(struct db *db, const char *code, int version,
    enum lang lang, json_t **out, struct db_error *err)
{
	struct procedure	*p = NULL;
	struct version_meta	 meta;
	int			 rc;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	if ((rc = version_get(db, code, version, &p, &meta, err)) == 1 &&
	    version != 0) {
		/* Which is missing: the procedure or the version? */
		if ((rc = version_get(db, code, 0, &p, NULL, err)) == 0) {
			procedure_free(p);
			return (2);
		}
	}
	if (rc != 0)
		return (rc);
	*out = procedure_localized(p, lang);
	json_object_set_new(*out, "current_version",
	    json_integer(meta.current_version));
	json_set_time(*out, "created_at", meta.created_at);
	procedure_free(p);
	return (0);
}
