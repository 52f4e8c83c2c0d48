/*
 * open311_http.c: the Open311 GeoReport v2 server (guichet-open311(7)):
 * discovery, services, service definitions, requests (GET, POST),
 * requests/{id}, tokens/{token}, and the servicerequestupdates extension,
 * each in XML and JSON chosen by the suffix of the path.
 *
 * One handler builds the JSON value; o311_reply() writes it in the format
 * asked (XML through http/xml.h, the spec's mechanical mapping), with the
 * content types text/xml and application/json.  Errors have the spec's
 * own format, made in one place: o311_error(), a list of {code,
 * description} with 400, 403 or 404.  Reports are the incidents module's
 * (incidents.h, incidents_open311.h); what Open311 brings beyond them
 * (the partner, the reporter's contact, media_url, partners' update ids)
 * is this module's (sql/026_open311.sql).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/lang.h"
#include "base/log.h"
#include "db/db.h"
#include "http/fragment.h"
#include "http/reply.h"
#include "http/xml.h"
#include "identity/identity.h"
#include "incidents/incidents.h"
#include "incidents/incidents_open311.h"
#include "json/check.h"
#include "open311/open311_int.h"

#define L3(fr, en, it)	{ [LANG_FR] = fr, [LANG_EN] = en, [LANG_IT] = it }
#define DAY_US		(86400LL * 1000000LL)

enum fmt { FMT_XML, FMT_JSON };

/* XML item names of the arrays Open311 answers with. */
static const struct xml_plural o311_plurals[] = {
	{ "services", "service" },
	{ "service_requests", "request" },
	{ "errors", "error" },
	{ "endpoints", "endpoint" },
	{ "formats", "format" },
	{ "attributes", "attribute" },
	{ "values", "value" },
	{ "service_request_updates", "request_update" },
	{ NULL, NULL }
};

/*
 * The format of the last segment of the path ('.xml' or '.json'), and
 * that segment's stem in 'stem' (when not NULL).  -1 when there is none.
 */
static int
path_format(const char *seg, char *stem, size_t len)
{
	const char	*dot = strrchr(seg, '.');
	int		 f;

	if (dot == NULL)
		return (-1);
	if (strcmp(dot, ".xml") == 0)
		f = FMT_XML;
	else if (strcmp(dot, ".json") == 0)
		f = FMT_JSON;
	else
		return (-1);
	if (stem != NULL) {
		if ((size_t)(dot - seg) >= len || dot == seg)
			return (-1);
		memcpy(stem, seg, (size_t)(dot - seg));
		stem[dot - seg] = '\0';
	}
	return (f);
}

/* The format of the answer: the path's suffix; JSON when it has none. */
static enum fmt
req_format(const struct request *req)
{
	const char	*slash = strrchr(req->path, '/');
	int		 f;

	f = path_format(slash != NULL ? slash + 1 : req->path, NULL, 0);
	return (f == FMT_XML ? FMT_XML : FMT_JSON);
}

/* The answer 'v' (stolen) in the request's format. */
static void
o311_reply(struct request *req, int status, const char *root, json_t *v)
{
	struct buf	 b;
	const char	*why = NULL;

	if (req_format(req) == FMT_JSON) {
		/* Reals to 15 digits, as xml_from_json() writes them. */
		char	*s = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(15));

		json_decref(v);
		if (s == NULL)
			abort();
		reply_bytes(req, status, CT_JSON, s, strlen(s));
		free(s);
		return;
	}
	buf_init(&b);
	if (xml_from_json(&b, root, v, o311_plurals, &why) == -1) {
		log_warnx("request %s: no XML for <%s>: %s", req->id, root, why);
		reply_error(req, HTTP_ERR(HE_INTERNAL));
	} else
		reply_bytes(req, status, "text/xml", b.data, b.len);
	buf_cleanup(&b);
	json_decref(v);
}

/*
 * The Open311 error answer: the one place errors are written.  'errors'
 * is an array of {code, description} (stolen); the HTTP status is
 * 'status': 400, 403 or 404 from the handlers, the others through
 * open311_error_writer() below.
 */
static int
o311_errors(struct request *req, int status, json_t *errors)
{
	/* After the reply is set: setting it drops the headers before. */
	o311_reply(req, status, "errors", errors);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

static void
err_add(json_t *errors, int code, const char *desc)
{
	char	 c[8];

	snprintf(c, sizeof(c), "%d", code);
	json_array_append_new(errors, json_pack("{s:s, s:s}", "code", c,
	    "description", desc));
}

static int
o311_error(struct request *req, int status, const char *desc)
{
	json_t	*e = json_array();

	err_add(e, status, desc);
	return (o311_errors(req, status, e));
}

/*
 * Every problem of a request under /open311/v2 that is not one of the
 * handlers' own (the router's 404 and 405, the body's 413 and 415, the
 * credentials' 401 and 403, the lanes' and rate limits' 429 and 503, a
 * database failure, a 500), in the Open311 format (reply.h,
 * reply_error_writer_add(), from open311_init()).  The statuses are the
 * spec's where it names them: a 401 is its 403 (credentials), and what
 * the spec calls a general failure (a 500, a 409 or 422 of the store)
 * is its 400; the transport's own (405, 413, 414, 415, 429, 431, 501,
 * 503) are kept, a client's HTTP library acts on them
 * (guichet-open311(7), ERRORS).  The code of the error is the status
 * answered, its description the problem's detail.
 */
void
open311_error_writer(struct request *req, int status, const char *code,
    const char *detail)
{
	(void)code;
	switch (status) {
	case 400: case 403: case 404:
	case 405: case 413: case 414: case 415: case 429: case 431:
	case 501: case 503:
		break;
	case 401:
		status = 403;
		break;
	default:
		status = 400;
		break;
	}
	o311_error(req, status, detail);
}

/* A database failure: 503 when it may pass, 400 otherwise (above). */
static int
o311_db_error(struct request *req, const struct db_error *err)
{
	reply_db_error(req, err);
	return (0);
}

/* --- parameters ------------------------------------------------------ */

/* "Optional means an empty parameter is an absent one." */
static const char *
param(const struct request *req, const char *name)
{
	const char	*v = request_query(req, name);

	return (v != NULL && *v != '\0' ? v : NULL);
}

/*
 * The common arguments of every GET: jurisdiction_id (404 another town's)
 * and lang (400 another language); the language in *l.  0, or -1 with the
 * reply set.
 */
static int
common_args(struct request *req, const char *jur, const char *lang,
    enum lang *l)
{
	if (jur != NULL && strcmp(jur, open311_config.jurisdiction) != 0) {
		o311_error(req, 404, "jurisdiction_id not found: this server "
		    "serves one jurisdiction only");
		return (-1);
	}
	*l = req->lang;
	if (lang != NULL) {
		if (strcmp(lang, "fr") != 0 && strcmp(lang, "en") != 0 &&
		    strcmp(lang, "it") != 0) {
			o311_error(req, 400, "lang must be fr, en or it");
			return (-1);
		}
		*l = lang_from_code(lang, LANG_FR);
	}
	reply_header(req, "Content-Language", lang_code(*l));
	return (0);
}

static int
get_args(struct request *req, enum lang *l)
{
	return (common_args(req, param(req, "jurisdiction_id"),
	    param(req, "lang"), l));
}

/* An id (a UUID); 1 when 's' is one. */
static int
is_uuid(const char *s)
{
	return (json_format_ok(JF_UUID, s));
}

/* A code word: [a-z0-9_], 1 to 48. */
static int
is_code(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > 48)
		return (0);
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i])
		    && s[i] != '_')
			return (0);
	return (1);
}

