/*
 * hook.h: who installs which hook.  A layer that takes a function from the
 * modules above it (the server's guard and replay hooks, the outbox's
 * gates, the access recorder) notes each installation here; the module
 * list (core/module.c) attributes it to the module whose init is running,
 * and `guichetd --modules` and `guichetctl modules` print it, so that
 * t/integ/t0003-modules fails when one program gets a hook the other
 * lacks (ARCHITECTURE.md, "Modules").
 */
#ifndef GUICHET_HOOK_H
#define GUICHET_HOOK_H

typedef void	(*hook_observer_fn)(const char *kind);

/* The one observer (NULL: none); set before the modules' init runs. */
void	 hook_observe(hook_observer_fn);
/* An installation of a hook of 'kind' (a constant string): tells it. */
void	 hook_note(const char *kind);

#endif
