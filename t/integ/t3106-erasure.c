/*
 * t3106-erasure: erasure (Art. 17 RGPD), the proof that nothing
 * personal is left.  A person R gets a unique marker in every
 * field and text, and every kind of record that exists today: the
 * profile, consents given and withdrawn, sessions and refresh tokens (one
 * of them rotated), a password-reset request and the email verification
 * (outbox messages and one-time tokens), sign-in throttle rows from a
 * failed login, and cases (démarches: a draft, an open case with a
 * message, a case decided by silence, the marker in their answers, and
 * their mail), and signalements (a report with a flagged description and
 * a photo whose EXIF holds the marker, an anonymous report followed up at
 * the account's address and supported, an Open311 request with the
 * person's contact in every contact field); a bystander S gets the same
 * with markers of its own.
 * R erases itself with DELETE /api/v1/me; then `pg_dump --data-only`
 * holds none of R's markers, identifiers or unsalted hashes of its email,
 * R's tokens and password are dead, S's rows are byte for byte the same,
 * and the server log never saw a marker.  The DPO variant, the
 * per-erasure salt and the refusals are proven too.
 *
 * Each later module adds its records to seed() and its tables to
 * bystander_tables[]: the assertions stay as they are.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "caselib.h"

#define DPO_REASON	"Demande ecrite recue a l'accueil de la mairie"

/* A person with a unique marker in every field. */
struct person {
	char	*mark;		/* in every text field */
	char	*email;		/* mixed case: sha256(email) != sha256(lower) */
	char	*lemail;
	char	*name;
	char	*phone;		/* digits only: an identifier of its own */
	char	*street;
	char	*city;
	char	*postcode;	/* 9 characters: an identifier of its own */
	char	*employer;
	char	*password;
	char	*id;
	char	*access;	/* from the last login */
	char	*refresh;	/* the current one of a rotated family */
};

static char *
sha256_hex(const char *s)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0, i;
	char		*hex;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	hex = calloc(1, 2 * n + 1);
	ck_assert(hex != NULL);
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return (hex);
}

static char *
lower(const char *s)
{
	char	*l = strdup(s), *c;

	ck_assert(l != NULL);
	for (c = l; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + 32);
	return (l);
}

static void
person_make(struct person *p, const char *tag)
{
	char	*m, *digits, *pc;
	size_t	 i;

	memset(p, 0, sizeof(*p));
	m = idl_marker(14);
	p->mark = harness_printf("zq%s", m);
	free(m);
	p->email = harness_printf("%s.%s@Example.ORG", tag, p->mark);
	p->lemail = lower(p->email);
	p->name = harness_printf("%s %s-name", tag, p->mark);
	digits = idl_marker(11);
	for (i = 0; digits[i] != '\0'; i++)
		digits[i] = (char)('0' + (unsigned char)digits[i] % 10);
	p->phone = harness_printf("+336%s", digits);
	free(digits);
	p->street = harness_printf("12 rue %s-street", p->mark);
	p->city = harness_printf("%s-city", p->mark);
	pc = idl_marker(8);
	p->postcode = harness_printf("P%s", pc);
	free(pc);
	p->employer = harness_printf("%s-employer", p->mark);
	p->password = harness_printf("Pw-%s-2026!", p->mark);
}

static void
person_free(struct person *p)
{
	/* Every string member, each allocated or NULL. */
	static const size_t members[] = { offsetof(struct person, mark),
	    offsetof(struct person, email), offsetof(struct person, lemail),
	    offsetof(struct person, name), offsetof(struct person, phone),
	    offsetof(struct person, street), offsetof(struct person, city),
	    offsetof(struct person, postcode), offsetof(struct person, employer),
	    offsetof(struct person, password), offsetof(struct person, id),
	    offsetof(struct person, access), offsetof(struct person, refresh) };
	size_t	 i;

	_Static_assert(sizeof(members) / sizeof(members[0]) ==
	    sizeof(struct person) / sizeof(char *), "every member");
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		free(*(char **)(void *)((char *)p + members[i]));
}

/* Every identifier of a person, named, for the absence checks. */
struct needle {
	const char	*what;
	char		*value;
};

#define NEEDLES	12

/* How each needle is made from a member of the person. */
static const struct {
	const char	*what;
	size_t		 member;	/* offsetof(struct person, ...) */
	enum { AS_IS, AFTER_FIRST, SHA256 } how;
} needle_rules[] = {
	{ "marker", offsetof(struct person, mark), AS_IS },
	{ "email", offsetof(struct person, email), AS_IS },
	{ "lower(email)", offsetof(struct person, lemail), AS_IS },
	{ "name", offsetof(struct person, name), AS_IS },
	{ "phone", offsetof(struct person, phone), AFTER_FIRST },
	{ "street", offsetof(struct person, street), AS_IS },
	{ "city", offsetof(struct person, city), AS_IS },
	{ "postcode", offsetof(struct person, postcode), AS_IS },
	{ "employer", offsetof(struct person, employer), AS_IS },
	{ "sha256(email)", offsetof(struct person, email), SHA256 },
	{ "sha256(lower(email))", offsetof(struct person, lemail), SHA256 },
	{ "password", offsetof(struct person, password), AS_IS },
};
_Static_assert(sizeof(needle_rules) / sizeof(needle_rules[0]) == NEEDLES,
    "one rule per needle");

