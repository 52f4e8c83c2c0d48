/*
 * t3001-accounts: registration of each profile kind and its validation,
 * duplicate emails, weak passwords, password storage (reference B1), email
 * verification, password reset, the caller's own account (GET and PATCH
 * /api/v1/me), and passwords kept out of the log (B4).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "idlib.h"

#define GOOD_PASSWORD	"Correct-Horse-Battery-9"

/* Members of registrations, as JSON texts. */
#define EMPLOYMENT	"{\"employer\": \"Station de ski\", " \
	"\"contract_start\": \"2026-12-01\", \"contract_end\": \"2027-04-15\"}"
#define STAY		"{\"start\": \"2026-12-20\", \"end\": \"2027-01-03\"}"
#define ADDRESS		"{\"street\": \"2 rue du Col\", \"postcode\": \"05100\", " \
	"\"city\": \"Montgenèvre\", \"insee_code\": \"05085\"}"

/*
 * A registration body of the given kind with a good password, and the
 * members of 'extra' (a JSON object's text; NULL: none) added or replaced.
 */
static json_t *
account(const char *email, const char *kind, const char *extra)
{
	json_t	*in, *more;

	in = json_pack("{s:s, s:s, s:s, s:s}", "email", email, "password",
	    GOOD_PASSWORD, "display_name", "Test Person", "profile_kind",
	    kind);
	if (extra != NULL) {
		more = json_loads(extra, 0, NULL);
		ck_assert_msg(json_is_object(more), "bad test JSON: %s", extra);
		json_object_update(in, more);
		json_decref(more);
	}
	return (in);
}

/* A 422 whose errors[] has 'field' with 'code' and a message. */
static void
assert_field_error(long st, const json_t *body, const char *field,
    const char *code)
{
	json_t	*err;
	char	*d = harness_dump(body);

	ck_assert_msg(st == 422, "status %ld, expected 422: %s", st, d);
	err = idl_error_for(body, field);
	ck_assert_msg(err != NULL, "no error for %s: %s", field, d);
	ck_assert_msg(idl_jstr(err, "code") != NULL &&
	    strcmp(idl_jstr(err, "code"), code) == 0,
	    "error for %s: code is not %s: %s", field, code, d);
	ck_assert_msg(idl_jstr(err, "message") != NULL &&
	    idl_jstr(err, "message")[0] != '\0', "error for %s without "
	    "message: %s", field, d);
	free(d);
}

/* 'method' 'path' with 'in' (stolen) is refused: assert_field_error(). */
static void
send_invalid(const struct idenv *e, const char *method, const char *path,
    const char *token, json_t *in, const char *field, const char *code)
{
	json_t	*j;
	long	 st;

	j = idl_sendj(e, method, path, token, in, &st);
	assert_field_error(st, j, field, code);
	json_decref(j);
}

/* A registration refused, and nothing created for its email. */
struct refusal {
	const char	*email, *kind, *extra, *field, *code;
};

static long	 count_accounts(const struct idenv *, const char *);

static void
registrations_refused(const struct idenv *e, const struct refusal *r,
    size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		send_invalid(e, "POST", "/api/v1/accounts", NULL,
		    account(r[i].email, r[i].kind, r[i].extra), r[i].field,
		    r[i].code);
		ck_assert_int_eq(count_accounts(e, r[i].email), 0);
	}
}

/* POST a registration, the whole response in 'r'. */
static void
post_account(const struct idenv *e, const char *email, const char *kind,
    const char *extra, struct http_resp *r)
{
	json_t	*in;
	char	*body;

	in = account(email, kind, extra);
	body = json_dumps(in, JSON_COMPACT);
	json_decref(in);
	idl_req(e, "POST", "/api/v1/accounts", NULL, body, r);
	free(body);
}

/* A test of refusals alone, on a server of its own. */
static void
refused_only(const struct refusal *r, size_t n)
{
	struct idenv	 e;

	idl_start_new(&e, NULL);
	registrations_refused(&e, r, n);
	idl_stop(&e);
}

/* A registration accepted: the body (caller decrefs). */
static json_t *
registered(const struct idenv *e, const char *email, const char *kind,
    const char *extra)
{
	json_t	*j;
	long	 st;

	j = idl_sendj(e, "POST", "/api/v1/accounts", NULL,
	    account(email, kind, extra), &st);
	ck_assert_msg(st == 201, "registration of %s: status %ld", email, st);
	return (j);
}

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))

static long
count_accounts(const struct idenv *e, const char *email)
{
	char	*v;
	long	 n;

	v = idl_sql(e, "SELECT count(*) FROM identity.accounts WHERE "
	    "lower(email) = lower('%s')", email);
	ck_assert(v != NULL);
	n = atol(v);
	free(v);
	return (n);
}

