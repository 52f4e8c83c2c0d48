/*
 * b64.c: base64, base64url and hex (b64.h).  Decoding is strict: one
 * spelling per value (no whitespace, no extra padding, unused bits zero),
 * so that two different strings never decode to the same token or cursor.
 */
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/xmalloc.h"

static const char	url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char	std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encode with 'alphabet', '=' padding the last group when 'pad'. */
static size_t
encode(const char *alphabet, int pad, const void *p, size_t len, char *out)
{
	const unsigned char	*in = p;
	size_t			 i, o = 0;
	unsigned int		 v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned int)in[i] << 16 | (unsigned int)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (unsigned int)in[i] << 16;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (len - i == 2) {
		v = (unsigned int)in[i] << 16 | (unsigned int)in[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return (o);
}

size_t
b64url_encode(const void *p, size_t len, char *out)
{
	return (encode(url, 0, p, len, out));
}

size_t
b64_encode(const void *p, size_t len, char *out)
{
	return (encode(std, 1, p, len, out));
}

char *
b64url_encode_new(const void *p, size_t len)
{
	char	*out = xmalloc(B64URL_LEN(len) + 1);

	b64url_encode(p, len, out);
	return (out);
}

static int
value_of(const char *alphabet, char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(alphabet, c)) == NULL)
		return (-1);
	return ((int)(p - alphabet));
}

static ssize_t
decode(const char *alphabet, const char *in, size_t len, void *p, size_t max)
{
	unsigned char	*out = p;
	size_t		 i, o = 0, rest = len % 4;
	unsigned int	 v = 0;
	int		 c, bits = 0;

	if (rest == 1)
		return (-1);
	if (len / 4 * 3 + (rest > 0 ? rest - 1 : 0) > max)
		return (-1);
	for (i = 0; i < len; i++) {
		if ((c = value_of(alphabet, in[i])) == -1)
			return (-1);
		v = v << 6 | (unsigned int)c;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits & 0xff);
		}
	}
	/* The bits left over must be zero: one spelling per value. */
	if ((v & ((1u << bits) - 1)) != 0)
		return (-1);
	return ((ssize_t)o);
}

ssize_t
b64url_decode(const char *in, size_t len, void *out, size_t max)
{
	return (decode(url, in, len, out, max));
}

ssize_t
b64_decode(const char *in, size_t len, void *out, size_t max)
{
	size_t	 pad = 0;

	if (len % 4 != 0)
		return (-1);
	while (pad < 2 && len > 0 && in[len - 1] == '=') {
		len--;
		pad++;
	}
	return (decode(std, in, len, out, max));
}

void
hex_encode(const void *p, size_t len, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*in = p;
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}
