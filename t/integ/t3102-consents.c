/*
 * t3102-consents: consent (Art. 7).  Every
 * consent-based purpose starts withdrawn, for new accounts and for
 * purposes added later; giving and withdrawing are one call each
 * (PUT/DELETE /api/v1/me/consents/{purpose}), idempotent; the newsletter
 * recipients follow the latest choice at once; the ledger keeps every
 * choice with the version of the text, the channel and the injected
 * clock's time, and refuses UPDATE, DELETE and TRUNCATE.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idlib.h"

#define GOOD_PASSWORD	"Correct-Horse-Battery-9"
#define FROZEN		"2026-12-20T08:30:00Z"
#define ME		idl_demo.resident_id

static const char *const optional_purposes[] = { "lift_pass_sharing",
    "newsletter", "visitor_statistics", NULL };

static long
ledger_rows(const struct idenv *e, const char *account, const char *purpose)
{
	return (idl_sql_count(e, "SELECT count(*) FROM privacy.consent_ledger "
	    "WHERE account_id = '%s' AND purpose = '%s'", account, purpose));
}

static long
in_newsletter(const struct idenv *e, const char *account)
{
	return (idl_sql_count(e, "SELECT count(*) FROM "
	    "privacy.newsletter_recipients WHERE account_id = '%s'", account));
}

/* The ledger of one person and purpose: "action/version/channel,...". */
static char *
ledger_of(const struct idenv *e, const char *account, const char *purpose)
{
	char	*v;

	v = idl_sql(e, "SELECT string_agg(action || '/' || purpose_version || "
	    "'/' || channel, ',' ORDER BY id) FROM privacy.consent_ledger "
	    "WHERE account_id = '%s' AND purpose = '%s'", account, purpose);
	return (v != NULL ? v : strdup(""));
}

/* GET /api/v1/me/consents, asserted 200. */
static json_t *
consents(const struct idenv *e, const char *token)
{
	json_t	*j;
	long	 st;
	char	*d;

	j = idl_reqj(e, "GET", "/api/v1/me/consents", token, NULL, &st);
	d = harness_dump(j);
	ck_assert_msg(st == 200 && json_is_array(json_object_get(j, "items"))
	    && json_is_array(json_object_get(j, "history")),
	    "GET /api/v1/me/consents: %ld %s", st, d);
	free(d);
	return (j);
}

static const json_t *
item(const json_t *list, const char *purpose)
{
	json_t	*it;
	size_t	 i;

	json_array_foreach(json_object_get(list, "items"), i, it) {
		if (idl_jstr(it, "purpose") != NULL &&
		    strcmp(idl_jstr(it, "purpose"), purpose) == 0)
			return (it);
	}
	return (NULL);
}

static void
assert_state(const json_t *list, const char *purpose, const char *state)
{
	const json_t	*it = item(list, purpose);
	char		*d = harness_dump(list);

	ck_assert_msg(it != NULL, "no %s in the consents: %s", purpose, d);
	ck_assert_msg(idl_jstr(it, "state") != NULL &&
	    strcmp(idl_jstr(it, "state"), state) == 0, "%s is not %s: %s",
	    purpose, state, d);
	free(d);
}

/* PUT (give) or DELETE (withdraw); the status, the body in *out. */
static long
change(const struct idenv *e, const char *method, const char *purpose,
    const char *token, json_t **out)
{
	char	*path;
	json_t	*j;
	long	 st;

	path = harness_printf("/api/v1/me/consents/%s", purpose);
	j = idl_reqj(e, method, path, token, NULL, &st);
	free(path);
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return (st);
}

/* Asserts 200 and the state answered. */
static void
change_ok(const struct idenv *e, const char *method, const char *purpose,
    const char *token, const char *state)
{
	json_t	*j = NULL;
	long	 st;
	char	*d;

	st = change(e, method, purpose, token, &j);
	d = harness_dump(j);
	ck_assert_msg(st == 200, "%s %s: %ld %s", method, purpose, st, d);
	ck_assert_msg(idl_jstr(j, "purpose") != NULL &&
	    strcmp(idl_jstr(j, "purpose"), purpose) == 0 &&
	    idl_jstr(j, "state") != NULL &&
	    strcmp(idl_jstr(j, "state"), state) == 0,
	    "%s %s: not %s: %s", method, purpose, state, d);
	free(d);
	json_decref(j);
}

