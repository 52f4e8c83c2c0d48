/*
 * t4107-privacy: the cases module's part of the person's rights.  The
 * export holds the person's cases (drafts included) with their answers,
 * history, thread and acknowledgement, and the entitlements; the
 * department's internal notes are counted, not shown.  The erasure
 * deletes drafts and open cases with all that hangs on them, and cuts a
 * decided case down to its tombstone (reference, procedure, states,
 * dates, decision), kept for its retention; nothing of the person is
 * left in the database.  The retention purge deletes closed and withdrawn
 * cases past their procedure's retention.  Their files (t4108 for the
 * rest): the export lists them as links; the erasure leaves nothing of
 * their names nor of their bytes, whoever sent them; the purge deletes
 * the files of the cases it deletes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caselib.h"
#include "fileslib.h"

#define FROZEN	"2026-03-20T09:30:00Z"

static json_t *
answers_with(const char *mark)
{
	json_t	*f = cl_permis_form();

	json_object_set_new(f, "motif", json_pack("s", mark));
	return (f);
}

static void
post(struct idenv *e, const char *token, const char *id, const char *what,
    const char *text)
{
	char	*path = harness_printf("/api/v1/cases/%s/%s", id, what);
	char	*body = harness_printf("{\"body\": \"%s\"}", text);

	ck_assert_int_eq(idl_status(e, "POST", path, token, body), 201);
	free(path);
	free(body);
}

struct seeded {
	char	*mark, *hexmark;
	char	*draft, *open, *decided, *withdrawn, *forfait;
	char	*decided_ref;
};

/*
 * A file of 'token' for case 'id', the marker in its name and its bytes;
 * carried by a message ('what' "messages") or a note, or by nothing.
 */
static void
attach_marked(struct idenv *e, const char *token, const char *id,
    const char *mark, const char *what)
{
	struct http_resp r;
	json_t		*j;
	char		*png, *name, *path, *body;
	size_t		 len;

	png = fl_png(mark, &len);
	name = harness_printf("%s \"dossier\".png", mark);
	ck_assert_int_eq(cl_upload(e, token, id, "", "image/png", name, png,
	    len, &r), 201);
	j = harness_json(&r);
	if (what != NULL) {
		path = harness_printf("/api/v1/cases/%s/%s", id, what);
		body = harness_printf("{\"body\": \"Pièce.\", \"attachments\": "
		    "[\"%s\"]}", idl_jstr(json_object_get(j, "file"), "id"));
		ck_assert_int_eq(idl_status(e, "POST", path, token, body), 201);
		free(path);
		free(body);
	}
	json_decref(j);
	http_resp_free(&r);
	free(name);
	free(png);
}

/* The resident's cases of every kind, a marker in every text. */
static void
seed(struct idenv *e, struct seeded *s)
{
	char	*res, *agent, *chief, *lift, *note, *mark;

	memset(s, 0, sizeof(*s));
	mark = idl_marker(12);
	s->mark = harness_printf("zq%s", mark);
	s->hexmark = fl_hex(s->mark, strlen(s->mark));
	free(mark);
	res = cl_resident(e);
	agent = cl_agent(e, CL_TECH);
	chief = cl_agent(e, CL_TECH_CHIEF);
	lift = cl_agent(e, CL_LIFT_CHIEF);
	s->draft = cl_file(e, res, "t_permis", answers_with(s->mark), 0, NULL);
	/* Files: the person's, the department's in a message, in a note. */
	attach_marked(e, res, s->draft, s->mark, NULL);
	s->open = cl_file(e, res, "t_permis", answers_with(s->mark), 1, NULL);
	post(e, res, s->open, "messages", s->mark);
	post(e, agent, s->open, "notes", s->mark);
	attach_marked(e, agent, s->open, s->mark, "messages");
	note = harness_printf("Refus : %s", s->mark);
	s->decided = cl_file(e, res, "t_permis", answers_with(s->mark), 1,
	    NULL);
	post(e, res, s->decided, "messages", s->mark);
	post(e, agent, s->decided, "notes", s->mark);
	attach_marked(e, agent, s->decided, s->mark, "notes");
	attach_marked(e, agent, s->decided, s->mark, "messages");
	cl_decide(e, agent, chief, s->decided, "rejected", note);
	s->decided_ref = idl_sql(e, "SELECT reference FROM cases.cases WHERE "
	    "id = '%s'", s->decided);
	s->withdrawn = cl_file(e, res, "t_permis", answers_with(s->mark), 1,
	    NULL);
	ck_assert_int_eq(cl_move(e, res, s->withdrawn, "withdrawn", NULL),
	    200);
	s->forfait = cl_file(e, res, "t_forfait", json_pack("{s:s}", "nom",
	    s->mark), 1, NULL);
	cl_decide(e, lift, lift, s->forfait, "accepted", NULL);
	ck_assert_int_eq(idl_sql_count(e, "SELECT count(*) FROM "
	    "cases.entitlements WHERE account_id = '%s'",
	    idl_demo.resident_id), 1);
	free(note);
	free(res);
	free(agent);
	free(chief);
	free(lift);
}