static void
needles_of(const struct person *p, struct needle *n)
{
	const char	*v;
	int		 i;

	for (i = 0; i < NEEDLES; i++) {
		v = *(char *const *)(const void *)((const char *)p +
		    needle_rules[i].member);
		n[i].what = needle_rules[i].what;
		n[i].value = needle_rules[i].how == SHA256 ? sha256_hex(v) :
		    strdup(needle_rules[i].how == AFTER_FIRST ? v + 1 : v);
	}
}

static void
needles_free(struct needle *n)
{
	int	 i;

	for (i = 0; i < NEEDLES; i++)
		free(n[i].value);
}

/* 'hay' holds none of p's identifiers ('where' names it in a failure). */
static void
assert_absent(const char *hay, const struct person *p, const char *where)
{
	struct needle	 n[NEEDLES];
	int		 i;

	needles_of(p, n);
	for (i = 0; i < NEEDLES; i++)
		ck_assert_msg(idl_count(hay, n[i].value) == 0,
		    "%s holds the %s of the erased person (%d times)", where,
		    n[i].what, idl_count(hay, n[i].value));
	needles_free(n);
}

/* 'hay' holds every identifier p has in plain text (not the hashes). */
static void
assert_present(const char *hay, const struct person *p, const char *where)
{
	const char	*v[] = { p->mark, p->email, p->name, p->phone + 1,
			    p->street, p->city, p->postcode, NULL };
	int		 i;

	for (i = 0; v[i] != NULL; i++)
		ck_assert_msg(idl_count(hay, v[i]) > 0, "%s lost %s", where,
		    v[i]);
}

static long
login(const struct idenv *e, const struct person *p, char **at, char **rt)
{
	return (idl_login(e, p->email, p->password, NULL, at, rt));
}

/* The refresh grant: the status, the new refresh token in *rt. */
static long
refresh(const struct idenv *e, const char *token, char **rt)
{
	json_t	*j;
	long	 st;

	j = idl_sendj(e, "POST", "/api/v1/auth/token", NULL, json_pack(
	    "{s:s, s:s}", "grant_type", "refresh_token", "refresh_token",
	    token), &st);
	if (rt != NULL)
		*rt = st == 200 && idl_jstr(j, "refresh_token") != NULL ?
		    strdup(idl_jstr(j, "refresh_token")) : NULL;
	if (st != 200)
		ck_assert_msg(idl_jstr(j, "error") != NULL &&
		    strcmp(idl_jstr(j, "error"), "invalid_grant") == 0,
		    "a refused refresh is not invalid_grant");
	json_decref(j);
	return (st);
}

static void
consent(const struct idenv *e, const struct person *p, const char *method,
    const char *purpose)
{
	char	*path = harness_printf("/api/v1/me/consents/%s", purpose);
	json_t	*j;
	long	 st;

	j = idl_reqj(e, method, path, p->access, NULL, &st);
	ck_assert_msg(st == 200, "%s %s: %ld", method, path, st);
	json_decref(j);
	free(path);
}

/*
 * Signalements (src/incidents, src/open311): a report with the marker in
 * its description, which an agent flags as personal data, and a photo
 * whose EXIF holds the marker (the original keeps it); an anonymous
 * report followed up at the account's own address, which the person also
 * supports; an Open311 request from a partner with the person's contact
 * in every contact field.
 */
