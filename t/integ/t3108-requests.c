/*
 * t3108-requests: rights requests and their deadlines (Art. 12, reference
 * A2, A3).  Over the API with a frozen clock: a request recorded by the
 * DPO is due one calendar month after receipt (31 January -> end of
 * February, leap years); ?overdue=true lists the late ones (an extension
 * moves the deadline); an extension of one or two months is accepted
 * within the first month and refused after it; a refusal needs a reason
 * and its answer mentions the complaint to the CNIL and the judicial
 * remedy in the person's language; the person is written to (outbox);
 * and no endpoint ever answers 402 or names a fee.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idlib.h"

#define GOOD_PASSWORD	"Correct-Horse-Battery-9"
#define REQS		"/api/v1/admin/privacy/requests"

/* 'w' in 's' with no letter or digit on either side. */
static int
has_word(const char *s, const char *w)
{
	const char	*p = s;
	size_t		 n = strlen(w);

	while ((p = strstr(p, w)) != NULL) {
		if ((p == s || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[n]))
			return (1);
		p += n;
	}
	return (0);
}

/* No 402, no fee, on every answer seen here. */
static void
no_fee(long st, const json_t *j)
{
	char	*d = harness_dump(j), *p;

	ck_assert_msg(st != 402, "402: %s", d);
	for (p = d; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	/* Whole words only: a uuid may well contain "fee" ("3fee-..."). */
	ck_assert_msg(!has_word(d, "fee") && !has_word(d, "fees") &&
	    !has_word(d, "payment") && !has_word(d, "frais"), "a fee: %s", d);
	free(d);
}

/* Send; the status, the body in *out (may be NULL). */
static long
call(const struct idenv *e, const char *method, const char *path,
    const char *token, json_t *in, json_t **out)
{
	json_t	*j;
	long	 st;

	j = idl_sendj(e, method, path, token, in, &st);
	no_fee(st, j);
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return (st);
}

/* POST a request; asserts 201, returns the body. */
static json_t *
create(const struct idenv *e, const char *dpo, const char *account,
    const char *kind, const char *received)
{
	json_t	*in, *j;
	long	 st;
	char	*d;

	in = json_pack("{s:s, s:s}", "account_id", account, "kind", kind);
	if (received != NULL)
		json_object_set_new(in, "received_at", json_string(received));
	st = call(e, "POST", REQS, dpo, in, &j);
	d = harness_dump(j);
	ck_assert_msg(st == 201 && idl_jstr(j, "id") != NULL, "create: %ld %s",
	    st, d);
	free(d);
	return (j);
}

static long
patch(const struct idenv *e, const char *dpo, const char *id, json_t *in,
    json_t **out)
{
	char	*path;
	long	 st;

	path = harness_printf(REQS "/%s", id);
	st = call(e, "PATCH", path, dpo, in, out);
	free(path);
	return (st);
}

START_TEST(test_due_one_calendar_month)
{
	static const char *const cases[][2] = {
		{ "2026-01-15T09:00:00Z", "2026-02-15T09:00:00Z" },
		{ "2026-01-31T09:00:00Z", "2026-02-28T09:00:00Z" },
		{ "2024-01-31T23:59:59Z", "2024-02-29T23:59:59Z" },
		{ "2025-12-31T00:00:00Z", "2026-01-31T00:00:00Z" },
		{ "2025-10-31T12:00:00Z", "2025-11-30T12:00:00Z" },
	};
	struct idenv	 e;
	char		*dpo;
	json_t		*j;
	size_t		 i;
	long		 st;

	dpo = idl_start_admin(&e, "2026-02-10T12:00:00Z");
	/* received_at defaults to the clock. */
	j = create(&e, dpo, idl_demo.resident_id, "access", NULL);
	idl_assert_strs(j, "received_at", "2026-02-10T12:00:00Z",
	    "due_at", "2026-03-10T12:00:00Z",
	    "deadline", "2026-03-10T12:00:00Z", "status", "received",
	    "channel", "counter", NULL);
	idl_assert_str(j, "recorded_by", idl_demo.admin_id);
	ck_assert(json_is_false(json_object_get(j, "overdue")));
	json_decref(j);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = create(&e, dpo, idl_demo.resident_id, "erasure",
		    cases[i][0]);
		idl_assert_str(j, "due_at", cases[i][1]);
		json_decref(j);
	}
	/* Refused: a future receipt, an unknown kind or person. */
	st = call(&e, "POST", REQS, dpo, json_pack("{s:s, s:s, s:s}",
	    "account_id", idl_demo.resident_id, "kind", "access",
	    "received_at", "2026-02-11T00:00:00Z"), NULL);
	ck_assert_int_eq(st, 422);
	st = call(&e, "POST", REQS, dpo, json_pack("{s:s, s:s}", "account_id",
	    idl_demo.resident_id, "kind", "portability_fee"), NULL);
	ck_assert_int_eq(st, 422);
	st = call(&e, "POST", REQS, dpo, json_pack("{s:s, s:s}", "account_id",
	    "00000000-0000-4000-8000-000000000000", "kind", "access"), NULL);
	ck_assert_int_eq(st, 422);
	st = call(&e, "POST", REQS, dpo, json_pack("{s:s, s:s}", "account_id",
	    idl_demo.resident_id, "kind", "objection"), NULL);
	ck_assert_int_eq(st, 422);	/* an objection names its purpose */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM privacy.requests"),
	    6);
	/* The database checks the month too, and receipts before the RGPD. */
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO privacy.requests "
	    "(account_id, kind, channel, received_at, due_at) VALUES ('%s', "
	    "'access', 'counter', '2026-01-31Z', '2026-03-03Z')",
	    idl_demo.resident_id), -1);
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO privacy.requests "
	    "(account_id, kind, channel, received_at, due_at) VALUES ('%s', "
	    "'access', 'counter', '1900-01-01Z', '1900-02-01Z')",
	    idl_demo.resident_id), -1);
	free(dpo);
	idl_stop(&e);
}
END_TEST

