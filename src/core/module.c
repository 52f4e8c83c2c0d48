/*
 * module.c: the registry of modules (see module.h).
 *
 * modules_init() is the only place that walks the module list: it
 * registers each module's statement tables, partner scopes and problem
 * codes, assembles the one route table from the modules' routes, and then
 * runs each module's init.  Everything else asks the registry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/buf.h"
#include "base/hook.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "core/module.h"
#include "db/db.h"
#include "http/reply.h"
#include "http/route.h"

#define MODULES_MAX	32

static const struct module	*mods[MODULES_MAX];
static size_t			 nmods;
static struct route		*routes;	/* every module's, in list order */

static int
name_ok(const char *s)
{
	if (s == NULL || *s < 'a' || *s > 'z')
		return (0);
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		    *s == '_'))
			return (0);
	return (1);
}

/* 1 when one of the first 'n' templates of 'm' is named 'name'. */
static int
template_in(const struct module *m, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(m->templates[i].name, name) == 0)
			return (1);
	return (0);
}

/* The statements, scopes, codes and routes of one module. */
static int
module_register(const struct module *m, size_t *nroutes, char *err,
    size_t errlen)
{
	const struct module_stmts *const *s;
	size_t				 i;

	if (!name_ok(m->name)) {
		snprintf(err, errlen, "module %zu has no valid name", nmods);
		return (-1);
	}
	for (i = 0; i < nmods; i++)
		if (strcmp(mods[i]->name, m->name) == 0) {
			snprintf(err, errlen, "module %s is listed twice",
			    m->name);
			return (-1);
		}
	if (nmods == MODULES_MAX) {
		snprintf(err, errlen, "more than %d modules", MODULES_MAX);
		return (-1);
	}
	for (s = m->stmts; s != NULL && *s != NULL; s++)
		db_register((*s)->stmts, (*s)->count);
	for (i = 0; i < m->nscopes; i++)
		if (policy_scope_register(&m->scopes[i], err, errlen) == -1)
			return (-1);
	if (m->nerrors > 0 && errcode_register(m->errors, m->nerrors, err,
	    errlen) == -1)
		return (-1);
	for (i = 0; i < m->nroutes; i++)
		if ((m->routes[i].perm == PERM_SCOPE ||
		    m->routes[i].perm == PERM_OPERATOR) &&
		    policy_scope_find(m->routes[i].scope) == NULL) {
			snprintf(err, errlen, "route %s %s of module %s needs "
			    "the undeclared scope '%s'", m->routes[i].method,
			    m->routes[i].pattern, m->name,
			    m->routes[i].scope != NULL ? m->routes[i].scope :
			    "");
			return (-1);
		}
	for (i = 0; i < m->ntemplates; i++)
		if (!name_ok(m->templates[i].name) ||
		    module_template_find(m->templates[i].name) != NULL ||
		    template_in(m, i, m->templates[i].name)) {
			snprintf(err, errlen, "module %s: mail template '%s' is "
			    "not a name or is declared twice", m->name,
			    m->templates[i].name != NULL ?
			    m->templates[i].name : "");
			return (-1);
		}
	*nroutes += m->nroutes;
	mods[nmods++] = m;
	return (0);
}

/*
 * The hooks the modules' init installed (base/hook.h), in order: which
 * module, which kind.  Every mode installs the same hooks (what differs by
 * mode is keys, threads and caches), which t0003-modules checks.
 */
#define INSTALLS_MAX	32
static struct {
	const struct module	*by;
	const char		*kind;
}			 installs[INSTALLS_MAX];
static size_t		 ninstalls;
static const struct module *initializing;

static void
hook_installed(const char *kind)
{
	if (ninstalls == INSTALLS_MAX)
		fatalx("modules: more than %d hooks installed", INSTALLS_MAX);
	installs[ninstalls].by = initializing;
	installs[ninstalls++].kind = kind;
}

int
modules_init(const struct module *const *list, const struct module_env *env,
    char *err, size_t errlen)
{
	size_t	 i, n = 0, at = 0;

	if (nmods != 0) {
		snprintf(err, errlen, "the modules are already registered");
		return (-1);
	}
	errcode_register_builtin();
	for (i = 0; list[i] != NULL; i++)
		if (module_register(list[i], &n, err, errlen) == -1)
			return (-1);
	routes = xcalloc(n > 0 ? n : 1, sizeof(*routes));
	for (i = 0; i < nmods; i++) {
		/* A module may have no route (files): no memcpy from NULL. */
		if (mods[i]->nroutes == 0)
			continue;
		memcpy(routes + at, mods[i]->routes,
		    mods[i]->nroutes * sizeof(*routes));
		at += mods[i]->nroutes;
	}
	router_init(routes, n);
	hook_observe(hook_installed);
	for (i = 0; i < nmods; i++) {
		initializing = mods[i];
		if (mods[i]->init != NULL &&
		    mods[i]->init(env, err, errlen) == -1)
			break;
	}
	initializing = NULL;
	hook_observe(NULL);
	return (i < nmods ? -1 : 0);
}

