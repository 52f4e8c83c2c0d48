/*
 * cases_attach.c: the files of a case (sql/022_cases_attachments.sql):
 * the procedure's documents the person sends, the files of the messages
 * and of the internal notes.  The files module (files/files.h) keeps the
 * bytes, reads their type from the content, records their SHA-256, has
 * clamd scan them and serves them; this file decides who may send, see,
 * fetch and remove them, through the case's own access (case_lock_for(),
 * policy_case()).
 *
 *   POST   /api/v1/cases/{id}/attachments[?document=CODE]   the body is
 *          the file (application/pdf, image/jpeg, image/png; the content
 *          decides), its name in Content-Disposition
 *   GET    /api/v1/cases/{id}/attachments                   a page
 *   GET    /api/v1/cases/{id}/attachments/{file}            the bytes
 *   DELETE /api/v1/cases/{id}/attachments/{file}
 *
 * Rules kept here:
 *  - who sends: the owner while the case is a draft or awaits
 *    information (409 case_not_draft otherwise); an agent of its
 *    department while the case is not withdrawn nor closed (409
 *    case_thread_closed);
 *  - who sees: staff of the department see every file; the person sees
 *    their own side's and the department's files once a message carries
 *    them, never those of an internal note nor those not sent yet;
 *    a file the caller may not see is 404 as if it were not;
 *  - a download is files_reply() after the case's authorization: nothing
 *    pending, rejected or erased is ever served; staff's reads of the
 *    files are in the access log, written in the transaction that
 *    authorises them;
 *  - who removes: the person, their own file while the case is a draft,
 *    or a file sent after the receipt that no message carries yet; an
 *    agent, a file they sent that no message nor note carries yet;
 *  - what a submission needs (case_attach_check()): a file for every
 *    required document, not rejected by the scanner; a form field of
 *    type file names a file of this very case, of the person's side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "cases/cases_int.h"
#include "core/module.h"
#include "db/db.h"
#include "files/files.h"
#include "http/page.h"
#include "http/reply.h"
#include "json/check.h"
#include "procedures/procedures.h"

#define ATT_COLS \
	"file_id, case_id, side, uploader_id, document, created_at, " \
	"created_at::text AS at_key, message_id, note_id"
/* What the person sees ($2 false) and staff ($2 true). */
#define ATT_SEEN \
	"($2::boolean OR side = 'owner' OR message_id IS NOT NULL)"

enum aq_stmt {
	AQ_INSERT,
	AQ_LIST,
	AQ_ONE,
	AQ_LOCK,
	AQ_DELETE,
	AQ_LINK_MESSAGE,
	AQ_LINK_NOTE,
	AQ_CARRIED,
	AQ_DOCUMENTS,
	AQ_OF_OWNER,
	AQ_ORPHANS,
	AQ__COUNT
};

