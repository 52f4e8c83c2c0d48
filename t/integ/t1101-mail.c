/*
 * t1101-mail: the outbox reaches people through a real SMTP server
 * (aiosmtpd on loopback, mailcatch.h), and only the people it may reach.
 *  - the message: envelope and To the stored address, From the town's
 *    name and mail_from, Subject encoded and decoded with its accents,
 *    Date, a Message-ID made of the outbox id, MIME in quoted-printable
 *    (7-bit, short lines), Auto-Submitted; the language of the account;
 *    every placeholder filled, the town's among them;
 *  - the relay killed in the middle of a batch: nothing it did not take
 *    is marked sent; back, it gets every message exactly once;
 *  - two guichetd share the outbox without sending a message twice;
 *  - an address not verified gets only what must reach it anyway (the
 *    verification), a restricted person only what the law requires; the
 *    others are suppressed, with the reason, in GET /me/notifications,
 *    which never shows a link or a token;
 *  - the notice of a change of address reaches the old address even when
 *    the new one was verified before the relay took it; what else was
 *    meant for the old address does not;
 *  - STARTTLS required and not offered: nothing goes in clear, the
 *    message waits; a relay's password file others may read stops
 *    guichetd;
 *  - the notifications come in pages (limit, cursor);
 *  - guichetctl outbox list and retry: a message the relay refused for
 *    good is failed (the log says why, without the address the relay's
 *    reply held), retried, then sent.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "idlib.h"
#include "mailcatch.h"

#define FROM		"guichet@mairie.test"
#define PASSWORD	"correct horse battery staple"
#define WAIT_MS		20000

/* The settings of a guichetd that sends to 'c' (static storage). */
static const char *const *
mail_args(const struct catcher *c, const char *batch)
{
	static char		 url[64];
	static const char	*args[16];
	int			 n = 0;

	snprintf(url, sizeof(url), "%s", mailcatch_url(c));
	args[n++] = "--smtp-url";
	args[n++] = url;
	args[n++] = "--smtp-starttls";
	args[n++] = "no";
	args[n++] = "--mail-from";
	args[n++] = FROM;
	args[n++] = "--mail-retry-base";
	args[n++] = "1";
	args[n++] = "--mail-retry-max";
	args[n++] = "2";
	args[n++] = "--mail-batch";
	args[n++] = batch != NULL ? batch : "10";
	args[n] = NULL;
	return (args);
}

/* Start guichetd on a fresh copy of the demo town, sending to 'c'. */
static void
start_mail(struct idenv *e, const struct catcher *c, const char *batch)
{
	memset(e, 0, sizeof(*e));
	e->extra = mail_args(c, batch);
	e->empty_outbox = 1;
	idl_start(e);
}

/* Register a resident in 'locale': the id. */
static char *
person(const struct idenv *e, const char *email, const char *locale)
{
	json_t	*j;
	char	*id;
	long	 st;

	j = idl_sendj(e, "POST", "/api/v1/accounts", NULL, json_pack(
	    "{s:s, s:s, s:s, s:s, s:s}", "email", email, "password", PASSWORD,
	    "display_name", "Léa Martin", "profile_kind", "permanent_resident",
	    "locale", locale), &st);
	ck_assert_msg(st == 201, "registration of %s: %ld", email, st);
	id = strdup(idl_jstr(j, "id"));
	json_decref(j);
	return (id);
}

/* Use the verification link 'email' was sent: the address is verified. */
static void
verify(const struct idenv *e, const char *email)
{
	char	*tok = idl_outbox_token(e, email, "verify_email");
	long	 st;

	json_decref(idl_sendj(e, "POST", "/api/v1/accounts/verify", NULL,
	    json_pack("{s:s}", "token", tok), &st));
	ck_assert_int_eq(st, 204);
	free(tok);
}

