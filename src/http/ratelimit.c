/*
 * ratelimit.c: sliding-window budgets in a fixed, lock-striped table
 * (ratelimit.h).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/digest.h"
#include "http/ratelimit.h"
#include "http/reply.h"

#define PROBE		8
#define KEY_MAX		96

struct slot {
	uint64_t	 hash;
	char		 key[KEY_MAX];	/* "<bucket>:<key>", truncated */
	int64_t		 start;		/* the current window's, seconds */
	int		 window;
	int		 cur;
	int		 prev;
};

static struct slot	 slots[RATELIMIT_SLOTS];
static pthread_mutex_t	 locks[64] = { [0 ... 63] = PTHREAD_MUTEX_INITIALIZER };

/* Move the slot's windows forward to the one that holds 'now'. */
static void
advance(struct slot *s, int64_t now)
{
	int64_t	 gap = (now - s->start) / s->window;

	if (gap <= 0)
		return;
	s->prev = gap == 1 ? s->cur : 0;
	s->cur = 0;
	s->start += gap * s->window;
}

int
ratelimit_take(const char *bucket, const char *key, int limit, int window,
    int *retry_after)
{
	char		 k[KEY_MAX];
	uint64_t	 h;
	int64_t		 now = clock_mono() / 1000000, stalest = INT64_MAX;
	struct slot	*s = NULL, *victim = NULL;
	pthread_mutex_t	*lk;
	unsigned	 i, at;
	double		 weight, estimate;
	int		 rc = 0;

	if (window < 1)
		window = 1;
	snprintf(k, sizeof(k), "%s:%s", bucket, key);
	h = fnv1a64(k);
	at = (unsigned)(h & (RATELIMIT_SLOTS - 1)) & ~(unsigned)(PROBE - 1);
	/* A probe run never crosses a lock: PROBE divides the stripe. */
	lk = &locks[(at / PROBE) & 63];
	pthread_mutex_lock(lk);
	for (i = 0; i < PROBE; i++) {
		struct slot	*c = &slots[at + i];

		if (c->hash == h && strcmp(c->key, k) == 0) {
			s = c;
			break;
		}
		if (c->hash == 0 || c->start + 2 * c->window < now) {
			if (victim == NULL || c->hash == 0)
				victim = victim != NULL && victim->hash == 0 ?
				    victim : c;
		} else if (victim == NULL && c->start < stalest) {
			stalest = c->start;
			victim = c;
		}
	}
	if (s == NULL) {
		s = victim != NULL ? victim : &slots[at];
		memset(s, 0, sizeof(*s));
		s->hash = h;
		snprintf(s->key, sizeof(s->key), "%s", k);
		s->start = now;
		s->window = window;
	}
	advance(s, now);
	weight = 1.0 - (double)(now - s->start) / s->window;
	estimate = s->prev * weight + s->cur;
	if (estimate + 1 > limit) {
		rc = 1;
		/* A hint: by the next window the older share has decayed. */
		if (retry_after != NULL) {
			*retry_after = (int)(s->start + s->window - now);
			if (*retry_after < 1)
				*retry_after = 1;
		}
	} else
		s->cur++;
	pthread_mutex_unlock(lk);
	return (rc);
}

int
ratelimit_or_reply(struct request *req, const char *bucket, const char *key,
    int limit, int window)
{
	char	 retry[16];
	int	 after = 1;

	if (ratelimit_take(bucket, key, limit, window, &after) == 0)
		return (0);
	snprintf(retry, sizeof(retry), "%d", after);
	reply_error(req, HTTP_ERR(HE_RATE_LIMITED), retry);
	reply_header(req, "Retry-After", retry);
	return (-1);
}

int
ratelimit_peer_or_reply(struct request *req, const char *bucket, int limit,
    int window)
{
	char	 peer[64];

	request_peer_group(req, peer, sizeof(peer));
	return (ratelimit_or_reply(req, bucket, peer, limit, window));
}

void
ratelimit_reset(void)
{
	int	 i;

	for (i = 0; i < 64; i++)
		pthread_mutex_lock(&locks[i]);
	memset(slots, 0, sizeof(slots));
	for (i = 63; i >= 0; i--)
		pthread_mutex_unlock(&locks[i]);
}