static void
seed_incidents(struct idenv *e, struct person *p)
{
	static int	 partners;
	struct http_resp r;
	unsigned char	*jpg;
	size_t		 len;
	json_t		*j;
	long		 st;
	char		*tech, *desc, *make, *path, *auth, *report, *anon, *body;
	char		*name, *key, *fn, *ln, *em, *ph, cid[40], csecret[80];
	const char	*h[3];
	const char	*form[] = { "Content-Type: application/x-www-form-"
			    "urlencoded", NULL };

	desc = harness_printf("Trou devant chez %s", p->mark);
	j = idl_sendj(e, "POST", "/api/v1/incidents", p->access, json_pack(
	    "{s:s, s:s, s:f, s:f}", "category", "pothole", "description",
	    desc, "lat", 44.9316, "lon", 6.7219), &st);
	ck_assert_msg(st == 201, "report: %ld", st);
	report = strdup(idl_jstr(json_object_get(j, "report"), "id"));
	json_decref(j);
	free(desc);
	tech = cl_agent(e, CL_TECH);
	path = harness_printf("/api/v1/incidents/%s", report);
	ck_assert_int_eq(idl_status(e, "PATCH", path, tech,
	    "{\"personal_data_flagged\": true}"), 200);
	free(path);
	free(tech);
	make = harness_printf("Cam%s", p->mark);
	jpg = idl_jpeg_with_exif(make, &len);
	auth = harness_printf("Authorization: Bearer %s", p->access);
	h[0] = "Content-Type: image/jpeg";
	h[1] = auth;
	h[2] = NULL;
	path = harness_printf("/api/v1/incidents/%s/photos", report);
	ck_assert_int_eq(harness_http(&e->s, "POST", path, h, (char *)jpg,
	    len, &r), 0);
	ck_assert_msg(r.status == 201, "photo: %ld %s", r.status, r.body);
	http_resp_free(&r);
	free(path);
	free(auth);
	free(jpg);
	free(make);

	j = idl_sendj(e, "POST", "/api/v1/incidents", NULL, json_pack(
	    "{s:s, s:s, s:f, s:f, s:s}", "category", "litter", "description",
	    "Poubelle pleine", "lat", 44.9317, "lon", 6.7220, "email",
	    p->email), &st);
	ck_assert_msg(st == 201, "anonymous report: %ld", st);
	anon = strdup(idl_jstr(json_object_get(j, "report"), "id"));
	json_decref(j);
	path = harness_printf("/api/v1/incidents/%s/supporters", anon);
	st = idl_status(e, "POST", path, p->access, NULL);
	ck_assert_msg(st == 200 || st == 201, "support: %ld", st);
	free(path);

	name = harness_printf("Partner %d", ++partners);
	idl_client_add(e, name, "open311", NULL, cid, csecret);
	free(name);
	name = harness_printf("%s:%s", cid, csecret);
	key = idl_urlencode(name);
	free(name);
	em = idl_urlencode(p->email);
	fn = idl_urlencode(p->mark);
	ln = idl_urlencode(p->name);
	ph = idl_urlencode(p->phone);
	body = harness_printf("api_key=%s&service_code=litter&lat=44.9318&"
	    "long=6.7221&description=Sacs+au+sol&email=%s&first_name=%s&"
	    "last_name=%s&phone=%s&device_id=dev-%s&account_id=acc-%s", key,
	    em, fn, ln, ph, p->mark, p->mark);
	ck_assert_int_eq(idl_reqh(e, "POST", "/open311/v2/requests.json",
	    form, body, &r), 201);
	http_resp_free(&r);
	free(body);
	free(key);
	free(em);
	free(fn);
	free(ln);
	free(ph);

	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND reporter_id = '%s' AND "
	    "personal_data_flagged AND description LIKE '%%%s%%'", report,
	    p->id, p->mark), 1);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM files.files f "
	    "JOIN incidents.photos ph ON f.id = ph.original_file WHERE "
	    "ph.report_id = '%s' AND position(convert_to('%s', 'UTF8') IN "
	    "f.content) > 0", report, p->mark), 1);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM "
	    "incidents.reports WHERE id = '%s' AND reporter_id IS NULL AND "
	    "contact_email = '%s' AND contact_person_id = '%s'", anon,
	    p->email, p->id), 1);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM "
	    "incidents.supporters WHERE report_id = '%s' AND account_id = "
	    "'%s'", anon, p->id), 1);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM "
	    "open311.requests WHERE person_id = '%s' AND first_name = '%s' AND "
	    "last_name = '%s' AND phone = '%s' AND device_id = 'dev-%s' AND "
	    "account_id = 'acc-%s' AND email = '%s'", p->id, p->mark, p->name,
	    p->phone, p->mark, p->mark, p->email), 1);
	free(report);
	free(anon);
}

/*
 * Register p (a seasonal worker, or a tourist) and give it every record
 * that exists today.
 */
