/*
 * files_db.c: the files module's statements, and storing, reading and
 * deleting files (files.h).
 *
 * A file goes in with COPY, in pieces of hex (the bytea text form), and
 * comes out with substring(), in pieces of FILES_CHUNK bytes (binary
 * results): libpq's buffers grow to the largest message a connection
 * ever carried and stay so, and the request threads' connections live as
 * long as guichetd, so no statement carries a whole file (db.h, "Bytes").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/random.h"
#include "base/xmalloc.h"
#include "db/db.h"
#include "files/files.h"
#include "files/files_int.h"
#include "json/check.h"

/* A file's facts as the export shows them (FileInfo). */
#define FILE_JSON \
	"json_build_object('id', f.id, 'owner', json_build_object('module', " \
	"f.owner_module, 'id', f.owner_id), 'name', f.name, 'type', " \
	"f.media_type, 'size', f.size, 'sha256', f.sha256, 'status', " \
	"f.status, 'signature', f.signature, 'uploaded_at', " \
	DB_TIME_SQL("f.created_at") ", " \
	"'scanned_at', " DB_TIME_SQL("f.scanned_at") ")"

struct db_stmt files_stmts[FS__COUNT] = {
	/* Run unprepared (db_copy_begin()): one row, content last. */
	[FS_COPY] = { .name = "files_copy_file",
	  .sql = "COPY files.files (id, owner_module, owner_id, uploader, "
	  "name, media_type, size, sha256, status, created_at, content) "
	  "FROM STDIN" },
	[FS_INFO] = { .name = "files_select_info",
	  .sql = "SELECT id, owner_module, owner_id, uploader, name, "
	  "media_type, size, sha256, status, signature, created_at, "
	  "scanned_at FROM files.files WHERE id = $1::uuid", .nparams = 1 },
	/* $2 the first byte (from 1), $3 how many, $4 the status it needs */
	[FS_CHUNK] = { .name = "files_select_chunk",
	  .sql = "SELECT substring(content FROM $2::int FOR $3::int) AS "
	  "chunk FROM files.files WHERE id = $1::uuid AND status = $4",
	  .nparams = 4 },
	[FS_DELETE] = { .name = "files_delete_file",
	  .sql = "DELETE FROM files.files WHERE id = $1::uuid", .nparams = 1 },
	[FS_DELETE_OWNED] = { .name = "files_delete_owned",
	  .sql = "DELETE FROM files.files WHERE owner_module = $1 AND "
	  "owner_id = $2", .nparams = 2 },
	/* The scanner: the oldest pending file nobody else is scanning. */
	[FS_CLAIM] = { .name = "files_select_pending_claim",
	  .sql = "SELECT id, size FROM files.files WHERE status = 'pending' "
	  "ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED" },
	/* $2 clean or rejected, $3 the signature, $4 now */
	[FS_SCANNED] = { .name = "files_update_scanned",
	  .sql = "UPDATE files.files SET status = $2, signature = $3, "
	  "scanned_at = $4::timestamptz, content = CASE WHEN $2 = 'rejected' "
	  "THEN NULL ELSE content END, sha256 = CASE WHEN $2 = 'rejected' "
	  "THEN NULL ELSE sha256 END WHERE id = $1::uuid AND "
	  "status = 'pending'", .nparams = 4 },
	[FS_PENDING] = { .name = "files_select_pending_count",
	  .sql = "SELECT count(*) AS pending FROM files.files "
	  "WHERE status = 'pending'" },
	/* The privacy hooks (files_module.c): $1 the person */
	[FS_EXPORT] = { .name = "files_select_privacy_export",
	  .sql = "SELECT json_build_object('files', coalesce(json_agg("
	  FILE_JSON " ORDER BY f.created_at, f.id), '[]'))::text AS section "
	  "FROM files.files f WHERE f.uploader = $1::uuid", .nparams = 1 },
	/*
	 * $2 the portable columns (a text[]): what the person provided of
	 * each file (its name), the content being downloadable from the
	 * record it is attached to.
	 */
	[FS_EXPORT_PORTABLE] = { .name = "files_select_privacy_portable",
	  .sql = "SELECT json_build_object('files', coalesce(json_agg("
	  FILE_JSON " ORDER BY f.created_at, f.id), '[]'))::text AS section, "
	  "CASE WHEN 'name' = ANY ($2::text[]) THEN "
	  "json_build_object('files', coalesce(json_agg(json_build_object("
	  "'id', f.id, 'name', f.name) ORDER BY f.created_at, f.id), '[]'))"
	  "::text ELSE '{}' END AS portable FROM files.files f "
	  "WHERE f.uploader = $1::uuid", .nparams = 2 },
	/* $2 now */
	[FS_ERASE] = { .name = "files_update_privacy_erase",
	  .sql = "UPDATE files.files SET status = 'erased', name = NULL, "
	  "sha256 = NULL, signature = NULL, content = NULL, uploader = NULL, "
	  "erased_at = $2::timestamptz WHERE uploader = $1::uuid",
	  .nparams = 2 },
	/* one file, as the erasure of its uploader would (files_erase()) */
	[FS_ERASE_ONE] = { .name = "files_update_erase_one",
	  .sql = "UPDATE files.files SET status = 'erased', name = NULL, "
	  "sha256 = NULL, signature = NULL, content = NULL, uploader = NULL, "
	  "erased_at = $2::timestamptz WHERE id = $1::uuid AND status <> "
	  "'erased'", .nparams = 2 },
};

