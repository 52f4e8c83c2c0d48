/*
 * form.c: a procedure's form (procedures.h): the check of a person's
 * answers (procedures_check_form()) and the check of a form's definition
 * when an administrator saves one (form_check_definition()).
 *
 * A form is an array of fields, in the order people see them:
 *
 *   {"name": "plate", "type": "text", "required": true,
 *    "label": {"fr": ..., "en": ..., "it": ...}, "help": {...},
 *    "length": 12, "pattern": "[A-Z]{2}-[0-9]{3}-[A-Z]{2}",
 *    "visible_if": {"field": "has_vehicle", "equals": true}}
 *
 * Members by type ("-" not allowed):
 *   text, textarea  length (most characters: 200 and 4000 by default);
 *                   pattern (text only: a POSIX extended regular
 *                   expression the whole answer must match)
 *   number          min, max (numbers); integer (true: no fraction)
 *   date            min, max ("YYYY-MM-DD")
 *   choice          options [{value, label{fr,en,it}}] (required)
 *   multichoice     options; min, max (how many may be ticked)
 *   email, phone, boolean, address, geo, file: none of these
 * Answers: text, textarea, email, phone ("+33612345678" or a French
 * "06 12 34 56 78"), date, choice (an option's value) and file (the UUID
 * of a file of the files module) are strings; number a number; boolean
 * true or false (a required boolean is a box that must be ticked: true,
 * as HTML's required checkbox); multichoice an array of option values;
 * address an object of Base Adresse Nationale fields (id, numero, rep,
 * nom_voie, nom_ld, code_postal, nom_commune, code_insee, lon, lat: the
 * columns of the BAN's CSV); geo {"lat", "lon"}.  Null, "" and [] are
 * "no answer".
 *
 * visible_if: a field is shown only when a condition on an EARLIER field
 * holds (so that there can be no cycle), exactly one of
 *   {"field": F, "equals": V}     F's answer is V (a string, number or
 *                                 boolean; for a multichoice F, V is
 *                                 among the ticked values)
 *   {"field": F, "in": [V, ...]}  F's answer is one of them (for a
 *                                 multichoice, one ticked value is)
 *   {"field": F, "present": B}    F has an answer (B true) or none
 * and F itself is shown: a field that depends on a hidden field is
 * hidden, so chains work.  A hidden field's answer is refused ("hidden");
 * a shown required field without an answer is refused ("required") at
 * submission only.  When F's own answer is invalid, whether a field
 * depending on it is shown is unknown: neither "hidden" nor "required"
 * is reported for it, only what is wrong with its own value.
 */
#include <sys/types.h>

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/xmalloc.h"
#include "json/check.h"
#include "procedures/procedures_int.h"