static void
seed(struct idenv *e, struct person *p, int tourist)
{
	json_t	*in, *j;
	char	*rt1 = NULL, *rt2 = NULL, *at = NULL;
	long	 st;

	in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s}}",
	    "email", p->email, "password", p->password, "display_name",
	    p->name, "locale", "fr", "profile_kind", tourist ? "tourist" :
	    "seasonal_worker", "phone", p->phone, "address", "street",
	    p->street, "postcode", p->postcode, "city", p->city);
	if (tourist)
		json_object_set_new(in, "stay", json_pack("{s:s, s:s}",
		    "start", "2026-12-19", "end", "2027-01-02"));
	else
		json_object_set_new(in, "employment", json_pack("{s:s, s:s, "
		    "s:s}", "employer", p->employer, "contract_start",
		    "2026-12-01", "contract_end", "2027-04-15"));
	j = idl_sendj(e, "POST", "/api/v1/accounts", NULL, in, &st);
	ck_assert_msg(st == 201 && idl_jstr(j, "id") != NULL,
	    "registration: %ld", st);
	p->id = strdup(idl_jstr(j, "id"));
	json_decref(j);

	/* Sessions: three logins, one refresh token rotated. */
	ck_assert_int_eq(login(e, p, NULL, &rt1), 200);
	ck_assert_int_eq(login(e, p, NULL, &rt2), 200);
	ck_assert_int_eq(login(e, p, &at, NULL), 200);
	p->access = at;
	ck_assert_int_eq(refresh(e, rt2, &p->refresh), 200);
	free(rt1);
	free(rt2);

	/* Consents given and withdrawn. */
	consent(e, p, "PUT", "newsletter");
	consent(e, p, "PUT", "visitor_statistics");
	consent(e, p, "DELETE", "newsletter");

	/* A password-reset request: an outbox message and a one-time token. */
	j = idl_sendj(e, "POST", "/api/v1/auth/password-reset", NULL,
	    json_pack("{s:s}", "email", p->email), &st);
	ck_assert_msg(st >= 200 && st < 300, "password reset: %ld", st);
	json_decref(j);

	/* A failed login: throttle rows keyed by address and by account. */
	ck_assert_int_eq(idl_login(e, p->email, "not-the-password-at-all",
	    NULL, NULL, NULL), 400);

	/* A rights request (an objection, with the person's own grounds). */
	{
		char	*grounds = harness_printf("my grounds %s", p->mark);

		j = idl_sendj(e, "POST", "/api/v1/me/objections", p->access,
		    json_pack("{s:s, s:s}", "purpose", "service", "grounds",
		    grounds), &st);
		ck_assert_msg(st >= 200 && st < 300, "objection: %ld", st);
		json_decref(j);
		free(grounds);
	}
	/* A restriction of processing. */
	j = idl_sendj(e, "POST", "/api/v1/me/restriction", p->access, NULL,
	    &st);
	ck_assert_msg(st >= 200 && st < 300, "restriction: %ld", st);
	json_decref(j);
	/* Someone looked at the data: an access-log row (as the DPO would). */
	ck_assert_int_eq(idl_sql_exec(e, "INSERT INTO privacy.access_log (at, "
	    "account_id, reader_kind, reader_account, dataset, record, purpose) "
	    "SELECT now(), '%s', 'dpo', a.id, 'identity.account', '%s', "
	    "'counter request' FROM identity.accounts a WHERE a.email = "
	    "'admin@demo.guichet.test'", p->id, p->id), 0);

	/*
	 * Cases: a draft, an open case with a message, one decided by the
	 * silence of 11 days (guichetctl at the clock moved): answers,
	 * history, thread, acknowledgements and their mail.
	 */
	{
		const char	*decide[] = { "--clock", "+11d", "cases",
				    "decide", NULL };
		char		*open, *path, *body;

		free(cl_file(e, p->access, "t_permis", json_pack("{s:s}",
		    "motif", p->mark), 0, NULL));
		open = cl_file(e, p->access, "t_express", json_pack("{s:s}",
		    "nom", p->mark), 1, NULL);
		path = harness_printf("/api/v1/cases/%s/messages", open);
		body = harness_printf("{\"body\": \"message %s\"}", p->mark);
		ck_assert_int_eq(idl_status(e, "POST", path, p->access, body),
		    201);
		free(cl_file(e, p->access, "t_permis", json_pack("{s:s, s:s}",
		    "nom", p->name, "motif", p->street), 1, NULL));
		/* t_express: silence decides nothing, it stays open. */
		ck_assert_int_eq(idl_ctl(e->db, 0, decide, NULL, NULL), 0);
		free(body);
		free(path);
		free(open);
	}

	seed_incidents(e, p);

	/* The records are there (else the proof proves nothing). */
	ck_assert_int_ge(idl_sql_count(e, "SELECT count(*) FROM "
	    "identity.refresh_tokens WHERE account_id = '%s'", p->id), 4);
	ck_assert_int_ge(idl_sql_count(e, "SELECT count(*) FROM "
	    "identity.one_time_tokens WHERE account_id = '%s'", p->id), 2);
	ck_assert_int_ge(idl_sql_count(e, "SELECT count(*) FROM ops.outbox "
	    "WHERE account_id = '%s' AND recipient = '%s'", p->id, p->email),
	    2);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM "
	    "privacy.consent_ledger WHERE account_id = '%s'", p->id), 3);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM "
	    "identity.auth_throttle WHERE key = "
	    "identity.throttle_user_key('%s')",
	    p->email), 1);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM privacy.requests "
	    "WHERE account_id = '%s' AND grounds LIKE '%%%s%%'", p->id,
	    p->mark), 1);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM "
	    "privacy.restrictions WHERE account_id = '%s'", p->id), 1);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM "
	    "privacy.access_log WHERE account_id = '%s'", p->id), 1);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM cases.cases "
	    "WHERE owner_id = '%s' AND answers::text LIKE '%%%s%%'", p->id,
	    p->mark), 3);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM cases.cases "
	    "WHERE owner_id = '%s' AND status = 'accepted' AND "
	    "answers::text LIKE '%%%s%%'", p->id, p->street), 1);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM "
	    "cases.messages m JOIN cases.cases c ON c.id = m.case_id WHERE "
	    "c.owner_id = '%s' AND m.body LIKE '%%%s%%'", p->id, p->mark), 1);
	ck_assert_int_ge(idl_sql_count(e, "SELECT count(*) FROM ops.outbox "
	    "WHERE account_id = '%s' AND template LIKE 'case\\_%%'", p->id),
	    3);
}

/* person_make() and seed() in one. */
static void
seeded(struct idenv *e, struct person *p, const char *tag, int tourist)
{
	person_make(p, tag);
	seed(e, p, tourist);
}

/* A server and R, the resident most tests erase, seeded. */
static void
start_with_r(struct idenv *e, struct person *r)
{
	idl_start_new(e, NULL);
	seeded(e, r, "Rx", 0);
}

/* DELETE /api/v1/me with 'password': the status, the body in *out. */
static long
erase_self(const struct idenv *e, const char *token, const char *password,
    json_t **out)
{
	json_t	*j;
	long	 st;

	j = idl_sendj(e, "DELETE", "/api/v1/me", token, json_pack("{s:s}",
	    "password", password), &st);
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return (st);
}

static void
erase_self_ok(const struct idenv *e, const struct person *p, json_t **out)
{
	json_t	*j;
	long	 st;
	char	*d;

	st = erase_self(e, p->access, p->password, &j);
	d = harness_dump(j);
	ck_assert_msg(st == 200, "DELETE /api/v1/me: %ld %s", st, d);
	free(d);
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
}

