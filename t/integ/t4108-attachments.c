/*
 * t4108-attachments: the files of a case (src/cases/cases_attach.c on the
 * files module), end to end through guichetd.
 *  - the body is the file: its type is the content's (a PNG sent as
 *    application/pdf is stored as image/png), text or HTML named .pdf is
 *    422 and nothing is stored, a declared type not taken is 415;
 *  - past the cap, 413 before the body is sent (the default 10 MB, and a
 *    smaller upload_max);
 *  - the SHA-256 is recorded and the bytes come back identical, with a
 *    safe Content-Disposition for a hostile name; pending is 409 with
 *    Retry-After, rejected 410, never served;
 *  - (a real clamd scanning them is t4111-scan's);
 *  - who: another resident, an agent of another department, the
 *    department's agent on a draft get what they get for no case (404) on
 *    every route of the files; a file of another case is 404 there; the
 *    person never sees the department's files before a message carries
 *    them, nor ever an internal note's; a message refuses a file of
 *    another case or of the other side (422 /attachments/N); staff reads
 *    are in the access log;
 *  - submission needs the required documents (a rejected file does not
 *    count) and a form field of type file names a file of this case;
 *  - removal; Idempotency-Key on an upload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caselib.h"
#include "fileslib.h"

#define FROZEN	"2026-03-20T09:30:00Z"
#define NOBODY	"00000000-0000-4000-8000-000000000000"

/* A JFIF header and its end: libmagic's image/jpeg. */
static const unsigned char jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10,
    'J', 'F', 'I', 'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
    0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x08, 0x06, 0x06, 0x07, 0x06,
    0x05, 0x08, 0x07, 0x07, 0x07, 0x09, 0x09, 0x08, 0x0a, 0x0c, 0x14, 0x0d,
    0x0c, 0x0b, 0x0b, 0x0c, 0x19, 0x12, 0x13, 0x0f, 0xff, 0xd9 };

/* The ids of the files 'token' sees listed for case 'id', as one string. */
static char *
listed(const struct idenv *e, const char *token, const char *id)
{
	json_t	*j, *a;
	char	*path, *s = harness_printf("%s", ""), *t;
	size_t	 i;
	long	 st;

	path = harness_printf("/api/v1/cases/%s/attachments", id);
	j = idl_reqj(e, "GET", path, token, NULL, &st);
	ck_assert_msg(st == 200, "GET %s: %ld", path, st);
	json_array_foreach(json_object_get(j, "items"), i, a) {
		t = harness_printf("%s%s ", s, cl_file_id(a));
		free(s);
		s = t;
	}
	json_decref(j);
	free(path);
	return (s);
}

