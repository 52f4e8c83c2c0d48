/*
 * mail.c: templates, rendering and the MIME message (mail.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <idn2.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/xmalloc.h"
#include "core/module.h"
#include "ops/mail.h"

/* Templates. */

int
mail_text_parse(const char *text, size_t len, struct mail_text *t,
    char *err, size_t errlen)
{
	static const char	 subj[] = "Subject: ";
	struct buf		 b;
	json_t			*valid;
	char			*s, *nl;
	size_t			 i;

	memset(t, 0, sizeof(*t));
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "a NUL byte");
		return (-1);
	}
	/* jansson checks UTF-8 for us. */
	if ((valid = json_stringn(text, len)) == NULL) {
		snprintf(err, errlen, "not UTF-8");
		return (-1);
	}
	json_decref(valid);
	buf_init(&b);
	for (i = 0; i < len; i++)
		if (!(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
			buf_addc(&b, text[i]);
	s = b.data;
	if (strncmp(s, subj, sizeof(subj) - 1) != 0 ||
	    (nl = strchr(s, '\n')) == NULL || nl[1] != '\n') {
		snprintf(err, errlen, "not 'Subject: ...', a blank line, the "
		    "body");
		buf_cleanup(&b);
		return (-1);
	}
	t->subject = xstrndup(s + sizeof(subj) - 1,
	    (size_t)(nl - s) - (sizeof(subj) - 1));
	t->body = xstrdup(nl + 2);
	buf_cleanup(&b);
	if (t->subject[0] == '\0') {
		snprintf(err, errlen, "an empty subject");
		mail_text_free(t);
		return (-1);
	}
	return (0);
}

void
mail_text_free(struct mail_text *t)
{
	free(t->subject);
	free(t->body);
	memset(t, 0, sizeof(*t));
}

/* The value of path 'p' ('n' bytes, "a.b") in 'v', or NULL. */
static const json_t *
lookup(const json_t *v, const char *p, size_t n)
{
	const char	*dot;
	char		 key[64];
	size_t		 k;

	while (v != NULL && n > 0) {
		dot = memchr(p, '.', n);
		k = dot != NULL ? (size_t)(dot - p) : n;
		if (k == 0 || k >= sizeof(key) || !json_is_object(v))
			return (NULL);
		memcpy(key, p, k);
		key[k] = '\0';
		v = json_object_get(v, key);
		p += k;
		n -= k;
		if (n > 0) {
			p++;
			n--;
			if (n == 0)
				return (NULL);
		}
	}
	return (v);
}

/* The length of a placeholder's name at 's', up to "}}", or 0. */
static size_t
name_len(const char *s)
{
	size_t	 n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");

	return (n > 0 && strncmp(s + n, "}}", 2) == 0 ? n : 0);
}

char *
mail_render(const char *tmpl, const json_t *values, char *missing,
    size_t mlen)
{
	struct buf	 b;
	const json_t	*v;
	const char	*s = tmpl, *open;
	size_t		 n;

	buf_init(&b);
	while ((open = strstr(s, "{{")) != NULL) {
		buf_add(&b, s, (size_t)(open - s));
		if ((n = name_len(open + 2)) == 0) {
			/* Not a placeholder: the text as it is. */
			buf_add(&b, open, 2);
			s = open + 2;
			continue;
		}
		v = lookup(values, open + 2, n);
		if (json_is_string(v))
			buf_add(&b, json_string_value(v), json_string_length(v));
		else if (json_is_integer(v))
			buf_addf(&b, "%lld", (long long)json_integer_value(v));
		else if (json_is_real(v))
			buf_addf(&b, "%g", json_real_value(v));
		else if (!json_is_null(v)) {
			if (missing != NULL)
				snprintf(missing, mlen, "%.*s", (int)n,
				    open + 2);
			buf_cleanup(&b);
			return (NULL);
		}
		s = open + 2 + n + 2;
	}
	buf_adds(&b, s);
	return (buf_detach(&b, NULL));
}

/* The loaded templates: one row per declared template. */
struct loaded {
	const char		*name;
	struct mail_text	 text[LANG__COUNT];
};
static struct loaded	*loaded;
static size_t		 nloaded;

static int
load_one(const char *dir, const char *name, enum lang l,
    struct mail_text *t, char *err, size_t errlen)
{
	char	 path[1024], why[96];
	FILE	*f;
	struct buf b;
	char	 chunk[4096];
	size_t	 n;
	int	 rc;

	snprintf(path, sizeof(path), "%s/mail/%s.%s", dir, name, lang_code(l));
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "mail template %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	rc = mail_text_parse(b.data, b.len, t, why, sizeof(why));
	if (rc == -1)
		snprintf(err, errlen, "mail template %s: %s", path, why);
	buf_cleanup(&b);
	return (rc);
}

int
mail_templates_load(const char *dir, char *err, size_t errlen)
{
	const struct module	*m;
	size_t			 i, j, n = 0;
	int			 l;

	/* Loaded again (the tests): the old ones go. */
	for (i = 0; i < nloaded; i++)
		for (l = 0; l < LANG__COUNT; l++)
			mail_text_free(&loaded[i].text[l]);
	free(loaded);
	nloaded = 0;
	for (i = 0; i < module_count(); i++)
		n += module_at(i)->ntemplates;
	loaded = xcalloc(n > 0 ? n : 1, sizeof(*loaded));
	for (i = 0; i < module_count(); i++) {
		m = module_at(i);
		for (j = 0; j < m->ntemplates; j++) {
			loaded[nloaded].name = m->templates[j].name;
			for (l = 0; l < LANG__COUNT; l++)
				if (load_one(dir, m->templates[j].name,
				    (enum lang)l, &loaded[nloaded].text[l], err,
				    errlen) == -1) {
					while (l-- > 0)
						mail_text_free(
						    &loaded[nloaded].text[l]);
					return (-1);
				}
			nloaded++;
		}
	}
	return (0);
}

const struct mail_text *
mail_template(const char *name, enum lang l)
{
	size_t	 i;

	for (i = 0; i < nloaded; i++)
		if (strcmp(loaded[i].name, name) == 0)
			return (&loaded[i].text[l]);
	return (NULL);
}

/* The message. */

#define QP_LINE	76

static const char	hexd[] = "0123456789ABCDEF";

void
mail_qp(struct buf *b, const char *text)
{
	const unsigned char	*s = (const unsigned char *)text;
	char			 tok[4];
	size_t			 col = 0, tl;
	int			 end;

	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			buf_adds(b, "\r\n");
			col = 0;
			continue;
		}
		end = s[1] == '\n' || s[1] == '\0';
		if ((*s >= 33 && *s <= 126 && *s != '=') ||
		    ((*s == ' ' || *s == '\t') && !end)) {
			tok[0] = (char)*s;
			tl = 1;
		} else {
			tok[0] = '=';
			tok[1] = hexd[*s >> 4];
			tok[2] = hexd[*s & 15];
			tl = 3;
		}
		/* A soft break keeps every line within 76 characters. */
		if (col + tl > QP_LINE - 1 && !(end && col + tl <= QP_LINE)) {
			buf_adds(b, "=\r\n");
			col = 0;
		}
		buf_add(b, tok, tl);
		col += tl;
	}
	if (col > 0)
		buf_adds(b, "\r\n");
}

