/*
 * t3011-abuse: budgets that case and Unicode variants, a cache reload or
 * a flood cannot get around (README, "Security notes").
 *  - The sign-in throttle counts every spelling of an address against
 *    the one account it names; a spelling that PostgreSQL's lower()
 *    would have folded onto the account (U+0130) names none, so it can
 *    test no password either.
 *  - "A one-time code is required" says the password was right: it
 *    counts as a failure and is throttled.
 *  - A partner's per-minute budget survives the reload of its cached
 *    principal (a NOTIFY after a change of the client).
 *  - Registration, whose 409 tells that an address has an account, has a
 *    budget per client address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idlib.h"

#define WRONG	"not-the-right-password"

/* A frozen clock: a one-second block cannot run out under the test. */
#define FROZEN	"2026-12-20T08:30:00Z"

static void
start(struct idenv *e)
{
	idl_start_proxied(e, FROZEN);
}


/*
 * Spellings of resident@demo.guichet.test: the case of each letter, then
 * fullwidth and upper-case letters in the domain (which IDNA maps back),
 * and the dotted capital I of the review, which PostgreSQL's lower()
 * folded onto the account.
 */
static char *
variant(int i)
{
	static const char *const unicode[] = {
		"resident@\xef\xbd\x84" "emo.guichet.test",	/* ｄemo */
		"resident@demo.\xef\xbd\x87uichet.test",	/* ｇuichet */
		"RESIDENT@\xef\xbc\xa4" "EMO.GUICHET.TEST",	/* Ｄ */
		"resident@demo.guichet.\xef\xbd\x94" "est",	/* ｔest */
		"res\xc4\xb0" "dent@demo.guichet.test",		/* İ */
		"RES\xc4\xb0" "DENT@DEMO.GUICHET.TEST",
		"resident@demo.gu\xc4\xb0" "chet.test",
	};
	const char	*base = IDL_RESIDENT_EMAIL;
	char		*s;
	size_t		 k;

	if (i < 24) {
		s = strdup(base);
		for (k = 0; s[k] != '\0'; k++)
			if (s[k] >= 'a' && s[k] <= 'z' && ((i + 1) >> (k % 5)) & 1)
				s[k] = (char)(s[k] - 32);
		return (s);
	}
	return (strdup(unicode[i - 24]));
}

START_TEST(test_signin_variants)
{
	struct idenv	 e;
	char		*v, *from;
	long		 st;
	int		 i, guesses = 0;

	start(&e);
	/* 31 spellings, 4 wrong guesses each, each from its own address. */
	for (i = 0; i < 31; i++) {
		v = variant(i);
		from = harness_printf("198.51.100.%d", i + 1);
		for (int k = 0; k < 4; k++) {
			st = idl_login_from(&e, from, v, WRONG, NULL, NULL);
			ck_assert_msg(st == 400 || st == 429, "%s: %ld", v, st);
			if (st == 400 && i < 28)
				guesses++;
		}
		free(from);
		free(v);
	}
	ck_assert_msg(guesses <= 5, "%d guesses at the account's password "
	    "answered", guesses);
	/* No spelling gets in now, not even with the right password. */
	for (i = 0; i < 31; i++) {
		v = variant(i);
		from = harness_printf("203.0.113.%d", i + 1);
		st = idl_login_from(&e, from, v, IDL_RESIDENT_PASSWORD, NULL,
		    NULL);
		ck_assert_msg(st != 200, "%s signed in during the block", v);
		if (i < 28)
			ck_assert_msg(st == 429, "%s: %ld, not throttled", v,
			    st);
		free(from);
		free(v);
	}
	idl_stop(&e);
}
END_TEST

START_TEST(test_otp_required_counts)
{
	struct idenv	 e;
	char		 code[8];
	int		 i;

	start(&e);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(idl_login_from(&e, "198.51.100.1",
		    IDL_ADMIN_EMAIL, IDL_ADMIN_PASSWORD, NULL, NULL), 400);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT failures FROM "
	    "identity.auth_throttle WHERE key = identity.throttle_user_key('"
	    IDL_ADMIN_EMAIL "')"), 5);
	/* Now even the password and a good code wait. */
	idl_otp(&e, IDL_ADMIN_TOTP, code);
	ck_assert_int_eq(idl_login_from(&e, "198.51.100.2", IDL_ADMIN_EMAIL,
	    IDL_ADMIN_PASSWORD, code, NULL), 429);
	idl_stop(&e);
}
END_TEST

static long
healthz(const struct idenv *e, const char *at)
{
	struct http_resp r;
	long		 st;

	st = idl_req(e, "GET", "/healthz", at, NULL, &r);
	http_resp_free(&r);
	return (st);
}