/*
 * A comma list as a PostgreSQL array literal into 'b' ("{a,b}"), each
 * item checked by 'ok' (items failing it are left out when 'skip', make
 * it fail otherwise).  -1 on a bad item or an empty list.
 */
static int
list_literal(const char *s, int (*ok)(const char *, size_t), int skip,
    struct buf *b, size_t *count)
{
	const char	*p = s, *e;
	size_t		 n, k = 0;

	buf_addc(b, '{');
	for (;;) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		while (n > 0 && *p == ' ') {
			p++;
			n--;
		}
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0 && ok(p, n)) {
			if (k++ > 0)
				buf_addc(b, ',');
			buf_add(b, p, n);
		} else if (!skip)
			return (-1);
		if (e == NULL)
			break;
		p = e + 1;
	}
	buf_addc(b, '}');
	*count = k;
	return (k == 0 && !skip ? -1 : 0);
}

static int
uuid_ok(const char *s, size_t n)
{
	char	 c[40];

	if (n != 36)
		return (0);
	memcpy(c, s, n);
	c[n] = '\0';
	return (is_uuid(c));
}

static int
status_ok(const char *s, size_t n)
{
	return ((n == 4 && memcmp(s, "open", 4) == 0) ||
	    (n == 6 && memcmp(s, "closed", 6) == 0));
}

static int
parse_double(const char *s, double *out)
{
	char	*end;

	if (s == NULL)
		return (-1);
	*out = strtod(s, &end);
	return (end == s || *end != '\0' || !isfinite(*out) ? -1 : 0);
}

/* page and page_size: 0, or -1 with the reply set. */
static int
paging(struct request *req, long *limit, long *offset)
{
	const char	*ps = param(req, "page_size"), *pg = param(req, "page");
	char		*end;
	long		 size = O311_PAGE_SIZE_MAX, page = 1;

	if (ps != NULL) {
		size = strtol(ps, &end, 10);
		if (*end != '\0' || size < 1 || size > O311_PAGE_SIZE_MAX)
			return (o311_error(req, 400, "page_size must be 1 to "
			    "1000"), -1);
	}
	if (pg != NULL) {
		page = strtol(pg, &end, 10);
		if (*end != '\0' || page < 1 || page > 1000000)
			return (o311_error(req, 400, "page must be a positive "
			    "integer"), -1);
	}
	*limit = size;
	*offset = (page - 1) * size;
	return (0);
}

/*
 * start_date and end_date: the window (at most 90 days; by default the
 * last 90 days, or 90 days from start_date, or up to end_date) into
 * 'start' and 'end' (RFC 3339).  0, or -1 with the reply set.
 */
static int
window(struct request *req, char *start, char *end, size_t len)
{
	const char	*s = param(req, "start_date"), *e = param(req, "end_date");
	int64_t		 ts, te;

	if (s != NULL && clock_parse(s, &ts) != 0)
		return (o311_error(req, 400, "start_date must be an ISO 8601 "
		    "date and time with its zone"), -1);
	if (e != NULL && clock_parse(e, &te) != 0)
		return (o311_error(req, 400, "end_date must be an ISO 8601 "
		    "date and time with its zone"), -1);
	if (s == NULL && e == NULL) {
		te = clock_now() + 1000000;
		ts = te - O311_WINDOW_DAYS * DAY_US;
	} else if (s == NULL)
		ts = te - O311_WINDOW_DAYS * DAY_US;
	else if (e == NULL)
		te = ts + O311_WINDOW_DAYS * DAY_US;
	if (te < ts)
		return (o311_error(req, 400, "end_date is before start_date"),
		    -1);
	if (te - ts > O311_WINDOW_DAYS * DAY_US)
		return (o311_error(req, 400, "the range of start_date and "
		    "end_date is 90 days at most"), -1);
	clock_format(ts, start, len);
	clock_format(te, end, len);
	return (0);
}

/* --- mapping ------------------------------------------------------- */

/* Our states in Open311's two. */
static const char *
o311_status(const char *ours)
{
	return (ours != NULL && (strcmp(ours, "resolved") == 0 ||
	    strcmp(ours, "closed") == 0) ? "closed" : "open");
}

static void
notice(char *b, size_t n, int days, const char *dept, enum lang l)
{
	if (l == LANG_EN)
		snprintf(b, n, "Target: handled within %d days by the %s "
		    "department.", days, dept);
	else if (l == LANG_IT)
		snprintf(b, n, "Obiettivo: gestita entro %d giorni dal "
		    "servizio %s.", days, dept);
	else
		snprintf(b, n, "Traitement visé sous %d jours par le service "
		    "%s.", days, dept);
}

static const char *const status_text[3][5] = {
	[LANG_FR] = { "ouvert", "pris en compte", "en cours de traitement",
	    "résolu", "clos" },
	[LANG_EN] = { "open", "acknowledged", "in progress", "resolved",
	    "closed" },
	[LANG_IT] = { "aperta", "presa in carico", "in lavorazione",
	    "risolta", "chiusa" },
};

static const char *
state_text(const char *st, enum lang l)
{
	static const char *const codes[5] = { "open", "acknowledged",
	    "in_progress", "resolved", "closed" };
	size_t	 i;

	for (i = 0; i < 5; i++)
		if (st != NULL && strcmp(st, codes[i]) == 0)
			return (status_text[l][i]);
	return (st != NULL ? st : "");
}

static char *
absolute(const char *path)
{
	size_t	 n = strlen(open311_config.public_url) + strlen(path) + 1;
	char	*s = malloc(n);

	if (s == NULL)
		abort();
	snprintf(s, n, "%s%s", open311_config.public_url, path);
	return (s);
}

/* The last service notice written: most requests share theirs. */
struct o311_notice {
	long		 days;
	char		 dept[64];
	char		 text[300];
};

/*
 * The departments' names in 'l' into 'depts' ({code: name}): who is
 * responsible, as people know it (agency_responsible, the notices).
 */
static int
dept_names(enum lang l, json_t *depts, struct db_error *err)
{
	static const char *const name_col[] = { [LANG_FR] = "name_fr",
	    [LANG_EN] = "name_en", [LANG_IT] = "name_it" };
	struct db_res	*res = NULL;
	int		 k;

	if (db_exec(db_thread(), OS(OS_DEPARTMENTS), NULL, &res, err) == -1)
		return (-1);
	for (k = 0; k < db_res_rows(res); k++)
		json_object_set_new(depts, db_str(res, k, "code"),
		    json_string(db_str(res, k, name_col[l])));
	db_res_free(res);
	return (0);
}

/* The department 'code' by its name in 'depts'; the code else. */
static const char *
dept_name(const json_t *depts, const char *code)
{
	if (code == NULL)
		return ("");
	return (json_str(depts, code) != NULL ? json_str(depts, code) : code);
}

/*
 * The postcode in a report's address ("12 rue X, 05100 Montgenèvre"):
 * the last group of exactly five digits, French style, into 'out' (6
 * bytes); 0, or -1 when there is none.
 */
static int
zipcode_of(const char *addr, char *out)
{
	const char	*s, *found = NULL;
	size_t		 n;

	for (s = addr; s != NULL && *s != '\0'; s += n > 0 ? n : 1) {
		n = strspn(s, "0123456789");
		if (n == 5 && (s == addr || !isalnum((unsigned char)s[-1])) &&
		    !isalnum((unsigned char)s[5]))
			found = s;
	}
	if (found == NULL)
		return (-1);
	memcpy(out, found, 5);
	out[5] = '\0';
	return (0);
}

