/*
 * incidents_db.c: the incidents module's statements.  Times are
 * parameters (the injectable clock), never now().  Positions are PostGIS
 * geography points.  The duplicate search (ST_DWithin, metres on the
 * spheroid) and a map of a small box go through the GiST index
 * reports_position (sql/023_incidents.sql); a map of a large box reads
 * the newest reports from the covering B-tree indexes reports_map_status
 * and reports_map_updated alone (sql/035_incidents_versions.sql: they
 * hold the longitude and latitude, tested before the geography's &&),
 * because through the GiST index a box holding a third of the reports
 * finds them all before the 1000 newest are sorted out (136 ms against
 * 12 ms, sql/027_incidents_map.sql; README has the figures).  The map's
 * statement is planned with its box, so PostgreSQL picks one or the
 * other.  Other modules are read through what they export only:
 * identity.directory,
 * identity.agent_departments and privacy.is_restricted() (Art. 18: the
 * board and the details say when the reporter restricted processing).
 */
#include <stddef.h>

#include "core/module.h"
#include "db/db.h"
#include "incidents/incidents_int.h"

#define FROM_REPORTS \
	"FROM incidents.reports r JOIN incidents.categories c " \
	"ON c.code = r.category"
/*
 * The person a report is about: its reporter, or the account whose
 * address an anonymous filer gave and then confirmed (contact_person_id,
 * sql/039; an address typed but never confirmed proves nothing of who
 * filed).  Whose access log a staff read goes to, whose restriction holds
 * the report back.
 */
#define REPORT_PERSON \
	"coalesce(r.reporter_id, CASE WHEN r.contact_verified_at IS NOT " \
	"NULL THEN r.contact_person_id END)"
#define STAFF_COLS \
	INCIDENTS_PUBLIC_COLS ", r.reporter_id, r.contact_email, " \
	"r.contact_person_id, " \
	"r.contact_verified_at, r.contact_locale, r.assignee_id, " \
	"r.personal_data_flagged, r.anonymised_at, r.photo_token, " \
	REPORT_PERSON " AS person_id, " \
	"privacy.is_restricted(" REPORT_PERSON ") AS reporter_restricted"
#define CATEGORY_COLS \
	"code, department, name_fr, name_en, name_it, " \
	"attributes::text AS attributes, resolution_days, anonymous_allowed"
/*
 * What a map's Feature is made from: the report's row (its revision) and
 * its category's (xmin), as incidents.public_reports.version (sql/035).
 */
#define MAP_VERSION	"r.revision::text || '.' || c.xmin::text"
#define POINT(lon, lat) \
	"ST_SetSRID(ST_MakePoint(" lon "::float8, " lat "::float8), 4326)" \
	"::geography"

/*
 * The board of a department ($1): $2 the states (text[], NULL: all), $3
 * the category, $4 the assignee, $5 and $6 the cursor (key, id), $7 the
 * rows wanted.
 */
#define BOARD(key, dir, cmp) \
	"SELECT " INCIDENTS_PUBLIC_COLS ", r.assignee_id, " \
	"privacy.is_restricted(" REPORT_PERSON ") AS reporter_restricted, " \
	"(" key ")::text AS sort_key " \
	FROM_REPORTS " WHERE r.department = $1 AND " \
	"($2::text[] IS NULL OR r.status = ANY ($2::text[])) AND " \
	"($3::text IS NULL OR r.category = $3) AND " \
	"($4::uuid IS NULL OR r.assignee_id = $4) AND " \
	"($5::text IS NULL OR (" key ", r.id) " cmp " ($5::timestamptz, " \
	"$6::uuid)) ORDER BY " key " " dir ", r.id " dir " LIMIT $7"

