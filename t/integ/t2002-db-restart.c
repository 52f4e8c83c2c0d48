/*
 * t2002-db-restart: PostgreSQL goes away and comes back; guichetd answers
 * 503 with Retry-After at once while it is away, stays alive, and serves
 * again on its own when it is back, without leaking connections.
 *
 * Stops the shared cluster: the Makefile runs this program alone, after
 * every other test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define ACCOUNTS	"/api/v1/accounts"
/* A body that passes validation, so that the handler needs the database. */
#define ACCOUNT_BODY \
	"{\"email\":\"restart@example.fr\",\"password\":" \
	"\"correct horse battery staple 42\",\"display_name\":\"Test\"," \
	"\"profile_kind\":\"permanent_resident\",\"locale\":\"fr\"}"

static const char	*pg_stop, *pg_start;

static const char *const server_args[] = { "--threads", "2", NULL };

static int
shell(const char *cmd)
{
	const char	*argv[] = { "/bin/sh", "-c", cmd, NULL };
	char		*out = NULL, *err = NULL;
	int		 rc;

	rc = harness_exec(argv, NULL, 60000, &out, &err);
	if (rc != 0)
		fprintf(stderr, "'%s' exited %d:\n%s%s\n", cmd, rc,
		    out ? out : "", err ? err : "");
	free(out);
	free(err);
	return (rc);
}

/* After the tests, in the parent: the cluster is up whatever happened. */
static void
cluster_up(void)
{
	if (!harness_cluster_up())
		shell(pg_start);
}

static void
start(struct server *s)
{
	cluster_up();		/* an earlier test may have failed mid-way */
	harness_start(s, server_args);
}

/* A 503 problem with Retry-After, answered in under 2 s. */
static void
expect_unavailable(struct server *s, const char *method, const char *path)
{
	const char	*h[] = { "Content-Type: application/json", NULL };
	struct http_resp r;
	const char	*ra;
	long long	 t0, dt;
	int		 post = strcmp(method, "POST") == 0;

	t0 = harness_now_ms();
	harness_http(s, method, path, post ? h : NULL,
	    post ? ACCOUNT_BODY : NULL, post ? strlen(ACCOUNT_BODY) : 0, &r);
	dt = harness_now_ms() - t0;
	ck_assert_msg(r.status != 0, "%s %s with the database down: %s after "
	    "%lld ms", method, path, r.error, dt);
	ck_assert_msg(dt < 2000, "%s %s took %lld ms with the database down",
	    method, path, dt);
	ck_assert_msg(r.status == 503, "%s %s with the database down: status "
	    "%ld: %s", method, path, r.status, r.body);
	json_decref(harness_assert_problem(&r, 503, NULL, path));
	ra = http_resp_header(&r, "Retry-After");
	ck_assert_msg(ra != NULL && atoi(ra) > 0, "%s %s: Retry-After %s",
	    method, path, ra ? ra : "(none)");
	/* No library message, SQL or path in a 5xx body. */
	ck_assert_msg(strstr(r.body, "PQ") == NULL &&
	    strstr(r.body, "connection to server") == NULL &&
	    strstr(r.body, "/tmp") == NULL && strstr(r.body, "socket") == NULL,
	    "the 503 body leaks internals: %s", r.body);
	http_resp_free(&r);
}

static void
expect_healthz(struct server *s)
{
	struct http_resp r;

	ck_assert_int_eq(harness_get(s, "/healthz", &r), 0);
	ck_assert_msg(r.status == 200, "healthz %ld", r.status);
	http_resp_free(&r);
}

/* Poll /readyz every 200 ms for up to 10 s; the ms it took, or -1. */
static long long
wait_ready(struct server *s)
{
	struct http_resp r;
	long long	 t0 = harness_now_ms();
	long		 st;

	for (;;) {
		harness_get(s, "/readyz", &r);
		st = r.status;
		http_resp_free(&r);
		if (st == 200)
			return (harness_now_ms() - t0);
		if (harness_now_ms() - t0 > 10000)
			return (-1);
		harness_sleep_ms(200);
	}
}

