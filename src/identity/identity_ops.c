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

#include "base/b64.h"
#include "base/buf.h"
#include "base/random.h"
#include "base/xmalloc.h"
#include "db/db.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "json/check.h"

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

/* Statements 'st' (ending with ID__COUNT), each with 'p'. */
static int
tx_steps(struct db *db, const enum identity_stmt *st, const char *const *p,
    struct db_error *err)
{
	for (; *st != ID__COUNT; st++)
		if (tx_exec(db, *st, p, NULL, err) == -1)
			return (-1);
	return (0);
}

/* Why an operation refused, set by its transaction. */
struct refusal {
	int		 not_found;
	int		 taken;
	int		 bad_link;
	const char	*bad_department;
};

static enum id_result
result_of(int rc, const struct refusal *no)
{
	if (rc == 0)
		return (IDR_OK);
	if (no->not_found)
		return (IDR_NOT_FOUND);
	if (no->taken)
		return (IDR_TAKEN);
	if (no->bad_link)
		return (IDR_BAD_LINK);
	if (no->bad_department != NULL)
		return (IDR_BAD_DEPARTMENT);
	return (IDR_DB);
}

static enum id_result
result_of_agent(int rc, const struct refusal *no, const char **bad)
{
	if (bad != NULL)
		*bad = no->bad_department;
	return (result_of(rc, no));
}

/* A failure of the operation's own (not the database's): -1, err DB_OK. */
static int
tx_refuse(int *flag, struct db_error *err)
{
	*flag = 1;
	err->code = DB_OK;
	return (-1);
}

/* The links identity mails: what each is for, where it points, how long. */
static const struct link {
	const char	*purpose;	/* identity.one_time_tokens.purpose */
	const char	*template;	/* of the message */
	const char	*path;		/* of the link, under the public URL */
	int64_t		 lifetime;	/* seconds */
	int		 keep;		/* earlier live links of the purpose stay */
	int		 to_pending;	/* to the address waiting for its proof */
} links[LINK__COUNT] = {
	[LINK_VERIFY] = { .purpose = "verify_email", .template =
	    "verify_email", .path = "/verify-email", .lifetime = 48 * 3600 },
	/* The other links of the purpose die in id_email_change()'s tx. */
	[LINK_VERIFY_NEW] = { .purpose = "verify_email", .template =
	    "verify_email", .path = "/verify-email", .lifetime = 48 * 3600,
	    .keep = 1, .to_pending = 1 },
	/* A new request leaves the links already sent alive (at most 3). */
	[LINK_RESET] = { .purpose = "reset_password", .template =
	    "reset_password", .path = "/reset-password", .lifetime = 3600,
	    .keep = 1 },
	[LINK_INVITATION] = { .purpose = "reset_password", .template =
	    "agent_invitation", .path = "/reset-password",
	    .lifetime = 7 * 86400 },
	/* To the old address: each change has its own way back. */
	[LINK_UNDO] = { .purpose = "undo_email_change", .template =
	    "email_change_notice", .path = "/undo-email-change",
	    .lifetime = 7 * 86400, .keep = 1 },
};

int
id_token_mail(struct db *db, const char *account, enum id_link which,
    const char *email, struct db_error *err)
{
	const struct link *l = &links[which];
	char		 tok[RANDOM_TOKEN_LEN], hash[72], now[40], exp[40];
	struct buf	 url;
	const char	*p[6];
	json_t		*o;
	int		 rc;

	if (random_token(tok, sizeof(tok)) == -1) {
		err->code = DB_E_INTERNAL;
		return (-1);
	}
	id_sha256_bytea(tok, hash);
	id_now(now);
	id_now_plus(l->lifetime, exp);
	p[0] = account;
	p[1] = l->purpose;
	p[2] = now;
	if (!l->keep && tx_exec(db, ID_OTT_INVALIDATE, p, NULL, err) == -1)
		return (-1);
	p[2] = hash;
	p[3] = now;
	p[4] = exp;
	p[5] = email;
	if (tx_exec(db, ID_OTT_INSERT, p, NULL, err) == -1)
		return (-1);
	buf_init(&url);
	buf_addf(&url, "%s%s?token=%s", public_url != NULL ? public_url : "",
	    l->path, tok);
	o = json_pack("{s:s, s:s, s:s}", "token", tok, "url", url.data,
	    "expires_at", exp);
	buf_cleanup(&url);
	rc = id_mail_to(db, account, l->to_pending, l->template, o, NULL,
	    err);
	json_decref(o);
	OPENSSL_cleanse(tok, sizeof(tok));
	return (rc == -1 ? -1 : 0);
}

