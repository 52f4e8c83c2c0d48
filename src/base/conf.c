/*
 * conf.c: the settings table and the three loaders (file, environment,
 * flags all go through conf_set()).
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "xmalloc.h"

#ifndef PKGDATADIR
#define PKGDATADIR "/usr/local/share/guichet"
#endif

enum conf_type { CT_STRING, CT_INT };

struct conf_def {
	const char	*key;
	enum conf_type	 type;
	size_t		 off;
	const char	*dflt;
	long		 min, max;
	int		(*check)(const char *);
	const char	*help;
};

static int	check_log_level(const char *);
static int	check_url(const char *);
static int	check_clock(const char *);
static int	check_nonempty(const char *);
static int	check_ip(const char *);
static int	check_role(const char *);
static int	check_socket(const char *);
static int	check_smtp_url(const char *);
static int	check_starttls(const char *);
static int	check_address(const char *);
static int	check_department(const char *);

#define S(f)	offsetof(struct conf, f)

static const struct conf_def defs[] = {
	{ "listen_address", CT_STRING, S(listen_address), "127.0.0.1", 0, 0,
	  check_nonempty, "IPv4 or IPv6 address to listen on" },
	{ "port", CT_INT, S(port), "8080", 1, 65535, NULL,
	  "TCP port to listen on" },
	{ "database", CT_STRING, S(database), "dbname=guichet", 0, 0,
	  check_nonempty, "libpq connection string of the database" },
	{ "database_role", CT_STRING, S(database_role), "guichet_app", 0, 0,
	  check_role, "role the request threads act as (SET ROLE; empty: the "
	  "login role's own rights)" },
	{ "threads", CT_INT, S(threads), "0", 0, 256, NULL,
	  "threads that poll the connections and run their requests, each "
	  "with its own database connection (0: four per CPU)" },
	{ "connection_limit", CT_INT, S(connection_limit), "4096", 1, 1000000,
	  NULL, "maximum number of open client connections" },
	{ "per_ip_connection_limit", CT_INT, S(per_ip_connection_limit), "256",
	  0, 1000000, NULL,
	  "maximum connections from one address (0: no limit, behind a proxy)" },
	{ "connection_timeout", CT_INT, S(connection_timeout), "30", 1, 3600,
	  NULL, "seconds of client inactivity before a connection is closed" },
	{ "connection_memory_limit", CT_INT, S(connection_memory_limit),
	  "16384", 8192, 1048576, NULL,
	  "bytes of memory per connection (bounds the request header size)" },
	{ "live_limit", CT_INT, S(live_limit), "10000", 0, 1000000, NULL,
	  "live streams (GET /api/v1/live) open at once, at most; they do not "
	  "count in connection_limit (503 beyond; 0: none)" },
	{ "live_heartbeat", CT_INT, S(live_heartbeat), "15", 1, 3600, NULL,
	  "seconds between two comment lines on an idle live stream" },
	{ "header_timeout", CT_INT, S(header_timeout), "10", 1, 3600, NULL,
	  "seconds a request's line and headers may take to arrive, from "
	  "their first byte (from the connection on a new one)" },
	{ "header_connection_limit", CT_INT, S(header_connection_limit),
	  "1024", 1, 1000000, NULL, "connections reading a request's line and "
	  "headers, at most; a new one closes the oldest of them" },
	{ "body_max", CT_INT, S(body_max), "1048576", 1024, 1073741824, NULL,
	  "largest request body accepted, in bytes (413 beyond)" },
	{ "upload_max", CT_INT, S(upload_max), "10485760", 1024, 1073741824,
	  NULL, "largest file accepted by an upload route, in bytes (413 "
	  "beyond; a route may take less)" },
	{ "upload_memory", CT_INT, S(upload_memory), "67108864", 1048576,
	  2147483647, NULL, "bytes of memory the uploads being received may "
	  "hold together (503 beyond; at least upload_max)" },
	{ "json_max_depth", CT_INT, S(json_max_depth), "32", 1, 1000, NULL,
	  "deepest nesting of arrays and objects accepted in a JSON body" },
	{ "statement_timeout", CT_INT, S(statement_timeout), "5000", 100,
	  3600000, NULL, "milliseconds before a database statement is cancelled" },
	{ "db_connect_timeout", CT_INT, S(db_connect_timeout), "2", 1, 60, NULL,
	  "seconds to wait for a database connection" },
	{ "shutdown_timeout", CT_INT, S(shutdown_timeout), "10", 0, 600, NULL,
	  "seconds to let requests in flight finish on SIGTERM" },
	{ "jwt_key_file", CT_STRING, S(jwt_key_file), "", 0, 0, NULL,
	  "file holding the token signing key" },
	{ "log_level", CT_STRING, S(log_level), "info", 0, 0, check_log_level,
	  "debug, info, warn or error" },
	{ "public_url", CT_STRING, S(public_url), "http://127.0.0.1:8080", 0, 0,
	  check_url, "base URL the public reaches guichet at" },
	{ "clock", CT_STRING, S(clock), "system", 0, 0, check_clock,
	  "system, an RFC 3339 instant (frozen) or an offset such as +30d" },
	{ "sql_dir", CT_STRING, S(sql_dir), PKGDATADIR "/sql", 0, 0,
	  check_nonempty, "directory of the schema migrations" },
	{ "templates_dir", CT_STRING, S(templates_dir), PKGDATADIR "/templates",
	  0, 0, check_nonempty, "directory of the page templates" },
	{ "static_dir", CT_STRING, S(static_dir), PKGDATADIR "/static", 0, 0,
	  check_nonempty, "directory of the static files" },
	{ "slow_threads", CT_INT, S(slow_threads), "0", 0, 64, NULL,
	  "workers of the slow lane that hashes passwords (0: half the CPUs, "
	  "at least 1)" },
	{ "slow_queue", CT_INT, S(slow_queue), "64", 1, 100000, NULL,
	  "requests that may wait for the slow lane before 503" },
	{ "slow_queue_per_address", CT_INT, S(slow_queue_per_address), "16", 1,
	  100000, NULL, "requests of one client address that may wait for "
	  "or run on the slow lane before 429" },
	{ "list_threads", CT_INT, S(list_threads), "0", 0, 256, NULL,
	  "workers of the list lane that runs the routes reading many rows, "
	  "each with its own database connection (0: as many as threads)" },
	{ "list_queue", CT_INT, S(list_queue), "1024", 1, 100000, NULL,
	  "requests that may wait for the list lane before 503" },
	{ "list_queue_per_address", CT_INT, S(list_queue_per_address), "64",
	  1, 100000, NULL, "requests of one client address that may wait for "
	  "or run on the list lane before 429" },
	{ "password_memory_kib", CT_INT, S(password_memory_kib), "19456",
	  19456, 4194304, NULL, "argon2id memory cost in KiB" },
	{ "password_iterations", CT_INT, S(password_iterations), "2", 2, 100,
	  NULL, "argon2id time cost (passes)" },
	{ "password_parallelism", CT_INT, S(password_parallelism), "1", 1, 64,
	  NULL, "argon2id lanes" },
	{ "case_draft_days", CT_INT, S(case_draft_days), "30", 4, 365, NULL,
	  "days a draft case lives after its last change (its owner is "
	  "told 3 days before it is deleted)" },
	{ "shuttles_department", CT_STRING, S(shuttles_department),
	  "services_techniques", 0, 0, check_department, "the department "
	  "whose agents post and remove alerts on the shuttles (its code)" },
	{ "open311_jurisdiction", CT_STRING, S(open311_jurisdiction),
	  "montgenevre.fr", 0, 0, check_nonempty, "the Open311 "
	  "jurisdiction_id this town answers to (its domain)" },
	{ "trusted_proxy", CT_STRING, S(trusted_proxy), "", 0, 0, check_ip,
	  "address of the reverse proxy whose X-Forwarded-For is believed "
	  "(empty: none)" },
	{ "clamd_socket", CT_STRING, S(clamd_socket), "", 0, 0, check_socket,
	  "unix socket of ClamAV's clamd, which scans every uploaded file "
	  "(empty: no scanning, files stay pending and are never served; "
	  "not for production)" },
	{ "clamd_scan_interval", CT_INT, S(clamd_scan_interval), "2", 1, 3600,
	  NULL, "seconds between two looks for files waiting for their scan "
	  "(and between two tries while clamd is unreachable)" },
	/* Mail (src/ops/mailer.c): the relay the outbox is delivered to. */
	{ "smtp_url", CT_STRING, S(smtp_url), "", 0, 0, check_smtp_url,
	  "the SMTP relay, smtp://host[:port] or smtps://host[:port] (empty: "
	  "nothing is sent, mail stays queued)" },
	{ "smtp_starttls", CT_STRING, S(smtp_starttls), "required", 0, 0,
	  check_starttls, "STARTTLS on smtp:// URLs: required, try or no "
	  "(no for a relay on the loopback)" },
	{ "smtp_user", CT_STRING, S(smtp_user), "", 0, 0, NULL,
	  "user name for the relay's authentication (empty: none)" },
	{ "smtp_password_file", CT_STRING, S(smtp_password_file), "", 0, 0,
	  NULL, "file holding the relay's password (its first line; not "
	  "readable by others)" },
	{ "smtp_timeout", CT_INT, S(smtp_timeout), "30", 1, 600, NULL,
	  "seconds one message may take to reach the relay" },
	{ "mail_from", CT_STRING, S(mail_from), "noreply@localhost", 0, 0,
	  check_address, "the sender address of the mail (the From header, "
	  "with the town's name, and the envelope)" },
	{ "mail_batch", CT_INT, S(mail_batch), "10", 1, 100, NULL,
	  "messages a sender claims and sends at a time" },
	{ "mail_max_attempts", CT_INT, S(mail_max_attempts), "10", 1, 1000,
	  NULL, "attempts before a message is marked failed" },
	{ "mail_retry_base", CT_INT, S(mail_retry_base), "60", 1, 86400, NULL,
	  "seconds before the first retry of a message; each retry waits "
	  "twice as long as the one before" },
	{ "mail_retry_max", CT_INT, S(mail_retry_max), "21600", 1, 604800,
	  NULL, "longest wait between two attempts, in seconds" },
};

