/*
 * open311_module.c: the open311 module's declaration (core/module.h): the
 * Open311 GeoReport v2 server over the incidents module's reports
 * (guichet-open311(7)).
 *
 * Its place in src/app/modules.c: after incidents, whose interface it
 * calls (incidents.h, incidents_open311.h), and after identity (partner
 * clients: an api_key is "client_id:client_secret" of a client holding
 * the open311 scope, which identity declares).
 *
 * Every route is public for the router: the GETs need no key, and a POST
 * checks its api_key itself, because Open311 sends it in the form and
 * wants its own 403; the decision is still policy_allows()'s (PERM_SCOPE,
 * "open311") on the principal identity_client_check() builds.  The
 * format is the suffix of the path: ".xml" or ".json", two routes for
 * the fixed paths, one parameter route for the others.
 */
#include <stdio.h>

#include "base/conf.h"
#include "core/module.h"
#include "http/reply.h"
#include "http/route.h"
#include "open311/open311_int.h"

#define FORM	(ROUTE_BODY | ROUTE_FORM | ROUTE_BODY_OPTIONAL)
#define GET(p, h)	{ .method = "GET", .pattern = "/open311/v2/" p, \
	  .handler = (h), .perm = PERM_PUBLIC }
/* a list of many requests or updates: the list lane (http/server.h) */
#define LIST(p, h)	{ .method = "GET", .pattern = "/open311/v2/" p, \
	  .handler = (h), .perm = PERM_PUBLIC, .flags = ROUTE_LIST }
#define POST(p, h)	{ .method = "POST", .pattern = "/open311/v2/" p, \
	  .handler = (h), .perm = PERM_PUBLIC, .flags = FORM }

struct open311_config	open311_config;

static const struct route open311_routes[] = {
	GET("discovery.xml", open311_h_discovery),
	GET("discovery.json", open311_h_discovery),
	GET("services.xml", open311_h_services),
	GET("services.json", open311_h_services),
	GET("services/{service_code}", open311_h_service),
	LIST("requests.xml", open311_h_requests),
	LIST("requests.json", open311_h_requests),
	POST("requests.xml", open311_h_request_post),
	POST("requests.json", open311_h_request_post),
	GET("requests/{service_request_id}", open311_h_request),
	GET("tokens/{token}", open311_h_token),
	LIST("servicerequestupdates.xml", open311_h_updates),
	LIST("servicerequestupdates.json", open311_h_updates),
	POST("servicerequestupdates.xml", open311_h_update_post),
	POST("servicerequestupdates.json", open311_h_update_post),
};

static int
open311_init(const struct module_env *env, char *err, size_t errlen)
{
	snprintf(open311_config.jurisdiction,
	    sizeof(open311_config.jurisdiction), "%s",
	    env->conf->open311_jurisdiction != NULL ?
	    env->conf->open311_jurisdiction : "");
	snprintf(open311_config.public_url, sizeof(open311_config.public_url),
	    "%s", env->conf->public_url != NULL ? env->conf->public_url : "");
	if (reply_error_writer_add("/open311/v2", open311_error_writer) ==
	    -1) {
		snprintf(err, errlen, "open311: no room for its error writer");
		return (-1);
	}
	return (0);
}

static const struct module_stmts *const open311_stmt_tables[] = {
	&open311_stmt_table, NULL
};

static const char *const open311_tables[] = { "open311.requests",
    "open311.updates", NULL };

const struct module open311_module = {
	.name = "open311",
	.init = open311_init,
	.stmts = open311_stmt_tables,
	.routes = open311_routes,
	.nroutes = NELEM(open311_routes),
	.privacy = &open311_privacy_hooks,
	.tables = open311_tables,
	.openapi = "src/open311/openapi.json",
};
