/*
 * cases_view.c: a case as the API shows it, to its owner and to the
 * staff of its department, and the read itself: one transaction that
 * reads the case and writes the staff's read to the access log (core/
 * access.h), so that no read goes unlogged.
 *
 * The person sees their case, its public history (who acted as "owner",
 * "agent", "supervisor" or "system", never which agent), the
 * acknowledgement as it was issued, and what they may do next; staff
 * also see the ids of the agents who acted and of the assignee.  Internal
 * notes are never part of a case's view (cases_thread.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/clock.h"
#include "cases/cases_int.h"
#include "json/check.h"
#include "procedures/procedures.h"

/* A raw JSON text of a column, parsed (null when absent or unreadable). */
static json_t *
raw(const struct db_res *res, int i, const char *col)
{
	const char	*s = db_str(res, i, col);
	json_t		*v;

	if (s == NULL || (v = json_loads(s, JSON_DECODE_ANY, NULL)) == NULL)
		return (json_null());
	return (v);
}

json_t *
case_item(const struct db_res *res, int i, int staff, int64_t now)
{
	enum case_status st = case_status_from(db_str(res, i, "status"));
	const char	*implicit = db_str(res, i, "implicit");
	int64_t		 due = db_time(res, i, "due_at");
	json_t		*o;

	o = json_pack("{s:s?, s:s?, s:{s:s?, s:I}, s:s?, s:s?}",
	    "id", db_str(res, i, "id"),
	    "reference", db_str(res, i, "reference"),
	    "procedure", "code", db_str(res, i, "procedure"),
	    "version", (json_int_t)db_int64(res, i, "procedure_version"),
	    "department", db_str(res, i, "department"),
	    "status", db_str(res, i, "status"));
	json_set_time(o, "created_at", db_time(res, i, "created_at"));
	json_set_time(o, "updated_at", db_time(res, i, "updated_at"));
	/* Only a draft expires; only a filed case was received. */
	json_set_time(o, "expires_at", st == CS_DRAFT ?
	    db_time(res, i, "expires_at") : 0);
	json_set_time(o, "received_at", db_time(res, i, "received_at"));
	json_object_set_new(o, "deadline_days", db_isnull(res, i,
	    "deadline_days") ? json_null() : json_integer(
	    (json_int_t)db_int64(res, i, "deadline_days")));
	json_object_set_new(o, "implicit", implicit == NULL ||
	    strcmp(implicit, "none") == 0 ? json_null() :
	    json_string(implicit));
	json_set_time(o, "due_at", due);
	json_object_set_new(o, "due_date", json_pack("s?",
	    db_str(res, i, "due_date")));
	json_object_set_new(o, "deadline_paused", json_boolean(st ==
	    CS_AWAITING));
	json_object_set_new(o, "paused_days", json_integer(
	    (json_int_t)db_int64(res, i, "paused_days")));
	json_object_set_new(o, "overdue", json_boolean((st == CS_SUBMITTED ||
	    st == CS_IN_REVIEW) && due != 0 && due <= now));
	json_object_set_new(o, "decision", json_pack("s?",
	    db_str(res, i, "decision")));
	json_set_time(o, "decided_at", db_time(res, i, "decided_at"));
	json_object_set_new(o, "decided_implicitly", json_boolean(
	    db_bool(res, i, "decided_implicitly")));
	json_set_time(o, "closes_at", db_time(res, i, "closes_at"));
	json_set_time(o, "closed_at", db_time(res, i, "closed_at"));
	if (staff)
		json_object_set_new(o, "assignee_id", json_pack("s?",
		    db_str(res, i, "assignee_id")));
	return (o);
}

static json_t *
history_json(const struct db_res *h, int staff)
{
	json_t	*a = json_array(), *e;
	int	 i;

	for (i = 0; i < db_res_rows(h); i++) {
		e = json_pack("{s:s?, s:s?, s:s?, s:s?}",
		    "from", db_str(h, i, "from_status"),
		    "to", db_str(h, i, "to_status"),
		    "actor", db_str(h, i, "actor"),
		    "note", db_str(h, i, "note"));
		json_set_time(e, "at", db_time(h, i, "at"));
		if (staff)
			json_object_set_new(e, "actor_id", json_pack("s?",
			    db_str(h, i, "actor_id")));
		json_array_append_new(a, e);
	}
	return (a);
}

