/*
 * privacy_int.h: shared between the files of src/privacy only: the SQL
 * pieces every statement table uses, the module's problem codes, its
 * request budgets and the few request helpers its handlers share.
 */
#ifndef GUICHET_PRIVACY_INT_H
#define GUICHET_PRIVACY_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/lang.h"
#include "core/module.h"
#include "db/db.h"
#include "http/reply.h"
#include "privacy/privacy.h"


/* The column 'c' (c_fr, c_en, c_it) in the language of the SQL text 'p'. */
#define PRIV_LOC(p, c) \
	"CASE " p "::text WHEN 'en' THEN " c "_en WHEN 'it' THEN " c "_it " \
	"ELSE " c "_fr END"

/* The statements of privacy_db.c, by index into privacy_stmts[]. */
enum privacy_stmt {
	PRIV_TOWN_GET,
	PRIV_CATEGORY_LIST,
	PRIV_PURPOSE_LIST,
	PRIV_CONSENT_STATES,
	PRIV_CONSENT_STATE,
	PRIV_CONSENT_HISTORY,
	PRIV_ACCOUNT_LOCK,
	PRIV_PURPOSE_GET,
	PRIV_CONSENT_LATEST,
	PRIV_CONSENT_INSERT,
	PRIV_CONSENT_GIVEN,
	PRIV_PERSON_LOCK,
	PRIV__COUNT
};

extern struct db_stmt	privacy_stmts[PRIV__COUNT];

#define PRIV_STMT(x)	(&privacy_stmts[(x)])

/* The module's pieces (privacy_module.c). */
struct module_stmts;
struct privacy_hooks;
extern const struct module_stmts	privacy_stmt_table;
extern const struct module_stmts	rights_stmt_table;
extern const struct module_stmts	erase_stmt_table;
extern const struct module_stmts	export_stmt_table;
extern const struct module_stmts	retention_stmt_table;
extern const struct module_stmts	privacy_hook_stmt_table;
/* privacy_mail.c: its templates, and the gate that knows restrictions. */
#define PRIVACY_NTEMPLATES	3
extern const struct mail_template	privacy_templates[PRIVACY_NTEMPLATES];
void	 privacy_mail_gate_install(void);
extern const struct privacy_hooks	privacy_privacy_hooks;

/*
 * The module's problem codes (privacy_errors.c), one per kind of failure;
 * the comment says the status and what each '%s' takes.
 */
enum privacy_err {
	PE_ACCOUNT_NOT_ACTIVE,		/* 404: the caller's own account */
	PE_SUBJECT_NOT_FOUND,		/* 404: no person by this id */
	PE_REQUEST_NOT_FOUND,		/* 404: no rights request by this id */
	PE_PURPOSE_NOT_FOUND,		/* 404: no purpose by this code
					   in a path (in a body: a 422) */
	PE_PURPOSE_NOT_CONSENT,		/* 409 */
	PE_PURPOSE_CHANGED,		/* 409: changed during the call */
	PE_PURPOSE_REQUIRED,		/* 400: %s = where to send it */
	PE_PURPOSE_TOO_LONG,		/* 400: %s = where, %s = the cap */
	PE_DISCLOSE_AFTER,		/* 400: X-Disclose-After */
	PE_SUBJECT_RESTRICTED,		/* 409 */
	PE_SUBJECT_NOT_RESTRICTED,	/* 409: nothing to lift */
	PE_REQUEST_CLOSED,		/* 409 */
	PE_REQUEST_NOT_OBJECTION,	/* 409: decide an access request */
	PE_REQUEST_STARTED,		/* 409 */
	PE_REQUEST_EXTENDED,		/* 409: a second extension */
	PE_EXTENSION_LATE,		/* 409: after the first month */
	PE_OBJECTION_WITHDRAW,		/* 409: %s = the consent's path */
	PE_OBJECTION_BASIS,		/* 409: %s = the legal basis */
	PE_OBJECTION_PENDING,		/* 409 */
	PE_SUBJECT_ERASED,		/* 409 */
	PE_SUBJECT_AGENT,		/* 409: the DPO erases an agent */
	PE_AGENT_SELF_ERASE,		/* 403: an agent erases itself */
	PE_PASSWORD_WRONG,		/* 422 */
	PE_ERASURE_FAILED,		/* 500 */
	PE__COUNT
};
extern const struct errcode	privacy_errors[PE__COUNT];

#define PRIV_ERR(x)	(&privacy_errors[(x)])

/*
 * Request budgets per client address (http/ratelimit.h), far above what
 * a person does by hand, so that only a flood meets them: consent
 * changes (PUT and DELETE /api/v1/me/consents/{purpose}), and the
 * person's own rights requests (POST /api/v1/me/objections and
 * /api/v1/me/restriction).  guichet-privacy(7) says them.
 */
#define PRIV_BUDGET_WINDOW	60	/* seconds */
#define PRIV_CONSENT_BUDGET	30
#define PRIV_RIGHTS_BUDGET	10

/* Most history rows GET /me/consents shows (newest first). */
#define PRIV_HISTORY_MAX	200
/* Most characters of the purpose of a read by the town (X-Purpose). */
#define PRIV_PURPOSE_MAX	500

/*
 * One change of a person's privacy state at a time (consents, rights,
 * restriction, erasure): a transaction-scoped lock on the person's id,
 * the privacy module's own (it never locks identity's rows).  Taken
 * first in the transaction; the statements after it see what committed
 * before.  0, or -1 with 'err'.
 */
int	 privacy_person_lock(struct db *, const char *, struct db_error *);

/* 1 when 's' has the shape of a purpose code (checked before any SQL). */
int	 priv_purpose_code_ok(const char *);

/*
 * privacy_consent_set() inside the caller's transaction (an objection to
 * direct marketing withdraws the consent in the objection's): 0 with
 * *outcome, or -1 with 'err' (err->code DB_OK: *outcome says why).
 */
int	 priv_consent_apply(struct db *, const char *, const char *, int,
	    const char *, enum consent_outcome *, struct db_error *);

/*
 * Helpers of the handlers (privacy_http.c).
 *
 * priv_purpose_or_reply: the purpose of a read by the town: the
 * X-Purpose header or, where 'reason_query' is set (the DPO's export),
 * ?reason=; trimmed; NULL with a 400 replied when it is absent, blank or
 * longer than PRIV_PURPOSE_MAX characters.
 */
const char *priv_purpose_or_reply(struct request *, int);
/* A 422 (code "validation") with the 'errors' it steals. */
void	 priv_reply_fields(struct request *, json_t *);
/* Content-Language and Vary: Accept-Language. */
void	 priv_language_headers(struct request *, enum lang);
/*
 * Keyset cursors: the opaque cursor (http/page.h) of the key "<time to
 * the microsecond>|<id>", and back: 0 with the time as RFC 3339 text and
 * the id (a UUID when 'uuid', digits otherwise), both >= 40 bytes; or -1
 * when it is not one of ours.
 */
char	*priv_cursor_make(int64_t, const char *);
int	 priv_cursor_split(const char *, char *, char *, int);
/* The answer of a list: {"items", "next_cursor"} (NULL: the last page). */
void	 priv_reply_page(struct request *, json_t *, char *);

#endif
