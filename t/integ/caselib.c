/*
 * caselib.c: shared code of the cases tests (see caselib.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caselib.h"
#include "fileslib.h"

struct cl_people	 cl_people;

static const struct {
	const char	*email;
	const char	*roles;
	const char	*department;
	const char	*secret;
} agents[CL__AGENTS] = {
	[CL_TECH] = { "tech@demo.guichet.test", "{agent}",
	    "services_techniques", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" },
	[CL_TECH_CHIEF] = { "chef-tech@demo.guichet.test",
	    "{agent,supervisor}", "services_techniques",
	    "MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK" },
	[CL_MAIRIE] = { "mairie-agent@demo.guichet.test", "{agent}", "mairie",
	    "ONSWG4TFORXXEZLTONSWG4TFORXXEZLT" },
	[CL_LIFT_CHIEF] = { "chef-remontees@demo.guichet.test",
	    "{supervisor}", "remontees_mecaniques",
	    "KRUGKIDRORUWGYZAKRUGKIDRORUWGYZA" },
};

static void	 fatal(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

static void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "caselib: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(99);
}

/* A copy of the account 'from' as 'email' (same password): its id. */
static void
account_copy(const char *from, const char *email, const char *kind,
    const char *extra, char *id)
{
	char	*sql, *v;

	sql = harness_printf("INSERT INTO identity.accounts (email, "
	    "email_key, email_verified_at, password_hash, display_name, "
	    "locale, profile_kind, stay_start, stay_end, status, "
	    "token_version, created_at, updated_at) SELECT '%s', '%s', "
	    "email_verified_at, password_hash, 'Test %s', 'fr', '%s', %s, "
	    "'active', 0, created_at, updated_at FROM identity.accounts "
	    "WHERE email = '%s' RETURNING id", email, email, kind, kind, extra,
	    from);
	if ((v = harness_sql(idl_template(), sql)) == NULL)
		fatal("cannot make the account %s", email);
	snprintf(id, 40, "%s", v);
	free(v);
	free(sql);
}

static void
exec_or_die(const char *sql)
{
	if (harness_sql_exec(idl_template(), sql) == -1)
		fatal("set-up failed: %s", sql);
}

static const char procedures_json[] =
    "[{\"code\": \"t_permis\", \"title\": {\"fr\": \"Permis de test\", "
    "\"en\": \"Test permit\", \"it\": \"Permesso di prova\"}, "
    "\"description\": {\"fr\": \"Pour les tests.\", \"en\": \"For tests.\", "
    "\"it\": \"Per i test.\"}, \"department\": \"services_techniques\", "
    "\"profile_kinds\": [\"permanent_resident\", \"secondary_resident\", "
    "\"seasonal_worker\", \"tourist\"], \"theme\": \"N19812\", "
    "\"deadline_days\": 10, \"implicit\": \"acceptance\", "
    "\"retention_years\": 1, \"legal_basis\": \"Tests.\", \"grants\": null, "
    "\"documents\": [], \"form\": ["
    "{\"name\": \"nom\", \"type\": \"text\", \"required\": true, "
    "\"length\": 60, \"label\": {\"fr\": \"Nom\", \"en\": \"Name\", "
    "\"it\": \"Nome\"}}, "
    "{\"name\": \"vehicule\", \"type\": \"boolean\", \"label\": {\"fr\": "
    "\"Véhicule\", \"en\": \"Vehicle\", \"it\": \"Veicolo\"}}, "
    "{\"name\": \"plaque\", \"type\": \"text\", \"required\": true, "
    "\"length\": 12, \"pattern\": \"[A-Z]{2}-[0-9]{3}-[A-Z]{2}\", "
    "\"visible_if\": {\"field\": \"vehicule\", \"equals\": true}, "
    "\"label\": {\"fr\": \"Plaque\", \"en\": \"Plate\", \"it\": "
    "\"Targa\"}}, "
    "{\"name\": \"plan\", \"type\": \"file\", \"label\": {\"fr\": "
    "\"Plan\", \"en\": \"Map\", \"it\": \"Pianta\"}}, "
    "{\"name\": \"nombre\", \"type\": \"number\", \"integer\": true, "
    "\"min\": 1, \"max\": 5, \"label\": {\"fr\": \"Nombre\", \"en\": "
    "\"Number\", \"it\": \"Numero\"}}, "
    "{\"name\": \"motif\", \"type\": \"textarea\", \"label\": {\"fr\": "
    "\"Motif\", \"en\": \"Reason\", \"it\": \"Motivo\"}}]}"
    "%s]";

