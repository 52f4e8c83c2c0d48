/*
 * cache.c: the response cache of public read-mostly GETs (cache.h).
 *
 * A small table under one read-write lock: CACHE_ENTRIES slots scanned by
 * hash (a hit compares 256 integers and one string), which is plenty for
 * what it holds (a few documents per language) and simple to bound.  Hits
 * share the lock (they copy the answer while holding it); stores and
 * drops take it alone, before any new hit (writers first: a notification
 * is never kept waiting by a stream of hits).  Under one mutex the hits of
 * eight threads queued behind each other's copies: at 113,000 req/s of
 * GET /api/v1/lifts one in ten waited in the kernel (futex), and a waiter
 * preempted on 2 cores is milliseconds of the p99.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/digest.h"
#include "base/xmalloc.h"
#include "db/notify.h"
#include "http/cache.h"
#include "http/reply.h"
#include "http/request.h"

struct entry {
	char			*key;		/* NULL: free slot */
	char			*tag;
	uint64_t		 hash;
	uint64_t		 seq;		/* store order, for eviction */
	int64_t			 stored;	/* clock_mono() */
	int64_t			 expires;	/* clock_mono() */
	char			*ctype;
	char			*body;
	size_t			 len;
	struct reply_header	 hdr[REPLY_HEADERS_MAX];
	int			 nhdr;
};

static pthread_rwlock_t	 lock;
static pthread_once_t	 lock_once = PTHREAD_ONCE_INIT;
static struct entry	 entries[CACHE_ENTRIES];
static uint64_t		 epoch = 1;	/* lock: bumped by every drop */
static uint64_t		 seq;		/* lock */
static int		 live;		/* lock: the listener listens */
static struct cache_stats st;		/* lock, but hits and misses: */
static _Atomic uint64_t	 n_hits, n_misses;

static void
lock_init(void)
{
	pthread_rwlockattr_t	 a;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&lock, &a);
	pthread_rwlockattr_destroy(&a);
}

static void
rdlock(void)
{
	pthread_once(&lock_once, lock_init);
	pthread_rwlock_rdlock(&lock);
}

static void
wrlock(void)
{
	pthread_once(&lock_once, lock_init);
	pthread_rwlock_wrlock(&lock);
}

static void
unlock(void)
{
	pthread_rwlock_unlock(&lock);
}

/* lock held (written). */
static void
entry_free(struct entry *e)
{
	int	 i;

	if (e->key == NULL)
		return;
	st.entries--;
	st.bytes -= e->len;
	free(e->key);
	free(e->tag);
	free(e->ctype);
	free(e->body);
	for (i = 0; i < e->nhdr; i++) {
		free(e->hdr[i].name);
		free(e->hdr[i].value);
	}
	memset(e, 0, sizeof(*e));
}

/* lock held (written). */
/* lock held (read at least). */
static struct entry *
find(const char *key, uint64_t h)
{
	size_t	 i;

	for (i = 0; i < CACHE_ENTRIES; i++)
		if (entries[i].key != NULL && entries[i].hash == h &&
		    strcmp(entries[i].key, key) == 0)
			return (&entries[i]);
	return (NULL);
}

/* lock held: the oldest entry, or NULL when there is none. */
static struct entry *
oldest(void)
{
	struct entry	*o = NULL;
	size_t		 i;

	for (i = 0; i < CACHE_ENTRIES; i++)
		if (entries[i].key != NULL && (o == NULL ||
		    entries[i].seq < o->seq))
			o = &entries[i];
	return (o);
}

void
cache_drop(const char *tag)
{
	size_t	 i;

	wrlock();
	epoch++;
	for (i = 0; i < CACHE_ENTRIES; i++)
		if (entries[i].key != NULL &&
		    (tag == NULL || strcmp(entries[i].tag, tag) == 0)) {
			entry_free(&entries[i]);
			st.drops++;
		}
	unlock();
}

uint64_t
cache_epoch(void)
{
	uint64_t	 e;

	rdlock();
	e = live ? epoch : 0;
	unlock();
	return (e);
}

