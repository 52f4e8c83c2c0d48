/*
 * t3006-clients: partner applications.  guichetctl client add/list/revoke,
 * the client_credentials grant (HTTP Basic and body credentials), scopes
 * (narrowing, refusal), what a client token may not do (act as a person),
 * the per-client rate limit, and a revocation reaching the server at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "base/b64.h"
#include "idlib.h"

#define FROZEN	"2026-12-20T08:30:00Z"

struct client {
	char	 id[40];
	char	 secret[80];
};

/* guichetctl client add, as documented; the id and secret printed. */
static void
ctl_client_add(const struct idenv *e, const char *name, const char *scopes,
    const char *rate, struct client *c)
{
	const char	*args[] = { "client", "add", name, "--scopes", scopes,
	    rate != NULL ? "--rate-limit" : NULL, rate, NULL };
	char		*out = NULL, *err = NULL, *p;
	int		 rc;

	rc = idl_ctl(e->db, 0, args, &out, &err);
	ck_assert_msg(rc == 0, "guichetctl client add exited %d: %s%s", rc,
	    out, err);
	ck_assert_msg((p = strstr(out, "client_id:")) != NULL &&
	    sscanf(p, "client_id: %39s", c->id) == 1, "no client_id: %s", out);
	ck_assert_msg((p = strstr(out, "client_secret:")) != NULL &&
	    sscanf(p, "client_secret: %79s", c->secret) == 1,
	    "no client_secret: %s", out);
	free(out);
	free(err);
}

static void
demo_client(struct client *c)
{
	snprintf(c->id, sizeof(c->id), "%s", idl_demo.client_id);
	snprintf(c->secret, sizeof(c->secret), "%s", idl_demo.client_secret);
}

/* A server and a partner "Lift Co" holding both lift scopes. */
static void
lift_co(struct idenv *e, struct client *c)
{
	idl_start_new(e, NULL);
	ctl_client_add(e, "Lift Co", "lifts:write,incidents:read", NULL, c);
}

static json_t	*check_client_token(const struct http_resp *, const char *,
		    const char *);

/* check_client_token(), then the claims and the response are freed. */
static void
token_ok(struct http_resp *r, const char *id, const char *scope)
{
	json_decref(check_client_token(r, id, scope));
	http_resp_free(r);
}

/* client_credentials with HTTP Basic; 'scope' may be NULL. */
static long
token_basic(const struct idenv *e, const char *id, const char *secret,
    const char *scope, struct http_resp *r)
{
	char		 b64[256];
	const char	*h[3];
	char		*pair, *auth, *form, *sc;
	long		 st;

	pair = harness_printf("%s:%s", id, secret);
	ck_assert_uint_lt(B64_LEN(strlen(pair)), sizeof(b64));
	b64_encode(pair, strlen(pair), b64);
	auth = harness_printf("Authorization: Basic %s", b64);
	h[0] = "Content-Type: application/x-www-form-urlencoded";
	h[1] = auth;
	h[2] = NULL;
	sc = scope != NULL ? idl_urlencode(scope) : NULL;
	form = harness_printf("grant_type=client_credentials%s%s",
	    sc ? "&scope=" : "", sc ? sc : "");
	st = idl_reqh(e, "POST", "/api/v1/auth/token", h, form, r);
	free(pair);
	free(auth);
	free(form);
	free(sc);
	return (st);
}

/* client_credentials with the credentials in a form body. */
static long
token_body(const struct idenv *e, const char *id, const char *secret,
    const char *scope, struct http_resp *r)
{
	char	*form, *sc;
	long	 st;

	sc = scope != NULL ? idl_urlencode(scope) : NULL;
	form = harness_printf("grant_type=client_credentials&client_id=%s&"
	    "client_secret=%s%s%s", id, secret, sc ? "&scope=" : "",
	    sc ? sc : "");
	st = idl_form(e, "/api/v1/auth/token", form, r);
	free(form);
	free(sc);
	return (st);
}

/* A client's access token (asserted). */
static char *
client_token(const struct idenv *e, const struct client *c)
{
	struct http_resp r;
	json_t		*j;
	char		*at;

	token_body(e, c->id, c->secret, NULL, &r);
	ck_assert_msg(r.status == 200, "client token: %ld %s", r.status,
	    r.body);
	j = harness_json(&r);
	at = strdup(idl_jstr(j, "access_token"));
	json_decref(j);
	http_resp_free(&r);
	return (at);
}

