/*
 * identity_http.c: the identity layer's HTTP handlers and their input
 * schemas.  SQL is in identity_db.c; tokens in src/auth/token.c; passwords
 * in src/auth/password.c.
 *
 * Rules kept here:
 *  - a wrong password and an unknown email take the same time (a dummy
 *    argon2 verification) and get the same answer;
 *  - password reset never tells whether an email exists;
 *  - every authentication decision is logged, with ids, never with the
 *    password, the token or the email;
 *  - changing a password, blocking an account or changing an agent's roles
 *    bumps the token version: every access token already issued dies.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "auth/password.h"
#include "auth/policy.h"
#include "auth/token.h"
#include "auth/totp.h"
#include "base/b64.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/lang.h"
#include "base/conf.h"
#include "base/log.h"
#include "base/random.h"
#include "base/xmalloc.h"
#include "db/db.h"
#include "core/access.h"
#include "core/module.h"
#include "http/page.h"
#include "http/ratelimit.h"
#include "http/reply.h"
#include "http/server.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "json/check.h"

#define REFRESH_LIFETIME	(30 * 86400)	/* seconds */
#define OTP_REFUSED		"invalid or already used one-time code"

/*
 * Budgets (guichetd(8), "Budgets"), far above what a person does and far
 * below what guessing or flooding needs.  Per client address they are
 * counted in this process (http/ratelimit.h): behind a proxy with N
 * guichetd, at most N times as many.  The reset links of an account are
 * counted in the database, for every process at once.
 */
#define REGISTER_BUDGET		20	/* registrations per hour per address */
#define RESET_PEER_BUDGET	20	/* reset requests per hour per address */
#define RESET_LINKS_MAX		3	/* reset links per account per hour */
#define FRESH_SIGN_IN		300	/* s: a change of address without the password */
#define EMAIL_CHANGE_BUDGET	5	/* changes of address per hour per account */
#define EMAIL_CHANGE_PEER_BUDGET 20	/* the same per client address */

/* Input schemas. */

static const char *const profile_kinds[] = { "permanent_resident",
    "secondary_resident", "seasonal_worker", "tourist", NULL };
static const char *const role_names[] = { "agent", "supervisor", "admin",
    "dpo", NULL };

static const struct json_field employment_fields[] = {
	{ .name = "employer", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 120 },
	{ .name = "contract_start", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .format = JF_DATE },
	{ .name = "contract_end", .kind = JK_STRING, .format = JF_DATE },
	{ .name = NULL },
};
static const struct json_spec employment_spec = { .name = "employment",
    .fields = employment_fields };

static const struct json_field stay_fields[] = {
	{ .name = "start", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .format = JF_DATE },
	{ .name = "end", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .format = JF_DATE },
	{ .name = NULL },
};
static const struct json_spec stay_spec = { .name = "stay",
    .fields = stay_fields };

static const struct json_field address_fields[] = {
	{ .name = "street", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 200 },
	{ .name = "postcode", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .format = JF_POSTCODE, .min_len = 3, .max_len = 10 },
	{ .name = "city", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 100 },
	{ .name = "insee_code", .kind = JK_STRING, .format = JF_INSEE,
	  .min_len = 5, .max_len = 5 },
	{ .name = NULL },
};
static const struct json_spec address_spec = { .name = "address",
    .fields = address_fields };

static const struct json_field register_fields[] = {
	{ .name = "email", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .format = JF_EMAIL, .min_len = 3, .max_len = 254 },
	{ .name = "password", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 1024 },
	{ .name = "display_name", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 80 },
	{ .name = "locale", .kind = JK_STRING, .one_of = lang_codes },
	{ .name = "profile_kind", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .one_of = profile_kinds },
	{ .name = "employment", .kind = JK_OBJECT,
	  .object = &employment_spec },
	{ .name = "stay", .kind = JK_OBJECT, .object = &stay_spec },
	{ .name = "phone", .kind = JK_STRING, .format = JF_E164 },
	{ .name = "address", .kind = JK_OBJECT, .object = &address_spec },
	{ .name = NULL },
};
const struct json_spec identity_register_spec = { .name = "account_registration",
    .fields = register_fields };

static const struct json_field me_patch_fields[] = {
	{ .name = "email", .kind = JK_STRING, .format = JF_EMAIL, .min_len = 3,
	  .max_len = 254 },
	{ .name = "display_name", .kind = JK_STRING, .min_len = 1,
	  .max_len = 80 },
	{ .name = "locale", .kind = JK_STRING, .one_of = lang_codes },
	{ .name = "profile_kind", .kind = JK_STRING, .one_of = profile_kinds },
	{ .name = "employment", .kind = JK_OBJECT, .flags = JF_NULLABLE,
	  .object = &employment_spec },
	{ .name = "stay", .kind = JK_OBJECT, .flags = JF_NULLABLE,
	  .object = &stay_spec },
	{ .name = "phone", .kind = JK_STRING, .flags = JF_NULLABLE,
	  .format = JF_E164 },
	{ .name = "address", .kind = JK_OBJECT, .flags = JF_NULLABLE,
	  .object = &address_spec },
	/* A new email needs it, or a sign-in of less than five minutes. */
	{ .name = "current_password", .kind = JK_STRING, .min_len = 1,
	  .max_len = 1024 },
	{ .name = NULL },
};
const struct json_spec identity_me_patch_spec = { .name = "account_patch",
    .fields = me_patch_fields };

static const struct json_field token_only_fields[] = {
	{ .name = "token", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 128 },
	{ .name = NULL },
};
const struct json_spec identity_verify_spec = { .name = "email_verification",
    .fields = token_only_fields };

static const struct json_field reset_fields[] = {
	{ .name = "email", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .format = JF_EMAIL, .min_len = 3, .max_len = 254 },
	{ .name = NULL },
};
const struct json_spec identity_reset_spec = { .name = "password_reset",
    .fields = reset_fields };

static const struct json_field reset_confirm_fields[] = {
	{ .name = "token", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 128 },
	{ .name = "password", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 1024 },
	{ .name = NULL },
};
const struct json_spec identity_reset_confirm_spec = { .name = "password_reset_confirm",
    .fields = reset_confirm_fields };

/* OAuth2 names its parameters; the handler answers OAuth2 errors itself. */
static const struct json_field token_fields[] = {
	{ .name = "grant_type", .kind = JK_STRING, .max_len = 64 },
	{ .name = "username", .kind = JK_STRING, .max_len = 254 },
	{ .name = "password", .kind = JK_STRING, .max_len = 1024 },
	{ .name = "otp", .kind = JK_STRING, .max_len = 16 },
	{ .name = "refresh_token", .kind = JK_STRING, .max_len = 128 },
	{ .name = "client_id", .kind = JK_STRING, .max_len = 64 },
	{ .name = "client_secret", .kind = JK_STRING, .max_len = 128 },
	{ .name = "scope", .kind = JK_STRING, .max_len = 512 },
	{ .name = NULL },
};
/* RFC 6749 3.2: "parameters not recognized must be ignored". */
const struct json_spec identity_token_spec = { .name = "token_request",
    .fields = token_fields, .ignore_unknown = 1 };

static const struct json_field logout_fields[] = {
	{ .name = "refresh_token", .kind = JK_STRING, .min_len = 1,
	  .max_len = 128 },
	{ .name = "all", .kind = JK_BOOLEAN },
	{ .name = NULL },
};
const struct json_spec identity_logout_spec = { .name = "logout",
    .fields = logout_fields };

static const struct json_field password_fields[] = {
	{ .name = "current_password", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 1024 },
	{ .name = "new_password", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 1024 },
	{ .name = NULL },
};
const struct json_spec identity_password_spec = { .name = "password_change",
    .fields = password_fields };

static const struct json_field totp_fields[] = {
	{ .name = "code", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 6, .max_len = 6 },
	{ .name = NULL },
};
const struct json_spec identity_totp_spec = { .name = "totp_code",
    .fields = totp_fields };

static const struct json_field agent_create_fields[] = {
	{ .name = "email", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .format = JF_EMAIL, .min_len = 3, .max_len = 254 },
	{ .name = "display_name", .kind = JK_STRING, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 80 },
	{ .name = "locale", .kind = JK_STRING, .one_of = lang_codes },
	{ .name = "roles", .kind = JK_ARRAY, .flags = JF_REQUIRED,
	  .min_len = 1, .max_len = 4, .one_of = role_names,
	  .items = JK_STRING },
	{ .name = "departments", .kind = JK_ARRAY, .flags = JF_REQUIRED,
	  .max_len = 16, .items = JK_STRING },
	{ .name = NULL },
};
const struct json_spec identity_agent_create_spec = { .name = "agent_creation",
    .fields = agent_create_fields };

static const struct json_field agent_patch_fields[] = {
	{ .name = "roles", .kind = JK_ARRAY, .min_len = 1, .max_len = 4,
	  .one_of = role_names, .items = JK_STRING },
	{ .name = "departments", .kind = JK_ARRAY, .max_len = 16,
	  .items = JK_STRING },
	{ .name = NULL },
};
const struct json_spec identity_agent_patch_spec = { .name = "agent_patch",
    .fields = agent_patch_fields };

/* Messages of the field errors that the schema cannot express. */
enum msg { M_WEAK_SHORT, M_WEAK_LONG, M_WEAK_COMMON, M_WEAK_IDENTITY,
    M_NOT_ALLOWED, M_REQUIRED_FOR, M_DATE_ORDER, M_EMAIL_AMBIGUOUS,
    M_EMAIL_SCRIPTS, M_EMAIL_DOMAIN, M_EMAIL_SYNTAX, M_EMAIL_INVISIBLE };
