/*
 * cases_int.h: shared between the files of src/cases only.
 *
 * cases_flow.c     the states, the transition table, the actors
 * cases_db.c       the statement table
 * cases_ops.c      the business operations, one function each, that the
 *                  handlers, the job and guichetctl call
 * cases_notify.c   the acknowledgement of receipt and the mail
 * cases_http.c     the handlers of a case (create, edit, submit, read,
 *                  move, assign) and their input schemas
 * cases_list.c     GET /api/v1/cases: own cases and departments' queues
 * cases_thread.c   messages and internal notes
 * cases_attach.c   the files of a case, of its messages and notes
 * cases_jobs.c     silence decides, decided cases close (the thread)
 * cases_privacy.c  export, erasure, the draft warning (privacy hooks)
 * cases_demo.c     guichetctl demo [--cases N]
 * cases_errors.c   the problem codes
 */
#ifndef GUICHET_CASES_INT_H
#define GUICHET_CASES_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/policy.h"
#include "base/lang.h"
#include "db/db.h"
#include "files/files.h"
#include "http/reply.h"

struct procedure;

/* The states of a case (cases.cases.status). */
enum case_status {
	CS_DRAFT,
	CS_SUBMITTED,
	CS_IN_REVIEW,
	CS_AWAITING,		/* awaiting_information: the deadline is paused */
	CS_ACCEPTED,
	CS_REJECTED,
	CS_WITHDRAWN,
	CS_CLOSED,
	CS__COUNT
};

/* Who makes a transition (cases.history.actor). */
enum case_actor {
	CA_OWNER,		/* the person who filed the case */
	CA_AGENT,		/* an agent of its department */
	CA_SUPERVISOR,		/* a supervisor of its department */
	CA_SYSTEM,		/* guichet itself: silence, closure, receipt */
	CA__COUNT
};

/* One row of the transition table (cases_flow.c). */
struct case_transition {
	enum case_status	 from;
	enum case_status	 to;
	enum case_actor		 who;
	int			 note_required;
};

extern const struct case_transition	case_transitions[];
extern const size_t			case_ntransitions;

const char	*case_status_name(enum case_status);
/* The state named 's', or CS__COUNT. */
enum case_status case_status_from(const char *);
const char	*case_actor_name(enum case_actor);
/* The state's name for people, in 'l' ("en cours d'instruction"). */
const char	*case_status_label(enum case_status, enum lang);
/* An open case: filed, not decided nor withdrawn. */
int		 case_status_open(enum case_status);

/*
 * The rule that lets 'p' move a case from 'from' to 'to' (the case's
 * owner and department in 'c', policy.h), or NULL: *exists says whether
 * any person (not the system) may make that move at all (403 rather
 * than 409).
 */
const struct case_transition *case_transition_for(const struct principal *,
	    const struct policy_case *, enum case_status, enum case_status,
	    int *);

/* The statements of cases_db.c, by index. */
enum cases_stmt {
	CQ_PERSON,
	CQ_INSERT,
	CQ_GET,
	CQ_LOCK,
	CQ_HISTORY,
	CQ_ACK,
	CQ_PATCH,
	CQ_SUBMIT,
	CQ_NEXT_REFERENCE,
	CQ_MOVE,
	CQ_HISTORY_INSERT,
	CQ_ACK_INSERT,
	CQ_CONTACT,
	CQ_ASSIGN,
	CQ_AGENT_OF,
	CQ_ENTITLE,
	CQ_ENTITLEMENTS,
	CQ_ENTITLED,
	CQ_MSG_INSERT,
	CQ_MSG_LIST,
	CQ_NOTE_INSERT,
	CQ_NOTE_LIST,
	CQ_SILENCE_DUE,
	CQ_CLOSE_DUE,
	CQ_DRAFTS_WARN,
	/* GET /api/v1/cases: the owner's, by sort */
	CQ_OWN_RECEIVED,
	CQ_OWN_RECEIVED_DESC,
	CQ_OWN_DUE,
	CQ_OWN_DUE_DESC,
	CQ_OWN_UPDATED,
	CQ_OWN_UPDATED_DESC,
	/* the departments' queue, by sort */
	CQ_QUEUE_RECEIVED,
	CQ_QUEUE_RECEIVED_DESC,
	CQ_QUEUE_DUE,
	CQ_QUEUE_DUE_DESC,
	CQ_QUEUE_UPDATED,
	CQ_QUEUE_UPDATED_DESC,
	/* the queue searched (q=), by sort */
	CQ_SEARCH_RECEIVED,
	CQ_SEARCH_RECEIVED_DESC,
	CQ_SEARCH_DUE,
	CQ_SEARCH_DUE_DESC,
	CQ_SEARCH_UPDATED,
	CQ_SEARCH_UPDATED_DESC,
	CQ__COUNT
};

