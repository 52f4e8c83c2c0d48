/*
 * t5302-lift-passes: lift passes (src/mountain/pass.c) against a real
 * guichetd, on the demo's products and prices (sql/demo/006_mountain.sql):
 *  - the public list of products, by season, with their prices by
 *    profile and age band, in cents of EUR;
 *  - the anonymous quote at the boundaries of the age bands (the day
 *    someone turns 6, 13, 65) and of the season (its first and last day,
 *    a pass of six days that would end after it);
 *  - with a token, the entitlement an accepted lift-pass discount case
 *    grants applies, for the season it was granted for only; before the
 *    acceptance, or for another season, or for someone else, the
 *    standard price;
 *  - the demo's own lift-pass procedures end to end: a seasonal worker's
 *    and a second-home owner's accepted cases give their prices, for
 *    the season granted only;
 *  - the half-day and pedestrian products, by age band;
 *  - 400, 404 and 422 for what cannot be quoted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caselib.h"

#define FROZEN	"2026-12-20T08:00:00Z"

/* GET a quote as 'token': the body; *st the status. */
static json_t *
quote(const struct idenv *e, const char *token, const char *product,
    const char *start, const char *birth, long *st)
{
	char	*path;
	json_t	*j;

	path = harness_printf("/api/v1/lift-passes/quote?product=%s&start=%s"
	    "&birthdate=%s", product, start, birth);
	j = idl_reqj(e, "GET", path, token, NULL, st);
	free(path);
	return (j);
}

/* The quote's price (200 asserted), its band and profile checked. */
static long
price(const struct idenv *e, const char *token, const char *product,
    const char *start, const char *birth, const char *band,
    const char *profile)
{
	json_t	*j;
	long	 st, cents;

	j = quote(e, token, product, start, birth, &st);
	ck_assert_msg(st == 200, "%s %s %s: %ld", product, start, birth, st);
	idl_assert_str(j, "band", band);
	idl_assert_str(j, "profile", profile);
	idl_assert_str(j, "currency", "EUR");
	cents = (long)json_integer_value(json_object_get(j, "price_cents"));
	json_decref(j);
	return (cents);
}

/* A quote and what it should be. */
struct want {
	const char	*product, *start, *birth;
	const char	*band, *profile;
	long		 cents;
};

/* Each quote of 'w' as 'token' is as it says. */
static void
prices_are(const struct idenv *e, const char *token, const struct want *w,
    size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		ck_assert_msg(price(e, token, w[i].product, w[i].start,
		    w[i].birth, w[i].band, w[i].profile) == w[i].cents,
		    "%s %s %s: not %ld", w[i].product, w[i].start, w[i].birth,
		    w[i].cents);
}
#define NELEM_W(a)	(sizeof(a) / sizeof((a)[0]))

/* The quote is the problem 'status' with 'code'. */
static void
refused(const struct idenv *e, const char *product, const char *start,
    const char *birth, long status, const char *code)
{
	json_t	*j;
	long	 st;

	j = quote(e, NULL, product, start, birth, &st);
	ck_assert_msg(st == status, "%s %s %s: %ld, not %ld", product, start,
	    birth, st, status);
	idl_assert_str(j, "code", code);
	json_decref(j);
}

/*
 * The quote of 'product' from 2026-12-20 as 'token' is 'cents' by 'rule'
 * of the season 2026-2027, the caller holding the one entitlement
 * 'entitlement': its body (caller frees).
 */
static json_t *
entitled(const struct idenv *e, const char *token, const char *product,
    const char *birth, long cents, const char *rule,
    const char *entitlement)
{
	json_t	*j;
	long	 st;

	j = quote(e, token, product, "2026-12-20", birth, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "price_cents")), cents);
	idl_assert_str(j, "rule", rule);
	idl_assert_str(j, "season", "2026-2027");
	ck_assert_int_eq(json_array_size(json_object_get(j, "entitlements")),
	    1);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j,
	    "entitlements"), 0)), entitlement);
	return (j);
}