static const char *const messages[LANG__COUNT][FM__COUNT] = {
	[LANG_FR] = {
		[FM_UNKNOWN_FIELD] = "ce formulaire n'a pas ce champ",
		[FM_HIDDEN] = "ce champ ne s'applique pas compte tenu des "
		    "autres réponses : laissez-le vide",
		[FM_REQUIRED] = "ce champ est obligatoire",
		[FM_CHECKED] = "cette case doit être cochée",
		[FM_TEXT] = "doit être un texte",
		[FM_NUMBER] = "doit être un nombre",
		[FM_INTEGER] = "doit être un nombre entier",
		[FM_BOOLEAN] = "doit être true ou false",
		[FM_LIST] = "doit être une liste",
		[FM_OBJECT] = "doit être un objet",
		[FM_MAX_CHARS] = "au plus {n} caractères",
		[FM_MIN_NUMBER] = "doit être supérieur ou égal à {n}",
		[FM_MAX_NUMBER] = "doit être inférieur ou égal à {n}",
		[FM_MIN_DATE] = "doit être le {n} ou après",
		[FM_MAX_DATE] = "doit être le {n} ou avant",
		[FM_MIN_ITEMS] = "choisissez-en au moins {n}",
		[FM_MAX_ITEMS] = "choisissez-en au plus {n}",
		[FM_DATE] = "doit être une date valide (AAAA-MM-JJ)",
		[FM_EMAIL] = "doit être une adresse électronique",
		[FM_PHONE] = "doit être un numéro de téléphone (06 12 34 56 78 "
		    "ou +33612345678)",
		[FM_FILE] = "doit être l'identifiant d'un fichier envoyé",
		[FM_CHOICE] = "doit être l'une des valeurs proposées : {n}",
		[FM_TWICE] = "cette valeur est choisie deux fois",
		[FM_PATTERN] = "n'a pas la forme attendue",
		[FM_POSTCODE] = "doit être un code postal à 5 chiffres",
		[FM_ADDRESS_STREET] = "indiquez la voie ou le lieu-dit",
		[FM_LATITUDE] = "doit être une latitude, de -90 à 90",
		[FM_LONGITUDE] = "doit être une longitude, de -180 à 180",
		[FM_UNKNOWN_MEMBER] = "membre inconnu",
		[FM_VALUE] = "doit être une valeur en minuscules, chiffres et _ "
		    "(48 caractères au plus)",
		[FM_NAME] = "doit être un nom en minuscules, chiffres et _ "
		    "commençant par une lettre (48 caractères au plus)",
		[FM_DUPLICATE] = "un autre champ porte déjà ce nom : {n}",
		[FM_TYPE] = "type inconnu ; types connus : {n}",
		[FM_NOT_FOR_TYPE] = "ne s'applique pas à un champ de type {n}",
		[FM_OPTIONS_NEEDED] = "un champ de type {n} a besoin d'options",
		[FM_BAD_PATTERN] = "n'est pas une expression régulière POSIX "
		    "étendue valide",
		[FM_MIN_ABOVE_MAX] = "min est supérieur à max",
		[FM_COND_FIELD] = "aucun champ précédent ne s'appelle ainsi",
		[FM_COND_LATER] = "doit désigner un champ placé avant celui-ci",
		[FM_COND_ONE] = "une condition a exactement un de equals, in ou "
		    "present",
		[FM_COND_VALUE] = "cette valeur n'est pas une réponse possible "
		    "du champ {n}",
		[FM_DEPARTMENT] = "aucun service n'a ce code",
		[FM_THEME] = "aucun thème de service-public.fr n'a ce code",
		[FM_SEASON] = "doit être une saison comme 2026-2027",
		[FM_GRANTS_KIND] = "doit valoir resident ou seasonal_worker",
	},
	[LANG_EN] = {
		[FM_UNKNOWN_FIELD] = "this form has no such field",
		[FM_HIDDEN] = "this field does not apply given the other "
		    "answers: leave it out",
		[FM_REQUIRED] = "this field is required",
		[FM_CHECKED] = "this box must be ticked",
		[FM_TEXT] = "must be a text",
		[FM_NUMBER] = "must be a number",
		[FM_INTEGER] = "must be a whole number",
		[FM_BOOLEAN] = "must be true or false",
		[FM_LIST] = "must be a list",
		[FM_OBJECT] = "must be an object",
		[FM_MAX_CHARS] = "at most {n} characters",
		[FM_MIN_NUMBER] = "must be at least {n}",
		[FM_MAX_NUMBER] = "must be at most {n}",
		[FM_MIN_DATE] = "must be on or after {n}",
		[FM_MAX_DATE] = "must be on or before {n}",
		[FM_MIN_ITEMS] = "choose at least {n}",
		[FM_MAX_ITEMS] = "choose at most {n}",
		[FM_DATE] = "must be a valid date (YYYY-MM-DD)",
		[FM_EMAIL] = "must be an email address",
		[FM_PHONE] = "must be a phone number (+33612345678 or "
		    "06 12 34 56 78)",
		[FM_FILE] = "must be the id of an uploaded file",
		[FM_CHOICE] = "must be one of the values offered: {n}",
		[FM_TWICE] = "this value is chosen twice",
		[FM_PATTERN] = "is not in the expected form",
		[FM_POSTCODE] = "must be a 5-digit postcode",
		[FM_ADDRESS_STREET] = "give the street or the place name",
		[FM_LATITUDE] = "must be a latitude, from -90 to 90",
		[FM_LONGITUDE] = "must be a longitude, from -180 to 180",
		[FM_UNKNOWN_MEMBER] = "unknown member",
		[FM_VALUE] = "must be a value of lower-case letters, digits and _ "
		    "(at most 48 characters)",
		[FM_NAME] = "must be a name of lower-case letters, digits and _ "
		    "starting with a letter (at most 48 characters)",
		[FM_DUPLICATE] = "another field already has this name: {n}",
		[FM_TYPE] = "unknown type; the types are: {n}",
		[FM_NOT_FOR_TYPE] = "does not apply to a field of type {n}",
		[FM_OPTIONS_NEEDED] = "a field of type {n} needs options",
		[FM_BAD_PATTERN] = "is not a valid POSIX extended regular "
		    "expression",
		[FM_MIN_ABOVE_MAX] = "min is greater than max",
		[FM_COND_FIELD] = "no earlier field has this name",
		[FM_COND_LATER] = "must name a field placed before this one",
		[FM_COND_ONE] = "a condition has exactly one of equals, in or "
		    "present",
		[FM_COND_VALUE] = "this value is not a possible answer of field "
		    "{n}",
		[FM_DEPARTMENT] = "no department has this code",
		[FM_THEME] = "no service-public.fr theme has this code",
		[FM_SEASON] = "must be a season such as 2026-2027",
		[FM_GRANTS_KIND] = "must be resident or seasonal_worker",
	},
	[LANG_IT] = {
		[FM_UNKNOWN_FIELD] = "questo modulo non ha questo campo",
		[FM_HIDDEN] = "questo campo non si applica date le altre "
		    "risposte: lasciarlo vuoto",
		[FM_REQUIRED] = "questo campo è obbligatorio",
		[FM_CHECKED] = "questa casella deve essere spuntata",
		[FM_TEXT] = "deve essere un testo",
		[FM_NUMBER] = "deve essere un numero",
		[FM_INTEGER] = "deve essere un numero intero",
		[FM_BOOLEAN] = "deve essere true o false",
		[FM_LIST] = "deve essere un elenco",
		[FM_OBJECT] = "deve essere un oggetto",
		[FM_MAX_CHARS] = "al massimo {n} caratteri",
		[FM_MIN_NUMBER] = "deve essere maggiore o uguale a {n}",
		[FM_MAX_NUMBER] = "deve essere minore o uguale a {n}",
		[FM_MIN_DATE] = "deve essere il {n} o dopo",
		[FM_MAX_DATE] = "deve essere il {n} o prima",
		[FM_MIN_ITEMS] = "sceglierne almeno {n}",
		[FM_MAX_ITEMS] = "sceglierne al massimo {n}",
		[FM_DATE] = "deve essere una data valida (AAAA-MM-GG)",
		[FM_EMAIL] = "deve essere un indirizzo email",
		[FM_PHONE] = "deve essere un numero di telefono (+39… o "
		    "06 12 34 56 78)",
		[FM_FILE] = "deve essere l'identificativo di un file caricato",
		[FM_CHOICE] = "deve essere uno dei valori proposti: {n}",
		[FM_TWICE] = "questo valore è scelto due volte",
		[FM_PATTERN] = "non ha la forma prevista",
		[FM_POSTCODE] = "deve essere un codice postale di 5 cifre",
		[FM_ADDRESS_STREET] = "indicare la via o la località",
		[FM_LATITUDE] = "deve essere una latitudine, da -90 a 90",
		[FM_LONGITUDE] = "deve essere una longitudine, da -180 a 180",
		[FM_UNKNOWN_MEMBER] = "membro sconosciuto",
		[FM_VALUE] = "deve essere un valore di lettere minuscole, cifre e "
		    "_ (al massimo 48 caratteri)",
		[FM_NAME] = "deve essere un nome di lettere minuscole, cifre e _ "
		    "che inizia con una lettera (al massimo 48 caratteri)",
		[FM_DUPLICATE] = "un altro campo ha già questo nome: {n}",
		[FM_TYPE] = "tipo sconosciuto; i tipi sono: {n}",
		[FM_NOT_FOR_TYPE] = "non si applica a un campo di tipo {n}",
		[FM_OPTIONS_NEEDED] = "un campo di tipo {n} ha bisogno di opzioni",
		[FM_BAD_PATTERN] = "non è un'espressione regolare POSIX estesa "
		    "valida",
		[FM_MIN_ABOVE_MAX] = "min è maggiore di max",
		[FM_COND_FIELD] = "nessun campo precedente ha questo nome",
		[FM_COND_LATER] = "deve indicare un campo posto prima di questo",
		[FM_COND_ONE] = "una condizione ha esattamente uno tra equals, "
		    "in e present",
		[FM_COND_VALUE] = "questo valore non è una risposta possibile "
		    "del campo {n}",
		[FM_DEPARTMENT] = "nessun servizio ha questo codice",
		[FM_THEME] = "nessun tema di service-public.fr ha questo codice",
		[FM_SEASON] = "deve essere una stagione come 2026-2027",
		[FM_GRANTS_KIND] = "deve essere resident o seasonal_worker",
	},
};