START_TEST(test_dbdown_503_then_recovers)
{
	struct server	 s;
	struct http_resp r;
	pid_t		 pid;
	long long	 ms;
	int		 i;

	start(&s);
	pid = s.pid;
	ck_assert_msg(wait_ready(&s) >= 0, "readyz is not 200");

	ck_assert_int_eq(shell(pg_stop), 0);
	/* Several times: the two workers each find their connection gone. */
	for (i = 0; i < 3; i++) {
		expect_unavailable(&s, "GET", "/readyz");
		expect_unavailable(&s, "POST", ACCOUNTS);
		expect_healthz(&s);
	}

	ck_assert_int_eq(shell(pg_start), 0);
	ms = wait_ready(&s);
	ck_assert_msg(ms >= 0, "readyz is not 200 10 s after PostgreSQL came "
	    "back");
	ck_assert_msg(harness_server_alive(&s) && s.pid == pid,
	    "guichetd was restarted or died (status %d)", s.status);

	/* The write path works again too (whatever the answer, not 503). */
	for (i = 0; i < 4; i++) {
		harness_http(&s, "POST", ACCOUNTS, (const char *[]){
		    "Content-Type: application/json", NULL }, ACCOUNT_BODY,
		    strlen(ACCOUNT_BODY), &r);
		ck_assert_msg(r.status != 503 && r.status != 0 &&
		    r.status != 500, "POST after the restart: %ld %s",
		    r.status, r.body);
		http_resp_free(&r);
	}
	ck_assert_msg(harness_metric(&s, "guichet_db_reconnects_total") >= 1,
	    "guichet_db_reconnects_total did not count the reconnection");
	ck_assert_int_eq(harness_server_stop(&s), 0);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_dbdown_idle_workers_reconnect)
{
	struct server	 s;
	struct http_resp r;
	int		 i;

	/*
	 * Every worker holds a connection that PostgreSQL closed while no
	 * request came: once it is back, none of them may answer 503.
	 */
	start(&s);
	ck_assert_msg(wait_ready(&s) >= 0, "readyz is not 200");
	for (i = 0; i < 8; i++) {
		harness_get(&s, "/readyz", &r);
		http_resp_free(&r);
	}
	ck_assert_int_eq(shell(pg_stop), 0);
	ck_assert_int_eq(shell(pg_start), 0);
	for (i = 0; i < 16; i++) {
		harness_get(&s, "/readyz", &r);
		ck_assert_msg(r.status == 200, "request %d after PostgreSQL "
		    "restarted: status %ld (a worker's stale connection was "
		    "not re-established): %s", i + 1, r.status, r.body);
		http_resp_free(&r);
	}
	ck_assert_int_eq(harness_server_stop(&s), 0);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_dbdown_cycles_no_fd_leak)
{
	struct server	 s;
	struct http_resp r;
	int		 fd0, fd1, cycle, i;

	start(&s);
	ck_assert_msg(wait_ready(&s) >= 0, "readyz is not 200");
	/* Both workers connected before counting. */
	for (i = 0; i < 8; i++) {
		harness_get(&s, "/readyz", &r);
		http_resp_free(&r);
	}
	fd0 = harness_fd_count(s.pid);
	ck_assert_int_gt(fd0, 0);

	for (cycle = 0; cycle < 3; cycle++) {
		ck_assert_int_eq(shell(pg_stop), 0);
		for (i = 0; i < 4; i++)
			expect_unavailable(&s, "GET", "/readyz");
		ck_assert_int_eq(shell(pg_start), 0);
		ck_assert_msg(wait_ready(&s) >= 0, "cycle %d: readyz is not "
		    "200 10 s after PostgreSQL came back", cycle + 1);
		/* Touch every worker (test_dbdown_idle_workers_reconnect
		 * checks the answers). */
		for (i = 0; i < 8; i++) {
			harness_get(&s, "/readyz", &r);
			http_resp_free(&r);
		}
	}
	fd1 = harness_fd_count(s.pid);
	ck_assert_msg(fd1 - fd0 <= 3, "open descriptors went from %d to %d "
	    "over 3 restarts", fd0, fd1);
	ck_assert(harness_server_alive(&s));
	ck_assert_int_eq(harness_server_stop(&s), 0);
	harness_server_free(&s);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_dbdown_503_then_recovers,
	&test_dbdown_idle_workers_reconnect,
	&test_dbdown_cycles_no_fd_leak,
	NULL
};

/* The cluster-stopping test needs the commands tools/dev test gives. */
static void
prepare(void)
{
	pg_stop = getenv("GUICHET_TEST_PG_STOP");
	pg_start = getenv("GUICHET_TEST_PG_START");
	if (pg_stop == NULL || pg_stop[0] == '\0' || pg_start == NULL ||
	    pg_start[0] == '\0') {
		printf("t2002-db-restart: GUICHET_TEST_PG_STOP and "
		    "GUICHET_TEST_PG_START are not set; run `tools/dev test`\n");
		exit(77);
	}
	harness_prepare();
}

const struct test_group test_groups[] = {
	{ "db-restart", HARNESS_TIMEOUT, NULL, NULL, prepare, cluster_up, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
