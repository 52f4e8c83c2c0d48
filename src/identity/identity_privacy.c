/*
 * identity_privacy.c: identity's privacy hook (src/privacy/hooks.h): what
 * it holds about a person, for access and portability (Art. 15, 20), and
 * how that is erased (Art. 17).
 *
 * Export: the account, the agent row (roles, departments), the sessions
 * (refresh tokens: times only), the one-time tokens (times only) and the
 * sign-in failures counted against
 * their email (the key is keyed-hashed from it: identity_throttle_user_key).  Secrets are never exported: the password hash, the TOTP
 * secret, token hashes and the single-use links in messages are said to
 * exist, without their value.  Failures counted per client address cannot
 * be linked to anyone (the key is the address): the section says so.
 * Each section is built by PostgreSQL in one statement (json_agg), so a
 * person with thousands of rows costs one round trip, not one per row.
 *
 * Portable: the account's fields that the privacy layer names portable
 * for the person now (core/module.h, struct privacy_portable: their
 * 'pii:' category rests on consent or contract).  Sessions and tokens
 * are the town's records, never portable.
 *
 * Erasure (inside the erasure transaction): sessions, one-time tokens
 * and the sign-in failures of the account's email are deleted;
 * the account row stays (other records point to it) but identifies nobody:
 * email -> sha256(salt || email) @erased.invalid (unique, unlinkable once
 * the salt is gone), password -> '!erased' (no hash matches it), name ->
 * a constant, optional fields -> NULL, profile_kind (NOT NULL) -> a
 * constant, status 'erased', every access token revoked.  An agent's TOTP
 * secret goes; the agent row (roles, departments) stays: staff actions
 * stay attributable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/clock.h"
#include "db/db.h"
#include "identity/identity.h"
#include "core/module.h"

#define TS(x) DB_TIME_SQL(x)

/* The identity section of the person 'a'. */
#define IDENTITY_SECTION \
	"json_build_object(" \
	"'account', json_build_object('id', a.id, 'email', a.email, " \
	"'email_pending', a.email_pending, " \
	"'email_verified_at', " TS("a.email_verified_at") ", " \
	"'display_name', a.display_name, 'locale', a.locale, " \
	"'profile_kind', a.profile_kind, 'employer', a.employer, " \
	"'contract_start', a.contract_start, 'contract_end', a.contract_end, " \
	"'stay_start', a.stay_start, 'stay_end', a.stay_end, " \
	"'phone', a.phone, 'street', a.street, 'postcode', a.postcode, " \
	"'city', a.city, 'insee_code', a.insee_code, 'status', a.status, " \
	"'created_at', " TS("a.created_at") ", " \
	"'updated_at', " TS("a.updated_at") ", " \
	"'last_seen_at', " TS("a.last_seen_at") "), " \
	"'credentials', json_build_object(" \
	"'password', json_build_object('held', a.password_hash <> '!erased', " \
	"'exported', false, 'reason', 'secret'), " \
	"'totp', (SELECT json_build_object('held', g.totp_secret IS NOT NULL, " \
	"'enrolled_at', " TS("g.totp_enrolled_at") ", 'exported', false, " \
	"'reason', 'secret') FROM identity.agents g " \
	"WHERE g.account_id = a.id)), " \
	"'agent', (SELECT json_build_object('roles', g.roles, " \
	"'departments', coalesce((SELECT json_agg(d.department " \
	"ORDER BY d.department) FROM identity.agent_departments d " \
	"WHERE d.account_id = a.id), '[]'), " \
	"'created_at', " TS("g.created_at") ") FROM identity.agents g " \
	"WHERE g.account_id = a.id), " \
	"'sessions', coalesce((SELECT json_agg(json_build_object(" \
	"'created_at', " TS("r.created_at") ", " \
	"'expires_at', " TS("r.expires_at") ", " \
	"'used_at', " TS("r.used_at") ", 'revoked_at', " TS("r.revoked_at") \
	", 'second_factor', r.mfa) ORDER BY r.created_at, r.id) " \
	"FROM identity.refresh_tokens r WHERE r.account_id = a.id), '[]'), " \
	"'one_time_tokens', coalesce((SELECT json_agg(json_build_object(" \
	"'purpose', o.purpose, 'created_at', " TS("o.created_at") ", " \
	"'expires_at', " TS("o.expires_at") ", 'used_at', " TS("o.used_at") \
	") ORDER BY o.created_at, o.id) FROM identity.one_time_tokens o " \
	"WHERE o.account_id = a.id), '[]'), " \
	"'sign_in_throttling', json_build_object('by_account', " \
	"(SELECT json_build_object('failures', t.failures, " \
	"'last_failure', " TS("t.last_failure") ", " \
	"'blocked_until', " TS("t.blocked_until") ") " \
	"FROM identity.auth_throttle t WHERE t.key = $2), " \
	"'by_address', json_build_object('exported', false, " \
	"'reason', 'not_linkable')))::text"

