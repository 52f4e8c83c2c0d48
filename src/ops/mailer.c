/*
 * mailer.c: the sender, a thread of guichetd that hands the outbox to the
 * SMTP relay with libcurl (guichetd(8), "Mail").
 *
 * Each round claims up to mail_batch due messages (FOR UPDATE SKIP
 * LOCKED, then a lease: locked_until and the claim's id), so that several
 * guichetd share the outbox without sending a message twice, and a
 * sender that dies leaves its messages to the others once the lease ends.
 * For each message, in order: the gates again (outbox.h: a restriction
 * may have begun since it was queued), the rendering (mail.h), then one
 * SMTP transaction on a connection kept for the round.
 *
 * Invariants:
 *  - a message is marked sent only after the relay answered 250 to its
 *    data: when the relay is down or cuts the connection, it stays queued
 *    and is tried again later, never lost (if the database fails between
 *    the relay's 250 and the record of it, the lease ends and the message
 *    goes again: twice rather than never, with the same Message-ID);
 *  - a failure of the relay (cannot connect, timeout, TLS, authentication,
 *    connection cut) is nobody's message's fault: the message backs off
 *    (mail_retry_base doubling up to mail_retry_max) but never fails for
 *    it, the rest of the batch is released untried, and the sender pauses
 *    likewise; once the relay takes a message again, every message held
 *    back by the outage is due at once;
 *  - a refusal of the message (a 4xx reply) is retried the same way until
 *    mail_max_attempts, then the message is failed; a 5xx reply, or a
 *    template that does not render, fails it at once (guichetctl outbox
 *    retry queues it again);
 *  - the log holds ids, classes and reply codes, never an address or the
 *    relay's text.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>

#include "base/clock.h"
#include "base/conf.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "core/module.h"
#include "db/db.h"
#include "ops/mail.h"
#include "ops/ops.h"
#include "ops/outbox.h"

/* Between two rounds when there was nothing to do. */
#define MAILER_IDLE_MS		1000
/* The relay pause never grows past this, whatever mail_retry_max. */
#define MAILER_PAUSE_MAX_S	300

enum mailer_stmt {
	MB_CLAIM,
	MB_SENT,
	MB_FAILED,
	MB_SUPPRESS,
	MB_RELEASE,
	MB_RELAY_BACK,
	MB__COUNT
};

/* The classes of failure the relay is to blame for (last_error). */
#define RELAY_CLASSES	"'connect', 'timeout', 'tls', 'auth', 'connection'"

static struct db_stmt mb_stmts[MB__COUNT] = {
	/* $1 now, $2 the lease's end, $3 how many */
	[MB_CLAIM] = { .name = "ops_claim_outbox",
	  .sql = "WITH c AS (SELECT id FROM ops.outbox WHERE status = "
	  "'queued' AND next_attempt_at <= $1 AND (locked_until IS NULL OR "
	  "locked_until <= $1) ORDER BY next_attempt_at, created_at, id "
	  "LIMIT $3 FOR UPDATE SKIP LOCKED), k AS (SELECT gen_random_uuid() "
	  "AS claim), u AS (UPDATE ops.outbox o SET locked_until = $2, "
	  "claim = k.claim FROM c, k WHERE o.id = c.id RETURNING o.id, "
	  "o.account_id, o.recipient, o.template, o.locale, "
	  "o.payload::text AS payload, o.attempts, o.claim, o.created_at, "
	  "o.next_attempt_at) SELECT id, account_id, recipient, template, "
	  "locale, payload, attempts, claim FROM u "
	  "ORDER BY next_attempt_at, created_at, id", .nparams = 3 },
	/* $1 id, $2 claim, $3 now, $4 the relay's reply code */
	[MB_SENT] = { .name = "ops_update_outbox_sent",
	  .sql = "UPDATE ops.outbox SET status = 'sent', sent_at = $3, "
	  "attempts = attempts + 1, last_error = NULL, last_smtp_code = $4, "
	  "locked_until = NULL, claim = NULL, updated_at = $3 "
	  "WHERE id = $1 AND claim = $2", .nparams = 4 },
	/* $4 next attempt, $5 class, $6 failed for good, $7 reply code */
	[MB_FAILED] = { .name = "ops_update_outbox_failed",
	  .sql = "UPDATE ops.outbox SET attempts = attempts + 1, status = "
	  "CASE WHEN $6::boolean THEN 'failed' ELSE 'queued' END, "
	  "next_attempt_at = $4, last_error = $5, last_smtp_code = $7, "
	  "locked_until = NULL, claim = NULL, updated_at = $3 "
	  "WHERE id = $1 AND claim = $2", .nparams = 7 },
	/* $4 the reason */
	[MB_SUPPRESS] = { .name = "ops_update_outbox_suppressed",
	  .sql = "UPDATE ops.outbox SET status = 'suppressed', "
	  "suppressed_reason = $4, locked_until = NULL, claim = NULL, "
	  "updated_at = $3 WHERE id = $1 AND claim = $2", .nparams = 4 },
	/* the rest of a batch, untried */
	[MB_RELEASE] = { .name = "ops_update_outbox_release",
	  .sql = "UPDATE ops.outbox SET locked_until = NULL, claim = NULL "
	  "WHERE claim = $1", .nparams = 1 },
	[MB_RELAY_BACK] = { .name = "ops_update_outbox_relay_back",
	  .sql = "UPDATE ops.outbox SET next_attempt_at = $1 WHERE status = "
	  "'queued' AND next_attempt_at > $1 AND last_error IN ("
	  RELAY_CLASSES ")", .nparams = 1 },
};