static void
seeded_free(struct seeded *s)
{
	free(s->mark);
	free(s->hexmark);
	free(s->draft);
	free(s->open);
	free(s->decided);
	free(s->withdrawn);
	free(s->forfait);
	free(s->decided_ref);
}

/* The export's case of id 'id'. */
static json_t *
exported(json_t *doc, const char *id)
{
	json_t	*c;
	size_t	 i;

	json_array_foreach(json_object_get(json_object_get(json_object_get(
	    doc, "data"), "cases"), "cases"), i, c)
		if (strcmp(idl_jstr(c, "id"), id) == 0)
			return (c);
	return (NULL);
}

START_TEST(test_export)
{
	struct idenv	 e;
	struct seeded	 s;
	json_t		*doc, *c, *cases, *a;
	char		*res, *dump;
	long		 st;

	idl_start_new(&e, FROZEN);
	seed(&e, &s);
	res = cl_resident(&e);
	doc = idl_reqj(&e, "GET", "/api/v1/me/export", res, NULL, &st);
	ck_assert_int_eq(st, 200);
	cases = json_object_get(json_object_get(doc, "data"), "cases");
	ck_assert_int_eq(json_array_size(json_object_get(cases, "cases")), 5);
	/* The draft, with its answers. */
	c = exported(doc, s.draft);
	ck_assert_ptr_nonnull(c);
	idl_assert_str(c, "status", "draft");
	idl_assert_str(json_object_get(c, "answers"), "motif", s.mark);
	/* A decided case: history with the note, thread, acknowledgement. */
	c = exported(doc, s.decided);
	idl_assert_strs(c, "status", "rejected", "decision", "rejected",
	    "reference", s.decided_ref, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(c, "history")), 3);
	ck_assert_int_eq(json_array_size(json_object_get(c, "messages")), 2);
	ck_assert_ptr_nonnull(json_object_get(json_object_get(c,
	    "acknowledgement"), "mentions"));
	/* The internal note: counted, not shown. */
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(c,
	    "internal_notes"), "held")), 2);
	ck_assert(json_is_false(json_object_get(json_object_get(c,
	    "internal_notes"), "exported")));
	ck_assert_int_eq(json_array_size(json_object_get(cases,
	    "entitlements")), 1);
	/*
	 * Files as links: the person's own, the department's sent with a
	 * message; a note's is the department's preparatory work.
	 */
	c = exported(doc, s.draft);
	a = json_array_get(json_object_get(c, "attachments"), 0);
	ck_assert_int_eq(json_array_size(json_object_get(c, "attachments")),
	    1);
	ck_assert_ptr_nonnull(strstr(idl_jstr(a, "name"), s.mark));
	ck_assert_ptr_nonnull(strstr(idl_jstr(a, "url"), "/attachments/"));
	idl_assert_strs(a, "type", "image/png", "uploaded_by", "owner",
	    "status", "pending", NULL);
	ck_assert_int_eq(strlen(idl_jstr(a, "sha256")), 64);
	ck_assert_int_eq(json_array_size(json_object_get(exported(doc,
	    s.open), "attachments")), 1);
	ck_assert_int_eq(json_array_size(json_object_get(exported(doc,
	    s.decided), "attachments")), 1);
	/*
	 * The marker: in answers, history notes and messages (8 times), and
	 * the names of the three files the person may see.
	 */
	dump = harness_dump(cases);
	ck_assert_int_eq(idl_count(dump, s.mark), 5 + 1 + 2 + 3);
	free(dump);
	json_decref(doc);
	free(res);
	seeded_free(&s);
	idl_stop(&e);
}
END_TEST

