/*
 * test_totp.c: src/auth/totp.c against RFC 6238 Appendix B (SHA-1), the
 * window of one step either side, code syntax, otpauth URIs and secrets.
 */
#include <check.h>
#include <liboath/oath.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/totp.h"
#include "unit.h"

/* base32("12345678901234567890"), the RFC 6238 SHA-1 seed. */
#define RFC_SECRET	"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

/* RFC 6238 Appendix B, SHA-1 rows, cut to 6 digits (the last six). */
static const struct {
	int64_t		 time;
	const char	*code;
} rfc_vectors[] = {
	{ 59, "287082" },		/* 94287082 */
	{ 1111111109, "081804" },	/* 07081804 */
	{ 1111111111, "050471" },	/* 14050471 */
	{ 1234567890, "005924" },	/* 89005924 */
	{ 2000000000, "279037" },	/* 69279037 */
	{ INT64_C(20000000000), "353130" },	/* 65353130 */
};

static void
setup(void)
{
	ck_assert_int_eq(totp_init(), 0);
}

START_TEST(test_totp_rfc6238_vectors)
{
	char	 code[8];
	size_t	 i;
	int64_t	 t, step;

	for (i = 0; i < sizeof(rfc_vectors) / sizeof(rfc_vectors[0]); i++) {
		t = rfc_vectors[i].time;
		step = t / 30;
		ck_assert_int_eq(totp_code(RFC_SECRET, step, code,
		    sizeof(code)), 0);
		ck_assert_str_eq(code, rfc_vectors[i].code);
		ck_assert_msg(totp_check(RFC_SECRET, rfc_vectors[i].code, t) ==
		    step, "t=%lld not accepted at its own step", (long long)t);
	}
	/* Lower case and padding are accepted on input. */
	ck_assert_int_eq(totp_check("gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
	    "287082", 59), 1);
	ck_assert_int_eq(totp_code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOI", 1, code,
	    sizeof(code)), 0);
	ck_assert_int_eq(totp_check("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOI=", code,
	    59), 1);
}
END_TEST

START_TEST(test_totp_window)
{
	const int64_t	 now = 1111111111, step = now / 30;
	char		 code[8];
	int64_t		 d;

	for (d = -3; d <= 3; d++) {
		ck_assert_int_eq(totp_code(RFC_SECRET, step + d, code,
		    sizeof(code)), 0);
		if (d >= -1 && d <= 1)
			ck_assert_msg(totp_check(RFC_SECRET, code, now) ==
			    step + d, "step %+lld refused", (long long)d);
		else
			ck_assert_msg(totp_check(RFC_SECRET, code, now) == -1,
			    "step %+lld accepted", (long long)d);
	}

	/* The window follows the step of 'now', wherever in it 'now' falls. */
	ck_assert_int_eq(totp_code(RFC_SECRET, step + 1, code, sizeof(code)),
	    0);
	ck_assert_int_eq(totp_check(RFC_SECRET, code, step * 30), step + 1);
	ck_assert_int_eq(totp_check(RFC_SECRET, code, step * 30 + 29),
	    step + 1);
	ck_assert_int_eq(totp_check(RFC_SECRET, code, step * 30 - 1), -1);
	ck_assert_int_eq(totp_check(RFC_SECRET, code, step * 30 + 60),
	    step + 1);
	ck_assert_int_eq(totp_check(RFC_SECRET, code, step * 30 + 90), -1);

	/* Step 0 at the epoch. */
	ck_assert_int_eq(totp_code(RFC_SECRET, 0, code, sizeof(code)), 0);
	ck_assert_int_eq(totp_check(RFC_SECRET, code, 0), 0);
	ck_assert_int_eq(totp_check(RFC_SECRET, code, 45), 0);
}
END_TEST

