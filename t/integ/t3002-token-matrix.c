/*
 * t3002-token-matrix: the negative token matrix of reference B2.  Tokens
 * are signed here by hand with the deployment's own key (read from the key
 * file), then broken one way each; every broken token sent to GET
 * /api/v1/me must get the same 401 problem with WWW-Authenticate: Bearer.
 * The positive control (a correct hand-signed token is accepted) proves
 * that the hand-signing is right, so that each refusal is the server's
 * doing.  Also the JWKS document, for HS256 (none) and ES256 deployments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "base/b64.h"
#include "base/random.h"
#include "idlib.h"

static char	*es_keyfile;	/* an ES256 key file, made by prepare() */

struct hs_key {
	char		 kid[128];
	unsigned char	*key;
	size_t		 len;
};

/*
 * The typ header of the deployment's access tokens, read from one it
 * issues (a client_credentials token: no password hashing).  RFC 9068
 * says "at+jwt"; libjwt 1.10.2 can only write and read "JWT" (token.c),
 * so either is taken, and every other value must be refused.
 */
static char	 server_typ[32];

static void
learn_typ(const struct idenv *e)
{
	json_t	*j, *h;
	long	 st;

	j = idl_sendj(e, "POST", "/api/v1/auth/token", NULL,
	    json_pack("{s:s, s:s, s:s}", "grant_type", "client_credentials",
	    "client_id", idl_demo.client_id, "client_secret",
	    idl_demo.client_secret), &st);
	ck_assert_msg(st == 200 && idl_jstr(j, "access_token") != NULL,
	    "client_credentials token: status %ld", st);
	h = idl_jwt_json(idl_jstr(j, "access_token"), 0);
	ck_assert_msg(h != NULL && idl_jstr(h, "typ") != NULL,
	    "the server's token has no typ header");
	snprintf(server_typ, sizeof(server_typ), "%s", idl_jstr(h, "typ"));
	ck_assert_msg(strcmp(server_typ, "at+jwt") == 0 ||
	    strcmp(server_typ, "JWT") == 0, "the server's typ is %s",
	    server_typ);
	json_decref(h);
	json_decref(j);
}

static void
start(struct idenv *e)
{
	memset(e, 0, sizeof(*e));
	idl_start(e);
	learn_typ(e);
}

static void
hs_key(struct hs_key *k)
{
	ck_assert_msg(idl_keyfile_hs256(harness_key_file(), k->kid,
	    sizeof(k->kid), &k->key, &k->len) == 0, "no HS256 key in %s", harness_key_file());
	ck_assert_msg(k->len >= 32, "HS256 key of %zu bytes", k->len);
}

static char *
header(const char *alg, const char *typ, const char *kid)
{
	json_t	*h;
	char	*s;

	h = json_pack("{s:s}", "alg", alg);
	if (typ != NULL)
		json_object_set_new(h, "typ", json_string(typ));
	if (kid != NULL)
		json_object_set_new(h, "kid", json_string(kid));
	s = json_dumps(h, JSON_COMPACT);
	json_decref(h);
	return (s);
}

/*
 * Good claims for the demo resident at the server's time, with 'over'
 * (stolen, may be NULL) merged over them; a member set to JSON null in
 * 'over' is removed.
 */
static char *
claims(const struct idenv *e, json_t *over)
{
	json_t		*c, *v;
	const char	*k;
	char		*s, *jti, *tv;
	int64_t		 now = idl_server_now(e);
	void		*tmp;

	tv = idl_sql(e, "SELECT token_version FROM identity.accounts WHERE "
	    "id = '%s'", idl_demo.resident_id);
	ck_assert(tv != NULL);
	jti = idl_marker(32);
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:[], "
	    "s:b}", "iss", IDL_ISSUER, "aud", IDL_AUDIENCE, "sub",
	    idl_demo.resident_id, "iat", (json_int_t)(now - 5), "nbf",
	    (json_int_t)(now - 5), "exp", (json_int_t)(now + 600), "jti", jti,
	    "kind", "person", "tv", (json_int_t)atoll(tv), "roles", "mfa", 0);
	if (over != NULL) {
		json_object_foreach_safe(over, tmp, k, v) {
			if (json_is_null(v))
				json_object_del(c, k);
			else
				json_object_set(c, k, v);
		}
		json_decref(over);
	}
	s = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	free(jti);
	free(tv);
	return (s);
}

