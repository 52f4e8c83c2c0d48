/*
 * t4101-cases: filing a case (README, "Démarches"): drafts and their
 * merge patches, the answers checked field by field against the
 * procedure's form (procedures_check_form(): JSON pointers into "form",
 * visible_if), the
 * profile kinds a procedure is open to, the readable reference (without
 * gaps under concurrent submissions), and the acknowledgement of receipt
 * with what the law requires (CRPA L112-11, R112-11-1, R112-5, L114-5),
 * kept on the case and sent by mail in the person's language.
 */
#include <sys/wait.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caselib.h"

/* 20 March 2026, 10:30 in Montgenèvre (CET). */
#define FROZEN	"2026-03-20T09:30:00Z"

static const char *
mention(const json_t *c, const char *name)
{
	const char	*s;

	s = idl_jstr(json_object_get(json_object_get(c, "acknowledgement"),
	    "mentions"), name);
	ck_assert_msg(s != NULL, "no mention %s", name);
	return (s);
}

static void
contains(const char *hay, const char *needle)
{
	ck_assert_msg(strstr(hay, needle) != NULL, "'%s' not in '%s'", needle,
	    hay);
}

/* A case of 'procedure' filed by 'token' with a name only, as it reads it. */
static json_t *
filed_named(const struct idenv *e, const char *token, const char *procedure)
{
	json_t	*c;
	char	*id;
	long	 st;

	id = cl_file(e, token, procedure, json_pack("{s:s}", "nom", "A"), 1,
	    NULL);
	c = cl_get(e, token, id, &st);
	ck_assert_int_eq(st, 200);
	free(id);
	return (c);
}

START_TEST(test_draft_patch_submit)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*c, *err;
	char		*res, *id, *path;
	long		 st;
	regex_t		 re;

	res = idl_start_resident(&e, FROZEN);
	id = cl_file(&e, res, "t_permis", json_pack("{s:s}", "motif",
	    "premier jet"), 0, &c);
	idl_assert_strs(c, "status", "draft", NULL);
	ck_assert(json_is_null(json_object_get(c, "reference")));
	ck_assert(json_is_null(json_object_get(c, "received_at")));
	/* A draft lives case_draft_days (30) after its last change. */
	idl_assert_str(c, "expires_at", "2026-04-19T09:30:00Z");
	json_decref(c);

	/* An empty PATCH changes nothing: 422 empty_patch, as everywhere. */
	path = harness_printf("/api/v1/cases/%s", id);
	json_decref(cl_problem(&e, "PATCH", path, res, "{}", 422,
	    "empty_patch"));

	/* A merge patch: members replace, null removes. */
	c = idl_reqj(&e, "PATCH", path, res, "{\"form\": {\"motif\": null, "
	    "\"vehicule\": true, \"plaque\": \"AB-123-CD\"}}", &st);
	ck_assert_int_eq(st, 200);
	ck_assert(json_object_get(json_object_get(c, "form"), "motif") ==
	    NULL);
	ck_assert(json_is_true(json_object_get(json_object_get(c, "form"),
	    "vehicule")));
	json_decref(c);

	/* Filing needs every required visible field. */
	free(path);
	path = harness_printf("/api/v1/cases/%s/submit", id);
	idl_req(&e, "POST", path, res, NULL, &r);
	ck_assert_int_eq(r.status, 422);
	c = harness_json(&r);
	ck_assert_ptr_nonnull(err = idl_error_for(c, "/form/nom"));
	idl_assert_str(err, "code", "required");
	json_decref(c);
	http_resp_free(&r);
	cl_assert_state(&e, id, "draft");

	free(path);
	path = harness_printf("/api/v1/cases/%s", id);
	ck_assert_int_eq(idl_status(&e, "PATCH", path, res,
	    "{\"form\": {\"nom\": \"Camille Démo\"}}"), 200);
	free(path);
	path = harness_printf("/api/v1/cases/%s/submit", id);
	c = idl_reqj(&e, "POST", path, res, NULL, &st);
	ck_assert_int_eq(st, 200);
	idl_assert_strs(c, "status", "submitted", "received_at",
	    "2026-03-20T09:30:00Z", "due_date", "2026-03-30", NULL);
	ck_assert(regcomp(&re, "^MGV-2026-[0-9]{6}$", REG_EXTENDED) == 0);
	ck_assert_msg(regexec(&re, idl_jstr(c, "reference"), 0, NULL, 0) == 0,
	    "reference %s", idl_jstr(c, "reference"));
	regfree(&re);
	/* A filed case never expires as a draft does. */
	ck_assert(json_is_null(json_object_get(c, "expires_at")));
	json_decref(c);

	/* A filed case no longer changes: 409 naming its state. */
	free(path);
	path = harness_printf("/api/v1/cases/%s", id);
	c = cl_problem(&e, "PATCH", path, res, "{\"form\": {\"nom\": "
	    "\"Autre\"}}", 409, "case_not_draft");
	idl_assert_str(c, "state", "submitted");
	json_decref(c);
	free(path);
	free(id);
	free(res);
	idl_stop(&e);
}
END_TEST

