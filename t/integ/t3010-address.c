/*
 * t3010-address: one address, one identity.
 *
 *  - A table of Unicode variants of real accounts' addresses: each is the
 *    same identity (same key: sign-in works, a reset goes to the stored
 *    address, registration is 409), another identity (201), or refused at
 *    registration (422 email_refused); mail only ever goes to a stored
 *    address.  Covers U+0130 in the domain and the local part, fullwidth
 *    letters, the Kelvin sign, combining and precomposed é, Cyrillic
 *    look-alikes (in Unicode and in punycode), upper-case ASCII, an IDN
 *    and its punycode, capital sharp s, long s, dotless i, final sigma,
 *    upper-case É, invisible characters (general category Cf: zero-
 *    width space, soft hyphen, right-to-left override; default-ignorable
 *    marks: combining grapheme joiner, variation selector) and the
 *    punycode of a label IDNA 2008 would not make (upper case).
 *  - Changing the address needs the current password or a fresh sign-in;
 *    the new address waits for its proof while sign-in and reset use the
 *    old one; the old one is told and can undo the change, which ends
 *    every session.
 *  - A verification link proves only the address it was sent to: a race
 *    between a change of address and a verification, run many times,
 *    never makes an unproven address the account's.
 *  - Reset links: a new request does not kill the ones already sent, at
 *    most 3 an hour per account, and a budget per client address.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idlib.h"

#define PW		"Correct-Horse-Battery-9"
#define T0		"2027-01-10T10:00:00Z"
#define T0_6MIN		"2027-01-10T10:06:00Z"

#define start		idl_start_proxied

/* A request from client address 'from' (X-Forwarded-For): the status. */
static long
req_from(const struct idenv *e, const char *from, const char *method,
    const char *path, const char *token, json_t *in, json_t **out)
{
	char	*xff;
	json_t	*j;
	long	 st;

	xff = harness_printf("X-Forwarded-For: %s", from);
	j = idl_sendj_with(e, method, path, token, xff, in, &st);
	free(xff);
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return (st);
}

static long
register_from(const struct idenv *e, const char *from, const char *email,
    json_t **out)
{
	return (req_from(e, from, "POST", "/api/v1/accounts", NULL,
	    json_pack("{s:s, s:s, s:s, s:s}", "email", email, "password", PW,
	    "display_name", "Address Test", "profile_kind",
	    "permanent_resident"), out));
}

static long
login_from(const struct idenv *e, const char *from, const char *user,
    const char *pw)
{
	return (req_from(e, from, "POST", "/api/v1/auth/token", NULL,
	    json_pack("{s:s, s:s, s:s}", "grant_type", "password", "username",
	    user, "password", pw), NULL));
}

static long
reset_from(const struct idenv *e, const char *from, const char *email)
{
	return (req_from(e, from, "POST", "/api/v1/auth/password-reset", NULL,
	    json_pack("{s:s}", "email", email), NULL));
}

/* The code of a problem body ("" when none). */
static const char *
code_of(const json_t *j)
{
	const char	*c = idl_jstr(j, "code");

	return (c != NULL ? c : "");
}

/* Every message went to the address the database holds for its person. */
static void
assert_mail_to_stored(const struct idenv *e)
{
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM ops.outbox o "
	    "JOIN identity.accounts a ON a.id = o.account_id WHERE o.recipient "
	    "<> a.email AND o.recipient IS DISTINCT FROM a.email_pending"), 0);
}

/*
 * SAME: the account's address; ALIAS: found as the account's (its key is
 * the account's) but refused as a new address; OTHER: another identity;
 * REFUSED: neither found nor accepted.
 */
enum kind { SAME, ALIAS, OTHER, REFUSED };

struct variant {
	const char	*what;
	const char	*address;
	int		 base;		/* the account it may name */
	enum kind	 kind;
	const char	*why;		/* REFUSED: the error's code */
};

static const char *const bases[] = {
	"jean@icloud.test",
	"tim@example.test",
	"jean@b\xc3\xbc" "cher.test",		/* bücher */
	"ren\xc3\xa9@example.test",		/* precomposed é */
	"jeank@example.test",
	"sam@example.test",
};

