/*
 * buf.c: growable byte buffer (see buf.h for the invariants).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

static char	buf_empty[1];

void
buf_init(struct buf *b)
{
	b->data = buf_empty;
	b->len = 0;
	b->cap = 0;
}

void
buf_cleanup(struct buf *b)
{
	if (b->cap != 0)
		free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap != 0)
		b->data[0] = '\0';
}

void
buf_grow(struct buf *b, size_t extra)
{
	size_t	 want, ncap;

	want = b->len + extra + 1;
	if (want <= b->cap)
		return;
	ncap = b->cap == 0 ? 64 : b->cap;
	while (ncap < want)
		ncap *= 2;
	buf_reserve(b, ncap);
}

void
buf_reserve(struct buf *b, size_t cap)
{
	if (cap <= b->cap)
		return;
	if (b->cap == 0) {
		b->data = xmalloc(cap);
		b->data[0] = '\0';
	} else
		b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	buf_grow(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_add_json_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	const unsigned char *run;

	buf_addc(b, '"');
	for (p = run = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\' && *p != 0x7f)
			continue;
		buf_add(b, run, (size_t)(p - run));
		run = p + 1;
		switch (*p) {
		case '"':
			buf_add(b, "\\\"", 2);
			break;
		case '\\':
			buf_add(b, "\\\\", 2);
			break;
		case '\n':
			buf_add(b, "\\n", 2);
			break;
		case '\r':
			buf_add(b, "\\r", 2);
			break;
		case '\t':
			buf_add(b, "\\t", 2);
			break;
		default: {
			char	 esc[6] = { '\\', 'u', '0', '0',
			    hex[*p >> 4], hex[*p & 0xf] };
			buf_add(b, esc, sizeof(esc));
		}
		}
	}
	buf_add(b, run, (size_t)(p - run));
	buf_addc(b, '"');
}

void
buf_add_real(struct buf *b, const char *s)
{
	buf_adds(b, s);
	if (strpbrk(s, ".eEnN") == NULL)
		buf_adds(b, ".0");
}

char *
buf_detach(struct buf *b, size_t *lenp)
{
	char	*p;

	if (b->cap == 0)
		p = xstrdup("");
	else
		p = b->data;
	if (lenp != NULL)
		*lenp = b->len;
	buf_init(b);
	return (p);
}