/* One form and what is wrong with it, filed or as a draft. */
static const struct {
	const char	*form;
	int		 submit;
	const char	*field;		/* NULL: accepted */
	const char	*code;
} answers[] = {
	{ "{\"nom\": \"A\", \"zzz\": 1}", 0, "/form/zzz", "unknown" },
	{ "{\"nom\": 5}", 0, "/form/nom", "type" },
	/* visible_if: the plate only with a vehicle */
	{ "{\"nom\": \"A\", \"vehicule\": false, \"plaque\": \"AB-123-CD\"}",
	  0, "/form/plaque", "hidden" },
	{ "{\"nom\": \"A\", \"plaque\": \"AB-123-CD\"}", 0, "/form/plaque",
	  "hidden" },
	{ "{\"nom\": \"A\", \"vehicule\": true}", 1, "/form/plaque",
	  "required" },
	{ "{\"nom\": \"A\", \"vehicule\": true}", 0, NULL, NULL },
	{ "{\"nom\": \"A\", \"vehicule\": true, \"plaque\": \"ab123\"}", 0,
	  "/form/plaque", "pattern" },
	{ "{\"nom\": \"A\", \"nombre\": 9}", 0, "/form/nombre", "maximum" },
	{ "{\"nom\": \"A\", \"nombre\": 2.5}", 0, "/form/nombre", "type" },
	{ "{}", 1, "/form/nom", "required" },
	{ "{}", 0, NULL, NULL },
	{ "{\"nom\": \"A\", \"vehicule\": true, \"plaque\": \"AB-123-CD\"}", 1,
	  NULL, NULL },
};

START_TEST(test_answers_per_field)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j, *err;
	char		*res, *body;
	size_t		 i;

	res = idl_start_resident(&e, FROZEN);
	for (i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		body = harness_printf("{\"procedure\": \"t_permis\", "
		    "\"form\": %s, \"submit\": %s}", answers[i].form,
		    answers[i].submit ? "true" : "false");
		idl_req(&e, "POST", "/api/v1/cases", res, body, &r);
		if (answers[i].field == NULL) {
			ck_assert_msg(r.status == 201, "%s: %ld", body,
			    r.status);
		} else {
			j = harness_assert_problem(&r, 422,
			    "/problems/validation", "/api/v1/cases");
			err = idl_error_for(j, answers[i].field);
			ck_assert_msg(err != NULL, "%s: no error for %s: %s",
			    body, answers[i].field, harness_dump(j));
			idl_assert_str(err, "code", answers[i].code);
			/* In the person's language (the account's: fr). */
			ck_assert_ptr_nonnull(idl_jstr(err, "message"));
			json_decref(j);
		}
		http_resp_free(&r);
		free(body);
	}
	/* Nothing was filed by a refused request. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "cases.cases WHERE procedure = 't_permis'"), 3);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_procedure_and_profile)
{
	struct idenv	 e;
	json_t		*j;
	char		*tourist, *res;

	tourist = idl_start_resident(&e, FROZEN);
	free(tourist);
	tourist = cl_tourist(&e);
	/* t_forfait is open to permanent residents only. */
	j = cl_problem(&e, "POST", "/api/v1/cases", tourist, "{\"procedure\": "
	    "\"t_forfait\", \"form\": {\"nom\": \"A\"}}", 403,
	    "case_profile_not_allowed");
	contains(idl_jstr(j, "detail"), "tourist");
	json_decref(j);
	/* An unknown procedure is a field of the body: 422. */
	j = cl_problem(&e, "POST", "/api/v1/cases", tourist, "{\"procedure\": "
	    "\"nulle_part\"}", 422, "validation");
	idl_assert_str(idl_error_for(j, "/procedure"), "code", "unknown");
	json_decref(j);
	/* A retired one too. */
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE procedures.procedures SET "
	    "active = false WHERE code = 't_express'"), 0);
	j = cl_problem(&e, "POST", "/api/v1/cases", tourist, "{\"procedure\": "
	    "\"t_express\"}", 422, "validation");
	idl_assert_str(idl_error_for(j, "/procedure"), "code", "inactive");
	json_decref(j);
	res = cl_resident(&e);
	free(cl_file(&e, res, "t_forfait", json_pack("{s:s}", "nom", "A"), 1,
	    NULL));
	free(res);
	free(tourist);
	idl_stop(&e);
}
END_TEST