static const struct variant variants[] = {
	{ "upper-case ASCII", "JEAN@ICLOUD.TEST", 0, SAME, NULL },
	{ "mixed case", "Jean@iCloud.Test", 0, SAME, NULL },
	{ "U+0130 in the domain", "jean@\xc4\xb0" "cloud.test", 0, OTHER,
	    NULL },
	{ "U+0130 in the local part", "t\xc4\xb0m@example.test", 1, REFUSED,
	    "ambiguous" },
	{ "fullwidth letters in the domain",
	    "jean@\xef\xbd\x89\xef\xbd\x83loud.test", 0, SAME, NULL },
	{ "fullwidth letter in the local part",
	    "\xef\xbd\x8a" "ean@icloud.test", 0, REFUSED, "ambiguous" },
	/* NFC itself maps the Kelvin sign to K. */
	{ "Kelvin sign", "jean\xe2\x84\xaa@example.test", 4, ALIAS,
	    "ambiguous" },
	{ "combining acute", "rene\xcc\x81@example.test", 3, SAME, NULL },
	{ "Cyrillic look-alike in the local part",
	    "j\xd0\xb5" "an@icloud.test", 0, REFUSED, "mixed_scripts" },
	{ "Cyrillic look-alike in the domain",
	    "jean@\xd1\x96" "cloud.test", 0, REFUSED, "mixed_scripts" },
	{ "IDN as punycode", "jean@xn--bcher-kva.test", 2, SAME, NULL },
	{ "IDN upper-case", "JEAN@B\xc3\x9c" "CHER.TEST", 2, SAME, NULL },
	{ "capital sharp s", "stra\xe1\xba\x9e" "e@example.test", 5, REFUSED,
	    "ambiguous" },
	{ "long s", "\xc5\xbf" "am@example.test", 5, REFUSED, "ambiguous" },
	{ "dotless i", "t\xc4\xb1" "m@example.test", 1, REFUSED,
	    "ambiguous" },
	{ "final sigma", "\xce\xbb\xce\xbf\xce\xb3\xce\xbf\xcf\x82"
	    "@example.test", 1, REFUSED, "ambiguous" },
	{ "upper-case E acute", "REN\xc3\x89" "@example.test", 3, REFUSED,
	    "ambiguous" },
	{ "zero-width space", "je\xe2\x80\x8b" "an@icloud.test", 0, REFUSED,
	    "invisible" },
	{ "soft hyphen", "jean\xc2\xad" "@icloud.test", 0, REFUSED,
	    "invisible" },
	{ "right-to-left override", "\xe2\x80\xae" "jean@icloud.test", 0,
	    REFUSED, "invisible" },
	{ "Cyrillic look-alike in a punycode domain",
	    "jean@xn--cloud-m2e.test", 0, REFUSED, "mixed_scripts" },
	/* Default-ignorable marks (Mn) NFKC keeps. */
	{ "combining grapheme joiner", "jean\xcd\x8f" "@icloud.test", 0,
	    REFUSED, "invisible" },
	{ "variation selector", "je\xef\xb8\x8f" "an@icloud.test", 0,
	    REFUSED, "invisible" },
	/* Punycode of B\u00dccher: IDNA 2008 makes xn--bcher-kva of it. */
	{ "punycode of an upper-case label", "jean@xn--Bcher-2pa.test", 2,
	    REFUSED, "domain" },
};

