/*
 * cases_db.c: the cases module's statements.  Times are parameters (the
 * injectable clock), never now(); the days of a deadline are the town's
 * (cases.due(), cases.appeal_end(): sql/021_cases.sql).  Other modules
 * are read through what they export only: identity.directory,
 * identity.departments, identity.agent_departments, ops.town and
 * privacy.is_restricted().
 */
#include <stddef.h>

#include "cases/cases_int.h"
#include "core/module.h"
#include "db/db.h"

/* A case as the API shows it (answers apart). */
#define CASE_COLS \
	"c.id, c.reference, c.owner_id, c.procedure, c.procedure_version, " \
	"c.department, c.profile_kind, c.status, c.created_at, " \
	"c.updated_at, c.expires_at, c.received_at, c.deadline_days, " \
	"c.implicit, c.paused_days, c.paused_since, c.due_at, " \
	"to_char(c.due_at AT TIME ZONE cases.town_zone(), 'YYYY-MM-DD') " \
	"AS due_date, c.assignee_id, c.decided_at, c.decision, " \
	"c.decided_implicitly, c.closes_at, c.closed_at, c.redacted_at, " \
	"c.grants::text AS grants"

#define CASE_ONE \
	CASE_COLS ", c.answers::text AS answers, d.name_fr AS department_fr, " \
	"d.name_en AS department_en, d.name_it AS department_it " \
	"FROM cases.cases c LEFT JOIN identity.departments d " \
	"ON d.code = c.department"

/*
 * The filters of GET /api/v1/cases: $2 now, $3 the states (text[]), $4
 * procedure, $5 assignee, $6 unassigned, $7 overdue, $8 and $9 received
 * from and until (dates, town time, or instants: cases.since() and
 * cases.until()); $11 and $12 the cursor (the
 * sort key as text, the id); $13 the rows wanted.
 */
#define FILTERS \
	"($4::text IS NULL OR c.procedure = $4) AND " \
	"($5::uuid IS NULL OR c.assignee_id = $5) AND " \
	"($6::boolean IS NULL OR (c.assignee_id IS NULL) = $6) AND " \
	"($7::boolean IS NULL OR (c.status IN ('submitted', 'in_review') AND " \
	"c.due_at <= $2::timestamptz) = $7) AND " \
	"($8::text IS NULL OR c.received_at >= cases.since($8)) AND " \
	"($9::text IS NULL OR c.received_at < cases.until($9)) "
#define KEYSET(key, cmp) \
	"($11::text IS NULL OR (" key ", c.id) " cmp " ($11::timestamptz, " \
	"$12::uuid)) "
#define TSQ	"websearch_to_tsquery('cases.french_unaccent', $10::text)"

/* The sort keys: one index each (sql/021_cases.sql). */
#define K_RECEIVED	"coalesce(c.received_at, c.created_at)"
#define K_DUE		"coalesce(c.due_at, 'infinity'::timestamptz)"
#define K_UPDATED	"c.updated_at"

/* The owner's own cases ($1), drafts included; q= over them. */
#define OWN(key, dir, cmp) \
	"SELECT " CASE_COLS ", (" key ")::text AS sort_key " \
	"FROM cases.cases c WHERE c.owner_id = $1::uuid AND " \
	"c.status = ANY ($3::text[]) AND " FILTERS "AND " \
	"($10::text IS NULL OR c.search @@ " TSQ ") AND " KEYSET(key, cmp) \
	"ORDER BY " key " " dir ", c.id " dir " LIMIT $13"

/*
 * The departments' queue ($1, text[]): each (department, state) along
 * its index from the cursor, the heads merged; never a draft, never a
 * person under restriction (Art. 18 RGPD: out of agent search).
 */
