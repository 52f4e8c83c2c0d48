/*
 * db.c: per-thread PostgreSQL connections, prepared statements, the
 * transaction runner and the SQLSTATE classification (see db.h).
 *
 * Invariants:
 *  - a struct db is used by one thread at a time;
 *  - 'prepared[i]' is true only for statements prepared on the current
 *    PGconn: it is cleared whenever the connection is replaced;
 *  - a connection found dead (the server restarted) is replaced before the
 *    next statement is sent, so a restart costs no request that arrives
 *    after the database is back.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "db/db.h"

struct db {
	PGconn		*conn;
	unsigned char	*prepared;
	size_t		 nprepared;
	int		 down;		/* last attempt failed: log once */
	int		 in_tx;
	int		 worker;	/* db_thread(): acts as cfg.role */
};

struct db_res {
	PGresult	*res;
	const char	*stmt;		/* its name, for the log */
};

static struct db_config		 cfg;
static char			 options[256];
static char			 options_role[360];	/* options + the role */
static char			 timeout_s[16];
static struct db_stmt		**stmts;
static size_t			 nstmts;
static pthread_key_t		 thread_key;
static pthread_once_t		 key_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t		 n_errors, n_reconnects, n_connect_failures;
static _Atomic uint64_t		 n_statements;	/* sent, prepared or not */

static void
thread_destroy(void *p)
{
	db_close(p);
}

static void
key_init(void)
{
	if (pthread_key_create(&thread_key, thread_destroy) != 0)
		fatalx("could not create the database thread key");
}

void
db_configure(const struct db_config *c)
{
	cfg = *c;
	/* In the startup packet, so that they survive every reconnect. */
	snprintf(options, sizeof(options), "-c statement_timeout=%d "
	    "-c lock_timeout=%d -c idle_in_transaction_session_timeout=%d "
	    "-c TimeZone=UTC -c client_encoding=UTF8",
	    c->statement_timeout_ms, c->statement_timeout_ms,
	    c->statement_timeout_ms * 6);
	if (c->role != NULL && c->role[0] != '\0')
		snprintf(options_role, sizeof(options_role), "%s -c role=%s",
		    options, c->role);
	else
		snprintf(options_role, sizeof(options_role), "%s", options);
	snprintf(timeout_s, sizeof(timeout_s), "%d", c->connect_timeout_s);
	pthread_once(&key_once, key_init);
}

size_t
db_registered_count(void)
{
	return (nstmts);
}

void
db_register(struct db_stmt *t, size_t n)
{
	size_t	 i, j;

	stmts = xrealloc(stmts, (nstmts + n) * sizeof(*stmts));
	for (i = 0; i < n; i++) {
		for (j = 0; j < nstmts; j++)
			if (strcmp(stmts[j]->name, t[i].name) == 0)
				fatalx("statement %s registered twice",
				    t[i].name);
		t[i].id = (int)nstmts;
		stmts[nstmts++] = &t[i];
	}
}

struct db *
db_open(void)
{
	return (xcalloc(1, sizeof(struct db)));
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db->prepared);
	free(db);
}

struct db *
db_thread(void)
{
	struct db	*db;

	pthread_once(&key_once, key_init);
	if ((db = pthread_getspecific(thread_key)) == NULL) {
		db = db_open();
		db->worker = 1;
		pthread_setspecific(thread_key, db);
	}
	return (db);
}

void
db_thread_close(void)
{
	struct db	*db;

	pthread_once(&key_once, key_init);
	if ((db = pthread_getspecific(thread_key)) != NULL) {
		pthread_setspecific(thread_key, NULL);
		db_close(db);
	}
}

static void
set_err(struct db_error *err, enum db_err code, const char *state,
    const char *constraint)
{
	if (err == NULL)
		return;
	err->code = code;
	snprintf(err->sqlstate, sizeof(err->sqlstate), "%s",
	    state != NULL ? state : "");
	snprintf(err->constraint, sizeof(err->constraint), "%s",
	    constraint != NULL ? constraint : "");
}

static void
drop_conn(struct db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->in_tx = 0;
	if (db->prepared != NULL)
		memset(db->prepared, 0, db->nprepared);
}

