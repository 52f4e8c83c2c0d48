/*
 * test_modules.c: the module contract (core/module.h) holds in the code.
 *
 *  - every statement of every module reads or writes only its own tables,
 *    its own schema's functions, and what an earlier module of the list
 *    exports (ARCHITECTURE.md, "Modules");
 *  - every table has one owner;
 *  - a module's files include the headers of the layers below (base,
 *    json, db, auth, http, core), its own, and those of earlier modules;
 *    the layers below include no module's; only the two programs include
 *    src/app.
 * Each test lists every offender before it fails.
 */
#include <sys/types.h>

#include <check.h>
#include <dirent.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "core/module.h"
#include "db/db.h"
#include "unit.h"

static const char *const layers[] = { "base", "json", "db", "auth", "http",
    "core", NULL };

static const char *
srcdir(void)
{
	const char	*s = getenv("GUICHET_TEST_SRCDIR");

	return (s != NULL ? s : "../..");
}

static int
in_list(const char *const *l, const char *s, size_t n)
{
	for (; l != NULL && *l != NULL; l++)
		if (strlen(*l) == n && strncmp(*l, s, n) == 0)
			return (1);
	return (0);
}

/* The module index that owns table 's' (n bytes), or -1. */
static int
owner_of(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < module_count(); i++)
		if (in_list(module_at(i)->tables, s, n))
			return ((int)i);
	return (-1);
}

/* The schemas of module i's tables contain "schema" (n bytes). */
static int
own_schema(size_t i, const char *schema, size_t n)
{
	const char *const	*t;

	for (t = module_at(i)->tables; t != NULL && *t != NULL; t++)
		if (strncmp(*t, schema, n) == 0 && (*t)[n] == '.')
			return (1);
	return (0);
}

/* Schemas some module owns tables in. */
static int
known_schema(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < module_count(); i++)
		if (own_schema(i, s, n))
			return (1);
	return (0);
}

/* 1 when the reference [s, s+n) (schema.name) is allowed to module m. */
static int
reference_ok(size_t m, const char *s, size_t n)
{
	size_t		 i, dot = (size_t)(strchr(s, '.') - s);

	if (in_list(module_at(m)->tables, s, n))
		return (1);
	/* The module's own functions (and views): in its own schemas. */
	if (own_schema(m, s, dot) && owner_of(s, n) == -1)
		return (1);
	for (i = 0; i < m; i++)
		if (in_list(module_at(i)->exports, s, n))
			return (1);
	return (0);
}

START_TEST(test_statements_read_only_what_they_may)
{
	const struct module		*m;
	const struct module_stmts *const *t;
	regex_t				 re;
	regmatch_t			 rm[3];
	const char			*p;
	size_t				 i, j, n;
	int				 bad = 0;

	ck_assert(regcomp(&re, "([a-z_][a-z0-9_]*)\\.([a-z_][a-z0-9_]*)",
	    REG_EXTENDED) == 0);
	for (i = 0; i < module_count(); i++) {
		m = module_at(i);
		for (t = m->stmts; t != NULL && *t != NULL; t++)
			for (j = 0; j < (*t)->count; j++)
				for (p = (*t)->stmts[j].sql; regexec(&re, p, 3,
				    rm, 0) == 0; p += rm[0].rm_eo) {
					n = (size_t)(rm[2].rm_eo - rm[1].rm_so);
					if (!known_schema(p + rm[1].rm_so,
					    (size_t)(rm[1].rm_eo -
					    rm[1].rm_so)))
						continue;
					if (reference_ok(i, p + rm[1].rm_so, n))
						continue;
					fprintf(stderr, "module %s, statement "
					    "%s: %.*s is neither its own nor "
					    "exported by a module below it\n",
					    m->name, (*t)->stmts[j].name,
					    (int)n, p + rm[1].rm_so);
					bad++;
				}
	}
	regfree(&re);
	ck_assert_msg(bad == 0, "%d statements reach another module's "
	    "tables (see above)", bad);
}
END_TEST

