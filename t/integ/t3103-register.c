/*
 * t3103-register: the register of processing activities (Art. 30) at
 * GET /api/v1/privacy/register is public and consistent
 * with the database that drives erasure and retention: every category a
 * column's pii: tag names is in it and covered by a purpose, and its
 * categories are exactly privacy.categories with the same erasure
 * strategy and retention; the demo town's purposes are there with their
 * legal basis and recipients; texts follow Accept-Language; an ETag lets
 * clients revalidate, and a change in the database shows at once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idlib.h"

#define REGISTER	"/api/v1/privacy/register"

/* GET the register with Accept-Language 'lang' (NULL: none); 200 asserted. */
static json_t *
get_register(const struct idenv *e, const char *lang, struct http_resp *out)
{
	struct http_resp r;
	const char	*h[2] = { NULL, NULL };
	char		*al = NULL;
	json_t		*j;

	if (lang != NULL) {
		al = harness_printf("Accept-Language: %s", lang);
		h[0] = al;
	}
	idl_reqh(e, "GET", REGISTER, h, NULL, &r);
	ck_assert_msg(r.status == 200, "GET " REGISTER ": %ld %s", r.status,
	    r.body != NULL ? r.body : "");
	j = harness_json(&r);
	ck_assert_msg(json_is_object(j), "the register is not a JSON object");
	free(al);
	if (out != NULL)
		*out = r;
	else
		http_resp_free(&r);
	return (j);
}

static const json_t *
find(const json_t *reg, const char *list, const char *code)
{
	json_t	*it;
	size_t	 i;

	json_array_foreach(json_object_get(reg, list), i, it) {
		if (idl_jstr(it, "code") != NULL &&
		    strcmp(idl_jstr(it, "code"), code) == 0)
			return (it);
	}
	return (NULL);
}

static int
array_has(const json_t *a, const char *s)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(a, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return (1);
	}
	return (0);
}

/* Does some purpose of the register process category 'code'? */
static int
purpose_covers(const json_t *reg, const char *code)
{
	json_t	*p;
	size_t	 i;

	json_array_foreach(json_object_get(reg, "purposes"), i, p) {
		if (array_has(json_object_get(p, "categories"), code))
			return (1);
	}
	return (0);
}

START_TEST(test_register_is_public)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j, *c;
	char		*town, *d;

	idl_start_new(&e, NULL);
	j = get_register(&e, NULL, &r);
	d = harness_dump(j);
	ck_assert_msg(strncmp(http_resp_header(&r, "Content-Type"),
	    "application/json", 16) == 0, "content type %s",
	    http_resp_header(&r, "Content-Type"));
	ck_assert_msg(http_resp_header(&r, "Content-Language") != NULL &&
	    strcmp(http_resp_header(&r, "Content-Language"), "fr") == 0,
	    "Content-Language without Accept-Language: %s",
	    http_resp_header(&r, "Content-Language"));
	ck_assert_msg(http_resp_header(&r, "ETag") != NULL, "no ETag");
	ck_assert_msg(http_resp_header(&r, "Cache-Control") != NULL &&
	    strstr(http_resp_header(&r, "Cache-Control"), "public") != NULL,
	    "Cache-Control %s", http_resp_header(&r, "Cache-Control"));
	harness_assert_std_headers(&r);
	/* The controller is the town of ops.town. */
	town = idl_sql(&e, "SELECT name FROM ops.town");
	c = json_object_get(j, "controller");
	ck_assert_msg(town != NULL && idl_jstr(c, "name") != NULL &&
	    strcmp(idl_jstr(c, "name"), town) == 0 &&
	    idl_jstr(c, "insee_code") != NULL, "controller: %s", d);
	ck_assert_msg(json_array_size(json_object_get(j, "purposes")) > 0 &&
	    json_array_size(json_object_get(j, "categories")) > 0 &&
	    json_array_size(json_object_get(j, "security_measures")) > 0,
	    "an empty section: %s", d);
	ck_assert_msg(idl_jstr(json_array_get(json_object_get(j,
	    "security_measures"), 0), "description") != NULL,
	    "security measures without a description: %s", d);
	free(town);
	free(d);
	json_decref(j);
	http_resp_free(&r);
	idl_stop(&e);
}
END_TEST

