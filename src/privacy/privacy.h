/*
 * privacy.h: the register of processing activities (Art. 30 RGPD), the
 * categories of personal data that drive erasure and retention, and
 * consent (Art. 7).
 *
 * Invariants:
 *  - the register is read from the database on every request, so it is
 *    the same data that the column tags (pii:<category>), the consent
 *    ledger and the purge job use: it cannot drift from them;
 *  - the consent ledger is append-only; a person's state for a purpose is
 *    the latest row, and no row means withdrawn (Art. 25: new purposes
 *    start withdrawn for everybody);
 *  - "consents" has one definition, the SQL function
 *    privacy.consent_given(); privacy_consent_given() and the view
 *    privacy.newsletter_recipients both use it;
 *  - times recorded come from the injectable clock (clock_now()).
 */
#ifndef GUICHET_PRIVACY_H
#define GUICHET_PRIVACY_H

struct db;
struct db_error;
struct request;


/* Handlers (route table). */
int	 privacy_register_get(struct request *);
int	 privacy_consents_list(struct request *);
int	 privacy_consent_give(struct request *);
int	 privacy_consent_withdraw(struct request *);

/*
 * For other modules: does 'account' consent to 'purpose' now?  1 yes,
 * 0 no (also for an unknown or non consent-based purpose), -1 with 'err'.
 * A caller that cannot ask must act as if the answer were no.
 */
int	 privacy_consent_given(struct db *, const char *, const char *,
	    struct db_error *);

/* What privacy_consent_set() did. */
enum consent_outcome {
	CONSENT_RECORDED,	/* a ledger row was appended */
	CONSENT_UNCHANGED,	/* the state was already the one asked for */
	CONSENT_NO_PURPOSE,	/* unknown purpose */
	CONSENT_NOT_OPTIONAL,	/* the purpose is not consent-based */
	CONSENT_NO_ACCOUNT,	/* no active account */
	CONSENT_FAILED,		/* database error: see 'err' */
};

/*
 * Give ('given' nonzero) or withdraw a consent for 'account' through
 * 'channel' ("api", "web" or "counter"), in its own transaction.
 * Idempotent: asking for the current state appends nothing.
 */
enum consent_outcome privacy_consent_set(struct db *, const char *,
	    const char *, int, const char *, struct db_error *);

#endif
