/*
 * identity_int.h: shared between the files of src/identity only.
 */
#ifndef GUICHET_IDENTITY_INT_H
#define GUICHET_IDENTITY_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

/* The statements of identity_db.c, by index into identity_stmts[]. */
enum identity_stmt {
	ID_ACCOUNT_INSERT,
	ID_ACCOUNT_GET,
	ID_ACCOUNT_GET_PLAIN,
	ID_ACCOUNT_LOGIN,
	ID_ACCOUNT_PRINCIPAL,
	ID_ACCOUNT_SEEN,
	ID_ACCOUNT_UPDATE,
	ID_ACCOUNT_SET_PASSWORD,
	ID_ACCOUNT_REHASH,
	ID_ACCOUNT_VERIFY_EMAIL,
	ID_ACCOUNT_BLOCK,
	ID_ACCOUNT_BUMP_VERSION,
	ID_OTT_INSERT,
	ID_OTT_CONSUME,
	ID_OTT_INVALIDATE,
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

/* 32 random bytes, base64url (43 chars + NUL); -1 on failure. */
int	 id_random_token(char *, size_t);
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

/* The account as the API shows it, from an ID_ACCOUNT_GET row. */
json_t	*id_account_json(const struct db_res *, int);

#endif
