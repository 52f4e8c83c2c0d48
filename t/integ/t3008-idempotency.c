/*
 * t3008-idempotency: the Idempotency-Key header on POST (ARCHITECTURE.md,
 * "API conventions"; guichetd(8)).  Proven over the API, with the database
 * as the witness of what was done:
 *  - the key is 1 to 255 visible ASCII characters; anything else (empty,
 *    256 characters, a space, a tab, DEL, a non-ASCII byte) is a 400
 *    problem and nothing is done;
 *  - the same POST sent again with the same key gets the first answer
 *    again (status, Content-Type, Location, the body byte for byte) with
 *    "Idempotent-Replayed: true", and its action is done once: a second
 *    rights request is not recorded, a second objection is not refused;
 *  - the same key with another body or another path: 422, nothing done;
 *  - the same key while the first request still runs (held on a row lock,
 *    or a claim written here): 409 with Retry-After; a claim left without
 *    an answer for more than a minute is taken over;
 *  - keys belong to one caller: another person, or the DPO, sending the
 *    same key gets their own request run;
 *  - an anonymous POST (registration, password reset) with the header, and
 *    POST /api/v1/me/totp (its answer is a secret, never stored): 400,
 *    nothing done;
 *  - GET, PUT, PATCH and DELETE ignore the header;
 *  - a handler's 404, 409 or 422 is stored and replayed, the 409 and the
 *    422 even once the state that caused them has changed; a 503 is not:
 *    the retry runs;
 *  - a person's erasure deletes their stored answers, not anyone else's.
 * Partner clients are not exercised: no POST route admits a client today.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idlib.h"

#define GOOD_PASSWORD	"Correct-Horse-Battery-9"
#define OBJ		"/api/v1/me/objections"
#define REQS		"/api/v1/admin/privacy/requests"
#define NOBODY_LIFT	"/api/v1/admin/privacy/subjects/" \
			    "00000000-0000-4000-8000-000000000000/restriction/lift"
#define OBJ_SERVICE	"{\"purpose\":\"service\",\"grounds\":" \
			    "\"I leave the town in spring.\"}"
#define OBJ_NOTICES	"{\"purpose\":\"case_notifications\",\"grounds\":" \
			    "\"By post, please.\"}"

/* Objections of 'account' to 'purpose' on record. */
static long
objections(const struct idenv *e, const char *account, const char *purpose)
{
	return (idl_sql_count(e, "SELECT count(*) FROM privacy.requests WHERE "
	    "account_id = '%s' AND kind = 'objection' AND purpose = '%s'",
	    account, purpose));
}

/* Stored keys of a person (scope "person:<account id>"). */
static long
keys_of(const struct idenv *e, const char *account)
{
	return (idl_sql_count(e,
	    "SELECT count(*) FROM ops.idempotency_keys WHERE "
	    "scope = 'person:' || '%s'", account));
}

/*
 * One request: 'token' as a bearer token and 'body' as JSON (each may be
 * NULL); 'key' NULL sends no Idempotency-Key, "" sends it empty.
 */
static long
ireq(const struct idenv *e, const char *method, const char *path,
    const char *token, const char *key, const char *body, struct http_resp *r)
{
	char	*kh = NULL;
	long	 st;

	/* "Name:" would remove the header; "Name;" sends it empty. */
	if (key != NULL)
		kh = key[0] == '\0' ? harness_printf("Idempotency-Key;") :
		    harness_printf("Idempotency-Key: %s", key);
	st = idl_req_with(e, method, path, token, kh, body, r);
	free(kh);
	return (st);
}

/* A first answer: 'status', and not marked as a replay. */
static void
assert_fresh(const struct http_resp *r, long status, const char *what)
{
	ck_assert_msg(r->status == status, "%s: status %ld, expected %ld: %s",
	    what, r->status, status, r->body);
	ck_assert_msg(http_resp_header(r, "Idempotent-Replayed") == NULL,
	    "%s: an answer that ran says it is replayed", what);
}

/* ireq() answered afresh with 'status' (assert_fresh()); freed. */
static void
fresh(const struct idenv *e, const char *method, const char *path,
    const char *token, const char *key, const char *body, long status,
    const char *what)
{
	struct http_resp r;

	ireq(e, method, path, token, key, body, &r);
	assert_fresh(&r, status, what);
	http_resp_free(&r);
}

/* fresh() with 200, the answer's 'member' being 'value'. */
static void
applied(const struct idenv *e, const char *method, const char *path,
    const char *token, const char *key, const char *body, const char *member,
    const char *value, const char *what)
{
	struct http_resp r;
	json_t		*j;

	ireq(e, method, path, token, key, body, &r);
	assert_fresh(&r, 200, what);
	j = harness_json(&r);
	ck_assert_msg(j != NULL && idl_jstr(j, member) != NULL &&
	    strcmp(idl_jstr(j, member), value) == 0, "%s: not applied: %s",
	    what, r.body);
	json_decref(j);
	http_resp_free(&r);
}

