/*
 * t3005-agents: the town's staff.  guichetctl agent add/list/block, the
 * administrators' second factor (TOTP, single use) required by the admin
 * endpoints (reference C4), the admin API on agents (list with paging,
 * create, change roles, block) and what it does to the tokens already
 * issued (B3), TOTP enrolment, and a block made by another process
 * reaching the server at once (the principal cache hears NOTIFY).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "idlib.h"

/* 1 when the JSON array 'a' holds the string 's'. */
static int
has_string(const json_t *a, const char *s)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return (1);
	return (0);
}

/* A six-digit code that is none of those 'secret' gives around now. */
static void
wrong_code(const struct idenv *e, const char *secret, char *out)
{
	char	 codes[3][8];
	int64_t	 cur = idl_server_now(e) / 30;
	int	 i, v;

	for (i = 0; i < 3; i++)
		idl_totp(secret, cur - 1 + i, codes[i]);
	for (v = 1;; v++) {
		snprintf(out, 8, "%06d", (atoi(codes[1]) + v) % 1000000);
		if (strcmp(out, codes[0]) != 0 && strcmp(out, codes[2]) != 0)
			return;
	}
}

/* An agent no account has. */
#define NO_AGENT	"00000000-0000-4000-8000-000000000000"

/*
 * An administrator acts on an agent: POST to its route 'suffix' ("/block")
 * is answered 'status'; 'what' names it in a failure.
 */
static void
admin_on(const struct idenv *e, const char *admin, const char *id,
    const char *suffix, long status, const char *what)
{
	json_t	*j;
	char	*path;
	long	 st;

	path = harness_printf("/api/v1/admin/agents/%s%s", id, suffix);
	j = idl_reqj(e, "POST", path, admin, NULL, &st);
	ck_assert_msg(st == status, "%s: status %ld", what, st);
	json_decref(j);
	free(path);
}

/* guichetctl agent add with "--" before the command; the new id. */
static char *
ctl_agent_add(const struct idenv *e, const char *email, const char *roles)
{
	const char	*args[] = { "agent", "add", email, "--name",
	    "Nina Agent", "--roles", roles, "--departments", "mairie", NULL };
	char		*out = NULL, *err = NULL, id[64];
	int		 rc;

	rc = idl_ctl(e->db, 1, args, &out, &err);
	ck_assert_msg(rc == 0, "guichetctl agent add exited %d: %s%s", rc,
	    out, err);
	ck_assert_msg(sscanf(out, "agent %63s created", id) == 1 &&
	    strlen(id) == 36, "no agent id in: %s", out);
	free(out);
	free(err);
	return (strdup(id));
}

START_TEST(test_ctl_agent_add_and_list)
{
	const char	*list[] = { "agent", "list", NULL };
	struct idenv	 e;
	char		*id, *tok, *out = NULL, *err = NULL, *line, *eol;
	int		 rc;

	idl_start_new(&e, NULL);
	id = ctl_agent_add(&e, "nina@example.org", "agent");
	tok = idl_outbox_token(&e, "nina@example.org", "agent_invitation");
	rc = idl_ctl(e.db, 0, list, &out, &err);
	ck_assert_msg(rc == 0, "agent list exited %d: %s", rc, err);
	line = strstr(out, id);
	ck_assert_msg(line != NULL, "the agent is not listed:\n%s", out);
	if ((eol = strchr(line, '\n')) != NULL)
		*eol = '\0';
	ck_assert_msg(strstr(line, "agent") != NULL &&
	    strstr(line, "mairie") != NULL && strstr(line, "active") != NULL,
	    "its line: %s", line);
	free(id);
	free(tok);
	free(out);
	free(err);
	idl_stop(&e);
}
END_TEST

