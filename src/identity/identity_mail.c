/*
 * identity_mail.c: what identity tells the outbox (ops/outbox.h): the
 * messages it queues, with who may get each, and its gate: a message goes
 * only to an address of the account (its address, the new one waiting for
 * its proof, or the one it just left while the link back is alive), and
 * only to a verified one unless its template says otherwise
 * (guichet-privacy(7), "Mail").
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

/*
 * $2 the recipient, $3 now: 'left' when it is an address the account
 * just left, whose link back is still alive (the notice of the change
 * goes there, also once the new address is verified).
 */
static struct db_stmt id_mail_stmts[] = {
	{ .name = "identity_select_mail_gate",
	  .sql = "SELECT a.email, a.email_pending, a.email_verified_at IS NOT "
	  "NULL AS verified, EXISTS (SELECT 1 FROM identity.one_time_tokens o "
	  "WHERE o.account_id = a.id AND o.purpose = 'undo_email_change' AND "
	  "o.used_at IS NULL AND o.expires_at > $3::timestamptz AND o.email = "
	  "$2) AS left FROM identity.accounts a WHERE a.id = $1 AND a.status "
	  "<> 'erased'", .nparams = 3 },
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
	const char	*p[3] = { account, recipient, NULL };
	char		 key[IDENTITY_EMAIL_KEY_MAX], now[40];
	int		 verified, rc = 0;

	id_now(now);
	p[2] = now;
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
	} else if (!db_bool(res, 0, "left") ||
	    strcmp(t->name, "email_change_notice") != 0) {
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