#define NDEFS	(sizeof(defs) / sizeof(defs[0]))

static int
check_nonempty(const char *v)
{
	return (v[0] == '\0' ? -1 : 0);
}

static int
check_ip(const char *v)
{
	unsigned char	 a[16];

	if (*v == '\0')
		return (0);
	return (inet_pton(AF_INET, v, a) == 1 || inet_pton(AF_INET6, v, a) == 1 ?
	    0 : -1);
}

/* A plain lowercase identifier: it goes into the startup options. */
static int
check_role(const char *v)
{
	size_t	 i;

	if (v[0] == '\0')
		return (0);
	if (!(v[0] >= 'a' && v[0] <= 'z') && v[0] != '_')
		return (-1);
	for (i = 1; v[i] != '\0'; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' &&
		    v[i] <= '9') || v[i] == '_') || i >= 63)
			return (-1);
	return (0);
}

/* A department's code: [a-z][a-z0-9_]{1,39} (identity.departments). */
static int
check_department(const char *v)
{
	size_t	 i, n = strlen(v);

	if (n < 2 || n > 40 || v[0] < 'a' || v[0] > 'z')
		return (-1);
	for (i = 1; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' &&
		    v[i] <= '9') || v[i] == '_'))
			return (-1);
	return (0);
}

/* Empty, or an absolute path that fits a unix socket's address. */
static int
check_socket(const char *v)
{
	if (v[0] == '\0')
		return (0);
	return (v[0] == '/' && strlen(v) < 108 ? 0 : -1);
}

