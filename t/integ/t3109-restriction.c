/*
 * t3109-restriction: restriction (Art. 18) and objection
 * (Art. 21).  A person restricts the processing of their
 * data (POST /api/v1/me/restriction): they leave the newsletter list, the
 * subject read stays the DPO's only and shows the restriction, and the
 * lift by the DPO queues the notice to the person (ops.outbox,
 * restriction_lift, in their language) before the state changes, which
 * the database itself requires.  An objection to the newsletter withdraws
 * the consent at once; one to a public-task purpose becomes a request the
 * DPO decides with recorded grounds; one to another consent-based
 * purpose is sent to the consent endpoint.  A person's consent changes
 * and rights requests have a budget per client address.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idlib.h"

#define FROZEN		"2026-12-20T08:30:00Z"
#define REQS		"/api/v1/admin/privacy/requests"

static long
in_newsletter(const struct idenv *e, const char *account)
{
	return (idl_sql_count(e, "SELECT count(*) FROM "
	    "privacy.newsletter_recipients WHERE account_id = '%s'", account));
}

static long
subject_read(const struct idenv *e, const char *token, const char *id,
    json_t **out)
{
	char	*path;
	json_t	*j;
	long	 st;

	path = harness_printf("/api/v1/admin/privacy/subjects/%s", id);
	j = idl_reqj_with(e, "GET", path, token, "X-Purpose: contentieux",
	    NULL, &st);
	free(path);
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return (st);
}

/* The demo agent, given a TOTP secret: its token (roles agent, mfa). */
static char *
agent_token(struct idenv *e)
{
	char	 code[8];

	ck_assert_int_eq(idl_sql_exec(e, "UPDATE identity.agents SET "
	    "totp_secret = '" IDL_ADMIN_TOTP "', totp_enrolled_at = "
	    "'2026-01-01Z' WHERE account_id = '%s'", idl_demo.agent_id), 0);
	idl_otp(e, IDL_ADMIN_TOTP, code);
	return (idl_login_ok(e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, code));
}

