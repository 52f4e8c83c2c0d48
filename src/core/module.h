/*
 * module.h: the module contract (ARCHITECTURE.md, "Modules").
 *
 * A module is one folder under src/ that declares itself with one
 * const struct module: its name, its statement tables, its routes, its
 * privacy hooks (export, erase, purge), its guichetctl commands, the
 * partner scopes it defines, its problem codes, the tables it owns and
 * the file of its OpenAPI fragment.  src/app/modules.c lists the modules,
 * lowest layer first; guichetd, guichetctl and the OpenAPI generator all
 * read that one list through modules_init(), so that they cannot see
 * different modules or hooks (t/integ/t0003-modules checks it).
 *
 * Invariants:
 *  - a module depends only on modules listed before it (and on the layers
 *    below: base, json, db, auth, http, core); it reaches a module above
 *    it through hooks only;
 *  - every table has one owning module, which alone writes it; another
 *    module reads it only through what the owner declares in 'exports'
 *    (functions of its header, or SQL views named there);
 *  - everything here is registered once, at start-up, before any thread
 *    other than main runs; nothing is added later.
 */
#ifndef GUICHET_CORE_MODULE_H
#define GUICHET_CORE_MODULE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct buf;
struct conf;
struct db;
struct db_error;
struct db_res;
struct db_stmt;
struct errcode;
struct request;
struct route;
struct scope_def;

/* Where the module runs: guichetd starts workers, guichetctl does not. */
enum module_mode { MODULE_SERVER, MODULE_CTL, MODULE_DOC };

struct module_env {
	const struct conf	*conf;
	enum module_mode	 mode;
};

/* One statement table: 'count' rows of 'stmts' (db.h). */
struct module_stmts {
	struct db_stmt	*stmts;
	size_t		 count;
};

/*
 * What the privacy layer gives an export hook for the portable part of
 * the document (Art. 20): where to write it, and which columns of the
 * module's tables are portable for this person now (their 'pii:' category
 * rests on consent or contract): the privacy layer decides, the module
 * only says what it holds.
 */
struct privacy_portable {
	struct buf	*out;
	/*
	 * The portable columns of 'table' ("identity.accounts") as a
	 * PostgreSQL text[] literal ("{email,phone}"); "{}" when none.
	 * NULL when the database failed ('err' of the hook is set).
	 */
	const char	*(*columns)(struct privacy_portable *, const char *table,
			    struct db_error *err);
	void		*ctx;		/* the privacy layer's */
};

/*
 * How a module tells the privacy layer what it holds about a person
 * (Art. 15, 17, 20 RGPD and retention, Art. 5(1)(e)).  The privacy
 * module drives every module's hooks, in the order of the module list;
 * any hook may be NULL.
 */
struct privacy_hooks {
	/*
	 * Append the person's data as one JSON object (the module's
	 * section, '{' and '}' included) to 'out'.  'portable' (may be
	 * NULL) receives in portable->out, the same way, the part the
	 * person provided whose columns portable->columns() names.  0, or
	 * -1 with 'err'.
	 */
	int	(*export)(struct db *, const char *account, struct buf *out,
		    struct privacy_portable *portable, struct db_error *err);
	/*
	 * Inside the one erasure transaction: delete or anonymise what is
	 * erasable, cut from the person what must be kept.  Append to
	 * 'erased' {"module","category","records","strategy"} and to
	 * 'retained' {"module","category","records","legal_basis","until"}
	 * objects.  'salt' is random per erasure and never stored: where a
	 * value must stay unique, hash it with the salt.  0, or -1 with 'err'.
	 */
	int	(*erase)(struct db *, const char *account, const char *salt,
		    json_t *erased, json_t *retained, struct db_error *err);
	/*
	 * The retention work that a rule of privacy.retention_rules cannot
	 * say in SQL (a notice before a deletion, say), at 'now' (the
	 * injectable clock, microseconds).  Appends one {"rule","count",
	 * "status"} object per kind of work to 'report'.  0, or -1 when some
	 * of it failed (logged).
	 */
	int	(*purge)(struct db *, int64_t now, json_t *report);
};

/* What a guichetctl command gets: its arguments after the command word. */
struct ctl_ctx {
	struct db		*db;
	const struct conf	*conf;
	char			**argv;
	int			 argc;
};

