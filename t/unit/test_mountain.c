/*
 * test_mountain: the pure parts of the mountain module (src/mountain):
 *  - a person's age on the first day of validity of a lift pass, at its
 *    boundaries (the day before a birthday, the day itself, 29 February);
 *  - the age bands at their boundaries (the default 6, 13, 65, and a
 *    resort's own, with a band left out);
 *  - the price rule: the lowest price among the profiles held, the
 *    standard one always held, a profile without a price never applies;
 *  - the statuses of an operator's bulletin mapped to ours, on a real
 *    captured bulletin (Tignes, Lumiplan) with all four statuses, against
 *    the statuses it shows (t/data/lifts/expected-status.json, liftie's
 *    reading of the same page).
 */
#include <check.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mountain/mountain_int.h"
#include "unit.h"

START_TEST(test_age)
{
	/* Six on the morning of the sixth birthday, not the day before. */
	ck_assert_int_eq(pass_age("2020-12-20", "2026-12-19"), 5);
	ck_assert_int_eq(pass_age("2020-12-20", "2026-12-20"), 6);
	ck_assert_int_eq(pass_age("2020-12-20", "2026-12-21"), 6);
	/* Across the turn of the year. */
	ck_assert_int_eq(pass_age("2014-01-01", "2026-12-31"), 12);
	ck_assert_int_eq(pass_age("2014-01-01", "2027-01-01"), 13);
	/* 29 February: a year older on 1 March of a common year. */
	ck_assert_int_eq(pass_age("2012-02-29", "2027-02-28"), 14);
	ck_assert_int_eq(pass_age("2012-02-29", "2027-03-01"), 15);
	ck_assert_int_eq(pass_age("2012-02-29", "2028-02-29"), 16);
	/* Born on the day: 0; not born yet: -1. */
	ck_assert_int_eq(pass_age("2026-12-20", "2026-12-20"), 0);
	ck_assert_int_eq(pass_age("2026-12-21", "2026-12-20"), -1);
	ck_assert_int_eq(pass_age("1961-12-20", "2026-12-20"), 65);
	ck_assert_int_eq(pass_age("1961-12-21", "2026-12-20"), 64);
}
END_TEST

START_TEST(test_bands)
{
	/* The default bands (migration 031). */
	const pass_bands fr = { 0, 6, 13, 65 };
	/* A resort's own: child from 5, no senior price band. */
	const pass_bands own = { 0, 5, 12, -1 };
	/* A band list without a band from 0. */
	const pass_bands gap = { -1, 6, 18, -1 };

	ck_assert_int_eq(pass_band_of(0, fr), PB_INFANT);
	ck_assert_int_eq(pass_band_of(5, fr), PB_INFANT);
	ck_assert_int_eq(pass_band_of(6, fr), PB_CHILD);
	ck_assert_int_eq(pass_band_of(12, fr), PB_CHILD);
	ck_assert_int_eq(pass_band_of(13, fr), PB_ADULT);
	ck_assert_int_eq(pass_band_of(64, fr), PB_ADULT);
	ck_assert_int_eq(pass_band_of(65, fr), PB_SENIOR);
	ck_assert_int_eq(pass_band_of(101, fr), PB_SENIOR);
	ck_assert_int_eq(pass_band_to(PB_INFANT, fr), 5);
	ck_assert_int_eq(pass_band_to(PB_ADULT, fr), 64);
	ck_assert_int_eq(pass_band_to(PB_SENIOR, fr), -1);
	ck_assert_int_eq(pass_band_of(4, own), PB_INFANT);
	ck_assert_int_eq(pass_band_of(5, own), PB_CHILD);
	ck_assert_int_eq(pass_band_of(11, own), PB_CHILD);
	ck_assert_int_eq(pass_band_of(12, own), PB_ADULT);
	ck_assert_int_eq(pass_band_of(90, own), PB_ADULT);
	ck_assert_int_eq(pass_band_to(PB_ADULT, own), -1);
	ck_assert_int_eq(pass_band_of(5, gap), -1);
	ck_assert_int_eq(pass_band_of(17, gap), PB_CHILD);
	ck_assert_str_eq(pass_band_names[PB_SENIOR], "senior");
}
END_TEST

