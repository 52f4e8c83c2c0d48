/*
 * notify.c: the one LISTEN connection of the process (notify.h).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/worker.h"
#include "db/db.h"
#include "db/notify.h"

static const struct notify_sub	*subs[NOTIFY_SUBS_MAX];
static size_t			 nsubs;
static struct worker		 listener = { .name =
    "the notification listener" };

void
notify_subscribe(const struct notify_sub *s)
{
	size_t	 i;

	for (i = 0; i < nsubs; i++)
		if (subs[i] == s)
			return;
	if (nsubs == NOTIFY_SUBS_MAX)
		fatalx("too many notification subscriptions");
	subs[nsubs++] = s;
}

static void
reset_all(int listening)
{
	size_t	 i;

	for (i = 0; i < nsubs; i++)
		if (subs[i]->on_reset != NULL)
			subs[i]->on_reset(listening);
}

/*
 * Every channel in one statement, so on one connection: a reconnection
 * between two LISTENs would leave the first channel unheard.
 */
static int
listen_all(struct db *db)
{
	struct db_error	 err;
	char		 sql[NOTIFY_SUBS_MAX * 72];
	size_t		 i, n = 0;

	sql[0] = '\0';
	for (i = 0; i < nsubs; i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%sLISTEN %s",
		    i > 0 ? "; " : "", subs[i]->channel);
	return (db_exec_sql(db, sql, &err));
}

static void *
loop(void *arg)
{
	struct db	*db;
	char		 channel[64], payload[8192];
	size_t		 i;
	int		 rc, listening = 0;
	struct timespec	 pause = { 0, 500 * 1000 * 1000 };

	(void)arg;
	db = db_open();
	while (!worker_stopping(&listener)) {
		if (!listening) {
			if (listen_all(db) == -1) {
				nanosleep(&pause, NULL);
				continue;
			}
			listening = 1;
			/* Whatever changed while we were deaf is forgotten. */
			reset_all(1);
		}
		rc = db_wait_notify(db, 500, channel, sizeof(channel), payload,
		    sizeof(payload));
		if (rc == 1) {
			for (i = 0; i < nsubs; i++)
				if (strcmp(subs[i]->channel, channel) == 0 &&
				    subs[i]->on_payload != NULL)
					subs[i]->on_payload(payload);
		} else if (rc == -1) {
			log_warnx("notifications: the listening connection was "
			    "lost; caches emptied until it is back");
			listening = 0;
			reset_all(0);
		}
	}
	db_close(db);
	return (NULL);
}

void
notify_start(void)
{
	if (nsubs > 0)
		(void)worker_start(&listener, loop);
}

void
notify_stop(void)
{
	worker_stop(&listener);
}