START_TEST(test_register_permanent_resident)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*in, *j, *a;
	const char	*loc;
	char		*body;

	idl_start_new(&e, NULL);
	in = account("perm@example.org", "permanent_resident",
	    "{\"phone\": \"+33612345678\", \"address\": " ADDRESS ", "
	    "\"locale\": \"en\"}");
	body = json_dumps(in, JSON_COMPACT);
	json_decref(in);
	ck_assert_int_eq(idl_req(&e, "POST", "/api/v1/accounts", NULL, body,
	    &r), 201);
	loc = http_resp_header(&r, "Location");
	ck_assert_msg(loc != NULL && strstr(loc, "/api/v1/me") != NULL,
	    "Location is %s", loc ? loc : "(none)");
	j = harness_json(&r);
	ck_assert_msg(j != NULL, "body is not JSON: %s", r.body);
	ck_assert_msg(idl_jstr(j, "id") != NULL && strlen(idl_jstr(j, "id"))
	    == 36, "no uuid id: %s", r.body);
	ck_assert_str_eq(idl_jstr(j, "email"), "perm@example.org");
	ck_assert_str_eq(idl_jstr(j, "display_name"), "Test Person");
	ck_assert_str_eq(idl_jstr(j, "profile_kind"), "permanent_resident");
	ck_assert_str_eq(idl_jstr(j, "locale"), "en");
	ck_assert_str_eq(idl_jstr(j, "phone"), "+33612345678");
	ck_assert_msg(json_is_false(json_object_get(j, "email_verified")),
	    "email_verified is not false: %s", r.body);
	a = json_object_get(j, "address");
	ck_assert_msg(json_is_object(a), "no address object: %s", r.body);
	ck_assert_str_eq(idl_jstr(a, "street"), "2 rue du Col");
	ck_assert_str_eq(idl_jstr(a, "postcode"), "05100");
	ck_assert_str_eq(idl_jstr(a, "city"), "Montgenèvre");
	ck_assert_str_eq(idl_jstr(a, "insee_code"), "05085");
	ck_assert_msg(json_object_get(j, "password") == NULL &&
	    json_object_get(j, "password_hash") == NULL &&
	    strstr(r.body, GOOD_PASSWORD) == NULL && strstr(r.body,
	    "argon2") == NULL, "the password shows: %s", r.body);
	ck_assert_msg(json_object_get(j, "employment") == NULL &&
	    json_object_get(j, "stay") == NULL, "profile fields of another "
	    "kind: %s", r.body);
	ck_assert_int_eq(count_accounts(&e, "perm@example.org"), 1);
	json_decref(j);
	http_resp_free(&r);
	free(body);
	idl_stop(&e);
}
END_TEST

START_TEST(test_register_secondary_resident)
{
	struct idenv	 e;
	json_t		*j;

	idl_start_new(&e, NULL);
	j = registered(&e, "second@example.org", "secondary_resident", NULL);
	ck_assert_str_eq(idl_jstr(j, "profile_kind"), "secondary_resident");
	json_decref(j);
	idl_stop(&e);
}
END_TEST

/*
 * A seasonal worker says who employs them, a tourist their stay: without
 * it the registration is refused and nothing is made; with it the answer
 * holds it as sent.
 */
START_TEST(test_register_profile_members)
{
	static const struct {
		const char	*email, *kind, *member, *value;
	} kinds[] = {
		{ "season@example.org", "seasonal_worker", "employment",
		    EMPLOYMENT },
		{ "tourist@example.org", "tourist", "stay", STAY },
	};
	struct refusal	 without;
	struct idenv	 e;
	json_t		*j, *sent, *got, *v;
	const char	*k;
	char		*field, *extra;
	size_t		 i;

	idl_start_new(&e, NULL);
	for (i = 0; i < NCASES(kinds); i++) {
		field = harness_printf("/%s", kinds[i].member);
		without = (struct refusal){ kinds[i].email, kinds[i].kind, NULL,
		    field, "required" };
		registrations_refused(&e, &without, 1);
		extra = harness_printf("{\"%s\": %s}", kinds[i].member,
		    kinds[i].value);
		j = registered(&e, kinds[i].email, kinds[i].kind, extra);
		ck_assert_str_eq(idl_jstr(j, "profile_kind"), kinds[i].kind);
		got = json_object_get(j, kinds[i].member);
		ck_assert_msg(json_is_object(got), "no %s in the answer",
		    kinds[i].member);
		sent = json_loads(kinds[i].value, 0, NULL);
		json_object_foreach(sent, k, v)
			ck_assert_str_eq(idl_jstr(got, k), json_string_value(v));
		json_decref(sent);
		json_decref(j);
		free(extra);
		free(field);
	}
	idl_stop(&e);
}
END_TEST

/*
 * Registrations refused with the field at fault and why, and nothing made
 * for their email.
 */
START_TEST(test_register_refused)
{
	static const struct refusal refused[] = {
		/* A profile member of another kind. */
		{ "notallowed@example.org", "permanent_resident",
		    "{\"employment\": " EMPLOYMENT "}", "/employment",
		    "not_allowed" },
		{ "notallowed@example.org", "secondary_resident",
		    "{\"stay\": " STAY "}", "/stay", "not_allowed" },
		{ "notallowed@example.org", "tourist", "{\"stay\": " STAY ", "
		    "\"employment\": " EMPLOYMENT "}", "/employment",
		    "not_allowed" },
		{ "notallowed@example.org", "seasonal_worker",
		    "{\"employment\": " EMPLOYMENT ", \"stay\": " STAY "}",
		    "/stay", "not_allowed" },
		/* A member that no registration has. */
		{ "unknown@example.org", "permanent_resident",
		    "{\"nickname\": \"Cam\"}", "/nickname", "unknown" },
		/* An address: an object, complete, with no member of its own. */
		{ "addr@example.org", "permanent_resident",
		    "{\"address\": \"2 rue du Col, 05100\"}", "/address",
		    "type" },
		{ "addr@example.org", "permanent_resident",
		    "{\"address\": {\"street\": \"2 rue du Col\", "
		    "\"postcode\": \"05100\", \"insee_code\": \"05085\"}}",
		    "/address/city", "required" },
		{ "addr@example.org", "permanent_resident",
		    "{\"address\": {\"street\": \"2 rue du Col\", "
		    "\"postcode\": \"05100\", \"city\": \"Montgenèvre\", "
		    "\"insee_code\": \"05085\", \"floor\": \"3\"}}",
		    "/address/floor", "unknown" },
		/* A common password. */
		{ "common@example.org", "permanent_resident",
		    "{\"password\": \"password1234\"}", "/password", "weak" },
		/* The email address as password. */
		{ "marguerite.long@example.org", "permanent_resident",
		    "{\"password\": \"marguerite.long@example.org\"}",
		    "/password", "weak" },
	};

	refused_only(refused, NCASES(refused));
}
END_TEST

