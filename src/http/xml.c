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

/*
 * The bytes xml_escape() stops at: the end, the controls, the five
 * markup characters, DEL and the lead byte of U+FFFE and U+FFFF; a table
 * so that a run of plain bytes costs one load and one test each (the
 * comparisons were 5 % of the CPU of an Open311 list in XML).
 */
static const unsigned char xml_special[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1,
	[0x05] = 1, [0x06] = 1, [0x07] = 1, [0x08] = 1, [0x09] = 1,
	[0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1, [0x0e] = 1,
	[0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1,
	[0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1, [0x18] = 1,
	[0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1,
	[0x1e] = 1, [0x1f] = 1, ['&'] = 1, ['<'] = 1, ['>'] = 1, ['"'] = 1,
	['\''] = 1, [0x7f] = 1, [0xef] = 1,
};

void
xml_escape(struct buf *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s, *run = p;
	const char		*rep;

	/* Runs of plain characters are copied at once. */
	for (;; p++) {
		while (!xml_special[*p])
			p++;
		if (*p == '\0')
			break;
		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&apos;";
			break;
		case '\t':
		case '\n':
		case '\r':
			continue;
		case 0xef:
			/* U+FFFE and U+FFFF are not XML characters. */
			if (p[1] != 0xbf || (p[2] != 0xbe && p[2] != 0xbf))
				continue;
			buf_add(b, run, (size_t)(p - run));
			buf_adds(b, "\xef\xbf\xbd");
			p += 2;
			run = p + 1;
			continue;
		default:
			/* Not an XML 1.0 character (0x7f is legal but
			 * invisible and a classic injection vector). */
			rep = "\xef\xbf\xbd";
			break;
		}
		buf_add(b, run, (size_t)(p - run));
		buf_adds(b, rep);
		run = p + 1;
	}
	buf_add(b, run, (size_t)(p - run));
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
xml_list_begin(struct xml_list *w, struct buf *b, int xml, const char *root,
    const char *item)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->xml = xml;
	w->root = root;
	w->item = item;
	if (xml) {
		buf_adds(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<");
		buf_adds(b, root);
		buf_addc(b, '>');
	} else
		buf_addc(b, '[');
}

static void
list_item_end(struct xml_list *w)
{
	if (!w->open)
		return;
	w->open = 0;
	if (w->xml) {
		buf_adds(w->b, "</");
		buf_adds(w->b, w->item);
		buf_addc(w->b, '>');
	} else
		buf_addc(w->b, '}');
}

void
xml_list_item(struct xml_list *w)
{
	list_item_end(w);
	if (w->xml) {
		buf_addc(w->b, '<');
		buf_adds(w->b, w->item);
		buf_addc(w->b, '>');
	} else
		buf_adds(w->b, w->items > 0 ? ",{" : "{");
	w->items++;
	w->members = 0;
	w->open = 1;
}

void
xml_list_one(struct xml_list *w, struct buf *b, int xml, const char *item)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->xml = xml;
	w->item = item;
}

void
xml_list_one_end(struct xml_list *w)
{
	list_item_end(w);
}

/*
 * 'a' (na bytes), 'name' (n bytes) and 'z' (nz bytes) added at once: the
 * tags and keys of the members (20 members of 1000 requests made 120,000
 * small additions and 40,000 strlen()).
 */
static void
add3(struct buf *b, const char *a, size_t na, const char *name, size_t n,
    const char *z, size_t nz)
{
	char	*p;

	buf_grow(b, na + n + nz);
	p = b->data + b->len;
	memcpy(p, a, na);
	memcpy(p + na, name, n);
	memcpy(p + na + n, z, nz);
	b->len += na + n + nz;
	b->data[b->len] = '\0';
}

/* The member 'name' holding 'v' written by 'put' (NULL: null). */
static void
list_member(struct xml_list *w, const char *name, const char *v,
    void (*put)(struct buf *, const char *))
{
	size_t	 n = strlen(name);

	if (w->xml) {
		add3(w->b, "<", 1, name, n, ">", 1);
		if (v != NULL)
			put(w->b, v);
		add3(w->b, "</", 2, name, n, ">", 1);
	} else {
		add3(w->b, w->members > 0 ? ",\"" : "\"", w->members > 0 ?
		    2 : 1, name, n, "\":", 2);
		if (v != NULL)
			put(w->b, v);
		else
			buf_add(w->b, "null", 4);
	}
	w->members++;
}

void
xml_list_str(struct xml_list *w, const char *name, const char *v)
{
	list_member(w, name, v, w->xml ? xml_escape : buf_add_json_str);
}

void
xml_list_real(struct xml_list *w, const char *name, const char *v)
{
	list_member(w, name, v, buf_add_real);
}

void
xml_list_end(struct xml_list *w)
{
	list_item_end(w);
	if (w->xml) {
		buf_adds(w->b, "</");
		buf_adds(w->b, w->root);
		buf_addc(w->b, '>');
	} else
		buf_addc(w->b, ']');
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