/* The ids of GET REQS?query, following every cursor, as "id,id,...". */
static char *
list_ids(const struct idenv *e, const char *dpo, const char *query)
{
	char	*path, *cursor = NULL, *ids = strdup(""), *t;
	json_t	*j, *it;
	size_t	 k;
	long	 st;

	do {
		path = cursor == NULL ? harness_printf(REQS "?%s", query) :
		    harness_printf(REQS "?%s&cursor=%s", query, cursor);
		free(cursor);
		cursor = NULL;
		st = call(e, "GET", path, dpo, NULL, &j);
		ck_assert_msg(st == 200, "GET %s: %ld", path, st);
		free(path);
		json_array_foreach(json_object_get(j, "items"), k, it) {
			t = harness_printf("%s%s%s", ids, *ids ? "," : "",
			    idl_jstr(it, "id"));
			free(ids);
			ids = t;
		}
		if (json_is_string(json_object_get(j, "next_cursor")))
			cursor = strdup(idl_jstr(j, "next_cursor"));
		json_decref(j);
	} while (cursor != NULL);
	return (ids);
}

START_TEST(test_overdue_filter)
{
	struct idenv	 e;
	char		*dpo, *ids, *a, *b, *c, *want;
	json_t		*j;
	long		 st;

	dpo = idl_start_admin(&e, "2026-03-10T12:00:00Z");
	j = create(&e, dpo, idl_demo.resident_id, "access",
	    "2026-01-15T09:00:00Z");		/* due 15 Feb: late */
	a = strdup(idl_jstr(j, "id"));
	ck_assert(json_is_true(json_object_get(j, "overdue")));
	json_decref(j);
	j = create(&e, dpo, idl_demo.resident_id, "rectification",
	    "2026-02-20T09:00:00Z");		/* due 20 Mar */
	b = strdup(idl_jstr(j, "id"));
	json_decref(j);
	j = create(&e, dpo, idl_demo.resident_id, "erasure",
	    "2026-01-20T09:00:00Z");		/* answered: not late */
	c = strdup(idl_jstr(j, "id"));
	json_decref(j);
	st = patch(&e, dpo, c, json_pack("{s:s, s:s}", "status", "answered",
	    "answer", "Your account was erased."), NULL);
	ck_assert_int_eq(st, 200);

	ids = list_ids(&e, dpo, "overdue=true");
	ck_assert_str_eq(ids, a);
	free(ids);
	ids = list_ids(&e, dpo, "overdue=false&limit=1");
	want = harness_printf("%s,%s", c, b);	/* by receipt */
	ck_assert_str_eq(ids, want);
	free(want);
	free(ids);
	ids = list_ids(&e, dpo, "status=answered");
	ck_assert_str_eq(ids, c);
	free(ids);
	ids = list_ids(&e, dpo, "limit=1");
	want = harness_printf("%s,%s,%s", a, c, b);
	ck_assert_str_eq(ids, want);
	free(want);
	free(ids);
	st = call(&e, "GET", REQS "?overdue=maybe", dpo, NULL, NULL);
	ck_assert_int_eq(st, 400);
	st = call(&e, "GET", REQS "?status=paid", dpo, NULL, NULL);
	ck_assert_int_eq(st, 400);
	st = call(&e, "GET", REQS "?limit=500", dpo, NULL, NULL);
	ck_assert_int_eq(st, 400);
	free(dpo);

	/* Later, B is late too. */
	idl_restart(&e, "2026-03-21T12:00:00Z");
	dpo = idl_login_admin(&e);
	ids = list_ids(&e, dpo, "overdue=true");
	want = harness_printf("%s,%s", a, b);
	ck_assert_str_eq(ids, want);
	free(want);
	free(ids);
	free(a);
	free(b);
	free(c);
	free(dpo);
	idl_stop(&e);
}
END_TEST

