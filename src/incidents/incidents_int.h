/*
 * incidents_int.h: shared between the files of src/incidents only.
 *
 * incidents_module.c   the declaration, routes, templates
 * incidents_db.c       the statement table
 * incidents_attr.c     the categories' attributes (Open311 types)
 * incidents_ops.c      the operations of incidents.h and the staff ones
 * incidents_http.c     the handlers and their input schemas
 * incidents_privacy.c  export, erasure, retention (privacy hooks)
 * incidents_errors.c   the problem codes
 */
#ifndef GUICHET_INCIDENTS_INT_H
#define GUICHET_INCIDENTS_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/policy.h"
#include "base/buf.h"
#include "base/lang.h"
#include "db/db.h"
#include "http/reply.h"
#include "incidents/incidents.h"
#include "incidents/incidents_open311.h"

#define INCIDENT_DESCRIPTION_MAX	4000
#define INCIDENT_NOTE_MAX		4000
#define INCIDENT_ADDRESS_MAX		300
#define INCIDENT_DUPLICATE_METRES	50
#define INCIDENT_DUPLICATES_MAX		10
#define INCIDENT_MAP_MAX		1000	/* features of one map answer */
#define INCIDENT_PHOTOS_MAX		3
#define INCIDENT_PHOTO_HOURS		24	/* after filing, photos may come */
#define INCIDENT_PHOTO_BYTES		(10 * 1024 * 1024)
#define INCIDENT_PHOTO_SIDE		2048	/* pixels, the public copy */
#define INCIDENT_THUMB_SIDE		240	/* pixels, the thumbnail */

enum incidents_stmt {
	IQ_CATEGORY,
	IQ_CATEGORIES,
	IQ_IN_AREA,
	IQ_INSERT,
	IQ_HISTORY_INSERT,
	IQ_DUPLICATES,
	IQ_GET,
	IQ_LOCK,
	IQ_MAP,
	IQ_MAP_ROWS,
	IQ_MOVE,
	IQ_SUPPORT,
	IQ_SUPPORTERS_MOVE,
	IQ_SUPPORTERS_CLEAR,
	IQ_FOLLOWERS,
	IQ_CONFIRM,
	IQ_AGENT_OF,
	IQ_PATCH,
	IQ_HISTORY,
	IQ_NOTE_INSERT,
	IQ_NOTES,
	IQ_BOARD_CREATED,
	IQ_BOARD_CREATED_DESC,
	IQ_BOARD_UPDATED,
	IQ_BOARD_UPDATED_DESC,
	IQ_PHOTO_COUNT,
	IQ_PHOTO_INSERT,
	IQ_PHOTO,
	IQ__COUNT
};
extern struct db_stmt	incidents_stmts[IQ__COUNT];
#define IQ(x)	(&incidents_stmts[(x)])

struct module_stmts;
extern const struct module_stmts	incidents_stmt_table;
extern const struct module_stmts	incidents_privacy_stmt_table;
struct privacy_hooks;
extern const struct privacy_hooks	incidents_privacy_hooks;

enum incidents_err {
	IE_NOT_FOUND,		/* 404 */
	IE_ANONYMOUS,		/* 401: the category wants an account */
	IE_TRANSITION,		/* 409: %s state, %s asked */
	IE_DEPARTMENT,		/* 403: %s = the department */
	IE_NOTES_FORBIDDEN,	/* 404-like for non-agents: 403 */
	IE_TOKEN,		/* 404: no such confirmation */
	IE_PHOTOS_FULL,		/* 409: %s = the most */
	IE_PHOTO_LATE,		/* 409: %s = the hours */
	IE_PHOTO_UNREADABLE,	/* 422 */
	IE_PHOTO_NOT_FOUND,	/* 404 */
	IE_REPORTER_RESTRICTED,	/* 409: the original of a restricted reporter */
	IE__COUNT
};
extern const struct errcode	incidents_errors[IE__COUNT];
#define INCIDENTS_ERR(x)	(&incidents_errors[(x)])

/* Settings (incidents_module.c's init). */
struct incidents_config {
	char		 public_url[256];
};
extern struct incidents_config	incidents_config;

/*
 * The attribute values 'values' (an object, may be NULL) against the
 * category's attribute definitions 'defs' (an array, Open311 style):
 * appends one field error per problem to 'errors' ("/attributes/<code>"),
 * in 'l'.  The number of problems.  Pure: t/unit/test_incidents.
 */
size_t	 incidents_check_attributes(const json_t *, const json_t *, enum lang,
	    json_t *);
/* The category's definition as the API shows it, names in 'l'. */
json_t	*incidents_category_json(const struct db_res *, int, enum lang);
/* 1 when the move 'from' -> 'to' is in the transition table. */
int	 incidents_move_allowed(const char *, const char *);
/* A position inside WGS84's bounds. */
int	 incidents_lonlat_ok(double, double);

