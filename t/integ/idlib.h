/*
 * idlib.h: what the identity integration tests (t3001 to t3007) share, on
 * top of harness.h.
 *
 * A program's test case has idl_prepare() for unchecked fixture: the
 * program's database (harness_db()) becomes a template, migrated and loaded with the demo
 * town and its demo accounts.  Each test then works
 * in its own copy of that template (CREATE DATABASE ... TEMPLATE), so that
 * failed logins, throttling rows, TOTP steps and revocations of one test
 * never reach another, at the price of a file copy instead of a migration.
 *
 * Like harness.c, this file sees guichetd from outside: of libguichet.a
 * it uses base/b64.h and base/random.h only (the one base64 and the one
 * randomness, checked against RFC 4648 by test_base).  Tokens are signed
 * here with OpenSSL, TOTP codes computed with liboath.
 */
#ifndef GUICHET_IDLIB_H
#define GUICHET_IDLIB_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"

#define IDL_RESIDENT_EMAIL	"resident@demo.guichet.test"
#define IDL_RESIDENT_PASSWORD	"demo-resident-2026"
#define IDL_AGENT_EMAIL		"agent@demo.guichet.test"
#define IDL_AGENT_PASSWORD	"demo-agent-2026"
#define IDL_ADMIN_EMAIL		"admin@demo.guichet.test"
#define IDL_ADMIN_PASSWORD	"demo-admin-2026"
#define IDL_ADMIN_TOTP		"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#define IDL_ISSUER		"http://127.0.0.1:8080"
#define IDL_AUDIENCE		"guichet"

/* What `guichetctl demo` printed and the template holds. */
struct idl_demo {
	char	 resident_id[40];
	char	 agent_id[40];
	char	 admin_id[40];
	char	 client_id[40];
	char	 client_secret[80];
};
extern struct idl_demo	idl_demo;

/*
 * Set the program up (harness_prepare()): its database becomes the
 * template, migrated and loaded with the demo town.
 */
void	 idl_prepare(void);
/* The template's conninfo. */
const char *idl_template(void);

/*
 * guichetctl against database 'db' (NULL: none) with the program's key
 * file (harness_key_file()) and sql dir; 'args' NULL-terminated.  With
 * 'dashdash' the command
 * words follow "--", so that their own options (--roles, --scopes...) are
 * not read as settings.  The exit status; *out and *err may be NULL.
 */
int	 idl_ctl(const char *, int, const char *const *, char **, char **);
/* A new file of the program's scratch directory holding 'text': its path. */
char	*idl_scratch(const char *, const char *);

/* One test's server and database. */
#define IDL_OTP_SLOTS	4
struct idenv {
	/* options, set before idl_start() */
	const char	*clock;		/* --clock (NULL: system) */
	const char	*keyfile;	/* NULL: the program's */
	const char *const *extra;	/* more guichetd arguments */
	int		 empty_outbox;	/* the demo's mails removed first */

	/* state */
	char		*db;		/* a copy of the template */
	struct server	 s;
	int		 started;
	char		*oldlogs;	/* logs of the stopped servers */
	struct {
		char	 secret[64];
		int64_t	 last;
	}		 otp[IDL_OTP_SLOTS];
};

/*
 * idl_ctl() on the test's database with the command words that follow,
 * up to a NULL, after "--"; *out and *err are set (NULL when empty).
 */
int	 idl_ctl_words(const struct idenv *, char **, char **, ...);

/* Copy the template (first time only) and start guichetd on the copy. */
void	 idl_start(struct idenv *);
/* Zero 'e', set its clock ('clock' NULL: the system's) and idl_start(). */
void	 idl_start_new(struct idenv *, const char *);
/*
 * idl_start_new() with --trusted-proxy 127.0.0.1: the client address of a
 * request is then its X-Forwarded-For (idl_login_from()).
 */
