/*
 * token.h: access tokens (JWT), the only code that includes <jwt.h>.
 *
 * libjwt 1.10 verifies nothing with a NULL key, trusts the header's alg and
 * never checks exp: token_verify() therefore allows exactly the configured
 * algorithm, requires a known "kid", and checks exp, nbf, iat, iss, aud
 * (string or array) and typ by hand, with at most 60 s of leeway.  typ is
 * "JWT": libjwt 1.10 rewrites any other value when signing and refuses any
 * other when decoding, so our tokens are told apart from other JWTs by the
 * checks only they pass (our iss and aud, kind, tv), as RFC 8725 3.12 allows.  Every
 * failure is the same -1 to the caller: the HTTP answer is a generic 401.
 *
 * Keys live in the key file (jwt_key_file): one key per line,
 *   "<kid> <alg> <base64url secret>"           for HS256
 *   "<kid> <alg> <path to PEM private key>"    for ES256 / RS256
 * The first line signs; every line verifies (rotation keeps the previous
 * key until the tokens it signed have expired).  All keys share one alg.
 * The file is re-read (at most once a second) when its inode, size or
 * modification time changes.
 * Verified tokens are cached (keyed by the SHA-256 of the whole token,
 * until their exp or the next change of keys, issuer or audience): libjwt
 * re-parses the PEM key on every call (481 us for ES256), and even for
 * HS256 its decoding (base64, two JSON parses, an HMAC through OpenSSL 3's
 * EVP_Q_mac) was 60% of guichetd's user CPU on GET /api/v1/me, where a
 * hash and a lookup cost about a microsecond.
 */
#ifndef GUICHET_TOKEN_H
#define GUICHET_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_LIFETIME		900	/* access tokens: 15 minutes */
#define TOKEN_MAX_ROLES		8
#define TOKEN_MAX_SCOPES	16

struct token_claims {
	char		 sub[40];	/* account uuid, or client id for partners */
	char		 jti[40];
	int64_t		 iat;		/* seconds */
	int64_t		 exp;
	char		 kind[12];	/* "person" or "client" */
	char		 roles[TOKEN_MAX_ROLES][16];	/* agent, supervisor, admin, dpo */
	int		 nroles;
	char		 scopes[TOKEN_MAX_SCOPES][24];	/* incidents:read ... */
	int		 nscopes;
	int		 mfa;		/* second factor verified at login */
	int64_t		 tv;		/* the account's token version */
	int64_t		 auth_time;	/* persons: when they signed in (0: unknown) */
};

/* Issuer and audience: the public URL and "guichet". */
void	 token_configure(const char *, const char *);
/* Load (or reload) the key file; -1 with a message (no key, short HS key...). */
int	 token_keys_load(const char *, char *, size_t);
/* Sign 'c' with the current key; the caller frees *out. */
int	 token_sign(const struct token_claims *, char **);
/* 0 and 'c' filled when valid now (clock_now()), -1 otherwise. */
int	 token_verify(const char *, struct token_claims *);
/* The JWKS document, or NULL for a symmetric algorithm; caller frees. */
char	*token_jwks(void);
/* 1 when the configured algorithm is asymmetric. */
int	 token_asymmetric(void);
/* Verifications answered from the cache since start. */
uint64_t token_cache_hits(void);

/*
 * guichetctl keys rotate: add a new key at the top of the file (creating
 * it with mode 0600), keep the previous signing key for verification and
 * drop keys older than that.  'alg' is HS256, ES256 or RS256 (new file
 * only; an existing file keeps its algorithm).  0 or -1 with a message.
 */
int	 token_keys_rotate(const char *, const char *, char *, size_t);

#endif