/* What 'who' may make of the case now: [{"to", "note_required"}]. */
static json_t *
next_json(const struct principal *who, const struct db_res *res)
{
	struct policy_case	 c = { .owner = db_str(res, 0, "owner_id"),
				    .department = db_str(res, 0, "department") };
	enum case_status	 st = case_status_from(db_str(res, 0, "status"));
	const struct case_transition *t;
	json_t			*a = json_array();
	int			 seen[CS__COUNT] = { 0 }, exists;
	size_t			 i;

	c.draft = st == CS_DRAFT;
	for (i = 0; i < case_ntransitions; i++) {
		if (case_transitions[i].from != st ||
		    seen[case_transitions[i].to])
			continue;
		t = case_transition_for(who, &c, st, case_transitions[i].to,
		    &exists);
		if (t == NULL)
			continue;
		seen[t->to] = 1;
		json_array_append_new(a, json_pack("{s:s, s:b}", "to",
		    case_status_name(t->to), "note_required",
		    t->note_required));
	}
	return (a);
}

struct read_tx {
	const struct principal	*who;
	const char		*id;
	enum lang		 lang;
	json_t			*out;
	int			 found;
};

static int
read_tx(struct db *db, void *arg, struct db_error *err)
{
	struct read_tx		*t = arg;
	struct policy_case	 c;
	struct db_res		*res = NULL, *h = NULL, *ack = NULL;
	struct procedure	*p = NULL;
	const char		*q[1] = { t->id };
	char			 col[24];
	json_t			*o, *a;
	int			 staff, rc = -1;

	json_decref(t->out);
	t->out = NULL;
	t->found = 0;
	if (db_exec(db, CQ(CQ_GET), q, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1)
		goto none;
	c.owner = db_str(res, 0, "owner_id");
	c.department = db_str(res, 0, "department");
	c.draft = strcmp(db_str(res, 0, "status"), "draft") == 0;
	if (policy_case(t->who, CASE_ACT_READ, &c) != POLICY_ALLOW)
		goto none;
	staff = policy_case(t->who, CASE_ACT_PROCESS, &c) == POLICY_ALLOW;
	/* A read by staff is logged with the read, or not made. */
	if (staff && case_access_record(db, t->who, res, 0,
	    "cases.case", err) == -1)
		goto out;
	if (db_exec(db, CQ(CQ_HISTORY), q, &h, err) == -1 ||
	    db_exec(db, CQ(CQ_ACK), q, &ack, err) == -1 ||
	    procedures_get(db, db_str(res, 0, "procedure"),
	    (int)db_int64(res, 0, "procedure_version"), &p, err) == -1)
		goto out;
	o = case_item(res, 0, staff, clock_now());
	json_object_set_new(json_object_get(o, "procedure"), "title",
	    json_pack("s?", p != NULL ? p->title[t->lang] : NULL));
	snprintf(col, sizeof(col), "department_%s", lang_code(t->lang));
	json_object_set_new(o, "department_name", json_pack("s?",
	    db_str(res, 0, col)));
	json_object_set_new(o, "owner_id", json_pack("s?", c.owner));
	json_object_set_new(o, "form", raw(res, 0, "answers"));
	json_object_set_new(o, "redacted", json_boolean(!db_isnull(res, 0,
	    "redacted_at")));
	json_object_set_new(o, "history", history_json(h, staff));
	if (db_res_rows(ack) == 1) {
		a = json_pack("{s:s?, s:o}", "language", db_str(ack, 0,
		    "locale"), "mentions", raw(ack, 0, "mentions"));
		json_set_time(a, "issued_at", db_time(ack, 0, "issued_at"));
		json_object_set_new(o, "acknowledgement", a);
	} else
		json_object_set_new(o, "acknowledgement", json_null());
	json_object_set_new(o, "transitions", next_json(t->who, res));
	t->out = o;
	t->found = 1;
	rc = 0;
	goto out;
none:
	rc = 0;
out:
	procedure_free(p);
	db_res_free(res);
	db_res_free(h);
	db_res_free(ack);
	return (rc);
}

json_t *
case_read(struct db *db, const struct principal *who, const char *id,
    enum lang l, int *found, struct db_error *err)
{
	struct read_tx	 t = { .who = who, .id = id, .lang = l };

	if (db_tx(db, read_tx, &t, err) == -1) {
		json_decref(t.out);
		*found = -1;
		return (NULL);
	}
	*found = t.found;
	return (t.out);
}
