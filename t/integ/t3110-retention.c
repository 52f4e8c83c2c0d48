/*
 * t3110-retention: the retention rules (Art. 5(1)(e) RGPD)
 * are enforced by the purge.  For each rule, rows are made at T0 (by
 * guichetd running with --clock T0, or by SQL with T0 as their times),
 * then `guichetctl --clock <limit - 1 day> privacy purge` leaves them and
 * `--clock <limit + 1 day>` deletes (or anonymises) them; where a row
 * held a marker, pg_dump no longer holds it.  Also: every category that a
 * pii: tag names is enforced by a rule no longer than the register says
 * (A19), and guichetd's own thread purges shortly after start-up.  A
 * backlog of more due rows than one batch is purged in one run, batch
 * after batch, each in its own transaction, and a failing batch leaves
 * the ones before it done.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idlib.h"

#define T0		"2027-03-01T10:00:00Z"
#define GOOD_PASSWORD	"correct horse battery staple 7"

static char	*sql_time(const struct idenv *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 kept_then_purged(const struct idenv *, const char *,
		    const char *, const char *, long, int, const char *, ...)
		    __attribute__((format(printf, 7, 8)));

/* A copy of the template database without a server. */
static void
no_server(struct idenv *e)
{
	idl_start_new(e, T0);
	harness_server_stop(&e->s);
}

/* A timestamptz expression as the RFC 3339 text --clock takes. */
static char *
sql_time(const struct idenv *e, const char *fmt, ...)
{
	va_list	 ap;
	char	*expr, *sql, *v;

	va_start(ap, fmt);
	ck_assert(vasprintf(&expr, fmt, ap) != -1);
	va_end(ap);
	sql = harness_printf("SELECT to_char((%s) AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", expr);
	v = harness_sql(e->db, sql);
	ck_assert_msg(v != NULL, "no answer to %s", sql);
	free(sql);
	free(expr);
	return (v);
}

/*
 * guichetctl --clock 'clock' privacy purge: its report (caller decrefs),
 * whose exit status says whether some rule failed.
 */
static json_t *
purge_report(const struct idenv *e, const char *clock)
{
	const char	*args[] = { "--clock", clock, "privacy", "purge", NULL };
	json_t		*j;
	char		*out = NULL, *err = NULL;
	int		 rc;

	rc = idl_ctl(e->db, 0, args, &out, &err);
	j = json_loads(out != NULL ? out : "", 0, NULL);
	ck_assert_msg(json_is_object(j), "guichetctl privacy purge (rc %d): "
	    "%s%s", rc, out, err);
	ck_assert_str_eq(idl_jstr(j, "at"), clock);
	/* The exit status says whether some rule (maybe another) failed. */
	ck_assert_msg((rc == 0) == (strstr(out, "\"failed\"") == NULL),
	    "guichetctl privacy purge exited %d: %s%s", rc, out, err);
	free(out);
	free(err);
	return (j);
}

/* The count of 'rule' in a purge's report, whose status is 'status'. */
static long
rule_count(json_t *j, const char *rule, const char *status)
{
	json_t	*r;
	size_t	 i;
	long	 count = -1;

	json_array_foreach(json_object_get(j, "rules"), i, r) {
		if (strcmp(idl_jstr(r, "rule"), rule) != 0)
			continue;
		ck_assert_msg(strcmp(idl_jstr(r, "status"), status) == 0,
		    "rule %s: status %s, not %s", rule, idl_jstr(r, "status"),
		    status);
		count = (long)json_integer_value(json_object_get(r, "count"));
	}
	ck_assert_msg(count >= 0, "rule %s not in the report", rule);
	return (count);
}

/* guichetctl --clock 'clock' privacy purge: the count of 'rule', ok. */
static long
purge(const struct idenv *e, const char *clock, const char *rule)
{
	json_t	*j;
	long	 count;

	j = purge_report(e, clock);
	count = rule_count(j, rule, "ok");
	json_decref(j);
	return (count);
}

/*
 * The 'n' rows that 'fmt' (a count query) finds are kept by the purge of
 * 'rule' at 'keep', and removed by the one at 'drop', which counts 'n' of
 * them (at least 'n' when 'at_least': others may go too); none remain.
 */
