/*
 * procedures_ctl.c: guichetctl procedures (import, export, list, retire,
 * restore) and the demo's procedures, which `guichetctl demo` imports
 * from the JSON files of sql/demo/procedures through the same import.
 *
 * A file holds one definition (definition.c: the API's body) or an array
 * of them; export prints the same format, so that an export imports back
 * to nothing new.  An import checks every definition of the file first
 * and saves none when one is invalid; then each is saved
 * (procedures_save(): a new procedure, a new version when something
 * changed, nothing otherwise).
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/conf.h"
#include "base/xmalloc.h"
#include "core/module.h"
#include "json/check.h"
#include "procedures/procedures_int.h"

#define FILE_MAX	(8 * 1024 * 1024)
#define DEPTH_MAX	32

/* The JSON value of file 'path' (strict), or NULL with a message. */
static json_t *
read_json(const char *path)
{
	char	 why[600];
	json_t	*j;

	if ((j = json_read_file(path, FILE_MAX, DEPTH_MAX, why,
	    sizeof(why))) == NULL)
		fprintf(stderr, "guichetctl: %s\n", why);
	return (j);
}

static void
print_errors(const char *path, size_t i, const json_t *def,
    const json_t *errors, size_t n)
{
	const json_t	*e;
	size_t		 k;

	json_array_foreach(errors, k, e)
		fprintf(stderr, "guichetctl: %s: procedure %zu (%s): %s: %s: "
		    "%s\n", path, i, json_str(def, "code") != NULL ?
		    json_str(def, "code") : "no code", json_str(e, "field"),
		    json_str(e, "code"), json_str(e, "message"));
	if (n > json_array_size(errors))
		fprintf(stderr, "guichetctl: %s: procedure %zu: %zu more "
		    "problems\n", path, i, n - json_array_size(errors));
}

/*
 * Import the definitions of file 'path' (made by 'source'): 0, or -1
 * with the problems printed.  *created, *changed and *same count them.
 */
static int
import_file(struct db *db, const char *path, const char *source, int quiet,
    int *created, int *changed, int *same)
{
	static const char *const said[] = { [SAVE_CREATED] = "created",
	    [SAVE_NEW_VERSION] = "new version", [SAVE_UNCHANGED] =
	    "unchanged" };
	struct save_result	 r;
	struct db_error		 err;
	json_t			*j, *all, *errors, *def;
	size_t			 i, n;
	int			 rc = -1, bad = 0;

	if ((j = read_json(path)) == NULL)
		return (-1);
	if (json_is_array(j))
		all = json_incref(j);
	else {
		all = json_array();
		json_array_append(all, j);
	}
	/* Every definition checked before any is saved. */
	json_array_foreach(all, i, def) {
		errors = json_array();
		n = definition_check(db, def, LANG_EN, errors, &err);
		if (n == (size_t)-1) {
			fprintf(stderr, "guichetctl: the database is "
			    "unavailable\n");
			json_decref(errors);
			goto out;
		}
		if (n > 0) {
			print_errors(path, i, def, errors, n);
			bad++;
		}
		json_decref(errors);
	}
	if (bad > 0) {
		fprintf(stderr, "guichetctl: %s: nothing imported\n", path);
		goto out;
	}
	json_array_foreach(all, i, def) {
		if (procedures_save(db, def, SAVE_ANY, source, LANG_EN,
		    clock_now(), &r, &err) == -1) {
			fprintf(stderr, "guichetctl: %s: procedure %zu: the "
			    "database refused it (sqlstate %s)\n", path, i,
			    err.sqlstate[0] != '\0' ? err.sqlstate : "none");
			json_decref(r.errors);
			goto out;
		}
		if (r.outcome == SAVE_INVALID) {
			/* Changed in between (a department removed). */
			print_errors(path, i, def, r.errors, r.nerrors);
			json_decref(r.errors);
			goto out;
		}
		json_decref(r.errors);
		*created += r.outcome == SAVE_CREATED;
		*changed += r.outcome == SAVE_NEW_VERSION;
		*same += r.outcome == SAVE_UNCHANGED;
		if (!quiet)
			printf("%s: version %d (%s)\n", json_str(def, "code"),
			    r.version, said[r.outcome]);
	}
	rc = 0;
out:
	json_decref(all);
	json_decref(j);
	return (rc);
}

/* Every procedure's code, in order; NULL with a message. */
static json_t *
all_codes(struct db *db)
{
	struct db_res	*res = NULL;
	struct db_error	 err;
	const char	*p[2] = { NULL, "100" };
	char		*last = NULL;
	json_t		*codes = json_array();
	int		 i, n;

	do {
		p[0] = last;
		if (db_exec(db, PROC_STMT(PS_ADMIN_LIST), p, &res, &err) ==
		    -1) {
			fprintf(stderr, "guichetctl: the database is "
			    "unavailable\n");
			free(last);
			json_decref(codes);
			return (NULL);
		}
		n = db_res_rows(res);
		for (i = 0; i < n; i++)
			json_array_append_new(codes, json_string(db_str(res, i,
			    "code")));
		free(last);
		last = n > 0 ? xstrdup(db_str(res, n - 1, "code")) : NULL;
		db_res_free(res);
	} while (n == 100);
	free(last);
	return (codes);
}