START_TEST(test_partner_budget_survives_reload)
{
	const char	*args[] = { "client", "add", "Reload Co", "--scopes",
	    "lifts:write", "--rate-limit", "5", NULL };
	struct idenv	 e;
	json_t		*j;
	char		*out = NULL, *err = NULL, id[40], secret[80], *p, *at;
	long		 st;
	int		 i, ok = 0;

	start(&e);
	ck_assert_int_eq(idl_ctl(e.db, 0, args, &out, &err), 0);
	ck_assert((p = strstr(out, "client_id:")) != NULL &&
	    sscanf(p, "client_id: %39s", id) == 1);
	ck_assert((p = strstr(out, "client_secret:")) != NULL &&
	    sscanf(p, "client_secret: %79s", secret) == 1);
	j = idl_sendj(&e, "POST", "/api/v1/auth/token", NULL,
	    json_pack("{s:s, s:s, s:s}", "grant_type", "client_credentials",
	    "client_id", id, "client_secret", secret), &st);
	ck_assert_int_eq(st, 200);
	at = strdup(idl_jstr(j, "access_token"));
	json_decref(j);
	for (i = 0; i < 3; i++)
		ok += healthz(&e, at) == 200;
	/*
	 * A change of the client: its cached principal is reloaded (the
	 * NOTIFY).  The new limit, 8, shows that it was: a stale principal
	 * would still allow 5 in all; a counter reset with the cache would
	 * allow 3 + 8.  Kept apart from the cache, the minute allows 8.
	 */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE identity.clients SET "
	    "rate_limit = 8 WHERE id = '%s'", id), 0);
	harness_sleep_ms(500);
	for (i = 0; i < 12; i++)
		ok += healthz(&e, at) == 200;
	ck_assert_msg(ok == 8, "%d requests served within the minute: the "
	    "budget is 8 after the reload (5 if the principal was not "
	    "reloaded, 11 if the reload reset the count)", ok);
	free(at);
	free(out);
	free(err);
	idl_stop(&e);
}
END_TEST

START_TEST(test_register_budget)
{
	struct idenv	 e;
	struct http_resp r;
	const char	*h[3] = { NULL, "Content-Type: application/json", NULL };
	char		*body;
	int		 i;

	start(&e);
	/* Refused bodies count too: the budget is the requests'. */
	body = strdup("{\"email\": \"weak@example.test\", \"password\": "
	    "\"short\", \"display_name\": \"W\", \"profile_kind\": "
	    "\"permanent_resident\"}");
	h[0] = "X-Forwarded-For: 203.0.113.50";
	for (i = 0; i < 20; i++) {
		idl_reqh(&e, "POST", "/api/v1/accounts", h, body, &r);
		ck_assert_int_eq(r.status, 422);
		http_resp_free(&r);
	}
	idl_reqh(&e, "POST", "/api/v1/accounts", h, body, &r);
	json_decref(harness_assert_problem(&r, 429, NULL, NULL));
	ck_assert_msg(strstr(r.body, "rate_limited") != NULL &&
	    http_resp_header(&r, "Retry-After") != NULL, "%s", r.body);
	http_resp_free(&r);
	h[0] = "X-Forwarded-For: 203.0.113.51";
	idl_reqh(&e, "POST", "/api/v1/accounts", h, body, &r);
	ck_assert_int_eq(r.status, 422);
	http_resp_free(&r);
	free(body);
	idl_stop(&e);
}
END_TEST

/*
 * The sign-in throttle counts an IPv6 client by its /64, as the slow lane
 * does: five failures from five hosts of one /64 (each for another
 * address, so that no account's count is reached) block a sixth host of
 * it, even with the right password; another /64 is served.
 */
START_TEST(test_throttle_ipv6_by_64)
{
	struct idenv	 e;
	char		*from, *user;
	int		 i;

	start(&e);
	for (i = 0; i < 5; i++) {
		from = harness_printf("2001:db8:5:6::%d", i + 1);
		user = harness_printf("nobody%d@example.test", i);
		ck_assert_int_eq(idl_login_from(&e, from, user, WRONG, NULL,
		    NULL), 400);
		free(user);
		free(from);
	}
	ck_assert_int_eq(idl_login_from(&e, "2001:db8:5:6:ffff::99",
	    IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL, NULL), 429);
	ck_assert_int_eq(idl_login_from(&e, "2001:db8:5:7::1",
	    IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL, NULL), 200);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_signin_variants,
	&test_otp_required_counts,
	&test_partner_budget_survives_reload,
	&test_register_budget,
	&test_throttle_ipv6_by_64,
	NULL
};

const struct test_group test_groups[] = {
	{ "abuse", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
