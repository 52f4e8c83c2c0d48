/*
 * ops.h: the ops module: liveness, readiness, metrics, the OpenAPI
 * document, and the services every module uses: the outbox (outbox.h)
 * and Idempotency-Key (idempotency.h).  It owns the ops schema.
 */
#ifndef GUICHET_OPS_H
#define GUICHET_OPS_H

#include <stddef.h>

#include <jansson.h>

#include "db/db.h"
#include "http/reply.h"

struct buf;
struct ctl_ctx;
struct module_stmts;
struct request;

/* The ops module's problem codes (ops.c). */
enum ops_err {
	OPS_E_SCHEMA_MISSING,		/* 503 */
	OPS_E_SCHEMA_MISMATCH,		/* 503: versions and counts */
	OPS_E_IDEM_KEY_SHAPE,		/* 400 */
	OPS_E_IDEM_ANONYMOUS,		/* 400 */
	OPS_E_IDEM_SECRET,		/* 400 */
	OPS_E_IDEM_RUNNING,		/* 409 */
	OPS_E_IDEM_OTHER_REQUEST,	/* 422 */
	OPS_E__COUNT
};
extern const struct errcode	ops_errors[OPS_E__COUNT];
#define OPS_ERR(x)	(&ops_errors[(x)])

/*
 * The instance's secret (ops.instance_secret, made by a migration: the
 * same for every guichetd of a deployment), for keyed hashes and the
 * sealing key of cursors.  Read once, when first needed (guichetctl
 * migrate runs before the table exists); without a database, a secret of
 * this process, logged: keys then differ from other processes' until a
 * restart.
 */
#define OPS_SECRET_LEN	32
void	 ops_instance_secret(unsigned char[OPS_SECRET_LEN]);

/* The schema the code expects: the last migration's number, and how many. */
void	ops_set_expected_schema(int, int);

/* Between the files of src/ops (the module's pieces). */
enum outbox_stmt {
	OB_INSERT,
	OB_LIST,
	OB_EXPORT,
	OB_ERASE,
	OB_RETRY,
	OB_STATUS,
	OB_TOWN,
	OB_NOTIFICATIONS,
	OB__COUNT
};
#define IDEMPOTENCY_NSTMTS	7
extern struct db_stmt	outbox_stmts[OB__COUNT];
extern struct db_stmt	idempotency_stmts[IDEMPOTENCY_NSTMTS];
extern const struct module_stmts mailer_stmt_table;
int	 outbox_ctl(struct ctl_ctx *);
/*
 * Run every gate (outbox.h) for a message: 0 it may go, 1 it may not
 * (*reason), -1 with 'err'.
 */
struct mail_template;
int	 outbox_gates(struct db *, const char *, const char *,
	    const struct mail_template *, const char **, struct db_error *);

/* The sender (mailer.c): its settings (guichetd), its thread. */
struct conf;
int	 mailer_configure(const struct conf *, char *, size_t);
void	 mailer_start(void);
void	 mailer_stop(void);
/* Counters for /metrics. */
struct mailer_stats {
	unsigned long long	 sent;
	unsigned long long	 failures;
	unsigned long long	 suppressed;
};
void	 mailer_stats(struct mailer_stats *);

/* GET /api/v1/me/notifications (notifications.c). */
int	 ops_notifications(struct request *);
/*
 * A piece's part of the ops module's privacy section: the member
 * 'member', the JSON of the column of that name of 'export' ($1 the
 * account); erasing runs 'erase' ($1 the account), whose rows count in
 * each of 'categories' (NULL-terminated), deleted.
 */
struct ops_privacy_part {
	const char		*member;
	const struct db_stmt	*export;
	const struct db_stmt	*erase;
	const char		*categories[3];
};
extern const struct ops_privacy_part	outbox_privacy;
extern const struct ops_privacy_part	idempotency_privacy;

/* The embedded OpenAPI document (generated from src/openapi.json). */
extern const char	openapi_json[];
extern const size_t	openapi_json_len;

#endif
