/*
 * t4001-procedures: the catalogue of procedures (src/procedures) against
 * a real guichetd and PostgreSQL, on the demo town:
 *  - the demo's procedures load (guichetctl demo), with their
 *    deadlines, implicit decisions and grants, in three languages;
 *  - guichetctl procedures export prints what import reads back to
 *    nothing new; a changed definition makes a new version and the old
 *    one stays; an invalid file imports nothing;
 *  - the public catalogue and procedures: localized, filtered, paged,
 *    404 and 400; served from the cache, revalidated with the ETag,
 *    and changed at once when the catalogue changes;
 *  - administrators add procedures, make versions (the old ones stay,
 *    the same definition makes none), retire and restore them; an
 *    invalid definition is a 422 with one error per problem; nobody
 *    else may; the public catalogue shows their change at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idlib.h"

#define NELEM_T(a)	(sizeof(a) / sizeof((a)[0]))

/* Export, import back: unchanged; a change: a new version, the old kept. */
START_TEST(test_ctl_export_import_versions)
{
	struct idenv	 e;
	char		*out = NULL, *err = NULL, *path, *changed;
	json_t		*def;

	idl_start_new(&e, NULL);
	ck_assert_int_eq(idl_ctl_words(&e, &out, &err, "procedures", "export",
	    "stationnement_resident", NULL), 0);
	path = idl_scratch("resident.json", out);
	def = json_loads(out, 0, NULL);
	ck_assert_msg(json_is_object(def), "export: %s", out);
	free(out);
	free(err);
	ck_assert_int_eq(idl_ctl_words(&e, &out, &err, "procedures", "import", path,
	    NULL), 0);
	ck_assert_msg(strstr(out, "stationnement_resident: version 1 "
	    "(unchanged)") != NULL, "import of the export: %s", out);
	free(out);
	free(err);
	free(path);
	/* A longer deadline: version 2; version 1 stays as it was. */
	json_object_set_new(def, "deadline_days", json_integer(75));
	changed = json_dumps(def, 0);
	path = idl_scratch("resident2.json", changed);
	ck_assert_int_eq(idl_ctl_words(&e, &out, &err, "procedures", "import", path,
	    NULL), 0);
	ck_assert_msg(strstr(out, "version 2 (new version)") != NULL, "%s",
	    out);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT deadline_days FROM "
	    "procedures.versions WHERE code = 'stationnement_resident' AND "
	    "version = 1"), 60);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT deadline_days FROM "
	    "procedures.catalogue WHERE code = 'stationnement_resident' AND "
	    "current"), 75);
	free(out);
	free(err);
	/* The export of all is an array that holds the change. */
	ck_assert_int_eq(idl_ctl_words(&e, &out, &err, "procedures", "export", NULL), 0);
	ck_assert_msg(out[0] == '[' && strstr(out, "\"deadline_days\": 75") !=
	    NULL, "%s", out);
	free(out);
	free(err);
	free(path);
	free(changed);
	json_decref(def);
	idl_stop(&e);
}
END_TEST

/* One invalid definition in a file: nothing of the file is imported. */
START_TEST(test_ctl_import_invalid)
{
	struct idenv	 e;
	char		*out = NULL, *err = NULL, *path, *text;
	json_t		*def, *bad, *all;

	idl_start_new(&e, NULL);
	ck_assert_int_eq(idl_ctl_words(&e, &out, &err, "procedures", "export",
	    "stationnement_resident", NULL), 0);
	def = json_loads(out, 0, NULL);
	free(out);
	free(err);
	json_object_set_new(def, "code", json_string("nouvelle"));
	bad = json_deep_copy(def);
	json_object_set_new(bad, "code", json_string("autre"));
	json_object_set_new(bad, "department", json_string("piscine"));
	json_object_set_new(bad, "theme", json_string("N1"));
	all = json_pack("[O, o]", def, bad);
	text = json_dumps(all, 0);
	path = idl_scratch("invalid.json", text);
	ck_assert_int_ne(idl_ctl_words(&e, &out, &err, "procedures", "import", path,
	    NULL), 0);
	ck_assert_msg(strstr(err, "/department: unknown") != NULL &&
	    strstr(err, "/theme: unknown") != NULL &&
	    strstr(err, "nothing imported") != NULL, "%s", err);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "procedures.procedures WHERE code IN ('nouvelle', 'autre')"), 0);
	free(out);
	free(err);
	free(path);
	free(text);
	json_decref(all);
	json_decref(def);
	idl_stop(&e);
}
END_TEST