START_TEST(test_restriction_freezes)
{
	struct idenv	 e;
	char		*res, *dpo, *agent, *d;
	json_t		*j;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	json_decref(idl_reqj(&e, "PUT", "/api/v1/me/consents/newsletter", res,
	    NULL, &st));
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(in_newsletter(&e, idl_demo.resident_id), 1);
	j = idl_reqj(&e, "GET", "/api/v1/me/restriction", res, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert(json_is_false(json_object_get(j, "restricted")));
	json_decref(j);

	j = idl_reqj(&e, "POST", "/api/v1/me/restriction", res, NULL, &st);
	d = harness_dump(j);
	ck_assert_msg(st == 201 && json_is_true(json_object_get(j,
	    "restricted")), "restrict: %ld %s", st, d);
	idl_assert_str(j, "since", FROZEN);
	free(d);
	json_decref(j);
	/* Idempotent. */
	j = idl_reqj(&e, "POST", "/api/v1/me/restriction", res, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert(json_is_true(json_object_get(j, "restricted")));
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.restrictions WHERE account_id = '%s'",
	    idl_demo.resident_id), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT privacy.is_restricted('%s')::int",
	    idl_demo.resident_id), 1);
	/* Out of the mailing list, though the consent stays given. */
	ck_assert_int_eq(in_newsletter(&e, idl_demo.resident_id), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT privacy.consent_given('%s', "
	    "'newsletter')::int", idl_demo.resident_id), 1);

	/*
	 * An agent cannot read the person: the subject read is the DPO's
	 * route (403); the handler would answer 409 "restricted" to an
	 * agent if the route were opened to agents.  The DPO can, and sees
	 * why.
	 */
	agent = agent_token(&e);
	st = subject_read(&e, agent, idl_demo.resident_id, NULL);
	ck_assert_msg(st == 403, "agent read: %ld", st);
	dpo = idl_login_admin(&e);
	st = subject_read(&e, dpo, idl_demo.resident_id, &j);
	d = harness_dump(j);
	ck_assert_msg(st == 200 && json_is_true(json_object_get(
	    json_object_get(j, "restriction"), "restricted")), "dpo read: %ld "
	    "%s", st, d);
	free(d);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM privacy.access_log "
	    "WHERE account_id = '%s'", idl_demo.resident_id), 1);
	free(agent);
	free(dpo);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_lift_tells_the_person_first)
{
	struct idenv	 e;
	char		*res, *dpo, *path, *d, *v;
	json_t		*j;
	long		 st;

	idl_start_new(&e, NULL);	/* the system clock: times move between calls */
	res = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	json_decref(idl_reqj(&e, "PUT", "/api/v1/me/consents/newsletter", res,
	    NULL, &st));
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE identity.accounts SET locale "
	    "= 'it' WHERE id = '%s'", idl_demo.resident_id), 0);
	dpo = idl_login_admin(&e);
	path = harness_printf("/api/v1/admin/privacy/subjects/%s/restriction/"
	    "lift", idl_demo.resident_id);
	/* Nothing to lift yet. */
	json_decref(idl_reqj(&e, "POST", path, dpo, NULL, &st));
	ck_assert_int_eq(st, 409);
	json_decref(idl_reqj(&e, "POST", "/api/v1/me/restriction", res, NULL,
	    &st));
	ck_assert_int_eq(st, 201);
	/* The person may not lift it; the database refuses a silent lift. */
	json_decref(idl_reqj(&e, "POST", path, res, NULL, &st));
	ck_assert_int_eq(st, 403);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE privacy.restrictions SET "
	    "lifted_at = now(), notified_at = now(), lifted_by = '%s' WHERE "
	    "account_id = '%s'", idl_demo.admin_id, idl_demo.resident_id), -1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox WHERE "
	    "template = 'restriction_lift'"), 0);

	j = idl_reqj(&e, "POST", path, dpo, NULL, &st);
	d = harness_dump(j);
	ck_assert_msg(st == 200 && json_is_false(json_object_get(j,
	    "restricted")), "lift: %ld %s", st, d);
	free(d);
	json_decref(j);
	/* One notice, in the person's language, named by the lift. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox o JOIN "
	    "privacy.restrictions r ON r.notice_outbox = o.id WHERE "
	    "o.account_id = '%s' AND o.template = 'restriction_lift' AND "
	    "o.locale = 'it' AND o.recipient = '" IDL_RESIDENT_EMAIL "' AND "
	    "r.lifted_by = '%s'", idl_demo.resident_id, idl_demo.admin_id), 1);
	/* Queued first: notice <= notified_at <= lifted_at. */
	v = idl_sql(&e, "SELECT (o.created_at <= r.notified_at AND "
	    "r.notified_at <= r.lifted_at)::text || ' ' || o.created_at || ' ' "
	    "|| r.lifted_at FROM ops.outbox o JOIN privacy.restrictions r ON "
	    "r.notice_outbox = o.id");
	ck_assert_msg(v != NULL && strncmp(v, "true ", 5) == 0, "order: %s",
	    v ? v : "(none)");
	free(v);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT privacy.is_restricted('%s')::int",
	    idl_demo.resident_id), 0);
	ck_assert_int_eq(in_newsletter(&e, idl_demo.resident_id), 1);
	/* Lifted once; the history keeps it; a lifted row never changes. */
	json_decref(idl_reqj(&e, "POST", path, dpo, NULL, &st));
	ck_assert_int_eq(st, 409);
	j = idl_reqj(&e, "GET", "/api/v1/me/restriction", res, NULL, &st);
	d = harness_dump(j);
	ck_assert_msg(st == 200 && json_array_size(json_object_get(j,
	    "history")) == 1 && idl_jstr(json_array_get(json_object_get(j,
	    "history"), 0), "lifted_at") != NULL, "%s", d);
	free(d);
	json_decref(j);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE privacy.restrictions SET "
	    "lifted_at = lifted_at + interval '1 day'"), -1);
	/* The outbox's purge may still take the sent notice away. */
	ck_assert_int_eq(idl_sql_exec(&e, "DELETE FROM ops.outbox WHERE "
	    "template = 'restriction_lift'"), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.restrictions WHERE notice_outbox IS NULL AND notified_at "
	    "IS NOT NULL AND lifted_at IS NOT NULL"), 1);
	free(path);
	free(res);
	free(dpo);
	idl_stop(&e);
}
END_TEST

