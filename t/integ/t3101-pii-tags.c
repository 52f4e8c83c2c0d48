/*
 * t3101-pii-tags: the map of personal data stays complete as the schema
 * grows.  After `guichetd --migrate`:
 *  - every text-like column (text, varchar, char, citext, json, jsonb,
 *    inet, cidr, macaddr, bytea, xml, name, arrays and domains of them) of
 *    every table, view and foreign table outside the system schemas
 *    (and not an extension's own, such as PostGIS's spatial_ref_sys)
 *    carries a comment starting with 'pii:<category>' or 'nopii';
 *  - every 'pii:<category>' tag, on any column, names a row of
 *    privacy.categories;
 *  - every category has an erasure strategy, a retention period and the
 *    record it runs from.
 * Each check names every offender as schema.table.column.  A last test
 * plants offenders in a scratch database and makes sure the checks name
 * them, so that a check that silently matches nothing cannot pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* The migrated database the read-only tests share. */
static char	*migrated;

/*
 * Every user column with its tag, its resolved type (through a domain,
 * then through an array to its element and that element's domain) and
 * whether that type holds text.
 */
#define COLUMNS_CTE \
	"WITH cols AS (SELECT n.nspname || '.' || c.relname || '.' || " \
	"a.attname AS col, col_description(c.oid, a.attnum) AS tag, " \
	"format_type(a.atttypid, a.atttypmod) AS typ, " \
	"coalesce(eb.typname, e.typname, b.typname) IN ('text', 'varchar', " \
	"'bpchar', 'citext', 'json', 'jsonb', 'inet', 'cidr', 'macaddr', " \
	"'macaddr8', 'bytea', 'xml', 'name') AS texty " \
	"FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid " \
	"JOIN pg_namespace n ON n.oid = c.relnamespace " \
	"JOIN pg_type t0 ON t0.oid = a.atttypid " \
	"JOIN pg_type b ON b.oid = CASE t0.typtype WHEN 'd' " \
	"THEN t0.typbasetype ELSE t0.oid END " \
	"LEFT JOIN pg_type e ON b.typcategory = 'A' AND e.oid = b.typelem " \
	"LEFT JOIN pg_type eb ON e.typtype = 'd' AND eb.oid = e.typbasetype " \
	"WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 " \
	"AND NOT a.attisdropped AND n.nspname NOT IN ('pg_catalog', " \
	"'information_schema') AND n.nspname NOT LIKE 'pg\\_%' " \
	"AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = " \
	"'pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')) "

/* A tag: the whole comment, or its start followed by a separator. */
#define TAG_RE	"'^(nopii|pii:[a-z][a-z0-9_]*)([:;,( ].*)?$'"

static const char untagged_sql[] = COLUMNS_CTE
    "SELECT string_agg(col || ' (' || typ || ', comment ' || "
    "coalesce(quote_literal(tag), 'none') || ')', ', ' ORDER BY col) "
    "FROM cols WHERE texty AND coalesce(tag, '') !~ " TAG_RE;

static const char unknown_sql[] = COLUMNS_CTE
    "SELECT string_agg(col || ' (' || tag || ')', ', ' ORDER BY col) "
    "FROM cols WHERE tag ~ '^pii:' AND NOT EXISTS (SELECT 1 FROM "
    "privacy.categories k WHERE k.code = substring(tag FROM "
    "'^pii:([a-z][a-z0-9_]*)'))";

static const char incomplete_sql[] =
    "SELECT string_agg(code || ' (erasure ' || coalesce(erasure, 'none') "
    "|| ', retention ' || coalesce(retention::text, 'none') || ' from ' || "
    "coalesce(retention_from, 'none') || ')', ', ' ORDER BY code) "
    "FROM privacy.categories WHERE erasure IS NULL OR erasure NOT IN "
    "('delete', 'nullify', 'rewrite', 'salted_hash', 'keep_restricted') "
    "OR retention IS NULL OR retention < interval '0' "
    "OR retention_from IS NULL OR NOT EXISTS (SELECT 1 FROM "
    "privacy.retention_events e WHERE e.code = retention_from) "
    "OR coalesce(description_fr, '') = '' OR coalesce(description_en, '') "
    "= '' OR coalesce(description_it, '') = ''";

/*
 * A fresh database with every migration applied by guichetd --migrate, or
 * NULL with the reason on stderr (prepare() runs it outside any test).
 */
static char *
migrated_db(void)
{
	char	*db, *err = NULL;
	int	 rc;

	db = harness_db_create();
	if ((rc = harness_migrate(db, NULL, &err)) != 0) {
		fprintf(stderr, "guichetd --migrate exited %d:\n%s\n", rc,
		    err != NULL ? err : "");
		harness_db_drop(db);
		free(db);
		db = NULL;
	}
	free(err);
	return (db);
}

/* The check 'sql' finds nothing in the migrated schema. */
static void
none_found(const char *sql, const char *what)
{
	char	*bad;

	bad = harness_sql(migrated, sql);
	ck_assert_msg(bad == NULL, "%s: %s", what, bad);
}

START_TEST(test_text_columns_tagged)
{
	long	 n;

	/* The check is not vacuous: it sees the columns we know of. */
	n = harness_sql_count(migrated, COLUMNS_CTE "SELECT count(*) FROM cols "
	    "WHERE texty AND col IN ('identity.accounts.email', 'ops.outbox.payload', "
	    "'identity.refresh_tokens.token_hash', 'ops.town.languages', "
	    "'privacy.consent_ledger.action', "
	    "'privacy.newsletter_recipients.email')");
	ck_assert_msg(n == 6, "the column query sees %ld of 6 known text "
	    "columns", n);
	none_found(untagged_sql, "text-like columns without a 'pii:<category>' "
	    "or 'nopii' comment");
}
END_TEST

