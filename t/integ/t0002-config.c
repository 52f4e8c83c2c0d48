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
	int	 rc;

	rc = harness_run("guichetd", harness_db(), NULL, extra, env, 10000,
	    NULL, err);
	ck_assert_msg(rc != -1, "guichetd kept running (it should have "
	    "refused to start); stderr:\n%s", *err);
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

/*
 * guichetd refuses to start with 'extra' and 'env', and its message holds
 * every string of 'named' (NULL-terminated; an entry "a|b" is either).
 */
static void
refused(const char *const *extra, const char *const *env,
    const char *const *named)
{
	char		*err = NULL, *alt;
	const char	*bar;
	int		 rc, i;

	rc = run(extra, env, &err);
	ck_assert_msg(rc != 0, "exit 0 with %s", extra[0] != NULL ? extra[0] :
	    env[0]);
	for (i = 0; named[i] != NULL; i++) {
		if ((bar = strchr(named[i], '|')) != NULL) {
			alt = harness_printf("%.*s", (int)(bar - named[i]),
			    named[i]);
			ck_assert_msg(strstr(err, alt) != NULL ||
			    strstr(err, bar + 1) != NULL, "%s is not named:\n%s",
			    named[i], err);
			free(alt);
		} else
			ck_assert_msg(strstr(err, named[i]) != NULL,
			    "%s is not named:\n%s", named[i], err);
	}
	free(err);
}

/* A configuration file refused: the message names it, 'line' and 'key'. */
static void
file_refused(const char *name, const char *content, const char *line,
    const char *key)
{
	const char	*extra[] = { "--config", NULL, NULL };
	const char	*named[] = { NULL, line, key, NULL };
	char		*path;

	path = config_file(name, content);
	extra[1] = named[0] = path;
	refused(extra, NULL, named);
	free(path);
}

START_TEST(test_config_unknown_key)
{
	file_refused("unknown", "# guichet test configuration\n"
	    "log_level = info\nprot = 1\nthreads = 2\n", ":3", "prot");
}
END_TEST

START_TEST(test_config_bad_port)
{
	file_refused("badport", "\nport = 99999\n", ":2", "port");
}
END_TEST

START_TEST(test_config_bad_log_level)
{
	file_refused("badlevel", "# one\n# two\n  # three\nlog_level = loud\n",
	    ":4", "log_level");
}
END_TEST

START_TEST(test_config_bad_env_and_flag_values)
{
	const char	*none[] = { NULL };
	const char	*env[] = { "GUICHET_PORT=eighty", NULL };
	const char	*flag[] = { "--json-max-depth", "0", NULL };
	const char	*var[] = { "GUICHET_PORT", NULL };
	const char	*spelt[] = { "json-max-depth|json_max_depth", NULL };

	refused(none, env, var);
	refused(flag, NULL, spelt);
}
END_TEST

/* 'n' distinct free ports. */
static void
free_ports(int *port, int n)
{
	int	 i, j;

	for (i = 0; i < n; i++)
		do {
			port[i] = harness_free_port();
			for (j = 0; j < i && port[j] != port[i]; j++)
				;
		} while (j < i);
}

/*
 * guichetd with 'extra' and the environment 'env' answers on port[0]
 * ('where' says why), and on none of port[1..n-1]; it stops with 0.
 */
static void
answers_on(const char *const *extra, const char *const *env, const int *port,
    int n, const char *where)
{
	struct server	 s;
	int		 i;

	memset(&s, 0, sizeof(s));
	s.no_port = 1;
	s.port = port[0];
	s.env = env;
	ck_assert_msg(harness_server_start(&s, harness_db(), extra) == 0,
	    "guichetd does not answer on %s %d", where, port[0]);
	for (i = 1; i < n; i++)
		ck_assert_msg(!answers(port[i]), "port %d answers too",
		    port[i]);
	ck_assert_int_eq(harness_server_stop(&s), 0);
	harness_server_free(&s);
}

/*
 * A port in the file and another in GUICHET_PORT, and with 'flag' a third
 * in --port: the last source wins (file < environment < flag).
 */
static void
port_wins(int flag)
{
	const char	*extra[] = { "--config", NULL, NULL, NULL, NULL };
	const char	*env[] = { NULL, NULL };
	char		*path, *content, *envport, *flagport = NULL;
	int		 port[3], *p;	/* flag (maybe), environment, file */

	free_ports(port, 3);
	p = flag ? port : port + 1;
	content = harness_printf("port = %d\n", port[2]);
	path = config_file(flag ? "flagwins" : "envwins", content);
	envport = harness_printf("GUICHET_PORT=%d", port[1]);
	extra[1] = path;
	if (flag) {
		flagport = harness_printf("%d", port[0]);
		extra[2] = "--port";
		extra[3] = flagport;
	}
	env[0] = envport;
	answers_on(extra, env, p, flag ? 3 : 2, flag ? "the --port port" :
	    "the GUICHET_PORT port");
	free(path);
	free(content);
	free(envport);
	free(flagport);
}

START_TEST(test_config_env_overrides_file)
{
	port_wins(0);
}
END_TEST

START_TEST(test_config_flag_overrides_env)
{
	port_wins(1);
}
END_TEST

START_TEST(test_config_flag_equals_form)
{
	const char	*extra[] = { NULL, NULL };
	char		*flag;
	int		 port;

	free_ports(&port, 1);
	flag = harness_printf("--port=%d", port);
	extra[0] = flag;
	answers_on(extra, NULL, &port, 1, "--port=");
	free(flag);
}
END_TEST

START_TEST(test_config_unknown_flag)
{
	const char	*extra[] = { "--no-such-flag", "1", NULL };
	const char	*extra2[] = { "--prot=1", NULL };
	const char	*flag[] = { "no-such-flag", NULL };
	const char	*flag2[] = { "prot", NULL };

	refused(extra, NULL, flag);
	refused(extra2, NULL, flag2);
}
END_TEST

START_TEST(test_config_missing_file)
{
	const char	*extra[] = { "--config", NULL, NULL };
	const char	*named[] = { "does-not-exist.conf", NULL };
	char		*path;

	path = harness_printf("%s/does-not-exist.conf", harness_tmpdir());
	extra[1] = path;
	refused(extra, NULL, named);
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
