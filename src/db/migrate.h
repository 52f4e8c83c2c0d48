/*
 * migrate.h: schema migrations.
 *
 * Migrations are the files sql/NNN_name.sql (three digits, lower-case name),
 * applied in numeric order, each once, each in its own transaction, and
 * recorded in ops.schema_migrations with the SHA-256 of the file.  A file
 * changed after it was applied is an error, never silently re-applied.
 * An advisory lock keeps two migrators from running at once.
 */
#ifndef GUICHET_MIGRATE_H
#define GUICHET_MIGRATE_H

#include <stddef.h>

struct db;

struct migration {
	int	 version;
	char	*name;			/* "001_base.sql" */
	char	*sql;
	char	 checksum[65];		/* hex SHA-256 of the file */
};

struct migration_set {
	struct migration	*v;
	size_t			 n;
};

struct migrate_status {
	size_t	 applied;		/* rows in ops.schema_migrations */
	size_t	 pending;		/* files not applied yet */
	int	 db_version;		/* highest applied, 0 if none */
	char	 changed[128];		/* first applied file whose checksum differs */
	char	 unknown[128];		/* applied version with no file (database ahead) */
};

/* Read and sort the migrations of a directory; -1 with a message. */
int	 migrate_load(const char *, struct migration_set *, char *, size_t);
void	 migrate_set_free(struct migration_set *);
/* Is 'name' a migration file name?  Exposed for the tests. */
int	 migrate_name_ok(const char *, int *);
/* Highest version in the set (0 when empty). */
int	 migrate_latest(const struct migration_set *);

/* Compare the database with the set; -1 with a message if unreachable. */
int	 migrate_status(struct db *, const struct migration_set *,
	    struct migrate_status *, char *, size_t);
/* Apply the pending migrations; *applied counts them.  -1 with a message. */
int	 migrate_apply(struct db *, const struct migration_set *, int *,
	    char *, size_t);

/* Run the files of a directory (demo data) in one transaction each, in name order. */
int	 migrate_run_dir(struct db *, const char *, int *, char *, size_t);

#endif