/* A server with the demo resident, who gives 'purpose': its token. */
static char *
resident_giving(struct idenv *e, const char *purpose)
{
	char	*at = idl_start_resident(e, NULL);

	change_ok(e, "PUT", purpose, at, "given");
	return (at);
}

START_TEST(test_consents_need_a_token)
{
	static const char *const m[][2] = { { "GET", "/api/v1/me/consents" },
	    { "PUT", "/api/v1/me/consents/newsletter" },
	    { "DELETE", "/api/v1/me/consents/newsletter" } };
	struct idenv	 e;
	struct http_resp r;
	size_t		 i;

	idl_start_new(&e, NULL);
	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		idl_req(&e, m[i][0], m[i][1], NULL, NULL, &r);
		json_decref(harness_assert_problem(&r, 401,
		    "/problems/unauthorized", m[i][1]));
		http_resp_free(&r);
		idl_req(&e, m[i][0], m[i][1], "not-a-token", NULL, &r);
		ck_assert_msg(r.status == 401, "%s %s with a bad token: %ld",
		    m[i][0], m[i][1], r.status);
		http_resp_free(&r);
	}
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.consent_ledger"), 0);
	idl_stop(&e);
}
END_TEST

/* Registration needs no consent; every optional purpose starts withdrawn. */
START_TEST(test_new_account_starts_withdrawn)
{
	struct idenv	 e;
	json_t		*j, *it;
	char		*mark, *email, *id, *at, *d;
	size_t		 i;

	idl_start_new(&e, NULL);
	mark = idl_marker(12);
	email = harness_printf("c-%s@example.org", mark);
	id = idl_register(&e, email, GOOD_PASSWORD);
	at = idl_login_ok(&e, email, GOOD_PASSWORD, NULL);
	j = consents(&e, at);
	d = harness_dump(j);
	for (i = 0; optional_purposes[i] != NULL; i++) {
		assert_state(j, optional_purposes[i], "withdrawn");
		it = (json_t *)item(j, optional_purposes[i]);
		ck_assert_msg(json_is_null(json_object_get(it, "since")),
		    "%s has a date without a choice: %s", optional_purposes[i],
		    d);
		ck_assert_msg(json_integer_value(json_object_get(it,
		    "version")) >= 1 && idl_jstr(it, "title") != NULL &&
		    idl_jstr(it, "description") != NULL, "%s: no version, "
		    "title or description: %s", optional_purposes[i], d);
	}
	ck_assert_msg(item(j, "service") == NULL &&
	    item(j, "case_notifications") == NULL, "a purpose that rests on "
	    "no consent is listed as a choice: %s", d);
	ck_assert_msg(json_array_size(json_object_get(j, "items")) ==
	    (size_t)idl_sql_count(&e, "SELECT count(*) FROM privacy.purposes "
	    "WHERE legal_basis = 'consent'"), "not every "
	    "consent-based purpose is listed: %s", d);
	ck_assert_msg(json_array_size(json_object_get(j, "history")) == 0,
	    "history of a new account: %s", d);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.consent_ledger WHERE account_id = '%s'", id), 0);
	ck_assert_int_eq(in_newsletter(&e, id), 0);
	free(d);
	json_decref(j);
	free(mark);
	free(email);
	free(id);
	free(at);
	idl_stop(&e);
}
END_TEST