static void
kept_then_purged(const struct idenv *e, const char *rule, const char *keep,
    const char *drop, long n, int at_least, const char *fmt, ...)
{
	va_list	 ap;
	char	*sql;
	long	 got;

	va_start(ap, fmt);
	ck_assert(vasprintf(&sql, fmt, ap) != -1);
	va_end(ap);
	purge(e, keep, rule);
	ck_assert_msg(idl_sql_count(e, "%s", sql) == n, "%s at %s: not %ld "
	    "rows kept", rule, keep, n);
	got = purge(e, drop, rule);
	ck_assert_msg(at_least ? got >= n : got == n, "%s at %s: %ld removed, "
	    "expected %s%ld", rule, drop, got, at_least ? "at least " : "", n);
	ck_assert_msg(idl_sql_count(e, "%s", sql) == 0, "%s at %s: rows left",
	    rule, drop);
	free(sql);
}

/*
 * The inactivity rule keeps account 'id' active when the purge runs at
 * 'keep' and erases it at 'drop' (the erased row meeting 'and' too).
 */
static void
inactive_purged(const struct idenv *e, const char *id, const char *keep,
    const char *drop, const char *and)
{
	purge(e, keep, "inactive_accounts");
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM "
	    "identity.accounts WHERE id = '%s' AND status = 'active'", id), 1);
	ck_assert_int_ge(purge(e, drop, "inactive_accounts"), 1);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM "
	    "identity.accounts WHERE id = '%s' AND status = 'erased'%s", id,
	    and), 1);
}

START_TEST(test_refresh_tokens)
{
	struct idenv	 e;
	char		*at, *before, *after;
	long		 n;

	at = idl_start_resident(&e, T0);
	harness_server_stop(&e.s);
	n = idl_sql_count(&e, "SELECT count(*) FROM identity.refresh_tokens "
	    "WHERE account_id = '%s' AND created_at = '" T0 "'",
	    idl_demo.resident_id);
	ck_assert_int_eq(n, 1);
	before = sql_time(&e, "SELECT max(expires_at) + interval '29 days' "
	    "FROM identity.refresh_tokens WHERE account_id = '%s'",
	    idl_demo.resident_id);
	after = sql_time(&e, "SELECT max(expires_at) + interval '31 days' "
	    "FROM identity.refresh_tokens WHERE account_id = '%s'",
	    idl_demo.resident_id);
	kept_then_purged(&e, "refresh_tokens", before, after, n, 1,
	    "SELECT count(*) FROM identity.refresh_tokens WHERE account_id = "
	    "'%s'", idl_demo.resident_id);
	free(at);
	free(before);
	free(after);
	idl_stop(&e);
}
END_TEST

/* A revoked token goes 30 days after its revocation, not its expiry. */
START_TEST(test_refresh_tokens_revoked)
{
	struct idenv	 e;

	no_server(&e);
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO identity.refresh_tokens "
	    "(account_id, family_id, token_hash, created_at, expires_at, "
	    "revoked_at) VALUES ('%s', gen_random_uuid(), "
	    "sha256(gen_random_uuid()::text::bytea), '" T0 "', "
	    "'" T0 "'::timestamptz + interval '1 year', '" T0 "')",
	    idl_demo.resident_id), 0);
	kept_then_purged(&e, "refresh_tokens", "2027-03-30T10:00:00Z",
	    "2027-04-01T10:00:00Z", 1, 0, "SELECT count(*) FROM "
	    "identity.refresh_tokens WHERE revoked_at = '" T0 "'");
	idl_stop(&e);
}
END_TEST

START_TEST(test_one_time_tokens)
{
	struct idenv	 e;

	no_server(&e);
	/* One expiring at T0, one used at T0 that would expire much later. */
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO "
	    "identity.one_time_tokens (account_id, purpose, token_hash, "
	    "created_at, expires_at, used_at) VALUES "
	    "('%s', 'verify_email', sha256('t3110-a'), "
	    "'" T0 "'::timestamptz - interval '1 day', '" T0 "', NULL), "
	    "('%s', 'reset_password', sha256('t3110-b'), "
	    "'" T0 "'::timestamptz - interval '1 hour', "
	    "'" T0 "'::timestamptz + interval '30 days', '" T0 "')",
	    idl_demo.resident_id, idl_demo.resident_id), 0);
	kept_then_purged(&e, "one_time_tokens", "2027-03-07T10:00:00Z",
	    "2027-03-09T10:00:00Z", 2, 0, "SELECT count(*) FROM "
	    "identity.one_time_tokens WHERE account_id = '%s'",
	    idl_demo.resident_id);
	idl_stop(&e);
}
END_TEST

