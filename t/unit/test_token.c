/*
 * test_token.c: src/auth/token.c (access tokens).
 *
 * The negative tokens are built by hand (base64url with base/b64.h, itself
 * checked against RFC 4648 in test_base; HMAC-SHA256 and ECDSA with
 * OpenSSL), so each one differs from a valid token in exactly the way
 * its test names; test_token_forged_valid proves the builder makes tokens
 * that pass.  Time is frozen at T0 with clock_configure().  Each test makes
 * its own directory and key file and sets the global state it needs, so
 * the suite also passes with CK_FORK=no.
 */
#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "auth/token.h"
#include "base/b64.h"
#include "base/clock.h"
#include "base/log.h"
#include "unit.h"

#define ISS		"https://mairie.example.fr"
#define AUD		"guichet"
#define T0		INT64_C(1797755400)	/* 2026-12-20T08:30:00Z */
#define T0_STR		"2026-12-20T08:30:00Z"
#define SUB		"0b9c6a2e-1f3d-4c5b-9a8e-7d6f5e4c3b2a"

static const char	 hs_secret[] = "guichet-test-secret-0123456789ab";
static const char	 hs_other[] = "another-secret-of-32-bytes-xxxxx";
#define HS_LEN		32

static char		 dir[PATH_MAX];
static char		 keyfile[PATH_MAX + 16];
static EVP_PKEY		*es_key;	/* the ES256 deployment's key */

/* Files and encoding. */

/* Replace 'path' by rename, as an operator's tool would. */
static void
replace_file(const char *path, const char *text)
{
	char	 tmp[PATH_MAX + 32];

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unit_write(tmp, text, 0600);
	ck_assert_int_eq(rename(tmp, path), 0);
}

/* Decode base64url (strictly: what guichet writes is canonical); the length. */
static size_t
unb64u(const char *in, size_t len, unsigned char *out, size_t outsize)
{
	ssize_t	 n;

	n = b64url_decode(in, len, out, outsize);
	ck_assert_int_ge(n, 0);
	return ((size_t)n);
}

/* The header of a token, parsed. */
static json_t *
token_header(const char *tok)
{
	unsigned char	 raw[1024];
	const char	*dot = strchr(tok, '.');
	size_t		 n;

	ck_assert_ptr_nonnull(dot);
	n = unb64u(tok, (size_t)(dot - tok), raw, sizeof(raw));
	return (json_loadb((char *)raw, n, 0, NULL));
}

/* Token building. */

/* ES256 JWS signature (R || S) of 'in' with 'pk'; caller frees. */
static unsigned char *
es_sign(EVP_PKEY *pk, const char *in, size_t *len)
{
	EVP_MD_CTX	*ctx;
	ECDSA_SIG	*sig;
	const BIGNUM	*r, *s;
	const unsigned char *p;
	unsigned char	 der[128], *raw;
	size_t		 n = sizeof(der);

	ck_assert_ptr_nonnull(ctx = EVP_MD_CTX_new());
	ck_assert_int_eq(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk),
	    1);
	ck_assert_int_eq(EVP_DigestSign(ctx, der, &n,
	    (const unsigned char *)in, strlen(in)), 1);
	EVP_MD_CTX_free(ctx);
	p = der;
	ck_assert_ptr_nonnull(sig = d2i_ECDSA_SIG(NULL, &p, (long)n));
	ECDSA_SIG_get0(sig, &r, &s);
	raw = malloc(64);
	BN_bn2binpad(r, raw, 32);
	BN_bn2binpad(s, raw + 32, 32);
	ECDSA_SIG_free(sig);
	*len = 64;
	return (raw);
}

/*
 * "<b64(hdr)>.<b64(payload)>.<sig>" from raw JSON texts: HMAC-SHA256 with
 * 'hkey' when given, else ES256 with 'pk' when given, else no signature.
 */
static char *
jws_text(const char *hdr, const char *payload, const void *hkey,
    size_t hkeylen, EVP_PKEY *pk)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE], *sig = NULL;
	unsigned int	 maclen = 0;
	size_t		 siglen = 0;
	char		*h, *p, *in, *s, *out;

	h = b64url_encode_new(hdr, strlen(hdr));
	p = b64url_encode_new(payload, strlen(payload));
	ck_assert_int_gt(asprintf(&in, "%s.%s", h, p), 0);
	if (hkey != NULL) {
		HMAC(EVP_sha256(), hkey, (int)hkeylen,
		    (const unsigned char *)in, strlen(in), mac, &maclen);
		s = b64url_encode_new(mac, maclen);
	} else if (pk != NULL) {
		sig = es_sign(pk, in, &siglen);
		s = b64url_encode_new(sig, siglen);
		free(sig);
	} else
		s = strdup("");
	ck_assert_int_gt(asprintf(&out, "%s.%s", in, s), 0);
	free(h);
	free(p);
	free(in);
	free(s);
	return (out);
}

/* Same from JSON values, which it consumes. */
static char *
jws(json_t *hdr, json_t *payload, const void *hkey, size_t hkeylen,
    EVP_PKEY *pk)
{
	char	*h, *p, *out;

	h = json_dumps(hdr, JSON_COMPACT | JSON_PRESERVE_ORDER);
	p = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER);
	out = jws_text(h, p, hkey, hkeylen, pk);
	free(h);
	free(p);
	json_decref(hdr);
	json_decref(payload);
	return (out);
}

static json_t *
header(const char *alg, const char *kid)
{
	return (json_pack("{s:s, s:s, s:s}", "alg", alg, "typ", "JWT",
	    "kid", kid));
}

/* A payload that passes; each test changes what it tests. */
static json_t *
claims(void)
{
	return (json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:[s], "
	    "s:s, s:b, s:I}", "iss", ISS, "aud", AUD, "sub", SUB,
	    "iat", (json_int_t)T0, "nbf", (json_int_t)T0,
	    "exp", (json_int_t)(T0 + 900), "jti", "j-1", "kind", "person",
	    "roles", "agent", "scope", "incidents:read cases:write",
	    "mfa", 1, "tv", (json_int_t)3));
}