START_TEST(test_types_from_content)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*a;
	char		*res, *id, *png, *pdf, *sha;
	const char	*html = "<!DOCTYPE html><html><body><script>alert(1)"
			    "</script>%PDF-1.4</body></html>";
	size_t		 plen, dlen;

	res = idl_start_resident(&e, FROZEN);
	id = cl_file(&e, res, "t_pieces", json_pack("{s:s}", "nom", "A"), 0,
	    NULL);
	png = fl_png("t4108-types", &plen);
	pdf = fl_pdf("t4108-types", &dlen);
	/* A PNG declared as a PDF is the PNG it is. */
	a = cl_uploaded(&e, res, id, "", "application/pdf", "scan.pdf", png,
	    plen);
	sha = fl_sha256(png, plen);
	idl_assert_strs(json_object_get(a, "file"), "type", "image/png",
	    "status", "pending", "sha256", sha, "name", "scan.pdf", NULL);
	idl_assert_strs(a, "uploaded_by", "owner", NULL);
	ck_assert(json_is_null(json_object_get(a, "document")));
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM files.files "
	    "WHERE id = '%s' AND sha256 = '%s' AND size = %zu", cl_file_id(a),
	    sha, plen), 1);
	json_decref(a);
	a = cl_uploaded(&e, res, id, "?document=justificatif", "application/pdf",
	    "domicile.pdf", pdf, dlen);
	idl_assert_strs(json_object_get(a, "file"), "type", "application/pdf",
	    NULL);
	idl_assert_str(a, "document", "justificatif");
	json_decref(a);
	a = cl_uploaded(&e, res, id, "", "image/jpeg", "photo.jpg", jpeg,
	    sizeof(jpeg));
	idl_assert_strs(json_object_get(a, "file"), "type", "image/jpeg",
	    NULL);
	json_decref(a);
	ck_assert_int_eq(cl_rows(&e, "files.files", id), 3);
	/* Text, and HTML with a PDF header further on, named .pdf: 422. */
	cl_upload(&e, res, id, "", "application/pdf", "facture.pdf",
	    "just some text", 14, &r);
	cl_is_code(&r, 422, "file_type_refused");
	http_resp_free(&r);
	cl_upload(&e, res, id, "", "application/pdf", "page.pdf", html,
	    strlen(html), &r);
	cl_is_code(&r, 422, "file_type_refused");
	http_resp_free(&r);
	/* A type not taken, whatever the content: 415 before the handler. */
	cl_upload(&e, res, id, "", "text/html", "page.pdf", pdf, dlen, &r);
	ck_assert_int_eq(r.status, 415);
	http_resp_free(&r);
	/* A document the procedure does not ask for: 422 on the query. */
	cl_upload(&e, res, id, "?document=passeport", "application/pdf",
	    "p.pdf", pdf, dlen, &r);
	cl_is_code(&r, 422, "validation");
	a = harness_json(&r);
	ck_assert_ptr_nonnull(idl_error_for(a, "/query/document"));
	json_decref(a);
	http_resp_free(&r);
	/* Nothing of the refused ones was stored. */
	ck_assert_int_eq(cl_rows(&e, "files.files", id), 3);
	ck_assert_int_eq(cl_rows(&e, "cases.attachments", id), 3);
	free(sha);
	free(png);
	free(pdf);
	free(id);
	free(res);
	idl_stop(&e);
}
END_TEST

/* A POST of 'length' bytes announced, none sent: the status read. */
static int
announced(struct idenv *e, const char *token, const char *id,
    const char *length)
{
	struct raw_resp	 raw;
	char		*head;
	int		 fd, st;

	fd = harness_connect(&e->s);
	ck_assert_int_ne(fd, -1);
	head = harness_printf("POST /api/v1/cases/%s/attachments HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: application/pdf\r\nContent-Length: %s\r\n\r\n",
	    id, token, length);
	ck_assert_int_eq(harness_send_str(fd, head), 0);
	harness_raw_read(fd, 5000, 0, &raw);
	st = raw.status;
	raw_resp_free(&raw);
	close(fd);
	free(head);
	return (st);
}