/* Wait until the query counts 'n' (asserts it does within WAIT_MS). */
static void
wait_count(const struct idenv *e, long n, const char *sql)
{
	long long	 end = harness_now_ms() + WAIT_MS;
	long		 got;

	while ((got = idl_sql_count(e, "%s", sql)) != n &&
	    harness_now_ms() < end)
		harness_sleep_ms(100);
	ck_assert_msg(got == n, "%ld, %ld wanted: %s", got, n, sql);
}

static const char *
header(const json_t *m, const char *name)
{
	return (json_string_value(json_array_get(json_object_get(
	    json_object_get(m, "headers"), name), 0)));
}

/*
 * Queue 'n' verification messages as identity_mail() does, for the demo
 * resident (a verification goes to an unverified address).
 */
static void
queue_many(const struct idenv *e, int n)
{
	ck_assert_int_eq(idl_sql_exec(e, "INSERT INTO ops.outbox (account_id, "
	    "recipient, template, locale, payload, created_at, "
	    "next_attempt_at, updated_at) SELECT '%s', '" IDL_RESIDENT_EMAIL
	    "', 'verify_email', 'fr', jsonb_build_object('url', "
	    "'https://example.test/verify-email?token=t' || i, 'expires_at', "
	    "'2026-12-22T08:30:00Z', 'token', 't' || i), now() + i * "
	    "interval '1 ms', now(), now() FROM generate_series(1, %d) i",
	    idl_demo.resident_id, n), 0);
}

/*
 * Each message caught has the Message-ID of a different outbox row, and
 * every row marked sent was caught: 'n' in all.
 */
static void
assert_sent_once(const struct idenv *e, const struct catcher *c, int n)
{
	json_t		*all = mailcatch_read(c), *m;
	const char	*mid;
	char		*seen = strdup(""), *s;
	size_t		 i;

	ck_assert_int_eq((int)json_array_size(all), n);
	json_array_foreach(all, i, m) {
		mid = json_string_value(json_object_get(m, "message_id"));
		ck_assert_msg(mid != NULL && strlen(mid) == 36 + 2 +
		    strlen("@mairie.test"), "Message-ID %s", mid);
		ck_assert_msg(strstr(seen, mid) == NULL, "%s caught twice",
		    mid);
		s = harness_printf("%s%s", seen, mid);
		free(seen);
		seen = s;
		ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM "
		    "ops.outbox WHERE status = 'sent' AND '<' || id || "
		    "'@mairie.test>' = '%s'", mid), 1);
	}
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM ops.outbox "
	    "WHERE status = 'sent'"), n);
	free(seen);
	json_decref(all);
}

