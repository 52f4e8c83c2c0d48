/*
 * incidents_module.c: the incidents module's declaration (core/module.h):
 * signalements, reports of problems in the public space (incidents.h).
 *
 * Its place in src/app/modules.c: after identity (the people and the
 * departments: identity_mail(), identity.directory,
 * identity.agent_departments) and privacy (the access log it records
 * through core/access.h, the export and erasure drivers); and after
 * cases, which it does not use.
 */
#include <stdio.h>
#include <string.h>

#include "auth/policy.h"
#include "base/conf.h"
#include "core/module.h"
#include "http/route.h"
#include "incidents/incidents_int.h"
#include "incidents/incidents_open311.h"

#define B	ROUTE_BODY

struct incidents_config	incidents_config;

static const struct route incidents_routes[] = {
	{ .method = "GET", .pattern = "/api/v1/incidents/categories",
	  .handler = incidents_h_categories, .perm = PERM_PUBLIC },
	{ .method = "POST", .pattern = "/api/v1/incidents",
	  .handler = incidents_h_create, .perm = PERM_PUBLIC,
	  .input = &incidents_create_spec, .flags = B },
	{ .method = "GET", .pattern = "/api/v1/incidents",
	  .handler = incidents_h_map, .perm = PERM_PUBLIC,
	  .flags = ROUTE_LIST },
	{ .method = "GET", .pattern = "/api/v1/incidents/board",
	  .handler = incidents_h_board, .perm = PERM_AGENT,
	  .flags = ROUTE_LIST },
	{ .method = "POST",
	  .pattern = "/api/v1/incidents/contact-confirmations",
	  .handler = incidents_h_confirm, .perm = PERM_PUBLIC,
	  .input = &incidents_confirm_spec, .flags = B },
	{ .method = "GET", .pattern = "/api/v1/incidents/{id}",
	  .handler = incidents_h_get, .perm = PERM_PUBLIC },
	{ .method = "PATCH", .pattern = "/api/v1/incidents/{id}",
	  .handler = incidents_h_patch, .perm = PERM_AGENT,
	  .input = &incidents_patch_spec, .flags = B },
	{ .method = "GET", .pattern = "/api/v1/incidents/{id}/details",
	  .handler = incidents_h_details, .perm = PERM_AGENT },
	{ .method = "POST", .pattern = "/api/v1/incidents/{id}/supporters",
	  .handler = incidents_h_support, .perm = PERM_SELF },
	{ .method = "POST", .pattern = "/api/v1/incidents/{id}/transitions",
	  .handler = incidents_h_transition, .perm = PERM_AGENT,
	  .input = &incidents_transition_spec, .flags = B },
	{ .method = "POST", .pattern = "/api/v1/incidents/{id}/photos",
	  .handler = incidents_h_photo_post, .perm = PERM_PUBLIC, .flags = B,
	  .body_types = "image/jpeg image/png",
	  .body_max = INCIDENT_PHOTO_BYTES },
	{ .method = "GET", .pattern = "/api/v1/incidents/{id}/photos/{photo}",
	  .handler = incidents_h_photo_get, .perm = PERM_PUBLIC },
	{ .method = "GET",
	  .pattern = "/api/v1/incidents/{id}/photos/{photo}/thumbnail",
	  .handler = incidents_h_photo_thumb, .perm = PERM_PUBLIC },
	{ .method = "GET",
	  .pattern = "/api/v1/incidents/{id}/photos/{photo}/original",
	  .handler = incidents_h_photo_original, .perm = PERM_AGENT },
	{ .method = "POST", .pattern = "/api/v1/incidents/{id}/notes",
	  .handler = incidents_h_notes_post, .perm = PERM_AGENT,
	  .input = &incidents_note_spec, .flags = B },
};

static int
incidents_init(const struct module_env *env, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	snprintf(incidents_config.public_url,
	    sizeof(incidents_config.public_url), "%s", env->conf->public_url);
	return (0);
}

static const struct module_stmts *const incidents_stmt_tables[] = {
	&incidents_stmt_table, &incidents_privacy_stmt_table,
	&incidents_open311_stmt_table, NULL
};

static const char *const incidents_tables[] = { "incidents.area",
    "incidents.categories", "incidents.reports", "incidents.supporters",
    "incidents.history", "incidents.notes", "incidents.photos", NULL };

/*
 * What the modules above may read (besides incidents.h's functions): the
 * reports as the public sees them (sql/033_incidents_public.sql).
 */
static const char *const incidents_exports[] = { "incidents.public_reports",
    NULL };

/*
 * The status of a report goes to its reporter and supporters (verified
 * account addresses) and to a confirmed anonymous follow-up address.
 * The confirmation link goes to an address nobody proved yet: that is
 * its purpose (MAIL_TO_UNVERIFIED); it concerns no account, and carries
 * nothing but the link.
 */
static const struct mail_template incidents_templates[] = {
	{ .name = "incident_status" },
	{ .name = "incident_contact_confirm", .flags = MAIL_TO_UNVERIFIED },
};

const struct module incidents_module = {
	.name = "incidents",
	.init = incidents_init,
	.stmts = incidents_stmt_tables,
	.routes = incidents_routes,
	.nroutes = NELEM(incidents_routes),
	.privacy = &incidents_privacy_hooks,
	.errors = incidents_errors,
	.nerrors = IE__COUNT,
	.templates = incidents_templates,
	.ntemplates = NELEM(incidents_templates),
	.tables = incidents_tables,
	.exports = incidents_exports,
	.openapi = "src/incidents/openapi.json",
};
