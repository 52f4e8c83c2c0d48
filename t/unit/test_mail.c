/*
 * test_mail: what a message of the outbox becomes (src/ops/mail.c):
 *  - templates: "Subject: ..." then a blank line, UTF-8; every template a
 *    module declares has its file in fr, en and it, and every file of
 *    templates/mail/ is a declared template's; no subject shows a
 *    single-use link (subjects are listed in GET /me/notifications);
 *  - rendering: {{name}} and {{a.b}} from the values, strings and numbers,
 *    null as nothing; a missing value refuses the message;
 *  - MIME: quoted-printable within 76 characters, encoded words that
 *    never cut a character, a display name with specials encoded, no
 *    header injected through a subject, the RFC 5322 date;
 *  - the mail settings refuse what they cannot use.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "base/b64.h"
#include "base/buf.h"
#include "base/conf.h"
#include "core/module.h"
#include "ops/mail.h"
#include "unit.h"

static char *
render(const char *tmpl, const char *values, char *missing)
{
	json_t	*v = json_loads(values, 0, NULL);
	char	*s;

	ck_assert_ptr_nonnull(v);
	s = mail_render(tmpl, v, missing, 64);
	json_decref(v);
	return (s);
}

START_TEST(test_render)
{
	static const struct {
		const char	*tmpl, *values, *want;
	} ok[] = {
		{ "Bonjour {{name}} !", "{\"name\": \"Léa\"}", "Bonjour Léa !" },
		{ "{{town.name}} ({{town.postcode}})", "{\"town\": {\"name\": "
		  "\"Montgenèvre\", \"postcode\": \"05100\"}}",
		  "Montgenèvre (05100)" },
		{ "n={{n}} x={{x}}", "{\"n\": 42, \"x\": 1.5}", "n=42 x=1.5" },
		{ "[{{r}}]", "{\"r\": null}", "[]" },
		{ "{{a}}{{a}}", "{\"a\": \"x\"}", "xx" },
		/* Not placeholders: the text as it is. */
		{ "{{ a }} {{}} {{a-b}} {{ {{a", "{\"a\": \"x\"}",
		  "{{ a }} {{}} {{a-b}} {{ {{a" },
		{ "no braces", "{}", "no braces" },
		/* A value is never read again as a template. */
		{ "{{a}}", "{\"a\": \"{{b}}\", \"b\": \"no\"}", "{{b}}" },
	};
	static const struct {
		const char	*tmpl, *values, *missing;
	} bad[] = {
		{ "{{nope}}", "{}", "nope" },
		{ "{{a.b}}", "{\"a\": \"x\"}", "a.b" },
		{ "{{a}}", "{\"a\": {\"b\": 1}}", "a" },
		{ "{{a}}", "{\"a\": [1]}", "a" },
		{ "{{a}}", "{\"a\": true}", "a" },
		{ "{{a..b}}", "{\"a\": {\"b\": 1}}", "a..b" },
		{ "{{a.}}", "{\"a\": {\"b\": 1}}", "a." },
	};
	char	*s, missing[64];
	size_t	 i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		s = render(ok[i].tmpl, ok[i].values, missing);
		ck_assert_msg(s != NULL && strcmp(s, ok[i].want) == 0,
		    "%s: '%s'", ok[i].tmpl, s);
		free(s);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		missing[0] = '\0';
		s = render(bad[i].tmpl, bad[i].values, missing);
		ck_assert_msg(s == NULL, "%s rendered '%s'", bad[i].tmpl, s);
		ck_assert_str_eq(missing, bad[i].missing);
	}
}
END_TEST