START_TEST(test_acknowledgement_mentions)
{
	struct idenv	 e;
	json_t		*c;
	char		*res, *id, *payload;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	c = cl_get(&e, res, id, &st);
	ck_assert_int_eq(st, 200);
	idl_assert_str(json_object_get(c, "acknowledgement"), "language",
	    "fr");
	/* 1°: the date of receipt, and the date silence decides. */
	ck_assert_str_eq(mention(c, "received_date"), "2026-03-20");
	ck_assert_str_eq(mention(c, "received_time"), "10:30");
	contains(mention(c, "received"), "20 mars 2026");
	contains(mention(c, "received"), idl_jstr(c, "reference"));
	ck_assert_str_eq(mention(c, "due_date"), "2026-03-30");
	contains(mention(c, "deadline"), "10 jours");
	contains(mention(c, "deadline"), "30 mars 2026");
	contains(mention(c, "deadline"), "réputée acceptée");
	contains(mention(c, "deadline"), "L231-1");
	contains(mention(c, "attestation"), "L232-3");
	/* 2°: the department, its address, telephone and email. */
	ck_assert_str_eq(mention(c, "department_name"), "Services techniques");
	contains(mention(c, "department"), "3 chemin du Col, 05100 "
	    "Montgenèvre");
	contains(mention(c, "department"), "+33492215260");
	contains(mention(c, "department"),
	    "services-techniques@demo.guichet.test");
	/* The means and time limits of appeal; the texts applied. */
	contains(mention(c, "appeal"), "deux mois");
	contains(mention(c, "appeal"), "R421-1");
	contains(mention(c, "appeal"), "tribunal administratif");
	contains(mention(c, "legal"), "L112-11");
	contains(mention(c, "legal"), "R112-11-1");
	ck_assert_str_eq(mention(c, "incomplete"), "");
	/* The same mentions went by mail, once, to the stored address. */
	ck_assert_int_eq(cl_mails(&e, IDL_RESIDENT_EMAIL,
	    "case_acknowledgement"), 1);
	payload = idl_sql(&e, "SELECT payload->>'deadline' FROM ops.outbox "
	    "WHERE template = 'case_acknowledgement' AND payload->>'reference' "
	    "= '%s'", idl_jstr(c, "reference"));
	ck_assert_str_eq(payload, mention(c, "deadline"));
	free(payload);
	/* The department heard of it, at its own mailbox. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'case_department_notice' AND recipient = "
	    "'services-techniques@demo.guichet.test' AND "
	    "payload->>'reference' = '%s'", idl_jstr(c, "reference")), 1);
	json_decref(c);
	free(id);

	/* Silence rejects: said, without the attestation. */
	c = filed_named(&e, res, "t_refus");
	contains(mention(c, "deadline"), "réputée rejetée");
	contains(mention(c, "deadline"), "L231-4");
	ck_assert_str_eq(mention(c, "attestation"), "");
	ck_assert_str_eq(mention(c, "due_date"), "2026-04-04");
	json_decref(c);
	/* Silence decides nothing: an express answer is promised. */
	c = filed_named(&e, res, "t_express");
	contains(mention(c, "deadline"), "décision expresse");
	ck_assert(json_is_null(json_object_get(c, "implicit")));
	json_decref(c);
	free(res);

	/* In the person's language. */
	res = cl_other_in(&e, "en");
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	c = cl_get(&e, res, id, &st);
	idl_assert_str(json_object_get(c, "acknowledgement"), "language",
	    "en");
	contains(mention(c, "received"), "20 March 2026");
	contains(mention(c, "deadline"), "deemed accepted");
	contains(mention(c, "department"), "Department in charge");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'case_acknowledgement' AND recipient = '%s' AND "
	    "locale = 'en'", CL_OTHER_EMAIL), 1);
	json_decref(c);
	free(id);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_documents_at_receipt)
{
	struct idenv	 e;
	json_t		*c, *j, *err;
	char		*res, *id, *path, *file;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	id = cl_file(&e, res, "t_pieces", json_pack("{s:s}", "nom", "A"), 0,
	    NULL);
	path = harness_printf("/api/v1/cases/%s/submit", id);
	/* A required document without its file: 422, nothing filed. */
	j = cl_problem(&e, "POST", path, res, NULL, 422, "validation");
	err = idl_error_for(j, "/documents/justificatif");
	ck_assert_ptr_nonnull(err);
	idl_assert_str(err, "code", "document_required");
	contains(idl_jstr(err, "message"), "Justificatif de domicile");
	ck_assert_msg(idl_error_for(j, "/documents/photo") == NULL,
	    "an optional document is not required");
	json_decref(j);
	cl_assert_state(&e, id, "draft");
	/* With it: filed complete, the deadline running from the receipt. */
	file = cl_attach(&e, res, id, "justificatif", "t4101 domicile");
	j = idl_reqj(&e, "POST", path, res, NULL, &st);
	ck_assert_msg(st == 200, "submit: %ld", st);
	json_decref(j);
	c = cl_get(&e, res, id, &st);
	idl_assert_str(c, "status", "submitted");
	ck_assert(json_is_false(json_object_get(c, "deadline_paused")));
	ck_assert_str_eq(mention(c, "incomplete"), "");
	ck_assert_str_eq(mention(c, "due_date"), "2026-03-30");
	json_decref(c);
	free(file);
	free(path);
	free(id);
	free(res);
	idl_stop(&e);
}
END_TEST

