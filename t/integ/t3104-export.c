/*
 * t3104-export: access and portability (Art. 15, 20)
 * and the identity and privacy erasure hooks (Art. 17; A5, A6, A8).
 *
 * Person R has a marker in every field it can hold one (name with '<b>',
 * email, phone, employer, street, postcode, city, a queued message),
 * consents given and withdrawn, two sessions, a failed sign-in; person S
 * has other markers.  GET /api/v1/me/export (streamed, chunked) holds
 * every R marker and none of S's, the Art. 15 information, no secret
 * (password hash, single-use link), and validates against
 * the export-schema.json that the build makes from the modules' OpenAPI
 * schemas and guichetd serves (a JSON Schema subset validator below, which
 * refuses keywords it does not know); the portable part holds only
 * categories on consent or contract.  ?format=html escapes every text.
 * The DPO's export needs a reason (?reason= or X-Purpose) and is written
 * to the person's access log; agents and residents are refused.
 * guichetctl privacy export EMAIL prints the same document.  A person
 * with 10,000 consent ledger rows exports in under 2 s (the figure is
 * printed; the aim is under 1 s).
 * The erasure hooks, run by the erasure driver (DELETE /api/v1/me),
 * leave none of R's markers, cut the consent ledger from R (the journal's
 * tombstone, retained with its legal basis and end date), keep the ledger
 * append-only for everything else and leave S untouched.
 */
#include <regex.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idlib.h"

#define GOOD_PASSWORD	"Correct-Horse-Battery-9"
#define CNIL_URL	"https://www.cnil.fr/fr/plaintes"

enum mark {
	M_EMAIL, M_NAME, M_PHONE, M_EMPLOYER, M_STREET, M_POSTCODE, M_CITY,
	M_NOTE, M_SECRET, M__COUNT
};

struct person {
	char	*m[M__COUNT];	/* the markers (M_SECRET must never show) */
	char	*email;
	char	*name;		/* "<b>" + marker */
	char	*phone;
	char	*id;
	char	*token;
};

static void
person_make(struct person *p, const char *tag)
{
	char	*hex;
	size_t	 i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < M__COUNT; i++) {
		hex = idl_marker(12);
		p->m[i] = harness_printf("%s%s", tag, hex);
		free(hex);
	}
	/* The postcode holds at most 10 characters. */
	p->m[M_POSTCODE][10] = '\0';
	/* The phone: digits only (E.164), from another marker. */
	hex = idl_marker(11);
	free(p->m[M_PHONE]);
	for (i = 0; hex[i] != '\0'; i++)
		if (hex[i] >= 'a')
			hex[i] = (char)('0' + (hex[i] - 'a'));
	p->m[M_PHONE] = harness_printf("9%s", hex);
	free(hex);
	p->phone = harness_printf("+3%s", p->m[M_PHONE]);
	p->email = harness_printf("%s@example.test", p->m[M_EMAIL]);
	p->name = harness_printf("<b>%s", p->m[M_NAME]);
}

static void
person_free(struct person *p)
{
	size_t	 i;

	for (i = 0; i < M__COUNT; i++)
		free(p->m[i]);
	free(p->email);
	free(p->name);
	free(p->phone);
	free(p->id);
	free(p->token);
}

static void
consent(const struct idenv *e, const char *method, const char *purpose,
    const char *token)
{
	char	*path;
	json_t	*j;
	long	 st;

	path = harness_printf("/api/v1/me/consents/%s", purpose);
	j = idl_reqj(e, method, path, token, NULL, &st);
	ck_assert_msg(st == 200, "%s %s: %ld", method, path, st);
	json_decref(j);
	free(path);
}

/*
 * Register a seasonal worker with markers everywhere, give it consents,
 * two sessions (two logins), a queued message with a note and a secret
 * link, and one failed sign-in.
 */
static void
person_seed(struct idenv *e, struct person *p, int all_consents)
{
	json_t	*in, *j;
	char	*body, *tok2;
	long	 st;

	in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:s, "
	    "s:{s:s, s:s, s:s, s:s}}", "email", p->email, "password",
	    GOOD_PASSWORD, "display_name", p->name, "locale", "en",
	    "profile_kind", "seasonal_worker", "employment", "employer",
	    p->m[M_EMPLOYER], "contract_start", "2026-12-01", "contract_end",
	    "2027-04-15", "phone", p->phone, "address", "street",
	    p->m[M_STREET], "postcode", p->m[M_POSTCODE], "city",
	    p->m[M_CITY], "insee_code", "05085");
	body = json_dumps(in, JSON_COMPACT);
	json_decref(in);
	j = idl_reqj(e, "POST", "/api/v1/accounts", NULL, body, &st);
	free(body);
	ck_assert_msg(st == 201 && idl_jstr(j, "id") != NULL,
	    "registration: %ld", st);
	p->id = strdup(idl_jstr(j, "id"));
	json_decref(j);
	p->token = idl_login_ok(e, p->email, GOOD_PASSWORD, NULL);
	tok2 = idl_login_ok(e, p->email, GOOD_PASSWORD, NULL);
	free(tok2);
	consent(e, "PUT", "newsletter", p->token);
	if (all_consents) {
		consent(e, "PUT", "lift_pass_sharing", p->token);
		consent(e, "PUT", "visitor_statistics", p->token);
		consent(e, "DELETE", "visitor_statistics", p->token);
	}
	ck_assert_int_eq(idl_sql_exec(e, "INSERT INTO ops.outbox (account_id, "
	    "recipient, template, locale, payload, created_at) VALUES ('%s', "
	    "'%s', 'case_update', 'en', '{\"note\": \"%s\", \"url\": "
	    "\"https://x.test/?token=%s\"}', now())", p->id,
	    p->email, p->m[M_NOTE], p->m[M_SECRET]), 0);
	/* Last: a successful sign-in clears the count. */
	ck_assert_int_eq(idl_login(e, p->email, "Wrong-Password-123", NULL,
	    NULL, NULL), 400);
}

