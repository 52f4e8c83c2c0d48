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

struct conf;
struct request;
struct db;

/* Statements, token keys, password costs; -1 with a message. */
int	 identity_init(const struct conf *, char *, size_t);

/* The server guard: Authorization header -> principal, or 401/429/503. */
int	 identity_guard(struct request *);
/*
 * Sign-in throttling, for every check of a password (sign-in, password
 * change, erasure): -1 after a 429 while the client address or the account
 * is blocked; identity_throttle_failure() counts a wrong password.  Keys
 * are "ip:<address>" and "user:<HMAC of the lower-cased email>" keyed by
 * this instance's secret, so that a key cannot be linked back to an email.
 */
int	 identity_throttle_check(struct request *, const char *);
void	 identity_throttle_failure(struct request *, const char *);
/* The user key of an email (80 bytes), for erasure. */
void	 identity_throttle_user_key(const char *, char *);

/* Forget what this process knows of a principal (after our own change). */
void	 principal_cache_forget(const char *);

/* Handlers (route table). */
int	 identity_register(struct request *);
int	 identity_verify_email(struct request *);
int	 identity_password_reset(struct request *);
int	 identity_password_reset_confirm(struct request *);
int	 identity_token(struct request *);
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

/* guichetctl commands: argv after the command word; 0 or -1. */
int	 identity_ctl_agent(struct db *, const struct conf *, char **, int);
int	 identity_ctl_client(struct db *, const struct conf *, char **, int);
int	 identity_ctl_keys(struct db *, const struct conf *, char **, int);
int	 identity_ctl_outbox(struct db *, const struct conf *, char **, int);
/* Demo accounts and client; prints their credentials. */
int	 identity_ctl_demo(struct db *, const struct conf *);

#endif
