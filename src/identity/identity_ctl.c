/*
 * identity_ctl.c: guichetctl's identity commands (agents, partner clients,
 * token keys) and the demo accounts.  They parse their arguments, call
 * the business operations the HTTP handlers call (identity_ops.c) and
 * print the outcome; secrets are printed once and stored hashed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/password.h"
#include "auth/policy.h"
#include "auth/token.h"
#include "auth/totp.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/conf.h"
#include "core/module.h"
#include "base/xmalloc.h"
#include "db/db.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "json/check.h"

static int	fail(const char *, ...) __attribute__((format(printf, 1, 2)));

static int
fail(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "guichetctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return (-1);
}

/* A database failure, said once. */
static int
db_fail(const struct db_error *err)
{
	return (fail("%s", err->code == DB_E_UNIQUE ? "that already exists" :
	    err->code == DB_E_UNAVAILABLE ? "the database is unavailable" :
	    err->code == DB_E_CHECK ? "a value was refused by the database "
	    "rules" : "the database refused the change"));
}

static int
exec_or_say(struct db *db, enum identity_stmt st, const char *const *p,
    struct db_res **res)
{
	struct db_error	 err;

	if (db_exec(db, ID_STMT(st), p, res, &err) == -1)
		return (db_fail(&err));
	return (0);
}

/* An operation's outcome, said; 0 when it went through. */
static int
result_say(enum id_result r, const char *what, const char *id,
    const char *bad, const struct db_error *err)
{
	switch (r) {
	case IDR_OK:
		return (0);
	case IDR_NOT_FOUND:
		return (fail("no %s %s", what, id));
	case IDR_TAKEN:
		return (fail("%s", "an account already exists for this email "
		    "address"));
	case IDR_BAD_DEPARTMENT:
		return (fail("unknown department '%s'", bad));
	case IDR_REFUSED:
		return (fail("'%s' cannot serve as an identity: a character "
		    "case rules change, mixed scripts or an invalid domain",
		    id));
	case IDR_BAD_LINK:
	case IDR_DB:
		break;
	}
	return (db_fail(err));
}

/* "--name value" style options after positional arguments. */
static const char *
opt(char **argv, int argc, const char *name)
{
	int	 i;

	for (i = 0; i < argc - 1; i++)
		if (strcmp(argv[i], name) == 0)
			return (argv[i + 1]);
	return (NULL);
}

/*
 * Comma list -> JSON array of its items, each checked by 'ok' (may be
 * NULL); NULL on a bad item (said).
 */
static json_t *
list_arg(const char *s, unsigned (*ok)(const char *))
{
	json_t	*a = json_array();
	char	*copy, *item, *save = NULL;

	copy = xstrdup(s != NULL ? s : "");
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if (ok != NULL && ok(item) == 0) {
			fprintf(stderr, "guichetctl: unknown value '%s'\n", item);
			json_decref(a);
			a = NULL;
			break;
		}
		json_array_append_new(a, json_string(item));
	}
	free(copy);
	return (a);
}

/*
 * Create an agent: invited by mail to choose a password, unless
 * 'password' (the demo) is given.  Its id in 'id_out'.
 */
static int
agent_add(struct db *db, const char *email, const char *name,
    const char *roles, const char *depts, const char *password,
    const char *totp_secret, char *id_out)
{
	struct agent_spec	 s;
	struct db_error		 err;
	const char		*bad = NULL;
	char			 hash[PASSWORD_HASH_MAX];
	int			 rc = -1;

	memset(&s, 0, sizeof(s));
	if (!json_format_ok(JF_EMAIL, email))
		return (fail("'%s' is not an email address", email));
	if ((s.roles = list_arg(roles, role_from_name)) == NULL ||
	    json_array_size(s.roles) == 0) {
		json_decref((json_t *)s.roles);
		return (fail("%s", "--roles needs agent, supervisor, admin "
		    "and/or dpo"));
	}
	s.departments = list_arg(depts, NULL);
	if (password != NULL) {
		if (password_strength(password, email, name) != PASSWORD_OK) {
			fail("%s", "the password is too weak (12 characters "
			    "at least, not a common one)");
			goto out;
		}
		if (password_hash(password, hash, sizeof(hash)) == -1) {
			fail("%s", "hashing failed");
			goto out;
		}
		s.password_hash = hash;
	}
	s.email = email;
	s.name = name;
	s.totp_secret = totp_secret;
	rc = result_say(id_agent_create(db, &s, id_out, &bad, &err), "agent",
	    email, bad, &err);
out:
	json_decref((json_t *)s.roles);
	json_decref((json_t *)s.departments);
	return (rc);
}