/* person_make() and person_seed() in one. */
static void
seeded(struct idenv *e, struct person *p, const char *tag, int all_consents)
{
	person_make(p, tag);
	person_seed(e, p, all_consents);
}

/* Every marker of 'p' but the secret is in 'body' (1) or none is (0). */
static void
assert_markers(const char *body, const struct person *p, int present,
    const char *what)
{
	size_t	 i;

	for (i = 0; i < M__COUNT; i++) {
		if (i == M_SECRET)
			continue;
		if (present)
			ck_assert_msg(strstr(body, p->m[i]) != NULL,
			    "%s: marker %zu (%s) missing", what, i, p->m[i]);
		else
			ck_assert_msg(strstr(body, p->m[i]) == NULL,
			    "%s: marker %zu (%s) of another person", what, i,
			    p->m[i]);
	}
	ck_assert_msg(strstr(body, p->m[M_SECRET]) == NULL,
	    "%s: a single-use link was exported", what);
}

/* A JSON Schema (2020-12) subset validator */

static const char *const known_keywords[] = { "$schema", "$id", "$ref",
    "$defs", "title", "description", "type", "required", "properties",
    "additionalProperties", "items", "enum", "const", "oneOf", "minItems",
    "minimum", "pattern", "format", "maxProperties",
    "examples",		/* an annotation: nothing to check */
    NULL };

static int	 validate(const json_t *, const json_t *, const json_t *,
		    const char *, char *, size_t);

static int
fail_at(char *err, size_t len, const char *path, const char *why)
{
	snprintf(err, len, "%s: %s", path[0] != '\0' ? path : "/", why);
	return (-1);
}

/* Whether 'v' is of the JSON Schema type 't'. */
static int
type_is(const char *t, const json_t *v)
{
#define T(x)	(1u << (x))
	static const struct {
		const char	*name;
		unsigned	 types;	/* T(json_type) of each that fits */
	} types[] = {
		{ "object", T(JSON_OBJECT) }, { "array", T(JSON_ARRAY) },
		{ "string", T(JSON_STRING) }, { "integer", T(JSON_INTEGER) },
		{ "number", T(JSON_INTEGER) | T(JSON_REAL) },
		{ "boolean", T(JSON_TRUE) | T(JSON_FALSE) },
		{ "null", T(JSON_NULL) },
	};
	size_t	 i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(t, types[i].name) == 0)
			return ((types[i].types & T(json_typeof(v))) != 0);
#undef T
	ck_abort_msg("schema: unknown type %s", t);
	return (0);
}

static int
regex_match(const char *re, const char *s)
{
	regex_t	 r;
	int	 ok;

	ck_assert_msg(regcomp(&r, re, REG_EXTENDED | REG_NOSUB) == 0,
	    "schema: bad pattern %s", re);
	ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return (ok);
}

