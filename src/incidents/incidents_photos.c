/*
 * incidents_photos.c: a report's photos (at most INCIDENT_PHOTOS_MAX, sent
 * by its filer within INCIDENT_PHOTO_HOURS of filing it, each as the body
 * of POST /api/v1/incidents/{id}/photos, JPEG or PNG).  The filer is its
 * signed-in reporter, or for an anonymous report whoever holds the secret
 * the filing answered with (photo_token, sent as X-Photo-Token; the
 * report keeps its SHA-256): nobody else can add photos to someone's
 * anonymous report.  Anonymous photos are throttled per client address
 * as anonymous reports are; their originals have no uploader, and go
 * with the report's retention (incidents_privacy.c).
 *
 * In one transaction: the original is stored as sent (files_store(): its
 * type read from its bytes, a JPEG or PNG only; pending until clamd scans
 * it), the agents' alone, erased with its uploader; then re-encoded from
 * its pixels without any metadata (files_image_strip(): no EXIF GPS, no
 * camera serial, no embedded thumbnail) into the public copy and a
 * thumbnail for the map, stored as files of the report (no uploader:
 * they are the report's, and carry nothing of the person's device).
 * Every file is served only once scanned clean (files_reply()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/digest.h"
#include "core/access.h"
#include "files/files.h"
#include "http/ratelimit.h"
#include "http/reply.h"
#include "incidents/incidents_int.h"
#include "json/check.h"

/* Anonymous photos from one client address: at most 30 an hour. */
#define ANON_PHOTO_BUDGET	30
#define ANON_PHOTO_WINDOW	3600
#define PHOTO_TOKEN_HEADER	"X-Photo-Token"

struct photo_tx {
	struct request		*req;
	const char		*id;
	const char		*secret;	/* its SHA-256; NULL: the account */
	struct incident_outcome	*o;
	int			 refused;	/* a files_stored_result */
	struct files_stored	 stored;
	char			 photo[40];
};