/* Empty, or smtp:// or smtps:// and a host, without spaces. */
static int
check_smtp_url(const char *v)
{
	const char	*h;

	if (*v == '\0')
		return (0);
	if (strncmp(v, "smtp://", 7) == 0)
		h = v + 7;
	else if (strncmp(v, "smtps://", 8) == 0)
		h = v + 8;
	else
		return (-1);
	if (*h == '\0' || *h == '/' || *h == ':' || strpbrk(v, " \t\r\n") !=
	    NULL)
		return (-1);
	return (0);
}

static int
check_starttls(const char *v)
{
	return (strcmp(v, "required") == 0 || strcmp(v, "try") == 0 ||
	    strcmp(v, "no") == 0 ? 0 : -1);
}

/*
 * An ASCII address local@domain with no character that would need
 * quoting in a header: it goes into the envelope, From and Message-ID.
 */
static int
check_address(const char *v)
{
	const char	*at = strchr(v, '@');
	size_t		 i;

	if (at == NULL || at == v || at[1] == '\0' || strchr(at + 1, '@') !=
	    NULL || strlen(v) > 254)
		return (-1);
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f ||
		    strchr("<>()[]\\,;:\"", v[i]) != NULL)
			return (-1);
	return (0);
}

static int
check_log_level(const char *v)
{
	enum log_level	 l;

	return (log_level_parse(v, &l));
}

