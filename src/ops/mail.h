/*
 * mail.h: what a message of the outbox becomes on the wire (src/ops only).
 *
 * Templates: templates/mail/<name>.<fr|en|it>, UTF-8; the first line is
 * "Subject: <text>", then a blank line, then the body.  "{{name}}" is
 * replaced by the member 'name' of the values (a string, a number; null
 * gives nothing), "{{a.b}}" by a nested member; nothing else: no logic,
 * no escaping (the mail is plain text).  The modules declare their
 * templates (core/module.h); guichetd loads every declared one in the
 * three languages at start-up and refuses to start without one.
 *
 * The message: RFC 5322 with MIME, UTF-8 text/plain in quoted-printable
 * (7-bit safe on any relay), the Subject and the sender's name as RFC 2047
 * encoded words when they are not plain ASCII, Date, a Message-ID made
 * from the outbox id (the same at every attempt, so that a receiver can
 * tell a repeat), Content-Language and Auto-Submitted: auto-generated
 * (RFC 3834: no automatic replies).  Lines end with CRLF.
 */
#ifndef GUICHET_OPS_MAIL_H
#define GUICHET_OPS_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/lang.h"

struct buf;

/* A template in one language, as parsed. */
struct mail_text {
	char	*subject;	/* without "Subject: " */
	char	*body;
};

/*
 * Parse the text of a template file ('len' bytes): 0, or -1 with the
 * reason in 'err' (no Subject line, no blank line after it, invalid
 * UTF-8, a NUL byte).  CRLF line ends are read as LF.
 */
int	 mail_text_parse(const char *, size_t, struct mail_text *, char *,
	    size_t);
void	 mail_text_free(struct mail_text *);

/*
 * 'tmpl' with its placeholders replaced by the members of 'values' (an
 * object).  NULL when a placeholder names no member or one that is
 * neither a string, a number nor null; then 'missing' (may be NULL)
 * receives its name.
 */
char	*mail_render(const char *, const json_t *, char *, size_t);

/*
 * Every template the modules declare, in every language, from
 * '<dir>/mail/': 0, or -1 with the first missing or malformed file named
 * in 'err'.  Once, before threads.
 */
int	 mail_templates_load(const char *, char *, size_t);
/* A loaded template, or NULL. */
const struct mail_text *mail_template(const char *, enum lang);

/* A message to put on the wire. */
struct mail_msg {
	const char	*id;		/* the outbox id: the Message-ID's left part */
	const char	*from_name;	/* the town's name (may be NULL) */
	const char	*from;		/* mail_from */
	const char	*to;		/* the recipient's address */
	const char	*subject;	/* rendered */
	const char	*body;		/* rendered, LF line ends */
	enum lang	 lang;
	int64_t		 date;		/* microseconds since the epoch */
};
/* The whole message, CRLF line ends (caller frees); *len its length. */
char	*mail_compose(const struct mail_msg *, size_t *);

/* The pieces, for the tests. */
/* 'text' in quoted-printable (RFC 2045 6.7), CRLF line ends. */
void	 mail_qp(struct buf *, const char *);
/*
 * "Name: value" and CRLF, the value as RFC 2047 encoded words (UTF-8,
 * base64, folded) unless it is printable ASCII short enough; 'phrase'
 * encodes any character a display name would have to quote.
 */
void	 mail_header(struct buf *, const char *, const char *, int);
/* "Sun, 20 Dec 2026 08:30:00 +0000" (RFC 5322 3.3) into >= 32 bytes. */
void	 mail_date(int64_t, char *, size_t);

#endif