/* "block ID" and "reset-totp ID": the id checked, the operation run. */
static int
agent_op(struct ctl_ctx *ctl, enum id_result (*op)(struct db *,
    const char *, struct db_error *))
{
	struct db_error	 err;
	const char	*id = ctl->argv[1];

	if (!json_format_ok(JF_UUID, id))
		return (fail("'%s' is not an agent id", id));
	return (result_say(op(ctl->db, id, &err), "agent", id, NULL, &err));
}

int
identity_ctl_agent(struct ctl_ctx *ctl)
{
	struct db	*db = ctl->db;
	char		**argv = ctl->argv;
	int		 argc = ctl->argc;
	struct db_res	*res = NULL;
	const char	*p[2];
	char		 id[40];
	int		 i;

	if (argc >= 2 && strcmp(argv[0], "add") == 0) {
		if (agent_add(db, argv[1], opt(argv, argc, "--name") != NULL ?
		    opt(argv, argc, "--name") : argv[1],
		    opt(argv, argc, "--roles") != NULL ?
		    opt(argv, argc, "--roles") : "agent",
		    opt(argv, argc, "--departments"), NULL, NULL, id) == -1)
			return (-1);
		printf("agent %s created; an invitation to choose a password "
		    "is in the outbox (guichetctl outbox list)\n", id);
		return (0);
	}
	if (argc >= 1 && strcmp(argv[0], "list") == 0) {
		p[0] = "";
		p[1] = "100000";
		if (exec_or_say(db, ID_AGENT_LIST, p, &res) == -1)
			return (-1);
		printf("%-36s  %-8s  %-28s  %s\n", "id", "status", "roles",
		    "departments");
		for (i = 0; i < db_res_rows(res); i++)
			printf("%-36s  %-8s  %-28s  %s\n", db_str(res, i, "id"),
			    db_str(res, i, "status"), db_str(res, i, "roles"),
			    db_isnull(res, i, "departments") ? "[]" :
			    db_str(res, i, "departments"));
		db_res_free(res);
		return (0);
	}
	if (argc >= 2 && strcmp(argv[0], "block") == 0) {
		if (agent_op(ctl, id_agent_block) == -1)
			return (-1);
		printf("agent %s blocked; its tokens are revoked\n", argv[1]);
		return (0);
	}
	if (argc >= 2 && strcmp(argv[0], "reset-totp") == 0) {
		if (agent_op(ctl, id_agent_totp_reset) == -1)
			return (-1);
		printf("agent %s: second factor removed, sessions revoked; it "
		    "enrols again after signing in with its password\n",
		    argv[1]);
		return (0);
	}
	return (fail("%s", "usage: guichetctl agent add EMAIL [--name NAME] "
	    "[--roles r1,r2] [--departments d1,d2] | list | block ID | "
	    "reset-totp ID"));
}