void
form_error(json_t *errors, size_t *count, const char *path,
    const char *code, enum form_msg id, enum lang lang, const char *arg)
{
	const char	*t, *ph;
	struct buf	 m;

	if ((unsigned)lang >= LANG__COUNT)
		lang = LANG_FR;
	(*count)++;
	if (json_array_size(errors) >= JSON_ERRORS_MAX)
		return;
	t = messages[lang][id];
	buf_init(&m);
	/* "{n}", not a printf format: the table stays out of printf's reach. */
	if (arg != NULL && (ph = strstr(t, "{n}")) != NULL) {
		buf_add(&m, t, (size_t)(ph - t));
		buf_adds(&m, arg);
		buf_adds(&m, ph + 3);
	} else
		buf_adds(&m, t);
	json_error_add(errors, path, code, m.data);
	buf_cleanup(&m);
}

/* The field types, in the order of procedures.h. */
enum field_type {
	FT_TEXT, FT_TEXTAREA, FT_NUMBER, FT_DATE, FT_EMAIL, FT_PHONE,
	FT_CHOICE, FT_MULTICHOICE, FT_BOOLEAN, FT_ADDRESS, FT_GEO, FT_FILE,
	FT__COUNT
};

static const char *const type_names[FT__COUNT] = {
	[FT_TEXT] = "text", [FT_TEXTAREA] = "textarea",
	[FT_NUMBER] = "number", [FT_DATE] = "date", [FT_EMAIL] = "email",
	[FT_PHONE] = "phone", [FT_CHOICE] = "choice",
	[FT_MULTICHOICE] = "multichoice", [FT_BOOLEAN] = "boolean",
	[FT_ADDRESS] = "address", [FT_GEO] = "geo", [FT_FILE] = "file",
};

/* The members a field may have beyond name, type, required, label, help
 * and visible_if, by type (a bit per member of member_names). */
static const char *const member_names[] = { "length", "pattern", "min",
    "max", "integer", "options", NULL };
#define MB_LENGTH	0x01
#define MB_PATTERN	0x02
#define MB_MIN		0x04
#define MB_MAX		0x08
#define MB_INTEGER	0x10
#define MB_OPTIONS	0x20

static const unsigned type_members[FT__COUNT] = {
	[FT_TEXT] = MB_LENGTH | MB_PATTERN,
	[FT_TEXTAREA] = MB_LENGTH,
	[FT_NUMBER] = MB_MIN | MB_MAX | MB_INTEGER,
	[FT_DATE] = MB_MIN | MB_MAX,
	[FT_CHOICE] = MB_OPTIONS,
	[FT_MULTICHOICE] = MB_OPTIONS | MB_MIN | MB_MAX,
};

#define TEXT_LENGTH	200
#define TEXTAREA_LENGTH	4000
#define LENGTH_MAX	10000

static enum field_type
type_of(const json_t *field)
{
	const char	*t = json_str(field, "type");
	int		 i;

	for (i = 0; t != NULL && i < FT__COUNT; i++)
		if (strcmp(type_names[i], t) == 0)
			return ((enum field_type)i);
	return (FT__COUNT);
}

/* "/form/<name>" (names are [a-z0-9_]; another key is escaped, RFC 6901). */
static void
pointer(struct buf *b, const char *name, const char *sub)
{
	buf_reset(b);
	buf_adds(b, "/form/");
	for (; *name != '\0'; name++)
		if (*name == '~')
			buf_adds(b, "~0");
		else if (*name == '/')
			buf_adds(b, "~1");
		else
			buf_addc(b, *name);
	if (sub != NULL)
		buf_adds(b, sub);
}

/* Answers. */

struct answers {
	const json_t	*form;
	const json_t	*answers;
	enum lang	 lang;
	json_t		*errors;
	size_t		 count;
	struct buf	 path;
};

static void
fail(struct answers *a, const char *name, const char *sub, const char *code,
    enum form_msg id, const char *arg)
{
	pointer(&a->path, name, sub);
	form_error(a->errors, &a->count, a->path.data, code, id, a->lang,
	    arg);
}

/* No answer: absent, null, "" or []. */
static int
answered(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return (0);
	if (json_is_string(v) && json_string_value(v)[0] == '\0')
		return (0);
	if (json_is_array(v) && json_array_size(v) == 0)
		return (0);
	return (1);
}

static void
number_text(double d, char *out, size_t len)
{
	snprintf(out, len, "%.15g", d);
}