START_TEST(test_objection_to_newsletter_at_once)
{
	struct idenv	 e;
	char		*res, *d, *v;
	json_t		*j;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	json_decref(idl_reqj(&e, "PUT", "/api/v1/me/consents/newsletter", res,
	    NULL, &st));
	ck_assert_int_eq(in_newsletter(&e, idl_demo.resident_id), 1);
	j = idl_reqj(&e, "POST", "/api/v1/me/objections", res,
	    "{\"purpose\":\"newsletter\"}", &st);
	d = harness_dump(j);
	ck_assert_msg(st == 201, "objection: %ld %s", st, d);
	idl_assert_strs(j, "kind", "objection", "purpose", "newsletter",
	    "status", "answered", "decision", "upheld", "channel", "api", NULL);
	free(d);
	json_decref(j);
	/* At once: the consent is withdrawn through the ledger. */
	ck_assert_int_eq(in_newsletter(&e, idl_demo.resident_id), 0);
	v = idl_sql(&e, "SELECT action || '/' || channel FROM "
	    "privacy.consent_ledger WHERE account_id = '%s' AND purpose = "
	    "'newsletter' ORDER BY id DESC LIMIT 1", idl_demo.resident_id);
	ck_assert_str_eq(v, "withdrawn/api");
	free(v);
	/* Absolute: even without a consent given, it is upheld. */
	j = idl_reqj(&e, "POST", "/api/v1/me/objections", res,
	    "{\"purpose\":\"newsletter\",\"grounds\":\"no more\"}", &st);
	ck_assert_int_eq(st, 201);
	idl_assert_str(j, "decision", "upheld");
	json_decref(j);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_objection_to_public_task_decided)
{
	struct idenv	 e;
	char		*res, *dpo, *id, *path, *d;
	json_t		*j;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	j = idl_reqj(&e, "POST", "/api/v1/me/objections", res,
	    "{\"purpose\":\"case_notifications\",\"grounds\":\"I read my "
	    "requests on line\"}", &st);
	d = harness_dump(j);
	ck_assert_msg(st == 201, "objection: %ld %s", st, d);
	idl_assert_strs(j, "status", "received",
	    "purpose", "case_notifications",
	    "grounds", "I read my requests on line",
	    "due_at", "2027-01-20T08:30:00Z", NULL);
	ck_assert(json_is_null(json_object_get(j, "decision")));
	id = strdup(idl_jstr(j, "id"));
	free(d);
	json_decref(j);
	/* One at a time per purpose. */
	json_decref(idl_reqj(&e, "POST", "/api/v1/me/objections", res,
	    "{\"purpose\":\"case_notifications\"}", &st));
	ck_assert_int_eq(st, 409);

	dpo = idl_login_admin(&e);
	path = harness_printf(REQS "/%s", id);
	/* A decision needs its grounds. */
	j = idl_reqj(&e, "PATCH", path, dpo, "{\"decision\":\"rejected\"}",
	    &st);
	ck_assert_msg(st == 422 && idl_error_for(j, "/grounds") != NULL,
	    "no grounds: %ld", st);
	json_decref(j);
	j = idl_reqj(&e, "PATCH", path, dpo, "{\"decision\":\"rejected\","
	    "\"grounds\":\"Notifications are part of the legal procedure "
	    "(compelling legitimate grounds)\"}", &st);
	d = harness_dump(j);
	ck_assert_msg(st == 200, "decide: %ld %s", st, d);
	idl_assert_strs(j, "decision", "rejected", "status", "refused", NULL);
	idl_assert_str(j, "decided_by", idl_demo.admin_id);
	ck_assert_msg(strstr(idl_jstr(j, "decision_grounds"),
	    "compelling legitimate grounds") != NULL &&
	    strstr(idl_jstr(j, "answer"), "CNIL") != NULL, "%s", d);
	free(d);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM privacy.requests "
	    "WHERE id = '%s' AND decision = 'rejected' AND decision_grounds IS "
	    "NOT NULL AND decided_by = '%s'", id, idl_demo.admin_id), 1);
	free(path);
	free(id);
	/* A new objection, upheld. */
	j = idl_reqj(&e, "POST", "/api/v1/me/objections", res,
	    "{\"purpose\":\"case_notifications\"}", &st);
	ck_assert_int_eq(st, 201);
	path = harness_printf(REQS "/%s", idl_jstr(j, "id"));
	json_decref(j);
	j = idl_reqj(&e, "PATCH", path, dpo, "{\"decision\":\"upheld\","
	    "\"grounds\":\"No overriding reason\"}", &st);
	ck_assert_int_eq(st, 200);
	idl_assert_strs(j, "status", "answered", "decision", "upheld", NULL);
	json_decref(j);
	free(path);
	/* Only objections are decided. */
	j = idl_sendj(&e, "POST", REQS, dpo, json_pack("{s:s, s:s}",
	    "account_id", idl_demo.resident_id, "kind", "access"), &st);
	ck_assert_int_eq(st, 201);
	path = harness_printf(REQS "/%s", idl_jstr(j, "id"));
	json_decref(j);
	json_decref(idl_reqj(&e, "PATCH", path, dpo, "{\"decision\":\"upheld\","
	    "\"grounds\":\"x\"}", &st));
	ck_assert_int_eq(st, 409);
	free(path);
	free(dpo);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_objection_other_bases)
{
	/*
	 * Refused: an objection to a legal obligation, to an unknown purpose,
	 * to no purpose, from nobody signed in.
	 */
	static const struct {
		const char	*body;
		int		 signed_in;
		long		 status;
	} refused[] = {
		{ "{\"purpose\":\"civil_status\"}", 1, 409 },
		{ "{\"purpose\":\"no_such_purpose\"}", 1, 422 },
		{ "{\"grounds\":\"x\"}", 1, 422 },
		{ "{\"purpose\":\"newsletter\"}", 0, 401 },
	};
	struct idenv	 e;
	struct http_resp r;
	char		*res, *auth;
	const char	*h[3];
	json_t		*j;
	size_t		 i;

	res = idl_start_resident(&e, FROZEN);
	auth = harness_printf("Authorization: Bearer %s", res);
	h[0] = auth;
	h[1] = "Content-Type: application/json";
	h[2] = NULL;
	/* Consent-based, not marketing: withdraw the consent instead. */
	idl_reqh(&e, "POST", "/api/v1/me/objections", h,
	    "{\"purpose\":\"visitor_statistics\"}", &r);
	j = harness_assert_problem(&r, 409, "/problems/conflict", NULL);
	ck_assert_str_eq(idl_jstr(j, "code"), "objection_withdraw_consent");
	ck_assert_msg(strstr(idl_jstr(j, "detail"), "retirez plutôt votre "
	    "consentement") != NULL && strstr(idl_jstr(j, "detail"),
	    "/api/v1/me/consents/visitor_statistics") != NULL, "%s",
	    idl_jstr(j, "detail"));
	ck_assert_msg(http_resp_header(&r, "Link") != NULL && strstr(
	    http_resp_header(&r, "Link"), "/api/v1/me/consents/"
	    "visitor_statistics") != NULL, "no Link");
	json_decref(j);
	http_resp_free(&r);
	/* Contract or legal obligation: no right to object. */
	idl_purpose_add(&e, "civil_status", "legal_obligation");
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ck_assert_msg(idl_status(&e, "POST", "/api/v1/me/objections",
		    refused[i].signed_in ? res : NULL, refused[i].body) ==
		    refused[i].status, "objection %s: not %ld", refused[i].body,
		    refused[i].status);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.requests"), 0);
	free(auth);
	free(res);
	idl_stop(&e);
}
END_TEST