/*
 * The decimal text 's' rounded to 6 decimals as "%.6f" of its double
 * rounds it, into 'b' (40 bytes), without the double: 0, or -1 when only
 * printf can tell (exponents, long numbers, a 7-decimal text ending in 5,
 * which may be a tie).  PostgreSQL writes a float8 as the shortest text
 * that reads back as the same double (or 15 significant digits): a
 * boundary of the rounding (7 decimals ending in 5) strictly between the
 * text and the double would be a shorter such text (or the 15 digits'
 * own value), so the text rounds as the double does, half up at the
 * 7th decimal.  strtod() and printf() were 5 % of the CPU of a list of
 * 1000 requests.
 */
static int
round6(const char *s, char *b)
{
	const char	*dot;
	size_t		 ni, nd, k, i;
	char		 d[40];
	int		 neg = s[0] == '-', up;

	s += neg;
	ni = strspn(s, "0123456789");
	dot = s + ni;
	nd = *dot == '.' ? strspn(dot + 1, "0123456789") : 0;
	if (ni == 0 || ni > 20 || nd > 17 || dot[*dot == '.' ? nd + 1 : 0] !=
	    '\0' || (*dot == '.' && nd == 0))
		return (-1);
	/* The integer part and 6 decimals, padded with zeros. */
	memcpy(d, s, ni);
	for (k = 0; k < 6; k++)
		d[ni + k] = k < nd ? dot[1 + k] : '0';
	up = 0;
	if (nd > 6) {
		if (dot[7] > '5')
			up = 1;
		else if (dot[7] == '5') {
			if (strspn(dot + 8, "0") == nd - 7)
				return (-1);	/* a tie, or near one */
			up = 1;
		}
	}
	k = ni + 6;
	for (i = k; up && i > 0; i--) {
		if (d[i - 1] == '9')
			d[i - 1] = '0';
		else {
			d[i - 1]++;
			up = 0;
		}
	}
	/* 9.9999996 -> 10.000000 */
	i = 0;
	if (neg)
		b[i++] = '-';
	if (up)
		b[i++] = '1';
	memcpy(b + i, d, ni);
	i += ni;
	b[i++] = '.';
	memcpy(b + i, d + ni, 6);
	b[i + 6] = '\0';
	return (0);
}

/*
 * A coordinate to the micro-degree (about 10 cm), from the decimal text
 * PostgreSQL gave ('s', NULL: none), the same in XML and JSON: not the
 * 17 digits of a double.
 */
static void
coordinate_write(struct xml_list *w, const char *name, const char *s)
{
	char	 b[48];
	size_t	 n;

	if (s == NULL) {
		xml_list_real(w, name, NULL);
		return;
	}
	if (round6(s, b) == -1)
		snprintf(b, sizeof(b), "%.6f", strtod(s, NULL));
	/* no trailing zeros: 44.9316, not 44.931600 */
	for (n = strlen(b); n > 1 && b[n - 1] == '0' && b[n - 2] != '.'; n--)
		b[n - 1] = '\0';
	xml_list_real(w, name, b);
}

/*
 * The one way to write a report as an Open311 request, in either format
 * ('w'); 'media' and 'address_id' are what the partner gave (NULL:
 * nothing), 'agency' the name of its department in 'l' (NULL: none, the
 * code is written).  Never the reporter.
 */
static void
o311_request_write(struct xml_list *w, const struct incident_view *v,
    const char *media, const char *address_id, const char *agency,
    enum lang l, struct o311_notice *last)
{
	const char	*st = v->status;
	const char	*dept = agency != NULL ? agency : v->department != NULL ?
			    v->department : "";
	char		 url[sizeof(open311_config.public_url) + 128], zip[6];
	int64_t		 t, c;
	long		 days = 0;
	size_t		 n;
	int		 closed = strcmp(o311_status(st), "closed") == 0;

	if (v->expected_at[0] != '\0' && v->created_at[0] != '\0' &&
	    clock_parse(v->expected_at, &t) == 0 &&
	    clock_parse(v->created_at, &c) == 0)
		days = (long)((t - c) / DAY_US);
	if (last->text[0] == '\0' || days != last->days ||
	    strcmp(dept, last->dept) != 0) {
		notice(last->text, sizeof(last->text), (int)days, dept, l);
		last->days = days;
		/* A name too long to keep is written again next time. */
		if (snprintf(last->dept, sizeof(last->dept), "%s", dept) >=
		    (int)sizeof(last->dept))
			last->dept[0] = '\0';
	}
	xml_list_item(w);
	xml_list_str(w, "service_request_id", v->id);
	xml_list_str(w, "status", o311_status(st));
	xml_list_str(w, "status_notes", v->status_note != NULL ?
	    v->status_note : state_text(st, l));
	xml_list_str(w, "service_name", v->category_name);
	xml_list_str(w, "service_code", v->category);
	xml_list_str(w, "description", v->description);
	xml_list_str(w, "agency_responsible", dept);
	xml_list_str(w, "service_notice", last->text);
	xml_list_str(w, "requested_datetime", v->created_at[0] != '\0' ?
	    v->created_at : NULL);
	/* updated_datetime: the closing date once closed. */
	xml_list_str(w, "updated_datetime", closed && v->finished_at[0] !=
	    '\0' ? v->finished_at : v->updated_at[0] != '\0' ? v->updated_at :
	    NULL);
	xml_list_str(w, "expected_datetime", v->expected_at[0] != '\0' ?
	    v->expected_at : NULL);
	xml_list_str(w, "address", v->address);
	xml_list_str(w, "address_id", address_id);
	xml_list_str(w, "zipcode", zipcode_of(v->address, zip) == 0 ? zip :
	    NULL);
	coordinate_write(w, "lat", v->lat);
	coordinate_write(w, "long", v->lon);
	/* The first photo's public copy, else what the partner gave. */
	if ((n = incidents_photo_first(v->photos)) > 0) {
		snprintf(url, sizeof(url), "%s/api/v1/incidents/%s/photos/%.*s",
		    open311_config.public_url, v->id, (int)n, v->photos);
		media = url;
	}
	xml_list_str(w, "media_url", media);
}

/*
 * The partners' media_url of 'n' items into 'media', and their
 * address_id (when the statement has that column) into 'address_ids',
 * keyed by the column 'key' of statement 'st' (which takes the ids as an
 * array): the ids are the strings at 'id', 'id' + 'stride' bytes, and so
 * on (a member of each item of an array of structures).
 */
static int
media_of(const struct db_stmt *st, const char *key, const char *const *id,
    size_t stride, int n, json_t *media, json_t *address_ids,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	struct buf	 b;
	const char	*p[1];
	int		 k;

	if (n == 0)
		return (0);
	buf_init(&b);
	buf_reserve(&b, 37 * (size_t)n + 2);
	buf_addc(&b, '{');
	for (k = 0; k < n; k++) {
		if (k > 0)
			buf_addc(&b, ',');
		buf_adds(&b, *(const char *const *)(const void *)
		    ((const char *)id + (size_t)k * stride));
	}
	buf_addc(&b, '}');
	p[0] = b.data;
	k = db_exec(db_thread(), st, p, &res, err);
	buf_cleanup(&b);
	if (k == -1)
		return (-1);
	for (k = 0; k < db_res_rows(res); k++) {
		if (!db_isnull(res, k, "media_url"))
			json_object_set_new(media, db_str(res, k, key),
			    json_string(db_str(res, k, "media_url")));
		if (address_ids != NULL && !db_isnull(res, k, "address_id"))
			json_object_set_new(address_ids, db_str(res, k, key),
			    json_string(db_str(res, k, "address_id")));
	}
	db_res_free(res);
	return (0);
}

