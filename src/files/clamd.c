/*
 * clamd.c: every stored file is scanned by ClamAV's daemon before anyone
 * can download it.
 *
 * The scanner is a thread of guichetd (the module's start and stop) with
 * its own database connection.  It takes the oldest pending file with
 * SELECT ... FOR UPDATE SKIP LOCKED, in a transaction of its own, sends
 * the file to clamd over its unix socket with INSTREAM, and marks it
 * clean or rejected (content deleted, signature kept) in that same
 * transaction; then the next, until none is left, then it waits
 * clamd_scan_interval seconds.  Several guichetd share the work: a file
 * being scanned is locked, the others skip it; a guichetd that dies
 * mid-scan drops its lock with its connection, and the file is pending
 * again.  When clamd cannot be reached or cannot say (an ERROR answer, a
 * timeout), the transaction is rolled back: the file stays pending, and
 * the scanner tries again every clamd_scan_interval seconds, logging the
 * outage once and its end once.  Nothing is lost, nothing unscanned is
 * served (files_reply() serves clean files only).
 *
 * The protocol (clamd(8), "INSTREAM"): "zINSTREAM\0", then chunks, each
 * its length as 4 bytes in network order and its bytes, then a zero
 * length; clamd answers "stream: OK\0", "stream: <signature> FOUND\0" or
 * "<reason> ERROR\0" (e.g. "INSTREAM size limit exceeded", when the file is
 * larger than its StreamMaxLength: set it above upload_max).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/conf.h"
#include "base/log.h"
#include "db/db.h"
#include "files/files.h"
#include "files/files_int.h"

/* clamd's answer may take this long; the transaction waits as long. */
#define CLAMD_TIMEOUT_S		60

static struct {
	char		 socket[108];
	int		 interval;	/* seconds */
	pthread_t	 thread;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cv;
	int		 running;
	int		 stop;
} sc = { .interval = 2, .mtx = PTHREAD_MUTEX_INITIALIZER,
    .cv = PTHREAD_COND_INITIALIZER };

static _Atomic uint64_t	 n_clean, n_rejected, n_errors;
static _Atomic long	 n_pending = -1;	/* -1: not counted yet */

void
files_scanner_configure(const struct conf *c)
{
	snprintf(sc.socket, sizeof(sc.socket), "%s", c->clamd_socket);
	sc.interval = c->clamd_scan_interval;
}

int
files_retry_after(void)
{
	return (sc.interval);
}

/* A connection to clamd with timeouts both ways, or -1 ('why' says). */
static int
clamd_connect(const char *path, char *why, size_t len)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { CLAMD_TIMEOUT_S, 0 };
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(why, len, "cannot connect to %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	return (fd);
}

static int
send_all(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = send(fd, c, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		c += w;
		n -= (size_t)w;
	}
	return (0);
}

/* A chunk of INSTREAM: its length in network order, then its bytes. */
static int
send_chunk(int fd, const void *p, size_t n)
{
	uint32_t	 be = htonl((uint32_t)n);

	return (send_all(fd, &be, sizeof(be)) == -1 || (n > 0 &&
	    send_all(fd, p, n) == -1) ? -1 : 0);
}

/* clamd's answer, up to its NUL, into 'out': -1 when none came whole. */
static int
read_answer(int fd, char *out, size_t len)
{
	size_t	 n = 0;
	ssize_t	 r;

	while (n < len - 1) {
		if ((r = recv(fd, out + n, len - 1 - n, 0)) == -1 &&
		    errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(out, '\0', n) != NULL)
			return (0);
	}
	out[n] = '\0';
	return (-1);
}

int
files_clamd_scan(const char *sock, struct db *db, const char *id,
    uint64_t size, char *found, size_t flen, struct db_error *err)
{
	struct db_res	*res = NULL;
	const void	*p;
	char		 answer[512];
	uint64_t	 off;
	size_t		 n, got;
	int		 fd, rc;

	if ((fd = clamd_connect(sock, found, flen)) == -1)
		return (-1);
	if (send_all(fd, "zINSTREAM", sizeof("zINSTREAM")) == -1)
		goto io;
	for (off = 0; off < size; off += n) {
		n = size - off < FILES_CHUNK ? (size_t)(size - off) :
		    FILES_CHUNK;
		if ((rc = files_chunk(db, id, "pending", off, n, &res,
		    err)) != 0) {
			close(fd);
			if (rc == 1)
				snprintf(found, flen, "the file changed "
				    "while it was read");
			return (rc == 1 ? -1 : -2);
		}
		p = db_bytes(res, 0, "chunk", &got);
		rc = send_chunk(fd, p, got);
		db_res_free(res);
		res = NULL;
		if (rc == -1)
			goto io;
	}
	if (send_chunk(fd, NULL, 0) == -1)
		goto io;
	if (read_answer(fd, answer, sizeof(answer)) == -1) {
		snprintf(found, flen, "no answer from clamd%s%s",
		    answer[0] != '\0' ? ": " : "", answer);
		close(fd);
		return (-1);
	}
	close(fd);
	n = strlen(answer);
	if (strcmp(answer, "stream: OK") == 0)
		return (0);
	if (strncmp(answer, "stream: ", 8) == 0 && n > 8 + 6 &&
	    strcmp(answer + n - 6, " FOUND") == 0) {
		snprintf(found, flen, "%.*s", (int)(n - 8 - 6), answer + 8);
		return (1);
	}
	snprintf(found, flen, "clamd answered: %s", answer);
	return (-1);
io:
	snprintf(found, flen, "talking to clamd: %s", strerror(errno));
	close(fd);
	return (-1);
}

