/*
 * test_password.c: src/auth/password.c (argon2id hashes, rehash decisions,
 * strength rules) and the embedded list of common passwords.
 *
 * Every hash costs tens of milliseconds at the minimum parameters, which
 * are also the floor, so the suite hashes only a handful of times.  Each
 * test configures the parameters it relies on (setup), so the suite also
 * passes with CK_FORK=no.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/common_passwords.h"
#include "auth/password.h"
#include "unit.h"

#define PW		"Cinq chats gris sur le toit"
#define PHC_MIN_PREFIX	"$argon2id$v=19$m=19456,t=2,p=1$"
/* A well-formed argon2id string with other content (16-byte salt). */
#define SALT16		"c2FsdHNhbHRzYWx0c2FsdA"
#define TAG32		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const struct password_params	 p_min = { 19456, 2, 1 };

static void
setup(void)
{
	ck_assert_int_eq(password_configure(&p_min), 0);
}

/* Decoded length of the unpadded base64 field number 'field' ($-separated). */
static size_t
b64_field_bytes(const char *phc, int field)
{
	const char	*s = phc, *e;
	size_t		 n;

	for (; field > 0; field--) {
		s = strchr(s, '$');
		ck_assert_ptr_nonnull(s);
		s++;
	}
	e = strchr(s, '$');
	n = e == NULL ? strlen(s) : (size_t)(e - s);
	ck_assert_int_ne(n % 4, 1);
	return (n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1));
}

static double
seconds(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

START_TEST(test_password_hash_format)
{
	char	 a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash(PW, a, sizeof(a)), 0);
	ck_assert_msg(strncmp(a, PHC_MIN_PREFIX, strlen(PHC_MIN_PREFIX)) == 0,
	    "hash is '%s'", a);
	/* Fields: "", "argon2id", "v=19", "m=...", salt, tag. */
	ck_assert_uint_ge(b64_field_bytes(a, 4), 16);
	ck_assert_uint_eq(b64_field_bytes(a, 5), 32);

	/* A fresh salt each time. */
	ck_assert_int_eq(password_hash(PW, b, sizeof(b)), 0);
	ck_assert_str_ne(a, b);

	/* Too small a buffer fails instead of truncating. */
	ck_assert_int_eq(password_hash(PW, a, 40), -1);
}
END_TEST

START_TEST(test_password_verify)
{
	char	 h[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash(PW, h, sizeof(h)), 0);
	ck_assert_int_eq(password_verify(PW, h), 1);
	ck_assert_int_eq(password_verify("Cinq chats gris sur le toiT", h), 0);
	ck_assert_int_eq(password_verify("", h), 0);
	/* A tampered tag no longer matches. */
	h[strlen(h) - 2] = h[strlen(h) - 2] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(password_verify(PW, h), 0);
}
END_TEST

START_TEST(test_password_verify_malformed)
{
	static const char *const bad[] = {
		"",
		"hunter2",
		"$argon2i$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32,
		"$argon2d$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32,
		"$argon2id$v=16$m=19456,t=2,p=1$" SALT16 "$" TAG32,
		"$argon2id$m=19456,t=2,p=1$" SALT16 "$" TAG32,
		"$argon2id$v=19$m=19456,t=2,p=1$" SALT16,
		"$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$",
		"$argon2id$v=19$m=19456,t=2,p=1$$" TAG32,
		"$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "!$" TAG32,
		"$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32 "==",
		"$argon2id$v=19$m=19456,t=2$" SALT16 "$" TAG32,
		"$argon2id$v=19$m=-1,t=2,p=1$" SALT16 "$" TAG32,
		"$argon2id$v=19$m=99999999999,t=2,p=1$" SALT16 "$" TAG32,
		/* Beyond the ceilings: refused before any memory is taken. */
		"$argon2id$v=19$m=4194305,t=2,p=1$" SALT16 "$" TAG32,
		"$argon2id$v=19$m=19456,t=4000000000,p=1$" SALT16 "$" TAG32,
		"$argon2id$v=19$m=19456,t=2,p=0$" SALT16 "$" TAG32,
		/* A 4-byte salt is below libargon2's minimum of 8. */
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" TAG32,
	};
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(password_verify(PW, bad[i]) == -1,
		    "'%s' not refused", bad[i]);
	ck_assert_int_eq(password_verify(PW, NULL), -1);
}
END_TEST

