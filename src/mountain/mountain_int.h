/*
 * mountain_int.h: shared between the files of src/mountain only.
 *
 * mountain_db.c      the statement table; the business operations (a
 *                    change of status of lifts and slopes, one or a
 *                    batch, each kept in the history; a snow report)
 *                    that the handlers and guichetctl both call
 * mountain_http.c    the handlers of lifts, slopes and the snow report
 * pass.c             lift passes: age bands and the price rule (pure),
 *                    the list of products and the quote
 * reference.c        the reference data (lifts, slopes, seasons, age
 *                    bands, products and prices) as one document: its
 *                    check, import (one transaction) and export, for
 *                    guichetctl, the admin route and the demo
 * mountain_module.c  the declaration, the problem codes, the commands
 *
 * Invariants:
 *  - a status is one of enum mountain_status; every change of one goes
 *    with its row of mountain.status_history in the same transaction,
 *    whose trigger publishes it to the live stream (http/live.h);
 *  - a batch changes everything it names or nothing;
 *  - the public answers are cached under tag "mountain" (lifts, slopes,
 *    snow report) and "lift_passes" (products, prices, bands), dropped by
 *    the triggers of migrations 025 and 031 in every guichetd, and by
 *    each change in its own process once committed (http/cache.h);
 *  - an import of the reference data changes all of it or nothing, and
 *    keeps the status and history of every lift and slope that stays.
 */
#ifndef GUICHET_MOUNTAIN_INT_H
#define GUICHET_MOUNTAIN_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/lang.h"
#include "db/db.h"
#include "http/reply.h"

/* The town's time zone: "today" of a lift's history. */
#define MOUNTAIN_ZONE	"Europe/Paris"
/* The department whose staff run the lifts (besides lifts:write clients). */
#define MOUNTAIN_DEPARTMENT	"remontees_mecaniques"
/* The tags of the cached public answers (http/cache.h). */
#define MOUNTAIN_CACHE_TAG		"mountain"
#define MOUNTAIN_PASSES_CACHE_TAG	"lift_passes"
/* The most items of one batch. */
#define MOUNTAIN_BATCH_MAX	200

/*
 * Input schemas (json/check.h, which the files that use these include):
 * the end of a list of fields, and a text in French, English and Italian,
 * each of 'min' to 'max' characters, with the flags 'fl' (JF_REQUIRED or
 * JF_NONE: any of the three may be left out).
 */
#define JF_END	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, JK_END }
#define MOUNTAIN_TEXT_FIELDS(fl, min, max) { \
	{ .name = "fr", .kind = JK_STRING, .flags = (fl), \
	  .min_len = (min), .max_len = (max) }, \
	{ .name = "en", .kind = JK_STRING, .flags = (fl), \
	  .min_len = (min), .max_len = (max) }, \
	{ .name = "it", .kind = JK_STRING, .flags = (fl), \
	  .min_len = (min), .max_len = (max) }, \
	JF_END \
}

enum mountain_stmt {
	MS_LIFTS,
	MS_LIFT,
	MS_SLOPES,
	MS_LIFT_SET,
	MS_SLOPE_SET,
	MS_LIFTS_KNOWN,
	MS_SLOPES_KNOWN,
	MS_SNOW_CURRENT,
	MS_SNOW_INSERT,
	MS_SEASON_OF,
	MS_PRODUCTS,
	MS_PRODUCT,
	MS_PRICES,
	MS_BANDS,
	MS__COUNT
};
extern struct db_stmt	mountain_stmts[MS__COUNT];
#define MOUNTAIN_STMT(x)	(&mountain_stmts[(x)])

struct module_stmts;
extern const struct module_stmts	mountain_stmt_table;
extern const struct module_stmts	mountain_ref_stmt_table;

/* The problem codes (mountain_module.c). */
enum mountain_err {
	MTE_LIFT_NOT_FOUND,	/* 404 */
	MTE_SLOPE_NOT_FOUND,	/* 404 */
	MTE_NO_SNOW_REPORT,	/* 404 */
	MTE_BATCH_INVALID,	/* 422: %s = how many items are wrong */
	MTE_PRODUCT_NOT_FOUND,	/* 404 */
	MTE_QUOTE_INVALID,	/* 422: %s = why */
	MTE_REFERENCE_INVALID,	/* 422: %s = how many problems */
	MTE__COUNT
};
extern const struct errcode	mountain_errors[MTE__COUNT];
#define MOUNTAIN_ERR(x)	(&mountain_errors[(x)])

/* Statuses. */
enum mountain_status { MST_OPEN, MST_CLOSED, MST_ON_HOLD, MST_SCHEDULED,
    MST__COUNT };
extern const char *const mountain_status_names[];	/* NULL-terminated */
/* The status named 's', or -1. */
int	 mountain_status_from(const char *);
/*
 * Our status for the status word of an operator's bulletin (Lumiplan's
 * "lp_runway_trail_<word>": opened, closed, out_period, on_hold, delayed,
 * scheduled...), or -1 when unknown.
 */
int	 mountain_status_from_operator(const char *);

enum mountain_kind { MK_LIFT, MK_SLOPE };

/* One change of status, as the API's bodies say it (checked). */
struct status_change {
	const char	*id;
	const char	*status;
	const char	*reason[3];	/* fr, en, it; NULL: none */
	const char	*expected_at;	/* RFC 3339, or NULL */
	int		 groomed;	/* slopes: groomed today 1, not 0, -1 unsaid */
};