START_TEST(test_text_parse)
{
	struct mail_text t;
	char		 err[96];
	static const char *const bad[] = {
		"Subject: x\nno blank line\n",
		"subject: x\n\nbody\n",
		"Hello\n\nbody\n",
		"Subject: \n\nbody\n",
		"Subject: x",
		"Subject: caf\xe9\n\nLatin-1\n",
	};
	size_t		 i;

	static const char good[] = "Subject: Été\r\n\r\nLigne 1\r\n"
	    "Ligne 2\r\n";

	ck_assert_int_eq(mail_text_parse(good, strlen(good), &t, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(t.subject, "Été");
	ck_assert_str_eq(t.body, "Ligne 1\nLigne 2\n");
	mail_text_free(&t);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(mail_text_parse(bad[i], strlen(bad[i]), &t, err,
		    sizeof(err)) == -1, "accepted: %s", bad[i]);
	ck_assert_int_eq(mail_text_parse("Subject: a\n\n\0b", 14, &t, err,
	    sizeof(err)), -1);
}
END_TEST

static char *
qp(const char *text)
{
	struct buf	 b;

	buf_init(&b);
	mail_qp(&b, text);
	return (buf_detach(&b, NULL));
}

START_TEST(test_quoted_printable)
{
	static const struct {
		const char	*in, *want;
	} cases[] = {
		{ "Été à Montgenèvre\n", "=C3=89t=C3=A9 =C3=A0 Montgen=C3=A8vre\r\n" },
		{ "a=b\n", "a=3Db\r\n" },
		{ "fin \nfin\t\n", "fin=20\r\nfin=09\r\n" },
		{ "-- \n", "--=20\r\n" },
		{ "\n\nx", "\r\n\r\nx\r\n" },
		{ "tab\there\n", "tab\there\r\n" },
	};
	char	*s, *line, *long_in;
	size_t	 i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = qp(cases[i].in);
		ck_assert_msg(strcmp(s, cases[i].want) == 0, "%s -> %s",
		    cases[i].in, s);
		free(s);
	}
	/* A long line of accents: soft breaks, lines of 76 at most, never
	 * inside an =XX. */
	long_in = calloc(1, 401);
	for (i = 0; i < 200; i += 2)
		memcpy(long_in + i, "\xc3\xa9", 2);
	memset(long_in + 200, 'a', 199);
	s = qp(long_in);
	for (line = s; *line != '\0'; line += n + 2) {
		n = strcspn(line, "\r");
		ck_assert_msg(n <= 76, "a line of %zu", n);
		ck_assert(line[n + 1] == '\n');
		if (line[n + 2] != '\0')
			ck_assert_msg(line[n - 1] == '=', "a hard break inside");
		ck_assert_msg(n < 3 || line[n - 2] != '=' || line[n - 1] == '=',
		    "an =XX cut");
	}
	free(s);
	free(long_in);
}
END_TEST

/* The text of encoded word 'w' ("=?UTF-8?B?...?="), NUL-terminated. */
static char *
word_text(const char *w, size_t len)
{
	char	*out = calloc(1, len);
	ssize_t	 n;

	ck_assert_msg(len > 12 && strncmp(w, "=?UTF-8?B?", 10) == 0 &&
	    strncmp(w + len - 2, "?=", 2) == 0, "not a word: %.*s", (int)len,
	    w);
	n = b64_decode(w + 10, len - 12, out, len);
	ck_assert(n >= 0);
	out[n] = '\0';
	return (out);
}

START_TEST(test_encoded_words)
{
	struct buf	 b;
	json_t		*utf8;
	const char	*p, *e;
	char		*t, *all;
	const char	*subject = "Montgenèvre : le délai de réponse à votre "
	    "demande est prolongé — ééééééééééééééééééééééééééééééé";

	buf_init(&b);
	mail_header(&b, "Subject", "Plain ASCII subject", 0);
	ck_assert_str_eq(b.data, "Subject: Plain ASCII subject\r\n");
	buf_reset(&b);
	/* A display name with a comma must not be taken for two. */
	mail_header(&b, "From", "Saint-Jean, Mairie", 1);
	ck_assert_msg(strncmp(b.data, "From: =?UTF-8?B?", 16) == 0, "%s",
	    b.data);
	buf_reset(&b);
	mail_header(&b, "Subject", "=?UTF-8?B?eA==?=", 0);
	ck_assert_msg(strstr(b.data, "eA==") == NULL, "a word passed as is");
	buf_reset(&b);
	mail_header(&b, "Subject", subject, 0);
	/* Words of 75 at most, folded, each whole UTF-8: together the text. */
	all = strdup("");
	for (p = b.data + strlen("Subject: "); *p != '\0'; p = e) {
		if (*p == '\r') {
			ck_assert(strncmp(p, "\r\n", 2) == 0);
			p += 2;
			if (*p == '\0')
				break;
			ck_assert(*p == ' ');
			p++;
		}
		e = strstr(p, "?=") + 2;
		ck_assert_msg(e - p <= 75, "a word of %zd", e - p);
		t = word_text(p, (size_t)(e - p));
		utf8 = json_string(t);
		ck_assert_msg(utf8 != NULL, "a word cuts a character");
		json_decref(utf8);
		all = realloc(all, strlen(all) + strlen(t) + 1);
		strcat(all, t);
		free(t);
	}
	ck_assert_str_eq(all, subject);
	free(all);
	buf_cleanup(&b);
}
END_TEST

START_TEST(test_compose)
{
	struct mail_msg	 m = {
		.id = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
		.from_name = "Montgenèvre", .from = "noreply@mairie.test",
		.to = "lea@example.fr",
		.subject = "Bonjour\r\nBcc: victim@example.com",
		.body = "Ligne 1\nLigne 2\n", .lang = LANG_IT,
		.date = 1797755400LL * 1000000,	/* 2026-12-20T08:30:00Z */
	};
	char		*msg, date[40];
	size_t		 len;

	mail_date(m.date, date, sizeof(date));
	ck_assert_str_eq(date, "Sun, 20 Dec 2026 08:30:00 +0000");
	msg = mail_compose(&m, &len);
	ck_assert_uint_eq(len, strlen(msg));
	ck_assert_msg(strstr(msg, "Date: Sun, 20 Dec 2026 08:30:00 +0000\r\n")
	    == msg, "%s", msg);
	ck_assert(strstr(msg, "\r\nFrom: =?UTF-8?B?TW9udGdlbsOodnJl?= "
	    "<noreply@mairie.test>\r\n") != NULL);
	ck_assert(strstr(msg, "\r\nTo: lea@example.fr\r\n") != NULL);
	ck_assert(strstr(msg, "\r\nMessage-ID: <0b1c2d3e-4f5a-4b6c-8d7e-"
	    "9f0a1b2c3d4e@mairie.test>\r\n") != NULL);
	ck_assert(strstr(msg, "\r\nContent-Language: it\r\n") != NULL);
	ck_assert(strstr(msg, "\r\nAuto-Submitted: auto-generated\r\n\r\n"
	    "Ligne 1\r\nLigne 2\r\n") != NULL);
	free(msg);
	/* An internationalised domain in its ASCII form, as in the envelope. */
	m.to = "lea@exämple.fr";
	msg = mail_compose(&m, &len);
	ck_assert(strstr(msg, "\r\nTo: lea@xn--exmple-cua.fr\r\n") != NULL);
	free(msg);
	m.to = "léa@example.fr";
	msg = mail_compose(&m, &len);
	ck_assert(strstr(msg, "\r\nTo: léa@example.fr\r\n") != NULL);
	/* The subject stays one header: no Bcc slipped in. */
	ck_assert(strstr(msg, "\r\nBcc:") == NULL);
	ck_assert(strstr(msg, "\r\nSubject: Bonjour  Bcc: victim@example.com"
	    "\r\n") != NULL);
	free(msg);
}
END_TEST

/* Every template a module declares exists, in every language. */
START_TEST(test_templates_of_every_module)
{
	const struct module	*m;
	const struct mail_text	*t;
	char			*dir, *mdir, err[512], name[256], tmp[512];
	char			 path[1024], *text;
	DIR			*d;
	struct dirent		*de;
	size_t			 i, j, n = 0;
	int			 l;

	if ((dir = unit_src("templates")) == NULL)
		return;
	app_routes_install();
	ck_assert_msg(mail_templates_load(dir, err, sizeof(err)) == 0, "%s",
	    err);
	for (i = 0; i < module_count(); i++) {
		m = module_at(i);
		for (j = 0; j < m->ntemplates; j++, n++)
			for (l = 0; l < LANG__COUNT; l++) {
				t = mail_template(m->templates[j].name, l);
				ck_assert_ptr_nonnull(t);
				ck_assert_msg(strstr(t->subject, "{{url") ==
				    NULL && strstr(t->subject, "{{token") ==
				    NULL, "%s: a link in the subject",
				    m->templates[j].name);
			}
	}
	ck_assert_uint_ge(n, 7);
	/* No file that nothing declares (a typo, a template left behind). */
	mdir = unit_src("templates/mail");
	ck_assert_ptr_nonnull(d = opendir(mdir));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "%s", de->d_name);
		ck_assert_msg(strrchr(name, '.') != NULL, "%s", name);
		ck_assert_msg(strcmp(strrchr(name, '.'), ".fr") == 0 ||
		    strcmp(strrchr(name, '.'), ".en") == 0 ||
		    strcmp(strrchr(name, '.'), ".it") == 0, "%s: not fr, en or "
		    "it", name);
		*strrchr(name, '.') = '\0';
		ck_assert_msg(module_template_find(name) != NULL,
		    "templates/mail/%s: no module declares %s", de->d_name,
		    name);
	}
	closedir(d);

	/* One language missing: the load fails and names the file. */
	unit_mkdir(tmp, sizeof(tmp), "mailtpl");
	snprintf(path, sizeof(path), "%s/mail", tmp);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	for (i = 0; i < module_count(); i++) {
		m = module_at(i);
		for (j = 0; j < m->ntemplates; j++)
			for (l = 0; l < LANG__COUNT; l++) {
				snprintf(path, sizeof(path), "%s/%s.%s",
				    mdir, m->templates[j].name,
				    lang_code((enum lang)l));
				text = unit_read(path, NULL);
				snprintf(path, sizeof(path), "%s/mail/%s.%s",
				    tmp, m->templates[j].name,
				    lang_code((enum lang)l));
				if (strcmp(m->templates[j].name,
				    "restriction_lift") != 0 || l != LANG_IT)
					unit_write(path, text, 0644);
				free(text);
			}
	}
	ck_assert_int_eq(mail_templates_load(tmp, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "restriction_lift.it") != NULL, "%s", err);
	unit_rmdir(tmp);
	free(mdir);
	free(dir);
}
END_TEST