static struct db_stmt ca_stmts[AQ__COUNT] = {
	[AQ_INSERT] = { .name = "cases_insert_attachment",
	  .sql = "INSERT INTO cases.attachments (file_id, case_id, side, "
	  "uploader_id, document, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
	  "RETURNING " ATT_COLS, .nparams = 6 },
	/* a page, keyset (created_at, file_id) from $3, $4 */
	[AQ_LIST] = { .name = "cases_select_attachments",
	  .sql = "SELECT " ATT_COLS " FROM cases.attachments WHERE "
	  "case_id = $1 AND " ATT_SEEN " AND ($3::timestamptz IS NULL OR "
	  "(created_at, file_id) > ($3::timestamptz, $4::uuid)) "
	  "ORDER BY created_at, file_id LIMIT $5", .nparams = 5 },
	[AQ_ONE] = { .name = "cases_select_attachment",
	  .sql = "SELECT " ATT_COLS " FROM cases.attachments WHERE "
	  "case_id = $1 AND " ATT_SEEN " AND file_id = $3", .nparams = 3 },
	[AQ_LOCK] = { .name = "cases_lock_attachment",
	  .sql = "SELECT " ATT_COLS " FROM cases.attachments WHERE "
	  "case_id = $1 AND " ATT_SEEN " AND file_id = $3 FOR UPDATE",
	  .nparams = 3 },
	[AQ_DELETE] = { .name = "cases_delete_attachment",
	  .sql = "DELETE FROM cases.attachments WHERE file_id = $1",
	  .nparams = 1 },
	[AQ_LINK_MESSAGE] = { .name = "cases_update_attachment_message",
	  .sql = "UPDATE cases.attachments SET message_id = $2 "
	  "WHERE file_id = $1 AND message_id IS NULL AND note_id IS NULL",
	  .nparams = 2 },
	[AQ_LINK_NOTE] = { .name = "cases_update_attachment_note",
	  .sql = "UPDATE cases.attachments SET note_id = $2 "
	  "WHERE file_id = $1 AND message_id IS NULL AND note_id IS NULL",
	  .nparams = 2 },
	/* the files of the messages ($2 false) or notes ($2 true) */
	[AQ_CARRIED] = { .name = "cases_select_attachments_carried",
	  .sql = "SELECT " ATT_COLS ", coalesce(CASE WHEN $2::boolean THEN "
	  "note_id ELSE message_id END, 0) AS post_id FROM cases.attachments "
	  "WHERE case_id = $1 AND CASE WHEN $2::boolean THEN note_id "
	  "IS NOT NULL ELSE message_id IS NOT NULL END "
	  "ORDER BY created_at, file_id", .nparams = 2 },
	/* the person's files that say which document they are */
	[AQ_DOCUMENTS] = { .name = "cases_select_attachment_documents",
	  .sql = "SELECT file_id, document FROM cases.attachments "
	  "WHERE case_id = $1 AND side = 'owner' AND document IS NOT NULL",
	  .nparams = 1 },
	/* erasure: every file of the person's cases, whoever sent it */
	[AQ_OF_OWNER] = { .name = "cases_delete_attachments_of_owner",
	  .sql = "DELETE FROM cases.attachments a USING cases.cases c "
	  "WHERE c.id = a.case_id AND c.owner_id = $1 RETURNING a.file_id",
	  .nparams = 1 },
	/* the files of cases that went (retention, drafts, erasure) */
	[AQ_ORPHANS] = { .name = "cases_delete_attachments_orphaned",
	  .sql = "DELETE FROM cases.attachments WHERE file_id IN (SELECT "
	  "a.file_id FROM cases.attachments a WHERE NOT EXISTS (SELECT 1 "
	  "FROM cases.cases c WHERE c.id = a.case_id) LIMIT $1) "
	  "RETURNING file_id", .nparams = 1 },
};

#define AQ(x)	(&ca_stmts[(x)])

const struct module_stmts cases_attach_stmt_table = { .stmts = ca_stmts,
    .count = AQ__COUNT };

/* Field messages, by language. */
enum amsg { AM_DOCUMENT, AM_ATTACHMENT, AM_REQUIRED, AM_FILE_FIELD,
    AM__COUNT };
static const char *const amsgs[AM__COUNT][LANG__COUNT] = {
	[AM_DOCUMENT] = { "cette démarche ne demande aucun document de ce "
	    "code", "this procedure asks for no document with this code",
	    "questa pratica non chiede alcun documento con questo codice" },
	[AM_ATTACHMENT] = { "ce n'est pas un fichier que vous avez envoyé "
	    "pour cette démarche et qui n'est pas déjà joint",
	    "not a file you sent for this case and not attached yet",
	    "non è un file che ha inviato per questa pratica e non ancora "
	    "allegato" },
	[AM_REQUIRED] = { "ce document est requis : ",
	    "this document is required: ", "questo documento è richiesto: " },
	[AM_FILE_FIELD] = { "doit être l'identifiant d'un fichier envoyé "
	    "pour cette démarche", "must be the id of a file sent for this "
	    "case", "deve essere l'identificativo di un file inviato per "
	    "questa pratica" },
};

/* The download's path of a file of a case. */
static char *
att_url(const char *case_id, const char *file_id)
{
	char	*u;

	xasprintf(&u, "/api/v1/cases/%s/attachments/%s", case_id, file_id);
	return (u);
}