START_TEST(test_extension_within_first_month_only)
{
	struct idenv	 e;
	char		*dpo, *r1, *r2, *ids, *d;
	json_t		*j;
	long		 st;

	dpo = idl_start_admin(&e, "2026-02-10T12:00:00Z");
	j = create(&e, dpo, idl_demo.resident_id, "access",
	    "2026-01-20T09:00:00Z");		/* due 20 Feb */
	r1 = strdup(idl_jstr(j, "id"));
	json_decref(j);
	j = create(&e, dpo, idl_demo.resident_id, "access",
	    "2026-01-05T09:00:00Z");		/* due 5 Feb: first month over */
	r2 = strdup(idl_jstr(j, "id"));
	json_decref(j);

	st = patch(&e, dpo, r1, json_pack("{s:i}", "extension_months", 3),
	    NULL);
	ck_assert_int_eq(st, 422);
	st = patch(&e, dpo, r1, json_pack("{s:i, s:s}", "extension_months", 2,
	    "extension_reason", "many records in several services"), &j);
	d = harness_dump(j);
	ck_assert_msg(st == 200, "extend: %ld %s", st, d);
	free(d);
	idl_assert_strs(j, "status", "extended",
	    "extended_until", "2026-04-20T09:00:00Z",
	    "extension_notified_at", "2026-02-10T12:00:00Z",
	    "deadline", "2026-04-20T09:00:00Z", NULL);
	json_decref(j);
	/* The person is told, with the reason. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox WHERE "
	    "account_id = '%s' AND template = 'rights_request_extended' AND "
	    "payload->>'request_id' = '%s' AND payload->>'reason' = "
	    "'many records in several services'", idl_demo.resident_id, r1), 1);
	/* Once only. */
	st = patch(&e, dpo, r1, json_pack("{s:i}", "extension_months", 1),
	    NULL);
	ck_assert_int_eq(st, 409);
	/* After the first month: refused, nothing changed. */
	st = patch(&e, dpo, r2, json_pack("{s:i}", "extension_months", 1), &j);
	d = harness_dump(j);
	ck_assert_msg(st == 409 && strstr(d, "\"extension_too_late\"") !=
	    NULL && strstr(d, "dans le mois") != NULL, "late extension: %ld %s",
	    st, d);
	free(d);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM privacy.requests "
	    "WHERE id = '%s' AND extended_until IS NULL AND status = "
	    "'received'", r2), 1);
	/* The database refuses it too, and more than two months. */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE privacy.requests SET "
	    "extended_until = '2026-03-05T09:00:00Z', extension_notified_at = "
	    "'2026-02-10T12:00:00Z', status = 'extended' WHERE id = '%s'", r2),
	    -1);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE privacy.requests SET "
	    "extended_until = '2026-04-21T09:00:00Z' WHERE id = '%s'", r1), -1);
	free(dpo);

	/* 1 March: R1 (extended) is not late, R2 is. */
	idl_restart(&e, "2026-03-01T00:00:00Z");
	dpo = idl_login_admin(&e);
	ids = list_ids(&e, dpo, "overdue=true");
	ck_assert_str_eq(ids, r2);
	free(ids);
	st = patch(&e, dpo, r2, json_pack("{s:s}", "status", "in_progress"),
	    &j);
	ck_assert_int_eq(st, 200);
	idl_assert_str(j, "status", "in_progress");
	json_decref(j);
	free(r1);
	free(r2);
	free(dpo);
	idl_stop(&e);
}
END_TEST

