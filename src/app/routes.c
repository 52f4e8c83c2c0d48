/*
 * routes.c: THE route table.
 *
 * Every route of guichet is one line here: method, pattern, handler,
 * permission, input schema, flags.  The OpenAPI document (src/openapi.json)
 * must list exactly these routes, and the authorization matrix test walks
 * this table; both fail when a line is added without its counterpart.
 */
#include <stddef.h>

#include "app/app.h"
#include "base/conf.h"
#include "http/route.h"
#include "ops/ops.h"

static const struct route routes[] = {
	{ "GET",  "/healthz",		  ops_healthz, PERM_PUBLIC, NULL, 0, NULL },
	{ "GET",  "/readyz",		  ops_readyz,  PERM_PUBLIC, NULL, 0, NULL },
	{ "GET",  "/metrics",		  ops_metrics, PERM_PUBLIC, NULL, 0, NULL },
	{ "GET",  "/api/v1/openapi.json", ops_openapi, PERM_PUBLIC, NULL, 0, NULL },
};

void
app_init(const struct conf *c)
{
	(void)c;
	router_init(routes, sizeof(routes) / sizeof(routes[0]));
	ops_register();
}