void
modules_start(void)
{
	size_t	 i;

	for (i = 0; i < nmods; i++)
		if (mods[i]->start != NULL)
			mods[i]->start();
}

void
modules_stop(void)
{
	size_t	 i;

	for (i = nmods; i > 0; i--)
		if (mods[i - 1]->stop != NULL)
			mods[i - 1]->stop();
}

size_t
module_count(void)
{
	return (nmods);
}

const struct module *
module_at(size_t i)
{
	return (i < nmods ? mods[i] : NULL);
}

const struct module *
module_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < nmods; i++)
		if (strcmp(mods[i]->name, name) == 0)
			return (mods[i]);
	return (NULL);
}

const struct mail_template *
module_template_find(const char *name)
{
	size_t	 i, j;

	for (i = 0; i < nmods; i++)
		for (j = 0; j < mods[i]->ntemplates; j++)
			if (strcmp(mods[i]->templates[j].name, name) == 0)
				return (&mods[i]->templates[j]);
	return (NULL);
}

/* The module whose route table holds route 'r' of the assembled table. */
static const struct module *
route_owner(size_t r)
{
	size_t	 i, at = 0;

	for (i = 0; i < nmods; i++) {
		if (r < at + mods[i]->nroutes)
			return (mods[i]);
		at += mods[i]->nroutes;
	}
	return (NULL);
}

void
modules_describe(FILE *f)
{
	const struct module		*m;
	const struct module_stmts *const *s;
	const struct route		*r;
	size_t				 i, j;

	for (i = 0; i < nmods; i++) {
		m = mods[i];
		fprintf(f, "module %s\n", m->name);
		if (m->privacy != NULL)
			fprintf(f, "hooks %s%s%s%s\n", m->name,
			    m->privacy->export != NULL ? " export" : "",
			    m->privacy->erase != NULL ? " erase" : "",
			    m->privacy->purge != NULL ? " purge" : "");
		for (s = m->stmts; s != NULL && *s != NULL; s++)
			for (j = 0; j < (*s)->count; j++)
				fprintf(f, "statement %s %s\n", m->name,
				    (*s)->stmts[j].name);
		for (j = 0; j < m->ncommands; j++)
			fprintf(f, "command %s %s\n", m->name,
			    m->commands[j].usage);
		for (j = 0; j < m->nscopes; j++)
			fprintf(f, "scope %s %s\n", m->name,
			    m->scopes[j].name);
		for (j = 0; j < m->ntemplates; j++)
			fprintf(f, "template %s %s%s%s\n", m->name,
			    m->templates[j].name,
			    m->templates[j].flags & MAIL_TO_UNVERIFIED ?
			    " to-unverified" : "",
			    m->templates[j].flags & MAIL_DESPITE_RESTRICTION ?
			    " despite-restriction" : "");
		fprintf(f, "start %s %s\n", m->name, m->start != NULL ? "yes" :
		    "no");
		for (j = 0; j < ninstalls; j++)
			if (installs[j].by == m)
				fprintf(f, "installs %s %s\n", m->name,
				    installs[j].kind);
	}
	for (i = 0; i < router_count(); i++) {
		r = router_at(i);
		m = route_owner(i);
		fprintf(f, "route %s %s %s %s%s%s\n", m != NULL ? m->name : "?",
		    r->method, r->pattern, perm_name(r->perm),
		    r->scope != NULL ? ":" : "", r->scope != NULL ? r->scope :
		    "");
	}
	for (i = 0; i < errcode_count(); i++)
		fprintf(f, "problem %s %d\n", errcode_at(i)->code,
		    problem_status(errcode_at(i)->problem));
	fprintf(f, "statements %zu\n", db_registered_count());
}

void
privacy_section_add(const struct db_res *res, struct buf *out,
    struct privacy_portable *portable)
{
	const char	*v;

	v = db_str(res, 0, "section");
	buf_adds(out, v != NULL ? v : "{}");
	if (portable != NULL) {
		v = db_str(res, 0, "portable");
		buf_adds(portable->out, v != NULL ? v : "{}");
	}
}

void
privacy_erased_add(json_t *erased, const char *module, const char *category,
    long records, const char *strategy)
{
	if (records <= 0)
		return;
	json_array_append_new(erased, json_pack("{s:s, s:s, s:I, s:s}",
	    "module", module, "category", category, "records",
	    (json_int_t)records, "strategy", strategy));
}
