/*
 * cases_jobs.c: what happens to cases when nobody acts: silence decides
 * the open cases whose deadline passed as their procedure says (implicit
 * acceptance, CRPA L231-1, or rejection, L231-4), and a decided case
 * closes once its appeal period ended (R421-1, R421-2 CJA; cases.
 * appeal_end()).  The module's own thread runs both a second after
 * guichetd starts, then every minute; `guichetctl cases decide` runs them
 * once (at the clock setting's time).
 *
 * Why a thread of the module, not the privacy purge hook: the purge is
 * retention, run once a day; a deadline falls at any midnight and both
 * sides must hear of the decision within the minute, not the next day.
 * The decision's date is the deadline itself (cases.decided_at =
 * cases.due_at), however late the job runs.
 *
 * Why it is safe with several guichetd and guichetctl at once: each batch
 * is one transaction that selects its cases FOR NO KEY UPDATE SKIP LOCKED
 * and moves each with a statement that checks its state again (CQ_MOVE:
 * WHERE status = the state read); the history row, the mail to both sides
 * and the entitlement are written in that same transaction.  A case held
 * by another process is skipped, not waited for; one that committed
 * meanwhile is no longer selected.  So each case is decided once, told
 * once, or not at all until the next run.  Across the clock: the time is
 * clock_now() at each run, never now() in SQL: a test moves the clock
 * past a deadline and restarts guichetd (or runs guichetctl with --clock).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "cases/cases_int.h"
#include "core/module.h"
#include "db/db.h"

#define JOB_FIRST_DELAY_MS	1000
#define JOB_PERIOD_MS		60000
#define JOB_STEP_MS		100
#define JOB_BATCH		100
/* Batches per run at most: a backlog drains over the next runs. */
#define JOB_BATCHES		50

static pthread_t	 job_thread;
static int		 job_started;
static atomic_int	 job_stop;

struct batch_tx {
	enum cases_stmt	 st;
	const char	*now;
	long		 moved;
	int		 more;
};

static int
batch_tx(struct db *db, void *arg, struct db_error *err)
{
	struct batch_tx		*t = arg;
	struct db_res		*res = NULL;
	const char		*p[2];
	const char		*implicit;
	char			 lim[16];
	enum case_status	 to;
	int			 i, n;

	t->moved = 0;
	snprintf(lim, sizeof(lim), "%d", JOB_BATCH);
	p[0] = t->now;
	p[1] = lim;
	if (db_exec(db, CQ(t->st), p, &res, err) == -1)
		return (-1);
	n = db_res_rows(res);
	for (i = 0; i < n; i++) {
		if (t->st == CQ_SILENCE_DUE) {
			implicit = db_str(res, i, "implicit");
			to = strcmp(implicit, "acceptance") == 0 ?
			    CS_ACCEPTED : CS_REJECTED;
		} else
			to = CS_CLOSED;
		if (case_apply(db, res, i, to, CA_SYSTEM, NULL, NULL, t->now,
		    err) == -1) {
			db_res_free(res);
			return (-1);
		}
	}
	db_res_free(res);
	t->moved = n;
	t->more = n == JOB_BATCH;
	return (0);
}

static long
run(struct db *db, enum cases_stmt st, int64_t now, const char *what)
{
	struct batch_tx	 t;
	struct db_error	 err;
	char		 at[40];
	long		 total = 0;
	int		 b;

	clock_format(now, at, sizeof(at));
	for (b = 0; b < JOB_BATCHES; b++) {
		memset(&t, 0, sizeof(t));
		t.st = st;
		t.now = at;
		if (db_tx(db, batch_tx, &t, &err) == -1) {
			log_warnx("cases: %s failed (sqlstate %s)", what,
			    err.sqlstate);
			return (-1);
		}
		total += t.moved;
		if (!t.more)
			break;
	}
	if (total > 0)
		log_info("cases: %s: %ld case%s", what, total,
		    total == 1 ? "" : "s");
	return (total);
}

long
cases_decide_silence(struct db *db, int64_t now)
{
	return (run(db, CQ_SILENCE_DUE, now, "implicit decisions"));
}

long
cases_close_decided(struct db *db, int64_t now)
{
	return (run(db, CQ_CLOSE_DUE, now, "closures"));
}

/* Sleep 'ms' in steps; 1 when asked to stop meanwhile. */
static int
job_sleep(long ms)
{
	struct timespec	 step = { 0, JOB_STEP_MS * 1000000L };
	int64_t		 end = clock_mono() + (int64_t)ms * 1000;

	while (!atomic_load(&job_stop)) {
		if (clock_mono() >= end)
			return (0);
		nanosleep(&step, NULL);
	}
	return (1);
}

static void *
job_loop(void *arg)
{
	struct db	*db;

	(void)arg;
	db = db_open();
	if (job_sleep(JOB_FIRST_DELAY_MS) == 0) {
		do {
			/* A failure is logged; the next run tries again. */
			(void)cases_decide_silence(db, clock_now());
			(void)cases_close_decided(db, clock_now());
		} while (job_sleep(JOB_PERIOD_MS) == 0);
	}
	db_close(db);
	return (NULL);
}

void
cases_jobs_start(void)
{
	atomic_store(&job_stop, 0);
	if (pthread_create(&job_thread, NULL, job_loop, NULL) == 0)
		job_started = 1;
	else
		log_warnx("cases: could not start the deadline thread");
}

void
cases_jobs_stop(void)
{
	if (!job_started)
		return;
	atomic_store(&job_stop, 1);
	pthread_join(job_thread, NULL);
	job_started = 0;
}

/* guichetctl cases decide */
int
cases_ctl(struct ctl_ctx *ctl)
{
	long	 decided, closed;

	if (ctl->argc != 1 || strcmp(ctl->argv[0], "decide") != 0) {
		fprintf(stderr, "usage: guichetctl cases decide\n");
		return (-1);
	}
	decided = cases_decide_silence(ctl->db, clock_now());
	closed = cases_close_decided(ctl->db, clock_now());
	if (decided == -1 || closed == -1) {
		fprintf(stderr, "guichetctl: the database failed (see the "
		    "log)\n");
		return (-1);
	}
	printf("implicit decisions: %ld\nclosures: %ld\n", decided, closed);
	return (0);
}