/* The space-separated 'scope' is exactly the set 'want' (space list). */
static int
same_scopes(const char *scope, const char *want)
{
	char	*a, *b, *t, *save = NULL;
	int	 na = 0, nb = 0, ok = 1;

	if (scope == NULL)
		return (0);
	a = strdup(scope);
	b = strdup(want);
	for (t = strtok_r(a, " ", &save); t != NULL; t = strtok_r(NULL, " ",
	    &save)) {
		char	*pad = harness_printf(" %s ", t), *wp;

		wp = harness_printf(" %s ", want);
		if (strstr(wp, pad) == NULL)
			ok = 0;
		free(pad);
		free(wp);
		na++;
	}
	for (t = strtok_r(b, " ", &save); t != NULL; t = strtok_r(NULL, " ",
	    &save))
		nb++;
	free(a);
	free(b);
	return (ok && na == nb);
}

/* A token response for a client: checked, the claims returned. */
static json_t *
check_client_token(const struct http_resp *r, const char *id,
    const char *scopes)
{
	json_t		*j, *c;
	const char	*cc;

	ck_assert_msg(r->status == 200, "status %ld: %s", r->status, r->body);
	cc = http_resp_header(r, "Cache-Control");
	ck_assert_msg(cc != NULL && strstr(cc, "no-store") != NULL,
	    "Cache-Control %s", cc ? cc : "(none)");
	j = harness_json(r);
	ck_assert_msg(j != NULL, "not JSON");
	ck_assert_str_eq(idl_jstr(j, "token_type"), "Bearer");
	ck_assert_msg(json_integer_value(json_object_get(j, "expires_in")) ==
	    900, "expires_in: %s", r->body);
	ck_assert_msg(json_object_get(j, "refresh_token") == NULL,
	    "a client got a refresh token: %s", r->body);
	ck_assert_msg(same_scopes(idl_jstr(j, "scope"), scopes),
	    "scope is %s, expected %s", idl_jstr(j, "scope"), scopes);
	c = idl_jwt_json(idl_jstr(j, "access_token"), 1);
	ck_assert_msg(c != NULL, "the token does not decode");
	ck_assert_str_eq(idl_jstr(c, "kind"), "client");
	ck_assert_str_eq(idl_jstr(c, "sub"), id);
	ck_assert_msg(same_scopes(idl_jstr(c, "scope"), scopes),
	    "the token's scope is %s, expected %s", idl_jstr(c, "scope"),
	    scopes);
	ck_assert_msg(!json_is_true(json_object_get(c, "mfa")), "mfa");
	json_decref(j);
	return (c);
}

static long
healthz_with(const struct idenv *e, const char *at, struct http_resp *r)
{
	return (idl_req(e, "GET", "/healthz", at, NULL, r));
}

static long
healthz_status(const struct idenv *e, const char *at)
{
	struct http_resp r;
	long		 st;

	st = healthz_with(e, at, &r);
	http_resp_free(&r);
	return (st);
}

START_TEST(test_ctl_client_add)
{
	const char	*list[] = { "client", "list", NULL };
	struct idenv	 e;
	struct client	 c;
	char		*h, *v, *out = NULL, *err = NULL;
	size_t		 i;

	idl_start_new(&e, NULL);
	ctl_client_add(&e, "Lift Co", "lifts:write,incidents:read", "5", &c);
	ck_assert_msg(strncmp(c.id, "cl_", 3) == 0 && strlen(c.id) == 19,
	    "client id %s", c.id);
	for (i = 3; i < strlen(c.id); i++)
		ck_assert_msg(strchr("0123456789abcdef", c.id[i]) != NULL,
		    "client id %s", c.id);
	ck_assert_msg(strlen(c.secret) >= 43, "secret of %zu characters",
	    strlen(c.secret));
	h = idl_sql(&e, "SELECT secret_hash FROM identity.clients WHERE id = "
	    "'%s'", c.id);
	ck_assert_msg(h != NULL && strstr(h, c.secret) == NULL,
	    "the secret is stored as it is");
	free(h);
	v = idl_sql(&e, "SELECT rate_limit || ' ' || array_to_string(scopes, "
	    "',') FROM identity.clients WHERE id = '%s'", c.id);
	ck_assert_msg(v != NULL && strcmp(v, "5 lifts:write,incidents:read") ==
	    0, "stored: %s", v ? v : "(none)");
	free(v);
	/* Shown once: the list never shows it. */
	ck_assert_int_eq(idl_ctl(e.db, 0, list, &out, &err), 0);
	ck_assert_msg(strstr(out, c.id) != NULL, "not listed:\n%s", out);
	ck_assert_msg(strstr(out, c.secret) == NULL, "the list shows the "
	    "secret");
	free(out);
	free(err);
	idl_stop(&e);
}
END_TEST

