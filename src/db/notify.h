/*
 * notify.h: PostgreSQL notifications for the in-memory caches.
 *
 * One thread, one connection: it LISTENs on every subscribed channel and
 * calls the channel's on_payload() for each notification.  When the
 * connection is lost it calls every on_reset(0) (the caches must forget
 * everything: what changed meanwhile is unknown), reconnects every half
 * second, and calls on_reset(1) once it listens again.  Callbacks run on
 * the listener thread and must be quick (drop an entry, bump a counter).
 */
#ifndef GUICHET_NOTIFY_H
#define GUICHET_NOTIFY_H

struct notify_sub {
	const char	*channel;	/* a constant identifier */
	void		(*on_payload)(const char *);
	void		(*on_reset)(int listening);
};

/* Before notify_start(); at most NOTIFY_SUBS_MAX subscriptions. */
#define NOTIFY_SUBS_MAX	8
void	 notify_subscribe(const struct notify_sub *);
void	 notify_start(void);
void	 notify_stop(void);

#endif