static const char *const status_words[] = {
	[FILES_PENDING] = "pending",
	[FILES_CLEAN] = "clean",
	[FILES_REJECTED] = "rejected",
	[FILES_ERASED] = "erased",
};

const char *
files_status_word(int s)
{
	return (s >= 0 && s <= FILES_ERASED ? status_words[s] : "pending");
}

int
files_status_parse(const char *w)
{
	int	 i;

	for (i = 0; w != NULL && i <= FILES_ERASED; i++)
		if (strcmp(status_words[i], w) == 0)
			return (i);
	return (-1);
}

/* A version 4 UUID from the kernel's randomness, as text. */
static int
uuid_new(char out[FILES_ID_LEN])
{
	unsigned char	 b[16];
	char		 hex[33];

	if (random_fill(b, sizeof(b)) == -1)
		return (-1);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	hex_encode(b, sizeof(b), hex);
	snprintf(out, FILES_ID_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8,
	    hex + 12, hex + 16, hex + 20);
	return (0);
}

/* The row, its content as hex sent in pieces: the file's one COPY. */
static int
copy_file(struct db *db, const char *const *fields, size_t nfields,
    const unsigned char *data, size_t len, struct db_error *err)
{
	struct buf	 b;
	size_t		 i, off, n;
	long		 rows = 0;
	int		 rc = -1;

	buf_init(&b);
	for (i = 0; i < nfields; i++)
		db_copy_field(&b, fields[i], 0);
	/* "\\x" is the bytea text form's "\x" with its backslash escaped. */
	buf_adds(&b, "\\\\x");
	if (db_copy_begin(db, FS(FS_COPY), err) == -1) {
		buf_cleanup(&b);
		return (-1);
	}
	for (off = 0; off < len; off += n) {
		n = len - off < 32 * 1024 ? len - off : 32 * 1024;
		buf_grow(&b, 2 * n + 2);
		hex_encode(data + off, n, b.data + b.len);
		b.len += 2 * n;
		if (off + n == len)
			buf_addc(&b, '\n');
		if (db_copy_put(db, b.data, b.len, err) == -1)
			goto end;
		buf_reset(&b);
	}
	rc = 0;
end:
	buf_cleanup(&b);
	if (db_copy_end(db, rc == 0 ? NULL : "guichet: the file could not be "
	    "sent", &rows, rc == 0 ? err : NULL) == -1 || rows != 1)
		rc = -1;
	return (rc);
}

int
files_store(struct db *db, const char *owner_module, const char *owner_id,
    const char *uploader, const char *name, const void *data, size_t len,
    const char *accepted, struct files_stored *out, struct db_error *err)
{
	char		 size[24], now[40];
	const char	*fields[10];

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if (len == 0)
		return (FILES_EMPTY);
	if (name != NULL && name[0] != '\0' && !files_name_ok(name))
		return (FILES_BAD_NAME);
	if (!files_sniff(data, len, accepted != NULL ? accepted :
	    FILES_TYPES_DEFAULT, out->type, sizeof(out->type)))
		return (FILES_BAD_TYPE);
	sha256_hex(data, len, out->sha256);
	if (uuid_new(out->id) == -1) {
		err->code = DB_E_INTERNAL;
		return (-1);
	}
	snprintf(size, sizeof(size), "%zu", len);
	clock_format(clock_now(), now, sizeof(now));
	fields[0] = out->id;
	fields[1] = owner_module;
	fields[2] = owner_id;
	fields[3] = uploader;
	fields[4] = name != NULL && name[0] != '\0' ? name : NULL;
	fields[5] = out->type;
	fields[6] = size;
	fields[7] = out->sha256;
	fields[8] = files_status_word(FILES_PENDING);
	fields[9] = now;
	if (copy_file(db, fields, sizeof(fields) / sizeof(fields[0]), data, len,
	    err) == -1)
		return (-1);
	return (FILES_STORED);
}