START_TEST(test_register_phone_e164)
{
	static const struct refusal bad[] = {
		{ "phone@example.org", "permanent_resident",
		    "{\"phone\": \"0612345678\"}", "/phone", "format" },
		{ "phone@example.org", "permanent_resident",
		    "{\"phone\": \"+33 6 12 34 56 78\"}", "/phone", "format" },
		{ "phone@example.org", "permanent_resident",
		    "{\"phone\": \"+0612345678\"}", "/phone", "format" },
		{ "phone@example.org", "permanent_resident",
		    "{\"phone\": \"33612345678\"}", "/phone", "format" },
		{ "phone@example.org", "permanent_resident",
		    "{\"phone\": \"+336123456789012345\"}", "/phone", "format" },
	};
	struct idenv	 e;
	json_t		*j;

	idl_start_new(&e, NULL);
	registrations_refused(&e, bad, NCASES(bad));
	j = registered(&e, "phone@example.org", "permanent_resident",
	    "{\"phone\": \"+390123456789\"}");
	ck_assert_str_eq(idl_jstr(j, "phone"), "+390123456789");
	json_decref(j);
	idl_stop(&e);
}
END_TEST

START_TEST(test_register_duplicate_email)
{
	struct idenv	 e;
	struct http_resp r1, r2, r3;

	idl_start_new(&e, NULL);
	json_decref(registered(&e, "dup@example.org", "permanent_resident",
	    NULL));
	/* Same password, another case. */
	post_account(&e, "DUP@Example.ORG", "permanent_resident", NULL, &r1);
	json_decref(harness_assert_problem(&r1, 409, "/problems/conflict",
	    "/api/v1/accounts"));
	/* Another password, same case as the first. */
	post_account(&e, "dup@example.org", "secondary_resident",
	    "{\"password\": \"Other-Pass-Phrase-42\"}", &r2);
	json_decref(harness_assert_problem(&r2, 409, "/problems/conflict",
	    "/api/v1/accounts"));
	/* Another password, another case. */
	post_account(&e, "Dup@example.org", "permanent_resident",
	    "{\"password\": \"Third-Pass-Phrase-43\"}", &r3);
	ck_assert_int_eq(r3.status, 409);

	idl_assert_same_body(&r1, &r2, "the 409s");
	idl_assert_same_body(&r1, &r3, "the 409s");
	ck_assert_int_eq(count_accounts(&e, "dup@example.org"), 1);
	http_resp_free(&r1);
	http_resp_free(&r2);
	http_resp_free(&r3);
	idl_stop(&e);
}
END_TEST

START_TEST(test_weak_password_short)
{
	struct idenv	 e;
	json_t		*j, *err;
	long		 st;

	idl_start_new(&e, NULL);
	j = idl_sendj(&e, "POST", "/api/v1/accounts", NULL,
	    account("short@example.org", "permanent_resident",
	    "{\"password\": \"Kx9-mqv2-Lp\"}"), &st);
	assert_field_error(st, j, "/password", "weak");
	err = idl_error_for(j, "/password");
	ck_assert_msg(strstr(idl_jstr(err, "message"), "12") != NULL,
	    "the message does not say the minimum: %s",
	    idl_jstr(err, "message"));
	json_decref(j);
	ck_assert_int_eq(count_accounts(&e, "short@example.org"), 0);
	/* Twelve characters are enough. */
	json_decref(registered(&e, "short@example.org", "permanent_resident",
	    "{\"password\": \"Kx9-mqv2-Lp7\"}"));
	idl_stop(&e);
}
END_TEST

START_TEST(test_password_hash_argon2id)
{
	static const char prefix[] = "$argon2id$v=19$m=19456,t=2,p=1$";
	struct idenv	 e;
	char		*id1, *id2, *h1, *h2, *salt_end;

	idl_start_new(&e, NULL);
	id1 = idl_register(&e, "hash1@example.org", GOOD_PASSWORD);
	id2 = idl_register(&e, "hash2@example.org", GOOD_PASSWORD);
	h1 = idl_sql(&e, "SELECT password_hash FROM identity.accounts WHERE "
	    "id = '%s'", id1);
	h2 = idl_sql(&e, "SELECT password_hash FROM identity.accounts WHERE "
	    "id = '%s'", id2);
	ck_assert(h1 != NULL && h2 != NULL);
	ck_assert_msg(strncmp(h1, prefix, strlen(prefix)) == 0,
	    "stored hash %s does not start with %s", h1, prefix);
	/* A salt of at least 16 bytes: 22 base64 characters. */
	salt_end = strchr(h1 + strlen(prefix), '$');
	ck_assert_msg(salt_end != NULL && salt_end - (h1 + strlen(prefix)) >=
	    22, "salt shorter than 16 bytes: %s", h1);
	ck_assert_msg(strcmp(h1, h2) != 0, "same password, same hash: %s", h1);
	ck_assert_msg(strstr(h1, GOOD_PASSWORD) == NULL, "plaintext stored");
	free(id1);
	free(id2);
	free(h1);
	free(h2);
	idl_stop(&e);
}
END_TEST

