/*
 * routes.c: THE route table.
 *
 * Every route of guichet is one line here: method, pattern, handler,
 * permission, input schema, flags.  The OpenAPI document (src/openapi.json)
 * must list exactly these routes, and the authorization matrix test walks
 * this table; both fail when a line is added without its counterpart.
 */
#include <stddef.h>
#include <stdio.h>

#include "app/app.h"
#include "base/conf.h"
#include "http/route.h"
#include "http/server.h"
#include "identity/identity.h"
#include "ops/ops.h"
#include "privacy/erase.h"
#include "privacy/export.h"
#include "http/cache.h"
#include "ops/idempotency.h"
#include "privacy/retention.h"
#include "privacy/privacy.h"
#include "privacy/rights.h"
#include "web/web.h"

#define B	ROUTE_BODY
#define SLOW	(ROUTE_BODY | ROUTE_SLOW)

static const struct route routes[] = {
	/* operations */
	{ "GET", "/healthz", ops_healthz, PERM_PUBLIC, NULL, 0, NULL },
	{ "GET", "/readyz", ops_readyz, PERM_PUBLIC, NULL, 0, NULL },
	{ "GET", "/metrics", ops_metrics, PERM_PUBLIC, NULL, 0, NULL },
	{ "GET", "/api/v1/openapi.json", ops_openapi, PERM_PUBLIC, NULL, 0, NULL },
	/* web */
	{ "GET", "/static/{file}", web_static, PERM_PUBLIC, NULL, 0, NULL },
	/* identity: accounts and tokens */
	{ "POST", "/api/v1/accounts", identity_register, PERM_PUBLIC,
	  &identity_register_spec, SLOW, NULL },
	{ "POST", "/api/v1/accounts/verify", identity_verify_email, PERM_PUBLIC,
	  &identity_verify_spec, B, NULL },
	{ "POST", "/api/v1/auth/token", identity_token, PERM_PUBLIC,
	  &identity_token_spec, SLOW | ROUTE_FORM | ROUTE_NO_REPLAY, NULL },
	{ "POST", "/api/v1/auth/logout", identity_logout, PERM_SELF,
	  &identity_logout_spec, B | ROUTE_BODY_OPTIONAL, NULL },
	{ "POST", "/api/v1/auth/password-reset", identity_password_reset,
	  PERM_PUBLIC, &identity_reset_spec, B, NULL },
	{ "POST", "/api/v1/auth/password-reset/confirm",
	  identity_password_reset_confirm, PERM_PUBLIC,
	  &identity_reset_confirm_spec, SLOW, NULL },
	{ "GET", "/.well-known/jwks.json", identity_jwks, PERM_PUBLIC, NULL, 0,
	  NULL },
	{ "GET", "/api/v1/me", identity_me_get, PERM_SELF, NULL, 0, NULL },
	{ "PATCH", "/api/v1/me", identity_me_patch, PERM_SELF,
	  &identity_me_patch_spec, B, NULL },
	{ "POST", "/api/v1/me/password", identity_me_password, PERM_SELF,
	  &identity_password_spec, SLOW, NULL },
	{ "POST", "/api/v1/me/totp", identity_totp_enrol, PERM_SELF, NULL,
	  ROUTE_NO_REPLAY, NULL },
	{ "POST", "/api/v1/me/totp/verify", identity_totp_confirm, PERM_SELF,
	  &identity_totp_spec, B, NULL },
	/* identity: administration */
	{ "GET", "/api/v1/admin/agents", identity_admin_agents_list, PERM_ADMIN,
	  NULL, 0, NULL },
	{ "POST", "/api/v1/admin/agents", identity_admin_agents_create,
	  PERM_ADMIN, &identity_agent_create_spec, B, NULL },
	{ "PATCH", "/api/v1/admin/agents/{id}", identity_admin_agents_patch,
	  PERM_ADMIN, &identity_agent_patch_spec, B, NULL },
	{ "POST", "/api/v1/admin/agents/{id}/block", identity_admin_agents_block,
	  PERM_ADMIN, NULL, 0, NULL },
	{ "POST", "/api/v1/admin/agents/{id}/totp/reset",
	  identity_admin_agents_totp_reset, PERM_ADMIN, NULL, 0, NULL },
	/* privacy: the register of processing activities, consents */
	{ "GET", "/api/v1/privacy/register", privacy_register_get, PERM_PUBLIC,
	  NULL, 0, NULL },
	{ "GET", "/api/v1/me/consents", privacy_consents_list, PERM_SELF, NULL,
	  0, NULL },
	{ "PUT", "/api/v1/me/consents/{purpose}", privacy_consent_give,
	  PERM_SELF, NULL, 0, NULL },
	{ "DELETE", "/api/v1/me/consents/{purpose}", privacy_consent_withdraw,
	  PERM_SELF, NULL, 0, NULL },
	/* privacy: who looked at my data, rights requests, restriction, objection */
	{ "GET", "/api/v1/me/access-log", privacy_access_log_get, PERM_SELF,
	  NULL, 0, NULL },
	{ "GET", "/api/v1/me/restriction", privacy_restriction_get, PERM_SELF,
	  NULL, 0, NULL },
	{ "POST", "/api/v1/me/restriction", privacy_restriction_post, PERM_SELF,
	  NULL, 0, NULL },
	{ "POST", "/api/v1/me/objections", privacy_objection_post, PERM_SELF,
	  &privacy_objection_spec, B, NULL },
	{ "GET", "/api/v1/admin/privacy/subjects/{id}", privacy_subject_get,
	  PERM_DPO, NULL, 0, NULL },
	{ "POST", "/api/v1/admin/privacy/subjects/{id}/restriction/lift",
	  privacy_restriction_lift, PERM_DPO, NULL, 0, NULL },
	{ "GET", "/api/v1/admin/privacy/requests", privacy_requests_list,
	  PERM_DPO, NULL, 0, NULL },
	{ "POST", "/api/v1/admin/privacy/requests", privacy_requests_create,
	  PERM_DPO, &privacy_request_create_spec, B, NULL },
	{ "PATCH", "/api/v1/admin/privacy/requests/{id}", privacy_requests_patch,
	  PERM_DPO, &privacy_request_patch_spec, B, NULL },
	/* privacy: access and portability (Art. 15, 20) */
	{ "GET", "/api/v1/me/export", privacy_export_me, PERM_SELF, NULL, 0,
	  NULL },
	{ "GET", "/api/v1/admin/privacy/subjects/{id}/export",
	  privacy_export_subject, PERM_DPO, NULL, 0, NULL },
	/* privacy: erasure (Art. 17) */
	{ "DELETE", "/api/v1/me", privacy_me_erase, PERM_SELF,
	  &privacy_me_erase_spec, SLOW, NULL },
	{ "POST", "/api/v1/admin/privacy/subjects/{id}/erase",
	  privacy_admin_subject_erase, PERM_DPO, &privacy_dpo_erase_spec, B,
	  NULL },
};

void
app_routes_install(void)
{
	router_init(routes, sizeof(routes) / sizeof(routes[0]));
}

int
app_init(const struct conf *c, char *err, size_t errlen)
{
	app_routes_install();
	ops_register();
	web_init(c);
	if (identity_init(c, err, errlen) == -1)
		return (-1);
	privacy_init();
	privacy_rights_init();
	privacy_erase_init();
	privacy_export_init(c);
	/* Privacy hooks: export and erasure run them in this order. */
	identity_privacy_register();
	privacy_privacy_register();
	cache_init();
	idempotency_init();
	idempotency_privacy_register();
	retention_set_anonymiser(retention_erase_account);
	server_set_guard(identity_guard);
	return (0);
}