#define LIST		"/api/v1/procedures"
#define RESIDENT	"/api/v1/procedures/stationnement_resident"
#define ADMIN		"/api/v1/admin/procedures"
#define HITS		"guichet_cache_requests_total{result=\"hit\"}"

/* GET 'path' with Accept-Language 'lang' (NULL: none): the status, *r. */
static long
get_lang(const struct idenv *e, const char *path, const char *lang,
    struct http_resp *r)
{
	char		*al = lang != NULL ? harness_printf("Accept-Language: %s",
			    lang) : NULL;
	const char	*h[2] = { al, NULL };
	long		 st;

	st = idl_reqh(e, "GET", path, h, NULL, r);
	free(al);
	return (st);
}

/* The codes of a page's items, space-separated (caller frees). */
static char *
codes_of(const json_t *page)
{
	json_t	*it;
	size_t	 i;
	char	*s = strdup(""), *t;

	json_array_foreach(json_object_get(page, "items"), i, it) {
		t = harness_printf("%s%s%s", s, i > 0 ? " " : "",
		    idl_jstr(it, "code"));
		free(s);
		s = t;
	}
	return (s);
}

/* The word 'w' is one of the space-separated words of 's'. */
static int
has_word(const char *s, const char *w)
{
	const char	*p = s;
	size_t		 n = strlen(w);

	while ((p = strstr(p, w)) != NULL) {
		if ((p == s || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
			return (1);
		p += n;
	}
	return (0);
}

/* GET the catalogue at 'path': its codes (caller frees); 200 asserted. */
static char *
list_codes(const struct idenv *e, const char *path)
{
	struct http_resp r;
	json_t		*j;
	char		*codes;

	ck_assert_msg(get_lang(e, path, NULL, &r) == 200, "GET %s: %ld %s",
	    path, r.status, r.body);
	j = harness_json(&r);
	codes = codes_of(j);
	json_decref(j);
	http_resp_free(&r);
	return (codes);
}

/* A definition to POST: the demo's resident permit under another code. */
static json_t *
definition(struct idenv *e, const char *code)
{
	char	*out = NULL, *err = NULL;
	json_t	*d;

	ck_assert_int_eq(idl_ctl_words(e, &out, &err, "procedures", "export",
	    "stationnement_resident", NULL), 0);
	d = json_loads(out, 0, NULL);
	ck_assert(d != NULL);
	json_object_set_new(d, "code", json_string(code));
	free(out);
	free(err);
	return (d);
}

/*
 * The demo's procedures are there, made by the demo, with their deadlines,
 * implicit decisions and grants (the unit test test_procedures_form
 * checks their forms); a second demo changes nothing.
 */
START_TEST(test_demo_procedures_load)
{
	static const struct {
		const char	*code;
		const char	*department;
		int		 deadline;
		const char	*implicit;	/* "" for none */
		const char	*grants;	/* kind, or "" */
	} want[] = {
		{ "stationnement_resident", "police_municipale", 60,
		  "acceptance", "" },
		{ "stationnement_saisonnier", "police_municipale", 60,
		  "rejection", "" },
		{ "logement_saisonnier", "mairie", 60, "rejection", "" },
		{ "terrasse", "mairie", 60, "rejection", "" },
		{ "manifestation", "mairie", 60, "rejection", "" },
		{ "encombrants", "services_techniques", 60, "rejection", "" },
		{ "acte_etat_civil", "mairie", 10, "", "" },
		{ "forfait_resident", "remontees_mecaniques", 60, "rejection",
		  "resident" },
		{ "forfait_saisonnier", "remontees_mecaniques", 60,
		  "rejection", "seasonal_worker" },
		{ "forfait_residence_secondaire", "remontees_mecaniques", 60,
		  "rejection", "secondary_resident" },
	};
	struct idenv	 e;
	char		*out = NULL, *err = NULL;
	size_t		 i;

	idl_start_new(&e, NULL);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "procedures.procedures WHERE active"), NELEM_T(want));
	for (i = 0; i < NELEM_T(want); i++)
		ck_assert_msg(idl_sql_count(&e, "SELECT count(*) FROM "
		    "procedures.catalogue WHERE code = '%s' AND version = 1 "
		    "AND current AND department = '%s' AND deadline_days = %d "
		    "AND coalesce(implicit, '') = '%s' AND "
		    "coalesce(grants->>'kind', '') = '%s' AND "
		    "coalesce(grants->>'season', '2026-2027') = '2026-2027' "
		    "AND retention_years > 0 AND legal_basis <> ''",
		    want[i].code, want[i].department, want[i].deadline,
		    want[i].implicit, want[i].grants) == 1, "demo procedure "
		    "%s is not as it should be", want[i].code);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "procedures.versions WHERE source <> 'demo'"), 0);
	/* A second demo changes nothing. */
	ck_assert_int_eq(idl_ctl_words(&e, &out, &err, "demo", NULL), 0);
	ck_assert_msg(strstr(out, " 0 created, 0 changed, 10 unchanged") !=
	    NULL, "a second demo: %s", out);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "procedures.versions WHERE version > 1"), 0);
	free(out);
	free(err);
	idl_stop(&e);
}
END_TEST

