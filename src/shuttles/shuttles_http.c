/*
 * shuttles_http.c: the shuttles' HTTP handlers.  SQL is in shuttles_db.c,
 * the departures in departures.c, the alerts in alerts.c.
 *
 *   GET /api/v1/shuttles/routes                     public, cached
 *   GET /api/v1/shuttles/stops[?near=lat,lon&radius=m]  public, cached
 *   GET /api/v1/shuttles/stops/{id}/departures[?at=&limit=]  public
 *   GET /api/v1/shuttles/alerts                     public: active now
 *   POST /api/v1/shuttles/alerts                    operators
 *   DELETE /api/v1/shuttles/alerts/{id}             operators
 *   GET /gtfs-rt/alerts.pb                          public, GTFS-Realtime
 *
 * Operators are partner apps holding shuttles:write and staff of the
 * department in charge (the setting shuttles_department): the routes'
 * PERM_OPERATOR.
 *
 * The routes and stops come from the response cache (http/cache.h),
 * dropped in every guichetd by the triggers of migration 024 (tag
 * "shuttles") when a feed is imported or an alert posted or removed, and
 * at once in this process by the handler that made the change, after its
 * commit; CACHE_TTL bounds how late an alert whose period begins or ends
 * with time alone shows there.  Each item carries the alerts active on
 * it.  The departures are never cached: each ?at= is another answer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "db/db.h"
#include "http/cache.h"
#include "http/page.h"
#include "http/reply.h"
#include "json/check.h"
#include "shuttles/shuttles_int.h"

#define PUBLIC_MAX_AGE	"public, max-age=30"
#define CT_PROTOBUF	"application/x-protobuf"
#define RADIUS_DEFAULT	500
#define RADIUS_MAX	50000

static void
public_headers(struct request *req)
{
	reply_header(req, "Cache-Control", PUBLIC_MAX_AGE);
	reply_header(req, "Content-Language", lang_code(req->lang));
	reply_header(req, "Vary", "Accept-Language");
}

/* ?cursor=: *after (caller frees), or -1 after a 400. */
static int
cursor_or_reply(struct request *req, char **after)
{
	const char	*cursor = request_query(req, "cursor");

	*after = NULL;
	if (cursor == NULL)
		return (0);
	if ((*after = page_cursor_decode(cursor)) == NULL) {
		reply_error(req, HTTP_ERR(HE_BAD_CURSOR));
		return (-1);
	}
	return (0);
}

static json_t *
page(json_t *items, const struct db_res *res, long limit, const char *col)
{
	char	*next;
	json_t	*o;

	if (db_res_rows(res) <= limit)
		return (json_pack("{s:o, s:n}", "items", items,
		    "next_cursor"));
	next = page_cursor_encode(db_str(res, (int)limit - 1, col));
	o = json_pack("{s:o, s:s}", "items", items, "next_cursor", next);
	free(next);
	return (o);
}

/*
 * The active alerts (a result of SS_ALERTS_ACTIVE) or NULL after a reply;
 * with 'until', in *until the instant an alert starts or ends next (0:
 * none): when a cached answer showing them stops being true without any
 * change to the data.
 */
static struct db_res *
active_alerts(struct request *req, int64_t *until)
{
	struct db_res	*res = NULL, *next = NULL;
	const char	*p[1];
	char		 now[40];

	clock_format(clock_now(), now, sizeof(now));
	p[0] = now;
	if (until != NULL) {
		if (reply_exec(req, SHUT_STMT(SS_ALERTS_NEXT_CHANGE), p,
		    &next) == -1)
			return (NULL);
		*until = db_isnull(next, 0, "next_change") ? 0 :
		    db_time(next, 0, "next_change");
		db_res_free(next);
	}
	if (reply_exec(req, SHUT_STMT(SS_ALERTS_ACTIVE), p, &res) == -1)
		return (NULL);
	return (res);
}

