/*
 * t3107-access-log: who looked at my data.  A DPO's read
 * of a person (GET /api/v1/admin/privacy/subjects/{id}) needs a purpose
 * (X-Purpose) and writes an access-log row in the transaction of the
 * read; the person sees it at GET /api/v1/me/access-log (when, who with
 * the agent's department or the partner's name, what, why), newest first,
 * paged by an opaque keyset cursor; a read under legal secrecy
 * (X-Disclose-After) is recorded at once and shown only once the server's
 * clock has passed that date; another person sees none of it; the log is
 * append-only except through its SECURITY DEFINER purge and erase
 * functions.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "base/b64.h"
#include "idlib.h"

/* "fee" with no letter or digit on either side (case-insensitive). */
static int
fee_word(const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (strncasecmp(p, "fee", 3) == 0 &&
		    (p == s || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[3]))
			return (1);
	return (0);
}

#define FROZEN		"2026-12-20T08:30:00Z"
#define LATER		"2027-01-20T08:30:00Z"	/* after the secrecy */
#define SECRET_UNTIL	"2027-01-19T00:00:00Z"
#define GOOD_PASSWORD	"Correct-Horse-Battery-9"

/* GET the subject with optional X-Purpose / X-Disclose-After: status. */
static long
read_subject(const struct idenv *e, const char *token, const char *id,
    const char *purpose, const char *after, json_t **out)
{
	const char	*h[4];
	char		*auth, *ph = NULL, *ah = NULL, *path;
	struct http_resp r;
	long		 st;
	int		 n = 0;

	auth = harness_printf("Authorization: Bearer %s", token);
	h[n++] = auth;
	if (purpose != NULL)
		h[n++] = ph = harness_printf("X-Purpose: %s", purpose);
	if (after != NULL)
		h[n++] = ah = harness_printf("X-Disclose-After: %s", after);
	h[n] = NULL;
	path = harness_printf("/api/v1/admin/privacy/subjects/%s", id);
	st = idl_reqh(e, "GET", path, h, NULL, &r);
	if (out != NULL)
		*out = harness_json(&r);
	/* No 402, no fee (A3); "fee" as a word: a uuid may contain it. */
	ck_assert_msg(st != 402 && !fee_word(r.body), "a fee in %s", r.body);
	http_resp_free(&r);
	free(path);
	free(auth);
	free(ph);
	free(ah);
	return (st);
}

/* GET /api/v1/me/access-log[?query], asserted 200. */
static json_t *
access_log(const struct idenv *e, const char *token, const char *query)
{
	char	*path, *d;
	json_t	*j;
	long	 st;

	path = harness_printf("/api/v1/me/access-log%s", query ? query : "");
	j = idl_reqj(e, "GET", path, token, NULL, &st);
	d = harness_dump(j);
	ck_assert_msg(st == 200 && json_is_array(json_object_get(j, "items")),
	    "GET %s: %ld %s", path, st, d);
	free(d);
	free(path);
	return (j);
}

static size_t
nitems(const json_t *j)
{
	return (json_array_size(json_object_get(j, "items")));
}

/*
 * A list's cursor is sealed: its bytes show neither the time of the last
 * item (the key it continues from) nor any other text, and the cursor with
 * one character changed is a 400 with the code bad_cursor.
 */
static void
cursor_sealed(const char *cursor, const char *last_at, const char *token,
    const struct idenv *e)
{
	unsigned char	 raw[1024];
	char		*bad, *q, date[11];
	ssize_t		 n;
	json_t		*j;
	long		 st;

	n = b64url_decode(cursor, strlen(cursor), raw, sizeof(raw));
	ck_assert_msg(n > 0, "cursor %s is not base64url", cursor);
	snprintf(date, sizeof(date), "%s", last_at);
	ck_assert_msg(memmem(raw, (size_t)n, date, strlen(date)) == NULL &&
	    memmem(raw, (size_t)n, last_at + 11, 8) == NULL,
	    "cursor %s shows its key %s", cursor, last_at);
	bad = strdup(cursor);
	bad[strlen(bad) / 2] = bad[strlen(bad) / 2] == 'A' ? 'B' : 'A';
	q = harness_printf("/api/v1/me/access-log?cursor=%s", bad);
	j = idl_reqj(e, "GET", q, token, NULL, &st);
	ck_assert_int_eq(st, 400);
	ck_assert_msg(idl_jstr(j, "code") != NULL &&
	    strcmp(idl_jstr(j, "code"), "bad_cursor") == 0, "tampered cursor");
	json_decref(j);
	free(q);
	free(bad);
}

