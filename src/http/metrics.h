/*
 * metrics.h: request counters and latency histograms, per route pattern,
 * rendered in the Prometheus text format.  Updated with relaxed atomics
 * from every worker thread; no lock on the request path.
 */
#ifndef GUICHET_METRICS_H
#define GUICHET_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/*
 * Events of the lanes and of connections (server.c).  A lane's five
 * counters and two gauges follow each other in this order, the slow
 * lane's first: MC_SLOW_QUEUED + 5 * lane is a lane's "queued".
 */
enum metric_counter {
	MC_SLOW_QUEUED,		/* a request handed to the slow lane */
	MC_SLOW_REFUSED_SHARE,	/* 429: its address holds its share */
	MC_SLOW_REFUSED_FULL,	/* 503: the lane's queue is full */
	MC_SLOW_DISPLACED,	/* 429: a waiting one gave its place */
	MC_SLOW_REFUSED_KEY,	/* 429: its route's lane_key holds its share */
	MC_LIST_QUEUED,		/* the same for the list lane */
	MC_LIST_REFUSED_SHARE,
	MC_LIST_REFUSED_FULL,
	MC_LIST_DISPLACED,
	MC_LIST_REFUSED_KEY,
	MC_HEADER_TIMEOUTS,	/* closed: headers past header_timeout */
	MC_HEADER_EVICTIONS,	/* closed: room for a new connection */
	MC_UPLOAD_REFUSED,	/* 503: uploads held upload_memory */
	MC__COUNT
};
enum metric_gauge {
	MG_SLOW_WAITING,	/* requests waiting for the slow lane */
	MG_SLOW_ADDRESSES,	/* addresses with requests on it */
	MG_LIST_WAITING,	/* the same for the list lane */
	MG_LIST_ADDRESSES,
	MG_READING_HEADERS,	/* connections reading a request's head */
	MG_UPLOAD_BYTES,	/* memory held by uploads being received */
	MG__COUNT
};

/* After router_init(): sizes the tables for the route table. */
void	metrics_init(void);
/* route -1: no route matched (404, 405). */
void	metrics_observe(int, int, int64_t);
void	metrics_count(enum metric_counter);
void	metrics_gauge(enum metric_gauge, long);
void	metrics_gauge_add(enum metric_gauge, long);
/*
 * What the layers and modules above add to /metrics: 'render' appends
 * whole families (HELP, TYPE, samples) at the end of metrics_render().
 * Registered at start-up (a module's init), before the server starts;
 * at most 8.
 */
void	metrics_add_source(void (*)(struct buf *));
void	metrics_render(struct buf *);

#endif
