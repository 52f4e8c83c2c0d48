/*
 * t0002-config: a wrong setting stops guichetd before it serves, with a
 * message that names where the mistake is; the three sources override
 * each other in order (file < environment < flag).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Write a config file in the scratch directory; returns its path. */
static char *
config_file(const char *name, const char *content)
{
	char	*path;

	path = harness_printf("%s/%s-%ld.conf", harness_tmpdir(), name,
	    (long)getpid());
	ck_assert_int_eq(harness_write_file(path, content), 0);
	return (path);
}

/*
 * Run guichetd with the database and directories set and 'extra' after
 * them; it must exit (not serve) within 10 s.  Returns the exit status and
 * stderr in *err.
 */
static int
run(const char *const *extra, const char *const *env, char **err)
{
	const char	*argv[32];
	char		*bin, *sql;
	int		 n = 0, i, rc;

	bin = harness_bin("guichetd");
	sql = harness_src("sql");
	argv[n++] = bin;
	argv[n++] = "--database";
	argv[n++] = harness_db();
	argv[n++] = "--sql-dir";
	argv[n++] = sql;
	for (i = 0; extra[i] != NULL; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	rc = harness_exec(argv, env, 10000, NULL, err);
	ck_assert_msg(rc != -1, "guichetd kept running (it should have "
	    "refused to start); stderr:\n%s", *err);
	free(bin);
	free(sql);
	return (rc);
}

/* Does the port accept connections? */
static int
answers(int port)
{
	int	 fd;

	if ((fd = harness_connect_port(port)) == -1)
		return (0);
	close(fd);
	return (1);
}

START_TEST(test_config_unknown_key)
{
	char		*path, *err = NULL;
	const char	*extra[] = { "--config", NULL, NULL };
	int		 rc;

	path = config_file("unknown",
	    "# guichet test configuration\n"
	    "log_level = info\n"
	    "prot = 1\n"
	    "threads = 2\n");
	extra[1] = path;
	rc = run(extra, NULL, &err);
	ck_assert_msg(rc != 0, "exit 0 with an unknown key");
	ck_assert_msg(strstr(err, path) != NULL, "the file is not named:\n%s",
	    err);
	ck_assert_msg(strstr(err, ":3") != NULL, "the line is not named:\n%s",
	    err);
	ck_assert_msg(strstr(err, "prot") != NULL, "the key is not named:\n%s",
	    err);
	free(err);
	free(path);
}
END_TEST

START_TEST(test_config_bad_port)
{
	char		*path, *err = NULL;
	const char	*extra[] = { "--config", NULL, NULL };
	int		 rc;

	path = config_file("badport", "\nport = 99999\n");
	extra[1] = path;
	rc = run(extra, NULL, &err);
	ck_assert_msg(rc != 0, "exit 0 with port = 99999");
	ck_assert_msg(strstr(err, "port") != NULL, "the key is not named:\n%s",
	    err);
	ck_assert_msg(strstr(err, ":2") != NULL, "the line is not named:\n%s",
	    err);
	ck_assert_msg(strstr(err, path) != NULL, "the file is not named:\n%s",
	    err);
	free(err);
	free(path);
}
END_TEST

START_TEST(test_config_bad_log_level)
{
	char		*path, *err = NULL;
	const char	*extra[] = { "--config", NULL, NULL };
	int		 rc;

	path = config_file("badlevel",
	    "# one\n# two\n  # three\nlog_level = loud\n");
	extra[1] = path;
	rc = run(extra, NULL, &err);
	ck_assert_msg(rc != 0, "exit 0 with log_level = loud");
	ck_assert_msg(strstr(err, "log_level") != NULL,
	    "the key is not named:\n%s", err);
	ck_assert_msg(strstr(err, ":4") != NULL, "the line is not named:\n%s",
	    err);
	free(err);
	free(path);
}
END_TEST

START_TEST(test_config_bad_env_and_flag_values)
{
	char		*err = NULL;
	const char	*none[] = { NULL };
	const char	*env[] = { "GUICHET_PORT=eighty", NULL };
	const char	*flag[] = { "--json-max-depth", "0", NULL };
	int		 rc;

	rc = run(none, env, &err);
	ck_assert_msg(rc != 0, "exit 0 with GUICHET_PORT=eighty");
	ck_assert_msg(strstr(err, "GUICHET_PORT") != NULL,
	    "the variable is not named:\n%s", err);
	free(err);
	rc = run(flag, NULL, &err);
	ck_assert_msg(rc != 0, "exit 0 with --json-max-depth 0");
	ck_assert_msg(strstr(err, "json-max-depth") != NULL ||
	    strstr(err, "json_max_depth") != NULL,
	    "the flag is not named:\n%s", err);
	free(err);
}
END_TEST

START_TEST(test_config_env_overrides_file)
{
	struct server	 s;
	char		*path, *content, *envport;
	const char	*extra[] = { "--config", NULL, NULL };
	const char	*env[] = { NULL, NULL };
	int		 file_port, env_port;

	file_port = harness_free_port();
	do
		env_port = harness_free_port();
	while (env_port == file_port);
	content = harness_printf("port = %d\n", file_port);
	path = config_file("envwins", content);
	envport = harness_printf("GUICHET_PORT=%d", env_port);
	extra[1] = path;
	env[0] = envport;

	memset(&s, 0, sizeof(s));
	s.no_port = 1;
	s.port = env_port;
	s.env = env;
	ck_assert_msg(harness_server_start(&s, harness_db(), extra) == 0,
	    "guichetd does not answer on the GUICHET_PORT port %d", env_port);
	ck_assert_msg(!answers(file_port), "the file's port %d answers too",
	    file_port);
	ck_assert_int_eq(harness_server_stop(&s), 0);
	free(path);
	free(content);
	free(envport);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_config_flag_overrides_env)
{
	struct server	 s;
	char		*path, *content, *envport, *flagport;
	const char	*extra[] = { "--config", NULL, "--port", NULL, NULL };
	const char	*env[] = { NULL, NULL };
	int		 file_port, env_port, flag_port;

	file_port = harness_free_port();
	do
		env_port = harness_free_port();
	while (env_port == file_port);
	do
		flag_port = harness_free_port();
	while (flag_port == file_port || flag_port == env_port);
	content = harness_printf("port = %d\n", file_port);
	path = config_file("flagwins", content);
	envport = harness_printf("GUICHET_PORT=%d", env_port);
	flagport = harness_printf("%d", flag_port);
	extra[1] = path;
	extra[3] = flagport;
	env[0] = envport;

	memset(&s, 0, sizeof(s));
	s.no_port = 1;
	s.port = flag_port;
	s.env = env;
	ck_assert_msg(harness_server_start(&s, harness_db(), extra) == 0,
	    "guichetd does not answer on the --port port %d", flag_port);
	ck_assert_msg(!answers(file_port), "the file's port %d answers too",
	    file_port);
	ck_assert_msg(!answers(env_port), "GUICHET_PORT's port %d answers too",
	    env_port);
	ck_assert_int_eq(harness_server_stop(&s), 0);
	free(path);
	free(content);
	free(envport);
	free(flagport);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_config_flag_equals_form)
{
	struct server	 s;
	char		*flag;
	const char	*extra[] = { NULL, NULL };

	memset(&s, 0, sizeof(s));
	s.no_port = 1;
	s.port = harness_free_port();
	flag = harness_printf("--port=%d", s.port);
	extra[0] = flag;
	ck_assert_msg(harness_server_start(&s, harness_db(), extra) == 0,
	    "guichetd does not answer on --port=%d", s.port);
	ck_assert_int_eq(harness_server_stop(&s), 0);
	free(flag);
	harness_server_free(&s);
}
END_TEST

START_TEST(test_config_unknown_flag)
{
	char		*err = NULL;
	const char	*extra[] = { "--no-such-flag", "1", NULL };
	const char	*extra2[] = { "--prot=1", NULL };
	int		 rc;

	rc = run(extra, NULL, &err);
	ck_assert_msg(rc != 0, "exit 0 with an unknown flag");
	ck_assert_msg(strstr(err, "no-such-flag") != NULL,
	    "the flag is not named:\n%s", err);
	free(err);
	rc = run(extra2, NULL, &err);
	ck_assert_msg(rc != 0, "exit 0 with --prot=1");
	ck_assert_msg(strstr(err, "prot") != NULL,
	    "the flag is not named:\n%s", err);
	free(err);
}
END_TEST

START_TEST(test_config_missing_file)
{
	char		*err = NULL, *path;
	const char	*extra[] = { "--config", NULL, NULL };
	int		 rc;

	path = harness_printf("%s/does-not-exist.conf", harness_tmpdir());
	extra[1] = path;
	rc = run(extra, NULL, &err);
	ck_assert_msg(rc != 0, "exit 0 with a missing --config file");
	ck_assert_msg(strstr(err, "does-not-exist.conf") != NULL,
	    "the file is not named:\n%s", err);
	free(err);
	free(path);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_config_unknown_key,
	&test_config_bad_port,
	&test_config_bad_log_level,
	&test_config_bad_env_and_flag_values,
	&test_config_env_overrides_file,
	&test_config_flag_overrides_env,
	&test_config_flag_equals_form,
	&test_config_unknown_flag,
	&test_config_missing_file,
	NULL
};

const struct test_group test_groups[] = {
	{ "config", HARNESS_TIMEOUT, NULL, NULL, harness_prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