/* The other procedures: the same simple form, other rules. */
static const char other_procedure[] =
    ", {\"code\": \"%s\", \"title\": {\"fr\": \"%s\", \"en\": \"%s\", "
    "\"it\": \"%s\"}, \"description\": {\"fr\": \"Pour les tests.\", "
    "\"en\": \"For tests.\", \"it\": \"Per i test.\"}, \"department\": "
    "\"%s\", \"profile_kinds\": %s, \"theme\": \"N19812\", "
    "\"deadline_days\": %d, \"implicit\": %s, \"retention_years\": 1, "
    "\"legal_basis\": \"Tests.\", \"grants\": %s, \"documents\": %s, "
    "\"form\": [{\"name\": \"nom\", \"type\": \"text\", \"required\": "
    "true, \"label\": {\"fr\": \"Nom\", \"en\": \"Name\", \"it\": "
    "\"Nome\"}}]}";

#define ALL_PROFILES	"[\"permanent_resident\", \"secondary_resident\", " \
			"\"seasonal_worker\", \"tourist\"]"

static void
procedures_import(void)
{
	const char	*args[4] = { "procedures", "import", NULL, NULL };
	char		*others, *a, *b, *c, *d, *all, *path, *out = NULL;
	char		*err = NULL;
	int		 rc;

	a = harness_printf(other_procedure, "t_refus", "Refus tacite",
	    "Tacit refusal", "Rifiuto tacito", "services_techniques",
	    ALL_PROFILES, 15, "\"rejection\"", "null", "[]");
	b = harness_printf(other_procedure, "t_express", "Réponse expresse",
	    "Express answer", "Risposta espressa", "services_techniques",
	    ALL_PROFILES, 20, "null", "null", "[]");
	c = harness_printf(other_procedure, "t_pieces", "Avec pièces",
	    "With documents", "Con documenti", "services_techniques",
	    ALL_PROFILES, 10, "\"acceptance\"", "null",
	    "[{\"code\": \"justificatif\", \"label\": {\"fr\": \"Justificatif "
	    "de domicile\", \"en\": \"Proof of address\", \"it\": "
	    "\"Giustificativo di domicilio\"}, \"required\": true}, "
	    "{\"code\": \"photo\", \"label\": {\"fr\": \"Photo\", \"en\": "
	    "\"Photo\", \"it\": \"Foto\"}, \"required\": false}]");
	d = harness_printf(other_procedure, "t_forfait", "Forfait résident",
	    "Resident pass", "Skipass residente", "remontees_mecaniques",
	    "[\"permanent_resident\"]", 30, "\"acceptance\"",
	    "{\"kind\": \"resident\", \"season\": \"2026-2027\"}", "[]");
	others = harness_printf("%s%s%s%s", a, b, c, d);
	all = harness_printf(procedures_json, others);
	path = harness_printf("%s/cases-procedures.json", harness_tmpdir());
	if (harness_write_file(path, all) == -1)
		fatal("cannot write %s", path);
	args[2] = path;
	if ((rc = idl_ctl(idl_template(), 0, args, &out, &err)) != 0)
		fatal("guichetctl procedures import exited %d: %s%s", rc,
		    out != NULL ? out : "", err != NULL ? err : "");
	free(out);
	free(err);
	free(a);
	free(b);
	free(c);
	free(d);
	free(others);
	free(all);
	free(path);
}

void
cl_prepare(void)
{
	char	*sql;
	int	 i;

	idl_prepare();
	account_copy(IDL_RESIDENT_EMAIL, CL_OTHER_EMAIL, "permanent_resident",
	    "NULL, NULL", cl_people.other);
	account_copy(IDL_RESIDENT_EMAIL, CL_TOURIST_EMAIL, "tourist",
	    "'2026-12-01', '2027-04-30'", cl_people.tourist);
	for (i = 0; i < CL__AGENTS; i++) {
		account_copy(IDL_AGENT_EMAIL, agents[i].email,
		    "permanent_resident", "NULL, NULL", cl_people.agent[i]);
		sql = harness_printf("INSERT INTO identity.agents (account_id, "
		    "roles, totp_secret, totp_enrolled_at, totp_last_step, "
		    "created_at) VALUES ('%s', '%s', '%s', '2026-01-01Z', -1, "
		    "'2026-01-01Z'); INSERT INTO identity.agent_departments "
		    "(account_id, department) VALUES ('%s', '%s')",
		    cl_people.agent[i], agents[i].roles, agents[i].secret,
		    cl_people.agent[i], agents[i].department);
		exec_or_die(sql);
		free(sql);
	}
	procedures_import();
	/*
	 * The demo's cases were filed at the real clock: each test files
	 * its own, at its own (t4106 makes the demo's again); so were the
	 * demo's reports (sql/demo/008_reports.sql), which the incidents
	 * and Open311 tests would count.
	 */
	exec_or_die("DELETE FROM incidents.reports; "
	    "DELETE FROM cases.cases; DELETE FROM cases.attachments; "
	    "DELETE FROM files.files WHERE owner_module = 'cases'; "
	    "DELETE FROM ops.outbox WHERE template LIKE 'case\\_%'");
}

