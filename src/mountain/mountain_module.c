/*
 * mountain_module.c: the mountain module's declaration (core/module.h):
 * the ski area's lifts, slopes, snow report and lift passes (README,
 * "The mountain").  Its routes, statements, problem codes, commands, demo
 * and tables.  It holds nothing about people (operators are recorded by
 * id, like every act of staff): no privacy hooks.  It reads the
 * entitlements of the cases module through cases.h only.
 */
#include <stddef.h>

#include "auth/policy.h"
#include "core/module.h"
#include "http/reply.h"
#include "http/route.h"
#include "mountain/mountain_int.h"

#define OPERATOR \
	.perm = PERM_OPERATOR, .scope = "lifts:write", \
	.department = MOUNTAIN_DEPARTMENT

static const struct route mountain_routes[] = {
	{ .method = "GET", .pattern = "/api/v1/lifts",
	  .handler = mountain_lifts, .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = "/api/v1/lifts/{id}",
	  .handler = mountain_lift, .perm = PERM_PUBLIC },
	{ .method = "PUT", .pattern = "/api/v1/lifts/{id}/status",
	  .handler = mountain_lift_status, OPERATOR,
	  .input = &mountain_status_spec, .flags = ROUTE_BODY },
	{ .method = "POST", .pattern = "/api/v1/lifts/status",
	  .handler = mountain_batch_status, OPERATOR,
	  .input = &mountain_batch_spec, .flags = ROUTE_BODY },
	{ .method = "GET", .pattern = "/api/v1/slopes",
	  .handler = mountain_slopes, .perm = PERM_PUBLIC },
	{ .method = "PUT", .pattern = "/api/v1/slopes/{id}/status",
	  .handler = mountain_slope_status, OPERATOR,
	  .input = &mountain_slope_status_spec, .flags = ROUTE_BODY },
	{ .method = "GET", .pattern = "/api/v1/snow-report",
	  .handler = mountain_snow_get, .perm = PERM_PUBLIC },
	{ .method = "PUT", .pattern = "/api/v1/snow-report",
	  .handler = mountain_snow_put, OPERATOR,
	  .input = &mountain_snow_spec, .flags = ROUTE_BODY },
	{ .method = "GET", .pattern = "/api/v1/lift-passes",
	  .handler = mountain_passes, .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = "/api/v1/lift-passes/quote",
	  .handler = mountain_quote, .perm = PERM_PUBLIC },
	/* the reference data (reference.c), for the same operator */
	{ .method = "GET", .pattern = "/api/v1/admin/mountain",
	  .handler = mountain_admin_get, OPERATOR },
	{ .method = "PUT", .pattern = "/api/v1/admin/mountain",
	  .handler = mountain_admin_put, OPERATOR,
	  .input = &mountain_reference_spec, .flags = ROUTE_BODY,
	  .body_max = 8 * 1024 * 1024 },
};

static const struct module_stmts *const mountain_stmt_tables[] = {
	&mountain_stmt_table, &mountain_ref_stmt_table, NULL
};

const struct errcode mountain_errors[MTE__COUNT] = {
	[MTE_LIFT_NOT_FOUND] = { .code = "lift_not_found",
	  .problem = PROB_NOT_FOUND, .detail = {
	    "aucune remontée mécanique n'a cet identifiant",
	    "no lift has this id",
	    "nessun impianto di risalita ha questo identificativo" } },
	[MTE_SLOPE_NOT_FOUND] = { .code = "slope_not_found",
	  .problem = PROB_NOT_FOUND, .detail = {
	    "aucune piste n'a cet identifiant",
	    "no slope has this id",
	    "nessuna pista ha questo identificativo" } },
	[MTE_NO_SNOW_REPORT] = { .code = "snow_report_not_found",
	  .problem = PROB_NOT_FOUND, .detail = {
	    "aucun bulletin d'enneigement n'a encore été publié",
	    "no snow report has been published yet",
	    "nessun bollettino neve è stato ancora pubblicato" } },
	[MTE_BATCH_INVALID] = { .code = "status_batch_invalid",
	  .problem = PROB_VALIDATION, .detail = {
	    "%s éléments du lot sont invalides : rien n'a été changé",
	    "%s items of the batch are invalid: nothing was changed",
	    "%s elementi del lotto non sono validi: nulla è stato cambiato" } },
	[MTE_PRODUCT_NOT_FOUND] = { .code = "lift_pass_not_found",
	  .problem = PROB_NOT_FOUND, .detail = {
	    "aucun forfait n'a ce code",
	    "no lift pass has this code",
	    "nessuno skipass ha questo codice" } },
	[MTE_QUOTE_INVALID] = { .code = "lift_pass_quote_invalid",
	  .problem = PROB_VALIDATION, .detail = {
	    "pas de prix pour cette demande : %s",
	    "no price for this request: %s",
	    "nessun prezzo per questa richiesta: %s" } },
	[MTE_REFERENCE_INVALID] = { .code = "mountain_reference_invalid",
	  .problem = PROB_VALIDATION, .detail = {
	    "le document a %s problèmes : rien n'a été changé",
	    "the document has %s problems: nothing was changed",
	    "il documento ha %s problemi: nulla è stato cambiato" } },
};

static const struct ctl_command mountain_commands[] = {
	{ .name = "mountain", .run = mountain_ctl,
	  .usage = "mountain status lift|slope ID STATUS [REASON_FR "
	  "[EXPECTED_AT]]",
	  .help = "set the status of a lift or a slope (kept in the history, "
	  "pushed to the live stream)" },
	{ .name = "mountain", .run = mountain_ctl,
	  .usage = "mountain import [--dry-run] FILE.json",
	  .help = "replace the lifts, slopes, seasons, age bands and lift "
	  "passes with a document, all or nothing (statuses and history "
	  "kept)" },
	{ .name = "mountain", .run = mountain_ctl,
	  .usage = "mountain export",
	  .help = "print the reference data of the mountain as the document "
	  "import reads" },
};

static const char *const mountain_tables[] = { "mountain.lifts",
    "mountain.slopes", "mountain.slope_lifts", "mountain.status_history",
    "mountain.snow_reports", "mountain.seasons", "mountain.pass_products",
    "mountain.pass_prices", "mountain.age_bands", NULL };

const struct module mountain_module = {
	.name = "mountain",
	.demo = mountain_demo,
	.stmts = mountain_stmt_tables,
	.routes = mountain_routes,
	.nroutes = NELEM(mountain_routes),
	.commands = mountain_commands,
	.ncommands = NELEM(mountain_commands),
	.errors = mountain_errors,
	.nerrors = MTE__COUNT,
	.tables = mountain_tables,
	.openapi = "src/mountain/openapi.json",
};
