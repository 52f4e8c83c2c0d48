/*
 * erase.h: erasure (Art. 17 RGPD), written once and driven by the modules'
 * privacy hooks (privacy/hooks.h).
 *
 * Invariants:
 *  - one transaction: every registered hook's erase runs in it, in the
 *    order of registration, with one salt of 32 random bytes made for this
 *    erasure and never stored; if any hook fails, nothing is erased;
 *  - the erasure is recorded in privacy.erasures (who, when, categories
 *    and counts, the person's tombstone) without any erased value (A10);
 *  - the driver changes no module's data by hand: the identity hook
 *    anonymises the account, marks it 'erased', revokes its tokens and
 *    bumps its token version; the driver checks that the account did end
 *    up 'erased' and rolls back otherwise (a missing hook fails closed);
 *  - after the commit this process forgets the principal at once (the
 *    NOTIFY of identity.accounts reaches the other processes).
 */
#ifndef GUICHET_PRIVACY_ERASE_H
#define GUICHET_PRIVACY_ERASE_H

#include <jansson.h>

struct db;
struct db_error;
struct json_spec;
struct request;

/* Register the statements; before the server starts. */

enum erase_outcome {
	ERASE_DONE,		/* erased: *summary is set */
	ERASE_NO_ACCOUNT,	/* no such account */
	ERASE_ALREADY,		/* the account was already erased */
	ERASE_AGENT,		/* an agent's account: the town's, not erased */
	ERASE_FAILED,		/* database error ('err'), or a hook failed */
};

/*
 * Erase 'account'.  'dpo' is the DPO's account id when erasing on behalf
 * of the person (with 'reason', 1 to 500 characters), NULL when the person
 * asked (then 'reason' is NULL).  On ERASE_DONE *summary receives
 * {"erased":[...], "retained":[...], "erased_at"} (the caller owns it).
 */
enum erase_outcome privacy_erase(struct db *, const char *, const char *,
	    const char *, json_t **, struct db_error *);

/*
 * Inside the erasure transaction, for hooks that keep records cut from
 * the person: the person's tombstone (a uuid, out >= 37 bytes).  0, or -1
 * with 'err' (err->code DB_OK: no erasure of this account in progress).
 */
int	 privacy_erase_tombstone(struct db *, const char *, char *,
	    struct db_error *);

/* Handlers (route table). */
int	 privacy_me_erase(struct request *);
int	 privacy_admin_subject_erase(struct request *);

/* Input schemas (route table). */
extern const struct json_spec	privacy_me_erase_spec;
extern const struct json_spec	privacy_dpo_erase_spec;

#endif