/* Every demo procedure answers in the three languages, each its own. */
START_TEST(test_demo_procedures_languages)
{
	static const char *const langs[] = { "fr", "en", "it" };
	struct idenv	 e;
	struct http_resp r;
	json_t		*page, *it, *j;
	const char	*code;
	char		*path, *title[3];
	size_t		 i;
	int		 l;

	idl_start_new(&e, NULL);
	ck_assert_int_eq(get_lang(&e, LIST "?limit=100", NULL, &r), 200);
	page = harness_json(&r);
	http_resp_free(&r);
	ck_assert_uint_eq(json_array_size(json_object_get(page, "items")), 10);
	json_array_foreach(json_object_get(page, "items"), i, it) {
		code = idl_jstr(it, "code");
		path = harness_printf("/api/v1/procedures/%s", code);
		for (l = 0; l < 3; l++) {
			ck_assert_int_eq(get_lang(&e, path, langs[l], &r), 200);
			j = harness_json(&r);
			title[l] = strdup(idl_jstr(j, "title"));
			ck_assert_msg(json_array_size(json_object_get(j,
			    "form")) >= 3, "%s: a form of %zu fields", code,
			    json_array_size(json_object_get(j, "form")));
			json_decref(j);
			http_resp_free(&r);
		}
		ck_assert_msg(strcmp(title[0], title[1]) != 0 &&
		    strcmp(title[1], title[2]) != 0, "%s: %s / %s / %s", code,
		    title[0], title[1], title[2]);
		for (l = 0; l < 3; l++)
			free(title[l]);
		free(path);
	}
	json_decref(page);
	idl_stop(&e);
}
END_TEST