const struct module_stmts mailer_stmt_table = { .stmts = mb_stmts,
    .count = MB__COUNT };

/* The settings, copied once by mailer_configure(). */
static struct {
	char	*url;
	long	 use_ssl;
	char	*user;
	char	*password;
	long	 timeout;
	char	*from;
	int	 batch;
	int	 max_attempts;
	int64_t	 retry_base;	/* microseconds */
	int64_t	 retry_max;
} mc;

static pthread_t	 thread;
static int		 started;
static atomic_int	 stopping;
static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 cv = PTHREAD_COND_INITIALIZER;
static atomic_ullong	 n_sent, n_failures, n_suppressed;

/* The first line of the password file, which others may not read. */
static int
read_password(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	FILE		*f;
	char		 line[512];
	size_t		 n;

	if ((f = fopen(path, "r")) == NULL || fstat(fileno(f), &st) == -1) {
		snprintf(err, errlen, "smtp_password_file %s cannot be read",
		    path);
		if (f != NULL)
			fclose(f);
		return (-1);
	}
	if (st.st_mode & S_IROTH) {
		fclose(f);
		snprintf(err, errlen, "smtp_password_file %s is readable by "
		    "others: chmod o-r it", path);
		return (-1);
	}
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = '\0';
	mc.password = xstrdup(line);
	memset(line, 0, sizeof(line));
	return (0);
}

int
mailer_configure(const struct conf *c, char *err, size_t errlen)
{
	mc.url = xstrdup(c->smtp_url);
	mc.use_ssl = strcmp(c->smtp_starttls, "required") == 0 ?
	    (long)CURLUSESSL_ALL : strcmp(c->smtp_starttls, "try") == 0 ?
	    (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE;
	mc.user = c->smtp_user[0] != '\0' ? xstrdup(c->smtp_user) : NULL;
	mc.timeout = c->smtp_timeout;
	mc.from = xstrdup(c->mail_from);
	mc.batch = c->mail_batch;
	mc.max_attempts = c->mail_max_attempts;
	mc.retry_base = (int64_t)c->mail_retry_base * 1000000;
	mc.retry_max = (int64_t)c->mail_retry_max * 1000000;
	if (c->smtp_password_file[0] != '\0' &&
	    read_password(c->smtp_password_file, err, errlen) == -1)
		return (-1);
	if (mc.url[0] != '\0' && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		snprintf(err, errlen, "libcurl could not be initialised");
		return (-1);
	}
	return (0);
}

void
mailer_stats(struct mailer_stats *s)
{
	s->sent = atomic_load(&n_sent);
	s->failures = atomic_load(&n_failures);
	s->suppressed = atomic_load(&n_suppressed);
}

/* Wait 'us' microseconds, or less when stopping: 1 when stopping. */
static int
mailer_wait(int64_t us)
{
	struct timespec	 ts;
	int64_t		 ns;

	clock_gettime(CLOCK_REALTIME, &ts);
	ns = (int64_t)ts.tv_nsec + (us % 1000000) * 1000;
	ts.tv_sec += (time_t)(us / 1000000 + ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	pthread_mutex_lock(&mu);
	while (!atomic_load(&stopping))
		if (pthread_cond_timedwait(&cv, &mu, &ts) != 0)
			break;
	pthread_mutex_unlock(&mu);
	return (atomic_load(&stopping));
}

/* SMTP with libcurl. */

struct upload {
	const char	*data;
	size_t		 len, off;
};

static size_t
upload_read(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct upload	*u = arg;
	size_t		 n = size * nmemb;

	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return (n);
}

/* Stopping guichetd cuts a transfer short (the message stays queued). */
static int
upload_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	(void)arg;
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return (atomic_load(&stopping) ? 1 : 0);
}

static CURL *
smtp_handle(void)
{
	CURL	*c;
	char	 from[300];

	if ((c = curl_easy_init()) == NULL)
		return (NULL);
	snprintf(from, sizeof(from), "<%s>", mc.from);
	curl_easy_setopt(c, CURLOPT_URL, mc.url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USE_SSL, mc.use_ssl);
	if (mc.user != NULL) {
		curl_easy_setopt(c, CURLOPT_USERNAME, mc.user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
		    mc.password != NULL ? mc.password : "");
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT, mc.timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, mc.timeout < 10 ?
	    mc.timeout : 10L);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, upload_progress);
	return (c);
}

