/*
 * test_xml: JSON values as XML (src/http/xml.c): escaping, names, arrays,
 * and the Open311 GeoReport v2 examples (t/data/open311): each valid JSON
 * example mapped to XML is the spec's XML example.
 */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "http/xml.h"
#include "unit.h"

static const struct xml_plural open311[] = {
	{ "services", "service" },
	{ "service_requests", "request" },
	{ "attributes", "attribute" },
	{ "values", "value" },
	{ "endpoints", "endpoint" },
	{ "formats", "format" },
	{ "errors", "error" },
	{ NULL, NULL },
};

/* The XML of 'json' under 'root', or NULL with *why. */
static char *
map(const char *json, const char *root, const char **why)
{
	struct buf	 b;
	json_t		*v;
	char		*out;
	size_t		 n;

	v = json_loads(json, JSON_DECODE_ANY, NULL);
	ck_assert_msg(v != NULL, "bad JSON in the test: %s", json);
	buf_init(&b);
	if (xml_from_json(&b, root, v, open311, why) == -1) {
		buf_cleanup(&b);
		json_decref(v);
		return (NULL);
	}
	json_decref(v);
	out = buf_detach(&b, &n);
	return (out);
}

#define DECL	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"

START_TEST(test_xml_escape)
{
	struct buf	 b;

	buf_init(&b);
	xml_escape(&b, "a<b>&\"c\" 'd' é 🚡\ttab\nnl");
	ck_assert_str_eq(b.data, "a&lt;b&gt;&amp;&quot;c&quot; &apos;d&apos; "
	    "é 🚡\ttab\nnl");
	buf_reset(&b);
	/* C0 controls but tab, LF, CR are not XML 1.0 characters. */
	xml_escape(&b, "x\x01y\x1fz\x7f");
	ck_assert_str_eq(b.data, "x\xef\xbf\xbdy\xef\xbf\xbdz\xef\xbf\xbd");
	buf_reset(&b);
	/* Nor are U+FFFE and U+FFFF; U+FFFD and U+FFFC pass. */
	xml_escape(&b, "a" "\xef\xbf\xbe" "b" "\xef\xbf\xbf" "c"
	    "\xef\xbf\xbd" "\xef\xbf\xbc");
	ck_assert_str_eq(b.data, "a" "\xef\xbf\xbd" "b" "\xef\xbf\xbd" "c"
	    "\xef\xbf\xbd" "\xef\xbf\xbc");
	buf_cleanup(&b);
}
END_TEST

START_TEST(test_xml_scalars_and_order)
{
	const char	*why = NULL;
	char		*x;

	x = map("{\"b\": \"1 < 2\", \"a\": 2.5, \"n\": null, \"t\": true, "
	    "\"f\": false, \"i\": -7}", "thing", &why);
	ck_assert_msg(x != NULL, "%s", why);
	/* Members in the order of the object, not sorted. */
	ck_assert_str_eq(x, DECL "<thing><b>1 &lt; 2</b><a>2.5</a><n></n>"
	    "<t>true</t><f>false</f><i>-7</i></thing>");
	free(x);
}
END_TEST

START_TEST(test_xml_arrays)
{
	const char	*why = NULL;
	char		*x;

	x = map("[{\"service_code\": \"a\"}, {\"service_code\": \"b\"}]",
	    "services", &why);
	ck_assert_msg(x != NULL, "%s", why);
	ck_assert_str_eq(x, DECL "<services><service><service_code>a"
	    "</service_code></service><service><service_code>b</service_code>"
	    "</service></services>");
	free(x);
	x = map("[]", "services", &why);
	ck_assert_str_eq(x, DECL "<services></services>");
	free(x);
	/* An array whose items have no name: refused, not guessed. */
	ck_assert_ptr_null(map("{\"keywords\": [\"a\"]}", "service", &why));
	ck_assert_str_eq(why, "an array without an item name");
}
END_TEST

START_TEST(test_xml_names)
{
	static const char *const bad[] = {
	    "{\"1st\": 1}", "{\"a b\": 1}", "{\"a<b\": 1}", "{\"\": 1}",
	    "{\"xmlns\": 1}", "{\"é\": 1}", "{\"a:b\": 1}", NULL };
	const char	*why = NULL;
	char		*x;
	int		 i;

	for (i = 0; bad[i] != NULL; i++) {
		why = NULL;
		ck_assert_msg(map(bad[i], "r", &why) == NULL, "%s accepted",
		    bad[i]);
		ck_assert_str_eq(why, "a member name that is not an XML name");
	}
	x = map("{\"_a-b.c9\": 1}", "r", &why);
	ck_assert_ptr_nonnull(x);
	free(x);
	ck_assert_ptr_null(map("{}", "bad root", &why));
}
END_TEST

START_TEST(test_xml_depth)
{
	struct buf	 b;
	json_t		*v, *o;
	const char	*why = NULL;
	int		 i;

	v = o = json_object();
	for (i = 0; i < XML_DEPTH_MAX + 2; i++) {
		json_t	*c = json_object();

		json_object_set_new(o, "a", c);
		o = c;
	}
	buf_init(&b);
	ck_assert_int_eq(xml_from_json(&b, "r", v, open311, &why), -1);
	ck_assert_str_eq(why, "nested too deep");
	buf_cleanup(&b);
	json_decref(v);
}
END_TEST

/*
 * XML without what does not change its meaning here: whitespace between
 * elements and around text, <x/> for <x></x>, the encoding's case.
 */
