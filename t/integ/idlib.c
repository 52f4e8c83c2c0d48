/*
 * idlib.c: shared code of the identity integration tests (see idlib.h).
 */
#include <sys/types.h>

#include <ctype.h>
#include <libpq-fe.h>
#include <liboath/oath.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "base/b64.h"
#include "base/random.h"
#include "idlib.h"

struct idl_demo	 idl_demo;

static const char *template;	/* conninfo: the program's database */
static char	*template_name;
static int	 copies;

static void	 fatal(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

/* Set-up failures (idl_prepare()) are hard errors (99), as in harness.c. */
static void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "idlib: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (template != NULL)
		harness_db_drop(template);
	exit(99);
}


int
idl_ctl(const char *db, int dashdash, const char *const *args, char **out,
    char **err)
{
	const char	*argv[48] = { "--jwt-key-file", harness_key_file() };
	int		 n = 2, i;

	if (dashdash)
		argv[n++] = "--";
	for (i = 0; args[i] != NULL && n < 47; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return (harness_run("guichetctl", db, NULL, argv, NULL, 60000, out,
	    err));
}

int
idl_ctl_words(const struct idenv *e, char **out, char **err, ...)
{
	const char	*args[32];
	va_list		 ap;
	int		 n = 0;

	va_start(ap, err);
	while (n < 31 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	*out = NULL;
	*err = NULL;
	return (idl_ctl(e->db, 1, args, out, err));
}

char *
idl_scratch(const char *name, const char *text)
{
	static int	 n;
	char		*path = harness_printf("%s/%d-%d-%s", harness_tmpdir(),
			    (int)getpid(), n++, name);

	ck_assert_int_eq(harness_write_file(path, text), 0);
	return (path);
}

/* "  client_id cl_...  client_secret ...  scopes ..." */
static void
parse_demo(const char *out)
{
	const char	*p;

	if ((p = strstr(out, "client_id ")) == NULL ||
	    sscanf(p, "client_id %39s", idl_demo.client_id) != 1)
		fatal("no client_id in the demo output:\n%s", out);
	if ((p = strstr(out, "client_secret ")) == NULL ||
	    sscanf(p, "client_secret %79s", idl_demo.client_secret) != 1)
		fatal("no client_secret in the demo output:\n%s", out);
}

static void
demo_id(const char *email, char *out)
{
	char	*sql, *v;

	sql = harness_printf("SELECT id FROM identity.accounts WHERE email = "
	    "'%s'", email);
	if ((v = harness_sql(template, sql)) == NULL)
		fatal("no demo account %s", email);
	snprintf(out, 40, "%s", v);
	free(v);
	free(sql);
}

void
idl_prepare(void)
{
	const char	*mig[] = { "migrate", NULL };
	const char	*demo[] = { "demo", NULL };
	char		*out = NULL, *err = NULL;
	int		 rc, fd;

	harness_prepare();
	if (oath_init() != OATH_OK)
		fatal("oath_init failed");
	template = harness_db();
	template_name = harness_conninfo_dbname(template);
	fd = harness_migrations_lock();
	rc = idl_ctl(template, 0, mig, &out, &err);
	harness_migrations_unlock(fd);
	if (rc != 0)
		fatal("guichetctl migrate exited %d: %s%s", rc, out, err);
	free(out);
	free(err);
	if ((rc = idl_ctl(template, 0, demo, &out, &err)) != 0)
		fatal("guichetctl demo exited %d: %s%s", rc, out, err);
	parse_demo(out);
	free(out);
	free(err);
	demo_id(IDL_RESIDENT_EMAIL, idl_demo.resident_id);
	demo_id(IDL_AGENT_EMAIL, idl_demo.agent_id);
	demo_id(IDL_ADMIN_EMAIL, idl_demo.admin_id);
}

const char *
idl_template(void)
{
	return (template);
}

/* A copy of the template, named so that the harness drops leftovers. */
static char *
db_copy(void)
{
	char	*name, *sql, *conn;

	name = harness_printf("%s_%ld_c%d", template_name, (long)getpid(),
	    ++copies);
	sql = harness_printf("CREATE DATABASE \"%s\" TEMPLATE \"%s\"", name,
	    template_name);
	ck_assert_msg(harness_sql_exec(getenv("GUICHET_TEST_DATABASE"), sql)
	    == 0, "cannot copy the template database");
	conn = harness_conninfo(name);
	free(sql);
	free(name);
	return (conn);
}

void
idl_start(struct idenv *e)
{
	const char	*argv[40];
	int		 n = 0, i;

	if (e->db == NULL) {
		e->db = db_copy();
		/*
		 * The demo's cases told their departments and their
		 * resident: a test that counts mail starts without them.
		 */
		if (e->empty_outbox)
			ck_assert_int_ne(idl_sql_exec(e,
			    "DELETE FROM ops.outbox"), -1);
	}
	if (!e->started) {
		memset(&e->s, 0, sizeof(e->s));
		e->started = 1;
	}
	/*
	 * The template is migrated, but a migration added since the
	 * program started would stop guichetd: --migrate is cheap.
	 */
	argv[n++] = "--jwt-key-file";
	argv[n++] = e->keyfile != NULL ? e->keyfile : harness_key_file();
	if (e->clock != NULL) {
		argv[n++] = "--clock";
		argv[n++] = e->clock;
	}
	for (i = 0; e->extra != NULL && e->extra[i] != NULL && n < 39; i++)
		argv[n++] = e->extra[i];
	argv[n] = NULL;
	ck_assert_msg(harness_server_start(&e->s, e->db, argv) == 0,
	    "guichetd did not start (clock %s)", e->clock ? e->clock :
	    "system");
}

void
idl_start_new(struct idenv *e, const char *clock)
{
	memset(e, 0, sizeof(*e));
	e->clock = clock;
	idl_start(e);
}

void
idl_start_proxied(struct idenv *e, const char *clock)
{
	static const char *const proxy[] = { "--trusted-proxy", "127.0.0.1",
	    NULL };

	memset(e, 0, sizeof(*e));
	e->clock = clock;
	e->extra = proxy;
	idl_start(e);
}

char *
idl_start_resident(struct idenv *e, const char *clock)
{
	idl_start_new(e, clock);
	return (idl_login_ok(e, IDL_RESIDENT_EMAIL, IDL_RESIDENT_PASSWORD,
	    NULL));
}

char *
idl_start_admin(struct idenv *e, const char *clock)
{
	idl_start_new(e, clock);
	return (idl_login_admin(e));
}

void
idl_stop(struct idenv *e)
{
	harness_server_stop(&e->s);
	harness_server_free(&e->s);
	free(e->db);
	free(e->oldlogs);
	e->db = NULL;
	e->oldlogs = NULL;
	e->started = 0;
}

void
idl_restart(struct idenv *e, const char *clock)
{
	char	*log, *all;

	harness_server_stop(&e->s);
	log = harness_server_log(&e->s);
	all = harness_printf("%s%s", e->oldlogs ? e->oldlogs : "",
	    log ? log : "");
	free(log);
	free(e->oldlogs);
	e->oldlogs = all;
	e->clock = clock;
	idl_start(e);
}

char *
idl_log(const struct idenv *e)
{
	char	*log, *all;

	log = harness_server_log(&e->s);
	all = harness_printf("%s%s", e->oldlogs ? e->oldlogs : "",
	    log ? log : "");
	free(log);
	return (all);
}

/* The SQL of a format and its arguments (caller frees). */
static char *
vsql(const char *fmt, va_list ap)
{
	char	*sql;

	if (vasprintf(&sql, fmt, ap) == -1)
		fatal("out of memory");
	return (sql);
}

char *
idl_sql(const struct idenv *e, const char *fmt, ...)
{
	va_list	 ap;
	char	*sql, *v;

	va_start(ap, fmt);
	sql = vsql(fmt, ap);
	va_end(ap);
	v = harness_sql(e->db, sql);
	free(sql);
	return (v);
}

long
idl_sql_count(const struct idenv *e, const char *fmt, ...)
{
	va_list	 ap;
	char	*sql;
	long	 n;

	va_start(ap, fmt);
	sql = vsql(fmt, ap);
	va_end(ap);
	n = harness_sql_count(e->db, sql);
	free(sql);
	return (n);
}

int
idl_sql_exec(const struct idenv *e, const char *fmt, ...)
{
	va_list	 ap;
	char	*sql;
	int	 rc;

	va_start(ap, fmt);
	sql = vsql(fmt, ap);
	va_end(ap);
	rc = harness_sql_exec(e->db, sql);
	free(sql);
	return (rc);
}

void
idl_purpose_add(const struct idenv *e, const char *code, const char *basis)
{
	ck_assert_int_eq(idl_sql_exec(e, "INSERT INTO privacy.purposes (code, "
	    "legal_basis, title_fr, title_en, title_it, description_fr, "
	    "description_en, description_it, categories, recipients, "
	    "retention_fr, retention_en, retention_it) VALUES ('%s', '%s', "
	    "'Essai %s', 'Test %s', 'Prova %s', 'Une finalité d''essai', "
	    "'A test purpose', 'Una finalità di prova', ARRAY['contact'], "
	    "ARRAY['town_services'], 'Un an', 'One year', 'Un anno')", code,
	    basis, code, code, code), 0);
}

void
idl_fail_on(const struct idenv *e, const char *event, const char *table)
{
	ck_assert_int_eq(idl_sql_exec(e, "CREATE OR REPLACE FUNCTION "
	    "public.idl_fail() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN "
	    "RAISE EXCEPTION 'idl_fail: provoked' USING ERRCODE = '40001'; "
	    "END$$"), 0);
	ck_assert_int_eq(idl_sql_exec(e, "CREATE TRIGGER idl_fail BEFORE %s "
	    "ON %s FOR EACH ROW EXECUTE FUNCTION public.idl_fail()", event,
	    table), 0);
}

void
idl_fail_off(const struct idenv *e, const char *table)
{
	ck_assert_int_eq(idl_sql_exec(e, "DROP TRIGGER idl_fail ON %s", table),
	    0);
}

char *
idl_pg_dump(const struct idenv *e)
{
	char	*out;

	out = harness_pg_dump(e->db);
	ck_assert_msg(strlen(out) > 1000 &&
	    idl_count(out, "identity.accounts") > 0, "pg_dump printed no data");
	return (out);
}

int
idl_dump_count(const struct idenv *e, const char *marker)
{
	char	*out;
	int	 n;

	out = idl_pg_dump(e);
	n = idl_count(out, marker);
	free(out);
	return (n);
}

/* HTTP. */

long
idl_reqh(const struct idenv *e, const char *method, const char *path,
    const char *const *headers, const char *body, struct http_resp *r)
{
	int	 rc;

	rc = harness_http(&e->s, method, path, headers, body,
	    body != NULL ? strlen(body) : 0, r);
	ck_assert_msg(rc == 0, "%s %s: no response: %s", method, path,
	    r->error);
	return (r->status);
}

long
idl_req(const struct idenv *e, const char *method, const char *path,
    const char *token, const char *json, struct http_resp *r)
{
	return (idl_req_with(e, method, path, token, NULL, json, r));
}

long
idl_req_with(const struct idenv *e, const char *method, const char *path,
    const char *token, const char *header, const char *json,
    struct http_resp *r)
{
	const char	*h[4];
	char		*auth = NULL;
	int		 n = 0;
	long		 st;

	if (token != NULL) {
		auth = harness_printf("Authorization: Bearer %s", token);
		h[n++] = auth;
	}
	if (json != NULL)
		h[n++] = "Content-Type: application/json";
	if (header != NULL)
		h[n++] = header;
	h[n] = NULL;
	st = idl_reqh(e, method, path, h, json, r);
	free(auth);
	return (st);
}

long
idl_status(const struct idenv *e, const char *method, const char *path,
    const char *token, const char *json)
{
	struct http_resp r;
	long		 st;

	st = idl_req(e, method, path, token, json, &r);
	http_resp_free(&r);
	return (st);
}

json_t *
idl_reqj(const struct idenv *e, const char *method, const char *path,
    const char *token, const char *json, long *status)
{
	return (idl_reqj_with(e, method, path, token, NULL, json, status));
}

json_t *
idl_reqj_with(const struct idenv *e, const char *method, const char *path,
    const char *token, const char *header, const char *json, long *status)
{
	struct http_resp r;
	json_t		*j;

	*status = idl_req_with(e, method, path, token, header, json, &r);
	j = harness_json(&r);
	http_resp_free(&r);
	return (j);
}

json_t *
idl_sendj(const struct idenv *e, const char *method, const char *path,
    const char *token, json_t *in, long *status)
{
	return (idl_sendj_with(e, method, path, token, NULL, in, status));
}

json_t *
idl_sendj_with(const struct idenv *e, const char *method, const char *path,
    const char *token, const char *header, json_t *in, long *status)
{
	char	*body = NULL;
	json_t	*j;

	if (in != NULL) {
		body = json_dumps(in, JSON_COMPACT);
		json_decref(in);
	}
	j = idl_reqj_with(e, method, path, token, header, body, status);
	free(body);
	return (j);
}

void
idl_refused_at_once(const struct idenv *e, const char *path,
    const char *token, const char *what)
{
	struct http_resp r;
	long long	 t0, waited = -1;
	long		 st = 0;

	t0 = harness_now_ms();
	while (harness_now_ms() - t0 < 2000) {
		st = idl_req(e, "GET", path, token, NULL, &r);
		http_resp_free(&r);
		if (st == 401) {
			waited = harness_now_ms() - t0;
			break;
		}
		harness_sleep_ms(50);
	}
	ck_assert_msg(waited >= 0, "the token is not refused 2 s after %s "
	    "(last status %ld)", what, st);
	ck_assert_msg(waited <= 1000, "%s took %lld ms to reach the server",
	    what, waited);
}

long
idl_form(const struct idenv *e, const char *path, const char *form,
    struct http_resp *r)
{
	const char	*h[] = {
	    "Content-Type: application/x-www-form-urlencoded", NULL };

	return (idl_reqh(e, "POST", path, h, form, r));
}

char *
idl_urlencode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char		*out, *o;

	if ((out = malloc(strlen(s) * 3 + 1)) == NULL)
		fatal("out of memory");
	for (o = out; *s != '\0'; s++) {
		unsigned char	 c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			*o++ = (char)c;
		else if (c == ' ')
			*o++ = '+';
		else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return (out);
}

long
idl_login_from(const struct idenv *e, const char *from, const char *user,
    const char *pw, const char *otp, struct http_resp *r)
{
	struct http_resp own;
	json_t		*in;
	char		*body, *xff = NULL;
	long		 st;

	in = json_pack("{s:s, s:s, s:s}", "grant_type", "password",
	    "username", user, "password", pw);
	if (otp != NULL)
		json_object_set_new(in, "otp", json_string(otp));
	body = json_dumps(in, JSON_COMPACT);
	json_decref(in);
	if (from != NULL)
		xff = harness_printf("X-Forwarded-For: %s", from);
	st = idl_req_with(e, "POST", "/api/v1/auth/token", NULL, xff, body,
	    r != NULL ? r : &own);
	if (r == NULL)
		http_resp_free(&own);
	free(xff);
	free(body);
	return (st);
}

long
idl_login(const struct idenv *e, const char *user, const char *pw,
    const char *otp, char **access, char **refresh)
{
	struct http_resp r;
	json_t		*j;
	long		 st;

	st = idl_login_from(e, NULL, user, pw, otp, &r);
	if (access != NULL)
		*access = NULL;
	if (refresh != NULL)
		*refresh = NULL;
	if (st == 200 && (j = harness_json(&r)) != NULL) {
		if (access != NULL && idl_jstr(j, "access_token") != NULL)
			*access = harness_printf("%s",
			    idl_jstr(j, "access_token"));
		if (refresh != NULL && idl_jstr(j, "refresh_token") != NULL)
			*refresh = harness_printf("%s",
			    idl_jstr(j, "refresh_token"));
		json_decref(j);
	}
	http_resp_free(&r);
	return (st);
}

char *
idl_login_ok(const struct idenv *e, const char *user, const char *pw,
    const char *otp)
{
	char	*at = NULL;
	long	 st;

	st = idl_login(e, user, pw, otp, &at, NULL);
	ck_assert_msg(st == 200 && at != NULL, "login of %s: status %ld",
	    user, st);
	return (at);
}

char *
idl_login_admin(struct idenv *e)
{
	char	 code[8];

	idl_otp(e, IDL_ADMIN_TOTP, code);
	return (idl_login_ok(e, IDL_ADMIN_EMAIL, IDL_ADMIN_PASSWORD, code));
}

char *
idl_client_token(const struct idenv *e, const char *id, const char *secret)
{
	json_t	*j;
	char	*at;
	long	 st;

	j = idl_sendj(e, "POST", "/api/v1/auth/token", NULL,
	    json_pack("{s:s, s:s, s:s}", "grant_type", "client_credentials",
	    "client_id", id, "client_secret", secret), &st);
	ck_assert_msg(st == 200 && idl_jstr(j, "access_token") != NULL,
	    "client token: %ld", st);
	at = strdup(idl_jstr(j, "access_token"));
	json_decref(j);
	return (at);
}

char *
idl_operator_token(const struct idenv *e)
{
	return (idl_client_token(e, idl_demo.client_id,
	    idl_demo.client_secret));
}

char *
idl_outbox_token(const struct idenv *e, const char *email, const char *tpl)
{
	char	*t;

	/* Under a frozen clock, messages share a time: the last written. */
	t = idl_sql(e, "SELECT payload->>'token' FROM ops.outbox WHERE "
	    "recipient = '%s' AND template = '%s' ORDER BY created_at DESC, "
	    "ctid DESC LIMIT 1", email, tpl);
	ck_assert_msg(t != NULL && strlen(t) >= 32, "no %s token in the "
	    "outbox for %s", tpl, email);
	return (t);
}

void
idl_client_add(const struct idenv *e, const char *name, const char *scopes,
    const char *rate, char *id, char *secret)
{
	const char	*args[] = { "client", "add", name, "--scopes", scopes,
	    rate != NULL ? "--rate-limit" : NULL, rate, NULL };
	char		*out = NULL, *err = NULL, *p;

	ck_assert_msg(idl_ctl(e->db, 0, args, &out, &err) == 0,
	    "guichetctl client add: %s%s", out, err);
	ck_assert_msg((p = strstr(out, "client_id:")) != NULL &&
	    sscanf(p, "client_id: %39s", id) == 1, "no client_id: %s", out);
	ck_assert_msg((p = strstr(out, "client_secret:")) != NULL &&
	    sscanf(p, "client_secret: %79s", secret) == 1,
	    "no client_secret: %s", out);
	free(out);
	free(err);
}

char *
idl_register(const struct idenv *e, const char *email, const char *pw)
{
	json_t	*in, *j;
	char	*body, *id;
	long	 st;

	in = json_pack("{s:s, s:s, s:s, s:s}", "email", email, "password", pw,
	    "display_name", "Test Person", "profile_kind",
	    "permanent_resident");
	body = json_dumps(in, JSON_COMPACT);
	json_decref(in);
	j = idl_reqj(e, "POST", "/api/v1/accounts", NULL, body, &st);
	free(body);
	ck_assert_msg(st == 201 && idl_jstr(j, "id") != NULL,
	    "registration of %s: status %ld", email, st);
	id = harness_printf("%s", idl_jstr(j, "id"));
	json_decref(j);
	return (id);
}

/* TOTP. */

static int
frozen(const struct idenv *e)
{
	return (e->clock != NULL && strcmp(e->clock, "system") != 0 &&
	    e->clock[0] != '+' && e->clock[0] != '-');
}

int64_t
idl_server_now(const struct idenv *e)
{
	const char	*c = e->clock;
	struct tm	 tm;
	char		*end;
	long long	 n;
	int64_t		 now = (int64_t)time(NULL);

	if (c == NULL || strcmp(c, "system") == 0)
		return (now);
	if (c[0] == '+' || c[0] == '-') {
		n = strtoll(c, &end, 10);
		if (*end == 'd')
			n *= 86400;
		return (now + n);
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(c, "%Y-%m-%dT%H:%M:%S", &tm);
	ck_assert_msg(end != NULL, "clock %s: not understood", c);
	return ((int64_t)timegm(&tm));
}

void
idl_totp(const char *secret, int64_t step, char *out)
{
	char	*raw = NULL;
	size_t	 rawlen = 0;
	int	 rc;

	rc = oath_base32_decode(secret, strlen(secret), &raw, &rawlen);
	ck_assert_msg(rc == OATH_OK, "bad base32 secret %s", secret);
	rc = oath_totp_generate(raw, rawlen, (time_t)(step * 30), 30, 0, 6,
	    out);
	ck_assert_msg(rc == OATH_OK, "oath_totp_generate: %d", rc);
	free(raw);
}

static int
otp_slot(struct idenv *e, const char *secret)
{
	int	 i;

	for (i = 0; i < IDL_OTP_SLOTS; i++)
		if (strcmp(e->otp[i].secret, secret) == 0)
			return (i);
	for (i = 0; i < IDL_OTP_SLOTS; i++)
		if (e->otp[i].secret[0] == '\0') {
			snprintf(e->otp[i].secret, sizeof(e->otp[i].secret),
			    "%s", secret);
			e->otp[i].last = -1;
			return (i);
		}
	ck_abort_msg("too many TOTP secrets in one test");
	return (-1);
}

void
idl_otp_used(struct idenv *e, const char *secret, int64_t step)
{
	int	 i = otp_slot(e, secret);

	if (step > e->otp[i].last)
		e->otp[i].last = step;
}

int64_t
idl_otp(struct idenv *e, const char *secret, char *out)
{
	int	 i = otp_slot(e, secret);
	int64_t	 now, cur, step;

	for (;;) {
		now = idl_server_now(e);
		cur = now / 30;
		/* A code of step cur - 1 must not age out in flight. */
		if (!frozen(e) && now % 30 >= 27) {
			harness_sleep_ms((int)(30 - now % 30) * 1000 + 100);
			continue;
		}
		step = cur - 1;
		if (step <= e->otp[i].last)
			step = e->otp[i].last + 1;
		if (step <= cur + 1)
			break;
		ck_assert_msg(!frozen(e), "no unused TOTP step left at the "
		    "frozen clock %s", e->clock);
		harness_sleep_ms((int)((step - 1) * 30 - now) * 1000 + 100);
	}
	e->otp[i].last = step;
	idl_totp(secret, step, out);
	return (step);
}

/* JWT pieces. */

unsigned char *
idl_b64url_decode(const char *in, size_t len, size_t *outlen)
{
	unsigned char	*out;
	ssize_t		 n;

	if ((out = malloc(len + 1)) == NULL)
		fatal("out of memory");
	if ((n = b64url_decode(in, len, out, len)) == -1) {
		free(out);
		return (NULL);
	}
	*outlen = (size_t)n;
	out[n] = '\0';
	return (out);
}

json_t *
idl_jwt_json(const char *jwt, int part)
{
	const char	*p = jwt, *dot;
	unsigned char	*raw;
	size_t		 len;
	json_t		*j;
	int		 i;

	for (i = 0; i < part; i++) {
		if ((p = strchr(p, '.')) == NULL)
			return (NULL);
		p++;
	}
	dot = strchr(p, '.');
	len = dot != NULL ? (size_t)(dot - p) : strlen(p);
	if ((raw = idl_b64url_decode(p, len, &len)) == NULL)
		return (NULL);
	j = json_loadb((char *)raw, len, 0, NULL);
	free(raw);
	return (j);
}

static char *
signing_input(const char *hdr, const char *claims)
{
	char	*h, *c, *s;

	h = b64url_encode_new(hdr, strlen(hdr));
	c = b64url_encode_new(claims, strlen(claims));
	s = harness_printf("%s.%s", h, c);
	free(h);
	free(c);
	return (s);
}

char *
idl_jwt_hs256(const char *hdr, const char *claims, const unsigned char *key,
    size_t keylen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		*in, *sig, *out;

	in = signing_input(hdr, claims);
	ck_assert(HMAC(EVP_sha256(), key, (int)keylen, (unsigned char *)in,
	    strlen(in), md, &mdlen) != NULL);
	sig = b64url_encode_new(md, mdlen);
	out = harness_printf("%s.%s", in, sig);
	free(in);
	free(sig);
	return (out);
}

char *
idl_jwt_es256(const char *hdr, const char *claims, const char *pem)
{
	FILE		*f;
	EVP_PKEY	*pkey;
	EVP_MD_CTX	*md;
	ECDSA_SIG	*es;
	const BIGNUM	*r, *s;
	unsigned char	 der[128], raw[64];
	const unsigned char *dp = der;
	size_t		 derlen = sizeof(der);
	char		*in, *sig, *out;

	ck_assert_msg((f = fopen(pem, "r")) != NULL, "cannot open %s", pem);
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_msg(pkey != NULL, "no private key in %s", pem);
	in = signing_input(hdr, claims);
	md = EVP_MD_CTX_new();
	ck_assert(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) == 1);
	ck_assert(EVP_DigestSign(md, der, &derlen, (unsigned char *)in,
	    strlen(in)) == 1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	/* JOSE wants r || s, 32 bytes each, not DER. */
	ck_assert((es = d2i_ECDSA_SIG(NULL, &dp, (long)derlen)) != NULL);
	ECDSA_SIG_get0(es, &r, &s);
	ck_assert(BN_bn2binpad(r, raw, 32) == 32 &&
	    BN_bn2binpad(s, raw + 32, 32) == 32);
	ECDSA_SIG_free(es);
	sig = b64url_encode_new(raw, sizeof(raw));
	out = harness_printf("%s.%s", in, sig);
	free(in);
	free(sig);
	return (out);
}

/* The first key line of a key file: its three fields. */
static int
keyfile_line(const char *path, char *kid, size_t kidlen, char *alg,
    char *value)
{
	char	*all, *line, *nl;
	int	 rc = -1;

	if ((all = harness_read_file(path, NULL)) == NULL)
		return (-1);
	for (line = all; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (*line != '#' && *line != '\0') {
			char	 k[128];

			if (sscanf(line, "%127s %15s %1023s", k, alg, value) ==
			    3) {
				snprintf(kid, kidlen, "%s", k);
				rc = 0;
			}
			break;
		}
		if (nl == NULL)
			break;
	}
	free(all);
	return (rc);
}

int
idl_keyfile_hs256(const char *path, char *kid, size_t kidlen,
    unsigned char **key, size_t *keylen)
{
	char	 alg[16], value[1024];

	if (keyfile_line(path, kid, kidlen, alg, value) == -1 ||
	    strcmp(alg, "HS256") != 0)
		return (-1);
	*key = idl_b64url_decode(value, strlen(value), keylen);
	return (*key != NULL ? 0 : -1);
}

char *
idl_keyfile_pem(const char *path, char *kid, size_t kidlen)
{
	char		 alg[16], value[1024];
	const char	*slash;

	if (keyfile_line(path, kid, kidlen, alg, value) == -1 ||
	    strcmp(alg, "HS256") == 0)
		return (NULL);
	if (value[0] == '/' || (slash = strrchr(path, '/')) == NULL)
		return (harness_printf("%s", value));
	return (harness_printf("%.*s/%s", (int)(slash - path), path, value));
}

/* Small things. */

const char *
idl_jstr(const json_t *j, const char *name)
{
	json_t	*v = json_object_get(j, name);

	return (json_is_string(v) ? json_string_value(v) : NULL);
}

void
idl_assert_str(const json_t *j, const char *name, const char *want)
{
	char	*d = harness_dump(j);

	ck_assert_msg(idl_jstr(j, name) != NULL &&
	    strcmp(idl_jstr(j, name), want) == 0, "%s is not %s: %s", name,
	    want, d);
	free(d);
}

void
idl_assert_strs(const json_t *j, ...)
{
	va_list		 ap;
	const char	*name, *want;

	va_start(ap, j);
	while ((name = va_arg(ap, const char *)) != NULL) {
		want = va_arg(ap, const char *);
		idl_assert_str(j, name, want);
	}
	va_end(ap);
}

char *
idl_marker(size_t n)
{
	unsigned char	 b;
	char		*s;
	size_t		 i;

	if ((s = malloc(n + 1)) == NULL)
		fatal("out of memory");
	for (i = 0; i < n; i++) {
		if (random_fill(&b, 1) == -1)
			fatal("random_fill failed");
		s[i] = "0123456789abcdef"[b & 15];
	}
	s[n] = '\0';
	return (s);
}

int
idl_count(const char *hay, const char *needle)
{
	const char	*p;
	int		 n = 0;

	if (hay == NULL || *needle == '\0')
		return (0);
	for (p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return (n);
}

char *
idl_body_sans_ids(const struct http_resp *r)
{
	json_t	*j;
	char	*s;

	if ((j = harness_json(r)) == NULL)
		return (harness_printf("%s", r->body != NULL ? r->body : ""));
	json_object_del(j, "request_id");
	json_object_del(j, "instance");
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return (s);
}

void
idl_assert_same_body(const struct http_resp *a, const struct http_resp *b,
    const char *what)
{
	char	*ba, *bb;

	ba = idl_body_sans_ids(a);
	bb = idl_body_sans_ids(b);
	ck_assert_msg(strcmp(ba, bb) == 0, "%s: the bodies differ:\n%s\n%s",
	    what, ba, bb);
	free(ba);
	free(bb);
}

json_t *
idl_error_for(const json_t *body, const char *field)
{
	json_t	*errs, *e;
	size_t	 i;

	errs = json_object_get(body, "errors");
	json_array_foreach(errs, i, e) {
		if (idl_jstr(e, "field") != NULL &&
		    strcmp(idl_jstr(e, "field"), field) == 0)
			return (e);
	}
	return (NULL);
}

char *
idl_listed(const struct idenv *e, const char *path, const char *token)
{
	json_t	*j, *it;
	char	*s = harness_printf(" "), *t;
	size_t	 i;
	long	 st;

	j = idl_reqj(e, "GET", path, token, NULL, &st);
	ck_assert_msg(st == 200, "GET %s: %ld", path, st);
	json_array_foreach(json_object_get(j, "items"), i, it) {
		t = harness_printf("%s%s ", s, idl_jstr(it, "id"));
		free(s);
		s = t;
	}
	json_decref(j);
	return (s);
}

/* --- inc (issue 11): signalements ------------------------------------ */

static void
jpg_le16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)(v >> 8);
}

static void
jpg_le32(unsigned char *p, unsigned long v)
{
	jpg_le16(p, (unsigned)(v & 0xffff));
	jpg_le16(p + 2, (unsigned)(v >> 16));
}

static void
jpg_ifd_entry(unsigned char *p, unsigned tag, unsigned type, unsigned long count,
    unsigned long value)
{
	jpg_le16(p, tag);
	jpg_le16(p + 2, type);
	jpg_le32(p + 4, count);
	jpg_le32(p + 8, value);
}

/*
 * A JPEG (t/data/incidents/base.jpg, 80x60, no metadata) with an EXIF
 * APP1 segment inserted after SOI: IFD0 with Make = 'make' (a marker the
 * test looks for) and a GPS IFD (N 44 55' 53.76", E 6 43' 18.84", the
 * square of the town).  Its length in *len (caller frees).
 */
unsigned char *
idl_jpeg_with_exif(const char *make, size_t *len)
{
	unsigned char	 tiff[512], *out;
	char		*path, *base;
	size_t		 blen, mlen = strlen(make) + 1, t, gps, rat, seg;
	static const unsigned long lat[6] = { 44, 1, 55, 1, 5376, 100 };
	static const unsigned long lon[6] = { 6, 1, 43, 1, 1884, 100 };
	int		 i;

	path = harness_src("t/data/incidents/base.jpg");
	base = harness_read_file(path, &blen);
	ck_assert_ptr_nonnull(base);
	ck_assert(blen > 4 && (unsigned char)base[0] == 0xff &&
	    (unsigned char)base[1] == 0xd8);
	memset(tiff, 0, sizeof(tiff));
	memcpy(tiff, "II*\0", 4);
	jpg_le32(tiff + 4, 8);
	/* IFD0 at 8: Make, GPSInfo; the Make string after it. */
	jpg_le16(tiff + 8, 2);
	jpg_ifd_entry(tiff + 10, 0x010f, 2, mlen, 38);
	gps = 38 + mlen + (mlen & 1);
	jpg_ifd_entry(tiff + 22, 0x8825, 4, 1, gps);
	jpg_le32(tiff + 34, 0);
	memcpy(tiff + 38, make, mlen);
	/* The GPS IFD: refs inline, the rationals after it. */
	rat = gps + 2 + 4 * 12 + 4;
	jpg_le16(tiff + gps, 4);
	jpg_ifd_entry(tiff + gps + 2, 0x0001, 2, 2, 'N');
	jpg_ifd_entry(tiff + gps + 14, 0x0002, 5, 3, rat);
	jpg_ifd_entry(tiff + gps + 26, 0x0003, 2, 2, 'E');
	jpg_ifd_entry(tiff + gps + 38, 0x0004, 5, 3, rat + 24);
	jpg_le32(tiff + gps + 50, 0);
	for (i = 0; i < 6; i++) {
		jpg_le32(tiff + rat + 4 * (size_t)i, lat[i]);
		jpg_le32(tiff + rat + 24 + 4 * (size_t)i, lon[i]);
	}
	t = rat + 48;
	ck_assert(t < sizeof(tiff));
	/* FF E1, the length (its own 2 bytes, "Exif\0\0", the TIFF). */
	seg = 2 + 6 + t;
	*len = blen + 2 + seg;
	out = malloc(*len);
	out[0] = 0xff;
	out[1] = 0xd8;
	out[2] = 0xff;
	out[3] = 0xe1;
	out[4] = (unsigned char)(seg >> 8);
	out[5] = (unsigned char)(seg & 0xff);
	memcpy(out + 6, "Exif\0\0", 6);
	memcpy(out + 12, tiff, t);
	memcpy(out + 12 + t, base + 2, blen - 2);
	free(base);
	free(path);
	return (out);
}

void
idl_erase_me(const struct idenv *e, const char *token, const char *password)
{
	json_t	*j;
	char	*d;
	long	 st;

	j = idl_sendj(e, "DELETE", "/api/v1/me", token, json_pack("{s:s}",
	    "password", password), &st);
	d = harness_dump(j);
	ck_assert_msg(st == 200, "DELETE /api/v1/me: %ld %s", st, d);
	free(d);
	json_decref(j);
}