START_TEST(test_client_credentials_basic)
{
	struct idenv	 e;
	struct client	 c;
	struct http_resp r;

	lift_co(&e, &c);
	token_basic(&e, c.id, c.secret, NULL, &r);
	token_ok(&r, c.id, "lifts:write incidents:read");
	idl_stop(&e);
}
END_TEST

START_TEST(test_client_credentials_body)
{
	struct idenv	 e;
	struct client	 c;
	struct http_resp r;
	json_t		*in;
	char		*body;

	lift_co(&e, &c);
	token_body(&e, c.id, c.secret, NULL, &r);
	token_ok(&r, c.id, "lifts:write incidents:read");
	/* And as JSON. */
	in = json_pack("{s:s, s:s, s:s}", "grant_type", "client_credentials",
	    "client_id", c.id, "client_secret", c.secret);
	body = json_dumps(in, JSON_COMPACT);
	json_decref(in);
	idl_req(&e, "POST", "/api/v1/auth/token", NULL, body, &r);
	token_ok(&r, c.id, "lifts:write incidents:read");
	free(body);
	idl_stop(&e);
}
END_TEST

static void
expect_invalid_client(const struct http_resp *r, const char *what)
{
	json_t		*j;
	const char	*www;

	ck_assert_msg(r->status == 401, "%s: status %ld: %s", what, r->status,
	    r->body);
	j = harness_json(r);
	ck_assert_msg(j != NULL && idl_jstr(j, "error") != NULL &&
	    strcmp(idl_jstr(j, "error"), "invalid_client") == 0,
	    "%s: error is not invalid_client: %s", what, r->body);
	json_decref(j);
	www = http_resp_header(r, "WWW-Authenticate");
	ck_assert_msg(www != NULL && www[0] != '\0', "%s: 401 without "
	    "WWW-Authenticate", what);
	ck_assert_msg(strstr(r->body, "access_token") == NULL, "%s: a token",
	    what);
}

START_TEST(test_wrong_secret)
{
	struct idenv	 e;
	struct client	 c;
	struct http_resp r1, r2, r3;

	idl_start_new(&e, NULL);
	ctl_client_add(&e, "Lift Co", "lifts:write", NULL, &c);
	token_body(&e, c.id, "wrong-secret-wrong-secret-wrong-secret-00",
	    NULL, &r1);
	expect_invalid_client(&r1, "wrong secret in the body");
	token_basic(&e, c.id, "wrong-secret-wrong-secret-wrong-secret-00",
	    NULL, &r2);
	expect_invalid_client(&r2, "wrong secret in Basic");
	token_body(&e, "cl_0000000000000000", c.secret, NULL, &r3);
	expect_invalid_client(&r3, "unknown client");
	/* Nothing tells an unknown client from a wrong secret. */
	idl_assert_same_body(&r1, &r3, "an unknown client and a wrong secret");
	http_resp_free(&r1);
	http_resp_free(&r2);
	http_resp_free(&r3);
	idl_stop(&e);
}
END_TEST

START_TEST(test_scope_subset)
{
	struct idenv	 e;
	struct client	 c;
	struct http_resp r;

	lift_co(&e, &c);
	token_body(&e, c.id, c.secret, "lifts:write", &r);
	token_ok(&r, c.id, "lifts:write");
	token_basic(&e, c.id, c.secret, "incidents:read", &r);
	token_ok(&r, c.id, "incidents:read");
	idl_stop(&e);
}
END_TEST

START_TEST(test_scope_not_granted)
{
	struct idenv	 e;
	struct client	 c;
	struct http_resp r;
	json_t		*j;

	lift_co(&e, &c);
	token_body(&e, c.id, c.secret, "cases:read", &r);
	ck_assert_msg(r.status == 400, "status %ld: %s", r.status, r.body);
	j = harness_json(&r);
	ck_assert_msg(j != NULL && idl_jstr(j, "error") != NULL &&
	    strcmp(idl_jstr(j, "error"), "invalid_scope") == 0, "error: %s",
	    r.body);
	ck_assert_msg(idl_jstr(j, "access_token") == NULL, "a token");
	json_decref(j);
	http_resp_free(&r);
	idl_stop(&e);
}
END_TEST