/* The usage guichetctl documents: options after the command words. */
START_TEST(test_ctl_agent_add_documented_syntax)
{
	const char	*args[] = { "agent", "add", "doc@example.org",
	    "--name", "Doc Agent", "--roles", "agent", "--departments",
	    "mairie", NULL };
	struct idenv	 e;
	char		*out = NULL, *err = NULL, *n;
	int		 rc;

	idl_start_new(&e, NULL);
	rc = idl_ctl(e.db, 0, args, &out, &err);
	ck_assert_msg(rc == 0, "guichetctl agent add EMAIL --name N --roles "
	    "agent --departments mairie exited %d: %s%s", rc, out, err);
	n = idl_sql(&e, "SELECT display_name FROM identity.accounts WHERE "
	    "email = 'doc@example.org'");
	ck_assert_msg(n != NULL && strcmp(n, "Doc Agent") == 0, "name %s", n);
	free(n);
	free(out);
	free(err);
	idl_stop(&e);
}
END_TEST

START_TEST(test_admin_login_mfa)
{
	struct idenv	 e;
	json_t		*c;
	char		*at;

	at = idl_start_admin(&e, NULL);
	c = idl_jwt_json(at, 1);
	ck_assert_msg(c != NULL && json_is_true(json_object_get(c, "mfa")),
	    "the admin's token does not say mfa");
	ck_assert_msg(has_string(json_object_get(c, "roles"), "admin"),
	    "no admin role in the token");
	json_decref(c);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/admin/agents", at,
	    NULL), 200);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_admin_needs_otp)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j;
	const char	*d;
	char		 code[8];

	idl_start_new(&e, NULL);
	idl_req(&e, "POST", "/api/v1/auth/token", NULL, "{\"grant_type\":"
	    "\"password\",\"username\":\"" IDL_ADMIN_EMAIL "\",\"password\":\""
	    IDL_ADMIN_PASSWORD "\"}", &r);
	ck_assert_msg(r.status == 400, "status %ld: %s", r.status, r.body);
	j = harness_json(&r);
	ck_assert_msg(idl_jstr(j, "error") != NULL &&
	    strcmp(idl_jstr(j, "error"), "invalid_grant") == 0, "error: %s",
	    r.body);
	d = idl_jstr(j, "error_description");
	ck_assert_msg(d != NULL && (strstr(d, "otp") != NULL ||
	    strstr(d, "one-time") != NULL), "the answer does not ask for a "
	    "code: %s", r.body);
	ck_assert_msg(strstr(r.body, "access_token") == NULL, "a token");
	json_decref(j);
	http_resp_free(&r);
	/* A wrong code is no better. */
	wrong_code(&e, IDL_ADMIN_TOTP, code);
	ck_assert_int_eq(idl_login(&e, IDL_ADMIN_EMAIL, IDL_ADMIN_PASSWORD,
	    code, NULL, NULL), 400);
	idl_stop(&e);
}
END_TEST