/* B1: the stored hash follows the configured costs at the next login. */
START_TEST(test_rehash_on_login)
{
	static const char *const t3[] = { "--password-iterations", "3", NULL };
	struct idenv	 e;
	char		*id, *h1, *h2;

	idl_start_new(&e, NULL);
	id = idl_register(&e, "rehash@example.org", GOOD_PASSWORD);
	h1 = idl_sql(&e, "SELECT password_hash FROM identity.accounts WHERE "
	    "id = '%s'", id);
	ck_assert_msg(h1 != NULL && strstr(h1, ",t=2,") != NULL, "hash %s",
	    h1);
	e.extra = t3;
	idl_restart(&e, NULL);
	ck_assert_int_eq(idl_login(&e, "rehash@example.org", GOOD_PASSWORD,
	    NULL, NULL, NULL), 200);
	h2 = idl_sql(&e, "SELECT password_hash FROM identity.accounts WHERE "
	    "id = '%s'", id);
	ck_assert_msg(h2 != NULL && strncmp(h2, "$argon2id$v=19$m=19456,t=3,"
	    "p=1$", 27) == 0, "not re-hashed with t=3: %s", h2);
	/* And the new hash verifies. */
	ck_assert_int_eq(idl_login(&e, "rehash@example.org", GOOD_PASSWORD,
	    NULL, NULL, NULL), 200);
	free(id);
	free(h1);
	free(h2);
	idl_stop(&e);
}
END_TEST

START_TEST(test_verify_email)
{
	struct idenv	 e;
	json_t		*j;
	char		*id, *tok, *url, *at;
	long		 st;

	idl_start_new(&e, NULL);
	id = idl_register(&e, "verify@example.org", GOOD_PASSWORD);
	tok = idl_outbox_token(&e, "verify@example.org", "verify_email");
	url = idl_sql(&e, "SELECT payload->>'url' FROM ops.outbox WHERE "
	    "recipient = 'verify@example.org' AND template = 'verify_email'");
	ck_assert_msg(url != NULL && strstr(url, tok) != NULL,
	    "the link does not carry the token: %s", url ? url : "(none)");
	at = idl_login_ok(&e, "verify@example.org", GOOD_PASSWORD, NULL);
	j = idl_reqj(&e, "GET", "/api/v1/me", at, NULL, &st);
	ck_assert_msg(st == 200 && json_is_false(json_object_get(j,
	    "email_verified")), "before: status %ld", st);
	json_decref(j);

	j = idl_sendj(&e, "POST", "/api/v1/accounts/verify", NULL,
	    json_pack("{s:s}", "token", tok), &st);
	ck_assert_msg(st == 204, "verification: status %ld", st);
	json_decref(j);
	j = idl_reqj(&e, "GET", "/api/v1/me", at, NULL, &st);
	ck_assert_msg(st == 200 && json_is_true(json_object_get(j,
	    "email_verified")), "after: status %ld, email_verified not true",
	    st);
	json_decref(j);

	/* Single use. */
	send_invalid(&e, "POST", "/api/v1/accounts/verify", NULL,
	    json_pack("{s:s}", "token", tok), "/token", "invalid");
	/* And a token that never was. */
	send_invalid(&e, "POST", "/api/v1/accounts/verify", NULL,
	    json_pack("{s:s}", "token",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), "/token",
	    "invalid");
	free(id);
	free(tok);
	free(url);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_verify_email_expired)
{
	struct idenv	 e;
	json_t		*j;
	char		*id, *tok, *v;
	long		 st;

	idl_start_new(&e, NULL);
	id = idl_register(&e, "late@example.org", GOOD_PASSWORD);
	tok = idl_outbox_token(&e, "late@example.org", "verify_email");
	/* Three days later: past the 48 h of the link. */
	idl_restart(&e, "+3d");
	send_invalid(&e, "POST", "/api/v1/accounts/verify", NULL,
	    json_pack("{s:s}", "token", tok), "/token", "invalid");
	v = idl_sql(&e, "SELECT email_verified_at IS NULL FROM "
	    "identity.accounts WHERE id = '%s'", id);
	ck_assert_msg(v != NULL && strcmp(v, "t") == 0, "verified anyway");
	free(v);
	/* The same token in time: it was only the date that refused it. */
	idl_restart(&e, NULL);
	j = idl_sendj(&e, "POST", "/api/v1/accounts/verify", NULL,
	    json_pack("{s:s}", "token", tok), &st);
	ck_assert_msg(st == 204, "in time: status %ld", st);
	json_decref(j);
	free(id);
	free(tok);
	idl_stop(&e);
}
END_TEST

START_TEST(test_outbox_list_ctl)
{
	const char	*args[] = { "outbox", "list", NULL };
	struct idenv	 e;
	char		*id, *out = NULL, *err = NULL, *line;
	int		 rc;

	idl_start_new(&e, NULL);
	id = idl_register(&e, "outbox@example.org", GOOD_PASSWORD);
	rc = idl_ctl(e.db, 0, args, &out, &err);
	ck_assert_msg(rc == 0, "guichetctl outbox list exited %d: %s", rc, err);
	line = strstr(out, "outbox@example.org");
	ck_assert_msg(line != NULL, "the message is not listed:\n%s", out);
	while (line > out && line[-1] != '\n')
		line--;
	ck_assert_msg(strstr(line, "verify_email") != NULL &&
	    (strchr(line, '\n') == NULL || strstr(line, "verify_email") <
	    strchr(line, '\n')), "its line does not say verify_email:\n%s",
	    out);
	free(id);
	free(out);
	free(err);
	idl_stop(&e);
}
END_TEST

