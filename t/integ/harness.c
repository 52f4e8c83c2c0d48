/*
 * harness.c: start guichetd against the test cluster and talk to it.
 *
 * See harness.h for the contract.  The harness is deliberately free of the
 * server's own code (it links neither libguichet.a nor its headers): it
 * sees guichetd the way an operator and a client do.
 */
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <curl/curl.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "record.h"

extern char	**environ;

long		 harness_http_timeout_ms = 10000;

static char	 tmpdir[4096];
static char	 key_file[4200];
static char	 progname[64];
static char	 prefix[16];	/* of database names: "t3001" */
static char	*program_db;
static const char *test_db;
static const char *builddir;
static const char *srcdir;
static int	 counter;
static pid_t	 main_pid;

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A broken harness is a hard error (99), not a test failure. */
static void
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: harness: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(99);
}

static void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		die("out of memory");
	return (p);
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n == 0 ? 1 : n)) == NULL)
		die("out of memory");
	return (p);
}

static char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		die("out of memory");
	return (p);
}

char *
harness_printf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		die("out of memory");
	va_end(ap);
	return (s);
}

long long
harness_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
harness_sleep_ms(int ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Setup and teardown of a program. */

static void
harness_init(const char *name)
{
	const char	*t;
	char		*bin;
	size_t		 i, n = 0;

	snprintf(progname, sizeof(progname), "%s", name);
	for (i = 0; name[i] != '\0' && name[i] != '-' &&
	    n + 1 < sizeof(prefix); i++)
		if (isalnum((unsigned char)name[i]))
			prefix[n++] = (char)tolower((unsigned char)name[i]);
	prefix[n] = '\0';
	main_pid = getpid();
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_db = getenv("GUICHET_TEST_DATABASE");
	if (test_db == NULL || test_db[0] == '\0') {
		printf("%s: GUICHET_TEST_DATABASE is not set: integration tests "
		    "need the throwaway PostgreSQL cluster; run `tools/dev test`"
		    "\n", name);
		exit(77);
	}
	builddir = getenv("GUICHET_TEST_BUILDDIR");
	srcdir = getenv("GUICHET_TEST_SRCDIR");
	if (builddir == NULL || builddir[0] == '\0' || srcdir == NULL ||
	    srcdir[0] == '\0')
		die("GUICHET_TEST_BUILDDIR and GUICHET_TEST_SRCDIR must be set "
		    "(Makefile.am's AM_TESTS_ENVIRONMENT does it)");
	bin = harness_bin("guichetd");
	if (access(bin, X_OK) == -1)
		die("%s: %s", bin, strerror(errno));
	free(bin);

	if ((t = getenv("TMPDIR")) == NULL || t[0] == '\0')
		t = "/tmp";
	snprintf(tmpdir, sizeof(tmpdir), "%s/guichet-%s-XXXXXX", t, name);
	if (mkdtemp(tmpdir) == NULL)
		die("mkdtemp %s: %s", tmpdir, strerror(errno));
	/* The guichetd processes run as us; make the directory readable. */
	chmod(tmpdir, 0755);

	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		die("curl_global_init failed");

	/* guichetd wants a token signing key: one for the whole program. */
	snprintf(key_file, sizeof(key_file), "%s/jwt.key", tmpdir);
	{
		char		*ctl = harness_bin("guichetctl"), *err = NULL;
		const char	*argv[] = { ctl, "--jwt-key-file", key_file,
		    "keys", "rotate", NULL };

		if (harness_exec(argv, NULL, 30000, NULL, &err) != 0)
			die("guichetctl keys rotate failed: %s",
			    err != NULL ? err : "");
		free(err);
		free(ctl);
	}
	record_init(builddir, name);
}

const char *
harness_key_file(void)
{
	return (key_file);
}

const char *
harness_tmpdir(void)
{
	return (tmpdir);
}

static void
rm_rf(const char *path)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	char		*p;

	if (lstat(path, &st) == -1)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 ||
			    strcmp(e->d_name, "..") == 0)
				continue;
			p = harness_printf("%s/%s", path, e->d_name);
			rm_rf(p);
			free(p);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

static PGresult	*run_sql(const char *, const char *);

/* Databases of tests that failed before dropping theirs. */
static void
drop_leftovers(void)
{
	PGresult	*r;
	char		*sql;
	int		 i;

	sql = harness_printf("SELECT datname FROM pg_database WHERE datname ~ "
	    "'^[a-z0-9]+_%ld_'", (long)main_pid);
	r = run_sql(test_db, sql);
	free(sql);
	if (r == NULL)
		return;
	for (i = 0; i < PQntuples(r); i++) {
		sql = harness_printf("DROP DATABASE IF EXISTS \"%s\" WITH "
		    "(FORCE)", PQgetvalue(r, i, 0));
		harness_sql_exec(test_db, sql);
		free(sql);
	}
	PQclear(r);
}

static void
harness_end(int failed)
{
	drop_leftovers();
	free(program_db);
	program_db = NULL;
	if (failed == 0 && getenv("GUICHET_TEST_KEEP") == NULL)
		rm_rf(tmpdir);
	else
		printf("%s: server logs kept in %s\n", progname, tmpdir);
	curl_global_cleanup();
}

void
harness_prepare(void)
{
	const char	*fork = getenv("CK_FORK");

	/* A failed assertion must end the test's process, and its servers. */
	if (fork != NULL && strcmp(fork, "no") == 0) {
		printf("%s: integration tests run each test in its own process:"
		    " unset CK_FORK\n", test_name());
		exit(99);
	}
	harness_init(test_name());
	program_db = harness_db_create();
	test_at_end(harness_end);
}