int
id_token_consume(struct db *db, const char *token, const char *purpose,
    char *account, char *email, struct db_error *err)
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
	/*
	 * The account's row first, as every change of an account locks
	 * it: a link and a change of address wait for each other instead
	 * of deadlocking.
	 */
	if (tx_exec(db, ID_OTT_LOCK_ACCOUNT, p, &res, err) == -1)
		return (-1);
	n = db_res_rows(res);
	db_res_free(res);
	res = NULL;
	if (n == 1 && tx_exec(db, ID_OTT_CONSUME, p, &res, err) == -1)
		return (-1);
	if (n == 1 && (n = db_res_rows(res)) == 1) {
		snprintf(account, 40, "%s", db_str(res, 0, "account_id"));
		if (email != NULL)
			snprintf(email, 256, "%s", db_isnull(res, 0, "email") ?
			    "" : db_str(res, 0, "email"));
	}
	db_res_free(res);
	if (n == 1)
		return (0);
	err->code = DB_OK;
	return (1);
}

/*
 * Addresses.  Every change of address locks the account's row first, so
 * that a change and a verification are ordered: a link proves only the
 * address it was sent to, and only while that address is the account's
 * or the one waiting for its proof.
 */

struct email_tx {
	const char	*account;
	const char	*email;		/* the new address */
	const char	*key;		/* its key */
	const char	*token;		/* verify, undo: the link's token */
	char		 id[40];
	char		 bound[256];	/* the address the link is bound to */
	struct refusal	 no;
};

/* The account's row, locked: its address, key and pending address. */
static int
email_lock(struct db *db, struct email_tx *t, const char *id,
    struct db_res **res, struct db_error *err)
{
	const char	*p[1] = { id };

	if (tx_exec(db, ID_ACCOUNT_EMAIL_LOCK, p, res, err) == -1)
		return (-1);
	if (db_res_rows(*res) == 1)
		return (0);
	db_res_free(*res);
	*res = NULL;
	return (tx_refuse(&t->no.not_found, err));
}

/* -1 and t->no.taken when another account than 'id' has 'key'. */
static int
key_free(struct db *db, struct email_tx *t, const char *id, const char *key,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { key };
	int		 mine;

	if (tx_exec(db, ID_ACCOUNT_KEY_OWNER, p, &res, err) == -1)
		return (-1);
	mine = db_res_rows(res) == 0 || strcmp(db_str(res, 0, "id"), id) == 0;
	db_res_free(res);
	return (mine ? 0 : tx_refuse(&t->no.taken, err));
}

/* The account's address becomes 'email' ('key'); 'proven': just verified. */
static int
email_set(struct db *db, const char *id, const char *email, const char *key,
    int proven, struct db_error *err)
{
	const char	*p[5];
	char		 now[40];

	id_now(now);
	p[0] = id;
	p[1] = email;
	p[2] = key;
	p[3] = proven ? "t" : "f";
	p[4] = now;
	return (tx_exec(db, ID_ACCOUNT_SET_EMAIL, p, NULL, err));
}

static int
email_change_tx(struct db *db, void *arg, struct db_error *err)
{
	struct email_tx	*t = arg;
	struct db_res	*cur = NULL;
	const char	*p[4];
	char		 now[40], old[256];
	int		 same;

	if (email_lock(db, t, t->account, &cur, err) == -1)
		return (-1);
	snprintf(old, sizeof(old), "%s", db_str(cur, 0, "email"));
	same = strcmp(db_str(cur, 0, "email_key"), t->key) == 0;
	db_res_free(cur);
	/* One identity, another spelling: no proof needed. */
	if (same)
		return (strcmp(old, t->email) == 0 ? 0 : email_set(db,
		    t->account, t->email, t->key, 0, err));
	if (key_free(db, t, t->account, t->key, err) == -1)
		return (-1);
	id_now(now);
	p[0] = t->account;
	p[1] = t->email;
	p[2] = now;
	if (tx_exec(db, ID_ACCOUNT_SET_PENDING, p, NULL, err) == -1)
		return (-1);
	/* Links to any address but the current and the new one die. */
	p[3] = old;
	if (tx_exec(db, ID_OTT_INVALIDATE_OTHER, p, NULL, err) == -1)
		return (-1);
	if (id_token_mail(db, t->account, LINK_VERIFY_NEW, t->email, err) ==
	    -1)
		return (-1);
	return (id_token_mail(db, t->account, LINK_UNDO, old, err));
}