static int
photo_tx(struct db *db, void *arg, struct db_error *err)
{
	struct photo_tx		*t = arg;
	struct request		*req = t->req;
	struct incident_outcome	*o = t->o;
	struct db_res		*r = NULL, *n = NULL, *ins = NULL;
	struct files_stored	 pub, th;
	struct files_image	 img;
	const char		*p[7];
	char			 now[40], w[16], h[16], lim[16];
	int			 rc = -1, s;

	incident_outcome_reset(o);
	t->refused = FILES_STORED;
	memset(&img, 0, sizeof(img));
	p[0] = t->id;
	if (db_exec(db, IQ(IQ_LOCK), p, &r, err) == -1)
		goto db;
	/*
	 * Another's report, or none: 404, as if it did not exist.  The
	 * secret opens only an anonymous report, the one it was made for.
	 */
	if (db_res_rows(r) != 1 || (t->secret == NULL && (db_str(r, 0,
	    "reporter_id") == NULL || strcmp(db_str(r, 0, "reporter_id"),
	    req->principal->id) != 0)) || (t->secret != NULL && (db_str(r, 0,
	    "reporter_id") != NULL || db_str(r, 0, "photo_token") == NULL ||
	    strcmp(db_str(r, 0, "photo_token"), t->secret) != 0))) {
		o->result = IR_NOT_FOUND;
		goto out;
	}
	if (clock_now() - db_time(r, 0, "created_at") >
	    (int64_t)INCIDENT_PHOTO_HOURS * 3600 * 1000000) {
		snprintf(lim, sizeof(lim), "%d", INCIDENT_PHOTO_HOURS);
		o->result = IR_REFUSED;
		o->code = IE_PHOTO_LATE;
		snprintf(o->args[0], sizeof(o->args[0]), "%s", lim);
		goto out;
	}
	if (db_exec(db, IQ(IQ_PHOTO_COUNT), p, &n, err) == -1)
		goto db;
	if (db_int64(n, 0, "n") >= INCIDENT_PHOTOS_MAX) {
		o->result = IR_REFUSED;
		o->code = IE_PHOTOS_FULL;
		snprintf(o->args[0], sizeof(o->args[0]), "%d",
		    INCIDENT_PHOTOS_MAX);
		goto out;
	}
	s = files_store(db, "incidents", t->id, t->secret == NULL ?
	    req->principal->id : NULL,
	    files_upload_name(req), req->body.data, req->body.len,
	    "image/jpeg image/png", &t->stored, err);
	if (s == -1)
		goto db;
	if (s != FILES_STORED) {
		t->refused = s;
		goto out;
	}
	if (files_image_strip(req->body.data, req->body.len, t->stored.type,
	    INCIDENT_PHOTO_SIDE, INCIDENT_THUMB_SIDE, &img) == -1) {
		o->result = IR_REFUSED;
		o->code = IE_PHOTO_UNREADABLE;
		goto out;
	}
	if ((s = files_store(db, "incidents", t->id, NULL, NULL, img.full,
	    img.full_len, "image/jpeg image/png", &pub, err)) == -1 ||
	    (s == FILES_STORED && (s = files_store(db, "incidents", t->id,
	    NULL, NULL, img.thumb, img.thumb_len, "image/jpeg", &th,
	    err)) == -1))
		goto db;
	if (s != FILES_STORED) {
		o->result = IR_REFUSED;
		o->code = IE_PHOTO_UNREADABLE;
		goto out;
	}
	clock_format(clock_now(), now, sizeof(now));
	snprintf(w, sizeof(w), "%d", img.width);
	snprintf(h, sizeof(h), "%d", img.height);
	p[0] = t->id;
	p[1] = t->stored.id;
	p[2] = pub.id;
	p[3] = th.id;
	p[4] = w;
	p[5] = h;
	p[6] = now;
	if (db_exec(db, IQ(IQ_PHOTO_INSERT), p, &ins, err) == -1)
		goto db;
	snprintf(t->photo, sizeof(t->photo), "%s", db_str(ins, 0, "id"));
	rc = 0;
	goto out;
db:
	o->result = IR_DB;
out:
	files_image_free(&img);
	db_res_free(r);
	db_res_free(n);
	db_res_free(ins);
	/* A refusal rolls back the original stored before it. */
	return (o->result == IR_OK && t->refused == FILES_STORED ? rc : -1);
}

static const char *
param_id(struct request *req, const char *name, enum incidents_err e)
{
	return (param_uuid_or_reply(req, name, INCIDENTS_ERR(e)));
}