/*
 * A server, and the resident's first objection under 'key': 201, the
 * answer in 'r'.  The resident's token.
 */
static char *
objected(struct idenv *e, const char *key, struct http_resp *r)
{
	char	*at;

	at = idl_start_resident(e, NULL);
	ireq(e, "POST", OBJ, at, key, OBJ_SERVICE, r);
	assert_fresh(r, 201, "objection");
	return (at);
}

/* Keys stored, of anyone. */
static long
keys_kept(const struct idenv *e)
{
	return (idl_sql_count(e, "SELECT count(*) FROM ops.idempotency_keys"));
}

static int
same_header(const struct http_resp *a, const struct http_resp *b,
    const char *name)
{
	const char	*x = http_resp_header(a, name);
	const char	*y = http_resp_header(b, name);

	if (x == NULL || y == NULL)
		return (x == NULL && y == NULL);
	return (strcmp(x, y) == 0);
}

/* 'again' is 'first' replayed. */
static void
assert_replay(const struct http_resp *first, const struct http_resp *again,
    const char *what)
{
	const char	*v;

	ck_assert_msg(again->status == first->status, "%s: replayed status "
	    "%ld, first %ld: %s", what, again->status, first->status,
	    again->body);
	v = http_resp_header(again, "Idempotent-Replayed");
	ck_assert_msg(v != NULL && strcmp(v, "true") == 0 &&
	    http_resp_header_count(again, "Idempotent-Replayed") == 1,
	    "%s: Idempotent-Replayed is %s", what, v != NULL ? v : "(none)");
	ck_assert_msg(again->body_len == first->body_len &&
	    (first->body_len == 0 || memcmp(again->body, first->body,
	    first->body_len) == 0), "%s: the body differs:\nfirst %s\nagain "
	    "%s", what, first->body, again->body);
	ck_assert_msg(same_header(first, again, "Content-Type"),
	    "%s: Content-Type %s, first %s", what,
	    http_resp_header(again, "Content-Type"),
	    http_resp_header(first, "Content-Type"));
	ck_assert_msg(same_header(first, again, "Location"),
	    "%s: Location %s, first %s", what,
	    http_resp_header(again, "Location") ? http_resp_header(again,
	    "Location") : "(none)", http_resp_header(first, "Location") ?
	    http_resp_header(first, "Location") : "(none)");
}

/* A 400 bad-request problem that ran nothing. */
static void
assert_bad_request(const struct http_resp *r, const char *what)
{
	ck_assert_msg(r->status == 400, "%s: status %ld, expected 400: %s",
	    what, r->status, r->body);
	json_decref(harness_assert_problem(r, 400, "/problems/bad-request",
	    NULL));
}

/* 409 conflict with a Retry-After of whole seconds. */
static void
assert_running(const struct http_resp *r, const char *what)
{
	const char	*v, *p;

	ck_assert_msg(r->status == 409, "%s: status %ld, expected 409: %s",
	    what, r->status, r->body);
	json_decref(harness_assert_problem(r, 409, "/problems/conflict",
	    NULL));
	v = http_resp_header(r, "Retry-After");
	ck_assert_msg(v != NULL && *v != '\0', "%s: no Retry-After", what);
	for (p = v; *p != '\0'; p++)
		ck_assert_msg(isdigit((unsigned char)*p), "%s: Retry-After %s",
		    what, v);
	ck_assert_msg(atoi(v) > 0, "%s: Retry-After %s", what, v);
	ck_assert_msg(http_resp_header(r, "Idempotent-Replayed") == NULL,
	    "%s: a 409 for a running request says it is replayed", what);
}

/* A rights request for the demo resident, as the DPO records it. */
static char *
request_body(const char *kind)
{
	return (harness_printf("{\"account_id\":\"%s\",\"kind\":\"%s\"}",
	    idl_demo.resident_id, kind));
}