START_TEST(test_unicode_variants)
{
	struct idenv	 e;
	const struct variant *v;
	char		*ids[sizeof(bases) / sizeof(bases[0])], *from;
	long		 st, before, after;
	json_t		*j, *err;
	size_t		 i;
	int		 found;

	start(&e, NULL);
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		from = harness_printf("192.0.2.%zu", i + 1);
		st = register_from(&e, from, bases[i], &j);
		ck_assert_msg(st == 201, "%s: %ld", bases[i], st);
		ids[i] = strdup(idl_jstr(j, "id"));
		json_decref(j);
		free(from);
	}
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		v = &variants[i];
		/* Each row from its own address: no budget is shared. */
		from = harness_printf("198.51.100.%zu", i + 1);
		st = login_from(&e, from, v->address, PW);
		found = v->kind == SAME || v->kind == ALIAS;
		ck_assert_msg(st == (found ? 200 : 400), "%s: sign-in %ld",
		    v->what, st);
		before = idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
		    "WHERE account_id = '%s' AND template = 'reset_password'",
		    ids[v->base]);
		ck_assert_int_eq(reset_from(&e, from, v->address), 202);
		after = idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
		    "WHERE account_id = '%s' AND template = 'reset_password'",
		    ids[v->base]);
		ck_assert_msg(after - before == found,
		    "%s: %ld reset messages for %s", v->what, after - before,
		    bases[v->base]);
		st = register_from(&e, from, v->address, &j);
		if (v->kind == SAME)
			ck_assert_msg(st == 409 && strcmp(code_of(j),
			    "email_taken") == 0, "%s: registration %ld %s",
			    v->what, st, code_of(j));
		else if (v->kind == OTHER)
			ck_assert_msg(st == 201, "%s: registration %ld",
			    v->what, st);
		else {
			err = idl_error_for(j, "/email");
			ck_assert_msg(st == 422 && strcmp(code_of(j),
			    "email_refused") == 0 && err != NULL &&
			    strcmp(idl_jstr(err, "code"), v->why) == 0,
			    "%s: registration %ld %s", v->what, st,
			    code_of(j));
		}
		json_decref(j);
		free(from);
	}
	/* One account per key; mail only to stored addresses. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.accounts WHERE email_key = 'jean@xn--bcher-kva.test'"), 1);
	assert_mail_to_stored(&e);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE recipient = 'jean@\xc4\xb0" "cloud.test' AND template = "
	    "'reset_password'"), 0);
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		free(ids[i]);
	idl_stop(&e);
}
END_TEST

/*
 * The attack of the review: a reset asked for jean@<U+0130>cloud.test
 * went to that address with the link of jean@icloud.test's account.
 */
START_TEST(test_reset_not_by_unicode_lower)
{
	struct idenv	 e;
	json_t		*j;

	start(&e, NULL);
	ck_assert_int_eq(register_from(&e, "192.0.2.1", "jean@icloud.test",
	    &j), 201);
	json_decref(j);
	ck_assert_int_eq(reset_from(&e, "192.0.2.2",
	    "jean@\xc4\xb0" "cloud.test"), 202);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'reset_password'"), 0);
	assert_mail_to_stored(&e);
	idl_stop(&e);
}
END_TEST

/* PATCH /me {email} from 'from': 'pw' NULL sends no current_password. */
static long
change_email_from(const struct idenv *e, const char *from, const char *at,
    const char *email, const char *pw, json_t **out)
{
	json_t	*in = json_pack("{s:s}", "email", email);

	if (pw != NULL)
		json_object_set_new(in, "current_password", json_string(pw));
	return (req_from(e, from, "PATCH", "/api/v1/me", at, in, out));
}

static long
change_email(const struct idenv *e, const char *at, const char *email,
    const char *pw, json_t **out)
{
	return (change_email_from(e, "192.0.2.200", at, email, pw, out));
}

