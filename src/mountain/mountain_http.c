/*
 * mountain_http.c: the ski area's HTTP handlers.  SQL and the operations
 * are in mountain_db.c, lift passes in pass.c.
 *
 *   GET  /api/v1/lifts                    public, cached: every lift, a summary
 *   GET  /api/v1/lifts/{id}               public, cached: with today's history
 *   PUT  /api/v1/lifts/{id}/status        the operator: one lift
 *   POST /api/v1/lifts/status             the operator: a batch, all or nothing
 *   GET  /api/v1/slopes                   public, cached: every slope, a summary
 *   PUT  /api/v1/slopes/{id}/status       the operator: one slope
 *   GET  /api/v1/snow-report              public, cached: the current report
 *   PUT  /api/v1/snow-report              the operator: a new report
 *
 * The operator is a partner client with lifts:write or staff (second
 * factor) of the remontées mécaniques department (PERM_OPERATOR).  The
 * public answers come from the response cache (http/cache.h), dropped by
 * the triggers of migration 025 (tag "mountain") in every guichetd, and
 * say Cache-Control: public, max-age=MOUNTAIN_MAX_AGE: a screen may keep
 * them that long, then revalidates with its ETag.  Logs carry ids only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "db/db.h"
#include "http/cache.h"
#include "http/reply.h"
#include "json/check.h"
#include "mountain/mountain_int.h"

#define MOUNTAIN_MAX_AGE	"public, max-age=10"

static const char *const statuses[] = { "open", "closed", "on_hold",
    "scheduled", NULL };

static const struct json_field reason_fields[] =
    MOUNTAIN_TEXT_FIELDS(JF_NONE, 1, 200);
static const struct json_spec reason_spec = { .name = "StatusReason",
    .fields = reason_fields };

/* What every change of status says; a batch's items say which, too. */
#define STATUS_FIELDS \
	{ .name = "status", .kind = JK_STRING, .flags = JF_REQUIRED, \
	  .one_of = statuses }, \
	{ .name = "reason", .kind = JK_OBJECT, .flags = JF_NULLABLE, \
	  .object = &reason_spec }, \
	{ .name = "expected_at", .kind = JK_STRING, .flags = JF_NULLABLE, \
	  .format = JF_DATETIME }
#define ITEM_ID_FIELD \
	{ .name = "id", .kind = JK_STRING, .flags = JF_REQUIRED, \
	  .min_len = 1, .max_len = 48 }
/* A slope's change may say whether it was groomed today. */
#define GROOMED_FIELD	{ .name = "groomed", .kind = JK_BOOLEAN }

static const struct json_field status_fields[] = {
	STATUS_FIELDS,
	JF_END,
};
const struct json_spec mountain_status_spec = { .name = "StatusChange",
    .fields = status_fields };

static const struct json_field slope_status_fields[] = {
	STATUS_FIELDS,
	GROOMED_FIELD,
	JF_END,
};
const struct json_spec mountain_slope_status_spec = {
    .name = "SlopeStatusChange", .fields = slope_status_fields };

static const struct json_field item_fields[] = {
	ITEM_ID_FIELD,
	STATUS_FIELDS,
	JF_END,
};
static const struct json_spec item_spec = { .name = "StatusBatchItem",
    .fields = item_fields };

static const struct json_field slope_item_fields[] = {
	ITEM_ID_FIELD,
	STATUS_FIELDS,
	GROOMED_FIELD,
	JF_END,
};
static const struct json_spec slope_item_spec = {
    .name = "SlopeStatusBatchItem", .fields = slope_item_fields };

static const struct json_field batch_fields[] = {
	{ .name = "lifts", .kind = JK_ARRAY, .max_len = MOUNTAIN_BATCH_MAX,
	  .object = &item_spec },
	{ .name = "slopes", .kind = JK_ARRAY, .max_len = MOUNTAIN_BATCH_MAX,
	  .object = &slope_item_spec },
	JF_END,
};
const struct json_spec mountain_batch_spec = { .name = "StatusBatch",
    .fields = batch_fields };

static const char *const weathers[] = { "sunny", "partly_cloudy", "cloudy",
    "snow", "rain", "fog", "wind", NULL };

static const struct json_field comment_fields[] =
    MOUNTAIN_TEXT_FIELDS(JF_NONE, 1, 500);
