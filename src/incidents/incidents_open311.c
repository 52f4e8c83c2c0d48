/*
 * incidents_open311.c: the operations the Open311 server needs
 * (incidents/incidents_open311.h), with their own statement table.
 * Public columns only, as incidents_db.c's public statements.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "core/module.h"
#include "db/db.h"
#include "incidents/incidents_int.h"
#include "incidents/incidents_open311.h"
#include "json/check.h"

enum o311_stmt {
	OQ_CATEGORIES,
	OQ_HISTORY,
	OQ_LOCK,
	OQ__COUNT
};

static struct db_stmt oq_stmts[OQ__COUNT] = {
	[OQ_CATEGORIES] = { .name = "incidents_select_o311_categories",
	  .sql = "SELECT code, department, name_fr, name_en, name_it, "
	  "attributes::text AS attributes, resolution_days, anonymous_allowed "
	  "FROM incidents.categories ORDER BY position, code", .nparams = 0 },
	[OQ_HISTORY] = { .name = "incidents_select_o311_history",
	  .sql = "SELECT h.id::text AS id, h.report_id, h.at, h.from_status, "
	  "h.to_status, h.note FROM incidents.history h WHERE h.at >= "
	  "$1::timestamptz AND h.at < $2::timestamptz ORDER BY h.at, h.id "
	  "LIMIT $3 OFFSET $4", .nparams = 4 },
	[OQ_LOCK] = { .name = "incidents_lock_o311_report",
	  .sql = "SELECT id, status FROM incidents.reports WHERE id = $1 "
	  "FOR NO KEY UPDATE", .nparams = 1 },
};

#define OQ(x)	(&oq_stmts[(x)])

const struct module_stmts incidents_open311_stmt_table = {
	.stmts = oq_stmts, .count = OQ__COUNT };

void
incidents_o311_categories(struct db *db, enum lang l,
    struct incident_outcome *o)
{
	struct db_res	*res = NULL;
	json_t		*out, *c;
	int		 i;

	memset(o, 0, sizeof(*o));
	if (db_exec(db, OQ(OQ_CATEGORIES), NULL, &res, &o->err) == -1) {
		o->result = IR_DB;
		return;
	}
	out = json_array();
	for (i = 0; i < db_res_rows(res); i++) {
		c = incidents_category_json(res, i, l);
		json_object_set_new(c, "names", json_pack("{s:s?, s:s?, s:s?}",
		    "fr", db_str(res, i, "name_fr"), "en", db_str(res, i,
		    "name_en"), "it", db_str(res, i, "name_it")));
		json_array_append_new(out, c);
	}
	db_res_free(res);
	o->made = out;
}

void
incident_views_free(struct incident_views *vs)
{
	free(vs->v);
	db_res_free(vs->res);
	memset(vs, 0, sizeof(*vs));
}

void
incident_views_read(struct db_res *res, struct incident_views *out)
{
	struct incidents_cols	 c;
	int			 i;

	memset(out, 0, sizeof(*out));
	out->res = res;
	out->n = db_res_rows(res);
	out->v = xcalloc(out->n > 0 ? (size_t)out->n : 1, sizeof(*out->v));
	incidents_cols_one(res, &c);
	for (i = 0; i < out->n; i++)
		incidents_view(res, i, &c, &out->v[i]);
}

void
incident_moves_free(struct incident_moves *ms)
{
	free(ms->v);
	db_res_free(ms->res);
	memset(ms, 0, sizeof(*ms));
}

void
incidents_o311_history(struct db *db, const char *start, const char *end,
    long limit, long offset, struct incident_moves *out,
    struct incident_outcome *o)
{
	const char	*p[4];
	char		 lim[24], off[24];
	int		 i, c[6];

	memset(o, 0, sizeof(*o));
	memset(out, 0, sizeof(*out));
	snprintf(lim, sizeof(lim), "%ld", limit);
	snprintf(off, sizeof(off), "%ld", offset);
	p[0] = start;
	p[1] = end;
	p[2] = lim;
	p[3] = off;
	if (db_exec(db, OQ(OQ_HISTORY), p, &out->res, &o->err) == -1) {
		o->result = IR_DB;
		return;
	}
	out->n = db_res_rows(out->res);
	out->v = xcalloc(out->n > 0 ? (size_t)out->n : 1, sizeof(*out->v));
	c[0] = db_col(out->res, "id");
	c[1] = db_col(out->res, "report_id");
	c[2] = db_col(out->res, "from_status");
	c[3] = db_col(out->res, "to_status");
	c[4] = db_col(out->res, "note");
	c[5] = db_col(out->res, "at");
	for (i = 0; i < out->n; i++) {
		out->v[i].id = db_cell(out->res, i, c[0]);
		out->v[i].report_id = db_cell(out->res, i, c[1]);
		out->v[i].from = db_cell(out->res, i, c[2]);
		out->v[i].to = db_cell(out->res, i, c[3]);
		out->v[i].note = db_cell(out->res, i, c[4]);
		db_time_cell(out->res, i, c[5], out->v[i].at,
		    sizeof(out->v[i].at));
	}
}

struct o311_move_tx {
	const char		*client;
	const char		*id;
	const char		*to;
	const char		*note;
	const char		*reason;
	struct incident_outcome	*o;
};

static int
o311_move_tx(struct db *db, void *arg, struct db_error *err)
{
	struct o311_move_tx	*t = arg;
	struct incident_outcome	*o = t->o;
	struct db_res		*r = NULL;
	struct incident_update	 u;
	const char		*p[1], *from;
	char			 hist[40];
	int			 rc = -1;

	incident_outcome_reset(o);
	p[0] = t->id;
	if (db_exec(db, OQ(OQ_LOCK), p, &r, err) == -1)
		goto db;
	if (db_res_rows(r) != 1) {
		o->result = IR_NOT_FOUND;
		goto out;
	}
	from = db_str(r, 0, "status");
	if (!incidents_move_allowed(from, t->to)) {
		o->result = IR_REFUSED;
		o->code = IE_TRANSITION;
		snprintf(o->args[0], sizeof(o->args[0]), "%s", from);
		snprintf(o->args[1], sizeof(o->args[1]), "%s", t->to);
		goto out;
	}
	/* The agents' move itself: history, mail to those following. */
	u.to = t->to;
	u.note = t->note;
	u.reason = strcmp(t->to, "closed") == 0 ? (t->reason != NULL ?
	    t->reason : "invalid") : NULL;
	u.duplicate_of = NULL;
	if (incidents_move_apply(db, t->id, NULL, from, &u, hist,
	    sizeof(hist), err) == -1)
		goto db;
	o->made = json_pack("{s:s, s:s}", "history_id", hist, "status",
	    t->to);
	snprintf(o->id, sizeof(o->id), "%s", t->id);
	rc = 0;
	goto out;
db:
	o->result = IR_DB;
out:
	db_res_free(r);
	return (rc);
}

void
incidents_o311_move(struct db *db, const char *client, const char *id,
    const char *to, const char *note, const char *reason,
    struct incident_outcome *o)
{
	struct o311_move_tx	 t = { client, id, to, note, reason, o };

	incidents_run_tx(db, o311_move_tx, &t, o);
}
