/*
 * check.c: strict JSON parsing and schema checking (see check.h).
 *
 * Invariants:
 *  - Nesting depth is enforced by an iterative scan of the raw bytes before
 *    jansson sees them, so no input can make the parser recurse deeper than
 *    'max_depth' (jansson's own recursive descent stops at 2048 anyway).
 *  - Messages never quote a submitted value: they may hold personal data or
 *    a password.  They name bounds, allowed values and expected forms only.
 *  - json_check() recurses only along the static spec, so its depth is
 *    bounded by the programmer, never by the input.
 *  - At most one error per field: the first rule that fails.
 *  - At most JSON_ERRORS_MAX error objects; later problems are counted
 *    without allocating anything, so that memory per check is bounded by
 *    the spec and the cap, not by the input.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/lang.h"
#include "base/xmalloc.h"
#include "json/check.h"

/* The messages, one row per language, in the order of enum lang. */
enum msg_id {
	M_REQUIRED,
	M_UNKNOWN,
	M_TYPE_STRING,
	M_TYPE_INTEGER,
	M_TYPE_NUMBER,
	M_TYPE_BOOLEAN,
	M_TYPE_OBJECT,
	M_TYPE_ARRAY,
	M_TYPE_VALUE,
	M_NOT_EMPTY,
	M_MIN_CHARS_1,
	M_MIN_CHARS,		/* {n} */
	M_MAX_CHARS_1,
	M_MAX_CHARS,		/* {n} */
	M_MIN_ITEMS_1,
	M_MIN_ITEMS,		/* {n} */
	M_MAX_ITEMS_1,
	M_MAX_ITEMS,		/* {n} */
	M_ONE_OF,		/* followed by the list */
	M_OR,
	M_FMT_EMAIL,
	M_FMT_DATE,
	M_FMT_DATETIME,
	M_FMT_UUID,
	M_FMT_E164,
	M_FMT_LANG,
	M_FMT_INSEE,
	M_FMT_POSTCODE,
	M_FMT_OTHER,
	M_MINIMUM,		/* {n} */
	M_MAXIMUM,		/* {n} */
	M_COUNT
};

