/*
 * ctl.c: guichetctl, the operator's tool.  Each command is one entry of a
 * table; the shared code (configuration, database, migrations) is the
 * library's, the same as guichetd's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "app/cli.h"
#include "base/clock.h"
#include "base/log.h"
#include "db/db.h"
#include "db/migrate.h"
#include "identity/identity.h"
#include "privacy/erase.h"
#include "privacy/export.h"
#include "privacy/privacy.h"
#include "privacy/retention.h"

extern char **environ;

struct ctl {
	struct cli	*cli;
	struct db	*db;
	char		**args;		/* the command's own arguments */
	int		 nargs;
};

struct command {
	const char	*name;
	int		(*fn)(struct ctl *);
	const char	*usage;
	const char	*help;
};

static int	cmd_migrate(struct ctl *);
static int	cmd_demo(struct ctl *);
static int	cmd_help(struct ctl *);
static int	cmd_agent(struct ctl *);
static int	cmd_client(struct ctl *);
static int	cmd_keys(struct ctl *);
static int	cmd_outbox(struct ctl *);
static int	cmd_privacy(struct ctl *);
static int	privacy_export_ctl(struct ctl *);

static const struct command commands[] = {
	{ "migrate", cmd_migrate, "migrate",
	  "apply pending schema migrations" },
	{ "demo", cmd_demo, "demo",
	  "load the demo town and its demo accounts (idempotent)" },
	{ "agent", cmd_agent, "agent add EMAIL [--name N] [--roles r,..] "
	  "[--departments d,..]", "create an agent (invited by email)" },
	{ "agent", cmd_agent, "agent list | agent block ID | agent reset-totp ID",
	  "list agents, block one (revokes its tokens), or remove its lost "
	  "second factor (it enrols again)" },
	{ "client", cmd_client, "client add NAME --scopes s,.. "
	  "[--rate-limit N]", "create a partner app; prints its secret once" },
	{ "client", cmd_client, "client list | client revoke ID",
	  "list partner apps, revoke one" },
	{ "keys", cmd_keys, "keys rotate [--alg HS256|ES256|RS256]",
	  "add a new token signing key (the previous one still verifies)" },
	{ "outbox", cmd_outbox, "outbox list",
	  "show the messages waiting to be sent" },
	{ "privacy", cmd_privacy, "privacy export EMAIL [--lang fr|en|it]",
	  "print everything held about a person (Art. 15, 20) as JSON" },
	{ "privacy", cmd_privacy, "privacy purge",
	  "delete or anonymise what is past its retention (prints counts)" },
	{ "help", cmd_help, "help", "print this help" },
};

/* Commands that use the identity layer need its statements and costs. */
static int
identity_ready(struct ctl *ctl)
{
	char	 err[600];

	if (identity_init(&ctl->cli->conf, err, sizeof(err)) == -1 &&
	    strstr(err, "jwt_key_file") == NULL && strstr(err, "key") == NULL) {
		fprintf(stderr, "guichetctl: %s\n", err);
		return (-1);
	}
	return (0);
}

static int
cmd_agent(struct ctl *ctl)
{
	if (identity_ready(ctl) == -1)
		return (-1);
	return (identity_ctl_agent(ctl->db, &ctl->cli->conf, ctl->args,
	    ctl->nargs));
}

static int
cmd_client(struct ctl *ctl)
{
	if (identity_ready(ctl) == -1)
		return (-1);
	return (identity_ctl_client(ctl->db, &ctl->cli->conf, ctl->args,
	    ctl->nargs));
}

static int
cmd_keys(struct ctl *ctl)
{
	return (identity_ctl_keys(ctl->db, &ctl->cli->conf, ctl->args,
	    ctl->nargs));
}

static int
cmd_outbox(struct ctl *ctl)
{
	if (identity_ready(ctl) == -1)
		return (-1);
	return (identity_ctl_outbox(ctl->db, &ctl->cli->conf, ctl->args,
	    ctl->nargs));
}

static int
cmd_privacy(struct ctl *ctl)
{
	if (identity_ready(ctl) == -1)
		return (-1);
	privacy_init();
	privacy_erase_init();
	/* The hooks: the purge erases inactive accounts through them. */
	privacy_export_init(&ctl->cli->conf);
	identity_privacy_register();
	privacy_privacy_register();
	retention_set_anonymiser(retention_erase_account);
	if (ctl->nargs >= 1 && strcmp(ctl->args[0], "purge") == 0)
		return (privacy_purge_ctl(ctl->db, &ctl->cli->conf,
		    ctl->args + 1, ctl->nargs - 1));
	if (ctl->nargs >= 2 && strcmp(ctl->args[0], "export") == 0)
		return (privacy_export_ctl(ctl));
	fprintf(stderr, "usage: guichetctl privacy purge | "
	    "privacy export EMAIL [--lang fr|en|it]\n");
	return (-1);
}

