/*
 * reply.c: setting the one reply of a request, and the problem documents
 * (RFC 9457) that every error uses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/digest.h"
#include "base/xmalloc.h"
#include "db/db.h"
#include "http/reply.h"
#include "json/check.h"

struct problem_def {
	int		 status;
	const char	*type;
	const char	*title[3];	/* fr, en, it */
};

static const struct problem_def problems[PROB__COUNT] = {
	[PROB_MALFORMED] = { 400, "/problems/malformed",
	    { "Requête mal formée", "Malformed request",
	      "Richiesta non valida" } },
	[PROB_BAD_REQUEST] = { 400, "/problems/bad-request",
	    { "Requête incorrecte", "Bad request", "Richiesta errata" } },
	[PROB_UNAUTHORIZED] = { 401, "/problems/unauthorized",
	    { "Authentification requise", "Authentication required",
	      "Autenticazione richiesta" } },
	[PROB_FORBIDDEN] = { 403, "/problems/forbidden",
	    { "Accès refusé", "Forbidden", "Accesso negato" } },
	[PROB_NOT_FOUND] = { 404, "/problems/not-found",
	    { "Introuvable", "Not found", "Non trovato" } },
	[PROB_METHOD] = { 405, "/problems/method-not-allowed",
	    { "Méthode non autorisée", "Method not allowed",
	      "Metodo non consentito" } },
	[PROB_NOT_ACCEPTABLE] = { 406, "/problems/not-acceptable",
	    { "Format non disponible", "Not acceptable",
	      "Formato non disponibile" } },
	[PROB_CONFLICT] = { 409, "/problems/conflict",
	    { "Conflit", "Conflict", "Conflitto" } },
	[PROB_GONE] = { 410, "/problems/gone",
	    { "N'existe plus", "Gone", "Non più disponibile" } },
	[PROB_TOO_LARGE] = { 413, "/problems/payload-too-large",
	    { "Contenu trop volumineux", "Payload too large",
	      "Contenuto troppo grande" } },
	[PROB_URI_TOO_LONG] = { 414, "/problems/uri-too-long",
	    { "Adresse trop longue", "URI too long", "URI troppo lungo" } },
	[PROB_MEDIA_TYPE] = { 415, "/problems/unsupported-media-type",
	    { "Type de contenu non pris en charge", "Unsupported media type",
	      "Tipo di contenuto non supportato" } },
	[PROB_VALIDATION] = { 422, "/problems/validation",
	    { "Requête invalide", "Invalid request", "Richiesta non valida" } },
	[PROB_TOO_MANY] = { 429, "/problems/too-many-requests",
	    { "Trop de requêtes", "Too many requests", "Troppe richieste" } },
	[PROB_HEADERS_TOO_LARGE] = { 431, "/problems/header-fields-too-large",
	    { "En-têtes trop volumineux", "Request header fields too large",
	      "Intestazioni troppo grandi" } },
	[PROB_INTERNAL] = { 500, "/problems/internal",
	    { "Erreur interne", "Internal error", "Errore interno" } },
	[PROB_NOT_IMPLEMENTED] = { 501, "/problems/not-implemented",
	    { "Non pris en charge", "Not implemented", "Non implementato" } },
	[PROB_UNAVAILABLE] = { 503, "/problems/unavailable",
	    { "Service momentanément indisponible",
	      "Service temporarily unavailable",
	      "Servizio temporaneamente non disponibile" } },
	[PROB_TIMEOUT] = { 503, "/problems/timeout",
	    { "Délai dépassé", "Timed out", "Tempo scaduto" } },
};

int
problem_status(enum problem p)
{
	return (problems[p].status);
}

const char *
problem_type(enum problem p)
{
	return (problems[p].type);
}

const char *
problem_title(enum problem p, enum lang l)
{
	return (problems[p].title[l]);
}