static const char *const messages[3][M_COUNT] = {
	[LANG_FR] = {
		[M_REQUIRED] = "ce champ est obligatoire",
		[M_UNKNOWN] = "champ inconnu",
		[M_TYPE_STRING] = "doit être une chaîne de caractères",
		[M_TYPE_INTEGER] = "doit être un nombre entier",
		[M_TYPE_NUMBER] = "doit être un nombre",
		[M_TYPE_BOOLEAN] = "doit être true ou false",
		[M_TYPE_OBJECT] = "doit être un objet",
		[M_TYPE_ARRAY] = "doit être une liste",
		[M_TYPE_VALUE] = "type de valeur non accepté",
		[M_NOT_EMPTY] = "ne doit pas être vide",
		[M_MIN_CHARS_1] = "au moins 1 caractère",
		[M_MIN_CHARS] = "au moins {n} caractères",
		[M_MAX_CHARS_1] = "au plus 1 caractère",
		[M_MAX_CHARS] = "au plus {n} caractères",
		[M_MIN_ITEMS_1] = "au moins 1 élément",
		[M_MIN_ITEMS] = "au moins {n} éléments",
		[M_MAX_ITEMS_1] = "au plus 1 élément",
		[M_MAX_ITEMS] = "au plus {n} éléments",
		[M_ONE_OF] = "doit valoir ",
		[M_OR] = " ou ",
		[M_FMT_EMAIL] = "doit être une adresse électronique",
		[M_FMT_DATE] = "doit être une date valide (AAAA-MM-JJ)",
		[M_FMT_DATETIME] = "doit être une date et heure RFC 3339 "
		    "(2026-12-20T08:30:00Z)",
		[M_FMT_UUID] = "doit être un UUID",
		[M_FMT_E164] = "doit être un numéro de téléphone au format "
		    "international (+33…)",
		[M_FMT_LANG] = "doit valoir fr, en ou it",
		[M_FMT_INSEE] = "doit être un code INSEE de commune (5 caractères)",
		[M_FMT_POSTCODE] = "doit être un code postal",
		[M_FMT_OTHER] = "format non valide",
		[M_MINIMUM] = "doit être supérieur ou égal à {n}",
		[M_MAXIMUM] = "doit être inférieur ou égal à {n}",
	},
	[LANG_EN] = {
		[M_REQUIRED] = "this field is required",
		[M_UNKNOWN] = "unknown field",
		[M_TYPE_STRING] = "must be a string",
		[M_TYPE_INTEGER] = "must be an integer",
		[M_TYPE_NUMBER] = "must be a number",
		[M_TYPE_BOOLEAN] = "must be true or false",
		[M_TYPE_OBJECT] = "must be an object",
		[M_TYPE_ARRAY] = "must be an array",
		[M_TYPE_VALUE] = "value of an unaccepted type",
		[M_NOT_EMPTY] = "must not be empty",
		[M_MIN_CHARS_1] = "at least 1 character",
		[M_MIN_CHARS] = "at least {n} characters",
		[M_MAX_CHARS_1] = "at most 1 character",
		[M_MAX_CHARS] = "at most {n} characters",
		[M_MIN_ITEMS_1] = "at least 1 item",
		[M_MIN_ITEMS] = "at least {n} items",
		[M_MAX_ITEMS_1] = "at most 1 item",
		[M_MAX_ITEMS] = "at most {n} items",
		[M_ONE_OF] = "must be ",
		[M_OR] = " or ",
		[M_FMT_EMAIL] = "must be an email address",
		[M_FMT_DATE] = "must be a valid date (YYYY-MM-DD)",
		[M_FMT_DATETIME] = "must be an RFC 3339 date and time "
		    "(2026-12-20T08:30:00Z)",
		[M_FMT_UUID] = "must be a UUID",
		[M_FMT_E164] = "must be a phone number in international format "
		    "(+33…)",
		[M_FMT_LANG] = "must be fr, en or it",
		[M_FMT_INSEE] = "must be a commune's INSEE code (5 characters)",
		[M_FMT_POSTCODE] = "must be a postcode",
		[M_FMT_OTHER] = "invalid format",
		[M_MINIMUM] = "must be at least {n}",
		[M_MAXIMUM] = "must be at most {n}",
	},
	[LANG_IT] = {
		[M_REQUIRED] = "questo campo è obbligatorio",
		[M_UNKNOWN] = "campo sconosciuto",
		[M_TYPE_STRING] = "deve essere una stringa",
		[M_TYPE_INTEGER] = "deve essere un numero intero",
		[M_TYPE_NUMBER] = "deve essere un numero",
		[M_TYPE_BOOLEAN] = "deve essere true o false",
		[M_TYPE_OBJECT] = "deve essere un oggetto",
		[M_TYPE_ARRAY] = "deve essere un elenco",
		[M_TYPE_VALUE] = "tipo di valore non accettato",
		[M_NOT_EMPTY] = "non deve essere vuoto",
		[M_MIN_CHARS_1] = "almeno 1 carattere",
		[M_MIN_CHARS] = "almeno {n} caratteri",
		[M_MAX_CHARS_1] = "al massimo 1 carattere",
		[M_MAX_CHARS] = "al massimo {n} caratteri",
		[M_MIN_ITEMS_1] = "almeno 1 elemento",
		[M_MIN_ITEMS] = "almeno {n} elementi",
		[M_MAX_ITEMS_1] = "al massimo 1 elemento",
		[M_MAX_ITEMS] = "al massimo {n} elementi",
		[M_ONE_OF] = "deve essere ",
		[M_OR] = " o ",
		[M_FMT_EMAIL] = "deve essere un indirizzo email",
		[M_FMT_DATE] = "deve essere una data valida (AAAA-MM-GG)",
		[M_FMT_DATETIME] = "deve essere una data e ora RFC 3339 "
		    "(2026-12-20T08:30:00Z)",
		[M_FMT_UUID] = "deve essere un UUID",
		[M_FMT_E164] = "deve essere un numero di telefono in formato "
		    "internazionale (+39…)",
		[M_FMT_LANG] = "deve essere fr, en o it",
		[M_FMT_INSEE] = "deve essere un codice INSEE di comune (5 caratteri)",
		[M_FMT_POSTCODE] = "deve essere un codice postale",
		[M_FMT_OTHER] = "formato non valido",
		[M_MINIMUM] = "deve essere maggiore o uguale a {n}",
		[M_MAXIMUM] = "deve essere minore o uguale a {n}",
	},
};

