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
 * drop with them).  An anonymous report whose follow-up address was the
 * person's account's when it was filed (contact_person_id, sql/039) has
 * its address erased with the person's (the identity module erased the
 * account's address before this hook runs): the address is theirs,
 * whoever typed it.  The report itself is in their export only once the
 * address was confirmed (its link used): an address typed by someone
 * else must not put that someone's report in the person's export.
 *
 * Retention: a year after its resolution or closure a report is cut from
 * its people the same way (reporter, follow-up address, supporters): the
 * rule incident_reports of privacy.retention_rules, whose purge function
 * is incidents.retention_anonymise() (sql/023_incidents.sql).  Then the
 * purge hook erases the originals of the photos of every anonymised
 * report (files_erase(): the bytes, with their EXIF, gone), whoever sent
 * them: an anonymous reporter's have no uploader for an erasure to find.
 * The public copies and thumbnails, re-encoded without metadata, stay
 * with the report on the map, as after an erasure (sql/030).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/clock.h"
#include "core/module.h"
#include "base/log.h"
#include "db/db.h"
#include "files/files.h"
#include "incidents/incidents_int.h"

#define TS(x) DB_TIME_SQL(x)

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
	"WHERE r.reporter_id = $1 OR (r.contact_person_id = $1 AND " \
	"r.contact_verified_at IS NOT NULL)), '[]'), " \
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
	IP_ORIGINALS,
	IP_ORIGINAL_ERASED,
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
	  " WHERE reporter_id = $1 OR contact_person_id = $1 RETURNING id) "
	  "SELECT count(*) AS records "
	  "FROM u", .nparams = 2 },
	/* the originals of anonymised reports still kept, a batch */
	[IP_ORIGINALS] = { .name = "incidents_select_privacy_originals",
	  .sql = "SELECT p.id, p.original_file FROM incidents.photos p JOIN "
	  "incidents.reports r ON r.id = p.report_id WHERE "
	  "p.original_erased_at IS NULL AND r.anonymised_at IS NOT NULL "
	  "ORDER BY p.id LIMIT $1 FOR UPDATE OF p SKIP LOCKED", .nparams = 1 },
	[IP_ORIGINAL_ERASED] = { .name = "incidents_update_privacy_original",
	  .sql = "UPDATE incidents.photos SET original_erased_at = $2 WHERE "
	  "id = $1", .nparams = 2 },
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

#define ORIGINALS_BATCH	100

struct originals_tx {
	const char	*now;
	long		 erased;
	int		 more;
};

/* One batch of originals of anonymised reports: their bytes erased. */
static int
originals_tx(struct db *db, void *arg, struct db_error *err)
{
	struct originals_tx	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[2];
	char			 lim[16];
	int			 i, k, rc = -1;

	t->erased = 0;
	snprintf(lim, sizeof(lim), "%d", ORIGINALS_BATCH);
	p[0] = lim;
	if (db_exec(db, IP(IP_ORIGINALS), p, &res, err) == -1)
		return (-1);
	for (i = 0; i < db_res_rows(res); i++) {
		if ((k = files_erase(db, db_str(res, i, "original_file"),
		    t->now, err)) == -1)
			goto out;
		if (k == 0)
			t->erased++;
		p[0] = db_str(res, i, "id");
		p[1] = t->now;
		if (db_exec(db, IP(IP_ORIGINAL_ERASED), p, NULL, err) == -1)
			goto out;
	}
	t->more = db_res_rows(res) == ORIGINALS_BATCH;
	rc = 0;
out:
	db_res_free(res);
	return (rc);
}

/* After the rules: the originals of the reports they anonymised. */
static int
incidents_purge(struct db *db, int64_t now, json_t *report)
{
	struct originals_tx	 t;
	struct db_error		 err;
	char			 at[40];
	long			 total = 0;
	int			 b, failed = 0;

	clock_format(now, at, sizeof(at));
	for (b = 0; b < 1000; b++) {
		memset(&t, 0, sizeof(t));
		t.now = at;
		if (db_tx(db, originals_tx, &t, &err) == -1) {
			log_warnx("incidents: originals of anonymised reports: "
			    "failed (sqlstate %s)", err.sqlstate);
			failed = 1;
			break;
		}
		total += t.erased;
		if (!t.more)
			break;
	}
	log_info("incidents: %ld original photo%s of anonymised reports "
	    "erased", total, total == 1 ? "" : "s");
	json_array_append_new(report, json_pack("{s:s, s:I, s:s}", "rule",
	    "incident_photo_originals", "count", (json_int_t)total, "status",
	    failed ? "failed" : "ok"));
	return (failed ? -1 : 0);
}

const struct module_stmts incidents_privacy_stmt_table = { .stmts = ip_stmts,
    .count = IP__COUNT };

const struct privacy_hooks incidents_privacy_hooks = {
	.export = incidents_export,
	.erase = incidents_erase,
	.purge = incidents_purge,
};