START_TEST(test_key_syntax)
{
	struct idenv	 e;
	struct http_resp r, r2;
	char		 k256[257], k255[256], k255b[256], all[95];
	const char	*bad[] = { "", k256, "two words", "tab\there",
			    "del\x7f", "cl\xc3\xa9", "\xff" };
	char		*dpo, *body, *what;
	size_t		 i;

	memset(k256, 'k', 256);
	k256[256] = '\0';
	memcpy(k255, k256, 255);
	k255[255] = '\0';
	memcpy(k255b, k255, 256);
	k255b[254] = 'j';
	for (i = 0; i < 94; i++)
		all[i] = (char)(0x21 + i);
	all[94] = '\0';

	dpo = idl_start_admin(&e, NULL);
	body = request_body("access");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		what = harness_printf("key #%zu (%zu bytes)", i,
		    strlen(bad[i]));
		ireq(&e, "POST", REQS, dpo, bad[i], body, &r);
		assert_bad_request(&r, what);
		http_resp_free(&r);
		free(what);
	}
	/* Nothing was recorded, nothing was claimed. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.requests"), 0);
	ck_assert_int_eq(keys_kept(&e), 0);

	/* The limits themselves are keys: 255 characters, one, every one. */
	ireq(&e, "POST", REQS, dpo, k255, body, &r);
	assert_fresh(&r, 201, "a 255-character key");
	ireq(&e, "POST", REQS, dpo, k255, body, &r2);
	assert_replay(&r, &r2, "a 255-character key again");
	http_resp_free(&r2);
	/* The whole key counts: its last character makes another key. */
	ireq(&e, "POST", REQS, dpo, k255b, body, &r2);
	assert_fresh(&r2, 201, "a 255-character key, the last one changed");
	http_resp_free(&r2);
	http_resp_free(&r);
	fresh(&e, "POST", REQS, dpo, "!", body, 201, "a one-character key");
	fresh(&e, "POST", REQS, dpo, all, body, 201,
	    "a key of every visible character");
	ireq(&e, "POST", REQS, dpo, all, body, &r);
	ck_assert_msg(http_resp_header(&r, "Idempotent-Replayed") != NULL,
	    "the key of every visible character was not kept as it is");
	http_resp_free(&r);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.requests"), 4);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys WHERE key = (SELECT string_agg(chr(c), '' "
	    "ORDER BY c) FROM generate_series(33, 126) c)"), 1);
	free(body);
	free(dpo);
	idl_stop(&e);
}
END_TEST

/* A rights request sent twice with one key is recorded once. */
START_TEST(test_replay_created)
{
	struct idenv	 e;
	struct http_resp r1, r2, r3;
	char		*dpo, *body, *id;
	const char	*loc;
	json_t		*j;

	dpo = idl_start_admin(&e, NULL);
	body = request_body("access");
	ireq(&e, "POST", REQS, dpo, "req-3008-1", body, &r1);
	assert_fresh(&r1, 201, "first request");
	loc = http_resp_header(&r1, "Location");
	j = harness_json(&r1);
	ck_assert_msg(j != NULL && idl_jstr(j, "id") != NULL, "no id: %s",
	    r1.body);
	id = strdup(idl_jstr(j, "id"));
	json_decref(j);
	ck_assert_msg(loc != NULL && strstr(loc, id) != NULL, "Location %s",
	    loc != NULL ? loc : "(none)");
	/* Stored for the DPO, the caller. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys WHERE scope = 'person:%s' AND key = "
	    "'req-3008-1' AND status = 201", idl_demo.admin_id), 1);

	/* Again, twice: the same answer, no second request. */
	ireq(&e, "POST", REQS, dpo, "req-3008-1", body, &r2);
	assert_replay(&r1, &r2, "second send");
	ireq(&e, "POST", REQS, dpo, "req-3008-1", body, &r3);
	assert_replay(&r1, &r3, "third send");
	http_resp_free(&r2);
	http_resp_free(&r3);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.requests"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.requests WHERE id = '%s'", id), 1);

	/* The key decides, not the body: a new key is a new request. */
	ireq(&e, "POST", REQS, dpo, "req-3008-2", body, &r2);
	assert_fresh(&r2, 201, "the same body under a new key");
	ck_assert_msg(!same_header(&r1, &r2, "Location"), "a new key got the "
	    "first request's Location");
	http_resp_free(&r2);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.requests"), 2);
	http_resp_free(&r1);
	free(id);
	free(body);
	free(dpo);
	idl_stop(&e);
}
END_TEST

/*
 * An objection sent twice with one key: without the key, the second one is
 * refused (409, one is already waiting); with it, the first 201 comes back.
 */
