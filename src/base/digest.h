/*
 * digest.h: the project's hashes: SHA-256 (token cache keys, refresh-token
 * and one-time-token hashes, migration checksums, ETags) and its HMAC, and
 * FNV-1a for the buckets of in-memory tables.
 */
#ifndef GUICHET_DIGEST_H
#define GUICHET_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN	32
#define SHA256_HEX_LEN	65	/* 64 hex digits and the NUL */

void	 sha256(const void *, size_t, unsigned char[SHA256_LEN]);
/* Lowercase hex. */
void	 sha256_hex(const void *, size_t, char[SHA256_HEX_LEN]);
/*
 * FNV-1a, 64 bits, of a string: for hash tables (the answer cache, the
 * rate limiter), never for anything an attacker must not collide.
 */
uint64_t fnv1a64(const char *);
/* HMAC-SHA-256 (RFC 2104) of 'len' bytes under a 'keylen'-byte key. */
void	 hmac_sha256(const void *, size_t, const void *, size_t,
	    unsigned char[SHA256_LEN]);

#endif