/* The catalogue: public, localized, filtered, in pages. */
START_TEST(test_public_list)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j, *it;
	const json_t	*found = NULL;
	char		*codes, *path, *all, *seen;
	const char	*next;
	size_t		 i;

	idl_start_new(&e, NULL);
	ck_assert_int_eq(get_lang(&e, LIST, "it", &r), 200);
	ck_assert_str_eq(http_resp_header(&r, "Content-Language"), "it");
	ck_assert(http_resp_header(&r, "ETag") != NULL);
	ck_assert_str_eq(http_resp_header(&r, "Cache-Control"),
	    "public, no-cache");
	j = harness_json(&r);
	json_array_foreach(json_object_get(j, "items"), i, it)
		if (strcmp(idl_jstr(it, "code"), "stationnement_resident") == 0)
			found = it;
	ck_assert_msg(found != NULL, "%s", r.body);
	idl_assert_strs(found, "title", "Permesso di sosta per residenti",
	    "department", "police_municipale", "theme", "N19812",
	    "theme_title", "Trasporti - Mobilità", "implicit", "acceptance",
	    NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(found,
	    "deadline_days")), 60);
	json_decref(j);
	http_resp_free(&r);
	/* Filters. */
	all = list_codes(&e, LIST "?limit=100");
	codes = list_codes(&e, LIST "?profile_kind=tourist&limit=100");
	ck_assert_msg(!has_word(codes, "stationnement_resident"), "%s", codes);
	free(codes);
	codes = list_codes(&e, LIST "?profile_kind=secondary_resident&"
	    "department=police_municipale&theme=N19812");
	ck_assert_msg(has_word(codes, "stationnement_resident"), "%s", codes);
	free(codes);
	codes = list_codes(&e, LIST "?department=mairie&theme=N19812");
	ck_assert_msg(!has_word(codes, "stationnement_resident"), "%s", codes);
	free(codes);
	ck_assert_int_eq(idl_status(&e, "GET", LIST "?profile_kind=alien",
	    NULL, NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET", LIST "?theme=19812", NULL,
	    NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET", LIST "?department=Mairie",
	    NULL, NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET", LIST "?cursor=abc", NULL,
	    NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET", LIST "?limit=0", NULL, NULL),
	    400);
	/* Pages of one: every procedure once, in the order of the whole. */
	seen = strdup("");
	path = strdup(LIST "?limit=1");
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(get_lang(&e, path, NULL, &r), 200);
		j = harness_json(&r);
		ck_assert_uint_le(json_array_size(json_object_get(j, "items")),
		    1);
		codes = codes_of(j);
		free(path);
		path = harness_printf("%s%s%s", seen, *seen != '\0' &&
		    *codes != '\0' ? " " : "", codes);
		free(seen);
		seen = path;
		free(codes);
		next = idl_jstr(j, "next_cursor");
		path = next != NULL ? harness_printf(LIST "?limit=1&cursor=%s",
		    next) : NULL;
		json_decref(j);
		http_resp_free(&r);
		if (path == NULL)
			break;
	}
	ck_assert_str_eq(seen, all);
	free(seen);
	free(all);
	idl_stop(&e);
}
END_TEST

