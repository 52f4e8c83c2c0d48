/*
 * rights_db.c: the SQL of the access log, rights requests, restriction
 * and objection, one statement per use, and the functions other modules
 * call (privacy_access_record(), privacy_is_restricted()).  Times come
 * from the injectable clock as parameters, never from now().
 */
#include <stdio.h>
#include <string.h>

#include "auth/policy.h"
#include "base/clock.h"
#include "core/access.h"
#include "core/module.h"
#include "privacy/privacy_int.h"
#include "privacy/rights.h"

/* $1 is the clock's now in every statement that selects these. */
#define REQ_COLUMNS \
	"r.id, r.account_id, r.kind, r.channel, r.purpose, r.grounds, " \
	"r.received_at, r.due_at, r.extended_until, " \
	"r.extension_notified_at, r.status, r.answer, r.refusal_reason, " \
	"r.decision, r.decision_grounds, r.decided_by, r.decided_at, " \
	"r.recorded_by, (r.status NOT IN ('answered', 'refused') AND " \
	"coalesce(r.extended_until, r.due_at) < $1::timestamptz) AS overdue, " \
	"coalesce(a.locale, 'fr') AS locale " \
	"FROM privacy.requests r " \
	"LEFT JOIN identity.directory a ON a.id = r.account_id "