static int
check_url(const char *v)
{
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
		return (-1);
	if (strchr(v, ' ') != NULL || v[strlen(v) - 1] == '/')
		return (-1);
	return (0);
}

static int
check_clock(const char *v)
{
	return (clock_check(v));
}

/* What each check wants, for the error message. */
static const struct {
	int		(*check)(const char *);
	const char	*hint;
} check_hints[] = {
	{ .check = check_nonempty, .hint = "a non-empty value" },
	{ .check = check_log_level, .hint = "one of debug, info, warn, error" },
	{ .check = check_url,
	  .hint = "an http:// or https:// URL without a trailing slash" },
	{ .check = check_clock, .hint = "system, an RFC 3339 time such as "
	  "2026-12-20T08:30:00Z, or an offset such as +30d or -3600s" },
	{ .check = check_ip, .hint = "an IPv4 or IPv6 address, or empty" },
	{ .check = check_role, .hint = "a PostgreSQL role name (lowercase "
	  "letters, digits, _), or empty" },
	{ .check = check_socket,
	  .hint = "an absolute path of at most 107 bytes, or empty" },
	{ .check = check_smtp_url,
	  .hint = "empty, or smtp://host[:port] or smtps://host[:port]" },
	{ .check = check_starttls, .hint = "required, try or no" },
	{ .check = check_address,
	  .hint = "an ASCII address such as noreply@example.fr" },
	{ .check = check_department, .hint = "a department's code: a "
	  "lowercase letter, then 1 to 39 lowercase letters, digits or _" },
};

static const char *
hint_for(const struct conf_def *d)
{
	size_t	 i;

	for (i = 0; i < sizeof(check_hints) / sizeof(check_hints[0]); i++)
		if (d->check == check_hints[i].check)
			return (check_hints[i].hint);
	return ("a valid value");
}

static void
seterr(struct conf_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
seterr(struct conf_error *err, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static const struct conf_def *
find(const char *key)
{
	size_t	 i;

	for (i = 0; i < NDEFS; i++)
		if (strcmp(defs[i].key, key) == 0)
			return (&defs[i]);
	return (NULL);
}

int
conf_is_key(const char *key)
{
	return (find(key) != NULL);
}

int
conf_set(struct conf *c, const char *key, const char *value,
    const char *origin, struct conf_error *err)
{
	const struct conf_def	*d;
	char			*end, **sp;
	long			 n;

	if ((d = find(key)) == NULL) {
		seterr(err, "%s: unknown key '%s'", origin, key);
		return (-1);
	}
	if (d->type == CT_INT) {
		errno = 0;
		n = strtol(value, &end, 10);
		if (value[0] == '\0' || *end != '\0' || errno != 0 ||
		    isspace((unsigned char)value[0])) {
			seterr(err, "%s: %s: '%s' is not an integer", origin,
			    key, value);
			return (-1);
		}
		if (n < d->min || n > d->max) {
			seterr(err, "%s: %s: %ld is out of range (%ld to %ld)",
			    origin, key, n, d->min, d->max);
			return (-1);
		}
		*(int *)(void *)((char *)c + d->off) = (int)n;
		return (0);
	}
	if (d->check != NULL && d->check(value) == -1) {
		seterr(err, "%s: %s: '%s' is not valid (expected %s)", origin,
		    key, value, hint_for(d));
		return (-1);
	}
	sp = (char **)(void *)((char *)c + d->off);
	free(*sp);
	*sp = xstrdup(value);
	return (0);
}

void
conf_init(struct conf *c)
{
	size_t	 i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NDEFS; i++)
		if (conf_set(c, defs[i].key, defs[i].dflt, "default", NULL)
		    == -1)
			fatalx("bad default for %s", defs[i].key);
}

void
conf_cleanup(struct conf *c)
{
	size_t	 i;

	for (i = 0; i < NDEFS; i++)
		if (defs[i].type == CT_STRING)
			free(*(char **)(void *)((char *)c + defs[i].off));
	memset(c, 0, sizeof(*c));
}

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return (s);
}

