/*
 * identity_email.c: one address, one identity.
 *
 * An address is compared only through its key, computed here and nowhere
 * else, and stored beside it (identity.accounts.email_key, unique):
 *  - the domain in its ASCII form, by IDNA 2008 with the UTS #46
 *    non-transitional mapping (libidn2: "BÜCHER.test", "bücher.test" and
 *    "xn--bcher-kva.test" are one domain), lower-cased;
 *  - the local part in Unicode NFC (libunistring: a precomposed é and an
 *    e with a combining accent are one letter), lower-cased in ASCII only:
 *    no Unicode case rule decides who is who, so PostgreSQL's lower() and
 *    its locale have no say (a dotted capital I, U+0130, folds to "i"
 *    under some rules and not others).
 * A new address (registration, a change, an agent) must also be
 * unambiguous: its local part may not hold a character that a case
 * mapping or compatibility normalisation turns into another one (U+0130,
 * the Kelvin sign, capital sharp s, long s, fullwidth letters...), nor
 * mix scripts (a Cyrillic "а" among Latin letters), nor hold an invisible
 * or format character (general category Cf: a zero-width space, a soft
 * hyphen, a right-to-left override), which would make two addresses
 * that look alike; a domain label may not mix scripts either, whether
 * given in Unicode or in its punycode form ("xn--...": judged decoded).  Lookups (sign-in, reset, throttling) use the
 * key of whatever was typed and never fail: what cannot be an identity's
 * key simply finds none.
 */
#include <stdatomic.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "base/log.h"
#include "db/db.h"
#include "identity/identity.h"
#include "identity/identity_int.h"

static void
ascii_lower(char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] + ('a' - 'A'));
}

static int
is_ascii(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return (0);
	return (1);
}

/* 1 when a case mapping or NFKC turns 'c' into something else. */
static int
unstable(ucs4_t c)
{
	uint32_t	*k;
	size_t		 n = 0;
	int		 changed;

	if (uc_tolower(c) != c || uc_tolower(uc_toupper(c)) != c ||
	    uc_tolower(uc_totitle(c)) != c)
		return (1);
	if ((k = u32_normalize(UNINORM_NFKC, &c, 1, NULL, &n)) == NULL)
		return (1);
	changed = n != 1 || k[0] != c;
	free(k);
	return (changed);
}

/*
 * What the strict rules say of 'n' bytes of UTF-8: EMAIL_OK, or why not.
 * 'local' adds the per-character rule to the one on scripts.
 */
static enum email_verdict
judge(const char *s, size_t n, int local)
{
	const uint8_t	*p = (const uint8_t *)s, *end = p + n;
	const uc_script_t *sc, *first = NULL;
	ucs4_t		 c;
	int		 len;

	while (p < end) {
		if ((len = u8_mbtouc(&c, p, (size_t)(end - p))) < 1 ||
		    c == 0xfffd)
			return (EMAIL_SYNTAX);
		p += len;
		/*
		 * Invisible: a format character (Cf) or any default-ignorable
		 * one (a combining grapheme joiner, a variation selector: Mn
		 * marks NFKC keeps, which the script rule passes).
		 */
		if (local && (uc_is_general_category(c, UC_CATEGORY_Cf) ||
		    uc_is_property_default_ignorable_code_point(c)))
			return (EMAIL_INVISIBLE);
		if (c < 0x80 && !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z')))
			continue;
		if (local && c >= 0x80 && unstable(c))
			return (EMAIL_AMBIGUOUS);
		sc = uc_script(c);
		if (sc == NULL || strcmp(sc->name, "Common") == 0 ||
		    strcmp(sc->name, "Inherited") == 0)
			continue;
		if (first == NULL)
			first = sc;
		else if (sc != first)
			return (EMAIL_MIXED_SCRIPTS);
	}
	return (EMAIL_OK);
}

/*
 * Each label of a Unicode domain on its own: scripts may not mix.  A
 * domain with punycode labels is judged in its Unicode form, so that
 * "xn--..." is refused as the letters it stands for would be, and must be
 * what IDNA 2008 makes of those letters (a punycode label IDNA refuses in
 * Unicode, an upper-case or non-NFC one, is refused as it would be typed).
 */
static enum email_verdict
judge_domain(const char *d, size_t n)
{
	enum email_verdict	 v = EMAIL_OK;
	char			*u = NULL, *back = NULL;
	size_t			 i, start = 0;

	if (strncasecmp(d, "xn--", 4) == 0 || strcasestr(d, ".xn--") != NULL) {
		if (idn2_to_unicode_8z8z(d, &u, 0) != IDN2_OK)
			return (EMAIL_DOMAIN);
		if (idn2_to_ascii_8z(u, &back, IDN2_NFC_INPUT |
		    IDN2_NONTRANSITIONAL) != IDN2_OK ||
		    strcasecmp(back, d) != 0) {
			free(back);
			free(u);
			return (EMAIL_DOMAIN);
		}
		free(back);
		d = u;
		n = strlen(u);
	}
	for (i = 0; i <= n; i++) {
		if (i < n && d[i] != '.')
			continue;
		if ((v = judge(d + start, i - start, 0)) != EMAIL_OK)
			break;
		start = i + 1;
	}
	free(u);
	return (v);
}

enum email_verdict
identity_email_normalise(const char *in, int strict, char *out, size_t len)
{
	const char		*at;
	uint8_t			*nfc = NULL;
	char			*dom = NULL, *ascii = NULL;
	size_t			 ln, nlen = 0;
	enum email_verdict	 v = EMAIL_OK;
	int			 n;

	out[0] = '\0';
	if (in == NULL || (at = strrchr(in, '@')) == NULL || at == in ||
	    at[1] == '\0' || u8_check((const uint8_t *)in, strlen(in)) != NULL)
		return (EMAIL_SYNTAX);
	ln = (size_t)(at - in);
	if (strict && ((v = judge(in, ln, 1)) != EMAIL_OK ||
	    (v = judge_domain(at + 1, strlen(at + 1))) != EMAIL_OK))
		return (v);
	if ((nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)in, ln, NULL,
	    &nlen)) == NULL)
		return (EMAIL_SYNTAX);
	ascii_lower((char *)nfc, nlen);
	dom = strdup(at + 1);
	if (dom == NULL) {
		free(nfc);
		return (EMAIL_SYNTAX);
	}
	if (!is_ascii(dom, strlen(dom))) {
		if (idn2_to_ascii_8z(dom, &ascii, IDN2_NFC_INPUT |
		    IDN2_NONTRANSITIONAL) == IDN2_OK) {
			free(dom);
			dom = ascii;
		} else if (strict)
			v = EMAIL_DOMAIN;
		/* Looked up as typed: no identity's key can match it. */
	}
	ascii_lower(dom, strlen(dom));
	n = snprintf(out, len, "%.*s@%s", (int)nlen, (const char *)nfc, dom);
	if (n < 0 || (size_t)n >= len) {
		out[0] = '\0';
		v = EMAIL_SYNTAX;
	}
	free(nfc);
	free(dom);
	return (v);
}

