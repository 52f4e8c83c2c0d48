/*
 * procedures_http.c: the catalogue's HTTP handlers.  SQL and the
 * operations are in procedures_db.c, the definition's format in
 * definition.c.
 *
 *   GET  /api/v1/procedures                   public, cached, localized
 *   GET  /api/v1/procedures/{code}            public, cached, localized
 *   GET  /api/v1/admin/procedures             administrators: the list
 *   POST /api/v1/admin/procedures             a new procedure
 *   GET  /api/v1/admin/procedures/{code}      its definition, versions
 *   PUT  /api/v1/admin/procedures/{code}      a new version
 *   PATCH /api/v1/admin/procedures/{code}     {"active": false}: retired
 *
 * The public answers come from the response cache (http/cache.h), keyed
 * by what they depend on (language, filters, page) and dropped by the
 * triggers of migration 020 (tag "procedures") whenever the catalogue
 * changes, in every guichetd.  Logs carry codes and versions only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/lang.h"
#include "base/log.h"
#include "db/db.h"
#include "http/cache.h"
#include "http/page.h"
#include "http/reply.h"
#include "json/check.h"
#include "procedures/procedures_int.h"

#define VERSION_MAX	1000000

static void
language_headers(struct request *req)
{
	reply_header(req, "Content-Language", lang_code(req->lang));
	reply_header(req, "Vary", "Accept-Language");
}

/*
 * ?version=: 0 when absent, the version (1 to VERSION_MAX), or -1 after
 * a 400.
 */
static int
version_or_reply(struct request *req)
{
	const char	*v = request_query(req, "version");
	char		*end;
	long		 n;

	if (v == NULL)
		return (0);
	n = strtol(v, &end, 10);
	if (*v < '1' || *v > '9' || *end != '\0' || n > VERSION_MAX) {
		reply_error(req, HTTP_ERR(HE_BAD_QUERY), "version=1..1000000");
		return (-1);
	}
	return ((int)n);
}

/* The path's {code}, or NULL after a 404 (no procedure has another). */
static const char *
code_or_reply(struct request *req)
{
	const char	*code = request_param(req, "code");

	if (!code_ok(code, PROC_CODE_MIN, PROC_CODE_MAX)) {
		reply_error(req, PROC_ERR(PRE_NOT_FOUND));
		return (NULL);
	}
	return (code);
}

/* A filter of the list: NULL when absent, "" after a 400. */
static const char *
filter(struct request *req, const char *name, int ok, const char *what)
{
	const char	*v = request_query(req, name);

	if (v == NULL || ok)
		return (v);
	reply_error(req, HTTP_ERR(HE_BAD_QUERY), what);
	return ("");
}