static int
validate(const json_t *root, const json_t *sc, const json_t *v,
    const char *path, char *err, size_t len)
{
	const json_t	*t, *x, *props, *addl;
	const char	*k, *ref;
	char		 sub[512];
	size_t		 i, n;
	int		 ok;

	json_object_foreach((json_t *)(uintptr_t)sc, k, x) {
		for (i = 0; known_keywords[i] != NULL; i++)
			if (strcmp(k, known_keywords[i]) == 0)
				break;
		ck_assert_msg(known_keywords[i] != NULL,
		    "schema: keyword %s not supported by the test", k);
	}
	if ((ref = json_string_value(json_object_get(sc, "$ref"))) != NULL) {
		ck_assert_msg(strncmp(ref, "#/$defs/", 8) == 0, "ref %s", ref);
		x = json_object_get(json_object_get(root, "$defs"), ref + 8);
		ck_assert_msg(x != NULL, "schema: no $defs %s", ref);
		if (validate(root, x, v, path, err, len) == -1)
			return (-1);
	}
	if ((t = json_object_get(sc, "type")) != NULL) {
		ok = 0;
		if (json_is_string(t))
			ok = type_is(json_string_value(t), v);
		else
			json_array_foreach(t, i, x)
				ok |= type_is(json_string_value(x), v);
		if (!ok)
			return (fail_at(err, len, path, "wrong type"));
	}
	if ((x = json_object_get(sc, "const")) != NULL && !json_equal(x, v))
		return (fail_at(err, len, path, "not the constant"));
	if ((t = json_object_get(sc, "enum")) != NULL) {
		ok = 0;
		json_array_foreach(t, i, x)
			ok |= json_equal(x, v);
		if (!ok)
			return (fail_at(err, len, path, "not in the enum"));
	}
	if ((t = json_object_get(sc, "oneOf")) != NULL) {
		n = 0;
		json_array_foreach(t, i, x)
			if (validate(root, x, v, path, sub, sizeof(sub)) == 0)
				n++;
		if (n != 1)
			return (fail_at(err, len, path, "not exactly one of"));
	}
	if (json_is_string(v)) {
		if ((k = json_string_value(json_object_get(sc, "pattern")))
		    != NULL && !regex_match(k, json_string_value(v)))
			return (fail_at(err, len, path, "pattern"));
		k = json_string_value(json_object_get(sc, "format"));
		if (k != NULL && strcmp(k, "date-time") == 0 &&
		    !regex_match("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
		    "[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$",
		    json_string_value(v)))
			return (fail_at(err, len, path, "not a date-time"));
		if (k != NULL && strcmp(k, "date") == 0 &&
		    !regex_match("^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
		    json_string_value(v)))
			return (fail_at(err, len, path, "not a date"));
	}
	if (json_is_integer(v) && (x = json_object_get(sc, "minimum")) != NULL
	    && json_integer_value(v) < json_integer_value(x))
		return (fail_at(err, len, path, "below the minimum"));
	if (json_is_array(v)) {
		if ((x = json_object_get(sc, "minItems")) != NULL &&
		    json_array_size(v) < (size_t)json_integer_value(x))
			return (fail_at(err, len, path, "too few items"));
		if ((x = json_object_get(sc, "items")) != NULL)
			json_array_foreach(v, i, t) {
				snprintf(sub, sizeof(sub), "%s/%zu", path, i);
				if (validate(root, x, t, sub, err, len) == -1)
					return (-1);
			}
	}
	if (json_is_object(v) && (x = json_object_get(sc, "maxProperties")) !=
	    NULL && json_object_size(v) > (size_t)json_integer_value(x))
		return (fail_at(err, len, path, "too many members"));
	if (json_is_object(v)) {
		json_array_foreach(json_object_get(sc, "required"), i, x)
			if (json_object_get(v, json_string_value(x)) == NULL) {
				snprintf(sub, sizeof(sub), "missing %s",
				    json_string_value(x));
				return (fail_at(err, len, path, sub));
			}
		props = json_object_get(sc, "properties");
		addl = json_object_get(sc, "additionalProperties");
		json_object_foreach((json_t *)(uintptr_t)v, k, t) {
			snprintf(sub, sizeof(sub), "%s/%s", path, k);
			if ((x = json_object_get(props, k)) != NULL) {
				if (validate(root, x, t, sub, err, len) == -1)
					return (-1);
			} else if (json_is_false(addl))
				return (fail_at(err, len, sub,
				    "not allowed"));
			else if (json_is_object(addl) &&
			    validate(root, addl, t, sub, err, len) == -1)
				return (-1);
		}
	}
	return (0);
}

static json_t *
load_schema(void)
{
	char	*path;
	json_t	*s;

	/* Made at build from the OpenAPI schemas (tools/openapi-gen). */
	path = harness_bin("export-schema.json");
	s = json_load_file(path, 0, NULL);
	ck_assert_msg(s != NULL, "cannot read %s", path);
	free(path);
	ck_assert_str_eq(json_string_value(json_object_get(s, "$schema")),
	    "https://json-schema.org/draft/2020-12/schema");
	return (s);
}

static void
assert_valid(const json_t *schema, const json_t *doc)
{
	char	 err[600];

	ck_assert_msg(validate(schema, schema, doc, "", err, sizeof(err)) == 0,
	    "the export does not validate: %s", err);
}

/* GET the export; asserts 200, JSON, chunked; returns the body parsed. */
static json_t *
export_get(const struct idenv *e, const char *path, const char *token,
    const char *lang, struct http_resp *r)
{
	const char	*h[3];
	char		*auth = NULL, *al = NULL, *d;
	const char	*v;
	json_t		*j;
	int		 n = 0;

	if (token != NULL)
		h[n++] = auth = harness_printf("Authorization: Bearer %s",
		    token);
	if (lang != NULL)
		h[n++] = al = harness_printf("Accept-Language: %s", lang);
	h[n] = NULL;
	ck_assert_int_eq(idl_reqh(e, "GET", path, h, NULL, r), 200);
	free(auth);
	free(al);
	v = http_resp_header(r, "Content-Type");
	ck_assert_msg(v != NULL && strcmp(v, "application/json") == 0,
	    "content type %s", v ? v : "(none)");
	v = http_resp_header(r, "Transfer-Encoding");
	ck_assert_msg(v != NULL && strcmp(v, "chunked") == 0,
	    "the export was not streamed (Transfer-Encoding %s)",
	    v ? v : "(none)");
	j = harness_json(r);
	d = j == NULL ? strndup(r->body, 300) : NULL;
	ck_assert_msg(j != NULL, "the export is not JSON: %s", d);
	return (j);
}

