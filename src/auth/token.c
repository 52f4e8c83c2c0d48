/*
 * token.c: access tokens (JWT); the only file that includes <jwt.h>.
 *
 * libjwt signs and checks signatures; everything it gets wrong in 1.10.2
 * (token.h; ARCHITECTURE.md, "API conventions") is done here: the header
 * is judged before libjwt sees the token, the claims by hand after it.
 *
 * The header's "typ" is "JWT", not RFC 9068's "at+jwt": libjwt 1.10.2
 * replaces any typ by "JWT" when encoding (jwt_write_head) and refuses any
 * other typ when decoding (jwt_verify_head).  What keeps another kind of
 * JWT from passing for an access token is therefore the set of rules only
 * ours satisfy (RFC 8725 3.12): our issuer, our audience, a "kind" of
 * person or client, a token version for persons.
 *
 * Invariants:
 * - a key set is never modified once published: readers hold keys_lock
 *   for reading while they use it; a (re)load builds the new set without
 *   the lock and swaps the pointer under the write lock;
 * - jwt_decode() is never called with a NULL or empty key;
 * - every change of the key set or of issuer/audience bumps 'generation',
 *   and a cached verification counts only for the generation it was made
 *   in, so a dropped key or a new audience takes effect at once.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth/token.h"
#include "base/b64.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/random.h"
#include "base/xmalloc.h"

#define LEEWAY		60		/* seconds, for exp, nbf and iat */
#define TYP		"JWT"		/* the only typ libjwt 1.10.2 accepts */
#define TOKEN_MAX_LEN	8192		/* ours are about 500 bytes */
#define KID_MAX		64
#define KEYS_MAX	16
#define KEYFILE_MAX	(64 * 1024)
#define PEMFILE_MAX	(64 * 1024)
#define HS256_MIN	32		/* bytes of secret: RFC 7518 3.2 */
#define RSA_MIN_BITS	2048
#define RSA_NEW_BITS	3072		/* ANSSI: 3072 for use past 2030 */
#define RELOAD_EVERY	1000000		/* us between looks at the key file */
#define CACHE_SLOTS	4096		/* verified tokens, by SHA-256 */
#define CACHE_WAYS	4		/* slots per set: collisions coexist */
#define CACHE_SETS	(CACHE_SLOTS / CACHE_WAYS)
#define CACHE_STRIPES	64

enum alg { ALG_HS256, ALG_ES256, ALG_RS256 };

static const struct {
	const char	*name;
	jwt_alg_t	 jwt;
} algs[] = {
	[ALG_HS256] = { "HS256", JWT_ALG_HS256 },
	[ALG_ES256] = { "ES256", JWT_ALG_ES256 },
	[ALG_RS256] = { "RS256", JWT_ALG_RS256 },
};

/* Header parameters that would let a token choose its own key. */
static const char *const forbidden_headers[] = {
	"jku", "x5u", "jwk", "x5c", "crit",
};

struct key {
	char		 kid[KID_MAX + 1];
	char		*value;		/* third field of its line */
	/*
	 * What libjwt verifies with: the secret for HS256, the public key
	 * PEM for ES256/RS256 (1.10.2 reads it with PEM_read_bio_PUBKEY).
	 */
	unsigned char	*vkey;
	size_t		 vkey_len;
	/* What libjwt signs with: the secret, or the private key PEM. */
	unsigned char	*skey;
	size_t		 skey_len;
	EVP_PKEY	*pkey;		/* asymmetric; private when 'priv' */
	int		 priv;
};

struct file_id {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
};

struct keyset {
	enum alg	 alg;
	struct key	 keys[KEYS_MAX];	/* keys[0] signs */
	size_t		 nkeys;
	char		*jwks;		/* asymmetric only */
	struct file_id	 id;
};

struct cache_slot {
	uint64_t		 gen;	/* 0: empty */
	unsigned char		 digest[32];
	int64_t			 nbf;	/* INT64_MIN when absent */
	struct token_claims	 c;
};

static pthread_rwlock_t	 keys_lock =
    PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static struct keyset	*keys;		/* keys_lock */
static char		*issuer;	/* keys_lock */
static char		*audience;	/* keys_lock */
static uint64_t		 generation = 1;	/* keys_lock */

static pthread_mutex_t	 load_mutex = PTHREAD_MUTEX_INITIALIZER;
static char		*key_path;	/* load_mutex */
static struct file_id	 failed_id;	/* load_mutex: last state that failed */
static _Atomic int64_t	 last_check;

static struct cache_slot cache[CACHE_SLOTS];
static pthread_mutex_t	 cache_locks[CACHE_STRIPES];
static pthread_once_t	 cache_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t	 cache_hits;

/* Copy 's' into 'dst' of 'size' bytes, truncating (callers check lengths). */
static void
str_copy(char *dst, const char *s, size_t size)
{
	size_t	 n = strnlen(s, size - 1);

	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Randomness. */

/* 2 * n lowercase hex digits of fresh randomness in 'out' (2n + 1 bytes). */
static int
random_hex(char *out, size_t n)
{
	unsigned char	 b[32];

	if (n > sizeof(b) || random_fill(b, n) == -1)
		return (-1);
	hex_encode(b, n, out);
	OPENSSL_cleanse(b, sizeof(b));
	return (0);
}

static int
alg_find(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(s, algs[i].name) == 0)
			return ((int)i);
	return (-1);
}

static int
asymmetric(enum alg a)
{
	return (a == ALG_ES256 || a == ALG_RS256);
}

/* Key files. */

static void
file_id_set(struct file_id *id, const struct stat *st)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
}

static int
file_id_eq(const struct file_id *a, const struct file_id *b)
{
	return (a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec);
}

/*
 * Read a whole secret file into *out (NUL-terminated, freed by the
 * caller).  Refused: not a regular file, larger than 'max', or open to
 * the group or others.
 */