START_TEST(test_mail_headers_language_body)
{
	struct catcher	 c = { 0 };
	struct idenv	 e;
	json_t		*mails, *m, *j, *it;
	const char	*raw, *body, *p;
	char		*id, *tok, *token;
	struct tm	 tm;
	long		 st;
	size_t		 n;

	mailcatch_start(&c, 0, NULL);
	start_mail(&e, &c, NULL);
	id = person(&e, "lea@example.fr", "fr");
	free(person(&e, "giulia@example.it", "it"));
	mailcatch_wait(&c, 2, WAIT_MS);

	mails = mailcatch_to(&c, "lea@example.fr");
	ck_assert_int_eq((int)json_array_size(mails), 1);
	m = json_array_get(mails, 0);
	idl_assert_strs(m, "return_path", "<" FROM ">",
	    "from", "Montgenèvre <" FROM ">",
	    "subject", "Montgenèvre : vérifiez votre adresse électronique",
	    NULL);
	ck_assert_str_eq(header(m, "to"), "lea@example.fr");
	ck_assert_str_eq(header(m, "mime-version"), "1.0");
	ck_assert_str_eq(header(m, "content-type"),
	    "text/plain; charset=UTF-8");
	ck_assert_str_eq(header(m, "content-transfer-encoding"),
	    "quoted-printable");
	ck_assert_str_eq(header(m, "content-language"), "fr");
	ck_assert_str_eq(header(m, "auto-submitted"), "auto-generated");
	/* The accents travel as encoded words: the header is ASCII. */
	ck_assert_msg(strncmp(header(m, "subject"), "=?UTF-8?B?", 10) == 0,
	    "Subject: %s", header(m, "subject"));
	memset(&tm, 0, sizeof(tm));
	p = strptime(header(m, "date"), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	ck_assert_msg(p != NULL && *p == '\0' && labs((long)(timegm(&tm) -
	    time(NULL))) < 120, "Date: %s", header(m, "date"));
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE '<' || id || '@mairie.test>' = '%s' AND account_id = '%s' "
	    "AND status = 'sent' AND sent_at IS NOT NULL AND attempts = 1",
	    json_string_value(json_object_get(m, "message_id")), id), 1);
	/* 7 bits and lines of 78 at most, after the catcher's own lines. */
	raw = strstr(json_string_value(json_object_get(m, "raw")), "\r\nDate:");
	ck_assert_ptr_nonnull(raw);
	for (p = raw + 2, n = 0; *p != '\0'; p++) {
		ck_assert_msg((unsigned char)*p < 0x80, "an 8-bit byte");
		n = *p == '\n' ? 0 : n + 1;
		ck_assert_msg(n <= 78, "a line of more than 78 characters");
	}
	/* The body: its placeholders filled, the town's too, accents back. */
	body = json_string_value(json_object_get(m, "body"));
	tok = idl_outbox_token(&e, "lea@example.fr", "verify_email");
	token = harness_printf("/verify-email?token=%s\n", tok);
	ck_assert_msg(strstr(body, token) != NULL, "no link in:\n%s", body);
	ck_assert_msg(strstr(body, "Mairie de Montgenèvre") != NULL &&
	    strstr(body, "mairie@demo.guichet.test") != NULL &&
	    strstr(body, "ne sert qu'une fois") != NULL &&
	    strstr(body, "{{") == NULL, "body:\n%s", body);
	json_decref(mails);

	/* Giulia's account is in Italian: so is her mail. */
	mails = mailcatch_to(&c, "giulia@example.it");
	ck_assert_int_eq((int)json_array_size(mails), 1);
	m = json_array_get(mails, 0);
	idl_assert_str(m, "subject",
	    "Montgenèvre: verifica il tuo indirizzo email");
	ck_assert_str_eq(header(m, "content-language"), "it");
	ck_assert_msg(strstr(json_string_value(json_object_get(m, "body")),
	    "È valido fino al") != NULL, "not Italian");
	json_decref(mails);

	/* Léa reads it among her notifications: no link, no token. */
	free(token);
	token = idl_login_ok(&e, "lea@example.fr", PASSWORD, NULL);
	j = idl_reqj(&e, "GET", "/api/v1/me/notifications", token, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq((int)json_array_size(json_object_get(j, "items")), 1);
	it = json_array_get(json_object_get(j, "items"), 0);
	idl_assert_strs(it, "template", "verify_email", "language", "fr",
	    "status", "sent", "subject",
	    "Montgenèvre : vérifiez votre adresse électronique", NULL);
	ck_assert(json_is_null(json_object_get(it, "reason")));
	ck_assert(json_is_string(json_object_get(it, "sent_at")));
	ck_assert(json_is_null(json_object_get(j, "next_cursor")));
	{
		char *d = harness_dump(j);

		ck_assert_msg(strstr(d, tok) == NULL && strstr(d, "http") ==
		    NULL, "a link in %s", d);
		free(d);
	}
	json_decref(j);
	free(tok);
	free(token);
	free(id);
	idl_stop(&e);
	mailcatch_kill(&c);
}
END_TEST

