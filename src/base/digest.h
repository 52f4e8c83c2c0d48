/*
 * digest.h: the project's hashes: SHA-256 (token cache keys, refresh-token
 * and one-time-token hashes, migration checksums) and its HMAC, hash128()
 * for ETags, and FNV-1a for the buckets of in-memory tables.
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
/*
 * A fast 128-bit hash of 'len' bytes (XXH3-128, libxxhash): an
 * accidental collision is as likely as two random 128-bit values
 * meeting, but it is no cryptographic hash (one can make two inputs
 * collide on purpose): for ETags, which tell apart the versions of one
 * public answer (a collision made on purpose would at worst let a client
 * keep its copy until the next change), never for a secret, a signature
 * or an integrity check.
 */
#define HASH128_LEN	16
void	 hash128(const void *, size_t, unsigned char[HASH128_LEN]);
/* HMAC-SHA-256 (RFC 2104) of 'len' bytes under a 'keylen'-byte key. */
void	 hmac_sha256(const void *, size_t, const void *, size_t,
	    unsigned char[SHA256_LEN]);

#endif