static int
read_secret_file(const char *path, size_t max, char **out, size_t *outlen,
    struct stat *st, char *err, size_t errlen)
{
	char	*data;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	if ((st->st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: mode %04o lets the group or others "
		    "read or write a secret; chmod 600 %s",
		    path, (unsigned int)(st->st_mode & 07777), path);
		close(fd);
		return (-1);
	}
	if ((size_t)st->st_size > max) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
		close(fd);
		return (-1);
	}
	data = xmalloc(max + 1);
	for (;;) {
		n = read(fd, data + len, max + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			snprintf(err, errlen, "%s: larger than %zu bytes",
			    path, max);
			n = -1;
			break;
		}
	}
	close(fd);
	if (n == -1) {
		OPENSSL_cleanse(data, len);
		free(data);
		return (-1);
	}
	data[len] = '\0';
	*out = data;
	*outlen = len;
	return (0);
}

/* An encrypted PEM is refused rather than asking for a password on a tty. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return (0);
}

/*
 * The key as PEM for libjwt, which reads it again on every call: the
 * public key to verify, the private key (unencrypted PKCS #8) to sign.
 */
static int
key_pem(EVP_PKEY *pkey, int priv, unsigned char **out, size_t *outlen)
{
	BIO	*bio;
	char	*p;
	long	 n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return (-1);
	if ((priv ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
	    NULL) : PEM_write_bio_PUBKEY(bio, pkey)) != 1 ||
	    (n = BIO_get_mem_data(bio, &p)) <= 0) {
		BIO_free(bio);
		return (-1);
	}
	*out = xmalloc((size_t)n + 1);
	memcpy(*out, p, (size_t)n);
	(*out)[n] = '\0';
	*outlen = (size_t)n;
	OPENSSL_cleanse(p, (size_t)n);
	BIO_free(bio);
	return (0);
}

/* Whether 'pkey' is fit for 'a': a P-256 key, or an RSA key of 2048+ bits. */
static int
pkey_fits(EVP_PKEY *pkey, enum alg a)
{
	char	 group[64];
	size_t	 len;

	if (a == ALG_ES256)
		return (EVP_PKEY_is_a(pkey, "EC") &&
		    EVP_PKEY_get_group_name(pkey, group, sizeof(group),
		    &len) == 1 && strcmp(group, "prime256v1") == 0);
	return (EVP_PKEY_is_a(pkey, "RSA") &&
	    EVP_PKEY_get_bits(pkey) >= RSA_MIN_BITS);
}

/* A relative PEM path is taken from the key file's directory. */
static char *
resolve_pem(const char *keyfile, const char *value)
{
	const char	*slash;
	char		*out;

	if (value[0] == '/' || (slash = strrchr(keyfile, '/')) == NULL)
		return (xstrdup(value));
	xasprintf(&out, "%.*s/%s", (int)(slash - keyfile), keyfile, value);
	return (out);
}

static int
load_pem(const char *keyfile, int line, struct key *k, enum alg a,
    int first, char *err, size_t errlen)
{
	struct stat	 st;
	char		*path, *data, sub[PATH_MAX + 256];
	size_t		 len;
	BIO		*bio;
	int		 rc = -1;

	path = resolve_pem(keyfile, k->value);
	if (read_secret_file(path, PEMFILE_MAX, &data, &len, &st, sub,
	    sizeof(sub)) == -1) {
		snprintf(err, errlen, "%s:%d: %s", keyfile, line, sub);
		free(path);
		return (-1);
	}
	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		fatalx("out of memory in openssl");
	k->pkey = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	if (k->pkey != NULL)
		k->priv = 1;
	else if (!first) {
		/* Later lines only verify: a public key will do. */
		(void)BIO_reset(bio);
		k->pkey = PEM_read_bio_PUBKEY(bio, NULL, no_password, NULL);
	}
	BIO_free(bio);
	OPENSSL_cleanse(data, len);
	free(data);
	ERR_clear_error();	/* a failed first try leaves errors queued */
	if (k->pkey == NULL)
		snprintf(err, errlen, "%s:%d: %s: not an unencrypted PEM "
		    "%s key", keyfile, line, path,
		    first ? "private" : "private or public");
	else if (!pkey_fits(k->pkey, a))
		snprintf(err, errlen, "%s:%d: %s: not %s",
		    keyfile, line, path, a == ALG_ES256 ? "an EC P-256 key" :
		    "an RSA key of at least 2048 bits");
	else if (key_pem(k->pkey, 0, &k->vkey, &k->vkey_len) == -1 ||
	    (k->priv && key_pem(k->pkey, 1, &k->skey, &k->skey_len) == -1))
		snprintf(err, errlen, "%s:%d: %s: cannot export the key",
		    keyfile, line, path);
	else
		rc = 0;
	free(path);
	return (rc);
}

static void
keyset_free(struct keyset *ks)
{
	size_t	 i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->nkeys; i++) {
		if (ks->keys[i].vkey != NULL) {
			OPENSSL_cleanse(ks->keys[i].vkey, ks->keys[i].vkey_len);
			free(ks->keys[i].vkey);
		}
		if (ks->keys[i].skey != NULL) {
			OPENSSL_cleanse(ks->keys[i].skey, ks->keys[i].skey_len);
			free(ks->keys[i].skey);
		}
		if (ks->keys[i].value != NULL) {
			OPENSSL_cleanse(ks->keys[i].value,
			    strlen(ks->keys[i].value));
			free(ks->keys[i].value);
		}
		EVP_PKEY_free(ks->keys[i].pkey);
	}
	free(ks->jwks);
	free(ks);
}

static const struct key *
keyset_find(const struct keyset *ks, const char *kid)
{
	size_t	 i;

	for (i = 0; i < ks->nkeys; i++)
		if (strcmp(ks->keys[i].kid, kid) == 0)
			return (&ks->keys[i]);
	return (NULL);
}

static int
kid_valid(const char *s)
{
	size_t	 n;

	for (n = 0; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && strchr("._-", s[n]) == NULL)
			return (0);
	return (n > 0 && n <= KID_MAX);
}