START_TEST(test_totp_code_single_use)
{
	struct idenv	 e;
	char		 code[8];
	char		*at;

	idl_start_new(&e, NULL);
	idl_otp(&e, IDL_ADMIN_TOTP, code);
	at = idl_login_ok(&e, IDL_ADMIN_EMAIL, IDL_ADMIN_PASSWORD, code);
	ck_assert_int_eq(idl_login(&e, IDL_ADMIN_EMAIL, IDL_ADMIN_PASSWORD,
	    code, NULL, NULL), 400);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_admin_agents_list_paging)
{
	struct idenv	 e;
	json_t		*j, *items;
	char		*at, *path, *cursor = NULL, *seen[8];
	long		 st;
	int		 n = 0, i, pages = 0;

	at = idl_start_admin(&e, NULL);
	j = idl_reqj(&e, "GET", "/api/v1/admin/agents", at, NULL, &st);
	ck_assert_msg(st == 200, "status %ld", st);
	items = json_object_get(j, "items");
	ck_assert_msg(json_is_array(items) && json_array_size(items) == 2,
	    "the two demo agents are not listed");
	ck_assert_msg(json_object_get(j, "next_cursor") != NULL &&
	    json_is_null(json_object_get(j, "next_cursor")), "next_cursor "
	    "is not null on the last page");
	json_decref(j);
	/* Who looked: each listed agent has a row naming the reader and why. */
	{
		char	*v = idl_sql(&e, "SELECT count(DISTINCT l.account_id) "
		    "FROM privacy.access_log l JOIN identity.accounts r ON "
		    "r.id = l.reader_account WHERE r.email = "
		    "'admin@demo.guichet.test' AND l.purpose = "
		    "'staff administration' AND l.dataset = 'identity.account'");

		ck_assert_msg(v != NULL && strcmp(v, "2") == 0, "access log "
		    "rows for the listed agents: %s", v != NULL ? v : "none");
		free(v);
	}

	/* One by one, following next_cursor. */
	for (;;) {
		char	*enc;

		enc = cursor != NULL ? idl_urlencode(cursor) : NULL;
		path = harness_printf("/api/v1/admin/agents?limit=1%s%s",
		    enc ? "&cursor=" : "", enc ? enc : "");
		free(enc);
		j = idl_reqj(&e, "GET", path, at, NULL, &st);
		ck_assert_msg(st == 200, "%s: status %ld", path, st);
		items = json_object_get(j, "items");
		ck_assert_msg(json_array_size(items) <= 1, "limit=1 gave %zu",
		    json_array_size(items));
		if (json_array_size(items) == 1) {
			ck_assert(n < 8);
			seen[n++] = strdup(idl_jstr(json_array_get(items, 0),
			    "email"));
		}
		free(cursor);
		cursor = idl_jstr(j, "next_cursor") != NULL ?
		    strdup(idl_jstr(j, "next_cursor")) : NULL;
		json_decref(j);
		free(path);
		ck_assert_msg(++pages <= 4, "paging does not end");
		if (cursor == NULL)
			break;
	}
	ck_assert_msg(n == 2, "%d agents seen page by page", n);
	ck_assert_msg(strcmp(seen[0], seen[1]) != 0, "the same agent twice");
	for (i = 0; i < n; i++)
		free(seen[i]);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/admin/agents?limit=0",
	    at, NULL),
	    400);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_admin_agents_create)
{
	struct idenv	 e;
	json_t		*j, *err;
	char		*at;
	long		 st;

	at = idl_start_admin(&e, NULL);
	j = idl_sendj(&e, "POST", "/api/v1/admin/agents", at,
	    json_pack("{s:s, s:s, s:[s], s:[s]}", "email",
	    "created@example.org", "display_name", "Created Agent", "roles",
	    "agent", "departments", "mairie"), &st);
	ck_assert_msg(st == 201, "create: status %ld", st);
	ck_assert_str_eq(idl_jstr(j, "email"), "created@example.org");
	ck_assert_msg(has_string(json_object_get(j, "roles"), "agent") &&
	    has_string(json_object_get(j, "departments"), "mairie"),
	    "roles or departments missing");
	json_decref(j);

	j = idl_sendj(&e, "POST", "/api/v1/admin/agents", at,
	    json_pack("{s:s, s:s, s:[s], s:[s]}", "email",
	    "other@example.org", "display_name", "Other Agent", "roles",
	    "agent", "departments", "no_such_department"), &st);
	ck_assert_msg(st == 422, "unknown department: status %ld", st);
	err = idl_error_for(j, "/departments");
	ck_assert_msg(err != NULL && strcmp(idl_jstr(err, "code"), "unknown")
	    == 0, "no /departments unknown error");
	json_decref(j);
	{
		char	*n = idl_sql(&e, "SELECT count(*) FROM "
		    "identity.accounts WHERE email = 'other@example.org'");

		ck_assert_msg(n != NULL && strcmp(n, "0") == 0, "the refused "
		    "agent exists");
		free(n);
	}

	j = idl_sendj(&e, "POST", "/api/v1/admin/agents", at,
	    json_pack("{s:s, s:s, s:[s], s:[s]}", "email",
	    "CREATED@example.org", "display_name", "Again", "roles", "agent",
	    "departments", "mairie"), &st);
	ck_assert_msg(st == 409, "duplicate email: status %ld", st);
	json_decref(j);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_admin_patch_roles_revokes_tokens)
{
	struct idenv	 e;
	json_t		*j, *c;
	char		*admin, *agent, *path;
	long		 st;

	idl_start_new(&e, NULL);
	agent = idl_login_ok(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, NULL);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", agent, NULL), 200);
	admin = idl_login_admin(&e);
	path = harness_printf("/api/v1/admin/agents/%s", idl_demo.agent_id);
	j = idl_sendj(&e, "PATCH", path, admin, json_pack("{s:[s, s]}",
	    "roles", "agent", "supervisor"), &st);
	ck_assert_msg(st == 200, "patch: status %ld", st);
	ck_assert_msg(has_string(json_object_get(j, "roles"), "supervisor"),
	    "the answer does not show the new role");
	json_decref(j);
	/* The token carrying the old roles is dead. */
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", agent, NULL), 401);
	free(agent);
	agent = idl_login_ok(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, NULL);
	c = idl_jwt_json(agent, 1);
	ck_assert_msg(has_string(json_object_get(c, "roles"), "supervisor"),
	    "the new token lacks the new role");
	json_decref(c);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", agent, NULL), 200);
	free(path);
	/* No such agent. */
	j = idl_sendj(&e, "PATCH", "/api/v1/admin/agents/"
	    "00000000-0000-4000-8000-000000000000", admin,
	    json_pack("{s:[s]}", "roles", "agent"), &st);
	ck_assert_msg(st == 404, "unknown agent: status %ld", st);
	json_decref(j);
	free(agent);
	free(admin);
	idl_stop(&e);
}
END_TEST