START_TEST(test_give_then_withdraw)
{
	struct idenv	 e;
	json_t		*j, *h, *row;
	char		*at, *other, *other_at, *l, *d, *email, *mark;

	at = idl_start_resident(&e, NULL);
	mark = idl_marker(12);
	email = harness_printf("o-%s@example.org", mark);
	other = idl_register(&e, email, GOOD_PASSWORD);
	other_at = idl_login_ok(&e, email, GOOD_PASSWORD, NULL);

	change_ok(&e, "PUT", "newsletter", at, "given");
	j = consents(&e, at);
	assert_state(j, "newsletter", "given");
	assert_state(j, "visitor_statistics", "withdrawn");
	assert_state(j, "lift_pass_sharing", "withdrawn");
	json_decref(j);
	ck_assert_msg(in_newsletter(&e, ME) == 1, "a person who gave the "
	    "newsletter consent is not in the recipients");
	/* Another person's choice is theirs. */
	ck_assert_int_eq(in_newsletter(&e, other), 0);
	j = consents(&e, other_at);
	assert_state(j, "newsletter", "withdrawn");
	json_decref(j);

	change_ok(&e, "DELETE", "newsletter", at, "withdrawn");
	ck_assert_msg(in_newsletter(&e, ME) == 0, "still a newsletter "
	    "recipient right after withdrawing");
	j = consents(&e, at);
	assert_state(j, "newsletter", "withdrawn");
	l = ledger_of(&e, ME, "newsletter");
	ck_assert_msg(strcmp(l, "given/1/api,withdrawn/1/api") == 0,
	    "ledger: %s", l);
	/* The history, newest first, keeps both choices. */
	h = json_object_get(j, "history");
	d = harness_dump(j);
	ck_assert_msg(json_array_size(h) == 2, "history: %s", d);
	row = json_array_get(h, 0);
	ck_assert_msg(strcmp(idl_jstr(row, "action"), "withdrawn") == 0 &&
	    strcmp(idl_jstr(row, "purpose"), "newsletter") == 0 &&
	    strcmp(idl_jstr(row, "channel"), "api") == 0 &&
	    json_integer_value(json_object_get(row, "version")) == 1 &&
	    idl_jstr(row, "at") != NULL, "history: %s", d);
	row = json_array_get(h, 1);
	ck_assert_msg(strcmp(idl_jstr(row, "action"), "given") == 0,
	    "history: %s", d);
	free(d);
	json_decref(j);
	free(l);
	free(at);
	free(other);
	free(other_at);
	free(email);
	free(mark);
	idl_stop(&e);
}
END_TEST

START_TEST(test_one_call_each_way_idempotent)
{
	struct idenv	 e;
	char		*at, *l;

	at = resident_giving(&e, "lift_pass_sharing");
	change_ok(&e, "PUT", "lift_pass_sharing", at, "given");
	ck_assert_int_eq(ledger_rows(&e, ME, "lift_pass_sharing"), 1);
	change_ok(&e, "DELETE", "lift_pass_sharing", at, "withdrawn");
	change_ok(&e, "DELETE", "lift_pass_sharing", at, "withdrawn");
	l = ledger_of(&e, ME, "lift_pass_sharing");
	ck_assert_msg(strcmp(l, "given/1/api,withdrawn/1/api") == 0,
	    "ledger: %s", l);
	free(l);
	/* Withdrawing what was never given records nothing. */
	change_ok(&e, "DELETE", "visitor_statistics", at, "withdrawn");
	ck_assert_int_eq(ledger_rows(&e, ME, "visitor_statistics"), 0);
	free(at);
	idl_stop(&e);
}
END_TEST

/*
 * Giving and withdrawing consent to each of 'purposes' are both refused
 * with 'status' and 'type' (and the path as instance when 'instance'),
 * and the ledger stays empty.
 */
static void
refused_both_ways(const char *const *purposes, long status, const char *type,
    int instance, const char *code)
{
	static const char *const methods[] = { "PUT", "DELETE" };
	struct idenv	 e;
	struct http_resp r;
	char		*at, *path;
	size_t		 i, m;

	at = idl_start_resident(&e, NULL);
	for (i = 0; purposes[i] != NULL; i++) {
		path = harness_printf("/api/v1/me/consents/%s", purposes[i]);
		for (m = 0; m < 2; m++) {
			json_t	*j;

			idl_req(&e, methods[m], path, at, NULL, &r);
			j = harness_assert_problem(&r, status, type,
			    instance ? path : NULL);
			ck_assert_msg(idl_jstr(j, "code") != NULL &&
			    strcmp(idl_jstr(j, "code"), code) == 0,
			    "%s %s: code %s, not %s", methods[m], path,
			    idl_jstr(j, "code") != NULL ? idl_jstr(j, "code") :
			    "(none)", code);
			json_decref(j);
			http_resp_free(&r);
		}
		free(path);
	}
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.consent_ledger"), 0);
	free(at);
	idl_stop(&e);
}