/* A big number as a JWK member (RFC 7518 6.2.1.2, 6.3.1.1). */
static int
jwk_add_bn(json_t *jwk, const char *name, EVP_PKEY *pkey, const char *param,
    int width)
{
	BIGNUM		*bn = NULL;
	unsigned char	*bin;
	char		*s;
	int		 n;

	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1)
		return (-1);
	n = width > 0 ? width : BN_num_bytes(bn);
	bin = xmalloc((size_t)n + 1);
	if (BN_bn2binpad(bn, bin, n) != n) {
		free(bin);
		BN_free(bn);
		return (-1);
	}
	s = b64url_encode_new(bin, (size_t)n);
	json_object_set_new(jwk, name, json_string(s));
	free(s);
	free(bin);
	BN_free(bn);
	return (0);
}

/* A JWK's key type and members by algorithm (RFC 7518 6.2.1, 6.3.1). */
static const struct {
	const char	*kty;
	const char	*crv;		/* NULL: none */
	struct {
		const char	*name;
		const char	*param;	/* OpenSSL's */
		int		 width;	/* bytes; 0: as long as needed */
	} bn[2];
} jwk_shapes[] = {
	[ALG_ES256] = { .kty = "EC", .crv = "P-256", .bn = {
	    { .name = "x", .param = OSSL_PKEY_PARAM_EC_PUB_X, .width = 32 },
	    { .name = "y", .param = OSSL_PKEY_PARAM_EC_PUB_Y, .width = 32 } } },
	[ALG_RS256] = { .kty = "RSA", .bn = {
	    { .name = "n", .param = OSSL_PKEY_PARAM_RSA_N },
	    { .name = "e", .param = OSSL_PKEY_PARAM_RSA_E } } },
};

static char *
jwks_build(const struct keyset *ks)
{
	json_t		*doc, *arr, *jwk;
	const struct key *k;
	char		*out;
	size_t		 i, j;
	int		 rc = 0;

	doc = json_object();
	arr = json_array();
	json_object_set_new(doc, "keys", arr);
	for (i = 0; i < ks->nkeys; i++) {
		k = &ks->keys[i];
		jwk = json_object();
		json_array_append_new(arr, jwk);
		json_object_set_new(jwk, "kty",
		    json_string(jwk_shapes[ks->alg].kty));
		if (jwk_shapes[ks->alg].crv != NULL)
			json_object_set_new(jwk, "crv",
			    json_string(jwk_shapes[ks->alg].crv));
		for (j = 0; rc == 0 && j < 2; j++)
			rc = jwk_add_bn(jwk, jwk_shapes[ks->alg].bn[j].name,
			    k->pkey, jwk_shapes[ks->alg].bn[j].param,
			    jwk_shapes[ks->alg].bn[j].width);
		if (rc == -1) {
			json_decref(doc);
			return (NULL);
		}
		json_object_set_new(jwk, "kid", json_string(k->kid));
		json_object_set_new(jwk, "alg",
		    json_string(algs[ks->alg].name));
		json_object_set_new(jwk, "use", json_string("sig"));
	}
	out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return (out);
}

/* Split 'line' in place on blanks; the number of fields (at most 'max'+1). */
static int
split_fields(char *line, char **f, int max)
{
	char	*p = line;
	int	 n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			*p++ = '\0';
		if (*p == '\0')
			return (n);
		if (n == max)
			return (max + 1);
		f[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
	}
}

static int
parse_secret(const char *keyfile, int line, struct key *k, char *err,
    size_t errlen)
{
	size_t	 len = strlen(k->value);
	ssize_t	 n;

	/* Tolerate padding: people paste what their tool printed. */
	while (len > 0 && k->value[len - 1] == '=')
		len--;
	k->vkey = xmalloc(len + 1);
	k->vkey_len = len + 1;	/* all of it cleansed when refused */
	if ((n = b64url_decode(k->value, len, k->vkey, len + 1)) == -1) {
		snprintf(err, errlen, "%s:%d: the secret is not base64url",
		    keyfile, line);
		return (-1);
	}
	k->vkey_len = (size_t)n;
	if (k->vkey_len < HS256_MIN) {
		snprintf(err, errlen, "%s:%d: the secret is %zu bytes; HS256 "
		    "needs at least %d", keyfile, line, k->vkey_len, HS256_MIN);
		return (-1);
	}
	k->skey = xmalloc(k->vkey_len);
	memcpy(k->skey, k->vkey, k->vkey_len);
	k->skey_len = k->vkey_len;
	return (0);
}

