/*
 * policy.h: who may do what.  The single authorization choke point.
 *
 * Every route declares one permission (enum perm) in the route table;
 * policy_allows() is the only function that decides whether a principal
 * holds it.  Default deny: PERM_UNSET never passes.  Agents' and
 * administrators' permissions need a token whose login passed the second
 * factor (mfa).  Row-level rules (is this my case, is this case in my
 * department) are added here, next to the route-level ones, as their
 * modules arrive.
 */
#ifndef GUICHET_POLICY_H
#define GUICHET_POLICY_H

#include <stdint.h>

enum perm {
	PERM_UNSET = 0,		/* never valid: a route must declare one */
	PERM_PUBLIC,		/* anyone, signed in or not */
	PERM_SELF,		/* any signed-in person, on their own data */
	PERM_AGENT,		/* an agent (any role), with mfa */
	PERM_SUPERVISOR,	/* role supervisor, with mfa */
	PERM_ADMIN,		/* role admin, with mfa */
	PERM_DPO,		/* role dpo, with mfa */
	PERM_SCOPE_INCIDENTS_READ,	/* partner apps, by scope */
	PERM_SCOPE_INCIDENTS_WRITE,
	PERM_SCOPE_LIFTS_WRITE,
	PERM_SCOPE_SHUTTLES_WRITE,
	PERM_SCOPE_CASES_READ,
	PERM_SCOPE_OPEN311,
	PERM__COUNT
};

#define ROLE_AGENT	0x01
#define ROLE_SUPERVISOR	0x02
#define ROLE_ADMIN	0x04
#define ROLE_DPO	0x08

#define SCOPE_INCIDENTS_READ	0x01
#define SCOPE_INCIDENTS_WRITE	0x02
#define SCOPE_LIFTS_WRITE	0x04
#define SCOPE_SHUTTLES_WRITE	0x08
#define SCOPE_CASES_READ	0x10
#define SCOPE_OPEN311		0x20

enum principal_kind { PRINCIPAL_PERSON, PRINCIPAL_CLIENT };

/* Who is calling: built by the identity guard from a verified token. */
struct principal {
	enum principal_kind	 kind;
	char			 id[40];	/* account uuid or client id */
	unsigned		 roles;		/* ROLE_* (persons) */
	unsigned		 scopes;	/* SCOPE_* (clients) */
	int			 mfa;
	int64_t			 token_version;
	int64_t			 exp;		/* seconds */
	char			 jti[40];
};

enum policy_decision {
	POLICY_ALLOW,
	POLICY_UNAUTHENTICATED,	/* 401: sign in */
	POLICY_FORBIDDEN,	/* 403: signed in, not allowed */
};

/* NULL principal: anonymous. */
enum policy_decision policy_allows(const struct principal *, enum perm);

const char *perm_name(enum perm);
/* ROLE_* from "agent" etc.; 0 when unknown. */
unsigned role_from_name(const char *);
const char *role_name(unsigned);
unsigned scope_from_name(const char *);
const char *scope_name(unsigned);

#endif
