/*
 * log.h: one JSON object per line on stderr.
 *
 * Every line carries "time" (UTC, RFC 3339 with microseconds) and "level".
 * log_warn() appends strerror(errno), log_warnx() does not; fatal() and
 * fatalx() log and exit(1).  Messages are short and lower-case; they carry
 * ids, never personal data, passwords or tokens.  A line is written with a
 * single write(2), so lines from several threads never interleave.
 */
#ifndef GUICHET_LOG_H
#define GUICHET_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARN,
	LOG_LEVEL_ERROR,
};

struct buf;

void	log_init(enum log_level, int);
enum log_level log_get_level(void);
/* 0 and *out set on success; -1 for an unknown name. */
int	log_level_parse(const char *, enum log_level *);
const char *log_level_name(enum log_level);

void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Start a JSON log line in 'b': '{"time":"...","level":"..."' with no
 * closing brace, for callers that add their own fields (the access log).
 */
void	log_line_begin(struct buf *, const char *);
/* Close the object, add the newline and write the line at once. */
void	log_line_end(struct buf *);

#endif
