/*
 * incidents.h: signalements (README, "Signalements"), what the layers above
 * (the Open311 server, src/open311) may call.  A report is a problem in the
 * public space under a category (an Open311 service: its code is the service
 * code, its attributes are Open311 attributes), placed inside the commune's
 * area, handled by the category's department from open to resolved or
 * closed.  The rest is the module's own (incidents_int.h).
 *
 * Invariants:
 *  - a report's position is a WGS84 point inside the commune's area
 *    (incidents.area), or it has an address instead;
 *  - public views (incidents_get(), incidents_list()) never carry the
 *    reporter's identity, contact or anything about the supporters but
 *    their number;
 *  - a report moves along the transition table (incidents_attr.c) by an
 *    agent of its department or a partner application holding the
 *    open311 scope (incidents_open311.h), one transaction per move, with
 *    its history row and the mail to the reporter and the supporters:
 *    the one function incidents_move_apply() does it for both;
 *  - every read of a reporter's personal data by staff is written to the
 *    access log in the transaction of the read (purpose: the report).
 *
 * Each function is one transaction on 'db' (db_tx()), the same whoever
 * calls it (the HTTP handlers, an Open311 layer).
 */
#ifndef GUICHET_INCIDENTS_H
#define GUICHET_INCIDENTS_H

#include <jansson.h>

#include "base/lang.h"
#include "db/db.h"

struct principal;

/* The outcome of an operation. */
enum incident_result {
	IR_OK,
	IR_NOT_FOUND,		/* no such report (or not the caller's to see) */
	IR_REFUSED,		/* 'code' says why (a problem code) */
	IR_INVALID,		/* 'errors' holds field errors (422) */
	IR_DB,			/* 'err' */
};

struct incident_outcome {
	enum incident_result	 result;
	int			 code;		/* enum incidents_err */
	char			 args[2][48];	/* its %s values */
	json_t			*errors;	/* IR_INVALID (caller decrefs) */
	json_t			*made;		/* IR_OK: the view made */
	char			 id[40];
	struct db_error		 err;
};

/* A new report. */
struct incident_input {
	const char	*category;	/* the Open311 service code */
	const char	*description;	/* plain text, <= 4000 characters */
	int		 has_position;
	double		 lat, lon;	/* WGS84 */
	const char	*address;	/* instead of the position */
	const json_t	*attributes;	/* {code: value}; may be NULL */
	const char	*email;		/* anonymous follow-up; may be NULL */
	int		 photo_secret;	/* anonymous: make a photo_token */
};

/*
 * File a report as 'who' (NULL: anonymous, where the category allows it).
 * IR_OK with o->made = {"report": Feature, "possible_duplicates": [...],
 * "contact_token": the confirmation token when an email was given (its
 * holder proves it through the mail; the caller never shows it),
 * "photo_token" when anonymous and in->photo_secret: the secret with which
 * the filer adds photos (incidents_h_photo_post(), X-Photo-Token) within
 * INCIDENT_PHOTO_HOURS, its SHA-256 kept}.
 * Field errors name "/lat", "/lon", "/category", "/attributes/<code>".
 */
void	 incidents_create(struct db *, const struct principal *,
	    const struct incident_input *, enum lang, struct incident_outcome *);

/* One report as the public sees it: a GeoJSON Feature (o->made). */
void	 incidents_get(struct db *, const char *, enum lang,
	    struct incident_outcome *);

/*
 * The public map: reports in a bounding box, a FeatureCollection written
 * as JSON text at the end of 'out' (o->made stays NULL).
 */
struct incident_query {
	double		 bbox[4];	/* minlon, minlat, maxlon, maxlat */
	const char	*status;	/* NULL: any */
	const char	*category;	/* NULL: any */
	const char	*since;		/* RFC 3339; NULL: any */
	long		 limit;
};
struct buf;
void	 incidents_list(struct db *, const struct incident_query *, enum lang,
	    struct buf *, struct incident_outcome *);

/*
 * Move a report (an agent of its department): 'to' a state, 'note' the
 * public note (may be NULL), for closed a 'reason' (duplicate,
 * not_responsible, invalid) and for a duplicate its original.
 */
struct incident_update {
	const char	*to;
	const char	*note;
	const char	*reason;
	const char	*duplicate_of;
};
void	 incidents_update(struct db *, const struct principal *, const char *,
	    const struct incident_update *, enum lang,
	    struct incident_outcome *);

/* "Me too": 'who' supports the report (and gets its updates). */
void	 incidents_support(struct db *, const struct principal *,
	    const char *, struct incident_outcome *);

#endif
