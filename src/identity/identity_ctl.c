/*
 * identity_ctl.c: guichetctl's identity commands (agents, partner clients,
 * token keys, the outbox) and the demo accounts.  The same statements as
 * the HTTP handlers; secrets are printed once and stored hashed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "auth/password.h"
#include "auth/policy.h"
#include "auth/token.h"
#include "auth/totp.h"
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

static int
exec_or_say(struct db *db, enum identity_stmt st, const char *const *p,
    struct db_res **res)
{
	struct db_error	 err;

	if (db_exec(db, ID_STMT(st), p, res, &err) == -1) {
		fprintf(stderr, "guichetctl: %s\n", err.code == DB_E_UNIQUE ?
		    "that already exists" : err.code == DB_E_UNAVAILABLE ?
		    "the database is unavailable" : err.code == DB_E_CHECK ?
		    "a value was refused by the database rules" :
		    "the database refused the change");
		return (-1);
	}
	return (0);
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

/* Comma list -> space list, each item checked by 'ok'; -1 on a bad item. */
static int
list_arg(const char *s, char *out, size_t len, unsigned (*ok)(const char *))
{
	char	*copy, *item, *save = NULL;
	size_t	 used = 0;
	int	 rc = 0;

	out[0] = '\0';
	copy = xstrdup(s);
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if (ok != NULL && ok(item) == 0) {
			fprintf(stderr, "guichetctl: unknown value '%s'\n", item);
			rc = -1;
			break;
		}
		used += (size_t)snprintf(out + used, len - used, "%s%s",
		    used > 0 ? " " : "", item);
		if (used >= len) {
			rc = -1;
			break;
		}
	}
	free(copy);
	return (rc);
}

/*
 * Create an agent; 'password' NULL sends an invitation (reset link) to the
 * outbox instead.  Prints the account id.
 */
static int
agent_add(struct db *db, const char *email, const char *name,
    const char *roles, const char *depts, const char *password,
    const char *totp_secret, char *id_out)
{
	struct db_res	*res = NULL;
	const char	*p[16];
	char		 now[40], hash[PASSWORD_HASH_MAX], rl[128], step[8];
	char		*copy, *d, *save = NULL;
	struct db_error	 err;

	if (!json_format_ok(JF_EMAIL, email))
		return (fail("'%s' is not an email address", email));
	if (list_arg(roles, rl, sizeof(rl), role_from_name) == -1 ||
	    rl[0] == '\0')
		return (fail("%s", "--roles needs agent, supervisor, admin "
		    "and/or dpo"));
	if (password != NULL) {
		if (password_strength(password, email, name) != PASSWORD_OK)
			return (fail("%s", "the password is too weak (12 "
			    "characters at least, not a common one)"));
		if (password_hash(password, hash, sizeof(hash)) == -1)
			return (fail("%s", "hashing failed"));
	} else
		snprintf(hash, sizeof(hash), "!invited");
	if (db_exec_sql(db, "BEGIN", &err) == -1)
		return (fail("%s", "the database is unavailable"));
	id_now(now);
	memset(p, 0, sizeof(p));
	p[0] = email;
	p[1] = hash;
	p[2] = name;
	p[3] = "fr";
	p[4] = "permanent_resident";
	p[15] = now;
	if (exec_or_say(db, ID_ACCOUNT_INSERT, p, &res) == -1)
		goto rollback;
	snprintf(id_out, 40, "%s", db_res_get(res, 0, 0));
	db_res_free(res);
	p[0] = id_out;
	p[1] = rl;
	p[2] = now;
	if (exec_or_say(db, ID_AGENT_INSERT, p, NULL) == -1)
		goto rollback;
	if (depts != NULL && *depts != '\0') {
		copy = xstrdup(depts);
		for (d = strtok_r(copy, ",", &save); d != NULL;
		    d = strtok_r(NULL, ",", &save)) {
			p[1] = d;
			if (exec_or_say(db, ID_DEPARTMENT_EXISTS, p + 1, &res)
			    == -1 || db_res_rows(res) != 1) {
				db_res_free(res);
				free(copy);
				fail("unknown department '%s'", d);
				goto rollback;
			}
			db_res_free(res);
			if (exec_or_say(db, ID_AGENT_DEPT_ADD, p, NULL) == -1) {
				free(copy);
				goto rollback;
			}
		}
		free(copy);
	}
	if (totp_secret != NULL) {
		p[1] = totp_secret;
		if (exec_or_say(db, ID_AGENT_TOTP_SET, p, NULL) == -1)
			goto rollback;
		snprintf(step, sizeof(step), "-1");
		p[1] = now;
		p[2] = step;
		if (exec_or_say(db, ID_AGENT_TOTP_ENROL, p, NULL) == -1)
			goto rollback;
	}
	if (password == NULL) {
		/* The agent chooses a password from the invitation. */
		char	 tok[64], th[72], exp[40];
		json_t	*o;

		if (id_random_token(tok, sizeof(tok)) == -1)
			goto rollback;
		id_sha256_bytea(tok, th);
		id_now_plus(7 * 86400, exp);
		p[0] = id_out;
		p[1] = "reset_password";
		p[2] = th;
		p[3] = now;
		p[4] = exp;
		if (exec_or_say(db, ID_OTT_INSERT, p, NULL) == -1)
			goto rollback;
		o = json_pack("{s:s, s:s}", "token", tok, "expires_at", exp);
		if (identity_mail(db, id_out, "agent_invitation", o, NULL,
		    &err) != 0) {
			json_decref(o);
			fail("%s", "the invitation could not be queued");
			goto rollback;
		}
		json_decref(o);
	}
	if (db_exec_sql(db, "COMMIT", &err) == -1)
		return (fail("%s", "the change could not be committed"));
	return (0);
rollback:
	(void)db_exec_sql(db, "ROLLBACK", NULL);
	return (-1);
}

