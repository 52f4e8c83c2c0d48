/*
 * worker.h: a background thread of its own that a module starts and
 * stops (the notification listener, the retention purge): one way to
 * start it, to ask it to stop, and to wait for it.
 */
#ifndef GUICHET_WORKER_H
#define GUICHET_WORKER_H

#include <pthread.h>
#include <stdatomic.h>

struct worker {
	const char	*name;		/* for the log: "the retention thread" */
	pthread_t	 thread;
	int		 started;
	atomic_int	 stop;
};

/*
 * Run 'fn' on a thread of its own, unless it runs already; a failure is
 * logged (the server goes on without it): 0, or -1.
 */
int	 worker_start(struct worker *, void *(*fn)(void *));
/* Whether the thread was asked to stop (its loop tests it). */
int	 worker_stopping(struct worker *);
/* Ask it to stop and wait for it (nothing when it did not start). */
void	 worker_stop(struct worker *);

#endif