/* A valid-looking HS256 token for the HS256 deployment with 'payload'. */
static char *
hs_token(json_t *payload)
{
	return (jws(header("HS256", "hs1"), payload, hs_secret, HS_LEN, NULL));
}

/* 'name' of 'o' set to 'value' (stolen), or removed when it is NULL. */
static json_t *
with(json_t *o, const char *name, json_t *value)
{
	if (value == NULL)
		json_object_del(o, name);
	else
		json_object_set_new(o, name, value);
	return (o);
}

/* hs_token() of claims() with one claim changed (value NULL: removed). */
static char *
hs_with(const char *claim, json_t *value)
{
	return (hs_token(with(claims(), claim, value)));
}

/* The same with one header parameter changed. */
static char *
hs_header_with(const char *param, json_t *value)
{
	return (jws(with(header("HS256", "hs1"), param, value), claims(),
	    hs_secret, HS_LEN, NULL));
}

static void
refused(char *tok)
{
	struct token_claims	 c;

	ck_assert_int_eq(token_verify(tok, &c), -1);
	free(tok);
}

static void
accepted(char *tok)
{
	struct token_claims	 c;

	ck_assert_int_eq(token_verify(tok, &c), 0);
	free(tok);
}

static void
load_ok(void)
{
	char	 err[1024];

	ck_assert_msg(token_keys_load(keyfile, err, sizeof(err)) == 0, "%s",
	    err);
}

/* -1 from token_keys_load(), and its message contains 'want'. */
static void
load_refused(const char *want)
{
	char	 err[1024] = "";

	ck_assert_int_eq(token_keys_load(keyfile, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, want) != NULL, "\"%s\" not in \"%s\"", want,
	    err);
}

static char *
hs_line(const char *kid, const char *secret, size_t len)
{
	char	*b, *line;

	b = b64url_encode_new(secret, len);
	ck_assert_int_gt(asprintf(&line, "%s HS256 %s\n", kid, b), 0);
	free(b);
	return (line);
}

static EVP_PKEY *
ec_new(void)
{
	EVP_PKEY	*pk;

	ck_assert_ptr_nonnull(pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    "P-256"));
	return (pk);
}

static void
write_pem(EVP_PKEY *pk, const char *path, mode_t mode)
{
	FILE	*f;

	unit_write(path, "", mode);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL,
	    NULL), 1);
	fclose(f);
}

static char *
public_pem(EVP_PKEY *pk)
{
	BIO	*bio;
	char	*p, *out;
	long	 n;

	bio = BIO_new(BIO_s_mem());
	ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, pk), 1);
	n = BIO_get_mem_data(bio, &p);
	out = strndup(p, (size_t)n);
	BIO_free(bio);
	return (out);
}

/* Fixtures. */

static void
setup(void)
{
	log_init(LOG_LEVEL_WARN, 2);
	ck_assert_int_eq(clock_configure(T0_STR), 0);
	token_configure(ISS, AUD);
	unit_mkdir(dir, sizeof(dir), "token");
	snprintf(keyfile, sizeof(keyfile), "%s/keys", dir);
}

static void
teardown(void)
{
	unit_rmdir(dir);
	EVP_PKEY_free(es_key);
	es_key = NULL;
	clock_configure("system");
}

static void
setup_hs(void)
{
	char	*line;

	setup();
	line = hs_line("hs1", hs_secret, HS_LEN);
	unit_write(keyfile, line, 0600);
	free(line);
	load_ok();
}

static void
setup_es(void)
{
	char	 pem[PATH_MAX + 16];

	setup();
	es_key = ec_new();
	snprintf(pem, sizeof(pem), "%s/es1.pem", dir);
	write_pem(es_key, pem, 0600);
	/* A relative path: taken from the key file's directory. */
	unit_write(keyfile, "# deployment key\nes1 ES256 es1.pem\n", 0600);
	load_ok();
}

static void
fill_claims(struct token_claims *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->sub, sizeof(c->sub), "%s", SUB);
	snprintf(c->kind, sizeof(c->kind), "person");
	snprintf(c->roles[0], sizeof(c->roles[0]), "agent");
	snprintf(c->roles[1], sizeof(c->roles[1]), "supervisor");
	c->nroles = 2;
	snprintf(c->scopes[0], sizeof(c->scopes[0]), "incidents:read");
	snprintf(c->scopes[1], sizeof(c->scopes[1]), "cases:write");
	c->nscopes = 2;
	c->mfa = 1;
	c->tv = 7;
}

static void
assert_same_claims(const struct token_claims *in,
    const struct token_claims *out)
{
	int	 i;

	ck_assert_str_eq(out->sub, in->sub);
	ck_assert_str_eq(out->kind, in->kind);
	ck_assert_int_eq(out->nroles, in->nroles);
	for (i = 0; i < in->nroles; i++)
		ck_assert_str_eq(out->roles[i], in->roles[i]);
	ck_assert_int_eq(out->nscopes, in->nscopes);
	for (i = 0; i < in->nscopes; i++)
		ck_assert_str_eq(out->scopes[i], in->scopes[i]);
	ck_assert_int_eq(out->mfa, in->mfa);
	ck_assert_int_eq(out->tv, in->tv);
	ck_assert_int_eq(out->iat, T0);
	ck_assert_int_eq(out->exp, T0 + TOKEN_LIFETIME);
	ck_assert_uint_eq(strlen(out->jti), 32);	/* 128 random bits */
}

/* Signing. */

/*
 * Sign claims, check the token's header (alg, typ JWT, kid), verify it:
 * the same claims come back.  The token, for more checks.
 */
