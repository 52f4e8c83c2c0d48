/*
 * idempotency.h: Idempotency-Key on POST (ARCHITECTURE.md, "API conventions"): the same request sent
 * again by the same caller with the same key gets the first answer again,
 * and its action is done once.
 *
 * Rules (guichetd(8), "Idempotency-Key"):
 *  - POST only; the header is ignored on other methods;
 *  - 1 to 255 visible ASCII characters, else 400;
 *  - keys are scoped per caller (a person or a partner client): an
 *    anonymous POST with the header gets 400, as does a route whose answer
 *    holds a secret (ROUTE_NO_REPLAY: it is never stored);
 *  - first use: the key is claimed before the handler runs and the answer
 *    stored after it, unless it is 5xx, 408 or 429 (worth retrying: the
 *    claim is dropped);
 *  - same key, same method, path and body: the stored answer (status,
 *    Content-Type, Location, body) with "Idempotent-Replayed: true";
 *  - same key while the first still runs: 409 with Retry-After, whatever
 *    the body; same key, another request: 422; a claim older than a
 *    minute that never completed (a crash) is taken over;
 *  - rows live one day (retention rule idempotency_keys) and go with the
 *    person's erasure.
 */
#ifndef GUICHET_IDEMPOTENCY_H
#define GUICHET_IDEMPOTENCY_H

struct request;

/* Statements and the server hook; once, before the server starts. */
void	 idempotency_init(void);

#endif
