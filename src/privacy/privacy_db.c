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

/* $1 account, $2 language: every consent-based purpose and its state. */
#define CONSENT_STATE_SELECT \
	"SELECT p.code AS purpose, " PRIV_LOC("$2", "p.title") " AS title, " \
	PRIV_LOC("$2", "p.description") " AS description, " \
	"p.version AS version, privacy.consent_given($1, p.code) AS given, " \
	"l.action AS last_action, l.purpose_version AS last_version, " \
	"l.at AS last_at FROM privacy.purposes p LEFT JOIN LATERAL " \
	"(SELECT action, purpose_version, at FROM privacy.consent_ledger " \
	"WHERE account_id = $1 AND purpose = p.code " \
	"ORDER BY id DESC LIMIT 1) l ON true WHERE p.optional"

struct db_stmt privacy_stmts[PRIV__COUNT] = {
	/*
	 * privacy_register_get(): one JSON object per row (column item), in
	 * the language $1 (the town has no texts): the controller...
	 */
	[PRIV_TOWN_GET] = { .name = "privacy_select_town",
	  .sql = "SELECT json_build_object('name', name, 'insee_code', "
	  "insee_code, 'postcode', postcode) AS item FROM ops.town" },
	/* ...the categories with their erasure and retention... */
	[PRIV_CATEGORY_LIST] = { .name = "privacy_select_categories",
	  .sql = "SELECT json_build_object('code', c.code, "
	  "'description', " PRIV_LOC("$1", "c.description") ", "
	  "'erasure', c.erasure, 'retention', json_build_object("
	  "'period', privacy.iso_duration(c.retention), "
	  "'from', c.retention_from, "
	  "'from_description', " PRIV_LOC("$1", "e.description") ")) AS item "
	  "FROM privacy.categories c "
	  "JOIN privacy.retention_events e ON e.code = c.retention_from "
	  "ORDER BY c.code", .nparams = 1 },
	/* ...and the purposes, those needing no consent first. */
	[PRIV_PURPOSE_LIST] = { .name = "privacy_select_purposes",
	  .sql = "SELECT json_build_object('code', p.code, "
	  "'title', " PRIV_LOC("$1", "p.title") ", "
	  "'description', " PRIV_LOC("$1", "p.description") ", "
	  "'legal_basis', p.legal_basis, 'optional', p.optional, "
	  "'categories', array_to_json(p.categories), "
	  "'recipients', (SELECT coalesce(json_agg(json_build_object("
	  "'code', r.code, 'kind', r.kind, "
	  "'name', " PRIV_LOC("$1", "r.name") ") "
	  "ORDER BY array_position(p.recipients, r.code)), '[]') "
	  "FROM privacy.recipients r WHERE r.code = ANY (p.recipients)), "
	  "'retention', " PRIV_LOC("$1", "p.retention") ", "
	  "'version', p.version) AS item "
	  "FROM privacy.purposes p ORDER BY p.optional, p.code",
	  .nparams = 1 },
	/* privacy_consents_list() */
	[PRIV_CONSENT_STATES] = { .name = "privacy_select_consent_states",
	  .sql = CONSENT_STATE_SELECT " ORDER BY p.code", .nparams = 2 },
	/* privacy_consent_give() and _withdraw(): the answer */
	[PRIV_CONSENT_STATE] = { .name = "privacy_select_consent_state",
	  .sql = CONSENT_STATE_SELECT " AND p.code = $3", .nparams = 3 },
	/* privacy_consents_list(): newest first */
	[PRIV_CONSENT_HISTORY] = { .name = "privacy_select_consent_history",
	  .sql = "SELECT purpose, purpose_version AS version, action, channel, "
	  "at FROM privacy.consent_ledger WHERE account_id = $1 "
	  "ORDER BY id DESC LIMIT $2", .nparams = 2 },
	/*
	 * priv_consent_apply(): after privacy_person_lock(), so that two
	 * concurrent calls cannot both append: the person has an account.
	 */
	[PRIV_ACCOUNT_LOCK] = { .name = "privacy_lock_account",
	  .sql = "SELECT 1 AS active FROM identity.directory WHERE id = $1 "
	  "AND status = 'active'", .nparams = 1 },
	/* privacy_person_lock() */
	[PRIV_PERSON_LOCK] = { .name = "privacy_lock_person",
	  .sql = "SELECT pg_advisory_xact_lock(hashtextextended('privacy:' || "
	  "$1, 0)) AS locked", .nparams = 1 },
	/* priv_consent_apply(): the version stays put until we commit */
	[PRIV_PURPOSE_GET] = { .name = "privacy_select_purpose",
	  .sql = "SELECT version, optional FROM privacy.purposes "
	  "WHERE code = $1 FOR SHARE", .nparams = 1 },
	[PRIV_CONSENT_LATEST] = { .name = "privacy_select_consent_latest",
	  .sql = "SELECT action, purpose_version FROM privacy.consent_ledger "
	  "WHERE account_id = $1 AND purpose = $2 ORDER BY id DESC LIMIT 1",
	  .nparams = 2 },
	[PRIV_CONSENT_INSERT] = { .name = "privacy_insert_consent",
	  .sql = "INSERT INTO privacy.consent_ledger (account_id, purpose, "
	  "purpose_version, action, channel, at) "
	  "VALUES ($1, $2, $3, $4, $5, $6)", .nparams = 6 },
	/* privacy_consent_given(), for other modules */
	[PRIV_CONSENT_GIVEN] = { .name = "privacy_select_consent_given",
	  .sql = "SELECT privacy.consent_given($1, $2) AS given",
	  .nparams = 2 },
};