START_TEST(test_tags_name_known_categories)
{
	long	 n;

	n = harness_sql_count(migrated, COLUMNS_CTE "SELECT count(*) FROM cols "
	    "WHERE tag ~ '^pii:'");
	ck_assert_msg(n >= 10, "only %ld columns tagged pii: the query is "
	    "wrong", n);
	none_found(unknown_sql, "pii: tags naming no row of privacy.categories");
}
END_TEST

START_TEST(test_categories_have_rules)
{
	ck_assert_msg(harness_sql_count(migrated, "SELECT count(*) FROM "
	    "privacy.categories") >= 8, "privacy.categories is nearly empty");
	none_found(incomplete_sql, "categories without an erasure strategy, a "
	    "retention period or its starting record");
}
END_TEST

/* The categories the issue names are there. */
START_TEST(test_issue_categories_present)
{
	static const char *const want[] = { "identity", "contact", "address",
	    "profile", "credential", "free_text", "location", "network", NULL };
	char	*sql;
	int	 i;

	for (i = 0; want[i] != NULL; i++) {
		sql = harness_printf("SELECT count(*) FROM privacy.categories "
		    "WHERE code = '%s'", want[i]);
		ck_assert_msg(harness_sql_count(migrated, sql) == 1,
		    "no category %s", want[i]);
		free(sql);
	}
}
END_TEST

static void
assert_names(const char *what, const char *list, const char *name)
{
	ck_assert_msg(list != NULL && strstr(list, name) != NULL,
	    "the %s check does not name %s: %s", what, name,
	    list != NULL ? list : "(nothing)");
}

START_TEST(test_checks_name_planted_offenders)
{
	static const char *const untagged[] = { "cases.t3101_probe.note ",
	    "cases.t3101_probe.payload ", "cases.t3101_probe.ip ",
	    "cases.t3101_probe.tags ", "cases.t3101_probe.code ",
	    "cases.t3101_probe.almost ", "cases.t3101_probe.domained ",
	    "cases.t3101_probe.blob ", "public.t3101_stray.v ", NULL };
	char	*db, *bad;
	int	 i;

	db = migrated_db();
	ck_assert_msg(db != NULL, "the scratch database could not be migrated");
	ck_assert(harness_sql_exec(db,
	    "CREATE DOMAIN cases.t3101_short AS varchar(8);"
	    "CREATE TABLE cases.t3101_probe (id integer, note text, "
	    "payload jsonb, ip inet, tags text[], code char(4), ok text, "
	    "also_ok text, almost text, domained cases.t3101_short, "
	    "blob bytea, shoe text, born date);"
	    "COMMENT ON COLUMN cases.t3101_probe.ok IS 'nopii';"
	    "COMMENT ON COLUMN cases.t3101_probe.also_ok IS "
	    "'pii:contact: the tag may go on';"
	    "COMMENT ON COLUMN cases.t3101_probe.almost IS 'nopiix';"
	    "COMMENT ON COLUMN cases.t3101_probe.shoe IS 'pii:shoe_size';"
	    "COMMENT ON COLUMN cases.t3101_probe.born IS 'pii:birth';"
	    "CREATE TABLE public.t3101_stray (v varchar(10));"
	    "ALTER TABLE privacy.categories ALTER COLUMN retention "
	    "DROP NOT NULL;"
	    "INSERT INTO privacy.categories (code, erasure, retention, "
	    "retention_from, description_fr, description_en, description_it) "
	    "VALUES ('t_probe', 'nullify', NULL, 'collected', 'x', 'x', 'x')")
	    == 0);
	bad = harness_sql(db, untagged_sql);
	for (i = 0; untagged[i] != NULL; i++)
		assert_names("untagged", bad, untagged[i]);
	ck_assert_msg(strstr(bad, "t3101_probe.ok ") == NULL &&
	    strstr(bad, "t3101_probe.also_ok") == NULL &&
	    strstr(bad, "t3101_probe.id ") == NULL &&
	    strstr(bad, "t3101_probe.shoe") == NULL, "the untagged check "
	    "names a tagged or non-text column: %s", bad);
	free(bad);
	bad = harness_sql(db, unknown_sql);
	assert_names("unknown category", bad,
	    "cases.t3101_probe.shoe (pii:shoe_size)");
	assert_names("unknown category", bad,
	    "cases.t3101_probe.born (pii:birth)");
	ck_assert_msg(strstr(bad, "also_ok") == NULL, "a known category "
	    "reported: %s", bad);
	free(bad);
	bad = harness_sql(db, incomplete_sql);
	assert_names("incomplete category", bad, "t_probe (");
	ck_assert_msg(strstr(bad, "contact") == NULL, "a complete category "
	    "reported: %s", bad);
	free(bad);
	harness_db_drop(db);
	free(db);
}
END_TEST

static const TTest *const *const tests[] = {
	&test_text_columns_tagged,
	&test_tags_name_known_categories,
	&test_categories_have_rules,
	&test_issue_categories_present,
	&test_checks_name_planted_offenders,
	NULL
};

/* Once, in the runner: the migrated database the read-only tests share. */
static void
prepare(void)
{
	harness_prepare();
	if ((migrated = migrated_db()) == NULL)
		exit(99);
}

const struct test_group test_groups[] = {
	{ "pii-tags", HARNESS_TIMEOUT, NULL, NULL, prepare, NULL, tests },
	{ NULL, 0, NULL, NULL, NULL, NULL, NULL }
};
