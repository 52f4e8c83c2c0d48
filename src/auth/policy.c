/*
 * policy.c: the authorization decisions (see policy.h).
 */
#include <stddef.h>
#include <string.h>

#include "auth/policy.h"

static const char *const perm_names[PERM__COUNT] = {
	[PERM_UNSET] = "unset",
	[PERM_PUBLIC] = "public",
	[PERM_SELF] = "self",
	[PERM_AGENT] = "agent",
	[PERM_SUPERVISOR] = "supervisor",
	[PERM_ADMIN] = "admin",
	[PERM_DPO] = "dpo",
	[PERM_SCOPE_INCIDENTS_READ] = "scope:incidents:read",
	[PERM_SCOPE_INCIDENTS_WRITE] = "scope:incidents:write",
	[PERM_SCOPE_LIFTS_WRITE] = "scope:lifts:write",
	[PERM_SCOPE_SHUTTLES_WRITE] = "scope:shuttles:write",
	[PERM_SCOPE_CASES_READ] = "scope:cases:read",
	[PERM_SCOPE_OPEN311] = "scope:open311",
};

static const struct { unsigned bit; const char *name; } roles[] = {
	{ ROLE_AGENT, "agent" }, { ROLE_SUPERVISOR, "supervisor" },
	{ ROLE_ADMIN, "admin" }, { ROLE_DPO, "dpo" },
};

static const struct { unsigned bit; const char *name; } scopes[] = {
	{ SCOPE_INCIDENTS_READ, "incidents:read" },
	{ SCOPE_INCIDENTS_WRITE, "incidents:write" },
	{ SCOPE_LIFTS_WRITE, "lifts:write" },
	{ SCOPE_SHUTTLES_WRITE, "shuttles:write" },
	{ SCOPE_CASES_READ, "cases:read" },
	{ SCOPE_OPEN311, "open311" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

const char *
perm_name(enum perm p)
{
	return (p < PERM__COUNT ? perm_names[p] : "invalid");
}

unsigned
role_from_name(const char *s)
{
	size_t	 i;

	for (i = 0; i < NELEM(roles); i++)
		if (strcmp(roles[i].name, s) == 0)
			return (roles[i].bit);
	return (0);
}

const char *
role_name(unsigned bit)
{
	size_t	 i;

	for (i = 0; i < NELEM(roles); i++)
		if (roles[i].bit == bit)
			return (roles[i].name);
	return (NULL);
}

unsigned
scope_from_name(const char *s)
{
	size_t	 i;

	for (i = 0; i < NELEM(scopes); i++)
		if (strcmp(scopes[i].name, s) == 0)
			return (scopes[i].bit);
	return (0);
}

const char *
scope_name(unsigned bit)
{
	size_t	 i;

	for (i = 0; i < NELEM(scopes); i++)
		if (scopes[i].bit == bit)
			return (scopes[i].name);
	return (NULL);
}

static enum policy_decision
need_role(const struct principal *p, unsigned role)
{
	if (p->kind != PRINCIPAL_PERSON || (p->roles & role) == 0 || !p->mfa)
		return (POLICY_FORBIDDEN);
	return (POLICY_ALLOW);
}

static enum policy_decision
need_scope(const struct principal *p, unsigned scope)
{
	if (p->kind != PRINCIPAL_CLIENT || (p->scopes & scope) == 0)
		return (POLICY_FORBIDDEN);
	return (POLICY_ALLOW);
}

enum policy_decision
policy_allows(const struct principal *p, enum perm perm)
{
	if (perm == PERM_PUBLIC)
		return (POLICY_ALLOW);
	if (perm <= PERM_UNSET || perm >= PERM__COUNT)
		return (p == NULL ? POLICY_UNAUTHENTICATED : POLICY_FORBIDDEN);
	if (p == NULL)
		return (POLICY_UNAUTHENTICATED);
	switch (perm) {
	case PERM_SELF:
		return (p->kind == PRINCIPAL_PERSON ? POLICY_ALLOW :
		    POLICY_FORBIDDEN);
	case PERM_AGENT:
		return (need_role(p, ROLE_AGENT | ROLE_SUPERVISOR | ROLE_ADMIN |
		    ROLE_DPO));
	case PERM_SUPERVISOR:
		return (need_role(p, ROLE_SUPERVISOR));
	case PERM_ADMIN:
		return (need_role(p, ROLE_ADMIN));
	case PERM_DPO:
		return (need_role(p, ROLE_DPO));
	case PERM_SCOPE_INCIDENTS_READ:
		return (need_scope(p, SCOPE_INCIDENTS_READ));
	case PERM_SCOPE_INCIDENTS_WRITE:
		return (need_scope(p, SCOPE_INCIDENTS_WRITE));
	case PERM_SCOPE_LIFTS_WRITE:
		return (need_scope(p, SCOPE_LIFTS_WRITE));
	case PERM_SCOPE_SHUTTLES_WRITE:
		return (need_scope(p, SCOPE_SHUTTLES_WRITE));
	case PERM_SCOPE_CASES_READ:
		return (need_scope(p, SCOPE_CASES_READ));
	case PERM_SCOPE_OPEN311:
		return (need_scope(p, SCOPE_OPEN311));
	default:
		return (POLICY_FORBIDDEN);
	}
}