/* A person's rows in every table that holds them, as text. */
static const char *const bystander_tables[] = {
	"identity.accounts t WHERE t.id = '@ID@'",
	"identity.refresh_tokens t WHERE t.account_id = '@ID@'",
	"identity.one_time_tokens t WHERE t.account_id = '@ID@'",
	"ops.outbox t WHERE t.account_id = '@ID@'",
	"privacy.consent_ledger t WHERE t.account_id = '@ID@'",
	"identity.auth_throttle t WHERE t.key = "
	    "identity.throttle_user_key('@EMAIL@')",
	"cases.cases t WHERE t.owner_id = '@ID@'",
	"cases.history t WHERE t.case_id IN (SELECT c.id FROM cases.cases c "
	    "WHERE c.owner_id = '@ID@')",
	"cases.messages t WHERE t.case_id IN (SELECT c.id FROM cases.cases c "
	    "WHERE c.owner_id = '@ID@')",
	"cases.acknowledgements t WHERE t.case_id IN (SELECT c.id FROM "
	    "cases.cases c WHERE c.owner_id = '@ID@')",
	"incidents.reports t WHERE t.reporter_id = '@ID@' OR "
	    "t.contact_person_id = '@ID@'",
	"incidents.photos t WHERE t.report_id IN (SELECT r.id FROM "
	    "incidents.reports r WHERE r.reporter_id = '@ID@')",
	"files.files t WHERE t.id IN (SELECT ph.original_file FROM "
	    "incidents.photos ph JOIN incidents.reports r ON r.id = "
	    "ph.report_id WHERE r.reporter_id = '@ID@')",
	"incidents.supporters t WHERE t.account_id = '@ID@'",
	"open311.requests t WHERE t.person_id = '@ID@'",
	NULL,
};

/* 'table' with @ID@ and @EMAIL@ replaced by the person's (new string). */
static char *
subst(const char *table, const struct person *p)
{
	const char	*t = table, *v;
	char		*out;
	size_t		 n = 0, cap = strlen(table) + 512;

	out = calloc(1, cap);
	ck_assert(out != NULL);
	while (*t != '\0') {
		if (strncmp(t, "@ID@", 4) == 0 || strncmp(t, "@EMAIL@", 7) == 0) {
			v = t[1] == 'I' ? p->id : p->email;
			t += t[1] == 'I' ? 4 : 7;
			ck_assert(n + strlen(v) < cap - 1);
			memcpy(out + n, v, strlen(v));
			n += strlen(v);
		} else {
			ck_assert(n < cap - 1);
			out[n++] = *t++;
		}
	}
	out[n] = '\0';
	return (out);
}

static char *
rows_of(const struct idenv *e, const char *table, const struct person *p)
{
	char	*from, *v;

	from = subst(table, p);
	v = idl_sql(e, "SELECT count(*) || ':' || coalesce(string_agg(t::text, "
	    "'|' ORDER BY t::text), '') FROM %s", from);
	ck_assert_msg(v != NULL, "no rows answer for %s", from);
	free(from);
	return (v);
}

static json_t *
get_me(const struct idenv *e, const char *token, long want)
{
	json_t	*j;
	long	 st;

	j = idl_reqj(e, "GET", "/api/v1/me", token, NULL, &st);
	ck_assert_msg(st == want, "GET /api/v1/me: %ld, not %ld", st, want);
	return (j);
}

static int
legal_basis_ok(const char *b)
{
	static const char *const bases[] = { "consent", "contract",
	    "legal_obligation", "public_task", "legitimate_interest",
	    "vital_interest", NULL };
	int	 i;

	for (i = 0; b != NULL && bases[i] != NULL; i++)
		if (strcmp(b, bases[i]) == 0)
			return (1);
	return (0);
}

/* The answer of an erasure: erased[] and retained[] with basis and until. */
static void
assert_summary(const json_t *j, int consents_retained)
{
	const json_t	*it;
	const char	*at = idl_jstr(j, "erased_at"), *until;
	size_t		 i;
	int		 consent = 0;
	char		*d = harness_dump(j);

	ck_assert_msg(json_is_array(json_object_get(j, "erased")) &&
	    json_array_size(json_object_get(j, "erased")) > 0,
	    "no erased[]: %s", d);
	ck_assert_msg(json_is_array(json_object_get(j, "retained")),
	    "no retained[]: %s", d);
	ck_assert_msg(at != NULL && strlen(at) >= 20 && at[10] == 'T',
	    "no erased_at: %s", d);
	/* To the second, as every time of the API (the clock has more). */
	ck_assert_msg(strlen(at) == 20 && at[19] == 'Z', "erased_at is not "
	    "to the second: %s", d);
	json_array_foreach(json_object_get(j, "erased"), i, it)
		ck_assert_msg(idl_jstr(it, "module") != NULL &&
		    idl_jstr(it, "category") != NULL &&
		    json_is_integer(json_object_get(it, "records")),
		    "erased item %zu: %s", i, d);
	json_array_foreach(json_object_get(j, "retained"), i, it) {
		until = idl_jstr(it, "until");
		ck_assert_msg(idl_jstr(it, "category") != NULL &&
		    legal_basis_ok(idl_jstr(it, "legal_basis")) &&
		    until != NULL && strlen(until) >= 10 &&
		    strncmp(until, at, 10) > 0,
		    "retained item %zu needs category, legal_basis and an "
		    "until after erased_at: %s", i, d);
		if (strcmp(idl_jstr(it, "category"), "consent") == 0)
			consent = 1;
	}
	if (consents_retained)
		ck_assert_msg(consent, "the proof of consent is kept (Art. "
		    "7(1)) but not listed in retained[]: %s", d);
	free(d);
}