START_TEST(test_erasure_tombstone)
{
	struct idenv	 e;
	struct seeded	 s;
	json_t		*out, *c, *r;
	char		*res, *agent, *v;
	size_t		 i;
	long		 st;
	int		 kept = 0;

	idl_start_new(&e, FROZEN);
	seed(&e, &s);
	res = cl_resident(&e);
	ck_assert_int_gt(idl_dump_count(&e, s.mark), 0);
	ck_assert_int_gt(idl_dump_count(&e, s.hexmark), 0);
	/* The mail too holds it (the decision's reasons): the erasure's. */
	ck_assert_int_gt(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE payload::text LIKE '%%%s%%'", s.mark), 0);
	out = idl_sendj(&e, "DELETE", "/api/v1/me", res, json_pack("{s:s}",
	    "password", IDL_RESIDENT_PASSWORD), &st);
	ck_assert_msg(st == 200, "erasure: %ld", st);
	/* Drafts and open cases are gone, with all that hung on them. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM cases.cases "
	    "WHERE id IN ('%s', '%s')", s.draft, s.open), 0);
	ck_assert_int_eq(cl_rows(&e, "cases.history", s.open), 0);
	/* The decided ones are kept, cut to their tombstone. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM cases.cases "
	    "WHERE owner_id = '%s' AND answers = '{}' AND redacted_at IS NOT "
	    "NULL AND profile_kind IS NULL AND reference IS NOT NULL",
	    idl_demo.resident_id), 3);
	v = idl_sql(&e, "SELECT decision || ' ' || reference FROM cases.cases "
	    "WHERE id = '%s'", s.decided);
	ck_assert(strncmp(v, "rejected ", strlen("rejected ")) == 0);
	ck_assert_str_eq(v + strlen("rejected "), s.decided_ref);
	free(v);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "cases.history WHERE case_id = '%s' AND to_status = 'rejected' "
	    "AND note = '[effacé]'", s.decided), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "cases.messages m JOIN cases.cases c ON c.id = m.case_id WHERE "
	    "c.owner_id = '%s'", idl_demo.resident_id), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM cases.notes "
	    "n JOIN cases.cases c ON c.id = n.case_id WHERE c.owner_id = '%s'",
	    idl_demo.resident_id), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "cases.entitlements WHERE account_id = '%s'",
	    idl_demo.resident_id), 0);
	/* No file of theirs left, whoever sent it, nor their rows. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "WHERE owner_module = 'cases' AND owner_id IN ('%s', '%s', '%s')",
	    s.draft, s.open, s.decided), 0);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "cases.attachments"), 0);
	/* Nothing of the person in the whole database: names, bytes, mail. */
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM ops.outbox "
	    "WHERE payload::text LIKE '%%%s%%'", s.mark), 0);
	ck_assert_int_eq(idl_dump_count(&e, s.mark), 0);
	ck_assert_int_eq(idl_dump_count(&e, s.hexmark), 0);
	/* The answer says what went and what the law keeps, until when. */
	json_array_foreach(json_object_get(out, "retained"), i, r)
		if (strcmp(idl_jstr(r, "module"), "cases") == 0) {
			idl_assert_strs(r, "category", "case_file",
			    "legal_basis", "legal_obligation", NULL);
			ck_assert_int_eq(json_integer_value(json_object_get(r,
			    "records")), 3);
			ck_assert_ptr_nonnull(idl_jstr(r, "until"));
			kept = 1;
		}
	ck_assert_msg(kept, "no cases in retained: %s", harness_dump(out));
	json_decref(out);
	/* The department still finds its decision, redacted. */
	agent = cl_agent(&e, CL_TECH);
	c = cl_get(&e, agent, s.decided, &st);
	ck_assert_int_eq(st, 200);
	ck_assert(json_is_true(json_object_get(c, "redacted")));
	ck_assert_int_eq(json_object_size(json_object_get(c, "form")), 0);
	json_decref(c);
	free(agent);
	free(res);
	seeded_free(&s);
	idl_stop(&e);
}
END_TEST

