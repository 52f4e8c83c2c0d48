/*
 * files_int.h: between the files of src/files (the module's pieces).
 */
#ifndef GUICHET_FILES_INT_H
#define GUICHET_FILES_INT_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

struct buf;

/*
 * The piece a file is read in (a download, a scan): what guichetd holds
 * of a file at a time, and what libpq's input buffer grows to.
 */
#define FILES_CHUNK	(256 * 1024)

enum files_stmt {
	FS_COPY,
	FS_INFO,
	FS_CHUNK,
	FS_DELETE,
	FS_DELETE_OWNED,
	FS_CLAIM,
	FS_SCANNED,
	FS_PENDING,
	FS_EXPORT,
	FS_EXPORT_PORTABLE,
	FS_ERASE,
	FS_ERASE_ONE,
	FS__COUNT
};
extern struct db_stmt	files_stmts[FS__COUNT];
#define FS(x)	(&files_stmts[(x)])

/*
 * The status words of the table, and back: -1 for an unknown word (a
 * programming error).
 */
const char *files_status_word(int);
int	 files_status_parse(const char *);

/*
 * A piece of a file's content: 'len' bytes from byte 'off' of file 'id'
 * while its status is 'status'; *res holds them (db_bytes(*res, 0,
 * "chunk")).  0, 1 when the file is gone or no longer in that status, -1
 * with 'err'.
 */
int	 files_chunk(struct db *, const char *, const char *, uint64_t, size_t,
	    struct db_res **, struct db_error *);

/*
 * files_sniff.c: the type of 'len' bytes, by libmagic, into 'type'; 1 when
 * it is one of 'accepted' (space-separated) and, for PDF, JPEG and PNG,
 * the content begins with that format's signature; 0 otherwise (type
 * "application/octet-stream" when libmagic cannot tell).
 */
int	 files_sniff(const void *, size_t, const char *, char *, size_t);
/* Load libmagic's database now (guichetd's start): -1 with a message. */
int	 files_sniff_init(char *, size_t);

/*
 * files_name.c: names.  files_name_ok(): an original name may be stored
 * (UTF-8, 1 to FILES_NAME_MAX bytes, no control character).
 * files_safe_name(): the name a download gets: the last path component
 * of 'name' without control, bidirectional or reserved characters, no
 * leading dot, at most 100 characters, ending with an extension of 'type'
 * ("file.pdf" when nothing is left).  files_disposition(): the
 * Content-Disposition of a download of 'safe' (attachment; filename= an
 * ASCII stand-in; filename*=UTF-8'' the name percent-encoded).
 * files_disposition_name(): the name a Content-Disposition value carries
 * (filename*, else filename), malloc'ed, or NULL.
 */
int	 files_name_ok(const char *);
void	 files_safe_name(const char *, const char *, char *, size_t);
void	 files_disposition(const char *, struct buf *);
char	*files_disposition_name(const char *);

/* clamd.c: the scanner thread (guichetd only), its settings, its metrics. */
struct conf;
void	 files_scanner_configure(const struct conf *);
void	 files_scanner_start(void);
void	 files_scanner_stop(void);
void	 files_scanner_metrics(struct buf *);
/* The seconds a client waits before asking again for a pending file. */
int	 files_retry_after(void);
/*
 * One INSTREAM conversation with the clamd at 'sock' about file 'id' of
 * 'size' bytes read through 'db' (status pending): 0 clean, 1 infected
 * (the signature in 'found'), -1 when clamd could not say (its answer or
 * the reason in 'found'), -2 when the database failed ('err').
 */
int	 files_clamd_scan(const char *, struct db *, const char *, uint64_t,
	    char *, size_t, struct db_error *);

#endif