/* Open311's selection of reports (every member optional: NULL, 0). */
struct o311_query {
	const char	*ids;		/* PostgreSQL uuid[] literal: only those */
	const char	*categories;	/* text[] literal */
	const char	*statuses;	/* text[] literal of our states */
	const char	*start;		/* RFC 3339: created at or after */
	const char	*end;		/* RFC 3339: created before */
	int		 near;		/* within 'radius' metres of lat, lon */
	double		 lat, lon, radius;
	long		 limit;		/* rows */
	long		 offset;
};

/*
 * The ids and versions of the reports of 'q', newest first, with those of
 * the partners' rows and of the departments (OS_REQUESTS).
 */
static int
requests_select(const struct o311_query *q, struct db_res **res,
    struct db_error *err)
{
	const char	*p[10];
	char		 lat[40], lon[40], rad[40], lim[24], off[24];

	snprintf(lat, sizeof(lat), "%.8f", q->lat);
	snprintf(lon, sizeof(lon), "%.8f", q->lon);
	snprintf(rad, sizeof(rad), "%.3f", q->radius);
	snprintf(lim, sizeof(lim), "%ld", q->limit);
	snprintf(off, sizeof(off), "%ld", q->offset);
	p[0] = q->ids;
	p[1] = q->categories;
	p[2] = q->statuses;
	p[3] = q->start;
	p[4] = q->end;
	p[5] = q->near ? lat : NULL;
	p[6] = q->near ? lon : NULL;
	p[7] = q->near ? rad : NULL;
	p[8] = lim;
	p[9] = off;
	return (db_exec(db_thread(), OS(OS_REQUESTS), p, res, err));
}

/*
 * The reports of 'q' as the request list; reply set.  Each request is
 * kept as written (http/fragment.h), keyed by its format, language and
 * versions: those found go straight into the answer; the others are read
 * in one more statement, written and kept.  A report gone between the
 * two statements is left out.
 */
static int
answer_requests(struct request *req, const struct o311_query *q,
    enum lang l, int one)
{
	struct incident_views	 vs;
	struct fragment_key	 k;
	struct fragment_list	 fl;
	struct db_res		*keys = NULL, *rows = NULL;
	struct db_error		 err;
	struct xml_list		 w, alone;
	struct o311_notice	 last;
	struct buf		*b;
	const char		*p[2];
	char			 form[24];
	size_t			 from;
	int			 i, j, n, cm, ca, cg;
	int			 xml = req_format(req) == FMT_XML;

	if (requests_select(q, &keys, &err) == -1)
		return (o311_db_error(req, &err));
	n = db_res_rows(keys);
	if (one && n == 0) {
		db_res_free(keys);
		return (o311_error(req, 404, "service_request_id not found"));
	}
	snprintf(form, sizeof(form), "o311:%s:%s", xml ? "xml" : "json",
	    lang_code(l));
	memset(&vs, 0, sizeof(vs));
	/* Written straight into the reply: up to 1000 requests. */
	b = reply_body(req, 200, xml ? "text/xml" : CT_JSON);
	buf_reserve(b, b->len + (xml ? 800 : 600) * (size_t)n + 128);
	xml_list_begin(&w, b, xml, "service_requests", "request");
	fragment_list_begin(&fl, b, n, xml ? "" : ",");
	for (i = 0; i < n; i++) {
		fragment_key(&k, form, db_str(keys, i, "id"),
		    db_str(keys, i, "version"));
		fragment_list_row(&fl, i, &k, db_str(keys, i, "id"));
	}
	if ((p[0] = fragment_list_missing(&fl)) != NULL) {
		p[1] = lang_code(l);
		if (db_exec(db_thread(), OS(OS_REQUESTS_ROWS), p, &rows,
		    &err) == -1) {
			o311_db_error(req, &err);
			goto out;
		}
		cm = db_col(rows, "media_url");
		ca = db_col(rows, "address_id");
		cg = db_col(rows, "agency");
		incident_views_read(rows, &vs);
		memset(&last, 0, sizeof(last));
		for (j = 0; j < vs.n; j++) {
			if (!fragment_list_match(&fl, vs.v[j].id, &i))
				continue;
			from = fl.made.len;
			xml_list_one(&alone, &fl.made, xml, "request");
			o311_request_write(&alone, &vs.v[j], db_cell(rows, j,
			    cm), db_cell(rows, j, ca), db_cell(rows, j, cg), l,
			    &last);
			xml_list_one_end(&alone);
			fragment_key(&k, form, vs.v[j].id, db_str(rows, j,
			    "version"));
			fragment_list_made(&fl, i, from, &k);
		}
		fragment_list_end(&fl);
	}
	if (one && fl.rows == 0) {
		/* Gone between the two statements. */
		o311_error(req, 404, "service_request_id not found");
		goto out;
	}
	xml_list_end(&w);
	reply_header(req, "Vary", "Accept-Language");
out:
	fragment_list_free(&fl);
	incident_views_free(&vs);
	db_res_free(keys);
	return (0);
}

/* --- discovery, services ------------------------------------------- */

int
open311_h_discovery(struct request *req)
{
	json_t	*d;
	char	*url, *contact;
	enum lang l;

	if (get_args(req, &l) == -1)
		return (0);
	url = absolute("/open311/v2");
	contact = absolute("/");
	d = json_pack("{s:s, s:s+, s:s, s:[{s:s, s:s, s:s, s:s, s:[s, s]}]}",
	    "changeset", O311_CHANGESET,
	    "contact", "The town hall, ", contact,
	    "key_service", "api_key: the client_id and client_secret of a "
	    "partner application holding the open311 scope, as "
	    "client_id:client_secret; ask the town hall (guichetctl client "
	    "add --scopes open311)",
	    "endpoints",
	    "specification", "http://wiki.open311.org/GeoReport_v2",
	    "url", url, "changeset", O311_CHANGESET, "type", "production",
	    "formats", "text/xml", "application/json");
	free(url);
	free(contact);
	o311_reply(req, 200, "discovery", d);
	return (0);
}

/* The text of 'v' ({"fr","en","it"} or a string) in 'l'. */
static const char *
text_in(const json_t *v, enum lang l)
{
	if (json_is_string(v))
		return (json_string_value(v));
	if (json_is_object(v)) {
		if (json_str(v, lang_code(l)) != NULL)
			return (json_str(v, lang_code(l)));
		return (json_str(v, "fr"));
	}
	return (NULL);
}


static json_t *
o311_service(const json_t *c, const json_t *depts, enum lang l)
{
	char	 d[400];

	const char	*name = json_str(c, "name"), *dep = dept_name(depts,
	    json_str(c, "department"));
	int		 days = (int)json_integer_value(json_object_get(c,
	    "resolution_days"));

	if (l == LANG_EN)
		snprintf(d, sizeof(d), "%s: handled by the %s department, "
		    "target %d days", name, dep, days);
	else if (l == LANG_IT)
		snprintf(d, sizeof(d), "%s: gestita dal servizio %s, "
		    "obiettivo %d giorni", name, dep, days);
	else
		snprintf(d, sizeof(d), "%s : traité par le service %s, délai "
		    "visé %d jours", name, dep, days);
	return (json_pack("{s:s?, s:s?, s:s, s:b, s:s, s:s?, s:s?}",
	    "service_code", json_str(c, "code"),
	    "service_name", json_str(c, "name"),
	    "description", d,
	    "metadata", json_array_size(json_object_get(c, "attributes")) > 0,
	    "type", "realtime",
	    "keywords", json_str(c, "code"),
	    "group", json_str(c, "department")));
}

