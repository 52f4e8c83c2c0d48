/*
 * db.h: the one database access layer.
 *
 * Each worker thread owns one PostgreSQL connection, opened lazily on first
 * use and reopened after a failure (a PostgreSQL restart), with
 * statement_timeout, lock_timeout and idle_in_transaction_session_timeout
 * set in the connection options so that they survive a reconnect.
 * Statements are declared by each domain in a table (struct db_stmt),
 * registered once at start-up, and prepared on a connection the first time
 * they are used on it.  Parameters only: no SQL is ever built from input.
 *
 * Errors are classified (enum db_err) so that the HTTP layer can map them
 * to a status without knowing SQLSTATEs; the full message goes to the log
 * once, here, with the statement name.  Nothing here knows about HTTP.
 */
#ifndef GUICHET_DB_H
#define GUICHET_DB_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct db_res;

struct db_stmt {
	const char	*name;		/* <domain>_<verb>_<object>: unique */
	const char	*sql;		/* $1.. parameters */
	int		 nparams;
	int		 flags;		/* DB_CUSTOM_PLAN */
	int		 id;		/* set by db_register() */
};

/*
 * A statement whose best plan depends on its values is planned with them
 * at every execution (an unnamed statement), never with the generic plan
 * that PostgreSQL settles on after five executions of a prepared one: a
 * map's box may hold one street or a third of the town, and the generic
 * plan, blind to the box, reads the whole box to keep its newest rows
 * (measured: 210 ms against 12 ms with 1,000,000 reports).  Planning
 * costs a fraction of a millisecond; keep the flag for such statements.
 */
#define DB_CUSTOM_PLAN	0x01

/*
 * The SQL of a timestamptz expression 'x' as the API's one form of a time,
 * RFC 3339 in UTC to the second (what json_set_time() writes for the
 * columns C reads), for statements that build JSON themselves.
 */
#define DB_TIME_SQL(x) \
	"to_char(" x " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

enum db_err {
	DB_OK = 0,
	DB_E_UNAVAILABLE,	/* no connection: 503 */
	DB_E_TIMEOUT,		/* statement_timeout or lock_timeout: 503 */
	DB_E_UNIQUE,		/* 23505: 409 */
	DB_E_FOREIGN_KEY,	/* 23503: 409 */
	DB_E_CHECK,		/* 23514, 23502, 22xxx: 422 */
	DB_E_SERIALIZATION,	/* 40001, 40P01: retried by db_tx(), then 503 */
	DB_E_INTERNAL,		/* anything else: 500 */
};

struct db_error {
	enum db_err	 code;
	char		 sqlstate[6];
	char		 constraint[64];	/* for unique/check violations */
};

struct db_config {
	const char	*conninfo;
	int		 statement_timeout_ms;
	int		 connect_timeout_s;
	const char	*application_name;
	/*
	 * The role of the request threads' connections (db_thread()), set in
	 * the startup packet; NULL or "": none.  Other connections (the
	 * migrations, the purge, the listener, guichetctl) keep the login
	 * role's rights.
	 */
	const char	*role;
};

/* Once, before any thread uses the layer. */
void	 db_configure(const struct db_config *);
/* Register a domain's statements; call before the server starts. */
void	 db_register(struct db_stmt *, size_t);
/* How many statements are registered (guichetd --modules). */
size_t	 db_registered_count(void);

/* The calling thread's connection (never NULL; may be down). */
struct db *db_thread(void);
/* Close the calling thread's connection (thread exit). */
void	 db_thread_close(void);
/* A connection not bound to a thread (guichetctl, migrations, workers). */
struct db *db_open(void);
void	 db_close(struct db *);
/* 0 when connected (connecting if needed), -1 with 'err' set otherwise. */
int	 db_ensure(struct db *, struct db_error *);

/*
 * Run a registered statement with text parameters (NULL = SQL NULL).
 * Returns 0 and *res (caller frees with db_res_free()) or -1 with 'err'.
 * 'res' may be NULL when the rows are not wanted.
 */
int	 db_exec(struct db *, const struct db_stmt *, const char *const *,
	    struct db_res **, struct db_error *);
/* Run literal, trusted SQL (migrations, BEGIN, COMMIT): never input. */
int	 db_exec_sql(struct db *, const char *, struct db_error *);

/*
 * Bytes (a file's content, ARCHITECTURE.md "Data").  libpq grows its
 * buffers to the largest message a connection ever sent or received and
 * never shrinks them, and the threads' connections live as long as the
 * process: large values go in and out in pieces, never in one statement.
 *
 * db_exec_bin() is db_exec() with the result in binary format, so that a
 * bytea comes as its bytes (not twice as many hex digits); its cells are
 * read with db_bytes() (the bytes and their length; NULL for SQL NULL)
 * and db_isnull() only.
 */