START_TEST(test_relay_cut_mid_batch)
{
	struct catcher	 c = { 0 };
	struct idenv	 e;
	int		 caught;

	/* Queued while no relay is set: nothing is sent. */
	memset(&e, 0, sizeof(e));
	e.empty_outbox = 1;
	idl_start(&e);
	queue_many(&e, 6);
	harness_sleep_ms(1500);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE status = 'queued' AND attempts = 0"), 6);

	/* A relay that takes 600 ms per message; one batch of six. */
	mailcatch_start(&c, 600, NULL);
	e.extra = mail_args(&c, "10");
	idl_restart(&e, NULL);
	mailcatch_wait(&c, 2, WAIT_MS);
	/* In the middle of the third message's 600 ms: cut. */
	harness_sleep_ms(150);
	mailcatch_kill(&c);
	caught = mailcatch_count(&c);
	ck_assert_msg(caught >= 2 && caught < 6, "%d caught", caught);
	ck_assert_msg(harness_server_log_wait(&e.s, "failed (conn",
	    WAIT_MS), "the cut was not seen");
	harness_sleep_ms(300);
	/* Nothing marked sent that the relay did not take. */
	assert_sent_once(&e, &c, caught);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE status = 'queued'"), 6 - caught);
	ck_assert_int_ge(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE status = 'queued' AND last_error IN ('connection', "
	    "'connect') AND attempts >= 1"), 1);
	/* Down for a while: still queued, never failed. */
	harness_sleep_ms(2500);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE status = 'failed'"), 0);

	/* Back: every message arrives, once. */
	mailcatch_start(&c, 0, NULL);
	wait_count(&e, 6, "SELECT count(*) FROM ops.outbox WHERE status = "
	    "'sent'");
	harness_sleep_ms(500);
	assert_sent_once(&e, &c, 6);
	idl_stop(&e);
	mailcatch_kill(&c);
}
END_TEST

START_TEST(test_two_senders_share_the_outbox)
{
	struct catcher	 c = { 0 };
	struct idenv	 e;
	struct server	 second;
	const char	*args[20];
	char		*log;
	int		 i;

	mailcatch_start(&c, 20, NULL);
	memset(&e, 0, sizeof(e));
	e.empty_outbox = 1;
	idl_start(&e);
	queue_many(&e, 30);
	/* Two guichetd on one database, small batches: they compete. */
	e.extra = mail_args(&c, "3");
	idl_restart(&e, NULL);
	memset(&second, 0, sizeof(second));
	for (i = 0; e.extra[i] != NULL; i++)
		args[i] = e.extra[i];
	args[i++] = "--jwt-key-file";
	args[i++] = harness_key_file();
	args[i] = NULL;
	ck_assert_int_eq(harness_server_start(&second, e.db, args), 0);
	wait_count(&e, 30, "SELECT count(*) FROM ops.outbox WHERE status = "
	    "'sent'");
	harness_sleep_ms(500);
	assert_sent_once(&e, &c, 30);
	/* Both took their share. */
	log = harness_server_log(&second);
	ck_assert_msg(strstr(log, "sent (attempt") != NULL,
	    "the second guichetd sent nothing");
	free(log);
	harness_server_free(&second);
	idl_stop(&e);
	mailcatch_kill(&c);
}
END_TEST

/* The DPO records an access request for 'account': its id. */
static char *
request_for(struct idenv *e, const char *dpo, const char *account)
{
	json_t	*j;
	char	*id;
	long	 st;

	j = idl_sendj(e, "POST", "/api/v1/admin/privacy/requests", dpo,
	    json_pack("{s:s, s:s}", "account_id", account, "kind", "access"),
	    &st);
	ck_assert_int_eq(st, 201);
	id = strdup(idl_jstr(j, "id"));
	json_decref(j);
	return (id);
}

static void
request_patch(struct idenv *e, const char *dpo, const char *id, json_t *in)
{
	char	*path = harness_printf("/api/v1/admin/privacy/requests/%s", id);
	long	 st;

	json_decref(idl_sendj(e, "PATCH", path, dpo, in, &st));
	ck_assert_int_eq(st, 200);
	free(path);
}