extern struct db_stmt	cases_stmts[CQ__COUNT];
#define CQ(x)	(&cases_stmts[(x)])

/* Statements of the other pieces (cases_privacy.c, cases_demo.c). */
struct module_stmts;
extern const struct module_stmts	cases_stmt_table;
extern const struct module_stmts	cases_privacy_stmt_table;
extern const struct module_stmts	cases_demo_stmt_table;
extern const struct module_stmts	cases_attach_stmt_table;
struct privacy_hooks;
extern const struct privacy_hooks	cases_privacy_hooks;

/* The module's problem codes (cases_errors.c). */
enum cases_err {
	CE_NOT_FOUND,		/* 404 */
	CE_NOT_DRAFT,		/* 409: %s = the state */
	CE_OWNER_ONLY,		/* 403 */
	CE_PROFILE,		/* 403: %s = the profile kind */
	CE_TRANSITION,		/* 409: %s = the state, %s = the one asked */
	CE_TRANSITION_ACTOR,	/* 403: %s = the state asked */
	CE_ASSIGN_FORBIDDEN,	/* 403 */
	CE_ASSIGN_STATE,	/* 409: %s = the state */
	CE_THREAD_CLOSED,	/* 409: %s = the state */
	CE_NOTES_FORBIDDEN,	/* 403 */
	CE_ATTACHMENT_NOT_FOUND, /* 404 */
	CE_ATTACHMENT_NOT_YOURS, /* 403 */
	CE_ATTACHMENT_SENT,	/* 409: %s = the state */
	CE__COUNT
};
extern const struct errcode	cases_errors[CE__COUNT];
#define CASES_ERR(x)	(&cases_errors[(x)])

/* Days before its deletion that a draft's owner is told. */
#define CASE_DRAFT_WARNING_DAYS	3
/*
 * Days given to send what an incomplete request lacks (CRPA L114-5: the
 * administration sets a time limit for it).
 */
#define CASE_MISSING_DAYS	30
/* Longest public note and message, in characters. */
#define CASE_NOTE_MAX		4000
#define CASE_MESSAGE_MAX	8000
/* Files one message or note carries, at most. */
#define CASE_POST_FILES_MAX	10

/* Settings (cases_module.c's init): the draft's life, the public URL. */
struct cases_config {
	int		 draft_days;
	char		 public_url[256];
};
extern struct cases_config	cases_config;

/*
 * The outcome of an operation: CR_OK, or why not, with what the answer
 * needs.  CR_REFUSED carries a problem code (and its %s values, and for
 * a 409 the state found); CR_INVALID the field errors (422); CR_DB the
 * database error.
 */
enum case_result { CR_OK, CR_REFUSED, CR_INVALID, CR_DB };

struct case_outcome {
	enum case_result	 result;
	enum cases_err		 code;
	char			 args[2][48];	/* the %s values */
	char			 state[24];	/* the state a 409 found */
	json_t			*errors;	/* CR_INVALID: stolen by the reply */
	json_t			*made;		/* CR_OK: what was made, if any */
	char			 id[40];	/* the case */
	struct db_error		 err;
};

/*
 * Business operations (cases_ops.c), each one transaction on 'db', run by
 * db_tx(), doing the same whoever calls it; 'who' is the caller (NULL:
 * the system), 'lang' the language of field errors.
 */
struct case_input {
	const char	*procedure;	/* create: the procedure's code */
	const json_t	*form;		/* the answers; PATCH: a merge patch */
	int		 submit;
};
void	 case_create(struct db *, const struct principal *,
	    const struct case_input *, enum lang, struct case_outcome *);
void	 case_patch(struct db *, const struct principal *, const char *,
	    const json_t *, enum lang, struct case_outcome *);
void	 case_move(struct db *, const struct principal *, const char *,
	    enum case_status, const char *, enum lang, struct case_outcome *);
void	 case_assign(struct db *, const struct principal *, const char *,
	    const char *, enum lang, struct case_outcome *);
/* A message or note of row i of 'res' (staff: with its author's id). */
json_t	*case_post_item(const struct db_res *, int, int);
/*
 * A message (internal: an internal note) in the case's thread, carrying
 * the files 'attachments' (an array of ids; may be NULL) its side sent
 * to the case and no message nor note carries yet.
 */
void	 case_post(struct db *, const struct principal *, const char *,
	    int, const char *, const json_t *, enum lang,
	    struct case_outcome *);