int
open311_h_services(struct request *req)
{
	struct incident_outcome	 o;
	struct db_error		 err;
	const json_t		*c;
	json_t			*out, *depts;
	size_t			 i;
	enum lang		 l;

	if (get_args(req, &l) == -1)
		return (0);
	incidents_o311_categories(db_thread(), l, &o);
	if (o.result != IR_OK)
		return (o311_db_error(req, &o.err));
	depts = json_object();
	if (dept_names(l, depts, &err) == -1) {
		json_decref(o.made);
		json_decref(depts);
		return (o311_db_error(req, &err));
	}
	out = json_array();
	json_array_foreach(o.made, i, c)
		json_array_append_new(out, o311_service(c, depts, l));
	json_decref(o.made);
	json_decref(depts);
	reply_header(req, "Vary", "Accept-Language");
	o311_reply(req, 200, "services", out);
	return (0);
}


int
open311_h_service(struct request *req)
{
	struct incident_outcome	 o;
	const json_t		*c, *a, *v;
	json_t			*attrs, *def = NULL, *vals;
	char			 code[64], dd[120];
	size_t			 i, j, k;
	enum lang		 l;

	if (path_format(request_param(req, "service_code"), code,
	    sizeof(code)) == -1)
		return (o311_error(req, 404, "no such resource: the path ends "
		    "in .xml or .json"));
	if (get_args(req, &l) == -1)
		return (0);
	incidents_o311_categories(db_thread(), l, &o);
	if (o.result != IR_OK)
		return (o311_db_error(req, &o.err));
	json_array_foreach(o.made, i, c) {
		if (strcmp(json_str(c, "code"), code) != 0)
			continue;
		attrs = json_array();
		json_array_foreach(json_object_get(c, "attributes"), j, a) {
			const char	*dt = json_str(a, "datatype") != NULL ?
			    json_str(a, "datatype") : "string";

			if (l == LANG_EN)
				snprintf(dd, sizeof(dd), "a value of type %s",
				    dt);
			else if (l == LANG_IT)
				snprintf(dd, sizeof(dd), "un valore di tipo "
				    "%s", dt);
			else
				snprintf(dd, sizeof(dd), "valeur de type %s",
				    dt);
			vals = json_array();
			json_array_foreach(json_object_get(a, "values"), k, v)
				json_array_append_new(vals, json_pack(
				    "{s:s?, s:s?}", "key", json_str(v, "key"),
				    "name", text_in(json_object_get(v, "name"),
				    l)));
			json_array_append_new(attrs, json_pack("{s:b, s:s?, "
			    "s:s, s:b, s:s, s:I, s:s?, s:o}",
			    "variable", 1,
			    "code", json_str(a, "code"),
			    "datatype", dt,
			    "required", json_is_true(json_object_get(a,
			    "required")),
			    "datatype_description", dd,
			    "order", (json_int_t)(j + 1),
			    "description", text_in(json_object_get(a,
			    "description"), l),
			    "values", vals));
		}
		def = json_pack("{s:s, s:o}", "service_code", code,
		    "attributes", attrs);
		break;
	}
	json_decref(o.made);
	if (def == NULL)
		return (o311_error(req, 404, "service_code not found"));
	reply_header(req, "Vary", "Accept-Language");
	o311_reply(req, 200, "service_definition", def);
	return (0);
}

/* --- requests: reads ----------------------------------------------- */

int
open311_h_requests(struct request *req)
{
	struct o311_query	 q;
	struct buf		 ids, cats, sts;
	const char		*v, *lat, *lon, *rad;
	char			 start[40], end[40];
	size_t			 n;
	enum lang		 l;
	int			 rc = 0;

	if (get_args(req, &l) == -1)
		return (0);
	memset(&q, 0, sizeof(q));
	buf_init(&ids);
	buf_init(&cats);
	buf_init(&sts);
	if (paging(req, &q.limit, &q.offset) == -1)
		goto out;
	if ((v = param(req, "service_request_id")) != NULL) {
		/* It overrides every other argument (the spec). */
		if (list_literal(v, uuid_ok, 1, &ids, &n) == -1) {
			o311_error(req, 400, "service_request_id: a comma "
			    "list of ids");
			goto out;
		}
		q.ids = ids.data;
		q.offset = 0;
		q.limit = O311_PAGE_SIZE_MAX;
		rc = answer_requests(req, &q, l, 0);
		goto out;
	}
	if ((v = param(req, "service_code")) != NULL &&
	    list_literal(v, is_code, 0, &cats, &n) == -1) {
		o311_error(req, 400, "service_code: a comma list of service "
		    "codes");
		goto out;
	}
	q.categories = v != NULL ? cats.data : NULL;
	if ((v = param(req, "status")) != NULL) {
		int	 open = strstr(v, "open") != NULL;
		int	 closed = strstr(v, "closed") != NULL;

		if (list_literal(v, status_ok, 0, &sts, &n) == -1) {
			o311_error(req, 400, "status: open, closed or both, "
			    "comma separated");
			goto out;
		}
		buf_reset(&sts);
		buf_adds(&sts, open && closed ? "{open,acknowledged,"
		    "in_progress,resolved,closed}" : open ? "{open,"
		    "acknowledged,in_progress}" : "{resolved,closed}");
		q.statuses = sts.data;
	}
	if (window(req, start, end, sizeof(start)) == -1)
		goto out;
	q.start = start;
	q.end = end;
	lat = param(req, "lat");
	lon = param(req, "long");
	rad = param(req, "radius");
	if (lat != NULL || lon != NULL || rad != NULL) {
		q.near = 1;
		q.radius = O311_RADIUS_DEFAULT;
		if (parse_double(lat, &q.lat) == -1 || parse_double(lon,
		    &q.lon) == -1 || q.lat < -90 || q.lat > 90 || q.lon < -180
		    || q.lon > 180) {
			o311_error(req, 400, "lat and long: a WGS84 position, "
			    "both together");
			goto out;
		}
		if (rad != NULL && (parse_double(rad, &q.radius) == -1 ||
		    q.radius <= 0 || q.radius > O311_RADIUS_MAX)) {
			o311_error(req, 400, "radius: metres, more than 0 and "
			    "20000 at most");
			goto out;
		}
	}
	rc = answer_requests(req, &q, l, 0);
out:
	buf_cleanup(&ids);
	buf_cleanup(&cats);
	buf_cleanup(&sts);
	return (rc);
}

int
open311_h_request(struct request *req)
{
	struct o311_query	 q;
	char			 id[64], lit[72];
	enum lang		 l;

	if (path_format(request_param(req, "service_request_id"), id,
	    sizeof(id)) == -1)
		return (o311_error(req, 404, "no such resource: the path ends "
		    "in .xml or .json"));
	if (get_args(req, &l) == -1)
		return (0);
	if (!is_uuid(id))
		return (o311_error(req, 404, "service_request_id not found"));
	memset(&q, 0, sizeof(q));
	snprintf(lit, sizeof(lit), "{%s}", id);
	q.ids = lit;
	q.limit = 1;
	return (answer_requests(req, &q, l, 1));
}

