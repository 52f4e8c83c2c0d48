/*
 * identity_int.h: shared between the files of src/identity only.
 *
 * identity_db.c     the statement table, the account as JSON, identity_mail()
 * identity_ops.c    the business operations, one function each, that the
 *                   HTTP handlers and guichetctl both call
 * identity_http.c   the handlers and their input schemas
 * identity_ctl.c    guichetctl's commands
 * principal.c       the guard and its cache
 */
#ifndef GUICHET_IDENTITY_INT_H
#define GUICHET_IDENTITY_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/module.h"
#include "db/db.h"
#include "http/reply.h"
#include "identity/identity.h"

/* The statements of identity_db.c, by index into identity_stmts[]. */
enum identity_stmt {
	ID_ACCOUNT_INSERT,
	ID_ACCOUNT_GET,
	ID_ACCOUNT_GET_PLAIN,
	ID_ACCOUNT_LOGIN,
	ID_ACCOUNT_PRINCIPAL,
	ID_ACCOUNT_SEEN,
	ID_ACCOUNT_UPDATE,
	ID_ACCOUNT_EMAIL_LOCK,
	ID_ACCOUNT_KEY_OWNER,
	ID_ACCOUNT_SET_PENDING,
	ID_ACCOUNT_SET_EMAIL,
	ID_ACCOUNT_KEYLESS,
	ID_ACCOUNT_SET_KEY,
	ID_ACCOUNT_SET_PASSWORD,
	ID_ACCOUNT_REHASH,
	ID_ACCOUNT_VERIFY_EMAIL,
	ID_ACCOUNT_BLOCK,
	ID_ACCOUNT_BUMP_VERSION,
	ID_OTT_INSERT,
	ID_OTT_RECENT,
	ID_OTT_LOCK_ACCOUNT,
	ID_OTT_CONSUME,
	ID_OTT_INVALIDATE,
	ID_OTT_INVALIDATE_OTHER,
	ID_ACCOUNT_CONTACT,
	ID_ACCOUNT_AUTH,
	ID_REFRESH_INSERT,
	ID_REFRESH_USE,
	ID_REFRESH_LOOKUP,
	ID_REFRESH_REVOKE_FAMILY,
	ID_REFRESH_REVOKE_ACCOUNT,
	ID_THROTTLE_GET,
	ID_THROTTLE_FAIL,
	ID_THROTTLE_RESET,
	ID_AGENT_INSERT,
	ID_AGENT_GET,
	ID_AGENT_TOTP_RESET,
	ID_AGENT_SET_ROLES,
	ID_AGENT_DEPTS_CLEAR,
	ID_AGENT_DEPT_ADD,
	ID_AGENT_LIST,
	ID_AGENT_TOTP_SET,
	ID_AGENT_TOTP_ENROL,
	ID_AGENT_TOTP_STEP,
	ID_CLIENT_INSERT,
	ID_CLIENT_GET,
	ID_CLIENT_LIST,
	ID_CLIENT_REVOKE,
	ID_DEPARTMENT_EXISTS,
	ID_INSTANCE_SECRET,
	ID__COUNT
};

extern struct db_stmt	identity_stmts[ID__COUNT];

#define ID_STMT(x)	(&identity_stmts[(x)])

/* The module's problem codes (identity_module.c), by index. */
enum identity_err {
	IE_ACCOUNT_NOT_FOUND,	/* 404 */
	IE_AGENT_NOT_FOUND,	/* 404 */
	IE_EMAIL_TAKEN,		/* 409 */
	IE_LINK_INVALID,	/* 422: a one-time link */
	IE_PASSWORD_WRONG,	/* 422: current_password */
	IE_TOTP_CODE_INVALID,	/* 422 */
	IE_DEPARTMENT_UNKNOWN,	/* 422 */
	IE_TOTP_AGENTS_ONLY,	/* 403 */
	IE_TOTP_ENROLLED,	/* 409 */
	IE_TOTP_NO_ENROLMENT,	/* 409 */
	IE_NO_PUBLIC_KEY,	/* 404: jwks with a shared secret */
	IE_SIGNIN_THROTTLED,	/* 429: %s = seconds */
	IE_CLIENT_RATE_LIMITED,	/* 429: %s = seconds */
	IE_LOGOUT_TARGET,	/* 422: logout names nothing */
	IE_EMAIL_REFUSED,	/* 422: an address that cannot be an identity */
	IE_REAUTH_REQUIRED,	/* 422: current_password or a fresh sign-in */
	IE__COUNT
};
extern const struct errcode	identity_errors[IE__COUNT];
#define ID_ERR(x)	(&identity_errors[(x)])

/* hex(sha256(s)) into out[65]. */
void	 id_sha256_hex(const char *, char *);
/* "\x<hex>" bytea literal of sha256(s) into out[68]. */
void	 id_sha256_bytea(const char *, char *);
/* clock_now() as an RFC 3339 string (out >= 40). */
void	 id_now(char *);
/* clock_now() + 'seconds' as RFC 3339. */
void	 id_now_plus(int64_t, char *);

void	 principal_cache_init(void);