START_TEST(test_password_needs_rehash)
{
	const struct password_params	 p_more = { 19456, 3, 1 };
	struct password_params		 cur;
	char				 h[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash(PW, h, sizeof(h)), 0);
	ck_assert_int_eq(password_needs_rehash(h), 0);
	ck_assert_int_eq(password_needs_rehash(
	    "$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32), 0);

	ck_assert_int_eq(password_configure(&p_more), 0);
	password_current(&cur);
	ck_assert_uint_eq(cur.iterations, 3);
	ck_assert_int_eq(password_needs_rehash(h), 1);
	/* The old hash still verifies with its own parameters. */
	ck_assert_int_eq(password_verify(PW, h), 1);

	ck_assert_int_eq(password_configure(&p_min), 0);
	ck_assert_int_eq(password_needs_rehash(h), 0);

	/* Other memory or lanes, other algorithms, short salts, junk. */
	ck_assert_int_eq(password_needs_rehash(
	    "$argon2id$v=19$m=65536,t=2,p=1$" SALT16 "$" TAG32), 1);
	ck_assert_int_eq(password_needs_rehash(
	    "$argon2id$v=19$m=19456,t=2,p=4$" SALT16 "$" TAG32), 1);
	ck_assert_int_eq(password_needs_rehash(
	    "$argon2id$v=16$m=19456,t=2,p=1$" SALT16 "$" TAG32), 1);
	ck_assert_int_eq(password_needs_rehash(
	    "$argon2i$v=19$m=19456,t=2,p=1$" SALT16 "$" TAG32), 1);
	ck_assert_int_eq(password_needs_rehash(
	    "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$" TAG32), 1);
	ck_assert_int_eq(password_needs_rehash(
	    "$argon2id$v=19$m=19456,t=2,p=1$" SALT16 "$AAAAAAAAAAAAAAAAAAAAAA"),
	    1);
	ck_assert_int_eq(password_needs_rehash("$2b$12$abcdefghijk"), 1);
	ck_assert_int_eq(password_needs_rehash(""), 1);
}
END_TEST

START_TEST(test_password_configure_limits)
{
	static const struct password_params	 refused[] = {
		{ 19455, 2, 1 },
		{ 19456, 1, 1 },
		{ 19456, 2, 0 },
		{ 0, 0, 0 },
		{ UINT32_C(4194305), 2, 1 },	/* > 4 GiB */
		{ UINT32_MAX, 2, 1 },
		{ 19456, 101, 1 },
		{ 19456, 2, 65 },
	};
	const struct password_params		 rfc9106 = { 65536, 3, 4 };
	struct password_params			 cur;
	size_t					 i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		ck_assert_msg(password_configure(&refused[i]) == -1,
		    "m=%u,t=%u,p=%u accepted", (unsigned)refused[i].memory_kib,
		    (unsigned)refused[i].iterations,
		    (unsigned)refused[i].parallelism);
		/* A refused configuration leaves the current one alone. */
		password_current(&cur);
		ck_assert_uint_eq(cur.memory_kib, 19456);
		ck_assert_uint_eq(cur.iterations, 2);
		ck_assert_uint_eq(cur.parallelism, 1);
	}
	ck_assert_int_eq(password_configure(&rfc9106), 0);
	password_current(&cur);
	ck_assert_uint_eq(cur.memory_kib, 65536);
	ck_assert_uint_eq(cur.iterations, 3);
	ck_assert_uint_eq(cur.parallelism, 4);
	ck_assert_int_eq(password_needs_rehash(
	    "$argon2id$v=19$m=65536,t=3,p=4$" SALT16 "$" TAG32), 0);
}
END_TEST

/*
 * An unknown account costs about as much as a wrong password.  The bound
 * is loose on purpose (machines are noisy, sanitizers slow everything):
 * without the dummy work the ratio would be near zero.  The two are
 * timed in turns and each keeps its fastest run, so that a burst of load
 * from other processes on the machine lands on neither side alone.
 */
START_TEST(test_password_verify_dummy)
{
	char	 h[PASSWORD_HASH_MAX];
	double	 t0, t, real, dummy;
	int	 i;

	ck_assert_int_eq(password_hash(PW, h, sizeof(h)), 0);
	real = dummy = -1;
	for (i = 0; i < 3; i++) {
		t0 = seconds();
		ck_assert_int_eq(password_verify("wrong password!", h), 0);
		t = seconds() - t0;
		if (real < 0 || t < real)
			real = t;
		t0 = seconds();
		password_verify_dummy("wrong password!");
		t = seconds() - t0;
		if (dummy < 0 || t < dummy)
			dummy = t;
	}
	ck_assert_msg(dummy > real * 0.4 && dummy < real * 2.5,
	    "dummy %.3f s against real %.3f s", dummy, real);
}
END_TEST

START_TEST(test_password_strength_length)
{
	static const struct {
		const char	*pw;
		enum password_weakness want;
	} lengths[] = {
		{ "Tuiles rouge", PASSWORD_OK },		/* 12 */
		{ "Tuiles roug", PASSWORD_TOO_SHORT },		/* 11 */
		{ "", PASSWORD_TOO_SHORT },
		/* Characters, not bytes: 12 accented letters are 24 bytes. */
		{ "éàèùâêîôûçëï", PASSWORD_OK },
		{ "éàèùâêîôûçë", PASSWORD_TOO_SHORT },
		/* Counted as 12 (not too short), then refused as repeated. */
		{ "éééééééééééé", PASSWORD_TOO_COMMON },
		{ "ééééééééééé", PASSWORD_TOO_SHORT },
		/* Four-byte characters. */
		{ "🐈🐕🐄🐖🐑🐐🐓🦆🐇🐎🐟🐝", PASSWORD_OK },
	};
	char	 longpw[PASSWORD_MAX_BYTES + 2];
	size_t	 i;

	for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
		ck_assert_msg(password_strength(lengths[i].pw, NULL, NULL) ==
		    lengths[i].want, "%s", lengths[i].pw);

	memset(longpw, 'x', sizeof(longpw));
	longpw[0] = 'a';
	longpw[PASSWORD_MAX_BYTES] = '\0';	/* exactly 1024 bytes */
	longpw[PASSWORD_MAX_BYTES - 1] = 'b';
	ck_assert_int_eq(password_strength(longpw, NULL, NULL), PASSWORD_OK);
	longpw[PASSWORD_MAX_BYTES] = 'c';
	longpw[PASSWORD_MAX_BYTES + 1] = '\0';	/* 1025 bytes */
	ck_assert_int_eq(password_strength(longpw, NULL, NULL),
	    PASSWORD_TOO_LONG);
	/* Hashing refuses what strength refuses as too long. */
	ck_assert_int_eq(password_hash(longpw, (char[PASSWORD_HASH_MAX]){ 0 },
	    PASSWORD_HASH_MAX), -1);
}
END_TEST

START_TEST(test_password_strength_common)
{
	static const char *const common[] = {
		"password1234", "PASSWORD1234", "Password1234",
		"passwordpassword", "PassWordPassWord", "motdepasse123",
		"MotDePasse123", "azertyuiop123", "AZERTYUIOP123",
		"qwertyuiopasdfgh", "iloveyou1234", "administrator",
		"Administrateur", "azerty123456", "1qaz2wsx3edc",
		"q1w2e3r4t5y6", "Password@123", "P@ssw0rd1234", "soleil123456",
		"bonjour12345", "juventus1897", "forzanapoli1926",
		"mamanjetaime", "Welcome@2024", "azertyuiopqsdfghjklm",
		"contraseña123", "&é\"'(-è_çà)=",
	};
	size_t	 i;

	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		ck_assert_msg(password_strength(common[i], NULL, NULL) ==
		    PASSWORD_TOO_COMMON, "'%s' accepted", common[i]);
	/* Near misses are fine. */
	ck_assert_int_eq(password_strength("password1234 du moulin", NULL,
	    NULL), PASSWORD_OK);
	ck_assert_int_eq(password_strength("motdepasse1239", NULL, NULL),
	    PASSWORD_OK);
}
END_TEST

START_TEST(test_password_strength_rules)
{
	static const char *const refused[] = {
		"111111111111", "aaaaaaaaaaaaaaaaaaaa", "AAAAAAaaaaaa",
		"123456789012", "1234567890123", "123456789012345",
		"012345678901", "987654321098", "3210987654321",
		"abcdefghijkl", "ZYXWVUTSRQPONM", "abcdefghijklmnopqrstuvwxyz",
		"121212121212", "123123123123", "abcabcabcabc",
		"soleilsoleil", "BonjourBonjour", "x7#Kx7#Kx7#K",
		"!!!!!!!!!!!!",
	};
	static const char *const fine[] = {
		"1234567890ab", "abcdefghijk1", "12345678901x",
		"135792468024", "abcdefghijlm", "soleilsoleiL ",
		"soleil soleil",
	};
	size_t	 i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ck_assert_msg(password_strength(refused[i], NULL, NULL) ==
		    PASSWORD_TOO_COMMON, "'%s' accepted", refused[i]);
	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
		ck_assert_msg(password_strength(fine[i], NULL, NULL) ==
		    PASSWORD_OK, "'%s' refused", fine[i]);
}
END_TEST

START_TEST(test_password_strength_identity)
{
	const char	*email = "Jeanne.Martin-Dupont@Mairie.example.fr";
	const char	*name = "Jeanne Martin-Dupont";

	ck_assert_int_eq(password_strength(
	    "jeanne.martin-dupont@mairie.example.fr", email, name),
	    PASSWORD_IS_IDENTITY);
	ck_assert_int_eq(password_strength("JEANNE.MARTIN-DUPONT", email,
	    name), PASSWORD_IS_IDENTITY);
	ck_assert_int_eq(password_strength("jeanne martin-dupont", email,
	    name), PASSWORD_IS_IDENTITY);
	/* Not equal: fine here (length and lists decide). */
	ck_assert_int_eq(password_strength("jeanne.martin-dupont!", email,
	    name), PASSWORD_OK);
	ck_assert_int_eq(password_strength("jeanne.martin-dupont", NULL,
	    NULL), PASSWORD_OK);
	ck_assert_int_eq(password_strength("jeanne martin-dupont", email,
	    NULL), PASSWORD_OK);
	/* An email without '@' is its own local part. */
	ck_assert_int_eq(password_strength("conseil-municipal",
	    "conseil-municipal", NULL), PASSWORD_IS_IDENTITY);
	/* Empty identity fields never match. */
	ck_assert_int_eq(password_strength("Tuiles rouges", "", ""),
	    PASSWORD_OK);
	ck_assert_int_eq(password_strength("Tuiles rouges", "@x.fr", NULL),
	    PASSWORD_OK);
}
END_TEST

/* The invariants bsearch() relies on, and every entry is refused. */
START_TEST(test_password_common_list)
{
	size_t		 i, chars;
	const char	*s;

	ck_assert_uint_ge(COMMON_PASSWORDS_COUNT, 200);
	for (i = 0; i < COMMON_PASSWORDS_COUNT; i++) {
		s = common_passwords[i];
		if (i > 0)
			ck_assert_msg(strcmp(common_passwords[i - 1], s) < 0,
			    "'%s' before '%s'", common_passwords[i - 1], s);
		for (chars = 0; *s != '\0'; s++) {
			ck_assert_msg(*s < 'A' || *s > 'Z', "'%s' not lower case",
			    common_passwords[i]);
			if (((unsigned char)*s & 0xc0) != 0x80)
				chars++;
		}
		ck_assert_msg(chars >= PASSWORD_MIN_CHARS, "'%s' too short",
		    common_passwords[i]);
		ck_assert_msg(password_strength(common_passwords[i], NULL,
		    NULL) == PASSWORD_TOO_COMMON, "'%s' accepted",
		    common_passwords[i]);
	}
}
END_TEST

static const TTest *const *const hash_tests[] = {
	&test_password_hash_format,
	&test_password_verify,
	&test_password_verify_malformed,
	&test_password_needs_rehash,
	&test_password_configure_limits,
	&test_password_verify_dummy,
	NULL
};

static const TTest *const *const strength_tests[] = {
	&test_password_strength_length,
	&test_password_strength_common,
	&test_password_strength_rules,
	&test_password_strength_identity,
	&test_password_common_list,
	NULL
};

const struct test_group test_groups[] = {
	{ "hash", 60, setup, NULL, NULL, NULL, hash_tests },
	{ "strength", TEST_TIMEOUT_CHECK, setup, NULL, NULL, NULL, strength_tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