/* One procedure: its form in the caller's language; 404s and 400s. */
START_TEST(test_public_get)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j, *f;
	size_t		 i;
	int		 plate = 0;

	idl_start_new(&e, NULL);
	ck_assert_int_eq(get_lang(&e, RESIDENT, "en", &r), 200);
	ck_assert_str_eq(http_resp_header(&r, "Content-Language"), "en");
	j = harness_json(&r);
	idl_assert_strs(j, "code", "stationnement_resident", "title",
	    "Resident parking permit", "implicit", "acceptance", NULL);
	ck_assert(json_is_true(json_object_get(j, "active")));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), 1);
	ck_assert(idl_jstr(j, "created_at") != NULL);
	json_array_foreach(json_object_get(j, "form"), i, f) {
		ck_assert_msg(json_is_string(json_object_get(f, "label")),
		    "a label not in one language: %s", r.body);
		if (strcmp(idl_jstr(f, "name"), "immatriculation_2") == 0) {
			plate = 1;
			idl_assert_strs(json_object_get(f, "visible_if"),
			    "field", "second_vehicule", NULL);
		}
	}
	ck_assert(plate);
	ck_assert_str_eq(idl_jstr(json_array_get(json_object_get(j,
	    "documents"), 0), "label"), "Proof of address less than three "
	    "months old");
	json_decref(j);
	http_resp_free(&r);
	/* Unknown code, unknown version, bad version. */
	ck_assert_int_eq(idl_req(&e, "GET", "/api/v1/procedures/piscine",
	    NULL, NULL, &r), 404);
	j = harness_assert_problem(&r, 404, NULL, NULL);
	idl_assert_str(j, "code", "procedure_not_found");
	json_decref(j);
	http_resp_free(&r);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/procedures/Bad-Code",
	    NULL, NULL), 404);
	ck_assert_int_eq(idl_req(&e, "GET", RESIDENT "?version=2", NULL, NULL,
	    &r), 404);
	j = harness_assert_problem(&r, 404, NULL, NULL);
	idl_assert_str(j, "code", "procedure_version_not_found");
	json_decref(j);
	http_resp_free(&r);
	ck_assert_int_eq(idl_status(&e, "GET", RESIDENT "?version=0", NULL,
	    NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET", RESIDENT "?version=1x", NULL,
	    NULL), 400);
	ck_assert_int_eq(idl_status(&e, "GET", RESIDENT "?version=1", NULL,
	    NULL), 200);
	idl_stop(&e);
}
END_TEST

/*
 * The list is served from the cache: the second of two reads is a hit
 * (the listener may need a moment to LISTEN after start-up; 5 s).
 */
static void
list_cached(const struct idenv *e)
{
	long	 hits;
	int	 i;

	for (i = 0; i < 50; i++) {
		free(list_codes(e, LIST));
		hits = harness_metric(&e->s, HITS);
		free(list_codes(e, LIST));
		if (harness_metric(&e->s, HITS) == hits + 1)
			return;
		usleep(100 * 1000);
	}
	ck_abort_msg("the list is never served from the cache");
}

/* 'code' leaves the public list within 5 s (the notification): 1. */
static int
leaves_list(const struct idenv *e, const char *code)
{
	char	*codes;
	int	 i, gone = 0;

	for (i = 0; i < 50 && !gone; i++) {
		codes = list_codes(e, LIST);
		gone = !has_word(codes, code);
		free(codes);
		if (!gone)
			usleep(100 * 1000);
	}
	return (gone);
}

/*
 * The catalogue is served from the response cache, revalidated with its
 * ETag (304), and a change of the catalogue shows at once: the NOTIFY of
 * migration 020 drops the cached answers (without it they would stay
 * for CACHE_TTL, 5 minutes).
 */
START_TEST(test_cache_etag_invalidation)
{
	struct idenv	 e;
	struct http_resp r;
	const char	*h[2];
	char		*etag, *inm;
	long		 hits;

	idl_start_new(&e, NULL);
	list_cached(&e);
	hits = harness_metric(&e.s, HITS);
	free(list_codes(&e, RESIDENT));
	free(list_codes(&e, RESIDENT));
	ck_assert_int_eq(harness_metric(&e.s, HITS), hits + 1);
	ck_assert_int_eq(get_lang(&e, LIST, NULL, &r), 200);
	etag = strdup(http_resp_header(&r, "ETag"));
	http_resp_free(&r);
	inm = harness_printf("If-None-Match: %s", etag);
	h[0] = inm;
	h[1] = NULL;
	ck_assert_int_eq(idl_reqh(&e, "GET", LIST, h, NULL, &r), 304);
	ck_assert_uint_eq(r.body_len, 0);
	http_resp_free(&r);
	/* Retired behind the server's back: gone from the list at once. */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE procedures.procedures SET "
	    "active = false WHERE code = 'stationnement_resident'"), 0);
	ck_assert_msg(leaves_list(&e, "stationnement_resident"), "the cached "
	    "catalogue outlived the UPDATE");
	ck_assert_int_eq(idl_reqh(&e, "GET", LIST, h, NULL, &r), 200);
	ck_assert_str_ne(http_resp_header(&r, "ETag"), etag);
	http_resp_free(&r);
	/* The procedure itself says it is retired. */
	ck_assert_int_eq(get_lang(&e, RESIDENT, NULL, &r), 200);
	ck_assert_msg(strstr(r.body, "\"active\":false") != NULL, "%s",
	    r.body);
	http_resp_free(&r);
	free(inm);
	free(etag);
	idl_stop(&e);
}
END_TEST

