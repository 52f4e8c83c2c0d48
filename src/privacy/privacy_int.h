/*
 * privacy_int.h: shared between the files of src/privacy only.
 */
#ifndef GUICHET_PRIVACY_INT_H
#define GUICHET_PRIVACY_INT_H

#include "db/db.h"

/* The statements of privacy_db.c, by index into privacy_stmts[]. */
enum privacy_stmt {
	PRIV_TOWN_GET,
	PRIV_CATEGORY_LIST,
	PRIV_PURPOSE_LIST,
	PRIV_CONSENT_STATES,
	PRIV_CONSENT_STATE,
	PRIV_CONSENT_HISTORY,
	PRIV_ACCOUNT_LOCK,
	PRIV_PURPOSE_GET,
	PRIV_CONSENT_LATEST,
	PRIV_CONSENT_INSERT,
	PRIV_CONSENT_GIVEN,
	PRIV_PERSON_LOCK,
	PRIV__COUNT
};

extern struct db_stmt	privacy_stmts[PRIV__COUNT];

#define PRIV_STMT(x)	(&privacy_stmts[(x)])

/* Columns of a PRIV_CONSENT_STATES / PRIV_CONSENT_STATE row. */
enum consent_col {
	CC_PURPOSE, CC_TITLE, CC_DESCRIPTION, CC_VERSION, CC_GIVEN,
	CC_LAST_ACTION, CC_LAST_VERSION, CC_LAST_AT
};

/* The module's pieces (privacy_module.c). */
struct module_stmts;
struct privacy_hooks;
extern const struct module_stmts	privacy_stmt_table;
extern const struct module_stmts	rights_stmt_table;
extern const struct module_stmts	erase_stmt_table;
extern const struct module_stmts	export_stmt_table;
extern const struct module_stmts	retention_stmt_table;
extern const struct module_stmts	privacy_hook_stmt_table;
extern const struct privacy_hooks	privacy_privacy_hooks;

/* Most history rows GET /me/consents shows (newest first). */
#define PRIV_HISTORY_MAX	200

/*
 * One change of a person's privacy state at a time (consents, rights,
 * restriction, erasure): a transaction-scoped lock on the person's id,
 * the privacy module's own (it never locks identity's rows).  Taken
 * first in the transaction; the statements after it see what committed
 * before.  0, or -1 with 'err'.
 */
int	 privacy_person_lock(struct db *, const char *, struct db_error *);

/* 1 when 's' has the shape of a purpose code (checked before any SQL). */
int	 priv_purpose_code_ok(const char *);

#endif