START_TEST(test_password_reset_same_answer)
{
	struct idenv	 e;
	struct http_resp r1, r2;
	char		*n;

	idl_start_new(&e, NULL);
	idl_req(&e, "POST", "/api/v1/auth/password-reset", NULL,
	    "{\"email\":\"" IDL_RESIDENT_EMAIL "\"}", &r1);
	idl_req(&e, "POST", "/api/v1/auth/password-reset", NULL,
	    "{\"email\":\"nobody@example.org\"}", &r2);
	ck_assert_msg(r1.status == 202 && r2.status == 202,
	    "statuses %ld and %ld", r1.status, r2.status);
	idl_assert_same_body(&r1, &r2, "a reset for an account and for none");
	n = idl_sql(&e, "SELECT count(*) FROM ops.outbox WHERE recipient = '"
	    IDL_RESIDENT_EMAIL "' AND template = 'reset_password'");
	ck_assert_msg(n != NULL && strcmp(n, "1") == 0, "%s reset messages "
	    "for the existing account", n);
	free(n);
	n = idl_sql(&e, "SELECT count(*) FROM ops.outbox WHERE recipient = "
	    "'nobody@example.org'");
	ck_assert_msg(n != NULL && strcmp(n, "0") == 0, "%s messages for an "
	    "email without account", n);
	free(n);
	http_resp_free(&r1);
	http_resp_free(&r2);
	idl_stop(&e);
}
END_TEST

START_TEST(test_password_reset_confirm)
{
	struct idenv	 e;
	json_t		*j;
	char		*tok;
	long		 st;

	idl_start_new(&e, NULL);
	j = idl_sendj(&e, "POST", "/api/v1/auth/password-reset", NULL,
	    json_pack("{s:s}", "email", IDL_RESIDENT_EMAIL), &st);
	ck_assert_int_eq(st, 202);
	json_decref(j);
	tok = idl_outbox_token(&e, IDL_RESIDENT_EMAIL, "reset_password");

	/* A weak new password is refused and does not spend the token. */
	send_invalid(&e, "POST", "/api/v1/auth/password-reset/confirm", NULL,
	    json_pack("{s:s, s:s}", "token", tok, "password", "short"),
	    "/password", "weak");

	j = idl_sendj(&e, "POST", "/api/v1/auth/password-reset/confirm", NULL,
	    json_pack("{s:s, s:s}", "token", tok, "password",
	    "Brand-New-Secret-77"), &st);
	ck_assert_msg(st == 204, "confirm: status %ld", st);
	json_decref(j);
	ck_assert_int_eq(idl_login(&e, IDL_RESIDENT_EMAIL,
	    IDL_RESIDENT_PASSWORD, NULL, NULL, NULL), 400);
	ck_assert_int_eq(idl_login(&e, IDL_RESIDENT_EMAIL,
	    "Brand-New-Secret-77", NULL, NULL, NULL), 200);

	/* Single use. */
	send_invalid(&e, "POST", "/api/v1/auth/password-reset/confirm", NULL,
	    json_pack("{s:s, s:s}", "token", tok, "password",
	    "Another-New-Secret-78"), "/token", "invalid");
	ck_assert_int_eq(idl_login(&e, IDL_RESIDENT_EMAIL,
	    "Another-New-Secret-78", NULL, NULL, NULL), 400);
	free(tok);
	idl_stop(&e);
}
END_TEST

