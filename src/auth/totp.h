/*
 * totp.h: time-based one-time passwords (RFC 6238, SHA-1, 6 digits, 30 s)
 * for the agents' second factor, through liboath (oath-toolkit).
 */
#ifndef GUICHET_TOTP_H
#define GUICHET_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES	20
#define TOTP_SECRET_B32_MAX	40	/* base32 of 20 bytes is 32 chars + NUL */

/* One-time initialisation of liboath; 0 or -1. */
int	 totp_init(void);
/* A new random secret, base32 (RFC 4648, no padding) into 'out'. */
int	 totp_secret_new(char *, size_t);
/* otpauth://totp/ISSUER:LABEL?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30 */
int	 totp_uri(const char *, const char *, const char *, char *, size_t);
/*
 * Check 'code' for 'secret_b32' at time 'now' (seconds), accepting one step
 * either side.  Returns the matched time step (>= 0) or -1.  The caller
 * stores the step and refuses a step <= the last one used (replay).
 */
int64_t	 totp_check(const char *, const char *, int64_t);
/* The code for a step (for tests and enrolment checks); 0 or -1. */
int	 totp_code(const char *, int64_t, char *, size_t);

#endif