struct check_ctx {
	enum lang	 lang;
	json_t		*errors;
	struct buf	 path;		/* JSON Pointer of the value at hand */
	struct buf	 msg;
	size_t		 count;
};

static void	 parse_error(struct json_parse_error *, size_t, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
static int	 depth_scan(const char *, size_t, size_t,
		    struct json_parse_error *);
static void	 jansson_reason(const json_error_t *,
		    struct json_parse_error *);
static const char *msg(const struct check_ctx *, enum msg_id);
static void	 msg_num(struct check_ctx *, enum msg_id, long long);
static void	 report(struct check_ctx *, const char *);
static void	 report_msg(struct check_ctx *, const char *, enum msg_id);
static void	 path_push(struct buf *, const char *);
static void	 path_push_index(struct buf *, size_t);
static void	 path_pop(struct buf *, size_t);
static enum msg_id type_msg(enum json_kind);
static int	 kind_matches(enum json_kind, const json_t *);
static void	 check_object(struct check_ctx *, const json_t *,
		    const struct json_spec *);
static void	 check_value(struct check_ctx *, const struct json_field *,
		    const json_t *);
static void	 check_scalar(struct check_ctx *, const struct json_field *,
		    enum json_kind, const json_t *);
static int	 check_string(struct check_ctx *, const struct json_field *,
		    const json_t *);
static void	 check_array(struct check_ctx *, const struct json_field *,
		    const json_t *);
static int	 date_ok(const char *);
static int	 email_ok(const char *);

/* Parsing. */

static void
parse_error(struct json_parse_error *err, size_t pos, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
	err->position = pos;
}

/*
 * Count nesting outside strings without recursion, so that a body of a
 * million '[' costs one pass and no stack.  Syntax is jansson's business;
 * this only has to track strings (and their escapes) well enough not to
 * count brackets inside them.
 */
static int
depth_scan(const char *s, size_t len, size_t max_depth,
    struct json_parse_error *err)
{
	size_t	 i, depth = 0;
	int	 in_string = 0, escaped = 0;

	for (i = 0; i < len; i++) {
		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (s[i] == '\\')
				escaped = 1;
			else if (s[i] == '"')
				in_string = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			in_string = 1;
			break;
		case '[':
		case '{':
			if (++depth > max_depth) {
				parse_error(err, i, "nesting deeper than %zu "
				    "at byte %zu", max_depth, i);
				return (-1);
			}
			break;
		case ']':
		case '}':
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
	}
	return (0);
}

/*
 * jansson's text ends with " near '<token>'", which may be part of the
 * submitted value: drop it, keep the description and say where.  A
 * duplicate key is named when it looks like a field name, since that is
 * what the client needs to fix.
 */
static void
jansson_reason(const json_error_t *je, struct json_parse_error *err)
{
	char		 text[JSON_ERROR_TEXT_LENGTH], key[48];
	const char	*near, *k;
	char		*cut;
	size_t		 n;

	snprintf(text, sizeof(text), "%s", je->text);
	near = strstr(je->text, " near '");
	if ((cut = strstr(text, " near ")) != NULL)
		*cut = '\0';
	if (json_error_code(je) == json_error_duplicate_key) {
		key[0] = '\0';
		if (near != NULL && near[7] == '"') {
			k = near + 8;
			for (n = 0; n + 1 < sizeof(key) &&
			    (isalnum((unsigned char)k[n]) || k[n] == '_' ||
			    k[n] == '-' || k[n] == '.'); n++)
				key[n] = k[n];
			if (n > 0 && k[n] == '"' && k[n + 1] == '\'')
				key[n] = '\0';
			else
				key[0] = '\0';
		}
		if (key[0] != '\0')
			parse_error(err, je->position,
			    "duplicate key '%s' at byte %d", key,
			    je->position);
		else
			parse_error(err, je->position,
			    "duplicate key at byte %d", je->position);
		return;
	}
	parse_error(err, je->position, "%s at byte %d", text, je->position);
}

json_t *
json_read_file(const char *path, size_t max, size_t max_depth, char *why,
    size_t whylen)
{
	struct json_parse_error	 pe;
	FILE			*f;
	char			*text;
	size_t			 len;
	json_t			*j;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	text = xmalloc(max + 1);
	len = fread(text, 1, max + 1, f);
	fclose(f);
	if (len > max) {
		snprintf(why, whylen, "%s: larger than %zu bytes", path, max);
		free(text);
		return (NULL);
	}
	if ((j = json_parse_strict(text, len, max_depth, &pe)) == NULL)
		snprintf(why, whylen, "%s: not JSON: %s", path, pe.reason);
	free(text);
	return (j);
}

json_t *
json_parse_strict(const char *s, size_t len, size_t max_depth,
    struct json_parse_error *err)
{
	json_error_t	 je;
	json_t		*v;
	size_t		 i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r')
			break;
	if (i == len) {
		parse_error(err, len, "empty document");
		return (NULL);
	}
	if (depth_scan(s, len, max_depth, err) == -1)
		return (NULL);
	/*
	 * jansson refuses invalid UTF-8 (overlongs and encoded surrogates
	 * included), lone surrogate escapes and, without JSON_ALLOW_NUL,
	 * "\u0000"; without JSON_DISABLE_EOF_CHECK, trailing garbage.
	 */
	v = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (v == NULL) {
		jansson_reason(&je, err);
		return (NULL);
	}
	return (v);
}

/* Errors. */

void
json_error_add(json_t *errors, const char *field, const char *code,
    const char *message)
{
	json_t	*e;

	if ((e = json_object()) == NULL)
		return;
	json_object_set_new(e, "field", json_string(field));
	json_object_set_new(e, "code", json_string(code));
	json_object_set_new(e, "message", json_string(message));
	json_array_append_new(errors, e);
}

static const char *
msg(const struct check_ctx *ctx, enum msg_id id)
{
	return (messages[ctx->lang][id]);
}

/*
 * The message 'id' with its "{n}" replaced by 'n', in ctx->msg.  A
 * placeholder rather than a printf format keeps the table out of printf's
 * reach (and the build free of format-nonliteral warnings).
 */
static void
msg_num(struct check_ctx *ctx, enum msg_id id, long long n)
{
	const char	*t = msg(ctx, id), *ph;

	buf_reset(&ctx->msg);
	if ((ph = strstr(t, "{n}")) == NULL) {
		buf_adds(&ctx->msg, t);
		return;
	}
	buf_add(&ctx->msg, t, (size_t)(ph - t));
	buf_addf(&ctx->msg, "%lld", n);
	buf_adds(&ctx->msg, ph + 3);
}

static void
report(struct check_ctx *ctx, const char *code)
{
	if (ctx->count < JSON_ERRORS_MAX)
		json_error_add(ctx->errors, ctx->path.data, code,
		    ctx->msg.data);
	ctx->count++;
}

static void
report_msg(struct check_ctx *ctx, const char *code, enum msg_id id)
{
	buf_reset(&ctx->msg);
	buf_adds(&ctx->msg, msg(ctx, id));
	report(ctx, code);
}

/* RFC 6901: '~' is written "~0" and '/' is written "~1". */
static void
path_push(struct buf *p, const char *name)
{
	buf_addc(p, '/');
	for (; *name != '\0'; name++) {
		if (*name == '~')
			buf_add(p, "~0", 2);
		else if (*name == '/')
			buf_add(p, "~1", 2);
		else
			buf_addc(p, *name);
	}
}

static void
path_push_index(struct buf *p, size_t i)
{
	buf_addf(p, "/%zu", i);
}

static void
path_pop(struct buf *p, size_t len)
{
	p->len = len;
	if (p->cap != 0)
		p->data[len] = '\0';
}

/* Checking. */

static enum msg_id
type_msg(enum json_kind kind)
{
	switch (kind) {
	case JK_STRING:
		return (M_TYPE_STRING);
	case JK_INTEGER:
		return (M_TYPE_INTEGER);
	case JK_NUMBER:
		return (M_TYPE_NUMBER);
	case JK_BOOLEAN:
		return (M_TYPE_BOOLEAN);
	case JK_OBJECT:
		return (M_TYPE_OBJECT);
	case JK_ARRAY:
		return (M_TYPE_ARRAY);
	default:
		return (M_TYPE_VALUE);
	}
}

static int
kind_matches(enum json_kind kind, const json_t *v)
{
	switch (kind) {
	case JK_STRING:
		return (json_is_string(v));
	case JK_INTEGER:
		return (json_is_integer(v));
	case JK_NUMBER:
		return (json_is_number(v));
	case JK_BOOLEAN:
		return (json_is_boolean(v));
	case JK_OBJECT:
		return (json_is_object(v));
	case JK_ARRAY:
		return (json_is_array(v));
	default:
		return (0);
	}
}

/* 0 when the string passes, -1 when an error was reported. */
static int
check_string(struct check_ctx *ctx, const struct json_field *f,
    const json_t *v)
{
	static const enum msg_id fmt_msg[] = {
		[JF_EMAIL] = M_FMT_EMAIL, [JF_DATE] = M_FMT_DATE,
		[JF_DATETIME] = M_FMT_DATETIME, [JF_UUID] = M_FMT_UUID,
		[JF_E164] = M_FMT_E164, [JF_LANG] = M_FMT_LANG,
		[JF_INSEE] = M_FMT_INSEE, [JF_POSTCODE] = M_FMT_POSTCODE,
	};
	const char		*s = json_string_value(v);
	const char *const	*o;
	size_t			 n;

	n = json_utf8_len(s);
	if (f->min_len > 0 && n < f->min_len) {
		buf_reset(&ctx->msg);
		if (f->min_len == 1)
			buf_adds(&ctx->msg, msg(ctx, M_NOT_EMPTY));
		else
			msg_num(ctx, M_MIN_CHARS, (long long)f->min_len);
		report(ctx, "min_length");
		return (-1);
	}
	if (f->max_len > 0 && n > f->max_len) {
		buf_reset(&ctx->msg);
		if (f->max_len == 1)
			buf_adds(&ctx->msg, msg(ctx, M_MAX_CHARS_1));
		else
			msg_num(ctx, M_MAX_CHARS, (long long)f->max_len);
		report(ctx, "max_length");
		return (-1);
	}
	if (f->one_of != NULL) {
		for (o = f->one_of; *o != NULL; o++)
			if (strcmp(*o, s) == 0)
				break;
		if (*o == NULL) {
			buf_reset(&ctx->msg);
			buf_adds(&ctx->msg, msg(ctx, M_ONE_OF));
			for (o = f->one_of; *o != NULL; o++) {
				if (o != f->one_of)
					buf_adds(&ctx->msg, o[1] == NULL ?
					    msg(ctx, M_OR) : ", ");
				buf_adds(&ctx->msg, *o);
			}
			report(ctx, "one_of");
			return (-1);
		}
	}
	if (f->format != JF_NONE && !json_format_ok(f->format, s)) {
		if ((size_t)f->format < sizeof(fmt_msg) / sizeof(fmt_msg[0]))
			report_msg(ctx, "format", fmt_msg[f->format]);
		else
			report_msg(ctx, "format", M_FMT_OTHER);
		return (-1);
	}
	return (0);
}

/*
 * A scalar of 'kind' (the field's own kind, or an array's item kind): the
 * type, then the rules that apply to it.
 */
static void
check_scalar(struct check_ctx *ctx, const struct json_field *f,
    enum json_kind kind, const json_t *v)
{
	long long	 n;

	if (!kind_matches(kind, v)) {
		report_msg(ctx, "type", type_msg(kind));
		return;
	}
	if (kind == JK_STRING)
		(void)check_string(ctx, f, v);
	else if (kind == JK_INTEGER && f->min < f->max) {
		n = (long long)json_integer_value(v);
		buf_reset(&ctx->msg);
		if (n < f->min) {
			msg_num(ctx, M_MINIMUM, (long long)f->min);
			report(ctx, "minimum");
		} else if (n > f->max) {
			msg_num(ctx, M_MAXIMUM, (long long)f->max);
			report(ctx, "maximum");
		}
	}
}

static void
check_array(struct check_ctx *ctx, const struct json_field *f,
    const json_t *v)
{
	struct json_field	 each;
	size_t			 i, n, saved;
	json_t			*item;

	n = json_array_size(v);
	if (f->min_len > 0 && n < f->min_len) {
		buf_reset(&ctx->msg);
		if (f->min_len == 1)
			buf_adds(&ctx->msg, msg(ctx, M_MIN_ITEMS_1));
		else
			msg_num(ctx, M_MIN_ITEMS, (long long)f->min_len);
		report(ctx, "min_length");
		return;
	}
	if (f->max_len > 0 && n > f->max_len) {
		buf_reset(&ctx->msg);
		if (f->max_len == 1)
			buf_adds(&ctx->msg, msg(ctx, M_MAX_ITEMS_1));
		else
			msg_num(ctx, M_MAX_ITEMS, (long long)f->max_len);
		report(ctx, "max_length");
		return;
	}
	/* Neither an item spec nor an item kind: items are left unchecked. */
	if (f->object == NULL && f->items == JK_END)
		return;
	/*
	 * The field's lengths count the items; its other rules (format,
	 * one_of, integer bounds) apply to each scalar item.
	 */
	each = *f;
	each.min_len = each.max_len = 0;
	saved = ctx->path.len;
	json_array_foreach(v, i, item) {
		path_push_index(&ctx->path, i);
		if (f->object != NULL) {
			if (!json_is_object(item))
				report_msg(ctx, "type", M_TYPE_OBJECT);
			else
				check_object(ctx, item, f->object);
		} else if (f->items == JK_OBJECT || f->items == JK_ARRAY) {
			if (!kind_matches(f->items, item))
				report_msg(ctx, "type", type_msg(f->items));
		} else
			check_scalar(ctx, &each, f->items, item);
		path_pop(&ctx->path, saved);
	}
}

/* 'v' is present at ctx->path; null has been dealt with. */
static void
check_value(struct check_ctx *ctx, const struct json_field *f,
    const json_t *v)
{
	switch (f->kind) {
	case JK_OBJECT:
		if (!json_is_object(v))
			report_msg(ctx, "type", M_TYPE_OBJECT);
		else if (f->object != NULL)
			check_object(ctx, v, f->object);
		/* No spec: a free-form object, checked by its handler. */
		break;
	case JK_ARRAY:
		if (!json_is_array(v))
			report_msg(ctx, "type", M_TYPE_ARRAY);
		else
			check_array(ctx, f, v);
		break;
	default:
		check_scalar(ctx, f, f->kind, v);
		break;
	}
}

static void
check_object(struct check_ctx *ctx, const json_t *obj,
    const struct json_spec *spec)
{
	const struct json_field	*f;
	const char		*key;
	json_t			*v;
	size_t			 saved = ctx->path.len;

	for (f = spec->fields; f->name != NULL; f++) {
		v = json_object_get(obj, f->name);
		path_push(&ctx->path, f->name);
		if (v == NULL) {
			if (f->flags & JF_REQUIRED)
				report_msg(ctx, "required", M_REQUIRED);
		} else if (json_is_null(v)) {
			if (!(f->flags & JF_NULLABLE))
				report_msg(ctx, "type", type_msg(f->kind));
		} else
			check_value(ctx, f, v);
		path_pop(&ctx->path, saved);
	}
	/* Protocols that must ignore unknown members (OAuth2) say so. */
	if (spec->ignore_unknown)
		return;
	/* jansson's iterator wants a mutable object; nothing is changed. */
	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		for (f = spec->fields; f->name != NULL; f++)
			if (strcmp(f->name, key) == 0)
				break;
		if (f->name != NULL)
			continue;
		path_push(&ctx->path, key);
		report_msg(ctx, "unknown", M_UNKNOWN);
		path_pop(&ctx->path, saved);
	}
}

