/*
 * buf.h: a growable byte buffer.
 *
 * Invariants: after buf_init() 'data' is never NULL and data[len] == '\0',
 * so a buffer is always a valid C string as well as a byte range.
 * buf_detach() hands the storage to the caller, who frees it with free(3),
 * and leaves the buffer empty and reusable.
 */
#ifndef GUICHET_BUF_H
#define GUICHET_BUF_H

#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	 buf_init(struct buf *);
void	 buf_cleanup(struct buf *);
void	 buf_reset(struct buf *);
void	 buf_grow(struct buf *, size_t);
/* Room for 'cap' bytes in all, the NUL included, exactly (never shrinks). */
void	 buf_reserve(struct buf *, size_t);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_adds(struct buf *, const char *);
void	 buf_addc(struct buf *, char);
void	 buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Append 's' as a JSON string literal, quotes included (bytes >= 0x80 are copied). */
void	 buf_add_json_str(struct buf *, const char *);
/*
 * Append the decimal text 's' of a float (PostgreSQL's float8 output, say)
 * as a number that reads back as a real: "45" becomes "45.0".
 */
void	 buf_add_real(struct buf *, const char *);
char	*buf_detach(struct buf *, size_t *);

#endif