const char *
harness_db(void)
{
	return (program_db);
}

char *
harness_bin(const char *name)
{
	return (harness_printf("%s/%s", builddir, name));
}

char *
harness_src(const char *name)
{
	return (harness_printf("%s/%s", srcdir, name));
}

char *
harness_read_file(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*s = NULL;
	size_t	 len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL)
		return (NULL);
	for (;;) {
		if (cap - len < 4096) {
			cap = cap == 0 ? 8192 : cap * 2;
			s = xrealloc(s, cap);
		}
		if ((n = fread(s + len, 1, cap - len - 1, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	s[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return (s);
}

int
harness_write_file(const char *path, const char *content)
{
	FILE	*f;
	int	 rc = 0;

	if ((f = fopen(path, "wb")) == NULL)
		return (-1);
	if (fputs(content, f) == EOF)
		rc = -1;
	if (fclose(f) == EOF)
		rc = -1;
	return (rc);
}

int
harness_copy_dir(const char *from, const char *to)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	char		*src, *dst, *content;
	size_t		 len;
	FILE		*f;
	int		 rc = 0;

	if (mkdir(to, 0755) == -1 && errno != EEXIST)
		return (-1);
	if ((d = opendir(from)) == NULL)
		return (-1);
	while (rc == 0 && (e = readdir(d)) != NULL) {
		src = harness_printf("%s/%s", from, e->d_name);
		dst = harness_printf("%s/%s", to, e->d_name);
		if (stat(src, &st) == 0 && S_ISREG(st.st_mode)) {
			if ((content = harness_read_file(src, &len)) == NULL)
				rc = -1;
			else if ((f = fopen(dst, "wb")) == NULL)
				rc = -1;
			else {
				if (fwrite(content, 1, len, f) != len)
					rc = -1;
				if (fclose(f) == EOF)
					rc = -1;
			}
			free(content);
		}
		free(src);
		free(dst);
	}
	closedir(d);
	return (rc);
}

/* Databases. */

/* 'base' with dbname replaced, built from the parsed options. */
static char *
conninfo_with_db(const char *base, const char *dbname)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL, *out;
	size_t			 len = 0, cap = 256, need;
	const char		*v;

	if ((opts = PQconninfoParse(base, &err)) == NULL)
		die("GUICHET_TEST_DATABASE: %s", err != NULL ? err : "bad");
	out = xmalloc(cap);
	out[0] = '\0';
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || strcmp(o->keyword, "dbname") == 0)
			continue;
		/* key='value' with ' and \ escaped, the libpq way. */
		need = strlen(o->keyword) + 2 * strlen(o->val) + 8;
		if (len + need >= cap) {
			cap = (len + need) * 2;
			out = xrealloc(out, cap);
		}
		len += (size_t)sprintf(out + len, "%s%s='", len ? " " : "",
		    o->keyword);
		for (v = o->val; *v != '\0'; v++) {
			if (*v == '\'' || *v == '\\')
				out[len++] = '\\';
			out[len++] = *v;
		}
		out[len++] = '\'';
		out[len] = '\0';
	}
	PQconninfoFree(opts);
	out = xrealloc(out, len + strlen(dbname) + 16);
	sprintf(out + len, "%sdbname='%s'", len ? " " : "", dbname);
	return (out);
}

static char *
conninfo_dbname(const char *conninfo)
{
	PQconninfoOption	*opts, *o;
	char			*err = NULL, *name = NULL;

	if ((opts = PQconninfoParse(conninfo, &err)) == NULL)
		return (NULL);
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "dbname") == 0 && o->val != NULL)
			name = xstrdup(o->val);
	PQconninfoFree(opts);
	return (name);
}

static PGconn *
db_connect(const char *conninfo)
{
	PGconn	*c;

	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "%s: harness: connect: %s", progname,
		    PQerrorMessage(c));
		PQfinish(c);
		return (NULL);
	}
	PQsetNoticeProcessor(c, NULL, NULL);
	return (c);
}

struct pg_conn *
harness_lock(const char *conninfo, const char *table)
{
	PGconn		*c;
	PGresult	*res;
	char		*sql;

	c = PQconnectdb(conninfo);
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "connect: %s",
	    PQerrorMessage(c));
	sql = harness_printf("BEGIN; LOCK TABLE %s IN ACCESS EXCLUSIVE MODE",
	    table);
	res = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(res) == PGRES_COMMAND_OK, "lock %s: %s",
	    table, PQerrorMessage(c));
	PQclear(res);
	free(sql);
	return (c);
}

void
harness_unlock(struct pg_conn *c)
{
	PQclear(PQexec(c, "ROLLBACK"));
	PQfinish(c);
}

char *
harness_db_create(void)
{
	char	*name, *sql;

	/* Unique across the forked tests; harness_end() finds leftovers. */
	name = harness_printf("%s_%ld_%ld_%d", prefix, (long)main_pid,
	    (long)getpid(), ++counter);
	sql = harness_printf("CREATE DATABASE \"%s\"", name);
	if (harness_sql_exec(test_db, sql) == -1)
		die("cannot create database %s", name);
	free(sql);
	sql = conninfo_with_db(test_db, name);
	free(name);
	return (sql);
}

char *
harness_conninfo(const char *dbname)
{
	return (conninfo_with_db(test_db, dbname));
}

char *
harness_conninfo_dbname(const char *conninfo)
{
	char	*name;

	if ((name = conninfo_dbname(conninfo)) == NULL)
		die("no database name in %s", conninfo);
	return (name);
}