START_TEST(test_refusal_reason_and_remedies)
{
	struct idenv	 e;
	char		*dpo, *r, *en, *d;
	json_t		*j, *err;
	long		 st;

	idl_start_new(&e, "2026-02-10T12:00:00Z");
	en = idl_register(&e, "english-3108@example.org", GOOD_PASSWORD);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE identity.accounts SET locale "
	    "= 'en' WHERE id = '%s'", en), 0);
	dpo = idl_login_admin(&e);
	j = create(&e, dpo, idl_demo.resident_id, "erasure", NULL);
	r = strdup(idl_jstr(j, "id"));
	json_decref(j);
	/* A refusal without a reason: 422 on /reason. */
	st = patch(&e, dpo, r, json_pack("{s:s}", "status", "refused"), &j);
	err = idl_error_for(j, "/reason");
	ck_assert_msg(st == 422 && err != NULL, "no reason: %ld", st);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM privacy.requests "
	    "WHERE id = '%s' AND status = 'received'", r), 1);
	st = patch(&e, dpo, r, json_pack("{s:s}", "status", "answered"), NULL);
	ck_assert_int_eq(st, 422);	/* an answer has a text */
	st = patch(&e, dpo, r, json_pack("{s:s, s:s, s:i}", "status",
	    "refused", "reason", "x", "extension_months", 1), NULL);
	ck_assert_int_eq(st, 422);	/* one action at a time */
	/* With a reason: the answer carries it and the remedies (fr). */
	st = patch(&e, dpo, r, json_pack("{s:s, s:s}", "status", "refused",
	    "reason", "Les données sont nécessaires à un dossier d'urbanisme "
	    "en cours."), &j);
	d = harness_dump(j);
	ck_assert_msg(st == 200, "refuse: %ld %s", st, d);
	idl_assert_str(j, "status", "refused");
	ck_assert_msg(strstr(idl_jstr(j, "answer"), "dossier d'urbanisme") !=
	    NULL && strstr(idl_jstr(j, "answer"), "CNIL") != NULL &&
	    strstr(idl_jstr(j, "answer"), "recours juridictionnel") != NULL,
	    "answer: %s", d);
	ck_assert_msg(idl_jstr(j, "refusal_reason") != NULL &&
	    strstr(idl_jstr(j, "refusal_reason"), "CNIL") == NULL, "%s", d);
	idl_assert_str(j, "decided_by", idl_demo.admin_id);
	idl_assert_str(j, "decided_at", "2026-02-10T12:00:00Z");
	free(d);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox WHERE "
	    "account_id = '%s' AND template = 'rights_request_answer' AND "
	    "payload->>'answer' LIKE '%%CNIL%%'", idl_demo.resident_id), 1);
	/* Closed: no second decision. */
	st = patch(&e, dpo, r, json_pack("{s:s, s:s}", "status", "answered",
	    "answer", "ok"), NULL);
	ck_assert_int_eq(st, 409);
	free(r);
	/* In English for an English-speaking person. */
	j = create(&e, dpo, en, "access", NULL);
	r = strdup(idl_jstr(j, "id"));
	json_decref(j);
	st = patch(&e, dpo, r, json_pack("{s:s, s:s, s:s}", "status",
	    "refused", "reason", "Manifestly excessive: the same request "
	    "every week.", "answer", "We cannot act on your request."), &j);
	ck_assert_int_eq(st, 200);
	ck_assert_msg(strstr(idl_jstr(j, "answer"), "We cannot act") != NULL &&
	    strstr(idl_jstr(j, "answer"), "CNIL") != NULL &&
	    strstr(idl_jstr(j, "answer"), "judicial remedy") != NULL,
	    "answer: %s", idl_jstr(j, "answer"));
	json_decref(j);
	/* The database refuses a refusal without its reason. */
	j = create(&e, dpo, en, "access", NULL);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE privacy.requests SET status "
	    "= 'refused', answer = 'no', decided_at = '2026-02-10Z' WHERE id = "
	    "'%s'", idl_jstr(j, "id")), -1);
	json_decref(j);
	st = patch(&e, dpo, "00000000-0000-4000-8000-000000000000",
	    json_pack("{s:s}", "status", "in_progress"), NULL);
	ck_assert_int_eq(st, 404);
	free(r);
	free(en);
	free(dpo);
	idl_stop(&e);
}
END_TEST

