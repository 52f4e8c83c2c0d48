/*
 * identity_db.c: the identity layer's SQL, one statement per use.
 * Times come from the injectable clock as parameters ($n::timestamptz),
 * never from now(), so that expiry and retention are testable.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/clock.h"
#include "base/digest.h"
#include "core/module.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "ops/outbox.h"

/*
 * The account as the API shows it.  Timestamps come raw (the session's
 * TimeZone is UTC) and are formatted in C: to_char() cost a third of the
 * throughput of GET /api/v1/me.  ACCOUNT_AGENT adds the roles and
 * departments; residents (no roles in their token) skip that join.
 */
#define ACCOUNT_BASE \
	"a.id, a.email, a.email_verified_at IS NOT NULL, a.display_name, " \
	"a.locale, a.profile_kind, a.employer, a.contract_start, " \
	"a.contract_end, a.stay_start, a.stay_end, a.phone, a.street, " \
	"a.postcode, a.city, a.insee_code, a.created_at, a.updated_at, "
#define ACCOUNT_COLUMNS ACCOUNT_BASE \
	"(SELECT array_to_json(g.roles) FROM identity.agents g " \
	" WHERE g.account_id = a.id), " \
	"(SELECT json_agg(d.department ORDER BY d.department) " \
	" FROM identity.agent_departments d WHERE d.account_id = a.id), " \
	"a.token_version"
#define ACCOUNT_PLAIN ACCOUNT_BASE "NULL::json, NULL::json, a.token_version"

