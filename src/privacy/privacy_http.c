/*
 * privacy_http.c: the privacy layer's HTTP handlers: the public register
 * of processing activities and the caller's own consents.  SQL is in
 * privacy_db.c.
 *
 * Rules kept here:
 *  - the register is built from the database on every request (never a
 *    copy in the code), in the caller's language, with an ETag
 *    so that clients revalidate instead of downloading it again;
 *  - giving and withdrawing a consent are one call each, of the same
 *    shape (PUT and DELETE on the same resource), both idempotent;
 *  - consent changes are logged with ids and purpose codes only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "auth/policy.h"
#include "base/log.h"
#include "db/db.h"
#include "http/cache.h"
#include "http/reply.h"
#include "privacy/privacy.h"
#include "privacy/privacy_int.h"

static const char *const lang_codes[] = { "fr", "en", "it" };

/*
 * What the code itself guarantees (Art. 30(1)(g), Art. 32).  Each line
 * must stay true of the code: change it with the code it describes.
 */
static const struct {
	const char	*code;
	const char	*text[3];
} measures[] = {
	{ "password_hashing", {
	    "Mots de passe conservés uniquement sous forme d'empreinte "
	    "Argon2id salée ; les mots de passe trop courants sont refusés.",
	    "Passwords are kept only as salted Argon2id hashes; the most "
	    "common passwords are refused.",
	    "Le password sono conservate solo come impronte Argon2id con sale; "
	    "le password più comuni sono rifiutate." } },
	{ "tokens", {
	    "Jetons d'accès signés et de courte durée, révoqués au changement "
	    "de mot de passe ; jetons de renouvellement à usage unique, "
	    "conservés sous forme d'empreinte.",
	    "Short-lived signed access tokens, revoked when the password "
	    "changes; single-use refresh tokens, kept as hashes.",
	    "Token di accesso firmati e di breve durata, revocati al cambio "
	    "di password; token di rinnovo monouso, conservati come "
	    "impronte." } },
	{ "second_factor", {
	    "Second facteur (TOTP) obligatoire pour les agents et les "
	    "administrateurs.",
	    "A second factor (TOTP) is required for agents and administrators.",
	    "Secondo fattore (TOTP) obbligatorio per agenti e "
	    "amministratori." } },
	{ "access_control", {
	    "Un point unique de contrôle d'accès, qui refuse par défaut.",
	    "One access-control choke point, which denies by default.",
	    "Un unico punto di controllo degli accessi, che nega per "
	    "impostazione predefinita." } },
	{ "login_throttling", {
	    "Connexions ralenties après des échecs répétés, par adresse et "
	    "par compte.",
	    "Sign-ins slowed down after repeated failures, per address and per "
	    "account.",
	    "Accessi rallentati dopo fallimenti ripetuti, per indirizzo e per "
	    "account." } },
	{ "input_validation", {
	    "Chaque requête est vérifiée contre un schéma strict ; les "
	    "requêtes SQL ne reçoivent les valeurs que comme paramètres.",
	    "Every request is checked against a strict schema; SQL statements "
	    "receive values only as parameters.",
	    "Ogni richiesta è verificata con uno schema rigoroso; le "
	    "istruzioni SQL ricevono i valori solo come parametri." } },
	{ "logging", {
	    "Les journaux portent des identifiants, jamais de données "
	    "personnelles, de mots de passe ni de jetons.",
	    "Logs carry identifiers, never personal data, passwords or tokens.",
	    "I log riportano identificativi, mai dati personali, password o "
	    "token." } },
	{ "data_map", {
	    "Chaque colonne de la base est classée (donnée personnelle et sa "
	    "catégorie, ou non) ; chaque catégorie a sa règle d'effacement et "
	    "sa durée de conservation.",
	    "Every database column is classified (personal data and its "
	    "category, or not); every category has its erasure rule and its "
	    "retention period.",
	    "Ogni colonna della base dati è classificata (dato personale e sua "
	    "categoria, o no); ogni categoria ha la sua regola di "
	    "cancellazione e il suo periodo di conservazione." } },
	{ "consent_ledger", {
	    "Les consentements donnés et retirés sont inscrits dans un "
	    "registre qui ne peut être ni modifié ni effacé par l'application.",
	    "Consents given and withdrawn are written to a ledger that the "
	    "application can neither change nor delete.",
	    "I consensi dati e revocati sono scritti in un registro che "
	    "l'applicazione non può né modificare né cancellare." } },
};

/* Run a statement for a handler; on failure the problem is set: -1. */
static int
exec_or_reply(struct request *req, enum privacy_stmt st,
    const char *const *params, struct db_res **res)
{
	return (reply_exec(req, PRIV_STMT(st), params, res));
}