/* Failed sign-ins at T0 leave throttle rows (network data): 1 day. */
START_TEST(test_auth_throttle)
{
	struct idenv	 e;
	char		*before, *after;
	long		 n, st;

	idl_start_new(&e, T0);
	st = idl_login(&e, IDL_RESIDENT_EMAIL, "wrong password t3110", NULL,
	    NULL, NULL);
	ck_assert_msg(st == 400 || st == 401, "wrong password: %ld", st);
	harness_server_stop(&e.s);
	n = idl_sql_count(&e, "SELECT count(*) FROM identity.auth_throttle "
	    "WHERE last_failure = '" T0 "'");
	ck_assert_int_ge(n, 1);
	before = sql_time(&e, "SELECT max(greatest(last_failure, "
	    "blocked_until)) FROM identity.auth_throttle");
	after = sql_time(&e, "SELECT max(greatest(last_failure, "
	    "blocked_until)) + interval '2 days' FROM identity.auth_throttle");
	purge(&e, before, "auth_throttle");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.auth_throttle WHERE last_failure = '" T0 "'"), n);
	ck_assert_int_eq(purge(&e, after, "auth_throttle"), n);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.auth_throttle"), 0);
	free(before);
	free(after);
	idl_stop(&e);
}
END_TEST

/*
 * Answers kept for Idempotency-Key: one day after the request.  Made by
 * guichetd at T0 (an objection whose grounds hold a marker, so the
 * stored answer is the person's data): kept an hour before the day is
 * over, deleted an hour after.
 */
START_TEST(test_idempotency_keys)
{
	struct idenv	 e;
	struct http_resp r;
	const char	*h[4];
	char		*at, *auth, *body, *marker, *before, *after;

	at = idl_start_resident(&e, T0);
	marker = idl_marker(24);
	auth = harness_printf("Authorization: Bearer %s", at);
	body = harness_printf("{\"purpose\": \"newsletter\", "
	    "\"grounds\": \"%s\"}", marker);
	h[0] = auth;
	h[1] = "Content-Type: application/json";
	h[2] = "Idempotency-Key: t3110-retention";
	h[3] = NULL;
	ck_assert_int_eq(idl_reqh(&e, "POST", "/api/v1/me/objections", h, body,
	    &r), 201);
	http_resp_free(&r);
	harness_server_stop(&e.s);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys WHERE created_at = '" T0 "' AND status = 201 "
	    "AND strpos(body, '%s') > 0", marker), 1);
	before = sql_time(&e, "SELECT max(created_at) + interval '1 day' - "
	    "interval '1 hour' FROM ops.idempotency_keys");
	after = sql_time(&e, "SELECT max(created_at) + interval '1 day' + "
	    "interval '1 hour' FROM ops.idempotency_keys");
	ck_assert_int_eq(purge(&e, before, "idempotency_keys"), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys"), 1);
	ck_assert_int_eq(purge(&e, after, "idempotency_keys"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys"), 0);
	free(before);
	free(after);
	free(body);
	free(auth);
	free(marker);
	free(at);
	idl_stop(&e);
}
END_TEST

/* Messages: 3 months after sending, or after creation if never sent. */
START_TEST(test_outbox)
{
	struct idenv	 e;
	char		*m;

	no_server(&e);
	m = idl_marker(24);
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO ops.outbox "
	    "(account_id, recipient, template, locale, payload, created_at, "
	    "sent_at) VALUES ('%s', 'sent-%s@example.test', 'verify_email', "
	    "'fr', '{\"link\": \"sent-%s\"}', '" T0 "'::timestamptz - "
	    "interval '1 hour', '" T0 "'), (NULL, 'queued-%s@example.test', "
	    "'reset_password', 'fr', '{\"link\": \"queued-%s\"}', '" T0 "', "
	    "NULL)", idl_demo.resident_id, m, m, m, m), 0);
	ck_assert_int_eq(idl_dump_count(&e, m), 4);
	kept_then_purged(&e, "outbox", "2027-05-31T10:00:00Z",
	    "2027-06-02T10:00:00Z", 2, 1, "SELECT count(*) FROM ops.outbox "
	    "WHERE recipient LIKE '%%%s%%'", m);
	ck_assert_int_eq(idl_dump_count(&e, m), 0);
	free(m);
	idl_stop(&e);
}
END_TEST