static char *
round_trip(const char *alg, const char *kid, struct token_claims *in)
{
	struct token_claims	 out;
	json_t			*h;
	char			*tok;

	fill_claims(in);
	ck_assert_int_eq(token_sign(in, &tok), 0);
	h = token_header(tok);
	ck_assert_str_eq(json_string_value(json_object_get(h, "alg")), alg);
	ck_assert_str_eq(json_string_value(json_object_get(h, "typ")),
	    "JWT");
	ck_assert_str_eq(json_string_value(json_object_get(h, "kid")), kid);
	json_decref(h);
	ck_assert_int_eq(token_verify(tok, &out), 0);
	assert_same_claims(in, &out);
	return (tok);
}

START_TEST(test_token_hs256_round_trip)
{
	struct token_claims	 in;

	free(round_trip("HS256", "hs1", &in));
	ck_assert_int_eq(token_asymmetric(), 0);
}
END_TEST

START_TEST(test_token_sign_client_without_scopes)
{
	struct token_claims	 in, out;
	char			*tok;

	memset(&in, 0, sizeof(in));
	snprintf(in.sub, sizeof(in.sub), "partner-42");
	snprintf(in.kind, sizeof(in.kind), "client");
	snprintf(in.jti, sizeof(in.jti), "fixed-jti");
	in.iat = T0 - 10;
	in.exp = T0 + 30;
	ck_assert_int_eq(token_sign(&in, &tok), 0);
	ck_assert_int_eq(token_verify(tok, &out), 0);
	ck_assert_str_eq(out.kind, "client");
	ck_assert_str_eq(out.jti, "fixed-jti");
	ck_assert_int_eq(out.nscopes, 0);
	ck_assert_int_eq(out.nroles, 0);
	ck_assert_int_eq(out.mfa, 0);
	ck_assert_int_eq(out.iat, T0 - 10);
	ck_assert_int_eq(out.exp, T0 + 30);
	free(tok);
}
END_TEST

START_TEST(test_token_sign_refuses_bad_claims)
{
	struct token_claims	 c;
	char			*tok = NULL;

	fill_claims(&c);
	c.sub[0] = '\0';
	ck_assert_int_eq(token_sign(&c, &tok), -1);
	ck_assert_ptr_null(tok);
	fill_claims(&c);
	snprintf(c.kind, sizeof(c.kind), "robot");
	ck_assert_int_eq(token_sign(&c, &tok), -1);
	fill_claims(&c);
	c.nroles = TOKEN_MAX_ROLES + 1;
	ck_assert_int_eq(token_sign(&c, &tok), -1);
	fill_claims(&c);
	snprintf(c.scopes[0], sizeof(c.scopes[0]), "two words");
	ck_assert_int_eq(token_sign(&c, &tok), -1);
}
END_TEST

START_TEST(test_token_es256_round_trip)
{
	struct token_claims	 in, out;
	char			*tok;

	tok = round_trip("ES256", "es1", &in);
	/* The second time comes from the cache, with the same claims. */
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(token_verify(tok, &out), 0);
	assert_same_claims(&in, &out);
	free(tok);
	ck_assert_int_eq(token_asymmetric(), 1);
}
END_TEST

/*
 * HS256 verifications are cached too: the second is a hit with the same
 * claims; the hit still honours exp; a changed secret under the same kid
 * (a new generation) refuses the cached token.
 */
START_TEST(test_token_hs256_cache)
{
	struct token_claims	 in, out;
	uint64_t		 hits;
	char			*tok, *line;

	fill_claims(&in);
	ck_assert_int_eq(token_sign(&in, &tok), 0);
	ck_assert_int_eq(token_verify(tok, &out), 0);
	hits = token_cache_hits();
	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(token_verify(tok, &out), 0);
	ck_assert_uint_eq(token_cache_hits(), hits + 1);
	assert_same_claims(&in, &out);
	ck_assert_int_eq(clock_configure("2026-12-20T08:45:59Z"), 0);
	ck_assert_int_eq(token_verify(tok, &out), 0);	/* exp + 59 s */
	ck_assert_uint_eq(token_cache_hits(), hits + 2);
	ck_assert_int_eq(clock_configure("2026-12-20T08:46:00Z"), 0);
	ck_assert_int_eq(token_verify(tok, &out), -1);	/* exp + 60 s */
	ck_assert_int_eq(clock_configure("2026-12-20T08:40:00Z"), 0);
	ck_assert_int_eq(token_verify(tok, &out), 0);
	/* Same kid, another secret: the cached verification no longer counts. */
	line = hs_line("hs1", "another-secret-for-the-same-kid!", HS_LEN);
	unit_write(keyfile, line, 0600);
	free(line);
	load_ok();
	ck_assert_int_eq(token_verify(tok, &out), -1);
	free(tok);
}
END_TEST

START_TEST(test_token_es256_cache_honours_exp)
{
	struct token_claims	 in, out;
	char			*tok;

	fill_claims(&in);
	ck_assert_int_eq(token_sign(&in, &tok), 0);
	ck_assert_int_eq(token_verify(tok, &out), 0);	/* now cached */
	ck_assert_int_eq(clock_configure("2026-12-20T08:45:59Z"), 0);
	ck_assert_int_eq(token_verify(tok, &out), 0);	/* exp + 59 s */
	ck_assert_int_eq(clock_configure("2026-12-20T08:46:00Z"), 0);
	ck_assert_int_eq(token_verify(tok, &out), -1);	/* exp + 60 s */
	free(tok);
}
END_TEST

START_TEST(test_token_forged_valid)
{
	struct token_claims	 c;
	char			*tok;

	/* The hand-made tokens below differ from this one in one way. */
	tok = hs_token(claims());
	ck_assert_int_eq(token_verify(tok, &c), 0);
	ck_assert_str_eq(c.sub, SUB);
	ck_assert_str_eq(c.jti, "j-1");
	ck_assert_int_eq(c.nroles, 1);
	ck_assert_int_eq(c.nscopes, 2);
	ck_assert_str_eq(c.scopes[1], "cases:write");
	ck_assert_int_eq(c.tv, 3);
	ck_assert_int_eq(c.mfa, 1);
	free(tok);
}
END_TEST