/*
 * Row i of 'res' as the API shows it (staff: with who sent it and the
 * note that carries it), or NULL when its file is gone; -1 in *rc on a
 * database error.
 */
static json_t *
att_json(struct db *db, const struct db_res *res, int i, int staff,
    struct db_error *err, int *rc)
{
	struct files_info	 fi;
	json_t			*o;
	char			*url;

	*rc = files_info(db, db_str(res, i, "file_id"), &fi, err);
	if (*rc != 0) {
		*rc = *rc == -1 ? -1 : 0;
		return (NULL);
	}
	url = att_url(db_str(res, i, "case_id"), fi.id);
	o = json_pack("{s:o, s:s?, s:s?, s:s}", "file", files_info_json(&fi),
	    "document", db_str(res, i, "document"), "uploaded_by",
	    db_str(res, i, "side"), "url", url);
	json_object_set_new(o, "message_id", db_isnull(res, i, "message_id") ?
	    json_null() : json_integer((json_int_t)db_int64(res, i,
	    "message_id")));
	if (staff) {
		json_set_str(o, "uploader_id", db_str(res, i, "uploader_id"));
		json_object_set_new(o, "note_id", db_isnull(res, i,
		    "note_id") ? json_null() : json_integer((json_int_t)
		    db_int64(res, i, "note_id")));
	}
	free(url);
	files_info_free(&fi);
	return (o);
}

/* The case for a route of its files: locked, 'who' may read it. */
struct att_case {
	struct db_res		*res;
	enum case_status	 st;
	int			 staff, owner;
};

static int
att_case(struct db *db, const struct principal *who, const char *id,
    struct att_case *c, struct case_outcome *o)
{
	struct policy_case	 pc;

	memset(c, 0, sizeof(*c));
	if (case_lock_for(db, who, id, CASE_ACT_READ, &c->res, &c->st, o) ==
	    -1)
		return (-1);
	pc.owner = db_str(c->res, 0, "owner_id");
	pc.department = db_str(c->res, 0, "department");
	pc.draft = c->st == CS_DRAFT;
	c->staff = policy_case(who, CASE_ACT_PROCESS, &pc) == POLICY_ALLOW;
	c->owner = policy_case(who, CASE_ACT_OWN, &pc) == POLICY_ALLOW;
	return (0);
}

/* A 422 of its own field errors in 'o'. */
static int
att_invalid(struct case_outcome *o, json_t *errors)
{
	json_decref(o->errors);
	o->errors = errors;
	o->result = CR_INVALID;
	o->err.code = DB_OK;
	return (-1);
}

static int
att_db(struct case_outcome *o, int rc)
{
	if (rc == -1 && o->result == CR_OK)
		o->result = CR_DB;
	return (rc);
}

/*
 * File 'file' of the case 'c' (of id 'id') as its caller may see it, read
 * (AQ_ONE) or locked to change it (AQ_LOCK), into *m: 0, or -1 with 'o'
 * set (404 case_attachment_not_found when there is none such).
 */
static int
att_file(struct db *db, const char *id, const struct att_case *c,
    const char *file, enum aq_stmt which, struct db_res **m,
    struct case_outcome *o)
{
	const char	*q[3] = { id, c->staff ? "true" : "false", file };

	if (att_db(o, db_exec(db, AQ(which), q, m, &o->err)) == -1)
		return (-1);
	if (db_res_rows(*m) != 1) {
		case_refuse(o, CE_ATTACHMENT_NOT_FOUND, NULL, NULL);
		return (-1);
	}
	return (0);
}

/* Is 'code' one of the documents of version 'version' of 'proc'? */
static int
document_known(struct db *db, const char *proc, int version,
    const char *code, struct db_error *err)
{
	struct procedure	*p = NULL;
	json_t			*d;
	size_t			 i;
	int			 known = 0;

	if (procedures_get(db, proc, version, &p, err) == -1)
		return (-1);
	if (p == NULL)
		return (0);
	json_array_foreach(p->documents, i, d)
		if (strcmp(json_str(d, "code") != NULL ? json_str(d, "code") :
		    "", code) == 0)
			known = 1;
	procedure_free(p);
	return (known);
}