/* An HS256 token of the deployment with claims 'over' changed. */
static char *
hs_token(const struct idenv *e, json_t *over)
{
	struct hs_key	 k;
	char		*h, *c, *t;

	hs_key(&k);
	h = header("HS256", server_typ, k.kid);
	c = claims(e, over);
	t = idl_jwt_hs256(h, c, k.key, k.len);
	free(h);
	free(c);
	free(k.key);
	return (t);
}

static void
get_me(const struct idenv *e, const char *token, struct http_resp *r)
{
	idl_req(e, "GET", "/api/v1/me", token, NULL, r);
}

static void
expect_accepted(const struct idenv *e, const char *token, const char *what)
{
	struct http_resp r;
	json_t		*j;

	get_me(e, token, &r);
	ck_assert_msg(r.status == 200, "%s: status %ld, expected 200: %s",
	    what, r.status, r.body);
	j = harness_json(&r);
	ck_assert_msg(j != NULL && idl_jstr(j, "id") != NULL &&
	    strcmp(idl_jstr(j, "id"), idl_demo.resident_id) == 0,
	    "%s: not the resident's account: %s", what, r.body);
	json_decref(j);
	http_resp_free(&r);
}

/*
 * 401, a problem document, WWW-Authenticate: Bearer, and the very body of
 * any other refused token (apart from request_id): nothing tells why.
 */
static void
expect_refused(const struct idenv *e, const char *token, const char *what)
{
	struct http_resp r, ref;
	const char	*www;

	get_me(e, "not.a.token", &ref);
	get_me(e, token, &r);
	ck_assert_msg(r.status == 401, "%s: status %ld, expected 401: %s",
	    what, r.status, r.body);
	json_decref(harness_assert_problem(&r, 401, "/problems/unauthorized",
	    "/api/v1/me"));
	www = http_resp_header(&r, "WWW-Authenticate");
	ck_assert_msg(www != NULL && strncasecmp(www, "Bearer", 6) == 0,
	    "%s: WWW-Authenticate is %s", what, www ? www : "(none)");
	/* The body tells no more than a garbage token's. */
	idl_assert_same_body(&r, &ref, what);
	http_resp_free(&r);
	http_resp_free(&ref);
}

/* The parts of a token. */
static void
split3(const char *t, char **h, char **c, char **s)
{
	const char	*d1, *d2;

	d1 = strchr(t, '.');
	ck_assert(d1 != NULL);
	d2 = strchr(d1 + 1, '.');
	ck_assert(d2 != NULL);
	*h = strndup(t, (size_t)(d1 - t));
	*c = strndup(d1 + 1, (size_t)(d2 - d1 - 1));
	*s = strdup(d2 + 1);
}

/* expect_refused(), then the token (a string made for it) is freed. */
static void
refuse(const struct idenv *e, char *token, const char *what)
{
	expect_refused(e, token, what);
	free(token);
}

/* Claims changed as each JSON text says (null: removed) are refused. */
struct bad_claims {
	const char	*over, *what;
};

static void
claims_refused(const struct bad_claims *b)
{
	struct idenv	 e;

	start(&e);
	for (; b->over != NULL; b++)
		refuse(&e, hs_token(&e, json_loads(b->over, 0, NULL)), b->what);
	idl_stop(&e);
}

/* An HS256 token with this header ('typ', 'kid' may be NULL) and 'c'. */
static char *
hs_signed(const struct hs_key *k, const char *typ, const char *kid,
    const char *c)
{
	char	*h, *t;

	h = header("HS256", typ, kid);
	t = idl_jwt_hs256(h, c, k->key, k->len);
	free(h);
	return (t);
}

START_TEST(test_positive_control)
{
	struct idenv	 e;
	char		*t;

	start(&e);
	t = hs_token(&e, NULL);
	expect_accepted(&e, t, "a correct hand-signed token");
	free(t);
	idl_stop(&e);
}
END_TEST