size_t
json_check(const json_t *value, const struct json_spec *spec,
    enum lang lang, json_t *errors)
{
	struct check_ctx	 ctx;

	if ((unsigned)lang > LANG_IT)
		lang = LANG_FR;
	ctx.lang = lang;
	ctx.errors = errors;
	ctx.count = 0;
	buf_init(&ctx.path);
	buf_init(&ctx.msg);
	if (!json_is_object(value))
		report_msg(&ctx, "type", M_TYPE_OBJECT);
	else
		check_object(&ctx, value, spec);
	buf_cleanup(&ctx.path);
	buf_cleanup(&ctx.msg);
	return (ctx.count);
}

/* Formats. */

static int
date_ok(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 i, y, m, d, lim;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return (0);
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return (0);
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return (0);
	lim = mdays[m - 1];
	if (m == 2 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		lim = 28;
	return (d <= lim);
}

/*
 * Deliberately plain: one '@', a non-empty local part, a domain of
 * non-empty dot-separated labels (at least two), no whitespace, controls
 * or characters that mean something in a mail header.  Whether the
 * address works is for a confirmation mail to find out.
 */
static int
email_ok(const char *s)
{
	const char	*at, *p;
	size_t		 label;

	if (strlen(s) > 254 || (at = strchr(s, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL || at == s || at - s > 64)
		return (0);
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f ||
		    strchr("\"(),:;<>[\\]", *p) != NULL)
			return (0);
	if (strchr(at + 1, '.') == NULL)
		return (0);
	label = 0;
	for (p = at + 1; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0)
				return (0);
			if (*p == '\0')
				break;
			label = 0;
		} else
			label++;
	}
	return (1);
}

