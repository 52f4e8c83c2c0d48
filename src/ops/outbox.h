/*
 * outbox.h: the messages to send (ops.outbox, owned by the ops module).
 *
 * The one way any module queues a message: outbox_queue(), inside the
 * caller's transaction, so that a message exists exactly when the change
 * it tells about committed.  The recipient is whatever the caller read
 * from its own store of record in the same transaction (identity_mail()
 * for people): never an address taken from a request.  A mailer sends
 * what is queued; guichetctl outbox list shows it.
 */
#ifndef GUICHET_OPS_OUTBOX_H
#define GUICHET_OPS_OUTBOX_H

#include <jansson.h>

struct db;
struct db_error;

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

#endif
