/*
 * retention.c: the purge (Art. 5(1)(e) RGPD): every rule of
 * privacy.retention_rules, each in its own transaction, at a time given
 * as a parameter; guichetctl privacy purge; and guichetd's daily thread.
 * What a rule selects is SQL in the rule (sql/007), run by the functions
 * privacy.retention_delete() and privacy.retention_due(): this file only
 * passes a rule's code, the time and, for a 'delete' rule, the size of a
 * batch (sql/034): it calls the rule again, each batch in its own
 * transaction, until a batch handles fewer rows than that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/worker.h"
#include "core/module.h"
#include "db/db.h"
#include "json/check.h"
#include "privacy/privacy_int.h"
#include "privacy/erase.h"
#include "privacy/hooks.h"
#include "privacy/retention.h"

/* First run after start-up (the server is up by then), then daily. */
#define RETENTION_FIRST_DELAY_MS	2000
#define RETENTION_PERIOD_MS		(24LL * 3600 * 1000)
/* Sleeps are cut in steps so that retention_stop() is prompt. */
#define RETENTION_STEP_MS		200
/*
 * The most rows one batch of a 'delete' rule handles, in one transaction
 * and one statement that must end within guichetd's statement_timeout
 * (5 s by default).  One statement for every due row never ended with a
 * backlog (465,000 due reports: some 20 s at the rate below; cancelled,
 * rolled back, nothing done).
 * Measured on 200,000 bench reports, 93,436 of them due (bench/
 * incidents.sql, a 2-core machine shared with other loads): a batch of
 * 5,000 reports is anonymised in about 0.2 s (1,000: 65 ms; 20,000:
 * 0.7 s), twenty-odd times below the timeout; the whole backlog takes
 * 3.1 s in batches of 5,000 or 20,000, 3.3 s in batches of 1,000, and
 * 3.5 to 4 s as the one statement it was.  Smaller batches commit more
 * often for nothing; larger ones come closer to the timeout on a loaded
 * server.
 */
#define RETENTION_BATCH			5000

enum ret_stmt {
	RET_RULES,
	RET_DELETE,
	RET_DUE,
	RET__COUNT
};

static struct db_stmt ret_stmts[RET__COUNT] = {
	[RET_RULES] = { .name = "retention_select_rules",
	  .sql = "SELECT code, table_name, action, "
	  "privacy.iso_duration(retention) AS retention, retention_from "
	  "FROM privacy.retention_rules ORDER BY position, code" },
	[RET_DELETE] = { .name = "retention_delete_due",
	  .sql = "SELECT privacy.retention_delete($1, $2::timestamptz, "
	  "$3::bigint) AS count", .nparams = 3 },
	[RET_DUE] = { .name = "retention_select_due",
	  .sql = "SELECT privacy.retention_due($1, $2::timestamptz) "
	  "AS account_id", .nparams = 2 },
};

static struct worker		 ret_worker = { .name =
    "the retention thread" };

const struct module_stmts retention_stmt_table = { .stmts = ret_stmts,
    .count = RET__COUNT };

int
retention_erase_account(struct db *db, const char *account, int64_t now,
    struct db_error *err)
{
	json_t	*summary = NULL;
	int	 rc;

	/* privacy_erase() reads the same clock: 'now' is clock_now(). */
	(void)now;
	switch (privacy_erase(db, account, NULL, NULL, &summary, err)) {
	case ERASE_DONE:
		rc = 0;
		break;
	case ERASE_FAILED:
		rc = -1;
		break;
	default:	/* gone, already erased, or an agent's meanwhile */
		rc = 1;
		break;
	}
	json_decref(summary);
	return (rc);
}

struct delete_tx {
	const char	*rule;
	const char	*now;
	const char	*limit;
	long		 count;
};

/* One batch of a 'delete' rule: at most RETENTION_BATCH rows. */
static int
delete_tx(struct db *db, void *arg, struct db_error *err)
{
	struct delete_tx	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[3] = { t->rule, t->now, t->limit };

	t->count = 0;
	if (db_exec(db, &ret_stmts[RET_DELETE], p, &res, err) == -1)
		return (-1);
	t->count = (long)db_int64(res, 0, "count");
	db_res_free(res);
	return (0);
}

/*
 * A 'delete' rule, batch after batch, each in its own transaction, until
 * one handles fewer rows than a batch may (nothing more is due) or the
 * thread is asked to stop; *count sums the batches that were committed,
 * so a failing batch leaves the ones before it done.  0, or -1 with 'err'.
 */
static int
run_delete(struct db *db, const char *rule, const char *now, long *count,
    struct db_error *err)
{
	struct delete_tx	 t;
	char			 limit[24];

	snprintf(limit, sizeof(limit), "%d", RETENTION_BATCH);
	*count = 0;
	do {
		t = (struct delete_tx){ .rule = rule, .now = now,
		    .limit = limit };
		if (db_tx(db, delete_tx, &t, err) == -1)
			return (-1);
		*count += t.count;
	} while (t.count >= RETENTION_BATCH && !worker_stopping(&ret_worker));
	return (0);
}

