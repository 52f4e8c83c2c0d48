/*
 * privacy_db.c: the privacy layer's SQL, one statement per use, and the
 * consent functions other modules call.  Texts people read are chosen in
 * SQL by a language parameter ('fr', 'en', 'it'); times come from the
 * injectable clock as parameters, never from now().
 */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "core/module.h"
#include "privacy/privacy.h"
#include "privacy/privacy_int.h"

/* The column 'c' (c_fr, c_en, c_it) in the language of parameter 'p'. */
#define LOC(p, c) \
	"CASE " p "::text WHEN 'en' THEN " c "_en WHEN 'it' THEN " c "_it " \
	"ELSE " c "_fr END"

#define RFC3339(t) \
	"to_char(" t " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* $1 account, $2 language: every consent-based purpose and its state. */
#define CONSENT_STATE_SELECT \
	"SELECT p.code, " LOC("$2", "p.title") ", " \
	LOC("$2", "p.description") ", p.version, " \
	"privacy.consent_given($1, p.code), l.action, l.purpose_version, " \
	RFC3339("l.at") " FROM privacy.purposes p LEFT JOIN LATERAL " \
	"(SELECT action, purpose_version, at FROM privacy.consent_ledger " \
	"WHERE account_id = $1 AND purpose = p.code " \
	"ORDER BY id DESC LIMIT 1) l ON true WHERE p.optional"

struct db_stmt privacy_stmts[PRIV__COUNT] = {
	/* privacy_register_get(): the controller */
	[PRIV_TOWN_GET] = { "privacy_select_town",
	  "SELECT name, insee_code, postcode FROM ops.town", 0, 0 },
	/* privacy_register_get(): categories with erasure and retention */
	[PRIV_CATEGORY_LIST] = { "privacy_select_categories",
	  "SELECT c.code, " LOC("$1", "c.description") ", c.erasure, "
	  "privacy.iso_duration(c.retention), c.retention_from, "
	  LOC("$1", "e.description") " FROM privacy.categories c "
	  "JOIN privacy.retention_events e ON e.code = c.retention_from "
	  "ORDER BY c.code", 1, 0 },
	/* privacy_register_get(): purposes, those needing no consent first */
	[PRIV_PURPOSE_LIST] = { "privacy_select_purposes",
	  "SELECT p.code, p.legal_basis, " LOC("$1", "p.title") ", "
	  LOC("$1", "p.description") ", array_to_json(p.categories), "
	  "(SELECT coalesce(json_agg(json_build_object('code', r.code, "
	  "'kind', r.kind, 'name', " LOC("$1", "r.name") ") "
	  "ORDER BY array_position(p.recipients, r.code)), '[]') "
	  "FROM privacy.recipients r WHERE r.code = ANY (p.recipients)), "
	  LOC("$1", "p.retention") ", p.version, p.optional "
	  "FROM privacy.purposes p ORDER BY p.optional, p.code", 1, 0 },
	/* privacy_consents_list() */
	[PRIV_CONSENT_STATES] = { "privacy_select_consent_states",
	  CONSENT_STATE_SELECT " ORDER BY p.code", 2, 0 },
	/* privacy_consent_give() and _withdraw(): the answer */
	[PRIV_CONSENT_STATE] = { "privacy_select_consent_state",
	  CONSENT_STATE_SELECT " AND p.code = $3", 3, 0 },
	/* privacy_consents_list(): newest first */
	[PRIV_CONSENT_HISTORY] = { "privacy_select_consent_history",
	  "SELECT purpose, purpose_version, action, channel, " RFC3339("at")
	  " FROM privacy.consent_ledger WHERE account_id = $1 "
	  "ORDER BY id DESC LIMIT $2", 2, 0 },
	/*
	 * privacy_consent_set(): after privacy_person_lock(), so that two
	 * concurrent calls cannot both append: the person has an account.
	 */
	[PRIV_ACCOUNT_LOCK] = { "privacy_lock_account",
	  "SELECT 1 FROM identity.directory WHERE id = $1 "
	  "AND status = 'active'", 1, 0 },
	/* privacy_person_lock() */
	[PRIV_PERSON_LOCK] = { "privacy_lock_person",
	  "SELECT pg_advisory_xact_lock(hashtextextended('privacy:' || $1, "
	  "0))", 1, 0 },
	/* privacy_consent_set(): the version stays put until we commit */
	[PRIV_PURPOSE_GET] = { "privacy_select_purpose",
	  "SELECT version, optional FROM privacy.purposes WHERE code = $1 "
	  "FOR SHARE", 1, 0 },
	[PRIV_CONSENT_LATEST] = { "privacy_select_consent_latest",
	  "SELECT action, purpose_version FROM privacy.consent_ledger "
	  "WHERE account_id = $1 AND purpose = $2 ORDER BY id DESC LIMIT 1",
	  2, 0 },
	[PRIV_CONSENT_INSERT] = { "privacy_insert_consent",
	  "INSERT INTO privacy.consent_ledger (account_id, purpose, "
	  "purpose_version, action, channel, at) "
	  "VALUES ($1, $2, $3, $4, $5, $6)", 6, 0 },
	/* privacy_consent_given(), for other modules */
	[PRIV_CONSENT_GIVEN] = { "privacy_select_consent_given",
	  "SELECT privacy.consent_given($1, $2)", 2, 0 },
};

