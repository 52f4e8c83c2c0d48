/*
 * t3009-contract: the identity module keeps the module contract
 * (ARCHITECTURE.md, "Rules a module keeps"; issue 9): every failure has
 * its problem code; an empty PATCH is a 422 empty_patch everywhere; a
 * logout names what it ends; creating an agent is one operation, so
 * guichetctl and the HTTP route queue the same invitation; an
 * administrator's reads of agents are in the access log, one entry per
 * account read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idlib.h"

static void
start(struct idenv *e)
{
	memset(e, 0, sizeof(*e));
	idl_start(e);
}

/* A problem of 'status' whose code is 'code' (the body is returned). */
static json_t *
expect_code(const struct idenv *e, const char *method, const char *path,
    const char *token, const char *body, long status, const char *code)
{
	struct http_resp r;
	json_t		*j;

	idl_req(e, method, path, token, body, &r);
	j = harness_assert_problem(&r, status, NULL, NULL);
	ck_assert_msg(idl_jstr(j, "code") != NULL &&
	    strcmp(idl_jstr(j, "code"), code) == 0, "%s %s: code %s, "
	    "expected %s: %s", method, path, idl_jstr(j, "code"), code,
	    r.body);
	http_resp_free(&r);
	return (j);
}

START_TEST(test_empty_patch)
{
	struct idenv	 e;
	char		*at, *admin, *path;
	long		 tv;

	start(&e);
	tv = idl_sql_count(&e, "SELECT token_version FROM identity.accounts "
	    "WHERE id = '%s'", idl_demo.agent_id);
	at = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	json_decref(expect_code(&e, "PATCH", "/api/v1/me", at, "{}", 422,
	    "empty_patch"));
	admin = idl_login_admin(&e);
	path = harness_printf("/api/v1/admin/agents/%s", idl_demo.agent_id);
	json_decref(expect_code(&e, "PATCH", path, admin, "{}", 422,
	    "empty_patch"));
	/* Nothing changed: the agent's tokens were not revoked. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT token_version FROM "
	    "identity.accounts WHERE id = '%s'", idl_demo.agent_id), tv);
	free(path);
	free(admin);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_logout_names_its_target)
{
	struct idenv	 e;
	char		*at;
	long		 st;
	json_t		*j;

	start(&e);
	at = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	json_decref(expect_code(&e, "POST", "/api/v1/auth/logout", at, "{}",
	    422, "logout_target_required"));
	json_decref(expect_code(&e, "POST", "/api/v1/auth/logout", at,
	    "{\"all\": false}", 422, "logout_target_required"));
	/* Still signed in; "all": true ends it. */
	j = idl_reqj(&e, "GET", "/api/v1/me", at, NULL, &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	j = idl_reqj(&e, "POST", "/api/v1/auth/logout", at, "{\"all\": true}",
	    &st);
	ck_assert_int_eq(st, 204);
	json_decref(j);
	j = idl_reqj(&e, "GET", "/api/v1/me", at, NULL, &st);
	ck_assert_int_eq(st, 401);
	json_decref(j);
	free(at);
	idl_stop(&e);
}
END_TEST

/* One code per kind of failure, in each of the three languages. */
START_TEST(test_problem_codes)
{
	static const char *const langs[] = { "fr", "en", "it" };
	struct idenv	 e;
	struct http_resp r;
	json_t		*j, *first = NULL;
	char		*admin, *body, *lh;
	const char	*h[4];
	size_t		 i;

	start(&e);
	body = harness_printf("{\"email\": \"%s\", \"password\": "
	    "\"Correct-Horse-Battery-9\", \"display_name\": \"X\", "
	    "\"profile_kind\": \"permanent_resident\"}", IDL_RESIDENT_EMAIL);
	json_decref(expect_code(&e, "POST", "/api/v1/accounts", NULL, body,
	    409, "email_taken"));
	free(body);
	json_decref(expect_code(&e, "POST", "/api/v1/accounts/verify", NULL,
	    "{\"token\": \"nope\"}", 422, "link_invalid"));
	json_decref(expect_code(&e, "POST",
	    "/api/v1/auth/password-reset/confirm", NULL, "{\"token\": "
	    "\"nope\", \"password\": \"Brand-New-Secret-77\"}", 422,
	    "link_invalid"));
	admin = idl_login_admin(&e);
	json_decref(expect_code(&e, "POST", "/api/v1/admin/agents/"
	    "00000000-0000-4000-8000-000000000000/block", admin, NULL, 404,
	    "agent_not_found"));
	json_decref(expect_code(&e, "POST", "/api/v1/admin/agents/not-a-uuid/"
	    "totp/reset", admin, NULL, 404, "agent_not_found"));
	json_decref(expect_code(&e, "POST", "/api/v1/admin/agents", admin,
	    "{\"email\": \"d@example.org\", \"display_name\": \"D\", "
	    "\"roles\": [\"agent\"], \"departments\": [\"nowhere\"]}", 422,
	    "department_unknown"));
	json_decref(expect_code(&e, "GET", "/api/v1/admin/agents?cursor=%25",
	    admin, NULL, 400, "bad_cursor"));
	/* A resident has no second factor to enrol. */
	free(admin);
	admin = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD,
	    NULL);
	json_decref(expect_code(&e, "POST", "/api/v1/me/totp", admin, NULL,
	    403, "totp_agents_only"));
	json_decref(expect_code(&e, "POST", "/api/v1/me/password", admin,
	    "{\"current_password\": \"wrong-one-entirely\", "
	    "\"new_password\": \"Brand-New-Secret-77\"}", 422,
	    "password_wrong"));
	/* The detail follows the language; the code does not. */
	for (i = 0; i < 3; i++) {
		lh = harness_printf("Accept-Language: %s", langs[i]);
		h[0] = lh;
		h[1] = "Content-Type: application/json";
		h[2] = NULL;
		idl_reqh(&e, "POST", "/api/v1/accounts/verify", h,
		    "{\"token\": \"nope\"}", &r);
		free(lh);
		j = harness_assert_problem(&r, 422, NULL, NULL);
		ck_assert_str_eq(idl_jstr(j, "code"), "link_invalid");
		if (first != NULL)
			ck_assert_msg(strcmp(idl_jstr(j, "detail"),
			    idl_jstr(first, "detail")) != 0, "the detail is "
			    "not translated: %s", r.body);
		json_decref(first);
		first = j;
		http_resp_free(&r);
	}
	json_decref(first);
	free(admin);
	idl_stop(&e);
}
END_TEST

