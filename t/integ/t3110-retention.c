/*
 * t3110-retention: the retention rules (Art. 5(1)(e) RGPD)
 * are enforced by the purge.  For each rule, rows are made at T0 (by
 * guichetd running with --clock T0, or by SQL with T0 as their times),
 * then `guichetctl --clock <limit - 1 day> privacy purge` leaves them and
 * `--clock <limit + 1 day>` deletes (or anonymises) them; where a row
 * held a marker, pg_dump no longer holds it.  Also: every category that a
 * pii: tag names is enforced by a rule no longer than the register says
 * (A19), and guichetd's own thread purges shortly after start-up.
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

/* guichetctl --clock 'clock' privacy purge: the report, 'rule' checked. */
static long
purge(const struct idenv *e, const char *clock, const char *rule)
{
	const char	*args[] = { "--clock", clock, "privacy", "purge", NULL };
	json_t		*j, *r;
	char		*out = NULL, *err = NULL;
	size_t		 i;
	long		 count = -1;
	int		 rc;

	rc = idl_ctl(e->db, 0, args, &out, &err);
	j = json_loads(out != NULL ? out : "", 0, NULL);
	ck_assert_msg(json_is_object(j), "guichetctl privacy purge (rc %d): "
	    "%s%s", rc, out, err);
	ck_assert_str_eq(idl_jstr(j, "at"), clock);
	json_array_foreach(json_object_get(j, "rules"), i, r) {
		if (strcmp(idl_jstr(r, "rule"), rule) != 0)
			continue;
		ck_assert_msg(strcmp(idl_jstr(r, "status"), "ok") == 0,
		    "rule %s: status %s (%s)", rule, idl_jstr(r, "status"),
		    err);
		count = (long)json_integer_value(json_object_get(r, "count"));
	}
	ck_assert_msg(count >= 0, "rule %s not in the report: %s", rule, out);
	/* The exit status says whether some rule (maybe another) failed. */
	ck_assert_msg((rc == 0) == (strstr(out, "\"failed\"") == NULL),
	    "guichetctl privacy purge exited %d: %s%s", rc, out, err);
	json_decref(j);
	free(out);
	free(err);
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
	NULL
};

const struct test_group test_groups[] = {
	{ "retention", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