/* The caller's notification of 'template' (the newest), or NULL. */
static json_t *
notification(struct idenv *e, const char *token, const char *template)
{
	json_t	*j, *it, *found = NULL;
	size_t	 i;
	long	 st;

	j = idl_reqj(e, "GET", "/api/v1/me/notifications?limit=100", token,
	    NULL, &st);
	ck_assert_int_eq(st, 200);
	json_array_foreach(json_object_get(j, "items"), i, it)
		if (found == NULL && strcmp(idl_jstr(it, "template"), template) ==
		    0)
			found = json_incref(it);
	json_decref(j);
	return (found);
}

/* The caller's 'n' notifications, one a page, newest first, each once. */
static void
pages(struct idenv *e, const char *token, int n)
{
	json_t	*j;
	char	*path = strdup("/api/v1/me/notifications?limit=1"), *seen;
	char	*s, *cur;
	long	 st;
	int	 i;

	seen = strdup("");
	for (i = 0; i < n; i++) {
		j = idl_reqj(e, "GET", path, token, NULL, &st);
		ck_assert_int_eq(st, 200);
		ck_assert_int_eq((int)json_array_size(json_object_get(j,
		    "items")), 1);
		s = harness_printf("%s|%s", seen, idl_jstr(json_array_get(
		    json_object_get(j, "items"), 0), "id"));
		ck_assert_msg(strstr(seen, s + strlen(seen) + 1) == NULL,
		    "an item twice");
		free(seen);
		seen = s;
		free(path);
		if (i == n - 1) {
			ck_assert(json_is_null(json_object_get(j,
			    "next_cursor")));
			path = NULL;
		} else {
			cur = idl_urlencode(idl_jstr(j, "next_cursor"));
			path = harness_printf("/api/v1/me/notifications?"
			    "limit=1&cursor=%s", cur);
			free(cur);
		}
		json_decref(j);
	}
	free(seen);
	/* A cursor this server did not make is 400. */
	json_decref(idl_reqj(e, "GET", "/api/v1/me/notifications?cursor=abc",
	    token, NULL, &st));
	ck_assert_int_eq(st, 400);
}

START_TEST(test_unverified_address_suppressed)
{
	struct catcher	 c = { 0 };
	struct idenv	 e;
	json_t		*n, *mails;
	char		*id, *dpo, *req, *at, *body;

	mailcatch_start(&c, 0, NULL);
	start_mail(&e, &c, NULL);
	id = person(&e, "noemie@example.fr", "fr");
	/* The verification goes to the address it proves. */
	mailcatch_wait(&c, 1, WAIT_MS);
	dpo = idl_login_admin(&e);
	req = request_for(&e, dpo, id);
	request_patch(&e, dpo, req, json_pack("{s:i, s:s}", "extension_months",
	    1, "extension_reason", "des archives à consulter"));
	/* The extension does not: the address is not proven. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE account_id = '%s' AND template = 'rights_request_extended' "
	    "AND status = 'suppressed' AND suppressed_reason = "
	    "'unverified_address'", id), 1);
	at = idl_login_ok(&e, "noemie@example.fr", PASSWORD, NULL);
	n = notification(&e, at, "rights_request_extended");
	ck_assert_ptr_nonnull(n);
	idl_assert_strs(n, "status", "suppressed", "reason",
	    "unverified_address", "subject", "Montgenèvre : le délai de réponse "
	    "à votre demande est prolongé", NULL);
	ck_assert(json_is_null(json_object_get(n, "sent_at")));
	json_decref(n);

	/* Verified, she gets the answer, with its accents. */
	verify(&e, "noemie@example.fr");
	request_patch(&e, dpo, req, json_pack("{s:s, s:s}", "status",
	    "answered", "answer", "Voici vos données : à télécharger, "
	    "déjà prêtes."));
	mailcatch_wait(&c, 2, WAIT_MS);
	harness_sleep_ms(1500);
	mails = mailcatch_to(&c, "noemie@example.fr");
	ck_assert_int_eq((int)json_array_size(mails), 2);
	idl_assert_str(json_array_get(mails, 1), "subject",
	    "Montgenèvre : réponse à votre demande");
	body = harness_printf("%s", json_string_value(json_object_get(
	    json_array_get(mails, 1), "body")));
	ck_assert_msg(strstr(body, "Voici vos données : à télécharger, déjà "
	    "prêtes.") != NULL && strstr(body, req) != NULL, "body:\n%s", body);
	json_decref(mails);
	n = notification(&e, at, "rights_request_answer");
	idl_assert_str(n, "status", "sent");
	json_decref(n);
	pages(&e, at, 3);
	free(body);
	free(at);
	free(req);
	free(dpo);
	free(id);
	idl_stop(&e);
	mailcatch_kill(&c);
}
END_TEST

