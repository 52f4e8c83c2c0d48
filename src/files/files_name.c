/*
 * files_name.c: files' names.  The original name is data (the person's,
 * tagged pii:attachment), kept as sent when it is text; what a download
 * is called is made from it here, so that no name a person typed can
 * inject a header, name a path, hide its real extension or pass for a
 * hidden file (files_int.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/xmalloc.h"
#include "files/files.h"
#include "files/files_int.h"

#define SAFE_CHARS_MAX	100	/* characters of a download's name */

/*
 * The code point at 's' and its length in bytes (*n); -1 for a byte that
 * starts no valid UTF-8 sequence (overlong forms, surrogates and code
 * points past U+10FFFF included).
 */
static int32_t
utf8_next(const unsigned char *s, size_t *n)
{
	int32_t		 cp, min;
	size_t		 need, i;

	if (s[0] < 0x80) {
		*n = 1;
		return (s[0]);
	}
	if ((s[0] & 0xe0) == 0xc0) {
		need = 1;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		need = 2;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		need = 3;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return (-1);
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (-1);
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (-1);
	*n = need + 1;
	return (cp);
}

/* C0 and C1 controls, DEL, and the characters that reorder text. */
static int
invisible(int32_t cp)
{
	return (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
	    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff);
}

int
files_name_ok(const char *name)
{
	const unsigned char	*s = (const unsigned char *)name;
	size_t			 n, len = strlen(name);
	int32_t			 cp;

	if (len == 0 || len > FILES_NAME_MAX)
		return (0);
	while (*s != '\0') {
		if ((cp = utf8_next(s, &n)) == -1 || cp < 0x20 ||
		    (cp >= 0x7f && cp < 0xa0))
			return (0);
		s += n;
	}
	return (1);
}

/* The extensions of a type: the first is the one added. */
static const struct {
	const char	*type;
	const char	*ext[3];
} extensions[] = {
	{ "application/pdf", { "pdf", NULL, NULL } },
	{ "image/jpeg", { "jpg", "jpeg", NULL } },
	{ "image/png", { "png", NULL, NULL } },
	{ "text/plain", { "txt", NULL, NULL } },
};

static const char *const *
extensions_of(const char *type)
{
	size_t	 i;

	for (i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++)
		if (strcmp(extensions[i].type, type) == 0)
			return (extensions[i].ext);
	return (NULL);
}

void
files_safe_name(const char *name, const char *type, char *out, size_t len)
{
	const unsigned char	*s;
	const char *const	*ext = extensions_of(type);
	const char		*dot, *base;
	struct buf		 b;
	size_t			 n, chars = 0, i;
	int32_t			 cp;

	buf_init(&b);
	if (name == NULL)
		name = "";
	/* The last component of any path, Unix or Windows. */
	base = name;
	for (s = (const unsigned char *)name; *s != '\0'; s++)
		if (*s == '/' || *s == '\\')
			base = (const char *)s + 1;
	for (s = (const unsigned char *)base; *s != '\0' &&
	    chars < SAFE_CHARS_MAX; s += n) {
		if ((cp = utf8_next(s, &n)) == -1) {
			n = 1;
			continue;
		}
		if (invisible(cp))
			continue;
		/* Leading dots and spaces: no hidden file, no "..". */
		if ((cp == '.' || cp == ' ') && b.len == 0)
			continue;
		if (cp < 0x80 && strchr("\"*:<>?|;%", (int)cp) != NULL)
			buf_addc(&b, '_');
		else
			buf_add(&b, s, n);
		chars++;
	}
	while (b.len > 0 && (b.data[b.len - 1] == '.' ||
	    b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	if (b.len == 0)
		buf_adds(&b, "file");
	/* The extension says the type, always. */
	if (ext != NULL) {
		dot = strrchr(b.data, '.');
		for (i = 0; dot != NULL && i < 3 && ext[i] != NULL; i++)
			if (strcasecmp(dot + 1, ext[i]) == 0)
				break;
		if (dot == NULL || i == 3 || ext[i] == NULL)
			buf_addf(&b, ".%s", ext[0]);
	}
	snprintf(out, len, "%s", b.data);
	/* Cut on a character, never inside one. */
	for (n = strlen(out); n > 0 && ((unsigned char)out[n - 1] & 0xc0) ==
	    0x80; n--)
		;
	if (n > 0 && (unsigned char)out[n - 1] >= 0xc0 && utf8_next(
	    (const unsigned char *)out + n - 1, &i) == -1)
		out[n - 1] = '\0';
	buf_cleanup(&b);
}

/* RFC 8187's attr-char: sent as is in filename*; the rest %-encoded. */
static int
attr_char(unsigned char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c) != NULL);
}

void
files_disposition(const char *safe, struct buf *out)
{
	const unsigned char	*s;

	/* The ASCII stand-in for old clients: what is not plain goes. */
	buf_adds(out, "attachment; filename=\"");
	for (s = (const unsigned char *)safe; *s != '\0'; s++)
		if ((*s & 0xc0) != 0x80)	/* one '_' per character */
			buf_addc(out, *s >= 0x20 && *s < 0x7f && *s != '"' &&
			    *s != '\\' && *s != '%' ? (char)*s : '_');
	buf_adds(out, "\"; filename*=UTF-8''");
	for (s = (const unsigned char *)safe; *s != '\0'; s++)
		if (attr_char(*s))
			buf_addc(out, (char)*s);
		else
			buf_addf(out, "%%%02X", *s);
}

/* The value of parameter 'p' of length 'n' (a token or quoted): malloc'ed. */
static char *
param_value(const char *p, size_t n)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b);
	if (n >= 2 && p[0] == '"') {
		if (p[n - 1] != '"')
			goto bad;
		for (i = 1; i < n - 1; i++) {
			if (p[i] == '\\' && i + 1 < n - 1)
				i++;
			else if (p[i] == '"')
				goto bad;
			buf_addc(&b, p[i]);
		}
	} else
		buf_add(&b, p, n);
	return (buf_detach(&b, &n));