/* POST /api/v1/cases/{id}/attachments */

struct attach_tx {
	const struct principal		*who;
	const char			*id;
	struct case_upload		*up;
	enum lang			 lang;
	struct case_outcome		*o;
};

static int
attach_tx(struct db *db, void *arg, struct db_error *err)
{
	struct attach_tx	*t = arg;
	struct case_outcome	*o = t->o;
	struct case_upload	*up = t->up;
	struct att_case		 c;
	struct db_res		*row = NULL;
	const char		*q[6];
	char			 now[40];
	int			 rc = -1, x;

	case_outcome_reset(o);
	up->result = FILES_STORED;
	if (att_case(db, t->who, t->id, &c, o) == -1)
		goto out;
	if (c.owner && c.st != CS_DRAFT && c.st != CS_AWAITING) {
		case_refuse(o, CE_NOT_DRAFT, case_status_name(c.st), NULL);
		goto out;
	}
	if (!c.owner && (c.st == CS_WITHDRAWN || c.st == CS_CLOSED)) {
		case_refuse(o, CE_THREAD_CLOSED, case_status_name(c.st), NULL);
		goto out;
	}
	if (up->document != NULL) {
		x = strlen(up->document) <= 48 ? document_known(db,
		    db_str(c.res, 0, "procedure"), (int)db_int64(c.res, 0,
		    "procedure_version"), up->document, &o->err) : 0;
		if (att_db(o, x) == -1)
			goto out;
		if (x == 0) {
			att_invalid(o, json_array());
			json_error_add(o->errors, "/query/document", "unknown",
			    amsgs[AM_DOCUMENT][t->lang]);
			goto out;
		}
	}
	if ((x = files_store(db, "cases", t->id, t->who->id, up->name,
	    up->data, up->len, NULL, &up->stored, &o->err)) == -1) {
		o->result = CR_DB;
		goto out;
	}
	if (x != FILES_STORED) {
		/* Nothing stored: the handler answers the 422. */
		up->result = x;
		rc = 0;
		goto out;
	}
	clock_format(clock_now(), now, sizeof(now));
	q[0] = up->stored.id;
	q[1] = t->id;
	q[2] = c.owner ? "owner" : "department";
	q[3] = t->who->id;
	q[4] = up->document;
	q[5] = now;
	if (att_db(o, db_exec(db, AQ(AQ_INSERT), q, &row, &o->err)) == -1)
		goto out;
	o->made = att_json(db, row, 0, c.staff, &o->err, &x);
	if (att_db(o, x) == -1)
		goto out;
	log_info("cases: file %s attached to case %s by %s", up->stored.id,
	    t->id, t->who->id);
	rc = 0;
out:
	db_res_free(c.res);
	db_res_free(row);
	if (rc == -1)
		*err = o->err;
	return (rc);
}

void
case_attach(struct db *db, const struct principal *who, const char *id,
    struct case_upload *up, enum lang l, struct case_outcome *o)
{
	struct attach_tx	 t = { .who = who, .id = id, .up = up,
				    .lang = l, .o = o };

	case_run_tx(db, attach_tx, &t, o);
}

/* The reads: a page, one file (its facts, before files_reply()). */

struct read_tx {
	const struct principal	*who;
	const char		*id;
	const char		*file;		/* one file; NULL: a page */
	const char		*after_at, *after_id;
	long			 limit;
	json_t			*items;
	char			*next;
	struct case_outcome	*o;
};

