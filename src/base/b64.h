/*
 * b64.h: the encodings of RFC 4648, the one implementation: base64url
 * without padding (section 5: tokens, JWTs, cursors, opaque ids), standard
 * base64 with padding (section 4: HTTP Basic credentials) and hex
 * (section 8's base16, in lower case: digests, token ids, request ids).
 */
#ifndef GUICHET_B64_H
#define GUICHET_B64_H

#include <stddef.h>
#include <sys/types.h>

/* The length of the encoding of n bytes, without padding, NUL excluded. */
#define B64URL_LEN(n)	(((n) * 4 + 2) / 3)
/* The same with padding (standard base64). */
#define B64_LEN(n)	(((n) + 2) / 3 * 4)

/*
 * Encode 'len' bytes as base64url without padding into 'out' (at least
 * B64URL_LEN(len) + 1 bytes, NUL-terminated).  Returns the length.
 */
size_t	 b64url_encode(const void *, size_t, char *);
/* The same into a new string (the caller frees). */
char	*b64url_encode_new(const void *, size_t);
/*
 * Decode 'len' characters of unpadded base64url into 'out' (at most
 * 'max' bytes).  The decoded length, or -1 for a character outside the
 * alphabet, a length no encoding produces, non-zero trailing bits, or
 * more than 'max' bytes.
 */
ssize_t	 b64url_decode(const char *, size_t, void *, size_t);
/*
 * Standard base64 with '=' padding (RFC 4648 section 4); as above, 'out'
 * of at least B64_LEN(len) + 1 bytes.
 */
size_t	 b64_encode(const void *, size_t, char *);
ssize_t	 b64_decode(const char *, size_t, void *, size_t);

/* 'len' bytes as 2 * len lowercase hex digits and the NUL into 'out'. */
void	 hex_encode(const void *, size_t, char *);
/* The value of a hex digit in either case, or -1. */
int	 hex_digit(int);

#endif