static const char *const msgs[][3] = {
	[M_WEAK_SHORT] = { "le mot de passe doit compter au moins 12 caractères",
	    "the password must have at least 12 characters",
	    "la password deve avere almeno 12 caratteri" },
	[M_WEAK_LONG] = { "le mot de passe est trop long",
	    "the password is too long", "la password è troppo lunga" },
	[M_WEAK_COMMON] = { "ce mot de passe est parmi les plus courants : "
	    "choisissez-en un autre", "this password is one of the most common: "
	    "choose another", "questa password è tra le più comuni: sceglierne "
	    "un'altra" },
	[M_WEAK_IDENTITY] = { "le mot de passe ne doit pas reprendre votre "
	    "adresse ou votre nom", "the password must not repeat your email "
	    "or your name", "la password non deve ripetere l'email o il nome" },
	[M_NOT_ALLOWED] = { "ce champ ne s'applique pas à ce profil",
	    "this field does not apply to this profile",
	    "questo campo non si applica a questo profilo" },
	[M_REQUIRED_FOR] = { "ce champ est obligatoire pour ce profil",
	    "this field is required for this profile",
	    "questo campo è obbligatorio per questo profilo" },
	[M_DATE_ORDER] = { "la date de fin précède la date de début",
	    "the end date is before the start date",
	    "la data di fine precede la data di inizio" },
	[M_EMAIL_AMBIGUOUS] = { "avant le @, un caractère que les règles de "
	    "casse ou de compatibilité changent en un autre (İ, K, ẞ, ſ, "
	    "lettres pleine chasse...) : écrivez-le tel que votre messagerie "
	    "l'écrit", "before the @, a character that case or compatibility "
	    "rules turn into another (İ, K, ẞ, ſ, fullwidth letters...): "
	    "write it as your mail provider does", "prima della @, un "
	    "carattere che le regole di maiuscole o di compatibilità "
	    "cambiano in un altro (İ, K, ẞ, ſ, lettere a larghezza piena...): "
	    "scriverlo come lo scrive il proprio servizio di posta" },
	[M_EMAIL_SCRIPTS] = { "l'adresse mêle des écritures (latin et "
	    "cyrillique, par exemple) dans une même partie",
	    "the address mixes scripts (Latin and Cyrillic, say) in one part",
	    "l'indirizzo mescola alfabeti (latino e cirillico, per esempio) "
	    "in una stessa parte" },
	[M_EMAIL_INVISIBLE] = { "avant le @, un caractère invisible (espace "
	    "sans chasse, trait d'union conditionnel, changement de sens "
	    "d'écriture...)", "before the @, an invisible character (zero-width "
	    "space, soft hyphen, change of writing direction...)", "prima "
	    "della @, un carattere invisibile (spazio a larghezza zero, "
	    "trattino facoltativo, cambio di direzione di scrittura...)" },
	[M_EMAIL_DOMAIN] = { "ce nom de domaine n'est pas valide (IDNA 2008)",
	    "this domain name is not valid (IDNA 2008)",
	    "questo nome di dominio non è valido (IDNA 2008)" },
	[M_EMAIL_SYNTAX] = { "adresse électronique invalide",
	    "invalid email address", "indirizzo email non valido" },
};

static const char *
msg(const struct request *req, enum msg m)
{
	return (msgs[m][req->lang]);
}

/* The old accounts' address keys are there, or -1 with a 503 replied. */
static int
keys_ready_or_reply(struct request *req, struct db_error *err)
{
	if (identity_email_keys_ready(db_thread(), err) == 0)
		return (0);
	reply_db_error(req, err);
	return (-1);
}

/* A 422 listing the fields' errors (steals 'errors'). */
static void
validation(struct request *req, json_t *errors)
{
	char	 n[24];

	snprintf(n, sizeof(n), "%zu", json_array_size(errors));
	reply_error_fields(req, HTTP_ERR(HE_VALIDATION), errors, n);
}

/* A 422 of code 'e' about one field, whose message is the code's text. */
static void
field_error(struct request *req, enum identity_err e, const char *field,
    const char *code)
{
	json_t	*errors = json_array();

	json_error_add(errors, field, code, ID_ERR(e)->detail[req->lang]);
	reply_error_fields(req, ID_ERR(e), errors);
}

static void
weak_password(struct request *req, json_t *errors, const char *field,
    const char *pw, const char *email, const char *name)
{
	static const enum msg why[] = {
		[PASSWORD_TOO_SHORT] = M_WEAK_SHORT,
		[PASSWORD_TOO_LONG] = M_WEAK_LONG,
		[PASSWORD_TOO_COMMON] = M_WEAK_COMMON,
		[PASSWORD_IS_IDENTITY] = M_WEAK_IDENTITY,
	};
	enum password_weakness	 s = password_strength(pw, email, name);

	if (s != PASSWORD_OK)
		json_error_add(errors, field, "weak", msg(req, why[s]));
}

/*
 * A new address: its key in 'key' (IDENTITY_EMAIL_KEY_MAX), or -1 with a
 * 422 email_refused that says why, and the keys of old accounts filled
 * (503 until they are).
 */
static int
new_email_or_reply(struct request *req, const char *field, const char *email,
    char *key)
{
	static const struct { const char *code; enum msg m; } why[] = {
		[EMAIL_SYNTAX] = { "format", M_EMAIL_SYNTAX },
		[EMAIL_DOMAIN] = { "domain", M_EMAIL_DOMAIN },
		[EMAIL_AMBIGUOUS] = { "ambiguous", M_EMAIL_AMBIGUOUS },
		[EMAIL_MIXED_SCRIPTS] = { "mixed_scripts", M_EMAIL_SCRIPTS },
		[EMAIL_INVISIBLE] = { "invisible", M_EMAIL_INVISIBLE },
	};
	enum email_verdict	 v;
	struct db_error		 err;
	json_t			*errors;

	if ((v = identity_email_normalise(email, 1, key,
	    IDENTITY_EMAIL_KEY_MAX)) != EMAIL_OK) {
		errors = json_array();
		json_error_add(errors, field, why[v].code, msg(req, why[v].m));
		reply_error_fields(req, ID_ERR(IE_EMAIL_REFUSED), errors);
		return (-1);
	}
	return (keys_ready_or_reply(req, &err));
}

/* A new password's hash, or -1 with a 500 replied. */
static int
hash_or_reply(struct request *req, const char *pw, char *hash, size_t len)
{
	if (password_hash(pw, hash, len) == 0)
		return (0);
	reply_error(req, HTTP_ERR(HE_INTERNAL));
	return (-1);
}

/*
 * Profile-dependent fields: employment for seasonal workers, a stay for
 * tourists, neither for residents; end dates after start dates.
 */
static void
check_profile(struct request *req, const char *kind, const json_t *emp,
    const json_t *stay, json_t *errors)
{
	int	 seasonal = strcmp(kind, "seasonal_worker") == 0;
	int	 tourist = strcmp(kind, "tourist") == 0;
	const char *a, *b;

	if (seasonal && !json_is_object(emp))
		json_error_add(errors, "/employment", "required",
		    msg(req, M_REQUIRED_FOR));
	if (!seasonal && json_is_object(emp))
		json_error_add(errors, "/employment", "not_allowed",
		    msg(req, M_NOT_ALLOWED));
	if (tourist && !json_is_object(stay))
		json_error_add(errors, "/stay", "required",
		    msg(req, M_REQUIRED_FOR));
	if (!tourist && json_is_object(stay))
		json_error_add(errors, "/stay", "not_allowed",
		    msg(req, M_NOT_ALLOWED));
	if (json_is_object(emp) &&
	    (a = json_str(emp, "contract_start")) != NULL &&
	    (b = json_str(emp, "contract_end")) != NULL && strcmp(b, a) < 0)
		json_error_add(errors, "/employment/contract_end",
		    "date_order", msg(req, M_DATE_ORDER));
	if (json_is_object(stay) && (a = json_str(stay, "start")) != NULL &&
	    (b = json_str(stay, "end")) != NULL && strcmp(b, a) < 0)
		json_error_add(errors, "/stay/end", "date_order",
		    msg(req, M_DATE_ORDER));
}

/* The caller's account as JSON (the one read after any change). */
static int
reply_account_stmt(struct request *req, int status, const char *id,
    enum identity_stmt st)
{
	struct db_res	*res = NULL;
	const char	*params[1] = { id };

	if (reply_exec_row(req, ID_STMT(st), params, &res,
	    ID_ERR(IE_ACCOUNT_NOT_FOUND)) == -1)
		return (0);
	reply_json(req, status, id_account_json(res, 0));
	db_res_free(res);
	return (0);
}

static int
reply_account(struct request *req, int status, const char *id)
{
	return (reply_account_stmt(req, status, id, ID_ACCOUNT_GET));
}

/*
 * An administrator reads agents' personal data (staff administration):
 * the read and its access-log entries, one per account read, are written
 * in one transaction, so that no logged read goes unrecorded.
 */
struct staff_read {
	const struct principal	*who;
	enum identity_stmt	 st;
	const char *const	*p;
	int			 max;	/* rows recorded (the page) */
	struct db_res		*res;
};

static int
staff_read_tx(struct db *db, void *arg, struct db_error *err)
{
	struct staff_read	*t = arg;
	const char		*id;
	int			 i;

	db_res_free(t->res);
	t->res = NULL;
	if (db_exec(db, ID_STMT(t->st), t->p, &t->res, err) == -1)
		return (-1);
	for (i = 0; i < db_res_rows(t->res) && i < t->max; i++) {
		id = db_str(t->res, i, "id");
		if (access_record(db, id, t->who, "identity.account", id,
		    "staff administration", 0, err) == -1)
			return (-1);
	}
	return (0);
}

/* The read; -1 when the reply (the problem) is set. */
static int
staff_read(struct request *req, struct staff_read *t)
{
	struct db_error	 err;

	t->who = req->principal;
	t->res = NULL;
	if (db_tx(db_thread(), staff_read_tx, t, &err) == 0)
		return (0);
	db_res_free(t->res);
	t->res = NULL;
	reply_db_error(req, &err);
	return (-1);
}

/* An agent's account after an administrator's change, its read logged. */
static int
reply_staff_account(struct request *req, int status, const char *id)
{
	struct staff_read	 t = { .st = ID_ACCOUNT_GET, .max = 1 };
	const char		*p[1] = { id };

	t.p = p;
	if (staff_read(req, &t) == -1)
		return (0);
	if (db_res_rows(t.res) != 1)
		reply_error(req, ID_ERR(IE_AGENT_NOT_FOUND));
	else
		reply_json(req, status, id_account_json(t.res, 0));
	db_res_free(t.res);
	return (0);
}

