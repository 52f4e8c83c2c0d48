/*
 * incidents_open311.h: what the Open311 GeoReport v2 server (src/open311)
 * needs of the incidents module beyond incidents.h: the categories with
 * their attribute definitions (the services and their definitions), the
 * reading of public reports that it selects from the exported view
 * incidents.public_reports with its own filters, the public history of the
 * reports (the servicerequestupdates extension), and a move of a report
 * by a partner application holding the open311 scope.
 *
 * Same rules as incidents.h: public views only (never the reporter, the
 * supporters, the internal notes); one transaction per change.
 */
#ifndef GUICHET_INCIDENTS_OPEN311_H
#define GUICHET_INCIDENTS_OPEN311_H

#include <jansson.h>

#include "base/lang.h"
#include "db/db.h"
#include "incidents/incidents.h"

/*
 * Every category in list order, o->made an array of {"code", "department",
 * "name" (in 'l'), "names" {"fr","en","it"}, "attributes" (as stored:
 * descriptions and value names in the three languages), "resolution_days",
 * "anonymous_allowed"}.
 */
void	 incidents_o311_categories(struct db *, enum lang,
	    struct incident_outcome *);

/*
 * A report as the public sees it (never who reported or supports it):
 * the text of its public columns, pointing into the result that holds
 * them, NULL for none; times as the API writes them ("" for none).
 */
struct incident_view {
	const char	*id;
	const char	*category;	/* the service code */
	const char	*category_name;	/* in the language asked */
	const char	*department;
	const char	*description;
	const char	*lon, *lat;	/* float8 text; NULL: no position */
	const char	*address;
	const char	*attributes;	/* JSON text of an object */
	const char	*status;	/* our state */
	const char	*close_reason;
	const char	*duplicate_of;
	const char	*status_note;
	const char	*supporters;	/* digits */
	const char	*photos;	/* photo ids, comma separated, oldest first */
	char		 created_at[DB_TIME_LEN];
	char		 updated_at[DB_TIME_LEN];
	char		 expected_at[DB_TIME_LEN];
	char		 finished_at[DB_TIME_LEN];
};
/* The length of the first photo id of 'photos' (0: none). */
size_t	 incidents_photo_first(const char *);

/*
 * The columns of incidents.public_reports (sql/033_incidents_public.sql,
 * exported) that incident_views_read() reads, for the statement of a
 * module above that selects reports from the view (alias r) with its own
 * filters and columns: INCIDENTS_VIEW_COLS, and the category's name in
 * the language of parameter 'l' (fr, en, it) as category_name,
 * INCIDENTS_VIEW_NAME(l).  Its column version (sql/035) changes with
 * every change of what these columns show: the key, with the versions
 * of the module's own rows, of a report it keeps rendered
 * (http/fragment.h).
 */
#define INCIDENTS_VIEW_COLS \
	"r.id, r.category, r.department, r.description, r.lon, r.lat, " \
	"r.address, r.attributes, r.status, r.close_reason, r.duplicate_of, " \
	"r.status_note, r.supporters, r.created_at, r.updated_at, " \
	"r.expected_at, r.finished_at, r.photos"
#define INCIDENTS_VIEW_NAME(l) \
	"CASE " l "::text WHEN 'en' THEN r.name_en WHEN 'it' THEN r.name_it " \
	"ELSE r.name_fr END AS category_name"

/* Views of the rows of one statement; incident_views_free() ends them. */
struct incident_views {
	struct incident_view	*v;
	int			 n;
	struct db_res		*res;
};
/*
 * The views of the rows of 'res' (a statement selecting at least
 * INCIDENTS_VIEW_COLS and category_name) into 'out', which takes 'res'
 * (incident_views_free() frees it).
 */
void	 incident_views_read(struct db_res *, struct incident_views *);
void	 incident_views_free(struct incident_views *);

/* One move of a report's public history (pointing into 'res'). */
struct incident_move {
	const char	*id;		/* the history row's id, digits */
	const char	*report_id;
	const char	*from, *to;	/* our states */
	const char	*note;		/* the public note; may be NULL */
	char		 at[DB_TIME_LEN];
};
struct incident_moves {
	struct incident_move	*v;
	int			 n;
	struct db_res		*res;
};
void	 incident_moves_free(struct incident_moves *);

/*
 * The public history of the reports between 'start' and 'end' (RFC 3339,
 * 'end' excluded), oldest first, at most 'limit' rows from 'offset', in
 * 'out'; o->made stays NULL.
 */
void	 incidents_o311_history(struct db *, const char *, const char *, long,
	    long, struct incident_moves *, struct incident_outcome *);

/*
 * A partner application ('client', its id) moves report 'id' along the
 * transition table to 'to' with the public note 'note' (may be NULL);
 * closed takes the reason "invalid" unless 'reason' says another (not
 * duplicate: that needs an agent).  IR_OK with o->made {"history_id":
 * "<id>", "status": the new state}; IR_REFUSED IE_TRANSITION when the
 * move is not in the table; IR_NOT_FOUND.  The history row has no actor
 * (the partner is not an account: the Open311 layer records which
 * partner).  The move is the agents' own (incidents_move_apply()): the
 * same history row and the same mail to the reporter, the supporters and
 * a confirmed follow-up address.
 */
void	 incidents_o311_move(struct db *, const char *, const char *,
	    const char *, const char *, const char *,
	    struct incident_outcome *);

/* Its statement table, in the incidents module's list. */
struct module_stmts;
extern const struct module_stmts	incidents_open311_stmt_table;

#endif
