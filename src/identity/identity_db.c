/*
 * identity_db.c: the identity layer's SQL, one statement per use.
 * Times come from the injectable clock as parameters ($n::timestamptz),
 * never from now(), so that expiry and retention are testable.
 */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/digest.h"
#include "core/module.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "json/check.h"
#include "ops/outbox.h"

/*
 * The account as the API shows it.  Timestamps come raw (the session's
 * TimeZone is UTC) and are formatted in C: to_char() cost a third of the
 * throughput of GET /api/v1/me.  ACCOUNT_AGENT adds the roles and
 * departments; residents (no roles in their token) skip that join.
 */
#define ACCOUNT_BASE \
	"a.id, a.email, a.email_verified_at IS NOT NULL AS email_verified, " \
	"a.display_name, a.locale, a.profile_kind, a.employer, " \
	"a.contract_start, a.contract_end, a.stay_start, a.stay_end, " \
	"a.phone, a.street, a.postcode, a.city, a.insee_code, a.created_at, " \
	"a.updated_at, a.email_pending, "
#define ACCOUNT_COLUMNS ACCOUNT_BASE \
	"(SELECT array_to_json(g.roles) FROM identity.agents g " \
	" WHERE g.account_id = a.id) AS roles, " \
	"(SELECT json_agg(d.department ORDER BY d.department) " \
	" FROM identity.agent_departments d WHERE d.account_id = a.id) " \
	"AS departments, a.token_version"
#define ACCOUNT_PLAIN ACCOUNT_BASE "NULL::json AS roles, " \
	"NULL::json AS departments, a.token_version"

