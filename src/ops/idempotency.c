/*
 * idempotency.c: Idempotency-Key on POST (idempotency.h has the rules).
 *
 * The server calls idem_begin() after authorization and the input checks,
 * just before the handler, and idem_end() after it.  A key is claimed by
 * an INSERT that commits at once (the primary key decides between two
 * concurrent first requests: the loser sees the claim and answers 409),
 * so a request that dies half-way leaves a claim without an answer, taken
 * over after STALE_SECONDS.  The handler's own transaction is separate:
 * if storing the answer fails (the database went away in between), the
 * claim stays unanswered and the retry after STALE_SECONDS runs again;
 * handlers whose action must never run twice keep their own uniqueness
 * rules as before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/policy.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/log.h"
#include "core/module.h"
#include "db/db.h"
#include "http/reply.h"
#include "http/route.h"
#include "http/server.h"
#include "ops/idempotency.h"
#include "ops/ops.h"

#define KEY_MAX		255
#define STALE_SECONDS	"60"
#define HEADER		"Idempotency-Key"

enum {
	IK_CLAIM,
	IK_GET,
	IK_TAKEOVER,
	IK_DONE,
	IK_DROP,
	IK_EXPORT,
	IK_ERASE,
	IK__COUNT
};

struct db_stmt idempotency_stmts[IDEMPOTENCY_NSTMTS] = {
	[IK_CLAIM] = { "ops_insert_idempotency_key",
	  "INSERT INTO ops.idempotency_keys (scope, key, method, path, "
	  "request_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
	  "ON CONFLICT DO NOTHING", 6, 0 },
	[IK_GET] = { "ops_select_idempotency_key",
	  "SELECT method, path, request_hash, status, content_type, location, "
	  "body, status IS NULL AND created_at < $3::timestamptz - interval '"
	  STALE_SECONDS " seconds' AS stale FROM ops.idempotency_keys "
	  "WHERE scope = $1 AND key = $2", 3, 0 },
	/* A claim that never got its answer (a crash): the new request's. */
	[IK_TAKEOVER] = { "ops_update_idempotency_takeover",
	  "UPDATE ops.idempotency_keys SET method = $3, path = $4, "
	  "request_hash = $5, created_at = $6 WHERE scope = $1 AND key = $2 "
	  "AND status IS NULL AND created_at < $6::timestamptz - interval '"
	  STALE_SECONDS " seconds'", 6, 0 },
	/* Only our own claim ($8: its time): not one taken over since. */
	[IK_DONE] = { "ops_update_idempotency_answer",
	  "UPDATE ops.idempotency_keys SET status = $3, content_type = $4, "
	  "location = $5, body = $6, completed_at = $7 "
	  "WHERE scope = $1 AND key = $2 AND status IS NULL "
	  "AND created_at = $8::timestamptz", 8, 0 },
	[IK_DROP] = { "ops_delete_idempotency_claim",
	  "DELETE FROM ops.idempotency_keys WHERE scope = $1 AND key = $2 "
	  "AND status IS NULL AND created_at = $3::timestamptz", 3, 0 },
	/* The privacy hook: what was stored, never the answers themselves. */
	[IK_EXPORT] = { "ops_select_idempotency_export",
	  "SELECT coalesce(json_agg(json_build_object('method', method, "
	  "'path', path, 'status', status, 'created_at', "
	  DB_TIME_SQL("created_at") ") "
	  "ORDER BY created_at, key), '[]') AS replayable_answers "
	  "FROM ops.idempotency_keys "
	  "WHERE scope = 'person:' || $1", 1, 0 },
	/*
	 * The person's own answers, and those kept for staff that name
	 * them (a rights request recorded by the DPO holds the account id).
	 */
	[IK_ERASE] = { "ops_delete_idempotency_person",
	  "DELETE FROM ops.idempotency_keys WHERE scope = 'person:' || $1 "
	  "OR strpos(body, $1) > 0", 1, 0 },
};

#define IK(x)	(&idempotency_stmts[(x)])