static int
read_tx(struct db *db, void *arg, struct db_error *err)
{
	struct read_tx		*t = arg;
	struct case_outcome	*o = t->o;
	struct att_case		 c;
	struct db_res		*m = NULL;
	const char		*q[5];
	char			 lim[24];
	json_t			*a;
	int			 i, n, x, rc = -1;

	case_outcome_reset(o);
	json_decref(t->items);
	free(t->next);
	t->items = NULL;
	t->next = NULL;
	if (att_case(db, t->who, t->id, &c, o) == -1)
		goto out;
	if (t->file != NULL) {
		if (att_file(db, t->id, &c, t->file, AQ_ONE, &m, o) == -1)
			goto out;
	} else {
		q[0] = t->id;
		q[1] = c.staff ? "true" : "false";
		snprintf(lim, sizeof(lim), "%ld", t->limit + 1);
		q[2] = t->after_at;
		q[3] = t->after_id;
		q[4] = lim;
		if (att_db(o, db_exec(db, AQ(AQ_LIST), q, &m, &o->err)) == -1)
			goto out;
		t->items = json_array();
		n = db_res_rows(m);
		for (i = 0; i < n && i < t->limit; i++) {
			a = att_json(db, m, i, c.staff, &o->err, &x);
			if (att_db(o, x) == -1)
				goto out;
			if (a != NULL)
				json_array_append_new(t->items, a);
		}
		t->next = case_page_next(m, t->limit, "file_id");
	}
	/* A read by staff is logged with it, or not made. */
	if (c.staff && att_db(o, case_access_record(db, t->who, c.res, 0,
	    "cases.attachments", &o->err)) == -1)
		goto out;
	rc = 0;
out:
	db_res_free(c.res);
	db_res_free(m);
	if (rc == -1)
		*err = o->err;
	return (rc);
}

static int
attachments_read(struct request *req, const char *file, long limit,
    const char *after_at, const char *after_id)
{
	struct case_outcome	 o;
	struct read_tx		 t;

	memset(&o, 0, sizeof(o));
	memset(&t, 0, sizeof(t));
	t.who = req->principal;
	t.file = file;
	t.limit = limit;
	t.after_at = after_at;
	t.after_id = after_id;
	t.o = &o;
	if ((t.id = case_param_id(req)) == NULL)
		return (0);
	case_run_tx(db_thread(), read_tx, &t, &o);
	if (o.result != CR_OK) {
		json_decref(t.items);
		free(t.next);
		case_reply_outcome(req, &o);
		return (0);
	}
	if (file != NULL)
		return (files_reply(req, file));
	case_reply_page(req, t.items, t.next);
	return (0);
}

/* GET /api/v1/cases/{id}/attachments */
int
cases_attachments_list(struct request *req)
{
	const char	*at = NULL, *id = NULL;
	long		 limit;

	if (page_limit_or_reply(req, &limit) == -1 ||
	    case_page_cursor(req, 0, &at, &id) == -1)
		return (0);
	return (attachments_read(req, NULL, limit, at, id));
}

/* The path's file id, or NULL after a 404. */
static const char *
param_file(struct request *req)
{
	return (param_uuid_or_reply(req, "file",
	    CASES_ERR(CE_ATTACHMENT_NOT_FOUND)));
}

/* GET /api/v1/cases/{id}/attachments/{file} */
int
cases_attachments_get(struct request *req)
{
	const char	*file;

	if (case_param_id(req) == NULL || (file = param_file(req)) == NULL)
		return (0);
	return (attachments_read(req, file, 0, NULL, NULL));
}

/* POST /api/v1/cases/{id}/attachments: the body is the file. */
int
cases_attachments_post(struct request *req)
{
	struct case_outcome	 o;
	struct case_upload	 up;
	const char		*id;
	char			*loc;

	if ((id = case_param_id(req)) == NULL)
		return (0);
	memset(&o, 0, sizeof(o));
	memset(&up, 0, sizeof(up));
	up.document = request_query(req, "document");
	up.name = files_upload_name(req);
	up.data = req->body.data;
	up.len = req->body.len;
	case_attach(db_thread(), req->principal, id, &up, req->lang, &o);
	if (o.result != CR_OK) {
		case_reply_outcome(req, &o);
		return (0);
	}
	if (up.result != FILES_STORED) {
		files_reply_refused(req, up.result, &up.stored, NULL);
		return (0);
	}
	reply_json(req, 201, o.made);
	reply_header(req, "Cache-Control", "no-store");
	loc = att_url(id, up.stored.id);
	reply_header(req, "Location", loc);
	free(loc);
	return (0);
}