/* 'v' (a string) is the value of one of 'field''s options. */
static int
option_ok(const json_t *field, const char *v)
{
	const json_t	*o;
	const char	*ov;
	size_t		 i;

	json_array_foreach(json_object_get(field, "options"), i, o) {
		ov = json_str(o, "value");
		if (ov != NULL && strcmp(ov, v) == 0)
			return (1);
	}
	return (0);
}

static void
options_list(const json_t *field, struct buf *b)
{
	const json_t	*o;
	size_t		 i;

	buf_reset(b);
	json_array_foreach(json_object_get(field, "options"), i, o) {
		if (i > 0)
			buf_adds(b, ", ");
		buf_adds(b, json_str(o, "value") != NULL ?
		    json_str(o, "value") : "");
	}
}

/* A French or international phone number, spaces, dots and dashes aside. */
static int
phone_ok(const char *s)
{
	char	 d[24];
	size_t	 n = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '.' || *s == '-')
			continue;
		if (n == sizeof(d) - 1 || (!isdigit((unsigned char)*s) &&
		    !(*s == '+' && n == 0)))
			return (0);
		d[n++] = *s;
	}
	d[n] = '\0';
	if (d[0] == '+')
		return (json_format_ok(JF_E164, d));
	return (n == 10 && d[0] == '0' && d[1] >= '1' && d[1] <= '9');
}

static int
pattern_match(const char *pattern, const char *s)
{
	regex_t	 re;
	char	*full;
	int	 ok;

	xasprintf(&full, "^(%s)$", pattern);
	if (regcomp(&re, full, REG_EXTENDED | REG_NOSUB) != 0) {
		free(full);
		return (1);	/* checked when saved: cannot happen */
	}
	ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	free(full);
	return (ok);
}

static const struct json_field address_fields[] = {
	{ .name = "id", .kind = JK_STRING, .min_len = 1, .max_len = 60 },
	{ .name = "numero", .kind = JK_INTEGER, .min = 0, .max = 99999 },
	{ .name = "rep", .kind = JK_STRING, .min_len = 1, .max_len = 10 },
	{ .name = "nom_voie", .kind = JK_STRING, .min_len = 1,
	  .max_len = 200 },
	{ .name = "nom_ld", .kind = JK_STRING, .min_len = 1, .max_len = 200 },
	{ .name = "code_postal", .kind = JK_STRING, .flags = JF_REQUIRED },
	{ .name = "nom_commune", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 100 },
	{ .name = "code_insee", .kind = JK_STRING, .format = JF_INSEE },
	{ .name = "lon", .kind = JK_NUMBER },
	{ .name = "lat", .kind = JK_NUMBER },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, JK_END }
};
static const struct json_spec address_spec = { .name = "Address",
    .fields = address_fields };

static const struct json_field geo_fields[] = {
	{ .name = "lat", .kind = JK_NUMBER, .flags = JF_REQUIRED },
	{ .name = "lon", .kind = JK_NUMBER, .flags = JF_REQUIRED },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, JK_END }
};
static const struct json_spec geo_spec = { .name = "Geo",
    .fields = geo_fields };

/* lat and lon of 'v' (numbers, when there) in range. */
static void
check_position(struct answers *a, const char *name, const json_t *v)
{
	const json_t	*lat = json_object_get(v, "lat");
	const json_t	*lon = json_object_get(v, "lon");

	if (json_is_number(lat) && (json_number_value(lat) < -90 ||
	    json_number_value(lat) > 90))
		fail(a, name, "/lat", "minimum", FM_LATITUDE, NULL);
	if (json_is_number(lon) && (json_number_value(lon) < -180 ||
	    json_number_value(lon) > 180))
		fail(a, name, "/lon", "minimum", FM_LONGITUDE, NULL);
}

size_t
form_check_under(const json_t *v, const struct json_spec *spec,
    const char *prefix, enum lang lang, json_t *errors, size_t *count)
{
	json_t	*errs = json_array(), *e;
	size_t	 n, i;
	char	*at;

	n = json_check(v, spec, lang, errs);
	json_array_foreach(errs, i, e) {
		if (json_array_size(errors) >= JSON_ERRORS_MAX)
			break;
		xasprintf(&at, "%s%s", prefix, json_str(e, "field"));
		json_error_add(errors, at, json_str(e, "code"),
		    json_str(e, "message"));
		free(at);
	}
	*count += n;
	json_decref(errs);
	return (n);
}

/* An object answer checked by json_check(), its errors under /form/<name>. */
static size_t
check_object_value(struct answers *a, const char *name, const json_t *v,
    const struct json_spec *spec)
{
	pointer(&a->path, name, NULL);
	return (form_check_under(v, spec, a->path.data, a->lang, a->errors,
	    &a->count));
}

static void
check_address(struct answers *a, const char *name, const json_t *v)
{
	const char	*cp = json_str(v, "code_postal");

	(void)check_object_value(a, name, v, &address_spec);
	if (cp != NULL && (strlen(cp) != 5 || strspn(cp, "0123456789") != 5))
		fail(a, name, "/code_postal", "format", FM_POSTCODE, NULL);
	if (!answered(json_object_get(v, "nom_voie")) &&
	    !answered(json_object_get(v, "nom_ld")))
		fail(a, name, "/nom_voie", "required", FM_ADDRESS_STREET, NULL);
	check_position(a, name, v);
}

