/*
 * harness.h: what the integration tests share.
 *
 * Each t/integ/tNNNN-*.c program is a Check suite (test.h: its table
 * test_groups[]) that starts real guichetd processes against the throwaway
 * PostgreSQL cluster named by GUICHET_TEST_DATABASE (set by `tools/dev
 * test`) and talks HTTP to them with libcurl, or over raw sockets where a
 * well-behaved client cannot show the behaviour (slow clients, early 413,
 * half-sent bodies).
 *
 * Invariants:
 * - harness_prepare() (or idl_prepare(), idlib.h) runs first, as the
 *   unchecked fixture of the program's test case: without
 *   GUICHET_TEST_DATABASE the program exits 77 (skip), so `make check`
 *   outside tools/dev stays green.  Each test runs in its own process
 *   (Check's fork mode; CK_FORK=no is refused).
 * - Each program works in its own databases (CREATE DATABASE
 *   <prefix>_<pid>_<n>, the prefix being the program's number, "t3001")
 *   and drops them at the end; programs may run in parallel against the
 *   same cluster.
 * - A guichetd started here dies with the test process that started it
 *   (PR_SET_PDEATHSIG), so a failed Check test, which exits at once,
 *   never leaves a server behind.
 * - Server logs and scratch files live in one temporary directory per
 *   program, removed at the end unless a test failed (then its path is
 *   printed, so the logs can be read).
 * - Every HTTP exchange (harness_http(), and harness_raw_read() when it
 *   read a complete response) is recorded, one JSON line each, in
 *   $GUICHET_TEST_BUILDDIR/t/responses/<program>.jsonl, for
 *   t/openapi/responses.sh, which checks each against the OpenAPI
 *   document (record.c says the format).
 * Everything returned as char * is malloc'ed and freed by the caller.
 */
#ifndef GUICHET_HARNESS_H
#define GUICHET_HARNESS_H

#include <sys/types.h>

#include <check.h>
#include <jansson.h>
#include <stddef.h>

#include "../test.h"

/* The request id the harness sends while polling /healthz at start-up. */
#define HARNESS_POLL_ID	"harness-healthz-poll"

/*
 * Set the program up (exits 77 without the test environment) and make its
 * database (harness_db()).  At the end every database of the program is
 * dropped and the scratch directory removed.  A test case of integration
 * tests wants a timeout of HARNESS_TIMEOUT seconds: they start servers
 * and wait on them.
 */
#define HARNESS_TIMEOUT	60
void	 harness_prepare(void);
/* The program's database: empty, migrated by the first server started. */
const char *harness_db(void);

/* The scratch directory of this program (logs, copied sql dirs). */
const char *harness_tmpdir(void);
/*
 * The token signing key made by `guichetctl keys rotate` in harness_init();
 * every program the harness runs gets it as GUICHET_JWT_KEY_FILE (a
 * test's own env entry wins).
 */
