/*
 * identity_ops.c: identity's business operations, one function each
 * (ARCHITECTURE.md, "Each business operation is one function"): creating
 * an agent, changing its roles, blocking it, removing its second factor,
 * creating and revoking a partner client.  guichetd's handlers and
 * guichetctl's commands only parse their input and print or reply the
 * outcome; both call these, so both do the same thing and queue the same
 * mail.  Each runs in one transaction (db_tx()): no change of more than
 * one statement can half commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/buf.h"
#include "base/random.h"
#include "base/xmalloc.h"
#include "db/db.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "json/check.h"

#define INVITATION_LIFETIME	(7 * 86400)	/* seconds */

static char	*public_url;

void
id_ops_configure(const char *url)
{
	free(public_url);
	public_url = xstrdup(url != NULL ? url : "");
}

/* One statement of a transaction: 0, or -1 with 'err'. */
static int
tx_exec(struct db *db, enum identity_stmt st, const char *const *p,
    struct db_res **res, struct db_error *err)
{
	return (db_exec(db, ID_STMT(st), p, res, err));
}

/* A failure of the operation's own (not the database's): -1, err DB_OK. */
static int
tx_refuse(int *flag, struct db_error *err)
{
	*flag = 1;
	err->code = DB_OK;
	return (-1);
}

int
id_token_mail(struct db *db, const char *account, const char *purpose,
    const char *template, int64_t lifetime, const char *path,
    struct db_error *err)
{
	char		 tok[RANDOM_TOKEN_LEN], hash[72], now[40], exp[40];
	struct buf	 url;
	const char	*p[5];
	json_t		*o;
	int		 rc;

	if (random_token(tok, sizeof(tok)) == -1) {
		err->code = DB_E_INTERNAL;
		return (-1);
	}
	id_sha256_bytea(tok, hash);
	id_now(now);
	id_now_plus(lifetime, exp);
	p[0] = account;
	p[1] = purpose;
	p[2] = now;
	if (tx_exec(db, ID_OTT_INVALIDATE, p, NULL, err) == -1)
		return (-1);
	p[2] = hash;
	p[3] = now;
	p[4] = exp;
	if (tx_exec(db, ID_OTT_INSERT, p, NULL, err) == -1)
		return (-1);
	buf_init(&url);
	buf_addf(&url, "%s%s?token=%s", public_url != NULL ? public_url : "",
	    path, tok);
	o = json_pack("{s:s, s:s, s:s}", "token", tok, "url", url.data,
	    "expires_at", exp);
	buf_cleanup(&url);
	rc = identity_mail(db, account, template, o, NULL, err);
	json_decref(o);
	OPENSSL_cleanse(tok, sizeof(tok));
	return (rc == -1 ? -1 : 0);
}

int
id_token_consume(struct db *db, const char *token, const char *purpose,
    char *account, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[3];
	char		 hash[72], now[40];
	int		 n;

	id_sha256_bytea(token, hash);
	id_now(now);
	p[0] = hash;
	p[1] = purpose;
	p[2] = now;
	if (tx_exec(db, ID_OTT_CONSUME, p, &res, err) == -1)
		return (-1);
	if ((n = db_res_rows(res)) == 1)
		snprintf(account, 40, "%s", db_str(res, 0, "account_id"));
	db_res_free(res);
	if (n == 1)
		return (0);
	err->code = DB_OK;
	return (1);
}

/* Agents. */

struct agent_tx {
	const struct agent_spec	*spec;
	const char		*id;		/* an existing agent */
	const enum identity_stmt *steps;	/* agent_steps_tx() */
	char			 new_id[40];
	const char		*bad_department;
	int			 not_found;
	int			 taken;
};

/* Space-separated names of a JSON array of strings (caller cleans 'b'). */
static void
words_of(const json_t *a, struct buf *b)
{
	size_t	 i;

	buf_init(b);
	for (i = 0; i < json_array_size(a); i++)
		buf_addf(b, "%s%s", i > 0 ? " " : "",
		    json_string_value(json_array_get(a, i)));
}

/* Roles and departments as the spec says; the agent's tokens die. */
static int
agent_set(struct db *db, struct agent_tx *t, const char *id,
    struct db_error *err)
{
	const json_t	*depts = t->spec->departments;
	struct db_res	*res = NULL;
	struct buf	 r;
	const char	*p[2] = { id, NULL };
	char		 now[40];
	size_t		 i;
	int		 rc;