void
harness_db_drop(const char *conninfo)
{
	char	*name, *sql;

	if ((name = conninfo_dbname(conninfo)) == NULL)
		return;
	sql = harness_printf("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)",
	    name);
	harness_sql_exec(test_db, sql);
	free(sql);
	free(name);
}

static PGresult *
run_sql(const char *conninfo, const char *sql)
{
	PGconn		*c;
	PGresult	*r;

	if ((c = db_connect(conninfo)) == NULL)
		return (NULL);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK &&
	    PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "%s: harness: sql failed: %s\n  %s\n", progname,
		    PQresultErrorMessage(r), sql);
		PQclear(r);
		r = NULL;
	}
	PQfinish(c);
	return (r);
}

char *
harness_sql(const char *conninfo, const char *sql)
{
	PGresult	*r;
	char		*v = NULL;

	if ((r = run_sql(conninfo, sql)) == NULL)
		return (NULL);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
	    PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
		v = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return (v);
}

long
harness_sql_count(const char *conninfo, const char *sql)
{
	char	*v;
	long	 n;

	v = harness_sql(conninfo, sql);
	ck_assert_msg(v != NULL, "no answer to %s", sql);
	n = strtol(v, NULL, 10);
	free(v);
	return (n);
}

char *
harness_pg_dump(const char *conninfo)
{
	static const char *const paths[] = {
	    "/usr/lib/postgresql/15/bin/pg_dump", "/usr/bin/pg_dump", NULL };
	const char	*argv[] = { "pg_dump", "--data-only", "--no-owner", "-d",
			    conninfo, NULL };
	const char	*p;
	char		*out = NULL, *err = NULL;
	size_t		 i;
	int		 rc;

	if ((p = getenv("GUICHET_TEST_PG_DUMP")) != NULL && *p != '\0')
		argv[0] = p;
	else
		for (i = 0; paths[i] != NULL; i++)
			if (access(paths[i], X_OK) == 0) {
				argv[0] = paths[i];
				break;
			}
	rc = harness_exec(argv, NULL, 30000, &out, &err);
	ck_assert_msg(rc == 0 && out != NULL, "pg_dump exited %d: %s", rc,
	    err != NULL ? err : "");
	free(err);
	return (out);
}

int
harness_cluster_up(void)
{
	return (PQping(test_db) == PQPING_OK);
}

int
harness_sql_exec(const char *conninfo, const char *sql)
{
	PGresult	*r;

	if ((r = run_sql(conninfo, sql)) == NULL)
		return (-1);
	PQclear(r);
	return (0);
}

/* Processes. */

/* In a child: drop our GUICHET_* settings, add the test's. */
static void
child_env(const char *const *env)
{
	char	**names = NULL, *eq;
	size_t	 n = 0, i;

	for (i = 0; environ[i] != NULL; i++) {
		if (strncmp(environ[i], "GUICHET_", 8) != 0 ||
		    strncmp(environ[i], "GUICHET_TEST_", 13) == 0)
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n] = xstrdup(environ[i]);
		if ((eq = strchr(names[n], '=')) != NULL)
			*eq = '\0';
		n++;
	}
	for (i = 0; i < n; i++)
		unsetenv(names[i]);
	if (key_file[0] != '\0')
		setenv("GUICHET_JWT_KEY_FILE", key_file, 1);
	for (i = 0; env != NULL && env[i] != NULL; i++) {
		char	*kv = xstrdup(env[i]);

		if ((eq = strchr(kv, '=')) != NULL) {
			*eq = '\0';
			setenv(kv, eq + 1, 1);
		}
	}
}

