/*
 * outbox.h: the notifications to people (ops.outbox, owned by the ops
 * module), and who may be written to.
 *
 * The one way any module queues a message: outbox_queue(), inside the
 * caller's transaction, so that a message exists exactly when the change
 * it tells about committed.  The recipient is whatever the caller read
 * from its own store of record in the same transaction (identity_mail()
 * for people): never an address taken from a request.  The template must
 * be declared by a module (core/module.h, 'templates').
 *
 * Every message is recorded, sent or not: the gates (below) decide at
 * once whether it may go, and the sender (guichetd's mail thread) asks
 * them again when it takes the message up, so that a restriction that
 * began meanwhile holds.  A message that may not go is 'suppressed' with
 * the reason; the person sees it in GET /api/v1/me/notifications.
 */
#ifndef GUICHET_OPS_OUTBOX_H
#define GUICHET_OPS_OUTBOX_H

#include <jansson.h>

struct db;
struct db_error;
struct mail_template;

/*
 * Queue 'template' (a name of templates/mail/) for 'recipient' in
 * 'locale' (fr, en, it) with the template's values 'payload' (an object;
 * not stolen).  'account' (may be NULL) is whom it concerns: export and
 * erasure find the message through it.  'id' (may be NULL) receives the
 * message's uuid (>= 37 bytes).  0, or -1 with 'err'.
 */
int	 outbox_queue(struct db *, const char *account, const char *recipient,
	    const char *template, const char *locale, const json_t *payload,
	    char *id, struct db_error *err);

/*
 * A gate: may 'template' go to 'recipient' for the person 'account'?
 * 0 yes; 1 no, with *reason a static snake_case word (it is stored and
 * shown: "unverified_address", "restricted"); -1 with 'err'.  Modules
 * above ops install theirs at init (core/access.h's pattern): identity
 * knows whether an address is the person's and verified, privacy whether
 * the person's processing is restricted.  Messages without an account go.
 */
typedef int	(*outbox_gate_fn)(struct db *, const char *account,
		    const char *recipient, const struct mail_template *,
		    const char **reason, struct db_error *err);
/* Once per gate, at init, before any thread runs. */
void	 outbox_gate_install(outbox_gate_fn);

#endif