	if (t->spec->roles != NULL) {
		words_of(t->spec->roles, &r);
		p[1] = r.data != NULL ? r.data : "";
		rc = tx_exec(db, ID_AGENT_SET_ROLES, p, NULL, err);
		buf_cleanup(&r);
		if (rc == -1)
			return (-1);
	}
	if (depts != NULL) {
		if (tx_exec(db, ID_AGENT_DEPTS_CLEAR, p, NULL, err) == -1)
			return (-1);
		for (i = 0; i < json_array_size(depts); i++) {
			p[1] = json_string_value(json_array_get(depts, i));
			if (tx_exec(db, ID_DEPARTMENT_EXISTS, p + 1, &res,
			    err) == -1)
				return (-1);
			rc = db_res_rows(res);
			db_res_free(res);
			if (rc != 1) {
				t->bad_department = p[1];
				err->code = DB_OK;
				return (-1);
			}
			if (tx_exec(db, ID_AGENT_DEPT_ADD, p, NULL, err) == -1)
				return (-1);
		}
	}
	id_now(now);
	p[1] = now;
	return (tx_exec(db, ID_ACCOUNT_BUMP_VERSION, p, NULL, err));
}

static int
agent_create_tx(struct db *db, void *arg, struct db_error *err)
{
	struct agent_tx		*t = arg;
	const struct agent_spec	*s = t->spec;
	struct db_res		*res = NULL;
	const char		*p[16];
	char			 now[40], step[8];

	id_now(now);
	memset(p, 0, sizeof(p));
	p[0] = s->email;
	/* No password until the agent sets one from the invitation. */
	p[1] = s->password_hash != NULL ? s->password_hash : "!invited";
	p[2] = s->name;
	p[3] = s->locale != NULL ? s->locale : "fr";
	p[4] = "permanent_resident";
	p[15] = now;
	if (tx_exec(db, ID_ACCOUNT_INSERT, p, &res, err) == -1) {
		if (err->code == DB_E_UNIQUE)
			t->taken = 1;
		return (-1);
	}
	snprintf(t->new_id, sizeof(t->new_id), "%s", db_str(res, 0, "id"));
	db_res_free(res);
	p[0] = t->new_id;
	p[1] = "agent";
	p[2] = now;
	if (tx_exec(db, ID_AGENT_INSERT, p, NULL, err) == -1 ||
	    agent_set(db, t, t->new_id, err) == -1)
		return (-1);
	if (s->totp_secret != NULL) {
		snprintf(step, sizeof(step), "-1");
		p[1] = s->totp_secret;
		if (tx_exec(db, ID_AGENT_TOTP_SET, p, NULL, err) == -1)
			return (-1);
		p[1] = now;
		p[2] = step;
		if (tx_exec(db, ID_AGENT_TOTP_ENROL, p, NULL, err) == -1)
			return (-1);
	}
	if (s->password_hash != NULL)
		return (0);
	/* The agent chooses a password from the invitation's link. */
	return (id_token_mail(db, t->new_id, "reset_password",
	    "agent_invitation", INVITATION_LIFETIME, "/reset-password", err));
}

static enum id_result
agent_result(int rc, const struct agent_tx *t, const char **bad)
{
	if (bad != NULL)
		*bad = t->bad_department;
	if (rc == 0)
		return (IDR_OK);
	if (t->not_found)
		return (IDR_NOT_FOUND);
	if (t->taken)
		return (IDR_TAKEN);
	if (t->bad_department != NULL)
		return (IDR_BAD_DEPARTMENT);
	return (IDR_DB);
}

enum id_result
id_agent_create(struct db *db, const struct agent_spec *spec, char *id,
    const char **bad, struct db_error *err)
{
	struct agent_tx	 t;
	int		 rc;

	memset(&t, 0, sizeof(t));
	t.spec = spec;
	rc = db_tx(db, agent_create_tx, &t, err);
	snprintf(id, 40, "%s", rc == 0 ? t.new_id : "");
	return (agent_result(rc, &t, bad));
}