/*
 * The rows of a public list ('stmt', parameters 'p') and the alerts
 * active now as JSON in the caller's language (*alerts, *until when the
 * answer stops being right), or NULL after a reply.
 */
static struct db_res *
list_rows(struct request *req, enum shuttles_stmt stmt, const char *const *p,
    json_t **alerts, int64_t *until)
{
	struct db_res	*res = NULL, *al;

	if ((al = active_alerts(req, until)) == NULL)
		return (NULL);
	*alerts = alerts_json(al, 0, req->lang);
	db_res_free(al);
	if (reply_exec(req, SHUT_STMT(stmt), p, &res) == -1) {
		json_decref(*alerts);
		return (NULL);
	}
	return (res);
}

/* Answer a public list 'body', kept under 'key' until 'until'. */
static void
list_reply(struct request *req, json_t *body, struct db_res *res,
    json_t *alerts, const char *key, int64_t until)
{
	reply_json(req, 200, body);
	db_res_free(res);
	json_decref(alerts);
	public_headers(req);
	cache_store_until(req, key, SHUTTLES_CACHE_TAG, until);
}

/* GET /api/v1/shuttles/routes */
int
shuttles_routes_list(struct request *req)
{
	struct db_res	*res;
	const char	*p[2];
	char		 key[160], lim[24], *after = NULL;
	int64_t		 until = 0;
	long		 limit;
	json_t		*items, *it, *alerts;
	int		 i;

	if (page_limit_or_reply(req, &limit) == -1 ||
	    cursor_or_reply(req, &after) == -1)
		return (0);
	snprintf(key, sizeof(key), "shuttles:routes:%s:%ld:%.80s",
	    lang_code(req->lang), limit, after != NULL ? after : "");
	if (cache_reply(req, key))
		goto out;
	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	p[0] = after;
	p[1] = lim;
	if ((res = list_rows(req, SS_ROUTES, p, &alerts, &until)) == NULL)
		goto out;
	items = json_array();
	for (i = 0; i < db_res_rows(res) && i < limit; i++) {
		it = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:s?, "
		    "s:s?, s:s?}",
		    "route_id", db_str(res, i, "route_id"),
		    "agency_id", db_str(res, i, "agency_id"),
		    "short_name", db_str(res, i, "short_name"),
		    "long_name", db_str(res, i, "long_name"),
		    "description", db_str(res, i, "description"),
		    "route_type", (json_int_t)db_int64(res, i, "route_type"),
		    "url", db_str(res, i, "url"),
		    "color", db_str(res, i, "color"),
		    "text_color", db_str(res, i, "text_color"));
		json_object_set_new(it, "alerts", alerts_on(alerts,
		    "route_ids", db_str(res, i, "route_id")));
		json_array_append_new(items, it);
	}
	list_reply(req, page(items, res, limit, "route_id"), res, alerts, key,
	    until);
out:
	free(after);
	return (0);
}

/* "lat,lon" into two numbers in range; -1 otherwise. */
static int
parse_near(const char *s, double *lat, double *lon)
{
	char	*end;

	*lat = strtod(s, &end);
	if (end == s || *end != ',' || !(*lat >= -90 && *lat <= 90))
		return (-1);
	s = end + 1;
	*lon = strtod(s, &end);
	if (end == s || *end != '\0' || !(*lon >= -180 && *lon <= 180))
		return (-1);
	return (0);
}

static json_t *
number_or_null(const struct db_res *res, int i, const char *col)
{
	return (db_isnull(res, i, col) ? json_null() :
	    json_real(strtod(db_str(res, i, col), NULL)));
}

