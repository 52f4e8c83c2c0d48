/*
 * digest.h: SHA-256, the one hash of the project (token cache keys,
 * refresh-token and one-time-token hashes, migration checksums, ETags).
 */
#ifndef GUICHET_DIGEST_H
#define GUICHET_DIGEST_H

#include <stddef.h>

#define SHA256_LEN	32
#define SHA256_HEX_LEN	65	/* 64 hex digits and the NUL */

void	 sha256(const void *, size_t, unsigned char[SHA256_LEN]);
/* Lowercase hex. */
void	 sha256_hex(const void *, size_t, char[SHA256_HEX_LEN]);
/* HMAC-SHA-256 (RFC 2104) of 'len' bytes under a 'keylen'-byte key. */
void	 hmac_sha256(const void *, size_t, const void *, size_t,
	    unsigned char[SHA256_LEN]);

#endif
