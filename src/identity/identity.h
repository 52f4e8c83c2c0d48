/*
 * identity.h: accounts, tokens, agents, partner clients.
 *
 * The identity layer every module uses: it registers people (residents,
 * seasonal workers, tourists, agents) and partner applications, issues and
 * checks tokens, and turns a request's credentials into a principal.
 * Authorization itself is policy_allows()'s (src/auth/policy.h).
 */
#ifndef GUICHET_IDENTITY_H
#define GUICHET_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct conf;
struct ctl_ctx;
struct db;
struct db_error;
struct module_env;
struct request;

/* Password costs; in guichetd also the token keys and the guard. */
int	 identity_init(const struct module_env *, char *, size_t);

/* The server guard: Authorization header -> principal, or 401/429/503. */
int	 identity_guard(struct request *);
/*
 * The caller re-authenticates before a change that needs it (a new
 * password, the erasure of the account): 'password' is checked against
 * the account's, throttled like a sign-in (keys "ip:<address>", an IPv6 one
 * by its /64 (request_peer_group()), and
 * "user:<HMAC of the address>" under this instance's secret).  0 when it
 * is right; 1 when it is wrong (counted as a failed sign-in: a stolen
 * access token must not buy unlimited guesses); -1 when the reply is set
 * (429 while throttled, 404 without an active account, 503).
 */
int	 identity_reauthenticate(struct request *, const char *, const char *);
/* The user key (80 bytes) of an address key (accounts.email_key). */
void	 identity_throttle_user_key(const char *, char *);

/*
 * One address, one identity (identity_email.c).  The key of address 'in'
 * into 'out' ('len' >= IDENTITY_EMAIL_KEY_MAX): the domain in ASCII by
 * IDNA 2008 (UTS #46, non-transitional) lower-cased, the local part in
 * Unicode NFC lower-cased in ASCII only.  The database compares nothing
 * else.  With 'strict' (a new address) the verdict also refuses a local
 * part holding a character that a case mapping or compatibility
 * normalisation changes or an invisible (format, Cf) character, and
 * scripts mixed in the local part or in a domain label (a punycode one
 * judged decoded); without it (a lookup) the key is computed anyway for
 * anything with an '@', so that what cannot be an identity finds none.
 */
#define IDENTITY_EMAIL_KEY_MAX	512
enum email_verdict {
	EMAIL_OK,
	EMAIL_SYNTAX,		/* not local@domain, or too long */
	EMAIL_DOMAIN,		/* IDNA 2008 refuses the domain */
	EMAIL_AMBIGUOUS,	/* a character case rules turn into another */
	EMAIL_MIXED_SCRIPTS,	/* Latin and Cyrillic letters, say */
	EMAIL_INVISIBLE,	/* a format character (Cf) in the local part */
};
enum email_verdict identity_email_normalise(const char *, int, char *,
	    size_t);
/*
 * The keys migration 016 left to C (non-ASCII addresses) are filled: 0,
 * or -1 with 'err' (then nothing may compare addresses yet: 503).  Once
 * done, an atomic load.
 */
int	 identity_email_keys_ready(struct db *, struct db_error *);

/*
 * Queue the message 'template' (ops/outbox.h) for the person 'account', to
 * the address stored on the account (never one taken from a request) and
 * in the account's language, inside the caller's transaction; the row is
 * locked until it ends.  'outbox_id' (may be NULL) receives the message's
 * id.  0, 1 when there is no such account (erased), -1 with 'err'.
 */
int	 identity_mail(struct db *, const char *, const char *, const json_t *,
	    char *, struct db_error *);

/*
 * The account of 'email' (compared as registration stores it), unless
 * erased: 0 and its id in 'id', 1 when there is none, -1 with 'err'.
 */
int	 identity_find_by_email(struct db *, const char *, char *, size_t,
	    struct db_error *);

/*
 * A partner application's own credentials presented without a token (an
 * Open311 api_key, "client_id:client_secret"): 0 and 'out' filled as the
 * guard would (kind client, id, scopes) when the client exists, is not
 * revoked and the secret is its own; 1 otherwise; 2 when the client is
 * past its rate_limit (the per-minute budget its tokens count against
 * too), *retry the seconds to wait; -1 with 'err'.  The caller asks
 * policy_allows() for the scope it needs.
 */
struct principal;
int	 identity_client_check(struct db *, const char *, const char *,
	    struct principal *, int *, struct db_error *);

/* Forget what this process knows of a principal (after our own change). */
void	 principal_cache_forget(const char *);

/* Handlers (route table). */
int	 identity_register(struct request *);
int	 identity_verify_email(struct request *);
int	 identity_password_reset(struct request *);
int	 identity_password_reset_confirm(struct request *);
int	 identity_token(struct request *);
int	 identity_token_lane_key(const struct request *, char *, size_t);
int	 identity_logout(struct request *);
int	 identity_me_get(struct request *);
int	 identity_me_patch(struct request *);
int	 identity_me_password(struct request *);
int	 identity_totp_enrol(struct request *);
int	 identity_totp_confirm(struct request *);
int	 identity_jwks(struct request *);
int	 identity_admin_agents_list(struct request *);
int	 identity_admin_agents_create(struct request *);
int	 identity_admin_agents_patch(struct request *);
int	 identity_admin_agents_block(struct request *);
int	 identity_admin_agents_totp_reset(struct request *);

/* Input schemas (route table). */
extern const struct json_spec	identity_register_spec;
extern const struct json_spec	identity_verify_spec;
extern const struct json_spec	identity_reset_spec;
extern const struct json_spec	identity_reset_confirm_spec;
extern const struct json_spec	identity_token_spec;
extern const struct json_spec	identity_logout_spec;
extern const struct json_spec	identity_me_patch_spec;
extern const struct json_spec	identity_password_spec;
extern const struct json_spec	identity_totp_spec;
extern const struct json_spec	identity_agent_create_spec;
extern const struct json_spec	identity_agent_patch_spec;

/* guichetctl commands (core/module.h); 0 or -1. */
int	 identity_ctl_agent(struct ctl_ctx *);
int	 identity_ctl_client(struct ctl_ctx *);
int	 identity_ctl_keys(struct ctl_ctx *);
/* Demo accounts and client; prints their credentials. */
int	 identity_ctl_demo(struct ctl_ctx *);

#endif
