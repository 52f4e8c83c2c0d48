/*
 * erase.c: erasure (Art. 17 RGPD): the driver that runs every module's
 * erase hook in one transaction, and its two endpoints: DELETE /api/v1/me
 * (the person, re-authenticated by password) and
 * POST /api/v1/admin/privacy/subjects/{id}/erase (the DPO, with a reason).
 *
 * Rules kept here (see erase.h for the invariants):
 *  - nothing is logged but ids: the erased values never reach the log,
 *    and neither does the password or the DPO's reason;
 *  - a wrong password counts as a failed sign-in for the throttle, like
 *    a password change does: a stolen access token must not buy
 *    unlimited guesses;
 *  - agents' accounts are the town's: they are blocked by an
 *    administrator, never erased by these routes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/password.h"
#include "auth/policy.h"
#include "base/b64.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/random.h"
#include "core/module.h"
#include "db/db.h"
#include "http/reply.h"
#include "identity/identity.h"
#include "json/check.h"
#include "privacy/privacy_int.h"
#include "privacy/erase.h"
#include "privacy/hooks.h"

#define SALT_BYTES	32

enum erase_stmt {
	ERA_ACCOUNT_LOCK,
	ERA_INSERT,
	ERA_ACCOUNT_STATUS,
	ERA_FINISH,
	ERA_TOMBSTONE,
	ERA__COUNT
};

static struct db_stmt erase_stmts[ERA__COUNT] = {
	/* privacy_erase(): one erasure of a person at a time */
	[ERA_ACCOUNT_LOCK] = { .name = "privacy_lock_erase_account",
	  .sql = "SELECT a.status, a.is_agent FROM identity.directory a "
	  "WHERE a.id = $1", .nparams = 1 },
	/* written first: the hooks may read the tombstone */
	[ERA_INSERT] = { .name = "privacy_insert_erasure",
	  .sql = "INSERT INTO privacy.erasures (account_id, actor, agent_id, "
	  "reason, at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
	  .nparams = 5 },
	/* after the hooks: the identity hook must have erased the account */
	[ERA_ACCOUNT_STATUS] = { .name = "privacy_select_erased_status",
	  .sql = "SELECT status FROM identity.directory WHERE id = $1",
	  .nparams = 1 },
	[ERA_FINISH] = { .name = "privacy_update_erasure",
	  .sql = "UPDATE privacy.erasures SET erased = $2::jsonb, "
	  "retained = $3::jsonb WHERE id = $1", .nparams = 3 },
	[ERA_TOMBSTONE] = { .name = "privacy_select_tombstone",
	  .sql = "SELECT tombstone FROM privacy.erasures WHERE account_id = $1",
	  .nparams = 1 },
};

#define ERA_STMT(x)	(&erase_stmts[(x)])

/* Input schemas. */

