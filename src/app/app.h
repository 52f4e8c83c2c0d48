/*
 * app.h: the one list of modules (src/app/modules.c), lowest layer first,
 * and how guichetd, guichetctl and the OpenAPI generator set them up.
 * The only place that knows every module.
 */
#ifndef GUICHET_APP_H
#define GUICHET_APP_H

#include <stddef.h>

#include "core/module.h"

extern const struct module *const app_modules[];

/*
 * Register every module and run its init for 'mode' (core/module.h);
 * in MODULE_SERVER mode also the server-wide pieces (the response cache).
 * -1 with a message.
 */
int	 app_init(const struct conf *, enum module_mode, char *, size_t);
/*
 * Every module set up as the OpenAPI generator sets them up (MODULE_DOC,
 * default settings): the route table and the registries, no database,
 * no keys.  For the tests and fuzz targets that walk them; aborts on
 * failure.
 */
void	 app_routes_install(void);

#endif
