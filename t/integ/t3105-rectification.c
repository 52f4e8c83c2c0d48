/*
 * t3105-rectification: PATCH /api/v1/me (Art. 16 RGPD)
 * records who changed which personal fields and when, never the values
 * (privacy.rectifications, written by a trigger on identity.accounts so
 * that no code path can forget it); after a rectification no read API
 * serves the old value and the database holds it nowhere (pg_dump), nor
 * do the logs; changing nothing personal (the locale) records nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idlib.h"

#define T0		"2027-03-01T10:00:00Z"
#define T1		"2027-03-02T11:00:00Z"
#define GOOD_PASSWORD	"correct horse battery staple 7"

/*
 * A person registered at T0 as "Old <m>", signed in at T1 (the server
 * runs with --clock T1 afterwards): its id, *token set.
 */
static char *
person(struct idenv *e, const char *m, char **token)
{
	json_t	*in, *j;
	char	*body, *email, *id, *em;
	long	 st;

	memset(e, 0, sizeof(*e));
	e->clock = T0;
	idl_start(e);
	/* Its own marker: the display name's appears nowhere else. */
	em = idl_marker(16);
	email = harness_printf("t3105-%s@example.test", em);
	free(em);
	in = json_pack("{s:s, s:s, s:s, s:s}", "email", email, "password",
	    GOOD_PASSWORD, "display_name", "", "profile_kind",
	    "permanent_resident");
	json_object_set_new(in, "display_name", json_string(m));
	body = json_dumps(in, JSON_COMPACT);
	json_decref(in);
	j = idl_reqj(e, "POST", "/api/v1/accounts", NULL, body, &st);
	ck_assert_msg(st == 201 && idl_jstr(j, "id") != NULL,
	    "registration: %ld", st);
	id = strdup(idl_jstr(j, "id"));
	json_decref(j);
	free(body);
	idl_restart(e, T1);
	*token = idl_login_ok(e, email, GOOD_PASSWORD, NULL);
	free(email);
	return (id);
}

/*
 * GET 'path' as 'token' (with a purpose, for the town's reads): the body
 * if 200, NULL if the route is not there (yet).
 */
static char *
read_api(const struct idenv *e, const char *path, const char *token)
{
	struct http_resp r;
	const char	*h[3] = { NULL, "X-Purpose: t3105 rectification check",
			    NULL };
	char		*body = NULL, *auth;

	auth = harness_printf("Authorization: Bearer %s", token);
	h[0] = auth;
	idl_reqh(e, "GET", path, h, NULL, &r);
	free(auth);
	if (r.status == 200)
		body = strdup(r.body != NULL ? r.body : "");
	else
		ck_assert_msg(r.status == 404 || r.status == 405,
		    "GET %s: %ld %s", path, r.status, r.body);
	http_resp_free(&r);
	return (body);
}

/* A person of person() with its marker, for the tests that need no more. */
struct who {
	struct idenv	 e;
	char		*m, *id, *at;
};

static void
who_start(struct who *w)
{
	w->m = idl_marker(20);
	w->id = person(&w->e, w->m, &w->at);
}

static void
who_stop(struct who *w)
{
	free(w->at);
	free(w->id);
	free(w->m);
	idl_stop(&w->e);
}

START_TEST(test_old_value_gone_everywhere)
{
	struct idenv	 e;
	char		*m, *old, *new, *id, *at, *body, *log, *v, *admin;
	char		*path;

	m = idl_marker(20);
	old = harness_printf("Old-%s", m);
	new = harness_printf("New-%s", m);
	id = person(&e, old, &at);
	ck_assert_int_ge(idl_dump_count(&e, old), 1);
	body = harness_printf("{\"display_name\": \"%s\"}", new);
	ck_assert_int_eq(idl_status(&e, "PATCH", "/api/v1/me", at, body), 200);
	free(body);

	/* GET /me: the new value only. */
	body = read_api(&e, "/api/v1/me", at);
	ck_assert_msg(body != NULL && strstr(body, new) != NULL, "GET /me: %s",
	    body);
	ck_assert_int_eq(idl_count(body, old), 0);
	free(body);
	/* The export, where it exists. */
	if ((body = read_api(&e, "/api/v1/me/export", at)) != NULL) {
		ck_assert_int_ge(idl_count(body, new), 1);
		ck_assert_int_eq(idl_count(body, old), 0);
		free(body);
	}
	/* The DPO's reads of the person, where they exist. */
	admin = idl_login_admin(&e);
	path = harness_printf("/api/v1/admin/privacy/subjects/%s", id);
	if ((body = read_api(&e, path, admin)) != NULL) {
		ck_assert_int_eq(idl_count(body, old), 0);
		free(body);
	}
	free(path);
	path = harness_printf("/api/v1/admin/privacy/subjects/%s/export", id);
	if ((body = read_api(&e, path, admin)) != NULL) {
		ck_assert_int_eq(idl_count(body, old), 0);
		free(body);
	}
	free(path);

	/* The database holds the old value nowhere; the audit, field names. */
	ck_assert_int_eq(idl_dump_count(&e, old), 0);
	ck_assert_int_ge(idl_dump_count(&e, new), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.rectifications WHERE account_id = '%s' AND actor = '%s' "
	    "AND at = '" T1 "' AND fields = '{display_name}' AND channel = "
	    "'api'", id, id), 1);
	v = idl_sql(&e, "SELECT count(*) FROM privacy.rectifications r WHERE "
	    "r::text LIKE '%%%s%%'", m);
	ck_assert_str_eq(v, "0");
	free(v);
	/* Nor the logs. */
	harness_server_stop(&e.s);
	log = idl_log(&e);
	ck_assert_int_eq(idl_count(log, m), 0);
	free(log);
	free(admin);
	free(at);
	free(id);
	free(old);
	free(new);
	free(m);
	idl_stop(&e);
}
END_TEST