START_TEST(test_replay_objection)
{
	struct idenv	 e;
	struct http_resp r1, r2;
	char		*at;

	at = objected(&e, "obj-1", &r1);
	ck_assert_int_eq(keys_of(&e, idl_demo.resident_id), 1);
	ireq(&e, "POST", OBJ, at, "obj-1", OBJ_SERVICE, &r2);
	assert_replay(&r1, &r2, "objection again");
	http_resp_free(&r2);
	ck_assert_int_eq(objections(&e, idl_demo.resident_id, "service"), 1);
	/* What the handler answers to a second objection run for real. */
	ireq(&e, "POST", OBJ, at, NULL, OBJ_SERVICE, &r2);
	ck_assert_msg(r2.status == 409, "a second objection without a key: "
	    "%ld %s", r2.status, r2.body);
	http_resp_free(&r2);
	ck_assert_int_eq(objections(&e, idl_demo.resident_id, "service"), 1);
	http_resp_free(&r1);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_same_key_other_request)
{
	struct idenv	 e;
	struct http_resp r1, r;
	char		*at;

	at = objected(&e, "k-other", &r1);
	/* Another body under the same key: 422, the objection not made. */
	ireq(&e, "POST", OBJ, at, "k-other", OBJ_NOTICES, &r);
	json_decref(harness_assert_problem(&r, 422, "/problems/validation",
	    NULL));
	ck_assert(http_resp_header(&r, "Idempotent-Replayed") == NULL);
	http_resp_free(&r);
	ck_assert_int_eq(objections(&e, idl_demo.resident_id,
	    "case_notifications"), 0);
	/* One byte more is another body too. */
	ireq(&e, "POST", OBJ, at, "k-other", OBJ_SERVICE " ", &r);
	json_decref(harness_assert_problem(&r, 422, "/problems/validation",
	    NULL));
	http_resp_free(&r);
	/* Another path under the same key: 422, no restriction. */
	ireq(&e, "POST", "/api/v1/me/restriction", at, "k-other", NULL, &r);
	json_decref(harness_assert_problem(&r, 422, "/problems/validation",
	    NULL));
	http_resp_free(&r);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.restrictions WHERE account_id = '%s'",
	    idl_demo.resident_id), 0);
	/* The first request's answer is still the key's. */
	ireq(&e, "POST", OBJ, at, "k-other", OBJ_SERVICE, &r);
	assert_replay(&r1, &r, "the first request after the refusals");
	http_resp_free(&r);
	ck_assert_int_eq(objections(&e, idl_demo.resident_id, "service"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.requests"), 1);
	/* The restriction itself works: the 422 came from the key. */
	ireq(&e, "POST", "/api/v1/me/restriction", at, NULL, NULL, &r);
	ck_assert_msg(r.status == 201, "restriction: %ld %s", r.status,
	    r.body);
	http_resp_free(&r);
	http_resp_free(&r1);
	free(at);
	idl_stop(&e);
}
END_TEST

/* A POST in a child process; its status comes back through a pipe. */
struct inflight {
	pid_t	 pid;
	int	 fd;
};

static void
inflight_start(struct inflight *f, const struct idenv *e, const char *token,
    const char *key, const char *body)
{
	struct http_resp r;
	const char	*h[4];
	char		*auth, *kh;
	long		 st = -1;
	int		 p[2];

	ck_assert(pipe(p) == 0);
	auth = harness_printf("Authorization: Bearer %s", token);
	kh = harness_printf("Idempotency-Key: %s", key);
	h[0] = auth;
	h[1] = "Content-Type: application/json";
	h[2] = kh;
	h[3] = NULL;
	f->pid = fork();
	ck_assert(f->pid != -1);
	if (f->pid == 0) {
		/* No Check assertion here: the parent judges. */
		close(p[0]);
		harness_http_timeout_ms = 30000;
		if (harness_http(&e->s, "POST", OBJ, h, body, strlen(body),
		    &r) == 0)
			st = r.status;
		if (write(p[1], &st, sizeof(st)) != sizeof(st))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	f->fd = p[0];
	free(auth);
	free(kh);
}

static long
inflight_wait(struct inflight *f)
{
	long	 st = -1;
	int	 status;

	if (read(f->fd, &st, sizeof(st)) != sizeof(st))
		st = -1;
	close(f->fd);
	waitpid(f->pid, &status, 0);
	return (st);
}

/*
 * The first request held for real: the objection locks the person's
 * account row (FOR NO KEY UPDATE); a session here holds a stronger lock
 * on it, so the first request waits inside its handler, its key claimed,
 * while the second one comes.
 */
START_TEST(test_still_running)
{
	struct idenv	 e;
	struct http_resp r1, r;
	struct inflight	 f;
	PGconn		*c;
	PGresult	*res;
	char		*at, *sql;
	long		 st, n = 0;
	int		 i;

	at = idl_start_resident(&e, NULL);
	c = PQconnectdb(e.db);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	res = PQexec(c, "BEGIN");
	PQclear(res);
	sql = harness_printf("SELECT 1 FROM identity.accounts WHERE id = '%s' "
	    "FOR UPDATE", idl_demo.resident_id);
	res = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1, "lock: %s", PQerrorMessage(c));
	PQclear(res);
	free(sql);
	inflight_start(&f, &e, at, "k-live", OBJ_SERVICE);
	/* Claimed: the handler runs (and waits for the lock). */
	for (i = 0; i < 400; i++) {
		n = idl_sql_count(&e,
		    "SELECT count(*) FROM ops.idempotency_keys "
		    "WHERE key = 'k-live' AND status IS NULL");
		if (n == 1)
			break;
		harness_sleep_ms(10);
	}
	ck_assert_msg(n == 1, "the first request never claimed its key");
	ireq(&e, "POST", OBJ, at, "k-live", OBJ_SERVICE, &r);
	assert_running(&r, "the same request while the first runs");
	http_resp_free(&r);
	res = PQexec(c, "ROLLBACK");
	PQclear(res);
	PQfinish(c);
	st = inflight_wait(&f);
	ck_assert_msg(st == 201, "the first request ended with %ld", st);
	ck_assert_int_eq(objections(&e, idl_demo.resident_id, "service"), 1);
	/* Once it is done, its answer comes back. */
	ireq(&e, "POST", OBJ, at, "k-live", OBJ_SERVICE, &r1);
	ck_assert_msg(r1.status == 201 && http_resp_header(&r1,
	    "Idempotent-Replayed") != NULL, "after the first request: %ld %s",
	    r1.status, r1.body);
	http_resp_free(&r1);
	ck_assert_int_eq(objections(&e, idl_demo.resident_id, "service"), 1);

	/*
	 * A claim written here, as a running request leaves it.  Its hash
	 * is no real request's: while a key's first request runs, any
	 * request under that key is told to wait (409), whatever it holds;
	 * 422 is for a key whose first request is done.
	 */
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO ops.idempotency_keys "
	    "(scope, key, method, path, request_hash, created_at) VALUES "
	    "('person:%s', 'k-running', 'POST', '" OBJ "', '\\x00', now())",
	    idl_demo.resident_id), 0);
	ireq(&e, "POST", OBJ, at, "k-running", OBJ_NOTICES, &r);
	assert_running(&r, "a claim of a few seconds");
	http_resp_free(&r);
	ck_assert_int_eq(objections(&e, idl_demo.resident_id,
	    "case_notifications"), 0);

	/* Two minutes without an answer: the request died; taken over. */
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO ops.idempotency_keys "
	    "(scope, key, method, path, request_hash, created_at) VALUES "
	    "('person:%s', 'k-stale', 'POST', '" OBJ "', '\\x00', now() - "
	    "interval '2 minutes')", idl_demo.resident_id), 0);
	ireq(&e, "POST", OBJ, at, "k-stale", OBJ_NOTICES, &r1);
	assert_fresh(&r1, 201, "a claim of two minutes, taken over");
	ck_assert_int_eq(objections(&e, idl_demo.resident_id,
	    "case_notifications"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys WHERE key = 'k-stale' AND status = 201"), 1);
	ireq(&e, "POST", OBJ, at, "k-stale", OBJ_NOTICES, &r);
	assert_replay(&r1, &r, "the request that took over, again");
	http_resp_free(&r);
	http_resp_free(&r1);
	ck_assert_int_eq(objections(&e, idl_demo.resident_id,
	    "case_notifications"), 1);
	free(at);
	idl_stop(&e);
}
END_TEST

/* One key value, three callers: three requests run. */
START_TEST(test_keys_per_caller)
{
	struct idenv	 e;
	struct http_resp r1, r2, r3;
	char		*res, *other, *other_at, *dpo, *body;
	json_t		*j1, *j2;

	idl_start_new(&e, NULL);
	other = idl_register(&e, "other-3008@example.org", GOOD_PASSWORD);
	other_at = idl_login_ok(&e, "other-3008@example.org", GOOD_PASSWORD,
	    NULL);
	res = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD,
	    NULL);
	dpo = idl_login_admin(&e);
	ireq(&e, "POST", OBJ, res, "shared-key", OBJ_SERVICE, &r1);
	assert_fresh(&r1, 201, "the resident's objection");
	ireq(&e, "POST", OBJ, other_at, "shared-key", OBJ_SERVICE, &r2);
	assert_fresh(&r2, 201, "another person's objection, same key and body");
	j1 = harness_json(&r1);
	j2 = harness_json(&r2);
	ck_assert_msg(j1 != NULL && j2 != NULL && idl_jstr(j1, "id") != NULL &&
	    idl_jstr(j2, "id") != NULL && strcmp(idl_jstr(j1, "id"),
	    idl_jstr(j2, "id")) != 0, "one objection for two people:\n%s\n%s",
	    r1.body, r2.body);
	json_decref(j1);
	json_decref(j2);
	ck_assert_int_eq(objections(&e, idl_demo.resident_id, "service"), 1);
	ck_assert_int_eq(objections(&e, other, "service"), 1);
	/* Another path too: not the resident's key, so not a 422. */
	body = request_body("access");
	ireq(&e, "POST", REQS, dpo, "shared-key", body, &r3);
	assert_fresh(&r3, 201, "the DPO's request under the same key");
	ck_assert_int_eq(idl_sql_count(&e,
	    "SELECT count(*) FROM privacy.requests "
	    "WHERE kind = 'access'"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys WHERE key = 'shared-key'"), 3);
	http_resp_free(&r1);
	http_resp_free(&r2);
	http_resp_free(&r3);
	free(body);
	free(dpo);
	free(res);
	free(other_at);
	free(other);
	idl_stop(&e);
}
END_TEST

/* Keys are kept per caller: an anonymous caller has none. */
START_TEST(test_anonymous_refused)
{
	struct idenv	 e;
	struct http_resp r;
	const char	*reg = "{\"email\":\"anon-3008@example.org\","
			    "\"password\":\"" GOOD_PASSWORD "\","
			    "\"display_name\":\"Anon Ymous\","
			    "\"profile_kind\":\"permanent_resident\"}";
	const char	*reset = "{\"email\":\"" IDL_RESIDENT_EMAIL "\"}";

	idl_start_new(&e, NULL);
	ireq(&e, "POST", "/api/v1/accounts", NULL, "reg-1", reg, &r);
	assert_bad_request(&r, "registration with a key");
	http_resp_free(&r);
	ck_assert_int_eq(idl_sql_count(&e,
	    "SELECT count(*) FROM identity.accounts "
	    "WHERE email = 'anon-3008@example.org'"), 0);
	ireq(&e, "POST", "/api/v1/auth/password-reset", NULL, "reset-1", reset,
	    &r);
	assert_bad_request(&r, "password reset with a key");
	http_resp_free(&r);
	ck_assert_int_eq(idl_sql_count(&e,
	    "SELECT count(*) FROM ops.outbox WHERE "
	    "recipient = '" IDL_RESIDENT_EMAIL "' AND template = "
	    "'reset_password'"), 0);
	ck_assert_int_eq(keys_kept(&e), 0);
	/* The same requests without the key run: the key was the reason. */
	fresh(&e, "POST", "/api/v1/accounts", NULL, NULL, reg, 201,
	    "registration without a key");
	fresh(&e, "POST", "/api/v1/auth/password-reset", NULL, NULL, reset, 202,
	    "password reset without a key");
	ck_assert_int_eq(idl_sql_count(&e,
	    "SELECT count(*) FROM ops.outbox WHERE "
	    "recipient = '" IDL_RESIDENT_EMAIL "' AND template = "
	    "'reset_password'"), 1);
	idl_stop(&e);
}
END_TEST

/* The answer of POST /api/v1/me/totp is a secret: never stored. */
START_TEST(test_secret_answer_refused)
{
	struct idenv	 e;
	struct http_resp r;
	char		*at;

	idl_start_new(&e, NULL);
	at = idl_login_ok(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, NULL);
	ck_assert_int_eq(idl_sql_count(&e,
	    "SELECT count(*) FROM identity.agents "
	    "WHERE account_id = '%s' AND totp_secret IS NULL",
	    idl_demo.agent_id), 1);
	ireq(&e, "POST", "/api/v1/me/totp", at, "totp-1", NULL, &r);
	assert_bad_request(&r, "TOTP enrolment with a key");
	ck_assert_msg(strstr(r.body, "secret\":") == NULL &&
	    strstr(r.body, "otpauth") == NULL, "a secret in the refusal: %s",
	    r.body);
	http_resp_free(&r);
	ck_assert_int_eq(idl_sql_count(&e,
	    "SELECT count(*) FROM identity.agents "
	    "WHERE account_id = '%s' AND totp_secret IS NULL",
	    idl_demo.agent_id), 1);
	ck_assert_int_eq(keys_kept(&e), 0);
	/* Without the key, the enrolment starts. */
	fresh(&e, "POST", "/api/v1/me/totp", at, NULL, NULL, 201,
	    "TOTP enrolment without a key");
	ck_assert_int_eq(idl_sql_count(&e,
	    "SELECT count(*) FROM identity.agents "
	    "WHERE account_id = '%s' AND totp_secret IS NOT NULL",
	    idl_demo.agent_id), 1);
	ck_assert_int_eq(keys_kept(&e), 0);
	free(at);
	idl_stop(&e);
}
END_TEST

/* GET, PUT, PATCH and DELETE: the header is not looked at. */
START_TEST(test_other_methods_ignore_key)
{
	struct idenv	 e;
	char		*at;

	at = idl_start_resident(&e, NULL);
	fresh(&e, "GET", "/api/v1/me", at, "k-get", NULL, 200,
	    "GET with a key");
	fresh(&e, "GET", "/api/v1/me", at, "k-get", NULL, 200,
	    "GET with the key again");
	/* Not even read: a key a POST would refuse. */
	fresh(&e, "GET", "/api/v1/me", at, "two words", NULL, 200,
	    "GET with an invalid key");
	/* One key, two different PATCHes: both done. */
	fresh(&e, "PATCH", "/api/v1/me", at, "k-write",
	    "{\"display_name\":\"First Name\"}", 200, "PATCH with a key");
	applied(&e, "PATCH", "/api/v1/me", at, "k-write",
	    "{\"display_name\":\"Second Name\"}", "display_name",
	    "Second Name", "another PATCH with the same key");
	/* PUT and DELETE under that key as well. */
	fresh(&e, "PUT", "/api/v1/me/consents/newsletter", at, "k-write", NULL,
	    200, "PUT with the key");
	applied(&e, "DELETE", "/api/v1/me/consents/newsletter", at, "k-write",
	    NULL, "state", "withdrawn", "DELETE with the key");
	ck_assert_int_eq(keys_kept(&e), 0);
	free(at);
	idl_stop(&e);
}
END_TEST

/*
 * A handler's refusal is an answer like any other: replayed, even once
 * the request would now succeed.
 */
START_TEST(test_handler_problems_replayed)
{
	struct idenv	 e;
	struct http_resp r1, r;
	const char	*stats = "{\"purpose\":\"visitor_statistics\"}";
	const char	*unknown = "{\"purpose\":\"no_such_purpose\"}";
	char		*at, *dpo;
	json_t		*j;

	at = idl_start_resident(&e, NULL);
	/* 409: a purpose that rests on consent is withdrawn, not objected. */
	ireq(&e, "POST", OBJ, at, "k-409", stats, &r1);
	assert_fresh(&r1, 409, "objection to a consent purpose");
	json_decref(harness_assert_problem(&r1, 409, "/problems/conflict",
	    NULL));
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys WHERE key = 'k-409' AND status = 409"), 1);
	/* Now an objection would be accepted... */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE privacy.purposes SET "
	    "legal_basis = 'public_task', version = version + 1 WHERE code = "
	    "'visitor_statistics'"), 0);
	/* ...but the key's answer is the first one, byte for byte. */
	ireq(&e, "POST", OBJ, at, "k-409", stats, &r);
	assert_replay(&r1, &r, "the 409 again");
	http_resp_free(&r);
	ck_assert_int_eq(objections(&e, idl_demo.resident_id,
	    "visitor_statistics"), 0);
	/* Without the key it runs, and succeeds. */
	fresh(&e, "POST", OBJ, at, NULL, stats, 201,
	    "the objection without the key");
	http_resp_free(&r1);
	ck_assert_int_eq(objections(&e, idl_demo.resident_id,
	    "visitor_statistics"), 1);

	/* 422 from the handler (the schema only checks the length)... */
	ireq(&e, "POST", OBJ, at, "k-422", unknown, &r1);
	assert_fresh(&r1, 422, "objection to an unknown purpose");
	j = harness_assert_problem(&r1, 422, "/problems/validation", NULL);
	ck_assert_msg(idl_error_for(j, "/purpose") != NULL, "%s", r1.body);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys WHERE key = 'k-422' AND status = 422"), 1);
	/* ...stays the key's answer once the purpose exists. */
	idl_purpose_add(&e, "no_such_purpose", "public_task");
	ireq(&e, "POST", OBJ, at, "k-422", unknown, &r);
	assert_replay(&r1, &r, "the 422 again");
	http_resp_free(&r);
	http_resp_free(&r1);
	ck_assert_int_eq(objections(&e, idl_demo.resident_id,
	    "no_such_purpose"), 0);
	fresh(&e, "POST", OBJ, at, NULL, unknown, 201,
	    "the objection to the purpose now known, without the key");
	ck_assert_int_eq(objections(&e, idl_demo.resident_id,
	    "no_such_purpose"), 1);

	/* 404 from a handler: the DPO lifts the restriction of nobody. */
	dpo = idl_login_admin(&e);
	ireq(&e, "POST", NOBODY_LIFT, dpo, "k-404", NULL, &r1);
	assert_fresh(&r1, 404, "lifting nobody's restriction");
	json_decref(harness_assert_problem(&r1, 404, "/problems/not-found",
	    NULL));
	ireq(&e, "POST", NOBODY_LIFT, dpo, "k-404", NULL, &r);
	assert_replay(&r1, &r, "the 404 again");
	http_resp_free(&r);
	http_resp_free(&r1);
	free(dpo);
	free(at);
	idl_stop(&e);
}
END_TEST