/* The rectification audit (field names only): 3 years. */
START_TEST(test_rectifications)
{
	struct idenv	 e;
	char		*at;
	long		 st;
	json_t		*j;

	at = idl_start_resident(&e, T0);
	j = idl_reqj(&e, "PATCH", "/api/v1/me", at,
	    "{\"display_name\": \"Rectified Resident\"}", &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	harness_server_stop(&e.s);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.rectifications WHERE at = '" T0 "'"), 1);
	purge(&e, "2030-02-28T10:00:00Z", "rectifications");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.rectifications WHERE at = '" T0 "'"), 1);
	ck_assert_int_eq(purge(&e, "2030-03-02T10:00:00Z", "rectifications"),
	    1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.rectifications"), 0);
	free(at);
	idl_stop(&e);
}
END_TEST

/*
 * Consent proof: 5 years after the account is closed; the ledger stays
 * append-only for everything else, and a live account's proof stays.
 */
START_TEST(test_consent_ledger)
{
	struct idenv	 e;
	char		*email, *id, *at;
	long		 st;
	json_t		*j;

	idl_start_new(&e, T0);
	email = harness_printf("t3110-%ld@example.test",
	    (long)harness_now_ms());
	id = idl_register(&e, email, GOOD_PASSWORD);
	at = idl_login_ok(&e, email, GOOD_PASSWORD, NULL);
	j = idl_reqj(&e, "PUT", "/api/v1/me/consents/newsletter", at, NULL,
	    &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	free(at);
	at = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	j = idl_reqj(&e, "PUT", "/api/v1/me/consents/newsletter", at, NULL,
	    &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	harness_server_stop(&e.s);
	/* Closed at T0 (what the erasure leaves: status and time). */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE identity.accounts SET "
	    "status = 'erased', updated_at = '" T0 "' WHERE id = '%s'", id), 0);
	/* The demo resident stays active (not an inactive account then). */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE identity.accounts SET "
	    "updated_at = '2032-01-01T00:00:00Z' WHERE id = '%s'",
	    idl_demo.resident_id), 0);
	kept_then_purged(&e, "consent_ledger", "2032-02-29T10:00:00Z",
	    "2032-03-02T10:00:00Z", 1, 0, "SELECT count(*) FROM "
	    "privacy.consent_ledger WHERE account_id = '%s'", id);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.consent_ledger WHERE account_id = '%s'",
	    idl_demo.resident_id), 1);
	/* Outside the purge, still append-only. */
	ck_assert_int_ne(idl_sql_exec(&e, "DELETE FROM privacy.consent_ledger"),
	    0);
	ck_assert_int_ne(idl_sql_exec(&e, "UPDATE privacy.consent_ledger "
	    "SET channel = 'web'"), 0);
	ck_assert_int_ne(idl_sql_exec(&e, "BEGIN; SELECT set_config("
	    "'guichet.retention', 'consent_ledger', true); UPDATE "
	    "privacy.consent_ledger SET channel = 'web'; COMMIT"), 0);
	free(at);
	free(id);
	free(email);
	idl_stop(&e);
}
END_TEST

/*
 * An account without activity for 3 years is anonymised through the
 * erasure (Art. 17): its marker leaves the dump; agents are not.
 */
