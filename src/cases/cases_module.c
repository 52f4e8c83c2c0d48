/*
 * cases_module.c: the cases module's declaration (core/module.h):
 * démarches filed under the procedures of the catalogue, processed by the
 * procedure's department to a decision (cases.h).
 *
 * Its place in src/app/modules.c: after procedures (the catalogue it
 * files under: procedures.h), identity (the people and the departments:
 * identity_mail(), identity.directory, identity.agent_departments),
 * files (the bytes of its attachments: files.h) and privacy, whose
 * restriction (Art. 18) keeps a person's cases out of the agents' queue
 * and search (privacy.is_restricted(), which privacy exports).  It
 * reaches the access log through core/access.h.
 */
#include <stdio.h>
#include <string.h>

#include "auth/policy.h"
#include "base/conf.h"
#include "cases/cases_int.h"
#include "core/module.h"
#include "http/route.h"

#define B	ROUTE_BODY

static const struct route cases_routes[] = {
	{ .method = "POST", .pattern = "/api/v1/cases",
	  .handler = cases_create, .perm = PERM_SELF,
	  .input = &cases_create_spec, .flags = B },
	{ .method = "GET", .pattern = "/api/v1/cases",
	  .handler = cases_list, .perm = PERM_SELF, .flags = ROUTE_LIST },
	{ .method = "GET", .pattern = "/api/v1/cases/{id}",
	  .handler = cases_get, .perm = PERM_SELF },
	{ .method = "PATCH", .pattern = "/api/v1/cases/{id}",
	  .handler = cases_patch, .perm = PERM_SELF,
	  .input = &cases_patch_spec, .flags = B },
	{ .method = "POST", .pattern = "/api/v1/cases/{id}/submit",
	  .handler = cases_submit, .perm = PERM_SELF },
	{ .method = "POST", .pattern = "/api/v1/cases/{id}/transitions",
	  .handler = cases_transition, .perm = PERM_SELF,
	  .input = &cases_transition_spec, .flags = B },
	{ .method = "POST", .pattern = "/api/v1/cases/{id}/assignment",
	  .handler = cases_assignment, .perm = PERM_AGENT,
	  .input = &cases_assignment_spec, .flags = B },
	{ .method = "GET", .pattern = "/api/v1/cases/{id}/messages",
	  .handler = cases_messages_list, .perm = PERM_SELF },
	{ .method = "POST", .pattern = "/api/v1/cases/{id}/messages",
	  .handler = cases_messages_post, .perm = PERM_SELF,
	  .input = &cases_message_spec, .flags = B },
	{ .method = "GET", .pattern = "/api/v1/cases/{id}/notes",
	  .handler = cases_notes_list, .perm = PERM_AGENT },
	{ .method = "POST", .pattern = "/api/v1/cases/{id}/notes",
	  .handler = cases_notes_post, .perm = PERM_AGENT,
	  .input = &cases_message_spec, .flags = B },
	{ .method = "POST", .pattern = "/api/v1/cases/{id}/attachments",
	  .handler = cases_attachments_post, .perm = PERM_SELF, .flags = B,
	  .body_types = FILES_TYPES_DEFAULT },
	{ .method = "GET", .pattern = "/api/v1/cases/{id}/attachments",
	  .handler = cases_attachments_list, .perm = PERM_SELF },
	{ .method = "GET", .pattern = "/api/v1/cases/{id}/attachments/{file}",
	  .handler = cases_attachments_get, .perm = PERM_SELF },
	{ .method = "DELETE",
	  .pattern = "/api/v1/cases/{id}/attachments/{file}",
	  .handler = cases_attachments_delete, .perm = PERM_SELF },
	{ .method = "GET", .pattern = "/api/v1/me/entitlements",
	  .handler = cases_entitlements, .perm = PERM_SELF },
};

static int
cases_init(const struct module_env *env, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	cases_config.draft_days = env->conf->case_draft_days;
	snprintf(cases_config.public_url, sizeof(cases_config.public_url),
	    "%s", env->conf->public_url);
	return (0);
}

static const struct module_stmts *const cases_stmt_tables[] = {
	&cases_stmt_table, &cases_privacy_stmt_table, &cases_demo_stmt_table,
	&cases_attach_stmt_table, NULL
};

static const struct ctl_command cases_commands[] = {
	{ .name = "cases", .run = cases_ctl, .usage = "cases decide",
	  .help = "decide the cases whose deadline passed in silence and "
	  "close those whose appeal period ended (at the clock setting)" },
};

static const char *const cases_tables[] = { "cases.cases", "cases.history",
    "cases.messages", "cases.notes", "cases.acknowledgements",
    "cases.reference_counters", "cases.department_contacts",
    "cases.entitlements", "cases.attachments", NULL };

/* For the lift-pass module: who holds which entitlement (cases.h). */
static const char *const cases_exports[] = { "cases.entitlements", NULL };

/*
 * The cases' messages (templates/mail/<name>.<lang>).  None goes despite
 * a restriction (Art. 18 RGPD) nor to an address nobody verified: the
 * outbox keeps it as suppressed, with the reason, and the person reads it
 * in GET /api/v1/me/notifications; the acknowledgement of receipt is
 * also kept on the case (cases.acknowledgements), which the person reads
 * whatever the mail became (guichet-privacy(7), "MAIL").  The
 * department's notice goes to the department's address: no person.
 */
static const struct mail_template cases_templates[] = {
	{ .name = "case_acknowledgement" },
	{ .name = "case_decision" },
	{ .name = "case_implicit_decision" },
	{ .name = "case_information_requested" },
	{ .name = "case_status" },
	{ .name = "case_message" },
	{ .name = "case_draft_expiring" },
	{ .name = "case_assigned" },
	{ .name = "case_department_notice" },
};

const struct module cases_module = {
	.name = "cases",
	.init = cases_init,
	.start = cases_jobs_start,
	.stop = cases_jobs_stop,
	.demo = cases_demo,
	.stmts = cases_stmt_tables,
	.routes = cases_routes,
	.nroutes = NELEM(cases_routes),
	.privacy = &cases_privacy_hooks,
	.commands = cases_commands,
	.ncommands = NELEM(cases_commands),
	.errors = cases_errors,
	.nerrors = CE__COUNT,
	.templates = cases_templates,
	.ntemplates = NELEM(cases_templates),
	.tables = cases_tables,
	.exports = cases_exports,
	.openapi = "src/cases/openapi.json",
};