int
identity_ctl_agent(struct ctl_ctx *ctl)
{
	struct db		*db = ctl->db;
	const struct conf	*c = ctl->conf;
	char			**argv = ctl->argv;
	int			 argc = ctl->argc;
	struct db_res	*res = NULL;
	const char	*p[2];
	char		 id[40], now[40];
	int		 i;

	(void)c;
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
			printf("%-36s  %-8s  %-28s  %s\n", db_res_get(res, i, 0),
			    db_res_get(res, i, 21), db_res_get(res, i, 18),
			    db_res_get(res, i, 19) != NULL ?
			    db_res_get(res, i, 19) : "[]");
		db_res_free(res);
		return (0);
	}
	if (argc >= 2 && strcmp(argv[0], "block") == 0) {
		if (!json_format_ok(JF_UUID, argv[1]))
			return (fail("'%s' is not an agent id", argv[1]));
		p[0] = argv[1];
		if (exec_or_say(db, ID_AGENT_GET, p, &res) == -1)
			return (-1);
		if (db_res_rows(res) != 1) {
			db_res_free(res);
			return (fail("no agent %s", argv[1]));
		}
		db_res_free(res);
		id_now(now);
		p[1] = now;
		if (exec_or_say(db, ID_ACCOUNT_BLOCK, p, NULL) == -1 ||
		    exec_or_say(db, ID_REFRESH_REVOKE_ACCOUNT, p, NULL) == -1)
			return (-1);
		printf("agent %s blocked; its tokens are revoked\n", argv[1]);
		return (0);
	}
	if (argc >= 2 && strcmp(argv[0], "reset-totp") == 0) {
		if (!json_format_ok(JF_UUID, argv[1]))
			return (fail("'%s' is not an agent id", argv[1]));
		p[0] = argv[1];
		if (exec_or_say(db, ID_AGENT_GET, p, &res) == -1)
			return (-1);
		if (db_res_rows(res) != 1) {
			db_res_free(res);
			return (fail("no agent %s", argv[1]));
		}
		db_res_free(res);
		id_now(now);
		p[1] = now;
		if (exec_or_say(db, ID_AGENT_TOTP_RESET, p, NULL) == -1 ||
		    exec_or_say(db, ID_REFRESH_REVOKE_ACCOUNT, p, NULL) == -1 ||
		    exec_or_say(db, ID_ACCOUNT_BUMP_VERSION, p, NULL) == -1)
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
	unsigned char	 raw[8];
	char		 sc[256], hex[65], now[40], rate_s[16];
	const char	*p[6];
	int		 i;

	if (list_arg(scopes, sc, sizeof(sc), scope_from_name) == -1 ||
	    sc[0] == '\0')
		return (fail("%s", "--scopes needs one or more of "
		    "incidents:read, incidents:write, lifts:write, "
		    "shuttles:write, cases:read, open311"));
	if (RAND_bytes(raw, sizeof(raw)) != 1 ||
	    id_random_token(secret_out, 64) == -1)
		return (fail("%s", "no random bytes"));
	snprintf(id_out, 24, "cl_");
	for (i = 0; i < 8; i++)
		snprintf(id_out + 3 + 2 * i, 3, "%02x", raw[i]);
	id_sha256_hex(secret_out, hex);
	id_now(now);
	snprintf(rate_s, sizeof(rate_s), "%d", rate);
	p[0] = id_out;
	p[1] = name;
	p[2] = hex;
	p[3] = sc;
	p[4] = rate_s;
	p[5] = now;
	return (exec_or_say(db, ID_CLIENT_INSERT, p, NULL));
}