START_TEST(test_inactive_accounts)
{
	struct idenv	 e;
	char		*email, *id, *at, *m, *body;
	long		 st;
	json_t		*j;

	idl_start_new(&e, T0);
	m = idl_marker(24);
	email = harness_printf("t3110-%s@example.test", m);
	id = idl_register(&e, email, GOOD_PASSWORD);
	at = idl_login_ok(&e, email, GOOD_PASSWORD, NULL);
	body = harness_printf("{\"display_name\": \"Inactive %s\"}", m);
	j = idl_reqj(&e, "PATCH", "/api/v1/me", at, body, &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	harness_server_stop(&e.s);
	ck_assert_int_ge(idl_dump_count(&e, m), 2);
	inactive_purged(&e, id, "2030-02-28T10:00:00Z", "2030-03-02T10:00:00Z",
	    "");
	ck_assert_int_eq(idl_dump_count(&e, m), 0);
	/* The demo agent and admin are staff: not purged as inactive. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.accounts WHERE id IN ('%s', '%s') AND status = 'active'",
	    idl_demo.agent_id, idl_demo.admin_id), 2);
	free(body);
	free(at);
	free(id);
	free(email);
	free(m);
	idl_stop(&e);
}
END_TEST

/* The access log (another migration): 1 year, when the table exists. */
/*
 * Signing in is activity (the register says "connexion ou démarche"): a
 * person whose profile last changed at T0 but who signed in two years
 * later is kept three years after that sign-in, not after T0.  The sign-in
 * time is written at most once a day.
 */
START_TEST(test_sign_in_is_activity)
{
	struct idenv	 e;
	char		*email, *id, *at, *m, *seen;

	idl_start_new(&e, T0);
	m = idl_marker(24);
	email = harness_printf("t3110-seen-%s@example.test", m);
	id = idl_register(&e, email, GOOD_PASSWORD);
	idl_restart(&e, "2029-03-01T10:00:00Z");
	at = idl_login_ok(&e, email, GOOD_PASSWORD, NULL);
	free(at);
	seen = sql_time(&e, "SELECT last_seen_at FROM identity.accounts "
	    "WHERE id = '%s'", id);
	idl_restart(&e, "2029-03-01T15:00:00Z");
	at = idl_login_ok(&e, email, GOOD_PASSWORD, NULL);
	free(at);
	harness_server_stop(&e.s);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.accounts WHERE id = '%s' AND last_seen_at = '%s' AND "
	    "last_seen_at > updated_at", id, seen), 1);
	/*
	 * Three years after T0 and a day: still active; three years after
	 * the sign-in and a day: erased.
	 */
	inactive_purged(&e, id, "2030-03-02T10:00:00Z", "2032-03-02T10:00:00Z",
	    " AND last_seen_at IS NULL");
	ck_assert_int_eq(idl_dump_count(&e, m), 0);
	free(seen);
	free(id);
	free(email);
	free(m);
	idl_stop(&e);
}
END_TEST

START_TEST(test_access_log_rule)
{
	struct idenv	 e;
	long		 table, rule;

	no_server(&e);
	table = idl_sql_count(&e, "SELECT count(*) FROM pg_attribute WHERE "
	    "attrelid = to_regclass('privacy.access_log') AND attname = 'at'");
	rule = idl_sql_count(&e, "SELECT count(*) FROM privacy.retention_rules "
	    "WHERE code = 'access_log' AND retention = interval '1 year' "
	    "AND action = 'delete'");
	ck_assert_int_eq(rule, table);
	if (table == 1)
		purge(&e, "2030-01-01T00:00:00Z", "access_log");
	idl_stop(&e);
}
END_TEST

/*
 * A19/A11: every category a pii: tag names is enforced by a rule, and no
 * rule keeps data longer than the register says (for the same starting
 * event); the register shows the categories' periods.
 */
