/*
 * lang.c: language codes (lang.h).
 */
#include <stddef.h>
#include <string.h>

#include "base/lang.h"

const char *const lang_codes[LANG__COUNT + 1] = {
	[LANG_FR] = "fr",
	[LANG_EN] = "en",
	[LANG_IT] = "it",
	[LANG__COUNT] = NULL,
};

const char *
lang_code(enum lang l)
{
	return ((unsigned)l < LANG__COUNT ? lang_codes[l] :
	    lang_codes[LANG_FR]);
}

enum lang
lang_from_code(const char *s, enum lang dflt)
{
	int	 i;

	if (s == NULL)
		return (dflt);
	for (i = 0; i < LANG__COUNT; i++)
		if (strcmp(s, lang_codes[i]) == 0)
			return ((enum lang)i);
	return (dflt);
}
