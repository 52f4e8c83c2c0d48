/*
 * shuttles_module.c: the shuttles module's declaration (core/module.h):
 * the town's shuttles from a GTFS static feed (routes, stops, the next
 * departures at a stop), the alerts operators post on them and their
 * GTFS-Realtime feed; guichetctl gtfs import and the demo town's feed.
 * It holds nothing about people: no privacy hooks.
 */
#include <stdio.h>
#include <string.h>

#include "auth/policy.h"
#include "base/clock.h"
#include "base/conf.h"
#include "core/module.h"
#include "http/reply.h"
#include "http/route.h"
#include "shuttles/shuttles_int.h"

char	shuttles_department[48] = "services_techniques";

static const struct route shuttles_routes[] = {
	{ .method = "GET", .pattern = "/api/v1/shuttles/routes",
	  .handler = shuttles_routes_list, .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = "/api/v1/shuttles/stops",
	  .handler = shuttles_stops_list, .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = "/api/v1/shuttles/stops/{id}/departures",
	  .handler = shuttles_departures_get, .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = "/api/v1/shuttles/alerts",
	  .handler = shuttles_alerts_list, .perm = PERM_PUBLIC },
	/*
	 * Operators: partner apps holding shuttles:write, staff of the
	 * department in charge (the setting, read by shuttles_init() into
	 * the array the routes point to).
	 */
	{ .method = "POST", .pattern = "/api/v1/shuttles/alerts",
	  .handler = shuttles_alert_post, .perm = PERM_OPERATOR,
	  .scope = SHUTTLES_SCOPE, .department = shuttles_department,
	  .input = &shuttles_alert_spec, .flags = ROUTE_BODY },
	{ .method = "DELETE", .pattern = "/api/v1/shuttles/alerts/{id}",
	  .handler = shuttles_alert_delete, .perm = PERM_OPERATOR,
	  .scope = SHUTTLES_SCOPE, .department = shuttles_department },
	/* for journey planners */
	{ .method = "GET", .pattern = "/gtfs-rt/alerts.pb",
	  .handler = shuttles_gtfs_rt, .perm = PERM_PUBLIC },
};

static const struct scope_def shuttles_scopes[] = {
	{ .name = SHUTTLES_SCOPE, .description = "post and remove alerts on "
	  "the shuttles (disruptions), published in the GTFS-Realtime feed" },
};

/* The setting shuttles_department (guichet.conf(5)). */
static int
shuttles_init(const struct module_env *env, char *err, size_t errlen)
{
	const char	*d = env->conf->shuttles_department;

	if (d == NULL || strlen(d) >= sizeof(shuttles_department)) {
		snprintf(err, errlen, "shuttles_department is not a "
		    "department's code");
		return (-1);
	}
	snprintf(shuttles_department, sizeof(shuttles_department), "%s", d);
	return (0);
}

static const struct module_stmts *const shuttles_stmt_tables[] = {
	&shuttles_stmt_table, NULL
};

const struct errcode shuttles_errors[SHE__COUNT] = {
	[SHE_NO_FEED] = { .code = "shuttles_no_feed",
	  .problem = PROB_NOT_FOUND, .detail = {
	    "aucun réseau de navettes n'a été importé",
	    "no shuttle network has been imported",
	    "nessuna rete di navette è stata importata" } },
	[SHE_STOP_NOT_FOUND] = { .code = "shuttle_stop_not_found",
	  .problem = PROB_NOT_FOUND, .detail = {
	    "aucun arrêt n'a cet identifiant",
	    "no stop has this id",
	    "nessuna fermata ha questo identificativo" } },
	[SHE_ALERT_NOT_FOUND] = { .code = "shuttle_alert_not_found",
	  .problem = PROB_NOT_FOUND, .detail = {
	    "aucune alerte n'a cet identifiant",
	    "no alert has this id",
	    "nessun avviso ha questo identificativo" } },
	[SHE_BAD_AT] = { .code = "shuttles_bad_at",
	  .problem = PROB_BAD_REQUEST, .detail = {
	    "at doit être un instant RFC 3339 (2026-12-20T08:30:00Z)",
	    "at must be an RFC 3339 instant (2026-12-20T08:30:00Z)",
	    "at deve essere un istante RFC 3339 (2026-12-20T08:30:00Z)" } },
	[SHE_BAD_NEAR] = { .code = "shuttles_bad_near",
	  .problem = PROB_BAD_REQUEST, .detail = {
	    "near doit être « latitude,longitude » et radius un nombre de "
	    "mètres de 1 à 50000, avec near",
	    "near must be \"latitude,longitude\" and radius a number of "
	    "metres from 1 to 50000, with near",
	    "near deve essere \"latitudine,longitudine\" e radius un numero "
	    "di metri da 1 a 50000, con near" } },
	[SHE_ALERT_NO_TARGET] = { .code = "shuttle_alert_no_target",
	  .problem = PROB_VALIDATION, .detail = {
	    "une alerte vise au moins une ligne ou un arrêt (route_ids, "
	    "stop_ids)",
	    "an alert informs about one route or stop at least (route_ids, "
	    "stop_ids)",
	    "un avviso riguarda almeno una linea o una fermata (route_ids, "
	    "stop_ids)" } },
	[SHE_ALERT_PERIOD] = { .code = "shuttle_alert_period",
	  .problem = PROB_VALIDATION, .detail = {
	    "une période de l'alerte finit avant de commencer",
	    "a period of the alert ends before it starts",
	    "un periodo dell'avviso finisce prima di iniziare" } },
	[SHE_ALERT_UNKNOWN] = { .code = "shuttle_alert_unknown",
	  .problem = PROB_VALIDATION, .detail = {
	    "pas dans le réseau importé : %s",
	    "not in the network imported: %s",
	    "non nella rete importata: %s" } },
};

