/*
 * hooks.c: the modules with privacy hooks (see hooks.h), from the module
 * registry: registered once at start-up, read-only afterwards.
 */
#include <stddef.h>

#include "core/module.h"
#include "privacy/hooks.h"

size_t
privacy_hook_count(void)
{
	size_t	 i, n = 0;

	for (i = 0; i < module_count(); i++)
		if (module_at(i)->privacy != NULL)
			n++;
	return (n);
}

const struct module *
privacy_hook_at(size_t k)
{
	const struct module	*m;
	size_t			 i;

	for (i = 0; i < module_count(); i++) {
		m = module_at(i);
		if (m->privacy != NULL && k-- == 0)
			return (m);
	}
	return (NULL);
}