START_TEST(test_admin_block)
{
	struct idenv	 e;
	char		*admin, *agent;

	idl_start_new(&e, NULL);
	agent = idl_login_ok(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, NULL);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", agent, NULL), 200);
	admin = idl_login_admin(&e);
	admin_on(&e, admin, idl_demo.agent_id, "/block", 204, "block");
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", agent, NULL), 401);
	ck_assert_int_eq(idl_login(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD,
	    NULL, NULL, NULL), 400);
	admin_on(&e, admin, NO_AGENT, "/block", 404, "unknown agent");
	free(agent);
	free(admin);
	idl_stop(&e);
}
END_TEST

START_TEST(test_admin_without_mfa_forbidden)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j, *c;
	char		*id, *tok, *at;
	long		 st;

	idl_start_new(&e, NULL);
	/* An administrator invited by guichetctl, without a second factor. */
	id = ctl_agent_add(&e, "nomfa@example.org", "admin");
	tok = idl_outbox_token(&e, "nomfa@example.org", "agent_invitation");
	j = idl_sendj(&e, "POST", "/api/v1/auth/password-reset/confirm", NULL,
	    json_pack("{s:s, s:s}", "token", tok, "password",
	    "Admin-Without-Totp-1"), &st);
	ck_assert_msg(st == 204, "choosing a password: status %ld", st);
	json_decref(j);
	at = idl_login_ok(&e, "nomfa@example.org", "Admin-Without-Totp-1",
	    NULL);
	c = idl_jwt_json(at, 1);
	ck_assert_msg(has_string(json_object_get(c, "roles"), "admin") &&
	    !json_is_true(json_object_get(c, "mfa")), "expected an admin "
	    "token without mfa");
	json_decref(c);
	idl_req(&e, "GET", "/api/v1/admin/agents", at, NULL, &r);
	json_decref(harness_assert_problem(&r, 403, "/problems/forbidden",
	    "/api/v1/admin/agents"));
	http_resp_free(&r);
	j = idl_sendj(&e, "POST", "/api/v1/admin/agents", at,
	    json_pack("{s:s, s:s, s:[s], s:[s]}", "email", "x@example.org",
	    "display_name", "X", "roles", "admin", "departments", "mairie"),
	    &st);
	ck_assert_msg(st == 403, "create without mfa: status %ld", st);
	json_decref(j);
	/* It is still a person: its own account works. */
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", at, NULL), 200);
	free(id);
	free(tok);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_totp_enrolment)
{
	struct idenv	 e;
	json_t		*j, *c;
	char		*at, *secret, *resident, *uri_secret;
	char		 code[8], wrong[8];
	long		 st;

	idl_start_new(&e, NULL);
	at = idl_login_ok(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, NULL);
	j = idl_reqj(&e, "POST", "/api/v1/me/totp", at, NULL, &st);
	ck_assert_msg(st == 201 || st == 200, "enrol: status %ld", st);
	ck_assert_msg(idl_jstr(j, "secret") != NULL &&
	    strlen(idl_jstr(j, "secret")) >= 16, "no secret");
	ck_assert_msg(idl_jstr(j, "otpauth_uri") != NULL &&
	    strncmp(idl_jstr(j, "otpauth_uri"), "otpauth://totp/", 15) == 0,
	    "no otpauth URI");
	secret = strdup(idl_jstr(j, "secret"));
	uri_secret = harness_printf("secret=%s", secret);
	ck_assert_msg(strstr(idl_jstr(j, "otpauth_uri"), uri_secret) != NULL,
	    "the URI does not carry the secret");
	free(uri_secret);
	json_decref(j);

	wrong_code(&e, secret, wrong);
	j = idl_sendj(&e, "POST", "/api/v1/me/totp/verify", at,
	    json_pack("{s:s}", "code", wrong), &st);
	ck_assert_msg(st == 422 && idl_error_for(j, "/code") != NULL,
	    "wrong code: status %ld", st);
	json_decref(j);
	/* Without a confirmed code, the password alone still signs in. */
	free(at);
	at = idl_login_ok(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, NULL);

	idl_otp(&e, secret, code);
	j = idl_sendj(&e, "POST", "/api/v1/me/totp/verify", at,
	    json_pack("{s:s}", "code", code), &st);
	ck_assert_msg(st == 204, "right code: status %ld", st);
	json_decref(j);

	/* From now on the agent needs a code. */
	ck_assert_int_eq(idl_login(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD,
	    NULL, NULL, NULL), 400);
	free(at);
	idl_otp(&e, secret, code);
	at = idl_login_ok(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, code);
	c = idl_jwt_json(at, 1);
	ck_assert_msg(json_is_true(json_object_get(c, "mfa")), "no mfa after "
	    "enrolment");
	json_decref(c);
	/* A second enrolment is refused: only an administrator resets it. */
	j = idl_reqj(&e, "POST", "/api/v1/me/totp", at, NULL, &st);
	ck_assert_msg(st == 409, "second enrolment: status %ld", st);
	json_decref(j);
	/* Residents have no second factor to enrol. */
	resident = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD,
	    NULL);
	j = idl_reqj(&e, "POST", "/api/v1/me/totp", resident, NULL, &st);
	ck_assert_msg(st == 403, "a resident enrols: status %ld", st);
	json_decref(j);
	free(resident);
	free(secret);
	free(at);
	idl_stop(&e);
}
END_TEST