/* One file's scan, in its transaction. */
struct scan {
	int	 none;		/* no pending file left */
	int	 clamd_failed;	/* clamd could not say: keep it pending */
	char	 why[256];	/* what clamd said, or why it could not */
	char	 id[FILES_ID_LEN];
	int	 rejected;
};

static int
scan_tx(struct db *db, void *arg, struct db_error *err)
{
	struct scan	*s = arg;
	struct db_res	*res = NULL;
	char		 now[40];
	const char	*p[4];
	uint64_t	 size;
	int		 rc;

	/* The transaction waits for clamd: longer than its answer may take. */
	if (db_exec_sql(db, "SET LOCAL idle_in_transaction_session_timeout "
	    "= '90s'", err) == -1)
		return (-1);
	if (db_exec(db, FS(FS_CLAIM), NULL, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		s->none = 1;
		return (0);
	}
	snprintf(s->id, sizeof(s->id), "%s", db_str(res, 0, "id"));
	size = (uint64_t)db_int64(res, 0, "size");
	db_res_free(res);
	rc = files_clamd_scan(sc.socket, db, s->id, size, s->why,
	    sizeof(s->why), err);
	if (rc == -2)
		return (-1);
	if (rc == -1) {
		s->clamd_failed = 1;
		return (-1);
	}
	s->rejected = rc == 1;
	clock_format(clock_now(), now, sizeof(now));
	p[0] = s->id;
	p[1] = files_status_word(rc == 1 ? FILES_REJECTED : FILES_CLEAN);
	p[2] = rc == 1 ? s->why : NULL;
	p[3] = now;
	return (db_exec(db, FS(FS_SCANNED), p, NULL, err));
}

static void
count_pending(struct db *db)
{
	struct db_res	*res = NULL;
	struct db_error	 err;

	if (db_exec(db, FS(FS_PENDING), NULL, &res, &err) == 0)
		atomic_store(&n_pending, (long)db_int64(res, 0, "pending"));
	db_res_free(res);
}

/*
 * Scan pending files until none is left or something fails; 'down' says
 * whether clamd was unreachable at the last try (to log changes once).
 */
static void
scan_pending(struct db *db, int *down)
{
	struct scan	 s;
	struct db_error	 err;

	for (;;) {
		pthread_mutex_lock(&sc.mtx);
		if (sc.stop) {
			pthread_mutex_unlock(&sc.mtx);
			return;
		}
		pthread_mutex_unlock(&sc.mtx);
		memset(&s, 0, sizeof(s));
		if (db_tx(db, scan_tx, &s, &err) == -1) {
			if (s.clamd_failed) {
				atomic_fetch_add(&n_errors, 1);
				if (!*down)
					log_warnx("clamd cannot scan (%s): "
					    "uploaded files stay pending until "
					    "it can", s.why);
				*down = 1;
			} else
				log_warnx("file scanner: database failure; "
				    "trying again in %d s", sc.interval);
			return;
		}
		if (s.none)
			return;
		if (*down)
			log_info("clamd scans again");
		*down = 0;
		atomic_fetch_add(s.rejected ? &n_rejected : &n_clean, 1);
		if (s.rejected)
			log_warnx("file %s rejected by clamd: %s", s.id, s.why);
		else
			log_debug("file %s scanned: clean", s.id);
	}
}

static void *
scanner(void *arg)
{
	struct db	*db = db_open();
	struct timespec	 ts;
	int		 down = 0;

	(void)arg;
	pthread_mutex_lock(&sc.mtx);
	while (!sc.stop) {
		pthread_mutex_unlock(&sc.mtx);
		scan_pending(db, &down);
		count_pending(db);
		pthread_mutex_lock(&sc.mtx);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += sc.interval;
		while (!sc.stop && pthread_cond_timedwait(&sc.cv, &sc.mtx,
		    &ts) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&sc.mtx);
	db_close(db);
	return (NULL);
}

void
files_scanner_start(void)
{
	if (sc.socket[0] == '\0') {
		log_warnx("clamd_socket is not set: uploaded files are never "
		    "scanned, so never served (not for production)");
		return;
	}
	sc.stop = 0;
	if (pthread_create(&sc.thread, NULL, scanner, NULL) != 0)
		fatalx("could not start the file scanner");
	sc.running = 1;
	log_info("file scanner: clamd at %s, every %d s", sc.socket,
	    sc.interval);
}

void
files_scanner_stop(void)
{
	if (!sc.running)
		return;
	pthread_mutex_lock(&sc.mtx);
	sc.stop = 1;
	pthread_cond_broadcast(&sc.cv);
	pthread_mutex_unlock(&sc.mtx);
	pthread_join(sc.thread, NULL);
	sc.running = 0;
}

void
files_scanner_metrics(struct buf *out)
{
	long	 pending = atomic_load(&n_pending);

	buf_addf(out, "# HELP guichet_files_scanned_total Files scanned by "
	    "clamd, by result.\n# TYPE guichet_files_scanned_total counter\n"
	    "guichet_files_scanned_total{result=\"clean\"} %llu\n"
	    "guichet_files_scanned_total{result=\"rejected\"} %llu\n"
	    "# HELP guichet_files_clamd_errors_total Scans that clamd could "
	    "not make (unreachable, an error, a timeout): the file stays "
	    "pending.\n# TYPE guichet_files_clamd_errors_total counter\n"
	    "guichet_files_clamd_errors_total %llu\n",
	    (unsigned long long)atomic_load(&n_clean),
	    (unsigned long long)atomic_load(&n_rejected),
	    (unsigned long long)atomic_load(&n_errors));
	if (pending >= 0)
		buf_addf(out, "# HELP guichet_files_pending Files waiting for "
		    "their scan (all guichetd), as this one last counted.\n"
		    "# TYPE guichet_files_pending gauge\n"
		    "guichet_files_pending %ld\n", pending);
}
