/*
 * procedures.h: the catalogue of procedures (démarches), for the modules
 * above it (cases).  A procedure is data: its texts in fr, en and it, the
 * department in charge, who may file it, its form, the documents it asks
 * for, its deadline and what silence at the deadline means, the retention
 * of its decided cases, its service-public.fr theme.  Every change makes a
 * new version; a case keeps the version it was filed under.
 *
 * The form is a list of fields {name, type, required, label{fr,en,it},
 * help{fr,en,it}, options, min, max, length, pattern, visible_if}; types:
 * text, textarea, number, date, email, phone, choice, multichoice,
 * boolean, address (the BAN fields), geo ({lat, lon}), file (a file id of
 * the files module).  A field whose visible_if does not hold is hidden:
 * its value is refused; a visible required field is required.
 */
#ifndef GUICHET_PROCEDURES_H
#define GUICHET_PROCEDURES_H

#include <jansson.h>
#include <stdint.h>

#include "base/lang.h"

struct db;
struct db_error;

enum implicit_decision {
	IMPLICIT_NONE,		/* silence decides nothing */
	IMPLICIT_ACCEPTANCE,	/* "silence vaut accord" */
	IMPLICIT_REJECTION,	/* "silence vaut rejet" */
};

struct procedure {
	char			 code[48];	/* [a-z][a-z0-9_]* */
	int			 version;	/* 1, 2, ... */
	int			 active;	/* can be filed now */
	char			 department[48];	/* identity.departments */
	char			*title[LANG__COUNT];
	char			*description[LANG__COUNT];
	json_t			*profile_kinds;	/* array of strings */
	json_t			*form;		/* array of field definitions */
	json_t			*documents;	/* array of {code, label{..}, required} */
	int			 deadline_days;	/* calendar days, > 0 */
	enum implicit_decision	 implicit;
	int			 retention_years;
	char			*legal_basis;	/* of the decided cases' retention */
	char			*theme;		/* service-public.fr theme code */
	json_t			*grants;	/* on acceptance: {kind, season}, or NULL */
};

/*
 * The current version of procedure 'code' (version 0), or that version.
 * 0 and *out (procedure_free()), 1 when there is none, -1 with 'err'.
 */
int	 procedures_get(struct db *, const char *, int, struct procedure **,
	    struct db_error *);
void	 procedure_free(struct procedure *);

/*
 * Check 'answers' (a JSON object: field name -> value) against the form
 * of 'p'.  Unknown fields, hidden fields with a value (visible_if), wrong
 * types, lengths, bounds, options, patterns, dates, emails, phones,
 * addresses and positions are errors always; missing required visible
 * fields are errors only when 'submit' is set (a draft may be partial).
 * Appends one {"field": "/form/<name>", "code", "message"} per problem to
 * 'errors' (messages in 'lang'); returns how many.
 */
size_t	 procedures_check_form(const struct procedure *, const json_t *, int,
	    enum lang, json_t *);

#endif