/* Lock the agent's row: -1 with t->not_found when there is none. */
static int
agent_lock(struct db *db, struct agent_tx *t, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { t->id };
	int		 n;

	if (tx_exec(db, ID_AGENT_GET, p, &res, err) == -1)
		return (-1);
	n = db_res_rows(res);
	db_res_free(res);
	return (n == 1 ? 0 : tx_refuse(&t->not_found, err));
}

static int
agent_update_tx(struct db *db, void *arg, struct db_error *err)
{
	struct agent_tx	*t = arg;

	if (agent_lock(db, t, err) == -1)
		return (-1);
	return (agent_set(db, t, t->id, err));
}

enum id_result
id_agent_update(struct db *db, const char *id, const struct agent_spec *spec,
    const char **bad, struct db_error *err)
{
	struct agent_tx	 t;

	memset(&t, 0, sizeof(t));
	t.spec = spec;
	t.id = id;
	return (agent_result(db_tx(db, agent_update_tx, &t, err), &t, bad));
}

/*
 * A block and a second-factor reset: the agent's row locked, then
 * 'steps' (ending with ID__COUNT), each with the agent and the time.
 * Both end every session: refresh tokens revoked, access tokens through
 * the token version (which a block bumps itself).
 */
static int
agent_steps_tx(struct db *db, void *arg, struct db_error *err)
{
	struct agent_tx		*t = arg;
	const enum identity_stmt *st;
	const char		*p[2] = { t->id, NULL };
	char			 now[40];

	if (agent_lock(db, t, err) == -1)
		return (-1);
	id_now(now);
	p[1] = now;
	for (st = t->steps; *st != ID__COUNT; st++)
		if (tx_exec(db, *st, p, NULL, err) == -1)
			return (-1);
	return (0);
}

static enum id_result
agent_run(struct db *db, const char *id, const enum identity_stmt *steps,
    struct db_error *err)
{
	struct agent_tx	 t;

	memset(&t, 0, sizeof(t));
	t.id = id;
	t.steps = steps;
	return (agent_result(db_tx(db, agent_steps_tx, &t, err), &t, NULL));
}

enum id_result
id_agent_block(struct db *db, const char *id, struct db_error *err)
{
	static const enum identity_stmt steps[] = { ID_ACCOUNT_BLOCK,
	    ID_REFRESH_REVOKE_ACCOUNT, ID__COUNT };

	return (agent_run(db, id, steps, err));
}

enum id_result
id_agent_totp_reset(struct db *db, const char *id, struct db_error *err)
{
	static const enum identity_stmt steps[] = { ID_AGENT_TOTP_RESET,
	    ID_REFRESH_REVOKE_ACCOUNT, ID_ACCOUNT_BUMP_VERSION, ID__COUNT };

	return (agent_run(db, id, steps, err));
}

/* Partner clients. */

enum id_result
id_client_create(struct db *db, const char *name, const char *scopes,
    int rate, char *id_out, char *secret_out, struct db_error *err)
{
	unsigned char	 raw[8];
	char		 hex[65], now[40], rate_s[16];
	const char	*p[6];
	int		 i;

	if (random_fill(raw, sizeof(raw)) == -1 ||
	    random_token(secret_out, 64) == -1) {
		err->code = DB_E_INTERNAL;
		return (IDR_DB);
	}
	snprintf(id_out, 24, "cl_");
	for (i = 0; i < 8; i++)
		snprintf(id_out + 3 + 2 * i, 3, "%02x", raw[i]);
	id_sha256_hex(secret_out, hex);
	id_now(now);
	snprintf(rate_s, sizeof(rate_s), "%d", rate);
	p[0] = id_out;
	p[1] = name;
	p[2] = hex;
	p[3] = scopes;
	p[4] = rate_s;
	p[5] = now;
	if (tx_exec(db, ID_CLIENT_INSERT, p, NULL, err) == -1)
		return (err->code == DB_E_UNIQUE ? IDR_TAKEN : IDR_DB);
	return (IDR_OK);
}

enum id_result
id_client_revoke(struct db *db, const char *id, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[2];
	char		 now[40];
	long		 n;

	id_now(now);
	p[0] = id;
	p[1] = now;
	if (tx_exec(db, ID_CLIENT_REVOKE, p, &res, err) == -1)
		return (IDR_DB);
	n = db_res_affected(res);
	db_res_free(res);
	return (n == 1 ? IDR_OK : IDR_NOT_FOUND);
}