int
json_format_ok(enum json_format fmt, const char *s)
{
	int64_t	 t;
	size_t	 i, n;

	switch (fmt) {
	case JF_NONE:
		return (1);
	case JF_EMAIL:
		return (email_ok(s));
	case JF_DATE:
		return (date_ok(s));
	case JF_DATETIME:
		return (clock_parse(s, &t) == 0);
	case JF_UUID:
		if (strlen(s) != 36)
			return (0);
		for (i = 0; i < 36; i++) {
			if (i == 8 || i == 13 || i == 18 || i == 23) {
				if (s[i] != '-')
					return (0);
			} else if (!isxdigit((unsigned char)s[i]))
				return (0);
		}
		return (1);
	case JF_E164:
		if (s[0] != '+' || s[1] < '1' || s[1] > '9')
			return (0);
		for (n = 0; isdigit((unsigned char)s[n + 1]); n++)
			;
		return (s[n + 1] == '\0' && n >= 8 && n <= 15);
	case JF_LANG:
		return (lang_from_code(s, LANG__COUNT) != LANG__COUNT);
	case JF_INSEE:
		return (strlen(s) == 5 && isdigit((unsigned char)s[0]) &&
		    (isdigit((unsigned char)s[1]) || s[1] == 'A' ||
		    s[1] == 'B') && isdigit((unsigned char)s[2]) &&
		    isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]));
	case JF_POSTCODE:
		if (strlen(s) < 3 || strlen(s) > 10)
			return (0);
		for (; *s != '\0'; s++)
			if (!isalnum((unsigned char)*s) && *s != ' ' &&
			    *s != '-')
				return (0);
		return (1);
	default:
		return (0);
	}
}

size_t
json_utf8_len(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return (n);
}

/* Small helpers for building and reading JSON (check.h). */

const char *
json_str(const json_t *o, const char *k)
{
	return (json_string_value(json_object_get(o, k)));
}

void
json_set_str(json_t *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, k, json_string(v));
}

void
json_set_time(json_t *o, const char *k, int64_t us)
{
	char	 out[40];

	if (us == 0) {
		json_object_set_new(o, k, json_null());
		return;
	}
	/* To the second: the API's one precision. */
	clock_format(us - ((us % 1000000) + 1000000) % 1000000, out,
	    sizeof(out));
	json_object_set_new(o, k, json_string(out));
}

/*
 * jansson allocates with our allocator: out of memory ends the process
 * with a message, the one way it is handled everywhere (xmalloc.h).  Set
 * before main() in every program that links the library.
 */
static void	json_alloc_init(void) __attribute__((constructor));

static void
json_alloc_init(void)
{
	json_set_alloc_funcs(xmalloc, free);
}
