/*
 * random.c: getrandom(2) until the buffer is full.
 */
#include <sys/random.h>

#include <errno.h>
#include <string.h>

#include "base/b64.h"
#include "base/random.h"

int
random_fill(void *p, size_t len)
{
	unsigned char	*b = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = getrandom(b, len, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		b += n;
		len -= (size_t)n;
	}
	return (0);
}

int
random_token(char *out, size_t len)
{
	unsigned char	 raw[32];

	if (len < RANDOM_TOKEN_LEN || random_fill(raw, sizeof(raw)) == -1)
		return (-1);
	b64url_encode(raw, sizeof(raw), out);
	memset(raw, 0, sizeof(raw));
	return (0);
}