/* POST /api/v1/accounts */

struct register_tx {
	const json_t	*in;
	const char	*hash;
	const char	*locale;
	char		 key[IDENTITY_EMAIL_KEY_MAX];
	char		 id[40];
};

static const char *
sub_str(const json_t *in, const char *obj, const char *k)
{
	return (json_str(json_object_get(in, obj), k));
}

static int
register_tx(struct db *db, void *arg, struct db_error *err)
{
	struct register_tx	*t = arg;
	const json_t		*in = t->in;
	struct db_res		*res = NULL;
	const char		*p[17];
	char			 now[40];

	id_now(now);
	p[0] = json_str(in, "email");
	p[16] = t->key;
	p[1] = t->hash;
	p[2] = json_str(in, "display_name");
	p[3] = t->locale;
	p[4] = json_str(in, "profile_kind");
	p[5] = sub_str(in, "employment", "employer");
	p[6] = sub_str(in, "employment", "contract_start");
	p[7] = sub_str(in, "employment", "contract_end");
	p[8] = sub_str(in, "stay", "start");
	p[9] = sub_str(in, "stay", "end");
	p[10] = json_str(in, "phone");
	p[11] = sub_str(in, "address", "street");
	p[12] = sub_str(in, "address", "postcode");
	p[13] = sub_str(in, "address", "city");
	p[14] = sub_str(in, "address", "insee_code");
	p[15] = now;
	if (db_exec(db, ID_STMT(ID_ACCOUNT_INSERT), p, &res, err) == -1)
		return (-1);
	snprintf(t->id, sizeof(t->id), "%s", db_str(res, 0, "id"));
	db_res_free(res);
	return (id_token_mail(db, t->id, LINK_VERIFY, p[0], err));
}

int
identity_register(struct request *req)
{
	const json_t		*in = req->json;
	struct register_tx	 t;
	struct db_error		 err;
	json_t			*errors;
	char			 hash[PASSWORD_HASH_MAX];

	/* Its 409 tells that an address has an account: not for a flood. */
	if (ratelimit_peer_or_reply(req, "register", REGISTER_BUDGET, 3600) ==
	    -1)
		return (0);
	memset(&t, 0, sizeof(t));
	if (new_email_or_reply(req, "/email", json_str(in, "email"), t.key) ==
	    -1)
		return (0);
	errors = json_array();
	check_profile(req, json_str(in, "profile_kind"),
	    json_object_get(in, "employment"), json_object_get(in, "stay"),
	    errors);
	weak_password(req, errors, "/password", json_str(in, "password"),
	    json_str(in, "email"), json_str(in, "display_name"));
	if (json_array_size(errors) > 0) {
		validation(req, errors);
		return (0);
	}
	json_decref(errors);
	if (hash_or_reply(req, json_str(in, "password"), hash,
	    sizeof(hash)) == -1)
		return (0);
	t.in = in;
	t.hash = hash;
	t.locale = json_str(in, "locale") != NULL ? json_str(in, "locale") :
	    lang_code(req->lang);
	if (db_tx(db_thread(), register_tx, &t, &err) == -1) {
		if (err.code == DB_E_UNIQUE)
			reply_error(req, ID_ERR(IE_EMAIL_TAKEN));
		else
			reply_db_error(req, &err);
		return (0);
	}
	log_info("account %s registered", t.id);
	reply_account(req, 201, t.id);
	if (req->reply.status == 201)
		reply_header(req, "Location", "/api/v1/me");
	return (0);
}

/* POST /api/v1/accounts/verify */

/* A link's refusal, or 0 when it went through. */
static int
link_failed(struct request *req, enum id_result r, const struct db_error *err)
{
	switch (r) {
	case IDR_OK:
		return (0);
	case IDR_TAKEN:
		reply_error(req, ID_ERR(IE_EMAIL_TAKEN));
		break;
	case IDR_DB:
		reply_db_error(req, err);
		break;
	default:
		field_error(req, IE_LINK_INVALID, "/token", "invalid");
		break;
	}
	return (-1);
}

/*
 * POST /api/v1/accounts/verify: the token of a link sent about an
 * address.  A verification link proves the address it was sent to and
 * nothing else: the current address, or the new one waiting, which then
 * replaces it.  The undo link sent to the old address when it changed
 * brings it back, verified, and ends every session and live link of the
 * account.
 */
int
identity_verify_email(struct request *req)
{
	const char	*token = json_str(req->json, "token");
	struct db_error	 err;
	enum id_result	 r;
	char		 id[40];

	if ((r = id_email_verify(db_thread(), token, id, &err)) ==
	    IDR_BAD_LINK && (r = id_email_undo(db_thread(), token, id,
	    &err)) == IDR_OK) {
		principal_cache_forget(id);
		log_info("account %s undid a change of address; sessions "
		    "revoked", id);
	} else if (r == IDR_OK)
		log_info("account %s verified its email", id);
	if (link_failed(req, r, &err) == 0)
		reply_bytes(req, 204, NULL, "", 0);
	return (0);
}

/* POST /api/v1/auth/password-reset: the same 202 whether or not the email exists. */

struct reset_tx {
	char	 key[IDENTITY_EMAIL_KEY_MAX];
	int	 found;
	int	 sent;
};

/*
 * A new link unless the account had RESET_LINKS_MAX in the last hour;
 * the links already sent stay alive either way, so that a flood of
 * requests can neither kill the link a person is about to use nor fill
 * their mailbox.  The message goes to the stored address only.
 */
static int
reset_tx(struct db *db, void *arg, struct db_error *err)
{
	struct reset_tx	*t = arg;
	struct db_res	*res = NULL;
	const char	*p[3] = { t->key, "reset_password", NULL };
	char		 id[40], now[40];
	int64_t		 recent;

	if (db_exec(db, ID_STMT(ID_ACCOUNT_LOGIN), p, &res, err) == -1)
		return (-1);
	t->found = db_res_rows(res) == 1 && db_bool(res, 0, "active");
	if (t->found)
		snprintf(id, sizeof(id), "%s", db_str(res, 0, "id"));
	db_res_free(res);
	if (!t->found)
		return (0);
	id_now(now);
	p[0] = id;
	p[2] = now;
	if (db_exec(db, ID_STMT(ID_OTT_RECENT), p, &res, err) == -1)
		return (-1);
	recent = db_int64(res, 0, "n");
	db_res_free(res);
	if (recent >= RESET_LINKS_MAX)
		return (0);
	t->sent = 1;
	return (id_token_mail(db, id, LINK_RESET, NULL, err));
}

int
identity_password_reset(struct request *req)
{
	struct reset_tx	 t;
	struct db_error	 err;

	if (ratelimit_peer_or_reply(req, "password_reset", RESET_PEER_BUDGET,
	    3600) == -1 || keys_ready_or_reply(req, &err) == -1)
		return (0);
	memset(&t, 0, sizeof(t));
	(void)identity_email_normalise(json_str(req->json, "email"), 0, t.key,
	    sizeof(t.key));
	if (db_tx(db_thread(), reset_tx, &t, &err) == -1) {
		reply_db_error(req, &err);
		return (0);
	}
	log_info("password reset requested (%s)", !t.found ?
	    "no such active account" : t.sent ? "sent" :
	    "3 links already sent this hour");
	reply_json(req, 202, json_pack("{s:s}", "status", "accepted"));
	return (0);
}

/* POST /api/v1/auth/password-reset/confirm */

struct set_password_tx {
	const char	*token;		/* reset: the one-time token */
	const char	*account;	/* change: the caller */
	const char	*hash;		/* the new password's */
	char		 id[40];
	int		 bad_token;
};

static int
set_password_tx(struct db *db, void *arg, struct db_error *err)
{
	struct set_password_tx	*t = arg;
	const char		*p[3];
	char			 now[40];

	if (t->token == NULL)
		snprintf(t->id, sizeof(t->id), "%s", t->account);
	else if (id_token_consume(db, t->token, "reset_password", t->id, NULL,
	    err) != 0) {
		t->bad_token = err->code == DB_OK;
		return (-1);
	}
	id_now(now);
	p[0] = t->id;
	p[1] = t->hash;
	p[2] = now;
	if (db_exec(db, ID_STMT(ID_ACCOUNT_SET_PASSWORD), p, NULL, err) == -1)
		return (-1);
	/* The other reset links die with the old password. */
	p[1] = "reset_password";
	if (db_exec(db, ID_STMT(ID_OTT_INVALIDATE), p, NULL, err) == -1)
		return (-1);
	p[1] = now;
	return (db_exec(db, ID_STMT(ID_REFRESH_REVOKE_ACCOUNT), p, NULL, err));
}

int
identity_password_reset_confirm(struct request *req)
{
	struct set_password_tx	 t;
	struct db_error		 err;
	json_t			*errors;
	char			 hash[PASSWORD_HASH_MAX];

	errors = json_array();
	weak_password(req, errors, "/password", json_str(req->json,
	    "password"), NULL, NULL);
	if (json_array_size(errors) > 0) {
		validation(req, errors);
		return (0);
	}
	json_decref(errors);
	if (hash_or_reply(req, json_str(req->json, "password"), hash,
	    sizeof(hash)) == -1)
		return (0);
	memset(&t, 0, sizeof(t));
	t.token = json_str(req->json, "token");
	t.hash = hash;
	if (db_tx(db_thread(), set_password_tx, &t, &err) == -1) {
		if (t.bad_token)
			field_error(req, IE_LINK_INVALID, "/token", "invalid");
		else
			reply_db_error(req, &err);
		return (0);
	}
	principal_cache_forget(t.id);
	log_info("auth: account %s reset its password; sessions revoked", t.id);
	reply_bytes(req, 204, NULL, "", 0);
	return (0);
}

/* POST /api/v1/auth/token (OAuth2) */

