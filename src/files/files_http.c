/*
 * files_http.c: what the owners' handlers call to answer with a file, to
 * refuse one, and to read the name an upload carries (files.h).
 *
 * A download is streamed: the reply's producer reads FILES_CHUNK bytes at a
 * time (substring() of the stored value, binary) on the thread that sends
 * the answer, with that thread's connection, so that a 10 MB file never
 * sits whole in guichetd.  A file deleted or erased while it is being sent
 * ends the transfer (the client sees a cut connection, not a wrong file).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "db/db.h"
#include "files/files.h"
#include "files/files_int.h"
#include "http/reply.h"
#include "http/request.h"

const struct errcode files_errors[FILES_E__COUNT] = {
	[FILES_E_NOT_FOUND] = { "file_not_found", PROB_NOT_FOUND,
	    { "aucun fichier à cette adresse", "no file at this address",
	      "nessun file a questo indirizzo" } },
	[FILES_E_PENDING] = { "file_pending", PROB_CONFLICT,
	    { "le fichier n'a pas encore été analysé par l'antivirus ; "
	      "réessayez dans un instant", "the file has not been scanned "
	      "for viruses yet; try again shortly", "il file non è ancora "
	      "stato analizzato dall'antivirus; riprova tra poco" } },
	[FILES_E_REJECTED] = { "file_rejected", PROB_GONE,
	    { "le fichier a été refusé par l'antivirus (%s) et supprimé",
	      "the file was refused by the virus scanner (%s) and deleted",
	      "il file è stato rifiutato dall'antivirus (%s) ed eliminato" } },
	[FILES_E_ERASED] = { "file_erased", PROB_GONE,
	    { "le fichier a été effacé avec les données de la personne qui "
	      "l'a envoyé", "the file was erased with the data of the person "
	      "who sent it", "il file è stato cancellato con i dati della "
	      "persona che l'ha inviato" } },
	[FILES_E_EMPTY] = { "file_empty", PROB_VALIDATION,
	    { "le fichier est vide", "the file is empty", "il file è vuoto" } },
	[FILES_E_NAME] = { "file_name_invalid", PROB_VALIDATION,
	    { "le nom du fichier doit être un texte UTF-8 de 1 à 255 octets, "
	      "sans caractère de contrôle", "the file's name must be UTF-8 "
	      "text of 1 to 255 bytes, without control characters",
	      "il nome del file deve essere un testo UTF-8 da 1 a 255 byte, "
	      "senza caratteri di controllo" } },
	[FILES_E_TYPE] = { "file_type_refused", PROB_VALIDATION,
	    { "le contenu du fichier est de type %s ; sont acceptés : %s",
	      "the file's content is %s; accepted: %s",
	      "il contenuto del file è di tipo %s; sono accettati: %s" } },
};

void
files_reply_refused(struct request *req, int result,
    const struct files_stored *st, const char *accepted)
{
	switch (result) {
	case FILES_EMPTY:
		reply_error(req, FILES_ERR(FILES_E_EMPTY));
		break;
	case FILES_BAD_NAME:
		reply_error(req, FILES_ERR(FILES_E_NAME));
		break;
	default:
		reply_error(req, FILES_ERR(FILES_E_TYPE), st->type,
		    accepted != NULL ? accepted : FILES_TYPES_DEFAULT);
		break;
	}
}

const char *
files_upload_name(struct request *req)
{
	char		*name;
	const char	*r;

	if ((name = files_disposition_name(request_header(req,
	    "Content-Disposition"))) == NULL)
		return (NULL);
	r = request_strdup(req, name);
	free(name);
	return (r);
}

/* A download being sent. */
struct download {
	char		 id[FILES_ID_LEN];
	uint64_t	 size;
	uint64_t	 off;		/* bytes read from the database */
	struct db_res	*piece;		/* the last piece read */
	const char	*data;		/* its bytes */
	size_t		 len, at;	/* its length, what was sent of it */
};

static long
download_next(void *cls, char *dst, size_t max)
{
	struct download	*d = cls;
	struct db_error	 err;
	size_t		 n;
	int		 rc;

	if (d->at == d->len) {
		if (d->off == d->size)
			return (0);
		db_res_free(d->piece);
		n = d->size - d->off < FILES_CHUNK ? (size_t)(d->size - d->off) :
		    FILES_CHUNK;
		rc = files_chunk(db_thread(), d->id, "clean", d->off, n,
		    &d->piece, &err);
		if (rc != 0) {
			log_info("file %s: download cut after %llu bytes (%s)",
			    d->id, (unsigned long long)d->off, rc == 1 ?
			    "deleted meanwhile" : "database failure");
			return (-1);
		}
		d->data = db_bytes(d->piece, 0, "chunk", &d->len);
		d->at = 0;
		d->off += n;
	}
	n = d->len - d->at < max ? d->len - d->at : max;
	memcpy(dst, d->data + d->at, n);
	d->at += n;
	return ((long)n);
}

static void
download_free(void *cls)
{
	struct download	*d = cls;

	db_res_free(d->piece);
	free(d);
}

int
files_reply(struct request *req, const char *id)
{
	struct files_info	 fi;
	struct db_error		 err;
	struct download		*d;
	struct buf		 b;
	char			 etag[80], safe[512], retry[16];
	int			 rc;

	if ((rc = files_info(db_thread(), id, &fi, &err)) == -1) {
		reply_db_error(req, &err);
		return (0);
	}
	if (rc == 1) {
		reply_error(req, FILES_ERR(FILES_E_NOT_FOUND));
		return (0);
	}
	/* Clean, or nothing: whatever else a status says is not served. */
	switch (fi.status) {
	case FILES_CLEAN:
		break;
	case FILES_REJECTED:
		reply_error(req, FILES_ERR(FILES_E_REJECTED), fi.signature !=
		    NULL ? fi.signature : "?");
		goto done;
	case FILES_ERASED:
		reply_error(req, FILES_ERR(FILES_E_ERASED));
		goto done;
	case FILES_PENDING:
	default:
		reply_error(req, FILES_ERR(FILES_E_PENDING));
		snprintf(retry, sizeof(retry), "%d", files_retry_after());
		reply_header(req, "Retry-After", retry);
		goto done;
	}
	snprintf(etag, sizeof(etag), "\"%s\"", fi.sha256);
	if (etag_match(request_header(req, "If-None-Match"), etag)) {
		/* RFC 9110 15.4.5: the headers of the 200, without content. */
		reply_bytes(req, 304, NULL, NULL, 0);
	} else {
		d = xcalloc(1, sizeof(*d));
		snprintf(d->id, sizeof(d->id), "%s", fi.id);
		d->size = (uint64_t)fi.size;
		reply_stream_len(req, 200, request_strdup(req, fi.type),
		    d->size, download_next, d, download_free);
		files_safe_name(fi.name, fi.type, safe, sizeof(safe));
		buf_init(&b);
		files_disposition(safe, &b);
		reply_header(req, "Content-Disposition", b.data);
		buf_cleanup(&b);
	}
	reply_header(req, "ETag", etag);
	reply_header(req, "Cache-Control", "private, no-store");
done:
	files_info_free(&fi);
	return (0);
}