/*
 * A 503 is worth retrying: not stored, and the retry runs.  Provoked by a
 * trigger that fails every insert of a rights request with a
 * serialization failure (40001), which guichetd retries, then answers
 * 503.
 */
START_TEST(test_unavailable_not_stored)
{
	struct idenv	 e;
	struct http_resp r1, r;
	char		*at;

	at = idl_start_resident(&e, NULL);
	idl_fail_on(&e, "INSERT", "privacy.requests");
	ireq(&e, "POST", OBJ, at, "k-503", OBJ_SERVICE, &r);
	ck_assert_msg(r.status == 503, "with the failing trigger: %ld %s",
	    r.status, r.body);
	ck_assert(http_resp_header(&r, "Idempotent-Replayed") == NULL);
	http_resp_free(&r);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys WHERE key = 'k-503' AND status IS NOT NULL"),
	    0);
	idl_fail_off(&e, "privacy.requests");
	/* The retry at once: it runs (no 503 replayed, no 409). */
	ireq(&e, "POST", OBJ, at, "k-503", OBJ_SERVICE, &r1);
	assert_fresh(&r1, 201, "the retry after a 503");
	ck_assert_int_eq(objections(&e, idl_demo.resident_id, "service"), 1);
	ireq(&e, "POST", OBJ, at, "k-503", OBJ_SERVICE, &r);
	assert_replay(&r1, &r, "the retry's answer again");
	http_resp_free(&r);
	http_resp_free(&r1);
	ck_assert_int_eq(objections(&e, idl_demo.resident_id, "service"), 1);
	free(at);
	idl_stop(&e);
}
END_TEST

