/*
 * fileslib.c: the files tests' owner, in this process (fileslib.h).
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

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

void
fl_mark(const char *conninfo, const char *id, const char *status)
{
	char	*sql;

	if (strcmp(status, "clean") == 0)
		sql = harness_printf("UPDATE files.files SET status = 'clean', "
		    "scanned_at = now() WHERE id = '%s'", id);
	else
		sql = harness_printf("UPDATE files.files SET status = "
		    "'rejected', signature = 'Test-Signature', content = NULL, "
		    "sha256 = NULL, scanned_at = now() WHERE id = '%s'", id);
	ck_assert_int_eq(harness_sql_exec(conninfo, sql), 0);
	free(sql);
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

/*
 * A clamd of the test's own in 'name' of the scratch directory: its
 * signatures are EICAR's (tools/dev's database) and the MD5 of the
 * infected PDF, as sigtool --md5 writes it.
 */
void
fl_clamd_make(struct fl_clamd *c, const char *name, const char *infected)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	char		*pdf, *hex, *eicar_db, *sigs, *conf, *p;
	size_t		 len;

	memset(c, 0, sizeof(*c));
	c->dir = harness_printf("%s/%s", harness_tmpdir(), name);
	c->sock = harness_printf("%s/clamd.sock", c->dir);
	ck_assert_int_eq(mkdir(c->dir, 0755), 0);
	p = harness_printf("%s/db", c->dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	free(p);
	eicar_db = harness_printf("%s/eicar.hdb",
	    getenv("GUICHET_TEST_CLAMD_DB"));
	sigs = harness_read_file(eicar_db, NULL);
	ck_assert_msg(sigs != NULL, "%s", eicar_db);
	p = harness_printf("%s/db/eicar.hdb", c->dir);
	ck_assert_int_eq(harness_write_file(p, sigs), 0);
	free(p);
	pdf = fl_pdf(infected, &len);
	ck_assert(EVP_Digest(pdf, len, md, &mdlen, EVP_md5(), NULL) == 1);
	hex = fl_hex(md, mdlen);
	p = harness_printf("%s/db/test.hdb", c->dir);
	free(sigs);
	sigs = harness_printf("%s:%zu:Guichet-Test-Pdf\n", hex, len);
	ck_assert_int_eq(harness_write_file(p, sigs), 0);
	free(p);
	conf = harness_printf("DatabaseDirectory %s/db\nLocalSocket %s\n"
	    "Foreground yes\nLogFile %s/clamd.log\n%s", c->dir, c->sock,
	    c->dir, getuid() == 0 ? "User root\n" : "");
	p = harness_printf("%s/clamd.conf", c->dir);
	ck_assert_int_eq(harness_write_file(p, conf), 0);
	free(p);
	free(conf);
	free(sigs);
	free(hex);
	free(pdf);
	free(eicar_db);
}

/* Start it and wait for its socket (30 s). */
void
fl_clamd_up(struct fl_clamd *c)
{
	char		*conf, *out;
	long long	 end;
	struct stat	 st;
	int		 fd;

	conf = harness_printf("%s/clamd.conf", c->dir);
	out = harness_printf("%s/clamd.out", c->dir);
	unlink(c->sock);
	if ((c->pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if ((fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(getenv("GUICHET_TEST_CLAMD"), "clamd", "-c", conf,
		    (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(c->pid, 0);
	end = harness_now_ms() + 30000;
	while (stat(c->sock, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		ck_assert_msg(harness_now_ms() < end && waitpid(c->pid, NULL,
		    WNOHANG) == 0, "clamd did not start: %s",
		    harness_read_file(out, NULL));
		harness_sleep_ms(50);
	}
	free(conf);
	free(out);
}

void
fl_clamd_down(struct fl_clamd *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGTERM);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
	unlink(c->sock);
}

void
fl_clamd_free(struct fl_clamd *c)
{
	fl_clamd_down(c);
	free(c->dir);
	free(c->sock);
}
