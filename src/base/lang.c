/*
 * lang.c: language codes (lang.h).
 */
#include <stddef.h>
#include <string.h>

#include "base/lang.h"

static const char *const codes[LANG__COUNT] = {
	[LANG_FR] = "fr",
	[LANG_EN] = "en",
	[LANG_IT] = "it",
};

const char *
lang_code(enum lang l)
{
	return ((unsigned)l < LANG__COUNT ? codes[l] : codes[LANG_FR]);
}

enum lang
lang_from_code(const char *s, enum lang dflt)
{
	int	 i;

	if (s == NULL)
		return (dflt);
	for (i = 0; i < LANG__COUNT; i++)
		if (strcmp(s, codes[i]) == 0)
			return ((enum lang)i);
	return (dflt);
}