/* What idem_begin() leaves for idem_end(). */
struct idem {
	char	 scope[80];
	char	 key[KEY_MAX + 1];
	char	 hash[SHA256_HEX_LEN];
	char	 now[40];
};

static int
key_ok(const char *k)
{
	size_t	 n;

	for (n = 0; k[n] != '\0'; n++)
		if (n == KEY_MAX || (unsigned char)k[n] < 0x21 ||
		    (unsigned char)k[n] > 0x7e)
			return (0);
	return (n > 0);
}

/* SHA-256 of method, path and body, NUL-separated. */
static void
request_hash(const struct request *req, char *out)
{
	struct buf	 b;

	buf_init(&b);
	buf_adds(&b, req->method);
	buf_addc(&b, '\0');
	buf_adds(&b, req->path);
	buf_addc(&b, '\0');
	if (req->body.len > 0)
		buf_add(&b, req->body.data, req->body.len);
	sha256_hex(b.data, b.len, out);
	buf_cleanup(&b);
}

/* The stored answer again. */
static void
replay(struct request *req, const struct db_res *res)
{
	const char	*ct = db_str(res, 0, "content_type");
	const char	*loc = db_str(res, 0, "location");
	const char	*body = db_str(res, 0, "body");

	reply_bytes(req, (int)db_int64(res, 0, "status"),
	    ct != NULL ? request_strdup(req, ct) : NULL,
	    body != NULL ? body : "", body != NULL ? strlen(body) : 0);
	if (loc != NULL)
		reply_header(req, "Location", loc);
	reply_header(req, "Idempotent-Replayed", "true");
	log_info("request %s: %s answered from Idempotency-Key", req->id,
	    req->path);
}

/*
 * 0: run the handler (with or without a key claimed); 1: answered here
 * (a replay or a problem).
 */
static int
idem_begin(struct request *req)
{
	const struct principal	*pr = req->principal;
	struct db_res		*res = NULL;
	struct db_error		 err;
	struct idem		*st;
	const char		*k, *p[6];
	int			 stale;

	if (strcmp(req->method, "POST") != 0 ||
	    (k = request_header(req, HEADER)) == NULL)
		return (0);
	if (!key_ok(k)) {
		reply_error(req, OPS_ERR(OPS_E_IDEM_KEY_SHAPE));
		return (1);
	}
	if (pr == NULL) {
		reply_error(req, OPS_ERR(OPS_E_IDEM_ANONYMOUS));
		return (1);
	}
	if (req->route->flags & ROUTE_NO_REPLAY) {
		reply_error(req, OPS_ERR(OPS_E_IDEM_SECRET));
		return (1);
	}
	st = request_alloc(req, sizeof(*st));
	snprintf(st->scope, sizeof(st->scope), "%s:%s",
	    pr->kind == PRINCIPAL_CLIENT ? "client" : "person", pr->id);
	snprintf(st->key, sizeof(st->key), "%s", k);
	request_hash(req, st->hash);
	clock_format(clock_now(), st->now, sizeof(st->now));
	p[0] = st->scope;
	p[1] = st->key;
	p[2] = req->method;
	p[3] = req->path;
	p[4] = st->hash;
	p[5] = st->now;
	if (db_exec(db_thread(), IK(IK_CLAIM), p, &res, &err) == -1) {
		reply_db_error(req, &err);
		return (1);
	}
	if (db_res_affected(res) == 1) {
		db_res_free(res);
		req->replay = st;
		return (0);
	}
	db_res_free(res);
	res = NULL;
	p[2] = st->now;
	if (db_exec(db_thread(), IK(IK_GET), p, &res, &err) == -1) {
		reply_db_error(req, &err);
		return (1);
	}
	if (db_res_rows(res) != 1) {
		/* Purged between the two statements: as good as new. */
		db_res_free(res);
		reply_error(req, OPS_ERR(OPS_E_IDEM_RUNNING));
		reply_header(req, "Retry-After", "1");
		return (1);
	}
	stale = db_bool(res, 0, "stale");
	if (stale) {
		db_res_free(res);
		res = NULL;
		p[2] = req->method;
		if (db_exec(db_thread(), IK(IK_TAKEOVER), p, &res,
		    &err) == -1) {
			reply_db_error(req, &err);
			return (1);
		}
		stale = db_res_affected(res) == 1;
		db_res_free(res);
		if (stale) {
			log_info("request %s: took over an Idempotency-Key left "
			    "without an answer", req->id);
			req->replay = st;
			return (0);
		}
		reply_error(req, OPS_ERR(OPS_E_IDEM_RUNNING));
		reply_header(req, "Retry-After", "1");
		return (1);
	}
	/* Running first: what the first request was is not settled yet. */
	if (db_isnull(res, 0, "status")) {
		db_res_free(res);
		reply_error(req, OPS_ERR(OPS_E_IDEM_RUNNING));
		reply_header(req, "Retry-After", "1");
		return (1);
	}
	if (strcmp(db_str(res, 0, "method"), req->method) != 0 ||
	    strcmp(db_str(res, 0, "path"), req->path) != 0 ||
	    strcmp(db_str(res, 0, "request_hash"), st->hash) != 0) {
		db_res_free(res);
		/* The same shape as every 422: the header is the field. */
		reply_error_fields(req, OPS_ERR(OPS_E_IDEM_OTHER_REQUEST),
		    json_pack("[{s:s, s:s, s:s}]", "field",
		    "/headers/Idempotency-Key", "code", "reused", "message",
		    OPS_ERR(OPS_E_IDEM_OTHER_REQUEST)->detail[req->lang]));
		return (1);
	}
	replay(req, res);
	db_res_free(res);
	return (1);
}

