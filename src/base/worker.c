/*
 * worker.c: background threads (worker.h).
 */
#include <pthread.h>
#include <stdatomic.h>

#include "base/log.h"
#include "base/worker.h"

int
worker_start(struct worker *w, void *(*fn)(void *))
{
	if (w->started)
		return (0);
	atomic_store(&w->stop, 0);
	if (pthread_create(&w->thread, NULL, fn, NULL) != 0) {
		log_warnx("could not start %s", w->name);
		return (-1);
	}
	w->started = 1;
	return (0);
}

int
worker_stopping(struct worker *w)
{
	return (atomic_load(&w->stop));
}

void
worker_stop(struct worker *w)
{
	if (!w->started)
		return;
	atomic_store(&w->stop, 1);
	pthread_join(w->thread, NULL);
	w->started = 0;
}
