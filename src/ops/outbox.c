/*
 * outbox.c: queueing messages (outbox.h) through the gates, guichetctl
 * outbox list and retry, and the outbox's privacy hooks: a person's
 * messages are exported with their single-use links withheld, and deleted
 * when the person is erased.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/hook.h"
#include "base/log.h"
#include "core/module.h"
#include "db/db.h"
#include "json/check.h"
#include "ops/ops.h"
#include "ops/outbox.h"

struct db_stmt outbox_stmts[OB__COUNT] = {
	[OB_INSERT] = { .name = "ops_insert_outbox",
	  .sql = "INSERT INTO ops.outbox (account_id, recipient, template, "
	  "locale, payload, created_at, status, suppressed_reason, "
	  "next_attempt_at, updated_at) VALUES ($1::uuid, $2, $3, $4, "
	  "$5::jsonb, $6::timestamptz, CASE WHEN $7::text IS NULL THEN "
	  "'queued' ELSE 'suppressed' END, $7, $6::timestamptz, "
	  "$6::timestamptz) RETURNING id", .nparams = 7 },
	/* guichetctl outbox list: the oldest first */
	[OB_LIST] = { .name = "ops_select_outbox",
	  .sql = "SELECT id, " DB_TIME_SQL("created_at") " AS created_at, "
	  "recipient, "
	  "template, locale, payload::text AS payload, status, attempts, "
	  "coalesce(suppressed_reason, last_error, '-') AS why "
	  "FROM ops.outbox ORDER BY created_at, id LIMIT $1", .nparams = 1 },
	/* the privacy hook: a person's messages, single-use links withheld */
	[OB_EXPORT] = { .name = "ops_select_outbox_export",
	  .sql = "SELECT coalesce(json_agg(json_build_object("
	  "'created_at', " DB_TIME_SQL("m.created_at") ", "
	  "'sent_at', " DB_TIME_SQL("m.sent_at") ", 'template', m.template, 'locale', m.locale, "
	  "'status', m.status, 'suppressed_reason', m.suppressed_reason, "
	  "'recipient', m.recipient, 'payload', CASE WHEN "
	  "jsonb_typeof(m.payload) <> 'object' THEN m.payload "
	  "WHEN m.payload ?| ARRAY['token', 'url'] THEN m.payload - 'token' "
	  "- 'url' || (SELECT jsonb_object_agg(k, "
	  "'(withheld: single-use link)') FROM unnest(ARRAY['token', 'url']) k "
	  "WHERE m.payload ? k) ELSE m.payload END) "
	  "ORDER BY m.created_at, m.id), '[]')::text AS messages "
	  "FROM ops.outbox m WHERE m.account_id = $1", .nparams = 1 },
	[OB_ERASE] = { .name = "ops_delete_outbox_person",
	  .sql = "DELETE FROM ops.outbox WHERE account_id = $1", .nparams = 1 },
	/*
	 * guichetctl outbox retry: due now, attempts from zero; never one a
	 * sender holds, never one sent.
	 */
	[OB_RETRY] = { .name = "ops_update_outbox_retry",
	  .sql = "UPDATE ops.outbox SET status = 'queued', suppressed_reason = "
	  "NULL, attempts = 0, next_attempt_at = $2, last_error = NULL, "
	  "last_smtp_code = NULL, locked_until = NULL, updated_at = $2 "
	  "WHERE (id = $1::uuid OR ($1 IS NULL AND status = 'failed')) "
	  "AND status <> 'sent' AND (locked_until IS NULL OR "
	  "locked_until <= $2)", .nparams = 2 },
	[OB_STATUS] = { .name = "ops_select_outbox_status",
	  .sql = "SELECT status FROM ops.outbox WHERE id = $1", .nparams = 1 },
	/* what the templates may say of the town ({{town.name}}) */
	[OB_TOWN] = { .name = "ops_select_town_mail",
	  .sql = "SELECT json_build_object('name', name, 'postcode', postcode, "
	  "'insee_code', insee_code, 'email', email, 'phone', phone, "
	  "'website', website)::text AS town FROM ops.town" },
	/*
	 * GET /api/v1/me/notifications: newest first, after the cursor
	 * ($2 microseconds since the epoch, $3 the id); the template's
	 * values without the single-use link, for the subject.
	 */
	[OB_NOTIFICATIONS] = { .name = "ops_select_notifications",
	  .sql = "SELECT id, template, locale, status, suppressed_reason, "
	  "CASE WHEN jsonb_typeof(payload) = 'object' THEN payload - 'token' "
	  "- 'url' ELSE '{}' END::text AS payload, created_at, updated_at, "
	  "sent_at, attempts, CASE WHEN status = 'queued' THEN "
	  "next_attempt_at END AS next_attempt_at FROM ops.outbox "
	  "WHERE account_id = $1 AND ($2::bigint IS NULL OR (created_at, id) "
	  "< (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', "
	  "$3::uuid)) ORDER BY created_at DESC, id DESC LIMIT $4",
	  .nparams = 4 },
};

/* The gates (outbox.h): a few, installed at init. */
#define GATES_MAX	4
static outbox_gate_fn	gates[GATES_MAX];
static size_t		ngates;

void
outbox_gate_install(outbox_gate_fn fn)
{
	if (ngates == GATES_MAX)
		fatalx("outbox: more than %d gates", GATES_MAX);
	gates[ngates++] = fn;
	hook_note("outbox-gate");
}