/*
 * The portable part: the account's columns that the privacy layer names
 * ($3, a text[]: the person provided them under consent or contract).
 */
#define IDENTITY_PORTABLE \
	"json_build_object('account', (SELECT coalesce(jsonb_object_agg(" \
	"e.key, e.value ORDER BY e.key), '{}') FROM jsonb_each(to_jsonb(a)) e " \
	"WHERE e.key = ANY ($3::text[])))::text"

enum idp_stmt {
	IDP_EMAIL,
	IDP_EXPORT,
	IDP_EXPORT_PORTABLE,
	IDP_FIND,
	IDP_ERASE_LOCK,
	IDP_ERASE_THROTTLE,
	IDP_ERASE_REFRESH,
	IDP_ERASE_OTT,
	IDP_ERASE_TOTP,
	IDP_ERASE_ACCOUNT,
	IDP__COUNT
};

static struct db_stmt idp_stmts[IDP__COUNT] = {
	/* the sign-in throttle key is derived from it (in C: keyed) */
	[IDP_EMAIL] = { .name = "identity_select_privacy_email",
	  .sql = "SELECT email_key FROM identity.accounts WHERE id = $1",
	  .nparams = 1 },
	/* $1 account, $2 its sign-in throttle key */
	[IDP_EXPORT] = { .name = "identity_select_privacy_export",
	  .sql = "SELECT " IDENTITY_SECTION " AS section "
	  "FROM identity.accounts a WHERE a.id = $1", .nparams = 2 },
	[IDP_EXPORT_PORTABLE] = { .name =
	  "identity_select_privacy_export_portable",
	  .sql = "SELECT " IDENTITY_SECTION " AS section, " IDENTITY_PORTABLE
	  " AS portable FROM identity.accounts a WHERE a.id = $1",
	  .nparams = 3 },
	/* guichetctl privacy export EMAIL */
	[IDP_FIND] = { .name = "identity_select_privacy_find",
	  .sql = "SELECT id FROM identity.accounts WHERE email_key = $1 "
	  "AND status <> 'erased'", .nparams = 1 },
	/* erasure: what the person is, before anything changes */
	[IDP_ERASE_LOCK] = { .name = "identity_lock_privacy_erase",
	  .sql = "SELECT a.status = 'erased' AS erased, EXISTS (SELECT 1 "
	  "FROM identity.agents g WHERE g.account_id = a.id AND "
	  "g.totp_secret IS NOT NULL) AS has_totp, a.email_key "
	  "FROM identity.accounts a WHERE a.id = $1 FOR UPDATE", .nparams = 1 },
	/* the key of the account's email, computed before it is rewritten */
	[IDP_ERASE_THROTTLE] = { .name = "identity_delete_privacy_throttle",
	  .sql = "DELETE FROM identity.auth_throttle WHERE key = $1",
	  .nparams = 1 },
	[IDP_ERASE_REFRESH] = { .name = "identity_delete_privacy_refresh",
	  .sql = "DELETE FROM identity.refresh_tokens WHERE account_id = $1",
	  .nparams = 1 },
	[IDP_ERASE_OTT] = { .name = "identity_delete_privacy_ott",
	  .sql = "DELETE FROM identity.one_time_tokens WHERE account_id = $1",
	  .nparams = 1 },
	[IDP_ERASE_TOTP] = { .name = "identity_update_privacy_totp",
	  .sql = "UPDATE identity.agents SET totp_secret = NULL, "
	  "totp_enrolled_at = NULL WHERE account_id = $1", .nparams = 1 },
	/* $2 the erasure's salt, $3 now */
	[IDP_ERASE_ACCOUNT] = { .name = "identity_update_privacy_erase",
	  .sql = "UPDATE identity.accounts SET "
	  "email = encode(sha256(convert_to($2 || ':' || email_key, "
	  "'UTF8')), 'hex') || '@erased.invalid', email_key = "
	  "encode(sha256(convert_to($2 || ':' || email_key, 'UTF8')), 'hex') "
	  "|| '@erased.invalid', email_pending = NULL, "
	  "email_verified_at = NULL, "
	  "password_hash = '!erased', display_name = 'Personne effacée', "
	  "profile_kind = 'permanent_resident', employer = NULL, "
	  "contract_start = NULL, contract_end = NULL, stay_start = NULL, "
	  "stay_end = NULL, phone = NULL, street = NULL, postcode = NULL, "
	  "city = NULL, insee_code = NULL, status = 'erased', "
	  "last_seen_at = NULL, "
	  "token_version = token_version + 1, updated_at = $3 "
	  "WHERE id = $1 AND status <> 'erased'", .nparams = 3 },
};