/* Fork and exec argv with stdin /dev/null, stdout and stderr to fds. */
static pid_t
spawn(const char *const *argv, const char *const *env, int out, int err)
{
	pid_t	 parent = getpid(), pid;
	int	 null;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (pid > 0)
		return (pid);
	/* Die with the test process, which may exit at any assertion. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, 0);
		if (out == -1)
			dup2(null, 1);
		if (null > 2)
			close(null);
	}
	if (out != -1)
		dup2(out, 1);
	dup2(err, 2);
	child_env(env);
	execv(argv[0], (char *const *)(uintptr_t)argv);
	fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int
decode_status(int st)
{
	if (WIFEXITED(st))
		return (WEXITSTATUS(st));
	if (WIFSIGNALED(st))
		return (128 + WTERMSIG(st));
	return (-1);
}

/* Wait for 'pid' for up to 'timeout_ms': 1 and *st when it exited. */
static int
wait_pid(pid_t pid, int timeout_ms, int *st)
{
	long long	 end = harness_now_ms() + timeout_ms;
	pid_t		 r;

	for (;;) {
		r = waitpid(pid, st, WNOHANG);
		if (r == pid)
			return (1);
		if (r == -1 && errno != EINTR)
			return (-1);
		if (harness_now_ms() >= end)
			return (0);
		harness_sleep_ms(10);
	}
}

static int
scratch_file(const char *what, char **path)
{
	int	 fd;

	*path = harness_printf("%s/%s-%ld-%d-XXXXXX", tmpdir, what,
	    (long)getpid(), ++counter);
	if ((fd = mkstemp(*path)) == -1)
		die("mkstemp %s: %s", *path, strerror(errno));
	fchmod(fd, 0644);
	return (fd);
}

int
harness_exec(const char *const *argv, const char *const *env, int timeout_ms,
    char **out, char **err)
{
	char	*opath, *epath;
	int	 ofd, efd, st, rc;
	pid_t	 pid;

	ofd = scratch_file("out", &opath);
	efd = scratch_file("err", &epath);
	pid = spawn(argv, env, ofd, efd);
	close(ofd);
	close(efd);
	switch (wait_pid(pid, timeout_ms, &st)) {
	case 1:
		rc = decode_status(st);
		break;
	default:
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		rc = -1;
		break;
	}
	if (out != NULL)
		*out = harness_read_file(opath, NULL);
	if (err != NULL)
		*err = harness_read_file(epath, NULL);
	unlink(opath);
	unlink(epath);
	free(opath);
	free(epath);
	return (rc);
}

int
harness_run(const char *prog, const char *db, const char *sql_dir,
    const char *const *args, const char *const *env, int timeout_ms,
    char **out, char **err)
{
	const char	*argv[64];
	char		*bin, *sql;
	int		 n = 0, i, rc;

	bin = harness_bin(prog);
	sql = sql_dir != NULL ? xstrdup(sql_dir) : harness_src("sql");
	argv[n++] = bin;
	if (db != NULL) {
		argv[n++] = "--database";
		argv[n++] = db;
	}
	argv[n++] = "--sql-dir";
	argv[n++] = sql;
	for (i = 0; args != NULL && args[i] != NULL; i++) {
		if (n == (int)(sizeof(argv) / sizeof(argv[0])) - 1)
			die("too many arguments for %s", prog);
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	rc = harness_exec(argv, env, timeout_ms, out, err);
	free(bin);
	free(sql);
	return (rc);
}

int
harness_free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd, port;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket: %s", strerror(errno));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		die("bind: %s", strerror(errno));
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

/* Servers. */

int
harness_migrations_lock(void)
{
	char	*path;
	int	 fd;

	path = harness_printf("%s/t/migrations.lock", builddir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1)
		die("%s: %s", path, strerror(errno));
	free(path);
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR)
			die("flock: %s", strerror(errno));
	return (fd);
}

void
harness_migrations_unlock(int fd)
{
	close(fd);
}

static int
migrate(const char *conninfo, const char *sql, const char *const *env,
    char **err)
{
	const char	*args[] = { "--migrate", "--log-level", "info", NULL };
	int		 fd, rc;

	fd = harness_migrations_lock();
	rc = harness_run("guichetd", conninfo, sql, args, env, 60000, NULL,
	    err);
	harness_migrations_unlock(fd);
	return (rc);
}

int
harness_migrate(const char *conninfo, const char *sql_dir, char **err)
{
	return (migrate(conninfo, sql_dir, NULL, err));
}

/* Poll /healthz: 0 when it answers 200, -1 when the process exited or 10 s
 * passed (then it is stopped). */
static int
wait_healthy(struct server *s)
{
	const char	*hdrs[] = { "X-Request-Id: " HARNESS_POLL_ID, NULL };
	struct http_resp resp;
	long long	 end = harness_now_ms() + 10000;
	int		 st;

	for (;;) {
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->status = decode_status(st);
			return (-1);
		}
		if (harness_http(s, "GET", "/healthz", hdrs, NULL, 0,
		    &resp) == 0 && resp.status == 200) {
			http_resp_free(&resp);
			return (0);
		}
		http_resp_free(&resp);
		if (harness_now_ms() >= end) {
			fprintf(stderr, "%s: harness: /healthz did not answer "
			    "200 within 10 s\n", progname);
			harness_server_stop(s);
			return (-1);
		}
		harness_sleep_ms(50);
	}
}

int
harness_server_start(struct server *s, const char *conninfo,
    const char *const *extra)
{
	const char	*argv[64];
	char		*bin, *sql, *tpl, *stat_, *portstr = NULL, *err = NULL;
	char		*log;
	int		 n = 0, fd, rc, i, attempt, port_arg = -1;

	s->pid = 0;
	s->status = -1;
	free(s->conninfo);
	s->conninfo = xstrdup(conninfo);
	bin = harness_bin("guichetd");
	sql = s->sql_dir != NULL ? xstrdup(s->sql_dir) : harness_src("sql");
	tpl = harness_src("templates");
	stat_ = harness_src("static");

	if (!s->no_migrate) {
		rc = migrate(conninfo, sql, s->env, &err);
		if (rc != 0) {
			fprintf(stderr, "%s: harness: guichetd --migrate exited "
			    "%d:\n%s\n", progname, rc, err ? err : "");
			free(err);
			rc = -1;
			goto out;
		}
		free(err);
	}

	argv[n++] = bin;
	argv[n++] = "--database";
	argv[n++] = conninfo;
	if (!s->no_port) {
		argv[n++] = "--port";
		port_arg = n++;
	}
	argv[n++] = "--sql-dir";
	argv[n++] = sql;
	argv[n++] = "--templates-dir";
	argv[n++] = tpl;
	argv[n++] = "--static-dir";
	argv[n++] = stat_;
	argv[n++] = "--log-level";
	argv[n++] = "info";
	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		if (n >= (int)(sizeof(argv) / sizeof(argv[0])) - 1)
			die("too many server arguments");
		argv[n++] = extra[i];
	}
	argv[n] = NULL;

	/*
	 * Another program may take the free port before guichetd binds it
	 * (tests run in parallel): then try another one.
	 */
	for (attempt = 0;; attempt++) {
		if (port_arg != -1) {
			s->port = harness_free_port();
			free(portstr);
			portstr = harness_printf("%d", s->port);
			argv[port_arg] = portstr;
		}
		free(s->log_path);
		fd = scratch_file("server", &s->log_path);
		s->status = -1;
		s->pid = spawn(argv, s->env, -1, fd);
		close(fd);
		if (s->no_wait) {
			rc = 0;
			goto out;
		}
		if ((rc = wait_healthy(s)) == 0)
			goto out;
		log = harness_server_log(s);
		if (port_arg == -1 || attempt == 2 || log == NULL ||
		    (strstr(log, "could not listen") == NULL &&
		    strstr(log, "in use") == NULL)) {
			fprintf(stderr, "%s: harness: guichetd (exit status %d) "
			    "did not answer /healthz\n--- server log %s ---\n"
			    "%s--- end ---\n", progname, s->status, s->log_path,
			    log != NULL ? log : "");
			free(log);
			break;
		}
		free(log);
	}