static void
oauth_error(struct request *req, int status, const char *code,
    const char *description)
{
	json_t	*o;

	o = json_pack("{s:s, s:s, s:s}", "error", code, "error_description",
	    description, "request_id", req->id);
	reply_json(req, status, o);
	if (status == 401)
		reply_header(req, "WWW-Authenticate", "Basic realm=\"guichet\"");
}

/* Sign the access token of 'c' (now, for TOKEN_LIFETIME): 0 or -1. */
static int
sign_access(struct token_claims *c, char **jwt)
{
	c->iat = clock_now() / 1000000;
	c->exp = c->iat + TOKEN_LIFETIME;
	c->jti[0] = '\0';
	return (token_sign(c, jwt));
}

/* The token response: the access token, a refresh token when not NULL. */
static void
reply_tokens(struct request *req, const struct token_claims *c,
    const char *jwt, const char *rt)
{
	struct buf	 s;
	json_t		*o;
	int		 i;

	o = json_pack("{s:s, s:s, s:i}", "access_token", jwt, "token_type",
	    "Bearer", "expires_in", TOKEN_LIFETIME);
	if (rt != NULL)
		json_object_set_new(o, "refresh_token", json_string(rt));
	if (c->nscopes > 0) {
		buf_init(&s);
		for (i = 0; i < c->nscopes; i++)
			buf_addf(&s, "%s%s", i > 0 ? " " : "", c->scopes[i]);
		json_object_set_new(o, "scope", json_string(s.data));
		buf_cleanup(&s);
	}
	reply_json(req, 200, o);
	reply_header(req, "Cache-Control", "no-store");
	reply_header(req, "Pragma", "no-cache");
}

/*
 * A grant to a person writes all it writes in one transaction
 * (ARCHITECTURE.md, "Rules a module keeps"): the refresh token it spends
 * (refresh grant); the one-time code's step, the re-hashed password and
 * the reset of the throttle (password grant); the new refresh token and
 * the person's activity.  The access token is signed inside, so that a
 * failure anywhere leaves nothing done: a refresh whose new token could
 * not be stored leaves the old one unspent, so that its retry is not
 * taken for a reuse, and a sign-in that failed leaves its one-time code
 * unused.
 */
enum grant_result {
	GRANT_ISSUED,		/* committed: g->jwt and g->rt */
	GRANT_INVALID,		/* committed: a refresh token that cannot
				   be used (a reuse revoked its family) */
	GRANT_OTP_USED,		/* rolled back: the code was used meanwhile */
	GRANT_UNSIGNED,		/* rolled back: token_sign() failed */
};

struct grant {
	struct token_claims	 c;	/* the person's; grant_tx() signs it */
	/* refresh grant */
	const char		*spend;	/* the hash of the token presented */
	char			 family[40];	/* its family; "": a new one */
	/* password grant */
	const char		*otp_step;	/* NULL: no one-time code */
	const char		*old_hash;	/* NULL: no re-hash */
	const char		*new_hash;
	const char		*ipkey, *userkey;	/* the throttle's keys */
	/* set by grant_tx() */
	enum grant_result	 result;
	char			 reused_by[40];	/* a reuse: the account */
	char			*jwt;
	char			 rt[RANDOM_TOKEN_LEN];
	char			 now[40];
};

/*
 * The refresh grant's reads and writes in grant_tx(): spend the token
 * presented, or revoke its family when it comes back spent (someone holds
 * a copy); then the account's current token version and roles.
 */