/*
 * Same fault, same status (ARCHITECTURE.md, "API conventions"): a purpose
 * that does not exist, named in a body, is a value of a member: a 422 with
 * one error on /purpose, code "unknown", the same body from the person's objection and from the DPO's
 * record of one.  Named in a path it is a resource that does not exist:
 * 404, purpose_not_found.
 */
START_TEST(test_unknown_purpose_422)
{
	struct idenv	 e;
	struct http_resp mine, dpos, path;
	const char	*unknown = "{\"purpose\":\"no_such_purpose\"}";
	char		*res, *dpo, *body;
	json_t		*j, *f;

	res = idl_start_resident(&e, FROZEN);
	dpo = idl_login_admin(&e);
	idl_req(&e, "POST", "/api/v1/me/objections", res, unknown, &mine);
	j = harness_assert_problem(&mine, 422, "/problems/validation", NULL);
	ck_assert_str_eq(idl_jstr(j, "code"), "validation");
	ck_assert_uint_eq(json_array_size(json_object_get(j, "errors")), 1);
	f = idl_error_for(j, "/purpose");
	ck_assert_msg(f != NULL && strcmp(idl_jstr(f, "code"), "unknown") == 0,
	    "%s", mine.body);
	json_decref(j);
	body = harness_printf("{\"account_id\":\"%s\",\"kind\":\"objection\","
	    "\"purpose\":\"no_such_purpose\"}", idl_demo.resident_id);
	idl_req(&e, "POST", REQS, dpo, body, &dpos);
	idl_assert_same_body(&mine, &dpos, "an unknown purpose, objected to "
	    "by the person and recorded by the DPO");
	idl_req(&e, "PUT", "/api/v1/me/consents/no_such_purpose", res, NULL,
	    &path);
	j = harness_assert_problem(&path, 404, "/problems/not-found", NULL);
	ck_assert_str_eq(idl_jstr(j, "code"), "purpose_not_found");
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.requests"), 0);
	http_resp_free(&mine);
	http_resp_free(&dpos);
	http_resp_free(&path);
	free(body);
	free(dpo);
	free(res);
	idl_stop(&e);
}
END_TEST