START_TEST(test_caps)
{
	struct idenv	 e;
	struct http_resp r;
	const char	*small[] = { "--upload-max", "2048", NULL };
	char		*res, *id, *big;
	size_t		 len;

	res = idl_start_resident(&e, FROZEN);
	id = cl_file(&e, res, "t_pieces", json_pack("{s:s}", "nom", "A"), 0,
	    NULL);
	/* 10 MB and one byte announced: 413 with nothing of it sent. */
	ck_assert_int_eq(announced(&e, res, id, "10485761"), 413);
	ck_assert_int_eq(cl_rows(&e, "files.files", id), 0);
	/* A smaller cap (upload_max). */
	e.extra = small;
	idl_restart(&e, FROZEN);
	ck_assert_int_eq(announced(&e, res, id, "2049"), 413);
	big = fl_png(NULL, &len);
	big = realloc(big, 2049);
	memset(big + len, 'x', 2049 - len);
	cl_upload(&e, res, id, "", "image/png", "big.png", big, 2049, &r);
	ck_assert_int_eq(r.status, 413);
	http_resp_free(&r);
	cl_upload(&e, res, id, "", "image/png", "big.png", big, 2048, &r);
	ck_assert_int_eq(r.status, 201);
	http_resp_free(&r);
	ck_assert_int_eq(cl_rows(&e, "files.files", id), 1);
	free(big);
	free(id);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_served_back)
{
	struct idenv	 e;
	struct http_resp r;
	const char	*h[3];
	json_t		*a;
	char		*res, *id, *png, *fid, *sha, *etag, *auth, *inm;
	const char	*cd;
	size_t		 len;

	res = idl_start_resident(&e, FROZEN);
	id = cl_file(&e, res, "t_pieces", json_pack("{s:s}", "nom", "A"), 0,
	    NULL);
	png = fl_png("t4108-served", &len);
	a = cl_uploaded(&e, res, id, "", "image/png",
	    "../../etc/\"pass\\wd\";x=1 été.png", png, len);
	fid = harness_printf("%s", cl_file_id(a));
	json_decref(a);
	/* Pending: 409 with Retry-After, no byte. */
	cl_on_file(&e, "GET", res, id, fid, &r);
	cl_is_code(&r, 409, "file_pending");
	ck_assert_ptr_nonnull(http_resp_header(&r, "Retry-After"));
	ck_assert_ptr_null(memmem(r.body, r.body_len, "\x89PNG", 4));
	http_resp_free(&r);
	/* Clean: the bytes, exactly, as what they are. */
	fl_mark(e.db, fid, "clean");
	ck_assert_int_eq(cl_on_file(&e, "GET", res, id, fid, &r), 200);
	ck_assert_uint_eq(r.body_len, len);
	ck_assert(memcmp(r.body, png, len) == 0);
	ck_assert_str_eq(http_resp_header(&r, "Content-Type"), "image/png");
	ck_assert_str_eq(http_resp_header(&r, "X-Content-Type-Options"),
	    "nosniff");
	sha = fl_sha256(png, len);
	etag = harness_printf("\"%s\"", sha);
	ck_assert_str_eq(http_resp_header(&r, "ETag"), etag);
	cd = http_resp_header(&r, "Content-Disposition");
	ck_assert_ptr_nonnull(cd);
	ck_assert_msg(strncmp(cd, "attachment;", 11) == 0 &&
	    strchr(cd, '/') == NULL && strchr(cd, '\r') == NULL &&
	    strchr(cd, '\n') == NULL && strchr(cd, '\\') == NULL &&
	    strstr(cd, "filename*=UTF-8''") != NULL &&
	    idl_count(cd, "\"") == 2, "unsafe: %s", cd);
	http_resp_free(&r);
	/* If-None-Match: 304. */
	auth = harness_printf("Authorization: Bearer %s", res);
	inm = harness_printf("If-None-Match: %s", etag);
	h[0] = auth;
	h[1] = inm;
	h[2] = NULL;
	free(png);
	png = harness_printf("/api/v1/cases/%s/attachments/%s", id, fid);
	ck_assert_int_eq(idl_reqh(&e, "GET", png, h, NULL, &r), 304);
	http_resp_free(&r);
	/* A name with a line break is refused, nothing stored. */
	cl_upload(&e, res, id, "", "image/png", "a\r\nSet-Cookie: x=1.png",
	    "\x89PNG\r\n\x1a\n", 8, &r);
	ck_assert_int_eq(r.status, 422);
	http_resp_free(&r);
	ck_assert_int_eq(cl_rows(&e, "files.files", id), 1);
	/* Rejected: 410, never served. */
	fl_mark(e.db, fid, "rejected");
	cl_on_file(&e, "GET", res, id, fid, &r);
	cl_is_code(&r, 410, "file_rejected");
	http_resp_free(&r);
	free(png);
	free(inm);
	free(auth);
	free(etag);
	free(sha);
	free(fid);
	free(id);
	free(res);
	idl_stop(&e);
}
END_TEST

/*
 * 'token' on every route of the files of case 'id' (with a file 'fid'
 * of it) answers as for a case that is not, and stores nothing.
 */