/* The definition of 'code' (the current version), or NULL. */
static json_t *
export_one(struct db *db, const char *code)
{
	struct procedure	*p;
	struct db_error		 err;
	json_t			*d;
	int			 rc;

	if ((rc = procedures_get(db, code, 0, &p, &err)) != 0) {
		fprintf(stderr, "guichetctl: %s\n", rc == 1 ?
		    "no procedure has this code" :
		    "the database is unavailable");
		return (NULL);
	}
	d = definition_of(p);
	procedure_free(p);
	return (d);
}

static int
ctl_export(struct ctl_ctx *ctl)
{
	json_t	*out, *codes, *d, *c;
	size_t	 i;

	if (ctl->argc >= 2)
		out = export_one(ctl->db, ctl->argv[1]);
	else if ((codes = all_codes(ctl->db)) == NULL)
		out = NULL;
	else {
		out = json_array();
		json_array_foreach(codes, i, c) {
			if ((d = export_one(ctl->db, json_string_value(c))) ==
			    NULL) {
				json_decref(out);
				out = NULL;
				break;
			}
			json_array_append_new(out, d);
		}
		json_decref(codes);
	}
	if (out == NULL)
		return (-1);
	json_dumpf(out, stdout, JSON_INDENT(2));
	printf("\n");
	json_decref(out);
	return (0);
}

static int
ctl_list(struct ctl_ctx *ctl)
{
	struct db_res	*res = NULL;
	struct db_error	 err;
	const char	*p[2] = { NULL, "100000" };
	int		 i;

	if (db_exec(ctl->db, PROC_STMT(PS_ADMIN_LIST), p, &res, &err) == -1) {
		fprintf(stderr, "guichetctl: the database is unavailable\n");
		return (-1);
	}
	for (i = 0; i < db_res_rows(res); i++)
		printf("%-32s v%-3lld %-8s %s\n", db_str(res, i, "code"),
		    (long long)db_int64(res, i, "version"),
		    db_bool(res, i, "active") ? "active" : "retired",
		    db_str(res, i, "title_fr"));
	db_res_free(res);
	return (0);
}

static int
ctl_set_active(struct ctl_ctx *ctl, int active)
{
	struct db_error	 err;
	int		 rc;

	rc = procedures_set_active(ctl->db, ctl->argv[1], active, clock_now(),
	    &err);
	if (rc != 0)
		fprintf(stderr, "guichetctl: %s\n", rc == 1 ?
		    "no procedure has this code" :
		    "the database is unavailable");
	else
		printf("%s: %s\n", ctl->argv[1], active ? "active" : "retired");
	return (rc == 0 ? 0 : -1);
}

int
procedures_ctl(struct ctl_ctx *ctl)
{
	const char	*cmd = ctl->argc >= 1 ? ctl->argv[0] : "";
	int		 a = 0, b = 0, c = 0;

	if (strcmp(cmd, "import") == 0 && ctl->argc == 2)
		return (import_file(ctl->db, ctl->argv[1], "ctl", 0, &a, &b,
		    &c));
	if (strcmp(cmd, "export") == 0 && ctl->argc <= 2)
		return (ctl_export(ctl));
	if (strcmp(cmd, "list") == 0 && ctl->argc == 1)
		return (ctl_list(ctl));
	if (strcmp(cmd, "retire") == 0 && ctl->argc == 2)
		return (ctl_set_active(ctl, 0));
	if (strcmp(cmd, "restore") == 0 && ctl->argc == 2)
		return (ctl_set_active(ctl, 1));
	fprintf(stderr, "usage: guichetctl procedures import FILE.json | "
	    "procedures export [CODE] | procedures list | "
	    "procedures retire CODE | procedures restore CODE\n");
	return (-1);
}

static int
by_name(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* guichetctl demo: every .json file of sql/demo/procedures, by name. */
int
procedures_demo(struct ctl_ctx *ctl)
{
	DIR		*d;
	struct dirent	*de;
	char		 dir[2048], path[4096], **names = NULL;
	size_t		 n = 0, i, len;
	int		 created = 0, changed = 0, same = 0, rc = 0;

	snprintf(dir, sizeof(dir), "%s/demo/procedures", ctl->conf->sql_dir);
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "guichetctl: %s: %s\n", dir, strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (rc == 0 && import_file(ctl->db, path, "demo", 1, &created,
		    &changed, &same) == -1)
			rc = -1;
		free(names[i]);
	}
	free(names);
	if (rc == 0)
		printf("demo procedures: %d created, %d changed, %d "
		    "unchanged\n", created, changed, same);
	return (rc);
}