/* Erasure takes the person's stored answers, and only theirs. */
START_TEST(test_erasure)
{
	struct idenv	 e;
	struct http_resp r;
	char		*p, *pat, *res, *mark, *b1, *b2, *b3, *dpo, *b4;

	idl_start_new(&e, NULL);
	p = idl_register(&e, "erased-3008@example.org", GOOD_PASSWORD);
	pat = idl_login_ok(&e, "erased-3008@example.org", GOOD_PASSWORD, NULL);
	res = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD,
	    NULL);
	mark = idl_marker(20);
	b1 = harness_printf("{\"purpose\":\"service\",\"grounds\":\"%s\"}",
	    mark);
	b2 = harness_printf("{\"purpose\":\"case_notifications\",\"grounds\":"
	    "\"%s\"}", mark);
	b3 = harness_printf("{\"purpose\":\"service\",\"grounds\":\"the "
	    "resident's own\"}");
	fresh(&e, "POST", OBJ, pat, "p-1", b1, 201,
	    "the person's first objection");
	fresh(&e, "POST", OBJ, pat, "p-2", b2, 201,
	    "the person's second objection");
	fresh(&e, "POST", OBJ, res, "p-1", b3, 201, "the resident's objection");
	/* The DPO records a request for the person: their answer names them. */
	dpo = idl_login_admin(&e);
	b4 = harness_printf("{\"account_id\":\"%s\",\"kind\":\"access\"}",
	    p);
	fresh(&e, "POST", REQS, dpo, "dpo-1", b4, 201,
	    "the DPO's request for the person");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys WHERE scope = 'person:%s' AND "
	    "strpos(body, '%s') > 0", idl_demo.admin_id, p), 1);
	ck_assert_int_eq(keys_of(&e, p), 2);
	ck_assert_int_eq(keys_of(&e, idl_demo.resident_id), 1);
	/* The stored answers hold what the person wrote. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys WHERE strpos(body, '%s') > 0", mark), 2);

	ireq(&e, "DELETE", "/api/v1/me", pat, NULL, "{\"password\":\""
	    GOOD_PASSWORD "\"}", &r);
	ck_assert_msg(r.status == 200, "DELETE /api/v1/me: %ld %s", r.status,
	    r.body);
	http_resp_free(&r);
	ck_assert_int_eq(keys_of(&e, p), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys WHERE strpos(body, '%s') > 0", mark), 0);
	/* Staff answers that name the person go with them too. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys WHERE strpos(body, '%s') > 0", p), 0);
	ck_assert_int_eq(keys_of(&e, idl_demo.resident_id), 1);
	/* The resident's key still replays. */
	ireq(&e, "POST", OBJ, res, "p-1", b3, &r);
	ck_assert_msg(r.status == 201 && http_resp_header(&r,
	    "Idempotent-Replayed") != NULL, "the resident's key after another "
	    "person's erasure: %ld %s", r.status, r.body);
	http_resp_free(&r);
	free(b1);
	free(b2);
	free(b3);
	free(b4);
	free(dpo);
	free(mark);
	free(res);
	free(pat);
	free(p);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_key_syntax,
	&test_replay_created,
	&test_replay_objection,
	&test_same_key_other_request,
	&test_still_running,
	&test_keys_per_caller,
	&test_anonymous_refused,
	&test_secret_answer_refused,
	&test_other_methods_ignore_key,
	&test_handler_problems_replayed,
	&test_unavailable_not_stored,
	&test_erasure,
	NULL
};

const struct test_group test_groups[] = {
	{ "idempotency", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL,
	    tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