/* (a) */
START_TEST(test_answer_lists_erased_and_retained_with_basis_and_until)
{
	struct idenv	 e;
	struct person	 r;
	json_t		*j;
	char		*d;

	start_with_r(&e, &r);
	erase_self_ok(&e, &r, &j);
	assert_summary(j, 1);
	d = harness_dump(j);
	assert_absent(d, &r, "the erasure answer");
	free(d);
	json_decref(j);
	person_free(&r);
	idl_stop(&e);
}
END_TEST

/* (b) */
START_TEST(test_old_access_refresh_and_password_all_dead)
{
	struct idenv	 e;
	struct person	 r;
	json_t		*j;

	start_with_r(&e, &r);
	j = get_me(&e, r.access, 200);
	json_decref(j);
	erase_self_ok(&e, &r, NULL);
	/* At once, on this process: no wait for the principal cache. */
	j = get_me(&e, r.access, 401);
	json_decref(j);
	ck_assert_int_eq(refresh(&e, r.refresh, NULL), 400);
	ck_assert_int_eq(login(&e, &r, NULL, NULL), 400);
	/* Not even a second erasure with the same token. */
	ck_assert_int_eq(erase_self(&e, r.access, r.password, NULL), 401);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "identity.refresh_tokens WHERE account_id = '%s' AND revoked_at "
	    "IS NULL AND used_at IS NULL", r.id), 0);
	person_free(&r);
	idl_stop(&e);
}
END_TEST

/* (c) A8: neither the identifiers nor an unsalted hash of the email. */
START_TEST(test_dump_holds_no_marker_identifier_or_unsalted_hash)
{
	struct idenv	 e;
	struct person	 r, s;
	char		*before, *after;

	start_with_r(&e, &r);
	seeded(&e, &s, "Sy", 1);
	before = idl_pg_dump(&e);
	/* The test sees what it looks for. */
	assert_present(before, &r, "the dump before erasure");
	ck_assert(idl_count(before, r.employer) > 0);
	erase_self_ok(&e, &r, NULL);
	after = idl_pg_dump(&e);
	assert_absent(after, &r, "pg_dump --data-only after erasure");
	assert_present(after, &s, "the bystander's data in the dump");
	free(before);
	free(after);
	person_free(&r);
	person_free(&s);
	idl_stop(&e);
}
END_TEST

/* (d) */
START_TEST(test_bystander_rows_markers_and_login_untouched)
{
	struct idenv	 e;
	struct person	 r, s;
	json_t		*me1, *me2;
	char		*before[24], *after, *d1, *d2, *at = NULL;
	int		 i;

	idl_start_new(&e, NULL);
	seeded(&e, &s, "Sy", 1);
	seeded(&e, &r, "Rx", 0);
	me1 = get_me(&e, s.access, 200);
	for (i = 0; bystander_tables[i] != NULL; i++)
		before[i] = rows_of(&e, bystander_tables[i], &s);
	erase_self_ok(&e, &r, NULL);
	for (i = 0; bystander_tables[i] != NULL; i++) {
		after = rows_of(&e, bystander_tables[i], &s);
		ck_assert_msg(strcmp(before[i], after) == 0, "the bystander's "
		    "rows changed in %s:\nbefore %s\nafter  %s",
		    bystander_tables[i], before[i], after);
		ck_assert_msg(strncmp(before[i], "0:", 2) != 0,
		    "the bystander has no rows in %s: the check is empty",
		    bystander_tables[i]);
		free(before[i]);
		free(after);
	}
	/* The same token still works and the account reads the same. */
	me2 = get_me(&e, s.access, 200);
	d1 = harness_dump(me1);
	d2 = harness_dump(me2);
	ck_assert_msg(strcmp(d1, d2) == 0, "GET /me of the bystander "
	    "changed:\n%s\n%s", d1, d2);
	assert_present(d2, &s, "the bystander's GET /me");
	ck_assert_int_eq(login(&e, &s, &at, NULL), 200);
	ck_assert_int_eq(refresh(&e, s.refresh, NULL), 200);
	free(d1);
	free(d2);
	free(at);
	json_decref(me1);
	json_decref(me2);
	person_free(&r);
	person_free(&s);
	idl_stop(&e);
}
END_TEST

/* (e) A10, B4 */
START_TEST(test_server_log_holds_no_marker)
{
	struct idenv	 e;
	struct person	 r;
	char		*log;

	start_with_r(&e, &r);
	/* A wrong password first: the refusal is logged too. */
	ck_assert_int_eq(erase_self(&e, r.access, "Wrong-password-2026!",
	    NULL), 422);
	erase_self_ok(&e, &r, NULL);
	ck_assert_int_eq(login(&e, &r, NULL, NULL), 400);
	log = idl_log(&e);
	ck_assert_msg(idl_count(log, r.id) > 0, "the log does not name the "
	    "erased account: is it the right log?");
	assert_absent(log, &r, "the server log");
	free(log);
	person_free(&r);
	idl_stop(&e);
}
END_TEST

/* The erasure's record holds the answer's 'member' as the person got it. */
static void
recorded_as_told(const struct idenv *e, const struct person *p,
    const json_t *answer, const char *member)
{
	char	*d, *v;

	d = harness_dump(json_object_get(answer, member));
	v = idl_sql(e, "SELECT %s = '%s'::jsonb FROM privacy.erasures WHERE "
	    "account_id = '%s'", member, d, p->id);
	ck_assert_msg(v != NULL && strcmp(v, "t") == 0, "%s[] recorded "
	    "differs from the answer", member);
	free(v);
	free(d);
}