START_TEST(test_restricted_person_suppressed)
{
	struct catcher	 c = { 0 };
	struct idenv	 e;
	json_t		*n, *mails;
	char		*id, *dpo, *req, *at, *path;
	long		 st;

	mailcatch_start(&c, 0, NULL);
	start_mail(&e, &c, NULL);
	id = person(&e, "oscar@example.fr", "en");
	verify(&e, "oscar@example.fr");
	at = idl_login_ok(&e, "oscar@example.fr", PASSWORD, NULL);
	json_decref(idl_reqj(&e, "POST", "/api/v1/me/restriction", at, NULL,
	    &st));
	ck_assert_int_eq(st, 201);
	mailcatch_wait(&c, 1, WAIT_MS);

	/*
	 * An ordinary notice (the cases' own are tested in t4109-mail),
	 * written as outbox_queue() writes it: the
	 * sender's own check must stop it.
	 */
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO ops.outbox (account_id, "
	    "recipient, template, locale, payload, created_at, "
	    "next_attempt_at, updated_at) VALUES ('%s', 'oscar@example.fr', "
	    "'agent_invitation', 'en', '{\"url\": \"https://x.test/r?token=s\", "
	    "\"expires_at\": \"2026-12-27T08:00:00Z\"}', now(), now(), now())",
	    id), 0);
	wait_count(&e, 1, "SELECT count(*) FROM ops.outbox WHERE template = "
	    "'agent_invitation' AND status = 'suppressed' AND "
	    "suppressed_reason = 'restricted'");
	n = notification(&e, at, "agent_invitation");
	idl_assert_strs(n, "status", "suppressed", "reason", "restricted",
	    "language", "en", "subject", "Montgenèvre: your agent account",
	    NULL);
	json_decref(n);

	/* What the law requires still goes: the extension of a request. */
	dpo = idl_login_admin(&e);
	req = request_for(&e, dpo, id);
	request_patch(&e, dpo, req, json_pack("{s:i, s:s}", "extension_months",
	    1, "extension_reason", "archives"));
	/* And the notice of the lift, before it. */
	path = harness_printf("/api/v1/admin/privacy/subjects/%s/restriction/"
	    "lift", id);
	json_decref(idl_reqj(&e, "POST", path, dpo, NULL, &st));
	ck_assert_int_eq(st, 200);
	mailcatch_wait(&c, 3, WAIT_MS);
	harness_sleep_ms(1500);
	mails = mailcatch_to(&c, "oscar@example.fr");
	ck_assert_int_eq((int)json_array_size(mails), 3);
	idl_assert_str(json_array_get(mails, 1), "subject",
	    "Montgenèvre: more time to answer your request");
	idl_assert_str(json_array_get(mails, 2), "subject",
	    "Montgenèvre: the restriction of your data's processing ends");
	json_decref(mails);
	free(path);
	free(req);
	free(dpo);
	free(at);
	free(id);
	idl_stop(&e);
	mailcatch_kill(&c);
}
END_TEST

