/*
 * t1202-scan: every file is scanned by a real clamd before it is served.
 * Each test runs clamds of its own (GUICHET_TEST_CLAMD, on sockets in the
 * test's directory, with the EICAR signature of GUICHET_TEST_CLAMD_DB
 * and one of its own, the hash of a PDF it calls infected), guichetd
 * processes whose scanner thread talks to them, and the owner of
 * fileslib.h, which stores the files and serves them.
 *  - EICAR, and a PDF clamd knows, are rejected with their signature,
 *    their content deleted, and never served (410); clean files are
 *    served;
 *  - while clamd is down, files stay pending and are not served (409);
 *    when it is back they are scanned, with nothing to do; and again
 *    after another outage;
 *  - two guichetd scan the same files between them, each file once.
 * Without GUICHET_TEST_CLAMD (tools/dev test sets it) the program skips.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fileslib.h"

static const char eicar[] = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-"
    "ANTIVIRUS-TEST-FILE!$H+H*";

/* The PDF this test's signatures call infected. */
#define INFECTED_PDF	"t1202: a PDF that clamd calls infected"

static void
prepare(void)
{
	harness_prepare();
	if (getenv("GUICHET_TEST_CLAMD") == NULL ||
	    getenv("GUICHET_TEST_CLAMD_DB") == NULL) {
		printf("t1202-scan: GUICHET_TEST_CLAMD and GUICHET_TEST_CLAMD_DB "
		    "are not set: run `tools/dev test`\n");
		exit(77);
	}
}

/* guichetd on 'db', scanning with the clamd at 'sock' every second. */
static void
guichetd(struct server *s, const char *db, const char *sock)
{
	const char	*args[] = { "--clamd-socket", sock,
	    "--clamd-scan-interval", "1", NULL };

	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(harness_server_start(s, db, args), 0);
}

static long
get(const char *id)
{
	struct http_resp r;
	char		*path;
	long		 st;

	path = harness_printf("/t/files/%s", id);
	st = fl_http("GET", path, NULL, NULL, 0, &r);
	http_resp_free(&r);
	free(path);
	return (st);
}

/* The value 'expr' of file 'id' (caller frees). */
static char *
sql(const char *db, const char *expr, const char *id)
{
	char	*q, *v;

	q = harness_printf("SELECT %s FROM files.files WHERE id = '%s'", expr,
	    id);
	v = harness_sql(db, q);
	free(q);
	return (v);
}

START_TEST(test_scan_rejects_and_serves)
{
	struct fl_clamd	 c;
	struct server	 s;
	char		*db, *png, *pdf, *bad, *ids[4], *st, *v, *log;
	size_t		 len, plen, blen;
	int		 i;

	fl_clamd_make(&c, "rejects", INFECTED_PDF);
	fl_clamd_up(&c);
	db = harness_db_create();
	guichetd(&s, db, c.sock);
	fl_init(db);
	png = fl_png("t1202-clean", &len);
	pdf = fl_pdf("t1202: a clean PDF", &plen);
	bad = fl_pdf(INFECTED_PDF, &blen);
	/* EICAR is text: stored only by a caller that takes text. */
	ids[0] = fl_store("r", NULL, "eicar.com.pdf", eicar, strlen(eicar),
	    "text/plain");
	ids[1] = fl_store("r", NULL, "facture.pdf", bad, blen, NULL);
	ids[2] = fl_store("r", NULL, "photo.png", png, len, NULL);
	ids[3] = fl_store("r", NULL, "clean.pdf", pdf, plen, NULL);
	for (i = 0; i < 4; i++) {
		st = fl_wait_scanned(db, ids[i], 20000);
		ck_assert_str_eq(st, i < 2 ? "rejected" : "clean");
		free(st);
	}
	v = sql(db, "signature || ' ' || (content IS NULL)", ids[0]);
	ck_assert_msg(strncmp(v, "Eicar-Test-Signature", 20) == 0 &&
	    strstr(v, " true") != NULL, "%s", v);
	free(v);
	v = sql(db, "signature", ids[1]);
	ck_assert_msg(strncmp(v, "Guichet-Test-Pdf", 16) == 0, "%s", v);
	free(v);
	/* Never served: 410; the clean ones are. */
	ck_assert_int_eq(get(ids[0]), 410);
	ck_assert_int_eq(get(ids[1]), 410);
	ck_assert_int_eq(get(ids[2]), 200);
	ck_assert_int_eq(get(ids[3]), 200);
	ck_assert_int_eq(harness_metric(&s, "guichet_files_scanned_total"
	    "{result=\"rejected\"}"), 2);
	ck_assert_int_eq(harness_metric(&s, "guichet_files_scanned_total"
	    "{result=\"clean\"}"), 2);
	ck_assert_int_eq(harness_metric(&s, "guichet_files_pending"), 0);
	/* The log names the file and what was found, never its name. */
	log = harness_server_log(&s);
	ck_assert_ptr_nonnull(strstr(log, ids[1]));
	ck_assert_ptr_null(strstr(log, "facture.pdf"));
	free(log);
	harness_stop_healthy(&s);
	for (i = 0; i < 4; i++)
		free(ids[i]);
	free(png);
	free(pdf);
	free(bad);
	fl_clamd_free(&c);
	harness_db_drop(db);
	free(db);
}
END_TEST