START_TEST(test_export_self)
{
	struct idenv	 e;
	struct person	 r, s;
	struct http_resp resp;
	json_t		*doc, *schema, *art15, *x, *y, *acct, *copy;
	const char	*k, *v;
	char		*hash, *d, *portable;
	size_t		 i;
	static const char *const rights[] = { "access", "rectification",
	    "erasure", "restriction", "objection", "portability",
	    "withdraw_consent", NULL };

	idl_start_new(&e, NULL);
	seeded(&e, &r, "zqr", 1);
	seeded(&e, &s, "zqs", 0);
	schema = load_schema();

	/* The schema an export names is the one the build made, served. */
	{
		struct http_resp	 sr;
		char			*built, *want;
		size_t			 blen;

		memset(&sr, 0, sizeof(sr));
		ck_assert_int_eq(idl_req(&e, "GET",
		    "/api/v1/privacy/export-schema.json", NULL, NULL, &sr), 200);
		built = harness_bin("export-schema.json");
		want = harness_read_file(built, &blen);
		ck_assert_msg(want != NULL && sr.body_len == blen &&
		    memcmp(sr.body, want, blen) == 0, "the served schema is not "
		    "the built one");
		free(want);
		free(built);
		http_resp_free(&sr);
	}

	/* 401 without a token. */
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me/export", NULL, NULL),
	    401);

	memset(&resp, 0, sizeof(resp));
	doc = export_get(&e, "/api/v1/me/export", r.token, "en", &resp);
	assert_markers(resp.body, &r, 1, "R's export");
	assert_markers(resp.body, &s, 0, "R's export");
	v = http_resp_header(&resp, "Content-Disposition");
	ck_assert_msg(v != NULL && regex_match("^attachment; filename=\""
	    "guichet-export-[0-9]{4}-[0-9]{2}-[0-9]{2}\\.json\"$", v),
	    "Content-Disposition %s", v ? v : "(none)");
	ck_assert_str_eq(http_resp_header(&resp, "Content-Language"), "en");
	/* No secret: the password hash is not there. */
	hash = idl_sql(&e, "SELECT password_hash FROM identity.accounts "
	    "WHERE id = '%s'", r.id);
	ck_assert(hash != NULL && strlen(hash) > 20);
	ck_assert_msg(strstr(resp.body, hash) == NULL, "the hash leaked");
	ck_assert(strstr(resp.body, "$argon2") == NULL);
	free(hash);
	assert_valid(schema, doc);

	/* The validator does refuse a broken document. */
	{
		char	 err[600];

		copy = json_deep_copy(doc);
		json_object_del(json_object_get(copy, "art15"), "rights");
		ck_assert(validate(schema, schema, copy, "", err,
		    sizeof(err)) == -1);
		json_decref(copy);
		copy = json_deep_copy(doc);
		json_object_set_new(json_object_get(json_object_get(
		    json_object_get(copy, "data"), "identity"), "account"),
		    "status", json_string("gone"));
		ck_assert(validate(schema, schema, copy, "", err,
		    sizeof(err)) == -1);
		json_decref(copy);
	}

	/* Subject, Art. 15 information, the schema it follows. */
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc,
	    "subject"), "account_id")), r.id);
	ck_assert_msg(strstr(json_string_value(json_object_get(doc,
	    "$schema")), "/api/v1/privacy/export-schema.json") != NULL,
	    "$schema %s", json_string_value(json_object_get(doc, "$schema")));
	art15 = json_object_get(doc, "art15");
	ck_assert_str_eq(json_string_value(json_object_get(art15, "language")),
	    "en");
	ck_assert(json_array_size(json_object_get(art15, "purposes")) >= 5);
	ck_assert(json_array_size(json_object_get(art15, "categories")) >= 9);
	ck_assert(json_array_size(json_object_get(art15, "recipients")) >= 2);
	ck_assert(json_array_size(json_object_get(art15, "retention")) >= 9);
	ck_assert(json_object_get(art15, "source") != NULL);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    art15, "complaint"), "url")), CNIL_URL);
	for (i = 0; rights[i] != NULL; i++) {
		size_t	 j2;
		int	 found = 0;

		json_array_foreach(json_object_get(art15, "rights"), j2, x)
			if (strcmp(idl_jstr(x, "right"), rights[i]) == 0 &&
			    json_object_get(json_object_get(x, "endpoint"),
			    "url") != NULL)
				found = 1;
		ck_assert_msg(found, "right %s missing", rights[i]);
	}

	/* Data: the account, sessions, messages, consents, throttling. */
	x = json_object_get(doc, "data");
	acct = json_object_get(json_object_get(x, "identity"), "account");
	ck_assert_str_eq(idl_jstr(acct, "display_name"), r.name);
	ck_assert_str_eq(idl_jstr(acct, "phone"), r.phone);
	ck_assert_str_eq(idl_jstr(acct, "contract_start"), "2026-12-01");
	ck_assert_str_eq(idl_jstr(acct, "contract_end"), "2027-04-15");
	ck_assert(json_array_size(json_object_get(json_object_get(x,
	    "identity"), "sessions")) == 2);
	ck_assert(json_array_size(json_object_get(json_object_get(x,
	    "ops"), "messages")) >= 2);
	ck_assert(json_array_size(json_object_get(json_object_get(x,
	    "identity"), "one_time_tokens")) >= 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(x, "identity"),
	    "sign_in_throttling"), "by_account"), "failures")), 1);
	ck_assert_int_eq(json_array_size(json_object_get(json_object_get(x,
	    "privacy"), "consent_ledger")), 4);

	/* Portable: only categories on consent or contract. */
	y = json_object_get(doc, "portable");
	portable = harness_dump(y);
	json_object_foreach(json_object_get(json_object_get(y, "privacy"),
	    "categories"), k, x) {
		size_t	 j2;
		json_t	*b;

		json_array_foreach(json_object_get(x, "legal_bases"), j2, b)
			ck_assert_msg(strcmp(json_string_value(b), "consent")
			    == 0 || strcmp(json_string_value(b), "contract")
			    == 0, "portable category %s on %s", k,
			    json_string_value(b));
	}
	x = json_object_get(json_object_get(y, "privacy"), "categories");
	ck_assert(json_object_get(x, "contact") != NULL);
	ck_assert(json_object_get(x, "profile") != NULL);
	ck_assert_msg(json_object_get(x, "address") == NULL,
	    "address is portable although visitor_statistics is withdrawn");
	ck_assert(json_object_get(x, "network") == NULL);
	ck_assert(json_object_get(x, "credential") == NULL);
	ck_assert(json_object_get(x, "free_text") == NULL);
	ck_assert(strstr(portable, r.m[M_EMAIL]) != NULL);
	ck_assert(strstr(portable, r.m[M_EMPLOYER]) != NULL);
	ck_assert_msg(strstr(portable, r.m[M_STREET]) == NULL &&
	    strstr(portable, r.m[M_CITY]) == NULL, "address in portable");
	ck_assert_msg(strstr(portable, r.m[M_NOTE]) == NULL,
	    "a message of the town in portable");
	ck_assert_int_eq(json_array_size(json_object_get(json_object_get(
	    json_object_get(y, "privacy"), "consent_choices"), "choices")), 4);
	/* The Art. 15 categories say the same. */
	json_array_foreach(json_object_get(art15, "categories"), i, x)
		ck_assert_msg(json_is_true(json_object_get(x, "portable")) ==
		    (json_object_get(json_object_get(json_object_get(y,
		    "privacy"), "categories"), idl_jstr(x, "code")) != NULL),
		    "category %s: portable differs", idl_jstr(x, "code"));
	free(portable);
	json_decref(doc);
	http_resp_free(&resp);

	/* S sees its own data only. */
	memset(&resp, 0, sizeof(resp));
	doc = export_get(&e, "/api/v1/me/export", s.token, "it", &resp);
	assert_markers(resp.body, &s, 1, "S's export");
	assert_markers(resp.body, &r, 0, "S's export");
	/* Signed in, the account's locale (en) wins over Accept-Language. */
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc,
	    "art15"), "language")), "en");
	assert_valid(schema, doc);
	json_decref(doc);
	http_resp_free(&resp);

	/* HTML: the same content, escaped. */
	memset(&resp, 0, sizeof(resp));
	{
		const char	*h[2];
		char		*auth, *esc;

		h[0] = auth = harness_printf("Authorization: Bearer %s",
		    r.token);
		h[1] = NULL;
		ck_assert_int_eq(idl_reqh(&e, "GET",
		    "/api/v1/me/export?format=html", h, NULL, &resp), 200);
		free(auth);
		ck_assert_str_eq(http_resp_header(&resp, "Content-Type"),
		    "text/html; charset=utf-8");
		ck_assert_str_eq(http_resp_header(&resp, "Transfer-Encoding"),
		    "chunked");
		assert_markers(resp.body, &r, 1, "R's HTML export");
		assert_markers(resp.body, &s, 0, "R's HTML export");
		esc = harness_printf("&lt;b&gt;%s", r.m[M_NAME]);
		ck_assert_msg(strstr(resp.body, esc) != NULL,
		    "name not escaped");
		free(esc);
		ck_assert_msg(strstr(resp.body, r.name) == NULL,
		    "an unescaped '<b>' in the page");
		ck_assert(strstr(resp.body, "<script") == NULL);
		ck_assert(strstr(resp.body, "<html lang=\"en\">") != NULL);
		ck_assert(strstr(resp.body, CNIL_URL) != NULL);
		ck_assert(strstr(resp.body, "</html>") != NULL);
		http_resp_free(&resp);
	}
	/* An unknown format. */
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me/export?format=pdf",
	    r.token, NULL), 400);

	d = idl_log(&e);
	ck_assert_msg(strstr(d, r.m[M_EMAIL]) == NULL &&
	    strstr(d, r.m[M_NAME]) == NULL, "a marker in the server log");
	free(d);
	json_decref(schema);
	person_free(&r);
	person_free(&s);
	idl_stop(&e);
}
END_TEST