static char *
unsigned_token(const struct idenv *e, const char *alg, const char *sig)
{
	struct hs_key	 k;
	char		*h, *c, *hb, *cb, *t;

	hs_key(&k);
	h = header(alg, server_typ, k.kid);
	c = claims(e, NULL);
	hb = b64url_encode_new((unsigned char *)h, strlen(h));
	cb = b64url_encode_new((unsigned char *)c, strlen(c));
	t = harness_printf("%s.%s.%s", hb, cb, sig);
	free(h);
	free(c);
	free(hb);
	free(cb);
	free(k.key);
	return (t);
}

START_TEST(test_alg_none)
{
	struct idenv	 e;
	char		*good, *gh, *gc, *gs;

	start(&e);
	refuse(&e, unsigned_token(&e, "none", ""), "alg none, no signature");
	/* With a signature that would be right for HS256. */
	good = hs_token(&e, NULL);
	split3(good, &gh, &gc, &gs);
	refuse(&e, unsigned_token(&e, "none", gs), "alg none with a signature");
	free(good);
	free(gh);
	free(gc);
	free(gs);
	idl_stop(&e);
}
END_TEST

START_TEST(test_alg_NONE)
{
	struct idenv	 e;

	start(&e);
	refuse(&e, unsigned_token(&e, "NONE", ""), "alg NONE");
	refuse(&e, unsigned_token(&e, "None", ""), "alg None");
	idl_stop(&e);
}
END_TEST

/* The SubjectPublicKeyInfo PEM of a key, which it frees. */
static char *
pem_public(EVP_PKEY *pkey)
{
	BIO	*bio;
	char	*data, *pem;
	long	 n;

	bio = BIO_new(BIO_s_mem());
	ck_assert(PEM_write_bio_PUBKEY(bio, pkey) == 1);
	n = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)n);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return (pem);
}