/*
 * The files of a case (cases_attach.c).  An upload: the bytes, their
 * name (NULL: none), the procedure's document they are (NULL: none);
 * 'result' says whether the files module stored them (FILES_STORED, with
 * 'stored') or why not (files_reply_refused()).
 */
struct case_upload {
	const char		*document;
	const char		*name;
	const void		*data;
	size_t			 len;
	int			 result;
	struct files_stored	 stored;
};
void	 case_attach(struct db *, const struct principal *, const char *,
	    struct case_upload *, enum lang, struct case_outcome *);
/*
 * Inside the thread's transaction: the files 'ids' of side 'side'
 * ("owner", "department") of case 'case_id', carried by no message nor
 * note, become message (note: note) 'post_id''s; with 'post_id' NULL only
 * checked.  0, or -1 with 'o' set (a 422 on /attachments/N).
 */
int	 case_attach_link(struct db *, const char *, const char *, int,
	    const json_t *, const char *, enum lang, struct case_outcome *);
/*
 * Add to each item of 'items' (messages, or notes: 'note') the array
 * "attachments" of the files it carries.  0, or -1 with 'err'.
 */
int	 case_attach_carried(struct db *, const char *, int, int, json_t *,
	    struct db_error *);
/*
 * The codes of the documents the person sent for case 'case_id' (files
 * not rejected nor erased), or NULL with 'err'.
 */
json_t	*case_attach_documents(struct db *, const char *, struct db_error *);
int	 case_document_provided(const json_t *, const char *);
/* A document's label in 'l' (its code when it has none). */
const char *case_document_label(const json_t *, enum lang);
/*
 * Submission: every required document of 'p' has a file, and every form
 * field of type file of 'answers' names a file of the person for this
 * case; 0, or -1 with 'o' set (the 422, one error per missing one).
 */
int	 case_attach_check(struct db *, const char *, const struct procedure *,
	    const json_t *, enum lang, struct case_outcome *);
/*
 * Export: each case of 'cases' (objects with "id") gains "attachments",
 * the files its owner may see, as links with their facts; 0 or -1.
 */
int	 case_attach_export(struct db *, json_t *, struct db_error *);
/* Erasure: delete the files of every case of 'account': how many. */
long	 case_attach_erase(struct db *, const char *, struct db_error *);
/* The files of cases that went, 'batch' at most (*more: maybe more). */
long	 case_attach_orphans(struct db *, long, int *, struct db_error *);

/* Row i of a case statement as a list item (staff: with the assignee). */
json_t	*case_item(const struct db_res *, int, int, int64_t);
/*
 * Read a case as 'who' sees it: NULL with *found 0 when it may not (or
 * does not exist), else the case as the API shows it.  Staff reads are
 * logged (access_record()) in the same transaction.  NULL with *found -1
 * on a database error ('err').
 */
json_t	*case_read(struct db *, const struct principal *, const char *,
	    enum lang, int *, struct db_error *);

/*
 * Inside a transaction: lock a case and decide whether 'who' may 'act'
 * on it.  0 with the row in *res (the caller frees) and its state in
 * *st; -1 with 'o' set (not found as 404, refused as 403, or a database
 * error).
 */
int	 case_lock_for(struct db *, const struct principal *, const char *,
	    enum case_act, struct db_res **, enum case_status *,
	    struct case_outcome *);
/* Run 'fn' in a transaction for 'o'; the database's failure noted. */
void	 case_run_tx(struct db *, db_tx_fn, void *, struct case_outcome *);
/* 'o' before an attempt (db_tx() may run a transaction again). */
void	 case_outcome_reset(struct case_outcome *);
/* Set 'o' to a refusal with its code and up to two %s values: -1. */
int	 case_refuse(struct case_outcome *, enum cases_err, const char *,
	    const char *);
/* Record a staff read of case row i of 'res' for 'dataset'; 0 or -1. */
int	 case_access_record(struct db *, const struct principal *,
	    const struct db_res *, int, const char *, struct db_error *);

/*
 * The transition itself, inside the caller's transaction, once allowed:
 * the case (locked; row i of 'res') moves to 'to', the history records
 * 'actor' ('actor_id' NULL for the system) and 'note', the mail goes, an
 * acceptance grants.  'now' is the clock's.  0, or -1 with 'err'.
 */
int	 case_apply(struct db *, const struct db_res *, int,
	    enum case_status, enum case_actor, const char *, const char *,
	    const char *, struct db_error *);

/*
 * The jobs (cases_jobs.c): decide the open cases whose deadline passed
 * in silence, close the decided cases whose appeal period ended, at
 * 'now'.  The number of cases moved, or -1 (logged).
 */
