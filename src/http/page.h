/*
 * page.h: list pagination as every endpoint does it (ARCHITECTURE.md,
 * "API conventions"): ?limit= (default 20, 1 to 100) and an opaque keyset
 * ?cursor=: the last key seen, which the module chooses and checks,
 * sealed (base/seal.h), so that a client can neither read nor forge it.
 */
#ifndef GUICHET_PAGE_H
#define GUICHET_PAGE_H

struct request;

#define PAGE_DEFAULT	20
#define PAGE_MAX	100

/* ?limit into *limit; -1 after a 400 problem. */
int	 page_limit_or_reply(struct request *, long *);
/*
 * The opaque cursor of 'key' (sealed: AES-256-GCM under the instance's
 * key, base/seal.h); the caller frees it.
 */
char	*page_cursor_encode(const char *);
/* The key of a cursor (caller frees), or NULL when it is not one of ours. */
char	*page_cursor_decode(const char *);

#endif
