/*
 * t3007-route-matrix: the authorization matrix, generated from the route
 * table itself (reference C1, C4).  Every route of src/app/routes.c is
 * called by five principals (anonymous, a resident, an agent and an
 * administrator who both signed in with their second factor, a partner
 * client holding every scope), and the answer must be what the route's
 * permission says: 401 for the anonymous where a sign-in is needed, 403
 * from the policy choke point for a principal who lacks the right, and
 * neither for those who have it (nor ever on a public route); no 5xx.  A route added to the table is covered
 * without touching this file; a new permission kind does not compile
 * without its expectation here (-Wswitch), and a route without a
 * permission (PERM_UNSET) fails.
 *
 * What is "the policy refused" and what is "the handler refused" (a
 * resident asking for a second factor is told 403 by the handler: agents
 * only) is told apart by the server's log: the choke point logs "request
 * <id>: ... denied to ..." for the request id the test sends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/app.h"
#include "auth/policy.h"
#include "base/conf.h"
#include "base/random.h"
#include "http/route.h"
#include "idlib.h"

/* A second factor for the demo agent, set in the template. */
#define AGENT_TOTP	"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static struct {
	char	 id[40];
	char	 secret[80];
	unsigned scopes;
}		 partner;

enum who { WHO_ANONYMOUS, WHO_RESIDENT, WHO_AGENT, WHO_ADMIN, WHO_PARTNER,
    WHO__COUNT };

static const char *const who_names[WHO__COUNT] = { "anonymous", "resident",
    "agent", "admin", "partner" };

/* What each principal is, as the tokens below make them. */
struct principal_model {
	int	 signed_in;
	int	 person;
	int	 mfa;
	unsigned roles;		/* ROLE_* */
	unsigned scopes;	/* SCOPE_* */
	char	 departments[512];	/* " d1 d2 " (persons: the database's) */
};

enum expect { EXPECT_ALLOW, EXPECT_401, EXPECT_403 };

static int
has_role(const struct principal_model *m, unsigned roles)
{
	return (m->person && m->mfa && (m->roles & roles) != 0);
}

static enum expect
deny(const struct principal_model *m)
{
	return (m->signed_in ? EXPECT_403 : EXPECT_401);
}

static enum expect
by_scope(const struct principal_model *m, unsigned scope)
{
	if (scope == 0)
		return (deny(m));
	if (!m->signed_in)
		return (EXPECT_401);
	return (!m->person && (m->scopes & scope) != 0 ? EXPECT_ALLOW :
	    EXPECT_403);
}

/* Staff with mfa of 'department' (PERM_OPERATOR), or a client by scope. */
static enum expect
by_operator(const struct principal_model *m, const char *scope,
    const char *department)
{
	char	*word;
	int	 in;

	if (!m->signed_in || !m->person)
		return (by_scope(m, scope_from_name(scope)));
	word = harness_printf(" %s ", department != NULL ? department : "");
	in = strstr(m->departments, word) != NULL;
	free(word);
	return (in && has_role(m, ROLE_AGENT | ROLE_SUPERVISOR | ROLE_ADMIN |
	    ROLE_DPO) ? EXPECT_ALLOW : EXPECT_403);
}

/* The expectation, by permission: no default, so -Wswitch names a new one. */
static enum expect
expected(enum perm p, const char *scope, const char *department,
    const struct principal_model *m)
{
	switch (p) {
	case PERM_PUBLIC:
		return (EXPECT_ALLOW);
	case PERM_SELF:
		return (!m->signed_in ? EXPECT_401 : m->person ? EXPECT_ALLOW :
		    EXPECT_403);
	case PERM_AGENT:
		return (has_role(m, ROLE_AGENT | ROLE_SUPERVISOR | ROLE_ADMIN |
		    ROLE_DPO) ? EXPECT_ALLOW : deny(m));
	case PERM_SUPERVISOR:
		return (has_role(m, ROLE_SUPERVISOR) ? EXPECT_ALLOW : deny(m));
	case PERM_ADMIN:
		return (has_role(m, ROLE_ADMIN) ? EXPECT_ALLOW : deny(m));
	case PERM_DPO:
		return (has_role(m, ROLE_DPO) ? EXPECT_ALLOW : deny(m));
	case PERM_SCOPE:
		return (by_scope(m, scope_from_name(scope)));
	case PERM_OPERATOR:
		return (by_operator(m, scope, department));
	case PERM_UNSET:
	case PERM__COUNT:
		/* Default deny (test_no_route_unset fails on these anyway). */
		return (deny(m));
	}
	return (deny(m));
}

