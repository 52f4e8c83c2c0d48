/*
 * identity_module.c: the identity module's declaration (core/module.h):
 * accounts, tokens, agents, partner clients.  Its routes, statements,
 * privacy hooks, guichetctl commands and the partner scopes.
 */
#include <stddef.h>

#include "auth/policy.h"
#include "core/module.h"
#include "http/reply.h"
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
	  .flags = SLOW | ROUTE_FORM | ROUTE_NO_REPLAY,
	  .lane_key = identity_token_lane_key },
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
	  .input = &identity_me_patch_spec, .flags = SLOW },
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
	&identity_stmt_table, &identity_privacy_stmt_table,
	&identity_mail_stmt_table, NULL
};

static const struct ctl_command identity_commands[] = {
	{ .name = "agent", .run = identity_ctl_agent,
	  .usage = "agent add EMAIL [--name N] [--roles r,..] "
	  "[--departments d,..]",
	  .help = "create an agent (invited by email)" },
	{ .name = "agent", .run = identity_ctl_agent,
	  .usage = "agent list | agent block ID | agent reset-totp ID",
	  .help = "list agents, block one (revokes its tokens), or remove "
	  "its lost second factor (it enrols again)" },
	{ .name = "client", .run = identity_ctl_client,
	  .usage = "client add NAME --scopes s,.. [--rate-limit N]",
	  .help = "create a partner app; prints its secret once" },
	{ .name = "client", .run = identity_ctl_client,
	  .usage = "client list | client revoke ID",
	  .help = "list partner apps, revoke one" },
	{ .name = "keys", .run = identity_ctl_keys,
	  .usage = "keys rotate [--alg HS256|ES256|RS256]",
	  .help = "add a new token signing key (the previous one still "
	  "verifies)" },
};

/*
 * The partner scopes of the modules announced in the road map (cases,
 * incidents and Open311, mobility): each moves to its module's
 * declaration when that module lands, with the routes that need it.
 */
static const struct scope_def identity_scopes[] = {
	{ .name = "incidents:read",
	  .description = "read incident reports (signalements)" },
	{ .name = "incidents:write",
	  .description = "file and update incident reports" },
	{ .name = "lifts:write",
	  .description = "set the status of lifts and slopes, the snow report" },
	{ .name = "cases:read",
	  .description = "read the cases (démarches) a partner handles" },
	{ .name = "open311", .description = "the Open311 GeoReport v2 API" },
};

/*
 * The problem codes of identity's answers (ARCHITECTURE.md, "Every
 * failure has a problem code").  The token endpoint's refusals are
 * OAuth2 error objects (RFC 6749 5.2), its protocol: they have none.
 */
