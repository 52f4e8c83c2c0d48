/*
 * privacy_hook.c: the privacy layer's own hook (hooks.h): the person's
 * consents, the reads of their data (access log), their rights requests
 * and restrictions, for access and portability, and their erasure.
 *
 * Export: the access log shows what GET /api/v1/me/access-log shows (a
 * read under legal secrecy appears once its disclosure date is past);
 * requests and restrictions in full.  Only the consent choices are
 * portable: the rest is the town's record of its own work (Art. 12, 18,
 * 30), kept under a legal obligation, not data the person provided
 * under consent or contract.
 *
 * Portability: a consent choice is data the person provides to the
 * consent-based purpose itself (Art. 20(1)(a)); every purpose of the
 * ledger rests on consent (privacy.consent_ledger_check), so the whole
 * history of the person's choices is portable.
 *
 * Erasure follows the strategy of the category 'consent'
 * (privacy.categories): keep_restricted, the default, keeps the proof
 * (Art. 7(1): the town must be able to show a consent it relied on) but
 * cuts it from the person, whose id in the ledger becomes the person's
 * tombstone (privacy_erase_tombstone(), the one the erasure journal
 * keeps; outside the driver, one derived from the erasure's salt); the
 * rows are then retained until the end of the category's retention,
 * counted from the erasure.  The access log rows of the person go
 * (access_trace: delete, through privacy.access_log_erase()).  Rights
 * requests are kept (rights_request: keep_restricted, Art. 5(2), 12) but
 * cut from the person (account_id NULL) and their free texts redacted
 * (free_text: delete); restrictions are kept, pointing to the anonymised
 * account.  The append-only ledger
 * lets only privacy.erase_consent_ledger() (004_privacy_export.sql) do it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/clock.h"
#include "db/db.h"
#include "privacy/privacy_int.h"
#include "privacy/erase.h"
#include "privacy/export.h"
#include "core/module.h"
#include "privacy/hooks.h"

/* Times in the sections: as everywhere in the API (privacy_int.h). */

/* $1 account: the ledger as a JSON array (column j), one statement. */
#define LEDGER_CTE \
	"WITH led AS (SELECT coalesce(json_agg(json_build_object(" \
	"'purpose', l.purpose, 'purpose_version', l.purpose_version, " \
	"'action', l.action, 'channel', l.channel, " \
	"'at', " DB_TIME_SQL("l.at") ") " \
	"ORDER BY l.id), '[]') AS j FROM privacy.consent_ledger l " \
	"WHERE l.account_id = $1) "

/*
 * The current state for every consent-based purpose, the ledger, the
 * visible reads ($2: now), the requests and the restrictions.
 */
#define PRIVACY_SECTION \
	"json_build_object('consents', coalesce((SELECT json_agg(" \
	"json_build_object('purpose', p.code, 'version', p.version, " \
	"'state', CASE WHEN privacy.consent_given($1, p.code) THEN 'given' " \
	"ELSE 'withdrawn' END, " \
	"'since', " DB_TIME_SQL("s.at") ") ORDER BY p.code) " \
	"FROM privacy.purposes p LEFT JOIN LATERAL (SELECT at " \
	"FROM privacy.consent_ledger WHERE account_id = $1 " \
	"AND purpose = p.code ORDER BY id DESC LIMIT 1) s ON true " \
	"WHERE p.optional), '[]'), 'consent_ledger', led.j, " \
	"'access_log', coalesce((SELECT json_agg(json_build_object(" \
	"'at', " DB_TIME_SQL("g.at") ", 'reader_kind', g.reader_kind, " \
	"'department', g.department, 'client_id', g.client_id, " \
	"'dataset', g.dataset, 'record', g.record, 'purpose', g.purpose) " \
	"ORDER BY g.at, g.id) FROM privacy.access_log g " \
	"WHERE g.account_id = $1 AND (g.disclose_after IS NULL " \
	"OR g.disclose_after <= $2::timestamptz)), '[]'), " \
	"'requests', coalesce((SELECT json_agg(json_build_object(" \
	"'id', q.id, 'kind', q.kind, 'channel', q.channel, " \
	"'purpose', q.purpose, 'grounds', q.grounds, " \
	"'received_at', " DB_TIME_SQL("q.received_at") ", " \
	"'due_at', " DB_TIME_SQL("q.due_at") ", " \
	"'extended_until', " DB_TIME_SQL("q.extended_until") ", " \
	"'extension_notified_at', " \
	DB_TIME_SQL("q.extension_notified_at") ", " \
	"'status', q.status, 'answer', q.answer, " \
	"'refusal_reason', q.refusal_reason, 'decision', q.decision, " \
	"'decision_grounds', q.decision_grounds, " \
	"'decided_at', " DB_TIME_SQL("q.decided_at") ") " \
	"ORDER BY q.received_at, q.id) FROM privacy.requests q " \
	"WHERE q.account_id = $1), '[]'), " \
	"'restrictions', coalesce((SELECT json_agg(json_build_object(" \
	"'since', " DB_TIME_SQL("r.since") ", 'channel', r.channel, " \
	"'notified_at', " DB_TIME_SQL("r.notified_at") ", " \
	"'lifted_at', " DB_TIME_SQL("r.lifted_at") ") " \
	"ORDER BY r.since, r.id) " \
	"FROM privacy.restrictions r WHERE r.account_id = $1), '[]'))::text"

