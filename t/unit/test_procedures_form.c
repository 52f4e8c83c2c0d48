/*
 * test_procedures_form.c: the form of a procedure (src/procedures/form.c
 * and definition.c), without a database:
 *  - procedures_check_form(): a table of answers, each with the errors
 *    it must give (field and code, in any order), drafts and submissions,
 *    every type, visible_if with equals, in and present, and chains of
 *    them (a field depending on a hidden field is hidden);
 *  - the messages follow the language;
 *  - definition_check(): a table of definitions, each with its errors
 *    (one per problem, JSON pointers into the body), the database's part
 *    (department, theme) aside: t/integ/t4001-procedures has it;
 *  - the demo town's procedures: valid definitions, a realistic
 *    submission of each passes, a faulty one gives its errors.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/check.h"
#include "procedures/procedures.h"
#include "procedures/procedures_int.h"
#include "unit.h"

#define L	"{\"fr\": \"Libellé\", \"en\": \"Label\", \"it\": \"Etichetta\"}"
#define OPT(v)	"{\"value\": \"" v "\", \"label\": " L "}"

/* A form with every type and a chain of conditions. */
static const char form_json[] = "["
    "{\"name\": \"has_vehicle\", \"type\": \"boolean\", \"label\": " L "},"
    "{\"name\": \"plate\", \"type\": \"text\", \"required\": true,"
    " \"label\": " L ", \"length\": 12,"
    " \"pattern\": \"[A-Z]{2}-[0-9]{3}-[A-Z]{2}\","
    " \"visible_if\": {\"field\": \"has_vehicle\", \"equals\": true}},"
    "{\"name\": \"trailer\", \"type\": \"boolean\", \"label\": " L ","
    " \"visible_if\": {\"field\": \"plate\", \"present\": true}},"
    "{\"name\": \"trailer_plate\", \"type\": \"text\", \"required\": true,"
    " \"label\": " L ", \"visible_if\": {\"field\": \"trailer\","
    " \"equals\": true}},"
    "{\"name\": \"kind\", \"type\": \"choice\", \"required\": true,"
    " \"label\": " L ", \"options\": [" OPT("birth") "," OPT("marriage") ","
    OPT("death") "]},"
    "{\"name\": \"spouse\", \"type\": \"text\", \"required\": true,"
    " \"label\": " L ", \"visible_if\": {\"field\": \"kind\","
    " \"in\": [\"marriage\", \"death\"]}},"
    "{\"name\": \"surface\", \"type\": \"number\", \"label\": " L ","
    " \"min\": 1, \"max\": 200},"
    "{\"name\": \"people\", \"type\": \"number\", \"integer\": true,"
    " \"label\": " L ", \"min\": 1},"
    "{\"name\": \"day\", \"type\": \"date\", \"label\": " L ","
    " \"min\": \"2026-12-01\", \"max\": \"2027-04-30\"},"
    "{\"name\": \"email\", \"type\": \"email\", \"label\": " L "},"
    "{\"name\": \"phone\", \"type\": \"phone\", \"label\": " L "},"
    "{\"name\": \"extras\", \"type\": \"multichoice\", \"label\": " L ","
    " \"options\": [" OPT("power") "," OPT("water") "," OPT("heater") "],"
    " \"min\": 1, \"max\": 2},"
    "{\"name\": \"heater_kw\", \"type\": \"number\", \"label\": " L ","
    " \"visible_if\": {\"field\": \"extras\", \"equals\": \"heater\"}},"
    "{\"name\": \"where\", \"type\": \"address\", \"label\": " L "},"
    "{\"name\": \"spot\", \"type\": \"geo\", \"label\": " L "},"
    "{\"name\": \"plan\", \"type\": \"file\", \"label\": " L "},"
    "{\"name\": \"notes\", \"type\": \"textarea\", \"label\": " L ","
    " \"length\": 20},"
    "{\"name\": \"certify\", \"type\": \"boolean\", \"required\": true,"
    " \"label\": " L "}"
    "]";

/* The minimum a submission needs. */
#define BASE	"\"kind\": \"birth\", \"certify\": true"

#define ADDR	"\"where\": {\"numero\": 6, \"nom_voie\": \"Route d'Italie\", " \
		"\"code_postal\": \"05100\", \"nom_commune\": \"Montgenèvre\", " \
		"\"code_insee\": \"05085\", \"lon\": 6.7219, \"lat\": 44.9316}"