/*
 * The classes of failure (last_error): whether the relay is to blame (an
 * outage: the message waits, never fails for it) and whether the message
 * failed for good.
 */
enum fclass {
	F_CONNECT,	/* the relay cannot be reached */
	F_TIMEOUT,
	F_TLS,		/* STARTTLS refused, a certificate not trusted */
	F_AUTH,
	F_CONNECTION,	/* cut, or an answer that is no SMTP reply */
	F_STOPPED,	/* guichetd is stopping */
	F_REFUSED,	/* 4xx: the relay refuses it for now */
	F_REJECTED,	/* 5xx: for good */
	F_TEMPLATE,	/* it does not render */
};

struct failure {
	const char	*class;
	int		 relay;
	int		 final;
};

static const struct failure failures[] = {
	[F_CONNECT] = { .class = "connect", .relay = 1 },
	[F_TIMEOUT] = { .class = "timeout", .relay = 1 },
	[F_TLS] = { .class = "tls", .relay = 1 },
	[F_AUTH] = { .class = "auth", .relay = 1 },
	[F_CONNECTION] = { .class = "connection", .relay = 1 },
	[F_STOPPED] = { .class = "stopped", .relay = 1 },
	[F_REFUSED] = { .class = "refused" },
	[F_REJECTED] = { .class = "rejected", .final = 1 },
	[F_TEMPLATE] = { .class = "template", .final = 1 },
};

static enum fclass
classify(CURLcode rc, long code)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return (F_CONNECT);
	case CURLE_OPERATION_TIMEDOUT:
		return (F_TIMEOUT);
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_USE_SSL_FAILED:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
		return (F_TLS);
	case CURLE_LOGIN_DENIED:
		return (F_AUTH);
	case CURLE_ABORTED_BY_CALLBACK:
		return (F_STOPPED);
	default:
		break;
	}
	if (code == 421)	/* the relay is closing the connection */
		return (F_CONNECTION);
	if (code == 530 || code == 534 || code == 535)
		return (F_AUTH);
	if (code >= 500 && code <= 599)
		return (F_REJECTED);
	if (code >= 400 && code <= 499)
		return (F_REFUSED);
	return (F_CONNECTION);
}

static CURLcode
smtp_send(CURL *c, const char *to, const char *msg, size_t len, long *code)
{
	struct curl_slist	*rcpt;
	struct upload		 up = { msg, len, 0 };
	char			*addr;
	CURLcode		 rc;

	xasprintf(&addr, "<%s>", to);
	rcpt = curl_slist_append(NULL, addr);
	free(addr);
	if (rcpt == NULL)
		return (CURLE_OUT_OF_MEMORY);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(c);
	*code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpt);
	return (rc);
}

/* A round. */

/* The wait after the n-th failure in a row (1, 2, ...). */
static int64_t
backoff(int64_t n, int64_t cap)
{
	int64_t	 d = mc.retry_base;

	while (--n > 0 && d < cap)
		d *= 2;
	return (d < cap ? d : cap);
}

struct round {
	struct db	*db;
	CURL		*curl;
	json_t		*town;
	const char	*claim;
	int		 relay_down;	/* the relay failed this round */
	int		 delivered;	/* ... or took a message */
};