#define PARALLEL	12

START_TEST(test_references_without_gaps)
{
	struct idenv	 e;
	char		*res, *ids[PARALLEL], *path;
	pid_t		 pids[PARALLEL];
	int		 i, status;
	long		 before;

	res = idl_start_resident(&e, FROZEN);
	for (i = 0; i < PARALLEL; i++)
		ids[i] = cl_file(&e, res, "t_permis", cl_permis_form(), 0,
		    NULL);
	before = idl_sql_count(&e, "SELECT coalesce(max(last_value), 0) FROM "
	    "cases.reference_counters WHERE year = 2026");
	/* Every draft filed at once, from as many processes. */
	for (i = 0; i < PARALLEL; i++) {
		if ((pids[i] = fork()) == 0) {
			path = harness_printf("/api/v1/cases/%s/submit",
			    ids[i]);
			_exit(idl_status(&e, "POST", path, res, NULL) == 200 ?
			    0 : 1);
		}
		ck_assert_int_gt(pids[i], 0);
	}
	for (i = 0; i < PARALLEL; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "submission %d failed", i);
	}
	/* PARALLEL numbers, each once, right after the ones given before. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(DISTINCT reference) "
	    "FROM cases.cases WHERE id IN (SELECT id FROM cases.cases WHERE "
	    "procedure = 't_permis' AND status = 'submitted')"), PARALLEL);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT min(split_part(reference, "
	    "'-', 3)::int) FROM cases.cases WHERE procedure = 't_permis'"),
	    before + 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT max(split_part(reference, "
	    "'-', 3)::int) FROM cases.cases WHERE procedure = 't_permis'"),
	    before + PARALLEL);
	for (i = 0; i < PARALLEL; i++)
		free(ids[i]);
	free(res);
	idl_stop(&e);
}
END_TEST

/*
 * A case keeps the version of the procedure it was filed under: its
 * deadline, its implicit decision, the form its answers were checked
 * against; silence decides by that version's rule.  A draft is not
 * filed: it moves to the current version at its next change (and at its
 * submission), whose form then applies (README, "Démarches").
 */