/* (f) A10: the erasure is recorded, without what was erased. */
START_TEST(test_erasure_recorded_without_erased_values)
{
	struct idenv	 e;
	struct person	 r;
	json_t		*j;
	char		*row, *v;

	start_with_r(&e, &r);
	erase_self_ok(&e, &r, &j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM privacy.erasures "
	    "WHERE account_id = '%s' AND actor = 'self' AND agent_id IS NULL "
	    "AND reason IS NULL AND tombstone IS NOT NULL AND tombstone <> "
	    "account_id", r.id), 1);
	row = idl_sql(&e, "SELECT t::text FROM privacy.erasures t");
	ck_assert(row != NULL);
	assert_absent(row, &r, "privacy.erasures");
	/* The record says what the person was told. */
	recorded_as_told(&e, &r, j, "erased");
	recorded_as_told(&e, &r, j, "retained");
	/* The account row stays, anonymised, marked erased. */
	v = idl_sql(&e, "SELECT status FROM identity.accounts WHERE id = '%s'",
	    r.id);
	ck_assert_msg(v != NULL && strcmp(v, "erased") == 0, "status %s",
	    v != NULL ? v : "(none)");
	free(v);
	free(row);
	json_decref(j);
	person_free(&r);
	idl_stop(&e);
}
END_TEST

/* (g) */
START_TEST(test_dpo_erases_with_reason_once_and_others_cannot)
{
	struct idenv	 e;
	struct person	 t, s;
	json_t		*j;
	char		*path, *dpo, *agent, *resident, *v, *d;
	long		 st;

	idl_start_new(&e, NULL);
	seeded(&e, &t, "Tz", 1);
	seeded(&e, &s, "Sy", 0);
	dpo = idl_login_admin(&e);
	agent = idl_login_ok(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, NULL);
	resident = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD,
	    NULL);
	path = harness_printf("/api/v1/admin/privacy/subjects/%s/erase", t.id);

	/* Neither a plain agent nor a resident. */
	j = idl_sendj(&e, "POST", path, agent, json_pack("{s:s}", "reason",
	    DPO_REASON), &st);
	ck_assert_int_eq(st, 403);
	json_decref(j);
	j = idl_sendj(&e, "POST", path, resident, json_pack("{s:s}", "reason",
	    DPO_REASON), &st);
	ck_assert_int_eq(st, 403);
	json_decref(j);
	j = idl_sendj(&e, "POST", path, NULL, json_pack("{s:s}", "reason",
	    DPO_REASON), &st);
	ck_assert_int_eq(st, 401);
	json_decref(j);
	/* The reason is required, 1 to 500 characters. */
	j = idl_sendj(&e, "POST", path, dpo, json_pack("{}"), &st);
	ck_assert_int_eq(st, 422);
	ck_assert(idl_error_for(j, "/reason") != NULL);
	json_decref(j);
	j = idl_sendj(&e, "POST", path, dpo, json_pack("{s:s}", "reason", ""),
	    &st);
	ck_assert_int_eq(st, 422);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM identity.accounts "
	    "WHERE id = '%s' AND status = 'active'", t.id), 1);

	/* The DPO: 200 with the same answer as the person's own erasure. */
	j = idl_sendj(&e, "POST", path, dpo, json_pack("{s:s}", "reason",
	    DPO_REASON), &st);
	d = harness_dump(j);
	ck_assert_msg(st == 200, "DPO erasure: %ld %s", st, d);
	free(d);
	assert_summary(j, 1);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM privacy.erasures "
	    "WHERE account_id = '%s' AND actor = 'dpo' AND agent_id = '%s' "
	    "AND reason = '%s'", t.id, idl_demo.admin_id,
	    "Demande ecrite recue a l''accueil de la mairie"), 1);
	v = idl_pg_dump(&e);
	assert_absent(v, &t, "the dump after a DPO erasure");
	assert_present(v, &s, "the bystander's data in the dump");
	free(v);
	ck_assert_int_eq(login(&e, &t, NULL, NULL), 400);

	/* Again: 409, and nothing is recorded twice. */
	j = idl_sendj(&e, "POST", path, dpo, json_pack("{s:s}", "reason",
	    DPO_REASON), &st);
	ck_assert_int_eq(st, 409);
	json_decref(j);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM privacy.erasures "
	    "WHERE account_id = '%s'", t.id), 1);
	free(path);

	/* Unknown and malformed ids: 404. */
	j = idl_sendj(&e, "POST", "/api/v1/admin/privacy/subjects/"
	    "00000000-0000-4000-8000-000000000000/erase", dpo,
	    json_pack("{s:s}", "reason", DPO_REASON), &st);
	ck_assert_int_eq(st, 404);
	json_decref(j);
	j = idl_sendj(&e, "POST", "/api/v1/admin/privacy/subjects/nope/erase",
	    dpo, json_pack("{s:s}", "reason", DPO_REASON), &st);
	ck_assert_int_eq(st, 404);
	json_decref(j);
	/* An agent's account is the town's: not erased this way. */
	path = harness_printf("/api/v1/admin/privacy/subjects/%s/erase",
	    idl_demo.agent_id);
	j = idl_sendj(&e, "POST", path, dpo, json_pack("{s:s}", "reason",
	    DPO_REASON), &st);
	ck_assert_int_eq(st, 409);
	json_decref(j);
	free(path);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM identity.accounts "
	    "WHERE status = 'erased'"), 1);
	free(dpo);
	free(agent);
	free(resident);
	person_free(&t);
	person_free(&s);
	idl_stop(&e);
}
END_TEST