/* Enrol the demo agent; its access token with the mfa claim. */
static char *
enrol_agent(struct idenv *e, char **secret)
{
	json_t		*j;
	char		*at, code[8];
	long		 st;

	at = idl_login_ok(e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, NULL);
	j = idl_reqj(e, "POST", "/api/v1/me/totp", at, NULL, &st);
	ck_assert_msg(st == 201 || st == 200, "enrol: status %ld", st);
	*secret = strdup(idl_jstr(j, "secret"));
	json_decref(j);
	idl_otp(e, *secret, code);
	j = idl_sendj(e, "POST", "/api/v1/me/totp/verify", at,
	    json_pack("{s:s}", "code", code), &st);
	ck_assert_int_eq(st, 204);
	json_decref(j);
	free(at);
	idl_otp(e, *secret, code);
	return (idl_login_ok(e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, code));
}

/*
 * An agent who lost their second factor: an administrator removes it
 * (API or guichetctl); the agent's sessions end, the password alone signs
 * in again (without the mfa claim) and the agent enrols anew.
 */
START_TEST(test_admin_totp_reset)
{
	const char	*args[] = { "agent", "reset-totp", idl_demo.agent_id,
	    NULL };
	struct idenv	 e;
	json_t		*j, *c;
	char		*admin, *agent, *secret, *refresh = NULL;
	char		*out = NULL, *err = NULL;
	long		 st;
	int		 rc;

	idl_start_new(&e, NULL);
	agent = enrol_agent(&e, &secret);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", agent, NULL), 200);
	ck_assert_int_eq(idl_login(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD,
	    NULL, NULL, NULL), 400);	/* a code is needed */
	admin = idl_login_admin(&e);
	admin_on(&e, admin, idl_demo.agent_id, "/totp/reset", 204, "reset");
	/* Its sessions are over at once. */
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", agent, NULL), 401);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.refresh_tokens WHERE account_id = '%s' AND revoked_at "
	    "IS NULL", idl_demo.agent_id), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.agents WHERE account_id = '%s' AND totp_secret IS NULL "
	    "AND totp_enrolled_at IS NULL", idl_demo.agent_id), 1);
	/* The password alone signs in, without mfa, and may enrol again. */
	free(agent);
	ck_assert_int_eq(idl_login(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD,
	    NULL, &agent, &refresh), 200);
	c = idl_jwt_json(agent, 1);
	ck_assert_msg(!json_is_true(json_object_get(c, "mfa")), "mfa claim "
	    "without a second factor");
	json_decref(c);
	j = idl_reqj(&e, "POST", "/api/v1/me/totp", agent, NULL, &st);
	ck_assert_msg(st == 201 || st == 200, "enrol again: status %ld", st);
	ck_assert_str_ne(idl_jstr(j, "secret"), secret);
	json_decref(j);
	/* Not an agent: 404. */
	admin_on(&e, admin, NO_AGENT, "/totp/reset", 404, "unknown agent");
	/* The operator's way, for when no administrator can sign in. */
	rc = idl_ctl(e.db, 0, args, &out, &err);
	ck_assert_msg(rc == 0 && strstr(out, "second factor removed") != NULL,
	    "guichetctl agent reset-totp exited %d: %s%s", rc, out, err);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.agents WHERE account_id = '%s' AND totp_secret IS NULL",
	    idl_demo.agent_id), 1);
	free(out);
	free(err);
	free(refresh);
	free(secret);
	free(agent);
	free(admin);
	idl_stop(&e);
}
END_TEST