/* Parse and load the key file; the new set, or NULL with a message. */
static struct keyset *
keyset_load(const char *path, char *err, size_t errlen)
{
	struct keyset	*ks;
	struct key	*k;
	struct stat	 st;
	char		*data, *line, *next, *f[3];
	size_t		 len;
	int		 lineno = 0, nf, a, first_line = 0, rc = -1;

	if (read_secret_file(path, KEYFILE_MAX, &data, &len, &st, err,
	    errlen) == -1)
		return (NULL);
	ks = xcalloc(1, sizeof(*ks));
	file_id_set(&ks->id, &st);
	if (memchr(data, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto out;
	}
	for (line = data; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		nf = split_fields(line, f, 3);
		if (nf == 0 || f[0][0] == '#')
			continue;
		if (nf != 3) {
			snprintf(err, errlen, "%s:%d: expected \"<kid> <alg> "
			    "<secret or PEM path>\"", path, lineno);
			goto out;
		}
		if (!kid_valid(f[0])) {
			snprintf(err, errlen, "%s:%d: a kid is 1 to %d "
			    "characters among A-Z a-z 0-9 . _ -", path, lineno,
			    KID_MAX);
			goto out;
		}
		if ((a = alg_find(f[1])) == -1) {
			snprintf(err, errlen, "%s:%d: unknown algorithm "
			    "\"%.16s\" (HS256, ES256 or RS256)", path, lineno,
			    f[1]);
			goto out;
		}
		if (ks->nkeys > 0 && (enum alg)a != ks->alg) {
			snprintf(err, errlen, "%s:%d: %s after %s on line %d; "
			    "all keys of a file share one algorithm", path,
			    lineno, algs[a].name, algs[ks->alg].name,
			    first_line);
			goto out;
		}
		if (keyset_find(ks, f[0]) != NULL) {
			snprintf(err, errlen, "%s:%d: duplicate kid \"%s\"",
			    path, lineno, f[0]);
			goto out;
		}
		if (ks->nkeys == KEYS_MAX) {
			snprintf(err, errlen, "%s:%d: more than %d keys",
			    path, lineno, KEYS_MAX);
			goto out;
		}
		if (ks->nkeys == 0) {
			ks->alg = (enum alg)a;
			first_line = lineno;
		}
		k = &ks->keys[ks->nkeys++];
		str_copy(k->kid, f[0], sizeof(k->kid));
		k->value = xstrdup(f[2]);
		if (ks->alg == ALG_HS256) {
			if (parse_secret(path, lineno, k, err, errlen) == -1)
				goto out;
		} else if (load_pem(path, lineno, k, ks->alg, ks->nkeys == 1,
		    err, errlen) == -1)
			goto out;
	}
	if (ks->nkeys == 0) {
		snprintf(err, errlen, "%s: no key (lines \"<kid> <alg> "
		    "<secret or PEM path>\", the first one signs)", path);
		goto out;
	}
	if (asymmetric(ks->alg) && (ks->jwks = jwks_build(ks)) == NULL) {
		snprintf(err, errlen, "%s: cannot build the JWKS", path);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(data, len);
	free(data);
	if (rc == -1) {
		keyset_free(ks);
		return (NULL);
	}
	return (ks);
}

/* Publish 'ks' as the key set, a new generation; the old set, to free. */
static struct keyset *
keys_publish(struct keyset *ks)
{
	struct keyset	*old;

	pthread_rwlock_wrlock(&keys_lock);
	old = keys;
	keys = ks;
	generation++;
	pthread_rwlock_unlock(&keys_lock);
	return (old);
}

int
token_keys_load(const char *path, char *err, size_t errlen)
{
	struct keyset	*ks, *old;
	char		*p;

	if ((ks = keyset_load(path, err, errlen)) == NULL)
		return (-1);
	p = xstrdup(path);
	pthread_mutex_lock(&load_mutex);
	old = keys_publish(ks);
	free(key_path);
	key_path = p;
	memset(&failed_id, 0, sizeof(failed_id));
	atomic_store(&last_check, clock_mono());
	pthread_mutex_unlock(&load_mutex);
	keyset_free(old);
	return (0);
}

/*
 * At most once a second, see whether the key file changed (guichetctl
 * keys rotate renames a new one into place) and load it.  A file that
 * fails to load is reported once and the current keys stay in use.
 */
static void
maybe_reload(void)
{
	struct file_id	 cur, now_id;
	struct stat	 st;
	struct keyset	*ks;
	int64_t		 now, last;
	char		 err[512];

	now = clock_mono();
	last = atomic_load(&last_check);
	if (now - last < RELOAD_EVERY ||
	    !atomic_compare_exchange_strong(&last_check, &last, now))
		return;
	pthread_mutex_lock(&load_mutex);
	if (key_path == NULL || stat(key_path, &st) == -1)
		goto out;
	file_id_set(&now_id, &st);
	pthread_rwlock_rdlock(&keys_lock);
	cur = keys != NULL ? keys->id : now_id;
	pthread_rwlock_unlock(&keys_lock);
	if (file_id_eq(&cur, &now_id) || file_id_eq(&failed_id, &now_id))
		goto out;
	if ((ks = keyset_load(key_path, err, sizeof(err))) == NULL) {
		log_warnx("key file reload failed, keeping the current keys: "
		    "%s", err);
		failed_id = now_id;
		goto out;
	}
	keyset_free(keys_publish(ks));
	log_info("key file reloaded: %s, %zu keys, signing kid %s",
	    algs[ks->alg].name, ks->nkeys, ks->keys[0].kid);
out:
	pthread_mutex_unlock(&load_mutex);
}

void
token_configure(const char *iss, const char *aud)
{
	char	*i = xstrdup(iss), *a = xstrdup(aud), *oi, *oa;

	pthread_rwlock_wrlock(&keys_lock);
	oi = issuer;
	oa = audience;
	issuer = i;
	audience = a;
	generation++;
	pthread_rwlock_unlock(&keys_lock);
	free(oi);
	free(oa);
}

int
token_asymmetric(void)
{
	int	 r;

	pthread_rwlock_rdlock(&keys_lock);
	r = keys != NULL && asymmetric(keys->alg);
	pthread_rwlock_unlock(&keys_lock);
	return (r);
}

char *
token_jwks(void)
{
	char	*s = NULL;

	maybe_reload();
	pthread_rwlock_rdlock(&keys_lock);
	if (keys != NULL && keys->jwks != NULL)
		s = xstrdup(keys->jwks);
	pthread_rwlock_unlock(&keys_lock);
	return (s);
}

/* Signing. */

/* A claim string: non-empty, fits 'size' with its NUL, printable ASCII. */
static int
claim_str_ok(const char *s, size_t size)
{
	size_t	 n;

	for (n = 0; n < size && s[n] != '\0'; n++)
		if (s[n] <= 0x20 || s[n] > 0x7e || s[n] == '"' || s[n] == '\\')
			return (0);
	return (n > 0 && n < size);
}

static int
claims_signable(const struct token_claims *c)
{
	int	 i;

	if (!claim_str_ok(c->sub, sizeof(c->sub)) ||
	    (strcmp(c->kind, "person") != 0 &&
	    strcmp(c->kind, "client") != 0) ||
	    (c->jti[0] != '\0' && !claim_str_ok(c->jti, sizeof(c->jti))) ||
	    c->nroles < 0 || c->nroles > TOKEN_MAX_ROLES ||
	    c->nscopes < 0 || c->nscopes > TOKEN_MAX_SCOPES || c->tv < 0)
		return (0);
	for (i = 0; i < c->nroles; i++)
		if (!claim_str_ok(c->roles[i], sizeof(c->roles[i])))
			return (0);
	for (i = 0; i < c->nscopes; i++)
		if (!claim_str_ok(c->scopes[i], sizeof(c->scopes[i])))
			return (0);
	return (1);
}

/* The non-string claims, for jwt_add_grants_json(); caller frees. */
static char *
grants_json(const struct token_claims *c)
{
	json_t	*o, *roles;
	char	*s;
	int	 i;

	o = json_object();
	roles = json_array();
	for (i = 0; i < c->nroles; i++)
		json_array_append_new(roles, json_string(c->roles[i]));
	json_object_set_new(o, "roles", roles);
	json_object_set_new(o, "mfa", json_boolean(c->mfa));
	/* OpenID Connect's name: when the person last proved who they are. */
	if (c->auth_time > 0)
		json_object_set_new(o, "auth_time",
		    json_integer((json_int_t)c->auth_time));
	if ((s = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("out of memory in jansson");
	json_decref(o);
	return (s);
}

int
token_sign(const struct token_claims *c, char **out)
{
	const struct key *k;
	jwt_t		*jwt = NULL;
	char		*grants = NULL, jti[33], scope[TOKEN_MAX_SCOPES * 24];
	size_t		 off = 0;
	int64_t		 iat, exp;
	int		 i, rc = -1;

	*out = NULL;
	if (!claims_signable(c)) {
		log_warnx("token not signed: invalid claims");
		return (-1);
	}
	if (c->jti[0] != '\0')
		str_copy(jti, c->jti, sizeof(jti));
	else if (random_hex(jti, 16) == -1) {
		log_warnx("token not signed: no randomness");
		return (-1);
	}
	for (i = 0; i < c->nscopes; i++)
		off += (size_t)snprintf(scope + off, sizeof(scope) - off,
		    "%s%s", i > 0 ? " " : "", c->scopes[i]);
	grants = grants_json(c);
	iat = c->iat != 0 ? c->iat : clock_now() / 1000000;
	exp = c->exp != 0 ? c->exp : iat + TOKEN_LIFETIME;
	maybe_reload();
	pthread_rwlock_rdlock(&keys_lock);
	if (keys == NULL || issuer == NULL || audience == NULL) {
		log_warnx("token not signed: no key or no issuer configured");
		goto out;
	}
	k = &keys->keys[0];
	/* jwt_encode_str() writes "alg" and "typ":"JWT" itself. */
	if (jwt_new(&jwt) != 0 ||
	    jwt_add_header(jwt, "kid", k->kid) != 0 ||
	    jwt_add_grant(jwt, "iss", issuer) != 0 ||
	    jwt_add_grant(jwt, "aud", audience) != 0 ||
	    jwt_add_grant(jwt, "sub", c->sub) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)iat) != 0 ||
	    jwt_add_grant_int(jwt, "nbf", (long)iat) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)exp) != 0 ||
	    jwt_add_grant(jwt, "jti", jti) != 0 ||
	    jwt_add_grant(jwt, "kind", c->kind) != 0 ||
	    (c->nscopes > 0 && jwt_add_grant(jwt, "scope", scope) != 0) ||
	    jwt_add_grant_int(jwt, "tv", (long)c->tv) != 0 ||
	    jwt_add_grants_json(jwt, grants) != 0 ||
	    jwt_set_alg(jwt, algs[keys->alg].jwt, k->skey, (int)k->skey_len) !=
	    0) {
		log_warnx("token not signed: libjwt refused the claims or key");
		goto out;
	}
	if ((*out = jwt_encode_str(jwt)) == NULL) {
		ERR_clear_error();
		log_warnx("token not signed: %s signature failed",
		    algs[keys->alg].name);
		goto out;
	}
	rc = 0;
out:
	pthread_rwlock_unlock(&keys_lock);
	jwt_free(jwt);
	free(grants);
	return (rc);
}

