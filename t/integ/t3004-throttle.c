/*
 * t3004-throttle: failed sign-ins are throttled per account and per client
 * address with a growing back-off; the block ends and a good sign-in
 * clears the count; a wrong password and an unknown email are answered
 * alike, in the same time; failures are logged without the password or
 * the email (reference B4).
 *
 * The servers run on a frozen clock where a block must not run out while
 * the test looks at it (the first block lasts one second), and believe
 * X-Forwarded-For from 127.0.0.1 (trusted_proxy), so that one test can
 * sign in from several client addresses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "idlib.h"

#define FROZEN		"2026-12-20T08:30:00Z"
#define FROZEN_LATER	"2026-12-20T08:50:00Z"	/* 20 minutes on */
#define WRONG		"not-the-right-password"

#define start		idl_start_proxied

/* A password grant from client address 'from' (NULL: 127.0.0.1). */
static long
login_from(const struct idenv *e, const char *from, const char *user,
    const char *pw, struct http_resp *r)
{
	return (idl_login_from(e, from, user, pw, NULL, r));
}

static long
login(const struct idenv *e, const char *user, const char *pw,
    struct http_resp *r)
{
	return (login_from(e, NULL, user, pw, r));
}

static void
fail_login_from(const struct idenv *e, const char *from, const char *user)
{
	struct http_resp r;

	login_from(e, from, user, WRONG, &r);
	ck_assert_msg(r.status == 400 && strstr(r.body, "invalid_grant") !=
	    NULL, "a wrong password for %s: status %ld %s", user, r.status,
	    r.body);
	http_resp_free(&r);
}

static void
fail_login(const struct idenv *e, const char *user)
{
	fail_login_from(e, NULL, user);
}

static long
ok_login_from(const struct idenv *e, const char *from, const char *user,
    const char *pw)
{
	struct http_resp r;
	long		 st;

	st = login_from(e, from, user, pw, &r);
	http_resp_free(&r);
	return (st);
}

/* 429, a problem, and Retry-After in seconds: returned. */
static long
expect_throttled_from(const struct idenv *e, const char *from,
    const char *user, const char *pw)
{
	struct http_resp r;
	const char	*ra;
	char		*end;
	long		 secs;

	login_from(e, from, user, pw, &r);
	json_decref(harness_assert_problem(&r, 429,
	    "/problems/too-many-requests", "/api/v1/auth/token"));
	ra = http_resp_header(&r, "Retry-After");
	ck_assert_msg(ra != NULL, "429 without Retry-After");
	secs = strtol(ra, &end, 10);
	ck_assert_msg(*ra != '\0' && *end == '\0' && secs >= 1 && secs <= 900,
	    "Retry-After is %s", ra);
	ck_assert_msg(strstr(r.body, "access_token") == NULL, "a token");
	http_resp_free(&r);
	return (secs);
}

static long
expect_throttled(const struct idenv *e, const char *user, const char *pw)
{
	return (expect_throttled_from(e, NULL, user, pw));
}

static long
throttle_rows(const struct idenv *e, const char *where)
{
	char	*v;
	long	 n;

	v = idl_sql(e, "SELECT count(*) FROM identity.auth_throttle WHERE %s",
	    where);
	ck_assert(v != NULL);
	n = atol(v);
	free(v);
	return (n);
}

/* The throttle key of an account, as the schema describes it. */
#define USER_KEY(email) \
	"identity.throttle_user_key('" email "')"

START_TEST(test_account_lockout)
{
	struct idenv	 e;
	char		*from, *v;
	int		 i;

	start(&e, FROZEN);
	/* Five addresses, one failure each: only the account adds up. */
	for (i = 1; i <= 5; i++) {
		from = harness_printf("203.0.113.%d", i);
		fail_login_from(&e, from, IDL_RESIDENT_EMAIL);
		free(from);
	}
	/* Even the right password, from a sixth address, waits now. */
	expect_throttled_from(&e, "203.0.113.6", IDL_RESIDENT_EMAIL,
	    IDL_RESIDENT_PASSWORD);
	v = idl_sql(&e, "SELECT failures FROM identity.auth_throttle WHERE "
	    "key = " USER_KEY(IDL_RESIDENT_EMAIL));
	ck_assert_msg(v != NULL && strcmp(v, "5") == 0, "failures of the "
	    "account: %s", v ? v : "(no row)");
	free(v);
	ck_assert_msg(throttle_rows(&e, "key = 'ip:203.0.113.1' AND "
	    "blocked_until IS NULL") == 1, "the address was not counted once");
	/* Another account from those addresses is not blocked. */
	ck_assert_int_eq(ok_login_from(&e, "203.0.113.1", IDL_AGENT_EMAIL,
	    IDL_AGENT_PASSWORD), 200);
	idl_stop(&e);
}
END_TEST