/*
 * The negative matrix: every way a token can be forged or stale is
 * refused (ARCHITECTURE.md, "API conventions", Identity).
 */

START_TEST(test_token_alg_none)
{
	json_t	*h;

	h = header("none", "hs1");
	refused(jws(h, claims(), NULL, 0, NULL));
	h = header("none", "hs1");
	refused(jws(h, claims(), hs_secret, HS_LEN, NULL));
}
END_TEST

START_TEST(test_token_alg_none_uppercase)
{
	/* libjwt 1.10.2 compares alg names with strcasecmp(). */
	refused(jws(header("NONE", "hs1"), claims(), NULL, 0, NULL));
	refused(jws(header("NONE", "hs1"), claims(), hs_secret, HS_LEN,
	    NULL));
	refused(jws(header("hs256", "hs1"), claims(), hs_secret, HS_LEN,
	    NULL));
}
END_TEST

START_TEST(test_token_alg_confusion_public_key_as_hmac_secret)
{
	char	*pem;

	/* ES256 deployment; libjwt alone would take the PEM as HMAC key. */
	pem = public_pem(es_key);
	refused(jws(header("HS256", "es1"), claims(), pem, strlen(pem), NULL));
	free(pem);
	/* The same claims signed with the real key pass. */
	accepted(jws(header("ES256", "es1"), claims(), NULL, 0, es_key));
}
END_TEST

START_TEST(test_token_expired)
{
	refused(hs_with("exp", json_integer(T0 - 60)));
	/* Within the 60 s leeway. */
	accepted(hs_with("exp", json_integer(T0 - 59)));
}
END_TEST

START_TEST(test_token_missing_exp)
{
	refused(hs_with("exp", NULL));
}
END_TEST

START_TEST(test_token_exp_string)
{
	char	 s[32];

	snprintf(s, sizeof(s), "%lld", (long long)(T0 + 900));
	refused(hs_with("exp", json_string(s)));
	refused(hs_with("exp", json_real((double)(T0 + 900))));
}
END_TEST

START_TEST(test_token_nbf_future)
{
	refused(hs_with("nbf", json_integer(T0 + 61)));
	accepted(hs_with("nbf", json_integer(T0 + 60)));
}
END_TEST

START_TEST(test_token_wrong_aud)
{
	refused(hs_with("aud", json_string("guichet-admin")));
	refused(hs_with("aud", NULL));
	refused(hs_with("aud", json_integer(1)));
}
END_TEST

START_TEST(test_token_aud_array_without_ours)
{
	refused(hs_with("aud", json_pack("[s, s]", "billing", "guichet2")));
	refused(hs_with("aud", json_array()));
}
END_TEST

START_TEST(test_token_aud_array_with_ours)
{
	accepted(hs_with("aud", json_pack("[s, s]", "billing", AUD)));
}
END_TEST

START_TEST(test_token_wrong_iss)
{
	refused(hs_with("iss", json_string("https://evil.example")));
	refused(hs_with("iss", NULL));
}
END_TEST

START_TEST(test_token_tampered_payload)
{
	char	*good, *evil, *tok, *d1, *d2, *e1, *e2;

	good = hs_token(claims());
	evil = hs_with("roles", json_pack("[s]", "admin"));
	/* The evil payload with the good signature. */
	d1 = strchr(good, '.');
	d2 = strchr(d1 + 1, '.');
	e1 = strchr(evil, '.');
	e2 = strchr(e1 + 1, '.');
	ck_assert_int_gt(asprintf(&tok, "%.*s%s", (int)(e2 - evil), evil, d2),
	    0);
	free(good);
	free(evil);
	refused(tok);
}
END_TEST

START_TEST(test_token_empty_signature)
{
	char	*tok;

	tok = hs_token(claims());
	*(strrchr(tok, '.') + 1) = '\0';
	refused(tok);
}
END_TEST

/*
 * One spelling per token: a part whose last character carries non-zero
 * unused bits decodes to the same bytes, but is another string, and the
 * verified-token cache is keyed by the string.  Each such variant of a
 * valid token (HMAC key 'hkey', else ES256 key 'pk') is refused: the
 * signature above all, which nothing signs (libjwt compares HS256 MACs
 * as text, but decodes ES256 signatures leniently).
 */
static void
refused_respelled(const void *hkey, size_t hkeylen, EVP_PKEY *pk)
{
	static const char	 alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	struct token_claims	 c;
	json_t			*o;
	char			*tok, *bad, *end[3], *js, *payload;
	size_t			 i, len[3];
	int			 v;

	/* Header and payload of lengths that leave unused bits (not 3n). */
	o = claims();
	js = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	ck_assert_int_gt(asprintf(&payload, "%s%s", js,
	    strlen(js) % 3 == 0 ? " " : ""), 0);
	tok = jws_text(hkey != NULL ?
	    "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"hs1\" }" :
	    "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"es1\" }",
	    payload, hkey, hkeylen, pk);
	free(js);
	free(payload);
	ck_assert_int_eq(token_verify(tok, &c), 0);	/* and cached */
	end[0] = strchr(tok, '.');
	end[1] = strchr(end[0] + 1, '.');
	end[2] = tok + strlen(tok);
	len[0] = (size_t)(end[0] - tok);
	len[1] = (size_t)(end[1] - end[0] - 1);
	len[2] = (size_t)(end[2] - end[1] - 1);
	for (i = 0; i < 3; i++) {
		/* The lowest bit of the part's last character is unused. */
		ck_assert_uint_ne(len[i] % 4, 0);
		v = (int)(strchr(alphabet, end[i][-1]) - alphabet);
		ck_assert_int_eq(v & 1, 0);
		bad = strdup(tok);
		bad[end[i] - 1 - tok] = alphabet[v | 1];
		refused(bad);
	}
	ck_assert_int_eq(token_verify(tok, &c), 0);
	free(tok);
}

