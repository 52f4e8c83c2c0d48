/*
 * privacy_http.c: the privacy layer's HTTP handlers: the public register
 * of processing activities and the caller's own consents; and the request
 * helpers every handler of the module shares (privacy_int.h).  SQL is in
 * privacy_db.c.
 *
 * Rules kept here:
 *  - the register is built from the database on every request (never a
 *    copy in the code), in the caller's language, with an ETag
 *    so that clients revalidate instead of downloading it again;
 *  - giving and withdrawing a consent are one call each, of the same
 *    shape (PUT and DELETE on the same resource), both idempotent, and
 *    throttled per client address (PRIV_CONSENT_BUDGET);
 *  - consent changes are logged with ids and purpose codes only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "core/module.h"
#include "db/db.h"
#include "http/cache.h"
#include "http/page.h"
#include "http/ratelimit.h"
#include "http/reply.h"
#include "json/check.h"
#include "privacy/privacy.h"
#include "privacy/privacy_int.h"

#define BLANK	" \t\r\n"

/*
 * What the code itself guarantees (Art. 30(1)(g), Art. 32).  Each line
 * must stay true of the code: change it with the code it describes.
 */
static const struct {
	const char	*code;
	const char	*text[3];
} measures[] = {
	{ .code = "password_hashing", .text = {
	    "Mots de passe conservés uniquement sous forme d'empreinte "
	    "Argon2id salée ; les mots de passe trop courants sont refusés.",
	    "Passwords are kept only as salted Argon2id hashes; the most "
	    "common passwords are refused.",
	    "Le password sono conservate solo come impronte Argon2id con sale; "
	    "le password più comuni sono rifiutate." } },
	{ .code = "tokens", .text = {
	    "Jetons d'accès signés et de courte durée, révoqués au changement "
	    "de mot de passe ; jetons de renouvellement à usage unique, "
	    "conservés sous forme d'empreinte.",
	    "Short-lived signed access tokens, revoked when the password "
	    "changes; single-use refresh tokens, kept as hashes.",
	    "Token di accesso firmati e di breve durata, revocati al cambio "
	    "di password; token di rinnovo monouso, conservati come "
	    "impronte." } },
	{ .code = "second_factor", .text = {
	    "Second facteur (TOTP) obligatoire pour les agents et les "
	    "administrateurs.",
	    "A second factor (TOTP) is required for agents and administrators.",
	    "Secondo fattore (TOTP) obbligatorio per agenti e "
	    "amministratori." } },
	{ .code = "access_control", .text = {
	    "Un point unique de contrôle d'accès, qui refuse par défaut.",
	    "One access-control choke point, which denies by default.",
	    "Un unico punto di controllo degli accessi, che nega per "
	    "impostazione predefinita." } },
	{ .code = "login_throttling", .text = {
	    "Connexions ralenties après des échecs répétés, par adresse et "
	    "par compte.",
	    "Sign-ins slowed down after repeated failures, per address and per "
	    "account.",
	    "Accessi rallentati dopo fallimenti ripetuti, per indirizzo e per "
	    "account." } },
	{ .code = "input_validation", .text = {
	    "Chaque requête est vérifiée contre un schéma strict ; les "
	    "requêtes SQL ne reçoivent les valeurs que comme paramètres.",
	    "Every request is checked against a strict schema; SQL statements "
	    "receive values only as parameters.",
	    "Ogni richiesta è verificata con uno schema rigoroso; le "
	    "istruzioni SQL ricevono i valori solo come parametri." } },
	{ .code = "logging", .text = {
	    "Les journaux portent des identifiants, jamais de données "
	    "personnelles, de textes saisis (motifs, réponses), de mots de "
	    "passe ni de jetons.",
	    "Logs carry identifiers, never personal data, typed texts "
	    "(reasons, answers), passwords or tokens.",
	    "I log riportano identificativi, mai dati personali, testi "
	    "digitati (motivi, risposte), password o token." } },
	{ .code = "request_budgets", .text = {
	    "Les changements de consentement et les demandes d'exercice des "
	    "droits sont limités par adresse réseau, bien au-delà de l'usage "
	    "d'une personne, contre les envois en masse.",
	    "Consent changes and rights requests are limited per network "
	    "address, far above what a person does, against floods.",
	    "Le modifiche del consenso e le richieste di esercizio dei diritti "
	    "sono limitate per indirizzo di rete, ben oltre l'uso di una "
	    "persona, contro gli invii massivi." } },
	{ .code = "data_map", .text = {
	    "Chaque colonne de la base est classée (donnée personnelle et sa "
	    "catégorie, ou non) ; chaque catégorie a sa règle d'effacement et "
	    "sa durée de conservation.",
	    "Every database column is classified (personal data and its "
	    "category, or not); every category has its erasure rule and its "
	    "retention period.",
	    "Ogni colonna della base dati è classificata (dato personale e sua "
	    "categoria, o no); ogni categoria ha la sua regola di "
	    "cancellazione e il suo periodo di conservazione." } },
	{ .code = "consent_ledger", .text = {
	    "Les consentements donnés et retirés sont inscrits dans un "
	    "registre qui ne peut être ni modifié ni effacé par l'application.",
	    "Consents given and withdrawn are written to a ledger that the "
	    "application can neither change nor delete.",
	    "I consensi dati e revocati sono scritti in un registro che "
	    "l'applicazione non può né modificare né cancellare." } },
};

