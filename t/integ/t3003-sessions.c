/*
 * t3003-sessions: the OAuth2 token endpoint for people: the token
 * response and the access token's claims, refresh token rotation and
 * reuse detection, logout (one session, everywhere), a password change
 * ending every session (reference B3), and the OAuth2 errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idlib.h"

/* The refresh grant (JSON); the status, new tokens on 200. */
static long
refresh(const struct idenv *e, const char *rt, char **at, char **rt2,
    char **error)
{
	json_t	*j;
	long	 st;

	j = idl_sendj(e, "POST", "/api/v1/auth/token", NULL,
	    json_pack("{s:s, s:s}", "grant_type", "refresh_token",
	    "refresh_token", rt), &st);
	if (at != NULL)
		*at = idl_jstr(j, "access_token") != NULL ?
		    strdup(idl_jstr(j, "access_token")) : NULL;
	if (rt2 != NULL)
		*rt2 = idl_jstr(j, "refresh_token") != NULL ?
		    strdup(idl_jstr(j, "refresh_token")) : NULL;
	if (error != NULL)
		*error = idl_jstr(j, "error") != NULL ?
		    strdup(idl_jstr(j, "error")) : NULL;
	json_decref(j);
	return (st);
}

static void
expect_invalid_grant(const struct idenv *e, const char *rt, const char *what)
{
	char	*err = NULL;
	long	 st;

	st = refresh(e, rt, NULL, NULL, &err);
	ck_assert_msg(st == 400 && err != NULL &&
	    strcmp(err, "invalid_grant") == 0, "%s: status %ld, error %s, "
	    "expected 400 invalid_grant", what, st, err ? err : "(none)");
	free(err);
}

/* An OAuth2 error answer: status, error code, JSON. */
static void
expect_oauth_error(const struct http_resp *r, long status, const char *code)
{
	json_t	*j;

	ck_assert_msg(r->status == status, "status %ld, expected %ld: %s",
	    r->status, status, r->body);
	j = harness_json(r);
	ck_assert_msg(j != NULL && idl_jstr(j, "error") != NULL &&
	    strcmp(idl_jstr(j, "error"), code) == 0, "error is not %s: %s",
	    code, r->body);
	json_decref(j);
}

/* POST to the token endpoint: a form, or a JSON body. */
static void
token_request(const struct idenv *e, int form, const char *body,
    struct http_resp *r)
{
	if (form)
		idl_form(e, "/api/v1/auth/token", body, r);
	else
		idl_req(e, "POST", "/api/v1/auth/token", NULL, body, r);
}

/* Token requests refused with an OAuth2 error, on a server of their own. */
struct grant_error {
	int		 form;
	const char	*body, *error;
};

static void
grant_errors(const struct grant_error *g)
{
	struct idenv	 e;
	struct http_resp r;

	idl_start_new(&e, NULL);
	for (; g->body != NULL; g++) {
		token_request(&e, g->form, g->body, &r);
		expect_oauth_error(&r, 400, g->error);
		http_resp_free(&r);
	}
	idl_stop(&e);
}

/* A person's session: both tokens of a password grant (200). */
struct session {
	char	*at, *rt;
};

static void
sign_in(const struct idenv *e, const char *email, const char *pw,
    struct session *s)
{
	ck_assert_int_eq(idl_login(e, email, pw, NULL, &s->at, &s->rt), 200);
}

static void
session_free(struct session *s)
{
	free(s->at);
	free(s->rt);
}

/* POST /api/v1/auth/logout with 'in' (stolen): the status. */
static long
logout(const struct idenv *e, const char *at, json_t *in)
{
	json_t	*j;
	long	 st;

	j = idl_sendj(e, "POST", "/api/v1/auth/logout", at, in, &st);
	json_decref(j);
	return (st);
}