out:
	free(bin);
	free(sql);
	free(tpl);
	free(stat_);
	free(portstr);
	return (rc);
}

void
harness_start(struct server *s, const char *const *extra)
{
	memset(s, 0, sizeof(*s));
	ck_assert_msg(harness_server_start(s, program_db, extra) == 0,
	    "guichetd did not start");
}

void
harness_server_signal(struct server *s, int sig)
{
	if (s->pid > 0 && s->status == -1)
		kill(s->pid, sig);
}

int
harness_server_wait(struct server *s, int timeout_ms)
{
	int	 st;

	if (s->pid <= 0 || s->status != -1)
		return (s->status);
	if (wait_pid(s->pid, timeout_ms, &st) == 1)
		s->status = decode_status(st);
	return (s->status);
}

int
harness_server_alive(struct server *s)
{
	return (s->pid > 0 && harness_server_wait(s, 0) == -1);
}

int
harness_server_stop(struct server *s)
{
	int	 st;

	if (s->pid <= 0 || s->status != -1)
		return (s->status);
	kill(s->pid, SIGTERM);
	if (harness_server_wait(s, 30000) == -1) {
		fprintf(stderr, "%s: harness: guichetd ignored SIGTERM for 30 s"
		    "\n", progname);
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &st, 0);
		s->status = decode_status(st);
	}
	return (s->status);
}

void
harness_stop_healthy(struct server *s)
{
	struct http_resp r;

	ck_assert_msg(harness_get(s, "/healthz", &r) == 0 && r.status == 200,
	    "GET /healthz: status %ld (%s)", r.status, r.error);
	http_resp_free(&r);
	ck_assert(harness_server_alive(s));
	ck_assert_int_eq(harness_server_stop(s), 0);
	harness_server_free(s);
}

void
harness_server_free(struct server *s)
{
	if (s->pid > 0 && s->status == -1)
		harness_server_stop(s);
	free(s->log_path);
	free(s->conninfo);
	s->log_path = NULL;
	s->conninfo = NULL;
}

char *
harness_server_log(const struct server *s)
{
	if (s->log_path == NULL)
		return (NULL);
	return (harness_read_file(s->log_path, NULL));
}

int
harness_server_log_wait(const struct server *s, const char *needle,
    int timeout_ms)
{
	long long	 end = harness_now_ms() + timeout_ms;
	char		*log;
	int		 found;

	for (;;) {
		log = harness_server_log(s);
		found = log != NULL && strstr(log, needle) != NULL;
		free(log);
		if (found)
			return (1);
		if (harness_now_ms() >= end)
			return (0);
		harness_sleep_ms(20);
	}
}

json_t *
harness_log_lines(const struct server *s, const char *rid)
{
	json_t	*out, *j, *v;
	char	*log, *line, *nl;

	out = json_array();
	if ((log = harness_server_log(s)) == NULL)
		return (out);
	for (line = log; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break;
		*nl = '\0';
		j = json_loads(line, 0, NULL);
		if (j != NULL && json_is_object(j) &&
		    (v = json_object_get(j, "request_id")) != NULL &&
		    json_is_string(v) && strcmp(json_string_value(v), rid) == 0)
			json_array_append(out, j);
		json_decref(j);
	}
	free(log);
	return (out);
}

/* HTTP. */

size_t
harness_curl_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return (size * n);
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct http_resp	*r = arg;
	size_t			 len = size * n;

	r->body = xrealloc(r->body, r->body_len + len + 1);
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return (len);
}

static void
free_headers(struct http_resp *r)
{
	size_t	 i;

	for (i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	r->headers = NULL;
	r->nheaders = 0;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct http_resp	*r = arg;
	size_t			 len = size * n, nl, vs, ve;
	char			*colon;

	/* A new status line (after 100 Continue): start over. */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		free_headers(r);
		return (len);
	}
	if ((colon = memchr(data, ':', len)) == NULL)
		return (len);
	nl = (size_t)(colon - data);
	vs = nl + 1;
	while (vs < len && (data[vs] == ' ' || data[vs] == '\t'))
		vs++;
	ve = len;
	while (ve > vs && (data[ve - 1] == '\r' || data[ve - 1] == '\n' ||
	    data[ve - 1] == ' ' || data[ve - 1] == '\t'))
		ve--;
	r->headers = xrealloc(r->headers, (r->nheaders + 1) *
	    sizeof(*r->headers));
	r->headers[r->nheaders].name = strndup(data, nl);
	r->headers[r->nheaders].value = strndup(data + vs, ve - vs);
	if (r->headers[r->nheaders].name == NULL ||
	    r->headers[r->nheaders].value == NULL)
		die("out of memory");
	r->nheaders++;
	return (len);
}

/* The request's head as curl sent it (the last one, after redirects). */
struct sent {
	char	*data;
	size_t	 len;
};

