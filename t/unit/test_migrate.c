/*
 * test_migrate.c: migration file discovery, naming and ordering.
 * (Applying them against PostgreSQL is t/integ/t2001-migrate.)
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/migrate.h"
#include "unit.h"

static char	dir[512];

static void
put(const char *name, const char *text)
{
	char	 path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unit_write(path, text, 0644);
}

static void
setup(void)
{
	unit_mkdir(dir, sizeof(dir), "mig");
}

static void
teardown(void)
{
	unit_rmdir(dir);
}

START_TEST(test_migrate_names)
{
	int	 v = -1;

	ck_assert(migrate_name_ok("001_base.sql", &v));
	ck_assert_int_eq(v, 1);
	ck_assert(migrate_name_ok("120_identity_tokens2.sql", &v));
	ck_assert_int_eq(v, 120);
	ck_assert(!migrate_name_ok("000_zero.sql", &v));
	ck_assert(!migrate_name_ok("1_short.sql", &v));
	ck_assert(!migrate_name_ok("001-dash.sql", &v));
	ck_assert(!migrate_name_ok("001_Upper.sql", &v));
	ck_assert(!migrate_name_ok("001_.sql", &v));
	ck_assert(!migrate_name_ok("001_base.sql~", &v));
	ck_assert(!migrate_name_ok("001_base.txt", &v));
}
END_TEST

START_TEST(test_migrate_order_and_checksum)
{
	struct migration_set	 set;
	char			 msg[256];

	put("010_ten.sql", "SELECT 10;");
	put("002_two.sql", "SELECT 2;");
	put("001_one.sql", "SELECT 1;");
	put("README", "not a migration");
	ck_assert_int_eq(migrate_load(dir, &set, msg, sizeof(msg)), 0);
	ck_assert_int_eq(set.n, 3);
	ck_assert_int_eq(set.v[0].version, 1);
	ck_assert_int_eq(set.v[1].version, 2);
	ck_assert_int_eq(set.v[2].version, 10);
	ck_assert_int_eq(migrate_latest(&set), 10);
	ck_assert_str_eq(set.v[0].sql, "SELECT 1;");
	ck_assert_int_eq(strlen(set.v[0].checksum), 64);
	/* sha256("SELECT 1;") */
	ck_assert_str_eq(set.v[0].checksum,
	    "17db4fd369edb9244b9f91d9aeed145c3d04ad8ba6e95d06247f07a63527d11a");
	ck_assert_str_ne(set.v[0].checksum, set.v[1].checksum);
	migrate_set_free(&set);
}
END_TEST

START_TEST(test_migrate_checksum_changes_with_content)
{
	struct migration_set	 a, b;
	char			 msg[256], sum[65];

	put("001_one.sql", "SELECT 1;");
	ck_assert_int_eq(migrate_load(dir, &a, msg, sizeof(msg)), 0);
	memcpy(sum, a.v[0].checksum, sizeof(sum));
	put("001_one.sql", "SELECT 1; ");
	ck_assert_int_eq(migrate_load(dir, &b, msg, sizeof(msg)), 0);
	ck_assert_str_ne(sum, b.v[0].checksum);
	migrate_set_free(&a);
	migrate_set_free(&b);
}
END_TEST

/* Two files in the directory: the load is refused, naming 'why'. */
static void
load_refused(const char *a, const char *b, const char *why)
{
	struct migration_set	 set;
	char			 msg[256];

	put(a, "SELECT 1;");
	put(b, "SELECT 2;");
	ck_assert_int_eq(migrate_load(dir, &set, msg, sizeof(msg)), -1);
	ck_assert_msg(strstr(msg, why) != NULL, "\"%s\" not in \"%s\"", why,
	    msg);
}

START_TEST(test_migrate_duplicate_number)
{
	load_refused("003_a.sql", "003_b.sql", "same number");
}
END_TEST

START_TEST(test_migrate_misnamed_refused)
{
	load_refused("001_one.sql", "002-two.sql", "002-two.sql");
}
END_TEST

START_TEST(test_migrate_missing_dir)
{
	struct migration_set	 set;
	char			 msg[256];

	ck_assert_int_eq(migrate_load("/nonexistent/guichet/sql", &set, msg,
	    sizeof(msg)), -1);
	ck_assert_ptr_nonnull(strstr(msg, "/nonexistent/guichet/sql"));
}
END_TEST

START_TEST(test_migrate_tree_sql_is_valid)
{
	struct migration_set	 set;
	char			*path, msg[256];

	if ((path = unit_src("sql")) == NULL)
		return;
	ck_assert_int_eq(migrate_load(path, &set, msg, sizeof(msg)), 0);
	free(path);
	ck_assert_int_ge(set.n, 1);
	ck_assert_int_eq(set.v[0].version, 1);
	/* Migrations manage their own transaction through the migrator. */
	for (size_t i = 0; i < set.n; i++) {
		ck_assert_msg(strstr(set.v[i].sql, "\nBEGIN;") == NULL &&
		    strstr(set.v[i].sql, "\nCOMMIT;") == NULL,
		    "%s must not contain BEGIN/COMMIT", set.v[i].name);
	}
	migrate_set_free(&set);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_migrate_names,
	&test_migrate_order_and_checksum,
	&test_migrate_checksum_changes_with_content,
	&test_migrate_duplicate_number,
	&test_migrate_misnamed_refused,
	&test_migrate_missing_dir,
	&test_migrate_tree_sql_is_valid,
	NULL
};

const struct test_group test_groups[] = {
	{ "files", TEST_TIMEOUT_CHECK, setup, teardown, NULL, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