/* GET /api/v1/shuttles/stops */
int
shuttles_stops_list(struct request *req)
{
	const char	*near = request_query(req, "near");
	const char	*rad = request_query(req, "radius");
	struct db_res	*res;
	const char	*p[5];
	char		 key[256], lim[24], la[32], lo[32], ra[24], *after = NULL;
	char		*end;
	double		 lat = 0, lon = 0;
	int64_t		 until = 0;
	long		 limit, radius = RADIUS_DEFAULT;
	json_t		*items, *it, *alerts;
	int		 i;

	if ((near != NULL && parse_near(near, &lat, &lon) == -1) ||
	    (rad != NULL && (near == NULL || (radius = strtol(rad, &end,
	    10)) < 1 || radius > RADIUS_MAX || *end != '\0' ||
	    *rad < '0' || *rad > '9'))) {
		reply_error(req, SHUT_ERR(SHE_BAD_NEAR));
		return (0);
	}
	if (page_limit_or_reply(req, &limit) == -1 ||
	    cursor_or_reply(req, &after) == -1)
		return (0);
	if (near != NULL) {
		snprintf(la, sizeof(la), "%.7f", lat);
		snprintf(lo, sizeof(lo), "%.7f", lon);
	}
	snprintf(ra, sizeof(ra), "%ld", radius);
	snprintf(key, sizeof(key), "shuttles:stops:%s:%ld:%s:%s:%s:%.80s",
	    lang_code(req->lang), limit, near != NULL ? la : "",
	    near != NULL ? lo : "", ra, after != NULL ? after : "");
	if (cache_reply(req, key))
		goto out;
	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	p[0] = after;
	p[1] = lim;
	p[2] = near != NULL ? la : NULL;
	p[3] = near != NULL ? lo : NULL;
	p[4] = ra;
	if ((res = list_rows(req, SS_STOPS, p, &alerts, &until)) == NULL)
		goto out;
	items = json_array();
	for (i = 0; i < db_res_rows(res) && i < limit; i++) {
		it = json_pack("{s:s?, s:s?, s:s?, s:s?, s:o, s:o, s:I, s:s?, "
		    "s:I}",
		    "stop_id", db_str(res, i, "stop_id"),
		    "code", db_str(res, i, "code"),
		    "name", db_str(res, i, "name"),
		    "description", db_str(res, i, "description"),
		    "lat", number_or_null(res, i, "lat"),
		    "lon", number_or_null(res, i, "lon"),
		    "location_type",
		    (json_int_t)db_int64(res, i, "location_type"),
		    "parent_station", db_str(res, i, "parent_station"),
		    "wheelchair_boarding",
		    (json_int_t)db_int64(res, i, "wheelchair"));
		if (near != NULL)
			json_object_set_new(it, "distance_m",
			    number_or_null(res, i, "distance"));
		json_object_set_new(it, "alerts", alerts_on(alerts,
		    "stop_ids", db_str(res, i, "stop_id")));
		json_array_append_new(items, it);
	}
	/* Nearest first: no next page (?limit= is the answer's size). */
	list_reply(req, near != NULL ? json_pack("{s:o, s:n}", "items", items,
	    "next_cursor") : page(items, res, limit, "stop_id"), res, alerts,
	    key, until);
out:
	free(after);
	return (0);
}

/* GET /api/v1/shuttles/stops/{id}/departures: never cached (?at=). */
int
shuttles_departures_get(struct request *req)
{
	const char	*at_s = request_query(req, "at");
	struct db_error	 err;
	struct buf	 body;
	int64_t		 at, now = clock_now();
	long		 limit;
	int		 rc;

	if (at_s == NULL)
		at = now;
	else if (clock_parse(at_s, &at) == -1) {
		reply_error(req, SHUT_ERR(SHE_BAD_AT));
		return (0);
	}
	if (page_limit_or_reply(req, &limit) == -1)
		return (0);
	buf_init(&body);
	rc = shuttles_departures(db_thread(), request_param(req, "id"), at,
	    now, limit, req->lang, &body, &err);
	if (rc == -1)
		reply_db_error(req, &err);
	else if (rc > 0)
		reply_error(req, SHUT_ERR(rc == 1 ? SHE_STOP_NOT_FOUND :
		    SHE_NO_FEED));
	else {
		reply_bytes(req, 200, CT_JSON, body.data, body.len);
		reply_header(req, "Cache-Control", "public, max-age=15");
		reply_header(req, "Content-Language", lang_code(req->lang));
		reply_header(req, "Vary", "Accept-Language");
	}
	buf_cleanup(&body);
	return (0);
}

