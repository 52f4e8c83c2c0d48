/*
 * procedures_int.h: shared between the files of src/procedures only.
 *
 * procedures_db.c      the statement table; procedures_get() and
 *                      procedure_free() (procedures.h); saving a version
 *                      and retiring a procedure: the business
 *                      operations that the HTTP handlers, guichetctl and
 *                      the demo all call
 * form.c               the form: procedures_check_form() (answers) and
 *                      the check of a form's definition; the module's
 *                      field messages in fr, en and it
 * definition.c         a procedure's definition (the JSON of the API's
 *                      bodies, of import and export): its input schema,
 *                      its check, struct procedure from and to JSON
 * procedures_http.c    the handlers
 * procedures_ctl.c     guichetctl procedures import|export, the demo
 * procedures_module.c  the declaration and the problem codes
 */
#ifndef GUICHET_PROCEDURES_INT_H
#define GUICHET_PROCEDURES_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/lang.h"
#include "db/db.h"
#include "http/reply.h"
#include "procedures/procedures.h"

/* The statements of procedures_db.c, by index into procedures_stmts[]. */
enum procedures_stmt {
	PS_VERSION_GET,
	PS_PROCEDURE_LOCK,
	PS_PROCEDURE_INSERT,
	PS_PROCEDURE_SET_VERSION,
	PS_PROCEDURE_SET_ACTIVE,
	PS_VERSION_INSERT,
	PS_VERSION_LIST,
	PS_DEPARTMENT_EXISTS,
	PS_THEME_EXISTS,
	PS_PUBLIC_LIST,
	PS_ADMIN_LIST,
	PS__COUNT
};
extern struct db_stmt	procedures_stmts[PS__COUNT];
#define PROC_STMT(x)	(&procedures_stmts[(x)])

struct module_stmts;
extern const struct module_stmts	procedures_stmt_table;

/* The problem codes (procedures_module.c); the status and each '%s'. */
enum procedures_err {
	PRE_NOT_FOUND,		/* 404: no procedure by this code */
	PRE_VERSION_NOT_FOUND,	/* 404: %s = the version asked */
	PRE_EXISTS,		/* 409: POST of a code that exists */
	PRE_CODE_MISMATCH,	/* 422: %s = the path's code */
	PRE__COUNT
};
extern const struct errcode	procedures_errors[PRE__COUNT];
#define PROC_ERR(x)	(&procedures_errors[(x)])

/* The most fields a form and options a choice may have. */
#define FORM_FIELDS_MAX		200
#define FORM_OPTIONS_MAX	100
#define FORM_NAME_MAX		48

/* Form (form.c). */

/*
 * The messages of the module's field errors, in the three languages;
 * "{n}" takes the argument of form_error().
 */
enum form_msg {
	FM_UNKNOWN_FIELD,
	FM_HIDDEN,
	FM_REQUIRED,
	FM_CHECKED,
	FM_TEXT,
	FM_NUMBER,
	FM_INTEGER,
	FM_BOOLEAN,
	FM_LIST,
	FM_OBJECT,
	FM_MAX_CHARS,
	FM_MIN_NUMBER,
	FM_MAX_NUMBER,
	FM_MIN_DATE,
	FM_MAX_DATE,
	FM_MIN_ITEMS,
	FM_MAX_ITEMS,
	FM_DATE,
	FM_EMAIL,
	FM_PHONE,
	FM_FILE,
	FM_CHOICE,
	FM_TWICE,
	FM_PATTERN,
	FM_POSTCODE,
	FM_ADDRESS_STREET,
	FM_LATITUDE,
	FM_LONGITUDE,
	/* definitions */
	FM_UNKNOWN_MEMBER,
	FM_VALUE,
	FM_NAME,
	FM_DUPLICATE,
	FM_TYPE,
	FM_NOT_FOR_TYPE,
	FM_OPTIONS_NEEDED,
	FM_BAD_PATTERN,
	FM_MIN_ABOVE_MAX,
	FM_COND_FIELD,
	FM_COND_LATER,
	FM_COND_ONE,
	FM_COND_VALUE,
	FM_DEPARTMENT,
	FM_THEME,
	FM_SEASON,
	FM_GRANTS_KIND,
	FM__COUNT
};

/*
 * Append {"field": 'path', "code": 'code', "message"} in 'lang' to
 * 'errors' (while it holds fewer than JSON_ERRORS_MAX) and count it in
 * *count.  'arg' replaces "{n}" (may be NULL).
 */
void	 form_error(json_t *, size_t *, const char *, const char *,
	    enum form_msg, enum lang, const char *);
/*
 * Check the form definition 'form' (an array of objects) and append one
 * error per problem under "/form/<index>/..."; returns how many.
 */
size_t	 form_check_definition(const json_t *, enum lang, json_t *);

/* Definitions (definition.c). */