START_TEST(test_products)
{
	struct idenv	 e;
	json_t		*j, *it, *season = NULL;
	size_t		 i;
	long		 st;

	idl_start_new(&e, FROZEN);
	j = idl_reqj(&e, "GET", "/api/v1/lift-passes", NULL, NULL, &st);
	ck_assert_int_eq(st, 200);
	ck_assert_int_eq(json_array_size(json_object_get(j, "items")), 6);
	json_array_foreach(json_object_get(j, "items"), i, it)
		if (strcmp(idl_jstr(it, "code"), "season_2026") == 0)
			season = it;
	ck_assert_ptr_nonnull(season);
	idl_assert_str(season, "kind", "season");
	idl_assert_str(season, "valid_from", "2026-12-05");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    json_object_get(season, "prices"), "resident"), "adult")), 26000);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    json_object_get(season, "prices"), "standard"), "adult")), 65000);
	ck_assert_int_eq(json_array_size(json_object_get(j, "bands")), 4);
	json_decref(j);
	idl_stop(&e);
}
END_TEST

START_TEST(test_age_bands)
{
	static const struct want bands[] = {
		/* Six on the first day: a child; six the day after: free. */
		{ "day_2026", "2026-12-20", "2020-12-20", "child", "standard",
		  3950 },
		{ "day_2026", "2026-12-20", "2020-12-21", "infant", "standard",
		  0 },
		/* Thirteen on the first day: an adult; twelve: a child. */
		{ "day_2026", "2026-12-20", "2013-12-20", "adult", "standard",
		  4950 },
		{ "day_2026", "2026-12-20", "2013-12-21", "child", "standard",
		  3950 },
		/* Sixty-five: a senior; the day before the birthday: adult. */
		{ "six_days_2026", "2026-12-20", "1961-12-20", "senior",
		  "standard", 23500 },
		{ "six_days_2026", "2026-12-20", "1961-12-21", "adult",
		  "standard", 26100 },
		/* The age of the first day, even if the birthday is during. */
		{ "six_days_2026", "2026-12-20", "1961-12-22", "adult",
		  "standard", 26100 },
	};
	struct idenv	 e;
	json_t		*j;
	long		 st;

	idl_start_new(&e, FROZEN);
	prices_are(&e, NULL, bands, NELEM_W(bands));
	/* The answer says why, in the caller's language. */
	j = quote(&e, NULL, "day_2026", "2026-12-20", "2020-12-20", &st);
	idl_assert_str(j, "rule", "standard:child");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "age")), 6);
	ck_assert_ptr_nonnull(strstr(idl_jstr(j, "why"), "6 ans le "
	    "2026-12-20"));
	idl_assert_str(j, "end", "2026-12-20");
	json_decref(j);
	idl_stop(&e);
}
END_TEST

START_TEST(test_season_bounds)
{
	struct idenv	 e;
	json_t		*j;
	long		 st;

	idl_start_new(&e, FROZEN);
	/* The season runs from 5 December 2026 to 11 April 2027. */
	refused(&e, "day_2026", "2026-12-04", "1990-01-01", 422,
	    "lift_pass_quote_invalid");
	ck_assert_int_eq(price(&e, NULL, "day_2026", "2026-12-05",
	    "1990-01-01", "adult", "standard"), 4950);
	ck_assert_int_eq(price(&e, NULL, "day_2026", "2027-04-11",
	    "1990-01-01", "adult", "standard"), 4950);
	refused(&e, "day_2026", "2027-04-12", "1990-01-01", 422,
	    "lift_pass_quote_invalid");
	/* Six days must end in the season. */
	j = quote(&e, NULL, "six_days_2026", "2027-04-06", "1990-01-01", &st);
	ck_assert_int_eq(st, 200);
	idl_assert_str(j, "end", "2027-04-11");
	json_decref(j);
	refused(&e, "six_days_2026", "2027-04-07", "1990-01-01", 422,
	    "lift_pass_quote_invalid");
	/* A season pass runs to the end of its season. */
	j = quote(&e, NULL, "season_2026", "2027-01-10", "1990-01-01", &st);
	ck_assert_int_eq(st, 200);
	idl_assert_str(j, "end", "2027-04-11");
	json_decref(j);
	refused(&e, "season_2026", "2026-12-20", "2026-12-21", 422,
	    "lift_pass_quote_invalid");
	refused(&e, "nope", "2026-12-20", "1990-01-01", 404,
	    "lift_pass_not_found");
	refused(&e, "day_2026", "2026-13-01", "1990-01-01", 400,
	    "bad_query");
	refused(&e, "day_2026", "2026-12-20", "19900101", 400, "bad_query");
	idl_stop(&e);
}
END_TEST