static int
grant_spend(struct db *db, struct grant *g, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[2];
	json_t		*roles, *v;
	size_t		 i;

	p[0] = g->spend;
	p[1] = g->now;
	if (db_exec(db, ID_STMT(ID_REFRESH_USE), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		g->result = GRANT_INVALID;
		if (db_exec(db, ID_STMT(ID_REFRESH_LOOKUP), p, &res, err) == -1)
			return (-1);
		if (db_res_rows(res) == 1 && db_bool(res, 0, "spent")) {
			snprintf(g->reused_by, sizeof(g->reused_by), "%s",
			    db_str(res, 0, "account_id"));
			p[0] = db_str(res, 0, "family_id");
			if (db_exec(db, ID_STMT(ID_REFRESH_REVOKE_FAMILY), p,
			    NULL, err) == -1) {
				db_res_free(res);
				return (-1);
			}
		}
		db_res_free(res);
		return (0);
	}
	snprintf(g->c.sub, sizeof(g->c.sub), "%s", db_str(res, 0,
	    "account_id"));
	snprintf(g->family, sizeof(g->family), "%s", db_str(res, 0,
	    "family_id"));
	g->c.mfa = db_bool(res, 0, "mfa");
	g->c.auth_time = db_time(res, 0, "auth_time") / 1000000;
	db_res_free(res);
	p[0] = g->c.sub;
	if (db_exec(db, ID_STMT(ID_ACCOUNT_GET), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		/* Blocked or gone: the token is spent all the same. */
		db_res_free(res);
		g->result = GRANT_INVALID;
		return (0);
	}
	g->c.tv = db_int64(res, 0, "token_version");
	roles = db_isnull(res, 0, "roles") ? NULL :
	    json_loads(db_str(res, 0, "roles"), 0, NULL);
	g->c.nroles = 0;
	json_array_foreach(roles, i, v)
		if (g->c.nroles < TOKEN_MAX_ROLES)
			snprintf(g->c.roles[g->c.nroles++],
			    sizeof(g->c.roles[0]), "%s", json_string_value(v));
	json_decref(roles);
	db_res_free(res);
	return (0);
}

/* The password grant's writes in grant_tx(). */
static int
grant_sign_in(struct db *db, struct grant *g, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[3];
	long		 n;

	p[0] = g->c.sub;
	if (g->otp_step != NULL) {
		/* Not used by a concurrent sign-in since it was checked. */
		p[1] = g->otp_step;
		if (db_exec(db, ID_STMT(ID_AGENT_TOTP_STEP), p, &res,
		    err) == -1)
			return (-1);
		n = db_res_affected(res);
		db_res_free(res);
		if (n != 1) {
			g->result = GRANT_OTP_USED;
			return (-1);
		}
	}
	/* The cost of the stored hash follows the configuration. */
	if (g->new_hash != NULL) {
		p[1] = g->old_hash;
		p[2] = g->new_hash;
		if (db_exec(db, ID_STMT(ID_ACCOUNT_REHASH), p, NULL, err) ==
		    -1)
			return (-1);
	}
	p[0] = g->ipkey;
	p[1] = g->userkey;
	return (db_exec(db, ID_STMT(ID_THROTTLE_RESET), p, NULL, err));
}

static int
grant_tx(struct db *db, void *arg, struct db_error *err)
{
	struct grant	*g = arg;
	const char	*p[7];
	char		 hash[72], exp[40], auth[40];

	g->result = GRANT_ISSUED;
	g->reused_by[0] = '\0';
	free(g->jwt);		/* a retry signs again */
	g->jwt = NULL;
	if (g->spend != NULL) {
		if (grant_spend(db, g, err) == -1)
			return (-1);
		if (g->result == GRANT_INVALID)
			return (0);	/* the spend or the revocation stays */
	} else if (grant_sign_in(db, g, err) == -1)
		return (-1);
	if (sign_access(&g->c, &g->jwt) == -1) {
		g->result = GRANT_UNSIGNED;
		return (-1);
	}
	id_sha256_bytea(g->rt, hash);
	id_now_plus(REFRESH_LIFETIME, exp);
	p[0] = g->c.sub;
	p[1] = g->family[0] != '\0' ? g->family : NULL;
	p[2] = hash;
	p[3] = g->c.mfa ? "t" : "f";
	p[4] = g->now;
	p[5] = exp;
	p[6] = NULL;
	if (g->c.auth_time > 0) {
		clock_format(g->c.auth_time * 1000000, auth, sizeof(auth));
		p[6] = auth;
	}
	if (db_exec(db, ID_STMT(ID_REFRESH_INSERT), p, NULL, err) == -1)
		return (-1);
	/*
	 * A person's activity: where the inactivity period starts.  Inside:
	 * its failure rolls the spent refresh token back too, so that the
	 * retry presents an unspent token, not a reuse.
	 */
	p[1] = g->now;
	return (db_exec(db, ID_STMT(ID_ACCOUNT_SEEN), p, NULL, err));
}

/*
 * Run grant_tx(): 0 with g->result for the caller to answer (the tokens
 * for GRANT_ISSUED), or -1 answered here (the database, no randomness, no
 * signature).
 */
static int
grant_run(struct request *req, struct grant *g)
{
	struct db_error	 err;
	int		 rc;

	id_now(g->now);
	if (random_token(g->rt, sizeof(g->rt)) == -1) {
		reply_error(req, HTTP_ERR(HE_INTERNAL));
		return (-1);
	}
	rc = db_tx(db_thread(), grant_tx, g, &err);
	if (rc == -1 && err.code != DB_OK)
		reply_db_error(req, &err);
	else if (rc == -1 && g->result == GRANT_UNSIGNED)
		reply_error(req, HTTP_ERR(HE_INTERNAL));
	else
		return (0);
	return (-1);
}

/* Answer an issued grant (GRANT_ISSUED); free what grant_run() made. */
static void
grant_reply(struct request *req, struct grant *g)
{
	reply_tokens(req, &g->c, g->jwt, g->rt);
	free(g->jwt);
	g->jwt = NULL;
	OPENSSL_cleanse(g->rt, sizeof(g->rt));
}

/* Space-separated roles into the claims. */
static void
claims_roles(struct token_claims *c, const char *roles)
{
	char	*copy, *r, *save = NULL;

	c->nroles = 0;
	copy = xstrdup(roles);
	for (r = strtok_r(copy, " ", &save); r != NULL &&
	    c->nroles < TOKEN_MAX_ROLES; r = strtok_r(NULL, " ", &save))
		snprintf(c->roles[c->nroles++], sizeof(c->roles[0]), "%s", r);
	free(copy);
}

static unsigned char	instance_secret[32];
static size_t		instance_secret_len;
static pthread_once_t	secret_once = PTHREAD_ONCE_INIT;
static void		instance_secret_load(void);

void
identity_throttle_user_key(const char *email, char *out)
{
	unsigned char	 md[SHA256_LEN];
	char		 lower[256], hex[2 * SHA256_LEN + 1];
	size_t		 j;

	for (j = 0; email[j] != '\0' && j < sizeof(lower) - 1; j++)
		lower[j] = (char)((email[j] >= 'A' && email[j] <= 'Z') ?
		    email[j] + 32 : email[j]);
	lower[j] = '\0';
	pthread_once(&secret_once, instance_secret_load);
	/* Keyed: an unsalted hash of an email could be linked back to it. */
	hmac_sha256(instance_secret, instance_secret_len, lower, j, md);
	hex_encode(md, sizeof(md), hex);
	snprintf(out, 80, "user:%s", hex);
	OPENSSL_cleanse(lower, sizeof(lower));
}

/*
 * The throttle's keys: the client address, and the account, by the key of
 * its address: every spelling of an address (case, Unicode variants, an
 * IDN or its punycode) counts against the one account it names.
 */
static void
throttle_keys(struct request *req, const char *key, char *ipkey,
    char *userkey)
{
	char	 peer[64];

	request_peer_group(req, peer, sizeof(peer));
	snprintf(ipkey, 80, "ip:%s", peer);
	identity_throttle_user_key(key, userkey);
}

/* One more failure for both keys (best effort: a sign-in is answered). */
static void
throttle_fail(const char *ipkey, const char *userkey)
{
	const char	*p[3];
	char		 now[40];
	struct db_error	 err;

	id_now(now);
	p[0] = ipkey;
	p[1] = userkey;
	p[2] = now;
	(void)db_exec(db_thread(), ID_STMT(ID_THROTTLE_FAIL), p, NULL, &err);
}

/* -1 (and a 429 with Retry-After) while either key is blocked. */
static int
throttled_or_reply(struct request *req, const char *ipkey, const char *userkey)
{
	struct db_res	*th = NULL;
	const char	*p[3];
	char		 now[40], retry[24];

	id_now(now);
	p[0] = ipkey;
	p[1] = userkey;
	p[2] = now;
	if (reply_exec(req, ID_STMT(ID_THROTTLE_GET), p, &th) == -1)
		return (-1);
	if (db_isnull(th, 0, "retry_after")) {
		db_res_free(th);
		return (0);
	}
	snprintf(retry, sizeof(retry), "%lld",
	    (long long)db_int64(th, 0, "retry_after"));
	db_res_free(th);
	log_info("auth: password check throttled (request %s)", req->id);
	reply_error(req, ID_ERR(IE_SIGNIN_THROTTLED), retry);
	reply_header(req, "Retry-After", retry);
	return (-1);
}

int
identity_reauthenticate(struct request *req, const char *account,
    const char *password)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { account };
	char		 ipkey[80], userkey[80];
	int		 ok;

	if (reply_exec_row(req, ID_STMT(ID_ACCOUNT_AUTH), p, &res,
	    ID_ERR(IE_ACCOUNT_NOT_FOUND)) == -1)
		return (-1);
	throttle_keys(req, db_str(res, 0, "email_key"), ipkey, userkey);
	if (throttled_or_reply(req, ipkey, userkey) == -1) {
		db_res_free(res);
		return (-1);
	}
	ok = password != NULL && password_verify(password, db_str(res, 0,
	    "password_hash")) == 1;
	db_res_free(res);
	if (ok)
		return (0);
	throttle_fail(ipkey, userkey);
	log_info("auth: account %s re-authentication failed (request %s)",
	    account, req->id);
	return (1);
}

/* A refused password grant: counted against both keys, logged, answered. */
static int
grant_refused(struct request *req, const char *ipkey, const char *userkey,
    const char *description)
{
	throttle_fail(ipkey, userkey);
	oauth_error(req, 400, "invalid_grant", description);
	return (0);
}

/*
 * The agent's one-time code: 0 good (its step in 'step', recorded by
 * grant_tx()), -1 replied.
 */
static int
grant_otp(struct request *req, const struct db_res *res, const char *id,
    const char *ipkey, const char *userkey, char *step_s, size_t len)
{
	const char	*otp = json_str(req->json, "otp");
	int64_t		 step;

	/*
	 * Without a code the answer tells that the password was right: it
	 * counts as a failure, so that it is no free oracle for guessing.
	 */
	if (otp == NULL) {
		log_info("auth: agent %s needs a one-time code", id);
		grant_refused(req, ipkey, userkey, "a one-time code (otp) is "
		    "required for this account");
		return (-1);
	}
	step = totp_check(db_str(res, 0, "totp_secret"), otp,
	    clock_now() / 1000000);
	if (step < 0 || step <= db_int64(res, 0, "totp_last_step")) {
		log_info("auth: agent %s one-time code refused", id);
		grant_refused(req, ipkey, userkey, OTP_REFUSED);
		return (-1);
	}
	snprintf(step_s, len, "%lld", (long long)step);
	return (0);
}

/* The key a sign-in's username is found and throttled by. */
static void
username_key(const char *user, char *key)
{
	(void)identity_email_normalise(user, 0, key, IDENTITY_EMAIL_KEY_MAX);
	if (key[0] == '\0')
		snprintf(key, IDENTITY_EMAIL_KEY_MAX, "%s", user);
}

/*
 * The token route's lane_key (http/route.h): a password grant's account,
 * by its throttle key, so that one account's sign-ins hold one share of
 * the slow lane whatever addresses they come from.
 */
int
identity_token_lane_key(const struct request *req, char *out, size_t len)
{
	const char	*user = json_str(req->json, "username");
	char		 key[IDENTITY_EMAIL_KEY_MAX], userkey[80];

	if (user == NULL || *user == '\0' || json_str(req->json,
	    "password") == NULL)
		return (0);
	username_key(user, key);
	identity_throttle_user_key(key, userkey);
	snprintf(out, len, "%s", userkey);
	return (1);
}

static int
grant_password(struct request *req)
{
	const json_t	*in = req->json;
	const char	*user = json_str(in, "username");
	const char	*pw = json_str(in, "password"), *p[1];
	struct db_res	*res = NULL;
	struct grant	 g;
	struct db_error	 err;
	char		 ipkey[80], userkey[80], key[IDENTITY_EMAIL_KEY_MAX];
	char		 newhash[PASSWORD_HASH_MAX], oldhash[PASSWORD_HASH_MAX];
	char		 step[24];
	int		 ok;

	if (user == NULL || pw == NULL || *user == '\0') {
		oauth_error(req, 400, "invalid_request",
		    "username and password are required");
		return (0);
	}
	/*
	 * Found by the key of the address, throttled by it before: the
	 * account once found is throttled by the same key, its own.
	 */
	username_key(user, key);
	throttle_keys(req, key, ipkey, userkey);
	if (throttled_or_reply(req, ipkey, userkey) == -1 ||
	    keys_ready_or_reply(req, &err) == -1)
		return (0);
	p[0] = key;
	if (reply_exec(req, ID_STMT(ID_ACCOUNT_LOGIN), p, &res) == -1)
		return (0);
	if (db_res_rows(res) != 1) {
		/* Same work, same answer as a wrong password. */
		password_verify_dummy(pw);
		ok = 0;
	} else
		ok = password_verify(pw, db_str(res, 0, "password_hash")) ==
		    1 && db_bool(res, 0, "active");
	if (!ok) {
		db_res_free(res);
		log_info("auth: password login failed (request %s)", req->id);
		return (grant_refused(req, ipkey, userkey,
		    "invalid username or password"));
	}
	memset(&g, 0, sizeof(g));
	snprintf(g.c.sub, sizeof(g.c.sub), "%s", db_str(res, 0, "id"));
	snprintf(g.c.kind, sizeof(g.c.kind), "person");
	g.c.tv = db_int64(res, 0, "token_version");
	g.c.auth_time = clock_now() / 1000000;
	if (db_bool(res, 0, "is_agent"))
		claims_roles(&g.c, db_str(res, 0, "roles"));
	if (db_bool(res, 0, "is_agent") && db_bool(res, 0, "totp_enrolled")) {
		if (grant_otp(req, res, g.c.sub, ipkey, userkey, step,
		    sizeof(step)) == -1) {
			db_res_free(res);
			return (0);
		}
		g.otp_step = step;
		g.c.mfa = 1;
	}
	/* Hashed here, before the transaction: it takes its time. */
	if (password_needs_rehash(db_str(res, 0, "password_hash")) &&
	    password_hash(pw, newhash, sizeof(newhash)) == 0) {
		snprintf(oldhash, sizeof(oldhash), "%s", db_str(res, 0,
		    "password_hash"));
		g.old_hash = oldhash;
		g.new_hash = newhash;
	}
	db_res_free(res);
	g.ipkey = ipkey;
	g.userkey = userkey;
	if (grant_run(req, &g) == -1)
		return (0);
	if (g.result == GRANT_OTP_USED) {
		log_info("auth: agent %s one-time code used meanwhile",
		    g.c.sub);
		return (grant_refused(req, ipkey, userkey, OTP_REFUSED));
	}
	if (g.new_hash != NULL)
		log_info("auth: account %s password re-hashed", g.c.sub);
	log_info("auth: account %s signed in%s", g.c.sub,
	    g.c.mfa ? " with mfa" : "");
	snprintf(req->principal_id, sizeof(req->principal_id), "%s", g.c.sub);
	grant_reply(req, &g);
	return (0);
}

static int
grant_refresh(struct request *req)
{
	const char	*rt = json_str(req->json, "refresh_token");
	struct grant	 g;
	char		 hash[72];

	if (rt == NULL || *rt == '\0') {
		oauth_error(req, 400, "invalid_request",
		    "refresh_token is required");
		return (0);
	}
	id_sha256_bytea(rt, hash);
	memset(&g, 0, sizeof(g));
	snprintf(g.c.kind, sizeof(g.c.kind), "person");
	g.spend = hash;
	if (grant_run(req, &g) == -1)
		return (0);
	if (g.result != GRANT_ISSUED) {
		if (g.reused_by[0] != '\0')
			log_warnx("auth: refresh token reuse for account %s: "
			    "token family revoked", g.reused_by);
		oauth_error(req, 400, "invalid_grant",
		    "the refresh token is invalid, expired or revoked");
		return (0);
	}
	log_info("auth: account %s refreshed its token", g.c.sub);
	snprintf(req->principal_id, sizeof(req->principal_id), "%s", g.c.sub);
	grant_reply(req, &g);
	return (0);
}

/*
 * HTTP Basic client credentials (RFC 6749 2.3.1): 1 and both parts, 0
 * without the header, -1 when malformed.
 */
static int
basic_credentials(struct request *req, char *id, size_t idlen, char *secret,
    size_t secretlen)
{
	const char	*h = request_header(req, "Authorization");
	char		 dec[256], *colon;
	ssize_t		 n;
	int		 rc = -1;

	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return (0);
	h += 6;
	n = b64_decode(h, strlen(h), dec, sizeof(dec) - 1);
	if (n <= 0)
		return (-1);
	dec[n] = '\0';
	if (strlen(dec) == (size_t)n && (colon = strchr(dec, ':')) != NULL &&
	    (size_t)(colon - dec) < idlen && strlen(colon + 1) < secretlen) {
		*colon = '\0';
		memcpy(id, dec, strlen(dec) + 1);
		memcpy(secret, colon + 1, strlen(colon + 1) + 1);
		rc = 1;
	}
	OPENSSL_cleanse(dec, sizeof(dec));
	return (rc);
}

/* 1 when 'word' is one of the space-separated words of 'list'. */
static int
has_word(const char *list, const char *word)
{
	const char	*q = list;
	size_t		 n = strlen(word);

	while ((q = strstr(q, word)) != NULL) {
		if ((q == list || q[-1] == ' ') && (q[n] == ' ' || q[n] == '\0'))
			return (1);
		q += n;
	}
	return (0);
}

static int
grant_client(struct request *req)
{
	const char	*p[1], *scope = json_str(req->json, "scope");
	struct db_res	*res = NULL;
	struct token_claims c;
	char		 id[72], secret[136], hex[65];
	char		*granted, *s, *save = NULL, *jwt = NULL;
	int		 b, ok;

	b = basic_credentials(req, id, sizeof(id), secret, sizeof(secret));
	if (b == -1) {
		oauth_error(req, 401, "invalid_client",
		    "malformed client credentials");
		return (0);
	}
	if (b == 0) {
		if (json_str(req->json, "client_id") == NULL ||
		    json_str(req->json, "client_secret") == NULL) {
			oauth_error(req, 401, "invalid_client",
			    "client authentication is required");
			return (0);
		}
		snprintf(id, sizeof(id), "%s", json_str(req->json,
		    "client_id"));
		snprintf(secret, sizeof(secret), "%s", json_str(req->json,
		    "client_secret"));
	}
	if (strlen(id) >= sizeof(c.sub)) {
		oauth_error(req, 401, "invalid_client",
		    "unknown client or wrong secret");
		return (0);
	}
	p[0] = id;
	if (reply_exec(req, ID_STMT(ID_CLIENT_GET), p, &res) == -1)
		return (0);
	id_sha256_hex(secret, hex);
	OPENSSL_cleanse(secret, sizeof(secret));
	ok = db_res_rows(res) == 1 && db_bool(res, 0, "active") &&
	    CRYPTO_memcmp(hex, db_str(res, 0, "secret_hash"), 64) == 0;
	if (!ok) {
		db_res_free(res);
		log_info("auth: client credentials refused (request %s)",
		    req->id);
		oauth_error(req, 401, "invalid_client",
		    "unknown client or wrong secret");
		return (0);
	}
	memset(&c, 0, sizeof(c));
	memcpy(c.sub, id, strlen(id) + 1);
	snprintf(c.kind, sizeof(c.kind), "client");
	granted = xstrdup(db_str(res, 0, "scopes"));
	db_res_free(res);
	for (s = strtok_r(granted, " ", &save); s != NULL &&
	    c.nscopes < TOKEN_MAX_SCOPES; s = strtok_r(NULL, " ", &save)) {
		/* A requested scope list narrows what was granted. */
		if (scope != NULL && *scope != '\0' && !has_word(scope, s))
			continue;
		snprintf(c.scopes[c.nscopes++], sizeof(c.scopes[0]), "%s", s);
	}
	free(granted);
	if (scope != NULL && *scope != '\0' && c.nscopes == 0) {
		oauth_error(req, 400, "invalid_scope",
		    "none of the requested scopes is granted to this client");
		return (0);
	}
	if (sign_access(&c, &jwt) == -1) {
		reply_error(req, HTTP_ERR(HE_INTERNAL));
		return (0);
	}
	log_info("auth: client %s obtained a token", c.sub);
	snprintf(req->principal_id, sizeof(req->principal_id), "%s", c.sub);
	reply_tokens(req, &c, jwt, NULL);
	free(jwt);
	return (0);
}

int
identity_token(struct request *req)
{
	const char	*g = json_str(req->json, "grant_type");

	if (g == NULL || *g == '\0') {
		oauth_error(req, 400, "invalid_request", "grant_type is required");
		return (0);
	}
	if (strcmp(g, "password") == 0)
		return (grant_password(req));
	if (strcmp(g, "refresh_token") == 0)
		return (grant_refresh(req));
	if (strcmp(g, "client_credentials") == 0)
		return (grant_client(req));
	oauth_error(req, 400, "unsupported_grant_type",
	    "grant_type must be password, refresh_token or client_credentials");
	return (0);
}

/*
 * POST /api/v1/auth/logout.  The body names what ends: "refresh_token"
 * (that token's family: this device) or "all": true (every session and
 * every access token of the account); one of them is required, so that
 * a client that sends nothing is told, not answered 204 for nothing.
 */

struct logout_tx {
	const char	*account;
	const char	*hash;		/* of the refresh token, or NULL: all */
};

static int
logout_tx(struct db *db, void *arg, struct db_error *err)
{
	struct logout_tx	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[2];
	char			 now[40];
	int			 rc = 0;

	id_now(now);
	p[1] = now;
	if (t->hash == NULL) {
		p[0] = t->account;
		if (db_exec(db, ID_STMT(ID_REFRESH_REVOKE_ACCOUNT), p, NULL,
		    err) == -1)
			return (-1);
		return (db_exec(db, ID_STMT(ID_ACCOUNT_BUMP_VERSION), p, NULL,
		    err));
	}
	p[0] = t->hash;
	if (db_exec(db, ID_STMT(ID_REFRESH_LOOKUP), p, &res, err) == -1)
		return (-1);
	/* Only the caller's own tokens; another's is ignored. */
	if (db_res_rows(res) == 1 && strcmp(db_str(res, 0, "account_id"),
	    t->account) == 0) {
		p[0] = db_str(res, 0, "family_id");
		p[1] = now;
		rc = db_exec(db, ID_STMT(ID_REFRESH_REVOKE_FAMILY), p, NULL,
		    err);
	}
	db_res_free(res);
	return (rc);
}

int
identity_logout(struct request *req)
{
	const char		*rt = json_str(req->json, "refresh_token");
	int			 all = json_is_true(json_object_get(req->json,
				    "all"));
	struct logout_tx	 t = { .account = req->principal->id };
	struct db_error		 err;
	char			 hash[72];

	if (!all && rt == NULL) {
		reply_error(req, ID_ERR(IE_LOGOUT_TARGET));
		return (0);
	}
	if (!all) {
		id_sha256_bytea(rt, hash);
		t.hash = hash;
	}
	if (db_tx(db_thread(), logout_tx, &t, &err) == -1) {
		reply_db_error(req, &err);
		return (0);
	}
	if (all)
		principal_cache_forget(req->principal->id);
	log_info("auth: account %s signed out%s", req->principal->id,
	    all ? " everywhere" : "");
	reply_bytes(req, 204, NULL, "", 0);
	return (0);
}

/* GET /api/v1/me */

int
identity_me_get(struct request *req)
{
	/* Roles change only with the token version: the token's are current. */
	return (reply_account_stmt(req, 200, req->principal->id,
	    req->principal->roles != 0 ? ID_ACCOUNT_GET : ID_ACCOUNT_GET_PLAIN));
}

/* PATCH /api/v1/me */

/*
 * A new address asks the caller to prove it is them: the current
 * password, counted like a sign-in when wrong, or a sign-in (the token's
 * auth_time) of less than FRESH_SIGN_IN seconds: a stolen access token
 * alone no longer moves the account to another mailbox.  0, or -1 with
 * the reply set.
 */
static int
reauthenticated_or_reply(struct request *req, const char *password)
{
	const char		*h = request_header(req, "Authorization");
	struct token_claims	 c;
	int			 rc;

	if (password != NULL) {
		if ((rc = identity_reauthenticate(req, req->principal->id,
		    password)) == 1)
			field_error(req, IE_PASSWORD_WRONG, "/current_password",
			    "wrong");
		return (rc == 0 ? 0 : -1);
	}
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0 &&
	    token_verify(h + 7, &c) == 0 && c.auth_time > 0 &&
	    clock_now() / 1000000 - c.auth_time <= FRESH_SIGN_IN)
		return (0);
	field_error(req, IE_REAUTH_REQUIRED, "/current_password", "required");
	return (-1);
}