/*
 * INSERT INTO privacy.access_log (at, account_id, reader_kind, <rest>:
 * the other columns and the rows, formatted; idl_sql_exec()'s result.
 */
static int
log_add(const struct idenv *e, const char *fmt, ...)
{
	va_list	 ap;
	char	*rest;
	int	 rc;

	va_start(ap, fmt);
	if (vasprintf(&rest, fmt, ap) == -1)
		rest = NULL;
	va_end(ap);
	ck_assert_ptr_nonnull(rest);
	rc = idl_sql_exec(e, "INSERT INTO privacy.access_log (at, account_id, "
	    "reader_kind, %s", rest);
	free(rest);
	return (rc);
}
START_TEST(test_dpo_read_is_logged_and_shown)
{
	struct idenv	 e;
	char		*dpo, *res, *d;
	json_t		*j, *log, *it, *who;
	long		 st;

	dpo = idl_start_admin(&e, FROZEN);
	res = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	st = read_subject(&e, dpo, idl_demo.resident_id,
	    "dossier URB-2026-0042", NULL, &j);
	d = harness_dump(j);
	ck_assert_msg(st == 200, "subject read: %ld %s", st, d);
	ck_assert_str_eq(idl_jstr(j, "id"), idl_demo.resident_id);
	ck_assert_str_eq(idl_jstr(j, "email"), IDL_RESIDENT_EMAIL);
	ck_assert_msg(json_is_false(json_object_get(json_object_get(j,
	    "restriction"), "restricted")), "restriction: %s", d);
	free(d);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM privacy.access_log "
	    "WHERE account_id = '%s' AND reader_kind = 'dpo' AND "
	    "reader_account = '%s' AND dataset = 'identity.account' AND "
	    "purpose = 'dossier URB-2026-0042' AND at = '" FROZEN "'",
	    idl_demo.resident_id, idl_demo.admin_id), 1);

	log = access_log(&e, res, NULL);
	d = harness_dump(log);
	ck_assert_msg(nitems(log) == 1, "access log: %s", d);
	it = json_array_get(json_object_get(log, "items"), 0);
	who = json_object_get(it, "reader");
	ck_assert_str_eq(idl_jstr(it, "at"), FROZEN);
	ck_assert_str_eq(idl_jstr(it, "dataset"), "identity.account");
	ck_assert_str_eq(idl_jstr(it, "record"), idl_demo.resident_id);
	ck_assert_str_eq(idl_jstr(it, "purpose"), "dossier URB-2026-0042");
	ck_assert_str_eq(idl_jstr(who, "kind"), "dpo");
	ck_assert_str_eq(idl_jstr(who, "id"), idl_demo.admin_id);
	ck_assert_msg(json_is_null(json_object_get(log, "next_cursor")), "%s",
	    d);
	free(d);
	json_decref(log);

	/* An agent's row names the department, a partner's its name. */
	ck_assert_int_eq(log_add(&e, "reader_account, department, dataset, "
	    "record, purpose) SELECT '2026-12-20T09:00:00Z', '%s', 'agent', "
	    "account_id, department, 'cases.case', 'C-1', 'instruction' FROM "
	    "identity.agent_departments WHERE account_id = '%s' LIMIT 1",
	    idl_demo.resident_id, idl_demo.agent_id), 0);
	ck_assert_int_eq(log_add(&e, "client_id, dataset, record) VALUES "
	    "('2026-12-20T10:00:00Z', '%s', 'client', '%s', 'mobility.pass', "
	    "'P-7')", idl_demo.resident_id, idl_demo.client_id), 0);
	log = access_log(&e, res, NULL);
	d = harness_dump(log);
	ck_assert_msg(nitems(log) == 3, "access log: %s", d);
	it = json_array_get(json_object_get(log, "items"), 0);	/* newest */
	who = json_object_get(it, "reader");
	ck_assert_msg(strcmp(idl_jstr(who, "kind"), "client") == 0 &&
	    strcmp(idl_jstr(who, "id"), idl_demo.client_id) == 0 &&
	    strcmp(idl_jstr(who, "name"), "Demo lift operator") == 0, "%s", d);
	it = json_array_get(json_object_get(log, "items"), 1);
	who = json_object_get(it, "reader");
	ck_assert_msg(strcmp(idl_jstr(who, "kind"), "agent") == 0 &&
	    strcmp(idl_jstr(who, "id"), idl_demo.agent_id) == 0 &&
	    idl_jstr(json_object_get(who, "department"), "name") != NULL &&
	    strcmp(idl_jstr(json_object_get(who, "department"), "code"),
	    "services_techniques") == 0 &&
	    strcmp(idl_jstr(it, "purpose"), "instruction") == 0, "%s", d);
	free(d);
	json_decref(log);
	free(dpo);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_read_without_purpose_refused)
{
	struct idenv	 e;
	char		*dpo, *res;
	json_t		*j;
	long		 st;

	dpo = idl_start_admin(&e, FROZEN);
	st = read_subject(&e, dpo, idl_demo.resident_id, NULL, NULL, &j);
	ck_assert_msg(st == 400 && idl_jstr(j, "code") != NULL &&
	    strcmp(idl_jstr(j, "code"), "purpose_required") == 0 &&
	    strstr(idl_jstr(j, "detail"), "X-Purpose") != NULL,
	    "no purpose: %ld", st);
	json_decref(j);
	st = read_subject(&e, dpo, idl_demo.resident_id, "   ", NULL, NULL);
	ck_assert_int_eq(st, 400);
	st = read_subject(&e, dpo, idl_demo.resident_id, "x", "tomorrow",
	    NULL);
	ck_assert_int_eq(st, 400);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log"), 0);
	/* Neither a resident nor an unknown subject reads anything. */
	res = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	st = read_subject(&e, res, idl_demo.resident_id, "curious", NULL, NULL);
	ck_assert_int_eq(st, 403);
	st = read_subject(&e, dpo, "00000000-0000-4000-8000-000000000000",
	    "check", NULL, NULL);
	ck_assert_int_eq(st, 404);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log"), 0);
	/* The database refuses a purposeless agent row too. */
	ck_assert_int_eq(log_add(&e, "reader_account, dataset) VALUES "
	    "('" FROZEN "', '%s', 'dpo', '%s', 'identity.account')",
	    idl_demo.resident_id, idl_demo.admin_id), -1);
	free(dpo);
	free(res);
	idl_stop(&e);
}
END_TEST