long	 cases_decide_silence(struct db *, int64_t);
long	 cases_close_decided(struct db *, int64_t);
void	 cases_jobs_start(void);
void	 cases_jobs_stop(void);

/* Mail and the acknowledgement (cases_notify.c). */

/* What the acknowledgement of receipt says (R112-5, R112-11-1 CRPA). */
struct case_receipt {
	const char	*reference;
	const char	*procedure;		/* its title in the language */
	const char	*received_date;		/* YYYY-MM-DD, town time */
	const char	*received_time;		/* HH:MM, town time */
	const char	*due_date;		/* YYYY-MM-DD; NULL: paused */
	int		 deadline_days;
	const char	*implicit;		/* acceptance, rejection, none */
	const json_t	*missing;		/* labels; empty: complete */
	const char	*missing_by;		/* YYYY-MM-DD */
	const struct db_res *contact;		/* a CQ_CONTACT row */
};
/* The mentions, as kept on the case and sent (strings only). */
json_t	*case_receipt_mentions(const struct case_receipt *, enum lang);
/* The texts of appeal and of an implicit acceptance, in 'l'. */
const char *case_text_appeal(enum lang);
const char *case_text_attestation(enum lang);
/* "23 juin 2026" of "2026-06-23" in 'l' (into out, >= 48). */
void	 case_human_date(const char *, enum lang, char *, size_t);

/*
 * Mail to the owner of case row 0 of 'res' ('template', with 'payload',
 * which gains the case's reference, procedure, status and link), in the
 * owner's language; or to the department's mailbox
 * (cases.department_contacts.email) for the department's side.  0, or -1
 * with 'err'; a person without an address or a department without a
 * mailbox gets nothing.
 */
int	 case_mail_owner(struct db *, const struct db_res *, const char *,
	    json_t *, char *, struct db_error *);
/* Mail to the agent 'agent' (language 'l') about case row 0 of 'res'. */
int	 case_mail_agent(struct db *, const struct db_res *, const char *,
	    enum lang, const char *, struct db_error *);
int	 case_mail_department(struct db *, const struct db_res *,
	    const char *, struct db_error *);
/* The owner's language, read in the transaction ('fr' when unknown). */
enum lang case_owner_lang(struct db *, const struct db_res *,
	    struct db_error *, int *);

/*
 * The required documents of 'p' not among 'provided' (codes), labels in
 * 'l'.
 */
json_t	*case_missing_documents(const struct procedure *, const json_t *,
	    enum lang);

/* Handlers (route table). */
int	 cases_create(struct request *);
int	 cases_get(struct request *);
int	 cases_patch(struct request *);
int	 cases_submit(struct request *);
int	 cases_transition(struct request *);
int	 cases_assignment(struct request *);
int	 cases_list(struct request *);
int	 cases_messages_list(struct request *);
int	 cases_messages_post(struct request *);
int	 cases_notes_list(struct request *);
int	 cases_notes_post(struct request *);
int	 cases_entitlements(struct request *);
int	 cases_attachments_post(struct request *);
int	 cases_attachments_list(struct request *);
int	 cases_attachments_get(struct request *);
int	 cases_attachments_delete(struct request *);

extern const struct json_spec	cases_create_spec;
extern const struct json_spec	cases_patch_spec;
extern const struct json_spec	cases_transition_spec;
extern const struct json_spec	cases_assignment_spec;
extern const struct json_spec	cases_message_spec;

/* The path's case id, or NULL after a 404 case_not_found (cases_http.c). */
const char *case_param_id(struct request *);
/* The answer to a failed operation (cases_http.c). */
void	 case_reply_outcome(struct request *, struct case_outcome *);
/* A page: {"items", "next_cursor"} (NULL: the last page), no-store. */
void	 case_reply_page(struct request *, json_t *, char *);
/*
 * ?cursor= of a keyset page on (at, id) (cases_thread.c): *at and *id
 * (request memory; NULL without a cursor), the id numeric or a UUID; -1
 * after a 400.
 */
int	 case_page_cursor(struct request *, int, const char **,
	    const char **);
/*
 * The cursor after row limit-1 of 'res' (columns at_key and 'idcol')
 * when it holds more than 'limit' rows, else NULL.
 */
char	*case_page_next(const struct db_res *, long, const char *);

/* guichetctl (cases_jobs.c, cases_demo.c). */
struct ctl_ctx;
int	 cases_ctl(struct ctl_ctx *);
int	 cases_demo(struct ctl_ctx *);

#endif