/* POST, PUT: versions; the old one stays; PUT of the same: no version. */
START_TEST(test_admin_versions)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*d, *j;
	char		*at, *body;
	long		 st;
	int		 i;

	at = idl_start_admin(&e, NULL);
	d = definition(&e, "stationnement_test");
	body = json_dumps(d, 0);
	ck_assert_int_eq(idl_req(&e, "POST", ADMIN, at, body, &r), 201);
	free(body);
	ck_assert_str_eq(http_resp_header(&r, "Location"),
	    ADMIN "/stationnement_test");
	j = harness_json(&r);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), 1);
	ck_assert(json_is_true(json_object_get(j, "active")));
	ck_assert_uint_eq(json_array_size(json_object_get(j, "versions")), 1);
	json_decref(j);
	http_resp_free(&r);
	/* Again: it exists. */
	json_decref(idl_sendj(&e, "POST", ADMIN, at, json_incref(d), &st));
	ck_assert_int_eq(st, 409);
	/* A new deadline: version 2. */
	json_object_set_new(d, "deadline_days", json_integer(30));
	j = idl_sendj(&e, "PUT", ADMIN "/stationnement_test", at,
	    json_incref(d), &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), 2);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "versions")), 2);
	json_decref(j);
	/* The same again: no version 3. */
	j = idl_sendj(&e, "PUT", ADMIN "/stationnement_test", at,
	    json_incref(d), &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), 2);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "procedures.versions WHERE code = 'stationnement_test'"), 2);
	/* Version 1 as it was, publicly and for administrators. */
	j = idl_reqj(&e, "GET", "/api/v1/procedures/stationnement_test"
	    "?version=1", NULL, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "deadline_days")), 60);
	ck_assert(json_is_false(json_object_get(j, "active")));
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "current_version")), 2);
	json_decref(j);
	j = idl_reqj(&e, "GET", ADMIN "/stationnement_test?version=1", at,
	    NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "deadline_days")), 60);
	ck_assert(json_is_object(json_object_get(j, "title")));
	json_decref(j);
	ck_assert_int_eq(idl_status(&e, "GET", ADMIN "/stationnement_test"
	    "?version=3", at, NULL), 404);
	/* The path's code is the body's; PUT does not create. */
	json_decref(idl_sendj(&e, "PUT", ADMIN "/stationnement_resident", at,
	    json_incref(d), &st));
	ck_assert_int_eq(st, 422);
	json_object_set_new(d, "code", json_string("inconnue"));
	json_decref(idl_sendj(&e, "PUT", ADMIN "/inconnue", at,
	    json_incref(d), &st));
	ck_assert_int_eq(st, 404);
	/* Retire, restore. */
	for (i = 0; i < 2; i++) {
		j = idl_sendj(&e, "PATCH", ADMIN "/stationnement_test", at,
		    json_pack("{s:b}", "active", i), &st);
		ck_assert_int_eq(st, 200);
		ck_assert_int_eq(json_is_true(json_object_get(j, "active")), i);
		json_decref(j);
		ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
		    "procedures.catalogue WHERE code = 'stationnement_test' "
		    "AND active"), i);
	}
	json_decref(idl_sendj(&e, "PATCH", ADMIN "/inconnue", at,
	    json_pack("{s:b}", "active", 1), &st));
	ck_assert_int_eq(st, 404);
	/* The list of administrators holds both, with their states. */
	j = idl_reqj(&e, "GET", ADMIN "?limit=100", at, NULL, &st);
	ck_assert_int_eq(st, 200);
	body = codes_of(j);
	ck_assert_msg(has_word(body, "stationnement_test") &&
	    has_word(body, "stationnement_resident"), "admin list: %s", body);
	free(body);
	json_decref(j);
	json_decref(d);
	free(at);
	idl_stop(&e);
}
END_TEST