/* guichetctl gtfs import PATH [--skip-errors] */
int
shuttles_ctl(struct ctl_ctx *ctl)
{
	struct import_summary	 sum;
	const char		*path = NULL;
	int			 skip = 0, i, rc;

	if (ctl->argc >= 2 && strcmp(ctl->argv[0], "import") == 0) {
		for (i = 1; i < ctl->argc; i++) {
			if (strcmp(ctl->argv[i], "--skip-errors") == 0)
				skip = 1;
			else if (path == NULL)
				path = ctl->argv[i];
			else
				path = NULL, i = ctl->argc;
		}
	}
	if (path == NULL) {
		fprintf(stderr, "usage: guichetctl gtfs import PATH "
		    "[--skip-errors]\n");
		return (-1);
	}
	rc = shuttles_import(ctl->db, path, skip, stderr, clock_now(), &sum);
	if (rc != 0)
		return (-1);
	printf("%s: %ld rows imported", path, sum.rows);
	if (sum.errors > 0)
		printf(", %ld rows with problems left out", sum.errors);
	printf("\n");
	return (0);
}

/*
 * guichetctl demo: the demo town's shuttles (sql/demo/gtfs/montgenevre),
 * unless a feed is there already (the demo's, or an operator's): running
 * the demo again changes nothing.
 */
int
shuttles_demo(struct ctl_ctx *ctl)
{
	struct import_summary	 sum;
	struct db_error		 err;
	struct db_res		*res;
	char			 dir[2048];
	int			 have;

	if (db_exec(ctl->db, SHUT_STMT(SS_FEED_GET), NULL, &res, &err) == -1) {
		fprintf(stderr, "guichetctl: the database is unavailable\n");
		return (-1);
	}
	have = db_res_rows(res) > 0;
	db_res_free(res);
	if (have) {
		printf("demo shuttles: a feed is imported already (kept)\n");
		return (0);
	}
	snprintf(dir, sizeof(dir), "%s/demo/gtfs/montgenevre",
	    ctl->conf->sql_dir);
	if (shuttles_import(ctl->db, dir, 0, stderr, clock_now(), &sum) != 0)
		return (-1);
	printf("demo shuttles: %ld rows imported\n", sum.rows);
	return (0);
}

static const struct ctl_command shuttles_commands[] = {
	{ .name = "gtfs", .run = shuttles_ctl,
	  .usage = "gtfs import PATH [--skip-errors]",
	  .help = "replace the shuttles' GTFS feed by the one of a directory "
	  "or a .zip (refused with file:line reasons unless --skip-errors)" },
};

static const char *const shuttles_tables[] = { "shuttles.feed",
    "shuttles.agencies", "shuttles.stops", "shuttles.routes",
    "shuttles.trips", "shuttles.stop_times", "shuttles.calendar",
    "shuttles.calendar_dates", "shuttles.frequencies", "shuttles.shapes",
    "shuttles.alerts", "shuttles.service_days", "shuttles.patterns",
    "shuttles.day_patterns", "shuttles.stop_patterns", NULL };

static const char *const shuttles_exports[] = { NULL };

const struct module shuttles_module = {
	.name = "shuttles",
	.init = shuttles_init,
	.demo = shuttles_demo,
	.stmts = shuttles_stmt_tables,
	.routes = shuttles_routes,
	.nroutes = NELEM(shuttles_routes),
	.scopes = shuttles_scopes,
	.nscopes = NELEM(shuttles_scopes),
	.commands = shuttles_commands,
	.ncommands = NELEM(shuttles_commands),
	.errors = shuttles_errors,
	.nerrors = SHE__COUNT,
	.tables = shuttles_tables,
	.exports = shuttles_exports,
	.openapi = "src/shuttles/openapi.json",
};
