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

int
pass_band_of(int age, const pass_bands from)
{
	int	 b, best = -1;

	for (b = 0; b < PB__COUNT; b++)
		if (from[b] >= 0 && from[b] <= age &&
		    (best == -1 || from[b] > from[best]))
			best = b;
	return (best);
}

int
pass_band_to(int band, const pass_bands from)
{
	int	 b, next = -1;

	for (b = 0; b < PB__COUNT; b++)
		if (from[b] > from[band] && (next == -1 || from[b] < next))
			next = from[b];
	return (next == -1 ? -1 : next - 1);
}

/*
 * The resort's bands (mountain.age_bands) into 'from', 0; -1 after a
 * reply.
 */
static int
bands_or_reply(struct request *req, pass_bands from)
{
	struct db_res	*res = NULL;
	int		 i, b;

	if (reply_exec(req, MOUNTAIN_STMT(MS_BANDS), NULL, &res) == -1)
		return (-1);
	for (b = 0; b < PB__COUNT; b++)
		from[b] = -1;
	for (i = 0; i < db_res_rows(res); i++)
		for (b = 0; b < PB__COUNT; b++)
			if (strcmp(db_str(res, i, "band"),
			    pass_band_names[b]) == 0)
				from[b] = (int)db_int64(res, i, "from_age");
	db_res_free(res);
	return (0);
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
	pass_bands	 from;
	json_t		*bands, *b;
	int		 k, to, age;

	snprintf(key, sizeof(key), "lift_passes:%s", lang_code(req->lang));
	if (cache_reply(req, key))
		return (0);
	if (bands_or_reply(req, from) == -1)
		return (0);
	/* The bands, youngest first. */
	bands = json_array();
	for (age = 0; age <= 130; age++)
		for (k = 0; k < PB__COUNT; k++) {
			if (from[k] != age)
				continue;
			to = pass_band_to(k, from);
			b = json_pack("{s:s, s:i}", "band", pass_band_names[k],
			    "from_age", from[k]);
			json_object_set_new(b, "to_age", to == -1 ?
			    json_null() : json_integer(to));
			json_array_append_new(bands, b);
		}
	p[0] = lang_code(req->lang);
	if (reply_exec(req, MOUNTAIN_STMT(MS_PRODUCTS), p, &res) == -1) {
		json_decref(bands);
		return (0);
	}
	reply_json(req, 200, json_pack("{s:o, s:n, s:s, s:o}", "items",
	    json_loads(db_str(res, 0, "items"), 0, NULL), "next_cursor",
	    "currency", "EUR", "bands", bands));
	db_res_free(res);
	reply_header(req, "Cache-Control", "public, max-age=60");
	language_headers(req);
	cache_store(req, key, MOUNTAIN_PASSES_CACHE_TAG);
	return (0);
}

/* The quote's texts: why this price. */
static const char *const band_words[3][PB__COUNT] = {
	{ "bébé", "enfant", "adulte", "senior" },
	{ "infant", "child", "adult", "senior" },
	{ "bambino piccolo", "ragazzo", "adulto", "senior" },
};
static const char *const profile_words[3][PP__COUNT] = {
	{ "prix public", "remise résident permanent",
	  "remise travailleur saisonnier", "remise résident secondaire" },
	{ "public price", "permanent resident discount",
	  "seasonal worker discount", "secondary resident discount" },
	{ "prezzo pubblico", "sconto residente permanente",
	  "sconto lavoratore stagionale", "sconto residente secondario" },
};

/* Band 'band' with its ages (the resort's bands 'from'), into 'out'. */
static void
band_text(char *out, size_t len, enum lang lang, int band,
    const pass_bands from)
{
	const char	*w = band_words[lang][band];
	int		 a = from[band], b = pass_band_to(band, from);

	/* under b + 1, a to b, a and over, any age */
	switch (lang) {
	case LANG_EN:
		if (a == 0 && b == -1)
			snprintf(out, len, "%s (any age)", w);
		else if (a == 0)
			snprintf(out, len, "%s (under %d)", w, b + 1);
		else if (b == -1)
			snprintf(out, len, "%s (%d and over)", w, a);
		else
			snprintf(out, len, "%s (%d to %d)", w, a, b);
		break;
	case LANG_IT:
		if (a == 0 && b == -1)
			snprintf(out, len, "%s (ogni età)", w);
		else if (a == 0)
			snprintf(out, len, "%s (meno di %d anni)", w, b + 1);
		else if (b == -1)
			snprintf(out, len, "%s (%d anni e oltre)", w, a);
		else
			snprintf(out, len, "%s (da %d a %d anni)", w, a, b);
		break;
	default:
		if (a == 0 && b == -1)
			snprintf(out, len, "%s (tout âge)", w);
		else if (a == 0)
			snprintf(out, len, "%s (moins de %d ans)", w, b + 1);
		else if (b == -1)
			snprintf(out, len, "%s (%d ans et plus)", w, a);
		else
			snprintf(out, len, "%s (%d à %d ans)", w, a, b);
		break;
	}
}

/* Why this price, in 'lang', into 'out'. */
static void
why_text(char *out, size_t len, enum lang lang, const char *b, int age,
    const char *start, int profile, const char *season)
{
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
	char		 why[512], part[256], last[16], bt[128];
	long		 prices[PP__COUNT];
	pass_bands	 from;
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
	if (bands_or_reply(req, from) == -1)
		goto out;
	if ((band = pass_band_of(age, from)) == -1) {
		reply_error(req, MOUNTAIN_ERR(MTE_QUOTE_INVALID), "age");
		goto out;
	}
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
	band_text(bt, sizeof(bt), req->lang, band, from);
	why_text(why, sizeof(why), req->lang, bt, age, start, rule, season);
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
