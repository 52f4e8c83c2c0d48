/*
 * lang.h: the languages people read guichet in (ARCHITECTURE.md, "API conventions"):
 * French (the default), English and Italian.  One enum, one table of
 * codes: every text in three languages is indexed by enum lang.
 */
#ifndef GUICHET_LANG_H
#define GUICHET_LANG_H

enum lang { LANG_FR, LANG_EN, LANG_IT, LANG__COUNT };

/* "fr", "en", "it". */
const char	*lang_code(enum lang);
/* The same codes by enum lang, NULL after the last (a json_field's one_of). */
extern const char *const lang_codes[LANG__COUNT + 1];
/* The language of a code; 'dflt' for NULL or an unknown one. */
enum lang	 lang_from_code(const char *, enum lang);

#endif
