/*
 * hooks.h: how each module exports and erases what it holds about a person.
 *
 * Export (Art. 15/20), erasure (Art. 17) and retention are written once, in
 * src/privacy, and driven by the 'pii:<category>' tags; what only a module
 * knows (which of its rows belong to the person, which must be kept by law)
 * it says through one hook, registered at start-up (identity, privacy
 * today; cases, incidents, mobility later).  Hooks run in the order they
 * were registered; erasure hooks run inside the one erasure transaction.
 */
#ifndef GUICHET_PRIVACY_HOOKS_H
#define GUICHET_PRIVACY_HOOKS_H

#include <jansson.h>
#include <stddef.h>

struct buf;
struct db;
struct db_error;

struct privacy_hook {
	const char	*module;	/* "identity", "privacy", "cases"... */
	/*
	 * Append the person's data as the members of one JSON object (the
	 * module's section: '{' and '}' included) to 'out'.  'portable'
	 * (may be NULL) receives, the same way, the part the person provided
	 * under consent or contract (Art. 20).  0, or -1 with 'err'.
	 */
	int	(*export)(struct db *, const char *account, struct buf *out,
		    struct buf *portable, struct db_error *err);
	/*
	 * Inside the erasure transaction: delete or anonymise what is
	 * erasable, cut from the person what must be kept.  Append to
	 * 'erased' {"module","category","records"} and to 'retained'
	 * {"module","category","records","legal_basis","until"} objects.
	 * 'salt' is random per erasure and never stored: where a value must
	 * stay unique, hash it with the salt.  0, or -1 with 'err'.
	 */
	int	(*erase)(struct db *, const char *account, const char *salt,
		    json_t *erased, json_t *retained, struct db_error *err);
};

/* At start-up, before any request. */
void	 privacy_hook_register(const struct privacy_hook *);
size_t	 privacy_hook_count(void);
const struct privacy_hook *privacy_hook_at(size_t);

#endif