START_TEST(test_token_response)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j;
	const char	*cc;

	idl_start_new(&e, NULL);
	idl_form(&e, "/api/v1/auth/token", "grant_type=password&username="
	    "resident%40demo.guichet.test&password=demo-resident-2026", &r);
	ck_assert_msg(r.status == 200, "status %ld: %s", r.status, r.body);
	cc = http_resp_header(&r, "Cache-Control");
	ck_assert_msg(cc != NULL && strstr(cc, "no-store") != NULL,
	    "Cache-Control is %s", cc ? cc : "(none)");
	j = harness_json(&r);
	ck_assert_msg(j != NULL, "not JSON: %s", r.body);
	ck_assert_str_eq(idl_jstr(j, "token_type"), "Bearer");
	ck_assert_msg(json_integer_value(json_object_get(j, "expires_in")) ==
	    900, "expires_in is not 900: %s", r.body);
	ck_assert_msg(idl_jstr(j, "access_token") != NULL &&
	    idl_jstr(j, "refresh_token") != NULL, "tokens missing: %s", r.body);
	ck_assert_msg(strlen(idl_jstr(j, "refresh_token")) >= 43,
	    "refresh token of less than 256 bits");
	json_decref(j);
	http_resp_free(&r);
	idl_stop(&e);
}
END_TEST

START_TEST(test_access_token_claims)
{
	struct idenv	 e;
	json_t		*h, *c, *aud;
	unsigned char	*key;
	char		 kid[128];
	char		*at, *tv, *claims;
	size_t		 keylen;
	size_t		 i;
	int		 aud_ok = 0;

	at = idl_start_resident(&e, NULL);
	h = idl_jwt_json(at, 0);
	c = idl_jwt_json(at, 1);
	ck_assert_msg(h != NULL && c != NULL, "the token does not decode");
	ck_assert_msg(idl_keyfile_hs256(harness_key_file(), kid, sizeof(kid),
	    &key, &keylen) == 0, "key file");
	ck_assert_str_eq(idl_jstr(h, "alg"), "HS256");
	ck_assert_msg(idl_jstr(h, "kid") != NULL &&
	    strcmp(idl_jstr(h, "kid"), kid) == 0, "kid is not the signing "
	    "key's %s", kid);
	ck_assert_msg(idl_jstr(h, "typ") != NULL, "no typ header");
	ck_assert_str_eq(idl_jstr(c, "iss"), IDL_ISSUER);
	aud = json_object_get(c, "aud");
	if (json_is_string(aud))
		aud_ok = strcmp(json_string_value(aud), IDL_AUDIENCE) == 0;
	for (i = 0; json_is_array(aud) && i < json_array_size(aud); i++)
		if (json_is_string(json_array_get(aud, i)) &&
		    strcmp(json_string_value(json_array_get(aud, i)),
		    IDL_AUDIENCE) == 0)
			aud_ok = 1;
	ck_assert_msg(aud_ok, "aud does not hold %s", IDL_AUDIENCE);
	ck_assert_str_eq(idl_jstr(c, "sub"), idl_demo.resident_id);
	ck_assert_msg(json_is_integer(json_object_get(c, "exp")) &&
	    json_is_integer(json_object_get(c, "iat")) &&
	    json_integer_value(json_object_get(c, "exp")) -
	    json_integer_value(json_object_get(c, "iat")) == 900,
	    "exp - iat is not 900");
	ck_assert_msg(idl_jstr(c, "jti") != NULL &&
	    strlen(idl_jstr(c, "jti")) >= 16, "no jti");
	tv = idl_sql(&e, "SELECT token_version FROM identity.accounts WHERE "
	    "id = '%s'", idl_demo.resident_id);
	ck_assert_msg(json_is_integer(json_object_get(c, "tv")) &&
	    json_integer_value(json_object_get(c, "tv")) == atoll(tv),
	    "tv is not the account's token version %s", tv);
	ck_assert_str_eq(idl_jstr(c, "kind"), "person");
	ck_assert_msg(json_is_false(json_object_get(c, "mfa")) ||
	    json_object_get(c, "mfa") == NULL, "a resident with mfa");
	/* No personal data in a token anyone can decode. */
	claims = json_dumps(c, 0);
	ck_assert_msg(strstr(claims, "demo.guichet.test") == NULL,
	    "the email is in the token: %s", claims);
	free(claims);
	json_decref(h);
	json_decref(c);
	free(key);
	free(tv);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_refresh_rotation_and_reuse)
{
	struct idenv	 e;
	char		*at1, *rt1, *at2 = NULL, *rt2 = NULL, *log;
	long		 st;

	idl_start_new(&e, NULL);
	ck_assert_int_eq(idl_login(&e, IDL_RESIDENT_EMAIL,
	    IDL_RESIDENT_PASSWORD, NULL, &at1, &rt1), 200);
	st = refresh(&e, rt1, &at2, &rt2, NULL);
	ck_assert_msg(st == 200 && at2 != NULL && rt2 != NULL,
	    "refresh: status %ld", st);
	ck_assert_msg(strcmp(rt1, rt2) != 0, "the refresh token did not "
	    "rotate");
	ck_assert_msg(strcmp(at1, at2) != 0, "the same access token");
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", at2, NULL), 200);
	/* The used token comes back: someone holds a copy... */
	expect_invalid_grant(&e, rt1, "the used refresh token");
	/* ...so the whole family dies, the legitimate newest one too. */
	expect_invalid_grant(&e, rt2, "the newest token of the family after "
	    "a reuse");
	expect_invalid_grant(&e, "not-a-refresh-token", "a made-up token");
	/* Reference B4: no token in the log, access or refresh. */
	log = idl_log(&e);
	ck_assert_msg(idl_count(log, rt1) == 0 && idl_count(log, rt2) == 0,
	    "a refresh token is in the log");
	ck_assert_msg(idl_count(log, strrchr(at1, '.') + 1) == 0 &&
	    idl_count(log, strrchr(at2, '.') + 1) == 0, "an access token is "
	    "in the log");
	free(log);
	free(at1);
	free(rt1);
	free(at2);
	free(rt2);
	idl_stop(&e);
}
END_TEST