/* Verification. */

static void
cache_init(void)
{
	int	 i;

	for (i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&cache_locks[i], NULL);
}

static size_t
cache_set(const unsigned char d[32])
{
	return (((size_t)d[0] | (size_t)d[1] << 8 | (size_t)d[2] << 16) %
	    CACHE_SETS);
}

static int
cache_get(const unsigned char d[32], uint64_t gen, struct token_claims *c,
    int64_t *nbf)
{
	struct cache_slot	*s;
	size_t			 set = cache_set(d), w;
	int			 hit = 0;

	pthread_mutex_lock(&cache_locks[set % CACHE_STRIPES]);
	for (w = 0; w < CACHE_WAYS && !hit; w++) {
		s = &cache[set * CACHE_WAYS + w];
		if (s->gen == gen && memcmp(s->digest, d, 32) == 0) {
			*c = s->c;
			*nbf = s->nbf;
			hit = 1;
		}
	}
	pthread_mutex_unlock(&cache_locks[set % CACHE_STRIPES]);
	return (hit);
}

/* Into an empty or stale slot of the set, else over the soonest to expire. */
static void
cache_put(const unsigned char d[32], uint64_t gen,
    const struct token_claims *c, int64_t nbf)
{
	struct cache_slot	*s, *victim = NULL;
	size_t			 set = cache_set(d), w;

	pthread_mutex_lock(&cache_locks[set % CACHE_STRIPES]);
	for (w = 0; w < CACHE_WAYS; w++) {
		s = &cache[set * CACHE_WAYS + w];
		if (s->gen != gen) {
			victim = s;
			break;
		}
		if (victim == NULL || s->c.exp < victim->c.exp)
			victim = s;
	}
	victim->gen = gen;
	memcpy(victim->digest, d, 32);
	victim->c = *c;
	victim->nbf = nbf;
	pthread_mutex_unlock(&cache_locks[set % CACHE_STRIPES]);
}