static const struct json_spec comment_spec = { .name = "SnowComment",
    .fields = comment_fields };

static const struct json_field snow_fields[] = {
	{ .name = "depth_bottom_cm", .kind = JK_INTEGER, .flags = JF_REQUIRED,
	  .min = 0, .max = 2000 },
	{ .name = "depth_top_cm", .kind = JK_INTEGER, .flags = JF_REQUIRED,
	  .min = 0, .max = 2000 },
	{ .name = "fresh_24h_cm", .kind = JK_INTEGER, .flags = JF_REQUIRED,
	  .min = 0, .max = 500 },
	{ .name = "last_snowfall", .kind = JK_STRING, .flags = JF_NULLABLE,
	  .format = JF_DATE },
	{ .name = "avalanche_risk", .kind = JK_INTEGER, .flags = JF_REQUIRED,
	  .min = 1, .max = 5 },
	{ .name = "avalanche_date", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .format = JF_DATE },
	{ .name = "weather", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .one_of = weathers },
	{ .name = "temperature_c", .kind = JK_INTEGER, .flags = JF_NULLABLE,
	  .min = -60, .max = 50 },
	{ .name = "comment", .kind = JK_OBJECT, .flags = JF_NULLABLE,
	  .object = &comment_spec },
	JF_END,
};
const struct json_spec mountain_snow_spec = { .name = "SnowReportInput",
    .fields = snow_fields };

/* Who acts: the principal's id (an account or a client). */
static const char *
actor(const struct request *req)
{
	return (req->principal != NULL ? req->principal->id : "unknown");
}

static void
public_headers(struct request *req)
{
	reply_header(req, "Content-Language", lang_code(req->lang));
	reply_header(req, "Vary", "Accept-Language");
	reply_header(req, "Cache-Control", MOUNTAIN_MAX_AGE);
}

/* An id of a lift or slope in a path: [a-z0-9-], 1 to 48. */
static int
item_id_ok(const char *s)
{
	size_t	 n = s != NULL ? strlen(s) : 0;

	return (n >= 1 && n <= 48 && strspn(s,
	    "abcdefghijklmnopqrstuvwxyz0123456789-") == n);
}

/*
 * A public list (row 0 of 'res': its items as JSON text) with its
 * 'summary', answered and kept in the cache under 'key' until 'until'
 * (µs, 0: no end of its own); frees 'res'.
 */
static void
list_reply(struct request *req, struct db_res *res, json_t *summary,
    const char *key, int64_t until)
{
	reply_json(req, 200, json_pack("{s:o, s:n, s:o}", "items",
	    json_loads(db_str(res, 0, "items"), 0, NULL), "next_cursor",
	    "summary", summary));
	db_res_free(res);
	public_headers(req);
	cache_store_until(req, key, MOUNTAIN_CACHE_TAG, until);
}

/* GET /api/v1/lifts */

int
mountain_lifts(struct request *req)
{
	struct db_res	*res = NULL;
	const char	*p[1];
	char		 key[64];
	json_t		*summary;

	snprintf(key, sizeof(key), "mountain:lifts:%s", lang_code(req->lang));
	if (cache_reply(req, key))
		return (0);
	p[0] = lang_code(req->lang);
	if (reply_exec(req, MOUNTAIN_STMT(MS_LIFTS), p, &res) == -1)
		return (0);
	summary = json_pack("{s:I, s:I}",
	    "open", (json_int_t)db_int64(res, 0, "open"),
	    "total", (json_int_t)db_int64(res, 0, "total"));
	list_reply(req, res, summary, key, 0);
	return (0);
}

/*
 * The one-row JSON document of column 'col' of 'stmt' (parameters 'p') as
 * the answer: from the cache under 'key' when 'cached' (a public GET),
 * built afresh otherwise (after a change, which this process may not have
 * been told yet); 'notfound' when there is no row.  When the statement
 * has a column next_day (the document says "today"), the cached answer
 * expires then: the town's midnight.
 */