struct db_stmt identity_stmts[ID__COUNT] = {
	/* identity_register() */
	[ID_ACCOUNT_INSERT] = { "identity_insert_account",
	  "INSERT INTO identity.accounts (email, password_hash, display_name, "
	  "locale, profile_kind, employer, contract_start, contract_end, "
	  "stay_start, stay_end, phone, street, postcode, city, insee_code, "
	  "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
	  "$10, $11, $12, $13, $14, $15, $16, $16) RETURNING id", 16, 0 },
	/* identity_me_get() and after every change */
	[ID_ACCOUNT_GET] = { "identity_select_account",
	  "SELECT " ACCOUNT_COLUMNS " FROM identity.accounts a "
	  "WHERE a.id = $1 AND a.status = 'active'", 1, 0 },
	/* identity_me_get() for a person whose token carries no role */
	[ID_ACCOUNT_GET_PLAIN] = { "identity_select_account_plain",
	  "SELECT " ACCOUNT_PLAIN " FROM identity.accounts a "
	  "WHERE a.id = $1 AND a.status = 'active'", 1, 0 },
	/* password grant */
	[ID_ACCOUNT_LOGIN] = { "identity_select_login",
	  "SELECT a.id, a.password_hash, a.status, a.token_version, "
	  "g.roles IS NOT NULL, coalesce(array_to_string(g.roles, ' '), ''), "
	  "g.totp_enrolled_at IS NOT NULL, g.totp_secret, g.totp_last_step "
	  "FROM identity.accounts a LEFT JOIN identity.agents g "
	  "ON g.account_id = a.id WHERE lower(a.email) = lower($1)", 1, 0 },
	/* the principal cache (identity_guard) */
	[ID_ACCOUNT_PRINCIPAL] = { "identity_select_principal",
	  "SELECT token_version, status = 'active', locale "
	  "FROM identity.accounts WHERE id = $1", 1, 0 },
	/* issue(): a sign-in or a refresh, written at most once a day */
	[ID_ACCOUNT_SEEN] = { "identity_update_last_seen",
	  "UPDATE identity.accounts SET last_seen_at = $2 WHERE id = $1 "
	  "AND (last_seen_at IS NULL OR "
	  "last_seen_at < $2::timestamptz - interval '1 day')", 2, 0 },
	/* identity_me_patch(): $2k is "set this field", $2k+1 its value */
	[ID_ACCOUNT_UPDATE] = { "identity_update_account",
	  "UPDATE identity.accounts SET "
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
	  "email = CASE WHEN $20 THEN $21 ELSE email END, "
	  "email_verified_at = CASE WHEN $20 AND lower($21) <> lower(email) "
	  "THEN NULL ELSE email_verified_at END, "
	  "updated_at = $22 WHERE id = $1 AND status = 'active' "
	  "RETURNING email", 22, 0 },
	/* password change and reset: every access token dies with the old one */
	[ID_ACCOUNT_SET_PASSWORD] = { "identity_update_password",
	  "UPDATE identity.accounts SET password_hash = $2, "
	  "token_version = token_version + 1, updated_at = $3 "
	  "WHERE id = $1 AND status = 'active'", 3, 0 },
	/* login with new argon2 parameters */
	[ID_ACCOUNT_REHASH] = { "identity_update_rehash",
	  "UPDATE identity.accounts SET password_hash = $3 "
	  "WHERE id = $1 AND password_hash = $2", 3, 0 },
	[ID_ACCOUNT_VERIFY_EMAIL] = { "identity_update_verified",
	  "UPDATE identity.accounts SET email_verified_at = $2, updated_at = $2 "
	  "WHERE id = $1 AND status = 'active'", 2, 0 },
	[ID_ACCOUNT_BLOCK] = { "identity_update_block",
	  "UPDATE identity.accounts SET status = 'blocked', "
	  "token_version = token_version + 1, updated_at = $2 "
	  "WHERE id = $1 AND status = 'active'", 2, 0 },
	/* roles changed, logout everywhere */
	[ID_ACCOUNT_BUMP_VERSION] = { "identity_update_version",
	  "UPDATE identity.accounts SET token_version = token_version + 1, "
	  "updated_at = $2 WHERE id = $1", 2, 0 },
	[ID_OTT_INSERT] = { "identity_insert_ott",
	  "INSERT INTO identity.one_time_tokens (account_id, purpose, "
	  "token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
	  5, 0 },
	[ID_OTT_CONSUME] = { "identity_consume_ott",
	  "UPDATE identity.one_time_tokens SET used_at = $3 "
	  "WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL "
	  "AND expires_at > $3 RETURNING account_id", 3, 0 },
	[ID_OTT_INVALIDATE] = { "identity_invalidate_ott",
	  "UPDATE identity.one_time_tokens SET used_at = $3 "
	  "WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL", 3, 0 },
	/* identity_reauthenticate() */
	[ID_ACCOUNT_AUTH] = { "identity_select_auth",
	  "SELECT email, password_hash FROM identity.accounts "
	  "WHERE id = $1 AND status = 'active'", 1, 0 },
	/* identity_mail(): the stored address, in the caller's transaction */
	[ID_ACCOUNT_CONTACT] = { "identity_select_contact",
	  "SELECT email, locale FROM identity.accounts WHERE id = $1 "
	  "AND status <> 'erased' FOR NO KEY UPDATE", 1, 0 },
	[ID_REFRESH_INSERT] = { "identity_insert_refresh",
	  "INSERT INTO identity.refresh_tokens (account_id, family_id, "
	  "token_hash, mfa, created_at, expires_at) "
	  "VALUES ($1, coalesce($2::uuid, gen_random_uuid()), $3, $4, $5, $6)",
	  6, 0 },
	/* refresh grant: the token is single-use */
	[ID_REFRESH_USE] = { "identity_use_refresh",
	  "UPDATE identity.refresh_tokens SET used_at = $2 "
	  "WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL "
	  "AND expires_at > $2 RETURNING account_id, family_id, mfa", 2, 0 },
	/* a token that could not be used: was it replayed? */
	[ID_REFRESH_LOOKUP] = { "identity_select_refresh",
	  "SELECT family_id, used_at IS NOT NULL OR revoked_at IS NOT NULL, "
	  "account_id FROM identity.refresh_tokens WHERE token_hash = $1", 1, 0 },
	[ID_REFRESH_REVOKE_FAMILY] = { "identity_revoke_family",
	  "UPDATE identity.refresh_tokens SET revoked_at = $2 "
	  "WHERE family_id = $1 AND revoked_at IS NULL", 2, 0 },
	[ID_REFRESH_REVOKE_ACCOUNT] = { "identity_revoke_account_refresh",
	  "UPDATE identity.refresh_tokens SET revoked_at = $2 "
	  "WHERE account_id = $1 AND revoked_at IS NULL", 2, 0 },
	/* login throttling: the later of the two blocks wins */
	[ID_THROTTLE_GET] = { "identity_select_throttle",
	  "SELECT ceil(extract(epoch FROM max(blocked_until) - $3::timestamptz))"
	  "::bigint FROM identity.auth_throttle WHERE key IN ($1, $2) "
	  "AND blocked_until > $3", 3, 0 },
	/* after 5 failures: 1 s, 2 s, 4 s ... at most 15 minutes */
	[ID_THROTTLE_FAIL] = { "identity_upsert_throttle",
	  "INSERT INTO identity.auth_throttle AS t (key, failures, "
	  "last_failure) VALUES ($1, 1, $2) ON CONFLICT (key) DO UPDATE SET "
	  "failures = CASE WHEN t.last_failure < $2::timestamptz - "
	  "interval '1 hour' THEN 1 ELSE t.failures + 1 END, "
	  "last_failure = $2, blocked_until = CASE WHEN t.failures + 1 >= 5 "
	  "AND t.last_failure >= $2::timestamptz - interval '1 hour' THEN "
	  "$2::timestamptz + least(interval '15 minutes', "
	  "interval '1 second' * power(2, least(t.failures + 1 - 5, 20))) "
	  "ELSE NULL END", 2, 0 },
	[ID_THROTTLE_RESET] = { "identity_delete_throttle",
	  "DELETE FROM identity.auth_throttle WHERE key = $1", 1, 0 },
	[ID_AGENT_INSERT] = { "identity_insert_agent",
	  "INSERT INTO identity.agents (account_id, roles, created_at) "
	  "VALUES ($1, string_to_array($2, ' '), $3)", 3, 0 },
	[ID_AGENT_GET] = { "identity_select_agent",
	  "SELECT array_to_string(roles, ' '), totp_secret, "
	  "totp_enrolled_at IS NOT NULL, totp_last_step "
	  "FROM identity.agents WHERE account_id = $1", 1, 0 },
	/* a lost second factor: the agent enrols again at next sign-in */
	[ID_AGENT_TOTP_RESET] = { "identity_update_agent_totp_reset",
	  "UPDATE identity.agents SET totp_secret = NULL, "
	  "totp_enrolled_at = NULL WHERE account_id = $1", 1, 0 },
	[ID_AGENT_SET_ROLES] = { "identity_update_agent_roles",
	  "UPDATE identity.agents SET roles = string_to_array($2, ' ') "
	  "WHERE account_id = $1", 2, 0 },
	[ID_AGENT_DEPTS_CLEAR] = { "identity_delete_agent_departments",
	  "DELETE FROM identity.agent_departments WHERE account_id = $1", 1, 0 },
	[ID_AGENT_DEPT_ADD] = { "identity_insert_agent_department",
	  "INSERT INTO identity.agent_departments (account_id, department) "
	  "VALUES ($1, $2) ON CONFLICT DO NOTHING", 2, 0 },
	/* admin list of agents, keyset-paged by email */
	[ID_AGENT_LIST] = { "identity_select_agents",
	  "SELECT " ACCOUNT_COLUMNS ", a.status FROM identity.accounts a "
	  "JOIN identity.agents g ON g.account_id = a.id "
	  "WHERE lower(a.email) > lower($1) AND a.status <> 'erased' "
	  "ORDER BY lower(a.email) LIMIT $2", 2, 0 },
	[ID_AGENT_TOTP_SET] = { "identity_update_totp_secret",
	  "UPDATE identity.agents SET totp_secret = $2, totp_enrolled_at = NULL "
	  "WHERE account_id = $1 AND totp_enrolled_at IS NULL", 2, 0 },
	[ID_AGENT_TOTP_ENROL] = { "identity_update_totp_enrol",
	  "UPDATE identity.agents SET totp_enrolled_at = $2, "
	  "totp_last_step = $3 WHERE account_id = $1 AND totp_secret IS NOT NULL "
	  "AND totp_enrolled_at IS NULL", 3, 0 },
	/* one code, one use: the step only moves forward */
	[ID_AGENT_TOTP_STEP] = { "identity_update_totp_step",
	  "UPDATE identity.agents SET totp_last_step = $2 "
	  "WHERE account_id = $1 AND totp_last_step < $2", 2, 0 },
	[ID_CLIENT_INSERT] = { "identity_insert_client",
	  "INSERT INTO identity.clients (id, name, secret_hash, scopes, "
	  "rate_limit, created_at) VALUES ($1, $2, $3, "
	  "string_to_array($4, ' '), $5, $6)", 6, 0 },
	[ID_CLIENT_GET] = { "identity_select_client",
	  "SELECT secret_hash, array_to_string(scopes, ' '), rate_limit, "
	  "revoked_at IS NULL FROM identity.clients WHERE id = $1", 1, 0 },
	[ID_CLIENT_LIST] = { "identity_select_clients",
	  "SELECT id, name, array_to_string(scopes, ' '), rate_limit, "
	  "to_char(created_at AT TIME ZONE 'UTC', "
	  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), revoked_at IS NOT NULL "
	  "FROM identity.clients ORDER BY created_at, id", 0, 0 },
	[ID_CLIENT_REVOKE] = { "identity_update_client_revoke",
	  "UPDATE identity.clients SET revoked_at = $2 WHERE id = $1 "
	  "AND revoked_at IS NULL", 2, 0 },
	[ID_DEPARTMENT_EXISTS] = { "identity_select_department",
	  "SELECT 1 FROM identity.departments WHERE code = $1", 1, 0 },
	/* identity_init(): the key of the sign-in throttle's hashes */
	[ID_INSTANCE_SECRET] = { "identity_select_instance_secret",
	  "SELECT secret FROM ops.instance_secret", 0, 0 },
};

