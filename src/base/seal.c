/*
 * seal.c: AES-256-GCM tokens (seal.h): base64url of a 12-byte random
 * nonce, the ciphertext and the 16-byte tag.  The plaintext is short (a
 * cursor's key), so the token stays a few dozen characters.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/b64.h"
#include "base/log.h"
#include "base/random.h"
#include "base/seal.h"
#include "base/xmalloc.h"

#define NONCE_LEN	12
#define TAG_LEN		16
#define PLAIN_MAX	1024

static unsigned char	 key[SEAL_KEY_LEN];
static int		 key_set;
static pthread_once_t	 key_once = PTHREAD_ONCE_INIT;

void
seal_set_key(const unsigned char k[SEAL_KEY_LEN])
{
	memcpy(key, k, SEAL_KEY_LEN);
	key_set = 1;
}

static void
key_random(void)
{
	if (!key_set && random_fill(key, sizeof(key)) == -1)
		fatalx("no random bytes for the sealing key");
}

/* Encrypt or decrypt 'n' bytes of 'in' into 'out'; 0, or -1. */
static int
gcm(int enc, const unsigned char *nonce, const unsigned char *in, size_t n,
    unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX	*c;
	int		 len, ok;

	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return (-1);
	ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) ==
	    1 && EVP_CipherUpdate(c, out, &len, in, (int)n) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
		    tag) == 1;
	ok = ok && EVP_CipherFinal_ex(c, out + len, &len) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
		    tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return (ok ? 0 : -1);
}

char *
seal(const char *plain)
{
	unsigned char	*raw;
	size_t		 n = strlen(plain);
	char		*out;

	pthread_once(&key_once, key_random);
	if (n > PLAIN_MAX)
		fatalx("seal: %zu bytes is not a cursor", n);
	raw = xmalloc(NONCE_LEN + n + TAG_LEN);
	if (random_fill(raw, NONCE_LEN) == -1 ||
	    gcm(1, raw, (const unsigned char *)plain, n, raw + NONCE_LEN,
	    raw + NONCE_LEN + n) == -1)
		fatalx("seal: encryption failed");
	out = b64url_encode_new(raw, NONCE_LEN + n + TAG_LEN);
	free(raw);
	return (out);
}

char *
unseal(const char *token)
{
	unsigned char	 raw[NONCE_LEN + PLAIN_MAX + TAG_LEN];
	char		*plain;
	ssize_t		 len;
	size_t		 n;

	pthread_once(&key_once, key_random);
	if ((len = b64url_decode(token, strlen(token), raw, sizeof(raw))) <
	    NONCE_LEN + TAG_LEN)
		return (NULL);
	n = (size_t)len - NONCE_LEN - TAG_LEN;
	plain = xmalloc(n + 1);
	if (gcm(0, raw, raw + NONCE_LEN, n, (unsigned char *)plain,
	    raw + NONCE_LEN + n) == -1 || memchr(plain, '\0', n) != NULL) {
		free(plain);
		return (NULL);
	}
	plain[n] = '\0';
	return (plain);
}
