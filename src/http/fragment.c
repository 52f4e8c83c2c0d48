/*
 * fragment.c: pieces of answers kept in memory (fragment.h).
 *
 * A set-associative table: a key's hash picks a set of FRAGMENT_WAYS
 * slots.  The keys are hash128() of the form, the id and the versions:
 * ids and versions are the database's (uuids and transaction ids), which
 * no client chooses, so no one can make two keys meet on purpose.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/xmalloc.h"
#include "http/fragment.h"

#define LOCKS	128		/* sets share a mutex: set % LOCKS */

struct slot {
	unsigned char	 h[16];
	int64_t		 stored;	/* clock_mono(); 0: empty */
	uint64_t	 used;		/* the tick of its last use */
	char		*data;
	size_t		 len;
};

static struct slot	 slots[FRAGMENT_SETS][FRAGMENT_WAYS];
static pthread_mutex_t	 locks[LOCKS];
static pthread_once_t	 once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t	 tick, hits, misses;
static _Atomic size_t	 bytes;

static void
locks_init(void)
{
	int	 i;

	for (i = 0; i < LOCKS; i++)
		pthread_mutex_init(&locks[i], NULL);
}

void
fragment_key(struct fragment_key *k, const char *form, const char *id,
    const char *version)
{
	const char	*part[3] = { form, id, version };
	char		 small[256], *b = small;
	size_t		 len[3], n = 0, i;

	/* form NUL id NUL version, on the stack when it fits (one per row). */
	for (i = 0; i < 3; i++) {
		part[i] = part[i] != NULL ? part[i] : "";
		len[i] = strlen(part[i]);
		n += len[i] + 1;
	}
	if (n > sizeof(small))
		b = xmalloc(n);
	for (n = 0, i = 0; i < 3; i++) {
		memcpy(b + n, part[i], len[i] + 1);
		n += len[i] + 1;
	}
	hash128(b, n - 1, k->h);
	if (b != small)
		free(b);
}

static size_t
set_of(const struct fragment_key *k)
{
	uint32_t	 v;

	memcpy(&v, k->h, sizeof(v));
	return (v % FRAGMENT_SETS);
}

static int
expired(const struct slot *s, int64_t now)
{
	return (now - s->stored > (int64_t)FRAGMENT_TTL * 1000000);
}

static void
slot_clear(struct slot *s)
{
	if (s->stored == 0)
		return;
	atomic_fetch_sub(&bytes, s->len);
	free(s->data);
	s->data = NULL;
	s->len = 0;
	s->stored = 0;
}

int
fragment_get(const struct fragment_key *k, struct buf *out)
{
	size_t		 set = set_of(k), w;
	struct slot	*s;
	int64_t		 now = clock_mono();
	int		 found = 0;

	pthread_once(&once, locks_init);
	pthread_mutex_lock(&locks[set % LOCKS]);
	for (w = 0; w < FRAGMENT_WAYS; w++) {
		s = &slots[set][w];
		if (s->stored == 0 || memcmp(s->h, k->h, sizeof(s->h)) != 0)
			continue;
		if (!expired(s, now)) {
			s->used = atomic_fetch_add(&tick, 1);
			buf_add(out, s->data, s->len);
			found = 1;
		} else
			slot_clear(s);
		break;
	}
	pthread_mutex_unlock(&locks[set % LOCKS]);
	atomic_fetch_add(found ? &hits : &misses, 1);
	return (found);
}

/* Which slot of a set a store takes: the lowest rank, then the oldest. */
static int
rank(const struct slot *s, int64_t now)
{
	return (s->stored == 0 ? 0 : expired(s, now) ? 1 : 2);
}

