/*
 * cases_http.c: the handlers of one case: file it (a draft, or submitted
 * at once), edit the draft, submit it, read it, move it along the
 * transition table, assign it; and the person's entitlements.  They parse
 * the request, call the business operation (cases_ops.c) and answer the
 * case as the caller sees it (cases_view.c); SQL is in cases_db.c.
 *
 * Answers: 404 case_not_found for what the caller may not read (another
 * person's case, another department's, anyone's draft but one's own);
 * 403 for what it may read but not do; 409 for what the case's state
 * forbids, with the state in the member "state"; 422 with one error per
 * field, the form's as JSON pointers into "form" (procedures_check_form()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/log.h"
#include "cases/cases.h"
#include "cases/cases_int.h"
#include "core/module.h"
#include "db/db.h"
#include "http/reply.h"
#include "json/check.h"

/* Input schemas. */

static const struct json_field create_fields[] = {
	{ .name = "procedure", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 48 },
	{ .name = "form", .kind = JK_OBJECT },
	{ .name = "submit", .kind = JK_BOOLEAN },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec cases_create_spec = { .name = "case_create",
    .fields = create_fields };

/* Not required: an empty PATCH is 422 empty_patch (cases_patch()). */
static const struct json_field patch_fields[] = {
	{ .name = "form", .kind = JK_OBJECT },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec cases_patch_spec = { .name = "case_patch",
    .fields = patch_fields };

static const char *const states[] = { "draft", "submitted", "in_review",
    "awaiting_information", "accepted", "rejected", "withdrawn", "closed",
    NULL };

static const struct json_field transition_fields[] = {
	{ .name = "to", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .one_of = states },
	{ .name = "note", .kind = JK_STRING, .min_len = 1,
	  .max_len = CASE_NOTE_MAX },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec cases_transition_spec = { .name = "case_transition",
    .fields = transition_fields };

static const struct json_field assignment_fields[] = {
	{ .name = "assignee", .kind = JK_STRING,
	  .flags = JF_REQUIRED | JF_NULLABLE, .format = JF_UUID },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec cases_assignment_spec = { .name = "case_assignment",
    .fields = assignment_fields };

void
case_reply_outcome(struct request *req, struct case_outcome *o)
{
	reply_op_failure(req, o->result == CR_REFUSED ? OP_REFUSED :
	    o->result == CR_INVALID ? OP_INVALID : OP_DB, CASES_ERR(o->code),
	    o->state, o->args[0], o->args[1], o->errors, &o->err);
	o->errors = NULL;
	json_decref(o->made);
	o->made = NULL;
}

void
case_reply_page(struct request *req, json_t *items, char *next)
{
	reply_json(req, 200, json_pack("{s:o, s:s?}", "items", items,
	    "next_cursor", next));
	free(next);
	reply_header(req, "Cache-Control", "no-store");
}

/* The case as the caller sees it, with 'status'; 404 when it may not. */
static void
reply_case(struct request *req, const char *id, int status)
{
	struct db_error	 err;
	json_t		*o;
	char		*loc;
	int		 found;

	o = case_read(db_thread(), req->principal, id, req->lang, &found,
	    &err);
	if (found == -1) {
		reply_db_error(req, &err);
		return;
	}
	if (found == 0) {
		reply_error(req, CASES_ERR(CE_NOT_FOUND));
		return;
	}
	reply_json(req, status, o);
	reply_header(req, "Cache-Control", "no-store");
	if (status == 201) {
		if ((loc = malloc(strlen(id) + 16)) == NULL)
			abort();
		snprintf(loc, strlen(id) + 16, "/api/v1/cases/%s", id);
		reply_header(req, "Location", loc);
		free(loc);
	}
}

const char *
case_param_id(struct request *req)
{
	return (param_uuid_or_reply(req, "id", CASES_ERR(CE_NOT_FOUND)));
}

/* After an operation: the case, or the refusal. */
static int
reply_after(struct request *req, struct case_outcome *o, const char *id,
    int status)
{
	if (o->result != CR_OK)
		case_reply_outcome(req, o);
	else
		reply_case(req, id, status);
	json_decref(o->made);
	return (0);
}

/* POST /api/v1/cases */
int
cases_create(struct request *req)
{
	struct case_outcome	 o;
	struct case_input	 in;
	json_t			*empty = NULL;

	memset(&o, 0, sizeof(o));
	in.procedure = json_str(req->json, "procedure");
	in.form = json_object_get(req->json, "form");
	if (in.form == NULL)
		in.form = empty = json_object();
	in.submit = json_is_true(json_object_get(req->json, "submit"));
	case_create(db_thread(), req->principal, &in, req->lang, &o);
	json_decref(empty);
	return (reply_after(req, &o, o.id, 201));
}

/* GET /api/v1/cases/{id} */
int
cases_get(struct request *req)
{
	const char	*id;

	if ((id = case_param_id(req)) == NULL)
		return (0);
	reply_case(req, id, 200);
	return (0);
}

/* What the handlers of one case do with it: edit, move, assign. */
enum one_op { OP_PATCH, OP_MOVE, OP_ASSIGN };

static int
one_case(struct request *req, enum one_op op, enum case_status to)
{
	struct case_outcome	 o;
	const char		*id;

	if ((id = case_param_id(req)) == NULL)
		return (0);
	memset(&o, 0, sizeof(o));
	if (op == OP_PATCH && json_object_size(req->json) == 0) {
		reply_error(req, HTTP_ERR(HE_EMPTY_PATCH));
		return (0);
	}
	switch (op) {
	case OP_PATCH:
		case_patch(db_thread(), req->principal, id, json_object_get(
		    req->json, "form"), req->lang, &o);
		break;
	case OP_MOVE:
		case_move(db_thread(), req->principal, id, to,
		    json_str(req->json, "note"), req->lang, &o);
		break;
	case OP_ASSIGN:
		case_assign(db_thread(), req->principal, id,
		    json_str(req->json, "assignee"), req->lang, &o);
		break;
	}
	return (reply_after(req, &o, id, 200));
}

/* PATCH /api/v1/cases/{id} */
int
cases_patch(struct request *req)
{
	return (one_case(req, OP_PATCH, CS__COUNT));
}

/* POST /api/v1/cases/{id}/submit: the transition to submitted. */
int
cases_submit(struct request *req)
{
	return (one_case(req, OP_MOVE, CS_SUBMITTED));
}

/* POST /api/v1/cases/{id}/transitions */
int
cases_transition(struct request *req)
{
	return (one_case(req, OP_MOVE, case_status_from(json_str(req->json,
	    "to"))));
}

/* POST /api/v1/cases/{id}/assignment */
int
cases_assignment(struct request *req)
{
	return (one_case(req, OP_ASSIGN, CS__COUNT));
}

/* GET /api/v1/me/entitlements */
int
cases_entitlements(struct request *req)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { req->principal->id };
	json_t		*items, *e;
	int		 i;

	if (reply_exec(req, CQ(CQ_ENTITLEMENTS), p, &res) == -1)
		return (0);
	items = json_array();
	for (i = 0; i < db_res_rows(res); i++) {
		e = json_pack("{s:s?, s:s?, s:s?, s:s?}",
		    "kind", db_str(res, i, "kind"),
		    "season", db_str(res, i, "season"),
		    "case_id", db_str(res, i, "case_id"),
		    "reference", db_str(res, i, "reference"));
		json_set_time(e, "granted_at", db_time(res, i, "granted_at"));
		json_array_append_new(items, e);
	}
	db_res_free(res);
	reply_json(req, 200, json_pack("{s:o}", "items", items));
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

int
cases_entitled(struct db *db, const char *account, const char *kind,
    const char *season, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[3] = { account, kind, season };
	int		 r;

	if (db_exec(db, CQ(CQ_ENTITLED), p, &res, err) == -1)
		return (-1);
	r = db_bool(res, 0, "entitled");
	db_res_free(res);
	return (r);
}
