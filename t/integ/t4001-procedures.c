/*
 * t4001-procedures: the catalogue of procedures (src/procedures) against
 * a real guichetd and PostgreSQL, on the demo town:
 *  - the demo's procedures load (guichetctl demo) and are valid;
 *  - guichetctl procedures export prints what import reads back to
 *    nothing new; a changed definition makes a new version and the old
 *    one stays; an invalid file imports nothing;
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idlib.h"

/* guichetctl on the test's database; the exit status, *out its stdout. */
static int
ctl(const struct idenv *e, char **out, char **err, ...)
{
	const char	*args[16];
	va_list		 ap;
	int		 n = 0;

	va_start(ap, err);
	while (n < 15 && (args[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	return (idl_ctl(e->db, 1, args, out, err));
}

/* Write 'text' to a new file of the scratch directory: its path. */
static char *
scratch(const char *name, const char *text)
{
	char	*path = harness_printf("%s/%d-%s", harness_tmpdir(),
		    (int)getpid(), name);

	ck_assert_int_eq(harness_write_file(path, text), 0);
	return (path);
}

/* The demo's procedures are there, made by the demo, each valid. */
START_TEST(test_demo_procedures_load)
{
	struct idenv	 e;
	char		*out = NULL, *err = NULL;

	idl_start_new(&e, NULL);
	ck_assert_int_ge(idl_sql_count(&e, "SELECT count(*) FROM "
	    "procedures.procedures"), 1);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "procedures.versions WHERE source <> 'demo'"), 0);
	/* A second demo changes nothing. */
	ck_assert_int_eq(ctl(&e, &out, &err, "demo", NULL), 0);
	ck_assert_msg(strstr(out, " 0 created, 0 changed") != NULL,
	    "a second demo: %s", out);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "procedures.versions WHERE version > 1"), 0);
	free(out);
	free(err);
	idl_stop(&e);
}
END_TEST

/* Export, import back: unchanged; a change: a new version, the old kept. */
START_TEST(test_ctl_export_import_versions)
{
	struct idenv	 e;
	char		*out = NULL, *err = NULL, *path, *changed;
	json_t		*def;

	idl_start_new(&e, NULL);
	ck_assert_int_eq(ctl(&e, &out, &err, "procedures", "export",
	    "stationnement_resident", NULL), 0);
	path = scratch("resident.json", out);
	def = json_loads(out, 0, NULL);
	ck_assert_msg(json_is_object(def), "export: %s", out);
	free(out);
	free(err);
	ck_assert_int_eq(ctl(&e, &out, &err, "procedures", "import", path,
	    NULL), 0);
	ck_assert_msg(strstr(out, "stationnement_resident: version 1 "
	    "(unchanged)") != NULL, "import of the export: %s", out);
	free(out);
	free(err);
	free(path);
	/* A longer deadline: version 2; version 1 stays as it was. */
	json_object_set_new(def, "deadline_days", json_integer(75));
	changed = json_dumps(def, 0);
	path = scratch("resident2.json", changed);
	ck_assert_int_eq(ctl(&e, &out, &err, "procedures", "import", path,
	    NULL), 0);
	ck_assert_msg(strstr(out, "version 2 (new version)") != NULL, "%s",
	    out);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT deadline_days FROM "
	    "procedures.versions WHERE code = 'stationnement_resident' AND "
	    "version = 1"), 60);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT deadline_days FROM "
	    "procedures.catalogue WHERE code = 'stationnement_resident' AND "
	    "current"), 75);
	free(out);
	free(err);
	/* The export of all is an array that holds the change. */
	ck_assert_int_eq(ctl(&e, &out, &err, "procedures", "export", NULL), 0);
	ck_assert_msg(out[0] == '[' && strstr(out, "\"deadline_days\": 75") !=
	    NULL, "%s", out);
	free(out);
	free(err);
	free(path);
	free(changed);
	json_decref(def);
	idl_stop(&e);
}
END_TEST

/* One invalid definition in a file: nothing of the file is imported. */
START_TEST(test_ctl_import_invalid)
{
	struct idenv	 e;
	char		*out = NULL, *err = NULL, *path, *text;
	json_t		*def, *bad, *all;

	idl_start_new(&e, NULL);
	ck_assert_int_eq(ctl(&e, &out, &err, "procedures", "export",
	    "stationnement_resident", NULL), 0);
	def = json_loads(out, 0, NULL);
	free(out);
	free(err);
	json_object_set_new(def, "code", json_string("nouvelle"));
	bad = json_deep_copy(def);
	json_object_set_new(bad, "code", json_string("autre"));
	json_object_set_new(bad, "department", json_string("piscine"));
	json_object_set_new(bad, "theme", json_string("N1"));
	all = json_pack("[O, o]", def, bad);
	text = json_dumps(all, 0);
	path = scratch("invalid.json", text);
	ck_assert_int_ne(ctl(&e, &out, &err, "procedures", "import", path,
	    NULL), 0);
	ck_assert_msg(strstr(err, "/department: unknown") != NULL &&
	    strstr(err, "/theme: unknown") != NULL &&
	    strstr(err, "nothing imported") != NULL, "%s", err);
	ck_assert_int_eq(idl_sql_count(&e, "SELECT count(*) FROM "
	    "procedures.procedures WHERE code IN ('nouvelle', 'autre')"), 0);
	free(out);
	free(err);
	free(path);
	free(text);
	json_decref(all);
	json_decref(def);
	idl_stop(&e);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_demo_procedures_load,
	&test_ctl_export_import_versions,
	&test_ctl_import_invalid,
	NULL
};

const struct test_group test_groups[] = {
	{ "procedures", HARNESS_TIMEOUT, NULL, NULL, idl_prepare, NULL,
	    tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