START_TEST(test_change_address)
{
	struct idenv	 e;
	char		*id, *at, *at2, *tok, *undo, *v;
	long		 st;
	json_t		*j;

	start(&e, T0);
	ck_assert_int_eq(register_from(&e, "192.0.2.1", "old@example.test",
	    &j), 201);
	id = strdup(idl_jstr(j, "id"));
	json_decref(j);
	at = idl_login_ok(&e, "old@example.test", PW, NULL);
	/* Six minutes later the token still works, but is no proof. */
	idl_restart(&e, T0_6MIN);
	st = change_email(&e, at, "new@example.test", NULL, &j);
	ck_assert_msg(st == 422 && strcmp(code_of(j),
	    "reauthentication_required") == 0 && idl_error_for(j,
	    "/current_password") != NULL, "no password: %ld %s", st,
	    code_of(j));
	json_decref(j);
	st = change_email(&e, at, "new@example.test", "not-the-password", &j);
	ck_assert_msg(st == 422 && strcmp(code_of(j), "password_wrong") == 0,
	    "wrong password: %ld %s", st, code_of(j));
	json_decref(j);
	st = change_email(&e, at, "new@example.test", PW, &j);
	ck_assert_msg(st == 200, "with the password: %ld", st);
	ck_assert_str_eq(idl_jstr(j, "email"), "old@example.test");
	ck_assert_str_eq(idl_jstr(j, "pending_email"), "new@example.test");
	json_decref(j);
	/* The new address is asked to prove itself; the old one is told. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE recipient = 'new@example.test' AND template = "
	    "'verify_email'"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE recipient = 'old@example.test' AND template = "
	    "'email_change_notice' AND payload ? 'url'"), 1);
	/* Until then: sign-in and reset know only the old address. */
	ck_assert_int_eq(login_from(&e, "192.0.2.3", "new@example.test", PW),
	    400);
	ck_assert_int_eq(reset_from(&e, "192.0.2.3", "new@example.test"), 202);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'reset_password'"), 0);
	ck_assert_int_eq(reset_from(&e, "192.0.2.3", "old@example.test"), 202);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'reset_password' AND recipient = "
	    "'old@example.test'"), 1);
	/* A fresh sign-in needs no password; the first new link dies. */
	at2 = idl_login_ok(&e, "old@example.test", PW, NULL);
	tok = idl_outbox_token(&e, "new@example.test", "verify_email");
	st = change_email(&e, at2, "newer@example.test", NULL, &j);
	ck_assert_msg(st == 200, "fresh sign-in: %ld %s", st, code_of(j));
	json_decref(j);
	st = req_from(&e, "192.0.2.4", "POST", "/api/v1/accounts/verify",
	    NULL, json_pack("{s:s}", "token", tok), &j);
	ck_assert_msg(st == 422 && strcmp(code_of(j), "link_invalid") == 0,
	    "the link to the abandoned address: %ld", st);
	json_decref(j);
	free(tok);
	tok = idl_outbox_token(&e, "newer@example.test", "verify_email");
	st = req_from(&e, "192.0.2.4", "POST", "/api/v1/accounts/verify",
	    NULL, json_pack("{s:s}", "token", tok), &j);
	ck_assert_int_eq(st, 204);
	json_decref(j);
	v = idl_sql(&e, "SELECT email || ' ' || (email_verified_at IS NOT "
	    "NULL) || ' ' || (email_pending IS NULL) FROM identity.accounts "
	    "WHERE id = '%s'", id);
	ck_assert_str_eq(v, "newer@example.test true true");
	free(v);
	ck_assert_int_eq(login_from(&e, "192.0.2.5", "newer@example.test", PW),
	    200);
	ck_assert_int_eq(login_from(&e, "192.0.2.5", "old@example.test", PW),
	    400);
	/* The old address undoes it: back, and every session ends. */
	undo = idl_outbox_token(&e, "old@example.test", "email_change_notice");
	st = req_from(&e, "192.0.2.6", "POST", "/api/v1/accounts/verify",
	    NULL, json_pack("{s:s}", "token", undo), &j);
	ck_assert_int_eq(st, 204);
	json_decref(j);
	v = idl_sql(&e, "SELECT email FROM identity.accounts WHERE id = '%s'",
	    id);
	ck_assert_str_eq(v, "old@example.test");
	free(v);
	ck_assert_int_eq(req_from(&e, "192.0.2.6", "GET", "/api/v1/me", at2,
	    NULL, NULL), 401);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.refresh_tokens WHERE account_id = '%s' AND revoked_at IS "
	    "NULL", id), 0);
	ck_assert_int_eq(login_from(&e, "192.0.2.7", "old@example.test", PW),
	    200);
	/* Once. */
	ck_assert_int_eq(req_from(&e, "192.0.2.6", "POST",
	    "/api/v1/accounts/verify", NULL, json_pack("{s:s}", "token",
	    undo), NULL), 422);
	free(undo);
	free(tok);
	free(at);
	free(at2);
	free(id);
	idl_stop(&e);
}
END_TEST

