/*
 * metrics.c: per-route request counts by status and latency histograms.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "http/metrics.h"
#include "http/route.h"

static const int statuses[] = { 200, 201, 202, 204, 301, 302, 303, 304, 400,
    401, 403, 404, 405, 406, 409, 410, 413, 414, 415, 422, 429, 431, 500, 501, 503,
    504 };
#define NSTATUS		(sizeof(statuses) / sizeof(statuses[0]) + 1)	/* + other */

/* Upper bounds in microseconds. */
static const int64_t bounds[] = { 250, 500, 1000, 2500, 5000, 10000, 25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000 };
#define NBUCKET		(sizeof(bounds) / sizeof(bounds[0]) + 1)	/* + +Inf */

struct route_metrics {
	_Atomic uint64_t	 count[NSTATUS];
	_Atomic uint64_t	 bucket[NBUCKET];
	_Atomic uint64_t	 sum_us;
};

static struct route_metrics	*table;		/* [0] is "unmatched" */
static size_t			 nslots;
static _Atomic uint64_t		 counters[MC__COUNT];
static _Atomic long		 gauges[MG__COUNT];

void
metrics_init(void)
{
	nslots = router_count() + 1;
	table = xcalloc(nslots, sizeof(*table));
}

static size_t
status_slot(int status)
{
	size_t	 i;

	for (i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			return (i);
	return (NSTATUS - 1);
}

void
metrics_observe(int route, int status, int64_t us)
{
	struct route_metrics	*m;
	size_t			 b;

	if (table == NULL)
		return;
	m = &table[route < 0 ? 0 : (size_t)route + 1 < nslots ?
	    (size_t)route + 1 : 0];
	atomic_fetch_add_explicit(&m->count[status_slot(status)], 1,
	    memory_order_relaxed);
	for (b = 0; b < NBUCKET - 1 && us > bounds[b]; b++)
		;
	atomic_fetch_add_explicit(&m->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_us, (uint64_t)(us < 0 ? 0 : us),
	    memory_order_relaxed);
}

void
metrics_count(enum metric_counter c)
{
	atomic_fetch_add_explicit(&counters[c], 1, memory_order_relaxed);
}

void
metrics_gauge(enum metric_gauge g, long v)
{
	atomic_store_explicit(&gauges[g], v, memory_order_relaxed);
}

void
metrics_gauge_add(enum metric_gauge g, long v)
{
	atomic_fetch_add_explicit(&gauges[g], v, memory_order_relaxed);
}

#define NSOURCES	8
static void		(*sources[NSOURCES])(struct buf *);
static size_t		 nsources;

void
metrics_add_source(void (*render)(struct buf *))
{
	if (nsources == NSOURCES)
		fatalx("more than %d sources of metrics", NSOURCES);
	sources[nsources++] = render;
}

static uint64_t
counter(enum metric_counter c)
{
	return (atomic_load_explicit(&counters[c], memory_order_relaxed));
}

static long
gauge(enum metric_gauge g)
{
	return (atomic_load_explicit(&gauges[g], memory_order_relaxed));
}

/*
 * A lane's metrics: guichet_NAME_lane_requests_total by result,
 * guichet_NAME_lane_waiting and guichet_NAME_lane_addresses; 'what' says
 * what runs on it.  Its counters from 'c' on, its gauges from 'g' on
 * (metrics.h).
 */
static void
render_one_lane(struct buf *out, const char *name, const char *what,
    enum metric_counter c, enum metric_gauge g)
{
	buf_addf(out, "# HELP guichet_%s_lane_requests_total Requests for "
	    "the %s lane (%s), by result: queued, refused because their "
	    "address held its share (429), because the lane was full "
	    "(503) or because what they name (a sign-in's account) held its "
	    "share (429), and waiting ones that gave their place in a full "
	    "queue to an address holding fewer (429).\n"
	    "# TYPE guichet_%s_lane_requests_total counter\n"
	    "guichet_%s_lane_requests_total{result=\"queued\"} %llu\n"
	    "guichet_%s_lane_requests_total{result=\"refused_share\"} "
	    "%llu\n"
	    "guichet_%s_lane_requests_total{result=\"refused_full\"} %llu\n"
	    "guichet_%s_lane_requests_total{result=\"displaced\"} %llu\n"
	    "guichet_%s_lane_requests_total{result=\"refused_key\"} %llu\n",
	    name, name, what, name, name,
	    (unsigned long long)counter(c), name,
	    (unsigned long long)counter(c + 1), name,
	    (unsigned long long)counter(c + 2), name,
	    (unsigned long long)counter(c + 3), name,
	    (unsigned long long)counter(c + 4));
	buf_addf(out, "# HELP guichet_%s_lane_waiting Requests waiting for "
	    "the %s lane.\n# TYPE guichet_%s_lane_waiting gauge\n"
	    "guichet_%s_lane_waiting %ld\n"
	    "# HELP guichet_%s_lane_addresses Client addresses with requests "
	    "waiting for or running on the %s lane.\n"
	    "# TYPE guichet_%s_lane_addresses gauge\n"
	    "guichet_%s_lane_addresses %ld\n",
	    name, name, name, name, gauge(g), name, name, name, name,
	    gauge(g + 1));
}

/* The lanes and the connections reading their request's head. */
static void
render_lane(struct buf *out)
{
	render_one_lane(out, "slow", "password hashing", MC_SLOW_QUEUED,
	    MG_SLOW_WAITING);
	render_one_lane(out, "list", "lists of many rows", MC_LIST_QUEUED,
	    MG_LIST_WAITING);
	buf_addf(out, "# HELP guichet_http_connections_reading_headers "
	    "Connections reading a request's line and headers.\n"
	    "# TYPE guichet_http_connections_reading_headers gauge\n"
	    "guichet_http_connections_reading_headers %ld\n"
	    "# HELP guichet_http_connections_closed_total Connections closed "
	    "while reading a request's head, by reason: past header_timeout, "
	    "or the oldest of header_connection_limit making room.\n"
	    "# TYPE guichet_http_connections_closed_total counter\n"
	    "guichet_http_connections_closed_total{reason=\"header_timeout\"} "
	    "%llu\n"
	    "guichet_http_connections_closed_total{reason=\"header_limit\"} "
	    "%llu\n", gauge(MG_READING_HEADERS),
	    (unsigned long long)counter(MC_HEADER_TIMEOUTS),
	    (unsigned long long)counter(MC_HEADER_EVICTIONS));
	buf_addf(out, "# HELP guichet_upload_memory_bytes Memory held by the "
	    "bodies of uploads being received (at most upload_memory).\n"
	    "# TYPE guichet_upload_memory_bytes gauge\n"
	    "guichet_upload_memory_bytes %ld\n"
	    "# HELP guichet_uploads_refused_total Uploads answered 503 because "
	    "the uploads being received held upload_memory.\n"
	    "# TYPE guichet_uploads_refused_total counter\n"
	    "guichet_uploads_refused_total %llu\n", gauge(MG_UPLOAD_BYTES),
	    (unsigned long long)counter(MC_UPLOAD_REFUSED));
}

static void
labels(struct buf *out, size_t slot)
{
	const struct route	*r;

	if (slot == 0) {
		buf_adds(out, "route=\"unmatched\",method=\"\"");
		return;
	}
	r = router_at(slot - 1);
	buf_addf(out, "route=\"%s\",method=\"%s\"", r->pattern, r->method);
}

void
metrics_render(struct buf *out)
{
	struct route_metrics	*m;
	uint64_t		 v, cum, total;
	size_t			 i, s, b;

	if (table == NULL)
		return;
	buf_adds(out, "# HELP guichet_http_requests_total HTTP requests "
	    "answered, by route pattern, method and status.\n"
	    "# TYPE guichet_http_requests_total counter\n");
	for (i = 0; i < nslots; i++) {
		m = &table[i];
		for (s = 0; s < NSTATUS; s++) {
			v = atomic_load_explicit(&m->count[s],
			    memory_order_relaxed);
			if (v == 0)
				continue;
			buf_adds(out, "guichet_http_requests_total{");
			labels(out, i);
			if (s == NSTATUS - 1)
				buf_adds(out, ",status=\"other\"");
			else
				buf_addf(out, ",status=\"%d\"", statuses[s]);
			buf_addf(out, "} %llu\n", (unsigned long long)v);
		}
	}
	buf_adds(out, "# HELP guichet_http_request_duration_seconds Time from "
	    "the request's arrival to its response, by route pattern.\n"
	    "# TYPE guichet_http_request_duration_seconds histogram\n");
	for (i = 0; i < nslots; i++) {
		m = &table[i];
		total = 0;
		for (b = 0; b < NBUCKET; b++)
			total += atomic_load_explicit(&m->bucket[b],
			    memory_order_relaxed);
		if (total == 0 && i != 0)
			continue;
		cum = 0;
		for (b = 0; b < NBUCKET; b++) {
			cum += atomic_load_explicit(&m->bucket[b],
			    memory_order_relaxed);
			buf_adds(out, "guichet_http_request_duration_seconds_"
			    "bucket{");
			labels(out, i);
			if (b == NBUCKET - 1)
				buf_adds(out, ",le=\"+Inf\"");
			else
				buf_addf(out, ",le=\"%g\"",
				    (double)bounds[b] / 1e6);
			buf_addf(out, "} %llu\n", (unsigned long long)cum);
		}
		buf_adds(out, "guichet_http_request_duration_seconds_sum{");
		labels(out, i);
		buf_addf(out, "} %.6f\n", (double)atomic_load_explicit(
		    &m->sum_us, memory_order_relaxed) / 1e6);
		buf_adds(out, "guichet_http_request_duration_seconds_count{");
		labels(out, i);
		buf_addf(out, "} %llu\n", (unsigned long long)cum);
	}
	render_lane(out);
	for (i = 0; i < nsources; i++)
		sources[i](out);
}