START_TEST(test_unknown_purpose_404)
{
	static const char *const bad[] = { "no_such_purpose", "NEWSLETTER",
	    "x", "newsletter%20", NULL };

	refused_both_ways(bad, 404, "/problems/not-found", 0,
	    "purpose_not_found");
}
END_TEST

START_TEST(test_not_consent_based_409)
{
	static const char *const basis[] = { "service", "case_notifications",
	    NULL };

	refused_both_ways(basis, 409, "/problems/conflict", 1,
	    "purpose_not_consent_based");
}
END_TEST

/* The detail of a problem follows the caller's language, its code not. */
START_TEST(test_detail_in_callers_language)
{
	static const char *const want[][2] = {
		{ "fr", "aucune finalité" },
		{ "en", "no purpose has this code" },
		{ "it", "nessuna finalità" },
	};
	struct idenv	 e;
	struct http_resp r;
	json_t		*j;
	char		*id, *email, *at;
	size_t		 i;

	idl_start_new(&e, NULL);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		email = harness_printf("lang-%s-3102@example.org", want[i][0]);
		id = idl_register(&e, email, GOOD_PASSWORD);
		ck_assert_int_eq(idl_sql_exec(&e, "UPDATE identity.accounts SET "
		    "locale = '%s' WHERE id = '%s'", want[i][0], id), 0);
		at = idl_login_ok(&e, email, GOOD_PASSWORD, NULL);
		idl_req(&e, "PUT", "/api/v1/me/consents/no_such_purpose", at,
		    NULL, &r);
		j = harness_assert_problem(&r, 404, "/problems/not-found",
		    NULL);
		ck_assert_str_eq(idl_jstr(j, "code"), "purpose_not_found");
		ck_assert_msg(strstr(idl_jstr(j, "detail"), want[i][1]) !=
		    NULL, "%s: %s", want[i][0], idl_jstr(j, "detail"));
		json_decref(j);
		http_resp_free(&r);
		free(at);
		free(id);
		free(email);
	}
	idl_stop(&e);
}
END_TEST

START_TEST(test_ledger_append_only)
{
	struct idenv	 e;
	char		*at, *l;

	at = resident_giving(&e, "newsletter");
	/*
	 * The ledger's functions know people through identity's interface
	 * (identity.directory), not its tables (migration 037).
	 */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM pg_proc p "
	    "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = "
	    "'privacy' AND p.proname IN ('consent_ledger_account', "
	    "'consent_ledger_append_only', 'erase_consent_ledger') AND "
	    "p.prosrc LIKE '%%identity.directory%%' AND p.prosrc NOT LIKE "
	    "'%%identity.accounts%%'"), 3);
	ck_assert_msg(idl_sql_exec(&e, "UPDATE privacy.consent_ledger SET "
	    "action = 'withdrawn'") == -1, "an UPDATE of the ledger passed");
	ck_assert_msg(idl_sql_exec(&e, "UPDATE privacy.consent_ledger SET "
	    "at = at - interval '1 year' WHERE account_id = '%s'", ME) == -1,
	    "an UPDATE of the ledger passed");
	ck_assert_msg(idl_sql_exec(&e, "DELETE FROM privacy.consent_ledger "
	    "WHERE account_id = '%s'", ME) == -1, "a DELETE from the ledger "
	    "passed");
	ck_assert_msg(idl_sql_exec(&e, "TRUNCATE privacy.consent_ledger") ==
	    -1, "a TRUNCATE of the ledger passed");
	l = ledger_of(&e, ME, "newsletter");
	ck_assert_msg(strcmp(l, "given/1/api") == 0, "ledger: %s", l);
	ck_assert_int_eq(in_newsletter(&e, ME), 1);
	free(l);
	free(at);
	idl_stop(&e);
}
END_TEST