static void
purge_at(struct idenv *e, const char *clock)
{
	const char	*args[] = { "--clock", clock, "privacy", "purge",
			    NULL };

	ck_assert_int_eq(idl_ctl(e->db, 0, args, NULL, NULL), 0);
}

START_TEST(test_retention_of_closed_cases)
{
	struct idenv	 e;
	const char	*decide[] = { "--clock", "2026-05-21T22:00:00Z",
			    "cases", "decide", NULL };
	char		*res, *agent, *chief, *closed, *withdrawn, *open;

	res = idl_start_resident(&e, FROZEN);
	agent = cl_agent(&e, CL_TECH);
	chief = cl_agent(&e, CL_TECH_CHIEF);
	closed = cl_file(&e, res, "t_express", json_pack("{s:s}", "nom", "A"),
	    1, NULL);
	attach_marked(&e, agent, closed, "t4107-retention", "messages");
	cl_decide(&e, agent, chief, closed, "accepted", NULL);
	post(&e, res, closed, "messages", "Merci.");
	withdrawn = cl_file(&e, res, "t_express", json_pack("{s:s}", "nom",
	    "B"), 1, NULL);
	ck_assert_int_eq(cl_move(&e, res, withdrawn, "withdrawn", NULL), 200);
	open = cl_file(&e, res, "t_express", json_pack("{s:s}", "nom", "C"), 1,
	    NULL);
	/* Closed at the end of the appeal period (22 May, town time). */
	ck_assert_int_eq(idl_ctl(e.db, 0, decide, NULL, NULL), 0);
	cl_assert_state(&e, closed, "closed");
	/* t_express keeps its cases 1 year after their closure. */
	purge_at(&e, "2027-03-20T09:00:00Z");
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM cases.cases "
	    "WHERE id IN ('%s', '%s', '%s')", closed, withdrawn, open), 3);
	purge_at(&e, "2027-03-20T10:00:00Z");
	ck_assert_int_eq(cl_rows(&e, "cases.cases", withdrawn), 0);
	ck_assert_int_eq(cl_rows(&e, "cases.cases", closed), 1);
	ck_assert_int_eq(cl_rows(&e, "files.files", closed), 1);
	purge_at(&e, "2027-05-21T22:01:00Z");
	ck_assert_int_eq(cl_rows(&e, "cases.cases", closed), 0);
	ck_assert_int_eq(cl_rows(&e, "cases.history", closed), 0);
	ck_assert_int_eq(cl_rows(&e, "cases.messages", closed), 0);
	/* Its files with it. */
	ck_assert_int_eq(cl_rows(&e, "files.files", closed), 0);
	ck_assert_int_eq(cl_rows(&e, "cases.attachments", closed), 0);
	/*
	 * An open case is never past its retention (until the account's own
	 * inactivity, 3 years, erases it: not yet).
	 */
	purge_at(&e, "2028-06-01T00:00:00Z");
	ck_assert_int_eq(cl_rows(&e, "cases.cases", open), 1);
	free(res);
	free(agent);
	free(chief);
	free(closed);
	free(withdrawn);
	free(open);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_export,
	&test_erasure_tombstone,
	&test_retention_of_closed_cases,
	NULL
};

const struct test_group test_groups[] = {
	{ "privacy", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
