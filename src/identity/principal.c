/*
 * principal.c: from "Authorization: Bearer <jwt>" to a principal.
 *
 * The token's signature and claims are checked by token_verify(); what the
 * token cannot know (the account was blocked, erased, its password changed,
 * a client revoked) is checked against a per-process cache of principals:
 * sub -> {token version, active, locale, rate limit}.  The cache is filled from the
 * database on a miss, and emptied entry by entry by the NOTIFY that the
 * accounts and clients tables send on every such change (and entirely when
 * the listening connection is lost), so that a revocation reaches every
 * guichetd at once without a database round trip per request.  Entries
 * also expire after a minute, a bound on any notification lost.
 *
 * Partner clients are rate-limited here per minute, by a budget kept
 * apart from this cache (http/ratelimit.h): reloading a principal (a
 * NOTIFY, the TTL) must not give a client a fresh minute.
 *
 * A signed-in person's account locale replaces the language negotiated
 * from Accept-Language (ARCHITECTURE.md, "API conventions": "an account's locale wins when signed
 * in"); the answers decided before the guard runs (404, 405, 413, 415)
 * keep Accept-Language.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/policy.h"
#include "auth/token.h"
#include "base/clock.h"
#include "base/lang.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "db/db.h"
#include "db/notify.h"
#include "http/ratelimit.h"
#include "http/reply.h"
#include "identity/identity.h"
#include "identity/identity_int.h"

#define CACHE_SLOTS	4096		/* power of two */
#define CACHE_TTL	(60 * 1000000)	/* microseconds */

struct cache_entry {
	char		 sub[40];
	int64_t		 version;
	int		 active;
	int		 lang;		/* persons: enum lang of the locale */
	int		 rate_limit;	/* clients: per minute */
	int64_t		 loaded;	/* clock_mono() */
	/* agents: their departments, space-separated (policy.h's rules) */
	char		 departments[PRINCIPAL_DEPARTMENTS_MAX *
			    DEPARTMENT_CODE_MAX];
};

static struct cache_entry	 cache[CACHE_SLOTS];
/*
 * Bumped by every forget and flush of the slot (under its lock): a load
 * that started before a forget is not stored after it, or a revocation
 * could be undone by a request already in flight.
 */
static uint64_t			 gens[CACHE_SLOTS];
static pthread_mutex_t		 cache_locks[64];

static unsigned
slot_of(const char *sub)
{
	unsigned	 h = 2166136261u;

	for (; *sub != '\0'; sub++)
		h = (h ^ (unsigned char)*sub) * 16777619u;
	return (h & (CACHE_SLOTS - 1));
}

static pthread_mutex_t *
lock_of(unsigned slot)
{
	return (&cache_locks[slot & 63]);
}

void
principal_cache_forget(const char *sub)
{
	unsigned	 s = slot_of(sub);

	pthread_mutex_lock(lock_of(s));
	gens[s]++;
	if (strcmp(cache[s].sub, sub) == 0)
		cache[s].sub[0] = '\0';
	pthread_mutex_unlock(lock_of(s));
}

static void
cache_flush(void)
{
	unsigned	 s;

	for (s = 0; s < CACHE_SLOTS; s++) {
		pthread_mutex_lock(lock_of(s));
		gens[s]++;
		cache[s].sub[0] = '\0';
		pthread_mutex_unlock(lock_of(s));
	}
}

/* Load a principal's state from the database into 'e'; -1 with 'err'. */
static int
load(const struct token_claims *c, struct cache_entry *e,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*params[1] = { c->sub };
	int		 kind_client = strcmp(c->kind, "client") == 0;

	if (db_exec(db_thread(), ID_STMT(kind_client ? ID_CLIENT_GET :
	    ID_ACCOUNT_PRINCIPAL), params, &res, err) == -1)
		return (-1);
	memset(e, 0, sizeof(*e));
	snprintf(e->sub, sizeof(e->sub), "%s", c->sub);
	if (db_res_rows(res) == 1) {
		e->active = db_bool(res, 0, "active");
		if (kind_client)
			e->rate_limit = (int)db_int64(res, 0, "rate_limit");
		else {
			e->version = db_int64(res, 0, "token_version");
			e->lang = (int)lang_from_code(db_str(res, 0, "locale"),
			    LANG_FR);
			if (!db_isnull(res, 0, "departments"))
				snprintf(e->departments,
				    sizeof(e->departments), "%s",
				    db_str(res, 0, "departments"));
		}
	}
	e->loaded = clock_mono();
	db_res_free(res);
	return (0);
}

/*
 * Is the token's principal still good?  1 yes, 0 no (revoked), -1 database
 * error, -2 client over its rate (*retry set).  *lang: a person's locale.
 */