/* Helpers of the module's handlers (privacy_int.h). */

const char *
priv_purpose_or_reply(struct request *req, int reason_query)
{
	const char	*where = reason_query ? "?reason= | X-Purpose" :
			    "X-Purpose";
	const char	*v = NULL;
	char		*s, cap[16];
	size_t		 n;

	if (reason_query)
		v = request_query(req, "reason");
	if (v == NULL || v[strspn(v, BLANK)] == '\0')
		v = request_header(req, "X-Purpose");
	if (v != NULL) {
		s = request_strdup(req, v + strspn(v, BLANK));
		n = strlen(s);
		while (n > 0 && strchr(BLANK, s[n - 1]) != NULL)
			s[--n] = '\0';
		if (n > 0 && json_utf8_len(s) <= PRIV_PURPOSE_MAX)
			return (s);
		if (n > 0) {
			snprintf(cap, sizeof(cap), "%d", PRIV_PURPOSE_MAX);
			reply_error(req, PRIV_ERR(PE_PURPOSE_TOO_LONG), where,
			    cap);
			return (NULL);
		}
	}
	reply_error(req, PRIV_ERR(PE_PURPOSE_REQUIRED), where);
	return (NULL);
}

void
priv_reply_fields(struct request *req, json_t *errors)
{
	char	 n[24];

	snprintf(n, sizeof(n), "%zu", json_array_size(errors));
	reply_error_fields(req, HTTP_ERR(HE_VALIDATION), errors, n);
}

void
priv_language_headers(struct request *req, enum lang l)
{
	reply_header(req, "Content-Language", lang_code(l));
	reply_header(req, "Vary", "Accept-Language");
}

char *
priv_cursor_make(int64_t at, const char *id)
{
	char	 t[40], *key, *cursor;

	clock_format(at, t, sizeof(t));
	xasprintf(&key, "%s|%s", t, id);
	cursor = page_cursor_encode(key);
	free(key);
	return (cursor);
}

int
priv_cursor_split(const char *cursor, char *at, char *id, int uuid)
{
	char	*key, *bar;
	int64_t	 t;
	int	 rc = -1;

	if ((key = page_cursor_decode(cursor)) == NULL)
		return (-1);
	if ((bar = strchr(key, '|')) == NULL)
		goto out;
	*bar++ = '\0';
	if (strlen(key) >= 40 || strlen(bar) >= 40 ||
	    clock_parse(key, &t) == -1 ||
	    (uuid ? !json_format_ok(JF_UUID, bar) :
	    *bar == '\0' || strspn(bar, "0123456789") != strlen(bar)))
		goto out;
	snprintf(at, 40, "%s", key);
	snprintf(id, 40, "%s", bar);
	rc = 0;
out:
	free(key);
	return (rc);
}

void
priv_reply_page(struct request *req, json_t *items, char *next)
{
	reply_json(req, 200, json_pack("{s:o, s:s?}", "items", items,
	    "next_cursor", next));
	free(next);
	reply_header(req, "Cache-Control", "no-store");
}

/* GET /api/v1/privacy/register */

/*
 * A part of the register: the rows of 'st' in 'lang', each a JSON object
 * that PostgreSQL made (column item), as an array; with 'one', the first
 * row alone (JSON null when none: no town yet, on a fresh install).  NULL
 * when the database failed (the problem is set).
 */
static json_t *
register_part(struct request *req, enum privacy_stmt st, const char *lang,
    int one)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { lang };
	json_t		*a, *o;
	int		 i;

	if (reply_exec(req, PRIV_STMT(st), p, &res) == -1)
		return (NULL);
	a = json_array();
	for (i = 0; i < db_res_rows(res); i++)
		if ((o = json_loads(db_str(res, i, "item"), 0, NULL)) != NULL)
			json_array_append_new(a, o);
	db_res_free(res);
	if (one) {
		o = json_incref(json_array_get(a, 0));
		json_decref(a);
		return (o != NULL ? o : json_null());
	}
	return (a);
}