const struct module_stmts identity_stmt_table = { identity_stmts,
    ID__COUNT };

int
id_random_token(char *out, size_t len)
{
	unsigned char	 raw[32];
	unsigned char	 b64[48];
	int		 n, i;

	if (len < 44 || RAND_bytes(raw, sizeof(raw)) != 1)
		return (-1);
	n = EVP_EncodeBlock(b64, raw, sizeof(raw));
	for (i = 0; i < n && b64[i] != '='; i++)
		out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' :
		    (char)b64[i];
	out[i] = '\0';
	return (0);
}

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

static void
set_str(json_t *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, k, json_string(v));
}

/* PostgreSQL's "2026-11-23 10:57:45.123+00" as RFC 3339 (UTC sessions). */
static void
set_ts(json_t *o, const char *k, const char *v)
{
	char	 out[40];
	size_t	 n;

	if (v == NULL)
		return;
	n = strcspn(v, "+");
	if (n >= sizeof(out) - 1 || n < 19) {
		set_str(o, k, v);
		return;
	}
	memcpy(out, v, n);
	out[10] = 'T';
	/* Whole seconds, as everywhere else in the API. */
	out[19] = 'Z';
	out[20] = '\0';
	set_str(o, k, out);
}

json_t *
id_account_json(const struct db_res *r, int row)
{
	json_t		*o, *sub;
	const char	*kind, *v;

	o = json_object();
	set_str(o, "id", db_res_get(r, row, 0));
	set_str(o, "email", db_res_get(r, row, 1));
	json_object_set_new(o, "email_verified",
	    json_boolean(strcmp(db_res_get(r, row, 2), "t") == 0));
	set_str(o, "display_name", db_res_get(r, row, 3));
	set_str(o, "locale", db_res_get(r, row, 4));
	kind = db_res_get(r, row, 5);
	set_str(o, "profile_kind", kind);
	if (db_res_get(r, row, 6) != NULL) {
		sub = json_object();
		set_str(sub, "employer", db_res_get(r, row, 6));
		set_str(sub, "contract_start", db_res_get(r, row, 7));
		if ((v = db_res_get(r, row, 8)) != NULL)
			set_str(sub, "contract_end", v);
		json_object_set_new(o, "employment", sub);
	}
	if (db_res_get(r, row, 9) != NULL) {
		sub = json_object();
		set_str(sub, "start", db_res_get(r, row, 9));
		set_str(sub, "end", db_res_get(r, row, 10));
		json_object_set_new(o, "stay", sub);
	}
	set_str(o, "phone", db_res_get(r, row, 11));
	if (db_res_get(r, row, 12) != NULL) {
		sub = json_object();
		set_str(sub, "street", db_res_get(r, row, 12));
		set_str(sub, "postcode", db_res_get(r, row, 13));
		set_str(sub, "city", db_res_get(r, row, 14));
		set_str(sub, "insee_code", db_res_get(r, row, 15));
		json_object_set_new(o, "address", sub);
	}
	set_ts(o, "created_at", db_res_get(r, row, 16));
	set_ts(o, "updated_at", db_res_get(r, row, 17));
	if ((v = db_res_get(r, row, 18)) != NULL)
		json_object_set_new(o, "roles", json_loads(v, 0, NULL));
	if (db_res_get(r, row, 18) != NULL) {
		v = db_res_get(r, row, 19);
		json_object_set_new(o, "departments", v != NULL ?
		    json_loads(v, 0, NULL) : json_array());
	}
	return (o);
}

int
identity_mail(struct db *db, const char *account, const char *template,
    const json_t *payload, char *outbox_id, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { account };
	int		 rc;

	if (db_exec(db, ID_STMT(ID_ACCOUNT_CONTACT), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return (1);
	}
	rc = outbox_queue(db, account, db_str(res, 0, "email"), template,
	    db_str(res, 0, "locale"), payload, outbox_id, err);
	db_res_free(res);
	return (rc);
}