/* An 'anonymise' rule: each due account goes through the anonymiser. */
static int
run_anonymise(struct db *db, const char *rule, const char *now, int64_t now_us,
    long *count, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[2] = { rule, now };
	int		 i, rc, failed = 0;

	*count = 0;
	if (db_exec(db, &ret_stmts[RET_DUE], p, &res, err) == -1)
		return (-1);
	for (i = 0; i < db_res_rows(res); i++) {
		rc = retention_erase_account(db, db_str(res, i, "account_id"),
		    now_us, err);
		if (rc == -1)
			failed = 1;
		else if (rc == 0)
			(*count)++;
	}
	db_res_free(res);
	return (failed ? -1 : 0);
}

int
privacy_purge(struct db *db, int64_t now_us, json_t **report)
{
	struct db_res		*rules = NULL;
	struct db_error		 err;
	json_t			*list, *o;
	const char		*code, *action, *status;
	char			 now[40];
	long			 count;
	int			 i, rc, failed = 0;

	if (report != NULL)
		*report = NULL;
	clock_format(now_us, now, sizeof(now));
	if (db_exec(db, &ret_stmts[RET_RULES], NULL, &rules, &err) == -1) {
		log_warnx("retention: cannot read the rules (%s)",
		    err.sqlstate);
		return (-1);
	}
	list = json_array();
	/* guichetd stopping: the batch under way ends, the rest waits. */
	for (i = 0; i < db_res_rows(rules) && !worker_stopping(&ret_worker); i++) {
		code = db_str(rules, i, "code");
		action = db_str(rules, i, "action");
		count = 0;
		if (strcmp(action, "delete") == 0) {
			rc = run_delete(db, code, now, &count, &err);
			status = rc == 0 ? "ok" : "failed";
		} else {
			rc = run_anonymise(db, code, now, now_us, &count,
			    &err);
			status = rc == 0 ? "ok" : "failed";
		}
		if (strcmp(status, "failed") == 0) {
			failed = 1;
			log_warnx("retention: rule %s failed (sqlstate %s) "
			    "after %ld row%s", code, err.sqlstate, count,
			    count == 1 ? "" : "s");
		} else
			log_info("retention: rule %s: %ld row%s %s", code,
			    count, count == 1 ? "" : "s",
			    strcmp(action, "delete") == 0 ? "deleted" :
			    "anonymised");
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}",
		    "rule", code, "table", db_str(rules, i, "table_name"),
		    "action", action, "retention", db_str(rules, i, "retention"),
		    "from", db_str(rules, i, "retention_from"), "status", status,
		    "count", (json_int_t)count);
		json_array_append_new(list, o);
	}
	db_res_free(rules);
	/* What the modules' rules cannot say in SQL (core/module.h). */
	for (i = 0; (size_t)i < privacy_hook_count() &&
	    !worker_stopping(&ret_worker); i++) {
		const struct module	*m = privacy_hook_at((size_t)i);

		if (m->privacy->purge != NULL &&
		    m->privacy->purge(db, now_us, list) == -1)
			failed = 1;
	}
	if (worker_stopping(&ret_worker))
		log_info("retention: stopped before the end of the purge; the "
		    "next run goes on");
	if (report != NULL) {
		*report = json_pack("{s:n, s:o}", "at", "rules", list);
		json_set_time(*report, "at", now_us);
	} else
		json_decref(list);
	return (failed ? -1 : 0);
}

int
privacy_purge_ctl(struct db *db, int argc)
{
	json_t	*report = NULL;
	char	*s;
	int	 rc;

	if (argc != 0) {
		fprintf(stderr, "usage: guichetctl privacy purge\n");
		return (-1);
	}
	rc = privacy_purge(db, clock_now(), &report);
	if (report == NULL) {
		fprintf(stderr, "guichetctl: the purge could not read its "
		    "rules (is the database migrated?)\n");
		return (-1);
	}
	if ((s = json_dumps(report, JSON_INDENT(2))) == NULL)
		abort();
	printf("%s\n", s);
	free(s);
	json_decref(report);
	if (rc == -1)
		fprintf(stderr, "guichetctl: a rule failed (see the report)\n");
	return (rc);
}

/* Sleep 'ms', in steps; 1 when asked to stop meanwhile. */
static int
ret_sleep(long long ms)
{
	struct timespec	 step = { 0, RETENTION_STEP_MS * 1000000L };
	int64_t		 end;

	end = clock_mono() + ms * 1000;
	while (!worker_stopping(&ret_worker)) {
		if (clock_mono() >= end)
			return (0);
		nanosleep(&step, NULL);
	}
	return (1);
}

static void *
ret_loop(void *arg)
{
	struct db	*db;

	(void)arg;
	db = db_open();
	if (ret_sleep(RETENTION_FIRST_DELAY_MS) == 0) {
		do {
			/* A failure is logged; tomorrow's run tries again. */
			(void)privacy_purge(db, clock_now(), NULL);
		} while (ret_sleep(RETENTION_PERIOD_MS) == 0);
	}
	db_close(db);
	return (NULL);
}

void
retention_start(void)
{
	(void)worker_start(&ret_worker, ret_loop);
}

void
retention_stop(void)
{
	worker_stop(&ret_worker);
}
