/*
 * t1201-files: the files module as an owner uses it (fileslib.h: files.h
 * in this process, against a copy of the demo database, and an upload
 * route and a download route of the test's own), and as the privacy
 * layer drives it (guichetd: the export, the erasure, the purge).
 *  - the type is the content's: a PNG sent as application/pdf is stored
 *    as the PNG it is; text named .pdf is refused (422), and so is an HTML
 *    page with a PDF header further down; nothing is stored then;
 *  - the SHA-256 is recorded, the bytes are kept exactly (10 MiB, in one
 *    row, uncompressed, out of line) and served back exactly;
 *  - a pending file is 409 file_pending with Retry-After, a rejected one
 *    410, an erased one 410, an unknown one 404: only clean files are
 *    served, with the sniffed type, a safe Content-Disposition, nosniff,
 *    the SHA-256 as ETag (If-None-Match: 304), no caching;
 *  - files_delete(), files_delete_owned();
 *  - the erasure of the person who uploaded a file removes its content,
 *    name and digest from the database, whichever module owns it; the
 *    export lists the files they uploaded;
 *  - a rejected file's row goes 30 days after its upload (the purge).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "db/db.h"
#include "files/files.h"
#include "fileslib.h"
#include "idlib.h"

/* 'got' (freed) is 'want'. */
static void
is(char *got, const char *want)
{
	ck_assert_msg(got != NULL && strcmp(got, want) == 0, "\"%s\", "
	    "expected \"%s\"", got != NULL ? got : "(null)", want);
	free(got);
}

/* The test's database, library and server. */
static void
start(struct idenv *e)
{
	idl_start_new(e, NULL);
	fl_init(e->db);
}

/* The problem's code of a response. */
static char *
code_of(const struct http_resp *r)
{
	json_t	*j = harness_json(r);
	char	*c;

	c = strdup(j != NULL && idl_jstr(j, "code") != NULL ? idl_jstr(j, "code") :
	    "(none)");
	json_decref(j);
	return (c);
}

static void
get_is(const char *id, long status, const char *code)
{
	struct http_resp r;
	char		*path, *c;

	path = harness_printf("/t/files/%s", id);
	ck_assert_int_eq(fl_http("GET", path, NULL, NULL, 0, &r), status);
	c = code_of(&r);
	ck_assert_msg(strcmp(c, code) == 0, "GET %s: code %s, expected %s",
	    path, c, code);
	free(c);
	free(path);
	http_resp_free(&r);
}

START_TEST(test_files_type_from_content)
{
	struct idenv	 e;
	struct files_stored st;
	struct db_error	 err;
	static const char text[] = "Je soussigné, certifie sur l'honneur...\n";
	static const char html_pdf[] = "<html><script>alert(1)</script>\n"
	    "%PDF-1.4\n1 0 obj<<>>endobj\n";
	char		*png, *id, *sha, want[128];
	size_t		 len;

	start(&e);
	/* A PNG, whatever it is called or declared: a PNG. */
	png = fl_png("t1201-type", &len);
	id = fl_store("r1", NULL, "attestation.pdf", png, len, NULL);
	snprintf(want, sizeof(want), "image/png pending %zu attestation.pdf",
	    len);
	is(idl_sql(&e, "SELECT media_type || ' ' || status || ' ' || size || "
	    "' ' || name FROM files.files WHERE id = '%s'", id), want);
	/* The SHA-256 recorded is the bytes', and the bytes are kept. */
	sha = fl_sha256(png, len);
	is(idl_sql(&e, "SELECT sha256 FROM files.files WHERE "
	    "id = '%s'", id), sha);
	is(idl_sql(&e, "SELECT encode(sha256(content), 'hex') "
	    "FROM files.files WHERE id = '%s'", id), sha);
	/* Refused: text named .pdf, a polyglot, nothing, a bad name. */
	ck_assert_int_eq(files_store(db_thread(), "test", "r1", NULL, "x.pdf",
	    text, strlen(text), NULL, &st, &err), FILES_BAD_TYPE);
	ck_assert_str_eq(st.type, "text/plain");
	ck_assert_int_eq(files_store(db_thread(), "test", "r1", NULL, "y.pdf",
	    html_pdf, strlen(html_pdf), NULL, &st, &err), FILES_BAD_TYPE);
	ck_assert_int_eq(files_store(db_thread(), "test", "r1", NULL, "z.pdf",
	    png, 0, NULL, &st, &err), FILES_EMPTY);
	ck_assert_int_eq(files_store(db_thread(), "test", "r1", NULL,
	    "a\r\nb.png", png, len, NULL, &st, &err), FILES_BAD_NAME);
	/* The caller's set decides: no PNG where only PDF is taken. */
	ck_assert_int_eq(files_store(db_thread(), "test", "r1", NULL, "p.png",
	    png, len, "application/pdf", &st, &err), FILES_BAD_TYPE);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files"),
	    1);
	free(png);
	free(id);
	free(sha);
	idl_stop(&e);
}
END_TEST

