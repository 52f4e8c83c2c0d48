/*
 * cases_privacy.c: the cases module's privacy hooks (core/module.h).
 *
 * Export (Art. 15, 20): the person's cases (drafts included) with their
 * answers, history (public notes), thread of messages and acknowledgement
 * as issued, and the entitlements accepted cases granted.  The
 * department's internal notes are counted, not exported: they are the
 * department's preparatory work on the case (CRPA L311-2: not
 * communicable before the decision), which the DPO may release on request
 * (guichet-privacy(7)).  The mail that told the person of their cases is
 * the outbox's part (the ops module's section).  Portable: the answers,
 * when the privacy layer names cases.cases.answers portable for the
 * person (their category rests on consent or contract; for démarches,
 * a public task, it does not).
 *
 * Erasure (Art. 17, inside the one erasure transaction): drafts and open
 * cases go, with everything hung on them (ON DELETE CASCADE: history,
 * messages, notes, acknowledgement); a decided, withdrawn or closed case
 * is kept for its procedure's retention (the town's record of its
 * decisions, Art. 17(3)(b)) reduced to its tombstone: reference,
 * procedure, states and dates, decision; its answers, profile kind,
 * messages and notes are deleted and the public notes of its history
 * redacted (cases.history_redact(), the one way through the append-only
 * history).  Entitlements go: there is nobody left to price them for.
 *
 * Files (cases_attach.c): the export lists a case's files as links, with
 * their names, types, sizes and digests; the erasure deletes every file
 * of the person's cases (the files module's own hook has already erased
 * what they sent; what the department sent goes with the case's personal
 * data, also from a kept case, whose tombstone names no file).  The
 * purge deletes the files of the cases the retention rules deleted.
 *
 * Purge: a draft's owner is told before the retention rule case_drafts
 * deletes it (SQL sends no mail): a draft that goes within
 * CASE_DRAFT_WARNING_DAYS is marked warned, kept that long at least from
 * now, and its owner mailed, in one transaction; a draft submitted
 * meanwhile is no longer a draft and is never told it will be deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "cases/cases_int.h"
#include "core/module.h"
#include "db/db.h"

#define CASES_SECTION \
	"json_build_object('cases', coalesce((SELECT json_agg(" \
	"json_build_object('id', c.id, 'reference', c.reference, " \
	"'procedure', c.procedure, 'procedure_version', " \
	"c.procedure_version, 'department', c.department, " \
	"'status', c.status, 'profile_kind', c.profile_kind, " \
	"'answers', c.answers, 'created_at', " DB_TIME_SQL("c.created_at") ", " \
	"'updated_at', " DB_TIME_SQL("c.updated_at") ", " \
	"'expires_at', CASE WHEN c.status = 'draft' THEN " \
	DB_TIME_SQL("c.expires_at") " END, " \
	"'received_at', " DB_TIME_SQL("c.received_at") ", " \
	"'due_at', " DB_TIME_SQL("c.due_at") ", 'decision', c.decision, " \
	"'decided_at', " DB_TIME_SQL("c.decided_at") ", " \
	"'decided_implicitly', c.decided_implicitly, " \
	"'closes_at', " DB_TIME_SQL("c.closes_at") ", " \
	"'closed_at', " DB_TIME_SQL("c.closed_at") ", " \
	"'history', coalesce((SELECT json_agg(json_build_object(" \
	"'at', " DB_TIME_SQL("h.at") ", 'actor', h.actor, 'from', h.from_status, " \
	"'to', h.to_status, 'note', h.note) ORDER BY h.id) " \
	"FROM cases.history h WHERE h.case_id = c.id), '[]'), " \
	"'messages', coalesce((SELECT json_agg(json_build_object(" \
	"'at', " DB_TIME_SQL("m.at") ", 'author', m.author, 'body', m.body) " \
	"ORDER BY m.at, m.id) FROM cases.messages m " \
	"WHERE m.case_id = c.id), '[]'), " \
	"'acknowledgement', (SELECT json_build_object('issued_at', " \
	DB_TIME_SQL("a.issued_at") ", 'language', a.locale, 'mentions', a.mentions) " \
	"FROM cases.acknowledgements a WHERE a.case_id = c.id), " \
	"'internal_notes', json_build_object('held', (SELECT count(*) " \
	"FROM cases.notes n WHERE n.case_id = c.id), 'exported', false, " \
	"'reason', 'preparatory')) ORDER BY c.created_at, c.id) " \
	"FROM cases.cases c WHERE c.owner_id = $1), '[]'), " \
	"'entitlements', coalesce((SELECT json_agg(json_build_object(" \
	"'kind', e.kind, 'season', e.season, 'granted_at', " \
	DB_TIME_SQL("e.granted_at") ", 'reference', k.reference) " \
	"ORDER BY e.granted_at, e.id) FROM cases.entitlements e " \
	"JOIN cases.cases k ON k.id = e.case_id WHERE e.account_id = $1), " \
	"'[]'))::text"

/* $2: the portable columns of cases.cases (a text[]). */
#define CASES_PORTABLE \
	"json_build_object('cases', coalesce((SELECT json_agg(" \
	"json_build_object('reference', c.reference, 'procedure', " \
	"c.procedure, 'answers', c.answers) ORDER BY c.created_at, c.id) " \
	"FROM cases.cases c WHERE c.owner_id = $1 AND " \
	"'answers' = ANY ($2::text[])), '[]'))::text"