START_TEST(test_scan_waits_for_clamd)
{
	struct fl_clamd	 c;
	struct server	 s;
	char		*db, *png, *a, *b, *st;
	size_t		 len;

	fl_clamd_make(&c, "outage", INFECTED_PDF);
	db = harness_db_create();
	/* clamd is not there yet. */
	guichetd(&s, db, c.sock);
	fl_init(db);
	png = fl_png("t1202-outage-a", &len);
	a = fl_store("r", NULL, "a.png", png, len, NULL);
	ck_assert(harness_server_log_wait(&s, "clamd cannot scan", 10000));
	harness_sleep_ms(2500);
	st = fl_status(db, a);
	ck_assert_str_eq(st, "pending");
	free(st);
	ck_assert_int_eq(get(a), 409);
	ck_assert_int_ge(harness_metric(&s, "guichet_files_clamd_errors_total"),
	    2);
	ck_assert_int_eq(harness_metric(&s, "guichet_files_pending"), 1);
	/* clamd comes: the file is scanned, with nothing to do. */
	fl_clamd_up(&c);
	st = fl_wait_scanned(db, a, 20000);
	ck_assert_str_eq(st, "clean");
	free(st);
	ck_assert_int_eq(get(a), 200);
	ck_assert(harness_server_log_wait(&s, "clamd scans again", 5000));
	/* And again after another outage. */
	fl_clamd_down(&c);
	free(png);
	png = fl_png("t1202-outage-b", &len);
	b = fl_store("r", NULL, "b.png", png, len, NULL);
	harness_sleep_ms(2500);
	st = fl_status(db, b);
	ck_assert_str_eq(st, "pending");
	free(st);
	ck_assert_int_eq(get(b), 409);
	fl_clamd_up(&c);
	st = fl_wait_scanned(db, b, 20000);
	ck_assert_str_eq(st, "clean");
	free(st);
	harness_stop_healthy(&s);
	free(a);
	free(b);
	free(png);
	fl_clamd_free(&c);
	harness_db_drop(db);
	free(db);
}
END_TEST

#define NSHARED	24

START_TEST(test_scan_shared_by_two)
{
	struct fl_clamd	 c;
	struct server	 s1, s2;
	char		*db, *png, *tail, *ids[NSHARED], *st;
	size_t		 len;
	long		 n1, n2;
	int		 i;

	fl_clamd_make(&c, "shared", INFECTED_PDF);
	fl_clamd_up(&c);
	db = harness_db_create();
	guichetd(&s1, db, c.sock);
	guichetd(&s2, db, c.sock);
	fl_init(db);
	for (i = 0; i < NSHARED; i++) {
		tail = harness_printf("t1202-shared-%d", i);
		png = fl_png(tail, &len);
		ids[i] = fl_store("r", NULL, NULL, png, len, NULL);
		free(png);
		free(tail);
	}
	for (i = 0; i < NSHARED; i++) {
		st = fl_wait_scanned(db, ids[i], 30000);
		ck_assert_str_eq(st, "clean");
		free(st);
		free(ids[i]);
	}
	/* Each file once, between the two. */
	harness_sleep_ms(200);
	n1 = harness_metric(&s1, "guichet_files_scanned_total"
	    "{result=\"clean\"}");
	n2 = harness_metric(&s2, "guichet_files_scanned_total"
	    "{result=\"clean\"}");
	ck_assert_msg(n1 + n2 == NSHARED, "%ld + %ld scans of %d files", n1,
	    n2, NSHARED);
	harness_stop_healthy(&s1);
	harness_stop_healthy(&s2);
	fl_clamd_free(&c);
	harness_db_drop(db);
	free(db);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_scan_rejects_and_serves,
	&test_scan_waits_for_clamd,
	&test_scan_shared_by_two,
	NULL
};

const struct test_group test_groups[] = {
	{ "scan", 90, NULL, NULL, prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
