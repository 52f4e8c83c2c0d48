/*
 * reply.c: setting the one reply of a request, and the problem documents
 * (RFC 9457) that every error uses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/b64.h"
#include "base/digest.h"
#include "base/hook.h"
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

/* The server's own codes (reply.h, enum http_err). */
const struct errcode http_errors[HE__COUNT] = {
	[HE_NO_ROUTE] = { "no_route", PROB_NOT_FOUND,
	    { "aucune ressource à cette adresse", "no resource at this path",
	      "nessuna risorsa a questo indirizzo" } },
	[HE_METHOD] = { "method_not_allowed", PROB_METHOD,
	    { "cette ressource n'accepte que %s",
	      "this resource allows only %s",
	      "questa risorsa accetta solo %s" } },
	[HE_BODY_NOT_ALLOWED] = { "body_not_allowed", PROB_MEDIA_TYPE,
	    { "cette ressource ne prend pas de corps de requête",
	      "this resource takes no request body",
	      "questa risorsa non accetta un corpo di richiesta" } },
	[HE_BODY_TOO_LARGE] = { "body_too_large", PROB_TOO_LARGE,
	    { "le corps ne peut dépasser %s octets",
	      "the body may not exceed %s bytes",
	      "il corpo non può superare %s byte" } },
	[HE_MEDIA_TYPE] = { "media_type_json", PROB_MEDIA_TYPE,
	    { "le corps doit être en application/json (UTF-8)",
	      "the body must be application/json (UTF-8)",
	      "il corpo deve essere application/json (UTF-8)" } },
	[HE_MEDIA_TYPE_FORM] = { "media_type_json_or_form", PROB_MEDIA_TYPE,
	    { "le corps doit être en application/json (UTF-8) ou "
	      "application/x-www-form-urlencoded",
	      "the body must be application/json (UTF-8) or "
	      "application/x-www-form-urlencoded",
	      "il corpo deve essere application/json (UTF-8) o "
	      "application/x-www-form-urlencoded" } },
	[HE_MEDIA_TYPE_OTHER] = { "media_type", PROB_MEDIA_TYPE,
	    { "le corps doit être de l'un de ces types : %s",
	      "the body must be of one of these types: %s",
	      "il corpo deve essere di uno di questi tipi: %s" } },
	[HE_MALFORMED_JSON] = { "malformed_json", PROB_MALFORMED,
	    { "le corps n'est pas un JSON valide : %s",
	      "the body is not valid JSON: %s",
	      "il corpo non è un JSON valido: %s" } },
	[HE_MALFORMED_FORM] = { "malformed_form", PROB_MALFORMED,
	    { "le formulaire est mal formé : %s",
	      "the form is malformed: %s",
	      "il modulo non è valido: %s" } },
	[HE_BODY_REQUIRED] = { "body_required", PROB_MALFORMED,
	    { "un corps de requête est requis", "a request body is required",
	      "è richiesto un corpo di richiesta" } },
	[HE_VALIDATION] = { "validation", PROB_VALIDATION,
	    { "champs invalides : %s", "invalid fields: %s",
	      "campi non validi: %s" } },
	[HE_UNAUTHENTICATED] = { "unauthenticated", PROB_UNAUTHORIZED,
	    { "connectez-vous pour utiliser cette ressource",
	      "sign in to use this resource",
	      "accedi per usare questa risorsa" } },
	[HE_TOKEN_INVALID] = { "token_invalid", PROB_UNAUTHORIZED,
	    { "le jeton est invalide, expiré ou révoqué",
	      "the token is invalid, expired or revoked",
	      "il token non è valido, è scaduto o revocato" } },
	[HE_FORBIDDEN] = { "forbidden", PROB_FORBIDDEN,
	    { "vous n'avez pas le droit d'utiliser cette ressource",
	      "you are not allowed to use this resource",
	      "non sei autorizzato a usare questa risorsa" } },
	[HE_SLOW_LANE_FULL] = { "busy", PROB_UNAVAILABLE,
	    { "trop de requêtes de ce type attendent ; réessayez dans un "
	      "instant", "too many requests of this kind are waiting; try "
	      "again shortly", "troppe richieste di questo tipo sono in "
	      "attesa; riprova tra poco" } },
	[HE_NO_REPLY] = { "no_reply", PROB_INTERNAL,
	    { "la requête n'a pas pu aboutir",
	      "the request could not be completed",
	      "la richiesta non è stata completata" } },
	[HE_DB_UNAVAILABLE] = { "database_unavailable", PROB_UNAVAILABLE,
	    { "la base de données est indisponible ; réessayez dans un "
	      "instant", "the database is unavailable; try again shortly",
	      "il database non è disponibile; riprova tra poco" } },
	[HE_DB_TIMEOUT] = { "database_timeout", PROB_TIMEOUT,
	    { "la base de données n'a pas répondu à temps ; réessayez dans "
	      "un instant", "the database did not answer in time; try "
	      "again shortly", "il database non ha risposto in tempo; "
	      "riprova tra poco" } },
	[HE_DB_BUSY] = { "database_busy", PROB_UNAVAILABLE,
	    { "trop de modifications simultanées ; réessayez",
	      "too many concurrent changes; try again",
	      "troppe modifiche simultanee; riprova" } },
	[HE_DB_CONFLICT] = { "state_conflict", PROB_CONFLICT,
	    { "cela contredit l'état actuel de la ressource",
	      "this conflicts with the current state of the resource",
	      "questo è in conflitto con lo stato attuale della risorsa" } },
	[HE_DB_CHECK] = { "constraint", PROB_VALIDATION,
	    { "une valeur a été refusée par les règles de la base",
	      "a value was refused by the database rules",
	      "un valore è stato rifiutato dalle regole del database" } },
	[HE_INTERNAL] = { "internal", PROB_INTERNAL,
	    { "la requête n'a pas pu aboutir",
	      "the request could not be completed",
	      "la richiesta non è stata completata" } },
	[HE_BAD_LIMIT] = { "bad_limit", PROB_BAD_REQUEST,
	    { "limit doit être un entier de 1 à 100",
	      "limit must be an integer from 1 to 100",
	      "limit deve essere un intero da 1 a 100" } },
	[HE_BAD_CURSOR] = { "bad_cursor", PROB_BAD_REQUEST,
	    { "curseur invalide", "invalid cursor", "cursore non valido" } },
	[HE_BAD_QUERY] = { "bad_query", PROB_BAD_REQUEST,
	    { "paramètre de requête invalide : %s",
	      "invalid query parameter: %s",
	      "parametro di query non valido: %s" } },
	[HE_RATE_LIMITED] = { "rate_limited", PROB_TOO_MANY,
	    { "trop de requêtes de cette adresse ; réessayez dans %s s",
	      "too many requests from this address; try again in %s s",
	      "troppe richieste da questo indirizzo; riprova tra %s s" } },
	[HE_URI_TOO_LONG] = { "uri_too_long", PROB_URI_TOO_LONG,
	    { "la ligne de requête et les en-têtes ne peuvent dépasser %s "
	      "octets", "the request line and headers may not exceed %s "
	      "bytes", "la riga di richiesta e le intestazioni non possono "
	      "superare %s byte" } },
	[HE_HEADERS_TOO_LARGE] = { "header_fields_too_large",
	    PROB_HEADERS_TOO_LARGE,
	    { "la ligne de requête et les en-têtes ne peuvent dépasser %s "
	      "octets", "the request line and headers may not exceed %s "
	      "bytes", "la riga di richiesta e le intestazioni non possono "
	      "superare %s byte" } },
	[HE_NUL_IN_HEAD] = { "nul_in_head", PROB_MALFORMED,
	    { "un octet NUL ou une ligne repliée dans la ligne de requête ou "
	      "les en-têtes", "a NUL byte or a folded line in the request "
	      "line or headers", "un byte NUL o una riga ripiegata nella "
	      "riga di richiesta o nelle intestazioni" } },
	[HE_TRANSFER_CODING] = { "transfer_coding", PROB_NOT_IMPLEMENTED,
	    { "le seul codage de transfert accepté est chunked",
	      "the only transfer coding accepted is chunked",
	      "l'unica codifica di trasferimento accettata è chunked" } },
	[HE_LENGTH_AND_CHUNKED] = { "length_and_chunked", PROB_MALFORMED,
	    { "Content-Length et Transfer-Encoding ensemble",
	      "Content-Length and Transfer-Encoding together",
	      "Content-Length e Transfer-Encoding insieme" } },
	[HE_LENGTH_CONFLICT] = { "length_conflict", PROB_MALFORMED,
	    { "des en-têtes Content-Length qui diffèrent",
	      "Content-Length headers that disagree",
	      "intestazioni Content-Length che non concordano" } },
	[HE_QUERY_NOT_TEXT] = { "query_not_text", PROB_BAD_REQUEST,
	    { "la chaîne de requête n'est pas du texte (un échappement %% "
	      "invalide, un octet NUL ou de l'UTF-8 invalide)",
	      "the query string is not text (a bad %%-escape, a NUL byte or "
	      "invalid UTF-8)", "la stringa di query non è testo (un "
	      "escape %% non valido, un byte NUL o UTF-8 non valido)" } },
	[HE_SLOW_LANE_SHARE] = { "busy_address", PROB_TOO_MANY,
	    { "trop de requêtes de ce type de votre adresse attendent ; "
	      "réessayez dans un instant", "too many requests of this kind "
	      "from your address are waiting; try again shortly",
	      "troppe richieste di questo tipo dal tuo indirizzo sono in "
	      "attesa; riprova tra poco" } },
	[HE_SLOW_LANE_ACCOUNT] = { "busy_account", PROB_TOO_MANY,
	    { "trop de connexions à ce compte attendent ; réessayez dans un "
	      "instant", "too many sign-ins to this account are waiting; try "
	      "again shortly", "troppi accessi a questo account sono in "
	      "attesa; riprova tra poco" } },
	[HE_SLOW_LANE_DISPLACED] = { "displaced", PROB_TOO_MANY,
	    { "la file d'attente est pleine et votre adresse y avait le plus "
	      "de requêtes : la place de celle-ci est allée à une autre "
	      "adresse ; réessayez dans un instant", "the queue is full and "
	      "your address held the most requests in it: this one's place "
	      "went to another address; try again shortly", "la coda è piena "
	      "e il tuo indirizzo vi aveva più richieste: il posto di questa "
	      "è andato a un altro indirizzo; riprova tra poco" } },
	[HE_UPLOAD_MEMORY] = { "uploads_busy", PROB_UNAVAILABLE,
	    { "trop de fichiers sont en cours d'envoi ; réessayez dans un "
	      "instant", "too many files are being uploaded; try again "
	      "shortly", "troppi file sono in fase di invio; riprova tra "
	      "poco" } },
	[HE_LIVE_FULL] = { "live_full", PROB_UNAVAILABLE,
	    { "trop de flux en direct sont ouverts (sur ce serveur ou depuis "
	      "votre adresse) ; réessayez plus tard", "too many live streams "
	      "are open (on this server or from your address); try again "
	      "later", "troppi flussi in diretta sono aperti (su questo server "
	      "o dal tuo indirizzo); riprova più tardi" } },
	[HE_EMPTY_PATCH] = { "empty_patch", PROB_VALIDATION,
	    { "rien à modifier : la requête ne nomme aucun champ",
	      "nothing to change: the request names no field",
	      "niente da modificare: la richiesta non indica alcun campo" } },
};