START_TEST(test_token_one_spelling)
{
	refused_respelled(hs_secret, HS_LEN, NULL);
}
END_TEST

START_TEST(test_token_es256_one_spelling)
{
	refused_respelled(NULL, 0, es_key);
}
END_TEST

START_TEST(test_token_other_key)
{
	refused(jws(header("HS256", "hs1"), claims(), hs_other, HS_LEN, NULL));
}
END_TEST

START_TEST(test_token_es256_other_key)
{
	EVP_PKEY	*other;

	other = ec_new();
	refused(jws(header("ES256", "es1"), claims(), NULL, 0, other));
	EVP_PKEY_free(other);
}
END_TEST

/*
 * libjwt 1.10.2 can neither write nor read typ "at+jwt" (token.c), so our
 * tokens say "JWT", compared exactly; libjwt itself would take "jwt" or
 * no typ at all.
 */
START_TEST(test_token_typ_not_jwt)
{
	static const char *const typs[] = { "at+jwt", "jwt", "JWS",
	    "secevent+jwt", "" };
	size_t	 i;

	for (i = 0; i < sizeof(typs) / sizeof(typs[0]); i++)
		refused(hs_header_with("typ", json_string(typs[i])));
	refused(hs_header_with("typ", NULL));
	refused(hs_header_with("typ", json_integer(1)));
}
END_TEST

START_TEST(test_token_unknown_kid)
{
	refused(jws(header("HS256", "hs2"), claims(), hs_secret, HS_LEN,
	    NULL));
}
END_TEST

START_TEST(test_token_missing_kid)
{
	refused(hs_header_with("kid", NULL));
	refused(hs_header_with("kid", json_integer(1)));
}
END_TEST

START_TEST(test_token_jku_header)
{
	refused(hs_header_with("jku", json_string("https://evil.example/k")));
}
END_TEST

START_TEST(test_token_key_choosing_headers)
{
	static const char *const names[] = { "x5u", "jwk", "x5c", "crit" };
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		refused(hs_header_with(names[i], json_pack("[s]", "x")));
}
END_TEST

START_TEST(test_token_malformed)
{
	struct token_claims	 c;
	char			*tok, *big;
	size_t			 n;

	ck_assert_int_eq(token_verify(NULL, &c), -1);
	ck_assert_int_eq(token_verify("", &c), -1);
	ck_assert_int_eq(token_verify("abc", &c), -1);
	ck_assert_int_eq(token_verify("a.b", &c), -1);
	ck_assert_int_eq(token_verify("a.b.c.d", &c), -1);
	ck_assert_int_eq(token_verify("..", &c), -1);
	/* Header not JSON, but a good MAC. */
	refused(jws_text("not json", "{}", hs_secret, HS_LEN, NULL));
	refused(jws_text("[\"alg\",\"HS256\"]", "{}", hs_secret, HS_LEN,
	    NULL));
	/* Duplicate header parameters. */
	refused(jws_text("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":"
	    "\"hs1\",\"alg\":\"HS256\"}", "{}", hs_secret, HS_LEN, NULL));
	/* Payload not JSON, good MAC. */
	refused(jws_text("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":"
	    "\"hs1\"}", "nope", hs_secret, HS_LEN, NULL));
	/* Characters outside base64url, or padding. */
	tok = hs_token(claims());
	n = strlen(tok);
	tok[n - 1] = '=';
	refused(tok);
	tok = hs_token(claims());
	tok[3] = '+';
	refused(tok);
	/* Longer than 8 KiB. */
	big = malloc(8194);
	memset(big, 'A', 8193);
	big[8193] = '\0';
	big[10] = '.';
	big[20] = '.';
	refused(big);
}
END_TEST

START_TEST(test_token_claim_types)
{
	/* claims() with one claim of the wrong type or out of bounds. */
	static const struct {
		const char	*claim;
		const char	*json;	/* the value; NULL: the claim removed */
	} bad[] = {
		{ "sub", "\"0123456789012345678901234567890123456789\"" }, /* 40 */
		{ "sub", "\"\"" },
		{ "sub", "5" },
		{ "kind", "\"admin\"" },
		{ "tv", NULL },
		{ "tv", "-1" },
		{ "tv", "\"3\"" },
		{ "roles", "\"agent\"" },
		{ "roles", "[\"a-role-name-that-is-too-long\"]" },
		{ "scope", "\"a b c d e f g h i j k l m n o p q\"" },	/* 17 */
		{ "scope", "\"a  b\"" },
		{ "scope", "[\"a\"]" },
		{ "mfa", "1" },
		{ "nbf", "\"0\"" },
	};
	json_t	*roles, *p;
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(hs_with(bad[i].claim, bad[i].json == NULL ? NULL :
		    json_loads(bad[i].json, JSON_DECODE_ANY, NULL)));
	roles = json_array();
	for (i = 0; i <= TOKEN_MAX_ROLES; i++)
		json_array_append_new(roles, json_string("agent"));
	refused(hs_with("roles", roles));
	refused(hs_with("iat", json_integer(T0 + 61)));
	/* A client token needs no tv. */
	p = with(claims(), "kind", json_string("client"));
	accepted(hs_token(with(p, "tv", NULL)));
}
END_TEST

START_TEST(test_token_issuer_change_applies_to_cached)
{
	struct token_claims	 in, out;
	char			*tok;

	fill_claims(&in);
	ck_assert_int_eq(token_sign(&in, &tok), 0);
	ck_assert_int_eq(token_verify(tok, &out), 0);	/* cached */
	token_configure("https://autre-mairie.example.fr", AUD);
	ck_assert_int_eq(token_verify(tok, &out), -1);
	free(tok);
}
END_TEST