/* The upload route of an owner, end to end. */
START_TEST(test_files_upload_route)
{
	struct idenv	 e;
	struct http_resp r;
	const char	*png_as_pdf[] = { "Content-Type: application/pdf",
	    "Content-Disposition: attachment; filename*=UTF-8''re%C3%A7u%20"
	    "(1).pdf", NULL };
	const char	*text_as_pdf[] = { "Content-Type: application/pdf",
	    "Content-Disposition: attachment; filename=\"note.pdf\"", NULL };
	const char	*bad_name[] = { "Content-Type: image/png",
	    "Content-Disposition: attachment; filename*=UTF-8''a%0D%0Ab.png",
	    NULL };
	json_t		*j;
	char		*png, *path, *c;
	size_t		 len;

	start(&e);
	png = fl_png("t1201-route", &len);
	ck_assert_int_eq(fl_http("POST", "/t/files", png_as_pdf, png, len, &r),
	    201);
	j = harness_json(&r);
	ck_assert_str_eq(idl_jstr(j, "type"), "image/png");
	ck_assert_str_eq(idl_jstr(j, "name"), "reçu (1).pdf");
	ck_assert_str_eq(idl_jstr(j, "status"), "pending");
	ck_assert_str_eq(idl_jstr(json_object_get(j, "owner"), "module"), "test");
	ck_assert(json_is_null(json_object_get(j, "scanned_at")));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "size")),
	    (json_int_t)len);
	http_resp_free(&r);
	/* Served as what it is, under a name that says so. */
	fl_mark(e.db, idl_jstr(j, "id"), "clean");
	path = harness_printf("/t/files/%s", idl_jstr(j, "id"));
	ck_assert_int_eq(fl_http("GET", path, NULL, NULL, 0, &r), 200);
	ck_assert_str_eq(http_resp_header(&r, "Content-Type"), "image/png");
	ck_assert_str_eq(http_resp_header(&r, "Content-Disposition"),
	    "attachment; filename=\"re_u (1).pdf.png\"; "
	    "filename*=UTF-8''re%C3%A7u%20%281%29.pdf.png");
	http_resp_free(&r);
	free(path);
	json_decref(j);
	/* Text sent as a PDF: 422, nothing stored. */
	ck_assert_int_eq(fl_http("POST", "/t/files", text_as_pdf, "hello\n", 6,
	    &r), 422);
	c = code_of(&r);
	ck_assert_str_eq(c, "file_type_refused");
	ck_assert_msg(strstr(r.body, "text/plain") != NULL, "%s", r.body);
	free(c);
	http_resp_free(&r);
	ck_assert_int_eq(fl_http("POST", "/t/files", bad_name, png, len, &r),
	    422);
	c = code_of(&r);
	ck_assert_str_eq(c, "file_name_invalid");
	free(c);
	http_resp_free(&r);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files"),
	    1);
	free(png);
	idl_stop(&e);
}
END_TEST