static void
as_if_nothing(struct idenv *e, const char *token, const char *id,
    const char *fid, const char *who)
{
	static const char *const methods[] = { "GET", "DELETE" };
	struct http_resp a, b;
	char		*pdf, *what, *pa, *pb;
	size_t		 len, i;
	long		 before = cl_rows(e, "files.files", id);

	pdf = fl_pdf("t4108 idor", &len);
	cl_upload(e, token, id, "", "application/pdf", "x.pdf", pdf, len, &a);
	cl_upload(e, token, NOBODY, "", "application/pdf", "x.pdf", pdf, len,
	    &b);
	what = harness_printf("%s: POST attachments", who);
	ck_assert_msg(a.status == 404, "%s: %ld", what, a.status);
	idl_assert_same_body(&a, &b, what);
	http_resp_free(&a);
	http_resp_free(&b);
	free(what);
	for (i = 0; i < 2; i++) {
		cl_on_file(e, methods[i], token, id, fid, &a);
		cl_on_file(e, methods[i], token, NOBODY, fid, &b);
		what = harness_printf("%s: %s a file", who, methods[i]);
		ck_assert_msg(a.status == 404, "%s: %ld", what, a.status);
		idl_assert_same_body(&a, &b, what);
		http_resp_free(&a);
		http_resp_free(&b);
		free(what);
	}
	pa = harness_printf("/api/v1/cases/%s/attachments", id);
	pb = harness_printf("/api/v1/cases/%s/attachments", NOBODY);
	idl_req(e, "GET", pa, token, NULL, &a);
	idl_req(e, "GET", pb, token, NULL, &b);
	what = harness_printf("%s: GET attachments", who);
	ck_assert_msg(a.status == 404, "%s: %ld", what, a.status);
	idl_assert_same_body(&a, &b, what);
	http_resp_free(&a);
	http_resp_free(&b);
	ck_assert_int_eq(cl_rows(e, "files.files", id), before);
	free(what);
	free(pa);
	free(pb);
	free(pdf);
}

START_TEST(test_others_find_nothing)
{
	struct idenv	 e;
	struct http_resp r;
	char		*res, *other, *mairie, *agent, *id, *draft, *fid, *dfid;

	res = idl_start_resident(&e, FROZEN);
	other = cl_other(&e);
	mairie = cl_agent(&e, CL_MAIRIE);
	agent = cl_agent(&e, CL_TECH);
	id = cl_file(&e, res, "t_pieces", json_pack("{s:s}", "nom", "A"), 0,
	    NULL);
	fid = cl_attach(&e, res, id, "justificatif", "t4108 idor filed");
	fl_mark(e.db, fid, "clean");
	ck_assert_int_eq(cl_move(&e, res, id, "submitted", NULL), 200);
	draft = cl_file(&e, res, "t_pieces", json_pack("{s:s}", "nom", "B"),
	    0, NULL);
	dfid = cl_attach(&e, res, draft, NULL, "t4108 idor draft");
	fl_mark(e.db, dfid, "clean");
	as_if_nothing(&e, other, id, fid, "another resident");
	as_if_nothing(&e, mairie, id, fid, "an agent of another department");
	as_if_nothing(&e, agent, draft, dfid, "the department's agent, a "
	    "draft");
	as_if_nothing(&e, other, draft, dfid, "another resident, a draft");
	/* The department's agent reaches the filed case's file. */
	ck_assert_int_eq(cl_file_status(&e, "GET", agent, id, fid), 200);
	/* A file of another case, even one's own, is not this case's. */
	cl_on_file(&e, "GET", res, id, dfid, &r);
	cl_is_code(&r, 404, "case_attachment_not_found");
	http_resp_free(&r);
	cl_on_file(&e, "GET", res, draft, fid, &r);
	cl_is_code(&r, 404, "case_attachment_not_found");
	http_resp_free(&r);
	free(fid);
	free(dfid);
	free(id);
	free(draft);
	free(res);
	free(other);
	free(mairie);
	free(agent);
	idl_stop(&e);
}
END_TEST

/* POST 'what' (messages, notes) with 'files' (a JSON array text). */
static json_t *
post_with(const struct idenv *e, const char *token, const char *id,
    const char *what, const char *files, long *st)
{
	char	*path, *body;
	json_t	*j;

	path = harness_printf("/api/v1/cases/%s/%s", id, what);
	body = harness_printf("{\"body\": \"Voir pièce.\", \"attachments\": "
	    "%s}", files);
	j = idl_reqj(e, "POST", path, token, body, st);
	free(path);
	free(body);
	return (j);
}