/* JWKS. */

/* The P-256 public key of a JWK, for OpenSSL. */
static EVP_PKEY *
jwk_ec_key(json_t *jwk)
{
	OSSL_PARAM_BLD	*bld;
	OSSL_PARAM	*params;
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*pk = NULL;
	const char	*x, *y;
	unsigned char	 pub[65], tmp[66];

	x = json_string_value(json_object_get(jwk, "x"));
	y = json_string_value(json_object_get(jwk, "y"));
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(y);
	ck_assert_uint_eq(unb64u(x, strlen(x), tmp, sizeof(tmp)), 32);
	memcpy(pub + 1, tmp, 32);
	ck_assert_uint_eq(unb64u(y, strlen(y), tmp, sizeof(tmp)), 32);
	memcpy(pub + 33, tmp, 32);
	pub[0] = 0x04;
	bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0);
	OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
	    sizeof(pub));
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	ck_assert_int_eq(EVP_PKEY_fromdata_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY,
	    params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return (pk);
}

/* Check an ES256 JWS signature with OpenSSL alone. */
static int
es_verify(EVP_PKEY *pk, const char *tok)
{
	EVP_MD_CTX	*ctx;
	ECDSA_SIG	*sig;
	unsigned char	 raw[66], *der = NULL;
	const char	*dot = strrchr(tok, '.');
	int		 derlen, rc;

	ck_assert_uint_eq(unb64u(dot + 1, strlen(dot + 1), raw, sizeof(raw)),
	    64);
	sig = ECDSA_SIG_new();
	ECDSA_SIG_set0(sig, BN_bin2bn(raw, 32, NULL),
	    BN_bin2bn(raw + 32, 32, NULL));
	derlen = i2d_ECDSA_SIG(sig, &der);
	ctx = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
	    pk), 1);
	rc = EVP_DigestVerify(ctx, der, (size_t)derlen,
	    (const unsigned char *)tok, (size_t)(dot - tok));
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	return (rc);
}

START_TEST(test_token_jwks_es256)
{
	struct token_claims	 in;
	json_t			*doc, *keys, *k;
	EVP_PKEY		*pk;
	char			*s, *tok;

	ck_assert_ptr_nonnull(s = token_jwks());
	ck_assert_ptr_nonnull(doc = json_loads(s, JSON_REJECT_DUPLICATES,
	    NULL));
	free(s);
	keys = json_object_get(doc, "keys");
	ck_assert(json_is_array(keys));
	ck_assert_uint_eq(json_array_size(keys), 1);
	k = json_array_get(keys, 0);
	ck_assert_str_eq(json_string_value(json_object_get(k, "kty")), "EC");
	ck_assert_str_eq(json_string_value(json_object_get(k, "crv")), "P-256");
	ck_assert_str_eq(json_string_value(json_object_get(k, "kid")), "es1");
	ck_assert_str_eq(json_string_value(json_object_get(k, "alg")), "ES256");
	ck_assert_str_eq(json_string_value(json_object_get(k, "use")), "sig");
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(k, "x"))),
	    43);
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(k, "y"))),
	    43);
	ck_assert_ptr_null(json_object_get(k, "d"));	/* no private part */
	/* A third party holding only the JWKS verifies our tokens. */
	pk = jwk_ec_key(k);
	ck_assert_int_eq(EVP_PKEY_eq(pk, es_key), 1);
	fill_claims(&in);
	ck_assert_int_eq(token_sign(&in, &tok), 0);
	ck_assert_int_eq(es_verify(pk, tok), 1);
	free(tok);
	EVP_PKEY_free(pk);
	json_decref(doc);
}
END_TEST

START_TEST(test_token_jwks_hs256_null)
{
	ck_assert_ptr_null(token_jwks());
}
END_TEST

START_TEST(test_token_rs256_rotate_round_trip)
{
	struct token_claims	 in, out;
	json_t			*doc, *k;
	char			 err[512], *s, *tok;

	ck_assert_msg(token_keys_rotate(keyfile, "RS256", err, sizeof(err)) ==
	    0, "%s", err);
	load_ok();
	ck_assert_int_eq(token_asymmetric(), 1);
	fill_claims(&in);
	ck_assert_int_eq(token_sign(&in, &tok), 0);
	ck_assert_int_eq(token_verify(tok, &out), 0);
	assert_same_claims(&in, &out);
	free(tok);
	ck_assert_ptr_nonnull(s = token_jwks());
	doc = json_loads(s, 0, NULL);
	free(s);
	k = json_array_get(json_object_get(doc, "keys"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(k, "kty")), "RSA");
	ck_assert_str_eq(json_string_value(json_object_get(k, "alg")), "RS256");
	ck_assert_str_eq(json_string_value(json_object_get(k, "use")), "sig");
	ck_assert_str_eq(json_string_value(json_object_get(k, "e")), "AQAB");
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(k, "n"))),
	    512);				/* 3072 bits */
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(k, "kid"))),
	    16);
	json_decref(doc);
}
END_TEST

/* Rotation and reload. */

static char *
kid_of(const char *tok)
{
	json_t	*h;
	char	*kid;

	h = token_header(tok);
	kid = strdup(json_string_value(json_object_get(h, "kid")));
	json_decref(h);
	return (kid);
}

static int
key_lines(const char *path)
{
	char	*s, *p;
	int	 n = 0;

	s = unit_read(path, NULL);
	for (p = strtok(s, "\n"); p != NULL; p = strtok(NULL, "\n"))
		if (p[0] != '#')
			n++;
	free(s);
	return (n);
}

static void
rotate_ok(const char *alg)
{
	char	 err[512];

	ck_assert_msg(token_keys_rotate(keyfile, alg, err, sizeof(err)) == 0,
	    "%s", err);
	load_ok();
}