/* Only clean files are served; the headers of a download. */
START_TEST(test_files_served_when_clean)
{
	struct idenv	 e;
	struct http_resp r;
	char		*png, *id, *path, *etag, *sha, *inm[2], want[32];
	size_t		 len;

	start(&e);
	png = fl_png("t1201-served", &len);
	id = fl_store("r1", NULL, "scan.png", png, len, NULL);
	path = harness_printf("/t/files/%s", id);
	/* Pending: 409, and when to ask again. */
	ck_assert_int_eq(fl_http("GET", path, NULL, NULL, 0, &r), 409);
	ck_assert_ptr_nonnull(http_resp_header(&r, "Retry-After"));
	json_decref(harness_assert_problem(&r, 409, NULL, NULL));
	http_resp_free(&r);
	get_is(id, 409, "file_pending");
	fl_mark(e.db, id, "clean");
	ck_assert_int_eq(fl_http("GET", path, NULL, NULL, 0, &r), 200);
	ck_assert_uint_eq(r.body_len, len);
	ck_assert(memcmp(r.body, png, len) == 0);
	sha = fl_sha256(png, len);
	etag = harness_printf("\"%s\"", sha);
	ck_assert_str_eq(http_resp_header(&r, "ETag"), etag);
	ck_assert_str_eq(http_resp_header(&r, "Content-Type"), "image/png");
	ck_assert_str_eq(http_resp_header(&r, "X-Content-Type-Options"),
	    "nosniff");
	ck_assert_str_eq(http_resp_header(&r, "Cache-Control"),
	    "private, no-store");
	snprintf(want, sizeof(want), "%zu", len);
	ck_assert_str_eq(http_resp_header(&r, "Content-Length"), want);
	ck_assert_str_eq(http_resp_header(&r, "Content-Disposition"),
	    "attachment; filename=\"scan.png\"; filename*=UTF-8''scan.png");
	http_resp_free(&r);
	/* HEAD: the same head, no body. */
	ck_assert_int_eq(fl_http("HEAD", path, NULL, NULL, 0, &r), 200);
	ck_assert_str_eq(http_resp_header(&r, "Content-Length"), want);
	ck_assert_str_eq(http_resp_header(&r, "ETag"), etag);
	ck_assert_uint_eq(r.body_len, 0);
	http_resp_free(&r);
	/* The copy a client holds is still good: 304, no body. */
	inm[0] = harness_printf("If-None-Match: %s", etag);
	inm[1] = NULL;
	ck_assert_int_eq(fl_http("GET", path, (const char *const *)inm, NULL,
	    0, &r), 304);
	ck_assert_uint_eq(r.body_len, 0);
	http_resp_free(&r);
	/* Rejected: 410, never the bytes; unknown: 404. */
	fl_mark(e.db, id, "rejected");
	get_is(id, 410, "file_rejected");
	get_is("0b6c7e1a-3f2d-4c5b-8a9e-1f2e3d4c5b6a", 404, "file_not_found");
	get_is("not-a-uuid", 404, "file_not_found");
	free(inm[0]);
	free(etag);
	free(sha);
	free(path);
	free(id);
	free(png);
	idl_stop(&e);
}
END_TEST

/*
 * The largest file an upload takes (upload_max, 10 MiB): one row, its
 * content out of line and not compressed, read back in pieces, exact.
 */
