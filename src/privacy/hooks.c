/*
 * hooks.c: the registry of the modules' privacy hooks (see hooks.h).
 */
#include <stddef.h>

#include "base/log.h"
#include "privacy/hooks.h"

#define HOOKS_MAX	16

static const struct privacy_hook	*hooks[HOOKS_MAX];
static size_t				 nhooks;

void
privacy_hook_register(const struct privacy_hook *h)
{
	size_t	 i;

	for (i = 0; i < nhooks; i++)
		if (hooks[i] == h)
			return;
	if (nhooks == HOOKS_MAX)
		fatalx("too many privacy hooks");
	hooks[nhooks++] = h;
}

size_t
privacy_hook_count(void)
{
	return (nhooks);
}

const struct privacy_hook *
privacy_hook_at(size_t i)
{
	return (i < nhooks ? hooks[i] : NULL);
}
