/*
 * rights.h: the rights of the person beyond consent: who looked at my data
 * (the access log), rights requests and their deadlines (Art. 12),
 * restriction (Art. 18) and objection (Art. 21).
 *
 * Invariants:
 *  - every read of a person's personal data by an agent, a DPO or a
 *    partner application calls privacy_access_record() in the transaction
 *    of the read: no row, no read (the caller rolls back when it fails);
 *    agents' and DPOs' reads need a purpose;
 *  - the access log is append-only (triggers); rows leave only through
 *    privacy.access_log_purge() (retention) and privacy.access_log_erase()
 *    (erasure), both SECURITY DEFINER (sql/006_privacy_rights.sql);
 *  - rows with a deferred disclosure (legal secrecy) are recorded at once
 *    and shown to the person only once the clock passes disclose_after;
 *  - a request is due one calendar month after it was received
 *    (deadline.h); it may be extended once by one or two months, only if
 *    the person is told within the first month; a refusal carries its
 *    reasons and the remedies (CNIL, courts), in the person's language;
 *  - a request is received no later than the clock (a few minutes of
 *    skew aside) and no earlier than the retention of rights requests or
 *    the RGPD (25 May 2018; a CHECK of the table too);
 *  - the DPO's read of one request is a read of the person: logged with
 *    its purpose like the subject read;
 *  - the person's own requests and consent changes have a budget per
 *    client address (privacy_int.h);
 *  - nothing here ever asks for a fee (Art. 12(5)): no 402, no fee field;
 *  - "restricted" has one definition, the SQL function
 *    privacy.is_restricted(); a lift queues the notice to the person
 *    (ops.outbox, template restriction_lift) before the state changes, in
 *    the same transaction, and the database refuses a lift without it;
 *  - an objection to direct marketing (the newsletter) withdraws the
 *    consent at once; one to a public-task or legitimate-interest purpose
 *    becomes a request the DPO decides with recorded grounds.
 */
#ifndef GUICHET_PRIVACY_RIGHTS_H
#define GUICHET_PRIVACY_RIGHTS_H

#include <stdint.h>

#include "base/lang.h"
#include "db/db.h"

struct principal;
struct request;

/* Make privacy_access_record() the recorder of core/access.h. */
void	 privacy_access_recorder_install(void);

/* Handlers (route table). */
int	 privacy_subject_get(struct request *);
int	 privacy_access_log_get(struct request *);
int	 privacy_requests_create(struct request *);
int	 privacy_requests_get(struct request *);
int	 privacy_requests_list(struct request *);
int	 privacy_requests_patch(struct request *);
int	 privacy_restriction_get(struct request *);
int	 privacy_restriction_post(struct request *);
int	 privacy_restriction_lift(struct request *);
int	 privacy_objection_post(struct request *);

/* Input schemas (route table). */
extern const struct json_spec	privacy_request_create_spec;
extern const struct json_spec	privacy_request_patch_spec;
extern const struct json_spec	privacy_objection_spec;

/*
 * For every module: record that 'principal' read 'dataset' ("identity.
 * account", "cases.case"...) record 'record' (may be NULL) of the person
 * 'subject', for 'purpose' (required unless the reader is a partner
 * application), disclosed to the person from 'disclose_after' (0: at
 * once).  The reader is a client (partner application), a DPO (role dpo)
 * or an agent, recorded with one of their departments.  Call it inside
 * the transaction of the read.  0, or -1 with 'err' (DB_E_CHECK when the
 * purpose is missing).
 */
int	 privacy_access_record(struct db *, const char *,
	    const struct principal *, const char *, const char *,
	    const char *, int64_t, struct db_error *);

/* Is 'account' restricted now?  1 yes, 0 no, -1 with 'err'. */
int	 privacy_is_restricted(struct db *, const char *, struct db_error *);

/*
 * The remedies a refusal must mention (Art. 12(4)): complaint to the
 * CNIL and judicial remedy, in the person's language.
 */
const char *privacy_remedies_text(enum lang);

/* The statements of rights_db.c (src/privacy only). */
enum rights_stmt {
	R_ACCESS_INSERT,
	R_ACCESS_LIST,
	R_SUBJECT_GET,
	R_ACCOUNT_LOCK,
	R_REQ_OLDEST,
	R_REQ_INSERT,
	R_REQ_GET,
	R_REQ_LOCK,
	R_REQ_LIST,
	R_REQ_START,
	R_REQ_EXTEND,
	R_REQ_CLOSE,
	R_REQ_OPEN_OBJECTION,
	R_PURPOSE_BASIS,
	R_RESTRICT_OPEN,
	R_RESTRICT_HISTORY,
	R_RESTRICT_INSERT,
	R_RESTRICT_LIFT,
	R_IS_RESTRICTED,
	R__COUNT
};

extern struct db_stmt	rights_stmts[R__COUNT];

#define R_STMT(x)	(&rights_stmts[(x)])

#endif