START_TEST(test_files_big_file)
{
	struct idenv	 e;
	struct http_resp r;
	size_t		 len = 10 * 1024 * 1024, i;
	char		*data, *id, *path, *sha, *got, want[64];

	start(&e);
	data = fl_png(NULL, &i);
	data = realloc(data, len);
	ck_assert_ptr_nonnull(data);
	for (; i < len; i++)
		data[i] = (char)(i * 2654435761u >> 13);
	id = fl_store("big", NULL, "big.png", data, len, NULL);
	snprintf(want, sizeof(want), "%zu none", len);
	is(idl_sql(&e, "SELECT length(content) || ' ' || "
	    "coalesce(pg_column_compression(content), 'none') FROM files.files "
	    "WHERE id = '%s'", id), want);
	is(idl_sql(&e, "SELECT attstorage FROM pg_attribute "
	    "WHERE attrelid = 'files.files'::regclass AND "
	    "attname = 'content'"), "e");
	fl_mark(e.db, id, "clean");
	path = harness_printf("/t/files/%s", id);
	ck_assert_int_eq(fl_http("GET", path, NULL, NULL, 0, &r), 200);
	ck_assert_uint_eq(r.body_len, len);
	sha = fl_sha256(data, len);
	got = fl_sha256(r.body, r.body_len);
	ck_assert_str_eq(got, sha);
	http_resp_free(&r);
	free(got);
	free(sha);
	free(path);
	free(id);
	free(data);
	idl_stop(&e);
}
END_TEST

START_TEST(test_files_delete)
{
	struct idenv	 e;
	struct db_error	 err;
	char		*a, *b, *c, *png;
	size_t		 len;
	long		 n;

	start(&e);
	png = fl_png("t1201-delete", &len);
	a = fl_store("case-1", NULL, NULL, png, len, NULL);
	b = fl_store("case-1", NULL, NULL, png, len, NULL);
	c = fl_store("case-2", NULL, NULL, png, len, NULL);
	ck_assert_int_eq(files_delete(db_thread(), a, &err), 0);
	ck_assert_int_eq(files_delete(db_thread(), a, &err), 1);
	ck_assert_int_eq(files_delete(db_thread(), "nope", &err), 1);
	ck_assert_int_eq(files_delete_owned(db_thread(), "test", "case-1", &n,
	    &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "WHERE id = '%s'", c), 1);
	get_is(b, 404, "file_not_found");
	free(a);
	free(b);
	free(c);
	free(png);
	idl_stop(&e);
}
END_TEST

/*
 * The person who uploaded a file erases their account: its content, name
 * and digest leave the database (pg_dump holds none of them), whichever
 * module owns it; someone else's file on the same record stays.  Before,
 * their export lists it.
 */