START_TEST(test_mail_settings)
{
	static const char *const bad[][2] = {
		{ "smtp_url", "http://relay.example.org" },
		{ "smtp_url", "smtp://" },
		{ "smtp_url", "smtp://relay example" },
		{ "smtp_starttls", "yes" },
		{ "mail_from", "noreply" },
		{ "mail_from", "Mairie <noreply@example.fr>" },
		{ "mail_from", "noré@example.fr" },
		{ "mail_from", "a@b@c" },
		{ "mail_batch", "0" },
		{ "mail_retry_base", "0" },
	};
	static const char *const good[][2] = {
		{ "smtp_url", "" },
		{ "smtp_url", "smtp://127.0.0.1:2525" },
		{ "smtp_url", "smtps://relay.example.org" },
		{ "smtp_starttls", "try" },
		{ "mail_from", "noreply@mairie.example.fr" },
	};
	struct conf		 c;
	struct conf_error	 e;
	size_t			 i;

	conf_init(&c);
	ck_assert_str_eq(c.smtp_url, "");
	ck_assert_str_eq(c.smtp_starttls, "required");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(conf_set(&c, bad[i][0], bad[i][1], "test", &e) ==
		    -1, "%s = %s accepted", bad[i][0], bad[i][1]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(conf_set(&c, good[i][0], good[i][1], "test", &e) ==
		    0, "%s", e.msg);
	conf_cleanup(&c);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_render,
	&test_text_parse,
	&test_quoted_printable,
	&test_encoded_words,
	&test_compose,
	&test_templates_of_every_module,
	&test_mail_settings,
	NULL
};

const struct test_group test_groups[] = {
	{ "mail", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
