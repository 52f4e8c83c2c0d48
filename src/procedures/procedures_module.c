/*
 * procedures_module.c: the procedures module's declaration
 * (core/module.h): the catalogue of procedures (démarches) that the
 * cases module files cases under (procedures.h).  Its routes, statements,
 * guichetctl command, demo procedures, problem codes, tables and the view
 * it lets the modules above read.  It holds nothing about people: no
 * privacy hooks.
 */
#include <stddef.h>

#include "auth/policy.h"
#include "core/module.h"
#include "http/reply.h"
#include "http/route.h"
#include "procedures/procedures_int.h"

static const struct route procedures_routes[] = {
	/* the catalogue, for everyone */
	{ .method = "GET", .pattern = "/api/v1/procedures",
	  .handler = procedures_list, .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = "/api/v1/procedures/{code}",
	  .handler = procedures_get_one, .perm = PERM_PUBLIC },
	/* administration */
	{ .method = "GET", .pattern = "/api/v1/admin/procedures",
	  .handler = procedures_admin_list, .perm = PERM_ADMIN },
	{ .method = "POST", .pattern = "/api/v1/admin/procedures",
	  .handler = procedures_admin_create, .perm = PERM_ADMIN,
	  .input = &procedures_definition_spec, .flags = ROUTE_BODY },
	{ .method = "GET", .pattern = "/api/v1/admin/procedures/{code}",
	  .handler = procedures_admin_get_one, .perm = PERM_ADMIN },
	{ .method = "PUT", .pattern = "/api/v1/admin/procedures/{code}",
	  .handler = procedures_admin_put, .perm = PERM_ADMIN,
	  .input = &procedures_definition_spec, .flags = ROUTE_BODY },
	{ .method = "PATCH", .pattern = "/api/v1/admin/procedures/{code}",
	  .handler = procedures_admin_patch, .perm = PERM_ADMIN,
	  .input = &procedures_patch_spec, .flags = ROUTE_BODY },
};

static const struct module_stmts *const procedures_stmt_tables[] = {
	&procedures_stmt_table, NULL
};

/*
 * The problem codes of the catalogue's answers (ARCHITECTURE.md, "Every
 * failure has a problem code").
 */
const struct errcode procedures_errors[PRE__COUNT] = {
	[PRE_NOT_FOUND] = { .code = "procedure_not_found",
	  .problem = PROB_NOT_FOUND, .detail = {
	    "aucune démarche n'a ce code",
	    "no procedure has this code",
	    "nessuna pratica ha questo codice" } },
	[PRE_VERSION_NOT_FOUND] = { .code = "procedure_version_not_found",
	  .problem = PROB_NOT_FOUND, .detail = {
	    "cette démarche n'a pas de version %s",
	    "this procedure has no version %s",
	    "questa pratica non ha una versione %s" } },
	[PRE_EXISTS] = { .code = "procedure_exists",
	  .problem = PROB_CONFLICT, .detail = {
	    "une démarche porte déjà ce code : modifiez-la avec PUT",
	    "a procedure already has this code: change it with PUT",
	    "una pratica ha già questo codice: modificarla con PUT" } },
	[PRE_CODE_MISMATCH] = { .code = "procedure_code_mismatch",
	  .problem = PROB_VALIDATION, .detail = {
	    "le code du corps doit être celui de l'adresse : %s",
	    "the body's code must be the one in the path: %s",
	    "il codice nel corpo deve essere quello del percorso: %s" } },
};

static const struct ctl_command procedures_commands[] = {
	{ .name = "procedures", .run = procedures_ctl,
	  .usage = "procedures import FILE.json",
	  .help = "add or change procedures from their definitions (a new "
	  "version only when one changed)" },
	{ .name = "procedures", .run = procedures_ctl,
	  .usage = "procedures export [CODE]",
	  .help = "print the current definition of one procedure, or of all" },
	{ .name = "procedures", .run = procedures_ctl,
	  .usage = "procedures list | retire CODE | restore CODE",
	  .help = "list procedures; stop or resume new cases of one" },
};

static const char *const procedures_tables[] = { "procedures.themes",
    "procedures.procedures", "procedures.versions", NULL };

/* What the modules above may read (besides procedures.h's functions). */
static const char *const procedures_exports[] = { "procedures.catalogue",
    "procedures.themes", NULL };

const struct module procedures_module = {
	.name = "procedures",
	.demo = procedures_demo,
	.stmts = procedures_stmt_tables,
	.routes = procedures_routes,
	.nroutes = NELEM(procedures_routes),
	.commands = procedures_commands,
	.ncommands = NELEM(procedures_commands),
	.errors = procedures_errors,
	.nerrors = PRE__COUNT,
	.tables = procedures_tables,
	.exports = procedures_exports,
	.openapi = "src/procedures/openapi.json",
};
