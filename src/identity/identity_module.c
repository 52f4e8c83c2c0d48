/*
 * identity_module.c: the identity module's declaration (core/module.h):
 * accounts, tokens, agents, partner clients.  Its routes, statements,
 * privacy hooks, guichetctl commands and the partner scopes.
 */
#include <stddef.h>

#include "auth/policy.h"
#include "core/module.h"
#include "http/route.h"
#include "identity/identity.h"
#include "identity/identity_int.h"

#define B	ROUTE_BODY
#define SLOW	(ROUTE_BODY | ROUTE_SLOW)

static const struct route identity_routes[] = {
	/* accounts and tokens */
	{ .method = "POST", .pattern = "/api/v1/accounts",
	  .handler = identity_register, .perm = PERM_PUBLIC,
	  .input = &identity_register_spec, .flags = SLOW },
	{ .method = "POST", .pattern = "/api/v1/accounts/verify",
	  .handler = identity_verify_email, .perm = PERM_PUBLIC,
	  .input = &identity_verify_spec, .flags = B },
	{ .method = "POST", .pattern = "/api/v1/auth/token",
	  .handler = identity_token, .perm = PERM_PUBLIC,
	  .input = &identity_token_spec,
	  .flags = SLOW | ROUTE_FORM | ROUTE_NO_REPLAY },
	{ .method = "POST", .pattern = "/api/v1/auth/logout",
	  .handler = identity_logout, .perm = PERM_SELF,
	  .input = &identity_logout_spec, .flags = B | ROUTE_BODY_OPTIONAL },
	{ .method = "POST", .pattern = "/api/v1/auth/password-reset",
	  .handler = identity_password_reset, .perm = PERM_PUBLIC,
	  .input = &identity_reset_spec, .flags = B },
	{ .method = "POST", .pattern = "/api/v1/auth/password-reset/confirm",
	  .handler = identity_password_reset_confirm, .perm = PERM_PUBLIC,
	  .input = &identity_reset_confirm_spec, .flags = SLOW },
	{ .method = "GET", .pattern = "/.well-known/jwks.json",
	  .handler = identity_jwks, .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = "/api/v1/me",
	  .handler = identity_me_get, .perm = PERM_SELF },
	{ .method = "PATCH", .pattern = "/api/v1/me",
	  .handler = identity_me_patch, .perm = PERM_SELF,
	  .input = &identity_me_patch_spec, .flags = B },
	{ .method = "POST", .pattern = "/api/v1/me/password",
	  .handler = identity_me_password, .perm = PERM_SELF,
	  .input = &identity_password_spec, .flags = SLOW },
	{ .method = "POST", .pattern = "/api/v1/me/totp",
	  .handler = identity_totp_enrol, .perm = PERM_SELF,
	  .flags = ROUTE_NO_REPLAY },
	{ .method = "POST", .pattern = "/api/v1/me/totp/verify",
	  .handler = identity_totp_confirm, .perm = PERM_SELF,
	  .input = &identity_totp_spec, .flags = B },
	/* administration */
	{ .method = "GET", .pattern = "/api/v1/admin/agents",
	  .handler = identity_admin_agents_list, .perm = PERM_ADMIN },
	{ .method = "POST", .pattern = "/api/v1/admin/agents",
	  .handler = identity_admin_agents_create, .perm = PERM_ADMIN,
	  .input = &identity_agent_create_spec, .flags = B },
	{ .method = "PATCH", .pattern = "/api/v1/admin/agents/{id}",
	  .handler = identity_admin_agents_patch, .perm = PERM_ADMIN,
	  .input = &identity_agent_patch_spec, .flags = B },
	{ .method = "POST", .pattern = "/api/v1/admin/agents/{id}/block",
	  .handler = identity_admin_agents_block, .perm = PERM_ADMIN },
	{ .method = "POST", .pattern = "/api/v1/admin/agents/{id}/totp/reset",
	  .handler = identity_admin_agents_totp_reset, .perm = PERM_ADMIN },
};

static const struct module_stmts *const identity_stmt_tables[] = {
	&identity_stmt_table, &identity_privacy_stmt_table, NULL
};

static const struct ctl_command identity_commands[] = {
	{ "agent", identity_ctl_agent, "agent add EMAIL [--name N] "
	  "[--roles r,..] [--departments d,..]",
	  "create an agent (invited by email)" },
	{ "agent", identity_ctl_agent, "agent list | agent block ID | "
	  "agent reset-totp ID", "list agents, block one (revokes its "
	  "tokens), or remove its lost second factor (it enrols again)" },
	{ "client", identity_ctl_client, "client add NAME --scopes s,.. "
	  "[--rate-limit N]", "create a partner app; prints its secret once" },
	{ "client", identity_ctl_client, "client list | client revoke ID",
	  "list partner apps, revoke one" },
	{ "keys", identity_ctl_keys, "keys rotate [--alg HS256|ES256|RS256]",
	  "add a new token signing key (the previous one still verifies)" },
};

/*
 * The partner scopes of the modules announced in the road map (cases,
 * incidents and Open311, mobility): each moves to its module's
 * declaration when that module lands, with the routes that need it.
 */
static const struct scope_def identity_scopes[] = {
	{ "incidents:read", "read incident reports (signalements)" },
	{ "incidents:write", "file and update incident reports" },
	{ "lifts:write", "set the status of lifts and slopes, the snow report" },
	{ "shuttles:write", "publish shuttle timetables and alerts" },
	{ "cases:read", "read the cases (démarches) a partner handles" },
	{ "open311", "the Open311 GeoReport v2 API" },
};

static const char *const identity_tables[] = { "identity.accounts",
    "identity.departments", "identity.agents", "identity.agent_departments",
    "identity.clients", "identity.refresh_tokens",
    "identity.one_time_tokens", "identity.auth_throttle", NULL };

/* What the modules above may read (besides identity.h's functions). */
static const char *const identity_exports[] = { "identity.directory",
    "identity.departments", "identity.agent_departments",
    "identity.client_names", NULL };

const struct module identity_module = {
	.name = "identity",
	.init = identity_init,
	.demo = identity_ctl_demo,
	.stmts = identity_stmt_tables,
	.routes = identity_routes,
	.nroutes = NELEM(identity_routes),
	.privacy = &identity_privacy_hooks,
	.commands = identity_commands,
	.ncommands = NELEM(identity_commands),
	.scopes = identity_scopes,
	.nscopes = NELEM(identity_scopes),
	.tables = identity_tables,
	.exports = identity_exports,
	.openapi = "src/identity/openapi.json",
};
