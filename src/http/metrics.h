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

/* After router_init(): sizes the tables for the route table. */
void	metrics_init(void);
/* route -1: no route matched (404, 405). */
void	metrics_observe(int, int, int64_t);
void	metrics_render(struct buf *);

#endif
