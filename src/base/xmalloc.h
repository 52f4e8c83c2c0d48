/*
 * xmalloc.h: allocation that never fails visibly.
 *
 * Every function here aborts the process with a message when memory is
 * exhausted, so callers never test the result for NULL.  x_free(NULL) style
 * no-ops are the norm throughout guichet.
 */
#ifndef GUICHET_XMALLOC_H
#define GUICHET_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
