/*
 * notifications.c: GET /api/v1/me/notifications, every notification of
 * the caller, sent or not (guichetd(8), "Mail"): the template, the
 * language, the status and, when it was suppressed, why; the subject as
 * rendered in the message's language; never the body, a single-use token
 * or a link (the subject is rendered without them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/lang.h"
#include "db/db.h"
#include "http/page.h"
#include "http/reply.h"
#include "json/check.h"
#include "ops/mail.h"
#include "ops/ops.h"

/* The key of a page's last item: "<created_at in microseconds>|<id>". */
static int
cursor_read(const char *cursor, char *at, size_t atlen, char *id)
{
	char		*key, *bar, *end;
	long long	 us;
	int		 rc = -1;

	if ((key = page_cursor_decode(cursor)) == NULL)
		return (-1);
	errno = 0;
	us = strtoll(key, &end, 10);
	bar = end;
	if (errno == 0 && end != key && *bar == '|' && us >= 0 &&
	    json_format_ok(JF_UUID, bar + 1)) {
		snprintf(at, atlen, "%lld", us);
		snprintf(id, 40, "%s", bar + 1);
		rc = 0;
	}
	free(key);
	return (rc);
}

/* Its subject in its language; null when it cannot be made. */
static void
set_subject(json_t *o, const char *template, enum lang l, const char *values,
    const json_t *town)
{
	const struct mail_text	*t = mail_template(template, l);
	json_error_t		 je;
	json_t			*v;
	char			*s = NULL;

	if (t != NULL && (v = json_loads(values, 0, &je)) != NULL) {
		if (json_is_object(v) && json_object_get(v, "town") == NULL &&
		    town != NULL)
			json_object_set(v, "town", (json_t *)town);
		s = mail_render(t->subject, v, NULL, 0);
		json_decref(v);
	}
	json_object_set_new(o, "subject", s != NULL ? json_string(s) :
	    json_null());
	free(s);
}

static json_t *
notification(const struct db_res *res, int i, const json_t *town)
{
	enum lang	 l = lang_from_code(db_str(res, i, "locale"), LANG_FR);
	json_t		*o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "id", db_str(res, i, "id"),
	    "template", db_str(res, i, "template"), "language", lang_code(l),
	    "status", db_str(res, i, "status"),
	    "reason", db_str(res, i, "suppressed_reason"));
	set_subject(o, db_str(res, i, "template"), l, db_str(res, i, "payload"),
	    town);
	json_object_set_new(o, "attempts",
	    json_integer(db_int64(res, i, "attempts")));
	json_set_time(o, "created_at", db_time(res, i, "created_at"));
	json_set_time(o, "updated_at", db_time(res, i, "updated_at"));
	json_set_time(o, "sent_at", db_time(res, i, "sent_at"));
	json_set_time(o, "next_attempt_at", db_time(res, i, "next_attempt_at"));
	return (o);
}

int
ops_notifications(struct request *req)
{
	struct db_res	*res = NULL, *tres = NULL;
	const char	*cursor = request_query(req, "cursor"), *p[4];
	char		 at[32], id[40], lim[24], key[80], *next = NULL;
	json_t		*items, *town = NULL;
	json_error_t	 je;
	long		 limit;
	int		 i, n;

	if (page_limit_or_reply(req, &limit) == -1)
		return (0);
	if (cursor != NULL && cursor_read(cursor, at, sizeof(at), id) == -1) {
		reply_error(req, HTTP_ERR(HE_BAD_CURSOR));
		return (0);
	}
	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	p[0] = req->principal->id;
	p[1] = cursor != NULL ? at : NULL;
	p[2] = cursor != NULL ? id : NULL;
	p[3] = lim;
	if (reply_exec(req, &outbox_stmts[OB_TOWN], NULL, &tres) == -1)
		return (0);
	if (db_res_rows(tres) == 1)
		town = json_loads(db_str(tres, 0, "town"), 0, &je);
	db_res_free(tres);
	if (reply_exec(req, &outbox_stmts[OB_NOTIFICATIONS], p, &res) == -1) {
		json_decref(town);
		return (0);
	}
	items = json_array();
	n = db_res_rows(res);
	for (i = 0; i < n && i < limit; i++)
		json_array_append_new(items, notification(res, i, town));
	if (n > limit) {
		snprintf(key, sizeof(key), "%lld|%s",
		    (long long)db_time(res, (int)limit - 1, "created_at"),
		    db_str(res, (int)limit - 1, "id"));
		next = page_cursor_encode(key);
	}
	db_res_free(res);
	json_decref(town);
	reply_json(req, 200, json_pack("{s:o, s:s?}", "items", items,
	    "next_cursor", next));
	free(next);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}
