/*
 * ops.h: operations endpoints: liveness, readiness, metrics and the
 * OpenAPI document.
 */
#ifndef GUICHET_OPS_H
#define GUICHET_OPS_H

#include <stddef.h>

struct request;
struct db_stmt;

int	ops_healthz(struct request *);
int	ops_readyz(struct request *);
int	ops_metrics(struct request *);
int	ops_openapi(struct request *);

/* The schema the code expects: the last migration's number, and how many. */
void	ops_set_expected_schema(int, int);
void	ops_register(void);

/* The embedded OpenAPI document (generated from src/openapi.json). */
extern const char	openapi_json[];
extern const size_t	openapi_json_len;

#endif