START_TEST(test_me_get)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j;
	char		*at;
	long		 st;

	at = idl_start_resident(&e, NULL);
	j = idl_reqj(&e, "GET", "/api/v1/me", at, NULL, &st);
	ck_assert_msg(st == 200, "status %ld", st);
	ck_assert_str_eq(idl_jstr(j, "id"), idl_demo.resident_id);
	ck_assert_str_eq(idl_jstr(j, "email"), IDL_RESIDENT_EMAIL);
	ck_assert_str_eq(idl_jstr(j, "profile_kind"), "permanent_resident");
	ck_assert_msg(json_object_get(j, "password_hash") == NULL,
	    "the hash is shown");
	json_decref(j);
	/* Personal: never stored, no validator. */
	ck_assert_int_eq(idl_req(&e, "GET", "/api/v1/me", at, NULL, &r), 200);
	ck_assert_str_eq(http_resp_header(&r, "Cache-Control"), "no-store");
	ck_assert_ptr_null(http_resp_header(&r, "ETag"));
	http_resp_free(&r);
	idl_req(&e, "GET", "/api/v1/me", NULL, NULL, &r);
	json_decref(harness_assert_problem(&r, 401, NULL, "/api/v1/me"));
	http_resp_free(&r);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_me_patch)
{
	struct idenv	 e;
	json_t		*j, *a;
	char		*at;
	long		 st;

	at = idl_start_resident(&e, NULL);
	j = idl_sendj(&e, "PATCH", "/api/v1/me", at, json_pack("{s:s, s:s, "
	    "s:{s:s, s:s, s:s}, s:s}", "display_name", "Camille Nouveau",
	    "phone", "+33687654321", "address", "street", "3 chemin des "
	    "Alpes", "postcode", "05100", "city", "Briançon", "locale", "it"),
	    &st);
	ck_assert_msg(st == 200, "patch: status %ld", st);
	json_decref(j);
	j = idl_reqj(&e, "GET", "/api/v1/me", at, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_str_eq(idl_jstr(j, "display_name"), "Camille Nouveau");
	ck_assert_str_eq(idl_jstr(j, "phone"), "+33687654321");
	ck_assert_str_eq(idl_jstr(j, "locale"), "it");
	a = json_object_get(j, "address");
	ck_assert_msg(json_is_object(a), "no address");
	ck_assert_str_eq(idl_jstr(a, "street"), "3 chemin des Alpes");
	ck_assert_str_eq(idl_jstr(a, "city"), "Briançon");
	json_decref(j);

	/* The same validation as at registration. */
	send_invalid(&e, "PATCH", "/api/v1/me", at, json_pack("{s:s}",
	    "phone", "06 87 65 43 21"), "/phone", "format");
	send_invalid(&e, "PATCH", "/api/v1/me", at, json_pack("{s:s}",
	    "nickname", "Cam"), "/nickname", "unknown");
	j = idl_sendj(&e, "PATCH", "/api/v1/me", at, json_pack("{s:{s:s}}",
	    "address", "street", "nowhere"), &st);
	ck_assert_msg(st == 422 && idl_error_for(j, "/address/city") != NULL,
	    "an incomplete address: status %ld", st);
	json_decref(j);
	j = idl_reqj(&e, "GET", "/api/v1/me", at, NULL, &st);
	ck_assert_str_eq(idl_jstr(j, "phone"), "+33687654321");
	json_decref(j);

	/* phone is nullable: removed. */
	j = idl_sendj(&e, "PATCH", "/api/v1/me", at, json_pack("{s:n}",
	    "phone"), &st);
	ck_assert_msg(st == 200 && json_object_get(j, "phone") == NULL,
	    "phone null: status %ld", st);
	json_decref(j);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_me_patch_profile_kind)
{
	struct idenv	 e;
	json_t		*j;
	char		*at, *v;
	long		 st;

	at = idl_start_resident(&e, NULL);
	send_invalid(&e, "PATCH", "/api/v1/me", at, json_pack("{s:s}",
	    "profile_kind", "tourist"), "/stay", "required");
	v = idl_sql(&e, "SELECT profile_kind FROM identity.accounts WHERE "
	    "id = '%s'", idl_demo.resident_id);
	ck_assert_str_eq(v, "permanent_resident");
	free(v);

	j = idl_sendj(&e, "PATCH", "/api/v1/me", at, json_pack("{s:s, s:o}",
	    "profile_kind", "tourist", "stay", json_loads(STAY, 0, NULL)),
	    &st);
	ck_assert_msg(st == 200, "tourist with a stay: status %ld", st);
	ck_assert_str_eq(idl_jstr(j, "profile_kind"), "tourist");
	ck_assert_msg(json_is_object(json_object_get(j, "stay")), "no stay");
	json_decref(j);

	/* A tourist has no employment. */
	send_invalid(&e, "PATCH", "/api/v1/me", at, json_pack("{s:o}",
	    "employment", json_loads(EMPLOYMENT, 0, NULL)), "/employment",
	    "not_allowed");
	free(at);
	idl_stop(&e);
}
END_TEST

/*
 * ARCHITECTURE.md, "API conventions": "an account's locale wins when signed in".  A bad PATCH gives a
 * 422 whose title is in the account's language, whatever Accept-Language
 * says; a change of locale applies to the next request, also when made
 * behind guichetd's back (the NOTIFY of migration 010).
 */
static const char *
title_with(const struct idenv *e, const char *at, const char *accept,
    char *buf, size_t len)
{
	struct http_resp r;
	json_t		*j;
	char		*auth = NULL, *al;
	const char	*h[4];
	int		 n = 0;

	if (at != NULL)
		h[n++] = auth = harness_printf("Authorization: Bearer %s", at);
	h[n++] = al = harness_printf("Accept-Language: %s", accept);
	h[n++] = "Content-Type: application/json";
	h[n] = NULL;
	idl_reqh(e, "PATCH", "/api/v1/me", h, "{\"phone\": \"nope\"}", &r);
	j = harness_assert_problem(&r, at != NULL ? 422 : 401, NULL,
	    "/api/v1/me");
	snprintf(buf, len, "%s", idl_jstr(j, "title"));
	json_decref(j);
	http_resp_free(&r);
	free(auth);
	free(al);
	return (buf);
}

static void
set_locale(const struct idenv *e, const char *at, const char *lang)
{
	char	*body;

	body = harness_printf("{\"locale\": \"%s\"}", lang);
	ck_assert_int_eq(idl_status(e, "PATCH", "/api/v1/me", at, body), 200);
	free(body);
}

START_TEST(test_me_locale_wins)
{
	struct idenv	 e;
	char		*at, t[128];
	int		 i;

	at = idl_start_resident(&e, NULL);
	/* Anonymous: Accept-Language decides. */
	ck_assert_str_eq(title_with(&e, NULL, "it", t, sizeof(t)),
	    "Autenticazione richiesta");
	set_locale(&e, at, "it");
	ck_assert_str_eq(title_with(&e, at, "en", t, sizeof(t)),
	    "Richiesta non valida");
	ck_assert_str_eq(title_with(&e, at, "fr-FR, en;q=0.5", t, sizeof(t)),
	    "Richiesta non valida");
	set_locale(&e, at, "en");
	ck_assert_str_eq(title_with(&e, at, "it", t, sizeof(t)),
	    "Invalid request");
	/* Changed in the database by someone else: the NOTIFY carries it. */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE identity.accounts SET "
	    "locale = 'fr' WHERE id = '%s'", idl_demo.resident_id), 0);
	for (i = 0; i < 50; i++) {
		if (strcmp(title_with(&e, at, "it", t, sizeof(t)),
		    "Requête invalide") == 0)
			break;
		usleep(100 * 1000);
	}
	ck_assert_str_eq(t, "Requête invalide");
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_password_not_in_log)
{
	struct idenv	 e;
	json_t		*j;
	char		*m1, *m2, *m3, *m4, *pw1, *pw2, *pw3, *pw4;
	char		*id, *at, *log, *tok;
	long		 st;

	idl_start_new(&e, NULL);
	m1 = idl_marker(16);
	m2 = idl_marker(16);
	m3 = idl_marker(16);
	m4 = idl_marker(16);
	pw1 = harness_printf("Zq7-%s-pw", m1);
	pw2 = harness_printf("Zq7-%s-pw", m2);
	pw3 = harness_printf("Zq7-%s-pw", m3);
	pw4 = harness_printf("Zq7-%s-pw", m4);
	id = idl_register(&e, "logged@example.org", pw1);
	ck_assert_int_eq(idl_login(&e, "logged@example.org", pw2, NULL, NULL,
	    NULL), 400);
	at = idl_login_ok(&e, "logged@example.org", pw1, NULL);
	j = idl_sendj(&e, "POST", "/api/v1/me/password", at,
	    json_pack("{s:s, s:s}", "current_password", pw2, "new_password",
	    pw3), &st);
	ck_assert_int_eq(st, 422);
	json_decref(j);
	j = idl_sendj(&e, "POST", "/api/v1/me/password", at,
	    json_pack("{s:s, s:s}", "current_password", pw1, "new_password",
	    pw3), &st);
	ck_assert_int_eq(st, 204);
	json_decref(j);
	j = idl_sendj(&e, "POST", "/api/v1/auth/password-reset", NULL,
	    json_pack("{s:s}", "email", "logged@example.org"), &st);
	json_decref(j);
	tok = idl_outbox_token(&e, "logged@example.org", "reset_password");
	j = idl_sendj(&e, "POST", "/api/v1/auth/password-reset/confirm", NULL,
	    json_pack("{s:s, s:s}", "token", tok, "password", pw4), &st);
	ck_assert_int_eq(st, 204);
	json_decref(j);
	log = idl_log(&e);
	ck_assert_msg(log != NULL && strstr(log, "/api/v1/auth/token") != NULL,
	    "the log has no request lines");
	ck_assert_msg(idl_count(log, m1) == 0 && idl_count(log, m2) == 0 &&
	    idl_count(log, m3) == 0 && idl_count(log, m4) == 0,
	    "a password is in the log:\n%s", log);
	ck_assert_msg(idl_count(log, tok) == 0, "the reset token is in the "
	    "log");
	free(m1);
	free(m2);
	free(m3);
	free(m4);
	free(pw1);
	free(pw2);
	free(pw3);
	free(pw4);
	free(tok);
	free(id);
	free(at);
	free(log);
	idl_stop(&e);
}
END_TEST

