/*
 * outbox.c: queueing messages (outbox.h), guichetctl outbox list, and the
 * outbox's privacy hooks: a person's messages are exported with their
 * single-use links withheld, and deleted when the person is erased.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "core/module.h"
#include "db/db.h"
#include "ops/ops.h"
#include "ops/outbox.h"

enum outbox_stmt {
	OB_INSERT,
	OB_LIST,
	OB_EXPORT,
	OB_ERASE,
	OB__COUNT
};

#define TS(x) \
	"to_char(" x " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

struct db_stmt outbox_stmts[OUTBOX_NSTMTS] = {
	[OB_INSERT] = { "ops_insert_outbox",
	  "INSERT INTO ops.outbox (account_id, recipient, template, locale, "
	  "payload, created_at) VALUES ($1::uuid, $2, $3, $4, $5::jsonb, "
	  "$6::timestamptz) RETURNING id", 6, 0 },
	/* guichetctl outbox list: the oldest first */
	[OB_LIST] = { "ops_select_outbox",
	  "SELECT id, " TS("created_at") " AS created_at, recipient, "
	  "template, locale, payload::text AS payload, "
	  "sent_at IS NOT NULL AS sent FROM ops.outbox "
	  "ORDER BY created_at, id LIMIT $1", 1, 0 },
	/* the privacy hook: a person's messages, single-use links withheld */
	[OB_EXPORT] = { "ops_select_outbox_export",
	  "SELECT coalesce(json_agg(json_build_object("
	  "'created_at', " TS("m.created_at") ", 'sent_at', " TS("m.sent_at")
	  ", 'template', m.template, 'locale', m.locale, "
	  "'recipient', m.recipient, 'payload', CASE WHEN "
	  "jsonb_typeof(m.payload) <> 'object' THEN m.payload "
	  "WHEN m.payload ?| ARRAY['token', 'url'] THEN m.payload - 'token' "
	  "- 'url' || (SELECT jsonb_object_agg(k, "
	  "'(withheld: single-use link)') FROM unnest(ARRAY['token', 'url']) k "
	  "WHERE m.payload ? k) ELSE m.payload END) "
	  "ORDER BY m.created_at, m.id), '[]')::text AS messages "
	  "FROM ops.outbox m WHERE m.account_id = $1", 1, 0 },
	[OB_ERASE] = { "ops_delete_outbox_person",
	  "DELETE FROM ops.outbox WHERE account_id = $1", 1, 0 },
};

_Static_assert(OB__COUNT == OUTBOX_NSTMTS, "OUTBOX_NSTMTS (ops.h)");

int
outbox_queue(struct db *db, const char *account, const char *recipient,
    const char *template, const char *locale, const json_t *payload,
    char *id, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[6];
	char		 now[40], *text;
	int		 rc;

	if ((text = json_dumps(payload, JSON_COMPACT)) == NULL)
		abort();
	clock_format(clock_now(), now, sizeof(now));
	p[0] = account;
	p[1] = recipient;
	p[2] = template;
	p[3] = locale;
	p[4] = text;
	p[5] = now;
	rc = db_exec(db, &outbox_stmts[OB_INSERT], p, &res, err);
	if (rc == 0 && id != NULL)
		snprintf(id, 37, "%s", db_str(res, 0, "id"));
	db_res_free(res);
	free(text);
	return (rc);
}

/* guichetctl outbox list */
int
outbox_ctl(struct ctl_ctx *ctl)
{
	struct db_res	*res = NULL;
	struct db_error	 err;
	const char	*p[1] = { "100" };
	int		 i;

	if (ctl->argc < 1 || strcmp(ctl->argv[0], "list") != 0) {
		fprintf(stderr, "usage: guichetctl outbox list\n");
		return (-1);
	}
	if (db_exec(ctl->db, &outbox_stmts[OB_LIST], p, &res, &err) == -1) {
		fprintf(stderr, "guichetctl: the database is unavailable\n");
		return (-1);
	}
	for (i = 0; i < db_res_rows(res); i++)
		printf("%s  %s  %-16s  %s  %s  %s  %s\n",
		    db_str(res, i, "created_at"), db_str(res, i, "id"),
		    db_str(res, i, "template"), db_str(res, i, "locale"),
		    db_bool(res, i, "sent") ? "sent" : "queued",
		    db_str(res, i, "recipient"), db_str(res, i, "payload"));
	db_res_free(res);
	return (0);
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