/* The profile's fields and a new address: one transaction. */
struct me_patch_tx {
	const char	*account;
	const char	*const *p;	/* ID_ACCOUNT_UPDATE's, or NULL */
	const char	*email;		/* a new address, or NULL */
	const char	*key;
	enum id_result	 why;
};

static int
me_patch_tx(struct db *db, void *arg, struct db_error *err)
{
	struct me_patch_tx	*t = arg;

	if (t->p != NULL && db_exec(db, ID_STMT(ID_ACCOUNT_UPDATE), t->p,
	    NULL, err) == -1)
		return (-1);
	if (t->email == NULL)
		return (0);
	return (id_email_change_in(db, t->account, t->email, t->key, &t->why,
	    err));
}

int
identity_me_patch(struct request *req)
{
	const json_t	*in = req->json;
	const json_t	*emp, *stay, *v;
	struct db_res	*cur = NULL;
	struct db_error	 err;
	struct me_patch_tx t = { .account = req->principal->id };
	const char	*p[20], *kind;
	char		 now[40], old_kind[32], key[IDENTITY_EMAIL_KEY_MAX];
	json_t		*errors;
	size_t		 fields;

	fields = json_object_size(in) - (json_object_get(in,
	    "current_password") != NULL);
	if (fields == 0) {
		reply_error(req, HTTP_ERR(HE_EMPTY_PATCH));
		return (0);
	}
	if ((t.email = json_str(in, "email")) != NULL) {
		/*
		 * Each change mails a link to the new address: budgets per
		 * account and per client address, so that a session cannot
		 * send mail to any address without end.
		 */
		if (new_email_or_reply(req, "/email", t.email, key) == -1 ||
		    reauthenticated_or_reply(req, json_str(in,
		    "current_password")) == -1 ||
		    ratelimit_or_reply(req, "email_change", req->principal->id,
		    EMAIL_CHANGE_BUDGET, 3600) == -1 ||
		    ratelimit_peer_or_reply(req, "email_change_peer",
		    EMAIL_CHANGE_PEER_BUDGET, 3600) == -1)
			return (0);
		t.key = key;
		fields--;
	}
	p[0] = req->principal->id;
	if (reply_exec_row(req, ID_STMT(ID_ACCOUNT_GET), p, &cur,
	    ID_ERR(IE_ACCOUNT_NOT_FOUND)) == -1)
		return (0);
	/* The profile fields move together: check the result, not the patch. */
	/* Copied: 'cur' is freed before the update is sent. */
	snprintf(old_kind, sizeof(old_kind), "%s", db_str(cur, 0,
	    "profile_kind"));
	kind = json_str(in, "profile_kind") != NULL ?
	    json_str(in, "profile_kind") : old_kind;
	emp = json_object_get(in, "employment");
	stay = json_object_get(in, "stay");
	errors = json_array();
	if (json_str(in, "profile_kind") != NULL || emp != NULL ||
	    stay != NULL) {
		json_t	*cur_emp = NULL, *cur_stay = NULL, *full;

		full = id_account_json(cur, 0);
		if (emp == NULL)
			emp = cur_emp = json_incref(json_object_get(full,
			    "employment"));
		if (stay == NULL)
			stay = cur_stay = json_incref(json_object_get(full,
			    "stay"));
		if (json_str(in, "profile_kind") != NULL &&
		    strcmp(kind, old_kind) != 0) {
			/* A new profile drops what belonged to the old one. */
			if (json_object_get(in, "employment") == NULL)
				emp = NULL;
			if (json_object_get(in, "stay") == NULL)
				stay = NULL;
		}
		check_profile(req, kind, emp, stay, errors);
		json_decref(cur_emp);
		json_decref(cur_stay);
		json_decref(full);
	}
	db_res_free(cur);
	if (json_array_size(errors) > 0) {
		validation(req, errors);
		return (0);
	}
	json_decref(errors);
	id_now(now);
	p[0] = req->principal->id;
	p[1] = (v = json_object_get(in, "display_name")) != NULL ? "t" : "f";
	p[2] = json_string_value(v);
	p[3] = (v = json_object_get(in, "locale")) != NULL ? "t" : "f";
	p[4] = json_string_value(v);
	p[5] = (v = json_object_get(in, "phone")) != NULL ? "t" : "f";
	p[6] = json_string_value(v);
	p[7] = json_object_get(in, "address") != NULL ? "t" : "f";
	p[8] = sub_str(in, "address", "street");
	p[9] = sub_str(in, "address", "postcode");
	p[10] = sub_str(in, "address", "city");
	p[11] = sub_str(in, "address", "insee_code");
	p[12] = (json_str(in, "profile_kind") != NULL ||
	    json_object_get(in, "employment") != NULL ||
	    json_object_get(in, "stay") != NULL) ? "t" : "f";
	p[13] = kind;
	/* Re-read: 'emp' and 'stay' may point into the current account. */
	emp = p[12][0] == 't' && strcmp(kind, "seasonal_worker") != 0 ? NULL :
	    emp;
	stay = p[12][0] == 't' && strcmp(kind, "tourist") != 0 ? NULL : stay;
	p[14] = json_is_object(emp) ? json_str(emp, "employer") : NULL;
	p[15] = json_is_object(emp) ? json_str(emp, "contract_start") : NULL;
	p[16] = json_is_object(emp) ? json_str(emp, "contract_end") : NULL;
	p[17] = json_is_object(stay) ? json_str(stay, "start") : NULL;
	p[18] = json_is_object(stay) ? json_str(stay, "end") : NULL;
	p[19] = now;
	t.p = fields > 0 ? p : NULL;
	if (db_tx(db_thread(), me_patch_tx, &t, &err) == -1) {
		if (t.why == IDR_TAKEN)
			reply_error(req, ID_ERR(IE_EMAIL_TAKEN));
		else if (t.why == IDR_NOT_FOUND)
			reply_error(req, ID_ERR(IE_ACCOUNT_NOT_FOUND));
		else
			reply_db_error(req, &err);
		return (0);
	}
	/* The NOTIFY tells the other processes; this one knows now. */
	if (json_object_get(in, "locale") != NULL)
		principal_cache_forget(req->principal->id);
	log_info("account %s updated its profile%s", req->principal->id,
	    t.email != NULL ? " (a new address waits for its proof)" : "");
	return (reply_account(req, 200, req->principal->id));
}