int	 db_exec_bin(struct db *, const struct db_stmt *, const char *const *,
	    struct db_res **, struct db_error *);
const void *db_bytes(const struct db_res *, int, const char *, size_t *);
/*
 * COPY ... FROM STDIN (a registered statement whose SQL is the COPY
 * itself, run unprepared): db_copy_begin() starts it, db_copy_put() sends
 * a piece of the data (each flushed past 8 KiB: libpq's buffer stays the
 * size of the largest piece), db_copy_end() ends it and gives the rows
 * copied in *rows (may be NULL); with a reason instead of NULL it
 * abandons the COPY, whose rows are then not written (-1).  0 or -1 with
 * 'err'; after a failed begin or put, call db_copy_end() all the same.
 */
int	 db_copy_begin(struct db *, const struct db_stmt *, struct db_error *);
int	 db_copy_put(struct db *, const void *, size_t, struct db_error *);
int	 db_copy_end(struct db *, const char *, long *, struct db_error *);
/*
 * One field of COPY's text format into 'b': 'v' with backslashes, tabs
 * and line ends escaped, or \N for NULL; then a tab, or the row's line
 * end when 'last'.
 */
struct buf;
void	 db_copy_field(struct buf *, const char *, int);

/*
 * Run fn(db, arg, err) in a transaction: BEGIN, fn, COMMIT; ROLLBACK when
 * fn returns -1.  Serialization failures and deadlocks are retried up to
 * three times.  Returns fn's result (0) or -1 with 'err'; 'err->code' is
 * DB_OK when fn failed for a reason of its own.  Inside a transaction, fn
 * joins it: one operation may be made of another's, all or nothing.
 */
typedef int	(*db_tx_fn)(struct db *, void *, struct db_error *);
int	 db_tx(struct db *, db_tx_fn, void *, struct db_error *);

int	 db_res_rows(const struct db_res *);

/*
 * Cells by column name: every statement names its result columns (AS
 * where the expression has no name of its own), and code reads them by
 * that name, typed.  A name the result does not have is a programming
 * error: it is logged (with the statement) and reads as SQL NULL.
 *   db_str    the text, or NULL for SQL NULL;
 *   db_bool   1 for true, 0 for false or NULL;
 *   db_int64  the integer, 0 for NULL;
 *   db_time   a timestamptz as microseconds since the epoch (the clock's
 *             unit), 0 for NULL; the session's TimeZone is UTC;
 *   db_isnull 1 for SQL NULL.
 */
const char *db_str(const struct db_res *, int, const char *);
int	 db_bool(const struct db_res *, int, const char *);
int64_t	 db_int64(const struct db_res *, int, const char *);
int64_t	 db_time(const struct db_res *, int, const char *);
int	 db_isnull(const struct db_res *, int, const char *);
/* The column's index, or -1 (for loops over many rows). */
int	 db_col(const struct db_res *, const char *);
/*
 * For those loops: cell 'col' (db_col()'s index) of row 'row', the text
 * or NULL for SQL NULL (and for a column of -1); db_time_cell() writes a
 * timestamptz cell as the API writes times, UTC to the second
 * ("2026-11-23T10:57:45Z", json_set_time()'s text) into 'out' (at least
 * DB_TIME_LEN bytes): 0, or -1 and "" for NULL.
 */
#define DB_TIME_LEN	40
const char *db_cell(const struct db_res *, int, int);
int	 db_time_cell(const struct db_res *, int, int, char *, size_t);
/* Rows affected by an INSERT/UPDATE/DELETE. */
long	 db_res_affected(const struct db_res *);
void	 db_res_free(struct db_res *);

/*
 * On the LISTEN connection (db/notify.c, which issues the LISTENs with
 * db_exec_sql()): wait up to 'timeout_ms'; 1 with the channel and the
 * payload of one notification, 0 on timeout, -1 when the connection
 * failed (the caller listens again and must assume it missed some).
 * Modules do not call this: they subscribe through db/notify.h.
 */
int	 db_wait_notify(struct db *, int, char *, size_t, char *, size_t);

/* Counters for /metrics. */
struct db_stats {
	uint64_t	 errors;
	uint64_t	 reconnects;
	uint64_t	 connect_failures;
	uint64_t	 statements;	/* of the statement tables, executed */
};
void	 db_stats(struct db_stats *);


#endif
