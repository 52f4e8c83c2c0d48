/*
 * random.h: bytes from the kernel's CSPRNG (getrandom(2)), for salts,
 * secrets and tokens.
 */
#ifndef GUICHET_RANDOM_H
#define GUICHET_RANDOM_H

#include <stddef.h>

/* Fill 'len' bytes; 0, or -1 with errno set. */
int	random_fill(void *, size_t);

/*
 * A fresh secret token: 32 random bytes as base64url (43 characters and
 * the NUL: 'len' >= RANDOM_TOKEN_LEN).  0, or -1 when the kernel gave no
 * randomness or 'len' is too small.
 */
#define RANDOM_TOKEN_LEN	44
int	random_token(char *, size_t);

#endif
