/*
 * incidents_http.c: the handlers of the incidents module.  They parse the
 * request, call the operation (incidents_ops.c) and answer; SQL is in
 * incidents_db.c.
 *
 * Public: the categories, filing (signed in or, where the category
 * allows it, anonymous: throttled per client address), the map (GeoJSON,
 * application/geo+json), one report (a Feature), the confirmation of an
 * anonymous follow-up address.  Signed in: "me too".  Staff of the
 * report's department (second factor): the moves, the details (reporter,
 * contact, history, notes; logged), assignment and flag, notes, the
 * department's board.  A report a staff route may not touch is 404.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/clock.h"
#include "base/lang.h"
#include "base/xmalloc.h"
#include "db/db.h"
#include "http/page.h"
#include "http/ratelimit.h"
#include "http/reply.h"
#include "incidents/incidents_int.h"
#include "json/check.h"

#define CT_GEOJSON	"application/geo+json"

/* Anonymous reports from one client address: at most 10 an hour. */
#define ANON_BUDGET	10
#define ANON_WINDOW	3600

/* Input schemas. */

static const struct json_field create_fields[] = {
	{ .name = "category", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 48 },
	{ .name = "description", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = INCIDENT_DESCRIPTION_MAX },
	{ .name = "lat", .kind = JK_NUMBER },
	{ .name = "lon", .kind = JK_NUMBER },
	{ .name = "address", .kind = JK_STRING, .min_len = 1,
	  .max_len = INCIDENT_ADDRESS_MAX },
	{ .name = "attributes", .kind = JK_OBJECT },
	{ .name = "email", .kind = JK_STRING, .format = JF_EMAIL },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec incidents_create_spec = { .name = "incident_create",
    .fields = create_fields };

static const char *const states[] = { "open", "acknowledged",
    "in_progress", "resolved", "closed", NULL };
static const char *const reasons[] = { "duplicate", "not_responsible",
    "invalid", NULL };

static const struct json_field transition_fields[] = {
	{ .name = "to", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .one_of = states },
	{ .name = "note", .kind = JK_STRING, .min_len = 1,
	  .max_len = INCIDENT_NOTE_MAX },
	{ .name = "reason", .kind = JK_STRING, .one_of = reasons },
	{ .name = "duplicate_of", .kind = JK_STRING, .format = JF_UUID },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec incidents_transition_spec = {
    .name = "incident_transition", .fields = transition_fields };

static const struct json_field patch_fields[] = {
	{ .name = "assignee", .kind = JK_STRING, .flags = JF_NULLABLE,
	  .format = JF_UUID },
	{ .name = "personal_data_flagged", .kind = JK_BOOLEAN },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec incidents_patch_spec = { .name = "incident_patch",
    .fields = patch_fields };

static const struct json_field note_fields[] = {
	{ .name = "body", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = INCIDENT_NOTE_MAX },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec incidents_note_spec = { .name = "incident_note",
    .fields = note_fields };

static const struct json_field confirm_fields[] = {
	{ .name = "token", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 20, .max_len = 64 },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec incidents_confirm_spec = {
    .name = "incident_contact_confirm", .fields = confirm_fields };

/* Answers. */

/* The names in a public answer are in the caller's language. */
static void
reply_lang(struct request *req)
{
	reply_header(req, "Content-Language", lang_code(req->lang));
	reply_header(req, "Vary", "Accept-Language");
}

static void
reply_geojson(struct request *req, int status, json_t *v)
{
	char	*s = json_dumps(v, JSON_COMPACT);

	json_decref(v);
	if (s == NULL) {
		reply_error(req, HTTP_ERR(HE_INTERNAL));
		return;
	}
	reply_bytes(req, status, CT_GEOJSON, s, strlen(s));
	free(s);
}

static void
reply_outcome(struct request *req, struct incident_outcome *o)
{
	if (o->result == IR_NOT_FOUND) {
		reply_error(req, INCIDENTS_ERR(IE_NOT_FOUND));
		json_decref(o->errors);
	} else
		reply_op_failure(req, o->result == IR_REFUSED ? OP_REFUSED :
		    o->result == IR_INVALID ? OP_INVALID : OP_DB,
		    INCIDENTS_ERR(o->code), o->args[0], o->args[0],
		    o->args[1], o->errors, &o->err);
	o->errors = NULL;
	json_decref(o->made);
	o->made = NULL;
}

/* A public read: the GeoJSON in the caller's language, or the problem. */
static int
reply_public(struct request *req, struct incident_outcome *o)
{
	if (o->result != IR_OK) {
		reply_outcome(req, o);
		return (0);
	}
	reply_geojson(req, 200, o->made);
	reply_lang(req);
	return (0);
}

static const char *
param_id(struct request *req)
{
	return (param_uuid_or_reply(req, "id", INCIDENTS_ERR(IE_NOT_FOUND)));
}

/* GET /api/v1/incidents/categories */
int
incidents_h_categories(struct request *req)
{
	struct db_res	*res = NULL;
	json_t		*items;
	int		 i;

	if (reply_exec(req, IQ(IQ_CATEGORIES), NULL, &res) == -1)
		return (0);
	items = json_array();
	for (i = 0; i < db_res_rows(res); i++)
		json_array_append_new(items, incidents_category_json(res, i,
		    req->lang));
	db_res_free(res);
	reply_json(req, 200, json_pack("{s:o}", "items", items));
	reply_lang(req);
	return (0);
}

/* POST /api/v1/incidents */
int
incidents_h_create(struct request *req)
{
	struct incident_outcome	 o;
	struct incident_input	 in;
	const json_t		*lat, *lon;
	json_t			*errors, *attrs;
	size_t			 n;
	char			 loc[80];

	memset(&in, 0, sizeof(in));
	errors = json_array();
	lat = json_object_get(req->json, "lat");
	lon = json_object_get(req->json, "lon");
	in.category = json_str(req->json, "category");
	in.description = json_str(req->json, "description");
	in.address = json_str(req->json, "address");
	in.email = json_str(req->json, "email");
	attrs = json_object_get(req->json, "attributes");
	in.attributes = attrs;
	if ((lat == NULL) != (lon == NULL))
		json_error_add(errors, lat == NULL ? "/lat" : "/lon",
		    "required", "a position is a latitude and a longitude");
	else if (lat == NULL && in.address == NULL)
		json_error_add(errors, "/lat", "required",
		    "a position (lat, lon) or an address is required");
	if (lat != NULL && lon != NULL) {
		in.has_position = 1;
		in.lat = json_number_value(lat);
		in.lon = json_number_value(lon);
		if (!isfinite(in.lat) || in.lat < -90.0 || in.lat > 90.0)
			json_error_add(errors, "/lat", "maximum",
			    "a WGS84 latitude is -90 to 90");
		if (!isfinite(in.lon) || in.lon < -180.0 || in.lon > 180.0)
			json_error_add(errors, "/lon", "maximum",
			    "a WGS84 longitude is -180 to 180");
	}
	if (in.email != NULL && req->principal != NULL)
		json_error_add(errors, "/email", "not_allowed",
		    "a signed-in person is told at their account's address");
	if ((n = json_array_size(errors)) > 0) {
		reply_validation(req, errors, n);
		return (0);
	}
	json_decref(errors);
	if ((req->principal == NULL || req->principal->kind !=
	    PRINCIPAL_PERSON) && ratelimit_peer_or_reply(req,
	    "incidents_anonymous", ANON_BUDGET, ANON_WINDOW) == -1)
		return (0);
	/*
	 * A partner application files for nobody: no account to follow it
	 * (the Open311 layer will say whose report it is its own way).  An
	 * anonymous filer gets the secret that lets them add photos.
	 */
	in.photo_secret = 1;
	incidents_create(db_thread(), req->principal != NULL &&
	    req->principal->kind == PRINCIPAL_PERSON ? req->principal : NULL,
	    &in, req->lang, &o);
	if (o.result != IR_OK) {
		reply_outcome(req, &o);
		return (0);
	}
	/* The token is the mailbox holder's proof: it goes by mail only. */
	json_object_del(o.made, "contact_token");
	snprintf(loc, sizeof(loc), "/api/v1/incidents/%s", o.id);
	reply_json(req, 201, o.made);
	reply_header(req, "Location", loc);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

static int
bad_query(struct request *req, const char *name)
{
	reply_error(req, HTTP_ERR(HE_BAD_QUERY), name);
	return (0);
}

/* GET /api/v1/incidents?bbox=&status=&category=&since= */
int
incidents_h_map(struct request *req)
{
	struct incident_query	 q;
	struct incident_outcome	 o;
	const char		*v;
	char			*end;
	int64_t			 t;
	int			 i;

	memset(&q, 0, sizeof(q));
	if ((v = request_query(req, "bbox")) == NULL)
		return (bad_query(req, "bbox"));
	for (i = 0; i < 4; i++) {
		q.bbox[i] = strtod(v, &end);
		if (end == v || !isfinite(q.bbox[i]) ||
		    (i < 3 && *end != ',') || (i == 3 && *end != '\0'))
			return (bad_query(req, "bbox"));
		v = end + 1;
	}
	if (!incidents_lonlat_ok(q.bbox[0], q.bbox[1]) ||
	    !incidents_lonlat_ok(q.bbox[2], q.bbox[3]) ||
	    q.bbox[0] > q.bbox[2] || q.bbox[1] > q.bbox[3])
		return (bad_query(req, "bbox"));
	if ((v = request_query(req, "status")) != NULL) {
		for (i = 0; states[i] != NULL; i++)
			if (strcmp(states[i], v) == 0)
				break;
		if (states[i] == NULL)
			return (bad_query(req, "status"));
		q.status = v;
	}
	if ((v = request_query(req, "category")) != NULL) {
		if (v[0] == '\0' || strlen(v) > 48)
			return (bad_query(req, "category"));
		q.category = v;
	}
	if ((v = request_query(req, "since")) != NULL) {
		if (clock_parse(v, &t) != 0)
			return (bad_query(req, "since"));
		q.since = v;
	}
	q.limit = INCIDENT_MAP_MAX;
	/* Written straight into the reply: the biggest public answer. */
	incidents_list(db_thread(), &q, req->lang, reply_body(req, 200,
	    CT_GEOJSON), &o);
	if (o.result != IR_OK) {
		reply_outcome(req, &o);
		return (0);
	}
	reply_lang(req);
	return (0);
}

/* GET /api/v1/incidents/{id} */
int
incidents_h_get(struct request *req)
{
	struct incident_outcome	 o;
	const char		*id;

	if ((id = param_id(req)) == NULL)
		return (0);
	incidents_get(db_thread(), id, req->lang, &o);
	return (reply_public(req, &o));
}

/* POST /api/v1/incidents/{id}/supporters */
int
incidents_h_support(struct request *req)
{
	struct incident_outcome	 o;
	const char		*id;
	int			 added;

	if ((id = param_id(req)) == NULL)
		return (0);
	incidents_support(db_thread(), req->principal, id, &o);
	if (o.result != IR_OK) {
		reply_outcome(req, &o);
		return (0);
	}
	added = json_is_true(json_object_get(o.made, "added"));
	json_decref(o.made);
	incidents_get(db_thread(), id, req->lang, &o);
	if (o.result != IR_OK) {
		reply_outcome(req, &o);
		return (0);
	}
	reply_geojson(req, added ? 201 : 200, o.made);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

/* After a staff operation: the report with its staff part. */
static int
reply_details(struct request *req, const char *id, struct incident_outcome *o)
{
	if (o->result != IR_OK) {
		reply_outcome(req, o);
		return (0);
	}
	json_decref(o->made);
	incidents_details(db_thread(), req->principal, id, req->lang, o);
	if (o->result != IR_OK) {
		reply_outcome(req, o);
		return (0);
	}
	reply_geojson(req, 200, o->made);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

/*
 * A staff operation on the report of the path: 'op' (NULL: none) with
 * the request, the report's id and the outcome to fill; then the report
 * with its staff part, or the operation's problem.
 */
typedef void	(*staff_op)(struct request *, const char *,
		    struct incident_outcome *);

static int
staff_reply(struct request *req, staff_op op)
{
	struct incident_outcome	 o;
	const char		*id;

	if ((id = param_id(req)) == NULL)
		return (0);
	memset(&o, 0, sizeof(o));
	if (op != NULL)
		op(req, id, &o);
	return (reply_details(req, id, &o));
}

static void
transition_op(struct request *req, const char *id, struct incident_outcome *o)
{
	struct incident_update	 u = {
		.to = json_str(req->json, "to"),
		.note = json_str(req->json, "note"),
		.reason = json_str(req->json, "reason"),
		.duplicate_of = json_str(req->json, "duplicate_of"),
	};

	incidents_update(db_thread(), req->principal, id, &u, req->lang, o);
}

static void
patch_op(struct request *req, const char *id, struct incident_outcome *o)
{
	incidents_patch(db_thread(), req->principal, id, req->json, req->lang,
	    o);
}

static void
note_op(struct request *req, const char *id, struct incident_outcome *o)
{
	incidents_note(db_thread(), req->principal, id, json_str(req->json,
	    "body"), o);
}

/* POST /api/v1/incidents/{id}/transitions */
int
incidents_h_transition(struct request *req)
{
	return (staff_reply(req, transition_op));
}

/* GET /api/v1/incidents/{id}/details */
int
incidents_h_details(struct request *req)
{
	return (staff_reply(req, NULL));
}

/* PATCH /api/v1/incidents/{id}: {} changes nothing, 422 empty_patch. */
int
incidents_h_patch(struct request *req)
{
	if (json_object_size(req->json) == 0) {
		reply_error(req, HTTP_ERR(HE_EMPTY_PATCH));
		return (0);
	}
	return (staff_reply(req, patch_op));
}

/* POST /api/v1/incidents/{id}/notes */
int
incidents_h_notes_post(struct request *req)
{
	return (staff_reply(req, note_op));
}

/* POST /api/v1/incidents/contact-confirmations */
int
incidents_h_confirm(struct request *req)
{
	struct incident_outcome	 o;

	incidents_confirm(db_thread(), json_str(req->json, "token"), &o);
	if (o.result == IR_NOT_FOUND) {
		reply_error(req, INCIDENTS_ERR(IE_TOKEN));
		return (0);
	}
	if (o.result != IR_OK) {
		reply_outcome(req, &o);
		return (0);
	}
	reply_json(req, 200, json_pack("{s:s, s:b}", "id", o.id, "confirmed",
	    1));
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

/* GET /api/v1/incidents/board: a department's reports, keyset pages. */

static const char *const sorts[] = { "created", "-created", "updated",
    "-updated" };

int
incidents_h_board(struct request *req)
{
	struct db_res	*res = NULL;
	const char	*p[7], *v, *dep = NULL, *sort;
	char		*key, *a, lim[24], states_lit[128];
	json_t		*items, *f;
	long		 limit;
	size_t		 s;
	int		 i, n, nd;

	memset(p, 0, sizeof(p));
	if (page_limit_or_reply(req, &limit) == -1)
		return (0);
	nd = policy_queue_departments(req->principal);
	if (nd == 0) {
		reply_error(req, INCIDENTS_ERR(IE_NOTES_FORBIDDEN));
		return (0);
	}
	if ((v = request_query(req, "department")) != NULL) {
		for (i = 0; i < nd; i++)
			if (strcmp(req->principal->departments[i], v) == 0)
				dep = req->principal->departments[i];
		if (dep == NULL) {
			if (strlen(v) > 40)
				return (bad_query(req, "department"));
			reply_error(req, INCIDENTS_ERR(IE_DEPARTMENT), v);
			return (0);
		}
	} else
		dep = req->principal->departments[0];
	sort = (v = request_query(req, "sort")) != NULL ? v : "-created";
	for (s = 0; s < sizeof(sorts) / sizeof(sorts[0]); s++)
		if (strcmp(sorts[s], sort) == 0)
			break;
	if (s == sizeof(sorts) / sizeof(sorts[0]))
		return (bad_query(req, "sort"));
	if ((v = request_query(req, "status")) != NULL) {
		for (i = 0; states[i] != NULL; i++)
			if (strcmp(states[i], v) == 0)
				break;
		if (states[i] == NULL)
			return (bad_query(req, "status"));
		snprintf(states_lit, sizeof(states_lit), "{%s}", v);
		p[1] = request_strdup(req, states_lit);
	}
	if ((v = request_query(req, "category")) != NULL) {
		if (v[0] == '\0' || strlen(v) > 48)
			return (bad_query(req, "category"));
		p[2] = v;
	}
	if ((v = request_query(req, "assignee")) != NULL) {
		if (strcmp(v, "me") == 0)
			p[3] = req->principal->id;
		else if (json_format_ok(JF_UUID, v))
			p[3] = v;
		else
			return (bad_query(req, "assignee"));
	}
	if ((v = request_query(req, "cursor")) != NULL) {
		/* sort|department|key|id */
		if ((key = page_cursor_decode(v)) == NULL) {
			reply_error(req, HTTP_ERR(HE_BAD_CURSOR));
			return (0);
		}
		a = strrchr(key, '|');
		n = (int)strlen(sorts[s]) + (int)strlen(dep) + 2;
		if (a == NULL || strncmp(key, sorts[s], strlen(sorts[s])) != 0 ||
		    key[strlen(sorts[s])] != '|' || strncmp(key +
		    strlen(sorts[s]) + 1, dep, strlen(dep)) != 0 ||
		    key[n - 1] != '|' || a < key + n ||
		    !json_format_ok(JF_UUID, a + 1)) {
			free(key);
			reply_error(req, HTTP_ERR(HE_BAD_CURSOR));
			return (0);
		}
		*a = '\0';
		p[4] = request_strdup(req, key + n);
		p[5] = request_strdup(req, a + 1);
		free(key);
	}
	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	p[0] = dep;
	p[6] = lim;
	if (reply_exec(req, IQ(IQ_BOARD_CREATED + s), p, &res) == -1)
		return (0);
	items = json_array();
	n = db_res_rows(res);
	for (i = 0; i < n && i < limit; i++) {
		f = incidents_feature(res, i, req->lang);
		json_object_set_new(json_object_get(f, "properties"),
		    "assignee_id", json_pack("s?", db_str(res, i,
		    "assignee_id")));
		/* Art. 18: the street is still mended; the person is not
		   processed (incidents_details() holds their data back). */
		json_object_set_new(json_object_get(f, "properties"),
		    "reporter_restricted", json_boolean(db_bool(res, i,
		    "reporter_restricted")));
		json_array_append_new(items, f);
	}
	key = NULL;
	if (n > limit) {
		char	*k;

		xasprintf(&k, "%s|%s|%s|%s", sorts[s], dep, db_str(res,
		    (int)limit - 1, "sort_key"), db_str(res, (int)limit - 1,
		    "id"));
		key = page_cursor_encode(k);
		free(k);
	}
	db_res_free(res);
	reply_json(req, 200, json_pack("{s:o, s:s?}", "items", items,
	    "next_cursor", key));
	free(key);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}