struct db_stmt identity_stmts[ID__COUNT] = {
	/* identity_register() */
	[ID_ACCOUNT_INSERT] = { .name = "identity_insert_account",
	  .sql = "INSERT INTO identity.accounts (email, password_hash, "
	  "display_name, locale, profile_kind, employer, contract_start, "
	  "contract_end, stay_start, stay_end, phone, street, postcode, city, "
	  "insee_code, created_at, updated_at, email_key) VALUES ($1, $2, $3, "
	  "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17) "
	  "RETURNING id", .nparams = 17 },
	/* identity_me_get() and after every change */
	[ID_ACCOUNT_GET] = { .name = "identity_select_account",
	  .sql = "SELECT " ACCOUNT_COLUMNS " FROM identity.accounts a "
	  "WHERE a.id = $1 AND a.status = 'active'", .nparams = 1 },
	/* identity_me_get() for a person whose token carries no role */
	[ID_ACCOUNT_GET_PLAIN] = { .name = "identity_select_account_plain",
	  .sql = "SELECT " ACCOUNT_PLAIN " FROM identity.accounts a "
	  "WHERE a.id = $1 AND a.status = 'active'", .nparams = 1 },
	/* password grant, password reset */
	[ID_ACCOUNT_LOGIN] = { .name = "identity_select_login",
	  .sql = "SELECT a.id, a.email_key, a.password_hash, "
	  "a.status = 'active' AS active, "
	  "a.token_version, g.roles IS NOT NULL AS is_agent, "
	  "coalesce(array_to_string(g.roles, ' '), '') AS roles, "
	  "g.totp_enrolled_at IS NOT NULL AS totp_enrolled, g.totp_secret, "
	  "g.totp_last_step FROM identity.accounts a LEFT JOIN identity.agents g "
	  "ON g.account_id = a.id WHERE a.email_key = $1",
	  .nparams = 1 },
	/* the principal cache (identity_guard) */
	[ID_ACCOUNT_PRINCIPAL] = { .name = "identity_select_principal",
	  .sql = "SELECT token_version, status = 'active' AS active, locale, "
	  "(SELECT string_agg(d.department, ' ' ORDER BY d.department) "
	  "FROM (SELECT g.department FROM identity.agent_departments g "
	  "WHERE g.account_id = a.id ORDER BY g.department LIMIT 8) d) "
	  "AS departments FROM identity.accounts a WHERE id = $1",
	  .nparams = 1 },
	/* issue(): a sign-in or a refresh, written at most once a day */
	[ID_ACCOUNT_SEEN] = { .name = "identity_update_last_seen",
	  .sql = "UPDATE identity.accounts SET last_seen_at = $2 WHERE id = $1 "
	  "AND (last_seen_at IS NULL OR "
	  "last_seen_at < $2::timestamptz - interval '1 day')", .nparams = 2 },
	/* identity_me_patch(): $2k is "set this field", $2k+1 its value */
	[ID_ACCOUNT_UPDATE] = { .name = "identity_update_account",
	  .sql = "UPDATE identity.accounts SET "
	  "display_name = CASE WHEN $2 THEN $3 ELSE display_name END, "
	  "locale = CASE WHEN $4 THEN $5 ELSE locale END, "
	  "phone = CASE WHEN $6 THEN $7 ELSE phone END, "
	  "street = CASE WHEN $8 THEN $9 ELSE street END, "
	  "postcode = CASE WHEN $8 THEN $10 ELSE postcode END, "
	  "city = CASE WHEN $8 THEN $11 ELSE city END, "
	  "insee_code = CASE WHEN $8 THEN $12 ELSE insee_code END, "
	  "profile_kind = CASE WHEN $13 THEN $14 ELSE profile_kind END, "
	  "employer = CASE WHEN $13 THEN $15 ELSE employer END, "
	  "contract_start = CASE WHEN $13 THEN $16::date ELSE contract_start END, "
	  "contract_end = CASE WHEN $13 THEN $17::date ELSE contract_end END, "
	  "stay_start = CASE WHEN $13 THEN $18::date ELSE stay_start END, "
	  "stay_end = CASE WHEN $13 THEN $19::date ELSE stay_end END, "
	  "updated_at = $20 WHERE id = $1 AND status = 'active'",
	  .nparams = 20 },
	/* a change of address (identity_ops.c): the row locked first */
	[ID_ACCOUNT_EMAIL_LOCK] = { .name = "identity_lock_account_email",
	  .sql = "SELECT email, email_key, email_pending, password_hash "
	  "FROM identity.accounts WHERE id = $1 AND status <> 'erased' "
	  "FOR UPDATE", .nparams = 1 },
	[ID_ACCOUNT_KEY_OWNER] = { .name = "identity_select_key_owner",
	  .sql = "SELECT id FROM identity.accounts WHERE email_key = $1",
	  .nparams = 1 },
	[ID_ACCOUNT_SET_PENDING] = { .name = "identity_update_email_pending",
	  .sql = "UPDATE identity.accounts SET email_pending = $2, "
	  "updated_at = $3 WHERE id = $1", .nparams = 3 },
	/* $4: the address was just proven (a link used), $5 now */
	[ID_ACCOUNT_SET_EMAIL] = { .name = "identity_update_email",
	  .sql = "UPDATE identity.accounts SET email = $2, email_key = $3, "
	  "email_pending = NULL, email_verified_at = CASE WHEN $4 THEN "
	  "$5::timestamptz ELSE email_verified_at END, updated_at = $5 "
	  "WHERE id = $1", .nparams = 5 },
	/* identity_email_keys_ready(): what migration 016 left to C */
	[ID_ACCOUNT_KEYLESS] = { .name = "identity_select_keyless",
	  .sql = "SELECT id, email FROM identity.accounts "
	  "WHERE email_key IS NULL ORDER BY created_at, id" },
	[ID_ACCOUNT_SET_KEY] = { .name = "identity_update_email_key",
	  .sql = "UPDATE identity.accounts SET email_key = $2 "
	  "WHERE id = $1 AND email_key IS NULL", .nparams = 2 },
	/* password change and reset: every access token dies with the old one */
	[ID_ACCOUNT_SET_PASSWORD] = { .name = "identity_update_password",
	  .sql = "UPDATE identity.accounts SET password_hash = $2, "
	  "token_version = token_version + 1, updated_at = $3 "
	  "WHERE id = $1 AND status = 'active'", .nparams = 3 },
	/* login with new argon2 parameters */
	[ID_ACCOUNT_REHASH] = { .name = "identity_update_rehash",
	  .sql = "UPDATE identity.accounts SET password_hash = $3 "
	  "WHERE id = $1 AND password_hash = $2", .nparams = 3 },
	[ID_ACCOUNT_VERIFY_EMAIL] = { .name = "identity_update_verified",
	  .sql = "UPDATE identity.accounts SET email_verified_at = $2, "
	  "updated_at = $2 WHERE id = $1 AND status = 'active'", .nparams = 2 },
	[ID_ACCOUNT_BLOCK] = { .name = "identity_update_block",
	  .sql = "UPDATE identity.accounts SET status = 'blocked', "
	  "token_version = token_version + 1, updated_at = $2 "
	  "WHERE id = $1 AND status = 'active'", .nparams = 2 },
	/* roles changed, logout everywhere */
	[ID_ACCOUNT_BUMP_VERSION] = { .name = "identity_update_version",
	  .sql = "UPDATE identity.accounts SET token_version = token_version + 1, "
	  "updated_at = $2 WHERE id = $1", .nparams = 2 },
	[ID_OTT_INSERT] = { .name = "identity_insert_ott",
	  .sql = "INSERT INTO identity.one_time_tokens (account_id, purpose, "
	  "token_hash, created_at, expires_at, email) VALUES ($1, $2, $3, $4, "
	  "$5, $6)", .nparams = 6 },
	/* reset links of the last hour: at most 3 live at once */
	[ID_OTT_RECENT] = { .name = "identity_select_ott_recent",
	  .sql = "SELECT count(*) AS n FROM identity.one_time_tokens "
	  "WHERE account_id = $1 AND purpose = $2 AND "
	  "created_at > $3::timestamptz - interval '1 hour'", .nparams = 3 },
	/* id_token_consume(): the account's row first */
	[ID_OTT_LOCK_ACCOUNT] = { .name = "identity_lock_ott_account",
	  .sql = "SELECT a.id FROM identity.one_time_tokens o "
	  "JOIN identity.accounts a ON a.id = o.account_id "
	  "WHERE o.token_hash = $1 AND o.purpose = $2 AND o.used_at IS NULL "
	  "AND o.expires_at > $3 FOR UPDATE OF a", .nparams = 3 },
	[ID_OTT_CONSUME] = { .name = "identity_consume_ott",
	  .sql = "UPDATE identity.one_time_tokens SET used_at = $3 "
	  "WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL "
	  "AND expires_at > $3 RETURNING account_id, email", .nparams = 3 },
	[ID_OTT_INVALIDATE] = { .name = "identity_invalidate_ott",
	  .sql = "UPDATE identity.one_time_tokens SET used_at = $3 "
	  "WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL",
	  .nparams = 3 },
	/* a new pending address: the links to other addresses die */
	[ID_OTT_INVALIDATE_OTHER] = { .name = "identity_invalidate_ott_other",
	  .sql = "UPDATE identity.one_time_tokens SET used_at = $3 "
	  "WHERE account_id = $1 AND purpose = 'verify_email' AND used_at IS "
	  "NULL AND email IS DISTINCT FROM $2 AND email IS DISTINCT FROM $4",
	  .nparams = 4 },
	/* identity_reauthenticate() */
	[ID_ACCOUNT_AUTH] = { .name = "identity_select_auth",
	  .sql = "SELECT email_key, password_hash FROM identity.accounts "
	  "WHERE id = $1 AND status = 'active'", .nparams = 1 },
	/* identity_mail(): the stored address, in the caller's transaction */
	[ID_ACCOUNT_CONTACT] = { .name = "identity_select_contact",
	  .sql = "SELECT email, email_pending, locale FROM identity.accounts "
	  "WHERE id = $1 AND status <> 'erased' FOR NO KEY UPDATE",
	  .nparams = 1 },
	[ID_REFRESH_INSERT] = { .name = "identity_insert_refresh",
	  .sql = "INSERT INTO identity.refresh_tokens (account_id, family_id, "
	  "token_hash, mfa, created_at, expires_at, auth_time) "
	  "VALUES ($1, coalesce($2::uuid, gen_random_uuid()), $3, $4, $5, $6, "
	  "$7)", .nparams = 7 },
	/* refresh grant: the token is single-use */
	[ID_REFRESH_USE] = { .name = "identity_use_refresh",
	  .sql = "UPDATE identity.refresh_tokens SET used_at = $2 "
	  "WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL "
	  "AND expires_at > $2 RETURNING account_id, family_id, mfa, "
	  "auth_time",
	  .nparams = 2 },
	/* a token that could not be used: was it replayed? */
	[ID_REFRESH_LOOKUP] = { .name = "identity_select_refresh",
	  .sql = "SELECT family_id, used_at IS NOT NULL OR revoked_at IS NOT "
	  "NULL AS spent, account_id FROM identity.refresh_tokens "
	  "WHERE token_hash = $1", .nparams = 1 },
	[ID_REFRESH_REVOKE_FAMILY] = { .name = "identity_revoke_family",
	  .sql = "UPDATE identity.refresh_tokens SET revoked_at = $2 "
	  "WHERE family_id = $1 AND revoked_at IS NULL", .nparams = 2 },
	[ID_REFRESH_REVOKE_ACCOUNT] = { .name = "identity_revoke_account_refresh",
	  .sql = "UPDATE identity.refresh_tokens SET revoked_at = $2 "
	  "WHERE account_id = $1 AND revoked_at IS NULL", .nparams = 2 },
	/* login throttling: the later of the two blocks wins */
	[ID_THROTTLE_GET] = { .name = "identity_select_throttle",
	  .sql = "SELECT ceil(extract(epoch FROM max(blocked_until) - "
	  "$3::timestamptz))::bigint AS retry_after FROM identity.auth_throttle "
	  "WHERE key IN ($1, $2) AND blocked_until > $3", .nparams = 3 },
	/*
	 * One more failure for both keys ($1, $2) at once; after 5 failures
	 * a key is blocked 1 s, 2 s, 4 s ... at most 15 minutes.
	 */
	[ID_THROTTLE_FAIL] = { .name = "identity_upsert_throttle",
	  .sql = "INSERT INTO identity.auth_throttle AS t (key, failures, "
	  "last_failure) SELECT k.key, 1, $3::timestamptz FROM "
	  "unnest(ARRAY[$1, $2]::text[]) AS k (key) "
	  "ON CONFLICT (key) DO UPDATE SET "
	  "failures = CASE WHEN t.last_failure < $3::timestamptz - "
	  "interval '1 hour' THEN 1 ELSE t.failures + 1 END, "
	  "last_failure = $3, blocked_until = CASE WHEN t.failures + 1 >= 5 "
	  "AND t.last_failure >= $3::timestamptz - interval '1 hour' THEN "
	  "$3::timestamptz + least(interval '15 minutes', "
	  "interval '1 second' * power(2, least(t.failures + 1 - 5, 20))) "
	  "ELSE NULL END", .nparams = 3 },
	[ID_THROTTLE_RESET] = { .name = "identity_delete_throttle",
	  .sql = "DELETE FROM identity.auth_throttle WHERE key IN ($1, $2)",
	  .nparams = 2 },
	[ID_AGENT_INSERT] = { .name = "identity_insert_agent",
	  .sql = "INSERT INTO identity.agents (account_id, roles, created_at) "
	  "VALUES ($1, string_to_array($2, ' '), $3)", .nparams = 3 },
	[ID_AGENT_GET] = { .name = "identity_select_agent",
	  .sql = "SELECT array_to_string(roles, ' ') AS roles, totp_secret, "
	  "totp_enrolled_at IS NOT NULL AS totp_enrolled, totp_last_step "
	  "FROM identity.agents WHERE account_id = $1 FOR NO KEY UPDATE",
	  .nparams = 1 },
	/* a lost second factor: the agent enrols again at next sign-in */
	[ID_AGENT_TOTP_RESET] = { .name = "identity_update_agent_totp_reset",
	  .sql = "UPDATE identity.agents SET totp_secret = NULL, "
	  "totp_enrolled_at = NULL WHERE account_id = $1", .nparams = 1 },
	[ID_AGENT_SET_ROLES] = { .name = "identity_update_agent_roles",
	  .sql = "UPDATE identity.agents SET roles = string_to_array($2, ' ') "
	  "WHERE account_id = $1", .nparams = 2 },
	[ID_AGENT_DEPTS_CLEAR] = { .name = "identity_delete_agent_departments",
	  .sql = "DELETE FROM identity.agent_departments WHERE account_id = $1",
	  .nparams = 1 },
	[ID_AGENT_DEPT_ADD] = { .name = "identity_insert_agent_department",
	  .sql = "INSERT INTO identity.agent_departments (account_id, "
	  "department) VALUES ($1, $2) ON CONFLICT DO NOTHING", .nparams = 2 },
	/* admin list of agents, keyset-paged by email */
	[ID_AGENT_LIST] = { .name = "identity_select_agents",
	  .sql = "SELECT " ACCOUNT_COLUMNS ", a.status, "
	  "a.email_key AS sort_key FROM identity.accounts a "
	  "JOIN identity.agents g ON g.account_id = a.id "
	  "WHERE a.email_key > $1 AND a.status <> 'erased' "
	  "ORDER BY a.email_key LIMIT $2", .nparams = 2 },
	[ID_AGENT_TOTP_SET] = { .name = "identity_update_totp_secret",
	  .sql = "UPDATE identity.agents SET totp_secret = $2, "
	  "totp_enrolled_at = NULL WHERE account_id = $1 "
	  "AND totp_enrolled_at IS NULL", .nparams = 2 },
	[ID_AGENT_TOTP_ENROL] = { .name = "identity_update_totp_enrol",
	  .sql = "UPDATE identity.agents SET totp_enrolled_at = $2, "
	  "totp_last_step = $3 WHERE account_id = $1 AND totp_secret IS NOT "
	  "NULL AND totp_enrolled_at IS NULL", .nparams = 3 },
	/* one code, one use: the step only moves forward */
	[ID_AGENT_TOTP_STEP] = { .name = "identity_update_totp_step",
	  .sql = "UPDATE identity.agents SET totp_last_step = $2 "
	  "WHERE account_id = $1 AND totp_last_step < $2", .nparams = 2 },
	[ID_CLIENT_INSERT] = { .name = "identity_insert_client",
	  .sql = "INSERT INTO identity.clients (id, name, secret_hash, scopes, "
	  "rate_limit, created_at) VALUES ($1, $2, $3, "
	  "string_to_array($4, ' '), $5, $6)", .nparams = 6 },
	[ID_CLIENT_GET] = { .name = "identity_select_client",
	  .sql = "SELECT secret_hash, array_to_string(scopes, ' ') AS scopes, "
	  "rate_limit, revoked_at IS NULL AS active FROM identity.clients "
	  "WHERE id = $1", .nparams = 1 },
	[ID_CLIENT_LIST] = { .name = "identity_select_clients",
	  .sql = "SELECT id, name, array_to_string(scopes, ' ') AS scopes, "
	  "rate_limit, created_at, revoked_at IS NOT NULL AS revoked "
	  "FROM identity.clients ORDER BY created_at, id" },
	[ID_CLIENT_REVOKE] = { .name = "identity_update_client_revoke",
	  .sql = "UPDATE identity.clients SET revoked_at = $2 WHERE id = $1 "
	  "AND revoked_at IS NULL", .nparams = 2 },
	[ID_DEPARTMENT_EXISTS] = { .name = "identity_select_department",
	  .sql = "SELECT 1 AS found FROM identity.departments WHERE code = $1",
	  .nparams = 1 },
	/* identity_init(): the key of the sign-in throttle's hashes */
	[ID_INSTANCE_SECRET] = { .name = "identity_select_instance_secret",
	  .sql = "SELECT secret FROM ops.instance_secret" },
};