const struct errcode identity_errors[IE__COUNT] = {
	[IE_ACCOUNT_NOT_FOUND] = { .code = "account_not_found",
	  .problem = PROB_NOT_FOUND, .detail = {
	    "ce compte n'existe pas ou n'est plus actif",
	    "this account does not exist or is no longer active",
	    "questo account non esiste o non è più attivo" } },
	[IE_AGENT_NOT_FOUND] = { .code = "agent_not_found",
	  .problem = PROB_NOT_FOUND, .detail = {
	    "aucun agent ne porte cet identifiant",
	    "no agent has this id",
	    "nessun agente ha questo identificativo" } },
	[IE_EMAIL_TAKEN] = { .code = "email_taken",
	  .problem = PROB_CONFLICT, .detail = {
	    "un compte existe déjà pour cette adresse électronique",
	    "an account already exists for this email address",
	    "esiste già un account per questo indirizzo email" } },
	[IE_LINK_INVALID] = { .code = "link_invalid",
	  .problem = PROB_VALIDATION, .detail = {
	    "ce lien est invalide, déjà utilisé ou expiré",
	    "this link is invalid, already used or expired",
	    "questo link non è valido, è già stato usato o è scaduto" } },
	[IE_PASSWORD_WRONG] = { .code = "password_wrong",
	  .problem = PROB_VALIDATION, .detail = {
	    "le mot de passe actuel est incorrect",
	    "the current password is wrong",
	    "la password attuale è errata" } },
	[IE_TOTP_CODE_INVALID] = { .code = "totp_code_invalid",
	  .problem = PROB_VALIDATION, .detail = {
	    "code invalide ou déjà utilisé",
	    "invalid or already used code",
	    "codice non valido o già usato" } },
	[IE_DEPARTMENT_UNKNOWN] = { .code = "department_unknown",
	  .problem = PROB_VALIDATION, .detail = {
	    "service inconnu : %s", "unknown department: %s",
	    "servizio sconosciuto: %s" } },
	[IE_TOTP_AGENTS_ONLY] = { .code = "totp_agents_only",
	  .problem = PROB_FORBIDDEN, .detail = {
	    "un second facteur est réservé aux comptes des agents",
	    "a second factor is for agents' accounts",
	    "un secondo fattore è riservato agli account degli agenti" } },
	[IE_TOTP_ENROLLED] = { .code = "totp_already_enrolled",
	  .problem = PROB_CONFLICT, .detail = {
	    "un second facteur est déjà enregistré ; un administrateur peut "
	    "le retirer", "a second factor is already enrolled; an "
	    "administrator can reset it", "un secondo fattore è già "
	    "registrato; un amministratore può rimuoverlo" } },
	[IE_TOTP_NO_ENROLMENT] = { .code = "totp_no_enrolment",
	  .problem = PROB_CONFLICT, .detail = {
	    "aucun enregistrement de second facteur n'est en cours",
	    "no second-factor enrolment is in progress",
	    "nessuna registrazione del secondo fattore è in corso" } },
	[IE_NO_PUBLIC_KEY] = { .code = "no_public_key",
	  .problem = PROB_NOT_FOUND, .detail = {
	    "les jetons sont signés avec un secret partagé : aucune clé "
	    "publique à publier", "tokens are signed with a shared secret: "
	    "there is no public key to publish", "i token sono firmati con "
	    "un segreto condiviso: nessuna chiave pubblica da pubblicare" } },
	[IE_SIGNIN_THROTTLED] = { .code = "signin_throttled",
	  .problem = PROB_TOO_MANY, .detail = {
	    "trop d'échecs de connexion ; réessayez dans %s s",
	    "too many failed sign-in attempts; try again in %s s",
	    "troppi accessi non riusciti; riprova tra %s s" } },
	[IE_CLIENT_RATE_LIMITED] = { .code = "client_rate_limited",
	  .problem = PROB_TOO_MANY, .detail = {
	    "cette application a dépassé son nombre de requêtes par minute ; "
	    "réessayez dans %s s", "this client sent more requests than its "
	    "rate limit allows; try again in %s s", "questa applicazione ha "
	    "superato il suo limite di richieste; riprova tra %s s" } },
	[IE_LOGOUT_TARGET] = { .code = "logout_target_required",
	  .problem = PROB_VALIDATION, .detail = {
	    "indiquez la session à fermer : refresh_token, ou all: true",
	    "name the sessions to end: refresh_token, or all: true",
	    "indicare le sessioni da chiudere: refresh_token, o all: true" } },
	[IE_EMAIL_REFUSED] = { .code = "email_refused",
	  .problem = PROB_VALIDATION, .detail = {
	    "cette adresse ne peut pas servir d'identifiant",
	    "this address cannot serve as an identity",
	    "questo indirizzo non può servire da identificativo" } },
	[IE_REAUTH_REQUIRED] = { .code = "reauthentication_required",
	  .problem = PROB_VALIDATION, .detail = {
	    "pour changer d'adresse, donnez votre mot de passe actuel "
	    "(current_password) ou reconnectez-vous",
	    "to change your address, give your current password "
	    "(current_password) or sign in again",
	    "per cambiare indirizzo, indicare la password attuale "
	    "(current_password) o accedere di nuovo" } },
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
	.errors = identity_errors,
	.nerrors = IE__COUNT,
	.tables = identity_tables,
	.exports = identity_exports,
	.openapi = "src/identity/openapi.json",
	.templates = identity_templates,
	.ntemplates = IDENTITY_NTEMPLATES,
};