/*
 * The race: a link sent to address B is used while the account moves on
 * to address C.  Either the link won (B is the account's, proven) or the
 * change did (the link is refused); never is C, unproven, the account's.
 */
START_TEST(test_verify_race)
{
	struct idenv	 e;
	char		*id, *at, *tok, *b, *c, *v, *who, *from;
	pid_t		 pid;
	long		 st;
	int		 i, status, won = 0, lost = 0;

	start(&e, NULL);
	/*
	 * A new account each round: changes of address have a budget per
	 * account.  Rounds go on until each side has won at least once (the
	 * race really interleaves both ways), 60 at most.
	 */
	for (i = 0; i < 60 && (i < 20 || won == 0 || lost == 0); i++) {
		who = harness_printf("race%d@example.test", i);
		from = harness_printf("198.51.100.%d", i + 1);
		ck_assert_int_eq(register_from(&e, from, who, NULL), 201);
		id = idl_sql(&e, "SELECT id FROM identity.accounts WHERE "
		    "email = '%s'", who);
		at = idl_login_ok(&e, who, PW, NULL);
		b = harness_printf("b%d@example.test", i);
		c = harness_printf("c%d@example.test", i);
		ck_assert_int_eq(change_email_from(&e, from, at, b, NULL,
		    NULL), 200);
		tok = idl_outbox_token(&e, b, "verify_email");
		if ((pid = fork()) == 0) {
			st = change_email_from(&e, from, at, c, NULL, NULL);
			_exit(st == 200 ? 0 : 1);
		}
		ck_assert(pid > 0);
		st = req_from(&e, "192.0.2.2", "POST",
		    "/api/v1/accounts/verify", NULL, json_pack("{s:s}",
		    "token", tok), NULL);
		ck_assert(waitpid(pid, &status, 0) == pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "round %d: the change to %s failed", i, c);
		v = idl_sql(&e, "SELECT email || ' ' || (email_verified_at IS "
		    "NOT NULL) || ' ' || coalesce(email_pending, '-') FROM "
		    "identity.accounts WHERE id = '%s'", id);
		ck_assert_msg(strncmp(v, c, strlen(c)) != 0, "round %d: %s "
		    "became the account's without its proof: %s", i, c, v);
		if (st == 204) {
			ck_assert_msg(strncmp(v, b, strlen(b)) == 0 &&
			    strstr(v, " true ") != NULL, "round %d: the link "
			    "to %s worked, the account is %s", i, b, v);
			won++;
		} else {
			ck_assert_msg(st == 422 && strncmp(v, b, strlen(b)) !=
			    0, "round %d: %ld, the account is %s", i, st, v);
			lost++;
		}
		free(v);
		free(tok);
		free(b);
		free(c);
		free(at);
		free(id);
		free(who);
		free(from);
	}
	fprintf(stderr, "t3010: the link won %d of %d races\n", won, i);
	/* Both orders were run, and each held. */
	ck_assert_msg(won > 0 && lost > 0, "the link won %d of %d races: the "
	    "race never went %s", won, i, won == 0 ? "the link's way" :
	    "the change's way");
	idl_stop(&e);
}
END_TEST