/*
 * tokens/{token}: every request of this server is a report as soon as it
 * is filed (services are realtime), and its token is its id: the answer
 * gives the id for a token that is one.
 */
int
open311_h_token(struct request *req)
{
	struct incident_outcome	 o;
	char			 tok[64];
	enum lang		 l;

	if (path_format(request_param(req, "token"), tok, sizeof(tok)) == -1)
		return (o311_error(req, 404, "no such resource: the path ends "
		    "in .xml or .json"));
	if (get_args(req, &l) == -1)
		return (0);
	if (!is_uuid(tok))
		return (o311_error(req, 404, "token not found"));
	incidents_get(db_thread(), tok, l, &o);
	if (o.result == IR_DB)
		return (o311_db_error(req, &o.err));
	if (o.result != IR_OK)
		return (o311_error(req, 404, "token not found"));
	json_decref(o.made);
	o311_reply(req, 200, "service_requests", json_pack("[{s:s, s:s}]",
	    "service_request_id", tok, "token", tok));
	return (0);
}

/* --- POST: the form and the key ------------------------------------ */

/* The form's single value 'name' (NULL: absent or empty). */
static const char *
field(const json_t *form, const char *name)
{
	const json_t	*kv;
	size_t		 i;

	json_array_foreach(form, i, kv)
		if (strcmp(json_string_value(json_array_get(kv, 0)), name) == 0) {
			const char *v = json_string_value(json_array_get(kv, 1));

			return (*v != '\0' ? v : NULL);
		}
	return (NULL);
}

/*
 * The form of a POST and its api_key: the principal of the partner into
 * 'who'.  0, or -1 with the reply set (400 not a form, 403 no key, a bad
 * one or one without the open311 scope, 404 another jurisdiction).
 */
static int
post_begin(struct request *req, json_t **form, struct principal *who,
    const char *what, enum lang *l)
{
	struct db_error	 err;
	const char	*why = NULL, *key;
	char		 id[64], desc[200];
	const char	*colon;
	int		 k, retry = 0;

	if ((*form = request_form_fields(req, &why)) == NULL) {
		o311_error(req, 400, why);
		return (-1);
	}
	snprintf(desc, sizeof(desc), "Invalid api_key received -- can't "
	    "proceed with %s.", what);
	if ((key = field(*form, "api_key")) == NULL ||
	    (colon = strchr(key, ':')) == NULL ||
	    (size_t)(colon - key) >= sizeof(id)) {
		o311_error(req, 403, desc);
		goto bad;
	}
	memcpy(id, key, (size_t)(colon - key));
	id[colon - key] = '\0';
	if ((k = identity_client_check(db_thread(), id, colon + 1, who,
	    &retry, &err)) == -1) {
		o311_db_error(req, &err);
		goto bad;
	}
	if (k == 2) {
		char	 ra[16];

		snprintf(ra, sizeof(ra), "%d", retry > 0 ? retry : 1);
		reply_header(req, "Retry-After", ra);
		o311_error(req, 429, "too many requests from this api_key: "
		    "try again after Retry-After seconds");
		goto bad;
	}
	if (k == 1 || policy_allows(who, PERM_SCOPE, "open311", NULL) !=
	    POLICY_ALLOW) {
		log_info("request %s: open311: api_key refused", req->id);
		o311_error(req, 403, desc);
		goto bad;
	}
	snprintf(req->principal_id, sizeof(req->principal_id), "%s", who->id);
	if (common_args(req, field(*form, "jurisdiction_id"), field(*form,
	    "lang"), l) == -1)
		goto bad;
	return (0);
bad:
	json_decref(*form);
	*form = NULL;
	return (-1);
}

/*
 * attribute[code]=v and attribute[code][]=v (repeated) into an object
 * {code: value}: numbers for number attributes, arrays for multi-values.
 * 'defs' are the service's attribute definitions.
 */
static json_t *
form_attributes(const json_t *form, const json_t *defs, json_t *errors)
{
	json_t		*out = json_object(), *cur;
	const json_t	*kv, *def, *d;
	const char	*k, *v, *dt;
	char		 code[128];
	size_t		 i, j, n;
	int		 multi;
	double		 num;

	json_array_foreach(form, i, kv) {
		k = json_string_value(json_array_get(kv, 0));
		v = json_string_value(json_array_get(kv, 1));
		if (strncmp(k, "attribute[", 10) != 0)
			continue;
		k += 10;
		n = strcspn(k, "]");
		if (k[n] != ']' || n == 0 || n >= sizeof(code)) {
			err_add(errors, 400, "attribute[code]: a bad name");
			continue;
		}
		memcpy(code, k, n);
		code[n] = '\0';
		multi = strcmp(k + n, "][]") == 0;
		if (!multi && k[n + 1] != '\0') {
			err_add(errors, 400, "attribute[code]: a bad name");
			continue;
		}
		dt = "string";
		json_array_foreach(defs, j, d) {
			def = d;
			if (json_str(def, "code") != NULL && strcmp(json_str(
			    def, "code"), code) == 0 && json_str(def,
			    "datatype") != NULL)
				dt = json_str(def, "datatype");
		}
		if (strcmp(dt, "multivaluelist") == 0) {
			if ((cur = json_object_get(out, code)) == NULL) {
				cur = json_array();
				json_object_set_new(out, code, cur);
			}
			if (json_is_array(cur))
				json_array_append_new(cur, json_string(v));
		} else if (strcmp(dt, "number") == 0 && parse_double(v,
		    &num) == 0)
			json_object_set_new(out, code, json_real(num));
		else
			json_object_set_new(out, code, json_string(v));
	}
	return (out);
}

static int
url_ok(const char *u)
{
	return (u == NULL || ((strncmp(u, "https://", 8) == 0 ||
	    strncmp(u, "http://", 7) == 0) && strlen(u) <= O311_URL_MAX &&
	    strpbrk(u, " \t\r\n<>\"") == NULL));
}

/* The incidents module's field errors as Open311 errors. */
static void
field_errors(const json_t *in, json_t *errors)
{
	const json_t	*e;
	const char	*ptr;
	char		 d[400];
	size_t		 i;

	json_array_foreach(in, i, e) {
		ptr = json_str(e, "field") != NULL ? json_str(e, "field") :
		    json_str(e, "pointer");
		if (ptr == NULL)
			ptr = "";
		if (strncmp(ptr, "/attributes/", 12) == 0)
			snprintf(d, sizeof(d), "attribute[%s]: %s", ptr + 12,
			    json_str(e, "message") != NULL ? json_str(e,
			    "message") : "invalid");
		else
			snprintf(d, sizeof(d), "%s: %s", strcmp(ptr, "/lon") == 0
			    ? "long" : strcmp(ptr, "/category") == 0 ?
			    "service_code" : ptr[0] == '/' ? ptr + 1 : ptr,
			    json_str(e, "message") != NULL ? json_str(e,
			    "message") : "invalid");
		err_add(errors, 400, d);
	}
}

/*
 * The reporter's contact, the partner's (open311.requests): 'person' is
 * the account whose address the email is ("": none).
 */