static void
check_multichoice(struct answers *a, const json_t *field, const char *name,
    const json_t *v)
{
	const json_t	*it, *other, *lim;
	struct buf	 opts;
	size_t		 i, k;
	char		 n[32], sub[32];

	if (!json_is_array(v)) {
		fail(a, name, NULL, "type", FM_LIST, NULL);
		return;
	}
	buf_init(&opts);
	options_list(field, &opts);
	json_array_foreach(v, i, it) {
		snprintf(sub, sizeof(sub), "/%zu", i);
		if (!json_is_string(it) || !option_ok(field,
		    json_string_value(it))) {
			fail(a, name, sub, "one_of", FM_CHOICE, opts.data);
			continue;
		}
		for (k = 0; k < i; k++) {
			other = json_array_get(v, k);
			if (json_equal(other, it)) {
				fail(a, name, sub, "duplicate", FM_TWICE, NULL);
				break;
			}
		}
	}
	buf_cleanup(&opts);
	if (json_is_integer(lim = json_object_get(field, "min")) &&
	    (json_int_t)json_array_size(v) < json_integer_value(lim)) {
		snprintf(n, sizeof(n), "%lld",
		    (long long)json_integer_value(lim));
		fail(a, name, NULL, "min_items", FM_MIN_ITEMS, n);
	}
	if (json_is_integer(lim = json_object_get(field, "max")) &&
	    (json_int_t)json_array_size(v) > json_integer_value(lim)) {
		snprintf(n, sizeof(n), "%lld",
		    (long long)json_integer_value(lim));
		fail(a, name, NULL, "max_items", FM_MAX_ITEMS, n);
	}
}

static void
check_number(struct answers *a, const json_t *field, const char *name,
    const json_t *v)
{
	const json_t	*lim;
	double		 d;
	char		 n[40];

	if (!json_is_number(v)) {
		fail(a, name, NULL, "type", FM_NUMBER, NULL);
		return;
	}
	d = json_number_value(v);
	if (json_is_true(json_object_get(field, "integer")) &&
	    !json_is_integer(v)) {
		fail(a, name, NULL, "type", FM_INTEGER, NULL);
		return;
	}
	if (json_is_number(lim = json_object_get(field, "min")) &&
	    d < json_number_value(lim)) {
		number_text(json_number_value(lim), n, sizeof(n));
		fail(a, name, NULL, "minimum", FM_MIN_NUMBER, n);
	}
	if (json_is_number(lim = json_object_get(field, "max")) &&
	    d > json_number_value(lim)) {
		number_text(json_number_value(lim), n, sizeof(n));
		fail(a, name, NULL, "maximum", FM_MAX_NUMBER, n);
	}
}

static void
check_date(struct answers *a, const json_t *field, const char *name,
    const char *s)
{
	const char	*lim;

	if (!json_format_ok(JF_DATE, s)) {
		fail(a, name, NULL, "format", FM_DATE, NULL);
		return;
	}
	/* YYYY-MM-DD compare as strings. */
	if ((lim = json_str(field, "min")) != NULL && strcmp(s, lim) < 0)
		fail(a, name, NULL, "minimum", FM_MIN_DATE, lim);
	if ((lim = json_str(field, "max")) != NULL && strcmp(s, lim) > 0)
		fail(a, name, NULL, "maximum", FM_MAX_DATE, lim);
}

static void
check_text(struct answers *a, const json_t *field, const char *name,
    enum field_type t, const char *s)
{
	const json_t	*len = json_object_get(field, "length");
	const char	*pat = json_str(field, "pattern");
	long long	 max = t == FT_TEXT ? TEXT_LENGTH : TEXTAREA_LENGTH;
	char		 n[32];

	if (json_is_integer(len))
		max = (long long)json_integer_value(len);
	if ((long long)json_utf8_len(s) > max) {
		snprintf(n, sizeof(n), "%lld", max);
		fail(a, name, NULL, "max_length", FM_MAX_CHARS, n);
		return;
	}
	if (pat != NULL && !pattern_match(pat, s))
		fail(a, name, NULL, "pattern", FM_PATTERN, NULL);
}

/* Check the answer 'v' (answered) of 'field'; 1 when it is valid. */
static int
check_value(struct answers *a, const json_t *field, const json_t *v)
{
	enum field_type	 t = type_of(field);
	const char	*name = json_str(field, "name"), *s;
	size_t		 before = a->count;
	struct buf	 opts;

	switch (t) {
	case FT_NUMBER:
		check_number(a, field, name, v);
		break;
	case FT_BOOLEAN:
		if (!json_is_boolean(v))
			fail(a, name, NULL, "type", FM_BOOLEAN, NULL);
		break;
	case FT_MULTICHOICE:
		check_multichoice(a, field, name, v);
		break;
	case FT_ADDRESS:
		if (!json_is_object(v))
			fail(a, name, NULL, "type", FM_OBJECT, NULL);
		else
			check_address(a, name, v);
		break;
	case FT_GEO:
		if (!json_is_object(v))
			fail(a, name, NULL, "type", FM_OBJECT, NULL);
		else if (check_object_value(a, name, v, &geo_spec) == 0)
			check_position(a, name, v);
		break;
	case FT__COUNT:
		break;		/* checked when saved: cannot happen */
	default:
		if (!json_is_string(v)) {
			fail(a, name, NULL, "type", FM_TEXT, NULL);
			break;
		}
		s = json_string_value(v);
		if (t == FT_TEXT || t == FT_TEXTAREA)
			check_text(a, field, name, t, s);
		else if (t == FT_DATE)
			check_date(a, field, name, s);
		else if (t == FT_EMAIL && !json_format_ok(JF_EMAIL, s))
			fail(a, name, NULL, "format", FM_EMAIL, NULL);
		else if (t == FT_PHONE && !phone_ok(s))
			fail(a, name, NULL, "format", FM_PHONE, NULL);
		else if (t == FT_FILE && !json_format_ok(JF_UUID, s))
			fail(a, name, NULL, "format", FM_FILE, NULL);
		else if (t == FT_CHOICE && !option_ok(field, s)) {
			buf_init(&opts);
			options_list(field, &opts);
			fail(a, name, NULL, "one_of", FM_CHOICE, opts.data);
			buf_cleanup(&opts);
		}
		break;
	}
	return (a->count == before);
}

/* Two scalars are the same answer (1 and 1.0 are). */
static int
same_scalar(const json_t *x, const json_t *y)
{
	if (json_is_number(x) && json_is_number(y))
		return (json_number_value(x) == json_number_value(y));
	return (json_equal(x, y));
}

