/*
 * hook.c: the notes of hook installations (hook.h).  Installations happen
 * at start-up, before any thread: no lock.
 */
#include <stddef.h>

#include "base/hook.h"

static hook_observer_fn	 observer;

void
hook_observe(hook_observer_fn fn)
{
	observer = fn;
}

void
hook_note(const char *kind)
{
	if (observer != NULL)
		observer(kind);
}
