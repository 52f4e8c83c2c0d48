/*
 * password.c: argon2id hashing (libargon2) and the strength rules.
 *
 * Invariants:
 * - The parameters and the dummy PHC string are written only by
 *   password_configure(), which runs at start-up before any thread that
 *   hashes; afterwards this module holds no mutable state, so every other
 *   function is safe to call from any thread.
 * - Only argon2id, version 19 (0x13), is produced; anything else verifies
 *   as malformed or, when it is still an argon2id string, asks for a
 *   rehash.
 * - Nothing here logs a password, a hash or a salt.
 */
#include <argon2.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/random.h"
#include "auth/common_passwords.h"
#include "auth/password.h"
#include "base/log.h"

#define SALT_BYTES		16
#define TAG_BYTES		32
#define PHC_VERSION		19	/* ARGON2_VERSION_13 */

/* Floors (OWASP's minimum for argon2id) and sanity ceilings. */
#define MIN_MEMORY_KIB		19456
#define MAX_MEMORY_KIB		(UINT32_C(4) * 1024 * 1024)	/* 4 GiB */
#define MIN_ITERATIONS		2
#define MAX_ITERATIONS		100
#define MIN_PARALLELISM		1
#define MAX_PARALLELISM		64

/*
 * The dummy verification runs argon2id over a fixed salt and an all-zero
 * tag that no password will match, at the cost of a real check,
 * because the parameters are the configured ones.  No hash needs to be
 * computed to build it.
 */
#define DUMMY_SALT_B64		"Z3VpY2hldC1kdW1teS0xNg"	/* "guichet-dummy-16" */
#define DUMMY_TAG_B64		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define DUMMY_FMT		"$argon2id$v=19$m=%" PRIu32 ",t=%" PRIu32 \
				",p=%" PRIu32 "$" \
				DUMMY_SALT_B64 "$" DUMMY_TAG_B64

static struct password_params	 params = {
	MIN_MEMORY_KIB, MIN_ITERATIONS, MIN_PARALLELISM
};
static char			 dummy_phc[PASSWORD_HASH_MAX] =
	"$argon2id$v=19$m=19456,t=2,p=1$" DUMMY_SALT_B64 "$" DUMMY_TAG_B64;

/* What password_needs_rehash() and password_verify() read of a PHC string. */
struct phc {
	uint32_t	 version;
	uint32_t	 memory_kib;
	uint32_t	 iterations;
	uint32_t	 parallelism;
	size_t		 salt_bytes;
	size_t		 tag_bytes;
};

static const char *parse_u32(const char *, const char *, uint32_t *);
static const char *parse_b64(const char *, int, size_t *);
static int	 phc_parse(const char *, struct phc *);
static size_t	 utf8_decode(const char *, uint32_t *, size_t);
static int	 is_pattern(const uint32_t *, size_t);
static int	 ascii_ieq(const char *, const char *, size_t);
static int	 common_cmp(const void *, const void *);

int
password_configure(const struct password_params *p)
{
	if (p->memory_kib < MIN_MEMORY_KIB || p->memory_kib > MAX_MEMORY_KIB ||
	    p->iterations < MIN_ITERATIONS || p->iterations > MAX_ITERATIONS ||
	    p->parallelism < MIN_PARALLELISM ||
	    p->parallelism > MAX_PARALLELISM)
		return (-1);
	params = *p;
	(void)snprintf(dummy_phc, sizeof(dummy_phc), DUMMY_FMT,
	    params.memory_kib, params.iterations, params.parallelism);
	return (0);
}

void
password_current(struct password_params *p)
{
	*p = params;
}

int
password_hash(const char *password, char *out, size_t len)
{
	unsigned char	 salt[SALT_BYTES];
	size_t		 n = strlen(password);
	int		 rc;

	if (n > PASSWORD_MAX_BYTES || len == 0)
		return (-1);
	if (random_fill(salt, sizeof(salt)) == -1) {
		log_warn("password hash: random_fill");
		return (-1);
	}
	rc = argon2id_hash_encoded(params.iterations, params.memory_kib,
	    params.parallelism, password, n, salt, sizeof(salt), TAG_BYTES,
	    out, len);
	explicit_bzero(salt, sizeof(salt));
	if (rc != ARGON2_OK) {
		log_warnx("password hash: %s", argon2_error_message(rc));
		out[0] = '\0';
		return (-1);
	}
	return (0);
}