static json_t *
register_measures(enum lang l)
{
	json_t	*a;
	size_t	 i;

	a = json_array();
	for (i = 0; i < NELEM(measures); i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "code",
		    measures[i].code, "description", measures[i].text[l]));
	return (a);
}

int
privacy_register_get(struct request *req)
{
	const char	*lang = lang_code(req->lang);
	json_t		*o, *controller, *purposes, *categories;
	char		 key[40];

	/* Dropped by the triggers of migration 012 (cache.h). */
	snprintf(key, sizeof(key), "privacy_register:%s", lang);
	if (cache_reply(req, key))
		return (0);

	controller = register_part(req, PRIV_TOWN_GET, lang, 1);
	purposes = controller == NULL ? NULL : register_part(req,
	    PRIV_PURPOSE_LIST, lang, 0);
	categories = purposes == NULL ? NULL : register_part(req,
	    PRIV_CATEGORY_LIST, lang, 0);
	if (categories == NULL) {
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
	priv_language_headers(req, req->lang);
	cache_store(req, key, "privacy_register");
	return (0);
}

/* GET /api/v1/me/consents */

static json_t *
consent_item(const struct db_res *res, int i)
{
	const char	*last = db_str(res, i, "last_action");
	int		 given = db_bool(res, i, "given");
	json_t		*o;

	o = json_pack("{s:s?, s:s?, s:s?, s:I, s:s}",
	    "purpose", db_str(res, i, "purpose"),
	    "title", db_str(res, i, "title"),
	    "description", db_str(res, i, "description"),
	    "version", (json_int_t)db_int64(res, i, "version"),
	    "state", given ? "given" : "withdrawn");
	json_set_time(o, "since", db_time(res, i, "last_at"));
	/* Given to an earlier text: the person is asked again. */
	json_object_set_new(o, "renewal_needed", json_boolean(!given &&
	    last != NULL && strcmp(last, "given") == 0));
	return (o);
}

int
privacy_consents_list(struct request *req)
{
	struct db_res	*res = NULL, *hist = NULL;
	const char	*p[2] = { req->principal->id, lang_code(req->lang) };
	char		 max[16];
	json_t		*items, *history, *h;
	int		 i;

	if (reply_exec(req, PRIV_STMT(PRIV_CONSENT_STATES), p, &res) == -1)
		return (0);
	snprintf(max, sizeof(max), "%d", PRIV_HISTORY_MAX);
	p[1] = max;
	if (reply_exec(req, PRIV_STMT(PRIV_CONSENT_HISTORY), p, &hist) == -1) {
		db_res_free(res);
		return (0);
	}
	items = json_array();
	for (i = 0; i < db_res_rows(res); i++)
		json_array_append_new(items, consent_item(res, i));
	history = json_array();
	for (i = 0; i < db_res_rows(hist); i++) {
		h = json_pack("{s:s?, s:I, s:s?, s:s?}",
		    "purpose", db_str(hist, i, "purpose"),
		    "version", (json_int_t)db_int64(hist, i, "version"),
		    "action", db_str(hist, i, "action"),
		    "channel", db_str(hist, i, "channel"));
		json_set_time(h, "at", db_time(hist, i, "at"));
		json_array_append_new(history, h);
	}
	db_res_free(res);
	db_res_free(hist);
	reply_json(req, 200, json_pack("{s:o, s:o}", "items", items,
	    "history", history));
	priv_language_headers(req, req->lang);
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

	if (ratelimit_peer_or_reply(req, "privacy_consent",
	    PRIV_CONSENT_BUDGET, PRIV_BUDGET_WINDOW) == -1)
		return (0);
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
		reply_error(req, PRIV_ERR(PE_PURPOSE_NOT_FOUND));
		return (0);
	case CONSENT_NOT_OPTIONAL:
		reply_error(req, PRIV_ERR(PE_PURPOSE_NOT_CONSENT));
		return (0);
	case CONSENT_NO_ACCOUNT:
		reply_error(req, PRIV_ERR(PE_ACCOUNT_NOT_ACTIVE));
		return (0);
	case CONSENT_FAILED:
		reply_db_error(req, &err);
		return (0);
	}
	p[0] = req->principal->id;
	p[1] = lang_code(req->lang);
	p[2] = purpose;
	/* No row: the purpose stopped being consent-based in between. */
	if (reply_exec_row(req, PRIV_STMT(PRIV_CONSENT_STATE), p, &res,
	    PRIV_ERR(PE_PURPOSE_CHANGED)) == -1)
		return (0);
	reply_json(req, 200, consent_item(res, 0));
	db_res_free(res);
	priv_language_headers(req, req->lang);
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
