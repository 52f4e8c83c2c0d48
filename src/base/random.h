/*
 * random.h: bytes from the kernel's CSPRNG (getrandom(2)), for salts,
 * secrets and tokens.
 */
#ifndef GUICHET_RANDOM_H
#define GUICHET_RANDOM_H

#include <stddef.h>

/* Fill 'len' bytes; 0, or -1 with errno set. */
int	random_fill(void *, size_t);

#endif