char *
cl_agent(struct idenv *e, enum cl_agent a)
{
	char	 code[8];

	idl_otp(e, agents[a].secret, code);
	return (idl_login_ok(e, agents[a].email, IDL_AGENT_PASSWORD, code));
}

char *
cl_resident(const struct idenv *e)
{
	return (idl_login_ok(e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD,
	    NULL));
}

char *
cl_other(const struct idenv *e)
{
	return (idl_login_ok(e, CL_OTHER_EMAIL, IDL_RESIDENT_PASSWORD, NULL));
}

char *
cl_other_in(const struct idenv *e, const char *locale)
{
	ck_assert_int_eq(idl_sql_exec(e, "UPDATE identity.accounts SET "
	    "locale = '%s' WHERE email = '%s'", locale, CL_OTHER_EMAIL), 0);
	return (cl_other(e));
}

char *
cl_tourist(const struct idenv *e)
{
	return (idl_login_ok(e, CL_TOURIST_EMAIL, IDL_RESIDENT_PASSWORD,
	    NULL));
}

json_t *
cl_permis_form(void)
{
	return (json_pack("{s:s, s:b, s:s, s:i}", "nom", "Camille Démo",
	    "vehicule", 1, "plaque", "AB-123-CD", "nombre", 2));
}

char *
cl_file(const struct idenv *e, const char *token, const char *procedure,
    json_t *form, int submit, json_t **out)
{
	json_t	*in, *j;
	char	*id;
	long	 st;

	in = json_pack("{s:s, s:o, s:b}", "procedure", procedure, "form",
	    form != NULL ? form : json_object(), "submit", submit);
	j = idl_sendj(e, "POST", "/api/v1/cases", token, in, &st);
	ck_assert_msg(st == 201 && idl_jstr(j, "id") != NULL,
	    "filing %s: status %ld: %s", procedure, st,
	    j != NULL ? harness_dump(j) : "");
	id = harness_printf("%s", idl_jstr(j, "id"));
	if (out != NULL)
		*out = j;
	else
		json_decref(j);
	return (id);
}

json_t *
cl_get(const struct idenv *e, const char *token, const char *id, long *st)
{
	char	*path = harness_printf("/api/v1/cases/%s", id);
	json_t	*j;

	j = idl_reqj(e, "GET", path, token, NULL, st);
	free(path);
	return (j);
}

long
cl_move(const struct idenv *e, const char *token, const char *id,
    const char *to, const char *note)
{
	char	*path = harness_printf("/api/v1/cases/%s/transitions", id);
	json_t	*in, *j;
	long	 st;

	in = json_pack("{s:s}", "to", to);
	if (note != NULL)
		json_object_set_new(in, "note", json_string(note));
	j = idl_sendj(e, "POST", path, token, in, &st);
	json_decref(j);
	free(path);
	return (st);
}

json_t *
cl_problem(const struct idenv *e, const char *method, const char *path,
    const char *token, const char *body, long status, const char *code)
{
	struct http_resp r;
	json_t		*j;

	idl_req(e, method, path, token, body, &r);
	j = harness_assert_problem(&r, status, NULL, NULL);
	idl_assert_str(j, "code", code);
	http_resp_free(&r);
	return (j);
}

void
cl_decide(const struct idenv *e, const char *agent, const char *chief,
    const char *id, const char *decision, const char *note)
{
	ck_assert_int_eq(cl_move(e, agent, id, "in_review", NULL), 200);
	ck_assert_int_eq(cl_move(e, chief, id, decision, note), 200);
}

char *
cl_state(const struct idenv *e, const char *id)
{
	return (idl_sql(e, "SELECT status FROM cases.cases WHERE id = '%s'",
	    id));
}

void
cl_assert_state(const struct idenv *e, const char *id, const char *want)
{
	char	*s = cl_state(e, id);

	ck_assert_msg(s != NULL && strcmp(s, want) == 0, "case %s is %s, "
	    "not %s", id, s != NULL ? s : "(none)", want);
	free(s);
}