START_TEST(test_no_fee_and_dpo_only)
{
	struct idenv	 e;
	char		*dpo, *res, *id, *path;
	json_t		*j;
	long		 st;

	dpo = idl_start_admin(&e, "2026-02-10T12:00:00Z");
	res = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	/* The person cannot use the DPO's endpoints. */
	st = call(&e, "GET", REQS, res, NULL, NULL);
	ck_assert_int_eq(st, 403);
	st = call(&e, "POST", REQS, res, json_pack("{s:s, s:s}", "account_id",
	    idl_demo.resident_id, "kind", "access"), NULL);
	ck_assert_int_eq(st, 403);
	st = call(&e, "GET", REQS, NULL, NULL, NULL);
	ck_assert_int_eq(st, 401);
	/* Every endpoint, every outcome: no 402, no fee (call() checks). */
	j = create(&e, dpo, idl_demo.resident_id, "access", NULL);
	id = strdup(idl_jstr(j, "id"));
	json_decref(j);
	path = harness_printf("/api/v1/admin/privacy/subjects/%s",
	    idl_demo.resident_id);
	call(&e, "GET", path, dpo, NULL, NULL);
	free(path);
	call(&e, "GET", REQS "?overdue=true", dpo, NULL, NULL);
	patch(&e, dpo, id, json_pack("{s:i}", "extension_months", 1), NULL);
	patch(&e, dpo, id, json_pack("{s:s, s:s}", "status", "answered",
	    "answer", "Here is your data."), NULL);
	call(&e, "GET", "/api/v1/me/access-log", res, NULL, NULL);
	call(&e, "GET", "/api/v1/me/restriction", res, NULL, NULL);
	call(&e, "POST", "/api/v1/me/restriction", res, NULL, NULL);
	call(&e, "POST", "/api/v1/me/objections", res, json_pack("{s:s}",
	    "purpose", "service"), NULL);
	call(&e, "POST", "/api/v1/me/objections", res, json_pack("{s:s}",
	    "purpose", "newsletter"), NULL);
	path = harness_printf("/api/v1/admin/privacy/subjects/%s/restriction/"
	    "lift", idl_demo.resident_id);
	call(&e, "POST", path, dpo, NULL, NULL);
	free(path);
	free(id);
	free(res);
	free(dpo);
	idl_stop(&e);
}
END_TEST