/*
 * The columns incidents_view() reads, a report as the public sees it:
 * never who reported or supports it (alias r for incidents.reports, c
 * for its category).  The photos are looked for only when the report
 * has some (photo_count, sql/029_incidents_reads.sql).
 */
#define INCIDENTS_PUBLIC_COLS \
	"r.id, r.category, c.name_fr, c.name_en, c.name_it, " \
	INCIDENTS_REPORT_COLS
/*
 * A list's columns: the category's name in the one language of parameter
 * 'l' (fr, en, it), AS category_name (incidents_cols_one() reads it): the
 * two other names were 2000 more text columns per map.
 */
#define INCIDENTS_LIST_COLS(l) \
	"r.id, r.category, CASE " l "::text WHEN 'en' THEN c.name_en WHEN " \
	"'it' THEN c.name_it ELSE c.name_fr END AS category_name, " \
	INCIDENTS_REPORT_COLS
/* The report's own public columns, after its category's. */
#define INCIDENTS_REPORT_COLS \
	"r.department, " \
	"r.description, r.lon, r.lat, r.address, " \
	"r.attributes::text AS attributes, r.status, r.close_reason, " \
	"r.duplicate_of, r.status_note, r.supporters, r.created_at, " \
	"r.updated_at, r.expected_at, r.finished_at, CASE WHEN " \
	"r.photo_count > 0 THEN (SELECT string_agg(p.id::text, ',' ORDER BY " \
	"p.created_at, p.id) FROM incidents.photos p WHERE p.report_id = " \
	"r.id) END AS photos"

/*
 * A public statement's rows, read without looking their columns up by
 * name for every cell: incidents_cols() once per result (the category's
 * name in 'l'), then incidents_view() for each row.
 */
enum incidents_col { IC_ID, IC_CATEGORY, IC_NAME, IC_DEPARTMENT,
    IC_DESCRIPTION, IC_LON, IC_LAT, IC_ADDRESS, IC_ATTRIBUTES, IC_STATUS,
    IC_CLOSE_REASON, IC_DUPLICATE_OF, IC_STATUS_NOTE, IC_SUPPORTERS,
    IC_CREATED_AT, IC_UPDATED_AT, IC_EXPECTED_AT, IC_FINISHED_AT, IC_PHOTOS,
    IC__COUNT };
struct incidents_cols {
	int	 c[IC__COUNT];
};
void	 incidents_cols(const struct db_res *, enum lang,
	    struct incidents_cols *);
/* The same for a list's columns (the category's name as category_name). */
void	 incidents_cols_one(const struct db_res *, struct incidents_cols *);
void	 incidents_view(const struct db_res *, int,
	    const struct incidents_cols *, struct incident_view *);
/*
 * The one way to write a report's GeoJSON Feature (the map, one report,
 * the board, the staff's details, a new report): straight into 'b' as JSON
 * text; incidents_feature() is its jansson value for row i of a public
 * statement, in 'l'.
 */
void	 incidents_feature_write(struct buf *, const struct incident_view *);
json_t	*incidents_feature(const struct db_res *, int, enum lang);

/* Staff (incidents_ops.c). */
void	 incidents_details(struct db *, const struct principal *, const char *,
	    enum lang, struct incident_outcome *);
void	 incidents_patch(struct db *, const struct principal *, const char *,
	    const json_t *, enum lang, struct incident_outcome *);
void	 incidents_note(struct db *, const struct principal *, const char *,
	    const char *, struct incident_outcome *);
void	 incidents_confirm(struct db *, const char *,
	    struct incident_outcome *);
void	 incident_outcome_reset(struct incident_outcome *);
/*
 * 'fn' in a transaction (db_tx()), 'o' cleared first: o->result is IR_DB
 * on a database error, else what 'fn' set.
 */
void	 incidents_run_tx(struct db *, db_tx_fn, void *,
	    struct incident_outcome *);
/* The one change of a report's state, agents' and partners' alike. */
int	 incidents_move_apply(struct db *, const char *, const char *,
	    const char *, const struct incident_update *, char *, size_t,
	    struct db_error *);

/* Handlers. */
int	 incidents_h_categories(struct request *);
int	 incidents_h_create(struct request *);
int	 incidents_h_map(struct request *);
int	 incidents_h_get(struct request *);
int	 incidents_h_support(struct request *);
int	 incidents_h_transition(struct request *);
int	 incidents_h_board(struct request *);
int	 incidents_h_details(struct request *);
int	 incidents_h_patch(struct request *);
int	 incidents_h_notes_post(struct request *);
int	 incidents_h_confirm(struct request *);
int	 incidents_h_photo_post(struct request *);
int	 incidents_h_photo_get(struct request *);
int	 incidents_h_photo_thumb(struct request *);
int	 incidents_h_photo_original(struct request *);

extern const struct json_spec	incidents_create_spec;
extern const struct json_spec	incidents_transition_spec;
extern const struct json_spec	incidents_patch_spec;
extern const struct json_spec	incidents_note_spec;
extern const struct json_spec	incidents_confirm_spec;

#endif