/* One statement on the message 'id' of the claim: p[0..1] set here. */
static void
record(struct round *r, enum mailer_stmt st, const char *id,
    const char **p)
{
	struct db_error	 err;

	p[0] = id;
	p[1] = r->claim;
	if (db_exec(r->db, &mb_stmts[st], p, NULL, &err) == -1)
		log_warnx("outbox %s: the result could not be recorded; the "
		    "message will be taken up again", id);
}

static void
failed(struct round *r, const char *id, int64_t attempts,
    const struct failure *f, long code)
{
	const char	*p[7];
	char		 now[40], next[40], c[16], what[40];
	int64_t		 t = clock_now(), wait;
	int		 final;

	/* The relay's outages never fail a message, its refusals may. */
	final = f->final || (!f->relay && attempts + 1 >= mc.max_attempts);
	wait = backoff(attempts + 1, mc.retry_max);
	clock_format(t, now, sizeof(now));
	clock_format(t + wait, next, sizeof(next));
	snprintf(c, sizeof(c), "%ld", code);
	p[2] = now;
	p[3] = next;
	p[4] = f->class;
	p[5] = final ? "true" : "false";
	p[6] = c;
	record(r, MB_FAILED, id, p);
	atomic_fetch_add(&n_failures, 1);
	if (final)
		snprintf(what, sizeof(what), "failed");
	else
		snprintf(what, sizeof(what), "next in %lld s",
		    (long long)(wait / 1000000));
	log_warnx("outbox %s: attempt %lld failed (%s, reply %ld): %s", id,
	    (long long)attempts + 1, f->class, code, what);
}

/* The message's subject and body, or NULL (then 'missing' says why). */
static char *
render(const struct db_res *res, int i, const json_t *town, enum lang l,
    char **body, char *missing, size_t mlen)
{
	const struct mail_text	*t;
	json_error_t		 je;
	json_t			*v;
	char			*subject = NULL;

	*body = NULL;
	if ((t = mail_template(db_str(res, i, "template"), l)) == NULL) {
		snprintf(missing, mlen, "(no template)");
		return (NULL);
	}
	v = json_loads(db_str(res, i, "payload"), 0, &je);
	if (!json_is_object(v)) {
		json_decref(v);
		v = json_object();
	}
	if (json_object_get(v, "town") == NULL && town != NULL)
		json_object_set(v, "town", (json_t *)town);
	if ((subject = mail_render(t->subject, v, missing, mlen)) != NULL &&
	    (*body = mail_render(t->body, v, missing, mlen)) == NULL) {
		free(subject);
		subject = NULL;
	}
	json_decref(v);
	return (subject);
}

/* One message of the claim: 1 when the relay failed (stop the round). */
static int
deliver(struct round *r, const struct db_res *res, int i)
{
	const struct mail_template *tmpl;
	struct mail_msg	 m;
	struct db_error	 err;
	const struct failure *f;
	const char	*id = db_str(res, i, "id"), *reason, *p[4];
	char		*subject, *body, *msg, missing[64], now[40], c[16];
	size_t		 len;
	long		 code;
	CURLcode	 rc;

	tmpl = module_template_find(db_str(res, i, "template"));
	if (tmpl != NULL && outbox_gates(r->db, db_str(res, i, "account_id"),
	    db_str(res, i, "recipient"), tmpl, &reason, &err) != 0) {
		if (reason == NULL)	/* the database: next round */
			return (1);
		clock_format(clock_now(), now, sizeof(now));
		p[2] = now;
		p[3] = reason;
		record(r, MB_SUPPRESS, id, p);
		atomic_fetch_add(&n_suppressed, 1);
		log_info("outbox %s: suppressed (%s)", id, reason);
		return (0);
	}
	memset(&m, 0, sizeof(m));
	m.lang = lang_from_code(db_str(res, i, "locale"), LANG_FR);
	if ((subject = render(res, i, r->town, m.lang, &body, missing,
	    sizeof(missing))) == NULL) {
		log_warnx("outbox %s: template %s: {{%s}} has no value",
		    id, db_str(res, i, "template"), missing);
		failed(r, id, db_int64(res, i, "attempts"),
		    &failures[F_TEMPLATE], 0);
		return (0);
	}
	m.id = id;
	m.from_name = json_string_value(json_object_get(r->town, "name"));
	m.from = mc.from;
	m.to = db_str(res, i, "recipient");
	m.subject = subject;
	m.body = body;
	m.date = clock_now();
	msg = mail_compose(&m, &len);
	free(subject);
	free(body);
	rc = smtp_send(r->curl, m.to, msg, len, &code);
	free(msg);
	if (rc == CURLE_OK) {
		clock_format(clock_now(), now, sizeof(now));
		snprintf(c, sizeof(c), "%ld", code);
		p[2] = now;
		p[3] = c;
		record(r, MB_SENT, id, p);
		atomic_fetch_add(&n_sent, 1);
		r->delivered = 1;
		log_info("outbox %s: sent (attempt %lld)", id,
		    (long long)db_int64(res, i, "attempts") + 1);
		return (0);
	}
	f = &failures[classify(rc, code)];
	failed(r, id, db_int64(res, i, "attempts"), f, code);
	return (f->relay);
}