/*
 * received_at is plausible: no earlier than the retention of
 * rights requests before now (5 years) nor than the RGPD (25 May 2018),
 * no later than now give or take 5 minutes of clock skew; the database
 * refuses one before the RGPD too.
 */
START_TEST(test_received_at_plausible)
{
	static const struct {
		const char	*received;
		long		 status;
	} cases[] = {
		{ "1900-01-01T00:00:00Z", 422 },
		{ "2021-02-10T11:59:59Z", 422 },	/* 5 years and 1 s */
		{ "2021-02-10T12:00:00Z", 201 },	/* 5 years */
		{ "2026-02-10T12:04:59Z", 201 },	/* the skew */
		{ "2026-02-10T12:05:01Z", 422 },
		{ "2999-01-01T00:00:00Z", 422 },
	};
	struct idenv	 e;
	char		*dpo, *d;
	json_t		*j, *err;
	size_t		 i;
	long		 st;

	/* In 2022, five years back is before the RGPD: the RGPD bounds. */
	idl_start_new(&e, "2022-06-01T00:00:00Z");
	dpo = idl_login_admin(&e);
	st = call(&e, "POST", REQS, dpo, json_pack("{s:s, s:s, s:s}",
	    "account_id", idl_demo.resident_id, "kind", "access",
	    "received_at", "2018-05-24T23:59:59Z"), &j);
	d = harness_dump(j);
	ck_assert_msg(st == 422 && strstr(d, "2018-05-25T00:00:00Z") != NULL,
	    "before the RGPD: %ld %s", st, d);
	free(d);
	json_decref(j);
	json_decref(create(&e, dpo, idl_demo.resident_id, "access",
	    "2018-05-25T00:00:00Z"));
	free(dpo);

	idl_restart(&e, "2026-02-10T12:00:00Z");
	dpo = idl_login_admin(&e);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = call(&e, "POST", REQS, dpo, json_pack("{s:s, s:s, s:s}",
		    "account_id", idl_demo.resident_id, "kind", "access",
		    "received_at", cases[i].received), &j);
		d = harness_dump(j);
		ck_assert_msg(st == cases[i].status, "%s: %ld %s",
		    cases[i].received, st, d);
		if (st == 422) {
			err = idl_error_for(j, "/received_at");
			ck_assert_msg(err != NULL, "%s: %s", cases[i].received,
			    d);
			idl_assert_str(err, "code", "range");
			idl_assert_str(j, "code", "validation");
			/* The earliest date accepted is named. */
			if (cases[i].received[0] < '2')
				ck_assert_msg(strstr(idl_jstr(err, "message"),
				    "2021-02-10T12:00:00Z") != NULL, "%s", d);
		}
		free(d);
		json_decref(j);
	}
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.requests"), 3);
	free(dpo);
	idl_stop(&e);
}
END_TEST

/* GET with X-Purpose: the status, the body in *out (may be NULL). */
static long
read_request(const struct idenv *e, const char *path, const char *token,
    const char *purpose, json_t **out)
{
	char	*xp = NULL;
	json_t	*j;
	long	 st;

	if (purpose != NULL)
		xp = harness_printf("X-Purpose: %s", purpose);
	j = idl_reqj_with(e, "GET", path, token, xp, NULL, &st);
	free(xp);
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return (st);
}

/*
 * The Location of a new request is something a GET reads: the
 * DPO's read of one request, with its purpose, written to the person's
 * access log like every read of the town.
 */