/* Printable ASCII, and for a display name only atext and spaces. */
static int
plain(const char *v, int phrase)
{
	const unsigned char	*s = (const unsigned char *)v;

	if (strstr(v, "=?") != NULL)
		return (0);
	for (; *s != '\0'; s++) {
		if (*s < 0x20 || *s > 0x7e)
			return (0);
		if (phrase && !(*s == ' ' || (*s >= '0' && *s <= '9') ||
		    (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    strchr("!#$%&'*+-/=?^_`{|}~", *s) != NULL))
			return (0);
	}
	return (1);
}

/* Bytes of UTF-8 per encoded word: 52 base64 characters, 64 in all. */
#define EW_BYTES	39

/* A header's value: as it is, or as encoded words folded onto lines. */
static void
header_value(struct buf *b, size_t used, const char *value, int phrase)
{
	char		 enc[B64_LEN(EW_BYTES) + 1];
	const char	*s;
	size_t		 n, left;

	if (plain(value, phrase) && used + strlen(value) <= 78) {
		buf_adds(b, value);
		return;
	}
	for (s = value, left = strlen(value); left > 0; s += n, left -= n) {
		n = left < EW_BYTES ? left : EW_BYTES;
		/* Never cut a character: back off to its first byte. */
		while (n < left && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		if (n == 0)
			n = left < EW_BYTES ? left : EW_BYTES;
		enc[b64_encode(s, n, enc)] = '\0';
		buf_addf(b, "%s=?UTF-8?B?%s?=", s == value ? "" : "\r\n ", enc);
	}
}

void
mail_header(struct buf *b, const char *name, const char *value, int phrase)
{
	buf_addf(b, "%s: ", name);
	header_value(b, strlen(name) + 2, value, phrase);
	buf_adds(b, "\r\n");
}

void
mail_date(int64_t us, char *out, size_t len)
{
	static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t		 t = (time_t)(us / 1000000);
	struct tm	 tm;

	gmtime_r(&t, &tm);
	snprintf(out, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    day[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* A header value on one line: control characters become spaces. */
static char *
one_line(const char *s)
{
	char	*o = xstrdup(s), *p;

	for (p = o; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return (o);
}

/*
 * The address of the To header: an internationalised domain in its ASCII
 * form, as the envelope has it, so that the header stays 7-bit; a local
 * part that is not ASCII stays UTF-8 (RFC 6532: the relay must take
 * SMTPUTF8, which libcurl asks for).
 */
static char *
header_address(const char *a)
{
	const char	*at = strrchr(a, '@'), *s;
	char		*ascii = NULL, *joined, *out;

	for (s = a; *s != '\0' && (unsigned char)*s < 0x80; s++)
		;
	if (*s == '\0' || at == NULL || idn2_to_ascii_8z(at + 1, &ascii,
	    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK)
		return (one_line(a));
	xasprintf(&joined, "%.*s@%s", (int)(at - a), a, ascii);
	free(ascii);
	out = one_line(joined);
	free(joined);
	return (out);
}

char *
mail_compose(const struct mail_msg *m, size_t *len)
{
	struct buf	 b;
	char		 date[40], *subject, *name, *to;
	const char	*domain = strchr(m->from, '@');

	buf_init(&b);
	mail_date(m->date, date, sizeof(date));
	buf_addf(&b, "Date: %s\r\n", date);
	if (m->from_name != NULL && m->from_name[0] != '\0') {
		name = one_line(m->from_name);
		buf_adds(&b, "From: ");
		header_value(&b, 6, name, 1);
		free(name);
		buf_addf(&b, " <%s>\r\n", m->from);
	} else
		buf_addf(&b, "From: %s\r\n", m->from);
	to = header_address(m->to);
	buf_addf(&b, "To: %s\r\n", to);
	free(to);
	subject = one_line(m->subject);
	mail_header(&b, "Subject", subject, 0);
	free(subject);
	buf_addf(&b, "Message-ID: <%s@%s>\r\n", m->id,
	    domain != NULL ? domain + 1 : "localhost");
	buf_adds(&b, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n");
	buf_addf(&b, "Content-Language: %s\r\n", lang_code(m->lang));
	buf_adds(&b, "Auto-Submitted: auto-generated\r\n\r\n");
	mail_qp(&b, m->body);
	return (buf_detach(&b, len));
}