/* A definition with many problems: 422, one error per problem. */
START_TEST(test_admin_validation)
{
	struct idenv	 e;
	json_t		*d, *j, *form, *err;
	char		*at;
	const char	*want[] = { "/department", "/theme", "/form/1/name",
	    "/form/2/options", "/form/3/pattern", "/form/4/visible_if/field",
	    "/form/5/visible_if/field", NULL };
	long		 st;
	int		 i;

	at = idl_start_admin(&e, NULL);
	d = definition(&e, "mauvaise");
	json_object_set_new(d, "department", json_string("piscine"));
	json_object_set_new(d, "theme", json_string("N42"));
	form = json_loads("["
	    "{\"name\": \"a\", \"type\": \"text\", \"label\": {\"fr\": \"A\", "
	    "\"en\": \"A\", \"it\": \"A\"}},"
	    "{\"name\": \"a\", \"type\": \"text\", \"label\": {\"fr\": \"A\", "
	    "\"en\": \"A\", \"it\": \"A\"}},"
	    "{\"name\": \"b\", \"type\": \"choice\", \"label\": {\"fr\": \"B\", "
	    "\"en\": \"B\", \"it\": \"B\"}},"
	    "{\"name\": \"c\", \"type\": \"text\", \"pattern\": \"[a-\", "
	    "\"label\": {\"fr\": \"C\", \"en\": \"C\", \"it\": \"C\"}},"
	    "{\"name\": \"d\", \"type\": \"text\", \"label\": {\"fr\": \"D\", "
	    "\"en\": \"D\", \"it\": \"D\"}, \"visible_if\": {\"field\": \"e\", "
	    "\"present\": true}},"
	    "{\"name\": \"e\", \"type\": \"text\", \"label\": {\"fr\": \"E\", "
	    "\"en\": \"E\", \"it\": \"E\"}, \"visible_if\": {\"field\": \"z\", "
	    "\"present\": true}}]", 0, NULL);
	ck_assert(form != NULL);
	json_object_set_new(d, "form", form);
	j = idl_sendj_with(&e, "POST", ADMIN, at, "Accept-Language: it",
	    json_incref(d), &st);
	ck_assert_int_eq(st, 422);
	for (i = 0; want[i] != NULL; i++) {
		err = idl_error_for(j, want[i]);
		ck_assert_msg(err != NULL, "no error on %s: %s", want[i],
		    json_dumps(j, 0));
	}
	ck_assert_uint_eq(json_array_size(json_object_get(j, "errors")), 7);
	/* The administrator's account language wins (French). */
	idl_assert_str(idl_error_for(j, "/department"), "message",
	    "aucun service n'a ce code");
	idl_assert_str(idl_error_for(j, "/form/4/visible_if/field"), "code",
	    "forward_reference");
	idl_assert_str(idl_error_for(j, "/form/5/visible_if/field"), "code",
	    "unknown_field");
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "procedures.procedures WHERE code = 'mauvaise'"), 0);
	/* The schema's part: the router's 422. */
	json_object_set_new(d, "deadline_days", json_integer(0));
	json_object_set_new(d, "implicit", json_string("maybe"));
	j = idl_sendj(&e, "POST", ADMIN, at, json_incref(d), &st);
	ck_assert_int_eq(st, 422);
	ck_assert(idl_error_for(j, "/deadline_days") != NULL);
	ck_assert(idl_error_for(j, "/implicit") != NULL);
	json_decref(j);
	json_decref(d);
	free(at);
	idl_stop(&e);
}
END_TEST

