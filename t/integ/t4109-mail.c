/*
 * t4109-mail: the cases' mail as people receive it, through a real SMTP
 * server on loopback (mailcatch.h): the acknowledgement of receipt with
 * the mentions of CRPA L112-11 and R112-11-1 (README, "Démarches"), a
 * state change and a decision, in French and in English, the accented
 * text encoded for a 7-bit transport and decoded back, no placeholder
 * left; the department's notice at its own mailbox.  And the rule of
 * guichet-privacy(7), "MAIL": a person under restriction gets none of
 * the cases' mail (acknowledgement, status, decision, request for
 * information, implicit decision): each is kept as suppressed with the
 * reason, listed in the person's notifications, and the acknowledgement
 * is still on the case.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caselib.h"
#include "mailcatch.h"

/* 20 March 2026, 10:30 in Montgenèvre (CET). */
#define FROZEN		"2026-03-20T09:30:00Z"
#define FROM		"guichet@mairie.test"
#define DEPARTMENT	"services-techniques@demo.guichet.test"
#define WAIT_MS		20000

/* The cases' set-up, and exit 77 without a catcher (mailcatch.h). */
static void
prepare(void)
{
	const char	*c = getenv("GUICHET_TEST_SMTP_CATCHER");

	if (c == NULL || c[0] == '\0') {
		printf("GUICHET_TEST_SMTP_CATCHER is not set: the mail tests "
		    "need the SMTP catcher; run `tools/dev test`\n");
		exit(77);
	}
	cl_prepare();
}

/* The catcher 'c', and guichetd at FROZEN sending to it at once. */
static void
start(struct idenv *e, struct catcher *c)
{
	static char		 url[64];
	static const char	*args[] = { "--smtp-url", url,
	    "--smtp-starttls", "no", "--mail-from", FROM,
	    "--mail-retry-base", "1", NULL };

	memset(c, 0, sizeof(*c));
	mailcatch_start(c, 0, NULL);
	snprintf(url, sizeof(url), "%s", mailcatch_url(c));
	memset(e, 0, sizeof(*e));
	e->clock = FROZEN;
	e->extra = args;
	e->empty_outbox = 1;
	idl_start(e);
}

static const char *
header(const json_t *m, const char *name)
{
	return (json_string_value(json_array_get(json_object_get(
	    json_object_get(m, "headers"), name), 0)));
}

/*
 * The one message to 'to' whose subject is 'subject', waited for: checked
 * as a message of the town (7 bits on the wire, UTF-8 text in 'lang',
 * the subject an encoded word when it is not ASCII, no placeholder left)
 * and holding each of the NULL-terminated strings in its body.
 */
static json_t *
received(const struct catcher *c, const char *to, const char *subject,
    const char *lang, ...)
{
	long long	 end = harness_now_ms() + WAIT_MS;
	json_t		*all, *m = NULL, *it;
	const char	*raw, *body, *s, *p;
	size_t		 i;
	va_list		 ap;
	int		 n = 0;

	for (;;) {
		all = mailcatch_to(c, to);
		n = 0;
		json_array_foreach(all, i, it)
			if ((s = idl_jstr(it, "subject")) != NULL &&
			    strcmp(s, subject) == 0) {
				n++;
				if (m == NULL)
					m = json_incref(it);
			}
		json_decref(all);
		if (n > 0 || harness_now_ms() >= end)
			break;
		harness_sleep_ms(100);
	}
	ck_assert_msg(n == 1, "%d messages to %s \"%s\"", n, to, subject);
	idl_assert_strs(m, "return_path", "<" FROM ">", NULL);
	ck_assert_str_eq(header(m, "content-type"),
	    "text/plain; charset=UTF-8");
	ck_assert_str_eq(header(m, "content-transfer-encoding"),
	    "quoted-printable");
	ck_assert_str_eq(header(m, "content-language"), lang);
	for (s = subject; *s != '\0' && (unsigned char)*s < 0x80; s++)
		;
	if (*s != '\0')
		ck_assert_msg(strncmp(header(m, "subject"), "=?UTF-8?", 8) ==
		    0, "Subject: %s", header(m, "subject"));
	raw = strstr(json_string_value(json_object_get(m, "raw")), "\r\nDate:");
	ck_assert_ptr_nonnull(raw);
	for (p = raw; *p != '\0'; p++)
		ck_assert_msg((unsigned char)*p < 0x80, "an 8-bit byte");
	body = json_string_value(json_object_get(m, "body"));
	ck_assert_msg(body != NULL && strstr(body, "{{") == NULL &&
	    strstr(body, "}}") == NULL, "a placeholder left:\n%s", body);
	va_start(ap, lang);
	while ((s = va_arg(ap, const char *)) != NULL)
		ck_assert_msg(strstr(body, s) != NULL, "'%s' not in:\n%s", s,
		    body);
	va_end(ap);
	return (m);
}