START_TEST(test_rule)
{
	/* standard, resident, seasonal_worker, secondary_resident */
	long	 season[PP__COUNT] = { 65000, 26000, 32500, 52000 };
	long	 child[PP__COUNT] = { 52000, 18000, -1, 41600 };
	long	 none[PP__COUNT] = { -1, 26000, -1, -1 };
	long	 tie[PP__COUNT] = { 4950, 4950, -1, -1 };

	/* Nothing held: the standard price, whatever the others. */
	ck_assert_int_eq(pass_rule(season, 0), PP_STANDARD);
	ck_assert_int_eq(pass_rule(season, 1u << PP_RESIDENT), PP_RESIDENT);
	ck_assert_int_eq(pass_rule(season, 1u << PP_SECONDARY_RESIDENT),
	    PP_SECONDARY_RESIDENT);
	/* Two held: the lower price. */
	ck_assert_int_eq(pass_rule(season, 1u << PP_SEASONAL_WORKER |
	    1u << PP_SECONDARY_RESIDENT), PP_SEASONAL_WORKER);
	ck_assert_int_eq(pass_rule(season, 1u << PP_SEASONAL_WORKER |
	    1u << PP_RESIDENT), PP_RESIDENT);
	/* A profile held without a price for the band does not apply. */
	ck_assert_int_eq(pass_rule(child, 1u << PP_SEASONAL_WORKER),
	    PP_STANDARD);
	/* No standard price: only a held profile's. */
	ck_assert_int_eq(pass_rule(none, 0), -1);
	ck_assert_int_eq(pass_rule(none, 1u << PP_RESIDENT), PP_RESIDENT);
	/* A tie: the standard price, which needs no entitlement. */
	ck_assert_int_eq(pass_rule(tie, 1u << PP_RESIDENT), PP_STANDARD);
}
END_TEST

START_TEST(test_status_names)
{
	int	 i;

	for (i = 0; mountain_status_names[i] != NULL; i++)
		ck_assert_int_eq(mountain_status_from(mountain_status_names[i]),
		    i);
	ck_assert_int_eq(i, MST__COUNT);
	ck_assert_int_eq(mountain_status_from("hold"), -1);
	ck_assert_int_eq(mountain_status_from(NULL), -1);
	ck_assert_int_eq(mountain_status_from_operator("opened"), MST_OPEN);
	ck_assert_int_eq(mountain_status_from_operator("out_period"),
	    MST_CLOSED);
	ck_assert_int_eq(mountain_status_from_operator("delayed"),
	    MST_ON_HOLD);
	ck_assert_int_eq(mountain_status_from_operator("scheduled"),
	    MST_SCHEDULED);
	ck_assert_int_eq(mountain_status_from_operator("melted"), -1);
}
END_TEST

static char *
slurp(const char *rel)
{
	const char	*src = getenv("GUICHET_TEST_SRCDIR");
	char		 path[1024], *s;
	FILE		*f;
	long		 n;

	snprintf(path, sizeof(path), "%s/%s", src != NULL ? src : ".", rel);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	ck_assert(s != NULL && fread(s, 1, (size_t)n, f) == (size_t)n);
	s[n] = '\0';
	fclose(f);
	return (s);
}

static int
ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return (0);
	return (1);
}

/*
 * The operator's word for the first item of the page named 'name' (ASCII,
 * any case) into 'word': the status image that follows its name.  0 when
 * the page has no such item.
 */
static int
bulletin_word(const char *page, const char *name, char *word, size_t len)
{
	static const char	 nom[] = "<span class=\"nom\">";
	static const char	 etat[] = "lp_runway_trail_";
	const char		*p, *e;
	size_t			 n = strlen(name), i;

	for (p = page; (p = strstr(p, nom)) != NULL; p++) {
		p += sizeof(nom) - 1;
		if (strncasecmp(p, name, n) != 0 || p[n] != '<')
			continue;
		if ((e = strstr(p, etat)) == NULL)
			return (0);
		e += sizeof(etat) - 1;
		for (i = 0; i + 1 < len && (islower((unsigned char)e[i]) ||
		    e[i] == '_'); i++)
			word[i] = e[i];
		word[i] = '\0';
		return (1);
	}
	return (0);
}

START_TEST(test_tignes_bulletin)
{
	char		*page = slurp("t/data/lifts/status-page.html");
	char		*text = slurp("t/data/lifts/expected-status.json");
	json_t		*want, *v;
	const char	*name, *w;
	char		 word[32];
	int		 seen[MST__COUNT] = { 0 }, matched = 0, ours, i;

	want = json_loads(text, 0, NULL);
	ck_assert(json_is_object(want));
	json_object_foreach(want, name, v) {
		/* Accented names differ in case beyond ASCII: left aside. */
		if (!ascii(name) || !bulletin_word(page, name, word,
		    sizeof(word)))
			continue;
		w = json_string_value(v);
		ours = mountain_status_from_operator(word);
		ck_assert_msg(ours != -1, "%s: unknown word %s", name, word);
		/* liftie says "hold" where we say on_hold. */
		ck_assert_msg(ours == (strcmp(w, "hold") == 0 ? MST_ON_HOLD :
		    mountain_status_from(w)), "%s: %s is ours %s, the bulletin "
		    "shows %s", name, word, mountain_status_names[ours], w);
		seen[ours]++;
		matched++;
	}
	/* Nearly every lift of the bulletin, in all four statuses. */
	ck_assert_int_ge(matched, 35);
	for (i = 0; i < MST__COUNT; i++)
		ck_assert_msg(seen[i] > 0, "no %s lift", mountain_status_names[i]);
	json_decref(want);
	free(text);
	free(page);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_age,
	&test_bands,
	&test_rule,
	&test_status_names,
	&test_tignes_bulletin,
	NULL
};

const struct test_group test_groups[] = {
	{ "mountain", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