static void
rotation(const char *alg)
{
	struct token_claims	 in, out;
	struct stat		 st;
	char			*t1, *t2, *k1, *k2;

	fill_claims(&in);
	rotate_ok(alg);				/* creates the file */
	ck_assert_int_eq(stat(keyfile, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(key_lines(keyfile), 1);
	ck_assert_int_eq(token_sign(&in, &t1), 0);
	ck_assert_int_eq(token_verify(t1, &out), 0);
	rotate_ok(NULL);
	ck_assert_int_eq(key_lines(keyfile), 2);
	ck_assert_int_eq(token_verify(t1, &out), 0);	/* old key kept */
	ck_assert_int_eq(token_sign(&in, &t2), 0);
	k1 = kid_of(t1);
	k2 = kid_of(t2);
	ck_assert_str_ne(k1, k2);
	ck_assert_uint_eq(strlen(k2), 16);
	rotate_ok(NULL);
	ck_assert_int_eq(key_lines(keyfile), 2);
	ck_assert_int_eq(token_verify(t1, &out), -1);	/* dropped */
	ck_assert_int_eq(token_verify(t2, &out), 0);
	ck_assert_int_eq(stat(keyfile, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	free(t1);
	free(t2);
	free(k1);
	free(k2);
}

START_TEST(test_token_rotate_hs256)
{
	rotation("HS256");
	ck_assert_ptr_null(token_jwks());
}
END_TEST

START_TEST(test_token_rotate_es256)
{
	struct stat	 st;
	char		 path[PATH_MAX + 512], *s;
	json_t		*doc;
	DIR		*d;
	struct dirent	*de;
	int		 pems = 0;

	rotation("ES256");
	snprintf(path, sizeof(path), "%s.d", keyfile);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_ptr_nonnull(d = opendir(path));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		pems++;
		snprintf(path, sizeof(path), "%s.d/%s", keyfile, de->d_name);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, 0600);
	}
	closedir(d);
	ck_assert_int_eq(pems, 2);		/* the oldest one was removed */
	ck_assert_ptr_nonnull(s = token_jwks());
	doc = json_loads(s, 0, NULL);
	free(s);
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "keys")), 2);
	json_decref(doc);
}
END_TEST

START_TEST(test_token_rotate_refusals)
{
	char	 err[512] = "";

	ck_assert_int_eq(token_keys_rotate(keyfile, NULL, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "algorithm"));
	ck_assert_int_eq(token_keys_rotate(keyfile, "PS256", err, sizeof(err)),
	    -1);
	rotate_ok("ES256");
	ck_assert_int_eq(token_keys_rotate(keyfile, "HS256", err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "ES256"));
	ck_assert_int_eq(key_lines(keyfile), 1);	/* untouched */
	chmod(keyfile, 0640);
	ck_assert_int_eq(token_keys_rotate(keyfile, NULL, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "chmod 600"));
}
END_TEST

START_TEST(test_token_reload_on_change)
{
	struct token_claims	 in, out;
	struct timespec		 pause = { 1, 100 * 1000 * 1000 };
	char			*l1, *l2, *text, *t2, *t3, *kid;

	/* A new key file renamed into place, as rotation does. */
	l1 = hs_line("hs1", hs_secret, HS_LEN);
	l2 = hs_line("hs2", hs_other, HS_LEN);
	ck_assert_int_gt(asprintf(&text, "%s%s", l2, l1), 0);
	replace_file(keyfile, text);
	t2 = jws(header("HS256", "hs2"), claims(), hs_other, HS_LEN, NULL);
	nanosleep(&pause, NULL);		/* checks are 1 s apart */
	ck_assert_int_eq(token_verify(t2, &out), 0);
	fill_claims(&in);
	ck_assert_int_eq(token_sign(&in, &t3), 0);
	kid = kid_of(t3);
	ck_assert_str_eq(kid, "hs2");
	/* A broken file is not loaded: the keys in use stay. */
	unit_write(keyfile, "hs3 HS256 c2hvcnQ\n", 0600);
	nanosleep(&pause, NULL);
	ck_assert_int_eq(token_verify(t2, &out), 0);
	ck_assert_int_eq(token_verify(t3, &out), 0);
	free(l1);
	free(l2);
	free(text);
	free(t2);
	free(t3);
	free(kid);
}
END_TEST

/* Key file refusals. */

START_TEST(test_token_keys_mode_644)
{
	char	*line;

	line = hs_line("hs1", hs_secret, HS_LEN);
	unit_write(keyfile, line, 0644);
	free(line);
	load_refused("chmod 600");
}
END_TEST

START_TEST(test_token_keys_short_secret)
{
	char	*line, want[PATH_MAX + 32];

	line = hs_line("hs1", hs_secret, 31);
	unit_write(keyfile, line, 0600);
	free(line);
	snprintf(want, sizeof(want), "%s:1:", keyfile);
	load_refused(want);
	load_refused("at least 32");
}
END_TEST

START_TEST(test_token_keys_mixed_algs)
{
	char	*line, *text, pem[PATH_MAX + 16], want[PATH_MAX + 32];

	es_key = ec_new();
	snprintf(pem, sizeof(pem), "%s/es1.pem", dir);
	write_pem(es_key, pem, 0600);
	line = hs_line("hs1", hs_secret, HS_LEN);
	ck_assert_int_gt(asprintf(&text, "%ses1 ES256 %s\n", line, pem), 0);
	unit_write(keyfile, text, 0600);
	free(line);
	free(text);
	snprintf(want, sizeof(want), "%s:2:", keyfile);
	load_refused(want);
	load_refused("one algorithm");
}
END_TEST

START_TEST(test_token_keys_bad_line)
{
	char	 want[PATH_MAX + 32];

	unit_write(keyfile, "# keys\n\nhs1 HS256\n", 0600);
	snprintf(want, sizeof(want), "%s:3:", keyfile);
	load_refused(want);
}
END_TEST