/*
 * The keys of the accounts that migration 016 could not compute in SQL
 * (an address with a non-ASCII character), filled here in C, once, before
 * anything compares addresses.  Two old accounts whose addresses are one
 * identity under the new rules (an NFC variant, an IDN and its punycode)
 * cannot both have the key: the one keyed first keeps it (an ASCII
 * address, keyed by the migration itself, else the older), the other
 * gets one no address normalises to ("<id>@conflict.invalid") and cannot
 * sign in until an operator gives it an address of its own; its id is
 * logged.
 */
static atomic_int	 keys_ready;
static pthread_mutex_t	 keys_lock = PTHREAD_MUTEX_INITIALIZER;

static int
fill_keys(struct db *db, struct db_error *err)
{
	struct db_res	*res = NULL, *up = NULL;
	const char	*p[2];
	char		 key[IDENTITY_EMAIL_KEY_MAX], spare[80];
	int		 i, rc = 0;

	if (db_exec(db, ID_STMT(ID_ACCOUNT_KEYLESS), NULL, &res, err) == -1)
		return (-1);
	for (i = 0; i < db_res_rows(res) && rc == 0; i++) {
		p[0] = db_str(res, i, "id");
		(void)identity_email_normalise(db_str(res, i, "email"), 0, key,
		    sizeof(key));
		p[1] = key;
		if (db_exec(db, ID_STMT(ID_ACCOUNT_SET_KEY), p, &up, err) ==
		    0) {
			db_res_free(up);
			continue;
		}
		if (err->code != DB_E_UNIQUE) {
			rc = -1;
			break;
		}
		snprintf(spare, sizeof(spare), "%s@conflict.invalid", p[0]);
		p[1] = spare;
		log_warnx("account %s has the address of another account "
		    "under the address rules of migration 016: it cannot "
		    "sign in until an operator changes its address", p[0]);
		rc = db_exec(db, ID_STMT(ID_ACCOUNT_SET_KEY), p, NULL, err);
	}
	db_res_free(res);
	return (rc);
}

int
identity_email_keys_ready(struct db *db, struct db_error *err)
{
	int	 rc = 0;

	if (atomic_load_explicit(&keys_ready, memory_order_acquire))
		return (0);
	pthread_mutex_lock(&keys_lock);
	if (!atomic_load_explicit(&keys_ready, memory_order_relaxed) &&
	    (rc = fill_keys(db, err)) == 0)
		atomic_store_explicit(&keys_ready, 1, memory_order_release);
	pthread_mutex_unlock(&keys_lock);
	return (rc);
}