static int
post_request_store(const char *report, const char *client,
    const json_t *form, const char *person, struct db_error *err)
{
	const char	*p[13], *email = field(form, "email");
	char		 key[IDENTITY_EMAIL_KEY_MAX] = "", now[40];

	clock_format(clock_now(), now, sizeof(now));
	if (email != NULL)
		(void)identity_email_normalise(email, 0, key, sizeof(key));
	p[0] = report;
	p[1] = client;
	p[2] = email;
	p[3] = key[0] != '\0' ? key : NULL;
	p[4] = field(form, "first_name");
	p[5] = field(form, "last_name");
	p[6] = field(form, "phone");
	p[7] = field(form, "device_id");
	p[8] = field(form, "account_id");
	p[9] = field(form, "media_url");
	p[10] = now;
	p[11] = person[0] != '\0' ? person : NULL;
	p[12] = field(form, "address_id");
	return (db_exec(db_thread(), OS(OS_REQUEST_INSERT), p, NULL, err));
}

static int
len_ok(const char *s, size_t max)
{
	return (s == NULL || json_utf8_len(s) <= max);
}

int
open311_h_request_post(struct request *req)
{
	struct principal	 who;
	struct incident_outcome	 o, cats;
	struct incident_input	 in;
	struct db_error		 err;
	const json_t		*c, *defs = NULL;
	json_t			*form, *errors, *attrs = NULL;
	const char		*lat, *lon, *addr, *addr_id, *code, *name = NULL;
	char			 sname[160], person[64];
	size_t			 i;
	enum lang		 l;
	char			 address[320];

	if (post_begin(req, &form, &who, "create_request", &l) == -1)
		return (0);
	errors = json_array();
	memset(&in, 0, sizeof(in));
	memset(&cats, 0, sizeof(cats));
	if ((code = field(form, "service_code")) == NULL)
		err_add(errors, 400, "service_code is required");
	else {
		incidents_o311_categories(db_thread(), l, &cats);
		if (cats.result != IR_OK) {
			json_decref(errors);
			json_decref(form);
			return (o311_db_error(req, &cats.err));
		}
		json_array_foreach(cats.made, i, c)
			if (strcmp(json_str(c, "code"), code) == 0) {
				defs = json_object_get(c, "attributes");
				name = json_str(c, "name");
			}
		if (name == NULL) {
			json_decref(errors);
			json_decref(form);
			json_decref(cats.made);
			return (o311_error(req, 404, "service_code not found"));
		}
		snprintf(sname, sizeof(sname), "%s", name);
		name = sname;
	}
	lat = field(form, "lat");
	lon = field(form, "long");
	addr = field(form, "address_string");
	addr_id = field(form, "address_id");
	if (lat != NULL || lon != NULL) {
		in.has_position = 1;
		if (parse_double(lat, &in.lat) == -1 || parse_double(lon,
		    &in.lon) == -1 || in.lat < -90 || in.lat > 90 ||
		    in.lon < -180 || in.lon > 180)
			err_add(errors, 400, "lat and long: a WGS84 position, "
			    "both together");
	} else if (addr == NULL && addr_id == NULL)
		err_add(errors, 400, "a location is required: lat and long, "
		    "address_string or address_id");
	if (addr != NULL)
		in.address = addr;
	else if (addr_id != NULL) {
		snprintf(address, sizeof(address), "address_id %s", addr_id);
		in.address = address;
	}
	if (!len_ok(in.address, 300))
		err_add(errors, 400, "address_string: 300 characters at most");
	if (!len_ok(addr_id, 200))
		err_add(errors, 400, "address_id: 200 characters at most");
	in.description = field(form, "description");
	if (!len_ok(in.description, O311_DESCRIPTION_MAX))
		err_add(errors, 400, "description: 4000 characters at most");
	if (in.description == NULL)
		in.description = name;
	if (!url_ok(field(form, "media_url")))
		err_add(errors, 400, "media_url: an http or https URL");
	if (!len_ok(field(form, "first_name"), 100) || !len_ok(field(form,
	    "last_name"), 100) || !len_ok(field(form, "phone"), 40) ||
	    !len_ok(field(form, "device_id"), 200) || !len_ok(field(form,
	    "account_id"), 200))
		err_add(errors, 400, "first_name, last_name (100), phone (40), "
		    "device_id, account_id (200): too long");
	in.email = field(form, "email");
	if (in.email != NULL && (strlen(in.email) > 254 || strchr(in.email,
	    '@') == NULL))
		err_add(errors, 400, "email: an address");
	/*
	 * An address that is an account's: the contact stays this module's,
	 * tied to the person (export, erasure); it is not made the report's
	 * anonymous follow-up address, which no erasure of theirs would
	 * find (their own reports are followed from their account).
	 */
	person[0] = '\0';
	if (in.email != NULL && json_array_size(errors) == 0) {
		if (identity_find_by_email(db_thread(), in.email, person,
		    sizeof(person), &err) == -1) {
			json_decref(errors);
			json_decref(cats.made);
			json_decref(form);
			return (o311_db_error(req, &err));
		}
		if (person[0] != '\0')
			in.email = NULL;
	}
	if (code != NULL)
		attrs = form_attributes(form, defs, errors);
	if (json_array_size(errors) > 0) {
		json_decref(attrs);
		json_decref(cats.made);
		json_decref(form);
		return (o311_errors(req, 400, errors));
	}
	in.category = code;
	in.attributes = attrs;
	/* A partner application files for nobody: its reporter's contact
	   is this module's (open311.requests). */
	incidents_create(db_thread(), NULL, &in, l, &o);
	json_decref(attrs);
	json_decref(cats.made);
	switch (o.result) {
	case IR_OK:
		break;
	case IR_INVALID:
		field_errors(o.errors, errors);
		json_decref(o.errors);
		json_decref(form);
		return (o311_errors(req, 400, errors));
	case IR_REFUSED:
		json_decref(form);
		err_add(errors, 400, "this service takes reports from "
		    "residents signed in to the town's own application only");
		return (o311_errors(req, 400, errors));
	case IR_NOT_FOUND:
		json_decref(form);
		err_add(errors, 404, "service_code not found");
		return (o311_errors(req, 404, errors));
	case IR_DB:
		json_decref(form);
		json_decref(errors);
		return (o311_db_error(req, &o.err));
	}
	json_decref(errors);
	json_decref(o.made);
	if (post_request_store(o.id, who.id, form, person, &err) == -1) {
		json_decref(form);
		return (o311_db_error(req, &err));
	}
	{
		json_t	*r;
		char	 buf[300];

		snprintf(buf, sizeof(buf), l == LANG_FR ? "Votre signalement "
		    "est enregistré : %s." : l == LANG_IT ? "La segnalazione "
		    "è registrata: %s." : "Your report is filed: %s.", name);
		r = json_pack("[{s:s, s:s, s:s?}]", "service_request_id",
		    o.id, "service_notice", buf, "account_id", field(form,
		    "account_id"));
		json_decref(form);
		reply_header(req, "Cache-Control", "no-store");
		o311_reply(req, 201, "service_requests", r);
	}
	return (0);
}

/* --- servicerequestupdates ----------------------------------------- */

