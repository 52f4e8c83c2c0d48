/*
 * open311_db.c: the open311 module's statements, on its own tables
 * (sql/026_open311.sql) and identity's exported directory.
 */
#include <stddef.h>

#include "core/module.h"
#include "db/db.h"
#include "open311/open311_int.h"

struct db_stmt open311_stmts[OS__COUNT] = {
	[OS_REQUEST_INSERT] = { .name = "open311_insert_request",
	  .sql = "INSERT INTO open311.requests (report_id, client_id, email, "
	  "email_key, first_name, last_name, phone, device_id, account_id, "
	  "media_url, created_at, person_id, address_id) VALUES ($1, $2, $3, "
	  "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13)", .nparams = 13 },
	/* the public part of the requests $1 (uuid[]): media_url, address_id */
	[OS_REQUESTS_OF] = { .name = "open311_select_requests_media",
	  .sql = "SELECT report_id, media_url, address_id FROM "
	  "open311.requests WHERE report_id = ANY ($1::uuid[]) AND "
	  "(media_url IS NOT NULL OR address_id IS NOT NULL)", .nparams = 1 },
	/* agency_responsible: the departments' names (identity exports) */
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
	  "'media_url', r.media_url, 'created_at', to_char(r.created_at AT "
	  "TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) ORDER BY "
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
