/*
 * files.h: the store of files that the modules above own (attachments of
 * cases and messages, photos of incident reports).  A file belongs to one
 * record of one module (owner_module, owner_id): the owner decides who may
 * see it and when it goes; this module keeps the bytes, decides their
 * type, has them scanned and serves them.
 *
 * The life of a file:
 *   files_store()   the owner's handler (or command) stores what the
 *                   request carried (an upload route, route.h .body_types,
 *                   takes the bytes as the body): the type is read from
 *                   the content by libmagic, never taken from the request,
 *                   and must be one the caller accepts; the SHA-256 is
 *                   recorded; the file is 'pending';
 *   the scanner     (clamd.c, the module's thread in guichetd) sends every
 *                   pending file to clamd and marks it 'clean' or
 *                   'rejected' (its content deleted, the signature kept);
 *                   while clamd cannot be reached, files stay pending;
 *   files_reply()   after the owner authorised the caller: a clean file is
 *                   streamed; a pending one is 409 file_pending with
 *                   Retry-After, a rejected one 410 file_rejected, an
 *                   erased one 410 file_erased: nothing unscanned or
 *                   infected is ever served;
 *   files_delete(), files_delete_owned(), files_erase()
 *                   the owner's erasure and retention remove its files.
 * The erasure of a person erases the files they uploaded (content, name,
 * digest; the row stays 'erased' so the owner's record can say so): the
 * module's own privacy hook, which every owner gets without a line of
 * code.  Files an owner holds about a person that someone else uploaded
 * (an agent's reply) go with the owner's record: files_delete_owned() in
 * the owner's erase hook.
 *
 * Every function taking a struct db works in the caller's transaction
 * when there is one (store the file and the record that refers to it in
 * one db_tx()).  Ids are UUIDs as text.
 */
#ifndef GUICHET_FILES_H
#define GUICHET_FILES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http/reply.h"

struct db;
struct db_error;
struct request;

/* What files_store() accepts unless told otherwise. */
#define FILES_TYPES_DEFAULT	"application/pdf image/jpeg image/png"

#define FILES_ID_LEN		37	/* a UUID and the NUL */
#define FILES_TYPE_LEN		104
#define FILES_NAME_MAX		255	/* bytes of an original name */

enum files_status {
	FILES_PENDING,		/* stored, not scanned yet: never served */
	FILES_CLEAN,		/* scanned, nothing found: served */
	FILES_REJECTED,		/* the scanner found something: never served */
	FILES_ERASED,		/* its uploader's erasure: nothing left */
};

/* files_store()'s answers besides -1 (a database failure, 'err' set). */
enum files_stored_result {
	FILES_STORED = 0,
	FILES_EMPTY,		/* no bytes */
	FILES_BAD_NAME,		/* not UTF-8, a control character, too long */
	FILES_BAD_TYPE,		/* the content's type is not accepted */
};

struct files_stored {
	char	 id[FILES_ID_LEN];
	char	 type[FILES_TYPE_LEN];	/* the sniffed type, also when refused */
	char	 sha256[65];
};

/*
 * Store 'len' bytes at 'data' as a file of record 'owner_id' of module
 * 'owner_module' (its name), sent by account 'uploader' (NULL: nobody's,
 * e.g. a partner application), under the original name 'name' (NULL: none;
 * as the person sent it: files_upload_name()).  'accepted' lists the media
 * types the caller takes, separated by spaces (NULL: FILES_TYPES_DEFAULT);
 * the type is the one libmagic reads in the first bytes, and a PDF, JPEG
 * or PNG must also begin with its signature (a polyglot that hides
 * another format before it is refused).  The declared type plays no
 * part: a PNG sent as application/pdf is stored as the PNG it is.
 * FILES_STORED with 'out' filled, another files_stored_result (out->type
 * says what the content is), or -1 with 'err'.
 */
int	 files_store(struct db *, const char *, const char *, const char *,
	    const char *, const void *, size_t, const char *,
	    struct files_stored *, struct db_error *);
/*
 * The 422 of a refused file (a files_stored_result other than
 * FILES_STORED): file_empty, file_name_invalid or file_type_refused.
 */
void	 files_reply_refused(struct request *, int, const struct files_stored *,
	    const char *);