/* The register's categories are privacy.categories, both ways. */
START_TEST(test_register_categories_are_the_table)
{
	struct idenv	 e;
	json_t		*j, *c, *ret;
	size_t		 i;
	long		 n;
	char		*d;

	idl_start_new(&e, NULL);
	j = get_register(&e, NULL, NULL);
	d = harness_dump(j);
	n = idl_sql_count(&e, "SELECT count(*) FROM privacy.categories");
	ck_assert_msg((size_t)n == json_array_size(json_object_get(j,
	    "categories")), "%ld categories in the table, %zu in the register",
	    n, json_array_size(json_object_get(j, "categories")));
	json_array_foreach(json_object_get(j, "categories"), i, c) {
		ret = json_object_get(c, "retention");
		ck_assert_msg(idl_jstr(c, "code") != NULL &&
		    idl_jstr(c, "erasure") != NULL &&
		    idl_jstr(c, "description") != NULL &&
		    idl_jstr(ret, "period") != NULL &&
		    idl_jstr(ret, "from") != NULL &&
		    idl_jstr(ret, "from_description") != NULL,
		    "category %zu incomplete: %s", i, d);
		ck_assert_msg(idl_sql_count(&e, "SELECT count(*) FROM "
		    "privacy.categories WHERE code = '%s' AND erasure = '%s' "
		    "AND retention = '%s'::interval AND retention_from = '%s'",
		    idl_jstr(c, "code"), idl_jstr(c, "erasure"),
		    idl_jstr(ret, "period"), idl_jstr(ret, "from")) == 1,
		    "category %s: the register differs from "
		    "privacy.categories: %s", idl_jstr(c, "code"), d);
	}
	free(d);
	json_decref(j);
	idl_stop(&e);
}
END_TEST

/* Every category a column holds is declared and has a purpose. */
START_TEST(test_register_covers_tagged_columns)
{
	struct idenv	 e;
	json_t		*j, *p, *cat;
	char		*used, *tok, *save = NULL, *d;
	size_t		 i, k;
	int		 seen = 0;

	idl_start_new(&e, NULL);
	j = get_register(&e, NULL, NULL);
	d = harness_dump(j);
	used = idl_sql(&e, "SELECT string_agg(DISTINCT substring(description "
	    "FROM '^pii:([a-z][a-z0-9_]*)'), ',') FROM pg_description "
	    "WHERE objsubid > 0 AND description ~ '^pii:'");
	ck_assert_msg(used != NULL, "no column is tagged pii:");
	for (tok = strtok_r(used, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		seen++;
		ck_assert_msg(find(j, "categories", tok) != NULL, "category %s "
		    "of a column is not in the register: %s", tok, d);
		ck_assert_msg(purpose_covers(j, tok), "category %s of a column "
		    "is processed for no purpose of the register: %s", tok, d);
	}
	ck_assert_msg(seen >= 5, "only %d categories in the column tags", seen);
	/* And every category a purpose names is described. */
	json_array_foreach(json_object_get(j, "purposes"), i, p) {
		json_array_foreach(json_object_get(p, "categories"), k, cat) {
			ck_assert_msg(find(j, "categories",
			    json_string_value(cat)) != NULL, "purpose %s names "
			    "category %s, not described: %s",
			    idl_jstr(p, "code"), json_string_value(cat), d);
		}
	}
	free(used);
	free(d);
	json_decref(j);
	idl_stop(&e);
}
END_TEST

START_TEST(test_register_demo_purposes)
{
	static const struct {
		const char	*code;
		const char	*basis;		/* "a|b": either */
		int		 optional;
	} want[] = {
		{ "service", "public_task", 0 },
		{ "case_notifications", "public_task|contract", 0 },
		{ "newsletter", "consent", 1 },
		{ "visitor_statistics", "consent", 1 },
		{ "lift_pass_sharing", "consent", 1 },
	};
	struct idenv	 e;
	const json_t	*p, *r;
	json_t		*j;
	const char	*b;
	size_t		 i, k;
	int		 lift = 0;
	char		*d;

	idl_start_new(&e, NULL);
	j = get_register(&e, NULL, NULL);
	d = harness_dump(j);
	ck_assert_msg(json_array_size(json_object_get(j, "purposes")) ==
	    (size_t)idl_sql_count(&e, "SELECT count(*) FROM privacy.purposes"),
	    "the register does not list every purpose: %s", d);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		p = find(j, "purposes", want[i].code);
		ck_assert_msg(p != NULL, "no purpose %s: %s", want[i].code, d);
		b = idl_jstr(p, "legal_basis");
		ck_assert_msg(b != NULL && strstr(want[i].basis, b) != NULL,
		    "purpose %s: legal basis %s: %s", want[i].code, b, d);
		ck_assert_msg(json_is_boolean(json_object_get(p, "optional")) &&
		    json_is_true(json_object_get(p, "optional")) ==
		    want[i].optional, "purpose %s: optional: %s",
		    want[i].code, d);
		ck_assert_msg(json_integer_value(json_object_get(p, "version"))
		    >= 1 && json_array_size(json_object_get(p, "categories"))
		    >= 1 && json_is_array(json_object_get(p, "recipients")) &&
		    idl_jstr(p, "retention") != NULL &&
		    idl_jstr(p, "retention")[0] != '\0' &&
		    idl_jstr(p, "title") != NULL &&
		    idl_jstr(p, "description") != NULL,
		    "purpose %s incomplete: %s", want[i].code, d);
	}
	p = find(j, "purposes", "lift_pass_sharing");
	json_array_foreach(json_object_get(p, "recipients"), k, r) {
		if (strcmp(idl_jstr(r, "code"), "lift_operator") == 0 &&
		    strcmp(idl_jstr(r, "kind"), "third_party") == 0 &&
		    idl_jstr(r, "name") != NULL)
			lift = 1;
	}
	ck_assert_msg(lift, "lift_pass_sharing without the lift operator as "
	    "recipient: %s", d);
	free(d);
	json_decref(j);
	idl_stop(&e);
}
END_TEST