/* The time claims against 'now', also for a cached verification. */
static const char *
times_ok(const struct token_claims *c, int64_t nbf, int64_t now)
{
	if (c->exp <= now - LEEWAY)
		return ("expired");
	if (nbf != INT64_MIN && nbf > now + LEEWAY)
		return ("not yet valid (nbf)");
	if (c->iat > now + LEEWAY)
		return ("issued in the future (iat)");
	return (NULL);
}

/* A JSON string claim copied into 'out' if it is a claim_str_ok() string. */
static int
copy_str(json_t *v, char *out, size_t size)
{
	const char	*s;

	if (!json_is_string(v))
		return (-1);
	s = json_string_value(v);
	if (json_string_length(v) != strlen(s) || !claim_str_ok(s, size))
		return (-1);
	str_copy(out, s, size);
	return (0);
}

/* Optional integer claim: absent leaves *out alone, any other type fails. */
static int
opt_int(json_t *o, const char *name, int64_t *out)
{
	json_t	*v;

	if ((v = json_object_get(o, name)) == NULL)
		return (0);
	if (!json_is_integer(v))
		return (-1);
	*out = (int64_t)json_integer_value(v);
	return (0);
}

static const char *
aud_ok(json_t *v, const char *aud)
{
	json_t	*e;
	size_t	 i;

	if (json_is_string(v))
		return (strcmp(json_string_value(v), aud) == 0 ? NULL :
		    "wrong audience");
	if (!json_is_array(v))
		return ("aud neither a string nor an array");
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return ("aud array with a non-string");
		if (strcmp(json_string_value(e), aud) == 0)
			return (NULL);
	}
	return ("audience not in the aud array");
}

static const char *
scope_split(const char *s, struct token_claims *c)
{
	const char	*p = s, *sp;
	size_t		 n;

	if (*s == '\0')
		return (NULL);
	for (;;) {
		sp = strchr(p, ' ');
		n = sp != NULL ? (size_t)(sp - p) : strlen(p);
		if (n == 0 || n >= sizeof(c->scopes[0]))
			return ("bad scope token");
		if (c->nscopes == TOKEN_MAX_SCOPES)
			return ("too many scopes");
		memcpy(c->scopes[c->nscopes], p, n);
		c->scopes[c->nscopes][n] = '\0';
		if (!claim_str_ok(c->scopes[c->nscopes],
		    sizeof(c->scopes[0])))
			return ("bad scope token");
		c->nscopes++;
		if (sp == NULL)
			return (NULL);
		p = sp + 1;
	}
}

/*
 * Judge the claims of a token whose signature is good; NULL and 'c'
 * filled, or the reason for refusing it.  libjwt's jwt_get_grant_int()
 * turns a string "exp" into 0 with errno 0, so types are read from the
 * JSON itself: a missing or non-integer exp is refused.
 */
static const char *
claims_check(json_t *o, const char *iss, const char *aud, int64_t now,
    struct token_claims *c, int64_t *nbf)
{
	json_t		*v, *e;
	const char	*why;
	size_t		 i;

	memset(c, 0, sizeof(*c));
	*nbf = INT64_MIN;
	if (!json_is_object(o))
		return ("claims not an object");
	if (!json_is_integer(v = json_object_get(o, "exp")))
		return ("exp missing or not an integer");
	c->exp = (int64_t)json_integer_value(v);
	if (opt_int(o, "nbf", nbf) == -1)
		return ("nbf not an integer");
	if (opt_int(o, "iat", &c->iat) == -1)
		return ("iat not an integer");
	if ((why = times_ok(c, *nbf, now)) != NULL)
		return (why);
	if (!json_is_string(v = json_object_get(o, "iss")) ||
	    strcmp(json_string_value(v), iss) != 0)
		return ("wrong issuer");
	if ((v = json_object_get(o, "aud")) == NULL)
		return ("aud missing");
	if ((why = aud_ok(v, aud)) != NULL)
		return (why);
	if (copy_str(json_object_get(o, "sub"), c->sub, sizeof(c->sub)) == -1)
		return ("sub missing or malformed");
	if ((v = json_object_get(o, "jti")) != NULL &&
	    copy_str(v, c->jti, sizeof(c->jti)) == -1)
		return ("jti malformed");
	if (copy_str(json_object_get(o, "kind"), c->kind, sizeof(c->kind)) ==
	    -1 || (strcmp(c->kind, "person") != 0 &&
	    strcmp(c->kind, "client") != 0))
		return ("kind neither person nor client");
	if ((v = json_object_get(o, "tv")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return ("tv not a non-negative integer");
		c->tv = (int64_t)json_integer_value(v);
	} else if (strcmp(c->kind, "person") == 0)
		return ("tv missing for a person");
	if ((v = json_object_get(o, "roles")) != NULL) {
		if (!json_is_array(v) || json_array_size(v) > TOKEN_MAX_ROLES)
			return ("roles not an array of at most 8");
		json_array_foreach(v, i, e)
			if (copy_str(e, c->roles[c->nroles++],
			    sizeof(c->roles[0])) == -1)
				return ("bad role");
	}
	if ((v = json_object_get(o, "scope")) != NULL) {
		if (!json_is_string(v) ||
		    json_string_length(v) != strlen(json_string_value(v)))
			return ("scope not a string");
		if ((why = scope_split(json_string_value(v), c)) != NULL)
			return (why);
	}
	if ((v = json_object_get(o, "mfa")) != NULL) {
		if (!json_is_boolean(v))
			return ("mfa not a boolean");
		c->mfa = json_is_true(v);
	}
	if (opt_int(o, "auth_time", &c->auth_time) == -1)
		return ("auth_time not an integer");
	return (NULL);
}

/*
 * The header (decoded), judged before libjwt parses anything: it trusts
 * "alg" (case-insensitively), accepts any key in a NULL-key call, and
 * would pick whatever key we handed it.  NULL and *kp set, or the reason.
 */
static const char *
header_check(const struct keyset *ks, const unsigned char *raw,
    size_t rawlen, const struct key **kp)
{
	json_t		*o, *v;
	const char	*why = NULL;
	size_t		 i;

	o = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES,
	    NULL);
	if (!json_is_object(o))
		why = "header not a JSON object";
	else if (!json_is_string(v = json_object_get(o, "alg")) ||
	    strcmp(json_string_value(v), algs[ks->alg].name) != 0)
		why = "alg not the configured one";
	else if (!json_is_string(v = json_object_get(o, "typ")) ||
	    strcmp(json_string_value(v), TYP) != 0)
		why = "typ not " TYP;
	else if (!json_is_string(v = json_object_get(o, "kid")))
		why = "kid missing";
	else if ((*kp = keyset_find(ks, json_string_value(v))) == NULL)
		why = "unknown kid";
	for (i = 0; why == NULL && i < sizeof(forbidden_headers) /
	    sizeof(forbidden_headers[0]); i++)
		if (json_object_get(o, forbidden_headers[i]) != NULL)
			why = "forbidden header parameter";
	json_decref(o);
	return (why);
}

