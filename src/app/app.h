/*
 * app.h: assembles the modules: the route table, the statement tables and
 * the background workers.  The only place that knows every domain.
 */
#ifndef GUICHET_APP_H
#define GUICHET_APP_H

struct conf;

#include <stddef.h>

/*
 * Install the route table, register every module's statements and set the
 * modules up (keys, password costs).  -1 with a message.
 */
int	app_init(const struct conf *, char *, size_t);
/* Only the route table (for the tests that walk it). */
void	app_routes_install(void);

#endif