START_TEST(test_register_languages)
{
	static const char *const langs[] = { "fr", "en", "it" };
	struct idenv	 e;
	struct http_resp r;
	json_t		*j;
	char		*title[3], *sql_title, *catd[3];
	const json_t	*p;
	int		 i;

	idl_start_new(&e, NULL);
	for (i = 0; i < 3; i++) {
		j = get_register(&e, i == 0 ? "de, fr;q=0.5" : langs[i], &r);
		ck_assert_msg(strcmp(http_resp_header(&r, "Content-Language"),
		    langs[i]) == 0 && strcmp(idl_jstr(j, "language"),
		    langs[i]) == 0, "asked %s, got %s", langs[i],
		    http_resp_header(&r, "Content-Language"));
		ck_assert_msg(http_resp_header(&r, "Vary") != NULL &&
		    strstr(http_resp_header(&r, "Vary"), "Accept-Language") !=
		    NULL, "no Vary: Accept-Language");
		p = find(j, "purposes", "newsletter");
		ck_assert(p != NULL && idl_jstr(p, "title") != NULL);
		title[i] = strdup(idl_jstr(p, "title"));
		sql_title = idl_sql(&e, "SELECT title_%s FROM privacy.purposes "
		    "WHERE code = 'newsletter'", langs[i]);
		ck_assert_msg(sql_title != NULL && strcmp(sql_title,
		    title[i]) == 0, "%s title %s, the table says %s", langs[i],
		    title[i], sql_title);
		free(sql_title);
		p = find(j, "categories", "contact");
		ck_assert(p != NULL && idl_jstr(p, "description") != NULL);
		catd[i] = strdup(idl_jstr(p, "description"));
		json_decref(j);
		http_resp_free(&r);
	}
	ck_assert_msg(strcmp(title[0], title[1]) != 0 &&
	    strcmp(title[1], title[2]) != 0 && strcmp(title[0], title[2]) != 0,
	    "the titles are not translated: %s / %s / %s", title[0], title[1],
	    title[2]);
	ck_assert_msg(strcmp(catd[0], catd[1]) != 0 &&
	    strcmp(catd[1], catd[2]) != 0, "the categories are not "
	    "translated: %s / %s / %s", catd[0], catd[1], catd[2]);
	for (i = 0; i < 3; i++) {
		free(title[i]);
		free(catd[i]);
	}
	idl_stop(&e);
}
END_TEST

/*
 * Revalidation with the ETag; a change in the database shows as soon as
 * its notification reaches guichetd (the register is cached: cache.h).
 */
START_TEST(test_register_etag_and_changes)
{
	struct idenv	 e;
	struct http_resp r, r2;
	json_t		*j;
	const char	*h[2];
	char		*etag, *inm;
	int		 i;

	idl_start_new(&e, NULL);
	j = get_register(&e, NULL, &r);
	etag = strdup(http_resp_header(&r, "ETag"));
	json_decref(j);
	http_resp_free(&r);
	inm = harness_printf("If-None-Match: %s", etag);
	h[0] = inm;
	h[1] = NULL;
	idl_reqh(&e, "GET", REGISTER, h, NULL, &r2);
	ck_assert_msg(r2.status == 304 && r2.body_len == 0, "revalidation: "
	    "%ld", r2.status);
	ck_assert_msg(http_resp_header(&r2, "ETag") != NULL &&
	    strcmp(http_resp_header(&r2, "ETag"), etag) == 0, "304 without "
	    "the ETag");
	http_resp_free(&r2);
	idl_purpose_add(&e, "civil_registry", "legal_obligation");
	for (i = 0; i < 50; i++) {
		idl_reqh(&e, "GET", REGISTER, h, NULL, &r2);
		if (r2.status != 304)
			break;
		http_resp_free(&r2);
		usleep(100 * 1000);
	}
	ck_assert_msg(r2.status == 200, "the register did not change with the "
	    "database within 5 s: %ld", r2.status);
	j = harness_json(&r2);
	ck_assert_msg(find(j, "purposes", "civil_registry") != NULL,
	    "the new purpose is not in the register");
	ck_assert_msg(strcmp(http_resp_header(&r2, "ETag"), etag) != 0,
	    "same ETag for another register");
	json_decref(j);
	http_resp_free(&r2);
	free(inm);
	free(etag);
	idl_stop(&e);
}
END_TEST