/*
 * Claim and send one batch: the number claimed, or -1 when the relay or
 * the database failed (pause).
 */
static int
mailer_round(struct db *db, CURL *curl)
{
	struct round	 r = { .db = db, .curl = curl };
	struct db_res	*res = NULL, *tres = NULL;
	struct db_error	 err;
	json_error_t	 je;
	const char	*p[3];
	char		 now[40], lease[40], n[16];
	int64_t		 t = clock_now();
	int		 i, rows, stop = 0;

	clock_format(t, now, sizeof(now));
	/* Long enough for every message of the batch to time out. */
	clock_format(t + ((int64_t)mc.timeout * (mc.batch + 1) + 60) * 1000000,
	    lease, sizeof(lease));
	snprintf(n, sizeof(n), "%d", mc.batch);
	p[0] = now;
	p[1] = lease;
	p[2] = n;
	if (db_exec(db, &mb_stmts[MB_CLAIM], p, &res, &err) == -1)
		return (-1);
	if ((rows = db_res_rows(res)) == 0) {
		db_res_free(res);
		return (0);
	}
	r.claim = db_str(res, 0, "claim");
	if (db_exec(db, &outbox_stmts[OB_TOWN], NULL, &tres, &err) == 0 &&
	    db_res_rows(tres) == 1)
		r.town = json_loads(db_str(tres, 0, "town"), 0, &je);
	db_res_free(tres);
	for (i = 0; i < rows && !stop; i++)
		stop = atomic_load(&stopping) || deliver(&r, res, i);
	if (stop) {
		p[0] = r.claim;
		(void)db_exec(db, &mb_stmts[MB_RELEASE], p, NULL, &err);
	}
	if (r.delivered) {
		/* The relay takes mail: what its outage held back is due. */
		p[0] = now;
		(void)db_exec(db, &mb_stmts[MB_RELAY_BACK], p, NULL, &err);
	}
	json_decref(r.town);
	db_res_free(res);
	return (stop ? -1 : rows);
}

static void *
mailer_loop(void *arg)
{
	struct db	*db;
	CURL		*curl;
	int64_t		 pauses = 0;
	int		 n;

	(void)arg;
	db = db_open();
	if ((curl = smtp_handle()) == NULL) {
		log_warnx("mail: no libcurl handle: nothing is sent");
		db_close(db);
		return (NULL);
	}
	while (!atomic_load(&stopping)) {
		n = mailer_round(db, curl);
		if (n == -1) {
			/* The relay (or the database) is down: back off. */
			pauses++;
			if (mailer_wait(backoff(pauses, mc.retry_max <
			    MAILER_PAUSE_MAX_S * 1000000LL ? mc.retry_max :
			    MAILER_PAUSE_MAX_S * 1000000LL)))
				break;
			continue;
		}
		pauses = 0;
		if (n < mc.batch && mailer_wait(MAILER_IDLE_MS * 1000LL))
			break;
	}
	curl_easy_cleanup(curl);
	db_close(db);
	return (NULL);
}

void
mailer_start(void)
{
	if (mc.url == NULL || mc.url[0] == '\0') {
		log_info("mail: smtp_url is empty: messages stay queued");
		return;
	}
	atomic_store(&stopping, 0);
	if (pthread_create(&thread, NULL, mailer_loop, NULL) != 0) {
		log_warnx("mail: could not start the sender");
		return;
	}
	started = 1;
	log_info("mail: sending the outbox (batches of %d)", mc.batch);
}

void
mailer_stop(void)
{
	if (!started)
		return;
	pthread_mutex_lock(&mu);
	atomic_store(&stopping, 1);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(thread, NULL);
	started = 0;
}