int
password_verify(const char *password, const char *phc)
{
	struct phc	 h;
	int		 rc;

	/*
	 * The stored parameters bound the work: a string beyond the ceilings
	 * configure accepts was not written by us.  Below the floors is fine,
	 * an old hash still verifies and the login rehashes it.
	 */
	if (phc_parse(phc, &h) == -1 || h.version != PHC_VERSION ||
	    h.memory_kib > MAX_MEMORY_KIB || h.iterations > MAX_ITERATIONS ||
	    h.parallelism > MAX_PARALLELISM || h.parallelism < 1)
		return (-1);
	/* libargon2 compares the tags in constant time. */
	rc = argon2id_verify(phc, password, strlen(password));
	switch (rc) {
	case ARGON2_OK:
		return (1);
	case ARGON2_VERIFY_MISMATCH:
		return (0);
	case ARGON2_MEMORY_ALLOCATION_ERROR:
	case ARGON2_THREAD_FAIL:
		log_warnx("password verify: %s", argon2_error_message(rc));
		return (-1);
	default:
		/* Decoding and parameter errors: the string is malformed. */
		return (-1);
	}
}

int
password_needs_rehash(const char *phc)
{
	struct phc	 h;

	if (phc_parse(phc, &h) == -1)
		return (1);
	return (h.version != PHC_VERSION ||
	    h.memory_kib != params.memory_kib ||
	    h.iterations != params.iterations ||
	    h.parallelism != params.parallelism ||
	    h.salt_bytes < SALT_BYTES || h.tag_bytes != TAG_BYTES);
}

void
password_verify_dummy(const char *password)
{
	/* The result is always a mismatch; only the time spent matters. */
	(void)argon2id_verify(dummy_phc, password, strlen(password));
}

enum password_weakness
password_strength(const char *password, const char *email, const char *name)
{
	uint32_t	 cps[PASSWORD_MAX_BYTES];
	char		 low[PASSWORD_MAX_BYTES + 1];
	const char	*key = low, *at;
	size_t		 len = strlen(password), ncp, i;

	if (len > PASSWORD_MAX_BYTES)
		return (PASSWORD_TOO_LONG);
	if ((ncp = utf8_decode(password, cps, len)) < PASSWORD_MIN_CHARS)
		return (PASSWORD_TOO_SHORT);

	if (email != NULL) {
		if (ascii_ieq(password, email, strlen(email)))
			return (PASSWORD_IS_IDENTITY);
		if ((at = strrchr(email, '@')) != NULL &&
		    ascii_ieq(password, email, (size_t)(at - email)))
			return (PASSWORD_IS_IDENTITY);
	}
	if (name != NULL && ascii_ieq(password, name, strlen(name)))
		return (PASSWORD_IS_IDENTITY);

	for (i = 0; i < len; i++)
		low[i] = (password[i] >= 'A' && password[i] <= 'Z') ?
		    (char)(password[i] - 'A' + 'a') : password[i];
	low[len] = '\0';
	if (bsearch(&key, common_passwords, COMMON_PASSWORDS_COUNT,
	    sizeof(common_passwords[0]), common_cmp) != NULL)
		return (PASSWORD_TOO_COMMON);
	if (is_pattern(cps, ncp))
		return (PASSWORD_TOO_COMMON);
	return (PASSWORD_OK);
}

/* Decimal without sign, leading zero or overflow, then 'sep'. */
static const char *
parse_u32(const char *s, const char *sep, uint32_t *out)
{
	uint64_t	 v = 0;
	const char	*start = s;

	if (*s == '0' && s[1] >= '0' && s[1] <= '9')
		return (NULL);
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return (NULL);
	}
	if (s == start || strncmp(s, sep, strlen(sep)) != 0)
		return (NULL);
	*out = (uint32_t)v;
	return (s + strlen(sep));
}