/* Texts in fr, en and it: titles and labels, help texts. */
extern const struct json_spec	procedures_text_spec;
extern const struct json_spec	procedures_help_spec;
/*
 * json_check() of 'v' against 'spec', its errors appended to 'errors'
 * under the JSON pointer 'prefix' (at most JSON_ERRORS_MAX in 'errors'),
 * all counted in *count; how many problems 'v' has.
 */
size_t	 form_check_under(const json_t *, const struct json_spec *,
	    const char *, enum lang, json_t *, size_t *);
/* The input schema of a definition: POST and PUT bodies, import. */
extern const struct json_spec	procedures_definition_spec;
extern const struct json_spec	procedures_patch_spec;

/*
 * Check definition 'def': its schema, then what the schema cannot say
 * (its form, its grants) and, with 'db', that its department and theme
 * exist.  One error per problem appended to 'errors'; returns how many,
 * or (size_t)-1 when the database failed ('err').
 */
size_t	 definition_check(struct db *, const json_t *, enum lang, json_t *,
	    struct db_error *);
/* 's' is [a-z][a-z0-9_]* of 'min' to 'max' characters. */
int	 code_ok(const char *, size_t, size_t);
#define PROC_CODE_MIN	2
#define PROC_CODE_MAX	47
/* A checked definition as a procedure (version 0): the caller frees. */
struct procedure *definition_parse(const json_t *);
/* The definition of 'p' (the format of the API's bodies and of export). */
json_t	*definition_of(const struct procedure *);
/* 'p' for people who read 'lang': texts in that language. */
json_t	*procedure_localized(const struct procedure *, enum lang);
enum implicit_decision implicit_from(const char *);
const char *implicit_name(enum implicit_decision);

/* Saving (procedures_db.c). */

enum save_mode {
	SAVE_CREATE,	/* a new procedure: SAVE_EXISTS when it is one */
	SAVE_UPDATE,	/* a new version: SAVE_NOT_FOUND when none */
	SAVE_ANY,	/* either (import) */
};

enum save_outcome {
	SAVE_CREATED,		/* version 1 */
	SAVE_NEW_VERSION,
	SAVE_UNCHANGED,		/* the current version says the same */
	SAVE_INVALID,		/* see 'errors' */
	SAVE_EXISTS,
	SAVE_NOT_FOUND,
	SAVE_FAILED,		/* the database: see the db_error */
};

struct save_result {
	enum save_outcome	 outcome;
	int			 version;	/* the current one after it */
	json_t			*errors;	/* SAVE_INVALID: owned */
	size_t			 nerrors;
};

/*
 * The tag of the public catalogue's cached answers (http/cache.h): the
 * triggers of migration 020 drop it in every guichetd; procedures_save()
 * and procedures_set_active() drop it at once in their own process
 * after a change committed, so that the next read there shows it.
 */
#define PROCEDURES_CACHE_TAG	"procedures"

/*
 * Check and save definition 'def' in one transaction: a new procedure, or
 * a new version of it when it differs from the current one.  'source' is
 * "api", "ctl" or "demo"; 'lang' the errors' language; 'now' the clock.
 * 0 with 'res' set (free res->errors), or -1 with 'err' (SAVE_FAILED).
 */
int	 procedures_save(struct db *, const json_t *, enum save_mode,
	    const char *, enum lang, int64_t, struct save_result *,
	    struct db_error *);
/*
 * Set whether procedure 'code' can be filed: 0, 1 when there is no such
 * procedure, -1 with 'err'.
 */
int	 procedures_set_active(struct db *, const char *, int, int64_t,
	    struct db_error *);
/*
 * The definition (definition_of()) with "version", "active",
 * "created_at" and "versions" of procedure 'code' at 'version' (0: the
 * current): 0 and *out, 1 when none, -1 with 'err'.
 */
int	 procedures_admin_get(struct db *, const char *, int, json_t **,
	    struct db_error *);

/*
 * The public view of procedure 'code' at 'version' (0: the current) in
 * 'lang': procedure_localized() with "current_version" and
 * "created_at".  0 and *out; 1: no such procedure; 2: it has no such
 * version; -1 with 'err'.
 */
int	 procedures_public_get(struct db *, const char *, int, enum lang,
	    json_t **, struct db_error *);

/* guichetctl procedures, and the demo's procedures (procedures_ctl.c). */
struct ctl_ctx;
int	 procedures_ctl(struct ctl_ctx *);
int	 procedures_demo(struct ctl_ctx *);

/* Handlers (procedures_http.c). */
struct request;
int	 procedures_list(struct request *);
int	 procedures_get_one(struct request *);
int	 procedures_admin_list(struct request *);
int	 procedures_admin_create(struct request *);
int	 procedures_admin_get_one(struct request *);
int	 procedures_admin_put(struct request *);
int	 procedures_admin_patch(struct request *);

#endif