/* The answer 'v' (answered) is, or for a list holds, the scalar 'want'. */
static int
answer_is(const json_t *v, const json_t *want)
{
	const json_t	*it;
	size_t		 i;

	if (!json_is_array(v))
		return (same_scalar(v, want));
	json_array_foreach(v, i, it)
		if (same_scalar(it, want))
			return (1);
	return (0);
}

enum vis { VIS_SHOWN, VIS_HIDDEN, VIS_UNKNOWN };

struct field_state {
	enum vis	 vis;
	int		 answered;
	int		 valid;
	const json_t	*value;
};

/* The index of the field named 'name' among the first 'n', or -1. */
static int
field_index(const json_t *form, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n && name != NULL; i++)
		if (json_str(json_array_get(form, i), "name") != NULL &&
		    strcmp(json_str(json_array_get(form, i), "name"), name)
		    == 0)
			return ((int)i);
	return (-1);
}

static enum vis
visibility(const json_t *form, size_t i, const struct field_state *st)
{
	const json_t	*cond, *c, *it;
	const struct field_state *d;
	size_t		 k;
	int		 j;

	cond = json_object_get(json_array_get(form, i), "visible_if");
	if (cond == NULL)
		return (VIS_SHOWN);
	if ((j = field_index(form, i, json_str(cond, "field"))) == -1)
		return (VIS_UNKNOWN);	/* checked when saved */
	d = &st[j];
	if (d->vis != VIS_SHOWN)
		return (d->vis);
	if (d->answered && !d->valid)
		return (VIS_UNKNOWN);
	if ((c = json_object_get(cond, "present")) != NULL)
		return (d->answered == json_is_true(c) ? VIS_SHOWN :
		    VIS_HIDDEN);
	if (!d->answered)
		return (VIS_HIDDEN);
	if ((c = json_object_get(cond, "equals")) != NULL)
		return (answer_is(d->value, c) ? VIS_SHOWN : VIS_HIDDEN);
	json_array_foreach(json_object_get(cond, "in"), k, it)
		if (answer_is(d->value, it))
			return (VIS_SHOWN);
	return (VIS_HIDDEN);
}

size_t
procedures_check_form(const struct procedure *p, const json_t *answers,
    int submit, enum lang lang, json_t *errors)
{
	struct answers		 a;
	struct field_state	*st;
	const json_t		*field, *v;
	const char		*key, *name;
	size_t			 i, n;

	memset(&a, 0, sizeof(a));
	a.form = p->form;
	a.answers = answers;
	a.lang = lang;
	a.errors = errors;
	buf_init(&a.path);
	if (!json_is_object(answers)) {
		form_error(errors, &a.count, "/form", "type", FM_OBJECT, lang,
		    NULL);
		buf_cleanup(&a.path);
		return (a.count);
	}
	n = json_array_size(p->form);
	/* jansson's iterator wants a mutable object; nothing is changed. */
	json_object_foreach((json_t *)(uintptr_t)answers, key, v) {
		if (field_index(p->form, n, key) == -1)
			fail(&a, key, NULL, "unknown", FM_UNKNOWN_FIELD, NULL);
	}
	st = xcalloc(n + 1, sizeof(*st));
	json_array_foreach(p->form, i, field) {
		name = json_str(field, "name");
		if (name == NULL)
			continue;
		st[i].value = json_object_get(answers, name);
		st[i].answered = answered(st[i].value);
		st[i].vis = visibility(p->form, i, st);
		if (st[i].answered && st[i].vis == VIS_HIDDEN) {
			fail(&a, name, NULL, "hidden", FM_HIDDEN, NULL);
			continue;
		}
		if (st[i].answered)
			st[i].valid = check_value(&a, field, st[i].value);
		if (!submit || st[i].vis != VIS_SHOWN ||
		    !json_is_true(json_object_get(field, "required")))
			continue;
		/* A required box must be ticked: false does not do. */
		if (!st[i].answered)
			fail(&a, name, NULL, "required", type_of(field) ==
			    FT_BOOLEAN ? FM_CHECKED : FM_REQUIRED, NULL);
		else if (st[i].valid && json_is_false(st[i].value))
			fail(&a, name, NULL, "required", FM_CHECKED, NULL);
	}
	free(st);
	buf_cleanup(&a.path);
	return (a.count);
}

/* Definitions. */

struct defcheck {
	const json_t	*form;
	enum lang	 lang;
	json_t		*errors;
	size_t		 count;
	struct buf	 path;
};

static void
def_fail(struct defcheck *c, size_t i, const char *sub, const char *code,
    enum form_msg id, const char *arg)
{
	buf_reset(&c->path);
	buf_addf(&c->path, "/form/%zu", i);
	if (sub != NULL)
		buf_adds(&c->path, sub);
	form_error(c->errors, &c->count, c->path.data, code, id, c->lang, arg);
}

#define NAME_CHARS	"abcdefghijklmnopqrstuvwxyz0123456789_"

/* A field's name: [a-z][a-z0-9_]*, FORM_NAME_MAX at most. */
static int
name_ok(const char *s)
{
	size_t	 n;

	if (s == NULL || !(*s >= 'a' && *s <= 'z'))
		return (0);
	n = strspn(s, NAME_CHARS);
	return (s[n] == '\0' && n <= FORM_NAME_MAX);
}

/* An option's value: [a-z0-9][a-z0-9_]*, FORM_NAME_MAX at most. */
static int
value_ok(const char *s)
{
	size_t	 n;

	if (s == NULL || *s == '_' || *s == '\0')
		return (0);
	n = strspn(s, NAME_CHARS);
	return (s[n] == '\0' && n <= FORM_NAME_MAX);
}