/* The connection looks alive but the server may have closed it: check. */
static void
check_alive(struct db *db)
{
	struct pollfd	 pfd;

	if (db->conn == NULL || db->in_tx)
		return;
	pfd.fd = PQsocket(db->conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (pfd.fd < 0 || poll(&pfd, 1, 0) != 1)
		return;
	/*
	 * Readable while idle: EOF, the server's "terminating connection"
	 * report, or a notification.  Anything but notifications means the
	 * session is ending (the FIN may lag behind the report): replace the
	 * connection now rather than fail the request we are about to send.
	 */
	if (PQconsumeInput(db->conn) == 0 ||
	    PQstatus(db->conn) != CONNECTION_OK) {
		log_info("database connection closed by the server; "
		    "reconnecting");
		drop_conn(db);
	} else {
		PGnotify	*n;
		int		 notes = 0;

		while ((n = PQnotifies(db->conn)) != NULL) {
			PQfreemem(n);
			notes++;
		}
		if (notes == 0) {
			log_info("database connection ended by the server; "
			    "reconnecting");
			drop_conn(db);
		}
	}
}

static void
notice_quiet(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

int
db_ensure(struct db *db, struct db_error *err)
{
	/*
	 * TCP keepalives first, so that the conninfo (expanded from dbname)
	 * may override them: a half-open connection (a host gone without a
	 * FIN) is noticed in about a minute, not never; it matters most to
	 * the LISTEN connection, which only ever waits.
	 */
	const char	*keys[] = { "keepalives", "keepalives_idle",
	    "keepalives_interval", "keepalives_count", "dbname", "options",
	    "connect_timeout", "application_name", NULL };
	const char	*vals[] = { "1", "30", "10", "3", cfg.conninfo,
	    db->worker ? options_role : options, timeout_s,
	    cfg.application_name != NULL ? cfg.application_name : "guichet",
	    NULL };
	int		 had;

	check_alive(db);
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return (0);
	had = db->conn != NULL;
	drop_conn(db);
	if (cfg.conninfo == NULL) {
		set_err(err, DB_E_UNAVAILABLE, NULL, NULL);
		return (-1);
	}
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		atomic_fetch_add(&n_connect_failures, 1);
		if (!db->down) {
			char	 msg[256];
			size_t	 n;

			snprintf(msg, sizeof(msg), "%s", db->conn != NULL ?
			    PQerrorMessage(db->conn) : "out of memory");
			n = strlen(msg);
			while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
				msg[--n] = '\0';
			log_warnx("database unavailable: %s", msg);
		}
		db->down = 1;
		drop_conn(db);
		set_err(err, DB_E_UNAVAILABLE, NULL, NULL);
		return (-1);
	}
	PQsetNoticeReceiver(db->conn, notice_quiet, NULL);
	if (had || db->down)
		atomic_fetch_add(&n_reconnects, 1);
	if (db->down)
		log_info("database connection re-established");
	db->down = 0;
	if (db->nprepared < nstmts) {
		db->prepared = xrealloc(db->prepared, nstmts);
		db->nprepared = nstmts;
	}
	memset(db->prepared, 0, db->nprepared);
	return (0);
}

static enum db_err
classify(const char *state)
{
	if (state == NULL)
		return (DB_E_UNAVAILABLE);
	if (strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0)
		return (DB_E_TIMEOUT);
	if (strcmp(state, "23505") == 0)
		return (DB_E_UNIQUE);
	if (strcmp(state, "23503") == 0)
		return (DB_E_FOREIGN_KEY);
	if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0 ||
	    strncmp(state, "22", 2) == 0)
		return (DB_E_CHECK);
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return (DB_E_SERIALIZATION);
	if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
	    strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0)
		return (DB_E_UNAVAILABLE);
	return (DB_E_INTERNAL);
}

/* Classify a failed result, log it once, and drop a dead connection. */
static int
fail(struct db *db, PGresult *res, const char *what, struct db_error *err)
{
	const char	*state = NULL, *primary = NULL, *constraint = NULL;
	enum db_err	 code;

	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	}
	if (PQstatus(db->conn) != CONNECTION_OK)
		code = DB_E_UNAVAILABLE;
	else
		code = classify(state);
	set_err(err, code, state, constraint);
	atomic_fetch_add(&n_errors, 1);
	/* Constraint violations are expected answers (409/422): debug only. */
	if (code == DB_E_UNIQUE || code == DB_E_FOREIGN_KEY ||
	    code == DB_E_CHECK || code == DB_E_SERIALIZATION)
		log_debug("statement %s: %s (%s)", what, primary != NULL ?
		    primary : "error", state != NULL ? state : "-");
	else
		log_warnx("statement %s failed: %s (sqlstate %s)", what,
		    primary != NULL ? primary : "connection lost",
		    state != NULL ? state : "-");
	PQclear(res);
	if (code == DB_E_UNAVAILABLE)
		drop_conn(db);
	return (-1);
}