/* POST /api/v1/incidents/{id}/photos: the photo is the body. */
int
incidents_h_photo_post(struct request *req)
{
	struct incident_outcome	 o;
	struct photo_tx		 t;
	struct db_error		 err;
	char			 loc[160], hash[SHA256_HEX_LEN];
	const char		*id, *secret;

	if ((id = param_id(req, "id", IE_NOT_FOUND)) == NULL)
		return (0);
	memset(&o, 0, sizeof(o));
	memset(&t, 0, sizeof(t));
	/* The anonymous filer's secret, or the signed-in reporter. */
	if ((secret = request_header(req, PHOTO_TOKEN_HEADER)) != NULL) {
		if (ratelimit_peer_or_reply(req, "incidents_anonymous_photos",
		    ANON_PHOTO_BUDGET, ANON_PHOTO_WINDOW) == -1)
			return (0);
		sha256_hex(secret, strlen(secret), hash);
		t.secret = hash;
	} else if (req->principal == NULL || req->principal->kind !=
	    PRINCIPAL_PERSON) {
		/* A public route: no report of the caller's, as for another's. */
		reply_error(req, INCIDENTS_ERR(IE_NOT_FOUND));
		return (0);
	}
	t.req = req;
	t.id = id;
	t.o = &o;
	if (db_tx(db_thread(), photo_tx, &t, &err) == -1 &&
	    err.code != DB_OK) {
		reply_db_error(req, &err);
		return (0);
	}
	if (t.refused != FILES_STORED) {
		files_reply_refused(req, t.refused, &t.stored,
		    "image/jpeg image/png");
		return (0);
	}
	switch (o.result) {
	case IR_OK:
		break;
	case IR_NOT_FOUND:
		reply_error(req, INCIDENTS_ERR(IE_NOT_FOUND));
		return (0);
	case IR_REFUSED:
		if (INCIDENTS_ERR(o.code)->problem == PROB_CONFLICT)
			reply_error(req, INCIDENTS_ERR(o.code), o.args[0]);
		else
			reply_error(req, INCIDENTS_ERR(o.code));
		return (0);
	default:
		reply_db_error(req, &o.err);
		return (0);
	}
	snprintf(loc, sizeof(loc), "/api/v1/incidents/%s/photos/%s", id,
	    t.photo);
	reply_json(req, 201, json_pack("{s:s, s:s, s:s+, s:s}", "id", t.photo,
	    "url", loc, "thumbnail_url", loc, "/thumbnail", "status",
	    "pending"));
	reply_header(req, "Location", loc);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

enum which { W_PUBLIC, W_THUMB, W_ORIGINAL };

struct photo_read {
	const struct principal	*who;
	const char		*id, *photo;
	enum which		 which;
	char			 file[40];
	int			 found;		/* 0 none, 1 yes, 2 restricted */
};

static int
photo_read_tx(struct db *db, void *arg, struct db_error *err)
{
	struct photo_read	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[2] = { t->id, t->photo };
	int			 rc = 0;

	t->found = 0;
	if (db_exec(db, IQ(IQ_PHOTO), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1)
		goto out;
	if (t->which == W_ORIGINAL) {
		/* The original is the department's, its read logged. */
		if (policy_incident(t->who, db_str(res, 0, "department"),
		    db_str(res, 0, "reporter_id")) != POLICY_ALLOW)
			goto out;
		/* Art. 18: the reporter's own bytes are not read. */
		if (db_bool(res, 0, "reporter_restricted")) {
			t->found = 2;
			goto out;
		}
		if (db_str(res, 0, "person_id") != NULL && access_record(db,
		    db_str(res, 0, "person_id"), t->who,
		    "incidents.photo_original", t->photo, "incident report",
		    0, err) == -1) {
			rc = -1;
			goto out;
		}
	}
	snprintf(t->file, sizeof(t->file), "%s", db_str(res, 0,
	    t->which == W_ORIGINAL ? "original_file" : t->which == W_THUMB ?
	    "thumb_file" : "public_file"));
	t->found = 1;
out:
	db_res_free(res);
	return (rc);
}

static int
photo_get(struct request *req, enum which which)
{
	struct photo_read	 t;
	struct db_error		 err;

	memset(&t, 0, sizeof(t));
	if ((t.id = param_id(req, "id", IE_NOT_FOUND)) == NULL ||
	    (t.photo = param_id(req, "photo", IE_PHOTO_NOT_FOUND)) == NULL)
		return (0);
	t.who = req->principal;
	t.which = which;
	if (db_tx(db_thread(), photo_read_tx, &t, &err) == -1) {
		reply_db_error(req, &err);
		return (0);
	}
	if (t.found == 0) {
		reply_error(req, INCIDENTS_ERR(IE_PHOTO_NOT_FOUND));
		return (0);
	}
	if (t.found == 2) {
		reply_error(req, INCIDENTS_ERR(IE_REPORTER_RESTRICTED));
		return (0);
	}
	return (files_reply(req, t.file));
}

/* GET /api/v1/incidents/{id}/photos/{photo}: the public copy. */
int
incidents_h_photo_get(struct request *req)
{
	return (photo_get(req, W_PUBLIC));
}

/* GET .../photos/{photo}/thumbnail */
int
incidents_h_photo_thumb(struct request *req)
{
	return (photo_get(req, W_THUMB));
}

/* GET .../photos/{photo}/original: its department's agents. */
int
incidents_h_photo_original(struct request *req)
{
	return (photo_get(req, W_ORIGINAL));
}