#define OPEN_OR_DRAFT \
	"('draft', 'submitted', 'in_review', 'awaiting_information')"

enum cp_stmt {
	CP_EXPORT,
	CP_EXPORT_PORTABLE,
	CP_ERASE_OPEN,
	CP_ERASE_THREAD,
	CP_ERASE_NOTES,
	CP_ERASE_ENTITLEMENTS,
	CP_REDACT_HISTORY,
	CP_REDACT_CASES,
	CP__COUNT
};

static struct db_stmt cp_stmts[CP__COUNT] = {
	[CP_EXPORT] = { .name = "cases_select_privacy_export",
	  .sql = "SELECT " CASES_SECTION " AS section", .nparams = 1 },
	[CP_EXPORT_PORTABLE] = { .name = "cases_select_privacy_portable",
	  .sql = "SELECT " CASES_SECTION " AS section, " CASES_PORTABLE
	  " AS portable", .nparams = 2 },
	/* drafts and open cases, with all that hangs on them */
	[CP_ERASE_OPEN] = { .name = "cases_delete_privacy_open",
	  .sql = "WITH d AS (DELETE FROM cases.cases WHERE owner_id = $1 AND "
	  "status IN " OPEN_OR_DRAFT " RETURNING id) "
	  "SELECT count(*) AS records FROM d", .nparams = 1 },
	/* the kept cases' thread and notes */
	[CP_ERASE_THREAD] = { .name = "cases_delete_privacy_messages",
	  .sql = "WITH d AS (DELETE FROM cases.messages m USING cases.cases c "
	  "WHERE c.id = m.case_id AND c.owner_id = $1 RETURNING m.id) "
	  "SELECT count(*) AS records FROM d", .nparams = 1 },
	[CP_ERASE_NOTES] = { .name = "cases_delete_privacy_notes",
	  .sql = "WITH d AS (DELETE FROM cases.notes n USING cases.cases c "
	  "WHERE c.id = n.case_id AND c.owner_id = $1 RETURNING n.id) "
	  "SELECT count(*) AS records FROM d", .nparams = 1 },
	[CP_ERASE_ENTITLEMENTS] = { .name = "cases_delete_privacy_entitlements",
	  .sql = "WITH d AS (DELETE FROM cases.entitlements WHERE "
	  "account_id = $1 RETURNING id) SELECT count(*) AS records FROM d",
	  .nparams = 1 },
	[CP_REDACT_HISTORY] = { .name = "cases_update_privacy_history",
	  .sql = "SELECT cases.history_redact($1) AS records", .nparams = 1 },
	/*
	 * The tombstones: kept until the end of their retention after their
	 * closure (or the end of the appeal period, or now), at most the
	 * category's 10 years.
	 */
	[CP_REDACT_CASES] = { .name = "cases_update_privacy_redact",
	  .sql = "WITH r AS (UPDATE cases.cases SET answers = '{}', "
	  "profile_kind = NULL, redacted_at = $2, updated_at = $2 "
	  "WHERE owner_id = $1 RETURNING coalesce(closed_at, closes_at, "
	  "$2::timestamptz) + make_interval(years => least(coalesce("
	  "retention_years, 10), 10)) AS until) SELECT count(*) AS records, "
	  "to_char(max(until) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS until "
	  "FROM r", .nparams = 2 },
};