static void
stmt_check(const struct db_stmt *st)
{
	if (st->id < 0 || (size_t)st->id >= nstmts || stmts[st->id] != st)
		fatalx("statement %s used but not registered", st->name);
}

/* db_exec() with the result in text (0) or binary (1) format. */
static int
exec_prepared(struct db *db, const struct db_stmt *st,
    const char *const *params, int binary, struct db_res **out,
    struct db_error *err)
{
	PGresult	*res;
	ExecStatusType	 s;
	int		 attempt;

	if (out != NULL)
		*out = NULL;
	set_err(err, DB_OK, NULL, NULL);
	for (attempt = 0; attempt < 2; attempt++) {
		if (db_ensure(db, err) == -1)
			return (-1);
		stmt_check(st);
		atomic_fetch_add_explicit(&n_statements, 1,
		    memory_order_relaxed);
		if (st->flags & DB_CUSTOM_PLAN) {
			res = PQexecParams(db->conn, st->sql, st->nparams, NULL,
			    params, NULL, NULL, binary);
			goto done;
		}
		if ((size_t)st->id >= db->nprepared) {
			db->prepared = xrealloc(db->prepared, nstmts);
			memset(db->prepared + db->nprepared, 0,
			    nstmts - db->nprepared);
			db->nprepared = nstmts;
		}
		if (!db->prepared[st->id]) {
			res = PQprepare(db->conn, st->name, st->sql, st->nparams,
			    NULL);
			if (PQresultStatus(res) != PGRES_COMMAND_OK)
				return (fail(db, res, st->name, err));
			PQclear(res);
			db->prepared[st->id] = 1;
		}
		res = PQexecPrepared(db->conn, st->name, st->nparams, params,
		    NULL, NULL, binary);
done:
		s = PQresultStatus(res);
		if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK) {
			if (out != NULL) {
				*out = xmalloc(sizeof(**out));
				(*out)->res = res;
				(*out)->stmt = st->name;
			} else
				PQclear(res);
			return (0);
		}
		/* A pooler or a reset dropped our statements: prepare again once. */
		if (attempt == 0 && !db->in_tx && res != NULL &&
		    PQresultErrorField(res, PG_DIAG_SQLSTATE) != NULL &&
		    strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE),
		    "26000") == 0) {
			PQclear(res);
			memset(db->prepared, 0, db->nprepared);
			continue;
		}
		return (fail(db, res, st->name, err));
	}
	return (-1);
}

int
db_exec(struct db *db, const struct db_stmt *st, const char *const *params,
    struct db_res **out, struct db_error *err)
{
	return (exec_prepared(db, st, params, 0, out, err));
}

int
db_exec_bin(struct db *db, const struct db_stmt *st,
    const char *const *params, struct db_res **out, struct db_error *err)
{
	return (exec_prepared(db, st, params, 1, out, err));
}

int
db_copy_begin(struct db *db, const struct db_stmt *st, struct db_error *err)
{
	PGresult	*res;

	set_err(err, DB_OK, NULL, NULL);
	stmt_check(st);
	if (db_ensure(db, err) == -1)
		return (-1);
	res = PQexec(db->conn, st->sql);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		return (fail(db, res, st->name, err));
	PQclear(res);
	return (0);
}

int
db_copy_put(struct db *db, const void *p, size_t n, struct db_error *err)
{
	if (db->conn == NULL || n > INT_MAX ||
	    PQputCopyData(db->conn, p, (int)n) != 1) {
		set_err(err, DB_E_UNAVAILABLE, NULL, NULL);
		return (-1);
	}
	return (0);
}

int
db_copy_end(struct db *db, const char *abandon, long *rows,
    struct db_error *err)
{
	PGresult	*res;
	int		 rc = 0;