START_TEST(test_thread_files)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j, *m;
	char		*res, *agent, *id, *other_case, *foreign, *noted;
	char		*sent, *late, *list, *files, *path;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	agent = cl_agent(&e, CL_TECH);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 1, NULL);
	other_case = cl_file(&e, res, "t_permis", cl_permis_form(), 0, NULL);
	foreign = cl_attach(&e, res, other_case, NULL, "t4108 other case");
	/* Filed: the person sends no more files until asked. */
	cl_upload(&e, res, id, "", "application/pdf", "x.pdf", "%PDF-1.4\n",
	    9, &r);
	cl_is_code(&r, 409, "case_not_draft");
	http_resp_free(&r);
	/* The department's files: staff see them, the person not yet. */
	noted = cl_attach(&e, agent, id, NULL, "t4108 for a note");
	sent = cl_attach(&e, agent, id, NULL, "t4108 for a message");
	fl_mark(e.db, noted, "clean");
	fl_mark(e.db, sent, "clean");
	list = listed(&e, agent, id);
	ck_assert(strstr(list, noted) != NULL && strstr(list, sent) != NULL);
	free(list);
	list = listed(&e, res, id);
	ck_assert_str_eq(list, "");
	free(list);
	ck_assert_int_eq(cl_file_status(&e, "GET", res, id, sent), 404);
	/* A note carries one: still never the person's. */
	files = harness_printf("[\"%s\"]", noted);
	j = post_with(&e, agent, id, "notes", files, &st);
	ck_assert_int_eq(st, 201);
	ck_assert_int_eq(json_array_size(json_object_get(j, "attachments")),
	    1);
	json_decref(j);
	free(files);
	/* A message carries the other: the person sees it, and gets it. */
	files = harness_printf("[\"%s\"]", sent);
	j = post_with(&e, agent, id, "messages", files, &st);
	ck_assert_int_eq(st, 201);
	json_decref(j);
	free(files);
	list = listed(&e, res, id);
	ck_assert_msg(strstr(list, sent) != NULL && strstr(list, noted) ==
	    NULL, "%s", list);
	free(list);
	ck_assert_int_eq(cl_file_status(&e, "GET", res, id, sent), 200);
	ck_assert_int_eq(cl_file_status(&e, "GET", res, id, noted), 404);
	path = harness_printf("/api/v1/cases/%s/messages", id);
	j = idl_reqj(&e, "GET", path, res, NULL, &st);
	m = json_array_get(json_object_get(j, "items"), 0);
	ck_assert_str_eq(cl_file_id(json_array_get(json_object_get(m,
	    "attachments"), 0)), sent);
	ck_assert_ptr_null(json_object_get(json_array_get(json_object_get(m,
	    "attachments"), 0), "uploader_id"));
	json_decref(j);
	free(path);
	/* Asked for information, the person sends a file with a message. */
	ck_assert_int_eq(cl_move(&e, agent, id, "awaiting_information",
	    "La pièce, s'il vous plaît."), 200);
	late = cl_attach(&e, res, id, NULL, "t4108 answer");
	/* Not a file of this case, or of the other side: 422, unsaid. */
	files = harness_printf("[\"%s\", \"%s\", \"%s\", \"x\"]", late,
	    foreign, sent);
	j = post_with(&e, res, id, "messages", files, &st);
	ck_assert_int_eq(st, 422);
	ck_assert_ptr_null(idl_error_for(j, "/attachments/0"));
	ck_assert_ptr_nonnull(idl_error_for(j, "/attachments/1"));
	ck_assert_ptr_nonnull(idl_error_for(j, "/attachments/2"));
	ck_assert_ptr_nonnull(idl_error_for(j, "/attachments/3"));
	ck_assert_str_eq(idl_jstr(idl_error_for(j, "/attachments/1"),
	    "message"), idl_jstr(idl_error_for(j, "/attachments/3"),
	    "message"));
	json_decref(j);
	free(files);
	ck_assert_int_eq(cl_rows(&e, "cases.messages", id), 1);
	files = harness_printf("[\"%s\"]", late);
	j = post_with(&e, res, id, "messages", files, &st);
	ck_assert_int_eq(st, 201);
	idl_assert_str(json_array_get(json_object_get(j, "attachments"), 0),
	    "uploaded_by", "owner");
	json_decref(j);
	/* Carried once: not twice. */
	j = post_with(&e, res, id, "messages", files, &st);
	ck_assert_int_eq(st, 422);
	json_decref(j);
	free(files);
	/* Withdrawn: nobody sends files any more. */
	ck_assert_int_eq(cl_move(&e, res, id, "withdrawn", NULL), 200);
	cl_upload(&e, agent, id, "", "application/pdf", "x.pdf", "%PDF-1.4\n",
	    9, &r);
	cl_is_code(&r, 409, "case_thread_closed");
	http_resp_free(&r);
	free(late);
	free(sent);
	free(noted);
	free(foreign);
	free(other_case);
	free(id);
	free(agent);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_submission_needs_its_files)
{
	struct idenv	 e;
	json_t		*j, *form;
	char		*res, *id, *other, *ofile, *bad, *good, *plan, *path;
	char		*patch;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	/* A required document: a rejected file does not count. */
	id = cl_file(&e, res, "t_pieces", json_pack("{s:s}", "nom", "A"), 0,
	    NULL);
	bad = cl_attach(&e, res, id, "justificatif", "t4108 infected");
	fl_mark(e.db, bad, "rejected");
	path = harness_printf("/api/v1/cases/%s/submit", id);
	j = cl_problem(&e, "POST", path, res, NULL, 422, "validation");
	idl_assert_str(idl_error_for(j, "/documents/justificatif"), "code",
	    "document_required");
	json_decref(j);
	good = cl_attach(&e, res, id, "justificatif", "t4108 clean");
	ck_assert_int_eq(idl_status(&e, "POST", path, res, NULL), 200);
	cl_assert_state(&e, id, "submitted");
	free(path);
	/* A file field names a file of this very case. */
	other = cl_file(&e, res, "t_permis", cl_permis_form(), 0, NULL);
	ofile = cl_attach(&e, res, other, NULL, "t4108 other case's");
	form = cl_permis_form();
	json_object_set_new(form, "plan", json_string(ofile));
	free(id);
	id = cl_file(&e, res, "t_permis", form, 0, NULL);
	path = harness_printf("/api/v1/cases/%s/submit", id);
	j = cl_problem(&e, "POST", path, res, NULL, 422, "validation");
	idl_assert_str(idl_error_for(j, "/form/plan"), "code", "unknown_file");
	json_decref(j);
	cl_assert_state(&e, id, "draft");
	plan = cl_attach(&e, res, id, NULL, "t4108 plan");
	patch = harness_printf("/api/v1/cases/%s", id);
	j = idl_reqj(&e, "PATCH", patch, res, harness_printf("{\"form\": "
	    "{\"plan\": \"%s\"}}", plan), &st);
	ck_assert_int_eq(st, 200);
	json_decref(j);
	ck_assert_int_eq(idl_status(&e, "POST", path, res, NULL), 200);
	cl_assert_state(&e, id, "submitted");
	free(patch);
	free(plan);
	free(path);
	free(ofile);
	free(other);
	free(good);
	free(bad);
	free(id);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_staff_reads_logged)
{
	struct idenv	 e;
	char		*res, *agent, *id, *fid, *list;

	res = idl_start_resident(&e, FROZEN);
	agent = cl_agent(&e, CL_TECH);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 0, NULL);
	fid = cl_attach(&e, res, id, NULL, "t4108 logged");
	fl_mark(e.db, fid, "clean");
	ck_assert_int_eq(cl_move(&e, res, id, "submitted", NULL), 200);
	/* The person's own reads are not logged; staff's are, each. */
	ck_assert_int_eq(cl_file_status(&e, "GET", res, id, fid), 200);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log WHERE dataset = 'cases.attachments'"), 0);
	list = listed(&e, agent, id);
	ck_assert_ptr_nonnull(strstr(list, fid));
	ck_assert_int_eq(cl_file_status(&e, "GET", agent, id, fid), 200);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "privacy.access_log l JOIN cases.cases c ON c.id::text = l.record "
	    "WHERE l.account_id = '%s' AND l.record = '%s' AND l.dataset = "
	    "'cases.attachments' AND l.reader_account = '%s' AND l.purpose = "
	    "c.reference", idl_demo.resident_id, id,
	    cl_people.agent[CL_TECH]), 2);
	/* When the log cannot be written, nothing is read. */
	idl_fail_on(&e, "INSERT", "privacy.access_log");
	ck_assert_int_eq(cl_file_status(&e, "GET", agent, id, fid), 503);
	idl_fail_off(&e, "privacy.access_log");
	free(list);
	free(fid);
	free(id);
	free(agent);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_removal)
{
	struct idenv	 e;
	struct http_resp r;
	json_t		*j;
	char		*res, *agent, *chief, *id, *keep, *gone, *afile, *nfile;
	char		*files;
	long		 st;

	res = idl_start_resident(&e, FROZEN);
	agent = cl_agent(&e, CL_TECH);
	chief = cl_agent(&e, CL_TECH_CHIEF);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 0, NULL);
	keep = cl_attach(&e, res, id, NULL, "t4108 kept");
	gone = cl_attach(&e, res, id, NULL, "t4108 removed");
	/* The person removes a file of their draft: its content goes. */
	ck_assert_int_eq(cl_file_status(&e, "DELETE", res, id, gone), 204);
	ck_assert_int_eq(cl_rows(&e, "files.files", gone), 0);
	ck_assert_int_eq(cl_file_status(&e, "GET", res, id, gone), 404);
	ck_assert_int_eq(cl_move(&e, res, id, "submitted", NULL), 200);
	/* Filed with the case: kept. */
	cl_on_file(&e, "DELETE", res, id, keep, &r);
	cl_is_code(&r, 409, "case_attachment_sent");
	http_resp_free(&r);
	/* An agent's file: theirs to remove until a message carries it. */
	afile = cl_attach(&e, agent, id, NULL, "t4108 agent's");
	nfile = cl_attach(&e, agent, id, NULL, "t4108 noted");
	cl_on_file(&e, "DELETE", chief, id, afile, &r);
	cl_is_code(&r, 403, "case_attachment_not_yours");
	http_resp_free(&r);
	ck_assert_int_eq(cl_file_status(&e, "DELETE", agent, id, afile), 204);
	files = harness_printf("[\"%s\"]", nfile);
	j = post_with(&e, agent, id, "notes", files, &st);
	ck_assert_int_eq(st, 201);
	json_decref(j);
	cl_on_file(&e, "DELETE", agent, id, nfile, &r);
	cl_is_code(&r, 409, "case_attachment_sent");
	http_resp_free(&r);
	ck_assert_int_eq(cl_rows(&e, "files.files", id), 2);
	free(files);
	free(nfile);
	free(afile);
	free(gone);
	free(keep);
	free(id);
	free(chief);
	free(agent);
	free(res);
	idl_stop(&e);
}
END_TEST