/* Every code of every module, registered at start-up (module.c). */
#define ERRCODES_MAX	512
static const struct errcode	*codes[ERRCODES_MAX];
static size_t			 ncodes;

int
errcode_nargs(const char *s)
{
	int	 n = 0;

	for (; *s != '\0'; s++) {
		if (*s != '%')
			continue;
		if (s[1] == '%')
			s++;
		else if (s[1] == 's') {
			n++;
			s++;
		} else
			return (-1);
	}
	return (n);
}

static int
errcode_ok(const struct errcode *e)
{
	const char	*c = e->code;
	int		 n, l;

	if (c == NULL || *c < 'a' || *c > 'z' || e->problem >= PROB__COUNT)
		return (0);
	for (; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		    *c == '_'))
			return (0);
	if (e->detail[0] == NULL || (n = errcode_nargs(e->detail[0])) < 0)
		return (0);
	for (l = 1; l < 3; l++)
		if (e->detail[l] == NULL || errcode_nargs(e->detail[l]) != n)
			return (0);
	return (1);
}

int
errcode_register(const struct errcode *t, size_t n, char *err, size_t errlen)
{
	size_t	 i, j;

	for (i = 0; i < n; i++) {
		if (!errcode_ok(&t[i])) {
			snprintf(err, errlen, "problem code '%s' is malformed "
			    "(name, or its texts' %%s differ)",
			    t[i].code != NULL ? t[i].code : "");
			return (-1);
		}
		for (j = 0; j < ncodes; j++)
			if (strcmp(codes[j]->code, t[i].code) == 0) {
				snprintf(err, errlen, "problem code '%s' is "
				    "declared twice", t[i].code);
				return (-1);
			}
		if (ncodes == ERRCODES_MAX) {
			snprintf(err, errlen, "more than %d problem codes",
			    ERRCODES_MAX);
			return (-1);
		}
		codes[ncodes++] = &t[i];
	}
	return (0);
}