void
fragment_put(const struct fragment_key *k, const char *data, size_t len)
{
	size_t		 set = set_of(k), w;
	struct slot	*s, *victim = NULL;
	int64_t		 now = clock_mono();

	if (len > FRAGMENT_PIECE_MAX)
		return;
	pthread_once(&once, locks_init);
	pthread_mutex_lock(&locks[set % LOCKS]);
	for (w = 0; w < FRAGMENT_WAYS; w++) {
		s = &slots[set][w];
		if (s->stored != 0 && memcmp(s->h, k->h, sizeof(s->h)) == 0) {
			victim = s;
			break;
		}
		if (victim == NULL || rank(s, now) < rank(victim, now) ||
		    (rank(s, now) == rank(victim, now) &&
		    s->used < victim->used))
			victim = s;
	}
	slot_clear(victim);
	if (atomic_load(&bytes) + len <= FRAGMENT_BYTES) {
		victim->data = xmalloc(len > 0 ? len : 1);
		memcpy(victim->data, data, len);
		victim->len = len;
		memcpy(victim->h, k->h, sizeof(victim->h));
		victim->stored = now > 0 ? now : 1;
		victim->used = atomic_fetch_add(&tick, 1);
		atomic_fetch_add(&bytes, len);
	}
	pthread_mutex_unlock(&locks[set % LOCKS]);
}

void
fragment_list_begin(struct fragment_list *fl, struct buf *out, int n,
    const char *sep)
{
	memset(fl, 0, sizeof(*fl));
	fl->out = out;
	fl->sep = sep;
	fl->start = out->len;
	fl->n = n;
	fl->off = xcalloc((size_t)n + 1, sizeof(*fl->off));
	fl->len = xcalloc((size_t)n + 1, sizeof(*fl->len));
	fl->fresh = xcalloc((size_t)n + 1, 1);
	fl->id = xcalloc((size_t)n + 1, sizeof(*fl->id));
	buf_init(&fl->made);
	buf_init(&fl->ids);
	buf_addc(&fl->ids, '{');
}

int
fragment_list_row(struct fragment_list *fl, int i,
    const struct fragment_key *k, const char *id)
{
	size_t	 mark = fl->out->len;

	if (fl->written > 0)
		buf_adds(fl->out, fl->sep);
	fl->off[i] = fl->out->len;
	if (fragment_get(k, fl->out)) {
		fl->len[i] = fl->out->len - fl->off[i];
		fl->written++;
		fl->rows++;
		return (1);
	}
	fl->out->len = mark;
	fl->len[i] = SIZE_MAX;
	fl->id[i] = id;
	if (fl->missing++ > 0)
		buf_addc(&fl->ids, ',');
	buf_adds(&fl->ids, id);
	return (0);
}

const char *
fragment_list_missing(struct fragment_list *fl)
{
	if (fl->missing == 0)
		return (NULL);
	buf_addc(&fl->ids, '}');
	return (fl->ids.data);
}

int
fragment_list_match(struct fragment_list *fl, const char *id, int *row)
{
	for (; fl->next < fl->n; fl->next++)
		if (fl->len[fl->next] == SIZE_MAX && !fl->fresh[fl->next] &&
		    strcmp(fl->id[fl->next], id) == 0) {
			*row = fl->next++;
			return (1);
		}
	return (0);
}

void
fragment_list_made(struct fragment_list *fl, int i, size_t from,
    const struct fragment_key *k)
{
	fl->off[i] = from;
	fl->len[i] = fl->made.len - from;
	fl->fresh[i] = 1;
	fl->rows++;
	fragment_put(k, fl->made.data + from, fl->len[i]);
}

void
fragment_list_end(struct fragment_list *fl)
{
	struct buf	 whole;
	int		 i, written = 0;

	if (fl->missing == 0)
		return;
	buf_init(&whole);
	buf_reserve(&whole, fl->out->len - fl->start + fl->made.len +
	    (size_t)fl->n * strlen(fl->sep));
	for (i = 0; i < fl->n; i++) {
		if (fl->len[i] == SIZE_MAX)
			continue;	/* gone */
		if (written++ > 0)
			buf_adds(&whole, fl->sep);
		buf_add(&whole, (fl->fresh[i] ? fl->made.data :
		    fl->out->data) + fl->off[i], fl->len[i]);
	}
	fl->out->len = fl->start;
	buf_add(fl->out, whole.data, whole.len);
	buf_cleanup(&whole);
}

void
fragment_list_free(struct fragment_list *fl)
{
	free(fl->off);
	free(fl->len);
	free(fl->fresh);
	free(fl->id);
	buf_cleanup(&fl->made);
	buf_cleanup(&fl->ids);
	memset(fl, 0, sizeof(*fl));
}

void
fragment_stats(struct fragment_stats *st)
{
	st->hits = atomic_load(&hits);
	st->misses = atomic_load(&misses);
	st->bytes = atomic_load(&bytes);
}
