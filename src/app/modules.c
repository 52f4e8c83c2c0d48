/*
 * modules.c: THE list of modules.
 *
 * Lowest layer first: a module may use the modules above it in this list
 * (their headers, their exported views), never those below it, which it
 * reaches through hooks only.  Adding a module is its folder, one line
 * here, its migrations and its Makefile lines (ARCHITECTURE.md, "Adding a
 * module").
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/app.h"
#include "base/conf.h"
#include "http/cache.h"
#include "http/live.h"

/* One line per module: its folder declares <name>_module. */
#define APP_MODULES(M) \
	M(ops) \
	M(web) \
	M(files) \
	M(identity) \
	M(procedures) \
	M(privacy) \
	M(cases) \
	M(incidents) \
	M(mountain) \
	M(shuttles) \
	M(open311)

#define MODULE_DECLARE(n)	extern const struct module n##_module;
#define MODULE_ENTRY(n)		&n##_module,

APP_MODULES(MODULE_DECLARE)

const struct module *const app_modules[] = {
	APP_MODULES(MODULE_ENTRY)
	NULL
};

void
app_routes_install(void)
{
	static struct conf	 c;
	char			 err[256];

	if (module_count() > 0)
		return;
	conf_init(&c);
	if (app_init(&c, MODULE_DOC, err, sizeof(err)) == -1) {
		fprintf(stderr, "app_routes_install: %s\n", err);
		abort();
	}
}

int
app_init(const struct conf *c, enum module_mode mode, char *err,
    size_t errlen)
{
	struct module_env	 env = { c, mode };

	if (mode == MODULE_SERVER) {
		cache_init();
		live_init();
	}
	return (modules_init(app_modules, &env, err, errlen));
}