static void
doc_view(struct request *req, enum mountain_stmt stmt, const char *const *p,
    const char *col, const char *key, const struct errcode *notfound,
    int cached)
{
	struct db_res	*res = NULL;
	int64_t		 until;

	if (cached && cache_reply(req, key))
		return;
	if (reply_exec_row(req, MOUNTAIN_STMT(stmt), p, &res, notfound) == -1)
		return;
	reply_json(req, 200, json_loads(db_str(res, 0, col), 0, NULL));
	until = db_col(res, "next_day") >= 0 ?
	    db_int64(res, 0, "next_day") : 0;
	db_res_free(res);
	if (!cached) {
		/* Not a public answer: never kept by anyone. */
		reply_header(req, "Cache-Control", "no-store");
		return;
	}
	public_headers(req);
	cache_store_until(req, key, MOUNTAIN_CACHE_TAG, until);
}

/* Lift 'id' with today's history ('cached': as doc_view()). */
static void
lift_view(struct request *req, const char *id, int cached)
{
	const char	*p[3];
	char		 key[128], now[40];

	if (!item_id_ok(id)) {
		reply_error(req, MOUNTAIN_ERR(MTE_LIFT_NOT_FOUND));
		return;
	}
	snprintf(key, sizeof(key), "mountain:lift:%s:%s", id,
	    lang_code(req->lang));
	clock_format(clock_now(), now, sizeof(now));
	p[0] = lang_code(req->lang);
	p[1] = now;
	p[2] = id;
	doc_view(req, MS_LIFT, p, "lift", key,
	    MOUNTAIN_ERR(MTE_LIFT_NOT_FOUND), cached);
}

/* GET /api/v1/lifts/{id} */

int
mountain_lift(struct request *req)
{
	lift_view(req, request_param(req, "id"), 1);
	return (0);
}

/* GET /api/v1/slopes */

int
mountain_slopes(struct request *req)
{
	struct db_res	*res = NULL;
	const char	*p[2];
	char		 key[64], now[40];
	json_t		*summary;

	snprintf(key, sizeof(key), "mountain:slopes:%s", lang_code(req->lang));
	if (cache_reply(req, key))
		return (0);
	clock_format(clock_now(), now, sizeof(now));
	p[0] = lang_code(req->lang);
	p[1] = now;
	if (reply_exec(req, MOUNTAIN_STMT(MS_SLOPES), p, &res) == -1)
		return (0);
	summary = json_pack("{s:I, s:I, s:f, s:f}",
	    "open", (json_int_t)db_int64(res, 0, "open"),
	    "total", (json_int_t)db_int64(res, 0, "total"),
	    "km_open", (double)db_int64(res, 0, "m_open") / 1000.0,
	    "km_total", (double)db_int64(res, 0, "m_total") / 1000.0);
	/* "groomed" says today: built again at the town's midnight. */
	list_reply(req, res, summary, key, db_int64(res, 0, "next_day"));
	return (0);
}

/* The answer to a change of one item: the lift, or the slope's status. */
static void
reply_changed(struct request *req, enum mountain_kind kind,
    const struct status_change *c)
{
	json_t	*o;

	cache_drop(MOUNTAIN_CACHE_TAG);
	if (kind == MK_LIFT) {
		lift_view(req, c->id, 0);
		return;
	}
	o = json_pack("{s:s, s:s, s:s?, s:s?}", "id", c->id, "status",
	    c->status, "reason", c->reason[req->lang] != NULL ?
	    c->reason[req->lang] : c->reason[0], "expected_at",
	    c->expected_at);
	if (c->groomed != -1)
		json_object_set_new(o, "groomed", json_boolean(c->groomed));
	reply_json(req, 200, o);
}

/* PUT /api/v1/{lifts|slopes}/{id}/status */
static void
put_status(struct request *req, enum mountain_kind kind)
{
	struct status_change	 c;
	struct db_error		 err;
	enum mountain_kind	 bk;
	const struct errcode	*nf = MOUNTAIN_ERR(kind == MK_LIFT ?
				    MTE_LIFT_NOT_FOUND : MTE_SLOPE_NOT_FOUND);
	json_t			*errors;
	size_t			 bi, n;
	int			 rc;

	status_change_of(req->json, &c);
	c.id = request_param(req, "id");
	if (!item_id_ok(c.id)) {
		reply_error(req, nf);
		return;
	}
	errors = json_array();
	if ((n = status_change_check(&c, "", clock_now(), req->lang,
	    errors)) > 0) {
		reply_validation(req, errors, n);
		return;
	}
	json_decref(errors);
	rc = mountain_set_statuses(db_thread(), kind == MK_LIFT ? &c : NULL,
	    kind == MK_LIFT, kind == MK_SLOPE ? &c : NULL, kind == MK_SLOPE,
	    actor(req), clock_now(), &bk, &bi, &err);
	if (rc == -1) {
		reply_db_error(req, &err);
		return;
	}
	if (rc == 1) {
		reply_error(req, nf);
		return;
	}
	log_info("%s %s: %s by %s", kind == MK_LIFT ? "lift" : "slope", c.id,
	    c.status, actor(req));
	reply_changed(req, kind, &c);
}