	if (rows != NULL)
		*rows = 0;
	if (db->conn == NULL) {
		set_err(err, DB_E_UNAVAILABLE, NULL, NULL);
		return (-1);
	}
	if (PQputCopyEnd(db->conn, abandon) != 1) {
		set_err(err, DB_E_UNAVAILABLE, NULL, NULL);
		drop_conn(db);
		return (-1);
	}
	/* The COPY's result, then the end of the results. */
	while ((res = PQgetResult(db->conn)) != NULL) {
		if (rc == -1)
			PQclear(res);
		else if (PQresultStatus(res) == PGRES_COMMAND_OK &&
		    abandon == NULL) {
			if (rows != NULL)
				*rows = strtol(PQcmdTuples(res), NULL, 10);
			PQclear(res);
		} else {
			if (abandon != NULL)
				/* Expected: the server reports what we asked. */
				PQclear(res);
			else
				(void)fail(db, res, "(copy)", err);
			rc = -1;
			if (db->conn == NULL)
				break;
		}
	}
	if (rc == -1 && abandon != NULL)
		set_err(err, DB_OK, NULL, NULL);
	return (rc);
}

const void *
db_bytes(const struct db_res *r, int row, const char *name, size_t *len)
{
	int		 c = db_col(r, name);
	const char	*v = db_cell(r, row, c);

	*len = v != NULL ? (size_t)PQgetlength(r->res, row, c) : 0;
	return (v);
}

int
db_exec_sql(struct db *db, const char *sql, struct db_error *err)
{
	PGresult	*res;
	ExecStatusType	 s;

	set_err(err, DB_OK, NULL, NULL);
	if (db_ensure(db, err) == -1)
		return (-1);
	res = PQexec(db->conn, sql);
	s = PQresultStatus(res);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return (fail(db, res, "(literal)", err));
	PQclear(res);
	return (0);
}

int
db_tx(struct db *db, db_tx_fn fn, void *arg, struct db_error *err)
{
	struct db_error	 e;
	int		 attempt, rc;

	/*
	 * Called inside a transaction: 'fn' joins it.  Its writes commit or
	 * roll back with the caller's, which retries the whole on a
	 * serialization failure (a module's operation inside another's:
	 * Open311's update and the move it makes).
	 */
	if (db->in_tx)
		return (fn(db, arg, err));
	for (attempt = 0; attempt < 4; attempt++) {
		memset(&e, 0, sizeof(e));
		if (db_exec_sql(db, "BEGIN", &e) == -1)
			break;
		db->in_tx = 1;
		rc = fn(db, arg, &e);
		if (rc == -1) {
			if (db->conn != NULL)
				(void)db_exec_sql(db, "ROLLBACK", NULL);
			db->in_tx = 0;
			if (e.code == DB_E_SERIALIZATION)
				continue;
			break;
		}
		rc = db_exec_sql(db, "COMMIT", &e);
		db->in_tx = 0;
		if (rc == 0) {
			set_err(err, DB_OK, NULL, NULL);
			return (0);
		}
		if (e.code != DB_E_SERIALIZATION)
			break;
	}
	db->in_tx = 0;
	if (err != NULL)
		*err = e;
	return (-1);
}

int
db_res_rows(const struct db_res *r)
{
	return (r != NULL ? PQntuples(r->res) : 0);
}

int
db_col(const struct db_res *r, const char *name)
{
	int	 c;

	if (r == NULL)
		return (-1);
	if ((c = PQfnumber(r->res, name)) < 0)
		log_warnx("statement %s has no result column %s (a programming "
		    "error)", r->stmt != NULL ? r->stmt : "?", name);
	return (c);
}

const char *
db_str(const struct db_res *r, int row, const char *name)
{
	return (db_cell(r, row, db_col(r, name)));
}

int
db_isnull(const struct db_res *r, int row, const char *name)
{
	return (db_str(r, row, name) == NULL);
}

int
db_bool(const struct db_res *r, int row, const char *name)
{
	const char	*v = db_str(r, row, name);

	return (v != NULL && v[0] == 't');
}

int64_t
db_int64(const struct db_res *r, int row, const char *name)
{
	const char	*v = db_str(r, row, name);

	return (v != NULL ? strtoll(v, NULL, 10) : 0);
}