#define IDP(x)	(&idp_stmts[(x)])

static int
identity_export(struct db *db, const char *account, struct buf *out,
    struct privacy_portable *portable, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[3] = { account, NULL, NULL };
	char		 key[80];

	if (db_exec(db, IDP(IDP_EMAIL), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) == 1) {
		identity_throttle_user_key(db_str(res, 0, "email_key"), key);
		p[1] = key;
	}
	db_res_free(res);
	res = NULL;
	if (portable != NULL && (p[2] = portable->columns(portable,
	    "identity.accounts", err)) == NULL)
		return (-1);
	if (db_exec(db, IDP(portable != NULL ? IDP_EXPORT_PORTABLE :
	    IDP_EXPORT), p, &res, err) == -1)
		return (-1);
	/* No such account (erased in between): an empty section, "{}". */
	privacy_section_add(res, out, portable);
	db_res_free(res);
	return (0);
}

/* Run a DELETE or UPDATE of the erasure; the rows it touched, or -1. */
static long
erase_exec(struct db *db, enum idp_stmt st, const char *const *p,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	long		 n;

	if (db_exec(db, IDP(st), p, &res, err) == -1)
		return (-1);
	n = db_res_affected(res);
	db_res_free(res);
	return (n);
}

static int
identity_erase(struct db *db, const char *account, const char *salt,
    json_t *erased, json_t *retained, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[3];
	char		 now[40];
	long		 throttle, refresh, ott, totp = 0, acct;
	int		 has_totp;
	char		 key[80];

	(void)retained;
	p[0] = account;
	if (db_exec(db, IDP(IDP_ERASE_LOCK), p, &res, err) == -1)
		return (-1);
	/* Nothing held, or erased already: nothing to do. */
	if (db_res_rows(res) != 1 || db_bool(res, 0, "erased")) {
		db_res_free(res);
		return (0);
	}
	has_totp = db_bool(res, 0, "has_totp");
	identity_throttle_user_key(db_str(res, 0, "email_key"), key);
	db_res_free(res);
	p[0] = key;
	throttle = erase_exec(db, IDP_ERASE_THROTTLE, p, err);
	p[0] = account;
	if (throttle == -1 ||
	    (refresh = erase_exec(db, IDP_ERASE_REFRESH, p, err)) == -1 ||
	    (ott = erase_exec(db, IDP_ERASE_OTT, p, err)) == -1)
		return (-1);
	if (has_totp && (totp = erase_exec(db, IDP_ERASE_TOTP, p, err)) == -1)
		return (-1);
	clock_format(clock_now(), now, sizeof(now));
	p[1] = salt;
	p[2] = now;
	if ((acct = erase_exec(db, IDP_ERASE_ACCOUNT, p, err)) == -1)
		return (-1);
	privacy_erased_add(erased, "identity", "identity", acct, "rewrite");
	privacy_erased_add(erased, "identity", "contact", acct,
	    "salted_hash");
	privacy_erased_add(erased, "identity", "address", acct, "nullify");
	/* profile_kind is NOT NULL: rewritten; the other fields nullified. */
	privacy_erased_add(erased, "identity", "profile", acct, "rewrite");
	privacy_erased_add(erased, "identity", "credential", acct + totp,
	    "rewrite");
	privacy_erased_add(erased, "identity", "network", refresh + ott +
	    throttle, "delete");
	return (0);
}

const struct module_stmts identity_privacy_stmt_table = { .stmts = idp_stmts,
    .count = IDP__COUNT };

const struct privacy_hooks identity_privacy_hooks = {
	.export = identity_export,
	.erase = identity_erase,
};

int
identity_find_by_email(struct db *db, const char *email, char *id, size_t len,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1];
	char		 key[IDENTITY_EMAIL_KEY_MAX];

	/* As sign-in finds it: by the key of the address. */
	(void)identity_email_normalise(email, 0, key, sizeof(key));
	p[0] = key;
	if (identity_email_keys_ready(db, err) == -1 ||
	    db_exec(db, IDP(IDP_FIND), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return (1);
	}
	snprintf(id, len, "%s", db_str(res, 0, "id"));
	db_res_free(res);
	return (0);
}