static char *
dup_or_null(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

int
files_info(struct db *db, const char *id, struct files_info *out,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { id }, *v;

	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	if (id == NULL || !json_format_ok(JF_UUID, id))
		return (1);
	if (db_exec(db, FS(FS_INFO), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return (1);
	}
	snprintf(out->id, sizeof(out->id), "%s", db_str(res, 0, "id"));
	snprintf(out->owner_module, sizeof(out->owner_module), "%s",
	    db_str(res, 0, "owner_module"));
	snprintf(out->owner_id, sizeof(out->owner_id), "%s",
	    db_str(res, 0, "owner_id"));
	v = db_str(res, 0, "uploader");
	snprintf(out->uploader, sizeof(out->uploader), "%s", v != NULL ? v : "");
	out->name = dup_or_null(db_str(res, 0, "name"));
	snprintf(out->type, sizeof(out->type), "%s",
	    db_str(res, 0, "media_type"));
	out->size = db_int64(res, 0, "size");
	v = db_str(res, 0, "sha256");
	snprintf(out->sha256, sizeof(out->sha256), "%s", v != NULL ? v : "");
	out->status = (enum files_status)files_status_parse(db_str(res, 0,
	    "status"));
	out->signature = dup_or_null(db_str(res, 0, "signature"));
	out->created_at = db_time(res, 0, "created_at");
	out->scanned_at = db_time(res, 0, "scanned_at");
	db_res_free(res);
	return (0);
}

void
files_info_free(struct files_info *fi)
{
	free(fi->name);
	free(fi->signature);
	fi->name = fi->signature = NULL;
}

json_t *
files_info_json(const struct files_info *fi)
{
	json_t	*o;

	o = json_pack("{s:s, s:{s:s, s:s}, s:s, s:I, s:s}", "id", fi->id,
	    "owner", "module", fi->owner_module, "id", fi->owner_id, "type",
	    fi->type, "size", (json_int_t)fi->size, "status",
	    files_status_word((int)fi->status));
	json_object_set_new(o, "name", fi->name != NULL ?
	    json_string(fi->name) : json_null());
	json_object_set_new(o, "sha256", fi->sha256[0] != '\0' ?
	    json_string(fi->sha256) : json_null());
	json_object_set_new(o, "signature", fi->signature != NULL ?
	    json_string(fi->signature) : json_null());
	json_set_time(o, "uploaded_at", fi->created_at);
	if (fi->scanned_at != 0)
		json_set_time(o, "scanned_at", fi->scanned_at);
	else
		json_object_set_new(o, "scanned_at", json_null());
	return (o);
}

int
files_chunk(struct db *db, const char *id, const char *status, uint64_t off,
    size_t len, struct db_res **res, struct db_error *err)
{
	char		 from[24], count[24];
	const char	*p[4] = { id, from, count, status };
	size_t		 got;

	*res = NULL;
	snprintf(from, sizeof(from), "%llu", (unsigned long long)off + 1);
	snprintf(count, sizeof(count), "%zu", len);
	if (db_exec_bin(db, FS(FS_CHUNK), p, res, err) == -1)
		return (-1);
	if (db_res_rows(*res) != 1 || db_bytes(*res, 0, "chunk", &got) ==
	    NULL || got != len) {
		db_res_free(*res);
		*res = NULL;
		return (1);
	}
	return (0);
}

/*
 * Statement 'st' on the one file 'id' ($1; $2 'now' where it takes one):
 * 0 when it changed that file, 1 when there is none, -1 with 'err'.
 */
static int
one_file(struct db *db, enum files_stmt st, const char *id, const char *now,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[2] = { id, now };
	long		 n;

	memset(err, 0, sizeof(*err));
	if (id == NULL || !json_format_ok(JF_UUID, id))
		return (1);
	if (db_exec(db, FS(st), p, &res, err) == -1)
		return (-1);
	n = db_res_affected(res);
	db_res_free(res);
	return (n == 1 ? 0 : 1);
}

int
files_delete(struct db *db, const char *id, struct db_error *err)
{
	return (one_file(db, FS_DELETE, id, NULL, err));
}

int
files_erase(struct db *db, const char *id, const char *now,
    struct db_error *err)
{
	return (one_file(db, FS_ERASE_ONE, id, now, err));
}

int
files_delete_owned(struct db *db, const char *owner_module,
    const char *owner_id, long *count, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[2] = { owner_module, owner_id };

	if (count != NULL)
		*count = 0;
	if (db_exec(db, FS(FS_DELETE_OWNED), p, &res, err) == -1)
		return (-1);
	if (count != NULL)
		*count = db_res_affected(res);
	db_res_free(res);
	return (0);
}