START_TEST(test_entitlements)
{
	struct idenv	 e;
	char		*res, *other, *chief, *id;
	json_t		*j;

	res = idl_start_resident(&e, FROZEN);
	other = cl_other(&e);
	chief = cl_agent(&e, CL_LIFT_CHIEF);
	/* Before any case: the standard price, signed in or not. */
	ck_assert_int_eq(price(&e, res, "season_2026", "2026-12-20",
	    "1980-05-01", "adult", "standard"), 65000);
	id = cl_file(&e, res, "t_forfait", json_pack("{s:s}", "nom", "A"), 1,
	    NULL);
	ck_assert_int_eq(price(&e, res, "season_2026", "2026-12-20",
	    "1980-05-01", "adult", "standard"), 65000);
	/* Accepted: the resident's price for 2026-2027, and says why. */
	cl_decide(&e, chief, chief, id, "accepted", NULL);
	j = entitled(&e, res, "season_2026", "1980-05-01", 26000,
	    "resident:adult", "resident");
	ck_assert_int_eq(json_integer_value(json_object_get(j,
	    "standard_price_cents")), 65000);
	ck_assert_ptr_nonnull(strstr(idl_jstr(j, "why"),
	    "résident permanent"));
	json_decref(j);
	/* Every product of the season with a resident price; a child's too. */
	ck_assert_int_eq(price(&e, res, "day_2026", "2026-12-20",
	    "1980-05-01", "adult", "resident"), 2500);
	ck_assert_int_eq(price(&e, res, "season_2026", "2026-12-20",
	    "2016-05-01", "child", "resident"), 18000);
	/* No resident price for this product: the standard one. */
	ck_assert_int_eq(price(&e, res, "six_days_2026", "2026-12-20",
	    "1980-05-01", "adult", "standard"), 26100);
	/* Another season: the entitlement was not granted for it. */
	ck_assert_int_eq(price(&e, res, "season_2025", "2026-01-10",
	    "1980-05-01", "adult", "standard"), 62500);
	/* Someone else, or nobody: the standard price. */
	ck_assert_int_eq(price(&e, other, "season_2026", "2026-12-20",
	    "1980-05-01", "adult", "standard"), 65000);
	ck_assert_int_eq(price(&e, NULL, "season_2026", "2026-12-20",
	    "1980-05-01", "adult", "standard"), 65000);
	free(res);
	free(other);
	free(chief);
	free(id);
	idl_stop(&e);
}
END_TEST

/*
 * 'token' files the demo procedure 'procedure' with 'form' (stolen), its
 * file field 'file_field' and its required 'documents' (NULL-ended)
 * attached, and submits it: the case's id.
 */
static char *
file_demo_case(const struct idenv *e, const char *token,
    const char *procedure, json_t *form, const char *file_field,
    const char *const *documents)
{
	char	*id, *fid, *path, *body;
	json_t	*j;
	long	 st;
	size_t	 i;

	id = cl_file(e, token, procedure, form, 0, NULL);
	for (i = 0; documents[i] != NULL; i++)
		free(cl_attach(e, token, id, documents[i], documents[i]));
	fid = cl_attach(e, token, id, NULL, file_field);
	path = harness_printf("/api/v1/cases/%s", id);
	body = harness_printf("{\"form\": {\"%s\": \"%s\"}}", file_field, fid);
	j = idl_reqj(e, "PATCH", path, token, body, &st);
	ck_assert_msg(st == 200, "%s: %ld", procedure, st);
	json_decref(j);
	free(path);
	path = harness_printf("/api/v1/cases/%s/submit", id);
	ck_assert_int_eq(idl_status(e, "POST", path, token, NULL), 200);
	cl_assert_state(e, id, "submitted");
	free(path);
	free(body);
	free(fid);
	return (id);
}