/* Create a client; prints the id and the secret (shown once). */
static int
client_add(struct db *db, const char *name, const char *scopes, int rate,
    char *id_out, char *secret_out)
{
	struct db_error	 err;
	struct buf	 sc;
	json_t		*list;
	size_t		 i;
	int		 rc;

	if ((list = list_arg(scopes, scope_from_name)) == NULL ||
	    json_array_size(list) == 0) {
		json_decref(list);
		return (fail("%s", "--scopes needs one or more of "
		    "incidents:read, incidents:write, lifts:write, "
		    "shuttles:write, cases:read, open311"));
	}
	buf_init(&sc);
	for (i = 0; i < json_array_size(list); i++)
		buf_addf(&sc, "%s%s", i > 0 ? " " : "",
		    json_string_value(json_array_get(list, i)));
	json_decref(list);
	rc = result_say(id_client_create(db, name, sc.data, rate, id_out,
	    secret_out, &err), "client", name, NULL, &err);
	buf_cleanup(&sc);
	return (rc);
}

int
identity_ctl_client(struct ctl_ctx *ctl)
{
	struct db	*db = ctl->db;
	char		**argv = ctl->argv;
	int		 argc = ctl->argc;
	struct db_res	*res = NULL;
	struct db_error	 err;
	const char	*r;
	char		 id[24], secret[64], created[40], *end;
	long		 rate = 600;
	int		 i;

	if (argc >= 2 && strcmp(argv[0], "add") == 0) {
		if (opt(argv, argc, "--scopes") == NULL)
			return (fail("%s", "usage: guichetctl client add NAME "
			    "--scopes s1,s2 [--rate-limit N]"));
		if ((r = opt(argv, argc, "--rate-limit")) != NULL) {
			rate = strtol(r, &end, 10);
			if (*r == '\0' || *end != '\0' || rate < 1 ||
			    rate > 1000000)
				return (fail("--rate-limit '%s' must be 1 to "
				    "1000000 requests per minute", r));
		}
		if (client_add(db, argv[1], opt(argv, argc, "--scopes"),
		    (int)rate, id, secret) == -1)
			return (-1);
		printf("client_id:     %s\nclient_secret: %s\n(the secret is "
		    "shown once: it is stored hashed)\n", id, secret);
		return (0);
	}
	if (argc >= 1 && strcmp(argv[0], "list") == 0) {
		if (exec_or_say(db, ID_CLIENT_LIST, NULL, &res) == -1)
			return (-1);
		printf("%-19s  %-7s  %-6s  %-20s  %-24s  %s\n", "id", "status",
		    "rate", "created", "name", "scopes");
		for (i = 0; i < db_res_rows(res); i++) {
			clock_format(db_time(res, i, "created_at"), created,
			    sizeof(created));
			printf("%-19s  %-7s  %-6s  %-20s  %-24s  %s\n",
			    db_str(res, i, "id"), db_bool(res, i, "revoked") ?
			    "revoked" : "active", db_str(res, i, "rate_limit"),
			    created, db_str(res, i, "name"),
			    db_str(res, i, "scopes"));
		}
		db_res_free(res);
		return (0);
	}
	if (argc >= 2 && strcmp(argv[0], "revoke") == 0) {
		if (id_client_revoke(db, argv[1], &err) != IDR_OK)
			return (fail("no active client %s", argv[1]));
		printf("client %s revoked\n", argv[1]);
		return (0);
	}
	return (fail("%s", "usage: guichetctl client add NAME --scopes s1,s2 "
	    "[--rate-limit N] | list | revoke ID"));
}

int
identity_ctl_keys(struct ctl_ctx *ctl)
{
	struct db		*db = ctl->db;
	const struct conf	*c = ctl->conf;
	char			**argv = ctl->argv;
	int			 argc = ctl->argc;
	const char	*alg;
	char		 err[512];

	(void)db;
	if (argc >= 1 && strcmp(argv[0], "rotate") == 0) {
		if (c->jwt_key_file[0] == '\0')
			return (fail("%s", "set jwt_key_file (or --jwt-key-file "
			    "PATH) to the key file to create or rotate"));
		alg = opt(argv, argc, "--alg");
		/* A new key file is HS256 unless told otherwise. */
		if (alg == NULL && access(c->jwt_key_file, F_OK) == -1)
			alg = "HS256";
		if (token_keys_rotate(c->jwt_key_file, alg, err, sizeof(err))
		    == -1)
			return (fail("%s", err));
		printf("a new signing key is in %s; the previous one still "
		    "verifies (guichetd reloads the file by itself)\n",
		    c->jwt_key_file);
		return (0);
	}
	return (fail("%s", "usage: guichetctl keys rotate [--alg HS256|ES256|"
	    "RS256]"));
}