START_TEST(test_ctl_block_reaches_server)
{
	const char	*args[] = { "agent", "block", idl_demo.agent_id,
	    NULL };
	struct idenv	 e;
	char		*at, *out = NULL, *err = NULL;
	int		 rc;

	idl_start_new(&e, NULL);
	at = idl_login_ok(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, NULL);
	/* The principal is in the server's cache now. */
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", at, NULL), 200);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", at, NULL), 200);
	rc = idl_ctl(e.db, 0, args, &out, &err);
	ck_assert_msg(rc == 0, "guichetctl agent block exited %d: %s%s", rc,
	    out, err);
	/*
	 * Until the server hears of it the guard lets the token in (and
	 * /me may say 404: the account is no longer active); then 401.
	 */
	idl_refused_at_once(&e, "/api/v1/me", at, "guichetctl agent block");
	free(at);
	free(out);
	free(err);
	idl_stop(&e);
}
END_TEST

/*
 * A block, a second-factor reset and a logout everywhere are each one
 * transaction: when the statement after the first fails (the tokens'
 * revocation, the token version), nothing of the first is kept: the
 * agent is still active, still enrolled, its sessions all alive.
 */
START_TEST(test_agent_steps_atomic)
{
	struct idenv	 e;
	char		*admin, *agent, *secret;
	long		 live, st;
	json_t		*j;

	idl_start_new(&e, NULL);
	agent = enrol_agent(&e, &secret);
	admin = idl_login_admin(&e);
	live = idl_sql_count(&e, "SELECT count(*) FROM identity.refresh_tokens "
	    "WHERE account_id = '%s' AND revoked_at IS NULL",
	    idl_demo.agent_id);
	ck_assert_int_ge(live, 1);
	idl_fail_on(&e, "UPDATE OF revoked_at", "identity.refresh_tokens");
	admin_on(&e, admin, idl_demo.agent_id, "/block", 503, "block, the "
	    "revocation failing");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.accounts WHERE id = '%s' AND status = 'active'",
	    idl_demo.agent_id), 1);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", agent, NULL), 200);
	admin_on(&e, admin, idl_demo.agent_id, "/totp/reset", 503, "TOTP "
	    "reset, the revocation failing");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.agents WHERE account_id = '%s' AND totp_secret IS NOT "
	    "NULL AND totp_enrolled_at IS NOT NULL", idl_demo.agent_id), 1);
	idl_fail_off(&e, "identity.refresh_tokens");
	/* The logout everywhere: the token version is its second statement. */
	idl_fail_on(&e, "UPDATE OF token_version", "identity.accounts");
	j = idl_sendj(&e, "POST", "/api/v1/auth/logout", agent,
	    json_pack("{s:b}", "all", 1), &st);
	ck_assert_msg(st == 503, "logout, the token version failing: %ld", st);
	json_decref(j);
	idl_fail_off(&e, "identity.accounts");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.refresh_tokens WHERE account_id = '%s' AND revoked_at IS "
	    "NULL", idl_demo.agent_id), live);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", agent, NULL), 200);
	/* Without the failures, each is done. */
	admin_on(&e, admin, idl_demo.agent_id, "/totp/reset", 204, "reset");
	admin_on(&e, admin, idl_demo.agent_id, "/block", 204, "block");
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me", agent, NULL), 401);
	free(secret);
	free(agent);
	free(admin);
	idl_stop(&e);
}
END_TEST