struct db_stmt rights_stmts[R__COUNT] = {
	/*
	 * privacy_access_record(): an agent's department is one of theirs
	 * (the first by code; the trigger checks it anyway).
	 */
	[R_ACCESS_INSERT] = { .name = "rights_insert_access",
	  .sql = "INSERT INTO privacy.access_log (at, account_id, reader_kind, "
	  "reader_account, department, client_id, dataset, record, purpose, "
	  "disclose_after) VALUES ($1, $2, $3, $4::uuid, CASE WHEN $3 = "
	  "'agent' THEN (SELECT min(d.department) FROM "
	  "identity.agent_departments d WHERE d.account_id = $4::uuid) END, "
	  "$5, $6, $7, $8, $9)", .nparams = 9 },
	/* GET /me/access-log: newest first, keyset (at, id) */
	[R_ACCESS_LIST] = { .name = "rights_select_access_log",
	  .sql = "SELECT l.id, l.at, l.reader_kind, l.reader_account, "
	  "l.department, " PRIV_LOC("$3", "d.name") " AS department_name, "
	  "l.client_id, c.name AS client_name, l.dataset, l.record, "
	  "l.purpose FROM privacy.access_log l "
	  "LEFT JOIN identity.departments d ON d.code = l.department "
	  "LEFT JOIN identity.client_names c ON c.id = l.client_id "
	  "WHERE l.account_id = $1 AND (l.disclose_after IS NULL OR "
	  "l.disclose_after <= $2::timestamptz) AND ($4::timestamptz IS NULL "
	  "OR (l.at, l.id) < ($4::timestamptz, $5::bigint)) "
	  "ORDER BY l.at DESC, l.id DESC LIMIT $6", .nparams = 6 },
	/* GET /admin/privacy/subjects/{id}: the account summary */
	[R_SUBJECT_GET] = { .name = "rights_select_subject",
	  .sql = "SELECT a.id, a.display_name, a.email, a.phone, a.locale, "
	  "a.profile_kind, a.status, a.created_at, "
	  "r.id IS NOT NULL AS restricted, r.since AS restricted_since "
	  "FROM identity.directory a "
	  "LEFT JOIN privacy.restrictions r ON r.account_id = a.id AND "
	  "r.lifted_at IS NULL WHERE a.id = $1 AND a.status <> 'erased'",
	  .nparams = 1 },
	/* One change of a person's rights at a time. */
	[R_ACCOUNT_LOCK] = { .name = "rights_lock_account",
	  .sql = "SELECT id FROM identity.directory WHERE id = $1 AND "
	  "status <> 'erased'", .nparams = 1 },
	/*
	 * POST /admin/privacy/requests: the oldest receipt that can still
	 * be recorded at $1: a request older than the retention of rights
	 * requests would be due for deletion as it is written, and none is
	 * older than the RGPD (the CHECK of sql/017).
	 */
	[R_REQ_OLDEST] = { .name = "rights_select_request_oldest",
	  .sql = "SELECT greatest($1::timestamptz - (SELECT c.retention "
	  "FROM privacy.categories c WHERE c.code = 'rights_request'), "
	  "'2018-05-25T00:00:00Z'::timestamptz) AS oldest", .nparams = 1 },
	[R_REQ_INSERT] = { .name = "rights_insert_request",
	  .sql = "INSERT INTO privacy.requests (account_id, kind, channel, "
	  "purpose, grounds, received_at, due_at, recorded_by, status, "
	  "answer, decision, decision_grounds, decided_by, decided_at) "
	  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
	  "$14) RETURNING id", .nparams = 14 },
	[R_REQ_GET] = { .name = "rights_select_request",
	  .sql = "SELECT " REQ_COLUMNS "WHERE r.id = $2", .nparams = 2 },
	[R_REQ_LOCK] = { .name = "rights_lock_request",
	  .sql = "SELECT " REQ_COLUMNS "WHERE r.id = $2 "
	  "FOR NO KEY UPDATE OF r", .nparams = 2 },
	/*
	 * GET /admin/privacy/requests: $2 overdue (NULL: either), $3
	 * status, $4 account, keyset (received_at, id) from $5, $6.
	 */
	[R_REQ_LIST] = { .name = "rights_select_requests",
	  .sql = "SELECT " REQ_COLUMNS "WHERE ($2::boolean IS NULL OR "
	  "(r.status NOT IN ('answered', 'refused') AND "
	  "coalesce(r.extended_until, r.due_at) < $1::timestamptz) = "
	  "$2::boolean) AND ($3::text IS NULL OR r.status = $3::text) AND "
	  "($4::uuid IS NULL OR r.account_id = $4::uuid) AND "
	  "($5::timestamptz IS NULL OR (r.received_at, r.id) > "
	  "($5::timestamptz, $6::uuid)) ORDER BY r.received_at, r.id "
	  "LIMIT $7", .nparams = 7 },
	[R_REQ_START] = { .name = "rights_update_request_start",
	  .sql = "UPDATE privacy.requests SET status = 'in_progress' "
	  "WHERE id = $1", .nparams = 1 },
	[R_REQ_EXTEND] = { .name = "rights_update_request_extend",
	  .sql = "UPDATE privacy.requests SET extended_until = $2, "
	  "extension_notified_at = $3, status = 'extended' WHERE id = $1",
	  .nparams = 3 },
	/* answer, refuse, decide an objection */
	[R_REQ_CLOSE] = { .name = "rights_update_request_close",
	  .sql = "UPDATE privacy.requests SET status = $2, answer = $3, "
	  "refusal_reason = $4, decision = $5, decision_grounds = $6, "
	  "decided_by = $7, decided_at = $8 WHERE id = $1", .nparams = 8 },
	[R_REQ_OPEN_OBJECTION] = { .name = "rights_select_open_objection",
	  .sql = "SELECT id FROM privacy.requests WHERE account_id = $1 AND "
	  "kind = 'objection' AND purpose = $2 AND status NOT IN "
	  "('answered', 'refused')", .nparams = 2 },
	[R_PURPOSE_BASIS] = { .name = "rights_select_purpose_basis",
	  .sql = "SELECT legal_basis FROM privacy.purposes WHERE code = $1",
	  .nparams = 1 },
	[R_RESTRICT_OPEN] = { .name = "rights_select_restriction",
	  .sql = "SELECT id, since, channel FROM privacy.restrictions "
	  "WHERE account_id = $1 AND lifted_at IS NULL", .nparams = 1 },
	[R_RESTRICT_HISTORY] = { .name = "rights_select_restriction_history",
	  .sql = "SELECT since, channel, notified_at, lifted_at "
	  "FROM privacy.restrictions WHERE account_id = $1 "
	  "ORDER BY id DESC LIMIT 50", .nparams = 1 },
	[R_RESTRICT_INSERT] = { .name = "rights_insert_restriction",
	  .sql = "INSERT INTO privacy.restrictions (account_id, since, "
	  "channel) VALUES ($1, $2, $3)", .nparams = 3 },
	/* The notice ($3) was queued first: the trigger checks it. */
	[R_RESTRICT_LIFT] = { .name = "rights_update_restriction_lift",
	  .sql = "UPDATE privacy.restrictions SET notified_at = $2, "
	  "notice_outbox = $3, lifted_at = $4, lifted_by = $5 WHERE id = $1 "
	  "AND lifted_at IS NULL", .nparams = 5 },
	[R_IS_RESTRICTED] = { .name = "rights_select_is_restricted",
	  .sql = "SELECT privacy.is_restricted($1) AS restricted",
	  .nparams = 1 },
};