/* A purpose added later starts withdrawn for the accounts already there. */
START_TEST(test_purpose_added_later_starts_withdrawn)
{
	struct idenv	 e;
	json_t		*j;
	char		*at;

	at = resident_giving(&e, "newsletter");
	idl_purpose_add(&e, "event_reminders", "consent");
	j = consents(&e, at);
	assert_state(j, "event_reminders", "withdrawn");
	assert_state(j, "newsletter", "given");
	json_decref(j);
	change_ok(&e, "PUT", "event_reminders", at, "given");
	free(at);
	idl_stop(&e);
}
END_TEST

/* Times come from the injected clock; same instant, the later row wins. */
START_TEST(test_ledger_time_from_clock)
{
	struct idenv	 e;
	json_t		*j = NULL;
	char		*at, *v;

	at = idl_start_resident(&e, FROZEN);
	ck_assert_int_eq(change(&e, "PUT", "newsletter", at, &j), 200);
	ck_assert_msg(idl_jstr(j, "since") != NULL &&
	    strcmp(idl_jstr(j, "since"), FROZEN) == 0, "since is %s, not the "
	    "injected clock's " FROZEN, idl_jstr(j, "since"));
	json_decref(j);
	change_ok(&e, "DELETE", "newsletter", at, "withdrawn");
	v = idl_sql(&e, "SELECT count(*) FROM privacy.consent_ledger WHERE "
	    "account_id = '%s' AND at = '" FROZEN "'", ME);
	ck_assert_msg(v != NULL && strcmp(v, "2") == 0, "%s ledger rows at "
	    "the injected clock's time", v);
	free(v);
	ck_assert_int_eq(in_newsletter(&e, ME), 0);
	j = consents(&e, at);
	assert_state(j, "newsletter", "withdrawn");
	json_decref(j);
	free(at);
	idl_stop(&e);
}
END_TEST

/* A consent covers one version of the text: a new version asks again. */
START_TEST(test_new_version_needs_new_consent)
{
	struct idenv	 e;
	const json_t	*it;
	json_t		*j;
	char		*at, *l, *d;

	at = resident_giving(&e, "newsletter");
	ck_assert_msg(idl_sql_exec(&e, "UPDATE privacy.purposes SET "
	    "description_fr = description_fr || ' Et plus encore.' WHERE code "
	    "= 'newsletter'") == -1, "a text changed without a new version");
	ck_assert(idl_sql_exec(&e, "UPDATE privacy.purposes SET "
	    "description_fr = description_fr || ' Et plus encore.', "
	    "version = 2 WHERE code = 'newsletter'") == 0);
	ck_assert_int_eq(in_newsletter(&e, ME), 0);
	j = consents(&e, at);
	d = harness_dump(j);
	it = item(j, "newsletter");
	ck_assert_msg(it != NULL && strcmp(idl_jstr(it, "state"),
	    "withdrawn") == 0 && json_integer_value(json_object_get(it,
	    "version")) == 2 && json_is_true(json_object_get(it,
	    "renewal_needed")), "after a new version: %s", d);
	free(d);
	json_decref(j);
	change_ok(&e, "PUT", "newsletter", at, "given");
	ck_assert_int_eq(in_newsletter(&e, ME), 1);
	l = ledger_of(&e, ME, "newsletter");
	ck_assert_msg(strcmp(l, "given/1/api,given/2/api") == 0, "ledger: %s",
	    l);
	free(l);
	/* The text each consent was given to is kept. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.purpose_versions WHERE purpose = 'newsletter'"), 2);
	free(at);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_consents_need_a_token,
	&test_new_account_starts_withdrawn,
	&test_give_then_withdraw,
	&test_one_call_each_way_idempotent,
	&test_unknown_purpose_404,
	&test_not_consent_based_409,
	&test_detail_in_callers_language,
	&test_ledger_append_only,
	&test_purpose_added_later_starts_withdrawn,
	&test_ledger_time_from_clock,
	&test_new_version_needs_new_consent,
	NULL
};

const struct test_group test_groups[] = {
	{ "consents", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
