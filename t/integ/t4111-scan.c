/*
 * t4111-scan: the files of a case scanned by a real clamd (tools/dev
 * test's, on a socket of the test's own, with the EICAR signature and
 * one for a test PDF): a PDF it calls infected is rejected and never
 * served (410), EICAR is not even stored (text, refused by its type), a
 * clean file is served; a rejected file is no document for the
 * submission; while clamd is down a new file stays pending (409), then is
 * scanned when clamd is back.  Without GUICHET_TEST_CLAMD (tools/dev test
 * sets it) the program skips (77), as t1202-scan does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caselib.h"
#include "fileslib.h"

#define FROZEN	"2026-03-20T09:30:00Z"

static const char eicar[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-"
    "ANTIVIRUS-TEST-FILE!$H+H*";

#define INFECTED_PDF	"t4111: a PDF that clamd calls infected"

/* The cases' set-up; exit 77 without clamd. */
static void
prepare(void)
{
	if (getenv("GUICHET_TEST_CLAMD") == NULL ||
	    getenv("GUICHET_TEST_CLAMD_DB") == NULL) {
		printf("t4111-scan: GUICHET_TEST_CLAMD and "
		    "GUICHET_TEST_CLAMD_DB are not set: run `tools/dev "
		    "test`\n");
		exit(77);
	}
	cl_prepare();
}

START_TEST(test_scanned_by_clamd)
{
	struct idenv	 e;
	struct fl_clamd	 c;
	struct http_resp r;
	const char	*args[6];
	json_t		*a;
	char		*res, *id, *bad, *png, *ok, *inf, *later, *st, *path;
	size_t		 blen, plen;

	fl_clamd_make(&c, "t4111", INFECTED_PDF);
	fl_clamd_up(&c);
	args[0] = "--clamd-socket";
	args[1] = c.sock;
	args[2] = "--clamd-scan-interval";
	args[3] = "1";
	args[4] = NULL;
	memset(&e, 0, sizeof(e));
	e.clock = FROZEN;
	e.extra = args;
	idl_start(&e);
	res = cl_resident(&e);
	id = cl_file(&e, res, "t_pieces", json_pack("{s:s}", "nom", "A"), 0,
	    NULL);
	/* EICAR is text: refused at the door, never stored. */
	cl_upload(&e, res, id, "", "application/pdf", "eicar.pdf", eicar,
	    strlen(eicar), &r);
	cl_is_code(&r, 422, "file_type_refused");
	http_resp_free(&r);
	ck_assert_int_eq(cl_rows(&e, "files.files", id), 0);
	bad = fl_pdf(INFECTED_PDF, &blen);
	png = fl_png("t4111-clamd", &plen);
	a = cl_uploaded(&e, res, id, "?document=justificatif", "application/pdf",
	    "facture.pdf", bad, blen);
	inf = harness_printf("%s", cl_file_id(a));
	json_decref(a);
	a = cl_uploaded(&e, res, id, "", "image/png", "photo.png", png, plen);
	ok = harness_printf("%s", cl_file_id(a));
	json_decref(a);
	st = fl_wait_scanned(e.db, inf, 20000);
	ck_assert_str_eq(st, "rejected");
	free(st);
	st = fl_wait_scanned(e.db, ok, 20000);
	ck_assert_str_eq(st, "clean");
	free(st);
	cl_on_file(&e, "GET", res, id, inf, &r);
	cl_is_code(&r, 410, "file_rejected");
	ck_assert_ptr_null(memmem(r.body, r.body_len, "%PDF", 4));
	http_resp_free(&r);
	ck_assert_int_eq(cl_file_status(&e, "GET", res, id, ok), 200);
	/* The rejected file is no document: the submission needs one. */
	path = harness_printf("/api/v1/cases/%s/submit", id);
	json_decref(cl_problem(&e, "POST", path, res, NULL, 422,
	    "validation"));
	free(path);
	/* clamd goes: a new file stays pending, then is scanned. */
	fl_clamd_down(&c);
	free(png);
	png = fl_png("t4111-clamd-later", &plen);
	a = cl_uploaded(&e, res, id, "", "image/png", "later.png", png, plen);
	later = harness_printf("%s", cl_file_id(a));
	json_decref(a);
	ck_assert(harness_server_log_wait(&e.s, "clamd cannot scan", 10000));
	harness_sleep_ms(1500);
	cl_on_file(&e, "GET", res, id, later, &r);
	cl_is_code(&r, 409, "file_pending");
	http_resp_free(&r);
	fl_clamd_up(&c);
	st = fl_wait_scanned(e.db, later, 20000);
	ck_assert_str_eq(st, "clean");
	ck_assert_int_eq(cl_file_status(&e, "GET", res, id, later), 200);
	free(st);
	free(later);
	free(inf);
	free(ok);
	free(bad);
	free(png);
	free(id);
	free(res);
	idl_stop(&e);
	fl_clamd_free(&c);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_scanned_by_clamd,
	NULL
};

const struct test_group test_groups[] = {
	{ "scan", HARNESS_TIMEOUT, NULL, NULL, prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