int
mountain_lift_status(struct request *req)
{
	put_status(req, MK_LIFT);
	return (0);
}

int
mountain_slope_status(struct request *req)
{
	put_status(req, MK_SLOPE);
	return (0);
}

static const char *const msg_batch[3][3] = {
	{ "aucune remontée n'a cet identifiant", "no lift has this id",
	  "nessun impianto ha questo identificativo" },
	{ "aucune piste n'a cet identifiant", "no slope has this id",
	  "nessuna pista ha questo identificativo" },
	{ "cet élément est déjà dans le lot", "this item is already in the batch",
	  "questo elemento è già nel lotto" },
};

/*
 * The items of 'arr' ('kind') into 'out', their errors appended to
 * 'errors' under "/<name>/<i>": unknown ids (read from the database),
 * twice the same id, what the schema cannot say.  How many errors, or
 * (size_t)-1 after a reply (the database failed).
 */
static size_t
batch_read(struct request *req, const json_t *arr, const char *name,
    enum mountain_kind kind, struct status_change *out, json_t *errors)
{
	struct db_res	*res = NULL;
	const char	*p[1];
	char		 prefix[64], field[96], *ids;
	json_t		*idarr, *it;
	size_t		 i, j, n = 0, count = json_array_size(arr);
	int		 r, found;
	int64_t		 now = clock_now();

	idarr = json_array();
	json_array_foreach(arr, i, it) {
		status_change_of(it, &out[i]);
		json_array_append_new(idarr, json_string(out[i].id));
	}
	ids = json_dumps(idarr, JSON_COMPACT);
	json_decref(idarr);
	p[0] = ids;
	r = reply_exec(req, MOUNTAIN_STMT(kind == MK_LIFT ? MS_LIFTS_KNOWN :
	    MS_SLOPES_KNOWN), p, &res);
	free(ids);
	if (r == -1)
		return ((size_t)-1);
	for (i = 0; i < count; i++) {
		snprintf(prefix, sizeof(prefix), "/%s/%zu", name, i);
		snprintf(field, sizeof(field), "%s/id", prefix);
		for (found = 0, r = 0; r < db_res_rows(res); r++)
			if (strcmp(db_str(res, r, "id"), out[i].id) == 0)
				found = 1;
		if (!found) {
			json_error_add(errors, field, "unknown",
			    msg_batch[kind][req->lang]);
			n++;
		}
		for (j = 0; j < i; j++)
			if (strcmp(out[j].id, out[i].id) == 0) {
				json_error_add(errors, field, "duplicate",
				    msg_batch[2][req->lang]);
				n++;
				break;
			}
		n += status_change_check(&out[i], prefix, now, req->lang,
		    errors);
	}
	db_res_free(res);
	return (n);
}

/* POST /api/v1/lifts/status */