/* A flood of reset requests neither kills the link sent nor fills a box. */
START_TEST(test_reset_links_kept)
{
	struct idenv	 e;
	char		*first, *second, *addr;
	long		 st;
	int		 i;
	json_t		*j;

	start(&e, NULL);
	ck_assert_int_eq(reset_from(&e, "192.0.2.1", IDL_RESIDENT_EMAIL), 202);
	first = idl_outbox_token(&e, IDL_RESIDENT_EMAIL, "reset_password");
	for (i = 0; i < 5; i++) {
		addr = harness_printf("192.0.2.%d", 10 + i);
		ck_assert_int_eq(reset_from(&e, addr, IDL_RESIDENT_EMAIL), 202);
		free(addr);
	}
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'reset_password'"), 3);
	second = idl_outbox_token(&e, IDL_RESIDENT_EMAIL, "reset_password");
	/* The first link still works; then every other one is dead. */
	st = req_from(&e, "192.0.2.2", "POST",
	    "/api/v1/auth/password-reset/confirm", NULL, json_pack("{s:s, s:s}",
	    "token", first, "password", "Brand-New-Secret-77"), &j);
	ck_assert_msg(st == 204, "the first link after the flood: %ld", st);
	json_decref(j);
	st = req_from(&e, "192.0.2.2", "POST",
	    "/api/v1/auth/password-reset/confirm", NULL, json_pack("{s:s, s:s}",
	    "token", second, "password", "Other-New-Secret-78"), &j);
	ck_assert_msg(st == 422 && strcmp(code_of(j), "link_invalid") == 0,
	    "another link after the password changed: %ld", st);
	json_decref(j);
	free(first);
	free(second);
	idl_stop(&e);
}
END_TEST

START_TEST(test_reset_budget_per_client)
{
	struct idenv	 e;
	struct http_resp r;
	const char	*h[3] = { "X-Forwarded-For: 203.0.113.9",
			    "Content-Type: application/json", NULL };
	char		*addr, *body;
	int		 i;

	start(&e, NULL);
	for (i = 0; i < 20; i++) {
		addr = harness_printf("nobody%d@example.test", i);
		ck_assert_int_eq(reset_from(&e, "203.0.113.9", addr), 202);
		free(addr);
	}
	body = strdup("{\"email\": \"nobody-more@example.test\"}");
	idl_reqh(&e, "POST", "/api/v1/auth/password-reset", h, body, &r);
	json_decref(harness_assert_problem(&r, 429, NULL, NULL));
	ck_assert_msg(http_resp_header(&r, "Retry-After") != NULL,
	    "429 without Retry-After");
	ck_assert_msg(strstr(r.body, "rate_limited") != NULL, "%s", r.body);
	http_resp_free(&r);
	free(body);
	/* Another client address is served. */
	ck_assert_int_eq(reset_from(&e, "203.0.113.10",
	    "nobody-more@example.test"), 202);
	idl_stop(&e);
}
END_TEST

/*
 * Each change of address mails a link to the new one: a session could
 * send mail to any address without end.  Five changes an hour per
 * account, twenty per client address, then 429 with Retry-After and no
 * mail.  Each PATCH /me is run on the slow lane (a current_password is
 * hashed there, never on a polling thread).
 */
/*
 * Five accounts ('tag'0.. registered from 192.0.2.<first>..) change their
 * address from one client: the first four five times each (200), the
 * fifth is refused (429), and served from another client.  With 'v6',
 * each change comes from another host of one IPv6 /64, the other client
 * from another /64.
 */
static void
change_budget_per_client(const struct idenv *e, const char *tag, int first,
    int v6)
{
	char	*at, *addr, *who, *from;
	long	 st;
	int	 i, k;

	for (k = 0; k < 5; k++) {
		who = harness_printf("%s%d@example.test", tag, k);
		from = harness_printf("192.0.2.%d", first + k);
		ck_assert_int_eq(register_from(e, from, who, NULL), 201);
		free(from);
		at = idl_login_ok(e, who, PW, NULL);
		for (i = 0; i < (k < 4 ? 5 : 1); i++) {
			addr = harness_printf("%s%d-%d@example.test", tag, k, i);
			from = v6 ? harness_printf("2001:db8:1:2::%x", k * 16 +
			    i + 1) : strdup("203.0.113.50");
			st = change_email_from(e, from, at, addr, NULL, NULL);
			ck_assert_msg(st == (k < 4 ? 200 : 429), "%s, account "
			    "%d, change %d: %ld", from, k, i, st);
			free(addr);
			free(from);
		}
		addr = harness_printf("%s%d-x@example.test", tag, k);
		if (k == 4)
			ck_assert_int_eq(change_email_from(e, v6 ?
			    "2001:db8:1:3::1" : "203.0.113.51", at, addr, NULL,
			    NULL), 200);
		free(addr);
		free(at);
		free(who);
	}
}

