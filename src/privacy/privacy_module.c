/*
 * privacy_module.c: the privacy module's declaration (core/module.h): the
 * RGPD layer over the modules below it: the register, consents, rights
 * requests, restriction and objection, access and portability, erasure,
 * retention.  Its routes, statements, own privacy hooks, guichetctl
 * commands and the daily purge thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/conf.h"
#include "base/lang.h"
#include "core/module.h"
#include "db/db.h"
#include "http/route.h"
#include "identity/identity.h"
#include "privacy/erase.h"
#include "privacy/export.h"
#include "privacy/privacy.h"
#include "privacy/privacy_int.h"
#include "privacy/retention.h"
#include "privacy/rights.h"

#define B	ROUTE_BODY

static const struct route privacy_routes[] = {
	/* the register of processing activities, consents */
	{ .method = "GET", .pattern = "/api/v1/privacy/register",
	  .handler = privacy_register_get, .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = EXPORT_SCHEMA_PATH,
	  .handler = privacy_export_schema, .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = "/api/v1/me/consents",
	  .handler = privacy_consents_list, .perm = PERM_SELF },
	{ .method = "PUT", .pattern = "/api/v1/me/consents/{purpose}",
	  .handler = privacy_consent_give, .perm = PERM_SELF },
	{ .method = "DELETE", .pattern = "/api/v1/me/consents/{purpose}",
	  .handler = privacy_consent_withdraw, .perm = PERM_SELF },
	/* who looked at my data, rights requests, restriction, objection */
	{ .method = "GET", .pattern = "/api/v1/me/access-log",
	  .handler = privacy_access_log_get, .perm = PERM_SELF },
	{ .method = "GET", .pattern = "/api/v1/me/restriction",
	  .handler = privacy_restriction_get, .perm = PERM_SELF },
	{ .method = "POST", .pattern = "/api/v1/me/restriction",
	  .handler = privacy_restriction_post, .perm = PERM_SELF },
	{ .method = "POST", .pattern = "/api/v1/me/objections",
	  .handler = privacy_objection_post, .perm = PERM_SELF,
	  .input = &privacy_objection_spec, .flags = B },
	{ .method = "GET", .pattern = "/api/v1/admin/privacy/subjects/{id}",
	  .handler = privacy_subject_get, .perm = PERM_DPO },
	{ .method = "POST",
	  .pattern = "/api/v1/admin/privacy/subjects/{id}/restriction/lift",
	  .handler = privacy_restriction_lift, .perm = PERM_DPO },
	{ .method = "GET", .pattern = "/api/v1/admin/privacy/requests",
	  .handler = privacy_requests_list, .perm = PERM_DPO },
	{ .method = "POST", .pattern = "/api/v1/admin/privacy/requests",
	  .handler = privacy_requests_create, .perm = PERM_DPO,
	  .input = &privacy_request_create_spec, .flags = B },
	{ .method = "GET", .pattern = "/api/v1/admin/privacy/requests/{id}",
	  .handler = privacy_requests_get, .perm = PERM_DPO },
	{ .method = "PATCH", .pattern = "/api/v1/admin/privacy/requests/{id}",
	  .handler = privacy_requests_patch, .perm = PERM_DPO,
	  .input = &privacy_request_patch_spec, .flags = B },
	/* access and portability (Art. 15, 20) */
	{ .method = "GET", .pattern = "/api/v1/me/export",
	  .handler = privacy_export_me, .perm = PERM_SELF },
	{ .method = "GET",
	  .pattern = "/api/v1/admin/privacy/subjects/{id}/export",
	  .handler = privacy_export_subject, .perm = PERM_DPO },
	/* erasure (Art. 17) */
	{ .method = "DELETE", .pattern = "/api/v1/me",
	  .handler = privacy_me_erase, .perm = PERM_SELF,
	  .input = &privacy_me_erase_spec, .flags = ROUTE_BODY | ROUTE_SLOW },
	{ .method = "POST",
	  .pattern = "/api/v1/admin/privacy/subjects/{id}/erase",
	  .handler = privacy_admin_subject_erase, .perm = PERM_DPO,
	  .input = &privacy_dpo_erase_spec, .flags = B },
};

/* guichetctl privacy export EMAIL [--lang fr|en|it]: the JSON on stdout. */
static int
privacy_export_ctl(struct ctl_ctx *ctl)
{
	struct db_error	 err;
	const char	*lang = NULL;
	char		 id[40];
	int		 rc;

	if (ctl->argc >= 4 && strcmp(ctl->argv[2], "--lang") == 0)
		lang = ctl->argv[3];
	if (lang != NULL && lang_from_code(lang, LANG__COUNT) == LANG__COUNT) {
		fprintf(stderr, "guichetctl: --lang is fr, en or it\n");
		return (-1);
	}
	rc = identity_find_by_email(ctl->db, ctl->argv[1], id, sizeof(id),
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

static int
privacy_ctl(struct ctl_ctx *ctl)
{
	if (ctl->argc >= 1 && strcmp(ctl->argv[0], "purge") == 0)
		return (privacy_purge_ctl(ctl->db, ctl->argc - 1));
	if (ctl->argc >= 2 && strcmp(ctl->argv[0], "export") == 0)
		return (privacy_export_ctl(ctl));
	fprintf(stderr, "usage: guichetctl privacy purge | "
	    "privacy export EMAIL [--lang fr|en|it]\n");
	return (-1);
}

static int
privacy_init(const struct module_env *env, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	privacy_export_init(env->conf);
	privacy_access_recorder_install();
	privacy_mail_gate_install();
	return (0);
}

static const struct module_stmts *const privacy_stmt_tables[] = {
	&privacy_stmt_table, &rights_stmt_table, &erase_stmt_table,
	&export_stmt_table, &retention_stmt_table, &privacy_hook_stmt_table,
	NULL
};

static const struct ctl_command privacy_commands[] = {
	{ .name = "privacy", .run = privacy_ctl,
	  .usage = "privacy export EMAIL [--lang fr|en|it]",
	  .help = "print everything held about a person (Art. 15, 20) as "
	  "JSON" },
	{ .name = "privacy", .run = privacy_ctl, .usage = "privacy purge",
	  .help = "delete or anonymise what is past its retention (prints "
	  "counts)" },
};

static const char *const privacy_tables[] = { "privacy.retention_events",
    "privacy.categories", "privacy.recipients", "privacy.purposes",
    "privacy.purpose_versions", "privacy.consent_ledger", "privacy.erasures",
    "privacy.access_log", "privacy.requests", "privacy.restrictions",
    "privacy.retention_rules", "privacy.rectifications", NULL };

/* For the modules above: "restricted" has one definition (rights.h). */
static const char *const privacy_exports[] = { "privacy.is_restricted",
    NULL };

const struct module privacy_module = {
	.name = "privacy",
	.init = privacy_init,
	.start = retention_start,
	.stop = retention_stop,
	.stmts = privacy_stmt_tables,
	.routes = privacy_routes,
	.nroutes = NELEM(privacy_routes),
	.privacy = &privacy_privacy_hooks,
	.commands = privacy_commands,
	.ncommands = NELEM(privacy_commands),
	.errors = privacy_errors,
	.nerrors = PE__COUNT,
	.tables = privacy_tables,
	.exports = privacy_exports,
	.openapi = "src/privacy/openapi.json",
	.templates = privacy_templates,
	.ntemplates = PRIVACY_NTEMPLATES,
};