/*
 * Lifting for a person who does not exist is 404, not 409 (guichetd(8));
 * for one whose data is not restricted, 409: two codes.
 */
START_TEST(test_lift_unknown_person_404)
{
	struct {
		const char	*id;
		long		 status;
		const char	*code;
	} cases[] = {
		{ "00000000-0000-4000-8000-000000000000", 404,
		  "subject_not_found" },
		{ "nope", 404, "subject_not_found" },
		{ idl_demo.resident_id, 409, "subject_not_restricted" },
	};
	struct idenv	 e;
	struct http_resp r;
	json_t		*j;
	char		*dpo, *path;
	size_t		 i;

	idl_start_new(&e, FROZEN);
	dpo = idl_login_admin(&e);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = harness_printf("/api/v1/admin/privacy/subjects/%s/"
		    "restriction/lift", cases[i].id);
		idl_req(&e, "POST", path, dpo, NULL, &r);
		j = harness_assert_problem(&r, cases[i].status, NULL, path);
		ck_assert_str_eq(idl_jstr(j, "code"), cases[i].code);
		json_decref(j);
		http_resp_free(&r);
		free(path);
	}
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'restriction_lift'"), 0);
	free(dpo);
	idl_stop(&e);
}
END_TEST

/*
 * Budgets per client address: the servers below believe
 * X-Forwarded-For from 127.0.0.1 (idl_start_proxied()), so that one test
 * speaks from several addresses.
 */

/* 'method' 'path' with 'body' (may be NULL) from client address 'from'. */
static long
send_from(const struct idenv *e, const char *method, const char *path,
    const char *from, const char *token, const char *body,
    struct http_resp *r)
{
	char	*xff;
	long	 st;