START_TEST(test_address_change_notice)
{
	struct catcher	 c = { 0 };
	struct idenv	 e;
	json_t		*mails;
	char		*at, *undo, *link;
	long		 st;

	/* Everything happens while no relay is set: all of it waits. */
	memset(&e, 0, sizeof(e));
	e.empty_outbox = 1;
	idl_start(&e);
	free(person(&e, "ana@example.fr", "fr"));
	verify(&e, "ana@example.fr");
	at = idl_login_ok(&e, "ana@example.fr", PASSWORD, NULL);
	json_decref(idl_sendj(&e, "PATCH", "/api/v1/me", at, json_pack(
	    "{s:s, s:s}", "email", "ana.martin@example.fr", "current_password",
	    PASSWORD), &st));
	ck_assert_int_eq(st, 200);
	verify(&e, "ana.martin@example.fr");
	undo = idl_outbox_token(&e, "ana@example.fr", "email_change_notice");

	/* The relay comes: the old address gets the notice, and only it. */
	mailcatch_start(&c, 0, NULL);
	e.extra = mail_args(&c, NULL);
	idl_restart(&e, NULL);
	wait_count(&e, 0, "SELECT count(*) FROM ops.outbox WHERE status = "
	    "'queued'");
	mails = mailcatch_to(&c, "ana@example.fr");
	ck_assert_int_eq((int)json_array_size(mails), 1);
	idl_assert_str(json_array_get(mails, 0), "subject",
	    "Montgenèvre : l'adresse de votre compte va changer");
	link = harness_printf("/undo-email-change?token=%s", undo);
	ck_assert_msg(strstr(json_string_value(json_object_get(
	    json_array_get(mails, 0), "body")), link) != NULL, "no undo link");
	json_decref(mails);
	mails = mailcatch_to(&c, "ana.martin@example.fr");
	ck_assert_int_eq((int)json_array_size(mails), 1);
	json_decref(mails);
	/* The first verification, for the address left: not sent. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE recipient = 'ana@example.fr' AND template = 'verify_email' "
	    "AND status = 'suppressed' AND suppressed_reason = "
	    "'address_changed'"), 1);
	free(link);
	free(undo);
	free(at);
	idl_stop(&e);
	mailcatch_kill(&c);
}
END_TEST

START_TEST(test_starttls_required)
{
	struct catcher	 c = { 0 };
	struct idenv	 e;
	const char	*const *base, *args[24];
	int		 i;

	/* The catcher offers no STARTTLS. */
	mailcatch_start(&c, 0, NULL);
	memset(&e, 0, sizeof(e));
	base = mail_args(&c, NULL);
	for (i = 0; base[i] != NULL; i++)
		args[i] = base[i];
	args[i++] = "--smtp-starttls";
	args[i++] = "required";
	args[i] = NULL;
	e.extra = args;
	e.empty_outbox = 1;
	idl_start(&e);
	free(person(&e, "tls@example.fr", "fr"));
	wait_count(&e, 1, "SELECT count(*) FROM ops.outbox WHERE status = "
	    "'queued' AND last_error = 'tls' AND attempts >= 1");
	ck_assert_int_eq(mailcatch_count(&c), 0);
	idl_stop(&e);
	mailcatch_kill(&c);
}
END_TEST

START_TEST(test_password_file_guarded)
{
	char		*file, *tpl, *err = NULL;
	const char	*args[] = { "--modules", "--templates-dir", NULL,
	    "--smtp-url", "smtp://127.0.0.1:1", "--smtp-user", "guichet",
	    "--smtp-password-file", NULL, NULL };
	int		 rc;

	file = harness_printf("%s/smtp-%d.password", harness_tmpdir(),
	    (int)getpid());
	ck_assert_int_eq(harness_write_file(file, "s3cret\n"), 0);
	tpl = harness_src("templates");
	args[2] = tpl;
	args[8] = file;
	/* Readable by others: refused, named, and the secret not shown. */
	ck_assert_int_eq(chmod(file, 0644), 0);
	rc = harness_run("guichetd", harness_db(), NULL, args, NULL, 30000,
	    NULL, &err);
	ck_assert_msg(rc == 1 && strstr(err, "readable by others") != NULL &&
	    strstr(err, "s3cret") == NULL, "exit %d: %s", rc, err);
	free(err);
	ck_assert_int_eq(chmod(file, 0640), 0);
	rc = harness_run("guichetd", harness_db(), NULL, args, NULL, 30000,
	    NULL, &err);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
	free(err);
	free(tpl);
	free(file);
}
END_TEST

