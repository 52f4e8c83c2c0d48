/*
 * pass.c: lift passes.  The age bands and the price rule (pure, unit
 * tested), the public list of products and their prices, and the quote:
 *
 *   GET /api/v1/lift-passes                           public, cached
 *   GET /api/v1/lift-passes/quote?product=&start=&birthdate=
 *
 * A price depends on the age band on the first day of validity and on
 * the profile: 'standard' for everyone; 'resident', 'seasonal_worker' and
 * 'secondary_resident' only for an account that holds the entitlement of
 * that name for the product's season, granted by an accepted lift-pass
 * discount case (cases.h: cases_entitled(), the one way this module reads
 * the cases module).  The lowest price the caller may have applies.
 * Prices are integers in cents of EUR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/buf.h"
#include "cases/cases.h"
#include "http/cache.h"
#include "json/check.h"
#include "mountain/mountain_int.h"

const char *const pass_band_names[PB__COUNT] = { "infant", "child", "adult",
    "senior" };
/*
 * The resort's bands, as French ski areas draw them: free under 6, child
 * price from 6 to 12, adult from 13 to 64, senior from 65.
 */
const int pass_band_from[PB__COUNT] = { 0, 6, 13, 65 };

const char *const pass_profile_names[PP__COUNT] = { "standard", "resident",
    "seasonal_worker", "secondary_resident" };