START_TEST(test_files_erased_with_their_uploader)
{
	struct idenv	 e;
	struct http_resp r;
	char		*at, *name, *png, *png2, *hex, *mine, *other, *sha;
	char		*body, *sha2, tail[64];
	json_t		*j, *files, *erased, *x;
	size_t		 len, i;
	long		 st;
	int		 found = 0;

	at = idl_start_resident(&e, NULL);
	fl_init(e.db);
	name = harness_printf("ERASE-ME-NAME-%d.pdf", (int)getpid());
	snprintf(tail, sizeof(tail), "ERASE-ME-CONTENT-%d", (int)getpid());
	png = fl_png(tail, &len);
	hex = fl_hex(png + len - 20, 20);
	sha = fl_sha256(png, len);
	png2 = fl_png("an agent's reply", &i);
	sha2 = fl_sha256(png2, i);
	mine = fl_store("case-9", idl_demo.resident_id, name, png, len, NULL);
	other = fl_store("case-9", idl_demo.agent_id, "agent-reply.png", png2,
	    i, NULL);
	fl_mark(e.db, mine, "clean");
	/* The export lists it, with its name and record. */
	j = idl_reqj(&e, "GET", "/api/v1/me/export", at, NULL, &st);
	ck_assert_int_eq(st, 200);
	files = json_object_get(json_object_get(json_object_get(j, "data"),
	    "files"), "files");
	ck_assert_int_eq(json_array_size(files), 1);
	ck_assert_str_eq(idl_jstr(json_array_get(files, 0), "name"), name);
	ck_assert_str_eq(idl_jstr(json_array_get(files, 0), "id"), mine);
	json_decref(j);
	ck_assert_int_ge(idl_dump_count(&e, name), 1);
	ck_assert_int_ge(idl_dump_count(&e, hex), 1);
	ck_assert_int_ge(idl_dump_count(&e, sha), 1);
	/* The erasure says what went. */
	body = harness_printf("{\"password\":\"%s\"}", IDL_RESIDENT_PASSWORD);
	ck_assert_int_eq(idl_req(&e, "DELETE", "/api/v1/me", at, body, &r),
	    200);
	j = harness_json(&r);
	erased = json_object_get(j, "erased");
	json_array_foreach(erased, i, x)
		if (strcmp(idl_jstr(x, "module"), "files") == 0) {
			ck_assert_str_eq(idl_jstr(x, "category"), "attachment");
			ck_assert_int_eq(json_integer_value(json_object_get(x,
			    "records")), 1);
			found = 1;
		}
	ck_assert_msg(found, "no files entry in %s", r.body);
	json_decref(j);
	http_resp_free(&r);
	ck_assert_int_eq(idl_dump_count(&e, name), 0);
	ck_assert_int_eq(idl_dump_count(&e, hex), 0);
	ck_assert_int_eq(idl_dump_count(&e, sha), 0);
	/* The agent's reply on the same record is not the person's. */
	ck_assert_int_eq(idl_dump_count(&e, sha2), 1);
	is(idl_sql(&e, "SELECT status || ' ' || (name IS NULL) "
	    "|| (content IS NULL) || (sha256 IS NULL) || (uploader IS NULL) "
	    "FROM files.files WHERE id = '%s'", mine),
	    "erased truetruetruetrue");
	is(idl_sql(&e, "SELECT status FROM files.files WHERE "
	    "id = '%s'", other), "pending");
	get_is(mine, 410, "file_erased");
	free(body);
	free(sha);
	free(sha2);
	free(png2);
	free(hex);
	free(mine);
	free(other);
	free(png);
	free(name);
	free(at);
	idl_stop(&e);
}
END_TEST

/* A rejected file's row (its name) goes 30 days after its upload. */
START_TEST(test_files_rejected_purged)
{
	struct idenv	 e;
	const char	*args[] = { "--clock", "+31d", "privacy", "purge", NULL };
	char		*a, *b, *png, *out = NULL, *err = NULL;
	size_t		 len;

	start(&e);
	png = fl_png("t1201-purge", &len);
	a = fl_store("r1", NULL, "virus.png", png, len, NULL);
	b = fl_store("r1", NULL, "fine.png", png, len, NULL);
	fl_mark(e.db, a, "rejected");
	fl_mark(e.db, b, "clean");
	ck_assert_int_eq(idl_ctl(e.db, 0, args, &out, &err), 0);
	ck_assert_msg(strstr(out, "files_rejected") != NULL, "%s%s", out, err);
	ck_assert_ptr_null(fl_status(e.db, a));
	is(fl_status(e.db, b), "clean");
	free(out);
	free(err);
	free(a);
	free(b);
	free(png);
	idl_stop(&e);
}
END_TEST

/*
 * The template without the demo's files (the documents of its filed
 * parking permit): these tests count theirs.
 */
static void
prepare(void)
{
	idl_prepare();
	if (harness_sql_exec(idl_template(), "DELETE FROM files.files") == -1)
		ck_abort_msg("cannot empty files.files in the template");
}

static const TTest *const *const tests[] = {
	&test_files_type_from_content,
	&test_files_upload_route,
	&test_files_served_when_clean,
	&test_files_big_file,
	&test_files_delete,
	&test_files_erased_with_their_uploader,
	&test_files_rejected_purged,
	NULL
};

const struct test_group test_groups[] = {
	{ "files", HARNESS_TIMEOUT, NULL, NULL, prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