/* DELETE /api/v1/cases/{id}/attachments/{file} */

struct delete_tx {
	const struct principal	*who;
	const char		*id;
	const char		*file;
	struct case_outcome	*o;
};

static int
delete_tx(struct db *db, void *arg, struct db_error *err)
{
	struct delete_tx	*t = arg;
	struct case_outcome	*o = t->o;
	struct att_case		 c;
	struct db_res		*m = NULL;
	const char		*q[1];
	int			 mine, carried, after, rc = -1;

	case_outcome_reset(o);
	if (att_case(db, t->who, t->id, &c, o) == -1 ||
	    att_file(db, t->id, &c, t->file, AQ_LOCK, &m, o) == -1)
		goto out;
	mine = strcmp(db_str(m, 0, "uploader_id"), t->who->id) == 0 &&
	    strcmp(db_str(m, 0, "side"), c.owner ? "owner" : "department") ==
	    0;
	carried = !db_isnull(m, 0, "message_id") ||
	    !db_isnull(m, 0, "note_id");
	/* The person's file sent after the receipt (awaiting information). */
	after = !db_isnull(c.res, 0, "received_at") &&
	    db_time(m, 0, "created_at") >= db_time(c.res, 0, "received_at");
	if (!mine) {
		case_refuse(o, CE_ATTACHMENT_NOT_YOURS, NULL, NULL);
		goto out;
	}
	if (carried || (c.owner && c.st != CS_DRAFT && !(c.st == CS_AWAITING &&
	    after))) {
		case_refuse(o, CE_ATTACHMENT_SENT, case_status_name(c.st),
		    NULL);
		goto out;
	}
	q[0] = t->file;
	if (att_db(o, db_exec(db, AQ(AQ_DELETE), q, NULL, &o->err)) ==
	    -1 || att_db(o, files_delete(db, t->file, &o->err)) == -1)
		goto out;
	log_info("cases: file %s of case %s deleted by %s", t->file, t->id,
	    t->who->id);
	rc = 0;
out:
	db_res_free(c.res);
	db_res_free(m);
	if (rc == -1)
		*err = o->err;
	return (rc);
}

int
cases_attachments_delete(struct request *req)
{
	struct case_outcome	 o;
	struct delete_tx	 t;

	memset(&o, 0, sizeof(o));
	t.who = req->principal;
	t.o = &o;
	if ((t.id = case_param_id(req)) == NULL ||
	    (t.file = param_file(req)) == NULL)
		return (0);
	case_run_tx(db_thread(), delete_tx, &t, &o);
	if (o.result != CR_OK) {
		case_reply_outcome(req, &o);
		return (0);
	}
	reply_bytes(req, 204, NULL, NULL, 0);
	return (0);
}

/* The thread's files (cases_ops.c, cases_thread.c). */

int
case_attach_link(struct db *db, const char *case_id, const char *side,
    int note, const json_t *ids, const char *post_id, enum lang l,
    struct case_outcome *o)
{
	struct db_res	*m = NULL;
	json_t		*v, *errors = NULL;
	const char	*q[3], *s;
	char		 at[48];
	size_t		 i;
	int		 ok;

	json_array_foreach(ids, i, v) {
		s = json_string_value(v);
		ok = 0;
		if (s != NULL && json_format_ok(JF_UUID, s)) {
			q[0] = case_id;
			q[1] = "true";
			q[2] = s;
			if (att_db(o, db_exec(db, AQ(AQ_LOCK), q, &m,
			    &o->err)) == -1)
				return (-1);
			ok = db_res_rows(m) == 1 &&
			    strcmp(db_str(m, 0, "side"), side) == 0 &&
			    db_isnull(m, 0, "message_id") &&
			    db_isnull(m, 0, "note_id");
			db_res_free(m);
			m = NULL;
		}
		if (ok && post_id != NULL) {
			q[0] = s;
			q[1] = post_id;
			if (att_db(o, db_exec(db, AQ(note ? AQ_LINK_NOTE :
			    AQ_LINK_MESSAGE), q, NULL, &o->err)) == -1)
				return (-1);
		} else if (!ok) {
			if (errors == NULL)
				errors = json_array();
			snprintf(at, sizeof(at), "/attachments/%zu", i);
			json_error_add(errors, at, "unknown_attachment",
			    amsgs[AM_ATTACHMENT][l]);
		}
	}
	return (errors != NULL ? att_invalid(o, errors) : 0);
}