START_TEST(test_tables_one_owner)
{
	const char *const	*t;
	size_t			 i, k;
	int			 bad = 0;

	for (i = 0; i < module_count(); i++)
		for (t = module_at(i)->tables; t != NULL && *t != NULL; t++)
			for (k = i + 1; k < module_count(); k++)
				if (in_list(module_at(k)->tables, *t,
				    strlen(*t))) {
					fprintf(stderr, "table %s is owned by "
					    "%s and %s\n", *t,
					    module_at(i)->name,
					    module_at(k)->name);
					bad++;
				}
	ck_assert_int_eq(bad, 0);
}
END_TEST

/* The folder of module i: its fragment's ("src/identity/openapi.json"). */
static int
module_folder(size_t i, char *out, size_t len)
{
	const char	*f = module_at(i)->openapi, *slash;

	if (f == NULL || strncmp(f, "src/", 4) != 0 ||
	    (slash = strchr(f + 4, '/')) == NULL)
		return (-1);
	snprintf(out, len, "%.*s", (int)(slash - f - 4), f + 4);
	return (0);
}

/* -2 for a layer below the modules, the module index, or -1. */
static int
folder_rank(const char *name, size_t n)
{
	char	 f[64];
	size_t	 i;

	if (in_list(layers, name, n))
		return (-2);
	for (i = 0; i < module_count(); i++)
		if (module_folder(i, f, sizeof(f)) == 0 && strlen(f) == n &&
		    strncmp(f, name, n) == 0)
			return ((int)i);
	return (-1);
}

/* The offending includes of one file of folder 'dir' (rank 'rank'). */
static int
check_file(const char *path, const char *dir, int rank)
{
	FILE	*f;
	char	 line[512], *q, *slash;
	int	 bad = 0, r;

	if ((f = fopen(path, "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "#include \"", 10) != 0)
			continue;
		q = line + 10;
		if ((slash = strchr(q, '/')) == NULL)
			continue;
		if ((size_t)(slash - q) == strlen(dir) &&
		    strncmp(q, dir, strlen(dir)) == 0)
			continue;
		r = folder_rank(q, (size_t)(slash - q));
		if (r == -2 || (rank >= 0 && r >= 0 && r < rank))
			continue;
		fprintf(stderr, "%s includes %.*s: %s\n", path,
		    (int)(strchr(slash, '"') != NULL ? strchr(slash, '"') - q :
		    slash - q), q, r == -1 ? "not a layer below it" :
		    "a module above it (reach it through a hook)");
		bad++;
	}
	fclose(f);
	return (bad);
}

START_TEST(test_includes_point_down)
{
	char		 path[4096], dir[4096];
	DIR		*d;
	struct dirent	*e;
	const char	*const *l;
	size_t		 i, n;
	int		 bad = 0, rank;
	char		 f[64];
	const char	*folders[64];

	n = 0;
	for (l = layers; *l != NULL; l++)
		folders[n++] = *l;
	for (i = 0; i < module_count() && n < 63; i++)
		if (module_folder(i, f, sizeof(f)) == 0)
			folders[n++] = strdup(f);
	for (i = 0; i < n; i++) {
		rank = folder_rank(folders[i], strlen(folders[i]));
		snprintf(dir, sizeof(dir), "%s/src/%s", srcdir(), folders[i]);
		ck_assert_msg((d = opendir(dir)) != NULL, "no %s", dir);
		while ((e = readdir(d)) != NULL) {
			size_t	 len = strlen(e->d_name);

			if (len < 3 || (strcmp(e->d_name + len - 2, ".c") != 0 &&
			    strcmp(e->d_name + len - 2, ".h") != 0))
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
				continue;
			/* A layer below the modules includes no module. */
			bad += check_file(path, folders[i], rank == -2 ?
			    -1 : rank);
		}
		closedir(d);
	}
	for (i = (size_t)(l - layers); i < n; i++)
		free((char *)(uintptr_t)folders[i]);
	ck_assert_msg(bad == 0, "%d includes point up or sideways (see "
	    "above)", bad);
}
END_TEST

static void
prepare(void)
{
	app_routes_install();
}

static const TTest *const *const tests[] = {
	&test_statements_read_only_what_they_may,
	&test_tables_one_owner,
	&test_includes_point_down,
	NULL
};

const struct test_group test_groups[] = {
	{ "contract", TEST_TIMEOUT_CHECK, NULL, NULL, prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