START_TEST(test_export_dpo)
{
	struct idenv	 e;
	struct person	 r;
	struct http_resp resp;
	json_t		*doc, *p, *schema;
	char		*admin, *agent, *path, *log, *needle, *out = NULL;
	const char	*args[5];

	idl_start_new(&e, NULL);
	seeded(&e, &r, "zqd", 0);
	schema = load_schema();
	admin = idl_login_admin(&e);
	agent = idl_login_ok(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, NULL);

	path = harness_printf("/api/v1/admin/privacy/subjects/%s/export"
	    "?reason=asked%%20at%%20the%%20counter", r.id);
	memset(&resp, 0, sizeof(resp));
	doc = export_get(&e, path, admin, NULL, &resp);
	assert_markers(resp.body, &r, 1, "DPO export");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc,
	    "subject"), "account_id")), r.id);
	assert_valid(schema, doc);
	json_decref(doc);
	http_resp_free(&resp);
	needle = harness_printf("exports the data of account %s", r.id);
	ck_assert_msg(harness_server_log_wait(&e.s, needle, 5000),
	    "the DPO's read is not logged");
	/* Ids only: the DPO's reason is in the access log, not in this one. */
	log = idl_log(&e);
	ck_assert_msg(strstr(log, "asked at the counter") == NULL,
	    "the DPO's reason is in the server's log");
	free(log);
	free(needle);
	/* The read is in the person's access log, with the reason. */
	ck_assert_int_eq(idl_sql_count(&e,
	    "SELECT count(*) FROM privacy.access_log "
	    "WHERE account_id = '%s' AND reader_kind = 'dpo' AND dataset = "
	    "'privacy.export' AND purpose = 'asked at the counter'", r.id), 1);
	/* X-Purpose, as every other read of the town, is a reason too. */
	{
		const char	*h[3];
		char		*auth, *p2;

		h[0] = auth = harness_printf("Authorization: Bearer %s", admin);
		h[1] = "X-Purpose: letter of 2026-12-18";
		h[2] = NULL;
		p2 = harness_printf("/api/v1/admin/privacy/subjects/%s/export",
		    r.id);
		memset(&resp, 0, sizeof(resp));
		ck_assert_int_eq(idl_reqh(&e, "GET", p2, h, NULL, &resp), 200);
		http_resp_free(&resp);
		free(p2);
		free(auth);
	}

	/* Refused: an agent, the person themselves, nobody. */
	ck_assert_int_eq(idl_status(&e, "GET", path, agent, NULL), 403);
	ck_assert_int_eq(idl_status(&e, "GET", path, r.token, NULL), 403);
	ck_assert_int_eq(idl_status(&e, "GET", path, NULL, NULL), 401);
	free(path);

	/*
	 * No reason, an empty one: 400 naming the parameter, as every read
	 * of the town without its purpose (code purpose_required).
	 */
	path = harness_printf("/api/v1/admin/privacy/subjects/%s/export", r.id);
	memset(&resp, 0, sizeof(resp));
	ck_assert_int_eq(idl_req(&e, "GET", path, admin, NULL, &resp), 400);
	p = harness_assert_problem(&resp, 400, "/problems/bad-request", NULL);
	ck_assert_str_eq(idl_jstr(p, "code"), "purpose_required");
	ck_assert(strstr(idl_jstr(p, "detail"), "reason") != NULL);
	json_decref(p);
	http_resp_free(&resp);
	free(path);
	path = harness_printf("/api/v1/admin/privacy/subjects/%s/export"
	    "?reason=%%20%%20", r.id);
	ck_assert_int_eq(idl_status(&e, "GET", path, admin, NULL), 400);
	free(path);
	/* Nobody by that id. */
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/admin/privacy/subjects/"
	    "00000000-0000-4000-8000-000000000000/export?reason=x", admin,
	    NULL), 404);
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/admin/privacy/subjects/"
	    "nope/export?reason=x", admin, NULL), 404);

	/* guichetctl privacy export EMAIL */
	args[0] = "privacy";
	args[1] = "export";
	args[2] = r.email;
	args[3] = NULL;
	ck_assert_int_eq(idl_ctl(e.db, 1, args, &out, NULL), 0);
	assert_markers(out, &r, 1, "guichetctl privacy export");
	doc = json_loads(out, 0, NULL);
	ck_assert_msg(doc != NULL, "guichetctl printed no JSON");
	assert_valid(schema, doc);
	/* The person's own language when none is asked. */
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(doc,
	    "art15"), "language")), "en");
	json_decref(doc);
	free(out);
	out = NULL;
	args[2] = "nobody@example.test";
	ck_assert_int_ne(idl_ctl(e.db, 1, args, &out, NULL), 0);
	free(out);

	json_decref(schema);
	free(admin);
	free(agent);
	person_free(&r);
	idl_stop(&e);
}
END_TEST