int
pass_age(const char *birth, const char *day)
{
	int	 by, bm, bd, y, m, d, age;

	if (sscanf(birth, "%4d-%2d-%2d", &by, &bm, &bd) != 3 ||
	    sscanf(day, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return (-1);
	if (strcmp(day, birth) < 0)
		return (-1);
	age = y - by;
	/*
	 * Not yet this year's birthday.  Someone born on 29 February has it
	 * on 1 March of a common year: on 28 February they are not older.
	 */
	if (m < bm || (m == bm && d < bd))
		age--;
	return (age);
}

enum pass_band
pass_band_of(int age)
{
	int	 b;

	for (b = PB__COUNT - 1; b > 0; b--)
		if (age >= pass_band_from[b])
			return ((enum pass_band)b);
	return (PB_INFANT);
}

int
pass_rule(const long *prices, unsigned held)
{
	int	 p, best = -1;

	held |= 1u << PP_STANDARD;
	for (p = 0; p < PP__COUNT; p++) {
		if (!(held & (1u << p)) || prices[p] < 0)
			continue;
		if (best == -1 || prices[p] < prices[best])
			best = p;
	}
	return (best);
}

static void
language_headers(struct request *req)
{
	reply_header(req, "Content-Language", lang_code(req->lang));
	reply_header(req, "Vary", "Accept-Language");
}

/* GET /api/v1/lift-passes */

int
mountain_passes(struct request *req)
{
	struct db_res	*res = NULL;
	const char	*p[1];
	char		 key[64];

	snprintf(key, sizeof(key), "lift_passes:%s", lang_code(req->lang));
	if (cache_reply(req, key))
		return (0);
	p[0] = lang_code(req->lang);
	if (reply_exec(req, MOUNTAIN_STMT(MS_PRODUCTS), p, &res) == -1)
		return (0);
	reply_json(req, 200, json_pack("{s:o, s:n, s:s, s:o}", "items",
	    json_loads(db_str(res, 0, "items"), 0, NULL), "next_cursor",
	    "currency", "EUR", "bands", json_pack("[{s:s,s:i,s:i},"
	    "{s:s,s:i,s:i},{s:s,s:i,s:i},{s:s,s:i,s:n}]",
	    "band", "infant", "from_age", 0, "to_age", 5,
	    "band", "child", "from_age", 6, "to_age", 12,
	    "band", "adult", "from_age", 13, "to_age", 64,
	    "band", "senior", "from_age", 65, "to_age")));
	db_res_free(res);
	reply_header(req, "Cache-Control", "public, max-age=60");
	language_headers(req);
	cache_store(req, key, "lift_passes");
	return (0);
}

/* The quote's texts: why this price. */
static const char *const band_words[3][PB__COUNT] = {
	{ "bébé (moins de 6 ans)", "enfant (6 à 12 ans)",
	  "adulte (13 à 64 ans)", "senior (65 ans et plus)" },
	{ "infant (under 6)", "child (6 to 12)", "adult (13 to 64)",
	  "senior (65 and over)" },
	{ "bambino piccolo (meno di 6 anni)", "ragazzo (da 6 a 12 anni)",
	  "adulto (da 13 a 64 anni)", "senior (65 anni e oltre)" },
};
static const char *const profile_words[3][PP__COUNT] = {
	{ "prix public", "remise résident permanent",
	  "remise travailleur saisonnier", "remise résident secondaire" },
	{ "public price", "permanent resident discount",
	  "seasonal worker discount", "secondary resident discount" },
	{ "prezzo pubblico", "sconto residente permanente",
	  "sconto lavoratore stagionale", "sconto residente secondario" },
};

/* Why this price, in 'lang', into 'out'. */
static void
why_text(char *out, size_t len, enum lang lang, int band, int age,
    const char *start, int profile, const char *season)
{
	const char	*b = band_words[lang][band];
	const char	*p = profile_words[lang][profile];

	switch (lang) {
	case LANG_EN:
		snprintf(out, len, "%s price: %d years old on %s, the first "
		    "day of validity; %s%s%s%s", b, age, start, p, profile ==
		    PP_STANDARD ? "" : ", granted for the ", profile ==
		    PP_STANDARD ? "" : season, profile == PP_STANDARD ? "" :
		    " season");
		break;
	case LANG_IT:
		snprintf(out, len, "tariffa %s: %d anni il %s, primo giorno "
		    "di validità; %s%s%s", b, age, start, p, profile ==
		    PP_STANDARD ? "" : ", concesso per la stagione ", profile ==
		    PP_STANDARD ? "" : season);
		break;
	default:
		snprintf(out, len, "tarif %s : %d ans le %s, premier jour de "
		    "validité ; %s%s%s", b, age, start, p, profile ==
		    PP_STANDARD ? "" : ", accordée pour la saison ", profile ==
		    PP_STANDARD ? "" : season);
		break;
	}
}

/* A date parameter "YYYY-MM-DD", or NULL after a 400. */
static const char *
date_or_reply(struct request *req, const char *name)
{
	const char	*v = request_query(req, name);
	char		 what[48];

	if (v != NULL && json_format_ok(JF_DATE, v))
		return (v);
	snprintf(what, sizeof(what), "%s=YYYY-MM-DD", name);
	reply_error(req, HTTP_ERR(HE_BAD_QUERY), what);
	return (NULL);
}

/*
 * The entitlements 'req's caller holds for 'season': bits of profiles, or
 * -1 after a reply.
 */
static int
held_or_reply(struct request *req, const char *season)
{
	const struct principal	*pr = req->principal;
	struct db_error		 err;
	unsigned		 held = 0;
	int			 p, rc;

	if (pr == NULL || pr->kind != PRINCIPAL_PERSON)
		return (0);
	for (p = PP_RESIDENT; p < PP__COUNT; p++) {
		rc = cases_entitled(db_thread(), pr->id, pass_profile_names[p],
		    season, &err);
		if (rc == -1) {
			reply_db_error(req, &err);
			return (-1);
		}
		if (rc == 1)
			held |= 1u << p;
	}
	return ((int)held);
}

/* GET /api/v1/lift-passes/quote */

int
mountain_quote(struct request *req)
{
	struct db_res	*prod = NULL, *res = NULL;
	const char	*code, *start, *birth, *season, *p[3];
	char		 why[512], part[256], last[16];
	long		 prices[PP__COUNT];
	json_t		*o, *ents;
	int		 age, band, rule, held, i;

	if ((code = request_query(req, "product")) == NULL ||
	    strlen(code) > 48) {
		reply_error(req, HTTP_ERR(HE_BAD_QUERY), "product=<code>");
		return (0);
	}
	if ((start = date_or_reply(req, "start")) == NULL ||
	    (birth = date_or_reply(req, "birthdate")) == NULL)
		return (0);
	p[0] = code;
	p[1] = lang_code(req->lang);
	p[2] = start;
	if (reply_exec_row(req, MOUNTAIN_STMT(MS_PRODUCT), p, &prod,
	    MOUNTAIN_ERR(MTE_PRODUCT_NOT_FOUND)) == -1)
		return (0);
	season = db_str(prod, 0, "season");
	if (strcmp(start, db_str(prod, 0, "starts_on")) < 0 ||
	    strcmp(start, db_str(prod, 0, "ends_on")) > 0) {
		snprintf(part, sizeof(part), "%s..%s", db_str(prod, 0,
		    "starts_on"), db_str(prod, 0, "ends_on"));
		reply_error(req, MOUNTAIN_ERR(MTE_QUOTE_INVALID), part);
		goto out;
	}
	/* A pass of several days ends in its season (a season pass, at its end). */
	snprintf(last, sizeof(last), "%s", db_str(prod, 0, "last_day"));
	if (strcmp(last, db_str(prod, 0, "ends_on")) > 0) {
		snprintf(part, sizeof(part), "%s..%s", db_str(prod, 0,
		    "starts_on"), db_str(prod, 0, "last_start"));
		reply_error(req, MOUNTAIN_ERR(MTE_QUOTE_INVALID), part);
		goto out;
	}
	if ((age = pass_age(birth, start)) < 0) {
		reply_error(req, MOUNTAIN_ERR(MTE_QUOTE_INVALID),
		    "birthdate <= start");
		goto out;
	}
	band = pass_band_of(age);
	p[1] = pass_band_names[band];
	if (reply_exec(req, MOUNTAIN_STMT(MS_PRICES), p, &res) == -1)
		goto out;
	for (i = 0; i < PP__COUNT; i++)
		prices[i] = -1;
	for (i = 0; i < db_res_rows(res); i++)
		for (rule = 0; rule < PP__COUNT; rule++)
			if (strcmp(db_str(res, i, "profile"),
			    pass_profile_names[rule]) == 0)
				prices[rule] = (long)db_int64(res, i, "cents");
	if ((held = held_or_reply(req, season)) == -1)
		goto out;
	if ((rule = pass_rule(prices, (unsigned)held)) == -1) {
		reply_error(req, MOUNTAIN_ERR(MTE_QUOTE_INVALID),
		    pass_band_names[band]);
		goto out;
	}
	why_text(why, sizeof(why), req->lang, band, age, start, rule, season);
	ents = json_array();
	for (i = PP_RESIDENT; i < PP__COUNT; i++)
		if (held & (1 << i))
			json_array_append_new(ents,
			    json_string(pass_profile_names[i]));
	o = json_pack("{s:s, s:s?, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:I, "
	    "s:s, s:s, s:o}",
	    "product", code, "title", db_str(prod, 0, "title"),
	    "season", season, "start", start, "end", last,
	    "birthdate", birth, "age", age, "band", pass_band_names[band],
	    "profile", pass_profile_names[rule],
	    "price_cents", (json_int_t)prices[rule], "currency", "EUR",
	    "why", why, "entitlements", ents);
	snprintf(part, sizeof(part), "%s:%s", pass_profile_names[rule],
	    pass_band_names[band]);
	json_set_str(o, "rule", part);
	if (prices[PP_STANDARD] >= 0)
		json_object_set_new(o, "standard_price_cents",
		    json_integer(prices[PP_STANDARD]));
	reply_json(req, 200, o);
	/* The caller's own answer when signed in: no shared cache. */
	reply_header(req, "Cache-Control", req->principal != NULL ?
	    "private, no-store" : "public, max-age=60");
	language_headers(req);
out:
	db_res_free(res);
	db_res_free(prod);
	return (0);
}