void
errcode_register_builtin(void)
{
	char	 err[128];

	if (ncodes == 0 && errcode_register(http_errors, HE__COUNT, err,
	    sizeof(err)) == -1)
		abort();
}

size_t
errcode_count(void)
{
	return (ncodes);
}

const struct errcode *
errcode_at(size_t i)
{
	return (i < ncodes ? codes[i] : NULL);
}

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
	if (req->reply.detach != NULL)
		req->reply.detach(req->reply.detach_cls, -1, NULL, 0, 0);
	req->reply.detach = NULL;
	req->reply.detach_cls = NULL;
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
	unsigned char	 h[HASH128_LEN];

	/*
	 * 128 bits are plenty to tell versions of one resource apart; a
	 * fast hash, not SHA-256: the map and Open311's lists hash up to
	 * 750 KB per answer (SHA-256 was 6 % of the CPU of a map request).
	 */
	hash128(p, len, h);
	out[0] = '"';
	hex_encode(h, sizeof(h), out + 1);
	out[33] = '"';
	out[34] = '\0';
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

struct buf *
reply_body(struct request *req, int status, const char *ctype)
{
	reply_set(req, status, ctype);
	return (&req->reply.body);
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
reply_stream_len(struct request *req, int status, const char *ctype,
    uint64_t len, reply_stream_fn next, void *cls, void (*done)(void *))
{
	reply_set(req, status, ctype);
	req->reply.stream = next;
	req->reply.stream_len = len;
	req->reply.stream_cls = cls;
	req->reply.stream_done = done;
}

void
reply_detach(struct request *req, int status, const char *ctype,
    reply_detach_fn attach, void *cls)
{
	reply_set(req, status, ctype);
	req->reply.detach = attach;
	req->reply.detach_cls = cls;
}

void
reply_stream(struct request *req, int status, const char *ctype,
    reply_stream_fn next, void *cls, void (*done)(void *))
{
	reply_stream_len(req, status, ctype, UINT64_MAX, next, cls, done);
}

static struct {
	const char		*prefix;
	size_t			 len;
	reply_error_writer	 fn;
} writers[REPLY_WRITERS_MAX];
static int	nwriters;

int
reply_error_writer_add(const char *prefix, reply_error_writer fn)
{
	int	 i;

	hook_note("error-writer");
	/* A module initialised again replaces its own. */
	for (i = 0; i < nwriters; i++)
		if (strcmp(writers[i].prefix, prefix) == 0) {
			writers[i].fn = fn;
			return (0);
		}
	if (nwriters == REPLY_WRITERS_MAX)
		return (-1);
	writers[nwriters].prefix = prefix;
	writers[nwriters].len = strlen(prefix);
	writers[nwriters].fn = fn;
	nwriters++;
	return (0);
}

/* The error writer of the request's path, or NULL. */
static reply_error_writer
writer_of(const struct request *req)
{
	int	 i;

	if (req->path == NULL)
		return (NULL);
	for (i = 0; i < nwriters; i++)
		if (strncmp(req->path, writers[i].prefix, writers[i].len) ==
		    0 && (req->path[writers[i].len] == '/' ||
		    req->path[writers[i].len] == '\0'))
			return (writers[i].fn);
	return (NULL);
}

/*
 * The problem document of 'code' (struct errcode).
 * 'errors' (may be NULL) is stolen; 'total' counts the problems it stands
 * for: past JSON_ERRORS_MAX entries, or when json_check() stopped making
 * them, the rest are only counted, in "errors_omitted".
 */
static void
problem_set(struct request *req, enum problem p, const char *code,
    const char *detail, json_t *errors, size_t total, json_t *extra)
{
	static _Thread_local int	 in_writer;
	reply_error_writer		 w;
	json_t				*o;
	char				*s;
	size_t				 n;

	if (!in_writer && (w = writer_of(req)) != NULL) {
		json_decref(errors);
		json_decref(extra);
		in_writer = 1;
		w(req, problems[p].status, code, detail);
		in_writer = 0;
		goto headers;
	}
	o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}",
	    "type", problems[p].type,
	    "title", problems[p].title[req->lang],
	    "status", problems[p].status,
	    "detail", detail,
	    "instance", req->path != NULL ? req->path : "",
	    "request_id", req->id);
	if (o == NULL)
		abort();
	json_object_set_new(o, "code", json_string(code));
	/* Extension members (RFC 9457 3.2) never replace a standard one. */
	if (extra != NULL) {
		json_object_update_missing(o, extra);
		json_decref(extra);
	}
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
headers:
	if ((p == PROB_UNAVAILABLE || p == PROB_TIMEOUT) &&
	    reply_header_get(req, "Retry-After") == NULL)
		reply_header(req, "Retry-After", "1");
	if (p == PROB_UNAUTHORIZED && req->reply.status == 401)
		reply_header(req, "WWW-Authenticate", "Bearer");
}

