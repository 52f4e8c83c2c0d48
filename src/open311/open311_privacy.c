/*
 * open311_privacy.c: the open311 module's privacy hooks (core/module.h).
 *
 * An Open311 request carries the reporter's contact as the partner
 * application gave it (email, first and last name, phone, the partner's
 * device and account ids): category partner_contact.  It is tied to a
 * person with an account by the address, compared as accounts compare
 * them (identity_email_normalise(): the email_key stored beside it), and
 * by the account the address was when filed (person_id: the identity
 * module erases the address before this hook runs): the
 * person's export shows those requests' contact, their erasure removes it
 * (the report itself stays, the incidents module's).  Retention: the rule
 * partner_contacts (sql/026_open311.sql) removes it a year after filing.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/clock.h"
#include "core/module.h"
#include "db/db.h"
#include "identity/identity.h"
#include "open311/open311_int.h"

/* The key of the account's address into 'key'; 0, 1 without one, -1. */
static int
account_key(struct db *db, const char *account, char *key, size_t len,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { account };

	if (db_exec(db, OS(OS_ACCOUNT_EMAIL), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1 || db_str(res, 0, "email") == NULL) {
		db_res_free(res);
		return (1);
	}
	(void)identity_email_normalise(db_str(res, 0, "email"), 0, key, len);
	db_res_free(res);
	return (key[0] != '\0' ? 0 : 1);
}

static int
open311_export(struct db *db, const char *account, struct buf *out,
    struct privacy_portable *portable, struct db_error *err)
{
	struct db_res	*res = NULL;
	char		 key[IDENTITY_EMAIL_KEY_MAX] = "";
	const char	*p[2] = { account, NULL };
	int		 k;

	if ((k = account_key(db, account, key, sizeof(key), err)) == -1)
		return (-1);
	p[1] = k == 0 ? key : NULL;
	if (db_exec(db, OS(OS_EXPORT), p, &res, err) == -1)
		return (-1);
	privacy_section_add(res, out, NULL);
	db_res_free(res);
	if (portable != NULL)
		buf_adds(portable->out, "{}");
	return (0);
}

static int
open311_erase(struct db *db, const char *account, const char *salt,
    json_t *erased, json_t *retained, struct db_error *err)
{
	struct db_res	*res = NULL;
	char		 key[IDENTITY_EMAIL_KEY_MAX] = "", now[40];
	const char	*p[3] = { account, now, NULL };
	int		 k;

	(void)salt;
	(void)retained;
	if ((k = account_key(db, account, key, sizeof(key), err)) == -1)
		return (-1);
	p[2] = k == 0 ? key : NULL;
	clock_format(clock_now(), now, sizeof(now));
	if (db_exec(db, OS(OS_ERASE), p, &res, err) == -1)
		return (-1);
	privacy_erased_add(erased, "open311", "partner_contact",
	    (long)db_int64(res, 0, "records"), "nullify");
	db_res_free(res);
	return (0);
}

const struct privacy_hooks open311_privacy_hooks = {
	.export = open311_export,
	.erase = open311_erase,
};