/* (h) A8: the salt is per erasure: the same person, two databases. */
START_TEST(test_salt_differs_per_erasure)
{
	struct idenv	 e1, e2;
	char		*a1, *a2, *at, *h;
	const char	*me = idl_demo.resident_id;

	idl_start_new(&e1, NULL);
	idl_start_new(&e2, NULL);
	/* The demo resident: same id, same email in both copies. */
	at = idl_login_ok(&e1, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	ck_assert_int_eq(erase_self(&e1, at, IDL_RESIDENT_PASSWORD, NULL),
	    200);
	free(at);
	at = idl_login_ok(&e2, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	ck_assert_int_eq(erase_self(&e2, at, IDL_RESIDENT_PASSWORD, NULL),
	    200);
	free(at);
	a1 = idl_sql(&e1, "SELECT email FROM identity.accounts WHERE id = "
	    "'%s'", me);
	a2 = idl_sql(&e2, "SELECT email FROM identity.accounts WHERE id = "
	    "'%s'", me);
	ck_assert(a1 != NULL && a2 != NULL);
	ck_assert_msg(strcmp(a1, a2) != 0, "the same anonymised email twice "
	    "(%s): the salt is not per erasure", a1);
	ck_assert_msg(strstr(a1, "resident") == NULL && strstr(a2,
	    "resident") == NULL, "the anonymised emails keep the address: %s "
	    "%s", a1, a2);
	h = sha256_hex(IDL_RESIDENT_EMAIL);
	ck_assert(strstr(a1, h) == NULL && strstr(a2, h) == NULL);
	free(h);
	free(a1);
	free(a2);
	idl_stop(&e1);
	idl_stop(&e2);
}
END_TEST

START_TEST(test_wrong_password_refused_and_nothing_erased)
{
	struct idenv	 e;
	struct person	 r;
	struct http_resp resp;
	json_t		*j, *err;
	char		*body;
	long		 st;

	start_with_r(&e, &r);
	ck_assert_int_eq(erase_self(&e, r.access, "Wrong-password-2026!", &j),
	    422);
	err = idl_error_for(j, "/password");
	ck_assert_msg(err != NULL && idl_jstr(err, "code") != NULL &&
	    strcmp(idl_jstr(err, "code"), "wrong") == 0, "no /password wrong");
	json_decref(j);
	/* No body, or no password: 422 as well; no token: 401. */
	body = harness_printf("{}");
	st = idl_req(&e, "DELETE", "/api/v1/me", r.access, body, &resp);
	ck_assert_int_eq(st, 422);
	http_resp_free(&resp);
	free(body);
	ck_assert_int_eq(erase_self(&e, NULL, r.password, NULL), 401);
	/* Nothing happened: the account, its tokens, its records are there. */
	j = get_me(&e, r.access, 200);
	json_decref(j);
	ck_assert_int_eq(refresh(&e, r.refresh, NULL), 200);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM privacy.erasures"),
	    0);
	/* Two of identity, the anonymous report's link (seed_incidents()). */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox WHERE "
	    "account_id = '%s' AND template NOT LIKE 'case\\_%%'", r.id), 3);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM cases.cases "
	    "WHERE owner_id = '%s' AND redacted_at IS NULL", r.id), 3);
	/* The wrong password counted as a failed sign-in. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT failures FROM "
	    "identity.auth_throttle WHERE key = "
	    "identity.throttle_user_key('%s')",
	    r.email), 2);
	person_free(&r);
	idl_stop(&e);
}
END_TEST

START_TEST(test_agent_cannot_erase_own_account)
{
	struct idenv	 e;
	struct http_resp resp;
	char		*at, *body;
	json_t		*j;

	idl_start_new(&e, NULL);
	at = idl_login_ok(&e, IDL_AGENT_EMAIL, IDL_AGENT_PASSWORD, NULL);
	body = harness_printf("{\"password\":\"%s\"}", IDL_AGENT_PASSWORD);
	ck_assert_int_eq(idl_req(&e, "DELETE", "/api/v1/me", at, body, &resp),
	    403);
	j = harness_assert_problem(&resp, 403, NULL, NULL);
	/* In the agent's language (fr): it says why. */
	ck_assert_str_eq(idl_jstr(j, "code"), "agent_erasure_forbidden");
	ck_assert_msg(strstr(idl_jstr(j, "detail"), "commune") != NULL,
	    "the refusal does not say why: %s", idl_jstr(j, "detail"));
	json_decref(j);
	http_resp_free(&resp);
	free(body);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM identity.accounts "
	    "WHERE id = '%s' AND status = 'active'", idl_demo.agent_id), 1);
	free(at);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_answer_lists_erased_and_retained_with_basis_and_until,
	&test_old_access_refresh_and_password_all_dead,
	&test_dump_holds_no_marker_identifier_or_unsalted_hash,
	&test_bystander_rows_markers_and_login_untouched,
	&test_server_log_holds_no_marker,
	&test_erasure_recorded_without_erased_values,
	&test_dpo_erases_with_reason_once_and_others_cannot,
	&test_salt_differs_per_erasure,
	&test_wrong_password_refused_and_nothing_erased,
	&test_agent_cannot_erase_own_account,
	NULL
};

const struct test_group test_groups[] = {
	{ "erasure", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
