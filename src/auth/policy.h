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

#include <stddef.h>
#include <stdint.h>

enum perm {
	PERM_UNSET = 0,		/* never valid: a route must declare one */
	PERM_PUBLIC,		/* anyone, signed in or not */
	PERM_SELF,		/* any signed-in person, on their own data */
	PERM_AGENT,		/* an agent (any role), with mfa */
	PERM_SUPERVISOR,	/* role supervisor, with mfa */
	PERM_ADMIN,		/* role admin, with mfa */
	PERM_DPO,		/* role dpo, with mfa */
	PERM_SCOPE,		/* a partner app holding the route's scope */
	PERM_OPERATOR,		/* a partner app holding the route's scope, or
				   staff (mfa) of the route's department */
	PERM__COUNT
};

#define ROLE_AGENT	0x01
#define ROLE_SUPERVISOR	0x02
#define ROLE_ADMIN	0x04
#define ROLE_DPO	0x08

/*
 * Partner scopes are declared by the modules that define them (module.h)
 * and registered at start-up; each gets one bit of a principal's scopes.
 */
struct scope_def {
	const char	*name;		/* "lifts:write" */
	const char	*description;	/* for the OpenAPI document */
};
#define SCOPES_MAX	32

enum principal_kind { PRINCIPAL_PERSON, PRINCIPAL_CLIENT };

/* An agent's departments (identity.agent_departments), at most. */
#define PRINCIPAL_DEPARTMENTS_MAX	8
#define DEPARTMENT_CODE_MAX		48	/* [a-z][a-z0-9_]{1,39} + NUL */

/*
 * Who is calling: built by the identity guard from a verified token; the
 * departments of an agent come from the guard's principal cache (the
 * account's current ones, like its token version: a change of an agent's
 * departments revokes its tokens).
 */
struct principal {
	enum principal_kind	 kind;
	char			 id[40];	/* account uuid or client id */
	unsigned		 roles;		/* ROLE_* (persons) */
	uint32_t		 scopes;	/* bits of registered scopes (clients) */
	int			 mfa;
	int64_t			 token_version;
	int64_t			 exp;		/* seconds */
	char			 jti[40];
	char			 departments[PRINCIPAL_DEPARTMENTS_MAX]
				    [DEPARTMENT_CODE_MAX];
	int			 ndepartments;
};

enum policy_decision {
	POLICY_ALLOW,
	POLICY_UNAUTHENTICATED,	/* 401: sign in */
	POLICY_FORBIDDEN,	/* 403: signed in, not allowed */
};

/*
 * NULL principal: anonymous.  'scope' is the scope a PERM_SCOPE or
 * PERM_OPERATOR route needs, 'department' the department whose staff a
 * PERM_OPERATOR route admits (NULL otherwise).
 */
enum policy_decision policy_allows(const struct principal *, enum perm,
	    const char *, const char *);

/*
 * Row-level rules, next to the route-level ones.
 *
 * Cases (démarches): a case is its owner's (the person who filed it) and
 * its department's (the procedure's).  A draft is its owner's alone.
 * Staff act on a case only with the second factor and only in one of
 * their departments; a supervisor of the department is also one of its
 * agents; nobody processes a case of their own.  What a caller may not read is answered 404 by the module, as
 * if it did not exist (ARCHITECTURE.md, "API conventions").
 */
struct policy_case {
	const char	*owner;		/* account id */
	const char	*department;	/* department code */
	int		 draft;		/* still a draft */
};

enum case_act {
	CASE_ACT_READ,		/* the case, its history, its thread */
	CASE_ACT_OWN,		/* as its owner: edit the draft, submit,
				   withdraw, answer a request */
	CASE_ACT_PROCESS,	/* as an agent of its department */
	CASE_ACT_SUPERVISE,	/* as a supervisor of its department: assign,
				   decide */
	CASE_ACT_MESSAGE,	/* write in its thread: owner or agent */
	CASE_ACT_NOTES,		/* internal notes: agents of its department */
};

enum policy_decision policy_case(const struct principal *, enum case_act,
	    const struct policy_case *);
/*
 * Incidents (signalements): a report is public; its reporter's data, its
 * internal notes and its moves are its department's: staff with the
 * second factor in 'department', never the report's own reporter
 * ('reporter', may be NULL).  Others are answered 404 by the module.
 */
enum policy_decision policy_incident(const struct principal *, const char *,
	    const char *);
/*
 * How many departments' queues 'p' reads: its first n departments
 * (p->departments) when it is staff with the second factor, 0 otherwise
 * (then it lists its own cases only).
 */
int	 policy_queue_departments(const struct principal *);

const char *perm_name(enum perm);
/* ROLE_* from "agent" etc.; 0 when unknown. */
unsigned role_from_name(const char *);
const char *role_name(unsigned);
/* Register a scope (module.h does, at start-up); -1 with a message. */
int	 policy_scope_register(const struct scope_def *, char *, size_t);
const struct scope_def *policy_scope_find(const char *);
size_t	 policy_scope_count(void);
const struct scope_def *policy_scope_at(size_t);
/* The bit of a registered scope; 0 when unknown. */
uint32_t scope_from_name(const char *);
/* The name of one bit; NULL when none is registered there. */
const char *scope_name(uint32_t);

#endif