#define HITS	"guichet_cache_requests_total{result=\"hit\"}"
#define DROPS	"guichet_cache_drops_total"

/*
 * The register comes from the response cache once built, per language,
 * byte for byte; an UPDATE of its data drops it in guichetd through the
 * NOTIFY of migration 012 (without which the old text would stay for
 * CACHE_TTL, 5 minutes).
 */
START_TEST(test_register_cached_until_notified)
{
	struct idenv	 e;
	struct http_resp r1, r2;
	json_t		*j;
	long		 hits, drops;
	int		 i, changed = 0;

	idl_start_new(&e, NULL);
	/* The listener may need a moment to LISTEN after start-up. */
	for (i = 0; i < 50; i++) {
		json_decref(get_register(&e, "en", NULL));
		hits = harness_metric(&e.s, HITS);
		json_decref(get_register(&e, "en", NULL));
		if (harness_metric(&e.s, HITS) == hits + 1)
			break;
		usleep(100 * 1000);
	}
	hits = harness_metric(&e.s, HITS);
	j = get_register(&e, "en", &r1);
	json_decref(j);
	j = get_register(&e, "en", &r2);
	json_decref(j);
	ck_assert_int_eq(harness_metric(&e.s, HITS), hits + 2);
	ck_assert_uint_eq(r1.body_len, r2.body_len);
	ck_assert(memcmp(r1.body, r2.body, r1.body_len) == 0);
	ck_assert_str_eq(http_resp_header(&r1, "ETag"),
	    http_resp_header(&r2, "ETag"));
	ck_assert_str_eq(http_resp_header(&r2, "Content-Language"), "en");
	http_resp_free(&r1);
	http_resp_free(&r2);
	/* Another language is another entry: English is not served for it. */
	j = get_register(&e, "it", NULL);
	ck_assert_str_eq(idl_jstr(j, "language"), "it");
	json_decref(j);

	drops = harness_metric(&e.s, DROPS);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE ops.town SET "
	    "name = 'Commune t3103'"), 0);
	for (i = 0; i < 50 && !changed; i++) {
		j = get_register(&e, "en", NULL);
		changed = idl_jstr(json_object_get(j, "controller"), "name") !=
		    NULL && strcmp(idl_jstr(json_object_get(j, "controller"),
		    "name"), "Commune t3103") == 0;
		json_decref(j);
		if (!changed)
			usleep(100 * 1000);
	}
	ck_assert_msg(changed, "the cached register outlived the UPDATE");
	ck_assert_int_gt(harness_metric(&e.s, DROPS), drops);
	idl_stop(&e);
}
END_TEST

/*
 * Signed in, the register is in the account's language, whatever
 * Accept-Language says, and marked private (a shared cache must not hand
 * it to someone else); anonymous, it is public.
 */
START_TEST(test_register_signed_in_is_private)
{
	struct idenv	 e;
	struct http_resp r;
	const char	*h[3];
	char		*at, *auth;
	json_t		*j;

	idl_start_new(&e, NULL);
	j = get_register(&e, "en", &r);
	ck_assert_str_eq(http_resp_header(&r, "Cache-Control"),
	    "public, no-cache");
	json_decref(j);
	http_resp_free(&r);
	at = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE identity.accounts SET "
	    "locale = 'it' WHERE id = '%s'", idl_demo.resident_id), 0);
	auth = harness_printf("Authorization: Bearer %s", at);
	h[0] = auth;
	h[1] = "Accept-Language: en";
	h[2] = NULL;
	/* The locale reaches guichetd by NOTIFY: wait for it. */
	for (int i = 0; i < 50; i++) {
		idl_reqh(&e, "GET", REGISTER, h, NULL, &r);
		if (strcmp(http_resp_header(&r, "Content-Language"), "it") == 0)
			break;
		http_resp_free(&r);
		usleep(100 * 1000);
	}
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(http_resp_header(&r, "Content-Language"), "it");
	ck_assert_str_eq(http_resp_header(&r, "Cache-Control"),
	    "private, no-cache");
	http_resp_free(&r);
	free(auth);
	free(at);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_register_is_public,
	&test_register_categories_are_the_table,
	&test_register_covers_tagged_columns,
	&test_register_demo_purposes,
	&test_register_languages,
	&test_register_etag_and_changes,
	&test_register_cached_until_notified,
	&test_register_signed_in_is_private,
	NULL
};

const struct test_group test_groups[] = {
	{ "register", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