const char *harness_key_file(void);
/* $GUICHET_TEST_BUILDDIR/<name>: guichetd, guichetctl. */
char	*harness_bin(const char *);
/* $GUICHET_TEST_SRCDIR/<name>: sql, templates, static. */
char	*harness_src(const char *);
/* printf into a new string. */
char	*harness_printf(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
/* The whole content of a file (NUL-terminated), or NULL. */
char	*harness_read_file(const char *, size_t *);
int	 harness_write_file(const char *, const char *);
/* Copy a directory's regular files (not recursive) into a new directory. */
int	 harness_copy_dir(const char *, const char *);
/* Milliseconds on the monotonic clock. */
long long harness_now_ms(void);
void	 harness_sleep_ms(int);

/*
 * Databases.  harness_db_create() returns the conninfo of a fresh, empty
 * database on the test cluster; harness_db_drop() drops it (FORCE).
 * harness_conninfo() is a conninfo of the test cluster naming database
 * 'dbname'; harness_conninfo_dbname() the database a conninfo names.
 * harness_sql() runs trusted literal SQL and returns the first cell of
 * the result (NULL for no row, SQL NULL or an error, which is printed);
 * harness_sql_exec() returns 0 or -1.
 */
char	*harness_db_create(void);
void	 harness_db_drop(const char *);
char	*harness_conninfo(const char *);
char	*harness_conninfo_dbname(const char *);
char	*harness_sql(const char *, const char *);
/* The first cell as a number (a count); a test fails without one. */
long	 harness_sql_count(const char *, const char *);
/*
 * guichetd --migrate on a database with the tree's sql/ ('sql_dir' NULL)
 * or another; the exit status as harness_exec(), *err its stderr.
 */
int	 harness_migrate(const char *, const char *, char **);
/*
 * Migrations one at a time across the test programs (an flock): the first
 * one on a fresh cluster creates its role (migration 014), and two at once
 * would both try.  harness_migrate() and the servers' start take it.
 */
int	 harness_migrations_lock(void);
void	 harness_migrations_unlock(int);
/*
 * pg_dump --data-only --no-owner of a database, with the pg_dump of the
 * cluster's major version ($GUICHET_TEST_PG_DUMP, else PostgreSQL 15's,
 * else the one on the PATH); a failure fails the test.
 */
char	*harness_pg_dump(const char *);
/* 1 when the test cluster accepts connections (quietly). */
int	 harness_cluster_up(void);
int	 harness_sql_exec(const char *, const char *);
/*
 * A transaction on database 'conninfo' that holds 'table' (schema.name)
 * locked in ACCESS EXCLUSIVE mode, so that every statement of the server
 * on it waits: the connection (a failure fails the test), to give to
 * harness_unlock(), which rolls back and closes it.
 */
struct pg_conn	*harness_lock(const char *, const char *);
void	 harness_unlock(struct pg_conn *);

/*
 * Running a program to completion: argv[0] is a path; 'env' holds extra
 * "NAME=value" entries (NULL-terminated, may be NULL).  GUICHET_* settings
 * of the calling environment are removed first (GUICHET_TEST_* stay), so
 * that only what the test passes configures guichetd, then
 * GUICHET_JWT_KEY_FILE is set (see harness_key_file()).  Returns the exit
 * status, 128+signal when killed, or -1 when it ran past 'timeout_ms'
 * (then it is killed).  *out and *err (may be NULL) get stdout and stderr.
 */
int	 harness_exec(const char *const *, const char *const *, int, char **,
	    char **);

/*
 * harness_exec() of the built program 'prog' (guichetd, guichetctl) with
 * --database 'db' (NULL: none), --sql-dir 'sql_dir' (NULL: the tree's),
 * then 'args' (NULL-terminated, may be NULL).
 */
int	 harness_run(const char *, const char *, const char *,
	    const char *const *, const char *const *, int, char **, char **);

/* A free TCP port on 127.0.0.1 (bound, read, closed). */
int	 harness_free_port(void);

/*
 * A running guichetd.  Zero the struct, set the options, then start.
 */
struct server {
	/* options */
	int		 no_migrate;	/* don't run --migrate first */
	int		 no_port;	/* don't pass --port; 'port' is set by the caller */
	int		 no_wait;	/* don't wait for /healthz */
	const char	*sql_dir;	/* default $SRCDIR/sql */
	const char *const *env;		/* extra "NAME=value" */

	/* state */
	pid_t		 pid;
	int		 port;
	char		*log_path;	/* stderr of the server */
	char		*conninfo;
	int		 status;	/* exit status once stopped, else -1 */
};

/*
 * Start: run --migrate (unless no_migrate), fork/exec guichetd with
 * --database, --port, --sql-dir, --templates-dir, --static-dir,
 * --log-level info and 'extra' (NULL-terminated, may be NULL), stderr to a
 * log file, then poll GET /healthz until 200 (10 s).  Returns 0, or -1
 * with the log printed on stderr.
 */
int	 harness_server_start(struct server *, const char *,
	    const char *const *);
/* Zero 's' and start it on harness_db(); a failure fails the test. */
void	 harness_start(struct server *, const char *const *);
/* SIGTERM, wait (30 s, then SIGKILL); the exit status as harness_exec(). */
int	 harness_server_stop(struct server *);
/*
 * The server still answers GET /healthz with 200; then it stops with exit
 * status 0 and is freed.  The end of a test that tried to hurt it.
 */
void	 harness_stop_healthy(struct server *);
/* Stop if needed and free what start allocated (the log file stays). */
void	 harness_server_free(struct server *);
/* Send a signal only. */
void	 harness_server_signal(struct server *, int);
/* Wait up to 'timeout_ms' for the process to exit: its status, or -1. */
int	 harness_server_wait(struct server *, int);
/* 1 while the process runs. */
int	 harness_server_alive(struct server *);
/* The log so far. */
char	*harness_server_log(const struct server *);
/* Wait until the log contains 'needle' (1) or 'timeout_ms' passes (0). */
int	 harness_server_log_wait(const struct server *, const char *, int);
/* Log lines (JSON objects) whose "request_id" is 'rid', as a new array. */
json_t	*harness_log_lines(const struct server *, const char *);

/*
 * HTTP with libcurl: one fresh connection per call.  'headers' is a
 * NULL-terminated list of "Name: value" lines (may be NULL); "Name:"
 * removes a header curl would add.  'body' may be NULL.  Returns 0 when a
 * response came back, -1 when the transfer failed (resp->error says why).
 */
struct http_header {
	char	*name;
	char	*value;
};

struct http_resp {
	long			 status;	/* 0 when no response */
	int			 curl_code;
	char			 error[256];
	char			*body;		/* NUL-terminated */
	size_t			 body_len;
	struct http_header	*headers;
	size_t			 nheaders;
	double			 seconds;	/* total time of the transfer */
};

extern long	harness_http_timeout_ms;	/* per transfer, default 10000 */

int	 harness_http(const struct server *, const char *, const char *,
	    const char *const *, const char *, size_t, struct http_resp *);
int	 harness_get(const struct server *, const char *, struct http_resp *);
/* A CURLOPT_WRITEFUNCTION that drops the body (tests' own transfers). */
size_t	 harness_curl_discard(char *, size_t, size_t, void *);
/*
 * The value of one sample of GET /metrics: 'sample' is the metric's name
 * with its labels as written (guichet_cache_requests_total{result="hit"});
 * -1 when there is no such line or no answer.
 */
long	 harness_metric(const struct server *, const char *);
/*
 * The lookups of kept rows (http/fragment.h) so far, hits and misses;
 * harness_assert_all_kept() then asserts that what came since was
 * served from them alone: more hits, no new miss.
 */
void	 harness_fragments(const struct server *, long *, long *);
void	 harness_assert_all_kept(const struct server *, long, long);
/* A response header by name (case-insensitive), or NULL. */
const char *http_resp_header(const struct http_resp *, const char *);
/* The number of headers of that name. */
int	 http_resp_header_count(const struct http_resp *, const char *);
/* The body parsed as JSON (caller decrefs), or NULL. */
json_t	*harness_json(const struct http_resp *);
/* JSON as compact text with sorted keys, for messages and comparisons. */
char	*harness_dump(const json_t *);
void	 http_resp_free(struct http_resp *);

/*
 * Check assertions on a problem response: status, Content-Type
 * application/problem+json, members type ('type' when not NULL), title,
 * status, detail, instance ('instance' when not NULL) and request_id,
 * equal to the X-Request-Id header.  Returns the parsed body.
 */
json_t	*harness_assert_problem(const struct http_resp *, long, const char *,
	    const char *);
/* The standard headers every response carries. */
void	 harness_assert_std_headers(const struct http_resp *);

/*
 * Raw sockets, for what curl cannot do.  harness_raw_read() reads until a
 * complete response (status line, headers, the body by Content-Length or
 * chunked framing), EOF, a reset or 'timeout_ms'; with 'until_eof' it
 * keeps reading to EOF.
 */
struct raw_resp {
	int	 status;	/* 0 when no status line came */
	int	 complete;
	int	 eof;
	int	 reset;
	int	 timed_out;
	char	*data;		/* everything received, NUL-terminated */
	size_t	 len;
};

int	 harness_connect(const struct server *);
int	 harness_connect_port(int);
/* 0, or -1 when the peer is gone (no SIGPIPE). */
int	 harness_send(int, const void *, size_t);
int	 harness_send_str(int, const char *);
int	 harness_raw_read(int, int, int, struct raw_resp *);
/*
 * The next exchange this process records (harness_http() or
 * harness_raw_read()) is marked not to be checked against the OpenAPI
 * document, for 'reason' (a static string), which the check prints.  For
 * the rare answer that is deliberately not one (a truncated response).
 */
void	 harness_unchecked(const char *);
/* A header of a raw response (case-insensitive), as a new string or NULL. */
char	*raw_resp_header(const struct raw_resp *, const char *);
void	 raw_resp_free(struct raw_resp *);

/* The number of open file descriptors of a process (-1 on error). */
int	 harness_fd_count(pid_t);

/* --- sec (issue 8) --- */
/*
 * A password grant (JSON) as 'user' with 'password', from client address
 * 'xff' (X-Forwarded-For; NULL: none): the status.
 */
long	 harness_sign_in(const struct server *, const char *, const char *,
	    const char *);

#endif
