/*
 * ctl.c: guichetctl, the operator's tool.  Its own commands (migrate,
 * demo, modules, help) and every module's (core/module.h), found through
 * the one module list, initialised as guichetd initialises them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "app/app.h"
#include "app/cli.h"
#include "base/clock.h"
#include "base/conf.h"
#include "base/log.h"
#include "core/module.h"
#include "db/db.h"
#include "db/migrate.h"

extern char **environ;

static int	cmd_migrate(struct ctl_ctx *);
static int	cmd_demo(struct ctl_ctx *);
static int	cmd_modules(struct ctl_ctx *);
static int	cmd_help(struct ctl_ctx *);

static const struct ctl_command builtin[] = {
	{ "migrate", cmd_migrate, "migrate",
	  "apply pending schema migrations" },
	{ "demo", cmd_demo, "demo",
	  "load the demo town and its demo accounts (idempotent)" },
	{ "modules", cmd_modules, "modules",
	  "print the modules and what each registered" },
	{ "help", cmd_help, "help", "print this help" },
};

static void
usage_line(const struct ctl_command *c)
{
	printf("  %-30s %s\n", c->usage, c->help);
}

static int
cmd_help(struct ctl_ctx *ctl)
{
	const struct module	*m;
	size_t			 i, j;

	(void)ctl;
	printf("usage: guichetctl [--config PATH] [--SETTING VALUE]... "
	    "COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < NELEM(builtin); i++)
		usage_line(&builtin[i]);
	for (i = 0; (m = module_at(i)) != NULL; i++)
		for (j = 0; j < m->ncommands; j++)
			usage_line(&m->commands[j]);
	printf("\n");
	cli_print_settings();
	printf("\nSee guichetctl(8) and guichet.conf(5).\n");
	return (0);
}

static int
cmd_modules(struct ctl_ctx *ctl)
{
	(void)ctl;
	modules_describe(stdout);
	return (0);
}

static int
migrate_to_latest(struct ctl_ctx *ctl)
{
	struct migration_set	 set;
	char			 err[600];
	int			 applied;

	if (migrate_load(ctl->conf->sql_dir, &set, err, sizeof(err)) == -1) {
		fprintf(stderr, "guichetctl: %s\n", err);
		return (-1);
	}
	if (migrate_apply(ctl->db, &set, &applied, err, sizeof(err)) == -1) {
		fprintf(stderr, "guichetctl: %s\n", err);
		migrate_set_free(&set);
		return (-1);
	}
	printf("schema at version %d: %d migration%s applied\n",
	    migrate_latest(&set), applied, applied == 1 ? "" : "s");
	migrate_set_free(&set);
	return (0);
}

static int
cmd_migrate(struct ctl_ctx *ctl)
{
	return (migrate_to_latest(ctl));
}

/* The schema, sql/demo/, then each module's own demo data, in order. */
static int
cmd_demo(struct ctl_ctx *ctl)
{
	const struct module	*m;
	char			 dir[4096], err[600];
	size_t			 i;
	int			 ran;

	if (migrate_to_latest(ctl) == -1)
		return (-1);
	snprintf(dir, sizeof(dir), "%s/demo", ctl->conf->sql_dir);
	if (migrate_run_dir(ctl->db, dir, &ran, err, sizeof(err)) == -1) {
		fprintf(stderr, "guichetctl: %s\n", err);
		return (-1);
	}
	printf("demo town loaded (%d file%s)\n", ran, ran == 1 ? "" : "s");
	for (i = 0; (m = module_at(i)) != NULL; i++)
		if (m->demo != NULL && m->demo(ctl) == -1)
			return (-1);
	return (0);
}

static const struct ctl_command *
command_find(const char *name)
{
	const struct module	*m;
	size_t			 i, j;

	for (i = 0; i < NELEM(builtin); i++)
		if (strcmp(builtin[i].name, name) == 0)
			return (&builtin[i]);
	for (i = 0; (m = module_at(i)) != NULL; i++)
		for (j = 0; j < m->ncommands; j++)
			if (strcmp(m->commands[j].name, name) == 0)
				return (&m->commands[j]);
	return (NULL);
}

int
main(int argc, char **argv)
{
	static const char *const flags[] = { "version", "help", NULL };
	struct cli		 cli;
	struct ctl_ctx		 ctl;
	struct db_config	 dbc;
	enum log_level		 level;
	const struct ctl_command *cmd;
	char			 err[600];
	int			 rc = 1;

	if (cli_parse(&cli, argc, argv, environ, flags, 1, err, sizeof(err))
	    == -1) {
		fprintf(stderr, "guichetctl: %s\n", err);
		return (1);
	}
	memset(&ctl, 0, sizeof(ctl));
	ctl.conf = &cli.conf;
	if (cli.version) {
		printf("guichetctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		cli_cleanup(&cli);
		return (0);
	}
	(void)log_level_parse(cli.conf.log_level, &level);
	/* The operator reads guichetctl's output: only warnings on stderr. */
	log_init(level < LOG_LEVEL_WARN ? LOG_LEVEL_WARN : level,
	    STDERR_FILENO);
	(void)clock_configure(cli.conf.clock);
	dbc.conninfo = cli.conf.database;
	dbc.statement_timeout_ms = 0;	/* operator commands may be long */
	dbc.connect_timeout_s = cli.conf.db_connect_timeout;
	dbc.application_name = "guichetctl";
	/* The operator's commands act with the login role's own rights. */
	dbc.role = NULL;
	db_configure(&dbc);
	if (app_init(&cli.conf, MODULE_CTL, err, sizeof(err)) == -1) {
		fprintf(stderr, "guichetctl: %s\n", err);
		cli_cleanup(&cli);
		return (1);
	}
	if (cli.help || cli.nwords == 0) {
		cmd_help(&ctl);
		cli_cleanup(&cli);
		return (cli.help ? 0 : 1);
	}
	if ((cmd = command_find(cli.words[0])) == NULL) {
		fprintf(stderr, "guichetctl: unknown command '%s' (see "
		    "guichetctl help)\n", cli.words[0]);
		cli_cleanup(&cli);
		return (1);
	}
	ctl.db = db_open();
	ctl.argv = cli.words + 1;
	ctl.argc = cli.nwords - 1;
	rc = cmd->run(&ctl) == 0 ? 0 : 1;
	db_close(ctl.db);
	cli_cleanup(&cli);
	return (rc);
}