#define QUEUE(key, dir, cmp) \
	"SELECT q.* FROM unnest($1::text[]) AS d(code) " \
	"CROSS JOIN unnest($3::text[]) AS s(st) CROSS JOIN LATERAL (" \
	"SELECT " CASE_COLS ", (" key ") AS k, (" key ")::text AS sort_key " \
	"FROM cases.cases c WHERE c.department = d.code AND " \
	"c.status = s.st AND c.status <> 'draft' AND " \
	"NOT privacy.is_restricted(c.owner_id) AND " FILTERS "AND " \
	"$10::text IS NULL AND " KEYSET(key, cmp) "ORDER BY " key " " dir \
	", c.id " dir " LIMIT $13) q ORDER BY q.k " dir ", q.id " dir \
	" LIMIT $13"

/* The queue searched: the words first (GIN), then the order. */
#define SEARCH(key, dir, cmp) \
	"SELECT " CASE_COLS ", (" key ")::text AS sort_key " \
	"FROM cases.cases c WHERE c.department = ANY ($1::text[]) AND " \
	"c.status = ANY ($3::text[]) AND c.status <> 'draft' AND " \
	"NOT privacy.is_restricted(c.owner_id) AND " FILTERS "AND " \
	"c.search @@ " TSQ " AND " KEYSET(key, cmp) "ORDER BY " key " " dir \
	", c.id " dir " LIMIT $13"

#define LIST(idx, nm, text) \
	[idx] = { .name = nm, .sql = text, .nparams = 13 }

