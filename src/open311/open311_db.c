/*
 * open311_db.c: the open311 module's statements, on its own tables
 * (sql/026_open311.sql), identity's exported directory and departments,
 * and incidents' exported reports (incidents.public_reports).
 */
#include <stddef.h>

#include "core/module.h"
#include "db/db.h"
#include "incidents/incidents_open311.h"
#include "open311/open311_int.h"

/*
 * What a request of the list shows beyond the report: the partner's row
 * and the department's.
 */
#define O311_JOINS \
	"LEFT JOIN open311.requests o ON o.report_id = r.id LEFT JOIN " \
	"identity.departments d ON d.code = r.department"
/*
 * A request's versions: the report's (the view's), the partner's row's
 * and the department's.
 */
#define O311_VERSION \
	"r.version || '.' || coalesce(o.xmin::text, '') || '.' || " \
	"coalesce(d.xmin::text, '')"

struct db_stmt open311_stmts[OS__COUNT] = {
	[OS_REQUEST_INSERT] = { .name = "open311_insert_request",
	  .sql = "INSERT INTO open311.requests (report_id, client_id, email, "
	  "email_key, first_name, last_name, phone, device_id, account_id, "
	  "media_url, created_at, person_id, address_id) VALUES ($1, $2, $3, "
	  "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13)", .nparams = 13 },
	/*
	 * The request list: the ids and versions of the reports as the
	 * public sees them (incidents' exported view), with the versions of
	 * the partner's row and of the department's, whose names a request
	 * shows; the requests kept rendered (http/fragment.h) are not read
	 * again.  $1 ids (uuid[]), $2 categories, $3 states (text[]), $4 $5
	 * the period, $6 $7 $8 the circle (lat, lon, metres), $9 rows, $10
	 * offset.
	 */
	[OS_REQUESTS] = { .name = "open311_select_requests",
	  .sql = "SELECT r.id, " O311_VERSION " AS version FROM (SELECT r.id, "
	  "r.version, r.department, r.created_at FROM "
	  "incidents.public_reports r WHERE "
	  "($1::uuid[] IS NULL OR r.id = ANY ($1::uuid[])) AND "
	  "($2::text[] IS NULL OR r.category = ANY ($2::text[])) AND "
	  "($3::text[] IS NULL OR r.status = ANY ($3::text[])) AND "
	  "($4::timestamptz IS NULL OR r.created_at >= $4::timestamptz) AND "
	  "($5::timestamptz IS NULL OR r.created_at < $5::timestamptz) AND "
	  "($8::float8 IS NULL OR ST_DWithin(r.position, ST_SetSRID("
	  "ST_MakePoint($7::float8, $6::float8), 4326)::geography, "
	  "$8::float8)) ORDER BY r.created_at DESC, r.id LIMIT $9 OFFSET $10) "
	  "r " O311_JOINS " ORDER BY r.created_at DESC, r.id", .nparams = 10 },
	/*
	 * The requests of the list not kept rendered, in the order of $1
	 * (their ids, uuid[]): the reports, the partner's media_url and
	 * address_id, the department's name in $2 (fr, en, it).
	 */
	[OS_REQUESTS_ROWS] = { .name = "open311_select_requests_rows",
	  .sql = "SELECT " INCIDENTS_VIEW_COLS ", " INCIDENTS_VIEW_NAME("$2")
	  ", o.media_url, o.address_id, CASE $2::text WHEN 'en' THEN "
	  "d.name_en WHEN 'it' THEN d.name_it ELSE d.name_fr END AS agency, "
	  O311_VERSION " AS version FROM unnest($1::uuid[]) WITH ORDINALITY "
	  "AS u (id, n) JOIN incidents.public_reports r ON r.id = u.id "
	  O311_JOINS " ORDER BY u.n", .nparams = 2 },
	/*
	 * agency_responsible of the services: the departments' names
	 * (identity exports)
	 */
	[OS_DEPARTMENTS] = { .name = "open311_select_departments",
	  .sql = "SELECT code, name_fr, name_en, name_it FROM "
	  "identity.departments", .nparams = 0 },
	/*
	 * One partner's update_id at a time (until the transaction ends):
	 * a twin waits here, then finds the first one's row.
	 */
	[OS_UPDATE_LOCK] = { .name = "open311_lock_update",
	  .sql = "SELECT pg_advisory_xact_lock(hashtextextended($1 || ' ' || "
	  "$2, 311)) AS locked", .nparams = 2 },
	[OS_UPDATE_GET] = { .name = "open311_select_update",
	  .sql = "SELECT history_id, report_id, status FROM open311.updates "
	  "WHERE client_id = $1 AND update_id = $2", .nparams = 2 },
	[OS_UPDATE_INSERT] = { .name = "open311_insert_update",
	  .sql = "INSERT INTO open311.updates (client_id, update_id, "
	  "report_id, history_id, status, media_url, created_at) VALUES ($1, "
	  "$2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING history_id",
	  .nparams = 7 },
	/* the media of the moves $1 (text[] of incidents.history ids) */
	[OS_UPDATES_OF] = { .name = "open311_select_updates_media",
	  .sql = "SELECT history_id, media_url FROM open311.updates WHERE "
	  "history_id = ANY ($1::text[]) AND media_url IS NOT NULL",
	  .nparams = 1 },
	[OS_EXPORT] = { .name = "open311_select_privacy_export",
	  .sql = "SELECT json_build_object('requests', coalesce((SELECT "
	  "json_agg(json_build_object('service_request_id', r.report_id, "
	  "'partner', r.client_id, 'email', r.email, 'first_name', "
	  "r.first_name, 'last_name', r.last_name, 'phone', r.phone, "
	  "'device_id', r.device_id, 'account_id', r.account_id, "
	  "'media_url', r.media_url, 'created_at', "
	  DB_TIME_SQL("r.created_at") ") ORDER BY "
	  "r.created_at, r.report_id) FROM open311.requests r WHERE "
	  "r.person_id = $1 OR r.email_key = $2), '[]'))::text AS section",
	  .nparams = 2 },
	[OS_ERASE] = { .name = "open311_update_privacy_erase",
	  .sql = "WITH u AS (UPDATE open311.requests SET person_id = NULL, "
	  "email = NULL, email_key = NULL, first_name = NULL, last_name = NULL, phone = "
	  "NULL, device_id = NULL, account_id = NULL, anonymised_at = $2 "
	  "WHERE person_id = $1 OR email_key = $3 RETURNING 1 AS one) "
	  "SELECT count(*) AS records FROM u", .nparams = 3 },
	[OS_ACCOUNT_EMAIL] = { .name = "open311_select_account_email",
	  .sql = "SELECT email FROM identity.directory WHERE id = $1",
	  .nparams = 1 },
};

const struct module_stmts open311_stmt_table = { .stmts = open311_stmts,
    .count = OS__COUNT };