const struct module_stmts rights_stmt_table = { .stmts = rights_stmts,
    .count = R__COUNT };

void
privacy_access_recorder_install(void)
{
	access_set_recorder(privacy_access_record);
}

int
privacy_access_record(struct db *db, const char *subject,
    const struct principal *who, const char *dataset, const char *record,
    const char *purpose, int64_t disclose_after, struct db_error *err)
{
	const char	*p[9];
	char		 now[40], later[40];
	int		 client = who->kind == PRINCIPAL_CLIENT;

	if (!client && (purpose == NULL || purpose[0] == '\0')) {
		/* An agent read without a purpose is refused. */
		memset(err, 0, sizeof(*err));
		err->code = DB_E_CHECK;
		snprintf(err->constraint, sizeof(err->constraint),
		    "access_log_purpose");
		return (-1);
	}
	clock_format(clock_now(), now, sizeof(now));
	p[0] = now;
	p[1] = subject;
	p[2] = client ? "client" : (who->roles & ROLE_DPO) ? "dpo" : "agent";
	p[3] = client ? NULL : who->id;
	p[4] = client ? who->id : NULL;
	p[5] = dataset;
	p[6] = record;
	p[7] = purpose != NULL && purpose[0] != '\0' ? purpose : NULL;
	p[8] = NULL;
	if (disclose_after != 0) {
		clock_format(disclose_after, later, sizeof(later));
		p[8] = later;
	}
	return (db_exec(db, R_STMT(R_ACCESS_INSERT), p, NULL, err));
}

int
privacy_is_restricted(struct db *db, const char *account,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { account };
	int		 r;

	if (db_exec(db, R_STMT(R_IS_RESTRICTED), p, &res, err) == -1)
		return (-1);
	r = db_bool(res, 0, "restricted");
	db_res_free(res);
	return (r);
}

const char *
privacy_remedies_text(enum lang l)
{
	static const char *const remedies[LANG__COUNT] = {
		[LANG_FR] = "Vous pouvez introduire une réclamation auprès de "
		    "la Commission nationale de l'informatique et des "
		    "libertés (CNIL, 3 place de Fontenoy, TSA 80715, 75334 "
		    "Paris Cedex 07, https://www.cnil.fr/fr/plaintes) et "
		    "former un recours juridictionnel devant le tribunal "
		    "administratif compétent (art. 12.4, 77 et 79 du RGPD).",
		[LANG_EN] = "You may lodge a complaint with the Commission "
		    "nationale de l'informatique et des libertés (CNIL, 3 "
		    "place de Fontenoy, TSA 80715, 75334 Paris Cedex 07, "
		    "https://www.cnil.fr/en/plaintes) and seek a judicial "
		    "remedy before the competent administrative court "
		    "(Art. 12(4), 77 and 79 GDPR).",
		[LANG_IT] = "Può proporre reclamo alla Commission nationale de "
		    "l'informatique et des libertés (CNIL, 3 place de "
		    "Fontenoy, TSA 80715, 75334 Paris Cedex 07, "
		    "https://www.cnil.fr/fr/plaintes) e proporre ricorso "
		    "giurisdizionale dinanzi al tribunale amministrativo "
		    "competente (art. 12, par. 4, 77 e 79 RGPD).",
	};

	return (remedies[(unsigned)l < LANG__COUNT ? l : LANG_FR]);
}
