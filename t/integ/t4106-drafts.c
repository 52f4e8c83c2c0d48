/*
 * t4106-drafts: a draft lives case_draft_days (30) after its last change;
 * its owner is told 3 days before it is deleted (the module's purge
 * hook), at least 3 days before whenever the warning goes, and the
 * retention rule case_drafts deletes it once that date is past; a filed
 * case is never taken for a draft, in an answer or a mail.  The
 * entitlement an accepted lift-pass discount grants; the demo's cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caselib.h"

#define FROZEN	"2026-03-20T09:30:00Z"

static void
purge_at(struct idenv *e, const char *clock)
{
	const char	*args[] = { "--clock", clock, "privacy", "purge",
			    NULL };
	char		*out = NULL, *err = NULL;
	int		 rc;

	rc = idl_ctl(e->db, 0, args, &out, &err);
	ck_assert_msg(rc == 0, "purge at %s: %d %s%s", clock, rc, out, err);
	ck_assert_ptr_nonnull(strstr(out, "case_draft_warnings"));
	free(out);
	free(err);
}

static long
warnings(struct idenv *e)
{
	return (cl_mails(e, IDL_RESIDENT_EMAIL, "case_draft_expiring"));
}

START_TEST(test_draft_warned_then_deleted)
{
	struct idenv	 e;
	json_t		*c;
	char		*res, *draft, *filed, *late, *path, *exp;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	draft = cl_file(&e, res, "t_permis", NULL, 0, &c);
	idl_assert_str(c, "expires_at", "2026-04-19T09:30:00Z");
	json_decref(c);
	filed = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	late = cl_file(&e, res, "t_permis", NULL, 0, NULL);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE cases.cases SET expires_at "
	    "= '2026-03-25T00:00:00Z' WHERE id = '%s'", late), 0);
	ck_assert_int_eq(warnings(&e), 0);

	/* Not yet three days before: nobody is told. */
	purge_at(&e, "2026-03-21T00:00:00Z");
	ck_assert_int_eq(warnings(&e), 0);
	/* A draft whose date passed unwarned is told now and kept 3 days. */
	purge_at(&e, "2026-03-26T00:00:00Z");
	ck_assert(cl_rows(&e, "cases.cases", late) == 1);
	ck_assert_int_eq(warnings(&e), 1);
	exp = idl_sql(&e, "SELECT expires_at = '2026-03-29T00:00:00Z' FROM "
	    "cases.cases WHERE id = '%s'", late);
	ck_assert_str_eq(exp, "t");
	free(exp);
	purge_at(&e, "2026-03-28T23:59:00Z");
	ck_assert(cl_rows(&e, "cases.cases", late) == 1);
	ck_assert_int_eq(warnings(&e), 1);
	purge_at(&e, "2026-03-29T00:01:00Z");
	ck_assert(cl_rows(&e, "cases.cases", late) == 0);

	/* Three days before the date: told once, with the date. */
	purge_at(&e, "2026-04-16T09:00:00Z");
	ck_assert_int_eq(warnings(&e), 1);
	purge_at(&e, "2026-04-16T09:31:00Z");
	ck_assert_int_eq(warnings(&e), 2);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'case_draft_expiring' AND payload->>'expires' = "
	    "'19 avril 2026' AND payload->>'url' LIKE '%%%s'", draft), 1);
	purge_at(&e, "2026-04-17T00:00:00Z");
	ck_assert_int_eq(warnings(&e), 2);
	purge_at(&e, "2026-04-19T09:29:00Z");
	ck_assert(cl_rows(&e, "cases.cases", draft) == 1);
	purge_at(&e, "2026-04-19T09:32:00Z");
	ck_assert(cl_rows(&e, "cases.cases", draft) == 0);

	/* The filed case: never told it would go, never gone. */
	ck_assert(cl_rows(&e, "cases.cases", filed) == 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE template = 'case_draft_expiring' AND payload->>'url' LIKE "
	    "'%%%s'", filed), 0);
	c = cl_get(&e, res, filed, &st);
	idl_assert_str(c, "status", "submitted");
	ck_assert(json_is_null(json_object_get(c, "expires_at")));
	json_decref(c);

	/* A change starts the draft's life again, warning forgotten. */
	free(draft);
	draft = cl_file(&e, res, "t_permis", NULL, 0, NULL);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE cases.cases SET expires_at "
	    "= '2026-03-21T00:00:00Z' WHERE id = '%s'", draft), 0);
	purge_at(&e, "2026-03-20T10:00:00Z");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM cases.cases "
	    "WHERE id = '%s' AND draft_warned_at IS NOT NULL", draft), 1);
	path = harness_printf("/api/v1/cases/%s", draft);
	c = idl_reqj(&e, "PATCH", path, res, "{\"form\": {\"nom\": \"A\"}}",
	    &st);
	ck_assert_int_eq(st, 200);
	idl_assert_str(c, "expires_at", "2026-04-19T09:30:00Z");
	json_decref(c);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM cases.cases "
	    "WHERE id = '%s' AND draft_warned_at IS NULL", draft), 1);
	/* Filed after a warning: not a draft, never deleted as one. */
	free(path);
	path = harness_printf("/api/v1/cases/%s", draft);
	ck_assert_int_eq(idl_status(&e, "PATCH", path, res, "{\"form\": "
	    "{\"nombre\": 1}}"), 200);
	ck_assert_int_eq(idl_sql_exec(&e, "UPDATE cases.cases SET "
	    "draft_warned_at = '2026-03-20Z', expires_at = '2026-03-21Z' "
	    "WHERE id = '%s'", draft), 0);
	free(path);
	path = harness_printf("/api/v1/cases/%s/submit", draft);
	ck_assert_int_eq(idl_status(&e, "POST", path, res, NULL), 200);
	purge_at(&e, "2026-05-01T00:00:00Z");
	ck_assert(cl_rows(&e, "cases.cases", draft) == 1);
	free(path);
	free(draft);
	free(filed);
	free(late);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_entitlement_on_acceptance)
{
	struct idenv	 e;
	json_t		*j, *it;
	char		*res, *other, *chief, *id, *oid;
	const char	*args[] = { "--clock", "2026-05-01T00:00:00Z", "cases",
			    "decide", NULL };
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	other = cl_other(&e);
	chief = cl_agent(&e, CL_LIFT_CHIEF);
	id = cl_file(&e, res, "t_forfait", json_pack("{s:s}", "nom", "A"), 1,
	    NULL);
	oid = cl_file(&e, other, "t_forfait", json_pack("{s:s}", "nom", "B"),
	    1, NULL);
	j = idl_reqj(&e, "GET", "/api/v1/me/entitlements", res, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 0);
	json_decref(j);
	/* Accepted expressly: granted. */
	cl_decide(&e, chief, chief, id, "accepted", NULL);
	j = idl_reqj(&e, "GET", "/api/v1/me/entitlements", res, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
	it = json_array_get(json_object_get(j, "items"), 0);
	idl_assert_strs(it, "kind", "resident", "season", "2026-2027",
	    "case_id", id, NULL);
	json_decref(j);
	/* Accepted by silence: granted too; the other's is not the first's. */
	ck_assert_int_eq(idl_ctl(e.db, 0, args, NULL, NULL), 0);
	cl_assert_state(&e, oid, "accepted");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "cases.entitlements WHERE account_id = '%s' AND case_id = '%s'",
	    cl_people.other, oid), 1);
	j = idl_reqj(&e, "GET", "/api/v1/me/entitlements", res, NULL, &st);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 1);
	json_decref(j);
	/* A rejection grants nothing. */
	free(id);
	id = cl_file(&e, res, "t_forfait", json_pack("{s:s}", "nom", "C"), 1,
	    NULL);
	cl_decide(&e, chief, chief, id, "rejected", "Non.");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "cases.entitlements WHERE case_id = '%s'", id), 0);
	free(id);
	free(oid);
	free(res);
	free(other);
	free(chief);
	idl_stop(&e);
}
END_TEST

