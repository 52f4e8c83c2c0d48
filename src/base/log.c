/*
 * log.c: structured logging to a file descriptor (stderr by default).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

static enum log_level	log_min = LOG_LEVEL_INFO;
static int		log_fd = 2;

static const char *const level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_ERROR] = "error",
};

void
log_init(enum log_level min, int fd)
{
	log_min = min;
	log_fd = fd;
}

enum log_level
log_get_level(void)
{
	return (log_min);
}

int
log_level_parse(const char *s, enum log_level *out)
{
	size_t	 i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return (0);
		}
	return (-1);
}

const char *
log_level_name(enum log_level l)
{
	return (level_names[l]);
}

void
log_line_begin(struct buf *b, const char *level)
{
	static _Thread_local time_t	 last_sec = -1;
	static _Thread_local char	 last_ts[24];
	struct timeval			 tv;
	struct tm			 tm;
	char				 us[8];
	long				 v;
	int				 i;

	/* One line per request: format the date once per second per thread. */
	gettimeofday(&tv, NULL);
	if (tv.tv_sec != last_sec) {
		gmtime_r(&tv.tv_sec, &tm);
		strftime(last_ts, sizeof(last_ts), "%Y-%m-%dT%H:%M:%S", &tm);
		last_sec = tv.tv_sec;
	}
	v = (long)tv.tv_usec;
	us[0] = '.';
	for (i = 6; i >= 1; i--) {
		us[i] = (char)('0' + v % 10);
		v /= 10;
	}
	us[7] = '\0';
	buf_adds(b, "{\"time\":\"");
	buf_adds(b, last_ts);
	buf_adds(b, us);
	buf_adds(b, "Z\",\"level\":\"");
	buf_adds(b, level);
	buf_addc(b, '"');
}

void
log_line_end(struct buf *b)
{
	const char	*p;
	size_t		 left;
	ssize_t		 n;

	buf_add(b, "}\n", 2);
	p = b->data;
	left = b->len;
	while (left > 0) {
		if ((n = write(log_fd, p, left)) == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += n;
		left -= (size_t)n;
	}
}

static void	vlog(enum log_level, const char *, int, const char *, va_list)
		    __attribute__((format(printf, 4, 0)));

static void
vlog(enum log_level level, const char *fatal_level, int with_errno,
    const char *fmt, va_list ap)
{
	struct buf	 b, msg;
	int		 saved = errno;
	va_list		 ap2;
	int		 n;

	if (level < log_min && fatal_level == NULL)
		return;
	buf_init(&b);
	buf_init(&msg);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n > 0) {
		buf_grow(&msg, (size_t)n);
		vsnprintf(msg.data, (size_t)n + 1, fmt, ap);
		msg.len = (size_t)n;
	}
	if (with_errno)
		buf_addf(&msg, ": %s", strerror(saved));
	log_line_begin(&b, fatal_level != NULL ? fatal_level :
	    level_names[level]);
	buf_adds(&b, ",\"msg\":");
	buf_add_json_str(&b, msg.data);
	log_line_end(&b);
	buf_cleanup(&msg);
	buf_cleanup(&b);
	errno = saved;
}

/* 'then' runs after the line: nothing, or the exit of fatal(). */
#define LOG_FN(name, level, kind, with_errno, then)		\
void								\
name(const char *fmt, ...)					\
{								\
	va_list	 ap;						\
								\
	va_start(ap, fmt);					\
	vlog(level, kind, with_errno, fmt, ap);			\
	va_end(ap);						\
	then;							\
}

LOG_FN(log_debug, LOG_LEVEL_DEBUG, NULL, 0, (void)0)
LOG_FN(log_info, LOG_LEVEL_INFO, NULL, 0, (void)0)
LOG_FN(log_warn, LOG_LEVEL_WARN, NULL, 1, (void)0)
LOG_FN(log_warnx, LOG_LEVEL_WARN, NULL, 0, (void)0)
LOG_FN(fatal, LOG_LEVEL_ERROR, "fatal", 1, exit(1))
LOG_FN(fatalx, LOG_LEVEL_ERROR, "fatal", 0, exit(1))