START_TEST(test_export_large)
{
	struct idenv	 e;
	struct http_resp resp;
	json_t		*doc;
	char		*token;
	double		 best = 1e9, t[3];
	int		 i;

	idl_start_new(&e, NULL);
	/* 10,000 consent choices (the ledger allows INSERT) and a message. */
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO privacy.consent_ledger "
	    "(account_id, purpose, purpose_version, action, channel, at) "
	    "SELECT '%s', 'newsletter', (SELECT version FROM privacy.purposes "
	    "WHERE code = 'newsletter'), CASE WHEN g %% 2 = 0 THEN 'given' "
	    "ELSE 'withdrawn' END, 'web', '2026-01-01T00:00:00Z'::timestamptz "
	    "+ g * interval '1 minute' FROM generate_series(1, 10000) g",
	    idl_demo.resident_id), 0);
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO ops.outbox (account_id, "
	    "recipient, template, locale, payload, created_at) SELECT '%s', "
	    "'%s', 'case_update', 'fr', jsonb_build_object('n', g), now() "
	    "FROM generate_series(1, 1) g", idl_demo.resident_id,
	    IDL_RESIDENT_EMAIL), 0);
	token = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD,
	    NULL);
	for (i = 0; i < 3; i++) {
		memset(&resp, 0, sizeof(resp));
		doc = export_get(&e, "/api/v1/me/export", token, NULL, &resp);
		t[i] = resp.seconds;
		if (t[i] < best)
			best = t[i];
		ck_assert_int_eq(json_array_size(json_object_get(
		    json_object_get(json_object_get(doc, "data"), "privacy"),
		    "consent_ledger")), 10000);
		/* Every message of the person (the demo's cases' too). */
		ck_assert_int_eq(json_array_size(json_object_get(
		    json_object_get(json_object_get(doc, "data"), "ops"),
		    "messages")), idl_sql_count(&e, "SELECT count(*) FROM "
		    "ops.outbox WHERE account_id = '%s'",
		    idl_demo.resident_id));
		ck_assert_int_eq(json_array_size(json_object_get(
		    json_object_get(json_object_get(json_object_get(doc,
		    "portable"), "privacy"), "consent_choices"), "choices")),
		    10000);
		json_decref(doc);
		if (i == 2)
			printf("# export of 10,000 consent choices (%zu bytes): "
			    "%.3f s, %.3f s, %.3f s\n", resp.body_len, t[0],
			    t[1], t[2]);
		http_resp_free(&resp);
	}
	ck_assert_msg(best < 2.0, "the export took %.3f s", best);
	free(token);
	idl_stop(&e);
}
END_TEST