/* guichetctl demo files the demo resident's cases as anyone would. */
START_TEST(test_demo_cases)
{
	struct idenv	 e;
	const char	*demo[] = { "demo", NULL };
	char		*out = NULL;

	idl_start_new(&e, NULL);
	ck_assert_int_eq(idl_ctl(e.db, 0, demo, &out, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "demo cases: 4"));
	free(out);
	/* Once: a second run adds nothing. */
	ck_assert_int_eq(idl_ctl(e.db, 0, demo, &out, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "demo cases already exist"));
	free(out);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM cases.cases "
	    "WHERE owner_id = '%s' AND status = 'draft'",
	    idl_demo.resident_id), 1);
	/* The parking permit, filed with its two documents. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM cases.cases "
	    "c JOIN cases.acknowledgements a ON a.case_id = c.id WHERE "
	    "c.owner_id = '%s' AND c.reference LIKE 'MGV-%%' AND c.status = "
	    "'submitted' AND c.procedure = 'stationnement_resident' AND "
	    "(SELECT count(*) FROM cases.attachments t WHERE t.case_id = c.id "
	    "AND t.document IN ('justificatif_domicile', "
	    "'certificat_immatriculation')) = 2", idl_demo.resident_id), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "WHERE owner_module = 'cases' AND media_type = 'application/pdf' "
	    "AND uploader = '%s'", idl_demo.resident_id), 2);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM cases.cases "
	    "WHERE owner_id = '%s' AND status = 'submitted' AND department IN "
	    "('services_techniques', 'mairie')", idl_demo.resident_id), 2);
	ck_assert_int_ge(idl_sql_count(&e, "SELECT count(*) FROM "
	    "cases.department_contacts"), 5);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_draft_warned_then_deleted,
	&test_entitlement_on_acceptance,
	&test_demo_cases,
	NULL
};

const struct test_group test_groups[] = {
	{ "drafts", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