static int
on_debug(CURL *c, curl_infotype type, char *data, size_t len, void *arg)
{
	struct sent	*h = arg;

	(void)c;
	if (type != CURLINFO_HEADER_OUT)
		return (0);
	h->data = xrealloc(h->data, h->len + len + 1);
	memcpy(h->data + h->len, data, len);
	h->len += len;
	h->data[h->len] = '\0';
	return (0);
}

int
harness_http(const struct server *s, const char *method, const char *path,
    const char *const *headers, const char *body, size_t body_len,
    struct http_resp *r)
{
	struct record_exchange	 x;
	struct sent		 sent = { NULL, 0 };
	CURL			*c;
	CURLcode		 cc;
	struct curl_slist	*sl = NULL;
	char			*url;
	int			 i, have_expect = 0;

	memset(r, 0, sizeof(*r));
	if ((c = curl_easy_init()) == NULL)
		die("curl_easy_init failed");
	url = harness_printf("http://127.0.0.1:%d%s", s->port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, harness_http_timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->error);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, &sent);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		if (strncasecmp(headers[i], "Expect:", 7) == 0)
			have_expect = 1;
		sl = curl_slist_append(sl, headers[i]);
	}
	/* No 100-continue round trip unless a test asks for one. */
	if (!have_expect)
		sl = curl_slist_append(sl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);

	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0 || body != NULL) {
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (body != NULL || strcmp(method, "POST") == 0) {
			curl_easy_setopt(c, CURLOPT_POST, 1L);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)(body != NULL ? body_len : 0));
			curl_easy_setopt(c, CURLOPT_POSTFIELDS,
			    body != NULL ? body : "");
		}
	}

	cc = curl_easy_perform(c);
	r->curl_code = (int)cc;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r->seconds);
	if (cc != CURLE_OK && r->error[0] == '\0')
		snprintf(r->error, sizeof(r->error), "%s",
		    curl_easy_strerror(cc));
	if (r->body == NULL) {
		r->body = xstrdup("");
		r->body_len = 0;
	}
	if (r->status != 0 && sent.data != NULL) {
		x = (struct record_exchange){ .via = "curl", .method = method,
		    .target = path, .request_head = sent.data,
		    .request_head_len = sent.len, .status = r->status,
		    .headers = r->headers, .nheaders = r->nheaders,
		    .body = r->body, .body_len = r->body_len };
		record_exchange(&x);
	}
	free(sent.data);
	curl_slist_free_all(sl);
	curl_easy_cleanup(c);
	free(url);
	return (cc == CURLE_OK ? 0 : -1);
}

int
harness_get(const struct server *s, const char *path, struct http_resp *r)
{
	return (harness_http(s, "GET", path, NULL, NULL, 0, r));
}

long
harness_metric(const struct server *s, const char *sample)
{
	struct http_resp r;
	const char	*p;
	size_t		 n = strlen(sample);
	long		 v = -1;

	if (harness_get(s, "/metrics", &r) != 0 || r.status != 200 ||
	    r.body == NULL) {
		http_resp_free(&r);
		return (-1);
	}
	/* The sample's own line, not its # HELP or # TYPE lines. */
	for (p = r.body; (p = strstr(p, sample)) != NULL; p += n)
		if ((p == r.body || p[-1] == '\n') && p[n] == ' ') {
			v = strtol(p + n + 1, NULL, 10);
			break;
		}
	http_resp_free(&r);
	return (v);
}

void
harness_fragments(const struct server *s, long *hits, long *misses)
{
	*hits = harness_metric(s,
	    "guichet_fragments_requests_total{result=\"hit\"}");
	*misses = harness_metric(s,
	    "guichet_fragments_requests_total{result=\"miss\"}");
}

void
harness_assert_all_kept(const struct server *s, long hits, long misses)
{
	long	 h, m;

	harness_fragments(s, &h, &m);
	ck_assert_msg(h > hits, "no row from the fragments (%ld hits)", h);
	ck_assert_msg(m == misses, "%ld rows written again", m - misses);
}

const char *
http_resp_header(const struct http_resp *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return (r->headers[i].value);
	return (NULL);
}

int
http_resp_header_count(const struct http_resp *r, const char *name)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			n++;
	return (n);
}

json_t *
harness_json(const struct http_resp *r)
{
	if (r->body == NULL)
		return (NULL);
	return (json_loadb(r->body, r->body_len, 0, NULL));
}

char *
harness_dump(const json_t *j)
{
	char	*s;

	s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	return (s != NULL ? s : xstrdup("(not JSON)"));
}