bad:
	buf_cleanup(&b);
	return (NULL);
}

/* filename*'s value (RFC 8187: UTF-8''%-encoded), decoded; NULL if bad. */
static char *
ext_value(const char *p, size_t n)
{
	struct buf	 b;
	size_t		 i;
	int		 h, l;

	if (n < 7 || strncasecmp(p, "UTF-8'", 6) != 0)
		return (NULL);
	for (i = 6; i < n && p[i] != '\''; i++)
		;	/* the language tag, ignored */
	if (i == n)
		return (NULL);
	buf_init(&b);
	for (i++; i < n; i++) {
		if (p[i] != '%') {
			/* attr-char, and the visible others clients send. */
			if (p[i] <= ' ' || p[i] > '~' || p[i] == '"' ||
			    p[i] == ';')
				goto bad;
			buf_addc(&b, p[i]);
			continue;
		}
		if (i + 2 >= n || (h = hex_digit(p[i + 1])) == -1 ||
		    (l = hex_digit(p[i + 2])) == -1 || (h == 0 && l == 0))
			goto bad;
		buf_addc(&b, (char)(h << 4 | l));
		i += 2;
	}
	return (buf_detach(&b, &n));
bad:
	buf_cleanup(&b);
	return (NULL);
}

char *
files_disposition_name(const char *v)
{
	char		*plain = NULL, *ext = NULL, *r;
	const char	*k, *e;
	size_t		 kn, vn;
	int		 quoted;

	if (v == NULL)
		return (NULL);
	/* The disposition type, then "; name=value" parameters. */
	v += strcspn(v, ";");
	while (*v == ';') {
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		k = v;
		kn = strcspn(k, "=; \t");
		v = k + kn;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v != '=')
			break;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		/* A quoted value ends at its closing quote. */
		quoted = *v == '"';
		for (e = v + quoted; *e != '\0' && (quoted ? *e != '"' :
		    *e != ';' && *e != ' ' && *e != '\t'); e++)
			if (quoted && *e == '\\' && e[1] != '\0')
				e++;
		if (quoted && *e == '"')
			e++;
		vn = (size_t)(e - v);
		if (kn == 9 && strncasecmp(k, "filename*", 9) == 0 &&
		    ext == NULL)
			ext = ext_value(v, vn);
		else if (kn == 8 && strncasecmp(k, "filename", 8) == 0 &&
		    plain == NULL)
			plain = param_value(v, vn);
		v = e;
		while (*v == ' ' || *v == '\t')
			v++;
	}
	r = ext != NULL ? ext : plain;
	if (r == ext)
		free(plain);
	else
		free(ext);
	if (r != NULL && r[0] == '\0') {
		free(r);
		r = NULL;
	}
	return (r);
}