/* The module's pieces (identity_module.c). */
struct module_stmts;
struct privacy_hooks;
extern const struct module_stmts	identity_stmt_table;
extern const struct module_stmts	identity_privacy_stmt_table;
extern const struct privacy_hooks	identity_privacy_hooks;
/* identity_mail.c: its templates, and the gate of core/module.h's rules. */
#define IDENTITY_NTEMPLATES	4
extern const struct mail_template	identity_templates[IDENTITY_NTEMPLATES];
extern const struct module_stmts	identity_mail_stmt_table;
void	 identity_mail_gate_install(void);

/*
 * identity_mail() to the account's stored address, or with 'pending' to
 * the new address waiting for its verification (both read in the
 * caller's transaction): 0, 1 when there is none, -1 with 'err'.
 */
int	 id_mail_to(struct db *, const char *, int, const char *,
	    const json_t *, char *, struct db_error *);

/* The account as the API shows it, from an ID_ACCOUNT_GET row. */
json_t	*id_account_json(const struct db_res *, int);

/*
 * Business operations (identity_ops.c).  Each is one transaction on the
 * given connection, run by db_tx(); guichetd's handlers and guichetctl's
 * commands call the same function and so do the same thing and queue the
 * same mail.  They return an enum id_result; IDR_DB with 'err' set.
 */
enum id_result {
	IDR_OK = 0,
	IDR_NOT_FOUND,		/* no such agent, client */
	IDR_TAKEN,		/* the address has an account */
	IDR_BAD_DEPARTMENT,	/* 'bad' names it */
	IDR_REFUSED,		/* an address that cannot be an identity */
	IDR_BAD_LINK,		/* a one-time link unknown, used or expired */
	IDR_DB,
};

/* Where links in messages point (the public URL); set by identity_init(). */
void	 id_ops_configure(const char *);

/* The links identity mails (identity_ops.c, links[]). */
enum id_link {
	LINK_VERIFY,		/* a new account's address */
	LINK_VERIFY_NEW,	/* a new address, before it replaces the old */
	LINK_RESET,		/* a forgotten password */
	LINK_INVITATION,	/* a new agent chooses a password */
	LINK_UNDO,		/* to the old address: undo the change */
	LINK__COUNT
};

/*
 * Queue a one-time link and its message, inside the caller's transaction,
 * to the account's stored address (or its pending one: LINK_VERIFY_NEW);
 * the link is bound to 'email', the address it proves or restores.
 */
int	 id_token_mail(struct db *, const char *, enum id_link, const char *,
	    struct db_error *);

/*
 * Spend the one-time token 'token' of 'purpose' (unused, unexpired): 0,
 * its account in 'account' (>= 40 bytes) and, when 'email' is not NULL
 * (>= 256 bytes), the address it is bound to; 1 when there is none such
 * (err->code DB_OK); -1 with 'err'.
 */
int	 id_token_consume(struct db *, const char *, const char *, char *,
	    char *, struct db_error *);

/*
 * Inside the caller's transaction, the account asks for a new address
 * (its key 'key', computed strictly): the address waits as pending, the verification links
 * to any other address die, a link goes to the new address and a notice
 * with a way back to the old one.  The same key as now: only the spelling
 * changes, at once.  0, or -1 with 'err' (DB_OK: *why says, IDR_TAKEN
 * when another account has the key).
 */
int	 id_email_change_in(struct db *, const char *, const char *,
	    const char *, enum id_result *, struct db_error *);
/* A verification link: the address it was sent to, if still current or
 * pending, is verified (a pending one replaces the current one). */
enum id_result id_email_verify(struct db *, const char *, char *,
	    struct db_error *);
/* An undo link: the old address back, verified, every session ended. */
enum id_result id_email_undo(struct db *, const char *, char *,
	    struct db_error *);

struct agent_spec {
	const char	*email;
	const char	*name;
	const char	*locale;	/* NULL: fr */
	const json_t	*roles;		/* array of names; NULL: unchanged */
	const json_t	*departments;	/* array of codes; NULL: unchanged */
	/* Demo accounts only: a known password and an enrolled TOTP secret. */
	const char	*password_hash;	/* NULL: invited by mail */
	const char	*totp_secret;
};

/* A new agent, invited by mail to choose a password: its id in 'id'. */
enum id_result id_agent_create(struct db *, const struct agent_spec *,
	    char *, const char **, struct db_error *);
/* New roles and/or departments; the agent's tokens die. */
enum id_result id_agent_update(struct db *, const char *,
	    const struct agent_spec *, const char **, struct db_error *);
/* Blocked: no sign-in, every token revoked. */
enum id_result id_agent_block(struct db *, const char *, struct db_error *);
/* A lost second factor: removed, sessions revoked; the agent enrols again. */
enum id_result id_agent_totp_reset(struct db *, const char *,
	    struct db_error *);
/* A partner client: its id (>= 24 bytes) and secret (>= 64, shown once). */
enum id_result id_client_create(struct db *, const char *, const char *, int,
	    char *, char *, struct db_error *);
enum id_result id_client_revoke(struct db *, const char *, struct db_error *);

#endif