/* PATCH /api/v1/me as 'token' with 'body': 200 asserted. */
static void
me_patch(const struct idenv *e, const char *token, const char *body)
{
	json_t	*j;
	long	 st;

	j = idl_reqj(e, "PATCH", "/api/v1/me", token, body, &st);
	ck_assert_msg(st == 200, "PATCH /api/v1/me: %ld", st);
	json_decref(j);
}

#define ADR	"{\"numero\": 4, \"nom_voie\": \"Route d'Italie\", " \
		"\"code_postal\": \"05100\", \"nom_commune\": \"Montgenèvre\", " \
		"\"code_insee\": \"05085\"}"

/*
 * The demo's own procedures end to end: a seasonal worker's case
 * (forfait_saisonnier) and a second-home owner's (forfait_residence_
 * secondaire), each accepted by the lift company, give their holder the
 * seasonal or secondary-resident price of the 2026-2027 season, and no
 * other season's, not even one with such a price.
 */
START_TEST(test_demo_profiles)
{
	static const char *const worker_docs[] = { "contrat_ou_bulletin",
	    "piece_identite", NULL };
	static const char *const second_docs[] = { "piece_identite", NULL };
	static const struct want worker_more[] = {
		/* No seasonal price for a child of it: the standard one. */
		{ "season_2026", "2026-12-20", "2016-05-01", "child",
		  "standard", 52000 },
		/* Last season's seasonal price: not granted for it. */
		{ "season_2025", "2026-01-10", "1999-03-14", "adult",
		  "standard", 62500 },
	}, owner_more[] = {
		{ "season_2026", "2026-12-20", "2016-05-01", "child",
		  "secondary_resident", 41600 },
		{ "season_2025", "2026-01-10", "1968-05-14", "adult",
		  "standard", 62500 },
	};
	struct idenv	 e;
	char		*owner, *worker, *chief, *id;
	json_t		*j;

	owner = idl_start_resident(&e, FROZEN);
	worker = cl_other(&e);
	chief = cl_agent(&e, CL_LIFT_CHIEF);
	me_patch(&e, worker, "{\"profile_kind\": \"seasonal_worker\", "
	    "\"employment\": {\"employer\": \"ESF Montgenèvre\", "
	    "\"contract_start\": \"2026-12-01\", \"contract_end\": "
	    "\"2027-04-15\"}}");
	me_patch(&e, owner, "{\"profile_kind\": \"secondary_resident\"}");
	/* A seasonal price for last season too: not granted for it. */
	ck_assert_int_eq(idl_sql_exec(&e, "INSERT INTO mountain.pass_prices "
	    "(product, profile, band, cents) VALUES ('season_2025', "
	    "'seasonal_worker', 'adult', 31000), ('season_2025', "
	    "'secondary_resident', 'adult', 50000)"), 0);

	/* The seasonal worker. */
	id = file_demo_case(&e, worker, "forfait_saisonnier", json_pack(
	    "{s:s, s:s, s:s, s:s, s:b}", "employeur", "ESF Montgenèvre",
	    "debut_contrat", "2026-12-01", "fin_contrat", "2027-04-15",
	    "date_naissance", "1999-03-14", "certification", 1), "photo",
	    worker_docs);
	ck_assert_int_eq(price(&e, worker, "season_2026", "2026-12-20",
	    "1999-03-14", "adult", "standard"), 65000);
	cl_decide(&e, chief, chief, id, "accepted", NULL);
	json_decref(entitled(&e, worker, "season_2026", "1999-03-14", 32500,
	    "seasonal_worker:adult", "seasonal_worker"));
	prices_are(&e, worker, worker_more, NELEM_W(worker_more));
	free(id);

	/* The second-home owner. */
	id = file_demo_case(&e, owner, "forfait_residence_secondaire",
	    json_pack("{s:o, s:s, s:s, s:s, s:b}", "adresse_residence",
	    json_loads(ADR, 0, NULL), "occupation", "proprietaire",
	    "numero_fiscal", "3012345678901", "date_naissance", "1968-05-14",
	    "certification", 1), "avis_taxe_habitation", second_docs);
	ck_assert_int_eq(price(&e, owner, "season_2026", "2026-12-20",
	    "1968-05-14", "adult", "standard"), 65000);
	cl_decide(&e, chief, chief, id, "accepted", NULL);
	j = entitled(&e, owner, "season_2026", "1968-05-14", 52000,
	    "secondary_resident:adult", "secondary_resident");
	ck_assert_ptr_nonnull(strstr(idl_jstr(j, "why"),
	    "résident secondaire"));
	json_decref(j);
	prices_are(&e, owner, owner_more, NELEM_W(owner_more));
	/* Nobody else gets it. */
	ck_assert_int_eq(price(&e, NULL, "season_2026", "2026-12-20",
	    "1968-05-14", "adult", "standard"), 65000);
	free(id);
	free(owner);
	free(worker);
	free(chief);
	idl_stop(&e);
}
END_TEST