static unsigned
roles_of(const json_t *claims)
{
	json_t	*v;
	size_t	 i;
	unsigned r = 0;

	json_array_foreach(json_object_get(claims, "roles"), i, v)
		if (json_is_string(v))
			r |= role_from_name(json_string_value(v));
	return (r);
}

static unsigned
scopes_of(const char *scope)
{
	char	*copy, *t, *save = NULL;
	unsigned s = 0;

	if (scope == NULL)
		return (0);
	copy = strdup(scope);
	for (t = strtok_r(copy, " ", &save); t != NULL; t = strtok_r(NULL, " ",
	    &save))
		s |= scope_from_name(t);
	free(copy);
	return (s);
}

/* The model of a principal, read from its token (claims win over hopes). */
static void
model_of(const struct idenv *e, const char *token, struct principal_model *m)
{
	json_t	*c;
	char	*d;

	memset(m, 0, sizeof(*m));
	if (token == NULL)
		return;
	c = idl_jwt_json(token, 1);
	ck_assert_msg(c != NULL, "a token does not decode");
	m->signed_in = 1;
	m->person = idl_jstr(c, "kind") != NULL &&
	    strcmp(idl_jstr(c, "kind"), "person") == 0;
	m->mfa = json_is_true(json_object_get(c, "mfa"));
	m->roles = roles_of(c);
	m->scopes = scopes_of(idl_jstr(c, "scope"));
	if (m->person && idl_jstr(c, "sub") != NULL) {
		d = idl_sql(e, "SELECT coalesce(string_agg(department, ' '), '') "
		    "FROM identity.agent_departments WHERE account_id = '%s'",
		    idl_jstr(c, "sub"));
		snprintf(m->departments, sizeof(m->departments), " %s ",
		    d != NULL ? d : "");
		free(d);
	}
	json_decref(c);
}

static char *
partner_token(const struct idenv *e)
{
	json_t	*j;
	char	*at;
	long	 st;

	j = idl_sendj(e, "POST", "/api/v1/auth/token", NULL,
	    json_pack("{s:s, s:s, s:s}", "grant_type", "client_credentials",
	    "client_id", partner.id, "client_secret", partner.secret), &st);
	ck_assert_msg(st == 200 && idl_jstr(j, "access_token") != NULL,
	    "partner token: status %ld", st);
	at = strdup(idl_jstr(j, "access_token"));
	json_decref(j);
	return (at);
}