int
identity_ctl_client(struct ctl_ctx *ctl)
{
	struct db		*db = ctl->db;
	const struct conf	*c = ctl->conf;
	char			**argv = ctl->argv;
	int			 argc = ctl->argc;
	struct db_res	*res = NULL;
	const char	*p[2], *r;
	char		 id[24], secret[64], now[40], *end;
	long		 rate = 600;
	int		 i;

	(void)c;
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
		for (i = 0; i < db_res_rows(res); i++)
			printf("%-19s  %-7s  %-6s  %-20s  %-24s  %s\n",
			    db_res_get(res, i, 0), strcmp(db_res_get(res, i, 5),
			    "t") == 0 ? "revoked" : "active",
			    db_res_get(res, i, 3), db_res_get(res, i, 4),
			    db_res_get(res, i, 1), db_res_get(res, i, 2));
		db_res_free(res);
		return (0);
	}
	if (argc >= 2 && strcmp(argv[0], "revoke") == 0) {
		id_now(now);
		p[0] = argv[1];
		p[1] = now;
		if (exec_or_say(db, ID_CLIENT_REVOKE, p, &res) == -1)
			return (-1);
		if (db_res_affected(res) != 1) {
			db_res_free(res);
			return (fail("no active client %s", argv[1]));
		}
		db_res_free(res);
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
 * Demo: a resident, an agent, an administrator with a known TOTP secret,
 * and a partner client.  Known passwords: a demo town only.
 */
int
identity_ctl_demo(struct ctl_ctx *ctl)
{
	struct db	*db = ctl->db;
	static const char demo_secret[] = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
	struct db_res	*res = NULL;
	const char	*p[16];
	char		 id[40], hash[PASSWORD_HASH_MAX], now[40];
	char		 cid[24], secret[64];

	p[0] = "resident@demo.guichet.test";
	if (exec_or_say(db, ID_ACCOUNT_LOGIN, p, &res) == -1)
		return (-1);
	if (db_res_rows(res) == 1) {
		db_res_free(res);
		printf("demo accounts already exist (see the first run's "
		    "output)\n");
		return (0);
	}
	db_res_free(res);
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
	if (exec_or_say(db, ID_ACCOUNT_INSERT, p, NULL) == -1)
		return (-1);
	if (agent_add(db, "agent@demo.guichet.test", "Dominique Agent",
	    "agent", "services_techniques", "demo-agent-2026", NULL, id) == -1)
		return (-1);
	if (agent_add(db, "admin@demo.guichet.test", "Alex Admin",
	    "admin,supervisor,dpo", "mairie", "demo-admin-2026", demo_secret,
	    id) == -1)
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