START_TEST(test_filed_keeps_its_version)
{
	const char	*decide[] = { "--clock", "2026-03-30T00:00:00Z", "cases",
	    "decide", NULL };
	struct idenv	 e;
	json_t		*d, *c, *err, *j;
	char		*res, *admin, *out = NULL, *errs = NULL, *filed, *draft;
	char		*path;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	admin = idl_login_admin(&e);
	filed = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	draft = cl_file(&e, res, "t_permis", json_pack("{s:s}", "nom", "B"), 0,
	    NULL);

	/* Version 2: 30 days, silence rejects, a new required field. */
	ck_assert_int_eq(idl_ctl_words(&e, &out, &errs, "procedures",
	    "export", "t_permis", NULL), 0);
	ck_assert_ptr_nonnull(d = json_loads(out, 0, NULL));
	free(out);
	free(errs);
	json_object_set_new(d, "deadline_days", json_integer(30));
	json_object_set_new(d, "implicit", json_string("rejection"));
	json_array_append_new(json_object_get(d, "form"), json_pack(
	    "{s:s, s:s, s:b, s:{s:s, s:s, s:s}}", "name", "telephone", "type",
	    "phone", "required", 1, "label", "fr", "Téléphone", "en", "Phone",
	    "it", "Telefono"));
	j = idl_sendj(&e, "PUT", "/api/v1/admin/procedures/t_permis", admin, d,
	    &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), 2);
	json_decref(j);

	/* The filed case: version 1, its deadline and silence unchanged. */
	c = cl_get(&e, res, filed, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(c,
	    "procedure"), "version")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(c,
	    "deadline_days")), 10);
	idl_assert_strs(c, "due_date", "2026-03-30", "implicit", "acceptance",
	    NULL);
	ck_assert(json_object_get(json_object_get(c, "form"), "telephone") ==
	    NULL);
	json_decref(c);
	/* Its form is version 1's, still published. */
	j = idl_reqj(&e, "GET", "/api/v1/procedures/t_permis?version=1", NULL,
	    NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "form")), 6);
	json_decref(j);
	/* Silence at version 1's deadline accepts, as version 1 said. */
	ck_assert_int_eq(idl_ctl(e.db, 0, decide, NULL, NULL), 0);
	cl_assert_state(&e, filed, "accepted");

	/* The draft moves to version 2 at its next change... */
	path = harness_printf("/api/v1/cases/%s", draft);
	c = idl_reqj(&e, "PATCH", path, res, "{\"form\": {\"motif\": "
	    "\"encore\"}}", &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(c,
	    "procedure"), "version")), 2);
	json_decref(c);
	/* ...whose form applies to its filing... */
	free(path);
	path = harness_printf("/api/v1/cases/%s/submit", draft);
	c = cl_problem(&e, "POST", path, res, NULL, 422, "validation");
	ck_assert_ptr_nonnull(err = idl_error_for(c, "/form/telephone"));
	idl_assert_str(err, "code", "required");
	json_decref(c);
	free(path);
	path = harness_printf("/api/v1/cases/%s", draft);
	ck_assert_int_eq(idl_status(&e, "PATCH", path, res, "{\"form\": "
	    "{\"telephone\": \"+33612345678\"}}"), 200);
	free(path);
	path = harness_printf("/api/v1/cases/%s/submit", draft);
	/* ...and its deadline and silence. */
	c = idl_reqj(&e, "POST", path, res, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(c,
	    "deadline_days")), 30);
	idl_assert_strs(c, "implicit", "rejection", "due_date", "2026-04-19",
	    NULL);
	json_decref(c);
	free(path);
	free(draft);
	free(filed);
	free(admin);
	free(res);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_draft_patch_submit,
	&test_answers_per_field,
	&test_procedure_and_profile,
	&test_acknowledgement_mentions,
	&test_documents_at_receipt,
	&test_references_without_gaps,
	&test_filed_keeps_its_version,
	NULL
};

const struct test_group test_groups[] = {
	{ "cases", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