/*
 * Unpadded standard base64 up to 'end' ('$' or NUL); its decoded length in
 * *bytes.  Returns the position of 'end'.
 */
static const char *
parse_b64(const char *s, int end, size_t *bytes)
{
	size_t	 n = 0;

	for (; *s != '\0' && *s != end; s++, n++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '+' || *s == '/'))
			return (NULL);
	if (*s != end || n == 0 || n % 4 == 1)
		return (NULL);
	*bytes = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
	return (s);
}

/* "$argon2id$v=V$m=M,t=T,p=P$SALT$TAG"; 0 or -1. */
static int
phc_parse(const char *s, struct phc *h)
{
	static const char	 prefix[] = "$argon2id$v=";

	if (s == NULL || strncmp(s, prefix, sizeof(prefix) - 1) != 0)
		return (-1);
	s += sizeof(prefix) - 1;
	if ((s = parse_u32(s, "$m=", &h->version)) == NULL ||
	    (s = parse_u32(s, ",t=", &h->memory_kib)) == NULL ||
	    (s = parse_u32(s, ",p=", &h->iterations)) == NULL ||
	    (s = parse_u32(s, "$", &h->parallelism)) == NULL ||
	    (s = parse_b64(s, '$', &h->salt_bytes)) == NULL ||
	    (s = parse_b64(s + 1, '\0', &h->tag_bytes)) == NULL)
		return (-1);
	return (0);
}

/*
 * Code points of 's' (ASCII letters folded to lower case) into 'cps';
 * returns their number.  Malformed UTF-8 is counted leniently (each byte
 * that is not a continuation byte starts a character): input checked by
 * jansson is valid anyway, and the count only has to be deterministic.
 */
static size_t
utf8_decode(const char *s, uint32_t *cps, size_t len)
{
	const unsigned char	*b = (const unsigned char *)s;
	size_t			 i = 0, n = 0;
	uint32_t		 c;

	while (i < len) {
		c = b[i++];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		else if (c >= 0xc0)
			for (c &= c >= 0xf0 ? 0x07 : c >= 0xe0 ? 0x0f : 0x1f;
			    i < len && (b[i] & 0xc0) == 0x80; i++)
				c = (c << 6) | (b[i] & 0x3f);
		cps[n++] = c;
	}
	return (n);
}

/*
 * Passwords no list needs to spell out: a shorter unit repeated at least
 * twice ("111111111111", "azertyazerty", "passwordpassword"): it is no
 * stronger than the unit alone; and runs of consecutive digits (wrapping
 * 9 -> 0) or letters, either way ("123456789012", "abcdefghijkl").
 */
static int
is_pattern(const uint32_t *cps, size_t n)
{
	size_t	 period, i;
	int	 step, d, digits, letters;

	for (period = 1; period <= n / 2; period++) {
		for (i = period; i < n && cps[i] == cps[i - period]; i++)
			;
		if (i == n)
			return (1);
	}

	for (step = -1; step <= 1; step += 2) {
		digits = cps[0] >= '0' && cps[0] <= '9';
		letters = cps[0] >= 'a' && cps[0] <= 'z';
		for (i = 1; i < n && (digits || letters); i++) {
			d = (int)cps[i] - (int)cps[i - 1];
			/* 9 -> 0 going up is -9, 0 -> 9 going down is +9. */
			if (cps[i] < '0' || cps[i] > '9' ||
			    (d != step && d != -9 * step))
				digits = 0;
			if (cps[i] < 'a' || cps[i] > 'z' || d != step)
				letters = 0;
		}
		if (digits || letters)
			return (1);
	}
	return (0);
}

/* 'a' equals the first 'blen' bytes of 'b', ASCII case folded. */
static int
ascii_ieq(const char *a, const char *b, size_t blen)
{
	size_t	 i;
	int	 ca, cb;

	if (blen == 0 || strlen(a) != blen)
		return (0);
	for (i = 0; i < blen; i++) {
		ca = (unsigned char)a[i];
		cb = (unsigned char)b[i];
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return (0);
	}
	return (1);
}

static int
common_cmp(const void *key, const void *elem)
{
	return (strcmp(*(const char *const *)key,
	    *(const char *const *)elem));
}