START_TEST(test_backoff_grows)
{
	struct idenv	 e;
	long		 r1, r2, r3;
	int		 i;

	start(&e, FROZEN);
	for (i = 0; i < 5; i++)
		fail_login(&e, IDL_RESIDENT_EMAIL);
	r1 = expect_throttled(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD);
	/* The block ends (history kept); one more failure blocks longer. */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE identity.auth_throttle SET "
	    "blocked_until = NULL"), 0);
	fail_login(&e, IDL_RESIDENT_EMAIL);
	r2 = expect_throttled(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE identity.auth_throttle SET "
	    "blocked_until = NULL"), 0);
	fail_login(&e, IDL_RESIDENT_EMAIL);
	r3 = expect_throttled(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD);
	ck_assert_msg(r1 < r2 && r2 < r3, "Retry-After does not grow: %ld, "
	    "%ld, %ld", r1, r2, r3);
	idl_stop(&e);
}
END_TEST

START_TEST(test_ip_key)
{
	struct idenv	 e;
	char		*user, *v;
	int		 i;

	start(&e, FROZEN);
	for (i = 0; i < 5; i++) {
		user = harness_printf("someone%d@example.org", i);
		fail_login_from(&e, "198.51.100.7", user);
		free(user);
	}
	/* A sixth email from the same address, with its right password. */
	expect_throttled_from(&e, "198.51.100.7", IDL_RESIDENT_EMAIL,
	    IDL_RESIDENT_PASSWORD);
	v = idl_sql(&e, "SELECT failures FROM identity.auth_throttle WHERE "
	    "key = 'ip:198.51.100.7'");
	ck_assert_msg(v != NULL && strcmp(v, "5") == 0, "failures of the "
	    "address: %s", v ? v : "(no row)");
	free(v);
	ck_assert_msg(throttle_rows(&e, "key = " USER_KEY(IDL_RESIDENT_EMAIL))
	    == 0, "the resident's account was counted, not the address");
	/* The same account from another address signs in. */
	ck_assert_int_eq(ok_login_from(&e, "198.51.100.8", IDL_RESIDENT_EMAIL,
	    IDL_RESIDENT_PASSWORD), 200);
	idl_stop(&e);
}
END_TEST

START_TEST(test_block_expires_and_resets)
{
	struct idenv	 e;
	char		*v;
	int		 i;

	start(&e, FROZEN);
	for (i = 0; i < 5; i++)
		fail_login(&e, IDL_RESIDENT_EMAIL);
	expect_throttled(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD);
	/* Twenty minutes later the block is over. */
	idl_restart(&e, FROZEN_LATER);
	ck_assert_int_eq(idl_login(&e, IDL_RESIDENT_EMAIL,
	    IDL_RESIDENT_PASSWORD, NULL, NULL, NULL), 200);
	ck_assert_msg(throttle_rows(&e, "true") == 0, "a good sign-in left "
	    "%ld throttle rows", throttle_rows(&e, "true"));
	/* The count starts over: one failure is one failure. */
	fail_login(&e, IDL_RESIDENT_EMAIL);
	v = idl_sql(&e, "SELECT failures FROM identity.auth_throttle WHERE "
	    "key = " USER_KEY(IDL_RESIDENT_EMAIL));
	ck_assert_msg(v != NULL && strcmp(v, "1") == 0, "failures after the "
	    "reset: %s", v ? v : "(no row)");
	free(v);
	ck_assert_int_eq(idl_login(&e, IDL_RESIDENT_EMAIL,
	    IDL_RESIDENT_PASSWORD, NULL, NULL, NULL), 200);
	idl_stop(&e);
}
END_TEST

/*
 * The CPU time guichetd has used so far, in seconds (utime + stime of
 * /proc/PID/stat): what a request costs the server, whatever else the
 * machine runs at the time, unlike the time an answer takes to come.
 */