int
case_attach_carried(struct db *db, const char *case_id, int note,
    int staff, json_t *items, struct db_error *err)
{
	struct db_res	*m = NULL;
	const char	*q[2] = { case_id, note ? "true" : "false" };
	json_t		*it, *a, *list;
	size_t		 k;
	int		 i, x;

	if (db_exec(db, AQ(AQ_CARRIED), q, &m, err) == -1)
		return (-1);
	json_array_foreach(items, k, it)
		json_object_set_new(it, "attachments", json_array());
	for (i = 0; i < db_res_rows(m); i++) {
		json_array_foreach(items, k, it) {
			if (json_integer_value(json_object_get(it, "id")) !=
			    (json_int_t)db_int64(m, i, "post_id"))
				continue;
			if ((a = att_json(db, m, i, staff, err, &x)) == NULL &&
			    x == -1) {
				db_res_free(m);
				return (-1);
			}
			list = json_object_get(it, "attachments");
			if (a != NULL)
				json_array_append_new(list, a);
		}
	}
	db_res_free(m);
	return (0);
}

/* Submission (cases_ops.c's submit_in()). */

/* Is file 'id' of case 'case_id' the person's, and not rejected? */
static int
owner_file_ok(struct db *db, const char *case_id, const char *id,
    int any_status, struct db_error *err)
{
	struct files_info	 fi;
	struct db_res		*m = NULL;
	const char		*q[3] = { case_id, "false", id };
	int			 rc;

	if (!json_format_ok(JF_UUID, id))
		return (0);
	if (db_exec(db, AQ(AQ_ONE), q, &m, err) == -1)
		return (-1);
	rc = db_res_rows(m) == 1 && strcmp(db_str(m, 0, "side"), "owner") ==
	    0;
	db_res_free(m);
	if (rc == 0 || any_status)
		return (rc);
	if ((rc = files_info(db, id, &fi, err)) != 0)
		return (rc == -1 ? -1 : 0);
	rc = fi.status == FILES_PENDING || fi.status == FILES_CLEAN;
	files_info_free(&fi);
	return (rc);
}

json_t *
case_attach_documents(struct db *db, const char *case_id,
    struct db_error *err)
{
	struct db_res	*m = NULL;
	json_t		*codes = json_array();
	const char	*q[1] = { case_id };
	int		 i, x;

	if (db_exec(db, AQ(AQ_DOCUMENTS), q, &m, err) == -1) {
		json_decref(codes);
		return (NULL);
	}
	for (i = 0; i < db_res_rows(m); i++) {
		x = owner_file_ok(db, case_id, db_str(m, i, "file_id"), 0, err);
		if (x == -1) {
			db_res_free(m);
			json_decref(codes);
			return (NULL);
		}
		if (x == 1)
			json_array_append_new(codes, json_string(db_str(m, i,
			    "document")));
	}
	db_res_free(m);
	return (codes);
}

int
case_document_provided(const json_t *codes, const char *code)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(codes, i, v)
		if (code != NULL && strcmp(json_string_value(v), code) == 0)
			return (1);
	return (0);
}

int
case_attach_check(struct db *db, const char *case_id,
    const struct procedure *p, const json_t *answers, enum lang l,
    struct case_outcome *o)
{
	json_t		*codes, *errors, *d, *f;
	const char	*code, *name, *v;
	char		 at[128], msg[600];
	size_t		 i;
	int		 x;

