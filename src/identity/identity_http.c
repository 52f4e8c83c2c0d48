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
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/password.h"
#include "auth/policy.h"
#include "auth/token.h"
#include "auth/totp.h"
#include "base/clock.h"
#include "base/conf.h"
#include "base/log.h"
#include "base/random.h"
#include "base/xmalloc.h"
#include "db/db.h"
#include "core/access.h"
#include "core/module.h"
#include "http/page.h"
#include "http/reply.h"
#include "http/server.h"
#include "identity/identity.h"
#include "identity/identity_int.h"
#include "json/check.h"

#define REFRESH_LIFETIME	(30 * 86400)	/* seconds */
#define VERIFY_LIFETIME		(48 * 3600)
#define RESET_LIFETIME		(3600)

static char	*public_url;

static int	throttled_or_reply(struct request *, const char *, const char *);
static void	throttle_fail(const char *, const char *);

/* Input schemas. */

static const char *const locales[] = { "fr", "en", "it", NULL };
static const char *const profile_kinds[] = { "permanent_resident",
    "secondary_resident", "seasonal_worker", "tourist", NULL };
static const char *const role_names[] = { "agent", "supervisor", "admin",
    "dpo", NULL };

static const struct json_field employment_fields[] = {
	{ "employer", JK_STRING, JF_REQUIRED, JF_NONE, 1, 120, 0, 0, NULL, NULL, 0 },
	{ "contract_start", JK_STRING, JF_REQUIRED, JF_DATE, 0, 0, 0, 0, NULL, NULL, 0 },
	{ "contract_end", JK_STRING, 0, JF_DATE, 0, 0, 0, 0, NULL, NULL, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
static const struct json_spec employment_spec = { "employment", employment_fields, 0 };

static const struct json_field stay_fields[] = {
	{ "start", JK_STRING, JF_REQUIRED, JF_DATE, 0, 0, 0, 0, NULL, NULL, 0 },
	{ "end", JK_STRING, JF_REQUIRED, JF_DATE, 0, 0, 0, 0, NULL, NULL, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
static const struct json_spec stay_spec = { "stay", stay_fields, 0 };

static const struct json_field address_fields[] = {
	{ "street", JK_STRING, JF_REQUIRED, JF_NONE, 1, 200, 0, 0, NULL, NULL, 0 },
	{ "postcode", JK_STRING, JF_REQUIRED, JF_POSTCODE, 3, 10, 0, 0, NULL, NULL, 0 },
	{ "city", JK_STRING, JF_REQUIRED, JF_NONE, 1, 100, 0, 0, NULL, NULL, 0 },
	{ "insee_code", JK_STRING, 0, JF_INSEE, 5, 5, 0, 0, NULL, NULL, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
static const struct json_spec address_spec = { "address", address_fields, 0 };

static const struct json_field register_fields[] = {
	{ "email", JK_STRING, JF_REQUIRED, JF_EMAIL, 3, 254, 0, 0, NULL, NULL, 0 },
	{ "password", JK_STRING, JF_REQUIRED, JF_NONE, 1, 1024, 0, 0, NULL, NULL, 0 },
	{ "display_name", JK_STRING, JF_REQUIRED, JF_NONE, 1, 80, 0, 0, NULL, NULL, 0 },
	{ "locale", JK_STRING, 0, JF_NONE, 0, 0, 0, 0, locales, NULL, 0 },
	{ "profile_kind", JK_STRING, JF_REQUIRED, JF_NONE, 0, 0, 0, 0, profile_kinds, NULL, 0 },
	{ "employment", JK_OBJECT, 0, JF_NONE, 0, 0, 0, 0, NULL, &employment_spec, 0 },
	{ "stay", JK_OBJECT, 0, JF_NONE, 0, 0, 0, 0, NULL, &stay_spec, 0 },
	{ "phone", JK_STRING, 0, JF_E164, 0, 0, 0, 0, NULL, NULL, 0 },
	{ "address", JK_OBJECT, 0, JF_NONE, 0, 0, 0, 0, NULL, &address_spec, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
const struct json_spec identity_register_spec = { "account_registration",
    register_fields, 0 };

static const struct json_field me_patch_fields[] = {
	{ "email", JK_STRING, 0, JF_EMAIL, 3, 254, 0, 0, NULL, NULL, 0 },
	{ "display_name", JK_STRING, 0, JF_NONE, 1, 80, 0, 0, NULL, NULL, 0 },
	{ "locale", JK_STRING, 0, JF_NONE, 0, 0, 0, 0, locales, NULL, 0 },
	{ "profile_kind", JK_STRING, 0, JF_NONE, 0, 0, 0, 0, profile_kinds, NULL, 0 },
	{ "employment", JK_OBJECT, JF_NULLABLE, JF_NONE, 0, 0, 0, 0, NULL, &employment_spec, 0 },
	{ "stay", JK_OBJECT, JF_NULLABLE, JF_NONE, 0, 0, 0, 0, NULL, &stay_spec, 0 },
	{ "phone", JK_STRING, JF_NULLABLE, JF_E164, 0, 0, 0, 0, NULL, NULL, 0 },
	{ "address", JK_OBJECT, JF_NULLABLE, JF_NONE, 0, 0, 0, 0, NULL, &address_spec, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
const struct json_spec identity_me_patch_spec = { "account_patch",
    me_patch_fields, 0 };

static const struct json_field token_only_fields[] = {
	{ "token", JK_STRING, JF_REQUIRED, JF_NONE, 1, 128, 0, 0, NULL, NULL, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
const struct json_spec identity_verify_spec = { "email_verification",
    token_only_fields, 0 };

static const struct json_field reset_fields[] = {
	{ "email", JK_STRING, JF_REQUIRED, JF_EMAIL, 3, 254, 0, 0, NULL, NULL, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
const struct json_spec identity_reset_spec = { "password_reset", reset_fields, 0 };

static const struct json_field reset_confirm_fields[] = {
	{ "token", JK_STRING, JF_REQUIRED, JF_NONE, 1, 128, 0, 0, NULL, NULL, 0 },
	{ "password", JK_STRING, JF_REQUIRED, JF_NONE, 1, 1024, 0, 0, NULL, NULL, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
const struct json_spec identity_reset_confirm_spec = { "password_reset_confirm",
    reset_confirm_fields, 0 };

/* OAuth2 names its parameters; the handler answers OAuth2 errors itself. */
static const struct json_field token_fields[] = {
	{ "grant_type", JK_STRING, 0, JF_NONE, 0, 64, 0, 0, NULL, NULL, 0 },
	{ "username", JK_STRING, 0, JF_NONE, 0, 254, 0, 0, NULL, NULL, 0 },
	{ "password", JK_STRING, 0, JF_NONE, 0, 1024, 0, 0, NULL, NULL, 0 },
	{ "otp", JK_STRING, 0, JF_NONE, 0, 16, 0, 0, NULL, NULL, 0 },
	{ "refresh_token", JK_STRING, 0, JF_NONE, 0, 128, 0, 0, NULL, NULL, 0 },
	{ "client_id", JK_STRING, 0, JF_NONE, 0, 64, 0, 0, NULL, NULL, 0 },
	{ "client_secret", JK_STRING, 0, JF_NONE, 0, 128, 0, 0, NULL, NULL, 0 },
	{ "scope", JK_STRING, 0, JF_NONE, 0, 512, 0, 0, NULL, NULL, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
/* RFC 6749 3.2: "parameters not recognized must be ignored". */
const struct json_spec identity_token_spec = { "token_request", token_fields,
    1 };

static const struct json_field logout_fields[] = {
	{ "refresh_token", JK_STRING, 0, JF_NONE, 1, 128, 0, 0, NULL, NULL, 0 },
	{ "all", JK_BOOLEAN, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
const struct json_spec identity_logout_spec = { "logout", logout_fields, 0 };

static const struct json_field password_fields[] = {
	{ "current_password", JK_STRING, JF_REQUIRED, JF_NONE, 1, 1024, 0, 0, NULL, NULL, 0 },
	{ "new_password", JK_STRING, JF_REQUIRED, JF_NONE, 1, 1024, 0, 0, NULL, NULL, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
const struct json_spec identity_password_spec = { "password_change",
    password_fields, 0 };

static const struct json_field totp_fields[] = {
	{ "code", JK_STRING, JF_REQUIRED, JF_NONE, 6, 6, 0, 0, NULL, NULL, 0 },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
const struct json_spec identity_totp_spec = { "totp_code", totp_fields, 0 };

static const struct json_field agent_create_fields[] = {
	{ "email", JK_STRING, JF_REQUIRED, JF_EMAIL, 3, 254, 0, 0, NULL, NULL, 0 },
	{ "display_name", JK_STRING, JF_REQUIRED, JF_NONE, 1, 80, 0, 0, NULL, NULL, 0 },
	{ "locale", JK_STRING, 0, JF_NONE, 0, 0, 0, 0, locales, NULL, 0 },
	{ "roles", JK_ARRAY, JF_REQUIRED, JF_NONE, 1, 4, 0, 0, role_names, NULL, JK_STRING },
	{ "departments", JK_ARRAY, JF_REQUIRED, JF_NONE, 0, 16, 0, 0, NULL, NULL, JK_STRING },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
const struct json_spec identity_agent_create_spec = { "agent_creation",
    agent_create_fields, 0 };

static const struct json_field agent_patch_fields[] = {
	{ "roles", JK_ARRAY, 0, JF_NONE, 1, 4, 0, 0, role_names, NULL, JK_STRING },
	{ "departments", JK_ARRAY, 0, JF_NONE, 0, 16, 0, 0, NULL, NULL, JK_STRING },
	{ NULL, JK_END, 0, JF_NONE, 0, 0, 0, 0, NULL, NULL, 0 },
};
const struct json_spec identity_agent_patch_spec = { "agent_patch",
    agent_patch_fields, 0 };

/* Messages of the checks that the schema cannot express. */
enum msg { M_WEAK_SHORT, M_WEAK_LONG, M_WEAK_COMMON, M_WEAK_IDENTITY,
    M_NOT_ALLOWED, M_REQUIRED_FOR, M_DATE_ORDER, M_TOKEN_INVALID,
    M_PASSWORD_WRONG, M_UNKNOWN_DEPARTMENT, M_CODE_INVALID };
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
	[M_TOKEN_INVALID] = { "ce lien est invalide, déjà utilisé ou expiré",
	    "this link is invalid, already used or expired",
	    "questo link non è valido, è già stato usato o è scaduto" },
	[M_PASSWORD_WRONG] = { "le mot de passe actuel est incorrect",
	    "the current password is wrong",
	    "la password attuale è errata" },
	[M_UNKNOWN_DEPARTMENT] = { "service inconnu", "unknown department",
	    "servizio sconosciuto" },
	[M_CODE_INVALID] = { "code invalide ou déjà utilisé",
	    "invalid or already used code", "codice non valido o già usato" },
};

static const char *
msg(const struct request *req, enum msg m)
{
	return (msgs[m][req->lang]);
}

static const char *
jstr(const json_t *o, const char *k)
{
	return (json_string_value(json_object_get(o, k)));
}

static void
validation(struct request *req, json_t *errors)
{
	size_t	 n = json_array_size(errors);

	reply_problem_errors(req, PROB_VALIDATION, errors, "%zu field%s invalid",
	    n, n == 1 ? " is" : "s are");
}

static int
weak_password(struct request *req, json_t *errors, const char *field,
    const char *pw, const char *email, const char *name)
{
	switch (password_strength(pw, email, name)) {
	case PASSWORD_OK:
		return (0);
	case PASSWORD_TOO_SHORT:
		json_error_add(errors, field, "weak", msg(req, M_WEAK_SHORT));
		break;
	case PASSWORD_TOO_LONG:
		json_error_add(errors, field, "weak", msg(req, M_WEAK_LONG));
		break;
	case PASSWORD_TOO_COMMON:
		json_error_add(errors, field, "weak", msg(req, M_WEAK_COMMON));
		break;
	case PASSWORD_IS_IDENTITY:
		json_error_add(errors, field, "weak", msg(req, M_WEAK_IDENTITY));
		break;
	}
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
	if (json_is_object(emp) && (a = jstr(emp, "contract_start")) != NULL &&
	    (b = jstr(emp, "contract_end")) != NULL && strcmp(b, a) < 0)
		json_error_add(errors, "/employment/contract_end",
		    "date_order", msg(req, M_DATE_ORDER));
	if (json_is_object(stay) && (a = jstr(stay, "start")) != NULL &&
	    (b = jstr(stay, "end")) != NULL && strcmp(b, a) < 0)
		json_error_add(errors, "/stay/end", "date_order",
		    msg(req, M_DATE_ORDER));
}

/* Run a statement for a handler; on failure the problem is set: -1. */
static int
exec_or_reply(struct request *req, enum identity_stmt st,
    const char *const *params, struct db_res **res)
{
	return (reply_exec(req, ID_STMT(st), params, res));
}

/*
 * An administrator reads agents' personal data (staff administration):
 * each read is written to the access log, whose purpose is the route's
 * own.  No row, no read: on failure the problem is set and -1 returned.
 */
static int
record_staff_read(struct request *req, const char *agent)
{
	struct db_error	 err;

	if (access_record(db_thread(), agent, req->principal,
	    "identity.account", agent, "staff administration", 0, &err) == -1) {
		reply_db_error(req, &err);
		return (-1);
	}
	return (0);
}

/* The caller's account as JSON (the one read after any change). */
static int
reply_account_stmt(struct request *req, int status, const char *id,
    enum identity_stmt st)
{
	struct db_res	*res = NULL;
	const char	*params[1] = { id };

	if (exec_or_reply(req, st, params, &res) == -1)
		return (0);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		reply_problem(req, PROB_NOT_FOUND, "no such account");
		return (0);
	}
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
 * Queue a one-time token and its message, inside the caller's transaction:
 * to the address stored on the account (identity_mail()).
 */
static int
queue_token_mail(struct db *db, const char *account, const char *purpose,
    int64_t lifetime, const char *path, struct db_error *err)
{
	char		 tok[64], hash[72], now[40], exp[40];
	struct buf	 url;
	const char	*p[5];
	json_t		*o;
	int		 rc;

	if (id_random_token(tok, sizeof(tok)) == -1)
		return (-1);
	id_sha256_bytea(tok, hash);
	id_now(now);
	id_now_plus(lifetime, exp);
	p[0] = account;
	p[1] = purpose;
	p[2] = now;
	if (db_exec(db, ID_STMT(ID_OTT_INVALIDATE), p, NULL, err) == -1)
		return (-1);
	p[0] = account;
	p[1] = purpose;
	p[2] = hash;
	p[3] = now;
	p[4] = exp;
	if (db_exec(db, ID_STMT(ID_OTT_INSERT), p, NULL, err) == -1)
		return (-1);
	buf_init(&url);
	buf_addf(&url, "%s%s?token=%s", public_url, path, tok);
	o = json_pack("{s:s, s:s, s:s}", "token", tok, "url", url.data,
	    "expires_at", exp);
	buf_cleanup(&url);
	rc = identity_mail(db, account, purpose, o, NULL, err);
	json_decref(o);
	OPENSSL_cleanse(tok, sizeof(tok));
	return (rc == -1 ? -1 : 0);
}

/* POST /api/v1/accounts */

struct register_tx {
	const json_t	*in;
	const char	*hash;
	const char	*locale;
	char		 id[40];
};

static const char *
sub_str(const json_t *in, const char *obj, const char *k)
{
	return (jstr(json_object_get(in, obj), k));
}

static int
register_tx(struct db *db, void *arg, struct db_error *err)
{
	struct register_tx	*t = arg;
	const json_t		*in = t->in;
	struct db_res		*res = NULL;
	const char		*p[16];
	char			 now[40];

	id_now(now);
	p[0] = jstr(in, "email");
	p[1] = t->hash;
	p[2] = jstr(in, "display_name");
	p[3] = t->locale;
	p[4] = jstr(in, "profile_kind");
	p[5] = sub_str(in, "employment", "employer");
	p[6] = sub_str(in, "employment", "contract_start");
	p[7] = sub_str(in, "employment", "contract_end");
	p[8] = sub_str(in, "stay", "start");
	p[9] = sub_str(in, "stay", "end");
	p[10] = jstr(in, "phone");
	p[11] = sub_str(in, "address", "street");
	p[12] = sub_str(in, "address", "postcode");
	p[13] = sub_str(in, "address", "city");
	p[14] = sub_str(in, "address", "insee_code");
	p[15] = now;
	if (db_exec(db, ID_STMT(ID_ACCOUNT_INSERT), p, &res, err) == -1)
		return (-1);
	snprintf(t->id, sizeof(t->id), "%s", db_res_get(res, 0, 0));
	db_res_free(res);
	return (queue_token_mail(db, t->id, "verify_email", VERIFY_LIFETIME,
	    "/verify-email", err));
}

static const char *const lang_codes[] = { "fr", "en", "it" };

int
identity_register(struct request *req)
{
	const json_t		*in = req->json;
	struct register_tx	 t;
	struct db_error		 err;
	json_t			*errors;
	char			 hash[PASSWORD_HASH_MAX], loc[80];

	errors = json_array();
	check_profile(req, jstr(in, "profile_kind"),
	    json_object_get(in, "employment"), json_object_get(in, "stay"),
	    errors);
	weak_password(req, errors, "/password", jstr(in, "password"),
	    jstr(in, "email"), jstr(in, "display_name"));
	if (json_array_size(errors) > 0) {
		validation(req, errors);
		return (0);
	}
	json_decref(errors);
	if (password_hash(jstr(in, "password"), hash, sizeof(hash)) == -1) {
		reply_problem(req, PROB_INTERNAL, "the account could not be "
		    "created");
		return (0);
	}
	memset(&t, 0, sizeof(t));
	t.in = in;
	t.hash = hash;
	t.locale = jstr(in, "locale") != NULL ? jstr(in, "locale") :
	    lang_codes[req->lang];
	if (db_tx(db_thread(), register_tx, &t, &err) == -1) {
		if (err.code == DB_E_UNIQUE)
			reply_problem(req, PROB_CONFLICT, "an account already "
			    "exists for this email address");
		else
			reply_db_error(req, &err);
		return (0);
	}
	log_info("account %s registered", t.id);
	snprintf(loc, sizeof(loc), "/api/v1/me");
	reply_account(req, 201, t.id);
	if (req->reply.status == 201)
		reply_header(req, "Location", loc);
	return (0);
}

/* POST /api/v1/accounts/verify */

int
identity_verify_email(struct request *req)
{
	struct db_res	*res = NULL;
	char		 hash[72], now[40];
	const char	*p[3];
	json_t		*errors;

	id_sha256_bytea(jstr(req->json, "token"), hash);
	id_now(now);
	p[0] = hash;
	p[1] = "verify_email";
	p[2] = now;
	if (exec_or_reply(req, ID_OTT_CONSUME, p, &res) == -1)
		return (0);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		errors = json_array();
		json_error_add(errors, "/token", "invalid",
		    msg(req, M_TOKEN_INVALID));
		validation(req, errors);
		return (0);
	}
	p[0] = db_res_get(res, 0, 0);
	p[1] = now;
	if (exec_or_reply(req, ID_ACCOUNT_VERIFY_EMAIL, p, NULL) == -1) {
		db_res_free(res);
		return (0);
	}
	log_info("account %s verified its email", p[0]);
	db_res_free(res);
	reply_bytes(req, 204, NULL, "", 0);
	return (0);
}

/* POST /api/v1/auth/password-reset: the same 202 whether or not the email exists. */

struct reset_tx {
	const char	*email;
	int		 found;
};

static int
reset_tx(struct db *db, void *arg, struct db_error *err)
{
	struct reset_tx	*t = arg;
	struct db_res	*res = NULL;
	const char	*p[1] = { t->email };
	char		 id[40];
	int		 rc;

	if (db_exec(db, ID_STMT(ID_ACCOUNT_LOGIN), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1 ||
	    strcmp(db_res_get(res, 0, 2), "active") != 0) {
		db_res_free(res);
		return (0);
	}
	snprintf(id, sizeof(id), "%s", db_res_get(res, 0, 0));
	db_res_free(res);
	t->found = 1;
	rc = queue_token_mail(db, id, "reset_password", RESET_LIFETIME,
	    "/reset-password", err);
	return (rc);
}

int
identity_password_reset(struct request *req)
{
	struct reset_tx	 t = { jstr(req->json, "email"), 0 };
	struct db_error	 err;

	if (db_tx(db_thread(), reset_tx, &t, &err) == -1) {
		reply_db_error(req, &err);
		return (0);
	}
	log_info("password reset requested (%s)", t.found ? "sent" :
	    "no such active account");
	reply_json(req, 202, json_pack("{s:s}", "status", "accepted"));
	return (0);
}

/* POST /api/v1/auth/password-reset/confirm */

struct set_password_tx {
	const char	*token_hash;	/* reset: the one-time token */
	const char	*account;	/* change: the caller */
	const char	*hash;		/* the new password's */
	char		 id[40];
	int		 bad_token;
};

static int
set_password_tx(struct db *db, void *arg, struct db_error *err)
{
	struct set_password_tx	*t = arg;
	struct db_res		*res = NULL;
	const char		*p[3];
	char			 now[40];

	id_now(now);
	if (t->token_hash != NULL) {
		p[0] = t->token_hash;
		p[1] = "reset_password";
		p[2] = now;
		if (db_exec(db, ID_STMT(ID_OTT_CONSUME), p, &res, err) == -1)
			return (-1);
		if (db_res_rows(res) != 1) {
			db_res_free(res);
			t->bad_token = 1;
			err->code = DB_OK;
			return (-1);
		}
		snprintf(t->id, sizeof(t->id), "%s", db_res_get(res, 0, 0));
		db_res_free(res);
	} else
		snprintf(t->id, sizeof(t->id), "%s", t->account);
	p[0] = t->id;
	p[1] = t->hash;
	p[2] = now;
	if (db_exec(db, ID_STMT(ID_ACCOUNT_SET_PASSWORD), p, NULL, err) == -1)
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
	char			 hash[PASSWORD_HASH_MAX], th[72];

	errors = json_array();
	if (weak_password(req, errors, "/password", jstr(req->json, "password"),
	    NULL, NULL) == -1) {
		validation(req, errors);
		return (0);
	}
	json_decref(errors);
	if (password_hash(jstr(req->json, "password"), hash, sizeof(hash))
	    == -1) {
		reply_problem(req, PROB_INTERNAL, "the password could not be "
		    "changed");
		return (0);
	}
	id_sha256_bytea(jstr(req->json, "token"), th);
	memset(&t, 0, sizeof(t));
	t.token_hash = th;
	t.hash = hash;
	if (db_tx(db_thread(), set_password_tx, &t, &err) == -1) {
		if (t.bad_token) {
			errors = json_array();
			json_error_add(errors, "/token", "invalid",
			    msg(req, M_TOKEN_INVALID));
			validation(req, errors);
		} else
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

/* Issue an access token (and a refresh token for persons) and reply. */
static int
issue(struct request *req, struct token_claims *c, const char *family,
    int with_refresh)
{
	char		*jwt = NULL, rt[64], hash[72], now[40], exp[40];
	const char	*p[6];
	struct db_error	 err;
	json_t		*o;

	c->iat = clock_now() / 1000000;
	c->exp = c->iat + TOKEN_LIFETIME;
	c->jti[0] = '\0';
	if (token_sign(c, &jwt) == -1) {
		reply_problem(req, PROB_INTERNAL, "no token could be issued");
		return (0);
	}
	o = json_pack("{s:s, s:s, s:i}", "access_token", jwt, "token_type",
	    "Bearer", "expires_in", TOKEN_LIFETIME);
	free(jwt);
	if (with_refresh) {
		if (id_random_token(rt, sizeof(rt)) == -1) {
			json_decref(o);
			reply_problem(req, PROB_INTERNAL, "no token could be "
			    "issued");
			return (0);
		}
		id_sha256_bytea(rt, hash);
		id_now(now);
		id_now_plus(REFRESH_LIFETIME, exp);
		p[0] = c->sub;
		p[1] = family;
		p[2] = hash;
		p[3] = c->mfa ? "t" : "f";
		p[4] = now;
		p[5] = exp;
		if (db_exec(db_thread(), ID_STMT(ID_REFRESH_INSERT), p, NULL,
		    &err) == -1) {
			json_decref(o);
			reply_db_error(req, &err);
			return (0);
		}
		/*
		 * A person's activity: where the inactivity period starts.
		 * Best effort: the refresh token just used is spent, so
		 * failing now would make the client's retry look like a
		 * reuse and end the session; tomorrow's sign-in writes it.
		 */
		p[1] = now;
		if (db_exec(db_thread(), ID_STMT(ID_ACCOUNT_SEEN), p, NULL,
		    &err) == -1)
			log_warnx("request %s: the sign-in time of %s could not "
			    "be recorded", req->id, c->sub);
		json_object_set_new(o, "refresh_token", json_string(rt));
		OPENSSL_cleanse(rt, sizeof(rt));
	}
	if (c->nscopes > 0) {
		struct buf	 s;
		int		 i;

		buf_init(&s);
		for (i = 0; i < c->nscopes; i++)
			buf_addf(&s, "%s%s", i > 0 ? " " : "", c->scopes[i]);
		json_object_set_new(o, "scope", json_string(s.data));
		buf_cleanup(&s);
	}
	reply_json(req, 200, o);
	reply_header(req, "Cache-Control", "no-store");
	reply_header(req, "Pragma", "no-cache");
	return (0);
}

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
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0, i;
	char		 lower[256], hex[65];
	size_t		 j;

	for (j = 0; email[j] != '\0' && j < sizeof(lower) - 1; j++)
		lower[j] = (char)((email[j] >= 'A' && email[j] <= 'Z') ?
		    email[j] + 32 : email[j]);
	lower[j] = '\0';
	pthread_once(&secret_once, instance_secret_load);
	/* Keyed: an unsalted hash of an email could be linked back to it. */
	HMAC(EVP_sha256(), instance_secret, (int)instance_secret_len,
	    (const unsigned char *)lower, j, md, &n);
	for (i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * i] = '\0';
	snprintf(out, 80, "user:%s", hex);
	OPENSSL_cleanse(lower, sizeof(lower));
}

static void
throttle_keys(struct request *req, const char *email, char *ipkey,
    char *userkey)
{
	char	 peer[64];

	request_peer(req, peer, sizeof(peer));
	snprintf(ipkey, 80, "ip:%s", peer);
	identity_throttle_user_key(email, userkey);
}

static void
throttle_fail(const char *ipkey, const char *userkey)
{
	const char	*p[2];
	char		 now[40];
	struct db_error	 err;

	id_now(now);
	p[1] = now;
	p[0] = ipkey;
	(void)db_exec(db_thread(), ID_STMT(ID_THROTTLE_FAIL), p, NULL, &err);
	p[0] = userkey;
	(void)db_exec(db_thread(), ID_STMT(ID_THROTTLE_FAIL), p, NULL, &err);
}

int
identity_reauthenticate(struct request *req, const char *account,
    const char *password)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { account };
	char		 ipkey[80], userkey[80];
	int		 ok;

	if (exec_or_reply(req, ID_ACCOUNT_AUTH, p, &res) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		reply_problem(req, PROB_NOT_FOUND, "no such account");
		return (-1);
	}
	throttle_keys(req, db_str(res, 0, "email"), ipkey, userkey);
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
	if (exec_or_reply(req, ID_THROTTLE_GET, p, &th) == -1)
		return (-1);
	if (db_res_get(th, 0, 0) == NULL) {
		db_res_free(th);
		return (0);
	}
	snprintf(retry, sizeof(retry), "%s", db_res_get(th, 0, 0));
	db_res_free(th);
	log_info("auth: password check throttled (request %s)", req->id);
	reply_problem(req, PROB_TOO_MANY, "too many failed sign-in attempts; "
	    "try again in %s s", retry);
	reply_header(req, "Retry-After", retry);
	return (-1);
}

static int
grant_password(struct request *req)
{
	const json_t	*in = req->json;
	const char	*user = jstr(in, "username"), *pw = jstr(in, "password");
	const char	*otp = jstr(in, "otp"), *p[3], *phc, *secret;
	struct db_res	*res = NULL;
	struct token_claims c;
	char		 ipkey[80], userkey[80], retry[24];
	char		 newhash[PASSWORD_HASH_MAX], id[40];
	int		 ok, is_agent, enrolled;
	int64_t		 step, last;

	if (user == NULL || pw == NULL || *user == '\0') {
		oauth_error(req, 400, "invalid_request",
		    "username and password are required");
		return (0);
	}
	throttle_keys(req, user, ipkey, userkey);
	if (throttled_or_reply(req, ipkey, userkey) == -1)
		return (0);
	p[0] = user;
	if (exec_or_reply(req, ID_ACCOUNT_LOGIN, p, &res) == -1)
		return (0);
	if (db_res_rows(res) != 1) {
		/* Same work, same answer as a wrong password. */
		password_verify_dummy(pw);
		ok = 0;
	} else {
		phc = db_res_get(res, 0, 1);
		ok = password_verify(pw, phc) == 1 &&
		    strcmp(db_res_get(res, 0, 2), "active") == 0;
	}
	if (!ok) {
		throttle_fail(ipkey, userkey);
		log_info("auth: password login failed (request %s)", req->id);
		db_res_free(res);
		oauth_error(req, 400, "invalid_grant",
		    "invalid username or password");
		return (0);
	}
	snprintf(id, sizeof(id), "%s", db_res_get(res, 0, 0));
	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", id);
	snprintf(c.kind, sizeof(c.kind), "person");
	c.tv = strtoll(db_res_get(res, 0, 3), NULL, 10);
	is_agent = strcmp(db_res_get(res, 0, 4), "t") == 0;
	enrolled = strcmp(db_res_get(res, 0, 6), "t") == 0;
	if (is_agent)
		claims_roles(&c, db_res_get(res, 0, 5));
	if (is_agent && enrolled) {
		secret = db_res_get(res, 0, 7);
		last = strtoll(db_res_get(res, 0, 8), NULL, 10);
		if (otp == NULL) {
			db_res_free(res);
			log_info("auth: agent %s needs a one-time code", id);
			oauth_error(req, 400, "invalid_grant",
			    "a one-time code (otp) is required for this "
			    "account");
			return (0);
		}
		step = totp_check(secret, otp, clock_now() / 1000000);
		if (step < 0 || step <= last) {
			throttle_fail(ipkey, userkey);
			db_res_free(res);
			log_info("auth: agent %s one-time code refused", id);
			oauth_error(req, 400, "invalid_grant",
			    "invalid or already used one-time code");
			return (0);
		}
		snprintf(retry, sizeof(retry), "%lld", (long long)step);
		p[0] = id;
		p[1] = retry;
		if (exec_or_reply(req, ID_AGENT_TOTP_STEP, p, NULL) == -1) {
			db_res_free(res);
			return (0);
		}
		c.mfa = 1;
	}
	/* The cost of the stored hash follows the configuration. */
	if (password_needs_rehash(db_res_get(res, 0, 1)) &&
	    password_hash(pw, newhash, sizeof(newhash)) == 0) {
		p[0] = id;
		p[1] = db_res_get(res, 0, 1);
		p[2] = newhash;
		if (exec_or_reply(req, ID_ACCOUNT_REHASH, p, NULL) == -1) {
			db_res_free(res);
			return (0);
		}
		log_info("auth: account %s password re-hashed", id);
	}
	db_res_free(res);
	p[0] = ipkey;
	(void)exec_or_reply(req, ID_THROTTLE_RESET, p, NULL);
	p[0] = userkey;
	(void)exec_or_reply(req, ID_THROTTLE_RESET, p, NULL);
	reply_reset(req);
	log_info("auth: account %s signed in%s", id, c.mfa ? " with mfa" : "");
	snprintf(req->principal_id, sizeof(req->principal_id), "%s", id);
	return (issue(req, &c, NULL, 1));
}

static int
grant_refresh(struct request *req)
{
	const char	*rt = jstr(req->json, "refresh_token"), *p[2];
	struct db_res	*res = NULL, *acc = NULL;
	struct token_claims c;
	char		 hash[72], now[40], family[40], id[40];
	int		 mfa;

	if (rt == NULL || *rt == '\0') {
		oauth_error(req, 400, "invalid_request",
		    "refresh_token is required");
		return (0);
	}
	id_sha256_bytea(rt, hash);
	id_now(now);
	p[0] = hash;
	p[1] = now;
	if (exec_or_reply(req, ID_REFRESH_USE, p, &res) == -1)
		return (0);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		if (exec_or_reply(req, ID_REFRESH_LOOKUP, p, &res) == -1)
			return (0);
		if (db_res_rows(res) == 1 &&
		    strcmp(db_res_get(res, 0, 1), "t") == 0) {
			/* A used token came back: someone holds a copy. */
			p[0] = db_res_get(res, 0, 0);
			p[1] = now;
			(void)exec_or_reply(req, ID_REFRESH_REVOKE_FAMILY, p,
			    NULL);
			log_warnx("auth: refresh token reuse for account %s: "
			    "token family revoked", db_res_get(res, 0, 2));
		}
		db_res_free(res);
		reply_reset(req);
		oauth_error(req, 400, "invalid_grant",
		    "the refresh token is invalid, expired or revoked");
		return (0);
	}
	snprintf(id, sizeof(id), "%s", db_res_get(res, 0, 0));
	snprintf(family, sizeof(family), "%s", db_res_get(res, 0, 1));
	mfa = strcmp(db_res_get(res, 0, 2), "t") == 0;
	db_res_free(res);
	p[0] = id;
	if (exec_or_reply(req, ID_ACCOUNT_GET, p, &acc) == -1)
		return (0);
	if (db_res_rows(acc) != 1) {
		db_res_free(acc);
		oauth_error(req, 400, "invalid_grant",
		    "the refresh token is invalid, expired or revoked");
		return (0);
	}
	memset(&c, 0, sizeof(c));
	snprintf(c.sub, sizeof(c.sub), "%s", id);
	snprintf(c.kind, sizeof(c.kind), "person");
	c.tv = strtoll(db_res_get(acc, 0, 20), NULL, 10);
	c.mfa = mfa;
	if (db_res_get(acc, 0, 18) != NULL) {
		json_t	*roles = json_loads(db_res_get(acc, 0, 18), 0, NULL);
		size_t	 i;

		for (i = 0; i < json_array_size(roles) &&
		    c.nroles < TOKEN_MAX_ROLES; i++)
			snprintf(c.roles[c.nroles++], sizeof(c.roles[0]),
			    "%s", json_string_value(json_array_get(roles, i)));
		json_decref(roles);
	}
	db_res_free(acc);
	log_info("auth: account %s refreshed its token", id);
	snprintf(req->principal_id, sizeof(req->principal_id), "%s", id);
	return (issue(req, &c, family, 1));
}

static int
basic_credentials(struct request *req, char *id, size_t idlen, char *secret,
    size_t secretlen)
{
	const char	*h = request_header(req, "Authorization");
	unsigned char	 dec[256];
	char		*colon;
	int		 n;
	size_t		 len;

	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return (0);
	h += 6;
	len = strlen(h);
	if (len == 0 || len > 340 || len % 4 != 0)
		return (-1);
	n = EVP_DecodeBlock(dec, (const unsigned char *)h, (int)len);
	if (n < 0)
		return (-1);
	while (len > 0 && h[len - 1] == '=') {
		n--;
		len--;
	}
	dec[n] = '\0';
	if ((colon = strchr((char *)dec, ':')) == NULL)
		return (-1);
	*colon = '\0';
	if (strlen((char *)dec) >= idlen || strlen(colon + 1) >= secretlen)
		return (-1);
	memcpy(id, dec, strlen((char *)dec) + 1);
	memcpy(secret, colon + 1, strlen(colon + 1) + 1);
	OPENSSL_cleanse(dec, sizeof(dec));
	return (1);
}

static int
grant_client(struct request *req)
{
	const char	*p[1], *scope = jstr(req->json, "scope");
	struct db_res	*res = NULL;
	struct token_claims c;
	char		 id[72], secret[136], hex[65];
	char		*granted, *s, *save = NULL;
	int		 b, ok;

	b = basic_credentials(req, id, sizeof(id), secret, sizeof(secret));
	if (b == -1) {
		oauth_error(req, 401, "invalid_client",
		    "malformed client credentials");
		return (0);
	}
	if (b == 0) {
		if (jstr(req->json, "client_id") == NULL ||
		    jstr(req->json, "client_secret") == NULL) {
			oauth_error(req, 401, "invalid_client",
			    "client authentication is required");
			return (0);
		}
		snprintf(id, sizeof(id), "%s", jstr(req->json, "client_id"));
		snprintf(secret, sizeof(secret), "%s",
		    jstr(req->json, "client_secret"));
	}
	if (strlen(id) >= sizeof(c.sub)) {
		oauth_error(req, 401, "invalid_client",
		    "unknown client or wrong secret");
		return (0);
	}
	p[0] = id;
	if (exec_or_reply(req, ID_CLIENT_GET, p, &res) == -1)
		return (0);
	id_sha256_hex(secret, hex);
	OPENSSL_cleanse(secret, sizeof(secret));
	ok = db_res_rows(res) == 1 && strcmp(db_res_get(res, 0, 3), "t") == 0 &&
	    CRYPTO_memcmp(hex, db_res_get(res, 0, 0), 64) == 0;
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
	granted = xstrdup(db_res_get(res, 0, 1));
	db_res_free(res);
	for (s = strtok_r(granted, " ", &save); s != NULL &&
	    c.nscopes < TOKEN_MAX_SCOPES; s = strtok_r(NULL, " ", &save)) {
		/* A requested scope list narrows what was granted. */
		if (scope != NULL && *scope != '\0') {
			const char	*q = scope;
			size_t		 n = strlen(s);
			int		 found = 0;

			while ((q = strstr(q, s)) != NULL) {
				if ((q == scope || q[-1] == ' ') &&
				    (q[n] == ' ' || q[n] == '\0'))
					found = 1;
				q += n;
			}
			if (!found)
				continue;
		}
		snprintf(c.scopes[c.nscopes++], sizeof(c.scopes[0]), "%s", s);
	}
	free(granted);
	if (scope != NULL && *scope != '\0' && c.nscopes == 0) {
		oauth_error(req, 400, "invalid_scope",
		    "none of the requested scopes is granted to this client");
		return (0);
	}
	log_info("auth: client %s obtained a token", c.sub);
	snprintf(req->principal_id, sizeof(req->principal_id), "%s", c.sub);
	return (issue(req, &c, NULL, 0));
}

int
identity_token(struct request *req)
{
	const char	*g = jstr(req->json, "grant_type");

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

/* POST /api/v1/auth/logout */

int
identity_logout(struct request *req)
{
	const char	*rt = req->json != NULL ?
	    jstr(req->json, "refresh_token") : NULL;
	const json_t	*all = req->json != NULL ?
	    json_object_get(req->json, "all") : NULL;
	struct db_res	*res = NULL;
	const char	*p[2];
	char		 hash[72], now[40];

	id_now(now);
	if (json_is_true(all)) {
		p[0] = req->principal->id;
		p[1] = now;
		if (exec_or_reply(req, ID_REFRESH_REVOKE_ACCOUNT, p, NULL) == -1 ||
		    exec_or_reply(req, ID_ACCOUNT_BUMP_VERSION, p, NULL) == -1)
			return (0);
		principal_cache_forget(req->principal->id);
		log_info("auth: account %s signed out everywhere",
		    req->principal->id);
	} else if (rt != NULL) {
		id_sha256_bytea(rt, hash);
		p[0] = hash;
		if (exec_or_reply(req, ID_REFRESH_LOOKUP, p, &res) == -1)
			return (0);
		/* Only the caller's own tokens. */
		if (db_res_rows(res) == 1 && strcmp(db_res_get(res, 0, 2),
		    req->principal->id) == 0) {
			p[0] = db_res_get(res, 0, 0);
			p[1] = now;
			if (exec_or_reply(req, ID_REFRESH_REVOKE_FAMILY, p,
			    NULL) == -1) {
				db_res_free(res);
				return (0);
			}
		}
		db_res_free(res);
		log_info("auth: account %s signed out", req->principal->id);
	}
	reply_bytes(req, 204, NULL, "", 0);
	return (0);
}

/* A verification mail for a changed address, in one transaction. */
struct mail_tx {
	const char	*account;
	const char	*email;
	const char	*locale;
};

static int
mail_tx(struct db *db, void *arg, struct db_error *err)
{
	struct mail_tx	*m = arg;

	return (queue_token_mail(db, m->account, "verify_email",
	    VERIFY_LIFETIME, "/verify-email", err));
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

int
identity_me_patch(struct request *req)
{
	const json_t	*in = req->json;
	const json_t	*emp, *stay, *addr, *v;
	struct db_res	*cur = NULL;
	const char	*p[22], *kind;
	char		 now[40], old_email[256], old_locale[8], old_kind[32];
	json_t		*errors;

	if (json_object_size(in) == 0) {
		reply_problem(req, PROB_BAD_REQUEST, "nothing to change");
		return (0);
	}
	p[0] = req->principal->id;
	if (exec_or_reply(req, ID_ACCOUNT_GET, p, &cur) == -1)
		return (0);
	if (db_res_rows(cur) != 1) {
		db_res_free(cur);
		reply_problem(req, PROB_NOT_FOUND, "no such account");
		return (0);
	}
	snprintf(old_email, sizeof(old_email), "%s", db_res_get(cur, 0, 1));
	snprintf(old_locale, sizeof(old_locale), "%s", db_res_get(cur, 0, 4));
	/* The profile fields move together: check the result, not the patch. */
	/* Copied: 'cur' is freed before the update is sent. */
	snprintf(old_kind, sizeof(old_kind), "%s", db_res_get(cur, 0, 5));
	kind = jstr(in, "profile_kind") != NULL ? jstr(in, "profile_kind") :
	    old_kind;
	emp = json_object_get(in, "employment");
	stay = json_object_get(in, "stay");
	errors = json_array();
	if (jstr(in, "profile_kind") != NULL || emp != NULL || stay != NULL) {
		json_t	*cur_emp = NULL, *cur_stay = NULL, *full;

		full = id_account_json(cur, 0);
		if (emp == NULL)
			emp = cur_emp = json_incref(json_object_get(full,
			    "employment"));
		if (stay == NULL)
			stay = cur_stay = json_incref(json_object_get(full,
			    "stay"));
		if (jstr(in, "profile_kind") != NULL &&
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
	addr = json_object_get(in, "address");
	p[7] = addr != NULL ? "t" : "f";
	p[8] = sub_str(in, "address", "street");
	p[9] = sub_str(in, "address", "postcode");
	p[10] = sub_str(in, "address", "city");
	p[11] = sub_str(in, "address", "insee_code");
	p[12] = (jstr(in, "profile_kind") != NULL ||
	    json_object_get(in, "employment") != NULL ||
	    json_object_get(in, "stay") != NULL) ? "t" : "f";
	p[13] = kind;
	p[14] = json_is_object(emp) ? jstr(emp, "employer") : NULL;
	p[15] = json_is_object(emp) ? jstr(emp, "contract_start") : NULL;
	p[16] = json_is_object(emp) ? jstr(emp, "contract_end") : NULL;
	p[17] = json_is_object(stay) ? jstr(stay, "start") : NULL;
	p[18] = json_is_object(stay) ? jstr(stay, "end") : NULL;
	p[19] = (v = json_object_get(in, "email")) != NULL ? "t" : "f";
	p[20] = json_string_value(v);
	p[21] = now;
	if (p[12][0] == 't') {
		/* Re-read: 'emp' and 'stay' may point into the patch. */
		emp = kind != NULL && strcmp(kind, "seasonal_worker") == 0 ?
		    emp : NULL;
		stay = kind != NULL && strcmp(kind, "tourist") == 0 ?
		    stay : NULL;
		p[14] = json_is_object(emp) ? jstr(emp, "employer") : NULL;
		p[15] = json_is_object(emp) ? jstr(emp, "contract_start") : NULL;
		p[16] = json_is_object(emp) ? jstr(emp, "contract_end") : NULL;
		p[17] = json_is_object(stay) ? jstr(stay, "start") : NULL;
		p[18] = json_is_object(stay) ? jstr(stay, "end") : NULL;
	}
	{
		struct db_error	 err;

		if (db_exec(db_thread(), ID_STMT(ID_ACCOUNT_UPDATE), p, NULL,
		    &err) == -1) {
			if (err.code == DB_E_UNIQUE)
				reply_problem(req, PROB_CONFLICT, "another "
				    "account uses this email address");
			else
				reply_db_error(req, &err);
			return (0);
		}
	}
	if (json_object_get(in, "email") != NULL &&
	    strcasecmp(old_email, jstr(in, "email")) != 0) {
		struct mail_tx	 m = { req->principal->id, jstr(in, "email"),
		    old_locale };
		struct db_error	 err;

		/* The new address is unverified until its owner confirms it. */
		if (db_tx(db_thread(), mail_tx, &m, &err) == -1) {
			reply_db_error(req, &err);
			return (0);
		}
	}
	/* The NOTIFY tells the other processes; this one knows now. */
	if (json_object_get(in, "locale") != NULL)
		principal_cache_forget(req->principal->id);
	log_info("account %s updated its profile", req->principal->id);
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
	int			 ok;

	if (exec_or_reply(req, ID_ACCOUNT_GET, p, &acc) == -1)
		return (0);
	if (db_res_rows(acc) != 1) {
		db_res_free(acc);
		reply_problem(req, PROB_NOT_FOUND, "no such account");
		return (0);
	}
	if ((ok = identity_reauthenticate(req, req->principal->id,
	    jstr(req->json, "current_password"))) == -1) {
		db_res_free(acc);
		return (0);
	}
	ok = ok == 0;
	errors = json_array();
	if (!ok)
		json_error_add(errors, "/current_password", "wrong",
		    msg(req, M_PASSWORD_WRONG));
	else
		weak_password(req, errors, "/new_password", jstr(req->json,
		    "new_password"), db_res_get(acc, 0, 1),
		    db_res_get(acc, 0, 3));
	db_res_free(acc);
	if (json_array_size(errors) > 0) {
		validation(req, errors);
		return (0);
	}
	json_decref(errors);
	if (password_hash(jstr(req->json, "new_password"), hash, sizeof(hash))
	    == -1) {
		reply_problem(req, PROB_INTERNAL, "the password could not be "
		    "changed");
		return (0);
	}
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

	if (exec_or_reply(req, ID_AGENT_GET, p, &res) == -1)
		return (0);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		reply_problem(req, PROB_FORBIDDEN, "a second factor is for "
		    "agents' accounts");
		return (0);
	}
	if (strcmp(db_res_get(res, 0, 2), "t") == 0) {
		db_res_free(res);
		reply_problem(req, PROB_CONFLICT, "a second factor is already "
		    "enrolled; an administrator can reset it");
		return (0);
	}
	db_res_free(res);
	if (totp_secret_new(secret, sizeof(secret)) == -1) {
		reply_problem(req, PROB_INTERNAL, "no secret could be made");
		return (0);
	}
	p[1] = secret;
	if (exec_or_reply(req, ID_AGENT_TOTP_SET, p, NULL) == -1)
		return (0);
	if (exec_or_reply(req, ID_ACCOUNT_GET, p, &acc) == -1)
		return (0);
	if (totp_uri("guichet", db_res_rows(acc) == 1 ? db_res_get(acc, 0, 1) :
	    req->principal->id, secret, uri, sizeof(uri)) == -1) {
		db_res_free(acc);
		reply_problem(req, PROB_INTERNAL, "no secret could be made");
		return (0);
	}
	db_res_free(acc);
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
	int64_t		 step;
	json_t		*errors;

	if (exec_or_reply(req, ID_AGENT_GET, p, &res) == -1)
		return (0);
	if (db_res_rows(res) != 1 || db_res_get(res, 0, 1) == NULL ||
	    strcmp(db_res_get(res, 0, 2), "t") == 0) {
		db_res_free(res);
		reply_problem(req, PROB_CONFLICT, "no enrolment in progress");
		return (0);
	}
	step = totp_check(db_res_get(res, 0, 1), jstr(req->json, "code"),
	    clock_now() / 1000000);
	db_res_free(res);
	if (step < 0) {
		errors = json_array();
		json_error_add(errors, "/code", "invalid",
		    msg(req, M_CODE_INVALID));
		validation(req, errors);
		return (0);
	}
	id_now(now);
	snprintf(step_s, sizeof(step_s), "%lld", (long long)step);
	p[1] = now;
	p[2] = step_s;
	if (exec_or_reply(req, ID_AGENT_TOTP_ENROL, p, NULL) == -1)
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
		reply_problem(req, PROB_NOT_FOUND, "tokens are signed with a "
		    "shared secret: there is no public key to publish");
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
	struct db_res	*res = NULL;
	const char	*cursor = request_query(req, "cursor");
	const char	*p[2];
	char		 lim[24], *after = NULL, *next;
	long		 limit;
	json_t		*items, *a;
	int		 i, n;

	if (page_limit_or_reply(req, &limit) == -1)
		return (0);
	if (cursor != NULL && (after = page_cursor_decode(cursor)) == NULL) {
		reply_problem(req, PROB_BAD_REQUEST, "invalid cursor");
		return (0);
	}
	snprintf(lim, sizeof(lim), "%ld", limit + 1);
	p[0] = after != NULL ? after : "";
	p[1] = lim;
	if (exec_or_reply(req, ID_AGENT_LIST, p, &res) == -1) {
		free(after);
		return (0);
	}
	free(after);
	items = json_array();
	n = db_res_rows(res);
	for (i = 0; i < n && i < limit; i++) {
		if (record_staff_read(req, db_res_get(res, i, 0)) == -1) {
			json_decref(items);
			db_res_free(res);
			return (0);
		}
		a = id_account_json(res, i);
		json_object_set_new(a, "status",
		    json_string(db_res_get(res, i, 21)));
		json_array_append_new(items, a);
	}
	if (n > limit) {
		next = page_cursor_encode(db_res_get(res, (int)limit - 1, 1));
		reply_json(req, 200, json_pack("{s:o, s:s}", "items", items,
		    "next_cursor", next));
		free(next);
	} else
		reply_json(req, 200, json_pack("{s:o, s:n}", "items", items,
		    "next_cursor"));
	db_res_free(res);
	return (0);
}

struct agent_tx {
	const json_t	*in;
	const char	*id;		/* patch: the agent */
	char		 new_id[40];
	const char	*bad_department;
	int		 not_found;
};

static int
agent_roles_and_departments(struct db *db, struct agent_tx *t,
    const char *id, struct db_error *err)
{
	const json_t	*roles = json_object_get(t->in, "roles");
	const json_t	*depts = json_object_get(t->in, "departments");
	struct db_res	*res = NULL;
	struct buf	 r;
	const char	*p[2];
	char		 now[40];
	size_t		 i;
	int		 rc = 0;

	id_now(now);
	if (roles != NULL) {
		buf_init(&r);
		for (i = 0; i < json_array_size(roles); i++)
			buf_addf(&r, "%s%s", i > 0 ? " " : "",
			    json_string_value(json_array_get(roles, i)));
		p[0] = id;
		p[1] = r.data;
		rc = db_exec(db, ID_STMT(ID_AGENT_SET_ROLES), p, &res, err);
		if (rc == 0 && db_res_affected(res) == 0)
			t->not_found = 1;
		db_res_free(res);
		buf_cleanup(&r);
		if (rc == -1 || t->not_found) {
			err->code = t->not_found ? DB_OK : err->code;
			return (-1);
		}
	}
	if (depts != NULL) {
		p[0] = id;
		if (db_exec(db, ID_STMT(ID_AGENT_DEPTS_CLEAR), p, NULL, err) == -1)
			return (-1);
		for (i = 0; i < json_array_size(depts); i++) {
			p[1] = json_string_value(json_array_get(depts, i));
			if (db_exec(db, ID_STMT(ID_DEPARTMENT_EXISTS), p + 1,
			    &res, err) == -1)
				return (-1);
			if (db_res_rows(res) != 1) {
				db_res_free(res);
				t->bad_department = p[1];
				err->code = DB_OK;
				return (-1);
			}
			db_res_free(res);
			if (db_exec(db, ID_STMT(ID_AGENT_DEPT_ADD), p, NULL,
			    err) == -1)
				return (-1);
		}
	}
	/* New roles or departments: tokens carrying the old ones die. */
	p[0] = id;
	p[1] = now;
	return (db_exec(db, ID_STMT(ID_ACCOUNT_BUMP_VERSION), p, NULL, err));
}

static int
agent_create_tx(struct db *db, void *arg, struct db_error *err)
{
	struct agent_tx	*t = arg;
	struct db_res	*res = NULL;
	const char	*p[16];
	char		 now[40], unusable[80];
	const char	*locale = jstr(t->in, "locale") != NULL ?
	    jstr(t->in, "locale") : "fr";

	id_now(now);
	/* No password until the agent sets one from the invitation link. */
	snprintf(unusable, sizeof(unusable), "!invited");
	memset(p, 0, sizeof(p));
	p[0] = jstr(t->in, "email");
	p[1] = unusable;
	p[2] = jstr(t->in, "display_name");
	p[3] = locale;
	p[4] = "permanent_resident";
	p[15] = now;
	if (db_exec(db, ID_STMT(ID_ACCOUNT_INSERT), p, &res, err) == -1)
		return (-1);
	snprintf(t->new_id, sizeof(t->new_id), "%s", db_res_get(res, 0, 0));
	db_res_free(res);
	p[0] = t->new_id;
	p[1] = "agent";
	p[2] = now;
	if (db_exec(db, ID_STMT(ID_AGENT_INSERT), p, NULL, err) == -1)
		return (-1);
	if (agent_roles_and_departments(db, t, t->new_id, err) == -1)
		return (-1);
	return (queue_token_mail(db, t->new_id, "reset_password", 7 * 86400,
	    "/reset-password", err));
}

static void
agent_tx_failed(struct request *req, struct agent_tx *t,
    const struct db_error *err)
{
	json_t	*errors;

	if (t->bad_department != NULL) {
		errors = json_array();
		json_error_add(errors, "/departments", "unknown",
		    msg(req, M_UNKNOWN_DEPARTMENT));
		validation(req, errors);
	} else if (t->not_found)
		reply_problem(req, PROB_NOT_FOUND, "no such agent");
	else if (err->code == DB_E_UNIQUE)
		reply_problem(req, PROB_CONFLICT, "an account already exists "
		    "for this email address");
	else
		reply_db_error(req, err);
}

int
identity_admin_agents_create(struct request *req)
{
	struct agent_tx	 t;
	struct db_error	 err;

	memset(&t, 0, sizeof(t));
	t.in = req->json;
	if (db_tx(db_thread(), agent_create_tx, &t, &err) == -1) {
		agent_tx_failed(req, &t, &err);
		return (0);
	}
	log_info("admin %s created agent %s", req->principal->id, t.new_id);
	if (record_staff_read(req, t.new_id) == -1)
		return (0);
	return (reply_account(req, 201, t.new_id));
}

static int
agent_patch_tx(struct db *db, void *arg, struct db_error *err)
{
	struct agent_tx	*t = arg;
	struct db_res	*res = NULL;
	const char	*p[1] = { t->id };

	if (db_exec(db, ID_STMT(ID_AGENT_GET), p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		t->not_found = 1;
		err->code = DB_OK;
		return (-1);
	}
	db_res_free(res);
	return (agent_roles_and_departments(db, t, t->id, err));
}

static int
uuid_param_or_reply(struct request *req, const char **id)
{
	*id = request_param(req, "id");
	if (*id == NULL || !json_format_ok(JF_UUID, *id)) {
		reply_problem(req, PROB_NOT_FOUND, "no such agent");
		return (-1);
	}
	return (0);
}

int
identity_admin_agents_patch(struct request *req)
{
	struct agent_tx	 t;
	struct db_error	 err;

	memset(&t, 0, sizeof(t));
	t.in = req->json;
	if (uuid_param_or_reply(req, &t.id) == -1)
		return (0);
	if (db_tx(db_thread(), agent_patch_tx, &t, &err) == -1) {
		agent_tx_failed(req, &t, &err);
		return (0);
	}
	principal_cache_forget(t.id);
	log_info("admin %s changed agent %s", req->principal->id, t.id);
	if (record_staff_read(req, t.id) == -1)
		return (0);
	return (reply_account(req, 200, t.id));
}

int
identity_admin_agents_block(struct request *req)
{
	struct db_res	*res = NULL, *ag = NULL;
	const char	*id, *p[2];
	char		 now[40];

	if (uuid_param_or_reply(req, &id) == -1)
		return (0);
	p[0] = id;
	if (exec_or_reply(req, ID_AGENT_GET, p, &ag) == -1)
		return (0);
	if (db_res_rows(ag) != 1) {
		db_res_free(ag);
		reply_problem(req, PROB_NOT_FOUND, "no such agent");
		return (0);
	}
	db_res_free(ag);
	id_now(now);
	p[1] = now;
	if (exec_or_reply(req, ID_ACCOUNT_BLOCK, p, &res) == -1 ||
	    exec_or_reply(req, ID_REFRESH_REVOKE_ACCOUNT, p, NULL) == -1) {
		db_res_free(res);
		return (0);
	}
	db_res_free(res);
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
	struct db_res	*ag = NULL;
	const char	*id, *p[2];
	char		 now[40];

	if (uuid_param_or_reply(req, &id) == -1)
		return (0);
	p[0] = id;
	if (exec_or_reply(req, ID_AGENT_GET, p, &ag) == -1)
		return (0);
	if (db_res_rows(ag) != 1) {
		db_res_free(ag);
		reply_problem(req, PROB_NOT_FOUND, "no such agent");
		return (0);
	}
	db_res_free(ag);
	id_now(now);
	p[1] = now;
	if (exec_or_reply(req, ID_AGENT_TOTP_RESET, p, NULL) == -1 ||
	    exec_or_reply(req, ID_REFRESH_REVOKE_ACCOUNT, p, NULL) == -1 ||
	    exec_or_reply(req, ID_ACCOUNT_BUMP_VERSION, p, NULL) == -1)
		return (0);
	principal_cache_forget(id);
	log_info("admin %s reset the second factor of agent %s; its sessions "
	    "are revoked", req->principal->id, id);
	reply_bytes(req, 204, NULL, "", 0);
	return (0);
}

/* Start-up. */

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

	free(public_url);
	public_url = xstrdup(c->public_url);
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
	/* guichetctl issues no token: its commands need no key. */
	if (env->mode != MODULE_SERVER)
		return (0);
	principal_cache_init();
	pthread_once(&secret_once, instance_secret_load);
	server_set_guard(identity_guard);
	if (c->jwt_key_file[0] == '\0') {
		snprintf(err, errlen, "jwt_key_file is not set: create one "
		    "with 'guichetctl keys rotate' and set jwt_key_file");
		return (-1);
	}
	return (token_keys_load(c->jwt_key_file, err, errlen));
}