/*
 * The erasure hooks, through the erasure driver (DELETE /api/v1/me): what
 * identity and privacy report, the account that identifies nobody, the
 * ledger cut from the person under the journal's tombstone.
 */

static const json_t *
report_for(const json_t *list, const char *module, const char *category)
{
	const json_t	*x;
	size_t		 i;

	json_array_foreach(list, i, x)
		if (strcmp(idl_jstr(x, "module"), module) == 0 &&
		    strcmp(idl_jstr(x, "category"), category) == 0)
			return (x);
	return (NULL);
}

START_TEST(test_erase_hooks)
{
	struct idenv		 e;
	struct person		 r, s;
	const json_t		*x, *erased, *retained;
	json_t			*j;
	char			*v, *all, *tomb, *sum, *d, *admin, *path;
	long			 before_s, st;
	size_t			 i;

	idl_start_new(&e, NULL);
	seeded(&e, &r, "zqe", 1);
	seeded(&e, &s, "zqf", 1);
	before_s = idl_sql_count(&e,
	    "SELECT count(*) FROM privacy.consent_ledger "
	    "WHERE account_id = '%s'", s.id);
	ck_assert_int_eq(before_s, 4);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.auth_throttle WHERE key LIKE 'user:%%'"), 2);

	j = idl_sendj(&e, "DELETE", "/api/v1/me", r.token, json_pack("{s:s}",
	    "password", GOOD_PASSWORD), &st);
	d = harness_dump(j);
	ck_assert_msg(st == 200, "DELETE /api/v1/me: %ld %s", st, d);
	erased = json_object_get(j, "erased");
	retained = json_object_get(j, "retained");

	/* What the hooks say. */
	ck_assert_msg(report_for(erased, "identity", "contact") != NULL &&
	    report_for(erased, "identity", "address") != NULL &&
	    report_for(erased, "identity", "identity") != NULL &&
	    report_for(erased, "identity", "credential") != NULL &&
	    report_for(erased, "ops", "contact") != NULL &&
	    report_for(erased, "ops", "free_text") != NULL, "%s", d);
	ck_assert_str_eq(idl_jstr(report_for(erased, "identity", "profile"),
	    "strategy"), "rewrite");
	/* 2 sessions, 1 verification token, 1 throttle row of the email. */
	ck_assert_int_eq(json_integer_value(json_object_get(report_for(erased,
	    "identity", "network"), "records")), 2 + 1 + 1);
	x = report_for(retained, "privacy", "consent");
	ck_assert_msg(x != NULL, "the consents are not reported retained: %s",
	    d);
	ck_assert_int_eq(json_integer_value(json_object_get(x, "records")), 4);
	ck_assert_str_eq(idl_jstr(x, "legal_basis"), "legal_obligation");
	ck_assert(strstr(idl_jstr(x, "ground"), "7(1)") != NULL);
	v = idl_sql(&e, "SELECT ('%s'::timestamptz - now()) > interval "
	    "'4 years 11 months'", idl_jstr(x, "until"));
	ck_assert_str_eq(v, "t");
	free(v);
	free(d);
	json_decref(j);

	/* The account identifies nobody; nothing else of R is left. */
	v = idl_sql(&e, "SELECT email ~ '^[0-9a-f]{64}@erased\\.invalid$' AND "
	    "display_name = 'Personne effacée' AND status = 'erased' AND "
	    "password_hash = '!erased' AND phone IS NULL AND street IS NULL "
	    "AND employer IS NULL AND contract_start IS NULL AND "
	    "profile_kind = 'permanent_resident' AND token_version > 0 "
	    "FROM identity.accounts WHERE id = '%s'", r.id);
	ck_assert_str_eq(v, "t");
	free(v);
	/* The email's hash is salted: not sha256 of the email alone. */
	sum = idl_sql(&e, "SELECT encode(sha256(convert_to(lower('%s'), "
	    "'UTF8')), 'hex')", r.email);
	ck_assert_int_eq(idl_sql_count(&e,
	    "SELECT count(*) FROM identity.accounts "
	    "WHERE email LIKE '%s%%'", sum), 0);
	free(sum);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.auth_throttle WHERE key LIKE 'user:%%'"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.refresh_tokens WHERE account_id = '%s'", r.id), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.one_time_tokens WHERE account_id = '%s'", r.id), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE account_id = '%s'", r.id), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.consent_ledger WHERE account_id = '%s'", r.id), 0);
	all = idl_sql(&e, "SELECT concat_ws(' ', (SELECT string_agg(to_jsonb("
	    "a)::text, ' ') FROM identity.accounts a), (SELECT string_agg("
	    "to_jsonb(o)::text, ' ') FROM ops.outbox o), (SELECT string_agg("
	    "to_jsonb(l)::text, ' ') FROM privacy.consent_ledger l))");
	ck_assert(all != NULL);
	assert_markers(all, &r, 0, "the tables after erasure");
	for (i = 0; i < M__COUNT; i++)
		ck_assert_msg(strstr(all, s.m[i]) != NULL, "S's marker %zu "
		    "went with R's erasure", i);
	free(all);

	/* The ledger rows are kept under the journal's tombstone. */
	tomb = idl_sql(&e, "SELECT tombstone FROM privacy.erasures "
	    "WHERE account_id = '%s'", r.id);
	ck_assert_msg(tomb != NULL && strlen(tomb) == 36, "no tombstone");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.consent_ledger WHERE account_id = '%s'", tomb), 4);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.accounts WHERE id = '%s'", tomb), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.consent_ledger WHERE account_id = '%s'", s.id), before_s);
	/* Still append-only for everybody else, the marker alone is no key. */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE privacy.consent_ledger SET "
	    "account_id = gen_random_uuid() WHERE account_id = '%s'", s.id),
	    -1);
	ck_assert_int_eq(idl_sql_exec(&e, "DELETE FROM privacy.consent_ledger "
	    "WHERE account_id = '%s'", tomb), -1);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE privacy.consent_ledger SET "
	    "action = 'given' WHERE account_id = '%s'", tomb), -1);
	ck_assert_int_eq(idl_sql_exec(&e, "BEGIN; SELECT set_config("
	    "'guichet.erasure', '%s', true); UPDATE privacy.consent_ledger "
	    "SET account_id = '%s' WHERE account_id = '%s'; COMMIT", s.id,
	    r.id, s.id), -1);
	/* No new choice for an erased account. */
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO privacy.consent_ledger "
	    "(account_id, purpose, purpose_version, action, channel, at) "
	    "VALUES ('%s', 'newsletter', 1, 'given', 'api', now())", r.id), -1);
	free(tomb);

	/* R's token is dead; the DPO finds nobody to export. */
	ck_assert_int_eq(idl_status(&e, "GET", "/api/v1/me/export", r.token,
	    NULL), 401);
	admin = idl_login_admin(&e);
	path = harness_printf("/api/v1/admin/privacy/subjects/%s/export"
	    "?reason=x", r.id);
	ck_assert_int_eq(idl_status(&e, "GET", path, admin, NULL), 404);
	free(path);
	free(admin);
	person_free(&r);
	person_free(&s);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_export_self,
	&test_export_dpo,
	&test_export_large,
	&test_erase_hooks,
	NULL
};

const struct test_group test_groups[] = {
	{ "export", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