/* Administrators only: a resident is 403, nobody 401. */
START_TEST(test_admin_only)
{
	struct idenv	 e;
	char		*at;

	at = idl_start_resident(&e, NULL);
	ck_assert_int_eq(idl_status(&e, "GET", ADMIN, at, NULL), 403);
	ck_assert_int_eq(idl_status(&e, "GET", ADMIN, NULL, NULL), 401);
	ck_assert_int_eq(idl_status(&e, "PATCH", ADMIN
	    "/stationnement_resident", at, "{\"active\": false}"), 403);
	ck_assert_int_eq(idl_status(&e, "PATCH", ADMIN
	    "/stationnement_resident", NULL, "{\"active\": false}"), 401);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "procedures.procedures WHERE NOT active"), 0);
	free(at);
	idl_stop(&e);
}
END_TEST

/*
 * An administrator's change shows at once in the public catalogue of the
 * process that made it, even before (here: without) the notification of
 * migration 020's triggers: the operation drops its own process's cached
 * answers after the commit.  A guichetctl change reaches the server by
 * the notification.
 */
START_TEST(test_admin_change_drops_cache)
{
	struct idenv	 e;
	char		*at, *codes, *out = NULL, *err = NULL;
	json_t		*j;
	long		 st;

	at = idl_start_admin(&e, NULL);
	list_cached(&e);
	ck_assert_int_eq(idl_sql_exec(&e, "ALTER TABLE procedures.procedures "
	    "DISABLE TRIGGER procedures_cache; ALTER TABLE procedures.versions "
	    "DISABLE TRIGGER versions_cache; ALTER TABLE procedures.themes "
	    "DISABLE TRIGGER themes_cache"), 0);
	/* Retired: gone from the very next list. */
	j = idl_reqj(&e, "PATCH", ADMIN "/stationnement_resident", at,
	    "{\"active\": false}", &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	codes = list_codes(&e, LIST);
	ck_assert_msg(!has_word(codes, "stationnement_resident"), "still "
	    "listed: %s", codes);
	free(codes);
	/* Restored, and a new one: both in the very next list. */
	j = idl_reqj(&e, "PATCH", ADMIN "/stationnement_resident", at,
	    "{\"active\": true}", &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	j = idl_sendj(&e, "POST", ADMIN, at, definition(&e, "cache_neuve"),
	    &st);
	ck_assert_int_eq(st, 201);
	json_decref(j);
	codes = list_codes(&e, LIST);
	ck_assert_msg(has_word(codes, "stationnement_resident") &&
	    has_word(codes, "cache_neuve"), "not listed: %s", codes);
	free(codes);
	/* guichetctl, another process: through the notification. */
	ck_assert_int_eq(idl_sql_exec(&e, "ALTER TABLE procedures.procedures "
	    "ENABLE TRIGGER procedures_cache; ALTER TABLE procedures.versions "
	    "ENABLE TRIGGER versions_cache; ALTER TABLE procedures.themes "
	    "ENABLE TRIGGER themes_cache"), 0);
	free(list_codes(&e, LIST));
	ck_assert_int_eq(idl_ctl_words(&e, &out, &err, "procedures", "retire",
	    "cache_neuve", NULL), 0);
	ck_assert_msg(leaves_list(&e, "cache_neuve"), "retired by guichetctl, "
	    "still listed");
	free(out);
	free(err);
	free(at);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_demo_procedures_load,
	&test_demo_procedures_languages,
	&test_ctl_export_import_versions,
	&test_ctl_import_invalid,
	&test_public_list,
	&test_public_get,
	&test_cache_etag_invalidation,
	&test_admin_versions,
	&test_admin_validation,
	&test_admin_only,
	&test_admin_change_drops_cache,
	NULL
};

const struct test_group test_groups[] = {
	{ "procedures", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL,
	    tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