struct db_stmt incidents_stmts[IQ__COUNT] = {
	[IQ_CATEGORY] = { .name = "incidents_select_category",
	  .sql = "SELECT " CATEGORY_COLS " FROM incidents.categories "
	  "WHERE code = $1", .nparams = 1 },
	[IQ_CATEGORIES] = { .name = "incidents_select_categories",
	  .sql = "SELECT " CATEGORY_COLS " FROM incidents.categories "
	  "ORDER BY position, code", .nparams = 0 },
	[IQ_IN_AREA] = { .name = "incidents_select_in_area",
	  .sql = "SELECT incidents.in_area($1::float8, $2::float8) AS inside",
	  .nparams = 2 },
	/*
	 * $4 $5 lon lat (NULL: no position), $11 now, $12 the days, $14 the
	 * SHA-256 of an anonymous filer's photo secret, $15 the account whose
	 * address the follow-up address is (sql/039)
	 */
	[IQ_INSERT] = { .name = "incidents_insert_report",
	  .sql = "INSERT INTO incidents.reports (category, department, "
	  "description, position, address, attributes, status, reporter_id, "
	  "contact_email, contact_token, contact_locale, created_at, "
	  "updated_at, expected_at, photo_token, contact_person_id) VALUES "
	  "($1, $2, $3, CASE WHEN "
	  "$4::float8 IS NULL THEN NULL ELSE " POINT("$4", "$5") " END, $6, "
	  "$7::jsonb, 'open', $8, $9, $10, $13, $11, $11, $11::timestamptz + "
	  "make_interval(days => $12::int), $14, $15) RETURNING id",
	  .nparams = 15 },
	[IQ_HISTORY_INSERT] = { .name = "incidents_insert_history",
	  .sql = "INSERT INTO incidents.history (report_id, at, actor_id, "
	  "from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6) "
	  "RETURNING id::text AS id", .nparams = 6 },
	/* open reports of category $1 within $5 metres of ($2, $3) */
	[IQ_DUPLICATES] = { .name = "incidents_select_duplicates",
	  .sql = "SELECT r.id, r.status, r.supporters, "
	  "round(ST_Distance(r.position, p.g)::numeric, 1)::text AS distance "
	  "FROM incidents.reports r, (SELECT " POINT("$2", "$3") " AS g) p "
	  "WHERE r.category = $1 AND r.status IN ('open', 'acknowledged', "
	  "'in_progress') AND ST_DWithin(r.position, p.g, $5::float8) AND "
	  "r.id <> $4::uuid ORDER BY ST_Distance(r.position, p.g), r.id "
	  "LIMIT $6", .nparams = 6 },
	[IQ_GET] = { .name = "incidents_select_report",
	  .sql = "SELECT " INCIDENTS_PUBLIC_COLS " " FROM_REPORTS " WHERE r.id = $1",
	  .nparams = 1 },
	[IQ_LOCK] = { .name = "incidents_lock_report",
	  .sql = "SELECT " STAFF_COLS " " FROM_REPORTS " WHERE r.id = $1 "
	  "FOR NO KEY UPDATE OF r", .nparams = 1 },
	/*
	 * the map: $1..$4 the box, $5 status, $6 category, $7 since, $8 rows;
	 * each report's id and version (its revision and its category's
	 * xmin, which every change of either changes), the key of its
	 * Feature among the fragments (http/fragment.h); read from
	 * reports_map_status or reports_map_updated alone (sql/035)
	 */
	[IQ_MAP] = { .name = "incidents_select_map",
	  .sql = "SELECT r.id, " MAP_VERSION " AS version " FROM_REPORTS
	  " WHERE r.lon BETWEEN $1::float8 AND $3::float8 AND r.lat BETWEEN "
	  "$2::float8 AND $4::float8 AND r.position && "
	  "ST_MakeEnvelope($1::float8, $2::float8, $3::float8, $4::float8, "
	  "4326)::geography AND ($5::text IS NULL OR r.status = $5) AND "
	  "($6::text IS NULL OR r.category = $6) AND ($7::timestamptz IS NULL "
	  "OR r.updated_at >= $7::timestamptz) ORDER BY r.updated_at DESC, "
	  "r.id LIMIT $8", .nparams = 8, .flags = DB_CUSTOM_PLAN },
	/*
	 * the map's reports not among the fragments: $1 their ids (uuid[]),
	 * $2 the language of the category's name
	 */
	[IQ_MAP_ROWS] = { .name = "incidents_select_map_rows",
	  .sql = "SELECT " INCIDENTS_LIST_COLS("$2") ", " MAP_VERSION " AS "
	  "version FROM unnest($1::uuid[]) WITH ORDINALITY AS u (id, n) "
	  "JOIN incidents.reports r ON r.id = u.id JOIN incidents.categories "
	  "c ON c.code = r.category ORDER BY u.n", .nparams = 2 },
	/* $2 to, $3 note, $4 reason, $5 original, $6 now */
	[IQ_MOVE] = { .name = "incidents_update_status",
	  .sql = "UPDATE incidents.reports SET status = $2, status_note = "
	  "coalesce($3, status_note), close_reason = $4, duplicate_of = $5, "
	  "finished_at = CASE WHEN $2 IN ('resolved', 'closed') THEN "
	  "$6::timestamptz END, updated_at = $6 WHERE id = $1", .nparams = 6 },
	/* "me too": the supporters' count, and whether this one is new */
	[IQ_SUPPORT] = { .name = "incidents_insert_supporter",
	  .sql = "WITH i AS (INSERT INTO incidents.supporters (report_id, "
	  "account_id, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING "
	  "RETURNING 1 AS one) UPDATE incidents.reports SET supporters = "
	  "supporters + (SELECT count(*) FROM i) WHERE id = $1 RETURNING "
	  "supporters, (SELECT count(*) FROM i) AS added", .nparams = 3 },
	/*
	 * A duplicate's ($1) supporters and reporter support its original
	 * ($2) from now on ($3); its own reporter is not its supporter.
	 */
	[IQ_SUPPORTERS_MOVE] = { .name = "incidents_insert_supporters_moved",
	  .sql = "WITH s AS (SELECT account_id FROM incidents.supporters "
	  "WHERE report_id = $1 UNION SELECT reporter_id FROM "
	  "incidents.reports WHERE id = $1 AND reporter_id IS NOT NULL), "
	  "i AS (INSERT INTO incidents.supporters (report_id, account_id, at) "
	  "SELECT $2, s.account_id, $3 FROM s WHERE s.account_id IS DISTINCT "
	  "FROM (SELECT o.reporter_id FROM incidents.reports o WHERE "
	  "o.id = $2) ON CONFLICT DO NOTHING RETURNING 1 AS one) "
	  "UPDATE incidents.reports SET supporters = supporters + (SELECT "
	  "count(*) FROM i), updated_at = $3 WHERE id = $2 RETURNING "
	  "supporters", .nparams = 3 },
	[IQ_SUPPORTERS_CLEAR] = { .name = "incidents_delete_supporters",
	  .sql = "WITH d AS (DELETE FROM incidents.supporters WHERE "
	  "report_id = $1 RETURNING 1 AS one) UPDATE incidents.reports SET "
	  "supporters = 0 WHERE id = $1 RETURNING (SELECT count(*) FROM d) "
	  "AS records", .nparams = 1 },
	/* who hears of a report: its reporter and its supporters */
	[IQ_FOLLOWERS] = { .name = "incidents_select_followers",
	  .sql = "SELECT r.reporter_id AS account FROM incidents.reports r "
	  "WHERE r.id = $1 AND r.reporter_id IS NOT NULL UNION "
	  "SELECT s.account_id AS account FROM incidents.supporters s "
	  "WHERE s.report_id = $1 ORDER BY account", .nparams = 1 },
	/* the holder of a follow-up address proves it: $1 the token's hash */
	[IQ_CONFIRM] = { .name = "incidents_update_contact_verified",
	  .sql = "UPDATE incidents.reports SET contact_verified_at = $2, "
	  "contact_token = NULL WHERE contact_token = $1 AND contact_email IS "
	  "NOT NULL RETURNING id", .nparams = 2 },
	[IQ_AGENT_OF] = { .name = "incidents_select_agent_of",
	  .sql = "SELECT a.id FROM identity.agent_departments g "
	  "JOIN identity.directory a ON a.id = g.account_id "
	  "WHERE g.account_id = $1 AND g.department = $2 AND "
	  "a.status = 'active' AND a.is_agent", .nparams = 2 },
	/* $2 '1': set the assignee to $3; $4 the flag (NULL: kept); $5 now */
	[IQ_PATCH] = { .name = "incidents_update_report",
	  .sql = "UPDATE incidents.reports SET assignee_id = CASE WHEN $2 = "
	  "'1' THEN $3::uuid ELSE assignee_id END, personal_data_flagged = "
	  "coalesce($4::boolean, personal_data_flagged), updated_at = $5 "
	  "WHERE id = $1", .nparams = 5 },
	[IQ_HISTORY] = { .name = "incidents_select_history",
	  .sql = "SELECT at, actor_id, from_status, to_status, note FROM "
	  "incidents.history WHERE report_id = $1 ORDER BY id", .nparams = 1 },
	[IQ_NOTE_INSERT] = { .name = "incidents_insert_note",
	  .sql = "INSERT INTO incidents.notes (report_id, at, author_id, body) "
	  "VALUES ($1, $2, $3, $4)", .nparams = 4 },
	[IQ_NOTES] = { .name = "incidents_select_notes",
	  .sql = "SELECT at, author_id, body FROM incidents.notes WHERE "
	  "report_id = $1 ORDER BY id", .nparams = 1 },
	[IQ_BOARD_CREATED] = { .name = "incidents_select_board_created",
	  .sql = BOARD("r.created_at", "ASC", ">"), .nparams = 7 },
	[IQ_BOARD_CREATED_DESC] = { .name =
	  "incidents_select_board_created_desc",
	  .sql = BOARD("r.created_at", "DESC", "<"), .nparams = 7 },
	[IQ_BOARD_UPDATED] = { .name = "incidents_select_board_updated",
	  .sql = BOARD("r.updated_at", "ASC", ">"), .nparams = 7 },
	[IQ_BOARD_UPDATED_DESC] = { .name =
	  "incidents_select_board_updated_desc",
	  .sql = BOARD("r.updated_at", "DESC", "<"), .nparams = 7 },
	[IQ_PHOTO_COUNT] = { .name = "incidents_select_photo_count",
	  .sql = "SELECT count(*) AS n FROM incidents.photos WHERE "
	  "report_id = $1", .nparams = 1 },
	[IQ_PHOTO_INSERT] = { .name = "incidents_insert_photo",
	  .sql = "INSERT INTO incidents.photos (report_id, original_file, "
	  "public_file, thumb_file, width, height, created_at) VALUES ($1, "
	  "$2, $3, $4, $5, $6, $7) RETURNING id", .nparams = 7 },
	[IQ_PHOTO] = { .name = "incidents_select_photo",
	  .sql = "SELECT p.id, p.original_file, p.public_file, p.thumb_file, "
	  "r.department, r.reporter_id, " REPORT_PERSON " AS person_id, "
	  "privacy.is_restricted(" REPORT_PERSON ") AS reporter_restricted "
	  "FROM incidents.photos p JOIN "
	  "incidents.reports r ON r.id = p.report_id WHERE p.id = $2 AND "
	  "p.report_id = $1", .nparams = 2 },
};

const struct module_stmts incidents_stmt_table = { .stmts = incidents_stmts,
    .count = IQ__COUNT };