/* The case's reference, as its owner reads it (caller frees). */
static char *
reference(const struct idenv *e, const char *token, const char *id)
{
	json_t	*c;
	char	*ref;
	long	 st;

	c = cl_get(e, token, id, &st);
	ck_assert_int_eq(st, 200);
	ref = harness_printf("%s", idl_jstr(c, "reference"));
	json_decref(c);
	return (ref);
}

START_TEST(test_acknowledgement_received)
{
	struct catcher	 c;
	struct idenv	 e;
	char		*res, *other, *agent, *chief, *id, *ref, *subj;

	start(&e, &c);
	res = cl_resident(&e);
	agent = cl_agent(&e, CL_TECH);
	chief = cl_agent(&e, CL_TECH_CHIEF);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	ref = reference(&e, res, id);

	/* In French, with what R112-11-1 and R112-5 require. */
	subj = harness_printf("Accusé de réception de votre demande %s", ref);
	json_decref(received(&c, IDL_RESIDENT_EMAIL, subj, "fr",
	    "Accusé de réception électronique",
	    "Votre demande « Permis de test » a été reçue le 20 mars 2026 "
	    "à 10:30", ref,
	    "Services techniques", "3 chemin du Col, 05100 Montgenèvre",
	    "+33492215260", DEPARTMENT,
	    "10 jours", "30 mars 2026", "réputée acceptée", "L231-1",
	    "L232-3", "deux mois", "R421-1", "tribunal administratif",
	    "L112-11", "R112-11-1", NULL));
	free(subj);
	/* The department's mailbox: the event, nothing of the person. */
	subj = harness_printf("Services techniques : Nouvelle demande déposée "
	    "(%s)", ref);
	json_decref(received(&c, DEPARTMENT, subj, "fr", "« Permis de test »",
	    "état : déposée", NULL));
	free(subj);

	/* A state change and the decision. */
	ck_assert_int_eq(cl_move(&e, agent, id, "in_review", NULL), 200);
	subj = harness_printf("Votre demande %s : en cours d'instruction", ref);
	json_decref(received(&c, IDL_RESIDENT_EMAIL, subj, "fr",
	    "« Permis de test »", "en cours d'instruction", id, NULL));
	free(subj);
	ck_assert_int_eq(cl_move(&e, chief, id, "accepted", NULL), 200);
	subj = harness_printf("Décision sur votre demande %s : acceptée", ref);
	json_decref(received(&c, IDL_RESIDENT_EMAIL, subj, "fr", ref,
	    "acceptée", NULL));
	free(subj);
	free(ref);
	free(id);

	/* In English, for a person who reads English. */
	other = cl_other_in(&e, "en");
	id = cl_file(&e, other, "t_permis", cl_permis_form(), 1, NULL);
	ref = reference(&e, other, id);
	subj = harness_printf("Acknowledgement of receipt of your request %s",
	    ref);
	json_decref(received(&c, CL_OTHER_EMAIL, subj, "en",
	    "Electronic acknowledgement of receipt",
	    "Your request \"Test permit\" was received on 20 March 2026 at "
	    "10:30", "Department in charge", "3 chemin du Col, 05100 "
	    "Montgenèvre", "10 days", "30 March 2026", "deemed accepted",
	    "L231-1", "L112-11", "R112-11-1", NULL));
	free(subj);
	ck_assert_int_eq(cl_move(&e, agent, id, "in_review", NULL), 200);
	subj = harness_printf("Your request %s: under review", ref);
	json_decref(received(&c, CL_OTHER_EMAIL, subj, "en", "\"Test permit\"",
	    "under review", NULL));
	free(subj);
	free(ref);
	free(id);
	free(other);
	free(chief);
	free(agent);
	free(res);
	idl_stop(&e);
	mailcatch_kill(&c);
}
END_TEST

/* The templates a restricted person's cases queued, none sent. */
static const char *const restricted_templates[] = { "case_acknowledgement",
    "case_status", "case_decision", "case_information_requested",
    "case_implicit_decision", NULL };