static double
server_cpu(const struct idenv *e)
{
	char		 path[64], buf[1024], *p;
	unsigned long	 ut, st;
	FILE		*f;
	size_t		 n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)e->s.pid);
	ck_assert_msg((f = fopen(path, "r")) != NULL, "%s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After the command's closing parenthesis: fields 3 onwards. */
	ck_assert((p = strrchr(buf, ')')) != NULL);
	ck_assert_int_eq(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
	    "%*u %*u %lu %lu", &ut, &st), 2);
	return ((double)(ut + st) / (double)sysconf(_SC_CLK_TCK));
}

/*
 * An unknown address costs the server what a wrong password costs: a
 * password verification (a dummy one, auth/password.c), so that neither
 * the answer nor its time tells whether an account exists.  Measured in
 * the server's CPU time, not in the time of the answers, which a loaded
 * machine stretches one way or the other (this test failed on wall time
 * under a load of 6 on 2 cores): eight sign-ins of each kind, alternated,
 * each costing one argon2id verification (about 35 ms of CPU), and the
 * two sums within a factor of 1.5 of each other.
 */
START_TEST(test_unknown_email_like_wrong_password)
{
	struct idenv	 e;
	struct http_resp r1, r2;
	double		 cw = 0, cu = 0, t0;
	int		 i;

	start(&e, NULL);
	login(&e, IDL_RESIDENT_EMAIL, WRONG, &r1);
	login(&e, "nobody.here@example.org", WRONG, &r2);
	ck_assert_msg(r1.status == 400 && r2.status == 400,
	    "statuses %ld and %ld", r1.status, r2.status);
	idl_assert_same_body(&r1, &r2, "an unknown email and a wrong password");
	http_resp_free(&r1);
	http_resp_free(&r2);

	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(idl_sql_exec(&e, "DELETE FROM "
		    "identity.auth_throttle"), 0);
		t0 = server_cpu(&e);
		login(&e, IDL_RESIDENT_EMAIL, WRONG, &r1);
		cw += server_cpu(&e) - t0;
		ck_assert_int_eq(r1.status, 400);
		http_resp_free(&r1);
		t0 = server_cpu(&e);
		login(&e, "nobody.here@example.org", WRONG, &r2);
		cu += server_cpu(&e) - t0;
		ck_assert_int_eq(r2.status, 400);
		http_resp_free(&r2);
	}
	/* Eight verifications at least: 0.2 s of CPU is far from nothing. */
	ck_assert_msg(cw >= 0.1 && cu >= 0.1 && cu / cw >= 1 / 1.5 &&
	    cu / cw <= 1.5, "server CPU of 8 sign-ins: wrong password %.0f "
	    "ms, unknown email %.0f ms", cw * 1000, cu * 1000);
	idl_stop(&e);
}
END_TEST

START_TEST(test_failures_logged_without_secrets)
{
	struct idenv	 e;
	char		*m_pw, *m_mail, *pw, *known, *unknown, *id, *log;

	start(&e, NULL);
	m_pw = idl_marker(16);
	m_mail = idl_marker(16);
	pw = harness_printf("Zq7-%s-pw", m_pw);
	known = harness_printf("zq7%sk@example.org", m_mail);
	unknown = harness_printf("zq7%su@example.org", m_mail);
	id = idl_register(&e, known, "Right-Password-For-Log-1");
	ck_assert_int_eq(idl_login(&e, known, pw, NULL, NULL, NULL), 400);
	ck_assert_int_eq(idl_login(&e, unknown, pw, NULL, NULL, NULL), 400);
	log = idl_log(&e);
	ck_assert_msg(idl_count(log, "auth: password login failed") >= 2,
	    "no failed-auth log lines:\n%s", log);
	ck_assert_msg(idl_count(log, m_pw) == 0, "the password is in the "
	    "log:\n%s", log);
	ck_assert_msg(idl_count(log, m_mail) == 0, "the email is in the "
	    "log:\n%s", log);
	free(m_pw);
	free(m_mail);
	free(pw);
	free(known);
	free(unknown);
	free(id);
	free(log);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_account_lockout,
	&test_backoff_grows,
	&test_ip_key,
	&test_block_expires_and_resets,
	&test_unknown_email_like_wrong_password,
	&test_failures_logged_without_secrets,
	NULL
};

const struct test_group test_groups[] = {
	{ "throttle", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