START_TEST(test_every_category_has_a_rule)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*reg, *c;
	char		*bad, *want;
	size_t		 i;

	idl_start_new(&e, NULL);
	bad = idl_sql(&e, "WITH tags AS (SELECT DISTINCT substring(d.description "
	    "FROM '^pii:([a-z][a-z0-9_]*)') AS cat FROM pg_description d "
	    "JOIN pg_class k ON k.oid = d.objoid AND d.classoid = "
	    "'pg_class'::regclass JOIN pg_namespace n ON n.oid = "
	    "k.relnamespace WHERE d.objsubid > 0 AND k.relkind = 'r' AND "
	    "d.description ~ '^pii:') SELECT string_agg(cat, ', ') FROM tags "
	    "WHERE NOT EXISTS (SELECT 1 FROM privacy.retention_rules r "
	    "WHERE tags.cat = ANY (r.categories))");
	ck_assert_msg(bad == NULL, "pii categories without a retention rule: "
	    "%s", bad);
	bad = idl_sql(&e, "SELECT string_agg(r.code || '/' || c.code, ', ') "
	    "FROM privacy.retention_rules r JOIN privacy.categories c ON "
	    "c.code = ANY (r.categories) WHERE r.retention_from = "
	    "c.retention_from AND r.retention > c.retention");
	ck_assert_msg(bad == NULL, "rules keeping longer than the register "
	    "says: %s", bad);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.retention_rules WHERE cardinality(categories) > 0"),
	    idl_sql_count(&e, "SELECT count(*) FROM privacy.retention_rules "
	    "WHERE cardinality(categories) > 0 AND categories <@ (SELECT "
	    "array_agg(code) FROM privacy.categories)"));
	idl_req(&e, "GET", "/api/v1/privacy/register", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	reg = harness_json(&r);
	ck_assert(json_is_array(json_object_get(reg, "categories")));
	json_array_foreach(json_object_get(reg, "categories"), i, c) {
		want = idl_sql(&e, "SELECT privacy.iso_duration(retention) "
		    "|| ' ' || retention_from FROM privacy.categories WHERE "
		    "code = '%s'", idl_jstr(c, "code"));
		ck_assert_msg(want != NULL, "category %s", idl_jstr(c, "code"));
		bad = harness_printf("%s %s", idl_jstr(json_object_get(c,
		    "retention"), "period"), idl_jstr(json_object_get(c,
		    "retention"), "from"));
		ck_assert_str_eq(bad, want);
		free(bad);
		free(want);
	}
	json_decref(reg);
	http_resp_free(&r);
	idl_stop(&e);
}
END_TEST

/* guichetd purges by itself shortly after start-up, and logs counts only. */
START_TEST(test_background_purge_at_start)
{
	struct idenv	 e;
	char		*m, *log;
	long long	 until;
	long		 n = -1;

	no_server(&e);
	m = idl_marker(24);
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO ops.outbox "
	    "(recipient, template, locale, payload, created_at, sent_at) "
	    "VALUES ('bg-%s@example.test', 'verify_email', 'fr', "
	    "'{\"link\": \"bg-%s\"}', '" T0 "', '" T0 "')", m, m), 0);
	e.clock = "2027-07-01T10:00:00Z";
	idl_start(&e);
	until = harness_now_ms() + 15000;
	while (harness_now_ms() < until) {
		n = idl_sql_count(&e, "SELECT count(*) FROM ops.outbox WHERE "
		    "recipient LIKE 'bg-%s%%'", m);
		if (n == 0)
			break;
		harness_sleep_ms(200);
	}
	ck_assert_msg(n == 0, "guichetd did not purge at start-up");
	ck_assert_int_eq(harness_server_log_wait(&e.s,
	    "retention: rule outbox: ", 5000), 1);
	ck_assert_int_eq(idl_dump_count(&e, m), 0);
	harness_server_stop(&e.s);
	log = idl_log(&e);
	ck_assert_int_eq(idl_count(log, m), 0);
	free(log);
	free(m);
	idl_stop(&e);
}
END_TEST

/*
 * A backlog: more due rows than one batch of the purge (RETENTION_BATCH,
 * src/privacy/retention.c) under the rules of each kind, made by SQL.
 * Every statement that deletes or anonymises rows of the rules' tables is
 * recorded by a trigger with its transaction and its rows (its transition
 * table), so that the test sees the batches without knowing their size.
 */
#define BACKLOG		12000
#define BACKLOG_CLOCK	"2028-06-01T10:00:00Z"

/* The recorder: public.t3110_batches (table, transaction, rows). */
static void
batches_record(const struct idenv *e)
{
	ck_assert_int_eq(idl_sql_exec(e, "CREATE TABLE public.t3110_batches "
	    "(tbl text NOT NULL, tx xid8 NOT NULL, n bigint NOT NULL); "
	    "CREATE FUNCTION public.t3110_batch() RETURNS trigger "
	    "LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.t3110_batches "
	    "SELECT TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, "
	    "pg_current_xact_id(), count(*) FROM gone HAVING count(*) > 0; "
	    "RETURN NULL; END $$"), 0);
}