int
outbox_gates(struct db *db, const char *account, const char *recipient,
    const struct mail_template *t, const char **reason,
    struct db_error *err)
{
	size_t	 i;
	int	 rc;

	*reason = NULL;
	if (account == NULL)
		return (0);
	for (i = 0; i < ngates; i++)
		if ((rc = gates[i](db, account, recipient, t, reason, err)) != 0)
			return (rc);
	return (0);
}

int
outbox_queue(struct db *db, const char *account, const char *recipient,
    const char *template, const char *locale, const json_t *payload,
    char *id, struct db_error *err)
{
	const struct mail_template *t;
	struct db_res	*res = NULL;
	const char	*p[7], *reason;
	char		 now[40], *text;
	int		 rc;

	if ((t = module_template_find(template)) == NULL) {
		/* A programming error: the tests meet it first. */
		log_warnx("outbox: no module declares the template %s",
		    template);
		memset(err, 0, sizeof(*err));
		err->code = DB_E_INTERNAL;
		return (-1);
	}
	if (outbox_gates(db, account, recipient, t, &reason, err) == -1)
		return (-1);
	if ((text = json_dumps(payload, JSON_COMPACT)) == NULL)
		abort();
	clock_format(clock_now(), now, sizeof(now));
	p[0] = account;
	p[1] = recipient;
	p[2] = template;
	p[3] = locale;
	p[4] = text;
	p[5] = now;
	p[6] = reason;
	rc = db_exec(db, &outbox_stmts[OB_INSERT], p, &res, err);
	if (rc == 0 && reason != NULL)
		log_info("outbox %s: %s suppressed (%s)", db_str(res, 0, "id"),
		    template, reason);
	if (rc == 0 && id != NULL)
		snprintf(id, 37, "%s", db_str(res, 0, "id"));
	db_res_free(res);
	free(text);
	return (rc);
}

static int
outbox_list(struct ctl_ctx *ctl)
{
	struct db_res	*res = NULL;
	struct db_error	 err;
	const char	*p[1] = { "100" };
	int		 i;

	if (db_exec(ctl->db, &outbox_stmts[OB_LIST], p, &res, &err) == -1) {
		fprintf(stderr, "guichetctl: the database is unavailable\n");
		return (-1);
	}
	for (i = 0; i < db_res_rows(res); i++)
		printf("%s  %s  %-16s  %s  %-10s  %2lld  %-18s  %s  %s\n",
		    db_str(res, i, "created_at"), db_str(res, i, "id"),
		    db_str(res, i, "template"), db_str(res, i, "locale"),
		    db_str(res, i, "status"),
		    (long long)db_int64(res, i, "attempts"),
		    db_str(res, i, "why"), db_str(res, i, "recipient"),
		    db_str(res, i, "payload"));
	db_res_free(res);
	return (0);
}

/* guichetctl outbox retry ID|--failed */
static int
outbox_retry(struct ctl_ctx *ctl, const char *id)
{
	struct db_res	*res = NULL;
	struct db_error	 err;
	const char	*p[2];
	char		 now[40];
	long		 n;

	if (id != NULL && !json_format_ok(JF_UUID, id)) {
		fprintf(stderr, "guichetctl: '%s' is not a message id\n", id);
		return (-1);
	}
	clock_format(clock_now(), now, sizeof(now));
	p[0] = id;
	p[1] = now;
	if (db_exec(ctl->db, &outbox_stmts[OB_RETRY], p, &res, &err) == -1) {
		fprintf(stderr, "guichetctl: the database is unavailable\n");
		return (-1);
	}
	n = db_res_affected(res);
	db_res_free(res);
	if (id != NULL && n == 0) {
		if (db_exec(ctl->db, &outbox_stmts[OB_STATUS], p, &res,
		    &err) == -1) {
			fprintf(stderr, "guichetctl: the database is "
			    "unavailable\n");
			return (-1);
		}
		if (db_res_rows(res) == 0)
			fprintf(stderr, "guichetctl: no message %s\n", id);
		else
			fprintf(stderr, "guichetctl: message %s is %s\n", id,
			    strcmp(db_str(res, 0, "status"), "sent") == 0 ?
			    "sent already" : "being sent now");
		db_res_free(res);
		return (-1);
	}
	printf("%ld message%s queued again\n", n, n == 1 ? "" : "s");
	return (0);
}

int
outbox_ctl(struct ctl_ctx *ctl)
{
	if (ctl->argc == 1 && strcmp(ctl->argv[0], "list") == 0)
		return (outbox_list(ctl));
	if (ctl->argc == 2 && strcmp(ctl->argv[0], "retry") == 0)
		return (outbox_retry(ctl, strcmp(ctl->argv[1], "--failed") ==
		    0 ? NULL : ctl->argv[1]));
	fprintf(stderr, "usage: guichetctl outbox list | "
	    "outbox retry ID|--failed\n");
	return (-1);
}

/*
 * Privacy: the outbox part of the ops module's section.  Erased: the
 * recipient and the template's values.
 */
const struct ops_privacy_part outbox_privacy = {
	.member = "messages",
	.export = &outbox_stmts[OB_EXPORT],
	.erase = &outbox_stmts[OB_ERASE],
	.categories = { "contact", "free_text", NULL },
};