int
open311_h_updates(struct request *req)
{
	struct incident_outcome	 o;
	struct incident_moves	 ms;
	struct db_error		 err;
	struct xml_list		 w;
	struct buf		*out;
	const struct incident_move *h;
	json_t			*media;
	char			 start[40], end[40];
	long			 limit, offset;
	enum lang		 l;
	int			 k, xml = req_format(req) == FMT_XML;

	if (get_args(req, &l) == -1 || paging(req, &limit, &offset) == -1 ||
	    window(req, start, end, sizeof(start)) == -1)
		return (0);
	incidents_o311_history(db_thread(), start, end, limit, offset, &ms,
	    &o);
	if (o.result != IR_OK)
		return (o311_db_error(req, &o.err));
	media = json_object();
	if (media_of(OS(OS_UPDATES_OF), "history_id", &ms.v[0].id,
	    sizeof(ms.v[0]), ms.n, media, NULL, &err) == -1) {
		incident_moves_free(&ms);
		json_decref(media);
		return (o311_db_error(req, &err));
	}
	/* Written straight into the reply: up to 1000 updates. */
	out = reply_body(req, 200, xml ? "text/xml" : CT_JSON);
	xml_list_begin(&w, out, xml, "service_request_updates",
	    "request_update");
	for (k = 0; k < ms.n; k++) {
		h = &ms.v[k];
		xml_list_item(&w);
		xml_list_str(&w, "update_id", h->id);
		xml_list_str(&w, "service_request_id", h->report_id);
		xml_list_str(&w, "status", o311_status(h->to));
		xml_list_str(&w, "updated_datetime", h->at[0] != '\0' ? h->at :
		    NULL);
		xml_list_str(&w, "description", h->note != NULL ? h->note :
		    state_text(h->to, l));
		xml_list_str(&w, "media_url", json_str(media, h->id));
	}
	xml_list_end(&w);
	incident_moves_free(&ms);
	json_decref(media);
	reply_header(req, "Vary", "Accept-Language");
	return (0);
}

/* Our state for a partner's status, from the report's current one. */
static const char *
move_to(const char *status, const char *ext)
{
	if (ext != NULL)
		return (ext);
	return (strcmp(status, "closed") == 0 ? "resolved" : "in_progress");
}

/*
 * A partner's update, one transaction: the update_id locked (a
 * transaction-level advisory lock on the partner and its update_id) and
 * looked up (the first answer again when it was used), the report moved,
 * the update_id recorded.  A concurrent twin waits on the lock, then
 * finds the first one's row and answers it (without the lock it would
 * wait on the report's row instead and find the move already made: 400).
 * Should it still get past, it waits on the unique index, records
 * nothing, and retries the whole.  Nothing is moved twice, nothing moved
 * without its update_id.
 */
struct update_tx {
	const char		*client, *uid, *rid, *to, *desc, *st, *media;
	struct incident_outcome	 o;
	char			 hist[40];
	int			 replay, other_request, moved;
};

static int
update_tx(struct db *db, void *arg, struct db_error *err)
{
	struct update_tx	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[7];
	char			 now[40];
	int			 n;

	t->replay = t->other_request = t->moved = 0;
	p[0] = t->client;
	p[1] = t->uid;
	if (db_exec(db, OS(OS_UPDATE_LOCK), p, NULL, err) == -1 ||
	    db_exec(db, OS(OS_UPDATE_GET), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) == 1) {
		if (strcmp(db_str(res, 0, "report_id"), t->rid) != 0)
			t->other_request = 1;
		else {
			snprintf(t->hist, sizeof(t->hist), "%s",
			    db_str(res, 0, "history_id"));
			t->replay = 1;
		}
		db_res_free(res);
		return (t->other_request ? -1 : 0);
	}
	db_res_free(res);
	json_decref(t->o.made);
	memset(&t->o, 0, sizeof(t->o));
	t->moved = 1;
	incidents_o311_move(db, t->client, t->rid, t->to, t->desc, NULL,
	    &t->o);
	if (t->o.result != IR_OK)
		return (-1);
	snprintf(t->hist, sizeof(t->hist), "%s", json_str(t->o.made,
	    "history_id"));
	json_decref(t->o.made);
	t->o.made = NULL;
	clock_format(clock_now(), now, sizeof(now));
	p[2] = t->rid;
	p[3] = t->hist;
	p[4] = t->st;
	p[5] = t->media;
	p[6] = now;
	if (db_exec(db, OS(OS_UPDATE_INSERT), p, &res, err) == -1)
		return (-1);
	n = db_res_rows(res);
	db_res_free(res);
	if (n == 0) {
		/* A twin committed the same update_id first: again. */
		err->code = DB_E_SERIALIZATION;
		return (-1);
	}
	return (0);
}

int
open311_h_update_post(struct request *req)
{
	struct principal	 who;
	struct update_tx	 t;
	struct db_error		 err;
	json_t			*form, *errors;
	const char		*uid, *rid, *st, *ext, *desc, *media;
	enum lang		 l;
	int			 rc;

	if (post_begin(req, &form, &who, "update_request", &l) == -1)
		return (0);
	errors = json_array();
	uid = field(form, "update_id");
	rid = field(form, "service_request_id");
	st = field(form, "status");
	ext = field(form, "guichet_status");
	desc = field(form, "description");
	media = field(form, "media_url");
	if (uid == NULL || strlen(uid) > 100)
		err_add(errors, 400, "update_id is required (100 characters "
		    "at most)");
	if (rid == NULL)
		err_add(errors, 400, "service_request_id is required");
	if (st == NULL || (strcmp(st, "open") != 0 && strcmp(st, "closed") !=
	    0))
		err_add(errors, 400, "status is required: open or closed");
	else if (ext != NULL && strcmp(o311_status(ext), st) != 0)
		err_add(errors, 400, "guichet_status does not agree with "
		    "status");
	if (ext != NULL && strcmp(ext, "acknowledged") != 0 && strcmp(ext,
	    "in_progress") != 0 && strcmp(ext, "resolved") != 0 &&
	    strcmp(ext, "closed") != 0)
		err_add(errors, 400, "guichet_status: acknowledged, "
		    "in_progress, resolved or closed");
	if (!len_ok(desc, O311_DESCRIPTION_MAX))
		err_add(errors, 400, "description: 4000 characters at most");
	if (!url_ok(media))
		err_add(errors, 400, "media_url: an http or https URL");
	if (json_array_size(errors) > 0) {
		json_decref(form);
		return (o311_errors(req, 400, errors));
	}
	if (!is_uuid(rid)) {
		json_decref(form);
		err_add(errors, 404, "service_request_id not found");
		return (o311_errors(req, 404, errors));
	}
	memset(&t, 0, sizeof(t));
	t.client = who.id;
	t.uid = uid;
	t.rid = rid;
	t.to = move_to(st, ext);
	t.desc = desc;
	t.st = st;
	t.media = media;
	rc = db_tx(db_thread(), update_tx, &t, &err);
	json_decref(form);
	if (t.other_request) {
		err_add(errors, 400, "update_id was already used for another "
		    "request");
		return (o311_errors(req, 400, errors));
	}
	if (rc == -1 && t.moved) {
		switch (t.o.result) {
		case IR_OK:
		case IR_DB:
			break;
		case IR_NOT_FOUND:
			err_add(errors, 404, "service_request_id not found");
			return (o311_errors(req, 404, errors));
		case IR_REFUSED:
		case IR_INVALID: {
			char	 d[200];

			snprintf(d, sizeof(d), "the request cannot go from %s "
			    "to %s", t.o.args[0], t.o.args[1]);
			json_decref(t.o.errors);
			err_add(errors, 400, d);
			return (o311_errors(req, 400, errors));
		}
		}
		if (t.o.result == IR_DB)
			err = t.o.err;
	}
	json_decref(errors);
	if (rc == -1)
		return (o311_db_error(req, &err));
	reply_header(req, "Cache-Control", "no-store");
	o311_reply(req, t.replay ? 200 : 201, "service_request_updates",
	    json_pack("[{s:s}]", "update_id", t.hist));
	return (0);
}

