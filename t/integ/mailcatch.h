/*
 * mailcatch.h: a real SMTP server on loopback for the tests, and what it
 * received (on top of harness.h).
 *
 * The catcher is tools/mailcatch.py on Debian's aiosmtpd, run with the
 * command `tools/dev test` exports (GUICHET_TEST_SMTP_CATCHER): each
 * message it accepted (answered 250) is one file of its Maildir, the bytes
 * as they came, after a Return-Path and one Delivered-To per envelope
 * recipient.  A test starts its own on a free port, may kill it in the
 * middle of a batch (SIGKILL: no goodbye to the client) and start it again
 * on the same port and Maildir.  The catcher dies with the test process.
 *
 * Messages are read as JSON objects:
 *   {"file": name, "raw": the whole file,
 *    "headers": {lower-case name: [values, unfolded, as they came]},
 *    "envelope_to": [Delivered-To...], "return_path": "<...>",
 *    "subject": decoded (RFC 2047), "from": decoded,
 *    "body": decoded (quoted-printable or as is), "message_id": "<...>"}
 * in the order they were caught.
 */
#ifndef GUICHET_MAILCATCH_H
#define GUICHET_MAILCATCH_H

#include <sys/types.h>

#include <jansson.h>

#include "harness.h"

struct catcher {
	pid_t	 pid;		/* 0 when not running */
	int	 port;		/* kept from one start to the next */
	char	 dir[256];	/* the Maildir, kept too ("" before the start) */
};

/* The unchecked fixture: idl_prepare(), and exit 77 without a catcher. */
void	 mailcatch_prepare(void);
/*
 * Start the catcher (a free port and a new Maildir the first time, the
 * same ones after), accepting each message after 'delay_ms'; recipients
 * containing 'refuse' (may be NULL) get a 550.  Fails the test when it
 * does not listen within 10 s.
 */
void	 mailcatch_start(struct catcher *, int, const char *);
/* SIGKILL and reap it. */
void	 mailcatch_kill(struct catcher *);
/* "smtp://127.0.0.1:PORT" (static storage). */
const char *mailcatch_url(const struct catcher *);
/* Messages caught so far. */
int	 mailcatch_count(const struct catcher *);
/* Wait until at least 'n' were caught: the count (fails after 'ms'). */
int	 mailcatch_wait(const struct catcher *, int, int);
/* Every message caught, oldest first, as above (caller decrefs). */
json_t	*mailcatch_read(const struct catcher *);
/* The messages whose envelope recipient is 'to' (caller decrefs). */
json_t	*mailcatch_to(const struct catcher *, const char *);
/*
 * How many of the messages to 'to' have a subject holding 'subject' and
 * a body holding 'body' (NULL: any).
 */
int	 mailcatch_count_to(const struct catcher *, const char *, const char *,
	    const char *);

/*
 * Start the catcher 'c' and, on a fresh copy of the demo town with its
 * outbox empty, a guichetd 'e' that sends its mail to it at once
 * (retries after 1 s), from guichet@mairie.test.
 */
struct idenv;
void	 mailcatch_start_server(struct catcher *, struct idenv *);

/* The decoders, for what the tests check by hand. */
char	*mail_decode_words(const char *);	/* RFC 2047, B and Q */
char	*mail_decode_qp(const char *);		/* RFC 2045 6.7 */

#endif
