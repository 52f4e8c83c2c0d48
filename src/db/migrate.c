/*
 * migrate.c: numbered schema migrations with checksums (see migrate.h).
 * Migration files are trusted input written by us: they are the one place
 * where SQL text is sent without parameters.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "base/buf.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "db/db.h"
#include "db/migrate.h"

/* The bookkeeping table exists before the first migration can record itself. */
static const char bootstrap_sql[] =
    "CREATE SCHEMA IF NOT EXISTS ops;"
    "CREATE TABLE IF NOT EXISTS ops.schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),"
    " applied_at timestamptz NOT NULL DEFAULT now());"
    "COMMENT ON TABLE ops.schema_migrations IS "
    " 'one row per applied sql/NNN_*.sql file, with its SHA-256';"
    "COMMENT ON COLUMN ops.schema_migrations.name IS 'nopii';"
    "COMMENT ON COLUMN ops.schema_migrations.checksum IS 'nopii';";

/* Any 64-bit constant shared by all migrators of all guichet instances. */
#define MIGRATE_LOCK	"4711200201"

enum { MIG_SELECT, MIG_INSERT, MIG__COUNT };

static struct db_stmt migrate_stmts[MIG__COUNT] = {
	[MIG_SELECT] = { "migrate_select_applied",
	  "SELECT version, name, checksum FROM ops.schema_migrations "
	  "ORDER BY version", 0, 0 },
	[MIG_INSERT] = { "migrate_insert_applied",
	  "INSERT INTO ops.schema_migrations (version, name, checksum) "
	  "VALUES ($1, $2, $3)", 3, 0 },
};
static int	registered;

static void
ensure_registered(void)
{
	if (!registered) {
		db_register(migrate_stmts, MIG__COUNT);
		registered = 1;
	}
}

int
migrate_name_ok(const char *name, int *version)
{
	size_t	 n = strlen(name), i;
	int	 v;

	if (n < 9 || strcmp(name + n - 4, ".sql") != 0)
		return (0);
	for (i = 0; i < 3; i++)
		if (!isdigit((unsigned char)name[i]))
			return (0);
	if (name[3] != '_')
		return (0);
	for (i = 4; i < n - 4; i++)
		if (!islower((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]) && name[i] != '_')
			return (0);
	v = (name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0');
	if (version != NULL)
		*version = v;
	return (v > 0);
}

static char *
read_file(const char *path, size_t *lenp)
{
	FILE		*f;
	struct buf	 b;
	char		 chunk[8192];
	size_t		 n;

	if ((f = fopen(path, "r")) == NULL)
		return (NULL);
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(f)) {
		fclose(f);
		buf_cleanup(&b);
		return (NULL);
	}
	fclose(f);
	return (buf_detach(&b, lenp));
}

static int
cmp_version(const void *a, const void *b)
{
	const struct migration	*x = a, *y = b;

	return (x->version - y->version);
}