/* The SubjectPublicKeyInfo PEM of an EC P-256 point given as JWK x, y. */
static char *
pem_from_jwk(const char *x64, const char *y64)
{
	OSSL_PARAM_BLD	*bld;
	OSSL_PARAM	*params;
	EVP_PKEY_CTX	*ctx;
	EVP_PKEY	*pkey = NULL;
	unsigned char	 pub[65], *x, *y;
	size_t		 xl, yl;
	char		*pem;

	x = idl_b64url_decode(x64, strlen(x64), &xl);
	y = idl_b64url_decode(y64, strlen(y64), &yl);
	ck_assert_msg(x != NULL && y != NULL && xl == 32 && yl == 32,
	    "JWK x/y are not 32-byte base64url values");
	pub[0] = 0x04;
	memcpy(pub + 1, x, 32);
	memcpy(pub + 33, y, 32);
	free(x);
	free(y);
	bld = OSSL_PARAM_BLD_new();
	ck_assert(OSSL_PARAM_BLD_push_utf8_string(bld,
	    OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1);
	ck_assert(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pub, sizeof(pub)) == 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	ck_assert(ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1);
	pem = pem_public(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return (pem);
}

/* The public half of a PEM private key file, as PEM. */
static char *
pem_public_of(const char *path)
{
	FILE		*f;
	EVP_PKEY	*pkey;

	ck_assert_msg((f = fopen(path, "r")) != NULL, "cannot read %s", path);
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_msg(pkey != NULL, "no key in %s", path);
	return (pem_public(pkey));
}

/* The only key of the JWKS of an ES256 server, checked. */
static json_t *
jwks_key(const struct idenv *e, const char *kid)
{
	struct http_resp r;
	json_t		*j, *keys, *k;
	const char	*ct;

	ck_assert_int_eq(idl_req(e, "GET", "/.well-known/jwks.json", NULL,
	    NULL, &r), 200);
	ct = http_resp_header(&r, "Content-Type");
	ck_assert_msg(ct != NULL && strncasecmp(ct, "application/", 12) == 0 &&
	    strstr(ct, "json") != NULL, "Content-Type %s", ct ? ct : "-");
	j = harness_json(&r);
	keys = json_object_get(j, "keys");
	ck_assert_msg(json_is_array(keys) && json_array_size(keys) >= 1,
	    "no keys: %s", r.body);
	k = json_array_get(keys, 0);
	ck_assert_msg(idl_jstr(k, "kty") != NULL &&
	    strcmp(idl_jstr(k, "kty"), "EC") == 0, "kty: %s", r.body);
	ck_assert_msg(idl_jstr(k, "crv") != NULL &&
	    strcmp(idl_jstr(k, "crv"), "P-256") == 0, "crv: %s", r.body);
	ck_assert_msg(idl_jstr(k, "kid") != NULL &&
	    strcmp(idl_jstr(k, "kid"), kid) == 0, "kid is not %s: %s", kid,
	    r.body);
	ck_assert_msg(idl_jstr(k, "x") != NULL && idl_jstr(k, "y") != NULL,
	    "no x, y: %s", r.body);
	ck_assert_msg(json_object_get(k, "d") == NULL, "the private key is "
	    "published: %s", r.body);
	ck_assert_msg(idl_jstr(k, "alg") == NULL ||
	    strcmp(idl_jstr(k, "alg"), "ES256") == 0, "alg: %s", r.body);
	json_incref(k);
	json_decref(j);
	http_resp_free(&r);
	return (k);
}

static void
start_es256(struct idenv *e)
{
	memset(e, 0, sizeof(*e));
	e->keyfile = es_keyfile;
	idl_start(e);
	learn_typ(e);
}

START_TEST(test_hs_es_confusion)
{
	struct idenv	 e;
	json_t		*k;
	char		 kid[128];
	char		*pem_path, *pem, *pem2, *h, *c, *t;
	size_t		 len;

	start_es256(&e);
	pem_path = idl_keyfile_pem(es_keyfile, kid, sizeof(kid));
	ck_assert_msg(pem_path != NULL, "no PEM in %s", es_keyfile);
	/* What an attacker has: the published public key. */
	k = jwks_key(&e, kid);
	pem = pem_from_jwk(idl_jstr(k, "x"), idl_jstr(k, "y"));
	json_decref(k);
	pem2 = pem_public_of(pem_path);
	ck_assert_msg(strcmp(pem, pem2) == 0, "the JWKS is not the key file's "
	    "key:\n%s\n%s", pem, pem2);

	/* Control: the deployment accepts a token signed with its key. */
	h = header("ES256", server_typ, kid);
	c = claims(&e, NULL);
	t = idl_jwt_es256(h, c, pem_path);
	expect_accepted(&e, t, "a hand-signed ES256 token");
	free(t);
	free(h);

	h = header("HS256", server_typ, kid);
	t = idl_jwt_hs256(h, c, (unsigned char *)pem, strlen(pem));
	expect_refused(&e, t, "HS256 MACed with the public key PEM");
	free(t);
	len = strlen(pem);
	while (len > 0 && pem[len - 1] == '\n')
		len--;
	t = idl_jwt_hs256(h, c, (unsigned char *)pem, len);
	expect_refused(&e, t, "HS256 MACed with the PEM without newline");
	free(t);
	free(h);
	free(c);
	free(pem);
	free(pem2);
	free(pem_path);
	idl_stop(&e);
}
END_TEST

START_TEST(test_expired)
{
	struct idenv	 e;
	int64_t		 now;

	start(&e);
	now = idl_server_now(&e);
	refuse(&e, hs_token(&e, json_pack("{s:I, s:I, s:I}", "iat",
	    (json_int_t)(now - 4500), "nbf", (json_int_t)(now - 4500), "exp",
	    (json_int_t)(now - 3600))), "exp an hour ago");
	idl_stop(&e);
}
END_TEST

START_TEST(test_missing_exp)
{
	static const struct bad_claims bad[] = {
		{ "{\"exp\": null}", "no exp" },
		{ NULL, NULL }
	};

	claims_refused(bad);
}
END_TEST

START_TEST(test_exp_string)
{
	struct idenv	 e;
	char		*exp;

	start(&e);
	exp = harness_printf("%lld", (long long)idl_server_now(&e) + 600);
	refuse(&e, hs_token(&e, json_pack("{s:s}", "exp", exp)),
	    "exp as a string");
	free(exp);
	idl_stop(&e);
}
END_TEST

START_TEST(test_nbf_future)
{
	struct idenv	 e;

	start(&e);
	refuse(&e, hs_token(&e, json_pack("{s:I}", "nbf",
	    (json_int_t)(idl_server_now(&e) + 3600))), "nbf in an hour");
	idl_stop(&e);
}
END_TEST

START_TEST(test_wrong_aud)
{
	static const struct bad_claims bad[] = {
		{ "{\"aud\": \"another-service\"}", "aud another-service" },
		{ "{\"aud\": null}", "no aud" },
		{ NULL, NULL }
	};

	claims_refused(bad);
}
END_TEST

START_TEST(test_aud_array_without_ours)
{
	struct idenv	 e;
	char		*t;

	start(&e);
	refuse(&e, hs_token(&e, json_pack("{s:[s, s]}", "aud",
	    "another-service", "guichet-admin")), "aud array without guichet");
	/* Control: an array that holds ours is an audience list. */
	t = hs_token(&e, json_pack("{s:[s, s]}", "aud", "another-service",
	    IDL_AUDIENCE));
	expect_accepted(&e, t, "aud array with guichet");
	free(t);
	idl_stop(&e);
}
END_TEST

START_TEST(test_wrong_iss)
{
	static const struct bad_claims bad[] = {
		{ "{\"iss\": \"https://evil.example\"}",
		    "iss https://evil.example" },
		{ "{\"iss\": \"" IDL_ISSUER "/\"}", "iss with a trailing slash" },
		{ "{\"iss\": null}", "no iss" },
		{ NULL, NULL }
	};

	claims_refused(bad);
}
END_TEST

START_TEST(test_tampered_payload)
{
	struct idenv	 e;
	char		*good, *h, *c, *s, *c2, *c2b, *t;

	start(&e);
	good = hs_token(&e, NULL);
	split3(good, &h, &c, &s);
	c2 = claims(&e, json_pack("{s:[s], s:b}", "roles", "admin", "mfa", 1));
	c2b = b64url_encode_new((unsigned char *)c2, strlen(c2));
	t = harness_printf("%s.%s.%s", h, c2b, s);
	expect_refused(&e, t, "claims changed after signing");
	free(t);
	free(good);
	free(h);
	free(c);
	free(s);
	free(c2);
	free(c2b);
	idl_stop(&e);
}
END_TEST

START_TEST(test_empty_signature)
{
	struct idenv	 e;
	char		*good, *h, *c, *s;

	start(&e);
	good = hs_token(&e, NULL);
	split3(good, &h, &c, &s);
	refuse(&e, harness_printf("%s.%s.", h, c), "empty signature");
	refuse(&e, harness_printf("%s.%s", h, c), "no signature part");
	free(good);
	free(h);
	free(c);
	free(s);
	idl_stop(&e);
}
END_TEST

START_TEST(test_other_key)
{
	struct idenv	 e;
	struct hs_key	 k, o;
	unsigned char	 other[32];
	char		*c;

	start(&e);
	hs_key(&k);
	ck_assert_int_eq(random_fill(other, sizeof(other)), 0);
	o = k;
	o.key = other;
	o.len = sizeof(other);
	c = claims(&e, NULL);
	refuse(&e, hs_signed(&o, server_typ, k.kid, c),
	    "signed with another key");
	free(c);
	free(k.key);
	idl_stop(&e);
}
END_TEST

START_TEST(test_typ_not_ours)
{
	const char	*typs[] = { NULL, "id_token+jwt", "dpop+jwt",
	    "logout+jwt" };
	struct idenv	 e;
	struct hs_key	 k;
	char		*c;
	size_t		 i;

	start(&e);
	/* The other of the two plausible values comes first. */
	typs[0] = strcmp(server_typ, "JWT") == 0 ? "at+jwt" : "JWT";
	hs_key(&k);
	c = claims(&e, NULL);
	for (i = 0; i < sizeof(typs) / sizeof(typs[0]); i++)
		refuse(&e, hs_signed(&k, typs[i], k.kid, c), typs[i]);
	refuse(&e, hs_signed(&k, NULL, k.kid, c), "no typ");
	free(c);
	free(k.key);
	idl_stop(&e);
}
END_TEST

START_TEST(test_unknown_kid_and_key_headers)
{
	struct idenv	 e;
	struct hs_key	 k;
	json_t		*hj;
	char		*h, *c;

	start(&e);
	hs_key(&k);
	c = claims(&e, NULL);
	refuse(&e, hs_signed(&k, server_typ, "not-a-kid-of-ours", c),
	    "unknown kid");
	refuse(&e, hs_signed(&k, server_typ, NULL, c), "no kid");
	/* RFC 8725: keys never come from the token. */
	hj = json_pack("{s:s, s:s, s:s, s:s}", "alg", "HS256", "typ",
	    server_typ, "kid", k.kid, "jku", "https://evil.example/jwks.json");
	h = json_dumps(hj, JSON_COMPACT);
	json_decref(hj);
	refuse(&e, idl_jwt_hs256(h, c, k.key, k.len), "a jku header");
	free(h);
	free(c);
	free(k.key);
	idl_stop(&e);
}
END_TEST

START_TEST(test_jwks_hs256_none)
{
	struct idenv	 e;
	struct http_resp r;

	start(&e);
	idl_req(&e, "GET", "/.well-known/jwks.json", NULL, NULL, &r);
	json_decref(harness_assert_problem(&r, 404, "/problems/not-found",
	    "/.well-known/jwks.json"));
	ck_assert_msg(strstr(r.body, "\"k\"") == NULL, "a secret shows");
	http_resp_free(&r);
	idl_stop(&e);
}
END_TEST

START_TEST(test_jwks_es256)
{
	struct idenv	 e;
	json_t		*k, *h;
	char		 kid[128];
	char		*pem, *at;

	start_es256(&e);
	pem = idl_keyfile_pem(es_keyfile, kid, sizeof(kid));
	ck_assert(pem != NULL);
	k = jwks_key(&e, kid);
	json_decref(k);
	/* A password-grant token of this deployment is ES256 and works. */
	at = idl_login_ok(&e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD, NULL);
	h = idl_jwt_json(at, 0);
	ck_assert_msg(h != NULL && idl_jstr(h, "alg") != NULL &&
	    strcmp(idl_jstr(h, "alg"), "ES256") == 0, "token alg is not ES256");
	ck_assert_msg(idl_jstr(h, "kid") != NULL &&
	    strcmp(idl_jstr(h, "kid"), kid) == 0, "token kid is not %s", kid);
	json_decref(h);
	expect_accepted(&e, at, "an ES256 password-grant token");
	free(at);
	free(pem);
	idl_stop(&e);
}
END_TEST

static void
make_es_keyfile(void)
{
	char		*bin, *out = NULL, *err = NULL;
	int		 rc;

	bin = harness_bin("guichetctl");
	es_keyfile = harness_printf("%s/es256.keys", harness_tmpdir());
	{
		const char	*argv[] = { bin, "--jwt-key-file", es_keyfile,
		    "--", "keys", "rotate", "--alg", "ES256", NULL };

		rc = harness_exec(argv, NULL, 30000, &out, &err);
	}
	if (rc != 0) {
		fprintf(stderr, "guichetctl keys rotate --alg ES256 exited %d: "
		    "%s%s\n", rc, out ? out : "", err ? err : "");
		exit(99);
	}
	free(bin);
	free(out);
	free(err);
}

static const TTest *const *const tests[] = {
	&test_positive_control,
	&test_alg_none,
	&test_alg_NONE,
	&test_hs_es_confusion,
	&test_expired,
	&test_missing_exp,
	&test_exp_string,
	&test_nbf_future,
	&test_wrong_aud,
	&test_aud_array_without_ours,
	&test_wrong_iss,
	&test_tampered_payload,
	&test_empty_signature,
	&test_other_key,
	&test_typ_not_ours,
	&test_unknown_kid_and_key_headers,
	&test_jwks_hs256_none,
	&test_jwks_es256,
	NULL
};

/* Once, in the runner: the template, and an ES256 key file beside it. */
static void
prepare(void)
{
	idl_prepare();
	make_es_keyfile();
}

const struct test_group test_groups[] = {
	{ "token-matrix", HARNESS_TIMEOUT, NULL, NULL, prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