/*
 * Three non-empty parts, each strict base64url (base/b64.h: one spelling
 * per value, so that no two strings are the same token, which libjwt's
 * own decoding does not ensure); the header decoded into 'raw' (at least
 * 'len' bytes), its length in *rawlen.
 */
static const char *
structure_check(const char *t, size_t len, unsigned char *raw,
    size_t *rawlen)
{
	const char	*d1, *d2;
	ssize_t		 n;

	if ((d1 = memchr(t, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - t))) == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - t)) != NULL)
		return ("not three parts");
	if (d1 == t || d2 == d1 + 1 || d2 + 1 == t + len)
		return ("empty part");
	if (b64url_decode(d2 + 1, (size_t)(t + len - d2 - 1), raw, len) ==
	    -1 || b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), raw, len) == -1 ||
	    (n = b64url_decode(t, (size_t)(d1 - t), raw, len)) == -1)
		return ("not base64url");
	*rawlen = (size_t)n;
	return (NULL);
}

static const char *
verify_locked(const struct keyset *ks, const char *token, size_t len,
    int64_t now, struct token_claims *c, int64_t *nbf)
{
	const struct key *k = NULL;
	const char	*why;
	unsigned char	*raw;
	jwt_t		*jwt = NULL;
	json_t		*o;
	char		*js;
	size_t		 rawlen;

	raw = xmalloc(len);
	if ((why = structure_check(token, len, raw, &rawlen)) == NULL)
		why = header_check(ks, raw, rawlen, &k);
	free(raw);
	if (why != NULL)
		return (why);
	if (k->vkey == NULL || k->vkey_len == 0)
		return ("no key");	/* never a NULL-key jwt_decode() */
	if (jwt_decode(&jwt, token, k->vkey, (int)k->vkey_len) != 0) {
		ERR_clear_error();	/* not left for the next OpenSSL user */
		return ("bad signature or encoding");
	}
	if (jwt_get_alg(jwt) != algs[ks->alg].jwt) {
		jwt_free(jwt);
		return ("alg not the configured one after decoding");
	}
	js = jwt_get_grants_json(jwt, NULL);
	jwt_free(jwt);
	if (js == NULL)
		return ("no claims");
	o = json_loads(js, 0, NULL);
	free(js);
	why = claims_check(o, issuer, audience, now, c, nbf);
	json_decref(o);
	return (why);
}

int
token_verify(const char *token, struct token_claims *c)
{
	struct token_claims	 tmp;
	unsigned char		 d[32];
	const char		*why;
	size_t			 len;
	int64_t			 now, nbf;
	uint64_t		 gen;

	memset(c, 0, sizeof(*c));
	if (token == NULL || (len = strnlen(token, TOKEN_MAX_LEN + 1)) == 0 ||
	    len > TOKEN_MAX_LEN) {
		log_debug("token refused: empty or longer than %d bytes",
		    TOKEN_MAX_LEN);
		return (-1);
	}
	maybe_reload();
	now = clock_now() / 1000000;
	pthread_rwlock_rdlock(&keys_lock);
	if (keys == NULL || issuer == NULL || audience == NULL) {
		pthread_rwlock_unlock(&keys_lock);
		log_debug("token refused: no key or no issuer configured");
		return (-1);
	}
	gen = generation;
	pthread_once(&cache_once, cache_init);
	sha256(token, len, d);
	if (cache_get(d, gen, &tmp, &nbf)) {
		pthread_rwlock_unlock(&keys_lock);
		atomic_fetch_add_explicit(&cache_hits, 1, memory_order_relaxed);
		if ((why = times_ok(&tmp, nbf, now)) != NULL) {
			log_debug("token refused: %s", why);
			return (-1);
		}
		*c = tmp;
		return (0);
	}
	why = verify_locked(keys, token, len, now, &tmp, &nbf);
	if (why == NULL)
		cache_put(d, gen, &tmp, nbf);
	pthread_rwlock_unlock(&keys_lock);
	if (why != NULL) {
		log_debug("token refused: %s", why);
		return (-1);
	}
	*c = tmp;
	return (0);
}

uint64_t
token_cache_hits(void)
{
	return (atomic_load_explicit(&cache_hits, memory_order_relaxed));
}

/* Rotation (guichetctl keys rotate). */

static int
fsync_dir_of(const char *path)
{
	char	*dir, *slash;
	int	 fd, rc;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL)
		str_copy(dir, ".", strlen(dir) + 1);
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd == -1)
		return (-1);
	rc = fsync(fd);
	close(fd);
	return (rc);
}

/*
 * Who owns what rotation writes: the owner of the key file it replaces,
 * so that root running guichetctl does not leave guichetd a file it
 * cannot read.  uid -1: whoever runs it.
 */
struct owner {
	uid_t	 uid;
	gid_t	 gid;
};

