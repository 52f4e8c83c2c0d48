/*
 * seal.h: opaque, authenticated tokens for values the server hands out
 * and takes back unchanged (pagination cursors): AES-256-GCM under one key
 * of the instance, so that a client can neither read what a cursor holds
 * (an email, a time) nor forge one.
 *
 * The key is set once at start-up, before any thread uses it: the ops
 * module derives it from the instance's secret, so that every guichetd of
 * a deployment accepts the others' cursors.  Without it (guichetctl, a
 * database unreachable at start), a random key of this process.
 */
#ifndef GUICHET_SEAL_H
#define GUICHET_SEAL_H

#include <stddef.h>

#define SEAL_KEY_LEN	32

void	 seal_set_key(const unsigned char[SEAL_KEY_LEN]);
/* 'plain' sealed, as base64url (the caller frees). */
char	*seal(const char *);
/* The text of a token seal() made with this key; NULL otherwise. */
char	*unseal(const char *);

#endif
