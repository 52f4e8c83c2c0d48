/*
 * password.h: password hashing (argon2id via libargon2) and strength rules.
 *
 * Hashes are PHC strings ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash") with a
 * 16-byte random salt and a 32-byte tag.  The cost is configured once at
 * start-up; password_needs_rehash() tells a login to re-hash a password
 * whose stored parameters differ from the configured ones.  Hashing costs
 * tens of milliseconds of CPU on purpose: callers run it on the slow lane,
 * never on the request threads.
 */
#ifndef GUICHET_PASSWORD_H
#define GUICHET_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#define PASSWORD_MIN_CHARS	12
#define PASSWORD_MAX_BYTES	1024
#define PASSWORD_HASH_MAX	160	/* PHC string buffer size */

struct password_params {
	uint32_t	 memory_kib;	/* >= 19456 */
	uint32_t	 iterations;	/* >= 2 */
	uint32_t	 parallelism;	/* >= 1 */
};

enum password_weakness {
	PASSWORD_OK = 0,
	PASSWORD_TOO_SHORT,	/* fewer than PASSWORD_MIN_CHARS characters */
	PASSWORD_TOO_LONG,	/* more than PASSWORD_MAX_BYTES bytes */
	PASSWORD_TOO_COMMON,	/* in the embedded list (case-insensitive) */
	PASSWORD_IS_IDENTITY,	/* equals the email, its local part or the name */
};

/* -1 when below the minimums (the caller refuses to start). */
int	 password_configure(const struct password_params *);
void	 password_current(struct password_params *);

/* Strength of a candidate; 'email' and 'name' may be NULL. */
enum password_weakness password_strength(const char *, const char *,
	    const char *);

/* Hash into 'out' (PASSWORD_HASH_MAX bytes).  0, or -1 on failure. */
int	 password_hash(const char *, char *, size_t);
/* 1 when 'password' matches 'phc', 0 when not, -1 when 'phc' is malformed. */
int	 password_verify(const char *, const char *);
/* 1 when 'phc' was made with other parameters than the configured ones. */
int	 password_needs_rehash(const char *);
/*
 * Spend the time of a verification without a stored hash, so that an
 * unknown account answers as slowly as a wrong password.
 */
void	 password_verify_dummy(const char *);

#endif