/* POST /api/v1/me/password */

int
identity_me_password(struct request *req)
{
	struct set_password_tx	 t;
	struct db_res		*acc = NULL;
	struct db_error		 err;
	const char		*p[1] = { req->principal->id };
	json_t			*errors;
	char			 hash[PASSWORD_HASH_MAX];
	int			 rc;

	if (reply_exec_row(req, ID_STMT(ID_ACCOUNT_GET), p, &acc,
	    ID_ERR(IE_ACCOUNT_NOT_FOUND)) == -1)
		return (0);
	if ((rc = identity_reauthenticate(req, req->principal->id,
	    json_str(req->json, "current_password"))) != 0) {
		db_res_free(acc);
		if (rc == 1)
			field_error(req, IE_PASSWORD_WRONG,
			    "/current_password", "wrong");
		return (0);
	}
	errors = json_array();
	weak_password(req, errors, "/new_password", json_str(req->json,
	    "new_password"), db_str(acc, 0, "email"),
	    db_str(acc, 0, "display_name"));
	db_res_free(acc);
	if (json_array_size(errors) > 0) {
		validation(req, errors);
		return (0);
	}
	json_decref(errors);
	if (hash_or_reply(req, json_str(req->json, "new_password"), hash,
	    sizeof(hash)) == -1)
		return (0);
	memset(&t, 0, sizeof(t));
	t.account = req->principal->id;
	t.hash = hash;
	if (db_tx(db_thread(), set_password_tx, &t, &err) == -1) {
		reply_db_error(req, &err);
		return (0);
	}
	principal_cache_forget(req->principal->id);
	log_info("auth: account %s changed its password; sessions revoked",
	    req->principal->id);
	reply_bytes(req, 204, NULL, "", 0);
	return (0);
}

/* POST /api/v1/me/totp: start enrolment (agents) */

