/*
 * cases.h: démarches (README, "Démarches"): the cases people file under the
 * procedures of the catalogue (procedures/procedures.h), which the
 * procedure's department processes to a decision.  What the modules above
 * it may use; the rest is the module's own (cases_int.h).
 *
 * Invariants:
 *  - a case is its owner's and its department's: every decision goes
 *    through policy_case() (auth/policy.h); what a caller may not read
 *    does not exist for it (404);
 *  - a case moves only along the transition table (cases_flow.c), one
 *    transaction per move, with its append-only history row and the mail
 *    it causes (ops/outbox.h through identity_mail());
 *  - at submission a case gets a readable reference without gaps and an
 *    acknowledgement of receipt carrying what the law requires (CRPA
 *    L112-11, R112-11-1 to R112-11-3, R112-5, L114-5), kept as issued;
 *  - deadlines are calendar days in the town's time zone, paused while
 *    information is awaited; silence decides as the procedure says, once,
 *    whichever guichetd sees it first (cases_jobs.c);
 *  - every read of a case by staff is in the access log, in the
 *    transaction of the read, with the case's reference as its purpose.
 *
 * The entitlements an accepted case grants (cases.entitlements, exported:
 * account_id, kind, season) are for the modules that price them (the
 * lift-pass module); the person sees theirs at GET /api/v1/me/entitlements.
 */
#ifndef GUICHET_CASES_H
#define GUICHET_CASES_H

struct db;
struct db_error;

/*
 * Does 'account' hold the entitlement 'kind' for 'season' (granted by an
 * accepted case)?  1 yes, 0 no, -1 with 'err'.
 */
int	 cases_entitled(struct db *, const char *, const char *, const char *,
	    struct db_error *);

#endif
