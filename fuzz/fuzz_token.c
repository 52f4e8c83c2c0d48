/*
 * fuzz_token: access-token verification (the structure and header checks
 * done before libjwt, libjwt's decoding, the claims checked by hand)
 * against an HS256 key; the input is the token text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/token.h"
#include "fuzz.h"

static void
setup(void)
{
	char	 path[] = "/tmp/guichet-fuzz-keys-XXXXXX", err[256];
	FILE	*f;
	int	 fd;

	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		abort();
	/* kid, alg, 32 bytes of secret in base64url. */
	fprintf(f, "fz1 HS256 Z3VpY2hldC1mdXp6LXNlY3JldC0wMTIzNDU2Nzg5YWI\n");
	fclose(f);
	if (token_keys_load(path, err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_token: %s\n", err);
		abort();
	}
	unlink(path);
	token_configure("https://mairie.example.fr", "guichet");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 ready;
	struct token_claims	 c;
	char			*s;

	if (!ready) {
		setup();
		ready = 1;
	}
	if ((s = malloc(size + 1)) == NULL)
		return (0);
	memcpy(s, data, size);
	s[size] = '\0';
	(void)token_verify(s, &c);
	free(s);
	return (0);
}