void	 idl_start_proxied(struct idenv *, const char *);
/* idl_start_new(), then the demo resident's or admin's access token. */
char	*idl_start_resident(struct idenv *, const char *);
char	*idl_start_admin(struct idenv *, const char *);
/* Stop and start again with another clock (NULL: the system clock). */
void	 idl_restart(struct idenv *, const char *);
/* Stop the server and free the idenv (the database stays until the end). */
void	 idl_stop(struct idenv *);
/* Every log line written so far by this test's servers (caller frees). */
char	*idl_log(const struct idenv *);
/* The first cell of a query on the test's database (caller frees). */
char	*idl_sql(const struct idenv *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 idl_sql_exec(const struct idenv *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* A purpose of the register with this code and legal basis (test texts). */
void	 idl_purpose_add(const struct idenv *, const char *, const char *);
/*
 * Make every row of 'table' that 'event' touches ("INSERT", "UPDATE OF
 * col") fail with a serialization failure (40001): guichetd retries its
 * transaction, then answers 503.  idl_fail_off() removes it.
 */
void	 idl_fail_on(const struct idenv *, const char *, const char *);
void	 idl_fail_off(const struct idenv *, const char *);
/*
 * pg_dump of the test's database (harness_pg_dump()), which must hold the
 * demo town's accounts; idl_dump_count() counts 'marker' in it.
 */
char	*idl_pg_dump(const struct idenv *);
int	 idl_dump_count(const struct idenv *, const char *);
/* The first cell of a query as a number (a count); asserts an answer. */
long	 idl_sql_count(const struct idenv *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * HTTP.  idl_req() sends 'json' (may be NULL) as application/json, with
 * "Authorization: Bearer 'token'" when 'token' is not NULL, asserts that a
 * response came back and returns its status.  idl_reqh() takes the whole
 * header list.  idl_reqj() returns the body parsed (NULL when not JSON)
 * and frees the response.
 */
long	 idl_req(const struct idenv *, const char *, const char *,
	    const char *, const char *, struct http_resp *);
/* idl_req() with one more header line ('header' NULL: none). */
long	 idl_req_with(const struct idenv *, const char *, const char *,
	    const char *, const char *, const char *, struct http_resp *);
long	 idl_reqh(const struct idenv *, const char *, const char *,
	    const char *const *, const char *, struct http_resp *);
json_t	*idl_reqj(const struct idenv *, const char *, const char *,
	    const char *, const char *, long *);
/*
 * The "id" of each item of a page of GET 'path' as 'token' (NULL: none),
 * space-separated with a space around (" a b "): strstr(l, " a ").  The
 * GET must answer 200.
 */
char	*idl_listed(const struct idenv *, const char *, const char *);
/* idl_reqj() with a JSON value as the body ('in' is stolen; may be NULL). */
json_t	*idl_sendj(const struct idenv *, const char *, const char *,
	    const char *, json_t *, long *);
/* The same two with one more header line ('header' NULL: none). */
json_t	*idl_reqj_with(const struct idenv *, const char *, const char *,
	    const char *, const char *, const char *, long *);
json_t	*idl_sendj_with(const struct idenv *, const char *, const char *,
	    const char *, const char *, json_t *, long *);
/*
 * A revocation made behind the server's back (guichetctl) reaches it in
 * time: GET 'path' with 'token' every 50 ms until 401, which must come
 * within 2 s and, to be "at once", within 1 s ('what' names the change).
 */
void	 idl_refused_at_once(const struct idenv *, const char *,
	    const char *, const char *);
/* idl_req() whose answer matters by its status only: the status. */
long	 idl_status(const struct idenv *, const char *, const char *,
	    const char *, const char *);
/* The token endpoint with a form body (already encoded). */
long	 idl_form(const struct idenv *, const char *, const char *,
	    struct http_resp *);
/* application/x-www-form-urlencoded escaping (caller frees). */
char	*idl_urlencode(const char *);

/*
 * Password grant (JSON body); 'otp' may be NULL.  The status; on 200
 * *access and *refresh (each may be NULL) get the tokens (caller frees).
 */
long	 idl_login(const struct idenv *, const char *, const char *,
	    const char *, char **, char **);
/*
 * The same grant from client address 'from' (X-Forwarded-For; NULL: none),
 * its answer in *r (the caller frees it; NULL: not kept): the status.
 */
long	 idl_login_from(const struct idenv *, const char *, const char *,
	    const char *, const char *, struct http_resp *);
/* Like idl_login() but asserts 200 and returns the access token. */
char	*idl_login_ok(const struct idenv *, const char *, const char *,
	    const char *);
/* The demo admin with a fresh TOTP code: its access token (mfa). */
char	*idl_login_admin(struct idenv *);
/*
 * A partner client's access token (client credentials; 200 asserted):
 * the demo's lift operator is idl_demo.client_id and client_secret.
 */
char	*idl_client_token(const struct idenv *, const char *, const char *);
/* The demo's lift operator's (lifts:write) access token. */
char	*idl_operator_token(const struct idenv *);
/*
 * The one-time token of the latest 'template' message to 'email' in the
 * outbox (at least 32 characters; caller frees).
 */
char	*idl_outbox_token(const struct idenv *, const char *, const char *);
/* Register a permanent resident; asserts 201, returns its id. */
char	*idl_register(const struct idenv *, const char *, const char *);
/*
 * guichetctl client add 'name' --scopes 'scopes' [--rate-limit 'rate'
 * (NULL: the default)]; asserts success; the id and secret printed into
 * 'id' (40 bytes) and 'secret' (80 bytes).
 */
void	 idl_client_add(const struct idenv *, const char *, const char *,
	    const char *, char *, char *);

/*
 * TOTP.  idl_server_now() is what guichetd's clock says (the test's
 * --clock applied to the system clock).  idl_otp() gives a code for
 * 'secret' that the server has not seen used yet (the step moves forward
 * per secret within one idenv; it waits for the next 30 s step when the
 * window of three is used up).  idl_otp_used() records a step used
 * elsewhere (an enrolment).
 */
int64_t	 idl_server_now(const struct idenv *);
void	 idl_totp(const char *, int64_t, char *);
int64_t	 idl_otp(struct idenv *, const char *, char *);
void	 idl_otp_used(struct idenv *, const char *, int64_t);

/*
 * JWT pieces.  idl_b64url_decode() allocates (base/b64.h's strict
 * b64url_decode(), NUL-terminated) and returns NULL on bad input.
 * idl_jwt_json() parses part 0 (header) or 1 (claims).  idl_jwt_hs256()
 * and idl_jwt_es256() sign the given header and claims texts as they are.
 */
unsigned char *idl_b64url_decode(const char *, size_t, size_t *);
json_t	*idl_jwt_json(const char *, int);
char	*idl_jwt_hs256(const char *, const char *, const unsigned char *,
	    size_t);
char	*idl_jwt_es256(const char *, const char *, const char *);
/*
 * The signing key of an HS256 key file ("<kid> HS256 <base64url>"): 0,
 * 'kid' filled and *key allocated; -1 otherwise.  idl_keyfile_pem() gives
 * the PEM path of an ES256/RS256 key file's signing key (caller frees).
 */
int	 idl_keyfile_hs256(const char *, char *, size_t, unsigned char **,
	    size_t *);
char	*idl_keyfile_pem(const char *, char *, size_t);

/* Small things. */
const char *idl_jstr(const json_t *, const char *);
/* Asserts that the string member 'name' of 'j' is 'want'. */
void	 idl_assert_str(const json_t *, const char *, const char *);
/* idl_assert_str() for each pair of name and value, up to a NULL name. */
void	 idl_assert_strs(const json_t *, ...);
/* A random lowercase hex marker of 'n' characters into a new string. */
char	*idl_marker(size_t);
/* Occurrences of 'needle' in 'hay'. */
int	 idl_count(const char *, const char *);
/* A problem body without its per-request members, dumped (caller frees). */
char	*idl_body_sans_ids(const struct http_resp *);
/*
 * Two answers that must not tell their cases apart have the same body,
 * request_id and instance aside; 'what' names them in the failure.
 */
void	 idl_assert_same_body(const struct http_resp *,
	    const struct http_resp *, const char *);
/* The errors[] entry of a 422 for field 'field', or NULL. */
json_t	*idl_error_for(const json_t *, const char *);

/* --- inc (issue 11): signalements ------------------------------------ */

/*
 * A JPEG (t/data/incidents/base.jpg, 80x60, no metadata) with an EXIF
 * APP1 segment inserted after SOI: IFD0 with Make = 'make' (a marker the
 * test looks for) and a GPS IFD (the square of the town).  Its length in
 * *len (caller frees).
 */
unsigned char	*idl_jpeg_with_exif(const char *, size_t *);

/* The erasure of the person of 'token' (DELETE /api/v1/me): 200 asserted. */
void	 idl_erase_me(const struct idenv *, const char *, const char *);

#endif