enum pvh_stmt {
	PVH_EXPORT,
	PVH_EXPORT_PORTABLE,
	PVH_ERASE_LEDGER,
	PVH_SALT_TOMBSTONE,
	PVH_ERASE_ACCESS_LOG,
	PVH_ERASE_REQUESTS,
	PVH_RESTRICTIONS,
	PVH__COUNT
};

static struct db_stmt pvh_stmts[PVH__COUNT] = {
	/* $1 account, $2 now */
	[PVH_EXPORT] = { .name = "privacy_select_hook_export",
	  .sql = LEDGER_CTE "SELECT " PRIVACY_SECTION " AS section FROM led",
	  .nparams = 2 },
	[PVH_EXPORT_PORTABLE] = { .name = "privacy_select_hook_export_portable",
	  .sql = LEDGER_CTE "SELECT " PRIVACY_SECTION " AS section, "
	  "json_build_object("
	  "'categories', coalesce((SELECT json_object_agg(pc.category, "
	  "json_build_object('purposes', pc.purposes, 'legal_bases', "
	  "pc.legal_bases) ORDER BY pc.category) FROM "
	  "privacy.portable_categories($1::uuid) pc), '{}'), "
	  "'consent_choices', json_build_object('legal_basis', 'consent', "
	  "'choices', led.j))::text AS portable FROM led", .nparams = 2 },
	/*
	 * $1 account, $2 its tombstone, $3 now: the strategy, the rows
	 * erased or cut, and the end of their retention.
	 */
	[PVH_ERASE_LEDGER] = { .name = "privacy_erase_hook_ledger",
	  .sql = "SELECT c.erasure AS erasure, "
	  "privacy.erase_consent_ledger($1::uuid, $2::uuid) AS records, "
	  "to_char(($3::timestamptz + c.retention) AT TIME ZONE 'UTC', "
	  "'YYYY-MM-DD') AS until FROM privacy.categories c "
	  "WHERE c.code = 'consent'", .nparams = 3 },
	/* outside the erasure driver: a tombstone derived from the salt */
	[PVH_SALT_TOMBSTONE] = { .name = "privacy_select_hook_tombstone",
	  .sql = "SELECT encode(substring(sha256(convert_to($2::text || ':' "
	  "|| $1::text, 'UTF8')) FROM 1 FOR 16), 'hex')::uuid AS tombstone",
	  .nparams = 2 },
	/* the one path through the append-only access log */
	[PVH_ERASE_ACCESS_LOG] = { .name = "privacy_erase_hook_access_log",
	  .sql = "SELECT privacy.access_log_erase($1) AS records",
	  .nparams = 1 },
	/*
	 * $1 account, $2 now: requests kept, cut from the person, free texts
	 * redacted; how many, how many had a text, and until when (the
	 * category's retention after the latest decision, or now).
	 */
	[PVH_ERASE_REQUESTS] = { .name = "privacy_erase_hook_requests",
	  .sql = "WITH q AS (UPDATE privacy.requests SET account_id = NULL, "
	  "grounds = CASE WHEN grounds IS NULL THEN NULL ELSE '[effacé]' END, "
	  "answer = CASE WHEN answer IS NULL THEN NULL ELSE '[effacé]' END, "
	  "refusal_reason = CASE WHEN refusal_reason IS NULL THEN NULL "
	  "ELSE '[effacé]' END, decision_grounds = CASE WHEN decision_grounds "
	  "IS NULL THEN NULL ELSE '[effacé]' END WHERE account_id = $1 "
	  "RETURNING decided_at, (grounds IS NOT NULL OR answer IS NOT NULL "
	  "OR refusal_reason IS NOT NULL OR decision_grounds IS NOT NULL) "
	  "AS texts) SELECT count(*) AS records, "
	  "count(*) FILTER (WHERE texts) AS texts, "
	  "to_char((greatest(max(decided_at), $2::timestamptz) + (SELECT "
	  "c.retention FROM privacy.categories c WHERE c.code = "
	  "'rights_request')) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS until "
	  "FROM q", .nparams = 2 },
	/* kept, pointing to the anonymised account; until: as requests */
	[PVH_RESTRICTIONS] = { .name = "privacy_select_hook_restrictions",
	  .sql = "SELECT count(*) AS records, to_char((greatest("
	  "max(lifted_at), $2::timestamptz) + (SELECT c.retention "
	  "FROM privacy.categories c WHERE c.code = 'rights_request')) "
	  "AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS until "
	  "FROM privacy.restrictions WHERE account_id = $1", .nparams = 2 },
};