/* After the handler of a request that claimed a key. */
static void
idem_end(struct request *req)
{
	struct idem		*st = req->replay;
	const struct reply	*rp = &req->reply;
	struct db_error		 err;
	const char		*p[8], *body;
	char			 status[16], now[40];
	size_t			 len;
	int			 keep;

	if (st == NULL)
		return;
	req->replay = NULL;
	body = rp->static_body != NULL ? rp->static_body :
	    rp->body.data != NULL ? rp->body.data : "";
	len = rp->static_body != NULL ? rp->static_len : rp->body.len;
	/* Worth retrying, or not storable as text: the claim goes. */
	keep = rp->status < 500 && rp->status != 408 && rp->status != 429 &&
	    rp->stream == NULL && memchr(body, '\0', len) == NULL;
	p[0] = st->scope;
	p[1] = st->key;
	if (!keep) {
		p[2] = st->now;
		if (db_exec(db_thread(), IK(IK_DROP), p, NULL, &err) == -1)
			log_warnx("request %s: the Idempotency-Key claim could "
			    "not be dropped; it expires in " STALE_SECONDS " s",
			    req->id);
		return;
	}
	snprintf(status, sizeof(status), "%d", rp->status);
	clock_format(clock_now(), now, sizeof(now));
	p[2] = status;
	p[3] = rp->content_type;
	p[4] = reply_header_get(req, "Location");
	p[5] = body;
	p[6] = now;
	p[7] = st->now;
	if (db_exec(db_thread(), IK(IK_DONE), p, NULL, &err) == -1)
		log_warnx("request %s: the answer for its Idempotency-Key could "
		    "not be stored; a retry after " STALE_SECONDS " s runs "
		    "again", req->id);
}

_Static_assert(IK__COUNT == IDEMPOTENCY_NSTMTS, "IDEMPOTENCY_NSTMTS (ops.h)");

static const struct server_replay hooks = { idem_begin, idem_end };

void
idempotency_init(void)
{
	server_set_replay(&hooks);
}

/* Privacy: the idempotency part of the ops module's section. */
const struct ops_privacy_part idempotency_privacy = {
	.member = "replayable_answers",
	.export = IK(IK_EXPORT),
	.erase = IK(IK_ERASE),
	.categories = { "free_text", NULL },
};