void
reply_reset(struct request *req)
{
	int	 i;

	if (req->reply.stream_done != NULL)
		req->reply.stream_done(req->reply.stream_cls);
	req->reply.stream = NULL;
	req->reply.stream_cls = NULL;
	req->reply.stream_done = NULL;
	for (i = 0; i < req->reply.nheaders; i++) {
		free(req->reply.headers[i].name);
		free(req->reply.headers[i].value);
	}
	req->reply.nheaders = 0;
	buf_cleanup(&req->reply.body);
	req->reply.static_body = NULL;
	req->reply.static_len = 0;
	req->reply.status = 0;
	req->reply.content_type = NULL;
}

static void
reply_set(struct request *req, int status, const char *ctype)
{
	if (req->reply.status != 0)
		reply_reset(req);
	req->reply.status = status;
	req->reply.content_type = ctype;
}

void
reply_header(struct request *req, const char *name, const char *value)
{
	struct reply	*r = &req->reply;

	if (r->nheaders == REPLY_HEADERS_MAX)
		return;
	r->headers[r->nheaders].name = xstrdup(name);
	r->headers[r->nheaders].value = xstrdup(value);
	r->nheaders++;
}

const char *
reply_header_get(const struct request *req, const char *name)
{
	int	 i;

	for (i = 0; i < req->reply.nheaders; i++)
		if (strcasecmp(req->reply.headers[i].name, name) == 0)
			return (req->reply.headers[i].value);
	return (NULL);
}

/* One entity-tag at 'p' (after optional W/): its opaque part and length. */
static const char *
etag_next(const char *p, const char **tag, size_t *len)
{
	const char	*q;

	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	if (*p == '\0')
		return (NULL);
	if (p[0] == 'W' && p[1] == '/')
		p += 2;
	if (*p != '"') {
		/* Not an entity-tag: skip to the next comma. */
		*tag = NULL;
		*len = 0;
		q = strchr(p, ',');
		return (q != NULL ? q : p + strlen(p));
	}
	q = strchr(p + 1, '"');
	if (q == NULL) {
		*tag = NULL;
		*len = 0;
		return (p + strlen(p));
	}
	*tag = p;
	*len = (size_t)(q + 1 - p);
	return (q + 1);
}

int
etag_match(const char *inm, const char *etag)
{
	const char	*p, *tag;
	size_t		 len, elen;

	if (inm == NULL || etag == NULL)
		return (0);
	while (*inm == ' ' || *inm == '\t')
		inm++;
	if (inm[0] == '*' && (inm[1] == '\0' || inm[1] == ' '))
		return (1);
	if (etag[0] == 'W' && etag[1] == '/')
		etag += 2;
	elen = strlen(etag);
	for (p = inm; (p = etag_next(p, &tag, &len)) != NULL; )
		if (tag != NULL && len == elen && memcmp(tag, etag, len) == 0)
			return (1);
	return (0);
}

void
etag_of(const void *p, size_t len, char *out)
{
	char	 hex[SHA256_HEX_LEN];

	sha256_hex(p, len, hex);
	/* 128 bits are plenty to tell versions of one resource apart. */
	snprintf(out, 35, "\"%.32s\"", hex);
}

static int
dump_to_buf(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return (0);
}

void
reply_json(struct request *req, int status, json_t *v)
{
	reply_set(req, status, CT_JSON);
	/* Straight into the body: no intermediate string to grow and copy. */
	if (json_dump_callback(v, dump_to_buf, &req->reply.body,
	    JSON_COMPACT) == -1)
		abort();
	json_decref(v);
}

void
reply_bytes(struct request *req, int status, const char *ctype,
    const void *p, size_t n)
{
	reply_set(req, status, ctype);
	buf_add(&req->reply.body, p, n);
}

void
reply_static(struct request *req, int status, const char *ctype,
    const void *p, size_t n)
{
	reply_set(req, status, ctype);
	req->reply.static_body = p;
	req->reply.static_len = n;
}

void
reply_stream(struct request *req, int status, const char *ctype,
    reply_stream_fn next, void *cls, void (*done)(void *))
{
	reply_set(req, status, ctype);
	req->reply.stream = next;
	req->reply.stream_cls = cls;
	req->reply.stream_done = done;
}

static void	vproblem(struct request *, enum problem, json_t *, size_t,
		    const char *, va_list) __attribute__((format(printf, 5, 0)));