int
mountain_batch_status(struct request *req)
{
	const json_t		*lifts = json_object_get(req->json, "lifts");
	const json_t		*slopes = json_object_get(req->json, "slopes");
	struct status_change	*cl, *cs;
	struct db_error		 err;
	enum mountain_kind	 bk;
	size_t			 nl = json_array_size(lifts);
	size_t			 ns = json_array_size(slopes), n, m, bi;
	char			 count[24];
	json_t			*errors, *changed;
	int			 rc;

	cl = request_alloc(req, (nl + 1) * sizeof(*cl));
	cs = request_alloc(req, (ns + 1) * sizeof(*cs));
	errors = json_array();
	if ((n = batch_read(req, lifts, "lifts", MK_LIFT, cl, errors)) ==
	    (size_t)-1 || (m = batch_read(req, slopes, "slopes", MK_SLOPE, cs,
	    errors)) == (size_t)-1) {
		json_decref(errors);
		return (0);
	}
	if (n + m > 0) {
		/* One answer lists every bad item; nothing was changed. */
		snprintf(count, sizeof(count), "%zu", n + m);
		reply_error_fields(req, MOUNTAIN_ERR(MTE_BATCH_INVALID), errors,
		    count);
		return (0);
	}
	json_decref(errors);
	rc = mountain_set_statuses(db_thread(), cl, nl, cs, ns, actor(req),
	    clock_now(), &bk, &bi, &err);
	if (rc == -1) {
		reply_db_error(req, &err);
		return (0);
	}
	if (rc == 1) {
		/* Deleted between the check and the change: still nothing. */
		reply_error(req, MOUNTAIN_ERR(bk == MK_LIFT ?
		    MTE_LIFT_NOT_FOUND : MTE_SLOPE_NOT_FOUND));
		return (0);
	}
	cache_drop(MOUNTAIN_CACHE_TAG);
	log_info("status batch: %zu lifts, %zu slopes by %s", nl, ns,
	    actor(req));
	changed = json_pack("{s:I, s:I}", "lifts", (json_int_t)nl, "slopes",
	    (json_int_t)ns);
	reply_json(req, 200, json_pack("{s:o}", "changed", changed));
	return (0);
}

/* The current snow report ('cached': as doc_view()). */
static void
snow_view(struct request *req, int cached)
{
	const char	*p[1];
	char		 key[64];

	snprintf(key, sizeof(key), "mountain:snow:%s", lang_code(req->lang));
	p[0] = lang_code(req->lang);
	doc_view(req, MS_SNOW_CURRENT, p, "report", key,
	    MOUNTAIN_ERR(MTE_NO_SNOW_REPORT), cached);
}

/* GET /api/v1/snow-report */

int
mountain_snow_get(struct request *req)
{
	snow_view(req, 1);
	return (0);
}

/* An integer member as text (NULL when absent or null) into 'b'. */
static const char *
int_param(const json_t *o, const char *k, char *b, size_t len)
{
	const json_t	*v = json_object_get(o, k);

	if (!json_is_integer(v))
		return (NULL);
	snprintf(b, len, "%lld", (long long)json_integer_value(v));
	return (b);
}

/* PUT /api/v1/snow-report */

int
mountain_snow_put(struct request *req)
{
	const json_t	*j = req->json, *c = json_object_get(j, "comment");
	const char	*p[13];
	char		 b[5][24], now[40];
	const char	*msg[3] = { "la hauteur en haut est au moins celle du bas",
			    "the depth at the top is at least the bottom's",
			    "l'altezza in cima è almeno quella in basso" };
	json_t		*errors;

	if (json_integer_value(json_object_get(j, "depth_top_cm")) <
	    json_integer_value(json_object_get(j, "depth_bottom_cm"))) {
		errors = json_array();
		json_error_add(errors, "/depth_top_cm", "range",
		    msg[req->lang]);
		reply_validation(req, errors, 1);
		return (0);
	}
	clock_format(clock_now(), now, sizeof(now));
	p[0] = int_param(j, "depth_bottom_cm", b[0], sizeof(b[0]));
	p[1] = int_param(j, "depth_top_cm", b[1], sizeof(b[1]));
	p[2] = int_param(j, "fresh_24h_cm", b[2], sizeof(b[2]));
	p[3] = json_str(j, "last_snowfall");
	p[4] = int_param(j, "avalanche_risk", b[3], sizeof(b[3]));
	p[5] = json_str(j, "avalanche_date");
	p[6] = json_str(j, "weather");
	p[7] = int_param(j, "temperature_c", b[4], sizeof(b[4]));
	p[8] = json_str(c, "fr");
	p[9] = json_str(c, "en");
	p[10] = json_str(c, "it");
	p[11] = now;
	p[12] = actor(req);
	if (reply_exec(req, MOUNTAIN_STMT(MS_SNOW_INSERT), p, NULL) == -1)
		return (0);
	log_info("snow report by %s", actor(req));
	cache_drop(MOUNTAIN_CACHE_TAG);
	snow_view(req, 0);
	return (0);
}