/*
 * A demo account's address is taken as verified: its mail (acknowledgements,
 * decisions, assignments) then reaches the development catcher
 * (tools/dev mail) as a real account's would once verified.
 */
static int
demo_verified(struct db *db, const char *id, const char *now)
{
	const char	*p[2] = { id, now };

	return (exec_or_say(db, ID_ACCOUNT_VERIFY_EMAIL, p, NULL));
}

/*
 * Demo: a resident, an agent, an administrator with a known TOTP secret,
 * and a partner client.  Known passwords: a demo town only.
 */
int
identity_ctl_demo(struct ctl_ctx *ctl)
{
	struct db	*db = ctl->db;
	static const char demo_secret[] = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
	struct db_res	*res = NULL;
	const char	*p[17];
	char		 id[40], hash[PASSWORD_HASH_MAX], now[40];
	char		 cid[24], secret[64];
	int		 n;

	p[0] = "resident@demo.guichet.test";
	if (exec_or_say(db, ID_ACCOUNT_LOGIN, p, &res) == -1)
		return (-1);
	n = db_res_rows(res);
	db_res_free(res);
	if (n == 1) {
		printf("demo accounts already exist (see the first run's "
		    "output)\n");
		return (0);
	}
	if (password_hash("demo-resident-2026", hash, sizeof(hash)) == -1)
		return (-1);
	id_now(now);
	memset(p, 0, sizeof(p));
	p[0] = "resident@demo.guichet.test";
	p[1] = hash;
	p[2] = "Camille Demo";
	p[3] = "fr";
	p[4] = "permanent_resident";
	p[11] = "1 route d'Italie";
	p[12] = "05100";
	p[13] = "Montgenèvre";
	p[14] = "05085";
	p[15] = now;
	p[16] = "resident@demo.guichet.test";
	if (exec_or_say(db, ID_ACCOUNT_INSERT, p, &res) == -1)
		return (-1);
	snprintf(id, sizeof(id), "%s", db_str(res, 0, "id"));
	db_res_free(res);
	if (demo_verified(db, id, now) == -1)
		return (-1);
	if (agent_add(db, "agent@demo.guichet.test", "Dominique Agent",
	    "agent", "services_techniques", "demo-agent-2026", NULL, id) == -1 ||
	    demo_verified(db, id, now) == -1)
		return (-1);
	if (agent_add(db, "admin@demo.guichet.test", "Alex Admin",
	    "admin,supervisor,dpo", "mairie", "demo-admin-2026", demo_secret,
	    id) == -1 || demo_verified(db, id, now) == -1)
		return (-1);
	if (client_add(db, "Demo lift operator", "lifts:write,incidents:read",
	    600, cid, secret) == -1)
		return (-1);
	printf("demo accounts (password grant at POST /api/v1/auth/token):\n"
	    "  resident  resident@demo.guichet.test  demo-resident-2026\n"
	    "  agent     agent@demo.guichet.test     demo-agent-2026 "
	    "(enrol TOTP at POST /api/v1/me/totp)\n"
	    "  admin     admin@demo.guichet.test     demo-admin-2026 "
	    "+ otp from TOTP secret %s (oathtool --totp -b %s)\n"
	    "demo partner client (client_credentials):\n"
	    "  client_id %s  client_secret %s  scopes lifts:write "
	    "incidents:read\n", demo_secret, demo_secret, cid, secret);
	return (0);
}