/* Record the statements of 'event' (DELETE, UPDATE) on 'table'. */
static void
batches_watch(const struct idenv *e, const char *table, const char *event)
{
	ck_assert_int_eq(idl_sql_exec(e, "CREATE TRIGGER t3110_batch AFTER %s "
	    "ON %s REFERENCING OLD TABLE AS gone FOR EACH STATEMENT "
	    "EXECUTE FUNCTION public.t3110_batch()", event, table), 0);
}

/*
 * The 'due' rows of 'table' went in several statements, each in a
 * transaction of its own, none of them all the rows.
 */
static void
batches_check(const struct idenv *e, const char *table, long due)
{
	long	 n;

	n = idl_sql_count(e, "SELECT count(*) FROM public.t3110_batches "
	    "WHERE tbl = '%s'", table);
	ck_assert_msg(n >= 2, "%s: %ld due rows in %ld statement(s)", table,
	    due, n);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(DISTINCT tx) FROM "
	    "public.t3110_batches WHERE tbl = '%s'", table), n);
	ck_assert_int_eq(idl_sql_count(e, "SELECT sum(n) FROM "
	    "public.t3110_batches WHERE tbl = '%s'", table), due);
	ck_assert_int_lt(idl_sql_count(e, "SELECT max(n) FROM "
	    "public.t3110_batches WHERE tbl = '%s'", table), due);
}

/* What is due under 'rule' at BACKLOG_CLOCK (007's own selection). */
static long
due(const struct idenv *e, const char *rule)
{
	return (idl_sql_count(e, "SELECT count(*) FROM privacy.retention_due("
	    "'%s', '" BACKLOG_CLOCK "')", rule));
}

/*
 * BACKLOG finished reports, the newest with supporters, a year and more
 * before BACKLOG_CLOCK.
 */
static void
backlog_reports(const struct idenv *e)
{
	ck_assert_int_eq(idl_sql_exec(e, "INSERT INTO incidents.reports "
	    "(category, department, description, position, status, "
	    "contact_email, created_at, updated_at, expected_at, finished_at) "
	    "SELECT c.code, c.department, 'backlog ' || g, "
	    "ST_SetSRID(ST_MakePoint(6.7219, 44.9316), 4326)::geography, "
	    "'resolved', 'backlog-' || g || '@example.test', "
	    "'" T0 "'::timestamptz - interval '1 month', "
	    "'" T0 "'::timestamptz - interval '1 month', '" T0 "', "
	    "'" T0 "'::timestamptz - g * interval '1 second' "
	    "FROM generate_series(1, %d) g, (SELECT code, department FROM "
	    "incidents.categories ORDER BY code LIMIT 1) c; "
	    "INSERT INTO incidents.supporters (report_id, account_id, at) "
	    "SELECT id, '%s', '" T0 "' FROM incidents.reports WHERE "
	    "description LIKE 'backlog %%' ORDER BY finished_at DESC LIMIT 50",
	    BACKLOG, idl_demo.resident_id), 0);
}

/*
 * A backlog is purged in one run, batch after batch, each its own
 * transaction, under the rules of every kind: a generic DELETE
 * (idempotency_keys), the purge functions of an append-only table
 * (access_log) and of the tables anonymised in place (incident_reports,
 * partner_contacts).  The counts reported are the rows.
 */