	xff = harness_printf("X-Forwarded-For: %s", from);
	st = idl_req_with(e, method, path, token, xff, body, r);
	free(xff);
	return (st);
}

/* The answer past a budget: 429 rate_limited with Retry-After. */
static void
assert_throttled(struct http_resp *r, const char *path)
{
	json_t		*j;
	const char	*ra;

	j = harness_assert_problem(r, 429, "/problems/too-many-requests",
	    path);
	ck_assert_str_eq(idl_jstr(j, "code"), "rate_limited");
	ra = http_resp_header(r, "Retry-After");
	ck_assert_msg(ra != NULL && atoi(ra) >= 1 && atoi(ra) <= 60,
	    "Retry-After: %s", ra != NULL ? ra : "(none)");
	json_decref(j);
	http_resp_free(r);
}

/*
 * A flood of consent changes from one client address meets its budget
 * (30 a minute): 429 with Retry-After and nothing recorded; another
 * address is still served.
 */
START_TEST(test_consent_flood_throttled)
{
	static const char	 path[] = "/api/v1/me/consents/newsletter";
	struct idenv		 e;
	struct http_resp	 r;
	char			*res;
	long			 st, rows;
	int			 i;

	idl_start_proxied(&e, FROZEN);
	res = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	for (i = 0; i < 30; i++) {
		st = send_from(&e, i % 2 == 0 ? "PUT" : "DELETE", path,
		    "203.0.113.7", res, NULL, &r);
		http_resp_free(&r);
		ck_assert_msg(st == 200, "change %d: %ld", i, st);
	}
	rows = idl_sql_count(&e, "SELECT count(*) FROM privacy.consent_ledger");
	ck_assert_int_eq(rows, 30);
	send_from(&e, "PUT", path, "203.0.113.7", res, NULL, &r);
	assert_throttled(&r, path);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.consent_ledger"), rows);
	/* Another address is served meanwhile. */
	st = send_from(&e, "PUT", path, "203.0.113.8", res, NULL, &r);
	http_resp_free(&r);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.consent_ledger"), rows + 1);
	free(res);
	idl_stop(&e);
}
END_TEST

/*
 * A flood of rights requests from one client address (restriction and
 * objection share a budget of 10 a minute) meets 429 with Retry-After
 * and records nothing more; another address is still served.
 */
START_TEST(test_rights_flood_throttled)
{
	static const char	 objection[] =
	    "{\"purpose\":\"case_notifications\"}";
	struct idenv		 e;
	struct http_resp	 r;
	char			*res;
	long			 st;
	int			 i;

	idl_start_proxied(&e, FROZEN);
	res = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	for (i = 0; i < 10; i++) {
		st = send_from(&e, "POST", "/api/v1/me/restriction",
		    "198.51.100.7", res, NULL, &r);
		http_resp_free(&r);
		ck_assert_msg(st == (i == 0 ? 201 : 200), "restriction %d: %ld",
		    i, st);
	}
	send_from(&e, "POST", "/api/v1/me/restriction", "198.51.100.7", res,
	    NULL, &r);
	assert_throttled(&r, "/api/v1/me/restriction");
	send_from(&e, "POST", "/api/v1/me/objections", "198.51.100.7", res,
	    objection, &r);
	assert_throttled(&r, "/api/v1/me/objections");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.requests"), 0);
	/* Another address is served meanwhile. */
	st = send_from(&e, "POST", "/api/v1/me/objections", "198.51.100.8",
	    res, objection, &r);
	http_resp_free(&r);
	ck_assert_int_eq(st, 201);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.requests"), 1);
	free(res);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_restriction_freezes,
	&test_lift_tells_the_person_first,
	&test_objection_to_newsletter_at_once,
	&test_objection_to_public_task_decided,
	&test_objection_other_bases,
	&test_unknown_purpose_422,
	&test_lift_unknown_person_404,
	&test_consent_flood_throttled,
	&test_rights_flood_throttled,
	NULL
};

const struct test_group test_groups[] = {
	{ "restriction", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