struct files_info {
	char			 id[FILES_ID_LEN];
	char			 owner_module[48];
	char			 owner_id[72];
	char			 uploader[FILES_ID_LEN];	/* "": none */
	char			*name;		/* NULL: none or erased */
	char			 type[FILES_TYPE_LEN];
	int64_t			 size;
	char			 sha256[65];	/* "": erased or rejected */
	enum files_status	 status;
	char			*signature;	/* rejected: what was found */
	int64_t			 created_at;	/* microseconds (clock.h) */
	int64_t			 scanned_at;	/* 0: not yet */
};

/*
 * A file's facts, never its content: 0 and 'out' (files_info_free()), 1
 * when there is no such file, -1 with 'err'.
 */
int	 files_info(struct db *, const char *, struct files_info *,
	    struct db_error *);
void	 files_info_free(struct files_info *);
/* As the FileInfo schema of the OpenAPI document (src/files/openapi.json). */
json_t	*files_info_json(const struct files_info *);

/*
 * Answer with the file 'id' (the owner has authorised the caller): 200
 * and the bytes, streamed in pieces, with Content-Type the sniffed type,
 * Content-Length, Content-Disposition: attachment with a safe name
 * (filename and filename*, RFC 6266 and 8187), ETag "<sha256>" (If-None-
 * Match gives 304), Cache-Control: private, no-store and, as on every
 * answer, X-Content-Type-Options: nosniff; or the problem: 404
 * file_not_found, 409 file_pending (Retry-After), 410 file_rejected or
 * file_erased.  The owner's OpenAPI operation declares these.  Uses the
 * thread's connection (db_thread()).  Returns 0.
 */
int	 files_reply(struct request *, const char *);

/* Delete a file (0), 1 when there was none, -1 with 'err'. */
int	 files_delete(struct db *, const char *, struct db_error *);
/*
 * Erase a file as the erasure of its uploader does (its bytes, name and
 * digest gone; the row stays 'erased', so files_reply() answers 410
 * file_erased) at 'now' (RFC 3339): the owner's retention of what nobody
 * uploaded under an account, or of a record it anonymises.  0, 1 when
 * there was no such file or it was erased already, -1 with 'err'.
 */
int	 files_erase(struct db *, const char *, const char *,
	    struct db_error *);
/* Delete every file of a record; *count (may be NULL) says how many. */
int	 files_delete_owned(struct db *, const char *, const char *, long *,
	    struct db_error *);

/*
 * The original name of an upload, from its Content-Disposition header
 * (filename*=UTF-8''..., else filename="..."), decoded, in request
 * memory; NULL when the request names none (or not decodably).
 */
const char *files_upload_name(struct request *);

/*
 * Photos re-encoded from their pixels without any metadata (files_image.c:
 * libvips): EXIF (GPS position, camera serial, dates), embedded
 * thumbnails, XMP, IPTC and comments are gone from what comes out.  The
 * EXIF orientation is applied first.  'full' is the photo as 'type'
 * (image/jpeg or image/png) no larger than 'max_side' pixels on its long
 * side; 'thumb' a JPEG of 'thumb_side' pixels at most, for maps and lists.
 * The caller sniffed the input (files_store() refuses what is not a JPEG
 * or PNG) and stores the outputs with files_store().
 */
struct files_image {
	void	*full;
	size_t	 full_len;
	void	*thumb;
	size_t	 thumb_len;
	int	 width, height;		/* of 'full' */
};
/* Once, before any thread: 0, or -1 with a message. */
int	 files_image_init(char *, size_t);
/* 0 and 'out' (files_image_free()), -1 when the image cannot be read. */
int	 files_image_strip(const void *, size_t, const char *, int, int,
	    struct files_image *);
void	 files_image_free(struct files_image *);

/* The module's problem codes. */
enum files_err {
	FILES_E_NOT_FOUND,	/* 404 */
	FILES_E_PENDING,	/* 409: not scanned yet */
	FILES_E_REJECTED,	/* 410: %s = what the scanner found */
	FILES_E_ERASED,		/* 410 */
	FILES_E_EMPTY,		/* 422 */
	FILES_E_NAME,		/* 422 */
	FILES_E_TYPE,		/* 422: %s = the content's type, %s = accepted */
	FILES_E__COUNT
};
extern const struct errcode	files_errors[FILES_E__COUNT];
#define FILES_ERR(x)	(&files_errors[(x)])

#endif