/*
 * A refresh is one transaction: when the new token cannot be stored, the
 * one presented is not spent either, so that the client's retry works and
 * is not taken for a reuse (which would end the session).  The same when
 * the person's activity cannot be written.  Provoked by triggers that
 * fail the insert, then the update (503).
 */
START_TEST(test_refresh_atomic)
{
	struct idenv	 e;
	char		*rt1, *rt2 = NULL, *rt3 = NULL;
	long		 st;

	idl_start_new(&e, NULL);
	ck_assert_int_eq(idl_login(&e, IDL_RESIDENT_EMAIL,
	    IDL_RESIDENT_PASSWORD, NULL, NULL, &rt1), 200);
	idl_fail_on(&e, "INSERT", "identity.refresh_tokens");
	st = refresh(&e, rt1, NULL, NULL, NULL);
	ck_assert_msg(st == 503, "the new token not stored: %ld", st);
	idl_fail_off(&e, "identity.refresh_tokens");
	st = refresh(&e, rt1, NULL, &rt2, NULL);
	ck_assert_msg(st == 200 && rt2 != NULL, "the retry: %ld", st);
	ck_assert_int_eq(refresh(&e, rt2, NULL, &rt3, NULL), 200);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.refresh_tokens WHERE revoked_at IS NOT NULL"), 0);
	/* The activity, written when a day old. */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE identity.accounts SET "
	    "last_seen_at = NULL WHERE id = '%s'", idl_demo.resident_id), 0);
	idl_fail_on(&e, "UPDATE OF last_seen_at", "identity.accounts");
	st = refresh(&e, rt3, NULL, NULL, NULL);
	ck_assert_msg(st == 503, "the activity not written: %ld", st);
	idl_fail_off(&e, "identity.accounts");
	ck_assert_int_eq(refresh(&e, rt3, NULL, NULL, NULL), 200);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.accounts WHERE id = '%s' AND last_seen_at IS NOT NULL",
	    idl_demo.resident_id), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.refresh_tokens WHERE revoked_at IS NOT NULL"), 0);
	free(rt1);
	free(rt2);
	free(rt3);
	idl_stop(&e);
}
END_TEST

/*
 * A sign-in is one transaction: when its refresh token cannot be stored,
 * neither the one-time code's step nor the reset of the throttle is
 * written: the same code works for the retry, and the failure counted
 * before still counts until a sign-in succeeds.
 */
START_TEST(test_sign_in_atomic)
{
	struct idenv	 e;
	char		 code[8];

	idl_start_new(&e, NULL);
	ck_assert_int_eq(idl_login(&e, IDL_ADMIN_EMAIL, "not-the-password",
	    NULL, NULL, NULL), 400);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT failures FROM "
	    "identity.auth_throttle WHERE key = identity.throttle_user_key('"
	    IDL_ADMIN_EMAIL "')"), 1);
	idl_otp(&e, IDL_ADMIN_TOTP, code);
	idl_fail_on(&e, "INSERT", "identity.refresh_tokens");
	ck_assert_int_eq(idl_login(&e, IDL_ADMIN_EMAIL, IDL_ADMIN_PASSWORD,
	    code, NULL, NULL), 503);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT failures FROM "
	    "identity.auth_throttle WHERE key = identity.throttle_user_key('"
	    IDL_ADMIN_EMAIL "')"), 1);
	idl_fail_off(&e, "identity.refresh_tokens");
	ck_assert_int_eq(idl_login(&e, IDL_ADMIN_EMAIL, IDL_ADMIN_PASSWORD,
	    code, NULL, NULL), 200);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.auth_throttle"), 0);
	/* Now the code is spent. */
	ck_assert_int_eq(idl_login(&e, IDL_ADMIN_EMAIL, IDL_ADMIN_PASSWORD,
	    code, NULL, NULL), 400);
	idl_stop(&e);
}
END_TEST