int
identity_totp_enrol(struct request *req)
{
	struct db_res	*res = NULL, *acc = NULL;
	const char	*p[2] = { req->principal->id, NULL };
	char		 secret[TOTP_SECRET_B32_MAX], uri[512];
	int		 rows, enrolled;

	if (reply_exec(req, ID_STMT(ID_AGENT_GET), p, &res) == -1)
		return (0);
	rows = db_res_rows(res);
	enrolled = rows == 1 && db_bool(res, 0, "totp_enrolled");
	db_res_free(res);
	if (rows != 1) {
		reply_error(req, ID_ERR(IE_TOTP_AGENTS_ONLY));
		return (0);
	}
	if (enrolled) {
		reply_error(req, ID_ERR(IE_TOTP_ENROLLED));
		return (0);
	}
	if (totp_secret_new(secret, sizeof(secret)) == -1) {
		reply_error(req, HTTP_ERR(HE_INTERNAL));
		return (0);
	}
	p[1] = secret;
	if (reply_exec(req, ID_STMT(ID_AGENT_TOTP_SET), p, NULL) == -1 ||
	    reply_exec(req, ID_STMT(ID_ACCOUNT_GET), p, &acc) == -1)
		return (0);
	rows = totp_uri("guichet", db_res_rows(acc) == 1 ?
	    db_str(acc, 0, "email") : req->principal->id, secret, uri,
	    sizeof(uri));
	db_res_free(acc);
	if (rows == -1) {
		reply_error(req, HTTP_ERR(HE_INTERNAL));
		return (0);
	}
	log_info("auth: agent %s started TOTP enrolment", req->principal->id);
	reply_json(req, 201, json_pack("{s:s, s:s}", "secret", secret,
	    "otpauth_uri", uri));
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

/* POST /api/v1/me/totp/verify: finish enrolment with a first code */

int
identity_totp_confirm(struct request *req)
{
	struct db_res	*res = NULL;
	const char	*p[3] = { req->principal->id, NULL, NULL };
	char		 now[40], step_s[24];
	int64_t		 step = -1;
	int		 pending;

	if (reply_exec(req, ID_STMT(ID_AGENT_GET), p, &res) == -1)
		return (0);
	pending = db_res_rows(res) == 1 && !db_isnull(res, 0, "totp_secret") &&
	    !db_bool(res, 0, "totp_enrolled");
	if (pending)
		step = totp_check(db_str(res, 0, "totp_secret"),
		    json_str(req->json, "code"), clock_now() / 1000000);
	db_res_free(res);
	if (!pending) {
		reply_error(req, ID_ERR(IE_TOTP_NO_ENROLMENT));
		return (0);
	}
	if (step < 0) {
		field_error(req, IE_TOTP_CODE_INVALID, "/code", "invalid");
		return (0);
	}
	id_now(now);
	snprintf(step_s, sizeof(step_s), "%lld", (long long)step);
	p[1] = now;
	p[2] = step_s;
	if (reply_exec(req, ID_STMT(ID_AGENT_TOTP_ENROL), p, NULL) == -1)
		return (0);
	log_info("auth: agent %s enrolled a second factor", req->principal->id);
	reply_bytes(req, 204, NULL, "", 0);
	return (0);
}

/* GET /.well-known/jwks.json */

int
identity_jwks(struct request *req)
{
	char	*jwks;

	if ((jwks = token_jwks()) == NULL) {
		reply_error(req, ID_ERR(IE_NO_PUBLIC_KEY));
		return (0);
	}
	reply_bytes(req, 200, CT_JSON, jwks, strlen(jwks));
	reply_header(req, "Cache-Control", "public, max-age=300");
	free(jwks);
	return (0);
}

/* Admin: agents. */

int
identity_admin_agents_list(struct request *req)
{
	struct staff_read t = { .st = ID_AGENT_LIST };
	const char	*cursor = request_query(req, "cursor");
	const char	*p[2];
	char		 lim[24], *after = NULL, *next;
	long		 limit;
	json_t		*items, *a;
	int		 i, n;

	if (page_limit_or_reply(req, &limit) == -1)
		return (0);
	if (cursor != NULL && (after = page_cursor_decode(cursor)) == NULL) {
		reply_error(req, HTTP_ERR(HE_BAD_CURSOR));
		return (0);
	}
	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	p[0] = after != NULL ? after : "";
	p[1] = lim;
	t.p = p;
	t.max = (int)limit;
	i = staff_read(req, &t);
	free(after);
	if (i == -1)
		return (0);
	items = json_array();
	n = db_res_rows(t.res);
	for (i = 0; i < n && i < limit; i++) {
		a = id_account_json(t.res, i);
		json_set_str(a, "status", db_str(t.res, i, "status"));
		json_array_append_new(items, a);
	}
	if (n > limit) {
		next = page_cursor_encode(db_str(t.res, (int)limit - 1,
		    "sort_key"));
		reply_json(req, 200, json_pack("{s:o, s:s}", "items", items,
		    "next_cursor", next));
		free(next);
	} else
		reply_json(req, 200, json_pack("{s:o, s:n}", "items", items,
		    "next_cursor"));
	db_res_free(t.res);
	return (0);
}

/* An operation's refusal as the answer; 0 when it went through. */
static int
agent_failed(struct request *req, enum id_result r, const char *bad,
    const struct db_error *err)
{
	json_t	*errors;

	switch (r) {
	case IDR_OK:
		return (0);
	case IDR_NOT_FOUND:
		reply_error(req, ID_ERR(IE_AGENT_NOT_FOUND));
		break;
	case IDR_TAKEN:
		reply_error(req, ID_ERR(IE_EMAIL_TAKEN));
		break;
	case IDR_BAD_DEPARTMENT:
		errors = json_array();
		json_error_add(errors, "/departments", "unknown",
		    ID_ERR(IE_DEPARTMENT_UNKNOWN)->detail[req->lang]);
		reply_error_fields(req, ID_ERR(IE_DEPARTMENT_UNKNOWN), errors,
		    bad);
		break;
	case IDR_REFUSED:
		field_error(req, IE_EMAIL_REFUSED, "/email", "refused");
		break;
	case IDR_BAD_LINK:
	case IDR_DB:
		reply_db_error(req, err);
		break;
	}
	return (-1);
}

/* The agent in a request's body. */
static void
agent_spec_of(const json_t *in, struct agent_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->email = json_str(in, "email");
	s->name = json_str(in, "display_name");
	s->locale = json_str(in, "locale");
	s->roles = json_object_get(in, "roles");
	s->departments = json_object_get(in, "departments");
}

int
identity_admin_agents_create(struct request *req)
{
	struct agent_spec	 s;
	struct db_error		 err;
	const char		*bad = NULL;
	char			 id[40], key[IDENTITY_EMAIL_KEY_MAX];

	/* Said field by field here; refused by the operation anyway. */
	if (new_email_or_reply(req, "/email", json_str(req->json, "email"),
	    key) == -1)
		return (0);
	agent_spec_of(req->json, &s);
	if (agent_failed(req, id_agent_create(db_thread(), &s, id, &bad,
	    &err), bad, &err) == -1)
		return (0);
	log_info("admin %s created agent %s", req->principal->id, id);
	return (reply_staff_account(req, 201, id));
}

int
identity_admin_agents_patch(struct request *req)
{
	struct agent_spec	 s;
	struct db_error		 err;
	const char		*id, *bad = NULL;

	if ((id = param_uuid_or_reply(req, "id",
	    ID_ERR(IE_AGENT_NOT_FOUND))) == NULL)
		return (0);
	if (json_object_size(req->json) == 0) {
		reply_error(req, HTTP_ERR(HE_EMPTY_PATCH));
		return (0);
	}
	agent_spec_of(req->json, &s);
	if (agent_failed(req, id_agent_update(db_thread(), id, &s, &bad,
	    &err), bad, &err) == -1)
		return (0);
	principal_cache_forget(id);
	log_info("admin %s changed agent %s", req->principal->id, id);
	return (reply_staff_account(req, 200, id));
}

int
identity_admin_agents_block(struct request *req)
{
	struct db_error	 err;
	const char	*id;

	if ((id = param_uuid_or_reply(req, "id",
	    ID_ERR(IE_AGENT_NOT_FOUND))) == NULL)
		return (0);
	if (agent_failed(req, id_agent_block(db_thread(), id, &err), NULL,
	    &err) == -1)
		return (0);
	principal_cache_forget(id);
	log_info("admin %s blocked agent %s", req->principal->id, id);
	reply_bytes(req, 204, NULL, "", 0);
	return (0);
}

/*
 * POST /api/v1/admin/agents/{id}/totp/reset: an agent lost their second
 * factor.  The secret goes, every session of the agent ends (refresh
 * tokens revoked, access tokens invalid through the token version), and
 * the agent signs in with the password alone, then enrols again, as a new
 * agent does; until then the admin routes stay closed to them.
 */
int
identity_admin_agents_totp_reset(struct request *req)
{
	struct db_error	 err;
	const char	*id;

	if ((id = param_uuid_or_reply(req, "id",
	    ID_ERR(IE_AGENT_NOT_FOUND))) == NULL)
		return (0);
	if (agent_failed(req, id_agent_totp_reset(db_thread(), id, &err),
	    NULL, &err) == -1)
		return (0);
	principal_cache_forget(id);
	log_info("admin %s reset the second factor of agent %s; its sessions "
	    "are revoked", req->principal->id, id);
	reply_bytes(req, 204, NULL, "", 0);
	return (0);
}

/* Start-up. */

/*
 * The address keys migration 016 left to C, before serving if the
 * database answers; otherwise the first request that compares addresses
 * fills them (and is answered 503 until then).
 */
static void
identity_start_keys(void)
{
	struct db_error	 e;
	struct db	*db = db_open();

	if (identity_email_keys_ready(db, &e) == -1)
		log_warnx("the address keys of old accounts are not all "
		    "computed yet: registration, sign-in and reset wait for "
		    "the database");
	db_close(db);
}

/*
 * The instance's secret (ops.instance_secret, made by a migration), read
 * once, when first needed: guichetctl migrate runs before the table
 * exists.  Without a database, a process secret: throttling keys then
 * differ from other processes' until a restart.
 */
static void
instance_secret_load(void)
{
	struct db_res	*res = NULL;
	struct db_error	 e;
	const char	*hex;
	size_t		 i;
	struct db	*db = db_open();

	if (db_exec(db, ID_STMT(ID_INSTANCE_SECRET), NULL, &res, &e) == -1 ||
	    db_res_rows(res) != 1 ||
	    (hex = db_str(res, 0, "secret")) == NULL || strlen(hex) != 64) {
		db_res_free(res);
		db_close(db);
		log_warnx("instance secret unavailable: sign-in throttling "
		    "keys use a process secret until restart");
		if (random_fill(instance_secret, sizeof(instance_secret)) != 0)
			fatalx("no random bytes for the process secret");
		instance_secret_len = sizeof(instance_secret);
		return;
	}
	for (i = 0; i < 32; i++) {
		unsigned int	 b;

		sscanf(hex + 2 * i, "%2x", &b);
		instance_secret[i] = (unsigned char)b;
	}
	instance_secret_len = 32;
	db_res_free(res);
	db_close(db);
}

int
identity_init(const struct module_env *env, char *err, size_t errlen)
{
	const struct conf	*c = env->conf;
	struct password_params	 pp;

	id_ops_configure(c->public_url);
	pp.memory_kib = (uint32_t)c->password_memory_kib;
	pp.iterations = (uint32_t)c->password_iterations;
	pp.parallelism = (uint32_t)c->password_parallelism;
	if (password_configure(&pp) == -1) {
		snprintf(err, errlen, "invalid password hashing parameters");
		return (-1);
	}
	if (totp_init() == -1) {
		snprintf(err, errlen, "liboath could not be initialised");
		return (-1);
	}
	token_configure(c->public_url, "guichet");
	identity_mail_gate_install();
	/* The same hooks in every mode (core/module.c checks it). */
	server_set_guard(identity_guard);
	/* guichetctl issues no token: its commands need no key. */
	if (env->mode != MODULE_SERVER)
		return (0);
	principal_cache_init();
	pthread_once(&secret_once, instance_secret_load);
	identity_start_keys();
	if (c->jwt_key_file[0] == '\0') {
		snprintf(err, errlen, "jwt_key_file is not set: create one "
		    "with 'guichetctl keys rotate' and set jwt_key_file");
		return (-1);
	}
	return (token_keys_load(c->jwt_key_file, err, errlen));
}