/* 'tmpl' with each '%s' replaced by the next string of 'ap'. */
static void
detail_format(struct buf *b, const char *tmpl, va_list ap)
{
	const char	*a;

	for (; *tmpl != '\0'; tmpl++) {
		if (tmpl[0] == '%' && tmpl[1] == '%') {
			buf_addc(b, '%');
			tmpl++;
		} else if (tmpl[0] == '%' && tmpl[1] == 's') {
			a = va_arg(ap, const char *);
			buf_adds(b, a != NULL ? a : "");
			tmpl++;
		} else
			buf_addc(b, *tmpl);
	}
}

static void
verror(struct request *req, const struct errcode *e, json_t *errors,
    size_t total, json_t *extra, va_list ap)
{
	struct buf	 d;

	buf_init(&d);
	detail_format(&d, e->detail[req->lang], ap);
	/* Every 422 has its "errors": the whole request, when no field. */
	if (e->problem == PROB_VALIDATION && errors == NULL) {
		errors = json_pack("[{s:s, s:s, s:s}]", "field", "", "code",
		    e->code, "message", d.data != NULL ? d.data : "");
		total = 1;
	}
	problem_set(req, e->problem, e->code, d.data != NULL ? d.data : "",
	    errors, total, extra);
	buf_cleanup(&d);
}