/*
 * No log, no read: when the access-log row cannot be written, the read
 * of the subject is refused (503) and its answer holds nothing of the
 * person; once the log can be written again, the same read is answered
 * and logged.
 */
START_TEST(test_read_refused_without_its_log)
{
	struct idenv	 e;
	char		*dpo, *d;
	json_t		*j;
	long		 st;

	dpo = idl_start_admin(&e, FROZEN);
	idl_fail_on(&e, "INSERT", "privacy.access_log");
	st = read_subject(&e, dpo, idl_demo.resident_id, "controle", NULL, &j);
	d = harness_dump(j);
	ck_assert_msg(st == 503, "read with the log failing: %ld %s", st, d);
	ck_assert_msg(strstr(d, IDL_RESIDENT_EMAIL) == NULL &&
	    json_object_get(j, "account") == NULL &&
	    json_object_get(j, "email") == NULL, "the person in %s", d);
	free(d);
	json_decref(j);
	idl_fail_off(&e, "privacy.access_log");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log"), 0);
	st = read_subject(&e, dpo, idl_demo.resident_id, "controle", NULL, &j);
	d = harness_dump(j);
	ck_assert_msg(st == 200 && strstr(d, IDL_RESIDENT_EMAIL) != NULL,
	    "read: %ld %s", st, d);
	free(d);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log"), 1);
	free(dpo);
	idl_stop(&e);
}
END_TEST