START_TEST(test_location_is_readable)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*in, *j, *got;
	char		*dpo, *res, *body, *loc, *d1, *d2;
	long		 st;

	idl_start_new(&e, "2026-02-10T12:00:00Z");
	dpo = idl_login_admin(&e);
	res = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	in = json_pack("{s:s, s:s}", "account_id", idl_demo.resident_id,
	    "kind", "access");
	body = json_dumps(in, JSON_COMPACT);
	json_decref(in);
	ck_assert_int_eq(idl_req(&e, "POST", REQS, dpo, body, &r), 201);
	ck_assert(http_resp_header(&r, "Location") != NULL);
	loc = strdup(http_resp_header(&r, "Location"));
	j = harness_json(&r);
	http_resp_free(&r);
	free(body);

	st = read_request(&e, loc, dpo, "traitement de la demande", &got);
	d1 = harness_dump(j);
	d2 = harness_dump(got);
	ck_assert_msg(st == 200 && strcmp(d1, d2) == 0, "GET %s: %ld %s, "
	    "created %s", loc, st, d2, d1);
	free(d1);
	free(d2);
	json_decref(got);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log WHERE account_id = '%s' AND reader_kind = "
	    "'dpo' AND dataset = 'privacy.request' AND record = '%s' AND "
	    "purpose = 'traitement de la demande'", idl_demo.resident_id,
	    idl_jstr(j, "id")), 1);
	/* Without a purpose, as every read of the town: 400, nothing read. */
	st = read_request(&e, loc, dpo, NULL, &got);
	ck_assert_int_eq(st, 400);
	idl_assert_str(got, "code", "purpose_required");
	json_decref(got);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log"), 1);
	/* Nobody else reads it; an unknown id is 404. */
	ck_assert_int_eq(read_request(&e, loc, res, "curious", NULL), 403);
	ck_assert_int_eq(read_request(&e, loc, NULL, "x", NULL), 401);
	st = read_request(&e, REQS "/00000000-0000-4000-8000-000000000000",
	    dpo, "x", &got);
	ck_assert_int_eq(st, 404);
	idl_assert_str(got, "code", "rights_request_not_found");
	json_decref(got);
	ck_assert_int_eq(read_request(&e, REQS "/nope", dpo, "x", NULL), 404);
	json_decref(j);
	free(loc);
	free(res);
	free(dpo);
	idl_stop(&e);
}
END_TEST

/* An empty PATCH is 422 empty_patch, like every PATCH of the API. */
START_TEST(test_empty_patch_422)
{
	struct idenv	 e;
	char		*dpo, *id;
	json_t		*j;
	long		 st;

	idl_start_new(&e, "2026-02-10T12:00:00Z");
	dpo = idl_login_admin(&e);
	j = create(&e, dpo, idl_demo.resident_id, "access", NULL);
	id = strdup(idl_jstr(j, "id"));
	json_decref(j);
	st = patch(&e, dpo, id, json_object(), &j);
	ck_assert_int_eq(st, 422);
	idl_assert_str(j, "code", "empty_patch");
	ck_assert_int_eq(json_array_size(json_object_get(j, "errors")), 1);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.requests WHERE id = '%s' AND status = 'received'", id), 1);
	free(id);
	free(dpo);
	idl_stop(&e);
}
END_TEST

/*
 * Free texts never reach guichetd's log (ARCHITECTURE.md, "Rules a
 * module keeps": ids and counts, never free text): the grounds, answers,
 * reasons and purposes that the DPO and the person type go to the
 * database and the person, the log keeps ids and counts.
 */