/*
 * 'errors' (may be NULL) is stolen; 'total' counts the problems it stands
 * for: past JSON_ERRORS_MAX entries, or when json_check() stopped making
 * them, the rest are only counted, in "errors_omitted".
 */
static void
vproblem(struct request *req, enum problem p, json_t *errors, size_t total,
    const char *fmt, va_list ap)
{
	json_t	*o;
	char	 detail[512];
	char	*s;
	size_t	 n;

	vsnprintf(detail, sizeof(detail), fmt, ap);
	o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}",
	    "type", problems[p].type,
	    "title", problems[p].title[req->lang],
	    "status", problems[p].status,
	    "detail", detail,
	    "instance", req->path != NULL ? req->path : "",
	    "request_id", req->id);
	if (o == NULL)
		abort();
	if (errors != NULL) {
		while ((n = json_array_size(errors)) > JSON_ERRORS_MAX)
			json_array_remove(errors, n - 1);
		json_object_set_new(o, "errors", errors);
		if (total > n)
			json_object_set_new(o, "errors_omitted",
			    json_integer((json_int_t)(total - n)));
	}
	reply_set(req, problems[p].status, CT_PROBLEM);
	/* Invalid UTF-8 in 'detail' would make jansson refuse: never expected. */
	if ((s = json_dumps(o, JSON_COMPACT)) == NULL)
		abort();
	buf_adds(&req->reply.body, s);
	free(s);
	json_decref(o);
	if (p == PROB_UNAVAILABLE || p == PROB_TIMEOUT)
		reply_header(req, "Retry-After", "1");
	if (p == PROB_UNAUTHORIZED)
		reply_header(req, "WWW-Authenticate", "Bearer");
}

void
reply_problem(struct request *req, enum problem p, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vproblem(req, p, NULL, 0, fmt, ap);
	va_end(ap);
}

void
reply_problem_errors(struct request *req, enum problem p, json_t *errors,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vproblem(req, p, errors, json_array_size(errors), fmt, ap);
	va_end(ap);
}

static void	problem(struct request *, enum problem, json_t *, size_t,
		    const char *, ...) __attribute__((format(printf, 5, 6)));

static void
problem(struct request *req, enum problem p, json_t *errors, size_t total,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vproblem(req, p, errors, total, fmt, ap);
	va_end(ap);
}

void
reply_validation(struct request *req, json_t *errors, size_t total)
{
	problem(req, PROB_VALIDATION, errors, total, "%zu field%s invalid",
	    total, total == 1 ? " is" : "s are");
}

void
reply_db_error(struct request *req, const struct db_error *err)
{
	switch (err->code) {
	case DB_E_UNAVAILABLE:
		reply_problem(req, PROB_UNAVAILABLE,
		    "the database is unavailable; try again shortly");
		break;
	case DB_E_TIMEOUT:
		reply_problem(req, PROB_TIMEOUT,
		    "the database did not answer in time; try again shortly");
		break;
	case DB_E_SERIALIZATION:
		reply_problem(req, PROB_UNAVAILABLE,
		    "too many concurrent changes; try again");
		break;
	case DB_E_UNIQUE:
	case DB_E_FOREIGN_KEY:
		reply_problem(req, PROB_CONFLICT,
		    "this conflicts with the current state of the resource");
		break;
	case DB_E_CHECK:
		/* Same shape as every 422; the field is not known here. */
		reply_problem_errors(req, PROB_VALIDATION, json_pack(
		    "[{s:s, s:s, s:s}]", "field", "", "code", "constraint",
		    "message", req->lang == LANG_FR ? "une valeur ne respecte "
		    "pas les règles" : req->lang == LANG_IT ? "un valore non "
		    "rispetta le regole" : "a value breaks the rules"),
		    "a value was refused by the database rules");
		break;
	default:
		reply_problem(req, PROB_INTERNAL,
		    "the request could not be completed");
		break;
	}
}

int
reply_exec(struct request *req, const struct db_stmt *st,
    const char *const *params, struct db_res **res)
{
	struct db_error	 err;

	if (db_exec(db_thread(), st, params, res, &err) == -1) {
		reply_db_error(req, &err);
		return (-1);
	}
	return (0);
}