START_TEST(test_restricted_gets_no_case_mail)
{
	struct catcher	 c;
	struct idenv	 e;
	json_t		*j, *it, *mails, *ack;
	const char	*args[] = { "--clock", "2026-04-05T00:00:00Z", "cases",
	    "decide", NULL };
	char		*res, *agent, *chief, *decided, *asked, *silent, *ref;
	char		*subj;
	long		 st;
	size_t		 i, k;
	int		 found;

	start(&e, &c);
	res = cl_resident(&e);
	agent = cl_agent(&e, CL_TECH);
	chief = cl_agent(&e, CL_TECH_CHIEF);
	ck_assert_int_eq(idl_status(&e, "POST", "/api/v1/me/restriction", res,
	    NULL), 201);
	/* Filed and decided; filed and asked for more; filed, then silence. */
	decided = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	cl_decide(&e, agent, chief, decided, "accepted", NULL);
	asked = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	ck_assert_int_eq(cl_move(&e, agent, asked, "awaiting_information",
	    "Le plan, s'il vous plaît."), 200);
	silent = cl_file(&e, res, "t_refus", json_pack("{s:s}", "nom", "A"), 1,
	    NULL);
	ck_assert_int_eq(idl_ctl(e.db, 0, args, NULL, NULL), 0);
	cl_assert_state(&e, silent, "rejected");
	/* Its mail was queued at that clock: the sender runs at it too. */
	idl_restart(&e, args[1]);
	free(res);
	res = cl_resident(&e);

	/* The sender went through the whole outbox: the department's did. */
	ref = reference(&e, res, silent);
	subj = harness_printf("Services techniques : Décision implicite de "
	    "rejet (silence au terme du délai) (%s)", ref);
	json_decref(received(&c, DEPARTMENT, subj, "fr", NULL));
	free(subj);
	free(ref);
	mails = mailcatch_to(&c, IDL_RESIDENT_EMAIL);
	ck_assert_msg(json_array_size(mails) == 0, "%zu mails to the "
	    "restricted person", json_array_size(mails));
	json_decref(mails);

	/* Each kept, suppressed for the restriction, none in another state. */
	for (i = 0; restricted_templates[i] != NULL; i++)
		ck_assert_msg(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
		    "WHERE template = '%s' AND recipient = '%s' AND status = "
		    "'suppressed' AND suppressed_reason = 'restricted'",
		    restricted_templates[i], IDL_RESIDENT_EMAIL) >= 1,
		    "no suppressed %s", restricted_templates[i]);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template LIKE 'case\\_%%' AND recipient = '%s' AND "
	    "(status <> 'suppressed' OR suppressed_reason <> 'restricted')",
	    IDL_RESIDENT_EMAIL), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'case_acknowledgement' AND recipient = '%s'",
	    IDL_RESIDENT_EMAIL), 3);

	/* The person reads every one in their notifications. */
	j = idl_reqj(&e, "GET", "/api/v1/me/notifications?limit=100", res,
	    NULL, &st);
	ck_assert_int_eq(st, 200);
	for (i = 0; restricted_templates[i] != NULL; i++) {
		found = 0;
		json_array_foreach(json_object_get(j, "items"), k, it)
			if (strcmp(idl_jstr(it, "template"),
			    restricted_templates[i]) == 0) {
				idl_assert_strs(it, "status", "suppressed",
				    "reason", "restricted", NULL);
				found++;
			}
		ck_assert_msg(found >= 1, "%s not in the notifications",
		    restricted_templates[i]);
	}
	json_decref(j);

	/* And the acknowledgement is on the case, as issued. */
	j = cl_get(&e, res, decided, &st);
	ck_assert_int_eq(st, 200);
	ack = json_object_get(j, "acknowledgement");
	ck_assert_msg(json_is_object(ack), "no acknowledgement on the case");
	ck_assert_msg(strstr(idl_jstr(json_object_get(ack, "mentions"),
	    "received"), idl_jstr(j, "reference")) != NULL, "the "
	    "acknowledgement does not name the case");
	ck_assert_msg(strstr(idl_jstr(json_object_get(ack, "mentions"),
	    "deadline"), "réputée acceptée") != NULL, "no deadline mention");
	json_decref(j);
	free(silent);
	free(asked);
	free(decided);
	free(chief);
	free(agent);
	free(res);
	idl_stop(&e);
	mailcatch_kill(&c);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_acknowledgement_received,
	&test_restricted_gets_no_case_mail,
	NULL
};

const struct test_group test_groups[] = {
	{ "mail", HARNESS_TIMEOUT, NULL, NULL, prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