void
reply_error(struct request *req, const struct errcode *e, ...)
{
	va_list	 ap;

	va_start(ap, e);
	verror(req, e, NULL, 0, NULL, ap);
	va_end(ap);
}

void
reply_error_member(struct request *req, const char *name, const char *value,
    const struct errcode *e, ...)
{
	va_list	 ap;

	va_start(ap, e);
	verror(req, e, NULL, 0, json_pack("{s:s}", name, value), ap);
	va_end(ap);
}

void
reply_refused(struct request *req, const struct errcode *e,
    const char *state, const char *a0, const char *a1)
{
	if (e->problem == PROB_CONFLICT)
		reply_error_member(req, "state", state, e, a0, a1);
	else
		reply_error(req, e, a0, a1);
}

void
reply_error_fields(struct request *req, const struct errcode *e,
    json_t *errors, ...)
{
	va_list	 ap;

	va_start(ap, errors);
	verror(req, e, errors, json_array_size(errors), NULL, ap);
	va_end(ap);
}

/* A 422 of the input checker: 'total' problems, 'errors' lists some. */
static void
validation_reply(struct request *req, json_t *errors, size_t total, ...)
{
	va_list	 ap;

	va_start(ap, total);
	verror(req, HTTP_ERR(HE_VALIDATION), errors, total, NULL, ap);
	va_end(ap);
}