struct db_stmt cases_stmts[CQ__COUNT] = {
	/* the person filing: language and profile, in the transaction */
	[CQ_PERSON] = { .name = "cases_select_person",
	  .sql = "SELECT locale, profile_kind, status FROM identity.directory "
	  "WHERE id = $1", .nparams = 1 },
	/* $7 now, $8 the draft's life in days */
	[CQ_INSERT] = { .name = "cases_insert_case",
	  .sql = "INSERT INTO cases.cases (owner_id, procedure, "
	  "procedure_version, department, profile_kind, status, answers, "
	  "created_at, updated_at, expires_at) VALUES ($1, $2, $3, $4, $5, "
	  "'draft', $6::jsonb, $7, $7, $7::timestamptz + "
	  "make_interval(days => $8::int)) RETURNING id", .nparams = 8 },
	/* one case, with its department's names */
	[CQ_GET] = { .name = "cases_select_case",
	  .sql = "SELECT " CASE_ONE " WHERE c.id = $1", .nparams = 1 },
	[CQ_LOCK] = { .name = "cases_lock_case",
	  .sql = "SELECT " CASE_ONE " WHERE c.id = $1 FOR NO KEY UPDATE OF c",
	  .nparams = 1 },
	[CQ_HISTORY] = { .name = "cases_select_history",
	  .sql = "SELECT at, actor, actor_id, from_status, to_status, note "
	  "FROM cases.history WHERE case_id = $1 ORDER BY id", .nparams = 1 },
	[CQ_ACK] = { .name = "cases_select_acknowledgement",
	  .sql = "SELECT issued_at, locale, mentions::text AS mentions "
	  "FROM cases.acknowledgements WHERE case_id = $1", .nparams = 1 },
	/* a draft's new answers: its life starts again */
	[CQ_PATCH] = { .name = "cases_update_draft",
	  .sql = "UPDATE cases.cases SET answers = $2::jsonb, updated_at = $3, "
	  "expires_at = $3::timestamptz + make_interval(days => $4::int), "
	  "draft_warned_at = NULL, procedure_version = $5, department = $6 "
	  "WHERE id = $1 AND status = 'draft'", .nparams = 6 },
	/*
	 * Submission at $7 under version $3 of the procedure: the receipt,
	 * the deadline from it, what silence means; the dates the
	 * acknowledgement says, town time ($12: days to send what lacks).
	 */
	[CQ_SUBMIT] = { .name = "cases_update_submit",
	  .sql = "UPDATE cases.cases SET status = 'submitted', reference = $2, "
	  "procedure_version = $3, department = $4, profile_kind = $5, "
	  "received_at = $7, deadline_days = $8, implicit = $9, "
	  "retention_years = $10, legal_basis = $11, grants = $6::jsonb, "
	  "due_at = cases.due($7, $8), expires_at = NULL, "
	  "draft_warned_at = NULL, updated_at = $7 "
	  "WHERE id = $1 AND status = 'draft' RETURNING "
	  "to_char($7::timestamptz AT TIME ZONE cases.town_zone(), "
	  "'YYYY-MM-DD') AS received_date, "
	  "to_char($7::timestamptz AT TIME ZONE cases.town_zone(), "
	  "'HH24:MI') AS received_time, "
	  "to_char(due_at AT TIME ZONE cases.town_zone(), 'YYYY-MM-DD') "
	  "AS due_date, to_char(cases.local_date($7) + $12::int, "
	  "'YYYY-MM-DD') AS missing_by", .nparams = 12 },
	/*
	 * The next reference of the town's prefix for the year of $1 (town
	 * time): the counter's row lock orders concurrent submissions until
	 * they commit, and a rollback gives the number back.
	 */
	[CQ_NEXT_REFERENCE] = { .name = "cases_next_reference",
	  .sql = "INSERT INTO cases.reference_counters AS r (prefix, year, "
	  "last_value) VALUES (coalesce((SELECT t.reference_prefix "
	  "FROM ops.town t), 'GU'), extract(year FROM "
	  "cases.local_date($1::timestamptz))::int, 1) "
	  "ON CONFLICT (prefix, year) DO UPDATE SET last_value = "
	  "r.last_value + 1 RETURNING r.prefix || '-' || r.year || '-' || "
	  "CASE WHEN r.last_value < 1000000 THEN lpad(r.last_value::text, 6, "
	  "'0') ELSE r.last_value::text END AS reference", .nparams = 1 },
	/*
	 * A move from $4 to $2 at $3: the pause of a request for
	 * information starts, or ends and adds its calendar days to the
	 * deadline; a decision ($5 its date: now, or the deadline when
	 * silence decides, $6) sets the end of the appeal period.
	 */
	[CQ_MOVE] = { .name = "cases_update_move",
	  .sql = "UPDATE cases.cases SET status = $2, "
	  "paused_days = CASE WHEN status = 'awaiting_information' THEN "
	  "paused_days + cases.days_between(paused_since, $3) "
	  "ELSE paused_days END, "
	  "paused_since = CASE WHEN $2 = 'awaiting_information' "
	  "THEN $3::timestamptz END, "
	  "due_at = CASE WHEN $2 = 'awaiting_information' THEN NULL "
	  "WHEN status = 'awaiting_information' THEN cases.due(received_at, "
	  "deadline_days + paused_days + cases.days_between(paused_since, "
	  "$3)) ELSE due_at END, "
	  "decision = CASE WHEN $2 IN ('accepted', 'rejected') THEN $2 "
	  "ELSE decision END, "
	  "decided_at = CASE WHEN $2 IN ('accepted', 'rejected') THEN "
	  "$5::timestamptz ELSE decided_at END, "
	  "decided_implicitly = decided_implicitly OR ($2 IN ('accepted', "
	  "'rejected') AND $6::boolean), "
	  "closes_at = CASE WHEN $2 IN ('accepted', 'rejected') THEN "
	  "cases.appeal_end($5::timestamptz) ELSE closes_at END, "
	  "closed_at = CASE WHEN $2 IN ('closed', 'withdrawn') THEN "
	  "$3::timestamptz ELSE closed_at END, updated_at = $3 "
	  "WHERE id = $1 AND status = $4", .nparams = 6 },
	[CQ_HISTORY_INSERT] = { .name = "cases_insert_history",
	  .sql = "INSERT INTO cases.history (case_id, at, actor, actor_id, "
	  "from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	  .nparams = 7 },
	[CQ_ACK_INSERT] = { .name = "cases_insert_acknowledgement",
	  .sql = "INSERT INTO cases.acknowledgements (case_id, issued_at, "
	  "locale, mentions, outbox_id) VALUES ($1, $2, $3, $4::jsonb, "
	  "$5::uuid)", .nparams = 5 },
	/* the department and how to reach it */
	[CQ_CONTACT] = { .name = "cases_select_contact",
	  .sql = "SELECT d.code, d.name_fr, d.name_en, d.name_it, k.address, "
	  "k.phone, k.email, k.hours_fr, k.hours_en, k.hours_it "
	  "FROM identity.departments d LEFT JOIN cases.department_contacts k "
	  "ON k.department = d.code WHERE d.code = $1", .nparams = 1 },
	[CQ_ASSIGN] = { .name = "cases_update_assignee",
	  .sql = "UPDATE cases.cases SET assignee_id = $2::uuid, "
	  "updated_at = $3 WHERE id = $1", .nparams = 3 },
	/* an active agent of the department (the assignee) */
	[CQ_AGENT_OF] = { .name = "cases_select_agent_of",
	  .sql = "SELECT a.locale FROM identity.agent_departments g "
	  "JOIN identity.directory a ON a.id = g.account_id "
	  "WHERE g.account_id = $1 AND g.department = $2 AND "
	  "a.status = 'active' AND a.is_agent", .nparams = 2 },
	[CQ_ENTITLE] = { .name = "cases_insert_entitlement",
	  .sql = "INSERT INTO cases.entitlements (account_id, kind, season, "
	  "case_id, granted_at) VALUES ($1, $2, $3, $4, $5) "
	  "ON CONFLICT (account_id, kind, season) DO NOTHING", .nparams = 5 },
	[CQ_ENTITLEMENTS] = { .name = "cases_select_entitlements",
	  .sql = "SELECT e.kind, e.season, e.granted_at, e.case_id, "
	  "c.reference FROM cases.entitlements e JOIN cases.cases c "
	  "ON c.id = e.case_id WHERE e.account_id = $1 "
	  "ORDER BY e.granted_at, e.id", .nparams = 1 },
	[CQ_ENTITLED] = { .name = "cases_select_entitled",
	  .sql = "SELECT EXISTS (SELECT 1 FROM cases.entitlements "
	  "WHERE account_id = $1 AND kind = $2 AND season = $3) AS entitled",
	  .nparams = 3 },
	[CQ_MSG_INSERT] = { .name = "cases_insert_message",
	  .sql = "INSERT INTO cases.messages (case_id, at, author, author_id, "
	  "body) VALUES ($1, $2, $3, $4, $5) RETURNING id, at, author, "
	  "author_id, body", .nparams = 5 },
	/* keyset (at, id) from $2, $3 */
	[CQ_MSG_LIST] = { .name = "cases_select_messages",
	  .sql = "SELECT id, at, at::text AS at_key, author, author_id, body "
	  "FROM cases.messages "
	  "WHERE case_id = $1 AND ($2::timestamptz IS NULL OR (at, id) > "
	  "($2::timestamptz, $3::bigint)) ORDER BY at, id LIMIT $4",
	  .nparams = 4 },
	[CQ_NOTE_INSERT] = { .name = "cases_insert_note",
	  .sql = "INSERT INTO cases.notes (case_id, at, author_id, body) "
	  "VALUES ($1, $2, $3, $4) RETURNING id, at, 'department' AS author, "
	  "author_id, body", .nparams = 4 },
	[CQ_NOTE_LIST] = { .name = "cases_select_notes",
	  .sql = "SELECT id, at, at::text AS at_key, 'department' AS author, "
	  "author_id, body FROM cases.notes WHERE case_id = $1 AND "
	  "($2::timestamptz IS NULL "
	  "OR (at, id) > ($2::timestamptz, $3::bigint)) ORDER BY at, id "
	  "LIMIT $4", .nparams = 4 },
	/*
	 * The job: open cases whose deadline passed ($1 now) in silence
	 * that decides, decided cases whose appeal period ended; a batch
	 * each, locked, skipping what another guichetd holds.
	 */
	[CQ_SILENCE_DUE] = { .name = "cases_lock_silence_due",
	  .sql = "SELECT " CASE_COLS " FROM cases.cases c "
	  "WHERE c.status IN ('submitted', 'in_review') AND "
	  "c.implicit <> 'none' AND c.due_at <= $1::timestamptz "
	  "ORDER BY c.due_at, c.id LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED",
	  .nparams = 2 },
	[CQ_CLOSE_DUE] = { .name = "cases_lock_close_due",
	  .sql = "SELECT " CASE_COLS " FROM cases.cases c "
	  "WHERE c.status IN ('accepted', 'rejected') AND "
	  "c.closes_at <= $1::timestamptz ORDER BY c.closes_at, c.id "
	  "LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED", .nparams = 2 },
	/*
	 * Drafts that go within $2 days of $1, not warned yet: warned now,
	 * and kept at least $2 days from now whatever their date said.
	 */
	[CQ_DRAFTS_WARN] = { .name = "cases_update_drafts_warn",
	  .sql = "UPDATE cases.cases c SET draft_warned_at = $1, "
	  "expires_at = greatest(c.expires_at, $1::timestamptz + "
	  "make_interval(days => $2::int)) WHERE c.id IN (SELECT w.id "
	  "FROM cases.cases w WHERE w.status = 'draft' AND "
	  "w.draft_warned_at IS NULL AND w.expires_at <= $1::timestamptz + "
	  "make_interval(days => $2::int) ORDER BY w.expires_at LIMIT $3 "
	  "FOR NO KEY UPDATE SKIP LOCKED) AND c.status = 'draft' RETURNING "
	  CASE_COLS ", to_char(c.expires_at AT TIME ZONE cases.town_zone(), "
	  "'YYYY-MM-DD') AS expires_date", .nparams = 3 },
	LIST(CQ_OWN_RECEIVED, "cases_select_own_received",
	    OWN(K_RECEIVED, "ASC", ">")),
	LIST(CQ_OWN_RECEIVED_DESC, "cases_select_own_received_desc",
	    OWN(K_RECEIVED, "DESC", "<")),
	LIST(CQ_OWN_DUE, "cases_select_own_due", OWN(K_DUE, "ASC", ">")),
	LIST(CQ_OWN_DUE_DESC, "cases_select_own_due_desc",
	    OWN(K_DUE, "DESC", "<")),
	LIST(CQ_OWN_UPDATED, "cases_select_own_updated",
	    OWN(K_UPDATED, "ASC", ">")),
	LIST(CQ_OWN_UPDATED_DESC, "cases_select_own_updated_desc",
	    OWN(K_UPDATED, "DESC", "<")),
	LIST(CQ_QUEUE_RECEIVED, "cases_select_queue_received",
	    QUEUE(K_RECEIVED, "ASC", ">")),
	LIST(CQ_QUEUE_RECEIVED_DESC, "cases_select_queue_received_desc",
	    QUEUE(K_RECEIVED, "DESC", "<")),
	LIST(CQ_QUEUE_DUE, "cases_select_queue_due",
	    QUEUE(K_DUE, "ASC", ">")),
	LIST(CQ_QUEUE_DUE_DESC, "cases_select_queue_due_desc",
	    QUEUE(K_DUE, "DESC", "<")),
	LIST(CQ_QUEUE_UPDATED, "cases_select_queue_updated",
	    QUEUE(K_UPDATED, "ASC", ">")),
	LIST(CQ_QUEUE_UPDATED_DESC, "cases_select_queue_updated_desc",
	    QUEUE(K_UPDATED, "DESC", "<")),
	LIST(CQ_SEARCH_RECEIVED, "cases_select_search_received",
	    SEARCH(K_RECEIVED, "ASC", ">")),
	LIST(CQ_SEARCH_RECEIVED_DESC, "cases_select_search_received_desc",
	    SEARCH(K_RECEIVED, "DESC", "<")),
	LIST(CQ_SEARCH_DUE, "cases_select_search_due",
	    SEARCH(K_DUE, "ASC", ">")),
	LIST(CQ_SEARCH_DUE_DESC, "cases_select_search_due_desc",
	    SEARCH(K_DUE, "DESC", "<")),
	LIST(CQ_SEARCH_UPDATED, "cases_select_search_updated",
	    SEARCH(K_UPDATED, "ASC", ">")),
	LIST(CQ_SEARCH_UPDATED_DESC, "cases_select_search_updated_desc",
	    SEARCH(K_UPDATED, "DESC", "<")),
};

const struct module_stmts cases_stmt_table = { .stmts = cases_stmts,
    .count = CQ__COUNT };
