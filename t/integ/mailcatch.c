/*
 * mailcatch.c: the tests' SMTP catcher and its reader (mailcatch.h).
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/b64.h"
#include "idlib.h"
#include "mailcatch.h"

void
mailcatch_prepare(void)
{
	const char	*c = getenv("GUICHET_TEST_SMTP_CATCHER");

	if (c == NULL || c[0] == '\0') {
		printf("GUICHET_TEST_SMTP_CATCHER is not set: the mail tests "
		    "need the SMTP catcher; run `tools/dev test`\n");
		exit(77);
	}
	idl_prepare();
}

void
mailcatch_start(struct catcher *c, int delay_ms, const char *refuse)
{
	char	*cmd, *log;
	pid_t	 parent = getpid();
	int	 i, fd;

	if (c->dir[0] == '\0') {
		c->port = harness_free_port();
		snprintf(c->dir, sizeof(c->dir), "%s/mail-%ld-%d",
		    harness_tmpdir(), (long)getpid(), c->port);
	}
	/* The arguments are ours: a port, a path of the tmpdir, words. */
	cmd = harness_printf("exec %s -l 127.0.0.1:%d '%s' %d %s",
	    getenv("GUICHET_TEST_SMTP_CATCHER"), c->port, c->dir, delay_ms,
	    refuse != NULL ? refuse : "");
	log = harness_printf("%s.log", c->dir);
	fflush(stdout);
	fflush(stderr);
	if ((c->pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_msg(c->pid > 0, "fork: %s", strerror(errno));
	free(cmd);
	for (i = 0; i < 200; i++) {
		if ((fd = harness_connect_port(c->port)) >= 0) {
			close(fd);
			free(log);
			return;
		}
		ck_assert_msg(waitpid(c->pid, NULL, WNOHANG) == 0,
		    "the SMTP catcher exited: see %s", log);
		harness_sleep_ms(50);
	}
	ck_abort_msg("the SMTP catcher does not listen on %d: see %s",
	    c->port, log);
}

void
mailcatch_kill(struct catcher *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	c->pid = 0;
}

const char *
mailcatch_url(const struct catcher *c)
{
	static char	 url[64];

	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", c->port);
	return (url);
}

/* The names of new/, sorted (oldest first: they start with the time). */
static json_t *
names(const struct catcher *c)
{
	char		*path = harness_printf("%s/new", c->dir);
	DIR		*d;
	struct dirent	*de;
	json_t		*a = json_array();
	size_t		 i, j;

	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				json_array_append_new(a,
				    json_string(de->d_name));
		closedir(d);
	}
	free(path);
	/* Few files: an insertion sort. */
	for (i = 1; i < json_array_size(a); i++)
		for (j = i; j > 0 && strcmp(json_string_value(json_array_get(a,
		    j - 1)), json_string_value(json_array_get(a, j))) > 0;
		    j--) {
			json_t *t = json_incref(json_array_get(a, j));

			json_array_set(a, j, json_array_get(a, j - 1));
			json_array_set_new(a, j - 1, t);
		}
	return (a);
}

int
mailcatch_count(const struct catcher *c)
{
	json_t	*a = names(c);
	int	 n = (int)json_array_size(a);

	json_decref(a);
	return (n);
}

int
mailcatch_wait(const struct catcher *c, int n, int ms)
{
	long long	 end = harness_now_ms() + ms;
	int		 got;

	while ((got = mailcatch_count(c)) < n && harness_now_ms() < end)
		harness_sleep_ms(50);
	ck_assert_msg(got >= n, "%d message(s) caught after %d ms, %d wanted",
	    got, ms, n);
	return (got);
}

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return (ch - '0');
	if (ch >= 'A' && ch <= 'F')
		return (ch - 'A' + 10);
	if (ch >= 'a' && ch <= 'f')
		return (ch - 'a' + 10);
	return (-1);
}

