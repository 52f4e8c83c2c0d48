/*
 * fileslib.h: what the files tests (t1201-files, t1202-scan) share, on top
 * of harness.h (the samples and the clamd also t4108-attachments'); test_upload takes its server from here too (fl_listen()).
 *
 * The files module has no route of its own: the owners' routes (cases,
 * incidents) will take uploads and serve files.  These tests call it as
 * an owner does, in this process: libguichet against the test database
 * (statements registered by the one module list; the threads acting as
 * guichet_app, as guichetd's do, so that the migration's grants are tested
 * too), and an http server of libguichet run here on a free port with two
 * routes of the test's own:
 *   POST /t/files       an upload route (.body_types FILES_TYPES_DEFAULT)
 *                       whose handler calls files_store() (owner "test",
 *                       record "t1", the name of files_upload_name()) and
 *                       answers 201 with files_info_json(), or the 422;
 *   GET  /t/files/{id}  files_reply().
 * Their exchanges are not in the OpenAPI document: fl_http() marks each
 * unchecked (harness_unchecked()) with that reason.
 */
#ifndef GUICHET_FILESLIB_H
#define GUICHET_FILESLIB_H

#include <sys/types.h>

#include <stddef.h>

#include "harness.h"

struct route;

/*
 * A libguichet http server in this process, on a free port ('out'), with
 * the route table 'routes' ('n' rows) instead of the modules', upload_max
 * and upload_memory as given, a JSON body_max of 4 KiB.
 */
void	 fl_listen(const struct route *, size_t, size_t, size_t,
	    struct server *);
/* libguichet on database 'conninfo', as the request threads use it. */
void	 fl_init(const char *);
/* The test's own server (started once per test process). */
const struct server *fl_server(void);
/* harness_http() to it; a response must come.  Returns the status. */
long	 fl_http(const char *, const char *, const char *const *, const void *,
	    size_t, struct http_resp *);

/*
 * files_store() for record 'owner_id' of owner "test" on the test
 * thread's connection; the file must be stored: its id (caller frees).
 */
char	*fl_store(const char *, const char *, const char *, const void *,
	    size_t, const char *);
/* The status word of file 'id' on 'conninfo' (caller frees; NULL: none). */
char	*fl_status(const char *, const char *);
/* Mark file 'id' "clean" or "rejected" as the scanner would. */
void	 fl_mark(const char *, const char *, const char *);
/*
 * Wait up to 'ms' for file 'id' to leave 'pending': its status then
 * (caller frees), or "pending".
 */
char	*fl_wait_scanned(const char *, const char *, int);

/*
 * Sample contents: a PNG (a valid 1x1 image) followed by 'tail' (NULL:
 * nothing), which makes each content its own; *len its length.
 */
char	*fl_png(const char *, size_t *);
/* A one-object PDF whose text holds 'tail' (NULL: nothing). */
char	*fl_pdf(const char *, size_t *);

/* The SHA-256 of 'len' bytes in hex (caller frees). */
char	*fl_sha256(const void *, size_t);
/* 'len' bytes in hex (caller frees), to look for them in a pg_dump. */
char	*fl_hex(const void *, size_t);

/*
 * A clamd of the test's own (GUICHET_TEST_CLAMD, which tools/dev test
 * sets), in 'name' of the scratch directory, listening on c->sock, with
 * the EICAR signature of GUICHET_TEST_CLAMD_DB and the MD5 of
 * fl_pdf('infected'), which it calls Guichet-Test-Pdf.  Started (up, 30 s
 * at most for its socket), stopped (down) and freed as the tests need.
 */
struct fl_clamd {
	pid_t	 pid;
	char	*dir;
	char	*sock;
};
void	 fl_clamd_make(struct fl_clamd *, const char *, const char *);
void	 fl_clamd_up(struct fl_clamd *);
void	 fl_clamd_down(struct fl_clamd *);
void	 fl_clamd_free(struct fl_clamd *);

#endif
