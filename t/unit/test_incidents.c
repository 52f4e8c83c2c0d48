/*
 * test_incidents: the incidents module's pure rules: the categories'
 * attribute values against their Open311 datatypes (string, number,
 * datetime, text, singlevaluelist, multivaluelist; required; unknown
 * attributes), the transition table, the bounds of a WGS84 position.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "incidents/incidents_int.h"
#include "unit.h"

static const char defs_json[] =
    "[{\"code\": \"size\", \"datatype\": \"singlevaluelist\", "
    "\"values\": [{\"key\": \"small\"}, {\"key\": \"large\"}]}, "
    "{\"code\": \"when\", \"datatype\": \"multivaluelist\", \"required\": "
    "true, \"values\": [{\"key\": \"day\"}, {\"key\": \"night\"}]}, "
    "{\"code\": \"depth\", \"datatype\": \"number\"}, "
    "{\"code\": \"since\", \"datatype\": \"datetime\"}, "
    "{\"code\": \"pole\", \"datatype\": \"string\"}, "
    "{\"code\": \"details\", \"datatype\": \"text\"}]";

/* The errors of 'values' (JSON text), as "field:code" joined by spaces. */
static char *
check(const char *values)
{
	json_t	*defs, *v, *errors, *e;
	char	*out;
	size_t	 i, n, len = 0;

	defs = json_loads(defs_json, 0, NULL);
	ck_assert_ptr_nonnull(defs);
	v = values != NULL ? json_loads(values, 0, NULL) : NULL;
	ck_assert(values == NULL || v != NULL);
	errors = json_array();
	n = incidents_check_attributes(defs, v, LANG_EN, errors);
	ck_assert_uint_eq(n, json_array_size(errors));
	out = calloc(1, 1024);
	json_array_foreach(errors, i, e)
		len += (size_t)snprintf(out + len, 1024 - len, "%s%s:%s",
		    i > 0 ? " " : "", json_string_value(json_object_get(e,
		    "field")), json_string_value(json_object_get(e, "code")));
	json_decref(errors);
	json_decref(v);
	json_decref(defs);
	return (out);
}

static void
expect(const char *values, const char *want)
{
	char	*got = check(values);

	ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s', want '%s'",
	    values != NULL ? values : "(none)", got, want);
	free(got);
}

START_TEST(test_attributes_valid)
{
	expect("{\"when\": [\"night\"]}", "");
	expect("{\"when\": [\"day\", \"night\"], \"size\": \"large\", "
	    "\"depth\": 35.5, \"since\": \"2026-12-20T08:30:00Z\", "
	    "\"pole\": \"L-12\", \"details\": \"near the lift\"}", "");
}
END_TEST

START_TEST(test_attributes_required)
{
	expect(NULL, "/attributes/when:required");
	expect("{}", "/attributes/when:required");
	expect("{\"when\": null}", "/attributes/when:required");
}
END_TEST

START_TEST(test_attributes_types)
{
	expect("{\"when\": [\"day\"], \"depth\": \"35\"}",
	    "/attributes/depth:type");
	expect("{\"when\": [\"day\"], \"pole\": 12}", "/attributes/pole:type");
	expect("{\"when\": [\"day\"], \"since\": \"yesterday\"}",
	    "/attributes/since:format");
	expect("{\"when\": \"day\"}", "/attributes/when:type");
	expect("{\"when\": []}", "/attributes/when:type");
}
END_TEST

START_TEST(test_attributes_lists)
{
	expect("{\"when\": [\"day\", \"dusk\"]}", "/attributes/when:one_of");
	expect("{\"when\": [\"day\"], \"size\": \"huge\"}",
	    "/attributes/size:one_of");
	expect("{\"when\": [\"day\"], \"size\": [\"small\"]}",
	    "/attributes/size:type");
}
END_TEST

START_TEST(test_attributes_unknown_and_long)
{
	char	*big, *v;

	expect("{\"when\": [\"day\"], \"colour\": \"red\"}",
	    "/attributes/colour:unknown");
	big = calloc(1, 4100);
	memset(big, 'a', 4001);
	v = calloc(1, 4200);
	snprintf(v, 4200, "{\"when\": [\"day\"], \"details\": \"%s\"}", big);
	expect(v, "/attributes/details:max_length");
	big[201] = '\0';
	snprintf(v, 4200, "{\"when\": [\"day\"], \"pole\": \"%s\"}", big);
	expect(v, "/attributes/pole:max_length");
	snprintf(v, 4200, "{\"when\": [\"day\"], \"details\": \"%s\"}", big);
	expect(v, "");
	free(big);
	free(v);
}
END_TEST

START_TEST(test_transitions)
{
	ck_assert(incidents_move_allowed("open", "acknowledged"));
	ck_assert(incidents_move_allowed("acknowledged", "in_progress"));
	ck_assert(incidents_move_allowed("in_progress", "resolved"));
	ck_assert(incidents_move_allowed("open", "closed"));
	ck_assert(incidents_move_allowed("in_progress", "closed"));
	ck_assert(!incidents_move_allowed("resolved", "open"));
	ck_assert(!incidents_move_allowed("closed", "open"));
	ck_assert(!incidents_move_allowed("resolved", "closed"));
	ck_assert(!incidents_move_allowed("in_progress", "acknowledged"));
	ck_assert(!incidents_move_allowed("open", "open"));
	ck_assert(!incidents_move_allowed("open", "bogus"));
}
END_TEST

START_TEST(test_positions)
{
	ck_assert(incidents_lonlat_ok(6.72, 44.93));
	ck_assert(incidents_lonlat_ok(-180.0, -90.0));
	ck_assert(incidents_lonlat_ok(180.0, 90.0));
	ck_assert(!incidents_lonlat_ok(180.01, 0.0));
	ck_assert(!incidents_lonlat_ok(0.0, -90.5));
}
END_TEST

static const TTest *const *const tests[] = {
	&test_attributes_valid,
	&test_attributes_required,
	&test_attributes_types,
	&test_attributes_lists,
	&test_attributes_unknown_and_long,
	&test_transitions,
	&test_positions,
	NULL
};

const struct test_group test_groups[] = {
	{ "incidents", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
