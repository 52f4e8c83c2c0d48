/*
 * totp.c: RFC 6238 one-time passwords (HMAC-SHA-1, 6 digits, 30 s steps,
 * counted from the Unix epoch) through liboath.
 *
 * Invariants:
 * - Secrets are RFC 4648 base32 without padding on the way out; lower case
 *   and padding are accepted on the way in.  Decoded secrets are wiped
 *   before their memory is freed.
 * - Codes are compared in constant time (liboath's own check uses
 *   strcmp()).
 * - The only state is liboath's, initialised once under pthread_once();
 *   every function is safe to call from any thread.
 */
#include <errno.h>
#include <liboath/oath.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/random.h"
#include "auth/totp.h"
#include "base/log.h"

#define TOTP_STEP	30
#define TOTP_DIGITS	6
#define TOTP_WINDOW	1	/* steps accepted either side of now */

static pthread_once_t	 init_once = PTHREAD_ONCE_INIT;
static int		 init_rc = -1;

/* Output cursor for totp_uri(). */
struct out {
	char	*p;
	size_t	 len;
	size_t	 off;
	int	 overflow;
};

static void	 init_oath(void);
static int	 secret_decode(const char *, char **, size_t *);
static void	 secret_free(char *, size_t);
static int	 code_cmp(void *, const char *);
static void	 out_str(struct out *, const char *);
static void	 out_enc(struct out *, const char *);

int
totp_init(void)
{
	if (pthread_once(&init_once, init_oath) != 0)
		return (-1);
	return (init_rc);
}

int
totp_secret_new(char *out, size_t len)
{
	char		 raw[TOTP_SECRET_BYTES], *b32 = NULL, *eq;
	size_t		 n = 0;
	int		 rc = -1;

	if (totp_init() == -1)
		return (-1);
	if (random_fill(raw, sizeof(raw)) == -1) {
		log_warn("totp secret: random_fill");
		goto out;
	}
	if (oath_base32_encode(raw, sizeof(raw), &b32, &n) != OATH_OK)
		goto out;
	/* 20 bytes need no padding; strip it anyway should the size change. */
	if ((eq = strchr(b32, '=')) != NULL)
		*eq = '\0';
	if (strlen(b32) >= len)
		goto out;
	memcpy(out, b32, strlen(b32) + 1);
	rc = 0;
out:
	explicit_bzero(raw, sizeof(raw));
	if (b32 != NULL)
		secret_free(b32, n);
	return (rc);
}

int
totp_uri(const char *issuer, const char *label, const char *secret_b32,
    char *buf, size_t len)
{
	struct out	 o = { buf, len, 0, 0 };

	if (issuer == NULL || label == NULL || secret_b32 == NULL || len == 0)
		return (-1);
	out_str(&o, "otpauth://totp/");
	out_enc(&o, issuer);
	out_str(&o, ":");
	out_enc(&o, label);
	out_str(&o, "?secret=");
	out_enc(&o, secret_b32);
	out_str(&o, "&issuer=");
	out_enc(&o, issuer);
	out_str(&o, "&algorithm=SHA1&digits=6&period=30");
	if (o.overflow) {
		buf[0] = '\0';
		return (-1);
	}
	buf[o.off] = '\0';
	return (0);
}

int64_t
totp_check(const char *secret_b32, const char *code, int64_t now)
{
	char		*secret;
	size_t		 n, i;
	uint64_t	 counter = 0;
	int		 pos = 0, rc;

	if (code == NULL)
		return (-1);
	for (i = 0; code[i] != '\0'; i++)
		if (i >= TOTP_DIGITS || code[i] < '0' || code[i] > '9')
			return (-1);
	if (i != TOTP_DIGITS || now < 0 || totp_init() == -1)
		return (-1);
	if (secret_decode(secret_b32, &secret, &n) == -1)
		return (-1);
	rc = oath_totp_validate3_callback(secret, n, (time_t)now, TOTP_STEP,
	    OATH_TOTP_DEFAULT_START_TIME, TOTP_DIGITS, TOTP_WINDOW, &pos,
	    &counter, code_cmp, (void *)(uintptr_t)code);
	secret_free(secret, n);
	if (rc < 0)
		return (-1);
	return ((int64_t)counter);
}

int
totp_code(const char *secret_b32, int64_t step, char *out, size_t len)
{
	char	*secret, otp[TOTP_DIGITS + 1];
	size_t	 n;
	int	 rc;

	if (step < 0 || step > INT64_MAX / TOTP_STEP || len <= TOTP_DIGITS ||
	    totp_init() == -1)
		return (-1);
	if (secret_decode(secret_b32, &secret, &n) == -1)
		return (-1);
	rc = oath_totp_generate(secret, n, (time_t)(step * TOTP_STEP),
	    TOTP_STEP, OATH_TOTP_DEFAULT_START_TIME, TOTP_DIGITS, otp);
	secret_free(secret, n);
	if (rc != OATH_OK)
		return (-1);
	memcpy(out, otp, sizeof(otp));
	return (0);
}

static void
init_oath(void)
{
	int	 rc;

	if ((rc = oath_init()) != OATH_OK) {
		log_warnx("liboath: %s", oath_strerror(rc));
		return;
	}
	init_rc = 0;
}

/* Base32 to bytes (freed with secret_free()); -1 when invalid or empty. */
static int
secret_decode(const char *b32, char **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (b32 == NULL || b32[0] == '\0' ||
	    oath_base32_decode(b32, strlen(b32), out, n) != OATH_OK)
		return (-1);
	if (*n == 0) {
		free(*out);
		*out = NULL;
		return (-1);
	}
	return (0);
}

static void
secret_free(char *p, size_t n)
{
	explicit_bzero(p, n);
	free(p);
}

/* liboath's strcmp-like callback: 0 on a match, without early exit. */
static int
code_cmp(void *handle, const char *test_otp)
{
	const char	*code = handle;
	unsigned char	 diff = 0;
	size_t		 i;

	if (strlen(test_otp) != TOTP_DIGITS)
		return (1);
	for (i = 0; i < TOTP_DIGITS; i++)
		diff |= (unsigned char)(code[i] ^ test_otp[i]);
	return (diff != 0);
}

static void
out_str(struct out *o, const char *s)
{
	size_t	 n = strlen(s);

	if (o->overflow || n >= o->len - o->off) {
		o->overflow = 1;
		return;
	}
	memcpy(o->p + o->off, s, n);
	o->off += n;
}

/* Percent-encode all but RFC 3986's unreserved characters. */
static void
out_enc(struct out *o, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 e[4];
	unsigned char		 c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			e[0] = (char)c;
			e[1] = '\0';
		} else {
			e[0] = '%';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 0x0f];
			e[3] = '\0';
		}
		out_str(o, e);
	}
}
