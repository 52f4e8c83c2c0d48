/*
 * fileslib.c: the files tests' owner, in this process (fileslib.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "base/b64.h"
#include "base/conf.h"
#include "base/digest.h"
#include "db/db.h"
#include "files/files.h"
#include "http/reply.h"
#include "http/route.h"
#include "http/server.h"
#include "fileslib.h"

static struct server	 local;
static const struct route *modules_table;

static int
t_upload(struct request *req)
{
	struct files_stored	 st;
	struct files_info	 fi;
	struct db_error		 err;
	int			 rc;

	rc = files_store(db_thread(), "test", "t1", NULL,
	    files_upload_name(req), req->body.data, req->body.len, NULL, &st,
	    &err);
	if (rc == -1) {
		reply_db_error(req, &err);
		return (0);
	}
	if (rc != FILES_STORED) {
		files_reply_refused(req, rc, &st, NULL);
		return (0);
	}
	if (files_info(db_thread(), st.id, &fi, &err) != 0) {
		reply_db_error(req, &err);
		return (0);
	}
	reply_json(req, 201, files_info_json(&fi));
	files_info_free(&fi);
	return (0);
}

static int
t_download(struct request *req)
{
	return (files_reply(req, request_param(req, "id")));
}

static const struct route routes[] = {
	{ .method = "POST", .pattern = "/t/files", .handler = t_upload,
	  .perm = PERM_PUBLIC, .flags = ROUTE_BODY,
	  .body_types = FILES_TYPES_DEFAULT },
	{ .method = "GET", .pattern = "/t/files/{id}", .handler = t_download,
	  .perm = PERM_PUBLIC },
};

void
fl_init(const char *conninfo)
{
	static struct conf	 c;
	struct db_config	 dc = { .conninfo = conninfo,
	    .statement_timeout_ms = 10000, .connect_timeout_s = 5,
	    .application_name = "fileslib", .role = "guichet_app" };
	char			 err[256];

	conf_init(&c);
	ck_assert_msg(app_init(&c, MODULE_CTL, err, sizeof(err)) == 0, "%s",
	    err);
	db_configure(&dc);
}

void
fl_listen(const struct route *table, size_t n, size_t upload_max,
    size_t upload_memory, struct server *out)
{
	struct server_config	 c = {
		.listen_address = "127.0.0.1",
		.threads = 2,
		.connection_limit = 64,
		.connection_timeout = 10,
		.connection_memory_limit = 16384,
		.header_timeout = 10,
		.header_connection_limit = 64,
		.body_max = 4096,
		.upload_max = upload_max,
		.upload_memory = upload_memory,
		.json_max_depth = 8,
		.slow_threads = 1,
		.slow_queue = 4,
		.slow_queue_per_address = 4,
	};

	/*
	 * The modules' table lives as long as the process, as in guichetd:
	 * it stays reachable (LeakSanitizer) once this one replaces it.
	 */
	if (modules_table == NULL)
		modules_table = router_at(0);
	router_init(table, n);
	memset(out, 0, sizeof(*out));
	out->port = c.port = harness_free_port();
	ck_assert_int_eq(server_start(&c), 0);
}

const struct server *
fl_server(void)
{
	if (local.port == 0)
		fl_listen(routes, sizeof(routes) / sizeof(routes[0]),
		    10 * 1024 * 1024, 64 * 1024 * 1024, &local);
	return (&local);
}

long
fl_http(const char *method, const char *path, const char *const *headers,
    const void *body, size_t len, struct http_resp *r)
{
	harness_unchecked("a route of the files tests' own server: the files "
	    "module has no route (t/integ/fileslib.h)");
	harness_http(fl_server(), method, path, headers, body, len, r);
	ck_assert_msg(r->status != 0, "%s %s: %s", method, path, r->error);
	return (r->status);
}

char *
fl_store(const char *owner_id, const char *uploader, const char *name,
    const void *data, size_t len, const char *accepted)
{
	struct files_stored	 st;
	struct db_error		 err;
	int			 rc;

	rc = files_store(db_thread(), "test", owner_id, uploader, name, data,
	    len, accepted, &st, &err);
	ck_assert_msg(rc == FILES_STORED, "files_store: %d (type %s, "
	    "sqlstate %s)", rc, st.type, err.sqlstate);
	return (strdup(st.id));
}

char *
fl_status(const char *conninfo, const char *id)
{
	char	*sql, *v;

	sql = harness_printf("SELECT status FROM files.files WHERE id = '%s'",
	    id);
	v = harness_sql(conninfo, sql);
	free(sql);
	return (v);
}

char *
fl_wait_scanned(const char *conninfo, const char *id, int ms)
{
	long long	 end = harness_now_ms() + ms;
	char		*s;

	for (;;) {
		s = fl_status(conninfo, id);
		if (s != NULL && strcmp(s, "pending") != 0)
			return (s);
		if (harness_now_ms() > end)
			return (s != NULL ? s : strdup("pending"));
		free(s);
		harness_sleep_ms(100);
	}
}

static const unsigned char png[] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H',
	'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53,
	0xde, 0, 0, 0, 12, 'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0xf8, 0xcf,
	0xc0, 0, 0, 3, 1, 1, 0, 0xc9, 0xfe, 0x92, 0xef, 0, 0, 0, 0, 'I',
	'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82
};

char *
fl_png(const char *tail, size_t *len)
{
	size_t	 t = tail != NULL ? strlen(tail) : 0;
	char	*p = malloc(sizeof(png) + t + 1);

	ck_assert_ptr_nonnull(p);
	memcpy(p, png, sizeof(png));
	if (t > 0)
		memcpy(p + sizeof(png), tail, t);
	p[sizeof(png) + t] = '\0';
	*len = sizeof(png) + t;
	return (p);
}

char *
fl_pdf(const char *tail, size_t *len)
{
	char	*p;

	p = harness_printf("%%PDF-1.4\n1 0 obj<</Title (%s)>>endobj\n"
	    "trailer<</Root 1 0 R>>\n%%%%EOF\n", tail != NULL ? tail : "");
	*len = strlen(p);
	return (p);
}

char *
fl_sha256(const void *p, size_t n)
{
	char	 hex[SHA256_HEX_LEN];

	sha256_hex(p, n, hex);
	return (strdup(hex));
}

char *
fl_hex(const void *p, size_t n)
{
	char	*hex = malloc(2 * n + 1);

	ck_assert_ptr_nonnull(hex);
	hex_encode(p, n, hex);
	return (hex);
}