int
id_email_change_in(struct db *db, const char *account, const char *email,
    const char *key, enum id_result *why, struct db_error *err)
{
	struct email_tx	 t;
	int		 rc;

	memset(&t, 0, sizeof(t));
	t.account = account;
	t.email = email;
	t.key = key;
	rc = email_change_tx(db, &t, err);
	*why = result_of(rc, &t.no);
	return (rc);
}

/* Spend the link; its account in t->id, its address in t->bound. */
static int
email_spend(struct db *db, struct email_tx *t, const char *purpose,
    struct db_error *err)
{
	int	 rc;

	rc = id_token_consume(db, t->token, purpose, t->id, t->bound, err);
	if (rc == 1 || (rc == 0 && t->bound[0] == '\0'))
		return (tx_refuse(&t->no.bad_link, err));
	return (rc);
}

static int
email_verify_tx(struct db *db, void *arg, struct db_error *err)
{
	struct email_tx	*t = arg;
	struct db_res	*cur = NULL;
	const char	*p[2], *pending;
	char		 key[IDENTITY_EMAIL_KEY_MAX];
	char		 pkey[IDENTITY_EMAIL_KEY_MAX], now[40];
	int		 current;

	if (email_spend(db, t, "verify_email", err) == -1 ||
	    email_lock(db, t, t->id, &cur, err) == -1)
		return (-1);
	(void)identity_email_normalise(t->bound, 0, key, sizeof(key));
	current = strcmp(db_str(cur, 0, "email_key"), key) == 0;
	pkey[0] = '\0';
	if ((pending = db_str(cur, 0, "email_pending")) != NULL)
		(void)identity_email_normalise(pending, 0, pkey, sizeof(pkey));
	db_res_free(cur);
	if (current) {
		id_now(now);
		p[0] = t->id;
		p[1] = now;
		return (tx_exec(db, ID_ACCOUNT_VERIFY_EMAIL, p, NULL, err));
	}
	/* Neither the address nor the one waiting: sent to another. */
	if (strcmp(pkey, key) != 0)
		return (tx_refuse(&t->no.bad_link, err));
	if (key_free(db, t, t->id, key, err) == -1)
		return (-1);
	return (email_set(db, t->id, t->bound, key, 1, err));
}

/* A link's transaction 'fn' on the token: the account in 'id'. */
static enum id_result
email_link(struct db *db, db_tx_fn fn, const char *token, char *id,
    struct db_error *err)
{
	struct email_tx	 t;
	int		 rc;

	memset(&t, 0, sizeof(t));
	t.token = token;
	rc = db_tx(db, fn, &t, err);
	snprintf(id, 40, "%s", t.id);
	return (result_of(rc, &t.no));
}

enum id_result
id_email_verify(struct db *db, const char *token, char *id,
    struct db_error *err)
{
	return (email_link(db, email_verify_tx, token, id, err));
}

static int
email_undo_tx(struct db *db, void *arg, struct db_error *err)
{
	static const enum identity_stmt end[] = { ID_REFRESH_REVOKE_ACCOUNT,
	    ID_ACCOUNT_BUMP_VERSION, ID__COUNT };
	static const char *const dead[] = { "verify_email", "reset_password",
	    NULL };
	struct email_tx	*t = arg;
	struct db_res	*cur = NULL;
	const char	*p[3];
	char		 key[IDENTITY_EMAIL_KEY_MAX], now[40];
	size_t		 i;

	if (email_spend(db, t, "undo_email_change", err) == -1 ||
	    email_lock(db, t, t->id, &cur, err) == -1)
		return (-1);
	db_res_free(cur);
	(void)identity_email_normalise(t->bound, 0, key, sizeof(key));
	if (key_free(db, t, t->id, key, err) == -1 ||
	    email_set(db, t->id, t->bound, key, 1, err) == -1)
		return (-1);
	/* Whoever changed it loses every session and every live link. */
	id_now(now);
	p[0] = t->id;
	p[2] = now;
	for (i = 0; dead[i] != NULL; i++) {
		p[1] = dead[i];
		if (tx_exec(db, ID_OTT_INVALIDATE, p, NULL, err) == -1)
			return (-1);
	}
	p[1] = now;
	return (tx_steps(db, end, p, err));
}

enum id_result
id_email_undo(struct db *db, const char *token, char *id,
    struct db_error *err)
{
	return (email_link(db, email_undo_tx, token, id, err));
}

/* Agents. */

