/*
 * hooks.h: the modules that hold data about people, for the privacy
 * layer's drivers (export, erasure, purge).
 *
 * Each module says what it holds through the privacy hooks of its
 * descriptor (core/module.h, struct privacy_hooks); these functions list
 * the modules that have some, in the order of the module list, so that
 * export sections and erasure steps always come in the same order.
 */
#ifndef GUICHET_PRIVACY_HOOKS_H
#define GUICHET_PRIVACY_HOOKS_H

#include <stddef.h>

#include "core/module.h"

size_t	 privacy_hook_count(void);
/* The i-th module with privacy hooks (m->privacy is not NULL). */
const struct module *privacy_hook_at(size_t);

#endif
