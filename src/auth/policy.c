/*
 * policy.c: the authorization decisions (see policy.h).
 */
#include <stddef.h>
#include <stdio.h>
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
	[PERM_SCOPE] = "scope",
	[PERM_OPERATOR] = "operator",
};

static const struct { unsigned bit; const char *name; } roles[] = {
	{ ROLE_AGENT, "agent" }, { ROLE_SUPERVISOR, "supervisor" },
	{ ROLE_ADMIN, "admin" }, { ROLE_DPO, "dpo" },
};

/* Registered at start-up (module.h), read-only afterwards. */
static const struct scope_def	*scopes[SCOPES_MAX];
static size_t			 nscopes;

const char *
perm_name(enum perm p)
{
	return (p < PERM__COUNT ? perm_names[p] : "invalid");
}

unsigned
role_from_name(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(roles[i].name, s) == 0)
			return (roles[i].bit);
	return (0);
}

const char *
role_name(unsigned bit)
{
	size_t	 i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (roles[i].bit == bit)
			return (roles[i].name);
	return (NULL);
}

/* "name:verb": lower-case words joined by ':' */
static int
scope_name_ok(const char *s)
{
	size_t	 n = strlen(s), i;

	if (n < 2 || n > 40 || s[0] == ':' || s[n - 1] == ':')
		return (0);
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == ':' || s[i] == '_'))
			return (0);
	return (1);
}

int
policy_scope_register(const struct scope_def *d, char *err, size_t errlen)
{
	if (d->name == NULL || !scope_name_ok(d->name)) {
		snprintf(err, errlen, "scope '%s' is not a valid name",
		    d->name != NULL ? d->name : "");
		return (-1);
	}
	if (policy_scope_find(d->name) != NULL) {
		snprintf(err, errlen, "scope %s is declared twice", d->name);
		return (-1);
	}
	if (nscopes == SCOPES_MAX) {
		snprintf(err, errlen, "more than %d scopes", SCOPES_MAX);
		return (-1);
	}
	scopes[nscopes++] = d;
	return (0);
}

const struct scope_def *
policy_scope_find(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return (NULL);
	for (i = 0; i < nscopes; i++)
		if (strcmp(scopes[i]->name, name) == 0)
			return (scopes[i]);
	return (NULL);
}

size_t
policy_scope_count(void)
{
	return (nscopes);
}

const struct scope_def *
policy_scope_at(size_t i)
{
	return (i < nscopes ? scopes[i] : NULL);
}

uint32_t
scope_from_name(const char *s)
{
	size_t	 i;

	for (i = 0; i < nscopes; i++)
		if (strcmp(scopes[i]->name, s) == 0)
			return ((uint32_t)1 << i);
	return (0);
}

const char *
scope_name(uint32_t bit)
{
	size_t	 i;

	for (i = 0; i < nscopes; i++)
		if (((uint32_t)1 << i) == bit)
			return (scopes[i]->name);
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
need_scope(const struct principal *p, const char *scope)
{
	uint32_t	 bit = scope != NULL ? scope_from_name(scope) : 0;

	if (p->kind != PRINCIPAL_CLIENT || bit == 0 || (p->scopes & bit) == 0)
		return (POLICY_FORBIDDEN);
	return (POLICY_ALLOW);
}

static int	in_department(const struct principal *, unsigned,
		    const char *);

enum policy_decision
policy_allows(const struct principal *p, enum perm perm, const char *scope,
    const char *department)
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
	case PERM_SCOPE:
		return (need_scope(p, scope));
	case PERM_OPERATOR:
		if (p->kind == PRINCIPAL_CLIENT)
			return (need_scope(p, scope));
		return (in_department(p, ROLE_AGENT | ROLE_SUPERVISOR |
		    ROLE_ADMIN | ROLE_DPO, department) ? POLICY_ALLOW :
		    POLICY_FORBIDDEN);
	default:
		return (POLICY_FORBIDDEN);
	}
}

/* Row-level rules (policy.h). */

static const unsigned staff_roles = ROLE_AGENT | ROLE_SUPERVISOR |
    ROLE_ADMIN | ROLE_DPO;

/* 'p' is staff with 'role' (mfa) and works in 'department'. */
static int
in_department(const struct principal *p, unsigned role,
    const char *department)
{
	int	 i;

	if (p->kind != PRINCIPAL_PERSON || !p->mfa || (p->roles & role) == 0 ||
	    department == NULL)
		return (0);
	for (i = 0; i < p->ndepartments && i < PRINCIPAL_DEPARTMENTS_MAX; i++)
		if (strcmp(p->departments[i], department) == 0)
			return (1);
	return (0);
}

static int
is_owner(const struct principal *p, const struct policy_case *c)
{
	return (p->kind == PRINCIPAL_PERSON && c->owner != NULL &&
	    strcmp(p->id, c->owner) == 0);
}

enum policy_decision
policy_case(const struct principal *p, enum case_act act,
    const struct policy_case *c)
{
	int	 owner, agent, supervisor;

	if (p == NULL)
		return (POLICY_UNAUTHENTICATED);
	owner = is_owner(p, c);
	/*
	 * A draft is nobody else's business, staff included; and nobody
	 * processes a case of their own.
	 */
	agent = !c->draft && !owner && in_department(p, staff_roles,
	    c->department);
	supervisor = agent && in_department(p, ROLE_SUPERVISOR,
	    c->department);
	switch (act) {
	case CASE_ACT_READ:
	case CASE_ACT_MESSAGE:
		return (owner || agent ? POLICY_ALLOW : POLICY_FORBIDDEN);
	case CASE_ACT_OWN:
		return (owner ? POLICY_ALLOW : POLICY_FORBIDDEN);
	case CASE_ACT_PROCESS:
	case CASE_ACT_NOTES:
		return (agent ? POLICY_ALLOW : POLICY_FORBIDDEN);
	case CASE_ACT_SUPERVISE:
		return (supervisor ? POLICY_ALLOW : POLICY_FORBIDDEN);
	default:
		return (POLICY_FORBIDDEN);
	}
}

enum policy_decision
policy_incident(const struct principal *p, const char *department,
    const char *reporter)
{
	if (p == NULL)
		return (POLICY_UNAUTHENTICATED);
	if (reporter != NULL && p->kind == PRINCIPAL_PERSON &&
	    strcmp(p->id, reporter) == 0)
		return (POLICY_FORBIDDEN);
	return (in_department(p, staff_roles, department) ? POLICY_ALLOW :
	    POLICY_FORBIDDEN);
}

int
policy_queue_departments(const struct principal *p)
{
	if (p == NULL || p->kind != PRINCIPAL_PERSON || !p->mfa ||
	    (p->roles & staff_roles) == 0)
		return (0);
	return (p->ndepartments < PRINCIPAL_DEPARTMENTS_MAX ?
	    p->ndepartments : PRINCIPAL_DEPARTMENTS_MAX);
}