/* The invitation of an agent, as the outbox holds it: "template keys". */
static char *
invitation(const struct idenv *e, const char *email)
{
	char	*v;

	v = idl_sql(e, "SELECT template || ' ' || (SELECT string_agg(k, ',' "
	    "ORDER BY k) FROM jsonb_object_keys(payload) k) FROM ops.outbox "
	    "WHERE recipient = '%s'", email);
	ck_assert_msg(v != NULL, "no message to %s", email);
	return (v);
}

START_TEST(test_agent_creation_one_operation)
{
	const char	*args[] = { "agent", "add", "by-ctl@example.org",
	    "--name", "By Ctl", "--roles", "agent", "--departments", "mairie",
	    NULL };
	struct idenv	 e;
	char		*admin, *out = NULL, *err = NULL, *a, *b;
	long		 st;
	json_t		*j;

	start(&e);
	ck_assert_int_eq(idl_ctl(e.db, 1, args, &out, &err), 0);
	admin = idl_login_admin(&e);
	j = idl_reqj(&e, "POST", "/api/v1/admin/agents", admin,
	    "{\"email\": \"by-http@example.org\", \"display_name\": "
	    "\"By Http\", \"roles\": [\"agent\"], \"departments\": "
	    "[\"mairie\"]}", &st);
	ck_assert_int_eq(st, 201);
	json_decref(j);
	a = invitation(&e, "by-ctl@example.org");
	b = invitation(&e, "by-http@example.org");
	ck_assert_msg(strcmp(a, b) == 0, "guichetctl queued '%s', the route "
	    "'%s'", a, b);
	ck_assert_str_eq(a, "agent_invitation expires_at,token,url");
	/* Both agents alike: roles, department, one live invitation. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.accounts a JOIN identity.agents g ON g.account_id = a.id "
	    "JOIN identity.agent_departments d ON d.account_id = a.id JOIN "
	    "identity.one_time_tokens o ON o.account_id = a.id WHERE a.email "
	    "IN ('by-ctl@example.org', 'by-http@example.org') AND g.roles = "
	    "'{agent}' AND d.department = 'mairie' AND o.purpose = "
	    "'reset_password' AND o.used_at IS NULL"), 2);
	free(a);
	free(b);
	free(out);
	free(err);
	free(admin);
	idl_stop(&e);
}
END_TEST

/* Every agent an administrator lists is one access-log entry. */
START_TEST(test_agent_list_logged)
{
	struct idenv	 e;
	char		*admin;
	long		 st, before;
	json_t		*j;

	start(&e);
	admin = idl_login_admin(&e);
	before = idl_sql_count(&e, "SELECT count(*) FROM privacy.access_log");
	j = idl_reqj(&e, "GET", "/api/v1/admin/agents?limit=1", admin, NULL,
	    &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log WHERE dataset = 'identity.account' AND "
	    "reader_account = '%s'", idl_demo.admin_id), 1);
	json_decref(j);
	j = idl_reqj(&e, "GET", "/api/v1/admin/agents", admin, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log") - before, 1 +
	    (long)json_array_size(json_object_get(j, "items")));
	json_decref(j);
	free(admin);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_empty_patch,
	&test_logout_names_its_target,
	&test_problem_codes,
	&test_agent_creation_one_operation,
	&test_agent_list_logged,
	NULL
};

const struct test_group test_groups[] = {
	{ "contract", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