START_TEST(test_ctl_client_list)
{
	const char	*list[] = { "client", "list", NULL };
	struct idenv	 e;
	struct client	 c;
	char		*out = NULL, *err = NULL, *line, *eol;

	idl_start_new(&e, NULL);
	ctl_client_add(&e, "Shuttle Partner", "shuttles:write", "42", &c);
	ck_assert_int_eq(idl_ctl(e.db, 0, list, &out, &err), 0);
	line = strstr(out, c.id);
	ck_assert_msg(line != NULL, "not listed:\n%s", out);
	if ((eol = strchr(line, '\n')) != NULL)
		*eol = '\0';
	ck_assert_msg(strstr(line, "active") != NULL &&
	    strstr(line, "42") != NULL && strstr(line, "Shuttle Partner") !=
	    NULL && strstr(line, "shuttles:write") != NULL, "its line: %s",
	    line);
	ck_assert_msg(strstr(out, idl_demo.client_id) != NULL, "the demo "
	    "client is not listed");
	free(out);
	free(err);
	idl_stop(&e);
}
END_TEST

START_TEST(test_client_token_not_a_person)
{
	struct idenv	 e;
	struct client	 c;
	struct http_resp r;
	char		*at;

	idl_start_new(&e, NULL);
	demo_client(&c);
	at = client_token(&e, &c);
	idl_req(&e, "GET", "/api/v1/me", at, NULL, &r);
	json_decref(harness_assert_problem(&r, 403, "/problems/forbidden",
	    "/api/v1/me"));
	http_resp_free(&r);
	idl_req(&e, "PATCH", "/api/v1/me", at, "{\"display_name\":\"x\"}", &r);
	ck_assert_msg(r.status == 403, "PATCH /me: status %ld", r.status);
	http_resp_free(&r);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_rate_limit)
{
	struct idenv	 e;
	struct client	 c, d;
	struct http_resp r;
	const char	*ra;
	char		*at, *at2, *end;
	long		 secs;
	int		 i;

	/* A frozen clock: the minute cannot turn during the test. */
	idl_start_new(&e, FROZEN);
	ctl_client_add(&e, "Lift Co", "lifts:write,incidents:read", "5", &c);
	at = client_token(&e, &c);
	for (i = 1; i <= 5; i++)
		ck_assert_msg(healthz_status(&e, at) == 200, "request %d "
		    "refused", i);
	healthz_with(&e, at, &r);
	json_decref(harness_assert_problem(&r, 429,
	    "/problems/too-many-requests", "/healthz"));
	ra = http_resp_header(&r, "Retry-After");
	ck_assert_msg(ra != NULL, "429 without Retry-After");
	secs = strtol(ra, &end, 10);
	ck_assert_msg(*end == '\0' && secs >= 1 && secs <= 60,
	    "Retry-After %s", ra);
	http_resp_free(&r);
	/* The limit is the client's: another client is not held back. */
	demo_client(&d);
	at2 = client_token(&e, &d);
	ck_assert_int_eq(healthz_status(&e, at2), 200);
	/* Nor anyone without a token. */
	ck_assert_int_eq(healthz_status(&e, NULL), 200);
	free(at);
	free(at2);
	idl_stop(&e);
}
END_TEST

START_TEST(test_revoke)
{
	const char	*list[] = { "client", "list", NULL };
	struct idenv	 e;
	struct client	 c;
	struct http_resp r;
	char		*at, *out = NULL, *err = NULL, *line, *eol;
	int		 rc;

	idl_start_new(&e, NULL);
	demo_client(&c);
	at = client_token(&e, &c);
	ck_assert_int_eq(healthz_status(&e, at), 200);
	ck_assert_int_eq(healthz_status(&e, at), 200);
	{
		const char	*args[] = { "client", "revoke", c.id, NULL };

		rc = idl_ctl(e.db, 0, args, &out, &err);
	}
	ck_assert_msg(rc == 0, "guichetctl client revoke exited %d: %s%s", rc,
	    out, err);
	free(out);
	free(err);
	idl_refused_at_once(&e, "/healthz", at, "guichetctl client revoke");
	token_body(&e, c.id, c.secret, NULL, &r);
	expect_invalid_client(&r, "a new token for a revoked client");
	http_resp_free(&r);
	ck_assert_int_eq(idl_ctl(e.db, 0, list, &out, &err), 0);
	line = strstr(out, c.id);
	ck_assert_msg(line != NULL, "not listed:\n%s", out);
	if ((eol = strchr(line, '\n')) != NULL)
		*eol = '\0';
	ck_assert_msg(strstr(line, "revoked") != NULL, "its line: %s", line);
	free(out);
	free(err);
	free(at);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_ctl_client_add,
	&test_client_credentials_basic,
	&test_client_credentials_body,
	&test_wrong_secret,
	&test_scope_subset,
	&test_scope_not_granted,
	&test_ctl_client_list,
	&test_client_token_not_a_person,
	&test_rate_limit,
	&test_revoke,
	NULL
};

const struct test_group test_groups[] = {
	{ "clients", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