/* guichetctl on the test's database: the exit status, *out its stdout. */
static int
ctl(const struct idenv *e, const char *a, const char *b, const char *x,
    char **out)
{
	const char	*args[] = { a, b, x, NULL };
	char		*err = NULL;
	int		 rc;

	rc = idl_ctl(e->db, 0, args, out, &err);
	free(err);
	return (rc);
}

START_TEST(test_outbox_retry_ctl)
{
	struct catcher	 c = { 0 };
	struct idenv	 e;
	char		*out = NULL, *id, *sent;

	/* A relay that refuses the mailbox for good. */
	mailcatch_start(&c, 0, "bounce");
	start_mail(&e, &c, NULL);
	free(person(&e, "bounce@example.fr", "fr"));
	wait_count(&e, 1, "SELECT count(*) FROM ops.outbox WHERE status = "
	    "'failed' AND last_error = 'rejected' AND last_smtp_code = 550");
	id = idl_sql(&e, "SELECT id FROM ops.outbox WHERE status = 'failed'");
	ck_assert_int_eq(ctl(&e, "outbox", "list", NULL, &out), 0);
	ck_assert_msg(strstr(out, id) != NULL && strstr(out, "failed") !=
	    NULL && strstr(out, "rejected") != NULL, "outbox list:\n%s", out);
	free(out);
	ck_assert_int_eq(mailcatch_count(&c), 0);
	/* The relay's reply named the address: the log does not. */
	out = idl_log(&e);
	ck_assert_msg(strstr(out, "rejected") != NULL && strstr(out,
	    "bounce@example.fr") == NULL, "log:\n%s", out);
	free(out);

	/* The mailbox exists now: every failed message goes again. */
	mailcatch_kill(&c);
	mailcatch_start(&c, 0, NULL);
	ck_assert_int_eq(ctl(&e, "outbox", "retry", "--failed", &out), 0);
	ck_assert_msg(strstr(out, "1 message queued again") != NULL, "%s", out);
	free(out);
	wait_count(&e, 1, "SELECT count(*) FROM ops.outbox WHERE status = "
	    "'sent' AND attempts = 1");
	mailcatch_wait(&c, 1, WAIT_MS);

	/* A message sent is never sent again; an unknown one is no one. */
	sent = harness_printf("%s", id);
	ck_assert_int_ne(ctl(&e, "outbox", "retry", sent, NULL), 0);
	ck_assert_int_ne(ctl(&e, "outbox", "retry",
	    "00000000-0000-4000-8000-000000000000", NULL), 0);
	ck_assert_int_ne(ctl(&e, "outbox", "retry", "nonsense", NULL), 0);
	harness_sleep_ms(1500);
	ck_assert_int_eq(mailcatch_count(&c), 1);
	free(sent);
	free(id);
	idl_stop(&e);
	mailcatch_kill(&c);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_mail_headers_language_body,
	&test_relay_cut_mid_batch,
	&test_two_senders_share_the_outbox,
	&test_unverified_address_suppressed,
	&test_restricted_person_suppressed,
	&test_address_change_notice,
	&test_starttls_required,
	&test_password_file_guarded,
	&test_outbox_retry_ctl,
	NULL
};

const struct test_group test_groups[] = {
	{ "mail", HARNESS_TIMEOUT, NULL, NULL, mailcatch_prepare, NULL,
	    tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