START_TEST(test_backlog_in_batches)
{
	static const char *const rules[][3] = {
		{ "idempotency_keys", "ops.idempotency_keys", "DELETE" },
		{ "access_log", "privacy.access_log", "DELETE" },
		{ "incident_reports", "incidents.reports", "UPDATE" },
		{ "partner_contacts", "open311.requests", "UPDATE" },
	};
	struct idenv	 e;
	json_t		*j;
	long		 n[4];
	size_t		 i;

	no_server(&e);
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO ops.idempotency_keys "
	    "(scope, key, method, path, request_hash, created_at) SELECT "
	    "'person:t3110', 'backlog-' || g, 'POST', '/api/v1/t3110', 'h', "
	    "'" T0 "' FROM generate_series(1, %d) g", BACKLOG), 0);
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO privacy.access_log "
	    "(at, account_id, reader_kind, reader_account, dataset, purpose) "
	    "SELECT '" T0 "'::timestamptz - g * interval '1 second', '%s', "
	    "'dpo', '%s', 'identity.account', 'backlog' FROM "
	    "generate_series(1, %d) g", idl_demo.resident_id,
	    idl_demo.admin_id, BACKLOG), 0);
	backlog_reports(&e);
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO open311.requests "
	    "(report_id, client_id, email, first_name, created_at) SELECT "
	    "gen_random_uuid(), 'cl_0123456789abcdef', 'backlog-' || g || "
	    "'@example.test', 'Backlog', '" T0 "'::timestamptz - "
	    "g * interval '1 second' FROM generate_series(1, %d) g",
	    BACKLOG), 0);
	batches_record(&e);
	for (i = 0; i < 4; i++) {
		batches_watch(&e, rules[i][1], rules[i][2]);
		n[i] = due(&e, rules[i][0]);
		ck_assert_int_ge(n[i], BACKLOG);
	}
	j = purge_report(&e, BACKLOG_CLOCK);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(rule_count(j, rules[i][0], "ok"), n[i]);
		ck_assert_int_eq(due(&e, rules[i][0]), 0);
		batches_check(&e, rules[i][1], n[i]);
	}
	json_decref(j);
	/* Each batch of reports took its supporters and contacts with it. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.supporters s JOIN incidents.reports r ON r.id = "
	    "s.report_id WHERE r.description LIKE 'backlog %%'"), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE description LIKE 'backlog %%' AND "
	    "(contact_email IS NOT NULL OR anonymised_at IS NULL)"), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "open311.requests WHERE email LIKE 'backlog-%%'"), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "ops.idempotency_keys WHERE scope = 'person:t3110'"), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log WHERE purpose = 'backlog'"), 0);
	idl_stop(&e);
}
END_TEST

/*
 * A batch that fails (here the last one: a trigger refuses the newest due
 * report) leaves the batches before it done: the rule is reported failed
 * with the rows those did; the next run does the rest.
 */
START_TEST(test_backlog_failure_keeps_earlier_batches)
{
	struct idenv	 e;
	json_t		*j;
	char		*last;
	long		 n, done;

	no_server(&e);
	backlog_reports(&e);
	n = due(&e, "incident_reports");
	ck_assert_int_ge(n, BACKLOG);
	last = idl_sql(&e, "SELECT id FROM incidents.reports WHERE "
	    "anonymised_at IS NULL AND finished_at < '" BACKLOG_CLOCK "'::"
	    "timestamptz - interval '1 year' ORDER BY finished_at DESC "
	    "LIMIT 1");
	ck_assert_ptr_nonnull(last);
	ck_assert_int_eq(idl_sql_exec(&e, "CREATE FUNCTION public.t3110_refuse() "
	    "RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
	    "'t3110: refused'; END $$; CREATE TRIGGER t3110_refuse BEFORE "
	    "UPDATE ON incidents.reports FOR EACH ROW WHEN (OLD.id = '%s') "
	    "EXECUTE FUNCTION public.t3110_refuse()", last), 0);
	j = purge_report(&e, BACKLOG_CLOCK);
	done = rule_count(j, "incident_reports", "failed");
	json_decref(j);
	ck_assert_msg(done > 0 && done < n, "%ld of %ld due reports done",
	    done, n);
	ck_assert_int_eq(due(&e, "incident_reports"), n - done);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND anonymised_at IS NULL",
	    last), 1);
	/* Once the cause is gone, the next run does the rest. */
	ck_assert_int_eq(idl_sql_exec(&e, "DROP TRIGGER t3110_refuse ON "
	    "incidents.reports"), 0);
	ck_assert_int_eq(purge(&e, BACKLOG_CLOCK, "incident_reports"),
	    n - done);
	ck_assert_int_eq(due(&e, "incident_reports"), 0);
	free(last);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_refresh_tokens,
	&test_refresh_tokens_revoked,
	&test_one_time_tokens,
	&test_auth_throttle,
	&test_outbox,
	&test_idempotency_keys,
	&test_rectifications,
	&test_consent_ledger,
	&test_inactive_accounts,
	&test_sign_in_is_activity,
	&test_access_log_rule,
	&test_every_category_has_a_rule,
	&test_background_purge_at_start,
	&test_backlog_in_batches,
	&test_backlog_failure_keeps_earlier_batches,
	NULL
};

const struct test_group test_groups[] = {
	{ "retention", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
