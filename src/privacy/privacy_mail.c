/*
 * privacy_mail.c: what the privacy module tells the outbox (ops/outbox.h):
 * the messages it queues, with who may get each, and its gate: a person
 * whose processing is restricted (Art. 18) gets no mail but what the law
 * or their own request requires (guichet-privacy(7), "Mail").  Identity
 * and ops know nothing of restrictions: the gate is installed at init,
 * as the access recorder is (core/access.h).
 */
#include <stddef.h>

#include "core/module.h"
#include "db/db.h"
#include "ops/outbox.h"
#include "privacy/privacy_int.h"
#include "privacy/rights.h"

/*
 * Despite a restriction: the notice of its lift, which the person must
 * get before it (Art. 18(3)), and the answers to the person's rights
 * requests and their extensions (Art. 12(3), (4)).  Each to a verified
 * address only: what they say is personal, and an address nobody proved
 * may be someone else's; the DPO reads a suppressed one in the person's
 * notifications and tells the person by other means.
 */
const struct mail_template privacy_templates[PRIVACY_NTEMPLATES] = {
	{ .name = "restriction_lift", .flags = MAIL_DESPITE_RESTRICTION },
	{ .name = "rights_request_answer", .flags = MAIL_DESPITE_RESTRICTION },
	{ .name = "rights_request_extended",
	  .flags = MAIL_DESPITE_RESTRICTION },
};

static int
privacy_mail_gate(struct db *db, const char *account, const char *recipient,
    const struct mail_template *t, const char **reason, struct db_error *err)
{
	int	 rc;

	(void)recipient;
	if (t->flags & MAIL_DESPITE_RESTRICTION)
		return (0);
	if ((rc = privacy_is_restricted(db, account, err)) == 1)
		*reason = "restricted";
	return (rc);
}

void
privacy_mail_gate_install(void)
{
	outbox_gate_install(privacy_mail_gate);
}
