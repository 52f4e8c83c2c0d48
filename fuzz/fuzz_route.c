/*
 * fuzz_route: the router on the application's whole table: the input is
 * "METHOD PATH" (the first space splits them).  Percent-decoding of path
 * parameters, 404/405 and the Allow list are exercised.
 */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "fuzz.h"
#include "http/route.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 installed;
	struct request	 req;
	char		*s, *sp, allow[64];
	int		 idx, i;

	if (!installed) {
		app_routes_install();
		installed = 1;
	}
	if ((s = malloc(size + 1)) == NULL)
		return (0);
	memcpy(s, data, size);
	s[size] = '\0';
	if ((sp = strchr(s, ' ')) == NULL) {
		free(s);
		return (0);
	}
	*sp = '\0';
	memset(&req, 0, sizeof(req));
	(void)route_match(s, sp + 1, &req, &idx, allow, sizeof(allow));
	for (i = 0; i < ROUTE_PARAMS_MAX; i++) {
		free((char *)(uintptr_t)req.params[i].name);
		free(req.params[i].value);
	}
	free(s);
	return (0);
}
