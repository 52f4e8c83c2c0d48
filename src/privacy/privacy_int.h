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
	PRIV__COUNT
};

extern struct db_stmt	privacy_stmts[PRIV__COUNT];

#define PRIV_STMT(x)	(&privacy_stmts[(x)])

/* Columns of a PRIV_CONSENT_STATES / PRIV_CONSENT_STATE row. */
enum consent_col {
	CC_PURPOSE, CC_TITLE, CC_DESCRIPTION, CC_VERSION, CC_GIVEN,
	CC_LAST_ACTION, CC_LAST_VERSION, CC_LAST_AT
};

/* Most history rows GET /me/consents shows (newest first). */
#define PRIV_HISTORY_MAX	200

/* 1 when 's' has the shape of a purpose code (checked before any SQL). */
int	 priv_purpose_code_ok(const char *);

#endif