START_TEST(test_totp_code_syntax)
{
	static const char *const bad[] = {
		"", "28708", "2870820", "0287082", "28708a", "a87082",
		" 287082", "287082 ", "287 082", "+87082", "-87082",
		"２８７０８２", "287082\n", "94287082",
	};
	size_t	 i;

	ck_assert_int_eq(totp_check(RFC_SECRET, "287082", 59), 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(totp_check(RFC_SECRET, bad[i], 59) == -1,
		    "'%s' accepted", bad[i]);
	ck_assert_int_eq(totp_check(RFC_SECRET, NULL, 59), -1);
}
END_TEST

START_TEST(test_totp_bad_input)
{
	char	 code[8];

	/* Secrets that are not base32, or empty. */
	ck_assert_int_eq(totp_check("GEZDGNBV!Y3TQOJQ", "287082", 59), -1);
	ck_assert_int_eq(totp_check("GE1D", "287082", 59), -1);
	ck_assert_int_eq(totp_check("", "287082", 59), -1);
	ck_assert_int_eq(totp_check(NULL, "287082", 59), -1);
	ck_assert_int_eq(totp_code("", 1, code, sizeof(code)), -1);
	ck_assert_int_eq(totp_code("GEZDGNBV!Y3TQOJQ", 1, code, sizeof(code)),
	    -1);
	/* Time before the epoch, negative or overflowing steps. */
	ck_assert_int_eq(totp_check(RFC_SECRET, "287082", -1), -1);
	ck_assert_int_eq(totp_code(RFC_SECRET, -1, code, sizeof(code)), -1);
	ck_assert_int_eq(totp_code(RFC_SECRET, INT64_MAX, code, sizeof(code)),
	    -1);
	/* The code needs 7 bytes. */
	ck_assert_int_eq(totp_code(RFC_SECRET, 1, code, 6), -1);
	ck_assert_int_eq(totp_code(RFC_SECRET, 1, code, 7), 0);
	ck_assert_str_eq(code, "287082");
}
END_TEST

START_TEST(test_totp_uri)
{
	char	 uri[512];

	ck_assert_int_eq(totp_uri("Mairie de Montgenèvre",
	    "agent+1@mairie.example.fr", RFC_SECRET, uri, sizeof(uri)), 0);
	ck_assert_str_eq(uri, "otpauth://totp/"
	    "Mairie%20de%20Montgen%C3%A8vre:agent%2B1%40mairie.example.fr"
	    "?secret=" RFC_SECRET
	    "&issuer=Mairie%20de%20Montgen%C3%A8vre"
	    "&algorithm=SHA1&digits=6&period=30");

	/* Unreserved characters stay, the rest (':' '/' '?' '&' '=') not. */
	ck_assert_int_eq(totp_uri("a-b.c_d~e", "x:y/z?q&r=s", "ABC", uri,
	    sizeof(uri)), 0);
	ck_assert_str_eq(uri, "otpauth://totp/a-b.c_d~e:x%3Ay%2Fz%3Fq%26r%3Ds"
	    "?secret=ABC&issuer=a-b.c_d~e&algorithm=SHA1&digits=6&period=30");

	/* Exactly fitting, then one byte short. */
	ck_assert_int_eq(totp_uri("i", "l", "S", uri, sizeof(uri)), 0);
	ck_assert_int_eq(totp_uri("i", "l", "S", uri, strlen(uri) + 1), 0);
	ck_assert_int_eq(totp_uri("i", "l", "S", uri, strlen(uri)), -1);
	ck_assert_int_eq(totp_uri(NULL, "l", "S", uri, sizeof(uri)), -1);
}
END_TEST

START_TEST(test_totp_secret_new)
{
	char	 a[TOTP_SECRET_B32_MAX], b[TOTP_SECRET_B32_MAX], code[8];
	char	*raw = NULL;
	size_t	 n = 0, i;

	ck_assert_int_eq(totp_secret_new(a, sizeof(a)), 0);
	ck_assert_int_eq(totp_secret_new(b, sizeof(b)), 0);
	ck_assert_str_ne(a, b);
	ck_assert_uint_eq(strlen(a), 32);
	for (i = 0; a[i] != '\0'; i++)
		ck_assert_msg((a[i] >= 'A' && a[i] <= 'Z') ||
		    (a[i] >= '2' && a[i] <= '7'), "'%s' is not base32", a);
	ck_assert_int_eq(oath_base32_decode(a, strlen(a), &raw, &n), OATH_OK);
	ck_assert_uint_eq(n, TOTP_SECRET_BYTES);
	free(raw);

	/* The secret works for codes. */
	ck_assert_int_eq(totp_code(a, 1000, code, sizeof(code)), 0);
	ck_assert_int_eq(totp_check(a, code, 1000 * 30 + 7), 1000);

	/* 32 characters and the NUL need 33 bytes. */
	ck_assert_int_eq(totp_secret_new(a, 32), -1);
	ck_assert_int_eq(totp_secret_new(a, 33), 0);
	ck_assert_uint_eq(strlen(a), 32);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_totp_rfc6238_vectors,
	&test_totp_window,
	&test_totp_code_syntax,
	&test_totp_bad_input,
	&test_totp_uri,
	&test_totp_secret_new,
	NULL
};

const struct test_group test_groups[] = {
	{ "totp", TEST_TIMEOUT_CHECK, setup, NULL, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