const struct module_stmts identity_stmt_table = { .stmts = identity_stmts,
    .count = ID__COUNT };

void
id_sha256_hex(const char *s, char *out)
{
	sha256_hex(s, strlen(s), out);
}

void
id_sha256_bytea(const char *s, char *out)
{
	out[0] = '\\';
	out[1] = 'x';
	id_sha256_hex(s, out + 2);
}

void
id_now(char *out)
{
	clock_format(clock_now(), out, 40);
}

void
id_now_plus(int64_t seconds, char *out)
{
	clock_format(clock_now() + seconds * 1000000, out, 40);
}

/* Set 'k' to the JSON text 'v' (an array the database built). */
static void
set_raw(json_t *o, const char *k, const char *v)
{
	json_t	*j;

	if (v != NULL && (j = json_loads(v, 0, NULL)) != NULL)
		json_object_set_new(o, k, j);
}

json_t *
id_account_json(const struct db_res *r, int row)
{
	json_t		*o, *sub;

	o = json_object();
	json_set_str(o, "id", db_str(r, row, "id"));
	json_set_str(o, "email", db_str(r, row, "email"));
	json_object_set_new(o, "email_verified",
	    json_boolean(db_bool(r, row, "email_verified")));
	json_set_str(o, "display_name", db_str(r, row, "display_name"));
	json_set_str(o, "locale", db_str(r, row, "locale"));
	json_set_str(o, "profile_kind", db_str(r, row, "profile_kind"));
	if (!db_isnull(r, row, "employer")) {
		sub = json_object();
		json_set_str(sub, "employer", db_str(r, row, "employer"));
		json_set_str(sub, "contract_start", db_str(r, row,
		    "contract_start"));
		json_set_str(sub, "contract_end", db_str(r, row,
		    "contract_end"));
		json_object_set_new(o, "employment", sub);
	}
	if (!db_isnull(r, row, "stay_start")) {
		sub = json_object();
		json_set_str(sub, "start", db_str(r, row, "stay_start"));
		json_set_str(sub, "end", db_str(r, row, "stay_end"));
		json_object_set_new(o, "stay", sub);
	}
	json_set_str(o, "phone", db_str(r, row, "phone"));
	if (!db_isnull(r, row, "street")) {
		sub = json_object();
		json_set_str(sub, "street", db_str(r, row, "street"));
		json_set_str(sub, "postcode", db_str(r, row, "postcode"));
		json_set_str(sub, "city", db_str(r, row, "city"));
		json_set_str(sub, "insee_code", db_str(r, row, "insee_code"));
		json_object_set_new(o, "address", sub);
	}
	/* A new address waiting for its verification. */
	json_set_str(o, "pending_email", db_str(r, row, "email_pending"));
	json_set_time(o, "created_at", db_time(r, row, "created_at"));
	json_set_time(o, "updated_at", db_time(r, row, "updated_at"));
	/* Agents: their roles, and their departments ([] for none). */
	if (!db_isnull(r, row, "roles")) {
		set_raw(o, "roles", db_str(r, row, "roles"));
		json_object_set_new(o, "departments", json_array());
		set_raw(o, "departments", db_str(r, row, "departments"));
	}
	return (o);
}

int
id_mail_to(struct db *db, const char *account, int pending,
    const char *template, const json_t *payload, char *outbox_id,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { account }, *to;
	int		 rc = 1;

	if (db_exec(db, ID_STMT(ID_ACCOUNT_CONTACT), p, &res, err) == -1)
		return (-1);
	to = db_str(res, 0, pending ? "email_pending" : "email");
	if (db_res_rows(res) == 1 && to != NULL)
		rc = outbox_queue(db, account, to, template, db_str(res, 0,
		    "locale"), payload, outbox_id, err);
	db_res_free(res);
	return (rc);
}

int
identity_mail(struct db *db, const char *account, const char *template,
    const json_t *payload, char *outbox_id, struct db_error *err)
{
	return (id_mail_to(db, account, 0, template, payload, outbox_id, err));
}
