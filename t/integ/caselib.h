/*
 * caselib.h: what the cases tests (t41NN) share, on top of idlib.h.
 *
 * cl_prepare() is idl_prepare() and then, in the template, the people a
 * case needs: two more residents (a permanent resident, a tourist) and
 * four agents with their second factor enrolled, in three departments;
 * and the test procedures, imported with `guichetctl procedures import`:
 *
 *   t_permis   services_techniques, 10 days, silence accepts; a form with
 *              a required text, a boolean and a plate visible_if it is
 *              true, a file (plan), a number 1 to 5, a free text
 *   t_refus    services_techniques, 15 days, silence rejects
 *   t_express  services_techniques, 20 days, silence decides nothing
 *   t_pieces   services_techniques, 10 days, a required document
 *   t_forfait  remontees_mecaniques, 30 days, silence accepts, permanent
 *              residents only, grants {resident, 2026-2027}
 *
 * The demo's cases are deleted from the template (made at the real
 * clock, they would be in the way of the tests' own).
 *
 * Agents (password IDL_AGENT_PASSWORD, each its own TOTP secret):
 *   CL_TECH        agent of services_techniques
 *   CL_TECH_CHIEF  agent and supervisor of services_techniques
 *   CL_MAIRIE      agent of mairie (another department)
 *   CL_LIFT_CHIEF  supervisor of remontees_mecaniques
 */
#ifndef GUICHET_CASELIB_H
#define GUICHET_CASELIB_H

#include <jansson.h>

#include "idlib.h"

enum cl_agent { CL_TECH, CL_TECH_CHIEF, CL_MAIRIE, CL_LIFT_CHIEF,
    CL__AGENTS };

#define CL_OTHER_EMAIL		"autre@demo.guichet.test"
#define CL_TOURIST_EMAIL	"touriste@demo.guichet.test"

struct cl_people {
	char	 agent[CL__AGENTS][40];
	char	 other[40];		/* another permanent resident */
	char	 tourist[40];
};
extern struct cl_people	cl_people;

/* The program's set-up (the test case's unchecked fixture). */
void	 cl_prepare(void);

/* Access tokens: an agent (with its second factor), the residents. */
char	*cl_agent(struct idenv *, enum cl_agent);
char	*cl_resident(const struct idenv *);
char	*cl_other(const struct idenv *);
char	*cl_tourist(const struct idenv *);
/* The other resident's, its account's language set to 'locale' first. */
char	*cl_other_in(const struct idenv *, const char *);

/* A valid answer to t_permis (a new object). */
json_t	*cl_permis_form(void);

/*
 * POST /api/v1/cases {procedure, form (stolen; NULL: {}), submit}: asserts
 * 201 and returns the case's id (caller frees); *out (may be NULL) gets
 * the body.
 */
char	*cl_file(const struct idenv *, const char *, const char *, json_t *,
	    int, json_t **);
/* GET /api/v1/cases/{id}: the body, *status its status. */
json_t	*cl_get(const struct idenv *, const char *, const char *, long *);
/* POST .../transitions {to, note (NULL: none)}: the status. */
long	 cl_move(const struct idenv *, const char *, const char *,
	    const char *, const char *);
/*
 * 'method' 'path' with 'body' (may be NULL) as 'token' is the problem
 * 'status' of code 'code' (a 422: "validation"): its body (caller frees).
 */
json_t	*cl_problem(const struct idenv *, const char *, const char *,
	    const char *, const char *, long, const char *);
/* in_review by 'agent', then 'decision' (with 'note') by 'chief'. */
void	 cl_decide(const struct idenv *, const char *, const char *,
	    const char *, const char *, const char *);
/* The state of a case in the database (caller frees). */
char	*cl_state(const struct idenv *, const char *);
/* Fails the test unless the case is in that state. */
void	 cl_assert_state(const struct idenv *, const char *, const char *);
/*
 * POST /api/v1/cases/{id}/attachments'query' ("" or "?document=...") as
 * 'token': the body 'data' ('len' bytes) declared as 'ctype', its name
 * 'name' (NULL: none) sent as filename*=UTF-8''<name, percent-encoded>.
 * Returns the status; 'r' keeps the answer (caller frees).
 */
long	 cl_upload(const struct idenv *, const char *, const char *,
	    const char *, const char *, const char *, const void *, size_t,
	    struct http_resp *);
/*
 * cl_upload() of a one-page PDF holding 'tail' as document 'document'
 * (NULL: none), which must be 201: the file's id (caller frees).
 */
char	*cl_attach(const struct idenv *, const char *, const char *,
	    const char *, const char *);
/* Messages of 'template' in the outbox for 'email' (any recipient). */
long	 cl_mails(const struct idenv *, const char *, const char *);
/* Fails the test unless 'r' is the problem 'status' of code 'code'. */
void	 cl_is_code(const struct http_resp *, long, const char *);
/* cl_upload() whose answer must be 201: its body (caller decrefs). */
json_t	*cl_uploaded(const struct idenv *, const char *, const char *,
	    const char *, const char *, const char *, const void *, size_t);
/* The file's id in an attachment's body. */
const char *cl_file_id(const json_t *);
/*
 * 'method' on file 'file' of case 'id' as 'token': the status, the answer
 * in 'r' (cl_on_file(); caller frees) or not (cl_file_status()).
 */
long	 cl_on_file(const struct idenv *, const char *, const char *,
	    const char *, const char *, struct http_resp *);
long	 cl_file_status(const struct idenv *, const char *, const char *,
	    const char *, const char *);
/*
 * The rows of 'table' of case 'id': cases.cases (the case itself: 0 or
 * 1), files.files (the files the cases module stored for it), or a table
 * with a case_id (cases.history, cases.messages, cases.attachments...).
 */
long	 cl_rows(const struct idenv *, const char *, const char *);

#endif