static int
check_principal(const struct token_claims *c, struct db_error *err,
    int *retry, int *lang, char *departments)
{
	struct cache_entry	 fresh, *e;
	unsigned		 s = slot_of(c->sub);
	int64_t			 now = clock_mono();
	uint64_t		 gen;
	int			 ok, tries, limit = 0;

	pthread_mutex_lock(lock_of(s));
	e = &cache[s];
	for (tries = 0; strcmp(e->sub, c->sub) != 0 ||
	    now - e->loaded > CACHE_TTL; tries++) {
		gen = gens[s];
		pthread_mutex_unlock(lock_of(s));
		if (load(c, &fresh, err) == -1)
			return (-1);
		pthread_mutex_lock(lock_of(s));
		if (gens[s] == gen) {
			cache[s] = fresh;
			e = &cache[s];
			break;
		}
		/* Forgotten meanwhile: load again, or decide uncached. */
		if (tries == 2) {
			e = &fresh;
			break;
		}
		e = &cache[s];
	}
	ok = e->active && (strcmp(c->kind, "client") == 0 ||
	    e->version == c->tv);
	*lang = e->lang;
	memcpy(departments, e->departments, sizeof(e->departments));
	if (ok && strcmp(c->kind, "client") == 0)
		limit = e->rate_limit;
	pthread_mutex_unlock(lock_of(s));
	if (limit > 0 && ratelimit_take("client", c->sub, limit, 60, retry))
		ok = -2;
	return (ok);
}

static void
unauthorized(struct request *req)
{
	reply_error(req, HTTP_ERR(HE_TOKEN_INVALID));
}

int
identity_guard(struct request *req)
{
	struct token_claims	 c;
	struct principal	*p;
	struct db_error		 err;
	const char		*h;
	char			 retry[16], *d, *save = NULL;
	char			 depts[PRINCIPAL_DEPARTMENTS_MAX *
				    DEPARTMENT_CODE_MAX];
	int			 i, rc, wait = 0, lang = LANG_FR;
	unsigned		 bit;

	h = request_header(req, "Authorization");
	if (h == NULL)
		return (0);	/* anonymous: policy decides */
	/* Client credentials at the token endpoint; anonymous elsewhere. */
	if (strncasecmp(h, "Basic ", 6) == 0)
		return (0);
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		log_info("auth: request %s: unsupported authorization scheme",
		    req->id);
		unauthorized(req);
		return (-1);
	}
	if (token_verify(h + 7, &c) == -1) {
		log_info("auth: request %s: token refused", req->id);
		unauthorized(req);
		return (-1);
	}
	rc = check_principal(&c, &err, &wait, &lang, depts);
	if (rc == -1) {
		/* Fail closed: no decision without the database. */
		reply_db_error(req, &err);
		return (-1);
	}
	if (rc == -2) {
		snprintf(retry, sizeof(retry), "%d", wait);
		reply_error(req, ID_ERR(IE_CLIENT_RATE_LIMITED), retry);
		reply_header(req, "Retry-After", retry);
		return (-1);
	}
	if (rc == 0) {
		log_info("auth: request %s: token of %s %s no longer valid",
		    req->id, c.kind, c.sub);
		unauthorized(req);
		return (-1);
	}
	p = request_alloc(req, sizeof(*p));
	p->kind = strcmp(c.kind, "client") == 0 ? PRINCIPAL_CLIENT :
	    PRINCIPAL_PERSON;
	snprintf(p->id, sizeof(p->id), "%s", c.sub);
	snprintf(p->jti, sizeof(p->jti), "%s", c.jti);
	p->mfa = c.mfa;
	p->token_version = c.tv;
	p->exp = c.exp;
	for (i = 0; i < c.nroles; i++)
		p->roles |= role_from_name(c.roles[i]);
	for (i = 0; i < c.nscopes; i++)
		if ((bit = scope_from_name(c.scopes[i])) != 0)
			p->scopes |= bit;
	/* An agent's departments, for the row-level rules (policy.h). */
	for (d = strtok_r(depts, " ", &save); d != NULL &&
	    p->ndepartments < PRINCIPAL_DEPARTMENTS_MAX;
	    d = strtok_r(NULL, " ", &save))
		snprintf(p->departments[p->ndepartments++],
		    sizeof(p->departments[0]), "%s", d);
	req->principal = p;
	if (p->kind == PRINCIPAL_PERSON)
		req->lang = (enum lang)lang;
	snprintf(req->principal_id, sizeof(req->principal_id), "%s", p->id);
	return (0);
}

static void
on_reset(int listening)
{
	(void)listening;
	cache_flush();
}

static const struct notify_sub principal_sub = {
	.channel = "guichet_principal", .on_payload = principal_cache_forget,
	.on_reset = on_reset
};

void
principal_cache_init(void)
{
	int	 i;

	for (i = 0; i < 64; i++)
		pthread_mutex_init(&cache_locks[i], NULL);
	notify_subscribe(&principal_sub);
}
