/*
 * open311_int.h: shared between the files of src/open311 only.
 *
 * open311_module.c   the declaration, routes, settings
 * open311_http.c     the handlers: formats, parameters, the Open311 error
 *                    format (the one place), the mapping of reports
 * open311_db.c       its statement table (open311.requests, .updates)
 * open311_privacy.c  export, erasure of the reporters' contact
 */
#ifndef GUICHET_OPEN311_INT_H
#define GUICHET_OPEN311_INT_H

#include <jansson.h>

#include "db/db.h"
#include "http/request.h"

#define O311_PAGE_SIZE_MAX	1000	/* the spec's default window */
#define O311_WINDOW_DAYS	90
#define O311_DESCRIPTION_MAX	4000
#define O311_URL_MAX		1000
#define O311_RADIUS_DEFAULT	500.0	/* metres */
#define O311_RADIUS_MAX		20000.0
/* The date of this document of the API (discovery's changeset). */
#define O311_CHANGESET		"2026-12-03T00:00:00Z"

enum open311_stmt {
	OS_REQUEST_INSERT,
	OS_REQUESTS,
	OS_REQUESTS_ROWS,
	OS_DEPARTMENTS,
	OS_UPDATE_LOCK,
	OS_UPDATE_GET,
	OS_UPDATE_INSERT,
	OS_UPDATES_OF,
	OS_EXPORT,
	OS_ERASE,
	OS_ACCOUNT_EMAIL,
	OS__COUNT
};
extern struct db_stmt	open311_stmts[OS__COUNT];
#define OS(x)	(&open311_stmts[(x)])

struct module_stmts;
extern const struct module_stmts	open311_stmt_table;
struct privacy_hooks;
extern const struct privacy_hooks	open311_privacy_hooks;

struct open311_config {
	char	 jurisdiction[256];
	char	 public_url[256];
};
extern struct open311_config	open311_config;

int	 open311_h_discovery(struct request *);
int	 open311_h_services(struct request *);
int	 open311_h_service(struct request *);
int	 open311_h_requests(struct request *);
int	 open311_h_request_post(struct request *);
int	 open311_h_request(struct request *);
int	 open311_h_token(struct request *);
int	 open311_h_updates(struct request *);
int	 open311_h_update_post(struct request *);
/* Every other problem under /open311/v2 in Open311's format. */
void	 open311_error_writer(struct request *, int, const char *,
	    const char *);

#endif