#define CP(x)	(&cp_stmts[(x)])

static int
cases_export(struct db *db, const char *account, struct buf *out,
    struct privacy_portable *portable, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[2] = { account, NULL };
	struct buf	 b;
	json_t		*section;
	char		*s;
	int		 rc;

	if (portable != NULL && (p[1] = portable->columns(portable,
	    "cases.cases", err)) == NULL)
		return (-1);
	if (db_exec(db, CP(portable != NULL ? CP_EXPORT_PORTABLE : CP_EXPORT),
	    p, &res, err) == -1)
		return (-1);
	/* The section, and each case's files as links (cases_attach.c). */
	buf_init(&b);
	privacy_section_add(res, &b, portable);
	db_res_free(res);
	buf_addc(&b, '\0');
	section = json_loads(b.data, 0, NULL);
	buf_cleanup(&b);
	if (section == NULL) {
		memset(err, 0, sizeof(*err));
		err->code = DB_E_INTERNAL;
		return (-1);
	}
	if ((rc = case_attach_export(db, json_object_get(section, "cases"),
	    err)) == 0) {
		s = json_dumps(section, JSON_COMPACT);
		buf_adds(out, s);
		free(s);
	}
	json_decref(section);
	return (rc);
}

/* Run a counting statement: its "records", or -1. */
static long
count_exec(struct db *db, enum cp_stmt st, const char *const *p,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	long		 n;

	if (db_exec(db, CP(st), p, &res, err) == -1)
		return (-1);
	n = (long)db_int64(res, 0, "records");
	db_res_free(res);
	return (n);
}

static int
cases_erase(struct db *db, const char *account, const char *salt,
    json_t *erased, json_t *retained, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[2] = { account, NULL };
	char		 now[40];
	long		 open, thread, notes, ents, hist, kept, files;

	(void)salt;
	/*
	 * The files of every case of theirs, whoever sent them, first: a
	 * kept case's tombstone holds no name nor content (the files module
	 * erased what they sent; what the department sent goes here).
	 */
	if ((files = case_attach_erase(db, account, err)) == -1 ||
	    (open = count_exec(db, CP_ERASE_OPEN, p, err)) == -1 ||
	    (thread = count_exec(db, CP_ERASE_THREAD, p, err)) == -1 ||
	    (notes = count_exec(db, CP_ERASE_NOTES, p, err)) == -1 ||
	    (ents = count_exec(db, CP_ERASE_ENTITLEMENTS, p, err)) == -1 ||
	    (hist = count_exec(db, CP_REDACT_HISTORY, p, err)) == -1)
		return (-1);
	clock_format(clock_now(), now, sizeof(now));
	p[1] = now;
	if (db_exec(db, CP(CP_REDACT_CASES), p, &res, err) == -1)
		return (-1);
	kept = (long)db_int64(res, 0, "records");
	privacy_erased_add(erased, "cases", "case_file", open + thread +
	    notes + ents + hist + kept, "delete");
	privacy_erased_add(erased, "cases", "attachment", files, "delete");
	if (kept > 0)
		json_array_append_new(retained, json_pack("{s:s, s:s, s:I, "
		    "s:s, s:s, s:s?}", "module", "cases", "category",
		    "case_file", "records", (json_int_t)kept, "legal_basis",
		    "legal_obligation", "ground", "Art. 17(3)(b) RGPD: the "
		    "record of the decisions of the town (reference, "
		    "procedure, states, dates, decision), kept for the "
		    "retention of the procedure, without the answers and "
		    "messages of the person",
		    "until", db_str(res, 0, "until")));
	db_res_free(res);
	return (0);
}

/* The draft warnings: one transaction per batch. */

#define WARN_BATCH	200

struct warn_tx {
	const char	*now;
	long		 warned;
	int		 more;
};