struct agent_tx {
	const struct agent_spec	*spec;
	char			 key[IDENTITY_EMAIL_KEY_MAX];
	const char		*id;		/* an existing agent */
	const enum identity_stmt *steps;	/* agent_steps_tx() */
	char			 new_id[40];
	struct refusal		 no;
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
				t->no.bad_department = p[1];
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
	const char		*p[17];
	char			 now[40], step[8];

	id_now(now);
	memset(p, 0, sizeof(p));
	p[0] = s->email;
	p[16] = t->key;
	/* No password until the agent sets one from the invitation. */
	p[1] = s->password_hash != NULL ? s->password_hash : "!invited";
	p[2] = s->name;
	p[3] = s->locale != NULL ? s->locale : "fr";
	p[4] = "permanent_resident";
	p[15] = now;
	if (tx_exec(db, ID_ACCOUNT_INSERT, p, &res, err) == -1) {
		if (err->code == DB_E_UNIQUE)
			t->no.taken = 1;
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
	return (id_token_mail(db, t->new_id, LINK_INVITATION, s->email, err));
}


enum id_result
id_agent_create(struct db *db, const struct agent_spec *spec, char *id,
    const char **bad, struct db_error *err)
{
	struct agent_tx	 t;
	int		 rc;

	memset(&t, 0, sizeof(t));
	t.spec = spec;
	/* A new address: it must be able to be an identity. */
	if (identity_email_normalise(spec->email, 1, t.key, sizeof(t.key)) !=
	    EMAIL_OK) {
		snprintf(id, 40, "%s", "");
		err->code = DB_OK;
		return (IDR_REFUSED);
	}
	if (identity_email_keys_ready(db, err) == -1)
		return (IDR_DB);
	rc = db_tx(db, agent_create_tx, &t, err);
	snprintf(id, 40, "%s", rc == 0 ? t.new_id : "");
	return (result_of_agent(rc, &t.no, bad));
}

/* Lock the agent's row: -1 with t->no.not_found when there is none. */
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
	return (n == 1 ? 0 : tx_refuse(&t->no.not_found, err));
}

static int
agent_update_tx(struct db *db, void *arg, struct db_error *err)
{
	struct agent_tx	*t = arg;

	if (agent_lock(db, t, err) == -1)
		return (-1);
	return (agent_set(db, t, t->id, err));
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
	const char		*p[2] = { t->id, NULL };
	char			 now[40];

	if (agent_lock(db, t, err) == -1)
		return (-1);
	id_now(now);
	p[1] = now;
	return (tx_steps(db, t->steps, p, err));
}

/* An operation on an existing agent: 'spec' for new roles, else steps. */
static enum id_result
agent_run(struct db *db, const char *id, const struct agent_spec *spec,
    const enum identity_stmt *steps, const char **bad, struct db_error *err)
{
	struct agent_tx	 t;

	memset(&t, 0, sizeof(t));
	t.id = id;
	t.spec = spec;
	t.steps = steps;
	return (result_of_agent(db_tx(db, spec != NULL ? agent_update_tx :
	    agent_steps_tx, &t, err), &t.no, bad));
}

enum id_result
id_agent_update(struct db *db, const char *id, const struct agent_spec *spec,
    const char **bad, struct db_error *err)
{
	return (agent_run(db, id, spec, NULL, bad, err));
}

enum id_result
id_agent_block(struct db *db, const char *id, struct db_error *err)
{
	static const enum identity_stmt steps[] = { ID_ACCOUNT_BLOCK,
	    ID_REFRESH_REVOKE_ACCOUNT, ID__COUNT };

	return (agent_run(db, id, NULL, steps, NULL, err));
}

enum id_result
id_agent_totp_reset(struct db *db, const char *id, struct db_error *err)
{
	static const enum identity_stmt steps[] = { ID_AGENT_TOTP_RESET,
	    ID_REFRESH_REVOKE_ACCOUNT, ID_ACCOUNT_BUMP_VERSION, ID__COUNT };

	return (agent_run(db, id, NULL, steps, NULL, err));
}

/* Partner clients. */

enum id_result
id_client_create(struct db *db, const char *name, const char *scopes,
    int rate, char *id_out, char *secret_out, struct db_error *err)
{
	unsigned char	 raw[8];
	char		 hex[65], now[40], rate_s[16];
	const char	*p[6];

	if (random_fill(raw, sizeof(raw)) == -1 ||
	    random_token(secret_out, 64) == -1) {
		err->code = DB_E_INTERNAL;
		return (IDR_DB);
	}
	memcpy(id_out, "cl_", 3);
	hex_encode(raw, sizeof(raw), id_out + 3);
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