/* The alert 'id' in its public form, or NULL after a reply. */
static json_t *
alert_view(struct request *req, const char *id)
{
	struct db_res	*res = NULL;
	const char	*p[1];
	json_t		*all, *one;

	p[0] = id;
	if (reply_exec_row(req, SHUT_STMT(SS_ALERT_GET), p, &res,
	    SHUT_ERR(SHE_ALERT_NOT_FOUND)) == -1)
		return (NULL);
	all = alerts_json(res, 0, req->lang);
	one = json_incref(json_array_get(all, 0));
	json_decref(all);
	db_res_free(res);
	return (one);
}

/*
 * Who posted: the partner app, or the department in charge (the route's
 * PERM_OPERATOR let only those through), never the person.
 */
static void
posted_by(const struct request *req, char *by, size_t len)
{
	if (req->principal->kind == PRINCIPAL_CLIENT)
		snprintf(by, len, "client:%s", req->principal->id);
	else
		snprintf(by, len, "department:%s", shuttles_department);
}

/* POST /api/v1/shuttles/alerts */
int
shuttles_alert_post(struct request *req)
{
	struct db_error		 err;
	enum shuttles_err	 problem;
	char			 by[80], id[40], arg[512];
	json_t			*o;
	int			 rc;

	posted_by(req, by, sizeof(by));
	rc = alerts_post(db_thread(), req->json, by, clock_now(), id,
	    sizeof(id), &problem, arg, sizeof(arg), &err);
	if (rc == -1) {
		reply_db_error(req, &err);
		return (0);
	}
	if (rc == 1) {
		reply_error(req, SHUT_ERR(problem), arg);
		return (0);
	}
	/* Committed: this process's cached routes and stops now show it. */
	cache_drop(SHUTTLES_CACHE_TAG);
	log_info("shuttle alert %s posted by %s", id, req->principal->id);
	if ((o = alert_view(req, id)) != NULL)
		reply_json(req, 201, o);
	return (0);
}

/* DELETE /api/v1/shuttles/alerts/{id} */
int
shuttles_alert_delete(struct request *req)
{
	struct db_res	*res = NULL;
	const char	*id, *p[1];

	if ((id = param_uuid_or_reply(req, "id",
	    SHUT_ERR(SHE_ALERT_NOT_FOUND))) == NULL)
		return (0);
	p[0] = id;
	if (reply_exec_row(req, SHUT_STMT(SS_ALERT_DELETE), p, &res,
	    SHUT_ERR(SHE_ALERT_NOT_FOUND)) == -1)
		return (0);
	db_res_free(res);
	cache_drop(SHUTTLES_CACHE_TAG);
	log_info("shuttle alert %s removed by %s", id, req->principal->id);
	reply_bytes(req, 204, NULL, "", 0);
	return (0);
}

/* GET /api/v1/shuttles/alerts: those active now. */
int
shuttles_alerts_list(struct request *req)
{
	struct db_res	*al;
	json_t		*items;

	if ((al = active_alerts(req, NULL)) == NULL)
		return (0);
	items = alerts_json(al, 0, req->lang);
	db_res_free(al);
	reply_json(req, 200, json_pack("{s:o, s:n}", "items", items,
	    "next_cursor"));
	public_headers(req);
	return (0);
}

/* GET /gtfs-rt/alerts.pb */
int
shuttles_gtfs_rt(struct request *req)
{
	struct db_error	 err;
	void		*data;
	size_t		 len;

	if (alerts_feed(db_thread(), clock_now(), &data, &len, &err) == -1) {
		reply_db_error(req, &err);
		return (0);
	}
	reply_bytes(req, 200, CT_PROTOBUF, data, len);
	free(data);
	reply_header(req, "Cache-Control", PUBLIC_MAX_AGE);
	return (0);
}
