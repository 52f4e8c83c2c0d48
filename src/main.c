/*
 * main.c: guichetd's lifecycle: configuration, migrations check, the HTTP
 * server, and a clean stop on SIGTERM/SIGINT.  Nothing else lives here.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#include "app/app.h"
#include "app/cli.h"
#include "base/clock.h"
#include "base/log.h"
#include "db/db.h"
#include "db/notify.h"
#include "db/migrate.h"
#include "http/live.h"
#include "http/server.h"
#include "ops/ops.h"

extern char **environ;

static void
usage(void)
{
	printf("usage: guichetd [--config PATH] [--migrate] [--modules] "
	    "[--version] [--help] [--SETTING VALUE]...\n\n"
	    "Serves guichet's HTTP API in the foreground; logs JSON lines on "
	    "stderr.\n"
	    "  --config PATH  configuration file (default %s)\n"
	    "  --migrate      apply pending schema migrations and exit\n"
	    "  --modules      print the modules and what each registered, "
	    "and exit\n"
	    "  --version      print the version and exit\n"
	    "  --help         print this help and exit\n\n",
	    CLI_DEFAULT_CONFIG);
	cli_print_settings();
	printf("\nSee guichetd(8) and guichet.conf(5).\n");
}

static int
auto_threads(int configured)
{
	long	 n;

	if (configured > 0)
		return (configured);
	/* Each thread blocks on its own database connection: oversubscribe. */
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	n *= 4;
	return ((int)(n < 4 ? 4 : n > 64 ? 64 : n));
}

int
main(int argc, char **argv)
{
	static const char *const flags[] = { "migrate", "modules", "version",
	    "help", NULL };
	struct cli		 cli;
	struct conf		*c;
	struct db_config	 dbc;
	struct server_config	 sc;
	struct migration_set	 set;
	struct migrate_status	 st;
	struct db		*db;
	enum log_level		 level;
	sigset_t		 sigs;
	char			 err[600];
	int			 sig, applied, rc = 1;

	if (cli_parse(&cli, argc, argv, environ, flags, 0, err, sizeof(err))
	    == -1) {
		fprintf(stderr, "guichetd: %s\n", err);
		return (1);
	}
	if (cli.help) {
		usage();
		cli_cleanup(&cli);
		return (0);
	}
	if (cli.version) {
		printf("guichetd (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
		cli_cleanup(&cli);
		return (0);
	}
	if (cli.nwords > 0) {
		fprintf(stderr, "guichetd: unexpected argument '%s' (see "
		    "--help)\n", cli.words[0]);
		cli_cleanup(&cli);
		return (1);
	}
	c = &cli.conf;
	(void)log_level_parse(c->log_level, &level);
	log_init(level, STDERR_FILENO);
	(void)clock_configure(c->clock);
	dbc.conninfo = c->database;
	dbc.statement_timeout_ms = c->statement_timeout;
	dbc.connect_timeout_s = c->db_connect_timeout;
	dbc.application_name = "guichetd";
	dbc.role = c->database_role;
	db_configure(&dbc);
	if (cli.modules) {
		/* What a serving guichetd registers, without serving. */
		if (app_init(c, MODULE_SERVER, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			goto out;
		}
		modules_describe(stdout);
		rc = 0;
		goto out;
	}

	if (migrate_load(c->sql_dir, &set, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		goto out;
	}
	db = db_open();
	if (cli.migrate) {
		if (migrate_apply(db, &set, &applied, err, sizeof(err)) == -1)
			log_warnx("%s", err);
		else {
			log_info("schema at version %d: %d migration%s applied",
			    migrate_latest(&set), applied,
			    applied == 1 ? "" : "s");
			rc = 0;
		}
		db_close(db);
		migrate_set_free(&set);
		goto out;
	}
	if (migrate_status(db, &set, &st, err, sizeof(err)) == -1)
		log_warnx("%s: starting anyway; /readyz reports when the "
		    "database is ready", err);
	else if (st.changed[0] != '\0') {
		log_warnx("migration %s was changed after it was applied; "
		    "refusing to serve", st.changed);
		goto fail;
	} else if (st.unknown[0] != '\0') {
		log_warnx("the database has migration %s, which this guichetd "
		    "does not know: upgrade guichetd", st.unknown);
		goto fail;
	} else if (st.pending > 0) {
		log_warnx("the database schema is behind this guichetd (%zu "
		    "migration%s pending): run guichetd --migrate first",
		    st.pending, st.pending == 1 ? "" : "s");
		goto fail;
	}
	db_close(db);
	db = NULL;
	ops_set_expected_schema(migrate_latest(&set), (int)set.n);
	migrate_set_free(&set);

	if (app_init(c, MODULE_SERVER, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		goto out;
	}
	sc.listen_address = c->listen_address;
	sc.port = c->port;
	sc.threads = auto_threads(c->threads);
	sc.connection_limit = c->connection_limit;
	sc.per_ip_connection_limit = c->per_ip_connection_limit;
	sc.connection_timeout = c->connection_timeout;
	sc.connection_memory_limit = c->connection_memory_limit;
	sc.header_timeout = c->header_timeout;
	sc.header_connection_limit = c->header_connection_limit;
	sc.body_max = (size_t)c->body_max;
	sc.upload_max = (size_t)c->upload_max;
	sc.upload_memory = (size_t)c->upload_memory;
	sc.json_max_depth = (size_t)c->json_max_depth;
	sc.slow_threads = c->slow_threads > 0 ? c->slow_threads :
	    (int)(sysconf(_SC_NPROCESSORS_ONLN) > 1 ?
	    sysconf(_SC_NPROCESSORS_ONLN) / 2 : 1);
	sc.slow_queue = c->slow_queue;
	sc.slow_queue_per_address = c->slow_queue_per_address;
	sc.list_threads = c->list_threads > 0 ? c->list_threads : sc.threads;
	sc.list_queue = c->list_queue;
	sc.list_queue_per_address = c->list_queue_per_address;
	sc.trusted_proxy = c->trusted_proxy;
	sc.live_limit = c->live_limit;

	/* Worker threads inherit this mask: only this thread takes signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	modules_start();
	notify_start();
	live_heartbeat(c->live_heartbeat);
	live_start();
	if (server_start(&sc) == -1) {
		live_stop();
		modules_stop();
		notify_stop();
		goto out;
	}
	log_info("guichetd %s listening on %s port %d with %d threads (each "
	    "with its own database connection), %d on the slow lane and %d "
	    "on the list lane", PACKAGE_VERSION, c->listen_address, c->port,
	    sc.threads, sc.slow_threads, sc.list_threads);
	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig == SIGINT || sig == SIGTERM)
			break;
		/* The key file reloads itself; the rest needs a restart. */
		if (sig == SIGHUP)
			log_info("SIGHUP ignored: token keys are reloaded when "
			    "their file changes; other settings need a restart");
	}
	log_info("received %s: finishing requests in flight",
	    sig == SIGINT ? "SIGINT" : "SIGTERM");
	modules_stop();
	server_stop(c->shutdown_timeout);
	live_stop();
	notify_stop();
	log_info("stopped");
	db_thread_close();
	rc = 0;
	goto out;
fail:
	db_close(db);
	migrate_set_free(&set);
out:
	cli_cleanup(&cli);
	return (rc);
}