const struct module_stmts privacy_stmt_table = { privacy_stmts,
    PRIV__COUNT };

int
privacy_person_lock(struct db *db, const char *account, struct db_error *err)
{
	const char	*p[1] = { account };

	return (db_exec(db, PRIV_STMT(PRIV_PERSON_LOCK), p, NULL, err));
}

int
priv_purpose_code_ok(const char *s)
{
	size_t	 i, n;

	if (s == NULL || (n = strlen(s)) < 2 || n > 40 ||
	    s[0] < 'a' || s[0] > 'z')
		return (0);
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return (0);
	return (1);
}

int
privacy_consent_given(struct db *db, const char *account, const char *purpose,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[2] = { account, purpose };
	int		 given;

	if (!priv_purpose_code_ok(purpose))
		return (0);
	if (db_exec(db, PRIV_STMT(PRIV_CONSENT_GIVEN), p, &res, err) == -1)
		return (-1);
	given = db_res_rows(res) == 1 && db_res_get(res, 0, 0) != NULL &&
	    strcmp(db_res_get(res, 0, 0), "t") == 0;
	db_res_free(res);
	return (given);
}

struct consent_tx {
	const char		*account;
	const char		*purpose;
	const char		*channel;
	int			 give;
	enum consent_outcome	 outcome;
};

static int
consent_tx(struct db *db, void *arg, struct db_error *err)
{
	struct consent_tx	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[6];
	char			 version[16], now[40];
	int			 given_now, any_given;

	p[0] = t->account;
	if (privacy_person_lock(db, t->account, err) == -1 ||
	    db_exec(db, PRIV_STMT(PRIV_ACCOUNT_LOCK), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		t->outcome = CONSENT_NO_ACCOUNT;
		err->code = DB_OK;
		return (-1);
	}
	db_res_free(res);
	p[0] = t->purpose;
	if (db_exec(db, PRIV_STMT(PRIV_PURPOSE_GET), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1 ||
	    strcmp(db_res_get(res, 0, 1), "t") != 0) {
		t->outcome = db_res_rows(res) != 1 ? CONSENT_NO_PURPOSE :
		    CONSENT_NOT_OPTIONAL;
		db_res_free(res);
		err->code = DB_OK;
		return (-1);
	}
	snprintf(version, sizeof(version), "%s", db_res_get(res, 0, 0));
	db_res_free(res);
	p[0] = t->account;
	p[1] = t->purpose;
	if (db_exec(db, PRIV_STMT(PRIV_CONSENT_LATEST), p, &res, err) == -1)
		return (-1);
	any_given = db_res_rows(res) == 1 &&
	    strcmp(db_res_get(res, 0, 0), "given") == 0;
	/* A consent to an earlier text does not cover the current one. */
	given_now = any_given && strcmp(db_res_get(res, 0, 1), version) == 0;
	db_res_free(res);
	if ((t->give && given_now) || (!t->give && !given_now)) {
		t->outcome = CONSENT_UNCHANGED;
		return (0);
	}
	clock_format(clock_now(), now, sizeof(now));
	p[0] = t->account;
	p[1] = t->purpose;
	p[2] = version;
	p[3] = t->give ? "given" : "withdrawn";
	p[4] = t->channel;
	p[5] = now;
	if (db_exec(db, PRIV_STMT(PRIV_CONSENT_INSERT), p, NULL, err) == -1)
		return (-1);
	t->outcome = CONSENT_RECORDED;
	return (0);
}

enum consent_outcome
privacy_consent_set(struct db *db, const char *account, const char *purpose,
    int give, const char *channel, struct db_error *err)
{
	struct consent_tx	 t;

	if (!priv_purpose_code_ok(purpose))
		return (CONSENT_NO_PURPOSE);
	memset(&t, 0, sizeof(t));
	t.account = account;
	t.purpose = purpose;
	t.channel = channel;
	t.give = give;
	t.outcome = CONSENT_FAILED;
	if (db_tx(db, consent_tx, &t, err) == -1)
		return (err->code != DB_OK ? CONSENT_FAILED : t.outcome);
	return (t.outcome);
}