/* A text in three languages (procedures_text_spec, or _help_spec). */
static void
def_texts(struct defcheck *c, size_t i, const char *sub, const json_t *t,
    const struct json_spec *spec)
{
	buf_reset(&c->path);
	buf_addf(&c->path, "/form/%zu%s", i, sub);
	(void)form_check_under(t, spec, c->path.data, c->lang, c->errors,
	    &c->count);
}

static void
def_options(struct defcheck *c, size_t i, const json_t *field)
{
	const json_t	*opts = json_object_get(field, "options"), *o, *k;
	const char	*key, *v;
	size_t		 j, m;
	char		 sub[64];

	if (!json_is_array(opts) || json_array_size(opts) == 0 ||
	    json_array_size(opts) > FORM_OPTIONS_MAX) {
		def_fail(c, i, "/options", "required", FM_OPTIONS_NEEDED,
		    json_str(field, "type"));
		return;
	}
	json_array_foreach(opts, j, o) {
		snprintf(sub, sizeof(sub), "/options/%zu", j);
		if (!json_is_object(o)) {
			def_fail(c, i, sub, "type", FM_OBJECT, NULL);
			continue;
		}
		json_object_foreach((json_t *)(uintptr_t)o, key, k) {
			if (strcmp(key, "value") != 0 &&
			    strcmp(key, "label") != 0) {
				snprintf(sub, sizeof(sub), "/options/%zu/%s",
				    j, key);
				def_fail(c, i, sub, "unknown",
				    FM_UNKNOWN_MEMBER, NULL);
			}
		}
		snprintf(sub, sizeof(sub), "/options/%zu/value", j);
		v = json_str(o, "value");
		if (!value_ok(v)) {
			def_fail(c, i, sub, "format", FM_VALUE, NULL);
			continue;
		}
		for (m = 0; m < j; m++)
			if (json_str(json_array_get(opts, m), "value") !=
			    NULL && strcmp(json_str(json_array_get(opts, m),
			    "value"), v) == 0) {
				def_fail(c, i, sub, "duplicate", FM_DUPLICATE,
				    v);
				break;
			}
		snprintf(sub, sizeof(sub), "/options/%zu/label", j);
		def_texts(c, i, sub, json_object_get(o, "label"),
		    &procedures_text_spec);
	}
}

/* min and max of a number, date or multichoice field. */
static void
def_bounds(struct defcheck *c, size_t i, const json_t *field,
    enum field_type t)
{
	static const char *const which[] = { "min", "max" };
	const json_t	*b[2];
	char		 sub[16];
	int		 k, ok = 1;

	for (k = 0; k < 2; k++) {
		b[k] = json_object_get(field, which[k]);
		snprintf(sub, sizeof(sub), "/%s", which[k]);
		if (b[k] == NULL)
			continue;
		if (t == FT_NUMBER && !json_is_number(b[k]))
			def_fail(c, i, sub, "type", FM_NUMBER, NULL);
		else if (t == FT_DATE && (!json_is_string(b[k]) ||
		    !json_format_ok(JF_DATE, json_string_value(b[k]))))
			def_fail(c, i, sub, "format", FM_DATE, NULL);
		else if (t == FT_MULTICHOICE && (!json_is_integer(b[k]) ||
		    json_integer_value(b[k]) < 0))
			def_fail(c, i, sub, "type", FM_INTEGER, NULL);
		else
			continue;
		ok = 0;
	}
	if (!ok || b[0] == NULL || b[1] == NULL)
		return;
	if ((t == FT_DATE && strcmp(json_string_value(b[0]),
	    json_string_value(b[1])) > 0) || (t != FT_DATE &&
	    json_number_value(b[0]) > json_number_value(b[1])))
		def_fail(c, i, "/min", "minimum", FM_MIN_ABOVE_MAX, NULL);
}

/* A value 'v' of a condition on field 'dep' (earlier, valid type). */
static void
def_cond_value(struct defcheck *c, size_t i, const char *sub,
    const json_t *dep, const json_t *v)
{
	enum field_type	 t = type_of(dep);
	int		 ok;

	if (t == FT_CHOICE || t == FT_MULTICHOICE)
		ok = json_is_string(v) && option_ok(dep, json_string_value(v));
	else if (t == FT_BOOLEAN)
		ok = json_is_boolean(v);
	else if (t == FT_NUMBER)
		ok = json_is_number(v);
	else if (t == FT_ADDRESS || t == FT_GEO)
		ok = 0;		/* objects: only "present" applies */
	else
		ok = json_is_string(v);
	if (!ok)
		def_fail(c, i, sub, "one_of", FM_COND_VALUE,
		    json_str(dep, "name"));
}

static void
def_condition(struct defcheck *c, size_t i, const json_t *cond)
{
	static const char *const ops[] = { "equals", "in", "present", NULL };
	const json_t	*dep, *v, *it;
	const char	*key, *f;
	size_t		 k, nops = 0;
	char		 sub[64];
	int		 j, o;

	if (!json_is_object(cond)) {
		def_fail(c, i, "/visible_if", "type", FM_OBJECT, NULL);
		return;
	}
	json_object_foreach((json_t *)(uintptr_t)cond, key, v) {
		for (o = 0; ops[o] != NULL && strcmp(ops[o], key) != 0; o++)
			;
		if (ops[o] != NULL)
			nops++;
		else if (strcmp(key, "field") != 0) {
			snprintf(sub, sizeof(sub), "/visible_if/%s", key);
			def_fail(c, i, sub, "unknown", FM_UNKNOWN_MEMBER,
			    NULL);
		}
	}
	if (nops != 1)
		def_fail(c, i, "/visible_if", "condition", FM_COND_ONE, NULL);
	f = json_str(cond, "field");
	if (f == NULL) {
		def_fail(c, i, "/visible_if/field", "required", FM_COND_FIELD,
		    NULL);
		return;
	}
	if ((j = field_index(c->form, i, f)) == -1) {
		if (field_index(c->form, json_array_size(c->form), f) != -1)
			def_fail(c, i, "/visible_if/field", "forward_reference",
			    FM_COND_LATER, NULL);
		else
			def_fail(c, i, "/visible_if/field", "unknown_field",
			    FM_COND_FIELD, NULL);
		return;
	}
	dep = json_array_get(c->form, (size_t)j);
	if (type_of(dep) == FT__COUNT)
		return;
	if ((v = json_object_get(cond, "present")) != NULL &&
	    !json_is_boolean(v))
		def_fail(c, i, "/visible_if/present", "type", FM_BOOLEAN, NULL);
	if ((v = json_object_get(cond, "equals")) != NULL)
		def_cond_value(c, i, "/visible_if/equals", dep, v);
	if ((v = json_object_get(cond, "in")) != NULL) {
		if (!json_is_array(v) || json_array_size(v) == 0) {
			def_fail(c, i, "/visible_if/in", "type", FM_LIST, NULL);
			return;
		}
		json_array_foreach(v, k, it) {
			snprintf(sub, sizeof(sub), "/visible_if/in/%zu", k);
			def_cond_value(c, i, sub, dep, it);
		}
	}
}