START_TEST(test_deferred_disclosure)
{
	struct idenv	 e;
	char		*dpo, *res, *d;
	json_t		*log;
	long		 st;

	dpo = idl_start_admin(&e, FROZEN);
	res = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	st = read_subject(&e, dpo, idl_demo.resident_id, "enquête judiciaire",
	    SECRET_UNTIL, NULL);
	ck_assert_int_eq(st, 200);
	st = read_subject(&e, dpo, idl_demo.resident_id, "ordinary", NULL,
	    NULL);
	ck_assert_int_eq(st, 200);
	/* Recorded at once... */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM privacy.access_log "
	    "WHERE disclose_after = '" SECRET_UNTIL "' AND at = '" FROZEN "'"),
	    1);
	/* ...hidden before the date. */
	log = access_log(&e, res, NULL);
	d = harness_dump(log);
	ck_assert_msg(nitems(log) == 1 && strcmp(idl_jstr(json_array_get(
	    json_object_get(log, "items"), 0), "purpose"), "ordinary") == 0,
	    "before the date: %s", d);
	ck_assert_msg(strstr(d, "judiciaire") == NULL, "%s", d);
	free(d);
	json_decref(log);
	free(res);
	free(dpo);

	/* The server's clock passes the date: the row appears. */
	idl_restart(&e, LATER);
	res = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	log = access_log(&e, res, NULL);
	d = harness_dump(log);
	ck_assert_msg(nitems(log) == 2 && strstr(d, "enquête judiciaire") !=
	    NULL, "after the date: %s", d);
	free(d);
	json_decref(log);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_paging)
{
	struct idenv	 e;
	char		*res, *q, *d, *cursor = NULL, seen[64];
	json_t		*log, *it;
	const char	*rec, *prev_at = NULL;
	char		 last_at[40] = "";
	int		 pages = 0, total = 0, i;
	size_t		 k;
	long		 st;

	idl_start_new(&e, FROZEN);
	/* 45 rows; pairs share their time, so the id breaks the tie. */
	ck_assert_int_eq(log_add(&e, "reader_account, dataset, record, purpose) "
	    "SELECT timestamptz '2026-12-01T00:00:00Z' + (g / 2) * "
	    "interval '1 hour', '%s', 'dpo', '%s', 'identity.account', "
	    "'r' || g, 'p' FROM generate_series(1, 45) g",
	    idl_demo.resident_id, idl_demo.admin_id), 0);
	res = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	memset(seen, 0, sizeof(seen));
	do {
		q = cursor == NULL ? strdup("?limit=20") :
		    harness_printf("?limit=20&cursor=%s", cursor);
		log = access_log(&e, res, q);
		free(q);
		free(cursor);
		cursor = NULL;
		d = harness_dump(log);
		pages++;
		json_array_foreach(json_object_get(log, "items"), k, it) {
			rec = idl_jstr(it, "record");
			i = atoi(rec + 1);
			ck_assert_msg(i >= 1 && i <= 45 && !seen[i],
			    "record %s twice or unknown: %s", rec, d);
			seen[i] = 1;
			total++;
			/* Newest first. */
			if (prev_at != NULL || last_at[0] != '\0')
				ck_assert_msg(strcmp(idl_jstr(it, "at"),
				    last_at) <= 0, "order: %s", d);
			snprintf(last_at, sizeof(last_at), "%s",
			    idl_jstr(it, "at"));
		}
		if (json_is_string(json_object_get(log, "next_cursor")))
			cursor = strdup(idl_jstr(log, "next_cursor"));
		if (pages == 1) {
			ck_assert_ptr_nonnull(cursor);
			cursor_sealed(cursor, last_at, res, &e);
		}
		ck_assert_msg(pages > 2 || nitems(log) == 20, "page %d: %s",
		    pages, d);
		free(d);
		json_decref(log);
	} while (cursor != NULL && pages < 10);
	ck_assert_int_eq(pages, 3);
	ck_assert_int_eq(total, 45);
	/* Default 20, bounds, a cursor we did not make. */
	log = access_log(&e, res, NULL);
	ck_assert_int_eq(nitems(log), 20);
	json_decref(log);
	json_decref(idl_reqj(&e, "GET", "/api/v1/me/access-log?limit=0", res,
	    NULL, &st));
	ck_assert_int_eq(st, 400);
	json_decref(idl_reqj(&e, "GET", "/api/v1/me/access-log?limit=101", res,
	    NULL, &st));
	ck_assert_int_eq(st, 400);
	json_decref(idl_reqj(&e, "GET", "/api/v1/me/access-log?cursor=a.b*c",
	    res, NULL, &st));
	ck_assert_int_eq(st, 400);
	json_decref(idl_reqj(&e, "GET", "/api/v1/me/access-log?cursor="
	    "bm90LWEtY3Vyc29y", res, NULL, &st));
	ck_assert_int_eq(st, 400);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_another_person_sees_nothing)
{
	struct idenv	 e;
	char		*dpo, *other, *tok, *d;
	json_t		*log;
	long		 st;

	idl_start_new(&e, FROZEN);
	other = idl_register(&e, "other-3107@example.org", GOOD_PASSWORD);
	dpo = idl_login_admin(&e);
	ck_assert_int_eq(read_subject(&e, dpo, idl_demo.resident_id,
	    "secret-purpose-of-resident", NULL, NULL), 200);
	tok = idl_login_ok(&e, "other-3107@example.org", GOOD_PASSWORD, NULL);
	log = access_log(&e, tok, NULL);
	d = harness_dump(log);
	ck_assert_msg(nitems(log) == 0 && strstr(d, idl_demo.resident_id) ==
	    NULL, "another person: %s", d);
	free(d);
	json_decref(log);
	ck_assert_int_eq(read_subject(&e, dpo, other, "own-purpose", NULL,
	    NULL), 200);
	log = access_log(&e, tok, NULL);
	d = harness_dump(log);
	ck_assert_msg(nitems(log) == 1 && strstr(d, "own-purpose") != NULL &&
	    strstr(d, "secret-purpose-of-resident") == NULL, "%s", d);
	free(d);
	json_decref(log);
	/* Without a token: 401. */
	json_decref(idl_reqj(&e, "GET", "/api/v1/me/access-log", NULL, NULL,
	    &st));
	ck_assert_int_eq(st, 401);
	free(tok);
	free(other);
	free(dpo);
	idl_stop(&e);
}
END_TEST

