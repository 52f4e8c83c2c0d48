/*
 * t2001-migrate: the schema is applied by `guichetd --migrate` (or
 * `guichetctl migrate`) only, each sql/NNN_*.sql once, in its own
 * transaction, recorded with its SHA-256; a server never runs against a
 * schema other than the one its files describe.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* The bookkeeping rows, one string, to compare before and after. */
#define DUMP_SQL \
	"SELECT string_agg(version || ':' || name || ':' || checksum || ':' " \
	"|| applied_at, ',' ORDER BY version) FROM ops.schema_migrations"

static int
is_migration(const char *n)
{
	size_t	 len = strlen(n), i;

	if (len < 9 || strcmp(n + len - 4, ".sql") != 0 || n[3] != '_')
		return (0);
	for (i = 0; i < 3; i++)
		if (n[i] < '0' || n[i] > '9')
			return (0);
	return (1);
}

/* The migration file names of a directory, sorted, comma-separated. */
static char *
migration_files(const char *dir, int *count)
{
	struct dirent	**names;
	char		*out = strdup(""), *t;
	int		 n, i;

	*count = 0;
	n = scandir(dir, &names, NULL, alphasort);
	ck_assert_msg(n >= 0, "cannot read %s", dir);
	for (i = 0; i < n; i++) {
		if (is_migration(names[i]->d_name)) {
			t = harness_printf("%s%s%s", out, out[0] ? "," : "",
			    names[i]->d_name);
			free(out);
			out = t;
			(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return (out);
}

/* Run guichetd or guichetctl with the database and sql dir; 30 s max. */
static int
run(const char *prog, const char *db, const char *sql_dir, const char *arg,
    char **err)
{
	const char	*args[4];
	char		*port;
	int		 n = 0, rc;

	port = harness_printf("%d", harness_free_port());
	if (strcmp(prog, "guichetd") == 0) {
		args[n++] = "--port";
		args[n++] = port;
	}
	args[n++] = arg;
	args[n] = NULL;
	rc = harness_run(prog, db, sql_dir, args, NULL, 30000, NULL, err);
	ck_assert_msg(rc != -1, "%s %s did not exit within 30 s:\n%s", prog,
	    arg ? arg : "", err && *err ? *err : "");
	free(port);
	return (rc);
}

static void
migrate_ok(const char *db, const char *sql_dir)
{
	char	*err = NULL;
	int	 rc;

	rc = harness_migrate(db, sql_dir, &err);
	ck_assert_msg(rc == 0, "guichetd --migrate exited %d:\n%s", rc, err);
	free(err);
}

/* Each test's fresh, empty database (a checked fixture). */
static char	*db;

static void
db_new(void)
{
	db = harness_db_create();
}

static void
db_drop(void)
{
	harness_db_drop(db);
	free(db);
	db = NULL;
}

/* 'prog' with 'dir' and 'arg' refuses (not 0), naming 'name'. */
static void
refused(const char *prog, const char *dir, const char *arg,
    const char *name, const char *why)
{
	char	*err = NULL;
	int	 rc;

	rc = run(prog, db, dir, arg, &err);
	ck_assert_msg(rc != 0, "%s", why);
	ck_assert_msg(strstr(err, name) != NULL, "%s: %s is not named:\n%s",
	    why, name, err);
	free(err);
}

/* The name of the first migration file of 'dir' (caller frees). */
static char *
first_file(const char *dir)
{
	char	*files, *first, *comma;
	int	 nfiles;

	files = migration_files(dir, &nfiles);
	ck_assert_int_gt(nfiles, 0);
	first = strdup(files);
	if ((comma = strchr(first, ',')) != NULL)
		*comma = '\0';
	free(files);
	return (first);
}

/* A copy of sql/ in the scratch directory. */
static char *
copy_sql_dir(const char *name)
{
	char	*src = harness_src("sql"), *dst;

	dst = harness_printf("%s/%s-%ld", harness_tmpdir(), name,
	    (long)getpid());
	ck_assert_int_eq(harness_copy_dir(src, dst), 0);
	free(src);
	return (dst);
}

static void
add_file(const char *dir, const char *name, const char *content)
{
	char	*p = harness_printf("%s/%s", dir, name);

	ck_assert_int_eq(harness_write_file(p, content), 0);
	free(p);
}

START_TEST(test_migrate_required_before_serving)
{
	refused("guichetd", NULL, NULL, "migrate",
	    "guichetd started on an empty database");
}
END_TEST

START_TEST(test_migrate_applies_every_file)
{
	char	*dir, *files, *names;
	char	*sql, *out = NULL, *cs;
	int	 nfiles;
	long	 n;

	dir = harness_src("sql");
	files = migration_files(dir, &nfiles);
	ck_assert_int_gt(nfiles, 0);
	migrate_ok(db, NULL);
	n = harness_sql_count(db, "SELECT count(*) FROM ops.schema_migrations");
	ck_assert_msg(n == nfiles, "%ld rows for %d files", n, nfiles);
	n = harness_sql_count(db, "SELECT count(*) FROM ops.schema_migrations "
	    "WHERE checksum ~ '^[0-9a-f]{64}$'");
	ck_assert_msg(n == nfiles, "%ld well-formed checksums for %d files", n,
	    nfiles);
	names = harness_sql(db, "SELECT string_agg(name, ',' ORDER BY version) "
	    "FROM ops.schema_migrations");
	ck_assert_msg(names != NULL && strcmp(names, files) == 0,
	    "applied %s, files %s", names, files);
	free(names);

	/* The checksum is the SHA-256 of the first file. */
	{
		char		*first = first_file(dir), *path;
		const char	*argv[] = { "/usr/bin/sha256sum", NULL, NULL };

		path = harness_printf("%s/%s", dir, first);
		argv[1] = path;
		if (access(argv[0], X_OK) == 0) {
			ck_assert_int_eq(harness_exec(argv, NULL, 5000, &out,
			    NULL), 0);
			sql = harness_printf("SELECT checksum FROM "
			    "ops.schema_migrations WHERE name = '%s'", first);
			cs = harness_sql(db, sql);
			ck_assert_msg(cs != NULL && strncmp(out, cs, 64) == 0,
			    "checksum %s, sha256sum says %.64s", cs, out);
			free(cs);
			free(sql);
			free(out);
		}
		free(path);
		free(first);
	}
	free(files);
	free(dir);
}
END_TEST

START_TEST(test_migrate_twice_applies_nothing)
{
	char	*before, *after, *err = NULL;
	int	 rc;

	migrate_ok(db, NULL);
	before = harness_sql(db, DUMP_SQL);
	ck_assert_ptr_nonnull(before);
	rc = run("guichetd", db, NULL, "--migrate", &err);
	ck_assert_msg(rc == 0, "second --migrate exited %d:\n%s", rc, err);
	after = harness_sql(db, DUMP_SQL);
	ck_assert_msg(after != NULL && strcmp(before, after) == 0,
	    "the second --migrate changed the rows:\n%s\n%s", before, after);
	free(before);
	free(after);
	free(err);
}
END_TEST

START_TEST(test_migrate_new_file_blocks_start)
{
	char		*dir, *v;
	struct server	 s;
	struct http_resp r;

	migrate_ok(db, NULL);
	dir = copy_sql_dir("sql-new");
	add_file(dir, "999_test.sql", "CREATE TABLE public.t2001_new "
	    "(id integer PRIMARY KEY);\n"
	    "COMMENT ON TABLE public.t2001_new IS 'test table';\n");

	refused("guichetd", dir, NULL, "migrate",
	    "guichetd started with a pending migration");
	v = harness_sql(db, "SELECT to_regclass('public.t2001_new')");
	ck_assert_msg(v == NULL, "a normal start applied the migration");

	migrate_ok(db, dir);
	v = harness_sql(db, "SELECT to_regclass('public.t2001_new')");
	ck_assert_msg(v != NULL, "--migrate did not create the table");
	free(v);
	ck_assert_int_eq(harness_sql_count(db, "SELECT count(*) FROM "
	    "ops.schema_migrations WHERE version = 999 AND name = "
	    "'999_test.sql'"), 1);

	memset(&s, 0, sizeof(s));
	s.no_migrate = 1;
	s.sql_dir = dir;
	ck_assert_msg(harness_server_start(&s, db, NULL) == 0,
	    "guichetd does not start once migrated");
	ck_assert_int_eq(harness_get(&s, "/readyz", &r), 0);
	ck_assert_msg(r.status == 200, "readyz %ld: %s", r.status, r.body);
	http_resp_free(&r);
	ck_assert_int_eq(harness_server_stop(&s), 0);
	free(dir);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_migrate_changed_file_refused)
{
	char	*dir, *first, *path, *content, *edited;

	migrate_ok(db, NULL);
	dir = copy_sql_dir("sql-changed");
	first = first_file(dir);
	path = harness_printf("%s/%s", dir, first);
	content = harness_read_file(path, NULL);
	ck_assert_ptr_nonnull(content);
	edited = harness_printf("%s\n-- edited after it was applied\n",
	    content);
	ck_assert_int_eq(harness_write_file(path, edited), 0);

	refused("guichetd", dir, "--migrate", first,
	    "--migrate accepted a changed file");
	refused("guichetd", dir, NULL, first,
	    "guichetd started with a changed file");
	free(edited);
	free(content);
	free(path);
	free(first);
	free(dir);
}
END_TEST

START_TEST(test_migrate_failure_rolled_back)
{
	char	*dir, *files, *v;
	int	 nfiles;

	dir = copy_sql_dir("sql-bad");
	files = migration_files(dir, &nfiles);
	add_file(dir, "998_bad.sql", "CREATE TABLE public.t2001_bad "
	    "(id integer);\nSELEC 1;\n");
	refused("guichetd", dir, "--migrate", "998_bad.sql",
	    "--migrate succeeded with a syntax error");
	v = harness_sql(db, "SELECT to_regclass('public.t2001_bad')");
	ck_assert_msg(v == NULL, "the failed migration's table exists");
	ck_assert_int_eq(harness_sql_count(db, "SELECT count(*) FROM "
	    "ops.schema_migrations WHERE version = 998"), 0);
	/* The files before it stay applied: each has its own transaction. */
	ck_assert_int_eq(harness_sql_count(db, "SELECT count(*) FROM "
	    "ops.schema_migrations"), nfiles);
	free(files);
	free(dir);
}
END_TEST

/* Poll /readyz until it answers 'status' (5 s); the last response in r. */
static int
readyz_becomes(struct server *s, long status, struct http_resp *r)
{
	long long	 end = harness_now_ms() + 5000;

	for (;;) {
		harness_get(s, "/readyz", r);
		if (r->status == status)
			return (1);
		if (harness_now_ms() >= end)
			return (0);
		http_resp_free(r);
		harness_sleep_ms(100);
	}
}

/* Start guichetd on the test's database and wait for /readyz 200. */
static void
start_ready(struct server *s)
{
	struct http_resp r;

	memset(s, 0, sizeof(*s));
	ck_assert_msg(harness_server_start(s, db, NULL) == 0,
	    "guichetd did not start");
	ck_assert_msg(readyz_becomes(s, 200, &r), "readyz %ld", r.status);
	http_resp_free(&r);
}

START_TEST(test_readyz_schema_behind_503)
{
	struct server	 s;
	struct http_resp r;
	const char	*ra;

	start_ready(&s);

	ck_assert_int_eq(harness_sql_exec(db, "CREATE TABLE public.saved AS "
	    "SELECT * FROM ops.schema_migrations WHERE version = "
	    "(SELECT max(version) FROM ops.schema_migrations); "
	    "DELETE FROM ops.schema_migrations WHERE version = "
	    "(SELECT version FROM public.saved)"), 0);
	ck_assert_msg(readyz_becomes(&s, 503, &r), "readyz %ld with the schema "
	    "behind", r.status);
	json_decref(harness_assert_problem(&r, 503, NULL, "/readyz"));
	ra = http_resp_header(&r, "Retry-After");
	ck_assert_msg(ra != NULL && atoi(ra) > 0, "Retry-After %s",
	    ra ? ra : "(none)");
	http_resp_free(&r);
	/* Still alive meanwhile. */
	ck_assert_int_eq(harness_get(&s, "/healthz", &r), 0);
	ck_assert_int_eq(r.status, 200);
	http_resp_free(&r);

	ck_assert_int_eq(harness_sql_exec(db, "INSERT INTO "
	    "ops.schema_migrations SELECT * FROM public.saved"), 0);
	ck_assert_msg(readyz_becomes(&s, 200, &r), "readyz %ld once the row is "
	    "back", r.status);
	http_resp_free(&r);
	ck_assert_int_eq(harness_server_stop(&s), 0);
	harness_server_free(&s);
}
END_TEST

/*
 * Least privilege (migration 014): guichetd's request threads act as
 * guichet_app, which may not remove or rewrite the append-only records
 * (whatever markers a session sets) nor what only migrations change.
 */
START_TEST(test_requests_act_as_app_role)
{
	static const char *const refused[] = {
	    "DELETE FROM privacy.consent_ledger",
	    "SET guichet.retention = 'consent_ledger'; "
	    "DELETE FROM privacy.consent_ledger",
	    "UPDATE privacy.consent_ledger SET action = 'given'",
	    "SELECT set_config('guichet.access_log_delete', 'on', false); "
	    "DELETE FROM privacy.access_log",
	    "TRUNCATE privacy.access_log",
	    "DELETE FROM ops.schema_migrations",
	    "UPDATE privacy.retention_rules SET retention = '1 day'",
	    "UPDATE ops.instance_secret SET secret = secret",
	    "CREATE TABLE ops.intruder (x int)",
	    NULL };
	char		*app, *v;
	struct server	 s;
	struct http_resp r;
	int		 i;

	start_ready(&s);
	/* /readyz reads the migrations' table: as guichet_app. */
	ck_assert_int_eq(harness_sql_exec(db, "REVOKE SELECT ON "
	    "ops.schema_migrations FROM guichet_app"), 0);
	ck_assert_msg(readyz_becomes(&s, 503, &r), "readyz %ld without "
	    "guichet_app's right", r.status);
	http_resp_free(&r);
	ck_assert_int_eq(harness_sql_exec(db, "GRANT SELECT ON "
	    "ops.schema_migrations TO guichet_app"), 0);
	ck_assert_msg(readyz_becomes(&s, 200, &r), "readyz %ld", r.status);
	http_resp_free(&r);
	ck_assert_int_eq(harness_server_stop(&s), 0);

	app = harness_printf("%s options='-c role=guichet_app'", db);
	v = harness_sql(app, "SELECT current_user");
	ck_assert_str_eq(v, "guichet_app");
	free(v);
	/* It reads and writes the domain's data... */
	ck_assert_int_eq(harness_sql_exec(app, "SELECT count(*) FROM "
	    "identity.accounts; SELECT count(*) FROM privacy.access_log"), 0);
	/* ...but none of this. */
	for (i = 0; refused[i] != NULL; i++)
		ck_assert_msg(harness_sql_exec(app, refused[i]) == -1,
		    "guichet_app may: %s", refused[i]);
	free(app);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_ctl_migrate)
{
	char	*dir, *files, *names;
	char	*before, *after, *err = NULL;
	int	 nfiles, rc;

	dir = harness_src("sql");
	files = migration_files(dir, &nfiles);
	rc = run("guichetctl", db, NULL, "migrate", &err);
	ck_assert_msg(rc == 0, "guichetctl migrate exited %d:\n%s", rc, err);
	free(err);
	names = harness_sql(db, "SELECT string_agg(name, ',' ORDER BY version) "
	    "FROM ops.schema_migrations");
	ck_assert_msg(names != NULL && strcmp(names, files) == 0,
	    "applied %s, files %s", names, files);
	before = harness_sql(db, DUMP_SQL);
	/* Same bookkeeping: guichetd finds nothing left to do. */
	migrate_ok(db, NULL);
	rc = run("guichetctl", db, NULL, "migrate", &err);
	ck_assert_msg(rc == 0, "guichetctl migrate again exited %d:\n%s", rc,
	    err);
	free(err);
	after = harness_sql(db, DUMP_SQL);
	ck_assert_msg(before != NULL && after != NULL &&
	    strcmp(before, after) == 0, "rows changed:\n%s\n%s", before, after);
	free(before);
	free(after);
	free(names);
	free(files);
	free(dir);
}
END_TEST

START_TEST(test_ctl_demo_idempotent)
{
	char	*err = NULL;
	long	 n1, n2;
	int	 rc;

	migrate_ok(db, NULL);
	rc = run("guichetctl", db, NULL, "demo", &err);
	ck_assert_msg(rc == 0, "guichetctl demo exited %d:\n%s", rc, err);
	free(err);
	n1 = harness_sql_count(db, "SELECT count(*) FROM ops.town");
	ck_assert_msg(n1 == 1, "%ld towns after demo", n1);
	rc = run("guichetctl", db, NULL, "demo", &err);
	ck_assert_msg(rc == 0, "guichetctl demo (again) exited %d:\n%s", rc,
	    err);
	free(err);
	n2 = harness_sql_count(db, "SELECT count(*) FROM ops.town");
	ck_assert_int_eq(n2, 1);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_migrate_required_before_serving,
	&test_migrate_applies_every_file,
	&test_migrate_twice_applies_nothing,
	&test_migrate_new_file_blocks_start,
	&test_migrate_changed_file_refused,
	&test_migrate_failure_rolled_back,
	&test_readyz_schema_behind_503,
	&test_requests_act_as_app_role,
	&test_ctl_migrate,
	&test_ctl_demo_idempotent,
	NULL
};

const struct test_group test_groups[] = {
	{ "migrate", HARNESS_TIMEOUT, db_new, db_drop, harness_prepare, NULL,
	    tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