static void
def_field(struct defcheck *c, size_t i, const json_t *field)
{
	static const char *const common[] = { "name", "type", "required",
	    "label", "help", "visible_if", NULL };
	enum field_type	 t = type_of(field);
	const char	*key, *name = json_str(field, "name"), *pat;
	const json_t	*v;
	struct buf	 types;
	regex_t		 re;
	char		 sub[80], *full;
	size_t		 k;
	int		 m;

	if (!name_ok(name))
		def_fail(c, i, "/name", name == NULL ? "required" : "format",
		    name == NULL ? FM_REQUIRED : FM_NAME, NULL);
	else
		for (k = 0; k < i; k++)
			if (json_str(json_array_get(c->form, k), "name") !=
			    NULL && strcmp(json_str(json_array_get(c->form, k),
			    "name"), name) == 0) {
				def_fail(c, i, "/name", "duplicate",
				    FM_DUPLICATE, name);
				break;
			}
	if (t == FT__COUNT) {
		buf_init(&types);
		for (m = 0; m < FT__COUNT; m++) {
			if (m > 0)
				buf_adds(&types, ", ");
			buf_adds(&types, type_names[m]);
		}
		def_fail(c, i, "/type", json_object_get(field, "type") ==
		    NULL ? "required" : "one_of", FM_TYPE, types.data);
		buf_cleanup(&types);
	}
	json_object_foreach((json_t *)(uintptr_t)field, key, v) {
		snprintf(sub, sizeof(sub), "/%s", key);
		for (m = 0; common[m] != NULL && strcmp(common[m], key) != 0;
		    m++)
			;
		if (common[m] != NULL)
			continue;
		for (m = 0; member_names[m] != NULL &&
		    strcmp(member_names[m], key) != 0; m++)
			;
		if (member_names[m] == NULL)
			def_fail(c, i, sub, "unknown", FM_UNKNOWN_MEMBER, NULL);
		else if (t != FT__COUNT && !(type_members[t] & (1u << m)))
			def_fail(c, i, sub, "not_applicable", FM_NOT_FOR_TYPE,
			    type_names[t]);
	}
	if ((v = json_object_get(field, "required")) != NULL &&
	    !json_is_boolean(v))
		def_fail(c, i, "/required", "type", FM_BOOLEAN, NULL);
	if ((v = json_object_get(field, "integer")) != NULL &&
	    !json_is_boolean(v))
		def_fail(c, i, "/integer", "type", FM_BOOLEAN, NULL);
	if ((v = json_object_get(field, "label")) != NULL)
		def_texts(c, i, "/label", v, &procedures_text_spec);
	else
		def_fail(c, i, "/label", "required", FM_REQUIRED, NULL);
	if ((v = json_object_get(field, "help")) != NULL)
		def_texts(c, i, "/help", v, &procedures_help_spec);
	if (t == FT__COUNT)
		return;
	if (type_members[t] & MB_OPTIONS)
		def_options(c, i, field);
	if ((v = json_object_get(field, "length")) != NULL &&
	    (type_members[t] & MB_LENGTH)) {
		if (!json_is_integer(v))
			def_fail(c, i, "/length", "type", FM_INTEGER, NULL);
		else if (json_integer_value(v) < 1)
			def_fail(c, i, "/length", "minimum", FM_MIN_NUMBER,
			    "1");
		else if (json_integer_value(v) > LENGTH_MAX)
			def_fail(c, i, "/length", "maximum", FM_MAX_NUMBER,
			    "10000");
	}
	if ((pat = json_str(field, "pattern")) != NULL &&
	    (type_members[t] & MB_PATTERN)) {
		xasprintf(&full, "^(%s)$", pat);
		if (strlen(pat) > 500 || regcomp(&re, full, REG_EXTENDED |
		    REG_NOSUB) != 0)
			def_fail(c, i, "/pattern", "pattern", FM_BAD_PATTERN,
			    NULL);
		else
			regfree(&re);
		free(full);
	} else if (json_object_get(field, "pattern") != NULL &&
	    (type_members[t] & MB_PATTERN))
		def_fail(c, i, "/pattern", "type", FM_TEXT, NULL);
	if (type_members[t] & (MB_MIN | MB_MAX))
		def_bounds(c, i, field, t);
	if ((v = json_object_get(field, "visible_if")) != NULL)
		def_condition(c, i, v);
}

size_t
form_check_definition(const json_t *form, enum lang lang, json_t *errors)
{
	struct defcheck	 c;
	const json_t	*field;
	size_t		 i;

	memset(&c, 0, sizeof(c));
	c.form = form;
	c.lang = lang;
	c.errors = errors;
	buf_init(&c.path);
	/* Items that are not objects: the schema's error (definition.c). */
	json_array_foreach(form, i, field)
		if (json_is_object(field))
			def_field(&c, i, field);
	buf_cleanup(&c.path);
	return (c.count);
}