/* The locale is not personal data: changing it records no field. */
START_TEST(test_locale_records_nothing)
{
	struct who	 w;
	char		*body;

	who_start(&w);
	ck_assert_int_eq(idl_status(&w.e, "PATCH", "/api/v1/me", w.at,
	    "{\"locale\": \"it\"}"), 200);
	ck_assert_int_eq(idl_sql_count(&w.e,
	    "SELECT count(*) FROM identity.accounts "
	    "WHERE id = '%s' AND locale = 'it'", w.id), 1);
	ck_assert_int_eq(idl_sql_count(&w.e, "SELECT count(*) FROM "
	    "privacy.rectifications WHERE account_id = '%s'", w.id), 0);
	/* The same value again changes nothing either. */
	body = harness_printf("{\"display_name\": \"%s\"}", w.m);
	ck_assert_int_eq(idl_status(&w.e, "PATCH", "/api/v1/me", w.at, body), 200);
	ck_assert_int_eq(idl_sql_count(&w.e, "SELECT count(*) FROM "
	    "privacy.rectifications WHERE account_id = '%s'", w.id), 0);
	free(body);
	who_stop(&w);
}
END_TEST

/* Several fields at once: their names, never the values. */
START_TEST(test_several_fields)
{
	struct who	 w;
	char		*v;

	who_start(&w);
	ck_assert_int_eq(idl_status(&w.e, "PATCH", "/api/v1/me", w.at,
	    "{\"phone\": \"+33612345678\", "
	    "\"address\": {\"street\": \"1 rue du Marker\", \"postcode\": "
	    "\"05100\", \"city\": \"Montgenevre\"}, \"locale\": \"en\"}"), 200);
	v = idl_sql(&w.e, "SELECT array_to_string(fields, ',') FROM "
	    "privacy.rectifications WHERE account_id = '%s'", w.id);
	ck_assert_msg(v != NULL, "no rectification row");
	ck_assert_msg(strstr(v, "phone") != NULL && strstr(v, "street") !=
	    NULL && strstr(v, "city") != NULL && strstr(v, "locale") == NULL,
	    "fields: %s", v);
	free(v);
	ck_assert_int_eq(idl_sql_count(&w.e, "SELECT count(*) FROM "
	    "privacy.rectifications r WHERE account_id = '%s' AND (r::text "
	    "LIKE '%%612345678%%' OR r::text LIKE '%%Marker%%')", w.id), 0);
	who_stop(&w);
}
END_TEST

/*
 * Every path is covered (a trigger): a change made at the counter names
 * the agent and the channel set for the transaction; an erasure is not a
 * rectification; a password is not either.
 */
START_TEST(test_actor_and_other_paths)
{
	struct who	 w;
	long		 st;
	json_t		*j;

	who_start(&w);
	ck_assert_int_eq(idl_sql_exec(&w.e, "BEGIN; SELECT set_config("
	    "'guichet.actor', '%s', true), set_config('guichet.channel', "
	    "'counter', true); UPDATE identity.accounts SET email = "
	    "'counter-%s@example.test', updated_at = '2027-04-01T09:00:00Z' "
	    "WHERE id = '%s'; COMMIT", idl_demo.admin_id, w.m, w.id), 0);
	ck_assert_int_eq(idl_sql_count(&w.e, "SELECT count(*) FROM "
	    "privacy.rectifications WHERE account_id = '%s' AND actor = '%s' "
	    "AND channel = 'counter' AND fields = '{email}' AND at = "
	    "'2027-04-01T09:00:00Z'", w.id, idl_demo.admin_id), 1);
	/* The setting is transaction-local: the next change is the person's. */
	ck_assert_int_eq(idl_sql_exec(&w.e, "UPDATE identity.accounts SET "
	    "employer = NULL, city = 'Briancon', updated_at = "
	    "'2027-04-02T09:00:00Z' WHERE id = '%s'", w.id), 0);
	ck_assert_int_eq(idl_sql_count(&w.e, "SELECT count(*) FROM "
	    "privacy.rectifications WHERE account_id = '%s' AND actor = '%s' "
	    "AND channel = 'api' AND fields = '{city}'", w.id, w.id), 1);
	/* A new password is not a rectification. */
	j = idl_reqj(&w.e, "POST", "/api/v1/me/password", w.at,
	    "{\"current_password\": \"" GOOD_PASSWORD "\", \"new_password\": "
	    "\"another good passphrase 8\"}", &st);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&w.e, "SELECT count(*) FROM "
	    "privacy.rectifications WHERE account_id = '%s'", w.id), 2);
	/* An erasure is recorded by the erasure journal, not here. */
	ck_assert_int_eq(idl_sql_exec(&w.e, "UPDATE identity.accounts SET "
	    "status = 'erased', display_name = 'erased', updated_at = "
	    "'2027-04-03T09:00:00Z' WHERE id = '%s'", w.id), 0);
	ck_assert_int_eq(idl_sql_count(&w.e, "SELECT count(*) FROM "
	    "privacy.rectifications WHERE account_id = '%s'", w.id), 2);
	who_stop(&w);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_old_value_gone_everywhere,
	&test_locale_records_nothing,
	&test_several_fields,
	&test_actor_and_other_paths,
	NULL
};

const struct test_group test_groups[] = {
	{ "rectification", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL,
	    tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
