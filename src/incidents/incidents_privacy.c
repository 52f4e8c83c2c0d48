/*
 * incidents_privacy.c: the incidents module's privacy hooks
 * (core/module.h).
 *
 * Export (Art. 15, 20): the person's reports (category, description,
 * position, states, dates, its photos as links) and the reports they
 * support.  The photos' bytes are the files module's section.
 *
 * Erasure (Art. 17): the reports stay on the public map, anonymised: the
 * reporter link goes, and the description too when an agent flagged
 * personal data in it ('[effacé]'); the person's supports go (the counts
 * drop with them).
 *
 * Retention: a year after its resolution or closure a report is cut from
 * its people the same way (reporter, follow-up address, supporters): the
 * rule incident_reports of privacy.retention_rules, whose purge function
 * is incidents.retention_anonymise() (sql/023_incidents.sql).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/clock.h"
#include "core/module.h"
#include "db/db.h"
#include "incidents/incidents_int.h"

#define TS(x) \
	"to_char(" x " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

#define SECTION \
	"json_build_object('reports', coalesce((SELECT json_agg(" \
	"json_build_object('id', r.id, 'category', r.category, " \
	"'description', r.description, 'address', r.address, " \
	"'lon', ST_X(r.position::geometry), 'lat', ST_Y(r.position::geometry), " \
	"'attributes', r.attributes, 'status', r.status, " \
	"'created_at', " TS("r.created_at") ", " \
	"'updated_at', " TS("r.updated_at") ", 'photos', coalesce((SELECT " \
	"json_agg('/api/v1/incidents/' || r.id || '/photos/' || p.id " \
	"ORDER BY p.created_at, p.id) FROM incidents.photos p WHERE " \
	"p.report_id = r.id), '[]')) " \
	"ORDER BY r.created_at, r.id) FROM incidents.reports r " \
	"WHERE r.reporter_id = $1), '[]'), " \
	"'supports', coalesce((SELECT json_agg(json_build_object(" \
	"'report_id', s.report_id, 'at', " TS("s.at") ") ORDER BY s.at, " \
	"s.report_id) FROM incidents.supporters s WHERE s.account_id = $1), " \
	"'[]'))::text"

/* What anonymising a report does (the erasure's and the retention's). */
#define ANONYMISE \
	"reporter_id = NULL, contact_email = NULL, contact_token = NULL, " \
	"contact_verified_at = NULL, contact_locale = NULL, description = " \
	"CASE WHEN personal_data_flagged THEN '[effacé]' ELSE description " \
	"END, anonymised_at = $2"

enum ip_stmt {
	IP_EXPORT,
	IP_ERASE_SUPPORTS,
	IP_ERASE_REPORTS,
	IP__COUNT
};

static struct db_stmt ip_stmts[IP__COUNT] = {
	[IP_EXPORT] = { .name = "incidents_select_privacy_export",
	  .sql = "SELECT " SECTION " AS section", .nparams = 1 },
	[IP_ERASE_SUPPORTS] = { .name = "incidents_delete_privacy_supports",
	  .sql = "WITH d AS (DELETE FROM incidents.supporters WHERE "
	  "account_id = $1 RETURNING report_id), u AS (UPDATE "
	  "incidents.reports r SET supporters = r.supporters - 1 FROM d "
	  "WHERE r.id = d.report_id RETURNING r.id) SELECT count(*) AS "
	  "records FROM u", .nparams = 1 },
	[IP_ERASE_REPORTS] = { .name = "incidents_update_privacy_reports",
	  .sql = "WITH u AS (UPDATE incidents.reports SET " ANONYMISE
	  " WHERE reporter_id = $1 RETURNING id) SELECT count(*) AS records "
	  "FROM u", .nparams = 2 },
};

#define IP(x)	(&ip_stmts[(x)])

static int
incidents_export(struct db *db, const char *account, struct buf *out,
    struct privacy_portable *portable, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { account };

	if (db_exec(db, IP(IP_EXPORT), p, &res, err) == -1)
		return (-1);
	privacy_section_add(res, out, NULL);
	if (portable != NULL)
		buf_adds(portable->out, "{}");
	db_res_free(res);
	return (0);
}

static long
count_exec(struct db *db, enum ip_stmt st, const char *const *p,
    struct db_error *err)
{
	struct db_res	*res = NULL;
	long		 n;

	if (db_exec(db, IP(st), p, &res, err) == -1)
		return (-1);
	n = (long)db_int64(res, 0, "records");
	db_res_free(res);
	return (n);
}

static int
incidents_erase(struct db *db, const char *account, const char *salt,
    json_t *erased, json_t *retained, struct db_error *err)
{
	const char	*p[2] = { account, NULL };
	char		 now[40];
	long		 sup, rep;

	(void)salt;
	(void)retained;
	clock_format(clock_now(), now, sizeof(now));
	p[1] = now;
	if ((sup = count_exec(db, IP_ERASE_SUPPORTS, p, err)) == -1 ||
	    (rep = count_exec(db, IP_ERASE_REPORTS, p, err)) == -1)
		return (-1);
	privacy_erased_add(erased, "incidents", "incident_report", sup,
	    "delete");
	privacy_erased_add(erased, "incidents", "incident_report", rep,
	    "nullify");
	return (0);
}

const struct module_stmts incidents_privacy_stmt_table = { .stmts = ip_stmts,
    .count = IP__COUNT };

const struct privacy_hooks incidents_privacy_hooks = {
	.export = incidents_export,
	.erase = incidents_erase,
};