	if ((codes = case_attach_documents(db, case_id, &o->err)) == NULL) {
		o->result = CR_DB;
		return (-1);
	}
	errors = json_array();
	json_array_foreach(p->documents, i, d) {
		code = json_str(d, "code");
		if (!json_is_true(json_object_get(d, "required")) ||
		    case_document_provided(codes, code))
			continue;
		snprintf(at, sizeof(at), "/documents/%s", code);
		snprintf(msg, sizeof(msg), "%s%s", amsgs[AM_REQUIRED][l],
		    case_document_label(d, l));
		json_error_add(errors, at, "document_required", msg);
	}
	json_decref(codes);
	json_array_foreach(p->form, i, f) {
		name = json_str(f, "name");
		if (name == NULL || strcmp(json_str(f, "type") != NULL ?
		    json_str(f, "type") : "", "file") != 0 ||
		    (v = json_str(answers, name)) == NULL)
			continue;
		if ((x = owner_file_ok(db, case_id, v, 1, &o->err)) == -1) {
			json_decref(errors);
			o->result = CR_DB;
			return (-1);
		}
		if (x == 0) {
			snprintf(at, sizeof(at), "/form/%s", name);
			json_error_add(errors, at, "unknown_file",
			    amsgs[AM_FILE_FIELD][l]);
		}
	}
	if (json_array_size(errors) > 0)
		return (att_invalid(o, errors));
	json_decref(errors);
	return (0);
}

/* Privacy (cases_privacy.c). */

int
case_attach_export(struct db *db, json_t *cases, struct db_error *err)
{
	struct files_info	 fi;
	struct db_res		*m = NULL;
	const char		*q[5] = { NULL, "false", NULL, NULL, "100000" };
	json_t			*c, *list, *a, *f;
	char			*url;
	size_t			 k;
	int			 i, rc;

	json_array_foreach(cases, k, c) {
		q[0] = json_str(c, "id");
		if (db_exec(db, AQ(AQ_LIST), q, &m, err) == -1)
			return (-1);
		list = json_array();
		json_object_set_new(c, "attachments", list);
		for (i = 0; i < db_res_rows(m); i++) {
			if ((rc = files_info(db, db_str(m, i, "file_id"), &fi,
			    err)) == -1) {
				db_res_free(m);
				return (-1);
			}
			if (rc == 1)
				continue;
			/* A link, and what the file is: never its bytes. */
			xasprintf(&url, "%s/api/v1/cases/%s/attachments/%s",
			    cases_config.public_url, q[0], fi.id);
			f = files_info_json(&fi);
			a = json_pack("{s:s, s:O, s:O, s:O, s:O, s:O, s:O, s:s?, "
			    "s:s?}", "url", url, "name", json_object_get(f,
			    "name"), "type", json_object_get(f, "type"), "size",
			    json_object_get(f, "size"), "sha256",
			    json_object_get(f, "sha256"), "status",
			    json_object_get(f, "status"), "uploaded_at",
			    json_object_get(f, "uploaded_at"), "document",
			    db_str(m, i, "document"), "uploaded_by",
			    db_str(m, i, "side"));
			json_array_append_new(list, a);
			json_decref(f);
			free(url);
			files_info_free(&fi);
		}
		db_res_free(m);
		m = NULL;
	}
	return (0);
}

/* Delete the files of the rows 'res' returned ("file_id"): a count. */
static long
files_of(struct db *db, struct db_res *res, struct db_error *err)
{
	long	 n = 0;
	int	 i, rc;

	for (i = 0; i < db_res_rows(res); i++) {
		if ((rc = files_delete(db, db_str(res, i, "file_id"), err)) ==
		    -1)
			return (-1);
		n += rc == 0;
	}
	return (n);
}

long
case_attach_erase(struct db *db, const char *account, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*q[1] = { account };
	long		 n;

	if (db_exec(db, AQ(AQ_OF_OWNER), q, &res, err) == -1)
		return (-1);
	n = files_of(db, res, err);
	db_res_free(res);
	return (n);
}

long
case_attach_orphans(struct db *db, long batch, int *more,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*q[1];
	char		 lim[24];
	long		 n;

	snprintf(lim, sizeof(lim), "%ld", batch);
	q[0] = lim;
	if (db_exec(db, AQ(AQ_ORPHANS), q, &res, err) == -1)
		return (-1);
	n = files_of(db, res, err);
	*more = db_res_rows(res) == batch;
	db_res_free(res);
	return (n);
}