/*
 * Accounts made before migration 016, as they were: the old unique index
 * (lower(email)) let through addresses that are one identity under the
 * new rules.  A database migrated to 015, such accounts inserted, then
 * migrated on: the ASCII addresses get their key from the migration, the
 * others from guichetd before it compares any address (503 while it
 * cannot), and of two accounts with one key the one keyed first keeps it
 * (an ASCII address, else the older), the other gets a key no address
 * normalises to, logged; each signs in by a normalised variant.
 */
static void
insert_legacy(const char *db, const char *email, const char *hash,
    const char *created)
{
	char	*sql;

	sql = harness_printf("INSERT INTO identity.accounts (email, "
	    "password_hash, display_name, profile_kind, created_at, "
	    "updated_at) VALUES ('%s', '%s', 'Ancien Compte', "
	    "'permanent_resident', '%s', '%s')", email, hash, created,
	    created);
	ck_assert_msg(harness_sql_exec(db, sql) == 0, "%s", sql);
	free(sql);
}

static char *
legacy_key(const char *db, const char *email)
{
	char	*sql, *v;

	sql = harness_printf("SELECT coalesce(email_key, '(null)') FROM "
	    "identity.accounts WHERE email = '%s'", email);
	v = harness_sql(db, sql);
	ck_assert_msg(v != NULL, "no account %s", email);
	free(sql);
	return (v);
}

static void
assert_legacy_key(const char *db, const char *email, const char *key)
{
	char	*v = legacy_key(db, email);

	ck_assert_msg(strcmp(v, key) == 0, "%s: key %s, expected %s", email, v,
	    key);
	free(v);
}

/* 'email' lost its key to another account: a key of its own, logged. */
static void
assert_conflict(const char *db, const char *email, const char *log)
{
	char	*sql, *id, *key, *line;

	sql = harness_printf("SELECT id FROM identity.accounts WHERE email = "
	    "'%s'", email);
	id = harness_sql(db, sql);
	ck_assert_ptr_nonnull(id);
	key = harness_printf("%s@conflict.invalid", id);
	assert_legacy_key(db, email, key);
	line = harness_printf("account %s has the address of another account",
	    id);
	ck_assert_msg(strstr(log, line) != NULL, "%s: the clash is not logged",
	    email);
	free(line);
	free(key);
	free(id);
	free(sql);
}