char *
mail_decode_qp(const char *s)
{
	char	*out = malloc(strlen(s) + 1), *o = out;

	ck_assert_ptr_nonnull(out);
	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n')
			s += 3;			/* a soft line break */
		else if (s[0] == '=' && s[1] == '\n')
			s += 2;
		else if (s[0] == '=' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 3;
		} else if (s[0] == '\r' && s[1] == '\n') {
			*o++ = '\n';
			s += 2;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return (out);
}

char *
mail_decode_words(const char *s)
{
	char		*out = malloc(3 * strlen(s) + 1), *o = out, *q;
	const char	*end, *text, *ws;
	char		 enc;
	ssize_t		 n;
	int		 last_word = 0;

	ck_assert_ptr_nonnull(out);
	while (*s != '\0') {
		if (strncasecmp(s, "=?UTF-8?", 8) == 0 && (s[8] == 'B' ||
		    s[8] == 'b' || s[8] == 'Q' || s[8] == 'q') && s[9] == '?' &&
		    (end = strstr(s + 10, "?=")) != NULL) {
			enc = (char)toupper((unsigned char)s[8]);
			text = s + 10;
			if (enc == 'B') {
				n = b64_decode(text, (size_t)(end - text), o,
				    3 * strlen(s));
				ck_assert_msg(n >= 0, "bad base64 in %s", s);
				o += n;
			} else {
				for (; text < end; text++)
					if (*text == '_')
						*o++ = ' ';
					else if (*text == '=' && text + 2 < end) {
						*o++ = (char)(hexval(text[1]) *
						    16 + hexval(text[2]));
						text += 2;
					} else
						*o++ = *text;
			}
			s = end + 2;
			last_word = 1;
			continue;
		}
		/* White space between two encoded words is not text. */
		for (ws = s; *ws == ' ' || *ws == '\t'; ws++)
			;
		if (last_word && ws > s && strncasecmp(ws, "=?UTF-8?", 8) ==
		    0) {
			s = ws;
			continue;
		}
		last_word = 0;
		*o++ = *s++;
	}
	*o = '\0';
	q = strdup(out);
	free(out);
	return (q);
}

/* Headers (unfolded) and the body of one message file. */
static json_t *
parse(const char *name, const char *raw)
{
	json_t		*m, *h, *a;
	const char	*p = raw, *eol, *colon, *cte;
	char		*line = NULL, *lname, *v, *body;
	size_t		 len = 0, i;

	h = json_object();
	while (*p != '\0' && !(p[0] == '\r' && p[1] == '\n')) {
		eol = strstr(p, "\r\n");
		ck_assert_msg(eol != NULL, "%s: a header line without CRLF",
		    name);
		/* Unfold: continuation lines start with a space or a tab. */
		free(line);
		line = strndup(p, (size_t)(eol - p));
		len = strlen(line);
		p = eol + 2;
		while (*p == ' ' || *p == '\t') {
			eol = strstr(p, "\r\n");
			ck_assert_ptr_nonnull(eol);
			line = realloc(line, len + (size_t)(eol - p) + 1);
			memcpy(line + len, p, (size_t)(eol - p));
			len += (size_t)(eol - p);
			line[len] = '\0';
			p = eol + 2;
		}
		colon = strchr(line, ':');
		ck_assert_msg(colon != NULL, "%s: header '%s'", name, line);
		lname = strndup(line, (size_t)(colon - line));
		for (i = 0; lname[i] != '\0'; i++)
			lname[i] = (char)tolower((unsigned char)lname[i]);
		for (v = (char *)(uintptr_t)colon + 1; *v == ' '; v++)
			;
		if ((a = json_object_get(h, lname)) == NULL) {
			a = json_array();
			json_object_set_new(h, lname, a);
		}
		json_array_append_new(a, json_string(v));
		free(lname);
	}
	free(line);
	if (p[0] == '\r')
		p += 2;
	cte = json_string_value(json_array_get(json_object_get(h,
	    "content-transfer-encoding"), 0));
	body = cte != NULL && strcasecmp(cte, "quoted-printable") == 0 ?
	    mail_decode_qp(p) : strdup(p);
	m = json_pack("{s:s, s:s, s:o, s:s}", "file", name, "raw", raw,
	    "headers", h, "body", body);
	free(body);
#define FIRST(n)	json_string_value(json_array_get(json_object_get(h, n), 0))
	if (FIRST("subject") != NULL) {
		v = mail_decode_words(FIRST("subject"));
		json_object_set_new(m, "subject", json_string(v));
		free(v);
	}
	if (FIRST("from") != NULL) {
		v = mail_decode_words(FIRST("from"));
		json_object_set_new(m, "from", json_string(v));
		free(v);
	}
	json_object_set(m, "envelope_to", json_object_get(h, "delivered-to") ?
	    json_object_get(h, "delivered-to") : json_array());
	if (FIRST("return-path") != NULL)
		json_object_set_new(m, "return_path",
		    json_string(FIRST("return-path")));
	if (FIRST("message-id") != NULL)
		json_object_set_new(m, "message_id",
		    json_string(FIRST("message-id")));
#undef FIRST
	return (m);
}

json_t *
mailcatch_read(const struct catcher *c)
{
	json_t	*a = names(c), *out = json_array();
	char	*path, *raw;
	size_t	 i;

	for (i = 0; i < json_array_size(a); i++) {
		path = harness_printf("%s/new/%s", c->dir,
		    json_string_value(json_array_get(a, i)));
		raw = harness_read_file(path, NULL);
		ck_assert_msg(raw != NULL, "cannot read %s", path);
		json_array_append_new(out, parse(json_string_value(
		    json_array_get(a, i)), raw));
		free(raw);
		free(path);
	}
	json_decref(a);
	return (out);
}

json_t *
mailcatch_to(const struct catcher *c, const char *to)
{
	json_t	*all = mailcatch_read(c), *out = json_array(), *m;
	size_t	 i, j;

	json_array_foreach(all, i, m)
		for (j = 0; j < json_array_size(json_object_get(m,
		    "envelope_to")); j++)
			if (strcmp(json_string_value(json_array_get(
			    json_object_get(m, "envelope_to"), j)), to) == 0)
				json_array_append(out, m);
	json_decref(all);
	return (out);
}

int
mailcatch_count_to(const struct catcher *c, const char *to,
    const char *subject, const char *body)
{
	json_t		*m, *it;
	const char	*v;
	size_t		 i;
	int		 n = 0;

	m = mailcatch_to(c, to);
	json_array_foreach(m, i, it) {
		v = json_string_value(json_object_get(it, "subject"));
		if (v == NULL || strstr(v, subject) == NULL)
			continue;
		v = json_string_value(json_object_get(it, "body"));
		if (body == NULL || (v != NULL && strstr(v, body) != NULL))
			n++;
	}
	json_decref(m);
	return (n);
}

void
mailcatch_start_server(struct catcher *c, struct idenv *e)
{
	static char		 url[64];
	static const char	*args[] = { "--smtp-starttls", "no",
	    "--mail-from", "guichet@mairie.test", "--mail-retry-base", "1",
	    "--smtp-url", url, NULL };

	memset(c, 0, sizeof(*c));
	mailcatch_start(c, 0, NULL);
	snprintf(url, sizeof(url), "%s", mailcatch_url(c));
	memset(e, 0, sizeof(*e));
	e->extra = args;
	e->empty_outbox = 1;
	idl_start(e);
}