/*
 * The half-day and pedestrian products: by age band, one day long, and
 * without a resident price the standard one even for a resident.
 */
START_TEST(test_half_day_and_pedestrian)
{
	static const struct want anyone[] = {
		{ "half_day_2026", "2026-12-20", "1990-01-01", "adult",
		  "standard", 3900 },
		{ "half_day_2026", "2026-12-20", "2013-12-21", "child",
		  "standard", 3100 },
		{ "half_day_2026", "2026-12-20", "1961-12-20", "senior",
		  "standard", 3500 },
		{ "half_day_2026", "2026-12-20", "2020-12-21", "infant",
		  "standard", 0 },
		{ "pedestrian_2026", "2026-12-20", "1990-01-01", "adult",
		  "standard", 1500 },
		{ "pedestrian_2026", "2026-12-20", "2016-05-01", "child",
		  "standard", 1200 },
		{ "pedestrian_2026", "2026-12-20", "1950-05-01", "senior",
		  "standard", 1500 },
	}, resident[] = {
		{ "day_2026", "2026-12-20", "1990-01-01", "adult", "resident",
		  2500 },
		{ "half_day_2026", "2026-12-20", "1990-01-01", "adult",
		  "standard", 3900 },
		{ "pedestrian_2026", "2026-12-20", "1990-01-01", "adult",
		  "standard", 1500 },
	};
	struct idenv	 e;
	char		*res, *chief, *id;
	json_t		*j;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	chief = cl_agent(&e, CL_LIFT_CHIEF);
	prices_are(&e, NULL, anyone, NELEM_W(anyone));
	j = quote(&e, NULL, "half_day_2026", "2027-04-11", "1990-01-01", &st);
	ck_assert_int_eq(st, 200);
	idl_assert_str(j, "end", "2027-04-11");
	json_decref(j);
	refused(&e, "pedestrian_2026", "2026-12-04", "1990-01-01", 422,
	    "lift_pass_quote_invalid");
	/* A resident: no resident price for these, the standard one. */
	id = cl_file(&e, res, "t_forfait", json_pack("{s:s}", "nom", "A"), 1,
	    NULL);
	cl_decide(&e, chief, chief, id, "accepted", NULL);
	prices_are(&e, res, resident, NELEM_W(resident));
	free(id);
	free(res);
	free(chief);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_products,
	&test_age_bands,
	&test_season_bounds,
	&test_entitlements,
	&test_demo_profiles,
	&test_half_day_and_pedestrian,
	NULL
};

const struct test_group test_groups[] = {
	{ "lift_passes", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL,
	  tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
