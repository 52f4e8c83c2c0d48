/*
 * identity_mail.c: what identity tells the outbox (ops/outbox.h): the
 * messages it queues, with who may get each, and its gate: a message goes
 * only to an address of the account (its address, or the new one waiting
 * for its proof), and only to a verified one unless its template says
 * otherwise (guichet-privacy(7), "Mail").
 */
#include <stddef.h>
#include <string.h>

#include "core/module.h"
#include "db/db.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "ops/outbox.h"

/*
 * To an address not yet verified: the verification itself (the proof);
 * the reset and the invitation, whose link proves the address the same
 * way and goes only to the stored address.  Despite a restriction: what
 * the person asked for at that moment (a verification, a reset: their
 * consent, Art. 18(2)) and the notice of a change of address, which
 * protects them against whoever took their account.  Never to a new
 * address but the verification; the notice goes to the old address only
 * if it was verified.
 */
const struct mail_template identity_templates[IDENTITY_NTEMPLATES] = {
	{ .name = "verify_email",
	  .flags = MAIL_TO_UNVERIFIED | MAIL_DESPITE_RESTRICTION },
	{ .name = "reset_password",
	  .flags = MAIL_TO_UNVERIFIED | MAIL_DESPITE_RESTRICTION },
	{ .name = "agent_invitation", .flags = MAIL_TO_UNVERIFIED },
	{ .name = "email_change_notice", .flags = MAIL_DESPITE_RESTRICTION },
};

static struct db_stmt id_mail_stmts[] = {
	{ .name = "identity_select_mail_gate",
	  .sql = "SELECT email, email_pending, email_verified_at IS NOT NULL "
	  "AS verified FROM identity.accounts WHERE id = $1 AND status <> "
	  "'erased'", .nparams = 1 },
};

const struct module_stmts identity_mail_stmt_table = {
	.stmts = id_mail_stmts, .count = NELEM(id_mail_stmts) };

/* 1 when 'a' (may be NULL) and the key 'key' are one identity. */
static int
same_address(const char *a, const char *key)
{
	char	 k[IDENTITY_EMAIL_KEY_MAX];

	if (a == NULL)
		return (0);
	(void)identity_email_normalise(a, 0, k, sizeof(k));
	return (strcmp(k, key) == 0);
}

static int
identity_mail_gate(struct db *db, const char *account, const char *recipient,
    const struct mail_template *t, const char **reason, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { account };
	char		 key[IDENTITY_EMAIL_KEY_MAX];
	int		 verified, rc = 0;

	if (db_exec(db, &id_mail_stmts[0], p, &res, err) == -1)
		return (-1);
	(void)identity_email_normalise(recipient, 0, key, sizeof(key));
	if (db_res_rows(res) != 1) {
		*reason = "no_account";
		rc = 1;
	} else if (same_address(db_str(res, 0, "email"), key)) {
		verified = db_bool(res, 0, "verified");
		if (!verified && !(t->flags & MAIL_TO_UNVERIFIED)) {
			*reason = "unverified_address";
			rc = 1;
		}
	} else if (same_address(db_str(res, 0, "email_pending"), key)) {
		if (!(t->flags & MAIL_TO_UNVERIFIED)) {
			*reason = "unverified_address";
			rc = 1;
		}
	} else {
		/* No longer an address of the account. */
		*reason = "address_changed";
		rc = 1;
	}
	db_res_free(res);
	return (rc);
}

void
identity_mail_gate_install(void)
{
	outbox_gate_install(identity_mail_gate);
}