const struct module_stmts privacy_stmt_table = { .stmts = privacy_stmts,
    .count = PRIV__COUNT };

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
	given = db_bool(res, 0, "given");
	db_res_free(res);
	return (given);
}

/* The outcome's failure, with 'err' telling it from a database one. */
static int
consent_refused(enum consent_outcome why, enum consent_outcome *out,
    struct db_error *err)
{
	*out = why;
	err->code = DB_OK;
	return (-1);
}

int
priv_consent_apply(struct db *db, const char *account, const char *purpose,
    int give, const char *channel, enum consent_outcome *out,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[6];
	char		 version[24], now[40];
	int		 rows, optional, given_now;

	*out = CONSENT_FAILED;
	if (!priv_purpose_code_ok(purpose))
		return (consent_refused(CONSENT_NO_PURPOSE, out, err));
	p[0] = account;
	if (privacy_person_lock(db, account, err) == -1 ||
	    db_exec(db, PRIV_STMT(PRIV_ACCOUNT_LOCK), p, &res, err) == -1)
		return (-1);
	rows = db_res_rows(res);
	db_res_free(res);
	if (rows != 1)
		return (consent_refused(CONSENT_NO_ACCOUNT, out, err));
	p[0] = purpose;
	if (db_exec(db, PRIV_STMT(PRIV_PURPOSE_GET), p, &res, err) == -1)
		return (-1);
	rows = db_res_rows(res);
	optional = db_bool(res, 0, "optional");
	snprintf(version, sizeof(version), "%lld",
	    (long long)db_int64(res, 0, "version"));
	db_res_free(res);
	if (rows != 1 || !optional)
		return (consent_refused(rows != 1 ? CONSENT_NO_PURPOSE :
		    CONSENT_NOT_OPTIONAL, out, err));
	p[0] = account;
	p[1] = purpose;
	if (db_exec(db, PRIV_STMT(PRIV_CONSENT_LATEST), p, &res, err) == -1)
		return (-1);
	/* A consent to an earlier text does not cover the current one. */
	given_now = db_res_rows(res) == 1 &&
	    strcmp(db_str(res, 0, "action"), "given") == 0 &&
	    strcmp(db_str(res, 0, "purpose_version"), version) == 0;
	db_res_free(res);
	if ((give && given_now) || (!give && !given_now)) {
		*out = CONSENT_UNCHANGED;
		return (0);
	}
	clock_format(clock_now(), now, sizeof(now));
	p[2] = version;
	p[3] = give ? "given" : "withdrawn";
	p[4] = channel;
	p[5] = now;
	if (db_exec(db, PRIV_STMT(PRIV_CONSENT_INSERT), p, NULL, err) == -1)
		return (-1);
	*out = CONSENT_RECORDED;
	return (0);
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

	return (priv_consent_apply(db, t->account, t->purpose, t->give,
	    t->channel, &t->outcome, err));
}

enum consent_outcome
privacy_consent_set(struct db *db, const char *account, const char *purpose,
    int give, const char *channel, struct db_error *err)
{
	struct consent_tx	 t;

	memset(err, 0, sizeof(*err));
	t.account = account;
	t.purpose = purpose;
	t.channel = channel;
	t.give = give;
	t.outcome = CONSENT_FAILED;
	if (db_tx(db, consent_tx, &t, err) == -1 && err->code != DB_OK)
		return (CONSENT_FAILED);
	return (t.outcome);
}