static int
own(int fd, const struct owner *o)
{
	if (o->uid == (uid_t)-1 || geteuid() != 0)
		return (0);
	return (fchown(fd, o->uid, o->gid));
}

/* Write 'path' through a 0600 temporary file, fsync and rename. */
static int
write_atomic(const char *path, const void *data, size_t len,
    const struct owner *o, char *err, size_t errlen)
{
	const char	*p = data;
	char		*tmp;
	ssize_t		 n;
	size_t		 off = 0;
	int		 fd;

	xasprintf(&tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return (-1);
	}
	if (fchmod(fd, 0600) == -1 || own(fd, o) == -1)
		goto fail;
	while (off < len) {
		if ((n = write(fd, p + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	n = close(fd);
	fd = -1;
	if (n == -1 || rename(tmp, path) == -1)
		goto fail;
	free(tmp);
	(void)fsync_dir_of(path);
	return (0);
fail:
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
	free(tmp);
	return (-1);
}

static const char *
base_name(const char *path)
{
	const char	*s = strrchr(path, '/');

	return (s != NULL ? s + 1 : path);
}

/* The value rotate writes for a PEM: relative to the key file's dir. */
static char *
own_pem_value(const char *path, const char *kid)
{
	char	*v;

	xasprintf(&v, "%s.d/%s.pem", base_name(path), kid);
	return (v);
}

/* A new key pair, its private PEM written beside the key file. */
static char *
new_pem(const char *path, enum alg a, const char *kid, const struct owner *o,
    char *err, size_t errlen)
{
	struct stat	 st;
	EVP_PKEY	*pkey;
	BIO		*bio;
	char		*dir, *file, *data, *value = NULL;
	long		 n;
	int		 fd;

	if (a == ALG_ES256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)RSA_NEW_BITS);
	if (pkey == NULL) {
		snprintf(err, errlen, "%s key generation failed",
		    algs[a].name);
		return (NULL);
	}
	xasprintf(&dir, "%s.d", path);
	if (mkdir(dir, 0700) == -1 && (errno != EEXIST ||
	    stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))) {
		snprintf(err, errlen, "%s: %s", dir,
		    errno == EEXIST ? "not a directory" : strerror(errno));
		goto out;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    own(fd, o) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		if (fd != -1)
			close(fd);
		goto out;
	}
	close(fd);
	xasprintf(&file, "%s/%s.pem", dir, kid);
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		fatalx("out of memory in openssl");
	if (PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) !=
	    1 || (n = BIO_get_mem_data(bio, &data)) <= 0)
		snprintf(err, errlen, "cannot encode the %s key", algs[a].name);
	else if (write_atomic(file, data, (size_t)n, o, err, errlen) == 0)
		value = own_pem_value(path, kid);
	BIO_free(bio);
	free(file);
out:
	free(dir);
	EVP_PKEY_free(pkey);
	return (value);
}

int
token_keys_rotate(const char *path, const char *alg, char *err,
    size_t errlen)
{
	struct keyset	*old = NULL;
	struct owner	 o = { (uid_t)-1, (gid_t)-1 };
	struct stat	 st;
	unsigned char	 secret[32];
	char		 kid[17], *value = NULL, *text = NULL, *prev, *pem;
	size_t		 i;
	int		 a, rc = -1;

	if (stat(path, &st) == 0) {
		if ((old = keyset_load(path, err, errlen)) == NULL)
			return (-1);
		o.uid = st.st_uid;
		o.gid = st.st_gid;
		a = (int)old->alg;
		if (alg != NULL && strcmp(alg, algs[a].name) != 0) {
			snprintf(err, errlen, "%s holds %s keys, not %s; an "
			    "algorithm change needs a new key file", path,
			    algs[a].name, alg);
			goto out;
		}
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	} else if (alg == NULL || (a = alg_find(alg)) == -1) {
		snprintf(err, errlen, "%s does not exist: give the algorithm "
		    "(HS256, ES256 or RS256)", path);
		return (-1);
	}
	do {
		if (random_hex(kid, 8) == -1) {
			snprintf(err, errlen, "no randomness");
			goto out;
		}
	} while (old != NULL && keyset_find(old, kid) != NULL);
	if ((enum alg)a == ALG_HS256) {
		if (random_fill(secret, sizeof(secret)) == -1) {
			snprintf(err, errlen, "no randomness");
			goto out;
		}
		value = b64url_encode_new(secret, sizeof(secret));
		OPENSSL_cleanse(secret, sizeof(secret));
	} else if ((value = new_pem(path, (enum alg)a, kid, &o, err,
	    errlen)) == NULL)
		goto out;
	xasprintf(&text, "# guichet token keys: the first line signs, every "
	    "line verifies\n%s %s %s\n", kid, algs[a].name, value);
	if (old != NULL) {
		prev = text;
		xasprintf(&text, "%s%s %s %s\n", prev, old->keys[0].kid,
		    algs[a].name, old->keys[0].value);
		OPENSSL_cleanse(prev, strlen(prev));
		free(prev);
	}
	if (write_atomic(path, text, strlen(text), &o, err, errlen) == -1) {
		if ((enum alg)a != ALG_HS256) {
			pem = resolve_pem(path, value);
			unlink(pem);
			free(pem);
		}
		goto out;
	}
	/* Only PEM files this function wrote are removed with their key. */
	for (i = 1; old != NULL && asymmetric(old->alg) && i < old->nkeys;
	    i++) {
		prev = own_pem_value(path, old->keys[i].kid);
		if (strcmp(prev, old->keys[i].value) == 0) {
			pem = resolve_pem(path, prev);
			if (unlink(pem) == -1 && errno != ENOENT)
				log_warn("%s", pem);
			free(pem);
		}
		free(prev);
	}
	rc = 0;
out:
	if (value != NULL) {
		OPENSSL_cleanse(value, strlen(value));
		free(value);
	}
	if (text != NULL) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	keyset_free(old);
	return (rc);
}