START_TEST(test_logout_refresh_token)
{
	struct idenv	 e;
	struct session	 one, two;

	idl_start_new(&e, NULL);
	sign_in(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, &one);
	sign_in(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, &two);
	ck_assert_int_eq(logout(&e, one.at, json_pack("{s:s}",
	    "refresh_token", one.rt)), 204);
	expect_invalid_grant(&e, one.rt, "a logged-out refresh token");
	/* The other session lives on. */
	ck_assert_int_eq(refresh(&e, two.rt, NULL, NULL, NULL), 200);
	session_free(&one);
	session_free(&two);
	idl_stop(&e);
}
END_TEST

/* C2: a refresh token of someone else is not the caller's to revoke. */
START_TEST(test_logout_other_persons_token)
{
	struct idenv	 e;
	struct session	 a, b;
	long		 st;

	idl_start_new(&e, NULL);
	sign_in(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, &a);
	sign_in(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, &b);
	st = logout(&e, a.at, json_pack("{s:s}", "refresh_token", b.rt));
	ck_assert_msg(st == 204 || st == 404 || st == 403, "status %ld", st);
	/* B's session is intact. */
	ck_assert_int_eq(refresh(&e, b.rt, NULL, NULL, NULL), 200);
	session_free(&a);
	session_free(&b);
	idl_stop(&e);
}
END_TEST

START_TEST(test_logout_all)
{
	struct idenv	 e;
	struct session	 one, two;
	char		*at;

	idl_start_new(&e, NULL);
	sign_in(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, &one);
	sign_in(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, &two);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", one.at, NULL),
	    200);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", two.at, NULL),
	    200);
	ck_assert_int_eq(logout(&e, one.at, json_pack("{s:b}", "all", 1)),
	    204);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", one.at, NULL),
	    401);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", two.at, NULL),
	    401);
	expect_invalid_grant(&e, one.rt, "refresh token 1 after logout all");
	expect_invalid_grant(&e, two.rt, "refresh token 2 after logout all");
	/* Signing in again works. */
	at = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", at, NULL), 200);
	free(at);
	session_free(&one);
	session_free(&two);
	idl_stop(&e);
}
END_TEST

START_TEST(test_password_change_ends_sessions)
{
	struct idenv	 e;
	json_t		*j;
	char		*at, *rt, *dump;
	long		 st;

	idl_start_new(&e, NULL);
	ck_assert_int_eq(idl_login(&e, IDL_RESIDENT_EMAIL,
	    IDL_RESIDENT_PASSWORD, NULL, &at, &rt), 200);
	j = idl_sendj(&e, "POST", "/api/v1/me/password", at,
	    json_pack("{s:s, s:s}", "current_password", "wrong-password-0",
	    "new_password", "Changed-Secret-88"), &st);
	dump = json_dumps(j, JSON_COMPACT);
	ck_assert_msg(st == 422 && idl_error_for(j, "/current_password") !=
	    NULL, "wrong current password: status %ld %s", st, dump);
	free(dump);
	json_decref(j);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", at, NULL), 200);

	j = idl_sendj(&e, "POST", "/api/v1/me/password", at,
	    json_pack("{s:s, s:s}", "current_password", IDL_RESIDENT_PASSWORD,
	    "new_password", "Changed-Secret-88"), &st);
	ck_assert_msg(st == 204, "password change: status %ld", st);
	json_decref(j);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", at, NULL), 401);
	expect_invalid_grant(&e, rt, "refresh token after a password change");
	ck_assert_int_eq(idl_login(&e, IDL_RESIDENT_EMAIL,
	    IDL_RESIDENT_PASSWORD, NULL, NULL, NULL), 400);
	free(at);
	at = idl_login_ok(&e, IDL_RESIDENT_EMAIL, "Changed-Secret-88", NULL);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", at, NULL), 200);
	free(at);
	free(rt);
	idl_stop(&e);
}
END_TEST