long
cl_mails(const struct idenv *e, const char *email, const char *template)
{
	return (idl_sql_count(e, "SELECT count(*) FROM ops.outbox m "
	    "WHERE m.template = '%s' AND m.recipient = '%s'", template,
	    email));
}

long
cl_upload(const struct idenv *e, const char *token, const char *id,
    const char *query, const char *ctype, const char *name, const void *data,
    size_t len, struct http_resp *r)
{
	const char	*h[5];
	char		*path, *auth, *type, *disp = NULL, *enc;
	int		 n = 0;

	path = harness_printf("/api/v1/cases/%s/attachments%s", id, query);
	auth = harness_printf("Authorization: Bearer %s", token);
	type = harness_printf("Content-Type: %s", ctype);
	h[n++] = auth;
	h[n++] = type;
	if (name != NULL) {
		enc = idl_urlencode(name);
		disp = harness_printf("Content-Disposition: attachment; "
		    "filename*=UTF-8''%s", enc);
		free(enc);
		h[n++] = disp;
	}
	h[n] = NULL;
	ck_assert_msg(harness_http(&e->s, "POST", path, h, data, len, r) == 0,
	    "POST %s: no response: %s", path, r->error);
	free(path);
	free(auth);
	free(type);
	free(disp);
	return (r->status);
}

char *
cl_attach(const struct idenv *e, const char *token, const char *id,
    const char *document, const char *tail)
{
	struct http_resp r;
	json_t		*j;
	char		*pdf, *q, *fid;
	size_t		 len;

	pdf = fl_pdf(tail, &len);
	q = document != NULL ? harness_printf("?document=%s", document) :
	    harness_printf("%s", "");
	cl_upload(e, token, id, q, "application/pdf", "piece.pdf", pdf, len,
	    &r);
	j = harness_json(&r);
	ck_assert_msg(r.status == 201, "attaching to %s: %ld: %s", id,
	    r.status, r.body);
	fid = harness_printf("%s", idl_jstr(json_object_get(j, "file"),
	    "id"));
	json_decref(j);
	http_resp_free(&r);
	free(pdf);
	free(q);
	return (fid);
}

/* The problem code of an answer ("" when none). */
static char *
code_of(const struct http_resp *r)
{
	json_t	*j = harness_json(r);
	char	*c;

	c = harness_printf("%s", j != NULL && idl_jstr(j, "code") != NULL ?
	    idl_jstr(j, "code") : "");
	json_decref(j);
	return (c);
}

void
cl_is_code(const struct http_resp *r, long status, const char *code)
{
	char	*c = code_of(r);

	ck_assert_msg(r->status == status && strcmp(c, code) == 0,
	    "%ld %s, expected %ld %s: %s", r->status, c, status, code,
	    r->body);
	free(c);
}

json_t *
cl_uploaded(const struct idenv *e, const char *token, const char *id,
    const char *query, const char *ctype, const char *name, const void *data,
    size_t len)
{
	struct http_resp r;
	json_t		*j;

	cl_upload(e, token, id, query, ctype, name, data, len, &r);
	ck_assert_msg(r.status == 201, "upload: %ld: %s", r.status, r.body);
	j = harness_json(&r);
	http_resp_free(&r);
	return (j);
}

const char *
cl_file_id(const json_t *a)
{
	return (idl_jstr(json_object_get(a, "file"), "id"));
}

long
cl_on_file(const struct idenv *e, const char *method, const char *token,
    const char *id, const char *file, struct http_resp *r)
{
	char	*path;
	long	 st;

	path = harness_printf("/api/v1/cases/%s/attachments/%s", id, file);
	st = idl_req(e, method, path, token, NULL, r);
	free(path);
	return (st);
}

long
cl_file_status(const struct idenv *e, const char *method, const char *token,
    const char *id, const char *file)
{
	char	*path;
	long	 st;

	path = harness_printf("/api/v1/cases/%s/attachments/%s", id, file);
	st = idl_status(e, method, path, token, NULL);
	free(path);
	return (st);
}

long
cl_rows(const struct idenv *e, const char *table, const char *id)
{
	const char	*col = "case_id";

	if (strcmp(table, "cases.cases") == 0)
		col = "id";
	else if (strcmp(table, "files.files") == 0)
		return (idl_sql_count(e, "SELECT count(*) FROM files.files "
		    "WHERE owner_module = 'cases' AND owner_id = '%s'", id));
	return (idl_sql_count(e, "SELECT count(*) FROM %s WHERE %s = '%s'",
	    table, col, id));
}