/*
 * The errors of one change that the schema cannot see, appended to
 * 'errors' under 'prefix' ("" or "/lifts/3"); how many.  'now' is the
 * clock: an expected time must be later.
 */
size_t	 status_change_check(const struct status_change *, const char *,
	    int64_t, enum lang, json_t *);
/* A change read from a checked JSON object (pointers into it). */
void	 status_change_of(const json_t *, struct status_change *);

/*
 * Apply 'nl' changes of lifts and 'ns' of slopes in one transaction, each
 * with its history row, by 'by' (an account or client id) at 'now'.  0;
 * 1 when an id is unknown (nothing changed: *bad_kind and *bad_index say
 * which); -1 with 'err'.
 */
int	 mountain_set_statuses(struct db *, const struct status_change *,
	    size_t, const struct status_change *, size_t, const char *,
	    int64_t, enum mountain_kind *, size_t *, struct db_error *);

/* guichetctl mountain (mountain_db.c: status; reference.c: the rest). */
struct ctl_ctx;
int	 mountain_ctl(struct ctl_ctx *);
int	 mountain_ref_ctl(struct ctl_ctx *);
/* guichetctl demo: sql/demo/mountain/montgenevre.json, imported. */
int	 mountain_demo(struct ctl_ctx *);

/* The reference data (reference.c). */
extern const struct json_spec	mountain_reference_spec;
/*
 * The problems of document 'doc' (its schema, then what a schema cannot
 * say: ids, duplicates, references between sections, dates, hours,
 * bands, coordinates), appended to 'errors' with JSON pointers into the
 * document, in 'lang'; how many (0: valid).
 */
size_t	 mountain_reference_check(const json_t *, enum lang, json_t *);

struct import_result {
	json_t	*errors;	/* 1: the problems (JSON_ERRORS_MAX at most) */
	size_t	 nerrors;	/* 1: how many */
	/*
	 * 0: {"dry_run": b, "seasons"|"lifts"|"slopes"|"passes":
	 * {"created": [keys], "changed": [...], "removed": [...],
	 * "unchanged": n}, "bands": {"changed": b}}
	 */
	json_t	*report;
};
/*
 * Replace the reference data with document 'doc' in one transaction,
 * after mountain_reference_check(); 'dry_run': everything is done and
 * reported, then rolled back.  'now' is the status time of a new lift or
 * slope (closed).  0 with r->report; 1 with r->errors (nothing changed);
 * -1 with 'err'.  Free 'r' with import_result_free().  After a commit,
 * drops the module's cache tags in this process.
 */
int	 mountain_import(struct db *, const json_t *, int, int64_t, enum lang,
	    struct import_result *, struct db_error *);
void	 import_result_free(struct import_result *);
/* The document as the data is (what mountain_import() reads), or NULL. */
json_t	*mountain_export(struct db *, struct db_error *);

/* The JSON schema of the bodies (mountain_http.c). */
extern const struct json_spec	mountain_status_spec;
extern const struct json_spec	mountain_slope_status_spec;
extern const struct json_spec	mountain_batch_spec;
extern const struct json_spec	mountain_snow_spec;

/* Handlers. */
struct request;
int	 mountain_lifts(struct request *);
int	 mountain_lift(struct request *);
int	 mountain_slopes(struct request *);
int	 mountain_lift_status(struct request *);
int	 mountain_slope_status(struct request *);
int	 mountain_batch_status(struct request *);
int	 mountain_snow_get(struct request *);
int	 mountain_snow_put(struct request *);
int	 mountain_passes(struct request *);
int	 mountain_quote(struct request *);
int	 mountain_admin_get(struct request *);
int	 mountain_admin_put(struct request *);

/* Lift passes (pass.c). */
enum pass_band { PB_INFANT, PB_CHILD, PB_ADULT, PB_SENIOR, PB__COUNT };
extern const char *const pass_band_names[PB__COUNT];
/*
 * The first age of each band (mountain.age_bands, the operator's; by
 * default infant 0, child 6, adult 13, senior 65), -1 for a band the
 * resort does not have.
 */
typedef int pass_bands[PB__COUNT];

enum pass_profile { PP_STANDARD, PP_RESIDENT, PP_SEASONAL_WORKER,
    PP_SECONDARY_RESIDENT, PP__COUNT };
extern const char *const pass_profile_names[PP__COUNT];

/*
 * Age in whole years on 'day' of someone born on 'birth' (both
 * "YYYY-MM-DD", checked): one more on each birthday (born on 29 February:
 * on 1 March of common years).  -1 when 'day' is before 'birth'.
 */
int	 pass_age(const char *, const char *);
/*
 * The band of an age (>= 0): the band with the highest first age not
 * above it, or -1 when none (no band starts at 0).
 */
int	 pass_band_of(int, const pass_bands);
/* The last age of band 'b' (the next band's first age - 1), or -1: none. */
int	 pass_band_to(int, const pass_bands);

/*
 * The price rule: with prices[profile] the product's price for the band
 * in cents (-1: none for that profile) and 'held' the bits (1 << profile)
 * of the entitlements the buyer holds for the product's season, the
 * profile whose price applies: the lowest held one (standard always held;
 * on a tie, the standard), or -1 when there is no standard price and no
 * held one.
 */
int	 pass_rule(const long *, unsigned);

#endif