static int
one_of(const char *v, const char *const *set)
{
	for (; v != NULL && *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return (1);
	return (0);
}

/* ?cursor=: *after the last code seen (caller frees), or -1 after a 400. */
static int
cursor_or_reply(struct request *req, char **after)
{
	const char	*cursor = request_query(req, "cursor");

	*after = NULL;
	if (cursor == NULL)
		return (0);
	if ((*after = page_cursor_decode(cursor)) == NULL ||
	    !code_ok(*after, PROC_CODE_MIN, PROC_CODE_MAX)) {
		free(*after);
		*after = NULL;
		reply_error(req, HTTP_ERR(HE_BAD_CURSOR));
		return (-1);
	}
	return (0);
}

/* {"items", "next_cursor"} of 'items' read with 'limit' + 1 rows. */
static json_t *
page(json_t *items, const struct db_res *res, long limit)
{
	char	*next;
	json_t	*o;

	if (db_res_rows(res) <= limit)
		return (json_pack("{s:o, s:n}", "items", items,
		    "next_cursor"));
	next = page_cursor_encode(db_str(res, (int)limit - 1, "code"));
	o = json_pack("{s:o, s:s}", "items", items, "next_cursor", next);
	free(next);
	return (o);
}

/* GET /api/v1/procedures */

int
procedures_list(struct request *req)
{
	static const char *const kinds[] = { "permanent_resident",
	    "secondary_resident", "seasonal_worker", "tourist", NULL };
	const char	*kind, *dept, *theme, *p[6];
	struct db_res	*res = NULL;
	struct buf	 key;
	char		 lim[24], *after = NULL;
	long		 limit;
	json_t		*items, *it;
	int		 i;

	kind = filter(req, "profile_kind", one_of(request_query(req,
	    "profile_kind"), kinds), "profile_kind=permanent_resident|"
	    "secondary_resident|seasonal_worker|tourist");
	if (kind != NULL && *kind == '\0')
		return (0);
	dept = filter(req, "department", code_ok(request_query(req,
	    "department"), 2, 40), "department=<code>");
	if (dept != NULL && *dept == '\0')
		return (0);
	theme = request_query(req, "theme");
	theme = filter(req, "theme", theme != NULL && theme[0] == 'N' &&
	    strlen(theme) >= 2 && strlen(theme) <= 9 &&
	    strspn(theme + 1, "0123456789") == strlen(theme) - 1,
	    "theme=N<digits>");
	if (theme != NULL && *theme == '\0')
		return (0);
	if (page_limit_or_reply(req, &limit) == -1 ||
	    cursor_or_reply(req, &after) == -1)
		return (0);
	/* Dropped by the triggers of migration 020 (cache.h). */
	buf_init(&key);
	buf_addf(&key, "procedures:list:%s:%s:%s:%s:%ld:%s",
	    lang_code(req->lang), kind != NULL ? kind : "",
	    dept != NULL ? dept : "", theme != NULL ? theme : "", limit,
	    after != NULL ? after : "");
	if (cache_reply(req, key.data))
		goto out;
	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	p[0] = lang_code(req->lang);
	p[1] = kind;
	p[2] = dept;
	p[3] = theme;
	p[4] = after;
	p[5] = lim;
	if (reply_exec(req, PROC_STMT(PS_PUBLIC_LIST), p, &res) == -1)
		goto out;
	items = json_array();
	for (i = 0; i < db_res_rows(res) && i < limit; i++) {
		it = json_pack("{s:s?, s:I, s:s?, s:s?, s:s?, s:s?, s:I}",
		    "code", db_str(res, i, "code"),
		    "version", (json_int_t)db_int64(res, i, "version"),
		    "title", db_str(res, i, "title"),
		    "department", db_str(res, i, "department"),
		    "theme", db_str(res, i, "theme"),
		    "theme_title", db_str(res, i, "theme_title"),
		    "deadline_days",
		    (json_int_t)db_int64(res, i, "deadline_days"));
		json_object_set_new(it, "implicit", db_isnull(res, i,
		    "implicit") ? json_null() : json_string(db_str(res, i,
		    "implicit")));
		json_object_set_new(it, "profile_kinds", json_loads(db_str(res,
		    i, "profile_kinds"), 0, NULL));
		json_array_append_new(items, it);
	}
	reply_json(req, 200, page(items, res, limit));
	db_res_free(res);
	language_headers(req);
	cache_store(req, key.data, PROCEDURES_CACHE_TAG);
out:
	buf_cleanup(&key);
	free(after);
	return (0);
}

/* GET /api/v1/procedures/{code} */

int
procedures_get_one(struct request *req)
{
	struct db_error	 err;
	const char	*code;
	char		 key[128], v[16];
	json_t		*o;
	int		 version, rc;

	if ((code = code_or_reply(req)) == NULL ||
	    (version = version_or_reply(req)) == -1)
		return (0);
	snprintf(key, sizeof(key), "procedures:one:%s:%d:%s", code, version,
	    lang_code(req->lang));
	if (cache_reply(req, key))
		return (0);
	rc = procedures_public_get(db_thread(), code, version, req->lang, &o,
	    &err);
	if (rc == -1) {
		reply_db_error(req, &err);
		return (0);
	}
	if (rc == 2) {
		snprintf(v, sizeof(v), "%d", version);
		reply_error(req, PROC_ERR(PRE_VERSION_NOT_FOUND), v);
		return (0);
	}
	if (rc == 1) {
		reply_error(req, PROC_ERR(PRE_NOT_FOUND));
		return (0);
	}
	reply_json(req, 200, o);
	language_headers(req);
	cache_store(req, key, PROCEDURES_CACHE_TAG);
	return (0);
}

/* GET /api/v1/admin/procedures */

int
procedures_admin_list(struct request *req)
{
	struct db_res	*res = NULL;
	const char	*p[2];
	char		 lim[24], col[16], *after = NULL;
	long		 limit;
	json_t		*items, *it, *title;
	int		 i, l;

	if (page_limit_or_reply(req, &limit) == -1 ||
	    cursor_or_reply(req, &after) == -1)
		return (0);
	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	p[0] = after;
	p[1] = lim;
	if (reply_exec(req, PROC_STMT(PS_ADMIN_LIST), p, &res) == -1) {
		free(after);
		return (0);
	}
	items = json_array();
	for (i = 0; i < db_res_rows(res) && i < limit; i++) {
		title = json_object();
		for (l = 0; l < LANG__COUNT; l++) {
			snprintf(col, sizeof(col), "title_%s",
			    lang_code((enum lang)l));
			json_set_str(title, lang_code((enum lang)l),
			    db_str(res, i, col));
		}
		it = json_pack("{s:s?, s:I, s:b, s:o, s:s?, s:s?}",
		    "code", db_str(res, i, "code"),
		    "version", (json_int_t)db_int64(res, i, "version"),
		    "active", db_bool(res, i, "active"),
		    "title", title,
		    "department", db_str(res, i, "department"),
		    "theme", db_str(res, i, "theme"));
		json_set_time(it, "updated_at", db_time(res, i, "updated_at"));
		json_array_append_new(items, it);
	}
	reply_json(req, 200, page(items, res, limit));
	db_res_free(res);
	free(after);
	return (0);
}

/* The administrators' view of 'code' as the answer ('status'). */
static void
reply_admin_view(struct request *req, int status, const char *code,
    int version)
{
	struct db_error	 err;
	char		 v[16];
	json_t		*o;
	int		 rc;

	rc = procedures_admin_get(db_thread(), code, version, &o, &err);
	if (rc == -1)
		reply_db_error(req, &err);
	else if (rc == 1 && version != 0 && procedures_admin_get(db_thread(),
	    code, 0, &o, &err) == 0) {
		json_decref(o);
		snprintf(v, sizeof(v), "%d", version);
		reply_error(req, PROC_ERR(PRE_VERSION_NOT_FOUND), v);
	} else if (rc == 1)
		reply_error(req, PROC_ERR(PRE_NOT_FOUND));
	else
		reply_json(req, status, o);
}

/* Save the body as 'mode' wants; the answer. */
static void
save(struct request *req, enum save_mode mode)
{
	struct save_result	 r;
	struct db_error		 err;
	const char		*code = json_str(req->json, "code");
	char			*loc;

	if (procedures_save(db_thread(), req->json, mode, "api", req->lang,
	    clock_now(), &r, &err) == -1) {
		json_decref(r.errors);
		reply_db_error(req, &err);
		return;
	}
	switch (r.outcome) {
	case SAVE_INVALID:
		reply_validation(req, r.errors, r.nerrors);
		return;
	case SAVE_EXISTS:
		reply_error(req, PROC_ERR(PRE_EXISTS));
		break;
	case SAVE_NOT_FOUND:
		reply_error(req, PROC_ERR(PRE_NOT_FOUND));
		break;
	case SAVE_CREATED:
		log_info("procedure %s created by %s", code,
		    req->principal->id);
		reply_admin_view(req, 201, code, 0);
		if (req->reply.status != 201)
			break;
		loc = request_alloc(req, strlen(code) + 32);
		sprintf(loc, "/api/v1/admin/procedures/%s", code);
		reply_header(req, "Location", loc);
		break;
	case SAVE_NEW_VERSION:
		log_info("procedure %s version %d made by %s", code, r.version,
		    req->principal->id);
		/* FALLTHROUGH */
	default:
		reply_admin_view(req, 200, code, 0);
		break;
	}
	json_decref(r.errors);
}

/* POST /api/v1/admin/procedures */

int
procedures_admin_create(struct request *req)
{
	save(req, SAVE_CREATE);
	return (0);
}

/* GET /api/v1/admin/procedures/{code} */

int
procedures_admin_get_one(struct request *req)
{
	const char	*code;
	int		 version;

	if ((code = code_or_reply(req)) == NULL ||
	    (version = version_or_reply(req)) == -1)
		return (0);
	reply_admin_view(req, 200, code, version);
	return (0);
}

/* PUT /api/v1/admin/procedures/{code} */

int
procedures_admin_put(struct request *req)
{
	const char	*code;

	if ((code = code_or_reply(req)) == NULL)
		return (0);
	if (strcmp(json_str(req->json, "code"), code) != 0) {
		reply_error(req, PROC_ERR(PRE_CODE_MISMATCH), code);
		return (0);
	}
	save(req, SAVE_UPDATE);
	return (0);
}

/* PATCH /api/v1/admin/procedures/{code} {"active": ...} */

int
procedures_admin_patch(struct request *req)
{
	struct db_error	 err;
	const char	*code;
	int		 active, rc;

	if ((code = code_or_reply(req)) == NULL)
		return (0);
	if (json_object_size(req->json) == 0) {
		reply_error(req, HTTP_ERR(HE_EMPTY_PATCH));
		return (0);
	}
	active = json_is_true(json_object_get(req->json, "active"));
	rc = procedures_set_active(db_thread(), code, active, clock_now(),
	    &err);
	if (rc == -1) {
		reply_db_error(req, &err);
		return (0);
	}
	if (rc == 1) {
		reply_error(req, PROC_ERR(PRE_NOT_FOUND));
		return (0);
	}
	log_info("procedure %s %s by %s", code, active ? "restored" :
	    "retired", req->principal->id);
	reply_admin_view(req, 200, code, 0);
	return (0);
}