static void
on_payload(const char *tag)
{
	cache_drop(tag);
}

static void
on_reset(int listening)
{
	cache_drop(NULL);
	wrlock();
	live = listening;
	epoch++;	/* what was read while it changed is not kept */
	unlock();
}

static const struct notify_sub sub = {
	"guichet_cache", on_payload, on_reset
};

void
cache_init(void)
{
	notify_subscribe(&sub);
}

int
cache_reply(struct request *req, const char *key)
{
	struct entry	*e;
	uint64_t	 h = fnv1a64(key);
	int		 i;

	rdlock();
	req->cache_epoch = epoch;
	/* An expired entry is a miss: the store that follows replaces it. */
	if (!live || (e = find(key, h)) == NULL || clock_mono() >= e->expires) {
		unlock();
		atomic_fetch_add_explicit(&n_misses, 1, memory_order_relaxed);
		return (0);
	}
	/* Copies: the entry may go as soon as the lock is released. */
	reply_bytes(req, 200, e->ctype != NULL ? request_strdup(req, e->ctype) :
	    NULL, e->body, e->len);
	for (i = 0; i < e->nhdr; i++)
		reply_header(req, e->hdr[i].name, e->hdr[i].value);
	unlock();
	atomic_fetch_add_explicit(&n_hits, 1, memory_order_relaxed);
	return (1);
}

void
cache_store(struct request *req, const char *key, const char *tag)
{
	cache_store_until(req, key, tag, 0);
}

void
cache_store_until(struct request *req, const char *key, const char *tag,
    int64_t until)
{
	const struct reply	*rp = &req->reply;
	struct entry		*e;
	const char		*body;
	char			 etag[40];
	uint64_t		 h = fnv1a64(key);
	int64_t			 ttl;
	size_t			 len;
	int			 i;

	if (rp->status != 200 || rp->stream != NULL)
		return;
	/* An answer that is wrong from 'until' on lives until then. */
	ttl = (int64_t)CACHE_TTL * 1000000;
	if (until > 0 && until - clock_now() < ttl)
		ttl = until - clock_now();
	if (ttl <= 0)
		return;
	body = rp->static_body != NULL ? rp->static_body :
	    rp->body.data != NULL ? rp->body.data : "";
	len = rp->static_body != NULL ? rp->static_len : rp->body.len;
	if (len > CACHE_ENTRY_BYTES)
		return;
	/* Hashed once here rather than on every hit (server.c adds one). */
	if (reply_header_get(req, "ETag") == NULL) {
		etag_of(body, len, etag);
		reply_header(req, "ETag", etag);
	}
	wrlock();
	/* Built from data that changed since: not worth keeping. */
	if (!live || req->cache_epoch != epoch) {
		unlock();
		return;
	}
	if ((e = find(key, h)) != NULL)
		entry_free(e);
	while (st.entries > 0 && (st.entries == CACHE_ENTRIES ||
	    st.bytes + len > CACHE_BYTES))
		entry_free(oldest());
	for (e = entries; e->key != NULL; e++)
		;
	e->key = xstrdup(key);
	e->tag = xstrdup(tag);
	e->hash = h;
	e->seq = ++seq;
	e->stored = clock_mono();
	e->expires = e->stored + ttl;
	e->ctype = rp->content_type != NULL ? xstrdup(rp->content_type) : NULL;
	e->body = xmalloc(len + 1);
	memcpy(e->body, body, len);
	e->body[len] = '\0';
	e->len = len;
	for (i = 0; i < rp->nheaders; i++) {
		e->hdr[i].name = xstrdup(rp->headers[i].name);
		e->hdr[i].value = xstrdup(rp->headers[i].value);
	}
	e->nhdr = rp->nheaders;
	st.entries++;
	st.bytes += len;
	st.stores++;
	unlock();
}

void
cache_stats(struct cache_stats *out)
{
	rdlock();
	*out = st;
	unlock();
	out->hits = atomic_load(&n_hits);
	out->misses = atomic_load(&n_misses);
}