static const struct json_field me_erase_fields[] = {
	{ .name = "password", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 1024 },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec privacy_me_erase_spec = { .name = "erase_self",
    .fields = me_erase_fields };

static const struct json_field dpo_erase_fields[] = {
	{ .name = "reason", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 500 },
	{ .name = NULL, .kind = JK_END },
};
const struct json_spec privacy_dpo_erase_spec = { .name = "erase_subject",
    .fields = dpo_erase_fields };

const struct module_stmts erase_stmt_table = { .stmts = erase_stmts,
    .count = ERA__COUNT };

/* The driver. */

struct erase_tx {
	const char		*account;
	const char		*dpo;
	const char		*reason;
	const char		*salt;
	const char		*at;
	json_t			*erased;
	json_t			*retained;
	enum erase_outcome	 outcome;
};

static int
erase_tx(struct db *db, void *arg, struct db_error *err)
{
	struct erase_tx			*t = arg;
	const struct module		*h;
	struct db_res			*res = NULL;
	const char			*p[5];
	char				 id[40], *e, *r;
	size_t				 i;
	int				 rc;

	/* A retried transaction starts again from nothing. */
	json_array_clear(t->erased);
	json_array_clear(t->retained);
	t->outcome = ERASE_FAILED;
	p[0] = t->account;
	if (privacy_person_lock(db, t->account, err) == -1 ||
	    db_exec(db, ERA_STMT(ERA_ACCOUNT_LOCK), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1 ||
	    strcmp(db_str(res, 0, "status"), "erased") == 0 ||
	    db_bool(res, 0, "is_agent")) {
		t->outcome = db_res_rows(res) != 1 ? ERASE_NO_ACCOUNT :
		    strcmp(db_str(res, 0, "status"), "erased") == 0 ?
		    ERASE_ALREADY : ERASE_AGENT;
		db_res_free(res);
		err->code = DB_OK;
		return (-1);
	}
	db_res_free(res);
	p[0] = t->account;
	p[1] = t->dpo != NULL ? "dpo" : "self";
	p[2] = t->dpo;
	p[3] = t->reason;
	p[4] = t->at;
	if (db_exec(db, ERA_STMT(ERA_INSERT), p, &res, err) == -1)
		return (-1);
	snprintf(id, sizeof(id), "%s", db_str(res, 0, "id"));
	db_res_free(res);

	for (i = 0; i < privacy_hook_count(); i++) {
		h = privacy_hook_at(i);
		if (h->privacy->erase == NULL)
			continue;
		if (h->privacy->erase(db, t->account, t->salt, t->erased, t->retained,
		    err) == -1) {
			if (err->code == DB_OK)
				log_warnx("privacy: erasure of account %s: the "
				    "%s hook failed", t->account, h->name);
			return (-1);
		}
	}

	/* Fail closed: an erasure that left the account as it was is none. */
	p[0] = t->account;
	if (db_exec(db, ERA_STMT(ERA_ACCOUNT_STATUS), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1 ||
	    strcmp(db_str(res, 0, "status"), "erased") != 0) {
		db_res_free(res);
		log_warnx("privacy: erasure of account %s: no hook erased the "
		    "account; rolled back", t->account);
		err->code = DB_OK;
		return (-1);
	}
	db_res_free(res);

	e = json_dumps(t->erased, JSON_COMPACT);
	r = json_dumps(t->retained, JSON_COMPACT);
	if (e == NULL || r == NULL)
		abort();
	p[0] = id;
	p[1] = e;
	p[2] = r;
	rc = db_exec(db, ERA_STMT(ERA_FINISH), p, NULL, err);
	free(e);
	free(r);
	if (rc == -1)
		return (-1);
	t->outcome = ERASE_DONE;
	return (0);
}

enum erase_outcome
privacy_erase(struct db *db, const char *account, const char *dpo,
    const char *reason, json_t **summary, struct db_error *err)
{
	struct erase_tx	 t;
	unsigned char	 raw[SALT_BYTES];
	char		 salt[2 * SALT_BYTES + 1], at[40];
	int64_t		 now = clock_now();
	int		 rc;

	*summary = NULL;
	memset(err, 0, sizeof(*err));
	if (random_fill(raw, sizeof(raw)) == -1) {
		log_warn("privacy: no random salt for an erasure");
		err->code = DB_OK;
		return (ERASE_FAILED);
	}
	hex_encode(raw, sizeof(raw), salt);
	OPENSSL_cleanse(raw, sizeof(raw));
	clock_format(now, at, sizeof(at));

	memset(&t, 0, sizeof(t));
	t.account = account;
	t.dpo = dpo;
	t.reason = reason;
	t.salt = salt;
	t.at = at;
	t.erased = json_array();
	t.retained = json_array();
	rc = db_tx(db, erase_tx, &t, err);
	/* The salt is never stored: once the hooks ran, it is gone. */
	OPENSSL_cleanse(salt, sizeof(salt));
	if (rc == -1) {
		json_decref(t.erased);
		json_decref(t.retained);
		return (t.outcome == ERASE_DONE ? ERASE_FAILED : t.outcome);
	}
	principal_cache_forget(account);
	*summary = json_pack("{s:o, s:o}", "erased", t.erased,
	    "retained", t.retained);
	json_set_time(*summary, "erased_at", now);
	return (ERASE_DONE);
}

int
privacy_erase_tombstone(struct db *db, const char *account, char *out,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { account };

	if (db_exec(db, ERA_STMT(ERA_TOMBSTONE), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		err->code = DB_OK;
		return (-1);
	}
	snprintf(out, 37, "%s", db_str(res, 0, "tombstone"));
	db_res_free(res);
	return (0);
}

/* The endpoints. */

/*
 * Erase 'account' (on behalf of the person when 'dpo' is set) and answer
 * with the summary; 'gone' is the code for an account that is not there.
 */
static void
erase_reply(struct request *req, const char *account, const char *dpo,
    const char *reason, enum privacy_err gone)
{
	struct db_error		 err;
	enum erase_outcome	 out;
	json_t			*summary;

	out = privacy_erase(db_thread(), account, dpo, reason, &summary, &err);
	switch (out) {
	case ERASE_DONE:
		log_info("privacy: account %s erased %s%s", account,
		    dpo != NULL ? "by dpo " : "at its own request",
		    dpo != NULL ? dpo : "");
		reply_json(req, 200, summary);
		break;
	case ERASE_NO_ACCOUNT:
		reply_error(req, PRIV_ERR(gone));
		break;
	case ERASE_ALREADY:
		reply_error(req, PRIV_ERR(PE_SUBJECT_ERASED));
		break;
	case ERASE_AGENT:
		reply_error(req, PRIV_ERR(PE_SUBJECT_AGENT));
		break;
	case ERASE_FAILED:
		if (err.code != DB_OK)
			reply_db_error(req, &err);
		else
			reply_error(req, PRIV_ERR(PE_ERASURE_FAILED));
		break;
	}
}

/* DELETE /api/v1/me */

int
privacy_me_erase(struct request *req)
{
	json_t	*errors;
	int	 rc;

	if (req->principal->roles != 0) {
		reply_error(req, PRIV_ERR(PE_AGENT_SELF_ERASE));
		return (0);
	}
	rc = identity_reauthenticate(req, req->principal->id,
	    json_str(req->json, "password"));
	if (rc == -1)
		return (0);
	if (rc == 1) {
		log_info("privacy: account %s erasure refused (wrong password)",
		    req->principal->id);
		errors = json_array();
		json_error_add(errors, "/password", "wrong",
		    PRIV_ERR(PE_PASSWORD_WRONG)->detail[req->lang]);
		reply_error_fields(req, PRIV_ERR(PE_PASSWORD_WRONG), errors);
		return (0);
	}
	erase_reply(req, req->principal->id, NULL, NULL,
	    PE_ACCOUNT_NOT_ACTIVE);
	return (0);
}

/* POST /api/v1/admin/privacy/subjects/{id}/erase */

int
privacy_admin_subject_erase(struct request *req)
{
	const char	*id;

	if ((id = param_uuid_or_reply(req, "id",
	    PRIV_ERR(PE_SUBJECT_NOT_FOUND))) == NULL)
		return (0);
	erase_reply(req, id, req->principal->id,
	    json_str(req->json, "reason"), PE_SUBJECT_NOT_FOUND);
	return (0);
}