static char *
canonical(const char *in)
{
	struct buf	 b;
	const char	*p = in, *e, *t;
	char		*out;
	size_t		 n;

	buf_init(&b);
	while (*p != '\0') {
		if (*p == '<') {
			e = strchr(p, '>');
			ck_assert_ptr_nonnull(e);
			if (e > p + 1 && e[-1] == '/' && p[1] != '?') {
				/* <name/> -> <name></name> */
				buf_add(&b, p, (size_t)(e - 1 - p));
				buf_adds(&b, "></");
				buf_add(&b, p + 1, (size_t)(e - 2 - p));
				buf_addc(&b, '>');
			} else
				buf_add(&b, p, (size_t)(e + 1 - p));
			p = e + 1;
			continue;
		}
		/* Text: trimmed. */
		e = strchr(p, '<');
		if (e == NULL)
			e = p + strlen(p);
		t = p;
		while (t < e && isspace((unsigned char)*t))
			t++;
		while (e > t && isspace((unsigned char)e[-1]))
			e--;
		buf_add(&b, t, (size_t)(e - t));
		p = strchr(t, '<') != NULL ? strchr(t, '<') : t + strlen(t);
	}
	out = buf_detach(&b, &n);
	for (char *q = out; (q = strstr(q, "encoding=\"UTF-8\"")) != NULL; )
		memcpy(q, "encoding=\"utf-8\"", 16);
	return (out);
}

static char *
slurp(const char *name)
{
	char	 rel[256], *path, *out;

	snprintf(rel, sizeof(rel), "t/data/open311/%s", name);
	path = unit_src(rel);
	ck_assert_msg(path != NULL, "GUICHET_TEST_SRCDIR is not set");
	out = unit_read(path, NULL);
	free(path);
	return (out);
}

static const struct {
	const char	*name;
	const char	*root;
} examples[] = {
	{ "discovery", "discovery" },
	{ "service-definition", "service_definition" },
	{ "request-from-token", "service_requests" },
	{ "service-request-post", "service_requests" },
};

START_TEST(test_xml_open311_examples)
{
	const char	*why;
	char		 jn[64], xn[64], *json, *xml, *got, *a, *b;
	size_t		 i;

	for (i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		snprintf(jn, sizeof(jn), "json-%s.json", examples[i].name);
		snprintf(xn, sizeof(xn), "xml-%s.xml", examples[i].name);
		json = slurp(jn);
		xml = slurp(xn);
		why = NULL;
		got = map(json, examples[i].root, &why);
		ck_assert_msg(got != NULL, "%s: %s", jn, why);
		a = canonical(got);
		b = canonical(xml);
		ck_assert_msg(strcmp(a, b) == 0,
		    "%s as XML:\n%s\nthe spec's %s:\n%s", jn, a, xn, b);
		free(a);
		free(b);
		free(got);
		free(json);
		free(xml);
	}
}
END_TEST

/* One list written by xml_list in both formats. */
static char *
list_of(int xml, int n)
{
	struct xml_list	 w;
	struct buf	 b;
	size_t		 len;
	int		 i;

	buf_init(&b);
	xml_list_begin(&w, &b, xml, "service_requests", "request");
	for (i = 0; i < n; i++) {
		xml_list_item(&w);
		xml_list_str(&w, "service_request_id", i == 0 ? "a1" : "b2");
		xml_list_str(&w, "description", "<trou> & \"bosse\" 'x'\t\n"
		    "\x01\x7f é \xef\xbf\xbf\\");
		xml_list_str(&w, "address", NULL);
		/* Exact in binary: jansson writes them the same way. */
		xml_list_real(&w, "lat", "44.5");
		xml_list_real(&w, "long", i == 0 ? "6" : "-0.125");
		xml_list_real(&w, "zipcode", NULL);
	}
	xml_list_end(&w);
	return (buf_detach(&b, &len));
}

/* xml_list writes the XML xml_from_json() makes of its own JSON. */
START_TEST(test_xml_list)
{
	const char	*why = NULL;
	char		*json, *xml, *mapped;
	json_t		*v;
	int		 n;

	for (n = 0; n <= 2; n++) {
		json = list_of(0, n);
		xml = list_of(1, n);
		v = json_loads(json, 0, NULL);
		ck_assert_msg(json_is_array(v), "not a JSON array: %s", json);
		ck_assert_int_eq(json_array_size(v), n);
		if (n > 0) {
			/* Reals stay reals, nulls are nulls. */
			ck_assert(json_is_real(json_object_get(
			    json_array_get(v, 0), "long")));
			ck_assert(json_is_null(json_object_get(
			    json_array_get(v, 0), "zipcode")));
		}
		json_decref(v);
		mapped = map(json, "service_requests", &why);
		ck_assert_msg(mapped != NULL, "%s", why);
		if (n == 0)
			ck_assert_str_eq(xml, DECL
			    "<service_requests></service_requests>");
		else
			/* The numbers as their text, "6" as 6.0. */
			ck_assert_ptr_nonnull(strstr(xml,
			    "<lat>44.5</lat><long>6.0</long>"));
		ck_assert_str_eq(xml, mapped);
		free(json);
		free(xml);
		free(mapped);
	}
}
END_TEST

static const TTest *const *const tests[] = {
	&test_xml_escape,
	&test_xml_scalars_and_order,
	&test_xml_arrays,
	&test_xml_names,
	&test_xml_depth,
	&test_xml_open311_examples,
	&test_xml_list,
	NULL
};

const struct test_group test_groups[] = {
	{ "xml", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