START_TEST(test_append_only_but_purgeable)
{
	struct idenv	 e;

	idl_start_new(&e, FROZEN);
	ck_assert_int_eq(log_add(&e, "reader_account, dataset, purpose) "
	    "SELECT t, '%s', 'dpo', '%s', 'identity.account', 'p' FROM "
	    "unnest(ARRAY[timestamptz '2025-01-01Z', '2026-06-01Z', "
	    "'2026-12-01Z']) t", idl_demo.resident_id, idl_demo.admin_id), 0);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE privacy.access_log SET "
	    "purpose = 'changed'"), -1);
	ck_assert_int_eq(idl_sql_exec(&e, "DELETE FROM privacy.access_log"), -1);
	ck_assert_int_eq(idl_sql_exec(&e, "TRUNCATE privacy.access_log"), -1);
	/* Setting the marker by hand outside the function still fails for UPDATE. */
	ck_assert_int_eq(idl_sql_exec(&e, "BEGIN; SELECT set_config("
	    "'guichet.access_log_delete', 'on', true); UPDATE "
	    "privacy.access_log SET purpose = 'x'; COMMIT"), -1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM privacy.access_log "
	    "WHERE purpose = 'p'"), 3);
	/* The retention path: one year before the clock. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT privacy.access_log_purge("
	    "'2025-12-20T08:30:00Z', '" FROZEN "')"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log"), 2);
	/* The marker does not outlive the function. */
	ck_assert_int_eq(idl_sql_exec(&e, "BEGIN; SELECT "
	    "privacy.access_log_purge('2000-01-01Z', '" FROZEN "'); DELETE FROM "
	    "privacy.access_log; COMMIT"), -1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT privacy.access_log_erase('%s')",
	    idl_demo.resident_id), 2);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log"), 0);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_dpo_read_is_logged_and_shown,
	&test_read_without_purpose_refused,
	&test_read_refused_without_its_log,
	&test_deferred_disclosure,
	&test_paging,
	&test_another_person_sees_nothing,
	&test_append_only_but_purgeable,
	NULL
};

const struct test_group test_groups[] = {
	{ "access-log", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