START_TEST(test_idempotent_upload)
{
	struct idenv	 e;
	struct http_resp a, b;
	const char	*h[5];
	char		*res, *id, *pdf, *path, *auth;
	size_t		 len;

	res = idl_start_resident(&e, FROZEN);
	id = cl_file(&e, res, "t_permis", cl_permis_form(), 0, NULL);
	pdf = fl_pdf("t4108 idempotent", &len);
	path = harness_printf("/api/v1/cases/%s/attachments", id);
	auth = harness_printf("Authorization: Bearer %s", res);
	h[0] = auth;
	h[1] = "Content-Type: application/pdf";
	h[2] = "Idempotency-Key: t4108-upload-1";
	h[3] = NULL;
	ck_assert_int_eq(harness_http(&e.s, "POST", path, h, pdf, len, &a), 0);
	ck_assert_int_eq(harness_http(&e.s, "POST", path, h, pdf, len, &b), 0);
	ck_assert_int_eq(a.status, 201);
	ck_assert_int_eq(b.status, 201);
	ck_assert_str_eq(a.body, b.body);
	ck_assert_str_eq(http_resp_header(&b, "Idempotent-Replayed"), "true");
	ck_assert_int_eq(cl_rows(&e, "files.files", id), 1);
	http_resp_free(&a);
	http_resp_free(&b);
	/* The same key, another file: 422. */
	pdf[len - 8] ^= 1;
	ck_assert_int_eq(harness_http(&e.s, "POST", path, h, pdf, len, &a), 0);
	ck_assert_int_eq(a.status, 422);
	http_resp_free(&a);
	ck_assert_int_eq(cl_rows(&e, "files.files", id), 1);
	free(auth);
	free(path);
	free(pdf);
	free(id);
	free(res);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_types_from_content,
	&test_caps,
	&test_served_back,
	&test_others_find_nothing,
	&test_thread_files,
	&test_submission_needs_its_files,
	&test_staff_reads_logged,
	&test_removal,
	&test_idempotent_upload,
	NULL
};

const struct test_group test_groups[] = {
	{ "attachments", HARNESS_TIMEOUT, NULL, NULL, cl_prepare, NULL,
	  tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