/* The pattern with every {param} replaced by a random UUID. */
static char *
concrete_path(const char *pattern)
{
	unsigned char	 b[16];
	char		 uuid[37], *out, *o;
	const char	*p, *close;

	out = malloc(strlen(pattern) * 37 + 1);
	ck_assert(out != NULL);
	for (p = pattern, o = out; *p != '\0';) {
		if (*p == '{' && (close = strchr(p, '}')) != NULL) {
			ck_assert_int_eq(random_fill(b, sizeof(b)), 0);
			b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
			b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
			snprintf(uuid, sizeof(uuid), "%02x%02x%02x%02x-"
			    "%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x"
			    "%02x", b[0], b[1], b[2], b[3], b[4], b[5], b[6],
			    b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
			    b[15]);
			memcpy(o, uuid, 36);
			o += 36;
			p = close + 1;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return (out);
}

START_TEST(test_no_route_unset)
{
	const struct route *r;
	size_t		 i, n = router_count();

	ck_assert_msg(n > 0, "the route table is empty");
	for (i = 0; i < n; i++) {
		r = router_at(i);
		ck_assert_msg(r->perm != PERM_UNSET, "%s %s has no permission "
		    "(PERM_UNSET)", r->method, r->pattern);
		ck_assert_msg(r->perm > PERM_UNSET && r->perm < PERM__COUNT,
		    "%s %s: permission %d out of range", r->method, r->pattern,
		    (int)r->perm);
	}
}
END_TEST

/* The choke point denies what it does not know, whoever asks. */
START_TEST(test_policy_default_deny)
{
	struct principal	 all;

	memset(&all, 0, sizeof(all));
	all.kind = PRINCIPAL_PERSON;
	all.roles = ROLE_AGENT | ROLE_SUPERVISOR | ROLE_ADMIN | ROLE_DPO;
	all.mfa = 1;
	ck_assert(policy_allows(NULL, PERM_UNSET, NULL, NULL) == POLICY_UNAUTHENTICATED);
	ck_assert(policy_allows(&all, PERM_UNSET, NULL, NULL) == POLICY_FORBIDDEN);
	ck_assert(policy_allows(&all, PERM__COUNT, NULL, NULL) == POLICY_FORBIDDEN);
	ck_assert(policy_allows(&all, (enum perm)(PERM__COUNT + 7), NULL, NULL) ==
	    POLICY_FORBIDDEN);
	all.kind = PRINCIPAL_CLIENT;
	all.scopes = ~0u;
	ck_assert(policy_allows(&all, PERM_UNSET, NULL, NULL) == POLICY_FORBIDDEN);
	ck_assert(policy_allows(&all, PERM__COUNT, NULL, NULL) == POLICY_FORBIDDEN);
}
END_TEST

/* Did the choke point log a denial for request 'rid'? */
static int
policy_denied(const char *log, const char *rid)
{
	const char	*p, *eol;
	char		*needle;
	int		 found = 0;

	needle = harness_printf("request %s: ", rid);
	for (p = log; (p = strstr(p, needle)) != NULL; p++) {
		eol = strchr(p, '\n');
		if (memmem(p, eol != NULL ? (size_t)(eol - p) : strlen(p),
		    "denied", 6) != NULL)
			found = 1;
	}
	free(needle);
	return (found);
}

struct cell {
	size_t		 route;
	enum who	 who;
	enum expect	 want;
	long		 status;
	char		 rid[40];
};

/* A wrong cell as a line of the report, or NULL. */
static char *
verdict(const struct cell *c, const char *log)
{
	const struct route *rt = router_at(c->route);
	int		 denied = policy_denied(log, c->rid);
	const char	*why = NULL;

	if (c->status >= 500)
		why = "a server error";
	else if (c->want == EXPECT_401 && c->status != 401)
		why = "expected 401";
	else if (c->want == EXPECT_403 && c->status != 403)
		why = "expected 403 from the policy";
	else if (c->want == EXPECT_403 && !denied)
		why = "a 403, but not logged as a policy denial";
	else if (rt->perm == PERM_PUBLIC && (c->status == 401 ||
	    c->status == 403))
		why = "a public route";
	else if (c->want == EXPECT_ALLOW && (c->status == 401 ||
	    (c->status == 403 && denied)))
		why = "expected to pass the policy";
	if (why == NULL)
		return (NULL);
	return (harness_printf("  %s %s as %s (perm %s): %ld, %s\n",
	    rt->method, rt->pattern, who_names[c->who], perm_name(rt->perm),
	    c->status, why));
}

START_TEST(test_route_matrix)
{
	struct principal_model	 m[WHO__COUNT];
	struct idenv		 e;
	struct http_resp	 r;
	const struct route	*rt;
	struct cell		*cells, *c;
	char			*tokens[WHO__COUNT], *path, *rid, *auth;
	char			*log, *ctype;
	char			*report, *line, *cat, code[8];
	const char		*h[4];
	size_t			 i, ncells, nroutes = router_count();
	int			 w, n, nfail = 0;

	memset(&e, 0, sizeof(e));
	idl_start(&e);
	tokens[WHO_ANONYMOUS] = NULL;
	tokens[WHO_RESIDENT] = idl_login_ok(&e, IDL_RESIDENT_EMAIL,
	    IDL_RESIDENT_PASSWORD, NULL);
	idl_otp(&e, AGENT_TOTP, code);
	tokens[WHO_AGENT] = idl_login_ok(&e, IDL_AGENT_EMAIL,
	    IDL_AGENT_PASSWORD, code);
	tokens[WHO_ADMIN] = idl_login_admin(&e);
	tokens[WHO_PARTNER] = partner_token(&e);
	for (w = 0; w < WHO__COUNT; w++)
		model_of(&e, tokens[w], &m[w]);
	/* The principals are what the matrix needs them to be. */
	ck_assert_msg(m[WHO_AGENT].mfa && m[WHO_AGENT].roles == ROLE_AGENT,
	    "the agent is not an agent with mfa");
	ck_assert_msg(m[WHO_ADMIN].mfa && (m[WHO_ADMIN].roles & ROLE_ADMIN),
	    "the admin is not an admin with mfa");
	ck_assert_msg(m[WHO_RESIDENT].person && m[WHO_RESIDENT].roles == 0,
	    "the resident has roles");
	ck_assert_msg(!m[WHO_PARTNER].person &&
	    m[WHO_PARTNER].scopes == partner.scopes, "the partner's token "
	    "does not hold every scope");

	/* Every request first, then the log, then the verdicts. */
	ncells = nroutes * WHO__COUNT;
	cells = calloc(ncells, sizeof(*cells));
	ck_assert(cells != NULL);
	for (i = 0; i < ncells; i++) {
		c = &cells[i];
		c->route = i / WHO__COUNT;
		c->who = (enum who)(i % WHO__COUNT);
		rt = router_at(c->route);
		c->want = expected(rt->perm, rt->scope, rt->department,
		    &m[c->who]);
		snprintf(c->rid, sizeof(c->rid), "matrix-%zu-%d", c->route,
		    (int)c->who);
		path = concrete_path(rt->pattern);
		if (rt->flags & ROUTE_STREAM) {
			/* A stream never ends: a refused filter answers. */
			rid = harness_printf("%s?events=-", path);
			free(path);
			path = rid;
		}
		rid = harness_printf("X-Request-Id: %s", c->rid);
		auth = tokens[c->who] != NULL ? harness_printf("Authorization: "
		    "Bearer %s", tokens[c->who]) : NULL;
		n = 0;
		h[n++] = rid;
		if (auth != NULL)
			h[n++] = auth;
		/* A body of a type the route takes: an upload's, or JSON. */
		ctype = NULL;
		if (rt->flags & ROUTE_BODY)
			ctype = rt->body_types != NULL ? harness_printf(
			    "Content-Type: %.*s", (int)strcspn(rt->body_types,
			    " "), rt->body_types) : harness_printf("%s",
			    "Content-Type: application/json");
		if (ctype != NULL)
			h[n++] = ctype;
		h[n] = NULL;
		c->status = idl_reqh(&e, rt->method, path, h,
		    (rt->flags & ROUTE_BODY) ? "{}" : NULL, &r);
		http_resp_free(&r);
		free(path);
		free(rid);
		free(auth);
		free(ctype);
	}
	log = idl_log(&e);
	report = strdup("");
	for (i = 0; i < ncells; i++) {
		if ((line = verdict(&cells[i], log)) == NULL)
			continue;
		cat = harness_printf("%s%s", report, line);
		free(report);
		free(line);
		report = cat;
		nfail++;
	}
	ck_assert_msg(nfail == 0, "%d of %zu cells wrong:\n%s", nfail, ncells,
	    report);
	free(report);
	free(cells);
	free(log);
	for (w = 0; w < WHO__COUNT; w++)
		free(tokens[w]);
	idl_stop(&e);
}
END_TEST

/*
 * C3: when the principal cannot be checked (the accounts table is locked
 * past the statement timeout), the answer is an error, never the data.
 */
START_TEST(test_fails_closed)
{
	static const char *const fast[] = { "--statement-timeout", "300",
	    NULL };
	struct idenv	 e;
	struct http_resp r;
	struct pg_conn	*pg;
	char		*at;

	memset(&e, 0, sizeof(e));
	e.extra = fast;
	idl_start(&e);
	/* Signed in, but not yet seen by the guard: nothing cached. */
	at = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	pg = harness_lock(e.db, "identity.accounts");
	idl_req(&e, "GET", "/api/v1/me", at, NULL, &r);
	ck_assert_msg(r.status >= 500, "status %ld while the principal "
	    "cannot be checked: %s", r.status, r.body);
	ck_assert_msg(strstr(r.body, IDL_RESIDENT_EMAIL) == NULL, "the "
	    "account's data came out");
	json_decref(harness_assert_problem(&r, r.status, NULL, "/api/v1/me"));
	http_resp_free(&r);
	harness_unlock(pg);
	/* The token was good all along. */
	idl_req(&e, "GET", "/api/v1/me", at, NULL, &r);
	ck_assert_msg(r.status == 200, "after the lock: status %ld",
	    r.status);
	http_resp_free(&r);
	free(at);
	idl_stop(&e);
}
END_TEST

/* The fixtures the matrix needs, in the template: once, before forking. */
static void
fixtures(void)
{
	const char	*args[8];
	char		 list[512], *out = NULL, *err = NULL, *p, *sql;
	const char	*name;
	unsigned	 bit;
	int		 rc;

	/* A partner holding every scope the policy knows. */
	list[0] = '\0';
	partner.scopes = 0;
	for (bit = 1; bit != 0; bit <<= 1)
		if ((name = scope_name(bit)) != NULL) {
			snprintf(list + strlen(list), sizeof(list) -
			    strlen(list), "%s%s", list[0] ? "," : "", name);
			partner.scopes |= bit;
		}
	args[0] = "client";
	args[1] = "add";
	args[2] = "Matrix partner";
	args[3] = "--scopes";
	args[4] = list;
	args[5] = NULL;
	rc = idl_ctl(idl_template(), 0, args, &out, &err);
	if (rc != 0 || (p = strstr(out, "client_id:")) == NULL ||
	    sscanf(p, "client_id: %39s", partner.id) != 1 ||
	    (p = strstr(out, "client_secret:")) == NULL ||
	    sscanf(p, "client_secret: %79s", partner.secret) != 1) {
		fprintf(stderr, "t3007: guichetctl client add exited %d: "
		    "%s%s\n", rc, out ? out : "", err ? err : "");
		exit(99);
	}
	free(out);
	free(err);
	/* The demo agent with a second factor already enrolled. */
	sql = harness_printf("UPDATE identity.agents SET totp_secret = '%s', "
	    "totp_enrolled_at = now(), totp_last_step = -1 WHERE account_id = "
	    "'%s'", AGENT_TOTP, idl_demo.agent_id);
	if (harness_sql_exec(idl_template(), sql) == -1)
		exit(99);
	free(sql);
}

/* Static: the route table and the identity layer keep pointers into it. */
static struct conf	 c;

static const TTest *const *const tests[] = {
	&test_no_route_unset,
	&test_policy_default_deny,
	&test_route_matrix,
	&test_fails_closed,
	NULL
};

/* Once, in the runner: the route table, the policy, the fixtures. */
static void
prepare(void)
{
	struct conf_error	 ce;
	char			 err[600] = "", *tpl;

	idl_prepare();
	ce.msg[0] = '\0';
	conf_init(&c);
	/* A serving guichetd loads every mail template. */
	tpl = harness_src("templates");
	if (conf_set(&c, "jwt_key_file", harness_key_file(), "t3007", &ce) ==
	    -1 || conf_set(&c, "templates_dir", tpl, "t3007", &ce) == -1 ||
	    app_init(&c, MODULE_SERVER, err, sizeof(err)) == -1) {
		fprintf(stderr, "t3007: app_init: %s%s\n", ce.msg, err);
		exit(99);
	}
	free(tpl);
	fixtures();
}

const struct test_group test_groups[] = {
	{ "route-matrix", HARNESS_TIMEOUT, NULL, NULL, prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