/* guichetctl privacy export EMAIL [--lang fr|en|it]: the JSON on stdout. */
static int
privacy_export_ctl(struct ctl *ctl)
{
	struct db_error	 err;
	const char	*lang = NULL;
	char		 id[40];
	int		 rc;

	if (ctl->nargs >= 4 && strcmp(ctl->args[2], "--lang") == 0)
		lang = ctl->args[3];
	if (lang != NULL && strcmp(lang, "fr") != 0 && strcmp(lang, "en") != 0
	    && strcmp(lang, "it") != 0) {
		fprintf(stderr, "guichetctl: --lang is fr, en or it\n");
		return (-1);
	}
	rc = identity_privacy_find(ctl->db, ctl->args[1], id, sizeof(id),
	    &err);
	if (rc == -1) {
		fprintf(stderr, "guichetctl: the database is unavailable\n");
		return (-1);
	}
	if (rc == 1 || (rc = privacy_export_to_file(ctl->db, id, lang,
	    stdout)) == 1) {
		fprintf(stderr, "guichetctl: no account has this email\n");
		return (-1);
	}
	return (rc);
}

#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static int
cmd_help(struct ctl *ctl)
{
	size_t	 i;

	(void)ctl;
	printf("usage: guichetctl [--config PATH] [--SETTING VALUE]... "
	    "COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		printf("  %-30s %s\n", commands[i].usage, commands[i].help);
	printf("\n");
	cli_print_settings();
	printf("\nSee guichetctl(8) and guichet.conf(5).\n");
	return (0);
}

static int
migrate_to_latest(struct ctl *ctl)
{
	struct migration_set	 set;
	char			 err[600];
	int			 applied;

	if (migrate_load(ctl->cli->conf.sql_dir, &set, err, sizeof(err))
	    == -1) {
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
cmd_migrate(struct ctl *ctl)
{
	return (migrate_to_latest(ctl));
}

static int
cmd_demo(struct ctl *ctl)
{
	char	 dir[4096], err[600];
	int	 ran;

	if (migrate_to_latest(ctl) == -1)
		return (-1);
	snprintf(dir, sizeof(dir), "%s/demo", ctl->cli->conf.sql_dir);
	if (migrate_run_dir(ctl->db, dir, &ran, err, sizeof(err)) == -1) {
		fprintf(stderr, "guichetctl: %s\n", err);
		return (-1);
	}
	printf("demo town loaded (%d file%s)\n", ran, ran == 1 ? "" : "s");
	if (identity_ready(ctl) == -1)
		return (-1);
	return (identity_ctl_demo(ctl->db, &ctl->cli->conf));
}

int
main(int argc, char **argv)
{
	static const char *const flags[] = { "version", "help", NULL };
	struct cli		 cli;
	struct ctl		 ctl;
	struct db_config	 dbc;
	enum log_level		 level;
	const struct command	*cmd = NULL;
	char			 err[600];
	size_t			 i;
	int			 rc = 1;

	if (cli_parse(&cli, argc, argv, environ, flags, 1, err, sizeof(err))
	    == -1) {
		fprintf(stderr, "guichetctl: %s\n", err);
		return (1);
	}
	memset(&ctl, 0, sizeof(ctl));
	ctl.cli = &cli;
	if (cli.version) {
		printf("guichetctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		cli_cleanup(&cli);
		return (0);
	}
	if (cli.help || cli.nwords == 0) {
		cmd_help(&ctl);
		cli_cleanup(&cli);
		return (cli.help ? 0 : 1);
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, cli.words[0]) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "guichetctl: unknown command '%s' (see "
		    "guichetctl help)\n", cli.words[0]);
		cli_cleanup(&cli);
		return (1);
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
	ctl.db = db_open();
	ctl.args = cli.words + 1;
	ctl.nargs = cli.nwords - 1;
	rc = cmd->fn(&ctl) == 0 ? 0 : 1;
	db_close(ctl.db);
	cli_cleanup(&cli);
	return (rc);
}