void
reply_validation(struct request *req, json_t *errors, size_t total)
{
	char	 n[24];

	snprintf(n, sizeof(n), "%zu", total);
	validation_reply(req, errors, total, n);
}

void
reply_op_failure(struct request *req, enum op_failure f,
    const struct errcode *e, const char *state, const char *a0,
    const char *a1, json_t *errors, const struct db_error *err)
{
	switch (f) {
	case OP_REFUSED:
		reply_refused(req, e, state, a0, a1);
		break;
	case OP_INVALID:
		reply_validation(req, errors, json_array_size(errors));
		errors = NULL;
		break;
	case OP_DB:
		reply_db_error(req, err);
		break;
	}
	json_decref(errors);
}

void
reply_db_error(struct request *req, const struct db_error *err)
{
	switch (err->code) {
	case DB_E_UNAVAILABLE:
		reply_error(req, HTTP_ERR(HE_DB_UNAVAILABLE));
		break;
	case DB_E_TIMEOUT:
		reply_error(req, HTTP_ERR(HE_DB_TIMEOUT));
		break;
	case DB_E_SERIALIZATION:
		reply_error(req, HTTP_ERR(HE_DB_BUSY));
		break;
	case DB_E_UNIQUE:
	case DB_E_FOREIGN_KEY:
		reply_error(req, HTTP_ERR(HE_DB_CONFLICT));
		break;
	case DB_E_CHECK:
		/* Same shape as every 422; the field is not known here. */
		reply_error_fields(req, HTTP_ERR(HE_DB_CHECK), json_pack(
		    "[{s:s, s:s, s:s}]", "field", "", "code", "constraint",
		    "message", HTTP_ERR(HE_DB_CHECK)->detail[req->lang]));
		break;
	default:
		reply_error(req, HTTP_ERR(HE_INTERNAL));
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

int
reply_exec_row(struct request *req, const struct db_stmt *st,
    const char *const *params, struct db_res **res,
    const struct errcode *none)
{
	if (reply_exec(req, st, params, res) == -1)
		return (-1);
	if (db_res_rows(*res) != 1) {
		db_res_free(*res);
		*res = NULL;
		reply_error(req, none);
		return (-1);
	}
	return (0);
}

const char *
param_uuid_or_reply(struct request *req, const char *name,
    const struct errcode *notfound)
{
	const char	*v = request_param(req, name);

	if (v == NULL || !json_format_ok(JF_UUID, v)) {
		reply_error(req, notfound);
		return (NULL);
	}
	return (v);
}
