/*
 * files_module.c: the files module's declaration (core/module.h): its
 * statements, problem codes, privacy hooks, the scanner thread, the
 * files schema.  It has no route of its own: the owners' routes take the
 * uploads (route.h, .body_types) and serve the files (files_reply()).
 */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/conf.h"
#include "core/module.h"
#include "db/db.h"
#include "files/files.h"
#include "files/files_int.h"
#include "http/metrics.h"

/*
 * The files a person uploaded, without their contents (those are served by
 * the records they are attached to); the portable part names them.
 */
static int
files_privacy_export(struct db *db, const char *account, struct buf *out,
    struct privacy_portable *portable, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[2] = { account, NULL };

	if (portable != NULL && (p[1] = portable->columns(portable,
	    "files.files", err)) == NULL)
		return (-1);
	if (db_exec(db, FS(portable != NULL ? FS_EXPORT_PORTABLE : FS_EXPORT),
	    p, &res, err) == -1)
		return (-1);
	privacy_section_add(res, out, portable);
	db_res_free(res);
	return (0);
}

/*
 * What a person uploaded goes with them, whichever module owns it: the
 * content, the name and the digest; the row stays 'erased' for the owner.
 */
static int
files_privacy_erase(struct db *db, const char *account, const char *salt,
    json_t *erased, json_t *retained, struct db_error *err)
{
	struct db_res	*res = NULL;
	char		 now[40];
	const char	*p[2] = { account, now };

	(void)salt;
	(void)retained;
	clock_format(clock_now(), now, sizeof(now));
	if (db_exec(db, FS(FS_ERASE), p, &res, err) == -1)
		return (-1);
	privacy_erased_add(erased, "files", "attachment",
	    db_res_affected(res), "delete");
	db_res_free(res);
	return (0);
}

static int
files_init(const struct module_env *env, char *err, size_t errlen)
{
	files_scanner_configure(env->conf);
	if (env->mode != MODULE_SERVER)
		return (0);
	/* A missing libmagic database stops guichetd now, not an upload. */
	if (files_sniff_init(err, errlen) == -1)
		return (-1);
	/* And libvips, before any thread re-encodes a photo. */
	if (files_image_init(err, errlen) == -1)
		return (-1);
	metrics_add_source(files_scanner_metrics);
	return (0);
}

static const struct module_stmts files_stmt_table = { files_stmts,
    FS__COUNT };
static const struct module_stmts *const files_stmt_tables[] = {
	&files_stmt_table, NULL
};

static const struct privacy_hooks files_privacy = {
	.export = files_privacy_export,
	.erase = files_privacy_erase,
};

static const char *const files_tables[] = { "files.files", NULL };

const struct module files_module = {
	.name = "files",
	.init = files_init,
	.start = files_scanner_start,
	.stop = files_scanner_stop,
	.stmts = files_stmt_tables,
	.privacy = &files_privacy,
	.errors = files_errors,
	.nerrors = FILES_E__COUNT,
	.tables = files_tables,
	.openapi = "src/files/openapi.json",
};