void
http_resp_free(struct http_resp *r)
{
	free_headers(r);
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

static const char *
member_string(json_t *j, const char *name)
{
	json_t	*v = json_object_get(j, name);

	return (json_is_string(v) ? json_string_value(v) : NULL);
}

json_t *
harness_assert_problem(const struct http_resp *r, long status,
    const char *type, const char *instance)
{
	const char	*ct, *v, *rid;
	json_t		*j;

	ck_assert_msg(r->status == status, "status %ld, expected %ld; body: %s",
	    r->status, status, r->body ? r->body : "");
	ct = http_resp_header(r, "Content-Type");
	ck_assert_msg(ct != NULL && strncasecmp(ct,
	    "application/problem+json", 24) == 0,
	    "Content-Type is %s, expected application/problem+json",
	    ct ? ct : "(none)");
	j = harness_json(r);
	ck_assert_msg(j != NULL && json_is_object(j),
	    "problem body is not a JSON object: %s", r->body);
	v = member_string(j, "type");
	ck_assert_msg(v != NULL, "problem without type: %s", r->body);
	if (type != NULL)
		ck_assert_msg(strcmp(v, type) == 0, "type %s, expected %s", v,
		    type);
	v = member_string(j, "title");
	ck_assert_msg(v != NULL && v[0] != '\0', "problem without title: %s",
	    r->body);
	ck_assert_msg(json_is_integer(json_object_get(j, "status")) &&
	    json_integer_value(json_object_get(j, "status")) == status,
	    "problem status member is not %ld: %s", status, r->body);
	ck_assert_msg(member_string(j, "detail") != NULL,
	    "problem without detail: %s", r->body);
	v = member_string(j, "instance");
	ck_assert_msg(v != NULL, "problem without instance: %s", r->body);
	if (instance != NULL)
		ck_assert_msg(strcmp(v, instance) == 0,
		    "instance %s, expected %s", v, instance);
	v = member_string(j, "request_id");
	rid = http_resp_header(r, "X-Request-Id");
	ck_assert_msg(v != NULL && v[0] != '\0',
	    "problem without request_id: %s", r->body);
	ck_assert_msg(rid != NULL && strcmp(v, rid) == 0,
	    "request_id %s differs from X-Request-Id %s", v, rid ? rid : "-");
	return (j);
}

void
harness_assert_std_headers(const struct http_resp *r)
{
	const char	*v;

	v = http_resp_header(r, "X-Request-Id");
	ck_assert_msg(v != NULL && v[0] != '\0',
	    "status %ld response without X-Request-Id", r->status);
	v = http_resp_header(r, "X-Content-Type-Options");
	ck_assert_msg(v != NULL && strcasecmp(v, "nosniff") == 0,
	    "status %ld response: X-Content-Type-Options is %s", r->status,
	    v ? v : "(none)");
	v = http_resp_header(r, "Referrer-Policy");
	ck_assert_msg(v != NULL && v[0] != '\0',
	    "status %ld response without Referrer-Policy", r->status);
}

/* Raw sockets. */

/*
 * What each raw connection of this process has sent since its last
 * recorded response (the start of it: a request's head is what matters),
 * to record the request beside the response harness_raw_read() reads.
 */
#define RAW_CONNS	64
#define RAW_KEEP	65536
static struct raw_sent {
	int	 fd;
	char	*data;
	size_t	 len;
} raw_sent[RAW_CONNS];

static struct raw_sent *
raw_conn(int fd, int make)
{
	struct raw_sent	*free_slot = NULL;
	size_t		 i;

	for (i = 0; i < RAW_CONNS; i++) {
		if (raw_sent[i].data != NULL && raw_sent[i].fd == fd)
			return (&raw_sent[i]);
		if (raw_sent[i].data == NULL && free_slot == NULL)
			free_slot = &raw_sent[i];
	}
	if (!make || free_slot == NULL)
		return (NULL);
	free_slot->fd = fd;
	free_slot->data = xmalloc(RAW_KEEP + 1);
	free_slot->len = 0;
	return (free_slot);
}

static void
raw_conn_forget(int fd)
{
	struct raw_sent	*c;

	if ((c = raw_conn(fd, 0)) != NULL) {
		free(c->data);
		c->data = NULL;
	}
}

void
harness_unchecked(const char *reason)
{
	record_unchecked(reason);
}

int
harness_connect_port(int port)
{
	struct sockaddr_in	 sin;
	int			 fd, e;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return (-1);
	}
	raw_conn_forget(fd);	/* a descriptor number used before */
	return (fd);
}

int
harness_connect(const struct server *s)
{
	return (harness_connect_port(s->port));
}