/* "2026-11-23 10:57:45.123456+00" (UTC sessions) as microseconds. */
static int64_t
time_of(const struct db_res *r, const char *v, const char *name)
{
	char		 iso[48];
	size_t		 n;
	int64_t		 us;

	n = strcspn(v, "+-Z");
	/* The date's own '-' come first: look for the offset after it. */
	if (strlen(v) > 19)
		n = 19 + strcspn(v + 19, "+-Z");
	if (n >= sizeof(iso) - 8)
		return (0);
	memcpy(iso, v, n);
	iso[10] = 'T';
	snprintf(iso + n, sizeof(iso) - n, "Z");
	if (clock_parse(iso, &us) == -1) {
		log_warnx("statement %s: column %s is not a timestamp",
		    r->stmt != NULL ? r->stmt : "?", name);
		return (0);
	}
	return (us);
}

int64_t
db_time(const struct db_res *r, int row, const char *name)
{
	const char	*v = db_str(r, row, name);

	return (v != NULL ? time_of(r, v, name) : 0);
}

const char *
db_cell(const struct db_res *r, int row, int col)
{
	if (r == NULL || col < 0 || row < 0 || row >= PQntuples(r->res) ||
	    PQgetisnull(r->res, row, col))
		return (NULL);
	return (PQgetvalue(r->res, row, col));
}

int
db_time_cell(const struct db_res *r, int row, int col, char *out,
    size_t len)
{
	const char	*v = db_cell(r, row, col), *p;
	int64_t		 us;

	if (len < DB_TIME_LEN)
		abort();
	out[0] = '\0';
	if (v == NULL)
		return (-1);
	/*
	 * What a UTC session writes, "2026-11-23 10:57:45[.123456]+00", is
	 * the answer once cut to the second; anything else (years beyond
	 * 9999 or before 1000, another offset) goes the long way.
	 */
	p = v + 19;
	if (strlen(v) >= 22 && v[4] == '-' && v[10] == ' ' && v[13] == ':') {
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
		if (strcmp(p, "+00") == 0) {
			memcpy(out, v, 19);
			out[10] = 'T';
			out[19] = 'Z';
			out[20] = '\0';
			return (0);
		}
	}
	/* 0 (not a timestamp) is null, as json_set_time() has it. */
	if ((us = time_of(r, v, PQfname(r->res, col))) == 0)
		return (-1);
	clock_format(us - ((us % 1000000) + 1000000) % 1000000, out, len);
	return (0);
}

long
db_res_affected(const struct db_res *r)
{
	const char	*s;

	if (r == NULL || (s = PQcmdTuples(r->res)) == NULL || *s == '\0')
		return (0);
	return (strtol(s, NULL, 10));
}

void
db_res_free(struct db_res *r)
{
	if (r == NULL)
		return;
	PQclear(r->res);
	free(r);
}

void
db_stats(struct db_stats *s)
{
	s->errors = atomic_load(&n_errors);
	s->reconnects = atomic_load(&n_reconnects);
	s->connect_failures = atomic_load(&n_connect_failures);
	s->statements = atomic_load(&n_statements);
}

int
db_wait_notify(struct db *db, int timeout_ms, char *channel, size_t clen,
    char *payload, size_t len)
{
	struct pollfd	 pfd;
	PGnotify	*n;
	int		 rc;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return (-1);
	if ((n = PQnotifies(db->conn)) == NULL) {
		pfd.fd = PQsocket(db->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, timeout_ms);
		if (rc == -1 && errno != EINTR)
			return (-1);
		if (rc <= 0)
			return (0);
		if (PQconsumeInput(db->conn) == 0 ||
		    PQstatus(db->conn) != CONNECTION_OK) {
			drop_conn(db);
			return (-1);
		}
		if ((n = PQnotifies(db->conn)) == NULL)
			return (0);
	}
	snprintf(channel, clen, "%s", n->relname != NULL ? n->relname : "");
	snprintf(payload, len, "%s", n->extra != NULL ? n->extra : "");
	PQfreemem(n);
	return (1);
}

void
db_copy_field(struct buf *b, const char *v, int last)
{
	if (v == NULL)
		buf_adds(b, "\\N");
	else
		for (; *v != '\0'; v++)
			switch (*v) {
			case '\\':
				buf_adds(b, "\\\\");
				break;
			case '\t':
				buf_adds(b, "\\t");
				break;
			case '\n':
				buf_adds(b, "\\n");
				break;
			case '\r':
				buf_adds(b, "\\r");
				break;
			default:
				buf_addc(b, *v);
			}
	buf_addc(b, last ? '\n' : '\t');
}