START_TEST(test_token_keys_other_refusals)
{
	/* Key files refused, and what the message names. */
	static const struct {
		const char	*text, *why;
	} bad[] = {
		{ "# nothing\n\n", "no key" },
		{ "hs1 PS256 abc\n", "unknown algorithm" },
		{ "hs1 none abc\n", "unknown algorithm" },
		{ "hs1 hs256 abc\n", "unknown algorithm" },
		{ "hs1 HS256 not*base64url+at/all!!\n", "not base64url" },
		{ "k\"1 HS256 abcd\n", "kid" },
	};
	struct token_claims	 c;
	char			*l1, *text, pem[PATH_MAX + 16];
	char			*tok;
	size_t			 i;

	/* The deployment's keys stay in use through every refusal. */
	fill_claims(&c);
	ck_assert_int_eq(token_sign(&c, &tok), 0);
	l1 = hs_line("hs1", hs_secret, HS_LEN);
	unlink(keyfile);
	load_refused("No such file");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unit_write(keyfile, bad[i].text, 0600);
		load_refused(bad[i].why);
	}
	ck_assert_int_gt(asprintf(&text, "%s%s", l1, l1), 0);
	unit_write(keyfile, text, 0600);
	free(text);
	load_refused("duplicate kid");
	/* PEM: missing, open to others, wrong algorithm, garbage. */
	unit_write(keyfile, "es1 ES256 nowhere.pem\n", 0600);
	load_refused("nowhere.pem");
	es_key = ec_new();
	snprintf(pem, sizeof(pem), "%s/es1.pem", dir);
	write_pem(es_key, pem, 0640);
	unit_write(keyfile, "es1 ES256 es1.pem\n", 0600);
	load_refused("chmod 600");
	chmod(pem, 0600);
	unit_write(keyfile, "es1 RS256 es1.pem\n", 0600);
	load_refused("RSA");
	unit_write(pem, "-----BEGIN PRIVATE KEY-----\nAAAA\n", 0600);
	unit_write(keyfile, "es1 ES256 es1.pem\n", 0600);
	load_refused("PEM");
	ck_assert_int_eq(token_verify(tok, &c), 0);
	free(tok);
	free(l1);
}
END_TEST

/* Concurrency: verifications while the key set is reloaded. */

#define RACE_TOKENS	8

struct race {
	char		*tok[RACE_TOKENS];
	_Atomic int	 stop;
	_Atomic int	 failures;
	_Atomic long	 count;
};

static void *
race_verify(void *arg)
{
	struct race		*r = arg;
	struct token_claims	 c;
	int			 i = 0;

	while (!atomic_load(&r->stop)) {
		if (token_verify(r->tok[i++ % RACE_TOKENS], &c) != 0 ||
		    strcmp(c.sub, SUB) != 0)
			atomic_fetch_add(&r->failures, 1);
		atomic_fetch_add(&r->count, 1);
	}
	return (NULL);
}

START_TEST(test_token_verify_during_reloads)
{
	struct race		 r;
	struct token_claims	 c;
	pthread_t		 th[2];
	int			 i;

	memset(&r, 0, sizeof(r));
	fill_claims(&c);
	for (i = 0; i < RACE_TOKENS; i++)
		ck_assert_int_eq(token_sign(&c, &r.tok[i]), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, race_verify, &r),
		    0);
	for (i = 0; i < 30; i++)
		load_ok();	/* each load empties the cache's generation */
	atomic_store(&r.stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(atomic_load(&r.failures), 0);
	ck_assert_int_gt(atomic_load(&r.count), 0);
	for (i = 0; i < RACE_TOKENS; i++)
		free(r.tok[i]);
}
END_TEST

static const TTest *const *const hs256_tests[] = {
	&test_token_hs256_round_trip,
	&test_token_sign_client_without_scopes,
	&test_token_sign_refuses_bad_claims,
	&test_token_forged_valid,
	&test_token_hs256_cache,
	&test_token_alg_none,
	&test_token_alg_none_uppercase,
	&test_token_expired,
	&test_token_missing_exp,
	&test_token_exp_string,
	&test_token_nbf_future,
	&test_token_wrong_aud,
	&test_token_aud_array_without_ours,
	&test_token_aud_array_with_ours,
	&test_token_wrong_iss,
	&test_token_tampered_payload,
	&test_token_empty_signature,
	&test_token_one_spelling,
	&test_token_other_key,
	&test_token_typ_not_jwt,
	&test_token_unknown_kid,
	&test_token_missing_kid,
	&test_token_jku_header,
	&test_token_key_choosing_headers,
	&test_token_malformed,
	&test_token_claim_types,
	&test_token_jwks_hs256_null,
	&test_token_reload_on_change,
	&test_token_keys_other_refusals,
	NULL
};

static const TTest *const *const es256_tests[] = {
	&test_token_es256_round_trip,
	&test_token_es256_cache_honours_exp,
	&test_token_alg_confusion_public_key_as_hmac_secret,
	&test_token_es256_other_key,
	&test_token_es256_one_spelling,
	&test_token_issuer_change_applies_to_cached,
	&test_token_jwks_es256,
	&test_token_verify_during_reloads,
	NULL
};

static const TTest *const *const files_tests[] = {
	&test_token_rs256_rotate_round_trip,
	&test_token_rotate_hs256,
	&test_token_rotate_es256,
	&test_token_rotate_refusals,
	&test_token_keys_mode_644,
	&test_token_keys_short_secret,
	&test_token_keys_mixed_algs,
	&test_token_keys_bad_line,
	NULL
};

const struct test_group test_groups[] = {
	{ "hs256", 30, setup_hs, teardown, NULL, NULL, hs256_tests },
	{ "es256", 30, setup_es, teardown, NULL, NULL, es256_tests },
	{ "files", 30, setup, teardown, NULL, NULL, files_tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