START_TEST(test_change_address_budget)
{
	struct idenv	 e;
	char		*at, *addr;
	long		 st, queued;
	int		 i;
	json_t		*j;

	start(&e, NULL);
	ck_assert_int_eq(register_from(&e, "192.0.2.1", "budget@example.test",
	    NULL), 201);
	at = idl_login_ok(&e, "budget@example.test", PW, NULL);
	/* A password alone changes nothing: an empty patch. */
	st = req_from(&e, "192.0.2.200", "PATCH", "/api/v1/me", at,
	    json_pack("{s:s}", "current_password", PW), &j);
	ck_assert_msg(st == 422 && strcmp(code_of(j), "empty_patch") == 0,
	    "a password alone: %ld %s", st, code_of(j));
	json_decref(j);
	queued = harness_metric(&e.s, "guichet_slow_lane_requests_total"
	    "{result=\"queued\"}");
	for (i = 0; i < 5; i++) {
		addr = harness_printf("b%d@example.test", i);
		ck_assert_int_eq(change_email(&e, at, addr, PW, NULL), 200);
		free(addr);
	}
	/* The hashing of current_password ran on the slow lane. */
	ck_assert_int_eq(harness_metric(&e.s, "guichet_slow_lane_requests_"
	    "total{result=\"queued\"}") - queued, 5);
	st = change_email(&e, at, "b5@example.test", PW, &j);
	ck_assert_msg(st == 429 && strcmp(code_of(j), "rate_limited") == 0,
	    "a sixth change in the hour: %ld %s", st, code_of(j));
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'verify_email' AND recipient = "
	    "'b5@example.test'"), 0);
	free(at);
	/* Per client address: four accounts, five changes each, then 429. */
	change_budget_per_client(&e, "peer", 20, 0);
	/* An IPv6 client is counted by its /64: another host in it is 429. */
	change_budget_per_client(&e, "six", 30, 1);
	idl_stop(&e);
}
END_TEST

/*
 * A refreshed access token carries the sign-in's time (auth_time), not
 * the refresh's: six minutes after signing in, refreshing does not make
 * the session fresh enough to change the address without the password.
 */
START_TEST(test_refresh_keeps_auth_time)
{
	struct idenv	 e;
	char		*at, *rt, *body;
	const char	*h[] = { "Content-Type: application/json", NULL };
	struct http_resp r;
	json_t		*j;
	long		 st;

	start(&e, T0);
	ck_assert_int_eq(register_from(&e, "192.0.2.1", "fresh@example.test",
	    NULL), 201);
	ck_assert_int_eq(idl_login(&e, "fresh@example.test", PW, NULL, &at,
	    &rt), 200);
	free(at);
	idl_restart(&e, T0_6MIN);
	body = harness_printf("{\"grant_type\":\"refresh_token\","
	    "\"refresh_token\":\"%s\"}", rt);
	idl_reqh(&e, "POST", "/api/v1/auth/token", h, body, &r);
	ck_assert_msg(r.status == 200, "refresh: %ld %s", r.status, r.body);
	j = harness_json(&r);
	at = strdup(idl_jstr(j, "access_token"));
	json_decref(j);
	http_resp_free(&r);
	free(body);
	j = idl_jwt_json(at, 1);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "auth_time")),
	    1799575200);	/* T0 */
	json_decref(j);
	st = change_email(&e, at, "elsewhere@example.test", NULL, &j);
	ck_assert_msg(st == 422 && strcmp(code_of(j),
	    "reauthentication_required") == 0, "a refreshed token, six minutes "
	    "after the sign-in: %ld %s", st, code_of(j));
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE recipient = 'elsewhere@example.test'"), 0);
	free(at);
	free(rt);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_unicode_variants,
	&test_reset_not_by_unicode_lower,
	&test_change_address,
	&test_verify_race,
	&test_reset_links_kept,
	&test_reset_budget_per_client,
	&test_change_address_budget,
	&test_refresh_keeps_auth_time,
	NULL
};

const struct test_group test_groups[] = {
	{ "address", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
