/*
 * ratelimit.h: request budgets per key, in this process.
 *
 * A budget is "at most 'limit' requests per 'window' seconds" for one key
 * of one bucket ("register" and a client address, "client" and a partner
 * id).  The count is a sliding window (the previous window's count,
 * weighted by how much of it still overlaps, plus the current one), kept
 * in a fixed table apart from any cache, so that reloading a principal
 * never resets a budget.  The table holds RATELIMIT_SLOTS keys: when a
 * flood of distinct keys fills it, the stalest entry is reused, which can
 * only forget an old budget early, never refuse a new key.
 *
 * Several guichetd processes behind a proxy each keep their own budgets:
 * the limit per key is at most the budget times the number of processes
 * (README, "Security").  What must hold across processes (sign-in
 * failures) lives in the database instead.
 */
#ifndef GUICHET_RATELIMIT_H
#define GUICHET_RATELIMIT_H

struct errcode;
struct request;

#define RATELIMIT_SLOTS	16384

/*
 * Count one request against the budget of 'bucket'/'key'.  0 when it is
 * within the budget; 1 when it is over (nothing counted), with
 * *retry_after the seconds until one more fits.
 */
int	 ratelimit_take(const char *, const char *, int, int, int *);

/*
 * The same for a request: over the budget, a 429 with Retry-After (code
 * "rate_limited") is the reply and -1 returned: the caller just returns.
 */
int	 ratelimit_or_reply(struct request *, const char *, const char *, int,
	    int);
/*
 * The same with the client's address as the key: an IPv6 one by its /64
 * (request_peer_group()), as every budget per client address.
 */
int	 ratelimit_peer_or_reply(struct request *, const char *, int, int);

/* Forget every budget (tests). */
void	 ratelimit_reset(void);

#endif