/*
 * An administrator's read of agents' personal data and its access-log
 * entries are one transaction: when the log cannot be written the read
 * is refused (503), no personal data in the answer, and nothing logged.
 */
START_TEST(test_staff_read_needs_log)
{
	struct idenv	 e;
	struct http_resp r;
	char		*admin, *auth;
	const char	*h[2] = { NULL, NULL };
	long		 logged;

	idl_start_new(&e, NULL);
	admin = idl_login_admin(&e);
	auth = harness_printf("Authorization: Bearer %s", admin);
	h[0] = auth;
	logged = idl_sql_count(&e, "SELECT count(*) FROM privacy.access_log");
	idl_fail_on(&e, "INSERT", "privacy.access_log");
	idl_reqh(&e, "GET", "/api/v1/admin/agents", h, NULL, &r);
	json_decref(harness_assert_problem(&r, 503, NULL, NULL));
	ck_assert_msg(strstr(r.body, IDL_AGENT_EMAIL) == NULL, "the refused "
	    "read answered an agent's address: %s", r.body);
	http_resp_free(&r);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log"), logged);
	idl_fail_off(&e, "privacy.access_log");
	idl_reqh(&e, "GET", "/api/v1/admin/agents", h, NULL, &r);
	ck_assert_msg(r.status == 200 && strstr(r.body, IDL_AGENT_EMAIL) !=
	    NULL, "the read once the log works: %ld", r.status);
	http_resp_free(&r);
	ck_assert_int_gt(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log"), logged);
	free(auth);
	free(admin);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_ctl_agent_add_and_list,
	&test_ctl_agent_add_documented_syntax,
	&test_admin_login_mfa,
	&test_admin_needs_otp,
	&test_totp_code_single_use,
	&test_admin_agents_list_paging,
	&test_admin_agents_create,
	&test_admin_patch_roles_revokes_tokens,
	&test_admin_block,
	&test_agent_steps_atomic,
	&test_staff_read_needs_log,
	&test_admin_without_mfa_forbidden,
	&test_totp_enrolment,
	&test_admin_totp_reset,
	&test_ctl_block_reaches_server,
	NULL
};

const struct test_group test_groups[] = {
	{ "agents", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