static void
set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, v != NULL ? json_string(v) : json_null());
}

/* A JSON text made by PostgreSQL (array_to_json, json_agg). */
static json_t *
sql_json(const char *v)
{
	json_t	*j;

	if (v == NULL || (j = json_loads(v, 0, NULL)) == NULL)
		return (json_array());
	return (j);
}

static void
language_headers(struct request *req)
{
	reply_header(req, "Content-Language", lang_codes[req->lang]);
	reply_header(req, "Vary", "Accept-Language");
}

/* GET /api/v1/privacy/register */

static json_t *
register_controller(struct request *req, int *failed)
{
	struct db_res	*res = NULL;
	json_t		*o;

	if (exec_or_reply(req, PRIV_TOWN_GET, NULL, &res) == -1) {
		*failed = 1;
		return (NULL);
	}
	/* No town yet (a fresh install): the register says so. */
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return (json_null());
	}
	o = json_object();
	set_str(o, "name", db_res_get(res, 0, 0));
	set_str(o, "insee_code", db_res_get(res, 0, 1));
	set_str(o, "postcode", db_res_get(res, 0, 2));
	db_res_free(res);
	return (o);
}

static json_t *
register_purposes(struct request *req, const char *lang, int *failed)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { lang };
	json_t		*a, *o;
	int		 i;

	if (exec_or_reply(req, PRIV_PURPOSE_LIST, p, &res) == -1) {
		*failed = 1;
		return (NULL);
	}
	a = json_array();
	for (i = 0; i < db_res_rows(res); i++) {
		o = json_object();
		set_str(o, "code", db_res_get(res, i, 0));
		set_str(o, "title", db_res_get(res, i, 2));
		set_str(o, "description", db_res_get(res, i, 3));
		set_str(o, "legal_basis", db_res_get(res, i, 1));
		json_object_set_new(o, "optional",
		    json_boolean(strcmp(db_res_get(res, i, 8), "t") == 0));
		json_object_set_new(o, "categories",
		    sql_json(db_res_get(res, i, 4)));
		json_object_set_new(o, "recipients",
		    sql_json(db_res_get(res, i, 5)));
		set_str(o, "retention", db_res_get(res, i, 6));
		json_object_set_new(o, "version",
		    json_integer(atoll(db_res_get(res, i, 7))));
		json_array_append_new(a, o);
	}
	db_res_free(res);
	return (a);
}

static json_t *
register_categories(struct request *req, const char *lang, int *failed)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { lang };
	json_t		*a, *o, *r;
	int		 i;

	if (exec_or_reply(req, PRIV_CATEGORY_LIST, p, &res) == -1) {
		*failed = 1;
		return (NULL);
	}
	a = json_array();
	for (i = 0; i < db_res_rows(res); i++) {
		o = json_object();
		set_str(o, "code", db_res_get(res, i, 0));
		set_str(o, "description", db_res_get(res, i, 1));
		set_str(o, "erasure", db_res_get(res, i, 2));
		r = json_object();
		set_str(r, "period", db_res_get(res, i, 3));
		set_str(r, "from", db_res_get(res, i, 4));
		set_str(r, "from_description", db_res_get(res, i, 5));
		json_object_set_new(o, "retention", r);
		json_array_append_new(a, o);
	}
	db_res_free(res);
	return (a);
}

static json_t *
register_measures(enum lang l)
{
	json_t	*a;
	size_t	 i;

	a = json_array();
	for (i = 0; i < sizeof(measures) / sizeof(measures[0]); i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "code",
		    measures[i].code, "description", measures[i].text[l]));
	return (a);
}

int
privacy_register_get(struct request *req)
{
	const char	*lang = lang_codes[req->lang];
	json_t		*o, *controller, *purposes, *categories;
	char		 key[40];
	int		 failed = 0;

	/* Dropped by the triggers of migration 012 (cache.h). */
	snprintf(key, sizeof(key), "privacy_register:%s", lang);
	if (cache_reply(req, key))
		return (0);

	controller = register_controller(req, &failed);
	if (failed)
		return (0);
	purposes = register_purposes(req, lang, &failed);
	if (failed) {
		json_decref(controller);
		return (0);
	}
	categories = register_categories(req, lang, &failed);
	if (failed) {
		json_decref(controller);
		json_decref(purposes);
		return (0);
	}
	o = json_object();
	json_object_set_new(o, "controller", controller);
	json_object_set_new(o, "language", json_string(lang));
	json_object_set_new(o, "purposes", purposes);
	json_object_set_new(o, "categories", categories);
	json_object_set_new(o, "security_measures",
	    register_measures(req->lang));
	/* The server answers If-None-Match (reply.h). */
	reply_json(req, 200, o);
	language_headers(req);
	cache_store(req, key, "privacy_register");
	return (0);
}

