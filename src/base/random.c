/*
 * random.c: getrandom(2) until the buffer is full.
 */
#include <sys/random.h>

#include <errno.h>

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