#define RENE_NFC	"ren\xc3\xa9@example.test"		/* é */
#define RENE_NFD	"rene\xcc\x81@example.test"		/* e + U+0301 */
#define JEAN_IDN	"jean@b\xc3\xbc" "cher.test"		/* bücher */

START_TEST(test_migration_016_keys)
{
	struct server	 s;
	char		*db, *dir, *src, *err = NULL, *hash, *path, *log;
	DIR		*d;
	struct dirent	*de;
	const char	*extra[] = { NULL };
	int		 rc;

	hash = harness_sql(idl_template(), "SELECT password_hash FROM "
	    "identity.accounts WHERE email = '" IDL_RESIDENT_EMAIL "'");
	ck_assert_ptr_nonnull(hash);
	/* sql/ up to 015. */
	src = harness_src("sql");
	dir = harness_printf("%s/sql-015-%ld", harness_tmpdir(),
	    (long)getpid());
	ck_assert_int_eq(harness_copy_dir(src, dir), 0);
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (strlen(de->d_name) > 4 && strcmp(de->d_name, "016") >= 0 &&
		    de->d_name[0] >= '0' && de->d_name[0] <= '9') {
			path = harness_printf("%s/%s", dir, de->d_name);
			ck_assert_int_eq(unlink(path), 0);
			free(path);
		}
	closedir(d);
	db = harness_db_create();
	rc = harness_migrate(db, dir, &err);
	ck_assert_msg(rc == 0, "migrate to 015: %d %s", rc, err);
	free(err);
	insert_legacy(db, "Mixed.Case@Example.TEST", hash,
	    "2020-01-01T00:00:00Z");
	insert_legacy(db, RENE_NFC, hash, "2020-01-02T00:00:00Z");
	insert_legacy(db, RENE_NFD, hash, "2020-01-03T00:00:00Z");
	insert_legacy(db, JEAN_IDN, hash, "2020-01-04T00:00:00Z");
	insert_legacy(db, "jean@xn--bcher-kva.test", hash,
	    "2020-01-05T00:00:00Z");
	/* 016 and after. */
	err = NULL;
	rc = harness_migrate(db, NULL, &err);
	ck_assert_msg(rc == 0, "migrate on: %d %s", rc, err);
	free(err);
	assert_legacy_key(db, "Mixed.Case@Example.TEST",
	    "mixed.case@example.test");
	assert_legacy_key(db, "jean@xn--bcher-kva.test",
	    "jean@xn--bcher-kva.test");
	assert_legacy_key(db, RENE_NFC, "(null)");
	assert_legacy_key(db, RENE_NFD, "(null)");
	assert_legacy_key(db, JEAN_IDN, "(null)");
	/* While the keys cannot be filled, nothing compares addresses. */
	ck_assert_int_eq(harness_sql_exec(db, "CREATE FUNCTION public.t3001_"
	    "fail() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE "
	    "EXCEPTION 't3001: provoked' USING ERRCODE = '40001'; END$$"), 0);
	ck_assert_int_eq(harness_sql_exec(db, "CREATE TRIGGER t3001_fail "
	    "BEFORE UPDATE OF email_key ON identity.accounts FOR EACH ROW "
	    "EXECUTE FUNCTION public.t3001_fail()"), 0);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(harness_server_start(&s, db, extra), 0);
	ck_assert_int_eq(harness_sign_in(&s, NULL, "MIXED.CASE@example.test",
	    IDL_RESIDENT_PASSWORD), 503);
	ck_assert_int_eq(harness_sql_exec(db, "DROP TRIGGER t3001_fail ON "
	    "identity.accounts"), 0);
	/* Then: filled, in the order of the accounts. */
	ck_assert_int_eq(harness_sign_in(&s, NULL, "MIXED.CASE@example.test",
	    IDL_RESIDENT_PASSWORD), 200);
	assert_legacy_key(db, RENE_NFC, RENE_NFC);
	/* The same identity, younger: a key no address has, logged. */
	log = harness_server_log(&s);
	assert_conflict(db, RENE_NFD, log);
	/* The IDN's punycode twin was keyed by the migration: it keeps it. */
	assert_conflict(db, JEAN_IDN, log);
	free(log);
	/* Each key signs in by its variants. */
	ck_assert_int_eq(harness_sign_in(&s, NULL, "rene\xcc\x81@EXAMPLE.TEST",
	    IDL_RESIDENT_PASSWORD), 200);
	ck_assert_int_eq(harness_sign_in(&s, NULL, "JEAN@B\xc3\x9c" "CHER.TEST",
	    IDL_RESIDENT_PASSWORD), 200);
	ck_assert_int_eq(harness_sql_count(db, "SELECT count(*) FROM "
	    "identity.accounts WHERE email_key IS NULL"), 0);
	ck_assert_int_eq(harness_server_stop(&s), 0);
	harness_server_free(&s);
	harness_db_drop(db);
	free(db);
	free(dir);
	free(src);
	free(hash);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_register_permanent_resident,
	&test_register_secondary_resident,
	&test_register_profile_members,
	&test_register_refused,
	&test_register_phone_e164,
	&test_register_duplicate_email,
	&test_weak_password_short,
	&test_password_hash_argon2id,
	&test_rehash_on_login,
	&test_verify_email,
	&test_verify_email_expired,
	&test_outbox_list_ctl,
	&test_password_reset_same_answer,
	&test_password_reset_confirm,
	&test_me_get,
	&test_me_patch,
	&test_me_patch_profile_kind,
	&test_me_locale_wins,
	&test_password_not_in_log,
	&test_migration_016_keys,
	NULL
};

const struct test_group test_groups[] = {
	{ "accounts", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