int
harness_send(int fd, const void *p, size_t len)
{
	struct raw_sent	*rs;
	const char	*c = p;
	ssize_t		 n;
	size_t		 keep;

	if ((rs = raw_conn(fd, 1)) != NULL && rs->len < RAW_KEEP) {
		keep = len < RAW_KEEP - rs->len ? len : RAW_KEEP - rs->len;
		memcpy(rs->data + rs->len, p, keep);
		rs->len += keep;
		rs->data[rs->len] = '\0';
	}

	while (len > 0) {
		n = send(fd, c, len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		c += n;
		len -= (size_t)n;
	}
	return (0);
}

int
harness_send_str(int fd, const char *s)
{
	return (harness_send(fd, s, strlen(s)));
}

/* Is the response in r->data complete?  Sets r->status on the way. */
static int
raw_complete(struct raw_resp *r)
{
	char		*end, *cl, *te;
	size_t		 hlen;
	long		 n;
	int		 status;

	for (;;) {
		if ((end = strstr(r->data, "\r\n\r\n")) == NULL)
			return (0);
		hlen = (size_t)(end - r->data) + 4;
		if (sscanf(r->data, "HTTP/%*d.%*d %d", &status) != 1)
			return (0);
		if (status != 100)
			break;
		/* Drop an interim 100 Continue and look again. */
		memmove(r->data, r->data + hlen, r->len - hlen + 1);
		r->len -= hlen;
	}
	r->status = status;
	if ((status >= 100 && status < 200) || status == 204 || status == 304)
		return (1);
	if ((cl = raw_resp_header(r, "Content-Length")) != NULL) {
		n = strtol(cl, NULL, 10);
		free(cl);
		return (r->len >= hlen + (size_t)n);
	}
	if ((te = raw_resp_header(r, "Transfer-Encoding")) != NULL) {
		int	 chunked = strcasestr(te, "chunked") != NULL;

		free(te);
		if (chunked)
			return (strncmp(r->data + hlen, "0\r\n\r\n", 5) == 0 ||
			    strstr(r->data + hlen, "\r\n0\r\n\r\n") != NULL);
	}
	return (0);	/* delimited by EOF */
}

/* The body of a complete response: by Content-Length, chunked, or none. */
static char *
raw_body(const struct raw_resp *r, size_t hlen, size_t *lenp)
{
	const char	*p = r->data + hlen, *end = r->data + r->len;
	char		*cl, *te, *out, *next;
	size_t		 len = 0, n;
	int		 chunked = 0;

	out = xmalloc(r->len - hlen + 1);
	if ((r->status >= 100 && r->status < 200) || r->status == 204 ||
	    r->status == 304)
		;
	else if ((cl = raw_resp_header(r, "Content-Length")) != NULL) {
		len = (size_t)strtoul(cl, NULL, 10);
		if (len > (size_t)(end - p))
			len = (size_t)(end - p);
		memcpy(out, p, len);
		free(cl);
	} else {
		if ((te = raw_resp_header(r, "Transfer-Encoding")) != NULL)
			chunked = strcasestr(te, "chunked") != NULL;
		free(te);
		while (chunked && p < end) {
			n = (size_t)strtoul(p, &next, 16);
			if (n == 0 || (p = strstr(next, "\r\n")) == NULL)
				break;
			p += 2;
			if (n > (size_t)(end - p))
				n = (size_t)(end - p);
			memcpy(out + len, p, n);
			len += n;
			p += n + 2;
		}
	}
	out[len] = '\0';
	*lenp = len;
	return (out);
}

/* Record a complete response with the request sent before it on 'fd'. */
static void
raw_record(int fd, const struct raw_resp *r)
{
	struct record_exchange	 x;
	struct raw_sent		*rs;
	struct http_header	*h;
	char			 method[16], target[2048], *end, *body;
	size_t			 nh, hlen, blen;

	if ((rs = raw_conn(fd, 0)) == NULL || rs->len == 0 ||
	    sscanf(rs->data, "%15s %2047s HTTP/", method, target) != 2 ||
	    (end = strstr(r->data, "\r\n\r\n")) == NULL)
		return;
	hlen = (size_t)(end - r->data) + 4;
	h = record_parse_headers(r->data, hlen, &nh);
	body = raw_body(r, hlen, &blen);
	x = (struct record_exchange){ .via = "raw", .method = method,
	    .target = target, .request_head = rs->data,
	    .request_head_len = rs->len, .status = r->status, .headers = h,
	    .nheaders = nh, .body = body, .body_len = blen };
	record_exchange(&x);
	record_headers_free(h, nh);
	free(body);
	rs->len = 0;
	rs->data[0] = '\0';
}

int
harness_raw_read(int fd, int timeout_ms, int until_eof, struct raw_resp *r)
{
	long long	 end = harness_now_ms() + timeout_ms;
	struct pollfd	 pfd;
	size_t		 cap = 4096;
	ssize_t		 n;
	int		 left;

	memset(r, 0, sizeof(*r));
	r->data = xmalloc(cap);
	r->data[0] = '\0';
	for (;;) {
		if ((left = (int)(end - harness_now_ms())) <= 0) {
			r->timed_out = 1;
			break;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd.revents == 0)
			continue;
		if (cap - r->len < 2048) {
			cap *= 2;
			r->data = xrealloc(r->data, cap);
		}
		n = recv(fd, r->data + r->len, cap - r->len - 1, 0);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			r->reset = 1;
			break;
		}
		if (n == 0) {
			r->eof = 1;
			break;
		}
		r->len += (size_t)n;
		r->data[r->len] = '\0';
		if (!until_eof && raw_complete(r)) {
			r->complete = 1;
			break;
		}
	}
	if (!r->complete && raw_complete(r))
		r->complete = 1;
	if (r->status == 0)
		sscanf(r->data, "HTTP/%*d.%*d %d", &r->status);
	if (r->complete)
		raw_record(fd, r);
	return (r->status != 0 ? 0 : -1);
}

char *
raw_resp_header(const struct raw_resp *r, const char *name)
{
	const char	*line, *end, *eol, *v;
	size_t		 nlen = strlen(name);

	if ((end = strstr(r->data, "\r\n\r\n")) == NULL)
		end = r->data + r->len;
	if ((line = strstr(r->data, "\r\n")) == NULL)
		return (NULL);
	for (line += 2; line < end; line = eol + 2) {
		if ((eol = strstr(line, "\r\n")) == NULL)
			eol = end;
		if ((size_t)(eol - line) > nlen && line[nlen] == ':' &&
		    strncasecmp(line, name, nlen) == 0) {
			v = line + nlen + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			return (strndup(v, (size_t)(eol - v)));
		}
		if (eol >= end)
			break;
	}
	return (NULL);
}

void
raw_resp_free(struct raw_resp *r)
{
	free(r->data);
	r->data = NULL;
	r->len = 0;
}

int
harness_fd_count(pid_t pid)
{
	char		 path[64];
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return (n);
}

/* --- sec (issue 8) --- */

long
harness_sign_in(const struct server *s, const char *xff, const char *user,
    const char *password)
{
	const char	*h[3] = { "Content-Type: application/json", NULL, NULL };
	struct http_resp r;
	json_t		*in;
	char		*body, *fwd = NULL;
	long		 status;

	if (xff != NULL)
		h[1] = fwd = harness_printf("X-Forwarded-For: %s", xff);
	in = json_pack("{s:s, s:s, s:s}", "grant_type", "password", "username",
	    user, "password", password);
	body = json_dumps(in, JSON_COMPACT);
	json_decref(in);
	harness_http(s, "POST", "/api/v1/auth/token", h, body, strlen(body),
	    &r);
	status = r.status;
	http_resp_free(&r);
	free(body);
	free(fwd);
	return (status);
}
