/*
 * identity_client.c: a partner application's credentials checked without
 * the token endpoint (identity.h, identity_client_check()): the secret
 * compared by its SHA-256 in constant time, as the client_credentials
 * grant does, and the request counted against the client's rate_limit,
 * the budget of its bearer tokens (principal.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/policy.h"
#include "base/xmalloc.h"
#include "db/db.h"
#include "http/ratelimit.h"
#include "identity/identity.h"
#include "identity/identity_int.h"

int
identity_client_check(struct db *db, const char *id, const char *secret,
    struct principal *out, int *retry, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { id };
	char		 hex[65], *granted, *s, *save = NULL;
	int		 ok, limit;

	if (id == NULL || secret == NULL || strlen(id) >= sizeof(out->id))
		return (1);
	if (db_exec(db, ID_STMT(ID_CLIENT_GET), p, &res, err) == -1)
		return (-1);
	id_sha256_hex(secret, hex);
	ok = db_res_rows(res) == 1 && db_bool(res, 0, "active") &&
	    CRYPTO_memcmp(hex, db_str(res, 0, "secret_hash"), 64) == 0;
	if (!ok) {
		db_res_free(res);
		return (1);
	}
	/* The client's budget, as for its bearer tokens (principal.c). */
	limit = (int)db_int64(res, 0, "rate_limit");
	if (limit > 0 && ratelimit_take("client", id, limit, 60, retry)) {
		db_res_free(res);
		return (2);
	}
	memset(out, 0, sizeof(*out));
	out->kind = PRINCIPAL_CLIENT;
	snprintf(out->id, sizeof(out->id), "%s", id);
	granted = xstrdup(db_str(res, 0, "scopes") != NULL ?
	    db_str(res, 0, "scopes") : "");
	db_res_free(res);
	for (s = strtok_r(granted, " ", &save); s != NULL;
	    s = strtok_r(NULL, " ", &save))
		out->scopes |= scope_from_name(s);
	free(granted);
	return (0);
}