START_TEST(test_unsupported_grant_type)
{
	static const struct grant_error bad[] = {
		{ 1, "grant_type=authorization_code",
		    "unsupported_grant_type" },
		{ 0, "{\"grant_type\":\"implicit\"}",
		    "unsupported_grant_type" },
		{ 0, NULL, NULL }
	};

	grant_errors(bad);
}
END_TEST

/*
 * RFC 6749 3.2: "The authorization server MUST ignore unrecognized
 * request parameters."  Clients send extras (RFC 8707's resource, an
 * authorization code's redirect_uri...): the grant still decides.
 */
START_TEST(test_unknown_parameters_ignored)
{
	static const struct grant_error extras[] = {
		{ 1, "grant_type=authorization_code&code=abc&redirect_uri="
		    "https%3A%2F%2Fapp.example%2Fcb", "unsupported_grant_type" },
		{ 0, NULL, NULL }
	};
	struct idenv	 e;
	struct http_resp r;

	grant_errors(extras);
	idl_start_new(&e, NULL);
	token_request(&e, 1, "grant_type=password&username="
	    "resident%40demo.guichet.test&password=demo-resident-2026&"
	    "resource=https%3A%2F%2Fguichet.example", &r);
	ck_assert_msg(r.status == 200, "password grant with a resource "
	    "parameter: status %ld: %s", r.status, r.body);
	http_resp_free(&r);
	idl_stop(&e);
}
END_TEST

START_TEST(test_missing_grant_type)
{
	static const struct grant_error bad[] = {
		{ 1, "username=resident%40demo.guichet.test&"
		    "password=demo-resident-2026", "invalid_request" },
		{ 0, "{}", "invalid_request" },
		/* A password grant without a password. */
		{ 0, "{\"grant_type\":\"password\",\"username\":\""
		    IDL_RESIDENT_EMAIL "\"}", "invalid_request" },
		{ 0, NULL, NULL }
	};

	grant_errors(bad);
}
END_TEST

START_TEST(test_form_and_json_bodies)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j;
	char		*form, *rt, *at;

	idl_start_new(&e, NULL);
	idl_form(&e, "/api/v1/auth/token", "grant_type=password&username="
	    "resident%40demo.guichet.test&password=demo-resident-2026", &r);
	ck_assert_msg(r.status == 200, "form login: %ld %s", r.status, r.body);
	j = harness_json(&r);
	rt = idl_urlencode(idl_jstr(j, "refresh_token"));
	json_decref(j);
	http_resp_free(&r);
	/* A refresh grant as a form too. */
	form = harness_printf("grant_type=refresh_token&refresh_token=%s", rt);
	idl_form(&e, "/api/v1/auth/token", form, &r);
	ck_assert_msg(r.status == 200, "form refresh: %ld %s", r.status,
	    r.body);
	http_resp_free(&r);
	at = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", at, NULL), 200);
	free(form);
	free(rt);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_wrong_password_oauth_error)
{
	struct idenv	 e;
	struct http_resp r;
	const char	*cc;

	idl_start_new(&e, NULL);
	idl_req(&e, "POST", "/api/v1/auth/token", NULL, "{\"grant_type\":"
	    "\"password\",\"username\":\"" IDL_RESIDENT_EMAIL "\","
	    "\"password\":\"not-the-password\"}", &r);
	expect_oauth_error(&r, 400, "invalid_grant");
	cc = http_resp_header(&r, "Content-Type");
	ck_assert_msg(cc != NULL && strncasecmp(cc, "application/json", 16) ==
	    0, "Content-Type %s", cc ? cc : "(none)");
	ck_assert_msg(strstr(r.body, "access_token") == NULL, "a token");
	http_resp_free(&r);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_token_response,
	&test_access_token_claims,
	&test_refresh_rotation_and_reuse,
	&test_refresh_atomic,
	&test_sign_in_atomic,
	&test_logout_refresh_token,
	&test_logout_other_persons_token,
	&test_logout_all,
	&test_password_change_ends_sessions,
	&test_unsupported_grant_type,
	&test_unknown_parameters_ignored,
	&test_missing_grant_type,
	&test_form_and_json_bodies,
	&test_wrong_password_oauth_error,
	NULL
};

const struct test_group test_groups[] = {
	{ "sessions", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