struct ctl_command {
	const char	*name;		/* the command word: "agent" */
	int		(*run)(struct ctl_ctx *);	/* 0, or -1 (message printed) */
	const char	*usage;		/* "agent add EMAIL [--name N]" */
	const char	*help;		/* one line */
};

/*
 * A message a module queues (ops/outbox.h): its name, which is also the
 * name of its files templates/mail/<name>.<fr|en|it>, and who may get it.
 * By default a message goes only to a verified address of a person whose
 * processing is not restricted (Art. 18 RGPD); the flags are exceptions,
 * each to be justified where the template is declared (guichet-privacy(7),
 * "Mail").
 */
#define MAIL_TO_UNVERIFIED	0x1	/* also to an address not yet proven */
#define MAIL_DESPITE_RESTRICTION 0x2	/* the law or the person's own
					   request of the moment requires it */
struct mail_template {
	const char	*name;		/* [a-z][a-z0-9_]* */
	unsigned	 flags;		/* MAIL_* */
};

struct module {
	const char			*name;	/* "identity": [a-z][a-z0-9_]* */
	/*
	 * Keys, costs, caches, the server's hooks; -1 with a message in
	 * 'err'.  Runs after the statements, scopes and problem codes of
	 * every module are registered.  May be NULL.
	 */
	int	(*init)(const struct module_env *, char *err, size_t errlen);
	/* Background threads (guichetd only), after init; may be NULL. */
	void	(*start)(void);
	void	(*stop)(void);
	/*
	 * guichetctl demo: the module's demo data beyond sql/demo (accounts
	 * with hashed passwords, say); prints what the operator needs.
	 */
	int	(*demo)(struct ctl_ctx *);

	/* Its statement tables, NULL-terminated (one per file, often). */
	const struct module_stmts *const *stmts;
	const struct route		*routes;
	size_t				 nroutes;
	const struct privacy_hooks	*privacy;	/* NULL: holds nothing on people */
	const struct ctl_command	*commands;
	size_t				 ncommands;
	const struct scope_def		*scopes;	/* partner scopes it defines */
	size_t				 nscopes;
	const struct errcode		*errors;	/* its problem codes */
	size_t				 nerrors;
	/*
	 * The tables it owns ("identity.accounts"), and the relations other
	 * modules may read ("identity.account_directory"); both
	 * NULL-terminated.  t/unit/test_modules checks every statement of
	 * every module against them.
	 */
	const char *const		*tables;
	const char *const		*exports;
	/* Its OpenAPI fragment, from the top of the source tree. */
	const char			*openapi;
	/*
	 * The messages it queues: guichetd refuses to start when one lacks
	 * a file in a language, and the outbox refuses one not declared.
	 */
	const struct mail_template	*templates;
	size_t				 ntemplates;
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * For erase hooks: append {"module","category","records","strategy"} to
 * 'erased' when 'records' > 0.
 */
void	 privacy_erased_add(json_t *, const char *, const char *, long,
	    const char *);
/*
 * For export hooks whose statement builds the JSON: append the columns
 * "section" and "portable" (when 'portable' is not NULL) of the first
 * row of 'res' to 'out' and portable->out; "{}" for SQL NULL or no row.
 */
void	 privacy_section_add(const struct db_res *, struct buf *,
	    struct privacy_portable *);

/*
 * Register every module of the NULL-terminated list 'mods' (statements,
 * scopes, problem codes, privacy hooks, routes), then run their init in
 * order.  -1 with a message.  Once per process.
 */
int	 modules_init(const struct module *const *, const struct module_env *,
	    char *, size_t);
/* Start (in list order) and stop (in reverse) the background threads. */
void	 modules_start(void);
void	 modules_stop(void);

/* The declaration of template 'name' by any module, or NULL. */
const struct mail_template *module_template_find(const char *);

/* The registered modules, in list order. */
size_t	 module_count(void);
const struct module *module_at(size_t);
const struct module *module_find(const char *);

/*
 * What this process registered, one line per fact, in a stable order:
 * modules, routes, statements, hooks, commands, scopes, mail templates,
 * problem codes.
 * guichetd --modules and guichetctl modules print it.
 */
void	 modules_describe(FILE *);

#endif
