/*
 * app.h: assembles the modules: the route table, the statement tables and
 * the background workers.  The only place that knows every domain.
 */
#ifndef GUICHET_APP_H
#define GUICHET_APP_H

struct conf;

/* Install the route table and register every module's statements. */
void	app_init(const struct conf *);

#endif
