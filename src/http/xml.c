/*
 * xml.c: JSON values as XML (xml.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/log.h"
#include "http/reply.h"
#include "http/xml.h"

void
xml_escape(struct buf *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&apos;");
			break;
		case '\t':
		case '\n':
		case '\r':
			buf_addc(b, (char)*p);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				/* Not an XML 1.0 character (0x7f is legal but
				 * invisible and a classic injection vector). */
				buf_adds(b, "\xef\xbf\xbd");
			} else if (p[0] == 0xef && p[1] == 0xbf &&
			    (p[2] == 0xbe || p[2] == 0xbf)) {
				/* U+FFFE and U+FFFF are not XML characters. */
				buf_adds(b, "\xef\xbf\xbd");
				p += 2;
			} else
				buf_addc(b, (char)*p);
		}
	}
}

static int
name_ok(const char *s)
{
	size_t	 i;

	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') ||
	    s[0] == '_'))
		return (0);
	for (i = 1; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-' || s[i] == '.'))
			return (0);
	/* Names starting with "xml" are reserved (XML 1.0, 2.3). */
	return (strncasecmp(s, "xml", 3) != 0);
}

static const char *
singular_of(const struct xml_plural *t, const char *plural)
{
	for (; t != NULL && t->plural != NULL; t++)
		if (strcmp(t->plural, plural) == 0)
			return (t->singular);
	return (NULL);
}

static int	element(struct buf *, const char *, const json_t *,
		    const struct xml_plural *, int, const char **);

/* The content of element 'name' holding 'v'. */
static int
content(struct buf *b, const char *name, const json_t *v,
    const struct xml_plural *t, int depth, const char **why)
{
	const char	*k, *item;
	json_t		*m;
	size_t		 i;
	char		*s;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach((json_t *)(uintptr_t)v, k, m)
			if (element(b, k, m, t, depth + 1, why) == -1)
				return (-1);
		return (0);
	case JSON_ARRAY:
		if ((item = singular_of(t, name)) == NULL) {
			*why = "an array without an item name";
			return (-1);
		}
		json_array_foreach(v, i, m)
			if (element(b, item, m, t, depth + 1, why) == -1)
				return (-1);
		return (0);
	case JSON_STRING:
		xml_escape(b, json_string_value(v));
		return (0);
	case JSON_INTEGER:
	case JSON_REAL:
		/* 15 digits: a decimal value as given, not a double's 17. */
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
		if (s == NULL)
			abort();
		buf_adds(b, s);
		free(s);
		return (0);
	case JSON_TRUE:
		buf_adds(b, "true");
		return (0);
	case JSON_FALSE:
		buf_adds(b, "false");
		return (0);
	case JSON_NULL:
		return (0);
	}
	return (0);
}

static int
element(struct buf *b, const char *name, const json_t *v,
    const struct xml_plural *t, int depth, const char **why)
{
	if (depth > XML_DEPTH_MAX) {
		*why = "nested too deep";
		return (-1);
	}
	if (!name_ok(name)) {
		*why = "a member name that is not an XML name";
		return (-1);
	}
	buf_addc(b, '<');
	buf_adds(b, name);
	buf_addc(b, '>');
	if (content(b, name, v, t, depth, why) == -1)
		return (-1);
	buf_adds(b, "</");
	buf_adds(b, name);
	buf_addc(b, '>');
	return (0);
}

int
xml_from_json(struct buf *b, const char *root, const json_t *v,
    const struct xml_plural *t, const char **why)
{
	buf_adds(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
	return (element(b, root, v, t, 0, why));
}

void
reply_xml(struct request *req, int status, json_t *v, const char *root,
    const struct xml_plural *t)
{
	struct buf	 b;
	const char	*why = NULL;

	buf_init(&b);
	if (xml_from_json(&b, root, v, t, &why) == -1) {
		log_warnx("request %s: no XML for <%s>: %s", req->id, root, why);
		reply_error(req, HTTP_ERR(HE_INTERNAL));
	} else
		reply_bytes(req, status, CT_XML, b.data, b.len);
	buf_cleanup(&b);
	json_decref(v);
}
