/*
 * digest.c: SHA-256 through OpenSSL 3, hash128() through libxxhash.
 *
 * The algorithm is fetched once: EVP_sha256() hands EVP_Digest() an
 * implicit algorithm that it fetches again on every call, which perf
 * showed as two thirds of the hash's cost on the token cache's hot path
 * (EVP_MD_fetch, 5% of guichetd's user CPU on GET /api/v1/me).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <xxhash.h>

#include "base/b64.h"
#include "base/digest.h"
#include "base/log.h"

static EVP_MD		*md;
static pthread_once_t	 md_once = PTHREAD_ONCE_INIT;

static void
md_fetch(void)
{
	if ((md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		fatalx("OpenSSL has no SHA-256");
}

void
sha256(const void *in, size_t len, unsigned char out[SHA256_LEN])
{
	unsigned int	 n = SHA256_LEN;

	pthread_once(&md_once, md_fetch);
	if (EVP_Digest(in, len, out, &n, md, NULL) != 1 || n != SHA256_LEN)
		fatalx("sha-256 failed");
}

void
sha256_hex(const void *in, size_t len, char out[SHA256_HEX_LEN])
{
	unsigned char	 d[SHA256_LEN];

	sha256(in, len, d);
	hex_encode(d, sizeof(d), out);
}

void
hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
    unsigned char out[SHA256_LEN])
{
	unsigned int	 n = SHA256_LEN;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, &n) == NULL ||
	    n != SHA256_LEN)
		fatalx("hmac-sha-256 failed");
}

uint64_t
fnv1a64(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h);
}

/*
 * hash128(): XXH3's 128-bit hash from libxxhash (Debian's libxxhash-dev,
 * xxHash 0.8), written big-endian (its canonical form).  Measured on the
 * bench machine over 750 KB (an Open311 list): 17 GB/s, against 1.7 GB/s
 * for OpenSSL's SHA-256 with the SHA extensions, which was 6 % of the CPU
 * of a map request.
 */
void
hash128(const void *in, size_t len, unsigned char out[HASH128_LEN])
{
	XXH128_canonical_t	 c;

	XXH128_canonicalFromHash(&c, XXH3_128bits(in, len));
	memcpy(out, c.digest, HASH128_LEN);
}