#define PVH(x)	(&pvh_stmts[(x)])

static int
hook_export(struct db *db, const char *account, struct buf *out,
    struct privacy_portable *portable, struct db_error *err)
{
	struct db_res	*res = NULL;
	char		 now[40];
	const char	*p[2] = { account, now };

	clock_format(clock_now(), now, sizeof(now));
	if (db_exec(db, PVH(portable != NULL ? PVH_EXPORT_PORTABLE :
	    PVH_EXPORT), p, &res, err) == -1)
		return (-1);
	privacy_section_add(res, out, portable);
	db_res_free(res);
	return (0);
}

/* Kept records of 'category', cut from the person, until 'until'. */
static void
retained_add(json_t *retained, const char *category, int64_t n,
    const char *ground, const char *until)
{
	if (n > 0)
		json_array_append_new(retained, json_pack("{s:s, s:s, s:I, "
		    "s:s, s:s, s:s?}", "module", "privacy", "category",
		    category, "records", (json_int_t)n, "legal_basis",
		    "legal_obligation", "ground", ground, "until", until));
}

static int
hook_erase(struct db *db, const char *account, const char *salt,
    json_t *erased, json_t *retained, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[3];
	char		 now[40], tomb[40];
	int64_t		 n;

	/* The person's tombstone, the one the erasure journal records. */
	if (privacy_erase_tombstone(db, account, tomb, err) == -1) {
		if (err->code != DB_OK)
			return (-1);
		p[0] = account;
		p[1] = salt;
		if (db_exec(db, PVH(PVH_SALT_TOMBSTONE), p, &res, err) == -1)
			return (-1);
		snprintf(tomb, sizeof(tomb), "%s", db_str(res, 0, "tombstone"));
		db_res_free(res);
		res = NULL;
	}
	clock_format(clock_now(), now, sizeof(now));
	p[0] = account;
	p[1] = tomb;
	p[2] = now;
	if (db_exec(db, PVH(PVH_ERASE_LEDGER), p, &res, err) == -1)
		return (-1);
	n = db_int64(res, 0, "records");
	if (n > 0 && strcmp(db_str(res, 0, "erasure"), "keep_restricted") == 0)
		retained_add(retained, "consent", n, "Art. 7(1) RGPD: proof of "
		    "the consents given and withdrawn, cut from the person "
		    "(Art. 17(3)(b), (e))", db_str(res, 0, "until"));
	else
		privacy_erased_add(erased, "privacy", "consent", (long)n,
		    "delete");
	db_res_free(res);

	p[0] = account;
	if (db_exec(db, PVH(PVH_ERASE_ACCESS_LOG), p, &res, err) == -1)
		return (-1);
	privacy_erased_add(erased, "privacy", "access_trace",
	    (long)db_int64(res, 0, "records"), "delete");
	db_res_free(res);

	p[0] = account;
	p[1] = now;
	if (db_exec(db, PVH(PVH_ERASE_REQUESTS), p, &res, err) == -1)
		return (-1);
	retained_add(retained, "rights_request", db_int64(res, 0, "records"),
	    "Art. 5(2) and 12 RGPD: proof that the requests were answered in "
	    "time, cut from the person", db_str(res, 0, "until"));
	privacy_erased_add(erased, "privacy", "free_text",
	    (long)db_int64(res, 0, "texts"), "delete");
	db_res_free(res);

	if (db_exec(db, PVH(PVH_RESTRICTIONS), p, &res, err) == -1)
		return (-1);
	retained_add(retained, "rights_request", db_int64(res, 0, "records"),
	    "Art. 5(2) and 18 RGPD: proof of the restrictions and of the "
	    "notice before their lift, tied to the anonymised account",
	    db_str(res, 0, "until"));
	db_res_free(res);
	return (0);
}

const struct module_stmts privacy_hook_stmt_table = { .stmts = pvh_stmts,
    .count = PVH__COUNT };

const struct privacy_hooks privacy_privacy_hooks = {
	.export = hook_export,
	.erase = hook_erase,
};