int
conf_load_file(struct conf *c, const char *path, int required,
    struct conf_error *err)
{
	FILE	*f;
	char	*line = NULL, *p, *q, *key, *val, origin[300];
	size_t	 cap = 0, len;
	ssize_t	 n;
	int	 lineno = 0, rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && !required)
			return (0);
		seterr(err, "%s: %s", path, strerror(errno));
		return (-1);
	}
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
		if ((size_t)n != strlen(line)) {
			seterr(err, "%s: NUL byte in line", origin);
			goto out;
		}
		p = trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		if ((val = strchr(p, '=')) == NULL) {
			seterr(err, "%s: expected 'key = value'", origin);
			goto out;
		}
		*val++ = '\0';
		key = trim(p);
		val = trim(val);
		len = strlen(val);
		/* A value may be quoted to keep leading or trailing spaces or a '#'. */
		if (len >= 2 && val[0] == '"' &&
		    (q = strchr(val + 1, '"')) != NULL) {
			for (p = q + 1; isspace((unsigned char)*p); p++)
				;
			if (*p != '\0' && *p != '#') {
				seterr(err, "%s: text after the closing quote",
				    origin);
				goto out;
			}
			*q = '\0';
			val++;
		} else if ((p = strstr(val, " #")) != NULL ||
		    (p = strstr(val, "\t#")) != NULL) {
			*p = '\0';
			val = trim(val);
		}
		if (*key == '\0') {
			seterr(err, "%s: missing key before '='", origin);
			goto out;
		}
		if (conf_set(c, key, val, origin, err) == -1)
			goto out;
	}
	if (ferror(f)) {
		seterr(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(f);
	return (rc);
}

int
conf_load_env(struct conf *c, char *const *envp, struct conf_error *err)
{
	char		 key[128], origin[160];
	const char	*e, *eq;
	size_t		 i, klen;

	for (; *envp != NULL; envp++) {
		e = *envp;
		if (strncmp(e, "GUICHET_", 8) != 0 ||
		    (eq = strchr(e, '=')) == NULL)
			continue;
		klen = (size_t)(eq - (e + 8));
		if (klen == 0 || klen >= sizeof(key))
			continue;
		for (i = 0; i < klen; i++)
			key[i] = (char)tolower((unsigned char)e[8 + i]);
		key[klen] = '\0';
		/*
		 * GUICHET_CONFIG names the file; GUICHET_TEST_* and
		 * GUICHET_DEV_* belong to the tests and tools/dev.
		 */
		if (strcmp(key, "config") == 0 || strncmp(key, "test_", 5) == 0 ||
		    strncmp(key, "dev_", 4) == 0)
			continue;
		snprintf(origin, sizeof(origin), "environment GUICHET_%.*s",
		    (int)klen, e + 8);
		if (conf_set(c, key, eq + 1, origin, err) == -1)
			return (-1);
	}
	return (0);
}

size_t
conf_nkeys(void)
{
	return (NDEFS);
}

int
conf_key(size_t i, struct conf_key_info *out)
{
	if (i >= NDEFS)
		return (-1);
	out->key = defs[i].key;
	out->type = defs[i].type == CT_INT ? "integer" : "string";
	out->dflt = defs[i].dflt;
	out->help = defs[i].help;
	return (0);
}

void
conf_get(const struct conf *c, const char *key, char *out, size_t len)
{
	const struct conf_def	*d;

	if ((d = find(key)) == NULL) {
		snprintf(out, len, "%s", "");
		return;
	}
	if (d->type == CT_INT)
		snprintf(out, len, "%d",
		    *(const int *)(const void *)((const char *)c + d->off));
	else
		snprintf(out, len, "%s", *(char *const *)(const void *)
		    ((const char *)c + d->off));
}