int
migrate_load(const char *dir, struct migration_set *set, char *msg,
    size_t msglen)
{
	DIR		*d;
	struct dirent	*de;
	struct migration *m;
	char		 path[4096];
	size_t		 i, len, cap = 0;
	int		 version;

	set->v = NULL;
	set->n = 0;
	if ((d = opendir(dir)) == NULL) {
		snprintf(msg, msglen, "cannot read migrations in %s: %s", dir,
		    strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strstr(de->d_name, ".sql") == NULL)
			continue;
		if (!migrate_name_ok(de->d_name, &version)) {
			/* A misnamed file would silently never run: refuse it. */
			if (isdigit((unsigned char)de->d_name[0])) {
				snprintf(msg, msglen, "%s/%s: a migration is "
				    "named NNN_name.sql (lower case)", dir,
				    de->d_name);
				closedir(d);
				migrate_set_free(set);
				return (-1);
			}
			continue;
		}
		if (set->n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			set->v = xrealloc(set->v, cap * sizeof(*set->v));
		}
		m = &set->v[set->n++];
		memset(m, 0, sizeof(*m));
		m->version = version;
		m->name = xstrdup(de->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((m->sql = read_file(path, &len)) == NULL) {
			snprintf(msg, msglen, "%s: %s", path, strerror(errno));
			closedir(d);
			migrate_set_free(set);
			return (-1);
		}
		sha256_hex(m->sql, len, m->checksum);
	}
	closedir(d);
	qsort(set->v, set->n, sizeof(*set->v), cmp_version);
	for (i = 1; i < set->n; i++)
		if (set->v[i].version == set->v[i - 1].version) {
			snprintf(msg, msglen, "%s and %s have the same number",
			    set->v[i - 1].name, set->v[i].name);
			migrate_set_free(set);
			return (-1);
		}
	return (0);
}

void
migrate_set_free(struct migration_set *set)
{
	size_t	 i;

	for (i = 0; i < set->n; i++) {
		free(set->v[i].name);
		free(set->v[i].sql);
	}
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

int
migrate_latest(const struct migration_set *set)
{
	return (set->n == 0 ? 0 : set->v[set->n - 1].version);
}

static const struct migration *
find_version(const struct migration_set *set, int version)
{
	size_t	 i;

	for (i = 0; i < set->n; i++)
		if (set->v[i].version == version)
			return (&set->v[i]);
	return (NULL);
}

/* Whether the rows of migrate_select_applied hold 'version'. */
static int
applied_has(const struct db_res *res, int version)
{
	int	 i, rows = db_res_rows(res);

	for (i = 0; i < rows; i++)
		if (db_int64(res, i, "version") == version)
			return (1);
	return (0);
}

int
migrate_status(struct db *db, const struct migration_set *set,
    struct migrate_status *st, char *msg, size_t msglen)
{
	struct db_error		 err;
	struct db_res		*res = NULL;
	const struct migration	*m;
	int			 i, rows, v;

	ensure_registered();
	memset(st, 0, sizeof(*st));
	if (db_exec_sql(db, bootstrap_sql, &err) == -1 ||
	    db_exec(db, &migrate_stmts[MIG_SELECT], NULL, &res, &err) == -1) {
		snprintf(msg, msglen, "cannot read the migration table (%s)",
		    err.code == DB_E_UNAVAILABLE ? "database unavailable" :
		    err.sqlstate);
		return (-1);
	}
	rows = db_res_rows(res);
	for (i = 0; i < rows; i++) {
		v = (int)db_int64(res, i, "version");
		st->applied++;
		if (v > st->db_version)
			st->db_version = v;
		if ((m = find_version(set, v)) == NULL) {
			if (st->unknown[0] == '\0')
				snprintf(st->unknown, sizeof(st->unknown),
				    "%s", db_str(res, i, "name"));
			continue;
		}
		if (strcmp(m->checksum, db_str(res, i, "checksum")) != 0 &&
		    st->changed[0] == '\0')
			snprintf(st->changed, sizeof(st->changed), "%s",
			    m->name);
	}
	for (i = 0; (size_t)i < set->n; i++)
		if (!applied_has(res, set->v[i].version))
			st->pending++;
	db_res_free(res);
	return (0);
}

int
migrate_apply(struct db *db, const struct migration_set *set, int *applied,
    char *msg, size_t msglen)
{
	struct migrate_status	 st;
	struct db_error		 err;
	struct db_res		*res = NULL;
	char			 vbuf[16];
	const char		*params[3];
	size_t			 i;
	int			 rc = -1;

	*applied = 0;
	if (migrate_status(db, set, &st, msg, msglen) == -1)
		return (-1);
	if (db_exec_sql(db, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")",
	    &err) == -1) {
		snprintf(msg, msglen, "cannot take the migration lock");
		return (-1);
	}
	/* Read again under the lock: another migrator may have run. */
	if (migrate_status(db, set, &st, msg, msglen) == -1)
		goto out;
	if (st.changed[0] != '\0') {
		snprintf(msg, msglen, "migration %s was changed after it was "
		    "applied; restore it and write a new migration instead",
		    st.changed);
		goto out;
	}
	if (db_exec(db, &migrate_stmts[MIG_SELECT], NULL, &res, &err) == -1) {
		snprintf(msg, msglen, "cannot read the migration table");
		goto out;
	}
	for (i = 0; i < set->n; i++) {
		if (applied_has(res, set->v[i].version))
			continue;
		if (db_exec_sql(db, "BEGIN", &err) == -1 ||
		    db_exec_sql(db, set->v[i].sql, &err) == -1) {
			(void)db_exec_sql(db, "ROLLBACK", NULL);
			snprintf(msg, msglen, "migration %s failed (sqlstate "
			    "%s); nothing of it was applied", set->v[i].name,
			    err.sqlstate[0] != '\0' ? err.sqlstate : "none");
			goto out;
		}
		snprintf(vbuf, sizeof(vbuf), "%d", set->v[i].version);
		params[0] = vbuf;
		params[1] = set->v[i].name;
		params[2] = set->v[i].checksum;
		if (db_exec(db, &migrate_stmts[MIG_INSERT], params, NULL,
		    &err) == -1 || db_exec_sql(db, "COMMIT", &err) == -1) {
			(void)db_exec_sql(db, "ROLLBACK", NULL);
			snprintf(msg, msglen, "migration %s could not be "
			    "recorded", set->v[i].name);
			goto out;
		}
		log_info("applied migration %s", set->v[i].name);
		(*applied)++;
	}
	rc = 0;
out:
	db_res_free(res);
	(void)db_exec_sql(db, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")",
	    NULL);
	return (rc);
}

static int
cmp_name(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

int
migrate_run_dir(struct db *db, const char *dir, int *ran, char *msg,
    size_t msglen)
{
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL, path[4096], *sql;
	size_t		 n = 0, cap = 0, i, len;
	struct db_error	 err;
	int		 rc = -1;

	*ran = 0;
	if ((d = opendir(dir)) == NULL) {
		snprintf(msg, msglen, "cannot read %s: %s", dir,
		    strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 ||
		    strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			names = xrealloc(names, cap * sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((sql = read_file(path, &len)) == NULL) {
			snprintf(msg, msglen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (db_exec_sql(db, "BEGIN", &err) == -1 ||
		    db_exec_sql(db, sql, &err) == -1 ||
		    db_exec_sql(db, "COMMIT", &err) == -1) {
			(void)db_exec_sql(db, "ROLLBACK", NULL);
			snprintf(msg, msglen, "%s failed (sqlstate %s)", path,
			    err.sqlstate[0] != '\0' ? err.sqlstate : "none");
			free(sql);
			goto out;
		}
		free(sql);
		(*ran)++;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return (rc);
}