/* GET /api/v1/me/consents */

static json_t *
consent_item(const struct db_res *res, int i)
{
	const char	*last = db_res_get(res, i, CC_LAST_ACTION);
	int		 given;
	json_t		*o;

	given = strcmp(db_res_get(res, i, CC_GIVEN), "t") == 0;
	o = json_object();
	set_str(o, "purpose", db_res_get(res, i, CC_PURPOSE));
	set_str(o, "title", db_res_get(res, i, CC_TITLE));
	set_str(o, "description", db_res_get(res, i, CC_DESCRIPTION));
	json_object_set_new(o, "version",
	    json_integer(atoll(db_res_get(res, i, CC_VERSION))));
	set_str(o, "state", given ? "given" : "withdrawn");
	set_str(o, "since", db_res_get(res, i, CC_LAST_AT));
	/* Given to an earlier text: the person is asked again. */
	json_object_set_new(o, "renewal_needed", json_boolean(!given &&
	    last != NULL && strcmp(last, "given") == 0));
	return (o);
}

int
privacy_consents_list(struct request *req)
{
	struct db_res	*res = NULL, *hist = NULL;
	const char	*p[2] = { req->principal->id, lang_codes[req->lang] };
	char		 max[16];
	json_t		*items, *history;
	int		 i;

	if (exec_or_reply(req, PRIV_CONSENT_STATES, p, &res) == -1)
		return (0);
	snprintf(max, sizeof(max), "%d", PRIV_HISTORY_MAX);
	p[1] = max;
	if (exec_or_reply(req, PRIV_CONSENT_HISTORY, p, &hist) == -1) {
		db_res_free(res);
		return (0);
	}
	items = json_array();
	for (i = 0; i < db_res_rows(res); i++)
		json_array_append_new(items, consent_item(res, i));
	history = json_array();
	for (i = 0; i < db_res_rows(hist); i++)
		json_array_append_new(history, json_pack("{s:s, s:I, s:s, "
		    "s:s, s:s}", "purpose", db_res_get(hist, i, 0), "version",
		    (json_int_t)atoll(db_res_get(hist, i, 1)), "action",
		    db_res_get(hist, i, 2), "channel", db_res_get(hist, i, 3),
		    "at", db_res_get(hist, i, 4)));
	db_res_free(res);
	db_res_free(hist);
	reply_json(req, 200, json_pack("{s:o, s:o}", "items", items,
	    "history", history));
	language_headers(req);
	return (0);
}

/* PUT and DELETE /api/v1/me/consents/{purpose} */

static int
consent_change(struct request *req, int give)
{
	struct db_res		*res = NULL;
	struct db_error		 err;
	const char		*purpose = request_param(req, "purpose");
	const char		*p[3];
	enum consent_outcome	 out;

	out = privacy_consent_set(db_thread(), req->principal->id, purpose,
	    give, "api", &err);
	switch (out) {
	case CONSENT_RECORDED:
		log_info("account %s %s consent to %s", req->principal->id,
		    give ? "gave" : "withdrew", purpose);
		break;
	case CONSENT_UNCHANGED:
		break;
	case CONSENT_NO_PURPOSE:
		reply_problem(req, PROB_NOT_FOUND, "no such purpose");
		return (0);
	case CONSENT_NOT_OPTIONAL:
		reply_problem(req, PROB_CONFLICT, "this purpose does not rest "
		    "on consent: it cannot be given or withdrawn");
		return (0);
	case CONSENT_NO_ACCOUNT:
		reply_problem(req, PROB_NOT_FOUND, "no such account");
		return (0);
	case CONSENT_FAILED:
		reply_db_error(req, &err);
		return (0);
	}
	p[0] = req->principal->id;
	p[1] = lang_codes[req->lang];
	p[2] = purpose;
	if (exec_or_reply(req, PRIV_CONSENT_STATE, p, &res) == -1)
		return (0);
	if (db_res_rows(res) != 1) {
		/* The purpose stopped being consent-based in between. */
		db_res_free(res);
		reply_problem(req, PROB_CONFLICT, "this purpose changed; try "
		    "again");
		return (0);
	}
	reply_json(req, 200, consent_item(res, 0));
	db_res_free(res);
	language_headers(req);
	return (0);
}

int
privacy_consent_give(struct request *req)
{
	return (consent_change(req, 1));
}

int
privacy_consent_withdraw(struct request *req)
{
	return (consent_change(req, 0));
}