static int
warn_tx(struct db *db, void *arg, struct db_error *err)
{
	struct warn_tx	*t = arg;
	struct db_res	*res = NULL, *one = NULL;
	const char	*p[3], *q[1];
	char		 days[16], lim[16], date[48];
	json_t		*pl;
	enum lang	 l;
	int		 i, n, rc;

	t->warned = 0;
	snprintf(days, sizeof(days), "%d", CASE_DRAFT_WARNING_DAYS);
	snprintf(lim, sizeof(lim), "%d", WARN_BATCH);
	p[0] = t->now;
	p[1] = days;
	p[2] = lim;
	if (db_exec(db, CQ(CQ_DRAFTS_WARN), p, &res, err) == -1)
		return (-1);
	n = db_res_rows(res);
	for (i = 0; i < n; i++) {
		/* The row as the mail helpers read it (row 0). */
		q[0] = db_str(res, i, "id");
		if (db_exec(db, CQ(CQ_GET), q, &one, err) == -1)
			goto fail;
		l = case_owner_lang(db, one, err, &rc);
		if (rc == -1)
			goto fail;
		case_human_date(db_str(res, i, "expires_date"), l, date,
		    sizeof(date));
		pl = json_pack("{s:s}", "expires", date);
		rc = case_mail_owner(db, one, "case_draft_expiring", pl, NULL,
		    err);
		json_decref(pl);
		db_res_free(one);
		one = NULL;
		if (rc == -1)
			goto fail;
	}
	db_res_free(res);
	t->warned = n;
	t->more = n == WARN_BATCH;
	return (0);
fail:
	db_res_free(one);
	db_res_free(res);
	return (-1);
}

struct orphans_tx {
	long	 deleted;
	int	 more;
};

static int
orphans_tx(struct db *db, void *arg, struct db_error *err)
{
	struct orphans_tx	*t = arg;

	t->more = 0;
	t->deleted = case_attach_orphans(db, WARN_BATCH, &t->more, err);
	return (t->deleted == -1 ? -1 : 0);
}

static int
cases_purge(struct db *db, int64_t now, json_t *report)
{
	struct warn_tx		 t;
	struct orphans_tx	 f;
	struct db_error		 err;
	char			 at[40];
	long			 total = 0, files = 0;
	int			 b, failed = 0, ffailed = 0;

	clock_format(now, at, sizeof(at));
	for (b = 0; b < 100; b++) {
		memset(&t, 0, sizeof(t));
		t.now = at;
		if (db_tx(db, warn_tx, &t, &err) == -1) {
			log_warnx("cases: draft warnings failed (sqlstate %s)",
			    err.sqlstate);
			failed = 1;
			break;
		}
		total += t.warned;
		if (!t.more)
			break;
	}
	log_info("cases: %ld draft%s warned", total, total == 1 ? "" : "s");
	json_array_append_new(report, json_pack("{s:s, s:I, s:s}", "rule",
	    "case_draft_warnings", "count", (json_int_t)total, "status",
	    failed ? "failed" : "ok"));
	/*
	 * The files of the cases the rules deleted (closed_cases,
	 * case_drafts: they ran before the hooks), a batch per transaction.
	 */
	memset(&f, 0, sizeof(f));
	for (b = 0; b < 100; b++) {
		if (db_tx(db, orphans_tx, &f, &err) == -1) {
			log_warnx("cases: files of deleted cases: failed "
			    "(sqlstate %s)", err.sqlstate);
			ffailed = 1;
			break;
		}
		files += f.deleted;
		if (!f.more)
			break;
	}
	log_info("cases: %ld file%s of deleted cases deleted", files,
	    files == 1 ? "" : "s");
	json_array_append_new(report, json_pack("{s:s, s:I, s:s}", "rule",
	    "case_attachments_of_deleted_cases", "count", (json_int_t)files,
	    "status", ffailed ? "failed" : "ok"));
	return (failed || ffailed ? -1 : 0);
}

const struct module_stmts cases_privacy_stmt_table = { .stmts = cp_stmts,
    .count = CP__COUNT };

const struct privacy_hooks cases_privacy_hooks = {
	.export = cases_export,
	.erase = cases_erase,
	.purge = cases_purge,
};