START_TEST(test_free_texts_never_logged)
{
	struct idenv	 e;
	struct http_resp r;
	char		*m[10], *dpo, *res, *p, *id, *obj, *other, *log;
	json_t		*j;
	size_t		 i;
	long		 st;

	for (i = 0; i < 10; i++) {
		p = idl_marker(16);
		m[i] = harness_printf("free-text-%s", p);
		free(p);
	}
	idl_start_new(&e, "2026-02-10T12:00:00Z");
	dpo = idl_login_admin(&e);
	res = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	other = idl_register(&e, "erased-3108@example.org", GOOD_PASSWORD);
	/* The person's objection grounds, decided with the DPO's grounds. */
	j = idl_sendj(&e, "POST", "/api/v1/me/objections", res, json_pack(
	    "{s:s, s:s}", "purpose", "case_notifications", "grounds", m[0]),
	    &st);
	ck_assert_int_eq(st, 201);
	obj = strdup(idl_jstr(j, "id"));
	json_decref(j);
	ck_assert_int_eq(patch(&e, dpo, obj, json_pack("{s:s, s:s}",
	    "decision", "rejected", "grounds", m[1]), NULL), 200);
	/* A request extended, refused with a reason and an answer. */
	j = create(&e, dpo, idl_demo.resident_id, "erasure", NULL);
	id = strdup(idl_jstr(j, "id"));
	json_decref(j);
	ck_assert_int_eq(patch(&e, dpo, id, json_pack("{s:i, s:s}",
	    "extension_months", 1, "extension_reason", m[2]), NULL), 200);
	ck_assert_int_eq(patch(&e, dpo, id, json_pack("{s:s, s:s, s:s}",
	    "status", "refused", "reason", m[3], "answer", m[4]), NULL), 200);
	/* Reads with their purposes. */
	p = harness_printf(REQS "/%s", id);
	ck_assert_int_eq(read_request(&e, p, dpo, m[5], NULL), 200);
	free(p);
	p = harness_printf("/api/v1/admin/privacy/subjects/%s",
	    idl_demo.resident_id);
	ck_assert_int_eq(read_request(&e, p, dpo, m[6], NULL), 200);
	free(p);
	p = harness_printf("/api/v1/admin/privacy/subjects/%s/export?reason=%s",
	    idl_demo.resident_id, m[7]);
	ck_assert_int_eq(idl_req(&e, "GET", p, dpo, NULL, &r), 200);
	http_resp_free(&r);
	free(p);
	p = harness_printf("/api/v1/admin/privacy/subjects/%s/export",
	    idl_demo.resident_id);
	ck_assert_int_eq(read_request(&e, p, dpo, m[8], NULL), 200);
	free(p);
	/* An erasure on the person's behalf, with the DPO's reason. */
	p = harness_printf("/api/v1/admin/privacy/subjects/%s/erase", other);
	json_decref(idl_sendj(&e, "POST", p, dpo, json_pack("{s:s}", "reason",
	    m[9]), &st));
	ck_assert_int_eq(st, 200);
	free(p);

	/* Everything was recorded where it belongs... */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log WHERE purpose IN ('%s', '%s', '%s', '%s')",
	    m[5], m[6], m[7], m[8]), 4);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.erasures WHERE reason = '%s'", m[9]), 1);
	/* ...and none of it in the server's log, which has the ids. */
	ck_assert(harness_server_log_wait(&e.s, other, 5000));
	log = idl_log(&e);
	ck_assert_msg(strstr(log, id) != NULL && strstr(log, obj) != NULL,
	    "the log has no ids");
	for (i = 0; i < 10; i++)
		ck_assert_msg(strstr(log, m[i]) == NULL, "free text %zu is in "
		    "the log", i);
	free(log);
	for (i = 0; i < 10; i++)
		free(m[i]);
	free(obj);
	free(id);
	free(other);
	free(res);
	free(dpo);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_due_one_calendar_month,
	&test_overdue_filter,
	&test_extension_within_first_month_only,
	&test_refusal_reason_and_remedies,
	&test_no_fee_and_dpo_only,
	&test_received_at_plausible,
	&test_location_is_readable,
	&test_empty_patch_422,
	&test_free_texts_never_logged,
	NULL
};

const struct test_group test_groups[] = {
	{ "requests", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