static const struct {
	const char	*answers;	/* the members of the answers object */
	int		 submit;
	const char	*want;		/* "field:code ...", any order */
} form_cases[] = {
	/* drafts may be partial, submissions may not */
	{ "", 0, "" },
	{ "", 1, "/form/kind:required /form/certify:required" },
	{ BASE, 1, "" },
	{ "\"kind\": null, \"certify\": true", 1, "/form/kind:required" },
	{ "\"kind\": \"\", \"certify\": true", 1, "/form/kind:required" },
	/* a required box must be ticked */
	{ "\"kind\": \"birth\", \"certify\": false", 1,
	  "/form/certify:required" },
	{ "\"kind\": \"birth\", \"certify\": false", 0, "" },
	/* unknown fields, always */
	{ BASE ", \"colour\": \"red\"", 1, "/form/colour:unknown" },
	{ "\"a/b~c\": 1", 0, "/form/a~1b~0c:unknown" },
	/* visible_if equals: plate only with a vehicle */
	{ BASE ", \"plate\": \"AB-123-CD\"", 1, "/form/plate:hidden" },
	{ BASE ", \"has_vehicle\": false, \"plate\": \"AB-123-CD\"", 1,
	  "/form/plate:hidden" },
	{ BASE ", \"has_vehicle\": true", 1, "/form/plate:required" },
	{ BASE ", \"has_vehicle\": true", 0, "" },
	{ BASE ", \"has_vehicle\": true, \"plate\": \"AB-123-CD\"", 1, "" },
	{ BASE ", \"has_vehicle\": true, \"plate\": \"ab-123-cd\"", 1,
	  "/form/plate:pattern" },
	{ BASE ", \"has_vehicle\": true, \"plate\": \"AB-123-CD-EF\"", 1,
	  "/form/plate:pattern" },
	{ BASE ", \"has_vehicle\": true, \"plate\": \"AB-123-CD-EFGH\"", 1,
	  "/form/plate:max_length" },
	/* a chain: trailer needs a plate, which needs a vehicle */
	{ BASE ", \"has_vehicle\": true, \"plate\": \"AB-123-CD\", "
	  "\"trailer\": true", 1, "/form/trailer_plate:required" },
	{ BASE ", \"has_vehicle\": true, \"plate\": \"AB-123-CD\", "
	  "\"trailer\": true, \"trailer_plate\": \"EF-456-GH\"", 1, "" },
	{ BASE ", \"has_vehicle\": false, \"trailer\": true, "
	  "\"trailer_plate\": \"EF-456-GH\"", 1,
	  "/form/trailer:hidden /form/trailer_plate:hidden" },
	{ BASE ", \"has_vehicle\": false, \"plate\": \"AB-123-CD\", "
	  "\"trailer\": true, \"trailer_plate\": \"EF-456-GH\"", 1,
	  "/form/plate:hidden /form/trailer:hidden "
	  "/form/trailer_plate:hidden" },
	/* the dependency's own answer is wrong: no hidden, no required */
	{ BASE ", \"has_vehicle\": \"yes\", \"plate\": \"AB-123-CD\"", 1,
	  "/form/has_vehicle:type" },
	{ BASE ", \"has_vehicle\": \"yes\"", 1, "/form/has_vehicle:type" },
	/* visible_if in */
	{ "\"kind\": \"marriage\", \"certify\": true", 1,
	  "/form/spouse:required" },
	{ "\"kind\": \"death\", \"certify\": true, \"spouse\": \"Dupont\"", 1,
	  "" },
	{ BASE ", \"spouse\": \"Dupont\"", 1, "/form/spouse:hidden" },
	{ "\"kind\": \"divorce\", \"certify\": true", 1, "/form/kind:one_of" },
	{ "\"kind\": 3, \"certify\": true", 1, "/form/kind:type" },
	/* numbers */
	{ BASE ", \"surface\": 12.5", 1, "" },
	{ BASE ", \"surface\": 0.5", 1, "/form/surface:minimum" },
	{ BASE ", \"surface\": 250", 1, "/form/surface:maximum" },
	{ BASE ", \"surface\": \"12\"", 1, "/form/surface:type" },
	{ BASE ", \"people\": 4", 1, "" },
	{ BASE ", \"people\": 2.5", 1, "/form/people:type" },
	{ BASE ", \"people\": 0", 1, "/form/people:minimum" },
	/* dates */
	{ BASE ", \"day\": \"2027-01-15\"", 1, "" },
	{ BASE ", \"day\": \"2026-11-30\"", 1, "/form/day:minimum" },
	{ BASE ", \"day\": \"2027-05-01\"", 1, "/form/day:maximum" },
	{ BASE ", \"day\": \"2027-02-30\"", 1, "/form/day:format" },
	{ BASE ", \"day\": \"15/01/2027\"", 1, "/form/day:format" },
	/* email, phone, file */
	{ BASE ", \"email\": \"lea@example.fr\", \"phone\": \"06 12 34 56 78\", "
	  "\"plan\": \"7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"", 1, "" },
	{ BASE ", \"phone\": \"+393331234567\"", 1, "" },
	{ BASE ", \"phone\": \"06.12.34.56.78\"", 1, "" },
	{ BASE ", \"email\": \"lea\", \"phone\": \"12345\", \"plan\": \"x\"",
	  1, "/form/email:format /form/phone:format /form/plan:format" },
	{ BASE ", \"phone\": \"+33 6 12 34 56 78 99 99 99\"", 1,
	  "/form/phone:format" },
	/* multichoice, and a condition on it */
	{ BASE ", \"extras\": [\"power\", \"water\"]", 1, "" },
	{ BASE ", \"extras\": [\"power\", \"water\", \"heater\"]", 1,
	  "/form/extras:max_items" },
	{ BASE ", \"extras\": [\"power\", \"power\"]", 1,
	  "/form/extras/1:duplicate" },
	{ BASE ", \"extras\": [\"gas\"]", 1, "/form/extras/0:one_of" },
	{ BASE ", \"extras\": \"power\"", 1, "/form/extras:type" },
	{ BASE ", \"extras\": [\"heater\"], \"heater_kw\": 2", 1, "" },
	{ BASE ", \"extras\": [\"power\"], \"heater_kw\": 2", 1,
	  "/form/heater_kw:hidden" },
	/* address: the BAN's fields */
	{ BASE ", " ADDR, 1, "" },
	{ BASE ", \"where\": {\"nom_ld\": \"Les Alberts\", "
	  "\"code_postal\": \"05100\", \"nom_commune\": \"Montgenèvre\"}", 1,
	  "" },
	{ BASE ", \"where\": {\"code_postal\": \"5100\", "
	  "\"nom_commune\": \"Montgenèvre\", \"code_insee\": \"5085\", "
	  "\"floor\": 2}", 1, "/form/where/code_postal:format "
	  "/form/where/code_insee:format /form/where/floor:unknown "
	  "/form/where/nom_voie:required" },
	{ BASE ", \"where\": {\"nom_voie\": \"Route d'Italie\"}", 1,
	  "/form/where/code_postal:required /form/where/nom_commune:required" },
	{ BASE ", \"where\": \"6 route d'Italie\"", 1, "/form/where:type" },
	/* geo */
	{ BASE ", \"spot\": {\"lat\": 44.9316, \"lon\": 6.7219}", 1, "" },
	{ BASE ", \"spot\": {\"lat\": 95, \"lon\": 6.7}", 1,
	  "/form/spot/lat:minimum" },
	{ BASE ", \"spot\": {\"lat\": 44.9}", 1, "/form/spot/lon:required" },
	/* textarea */
	{ BASE ", \"notes\": \"Près de la fontaine.\"", 1, "" },
	{ BASE ", \"notes\": \"Près de la fontaine, à gauche.\"", 1,
	  "/form/notes:max_length" },
};

static struct procedure *
form_procedure(void)
{
	static struct procedure	 p;
	json_error_t		 e;

	if (p.form == NULL) {
		p.form = json_loads(form_json, 0, &e);
		ck_assert_msg(p.form != NULL, "the test's form: %s at %d",
		    e.text, e.position);
	}
	return (&p);
}

static int
by_text(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* The words of 's' (space-separated), sorted, joined again. */
static char *
sorted_words(const char *s)
{
	char	*copy = strdup(s), *w, *save = NULL, **words, *out;
	size_t	 n = 0, i;

	words = calloc(strlen(s) + 1, sizeof(*words));
	for (w = strtok_r(copy, " ", &save); w != NULL;
	    w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	qsort(words, n, sizeof(*words), by_text);
	out = calloc(1, strlen(s) + 2);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, " ");
		strcat(out, words[i]);
	}
	free(words);
	free(copy);
	return (out);
}

/* "field:code" of each error, sorted, space-separated. */
static char *
error_list(const json_t *errors)
{
	json_t	*e;
	size_t	 i, len = 0;
	char	*text = NULL, *out;
	FILE	*f;

	f = open_memstream(&text, &len);
	json_array_foreach(errors, i, e)
		fprintf(f, "%s%s:%s", i > 0 ? " " : "", json_str(e, "field"),
		    json_str(e, "code"));
	fclose(f);
	out = sorted_words(text);
	free(text);
	return (out);
}

static json_t *
object_of(const char *members)
{
	json_error_t	 e;
	json_t		*j;
	char		*text;

	if (asprintf(&text, "{%s}", members) == -1)
		abort();
	j = json_loads(text, 0, &e);
	ck_assert_msg(j != NULL, "the test's JSON %s: %s", text, e.text);
	free(text);
	return (j);
}

/*
 * 'errors' (n counted) are the "field:code" pairs of 'want', in any order;
 * otherwise say so, naming the case 'what', and return 0.  Frees 'errors'.
 */
static int
errors_are(json_t *errors, size_t n, const char *want, const char *what)
{
	char	*got = error_list(errors), *w = sorted_words(want);
	int	 ok;

	ok = strcmp(got, w) == 0 && n == json_array_size(errors);
	if (!ok)
		fprintf(stderr, "%s: want [%s], got [%s] (%zu counted)\n", what,
		    w, got, n);
	free(got);
	free(w);
	json_decref(errors);
	return (ok);
}

/*
 * The answers '{members}' to 'p' give the errors of 'want' (errors_are());
 * 0 and a line naming 'what' otherwise.
 */
static int
form_gives(const struct procedure *p, const char *members, int submit,
    enum lang lang, const char *want, const char *what)
{
	json_t	*answers = object_of(members), *errors = json_array();
	size_t	 n;
	int	 ok;

	n = procedures_check_form(p, answers, submit, lang, errors);
	ok = errors_are(errors, n, want, what);
	json_decref(answers);
	return (ok);
}

START_TEST(test_form_answers_table)
{
	const struct procedure	*p = form_procedure();
	char			 what[64];
	size_t			 i;
	int			 bad = 0;

	for (i = 0; i < sizeof(form_cases) / sizeof(form_cases[0]); i++) {
		snprintf(what, sizeof(what), "case %zu (%s)", i,
		    form_cases[i].submit ? "submit" : "draft");
		bad += !form_gives(p, form_cases[i].answers,
		    form_cases[i].submit, LANG_EN, form_cases[i].want, what);
	}
	ck_assert_msg(bad == 0, "%d of %zu cases failed (see above)", bad,
	    sizeof(form_cases) / sizeof(form_cases[0]));
}
END_TEST

/* Not an object at all. */
START_TEST(test_form_answers_not_object)
{
	json_t	*errors = json_array(), *a = json_array();

	ck_assert_uint_eq(procedures_check_form(form_procedure(), a, 1,
	    LANG_FR, errors), 1);
	ck_assert_str_eq(json_str(json_array_get(errors, 0), "field"), "/form");
	ck_assert_str_eq(json_str(json_array_get(errors, 0), "code"), "type");
	json_decref(a);
	json_decref(errors);
}
END_TEST

/* Messages are in the caller's language; codes are not translated. */
START_TEST(test_form_messages_languages)
{
	static const enum lang langs[] = { LANG_FR, LANG_EN, LANG_IT };
	json_t		*a, *errors;
	const char	*m[3][3];
	json_t		*keep[3];
	size_t		 l, k;

	a = object_of("\"plate\": \"AB-123-CD\", \"surface\": 500, "
	    "\"certify\": false");
	for (l = 0; l < 3; l++) {
		errors = json_array();
		ck_assert_uint_eq(procedures_check_form(form_procedure(), a, 1,
		    langs[l], errors), 4);
		for (k = 0; k < 3; k++) {
			m[l][k] = json_str(json_array_get(errors, k),
			    "message");
			ck_assert(m[l][k] != NULL && m[l][k][0] != '\0');
		}
		keep[l] = errors;
	}
	for (k = 0; k < 3; k++) {
		ck_assert_str_ne(m[0][k], m[1][k]);
		ck_assert_str_ne(m[1][k], m[2][k]);
		ck_assert_str_ne(m[0][k], m[2][k]);
		ck_assert_str_eq(json_str(json_array_get(keep[0], k), "code"),
		    json_str(json_array_get(keep[2], k), "code"));
	}
	/* The bound is in the message. */
	ck_assert_msg(strstr(m[1][2], "200") != NULL, "%s", m[1][2]);
	for (l = 0; l < 3; l++)
		json_decref(keep[l]);
	json_decref(a);
}
END_TEST

/* At most JSON_ERRORS_MAX listed, all counted. */
START_TEST(test_form_errors_capped)
{
	json_t	*a = json_object(), *errors = json_array();
	char	 k[32];
	int	 i;

	for (i = 0; i < 80; i++) {
		snprintf(k, sizeof(k), "x%d", i);
		json_object_set_new(a, k, json_true());
	}
	ck_assert_uint_eq(procedures_check_form(form_procedure(), a, 1,
	    LANG_EN, errors), 82);
	ck_assert_uint_eq(json_array_size(errors), JSON_ERRORS_MAX);
	json_decref(a);
	json_decref(errors);
}
END_TEST

/* Definitions. */

#define DEF_HEAD "\"code\": \"terrasse\", " \
	"\"title\": {\"fr\": \"Terrasse\", \"en\": \"Terrace\", " \
	"\"it\": \"Dehors\"}, " \
	"\"description\": {\"fr\": \"Occuper le domaine public.\", " \
	"\"en\": \"Occupy the public space.\", " \
	"\"it\": \"Occupare il suolo pubblico.\"}, " \
	"\"department\": \"mairie\", \"profile_kinds\": [\"permanent_resident\"], " \
	"\"theme\": \"N19803\", \"retention_years\": 5, " \
	"\"legal_basis\": \"CGPPP L2122-1\", " \
	"\"documents\": [{\"code\": \"plan\", \"label\": " L ", " \
	"\"required\": true}], "
#define DEF_OK	DEF_HEAD "\"deadline_days\": 60, \"implicit\": \"acceptance\", " \
	"\"grants\": null, "
#define F_TEXT(n)	"{\"name\": \"" n "\", \"type\": \"text\", \"label\": " L "}"
#define F_BOOL(n)	"{\"name\": \"" n "\", \"type\": \"boolean\", \"label\": " L "}"
#define F_CHOICE(n)	"{\"name\": \"" n "\", \"type\": \"choice\", " \
	"\"label\": " L ", \"options\": [" OPT("a") "," OPT("b") "]}"

static const struct {
	const char	*def;		/* the members of the definition */
	const char	*want;		/* "field:code ...", any order */
} def_cases[] = {
	{ DEF_OK "\"form\": [" F_BOOL("has_vehicle") ", {\"name\": \"plate\", "
	  "\"type\": \"text\", \"required\": true, \"label\": " L ", "
	  "\"help\": " L ", \"length\": 12, \"pattern\": \"[A-Z0-9-]+\", "
	  "\"visible_if\": {\"field\": \"has_vehicle\", \"equals\": true}}]",
	  "" },
	{ DEF_OK "\"form\": []", "" },
	/* the schema's part */
	{ DEF_HEAD "\"deadline_days\": 0, \"implicit\": \"maybe\", "
	  "\"form\": []", "/deadline_days:minimum /implicit:one_of" },
	{ DEF_HEAD "\"implicit\": null, \"form\": []",
	  "/deadline_days:required" },
	{ DEF_HEAD "\"deadline_days\": 30, \"form\": []",
	  "/implicit:required" },
	{ DEF_OK "\"form\": [], \"colour\": 1", "/colour:unknown" },
	{ DEF_OK "\"form\": [1]", "/form/0:type" },
	/* the code, the profile kinds, the documents, the grants */
	{ "\"code\": \"Terrasse\", \"title\": {\"fr\": \"T\", \"en\": \"T\", "
	  "\"it\": \"T\"}, \"description\": {\"fr\": \"D\", \"en\": \"D\", "
	  "\"it\": \"D\"}, \"department\": \"mairie\", "
	  "\"profile_kinds\": [\"tourist\", \"tourist\"], \"theme\": \"N19803\", "
	  "\"deadline_days\": 30, \"implicit\": null, \"retention_years\": 1, "
	  "\"legal_basis\": \"x\", \"documents\": [{\"code\": \"id\", "
	  "\"label\": " L ", \"required\": true}, {\"code\": \"id\", "
	  "\"label\": " L ", \"required\": false}], "
	  "\"grants\": {\"kind\": \"resident\", \"season\": \"2026-2028\"}, "
	  "\"form\": []", "/code:format /profile_kinds/1:duplicate "
	  "/documents/1/code:duplicate /grants/season:format" },
	{ DEF_HEAD "\"deadline_days\": 30, \"implicit\": null, "
	  "\"grants\": {\"kind\": \"tourist\", \"season\": \"2026-2027\"}, "
	  "\"form\": []", "/grants/kind:one_of" },
	/* fields: names, types, members */
	{ DEF_OK "\"form\": [" F_TEXT("a") ", " F_TEXT("a") "]",
	  "/form/1/name:duplicate" },
	{ DEF_OK "\"form\": [" F_TEXT("Plate") ", {\"type\": \"text\", "
	  "\"label\": " L "}]", "/form/0/name:format /form/1/name:required" },
	{ DEF_OK "\"form\": [{\"name\": \"a\", \"type\": \"colour\", "
	  "\"label\": " L "}, {\"name\": \"b\", \"label\": " L "}]",
	  "/form/0/type:one_of /form/1/type:required" },
	{ DEF_OK "\"form\": [{\"name\": \"a\", \"type\": \"text\"}]",
	  "/form/0/label:required" },
	{ DEF_OK "\"form\": [{\"name\": \"a\", \"type\": \"text\", "
	  "\"label\": {\"fr\": \"A\", \"en\": \"A\"}}]",
	  "/form/0/label/it:required" },
	{ DEF_OK "\"form\": [{\"name\": \"a\", \"type\": \"text\", "
	  "\"label\": " L ", \"colour\": \"red\", \"required\": \"yes\"}]",
	  "/form/0/colour:unknown /form/0/required:type" },
	{ DEF_OK "\"form\": [{\"name\": \"a\", \"type\": \"number\", "
	  "\"label\": " L ", \"length\": 3, \"options\": []}]",
	  "/form/0/length:not_applicable /form/0/options:not_applicable" },
	{ DEF_OK "\"form\": [{\"name\": \"a\", \"type\": \"textarea\", "
	  "\"label\": " L ", \"pattern\": \"x\", \"length\": 0}]",
	  "/form/0/pattern:not_applicable /form/0/length:minimum" },
	/* choices need options, of unique values */
	{ DEF_OK "\"form\": [{\"name\": \"a\", \"type\": \"choice\", "
	  "\"label\": " L "}, {\"name\": \"b\", \"type\": \"multichoice\", "
	  "\"label\": " L ", \"options\": []}]",
	  "/form/0/options:required /form/1/options:required" },
	{ DEF_OK "\"form\": [{\"name\": \"a\", \"type\": \"choice\", "
	  "\"label\": " L ", \"options\": [" OPT("x") ", " OPT("x") ", "
	  "{\"value\": \"Y\", \"label\": " L "}, {\"value\": \"z\"}]}]",
	  "/form/0/options/1/value:duplicate /form/0/options/2/value:format "
	  "/form/0/options/3/label:type" },
	/* patterns compile (POSIX ERE) */
	{ DEF_OK "\"form\": [{\"name\": \"a\", \"type\": \"text\", "
	  "\"label\": " L ", \"pattern\": \"([a-z\"}]",
	  "/form/0/pattern:pattern" },
	/* bounds */
	{ DEF_OK "\"form\": [{\"name\": \"a\", \"type\": \"number\", "
	  "\"label\": " L ", \"min\": 10, \"max\": 1}, {\"name\": \"b\", "
	  "\"type\": \"date\", \"label\": " L ", \"min\": \"2027-02-30\"}, "
	  "{\"name\": \"c\", \"type\": \"date\", \"label\": " L ", "
	  "\"min\": \"2027-03-01\", \"max\": \"2027-02-01\"}]",
	  "/form/0/min:minimum /form/1/min:format /form/2/min:minimum" },
	/* visible_if: an earlier field, one operator, possible values */
	{ DEF_OK "\"form\": [{\"name\": \"a\", \"type\": \"text\", "
	  "\"label\": " L ", \"visible_if\": {\"field\": \"b\", "
	  "\"present\": true}}, " F_TEXT("b") "]",
	  "/form/0/visible_if/field:forward_reference" },
	{ DEF_OK "\"form\": [{\"name\": \"a\", \"type\": \"text\", "
	  "\"label\": " L ", \"visible_if\": {\"field\": \"a\", "
	  "\"present\": true}}]",
	  "/form/0/visible_if/field:forward_reference" },
	{ DEF_OK "\"form\": [{\"name\": \"a\", \"type\": \"text\", "
	  "\"label\": " L ", \"visible_if\": {\"field\": \"nowhere\", "
	  "\"present\": true}}]", "/form/0/visible_if/field:unknown_field" },
	{ DEF_OK "\"form\": [" F_BOOL("a") ", {\"name\": \"b\", "
	  "\"type\": \"text\", \"label\": " L ", \"visible_if\": "
	  "{\"field\": \"a\", \"equals\": true, \"present\": true}}, "
	  "{\"name\": \"c\", \"type\": \"text\", \"label\": " L ", "
	  "\"visible_if\": {\"field\": \"a\"}}, {\"name\": \"d\", "
	  "\"type\": \"text\", \"label\": " L ", \"visible_if\": "
	  "{\"field\": \"a\", \"equals\": true, \"unless\": 1}}]",
	  "/form/1/visible_if:condition /form/2/visible_if:condition "
	  "/form/3/visible_if/unless:unknown" },
	{ DEF_OK "\"form\": [" F_CHOICE("a") ", " F_BOOL("b") ", "
	  "{\"name\": \"c\", \"type\": \"text\", \"label\": " L ", "
	  "\"visible_if\": {\"field\": \"a\", \"equals\": \"z\"}}, "
	  "{\"name\": \"d\", \"type\": \"text\", \"label\": " L ", "
	  "\"visible_if\": {\"field\": \"a\", \"in\": [\"a\", \"q\"]}}, "
	  "{\"name\": \"e\", \"type\": \"text\", \"label\": " L ", "
	  "\"visible_if\": {\"field\": \"b\", \"equals\": \"true\"}}, "
	  "{\"name\": \"f\", \"type\": \"text\", \"label\": " L ", "
	  "\"visible_if\": {\"field\": \"b\", \"in\": []}}, "
	  "{\"name\": \"g\", \"type\": \"text\", \"label\": " L ", "
	  "\"visible_if\": {\"field\": \"b\", \"present\": 1}}]",
	  "/form/2/visible_if/equals:one_of /form/3/visible_if/in/1:one_of "
	  "/form/4/visible_if/equals:one_of /form/5/visible_if/in:type "
	  "/form/6/visible_if/present:type" },
};

START_TEST(test_definition_table)
{
	json_t	*def, *errors;
	char	 what[32];
	size_t	 i, n;
	int	 bad = 0;

	for (i = 0; i < sizeof(def_cases) / sizeof(def_cases[0]); i++) {
		def = object_of(def_cases[i].def);
		errors = json_array();
		n = definition_check(NULL, def, LANG_EN, errors, NULL);
		snprintf(what, sizeof(what), "definition %zu", i);
		bad += !errors_are(errors, n, def_cases[i].want, what);
		json_decref(def);
	}
	ck_assert_msg(bad == 0, "%d of %zu definitions failed (see above)",
	    bad, sizeof(def_cases) / sizeof(def_cases[0]));
}
END_TEST

/*
 * A definition read back says what it said (definition_parse() and
 * definition_of()), and the localized form keeps one language.
 */
START_TEST(test_definition_round_trip)
{
	json_t			*def, *back, *loc, *field, *errors;
	struct procedure	*p;

	def = object_of(DEF_OK "\"form\": [" F_CHOICE("a") "]");
	errors = json_array();
	ck_assert_uint_eq(definition_check(NULL, def, LANG_EN, errors, NULL),
	    0);
	json_decref(errors);
	p = definition_parse(def);
	ck_assert_int_eq(p->deadline_days, 60);
	ck_assert_int_eq(p->implicit, IMPLICIT_ACCEPTANCE);
	ck_assert_str_eq(p->title[LANG_IT], "Dehors");
	back = definition_of(p);
	ck_assert_msg(json_equal(def, back), "round trip: %s",
	    json_dumps(back, JSON_SORT_KEYS));
	p->version = 3;
	loc = procedure_localized(p, LANG_IT);
	ck_assert_str_eq(json_str(loc, "title"), "Dehors");
	field = json_array_get(json_object_get(loc, "form"), 0);
	ck_assert_str_eq(json_str(field, "label"), "Etichetta");
	ck_assert_str_eq(json_str(json_array_get(json_object_get(field,
	    "options"), 1), "label"), "Etichetta");
	ck_assert_str_eq(json_str(json_array_get(json_object_get(loc,
	    "documents"), 0), "label"), "Etichetta");
	ck_assert_int_eq(json_integer_value(json_object_get(loc, "version")),
	    3);
	json_decref(loc);
	json_decref(back);
	json_decref(def);
	procedure_free(p);
}
END_TEST

/*
 * The demo town's procedures (sql/demo/procedures): each definition is
 * valid, a realistic submission of each passes, and a faulty one gives
 * exactly the errors it should.
 */
#define ADR	"{\"numero\": 12, \"nom_voie\": \"Route d'Italie\", " \
		"\"code_postal\": \"05100\", \"nom_commune\": \"Montgenèvre\", " \
		"\"code_insee\": \"05085\"}"
#define FILE_ID	"\"7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\""
#define SEASON	"\"employeur\": \"ESF Montgenèvre\", " \
		"\"debut_contrat\": \"2026-12-01\", \"fin_contrat\": \"2027-04-15\""

static const struct {
	const char	*file;
	const char	*good;		/* a submission that passes */
	const char	*bad;		/* one that does not */
	const char	*want;		/* its errors, any order */
} demo_cases[] = {
	{ "01_stationnement_resident.json",
	  "\"adresse\": " ADR ", \"residence\": \"principale\", "
	  "\"secteur\": \"village\", \"immatriculation\": \"AB-123-CD\", "
	  "\"titulaire\": \"demandeur\", \"second_vehicule\": true, "
	  "\"immatriculation_2\": \"EF-456-GH\", \"certification\": true",
	  "\"adresse\": " ADR ", \"residence\": \"principale\", "
	  "\"secteur\": \"village\", \"immatriculation\": \"ab 123\", "
	  "\"titulaire\": \"employeur\", \"immatriculation_2\": \"EF-456-GH\", "
	  "\"certification\": true",
	  "/form/immatriculation:pattern /form/attestation_employeur:required "
	  "/form/immatriculation_2:hidden" },
	{ "02_stationnement_saisonnier.json",
	  SEASON ", \"secteur_activite\": \"ecole_ski\", \"hebergement\": " ADR
	  ", \"immatriculation\": \"DE123456\", \"covoiturage\": true, "
	  "\"passagers\": 2, \"telephone\": \"+393331234567\", "
	  "\"certification\": true",
	  SEASON ", \"secteur_activite\": \"autre\", \"hebergement\": " ADR
	  ", \"immatriculation\": \"DE123456\", \"passagers\": 2, "
	  "\"telephone\": \"0612\", \"certification\": true",
	  "/form/secteur_precision:required /form/passagers:hidden "
	  "/form/telephone:format" },
	{ "03_logement_saisonnier.json",
	  SEASON ", \"arrivee\": \"2026-11-28\", \"occupants\": 1, "
	  "\"type_logement\": [\"chambre_partagee\", \"studio\"], "
	  "\"loyer_max\": 450, \"adresse_actuelle\": {\"nom_voie\": "
	  "\"Rue de la République\", \"numero\": 3, \"code_postal\": \"69002\", "
	  "\"nom_commune\": \"Lyon\"}, \"telephone\": \"06 12 34 56 78\", "
	  "\"certification\": true",
	  SEASON ", \"arrivee\": \"2026-11-28\", \"occupants\": 6, "
	  "\"type_logement\": [], \"vehicule\": true, "
	  "\"adresse_actuelle\": " ADR ", \"telephone\": \"06 12 34 56 78\", "
	  "\"certification\": true",
	  "/form/occupants:maximum /form/type_logement:required "
	  "/form/immatriculation:required" },
	{ "04_terrasse.json",
	  "\"etablissement\": \"Le Chalet du Col\", \"siret\": \"12345678900012\", "
	  "\"adresse\": " ADR ", \"periode\": \"hiver\", "
	  "\"debut\": \"2026-12-12\", \"fin\": \"2027-04-18\", \"surface\": 24.5, "
	  "\"mobilier\": [\"tables_chaises\", \"paravents\"], "
	  "\"hauteur_paravents\": 1.2, \"plan\": " FILE_ID ", "
	  "\"certification\": true",
	  "\"etablissement\": \"Le Chalet du Col\", \"siret\": \"123 456 789\", "
	  "\"adresse\": " ADR ", \"periode\": \"hiver\", "
	  "\"debut\": \"2026-12-12\", \"fin\": \"2027-04-18\", \"surface\": 400, "
	  "\"mobilier\": [\"tables_chaises\", \"chauffage\"], "
	  "\"certification\": true",
	  "/form/siret:pattern /form/surface:maximum /form/mobilier/1:one_of "
	  "/form/plan:required" },
	{ "05_manifestation.json",
	  "\"nom\": \"Descente aux flambeaux\", \"nature\": \"fete\", "
	  "\"organisateur\": \"association\", \"structure\": \"Comité des fêtes\", "
	  "\"date_debut\": \"2026-12-31\", \"date_fin\": \"2026-12-31\", "
	  "\"horaires\": \"18:00-23:30\", \"lieu\": \"front_de_neige\", "
	  "\"public\": 800, \"sonorisation\": true, \"fin_sonorisation\": "
	  "\"23:00\", \"buvette\": true, \"boissons\": \"groupe_3\", "
	  "\"contact_jour_j\": \"04 92 21 52 52\", \"certification\": true",
	  "\"nom\": \"Trail du Chaberton\", \"nature\": \"sportive\", "
	  "\"organisateur\": \"personne\", \"structure\": \"Moi\", "
	  "\"date_debut\": \"2027-07-14\", \"date_fin\": \"2027-07-14\", "
	  "\"horaires\": \"8h-18h\", \"lieu\": \"route\", \"public\": 300, "
	  "\"contact_jour_j\": \"04 92 21 52 52\", \"certification\": true",
	  "/form/structure:hidden /form/horaires:pattern /form/parcours:required" },
	{ "06_encombrants.json",
	  "\"adresse\": " ADR ", \"objets\": [\"meubles\", \"autre\"], "
	  "\"autre_objet\": \"Un vieux poêle à bois\", \"volume\": 2, "
	  "\"jour\": \"jeudi\", \"telephone\": \"06 12 34 56 78\"",
	  "\"adresse\": {\"nom_commune\": \"Montgenèvre\", "
	  "\"code_postal\": \"05100\"}, \"objets\": [\"meubles\"], "
	  "\"volume\": 5, \"jour\": \"samedi\", \"telephone\": \"06 12 34 56 78\"",
	  "/form/adresse/nom_voie:required /form/volume:maximum /form/jour:one_of" },
	{ "07_acte_etat_civil.json",
	  "\"acte\": \"mariage\", \"forme\": \"extrait_filiation\", "
	  "\"lien\": \"moi\", \"nom\": \"Martin\", \"prenoms\": \"Léa Anne\", "
	  "\"date_evenement\": \"2019-06-22\", \"nom_pere\": \"Martin Paul\", "
	  "\"nom_mere\": \"Durand Anne\", \"conjoint\": \"Rossi Marco\", "
	  "\"exemplaires\": 2, \"remise\": \"courrier\", "
	  "\"adresse_envoi\": " ADR,
	  "\"acte\": \"naissance\", \"forme\": \"extrait_sans_filiation\", "
	  "\"lien\": \"enfant\", \"nom\": \"Martin\", \"prenoms\": \"Jules\", "
	  "\"date_evenement\": \"2021-02-30\", \"nom_pere\": \"Martin Paul\", "
	  "\"conjoint\": \"X\", \"exemplaires\": 1, \"remise\": \"guichet\"",
	  "/form/date_evenement:format /form/nom_pere:hidden /form/conjoint:hidden" },
	{ "08_forfait_resident.json",
	  "\"adresse\": " ADR ", \"depuis\": \"2015-09-01\", "
	  "\"date_naissance\": \"2014-03-02\", \"photo\": " FILE_ID ", "
	  "\"certification\": true",
	  "\"adresse\": " ADR ", \"depuis\": \"2015-09-01\", "
	  "\"date_naissance\": \"2014-03-02\", \"numero_carte\": \"12\", "
	  "\"certification\": false",
	  "/form/photo:required /form/numero_carte:pattern "
	  "/form/certification:required" },
	{ "09_forfait_saisonnier.json",
	  SEASON ", \"date_naissance\": \"2001-11-20\", \"photo\": " FILE_ID ", "
	  "\"numero_carte\": \"01-1614-2587-96\", \"certification\": true",
	  "\"employeur\": \"ESF\", \"debut_contrat\": \"2026-12-01\", "
	  "\"date_naissance\": \"2001-11-20\", \"photo\": \"photo.jpg\", "
	  "\"certification\": true",
	  "/form/fin_contrat:required /form/photo:format" },
	{ "10_forfait_residence_secondaire.json",
	  "\"adresse_residence\": " ADR ", \"occupation\": \"proprietaire\", "
	  "\"avis_taxe_habitation\": " FILE_ID ", \"numero_fiscal\": "
	  "\"3012345678901\", \"date_naissance\": \"1968-05-14\", "
	  "\"certification\": true",
	  "\"adresse_residence\": " ADR ", \"occupation\": \"vacancier\", "
	  "\"numero_fiscal\": \"30 12 345\", \"date_naissance\": "
	  "\"1968-05-14\", \"certification\": true",
	  "/form/occupation:one_of /form/avis_taxe_habitation:required "
	  "/form/numero_fiscal:pattern" },
};

/* The demo file 'name' as a procedure, its definition checked. */
static struct procedure *
demo_procedure(const char *name, json_t **def)
{
	json_error_t	 e;
	json_t		*errors;
	char		*rel, *path;
	size_t		 n;

	if (asprintf(&rel, "sql/demo/procedures/%s", name) == -1)
		abort();
	path = unit_src(rel);
	free(rel);
	if (path == NULL)
		return (NULL);
	*def = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	ck_assert_msg(*def != NULL, "%s: %s", path, e.text);
	errors = json_array();
	n = definition_check(NULL, *def, LANG_EN, errors, NULL);
	ck_assert_msg(n == 0, "%s: %s", path, json_dumps(errors, 0));
	json_decref(errors);
	free(path);
	return (definition_parse(*def));
}

START_TEST(test_demo_procedures)
{
	struct procedure	*p;
	json_t			*def, *a, *errors;
	size_t			 i;
	int			 bad = 0, grants = 0;

	for (i = 0; i < sizeof(demo_cases) / sizeof(demo_cases[0]); i++) {
		if ((p = demo_procedure(demo_cases[i].file, &def)) == NULL)
			return;		/* no source tree: nothing to read */
		/* Three languages, each its own. */
		ck_assert_str_ne(p->title[LANG_FR], p->title[LANG_EN]);
		ck_assert_str_ne(p->description[LANG_EN],
		    p->description[LANG_IT]);
		grants += p->grants != NULL;
		a = object_of(demo_cases[i].good);
		errors = json_array();
		if (procedures_check_form(p, a, 1, LANG_FR, errors) != 0) {
			fprintf(stderr, "%s: the good submission fails: %s\n",
			    demo_cases[i].file, json_dumps(errors, 0));
			bad++;
		}
		json_decref(errors);
		json_decref(a);
		bad += !form_gives(p, demo_cases[i].bad, 1, LANG_FR,
		    demo_cases[i].want, demo_cases[i].file);
		json_decref(def);
		procedure_free(p);
	}
	ck_assert_msg(bad == 0, "%d demo cases failed (see above)", bad);
	ck_assert_int_eq(grants, 3);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_form_answers_table,
	&test_form_answers_not_object,
	&test_form_messages_languages,
	&test_form_errors_capped,
	&test_definition_table,
	&test_definition_round_trip,
	&test_demo_procedures,
	NULL
};

const struct test_group test_groups[] = {
	{ "form", TEST_TIMEOUT_CHECK, NULL, NULL, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
