/*
 * cases_notify.c: what the town tells people about their cases: the
 * acknowledgement of receipt, and the mail of every change.
 *
 * The acknowledgement of receipt (accusé de réception électronique) of a
 * request made online is due at once (CRPA L112-11; R112-11-2: when it is
 * not instantaneous, an acknowledgement of registration first) at the
 * address the person uses with the service (R112-11-3: the account's,
 * identity_mail()).  It carries the mentions of R112-5, which R112-11-1
 * applies to it:
 *  1° the date of receipt, and the date on which, without an express
 *     decision, the request will be deemed accepted or rejected;
 *  2° the department in charge: its designation, postal address, email
 *     address and telephone number;
 *  3° where the request is incomplete, what L114-5 requires: the missing
 *     documents and information, the time limit to send them, and that
 *     the deadline runs only from their receipt;
 * and whether silence means acceptance (then the certificate of L232-3
 * may be asked for) or rejection (then the means and time limits of
 * appeal: two months, R421-1 and R421-2 of the Code de justice
 * administrative, which R421-5 makes opposable only when the decision or
 * the acknowledgement says them).  The mentions are kept on the case as
 * they were sent (cases.acknowledgements), in the person's language.
 *
 * Mail goes through the outbox in the transaction of the change it tells
 * (ops/outbox.h): to the owner's stored address with identity_mail(), or
 * to the department's mailbox (cases.department_contacts, the module's
 * store of record).  No mail to the department holds anything about the
 * person (no name, no answer, no message): the event, the procedure, the
 * reference and where to read the case; so it concerns no account (the
 * outbox's account is NULL: not the person's mail, nothing to export or
 * erase, and not the person's address).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cases/cases_int.h"
#include "identity/identity.h"
#include "json/check.h"
#include "ops/outbox.h"
#include "procedures/procedures.h"

#define L3(fr, en, it)	{ [LANG_FR] = fr, [LANG_EN] = en, [LANG_IT] = it }

enum ctext {
	CT_TITLE,
	CT_RECEIVED,		/* procedure, date, time, reference */
	CT_DEPARTMENT,		/* name, address, phone, email */
	CT_DEPARTMENT_NAME,	/* name (no contact recorded) */
	CT_HOURS,		/* opening hours */
	CT_DEADLINE,		/* days, date */
	CT_DEADLINE_PAUSED,	/* days */
	CT_SILENCE_ACCEPT,
	CT_SILENCE_REJECT,
	CT_SILENCE_NONE,
	CT_INCOMPLETE,		/* what, date */
	CT_APPEAL,
	CT_ATTESTATION,
	CT_LEGAL,
	CT__COUNT
};

static const char *const ctexts[CT__COUNT][LANG__COUNT] = {
	[CT_TITLE] = L3("Accusé de réception électronique",
	    "Electronic acknowledgement of receipt",
	    "Avviso elettronico di ricevimento"),
	[CT_RECEIVED] = L3(
	    "Votre demande « %s » a été reçue le %s à %s (heure de la "
	    "commune), sous la référence %s.",
	    "Your request \"%s\" was received on %s at %s (town time), under "
	    "the reference %s.",
	    "La sua domanda «%s» è stata ricevuta il %s alle %s (ora del "
	    "comune), con il riferimento %s."),
	[CT_DEPARTMENT] = L3(
	    "Service chargé du dossier : %s, %s ; téléphone : %s ; "
	    "courriel : %s.",
	    "Department in charge: %s, %s; telephone: %s; email: %s.",
	    "Servizio competente: %s, %s; telefono: %s; email: %s."),
	[CT_DEPARTMENT_NAME] = L3("Service chargé du dossier : %s.",
	    "Department in charge: %s.", "Servizio competente: %s."),
	[CT_HOURS] = L3(" Accueil : %s.", " Opening hours: %s.",
	    " Orari: %s."),
	[CT_DEADLINE] = L3(
	    "Le délai d'instruction de votre demande est de %s jours : il "
	    "expire le %s.",
	    "The time limit for deciding on your request is %s days: it "
	    "ends on %s.",
	    "Il termine per decidere sulla sua domanda è di %s giorni: "
	    "scade il %s."),
	[CT_DEADLINE_PAUSED] = L3(
	    "Le délai d'instruction de votre demande, de %s jours, ne court "
	    "qu'à compter de la réception des pièces et informations "
	    "manquantes (article L114-5 du code des relations entre le "
	    "public et l'administration).",
	    "The time limit for deciding on your request, %s days, runs "
	    "only from the receipt of the missing documents and information "
	    "(article L114-5 of the Code des relations entre le public et "
	    "l'administration).",
	    "Il termine per decidere sulla sua domanda, di %s giorni, "
	    "decorre solo dal ricevimento dei documenti e delle informazioni "
	    "mancanti (articolo L114-5 del Code des relations entre le "
	    "public et l'administration)."),
	[CT_SILENCE_ACCEPT] = L3(
	    "À son terme, sans décision expresse de la commune, votre "
	    "demande sera réputée acceptée : le silence vaut décision "
	    "d'acceptation (article L231-1 du code des relations entre le "
	    "public et l'administration).",
	    "At its end, without an express decision of the town, your "
	    "request will be deemed accepted: silence means acceptance "
	    "(article L231-1 of the Code des relations entre le public et "
	    "l'administration).",
	    "Alla scadenza, in assenza di una decisione espressa del comune, "
	    "la sua domanda si intenderà accolta: il silenzio vale "
	    "accoglimento (articolo L231-1 del Code des relations entre le "
	    "public et l'administration)."),
	[CT_SILENCE_REJECT] = L3(
	    "À son terme, sans décision expresse de la commune, votre "
	    "demande sera réputée rejetée : pour cette démarche, le silence "
	    "vaut décision de rejet (article L231-4 du code des relations "
	    "entre le public et l'administration).",
	    "At its end, without an express decision of the town, your "
	    "request will be deemed rejected: for this procedure, silence "
	    "means rejection (article L231-4 of the Code des relations entre "
	    "le public et l'administration).",
	    "Alla scadenza, in assenza di una decisione espressa del comune, "
	    "la sua domanda si intenderà respinta: per questa pratica, il "
	    "silenzio vale rigetto (articolo L231-4 del Code des relations "
	    "entre le public et l'administration)."),
	[CT_SILENCE_NONE] = L3(
	    "La commune vous répondra par une décision expresse.",
	    "The town will answer with an express decision.",
	    "Il comune risponderà con una decisione espressa."),
	[CT_INCOMPLETE] = L3(
	    "Votre demande est incomplète. Pièces et informations "
	    "manquantes : %s. Faites-les parvenir au service chargé du "
	    "dossier d'ici le %s.",
	    "Your request is incomplete. Missing documents and information: "
	    "%s. Send them to the department in charge by %s.",
	    "La sua domanda è incompleta. Documenti e informazioni mancanti: "
	    "%s. Li faccia pervenire al servizio competente entro il %s."),
	[CT_APPEAL] = L3(
	    "Voies et délais de recours : une décision de rejet, expresse ou "
	    "implicite, peut faire l'objet d'un recours gracieux auprès du "
	    "maire et d'un recours contentieux devant le tribunal "
	    "administratif territorialement compétent, y compris par "
	    "l'application Télérecours citoyens (www.telerecours.fr), dans "
	    "un délai de deux mois à compter de sa notification ou, pour une "
	    "décision implicite, de la date à laquelle elle est née (articles "
	    "R421-1 et R421-2 du code de justice administrative) ; un recours "
	    "gracieux formé dans ce délai le proroge (article L411-2 du code "
	    "des relations entre le public et l'administration).",
	    "Means and time limits of appeal: a rejection, express or "
	    "implicit, may be appealed to the mayor (recours gracieux) and "
	    "before the competent administrative court, also through the "
	    "Télérecours citoyens application (www.telerecours.fr), within "
	    "two months of its notification or, for an implicit decision, of "
	    "the date it arose (articles R421-1 and R421-2 of the Code de "
	    "justice administrative); an appeal to the mayor made within "
	    "that time extends it (article L411-2 of the Code des relations "
	    "entre le public et l'administration).",
	    "Mezzi e termini di ricorso: un rigetto, espresso o implicito, "
	    "può essere impugnato con ricorso gerarchico al sindaco (recours "
	    "gracieux) e con ricorso al tribunale amministrativo competente, "
	    "anche tramite l'applicazione Télérecours citoyens "
	    "(www.telerecours.fr), entro due mesi dalla sua notifica o, per "
	    "una decisione implicita, dalla data in cui è sorta (articoli "
	    "R421-1 e R421-2 del Code de justice administrative); un ricorso "
	    "al sindaco presentato in tale termine lo proroga (articolo "
	    "L411-2 del Code des relations entre le public et "
	    "l'administration)."),
	[CT_ATTESTATION] = L3(
	    "Vous pouvez demander à la commune une attestation de la "
	    "décision implicite d'acceptation (article L232-3 du code des "
	    "relations entre le public et l'administration).",
	    "You may ask the town for a certificate of the implicit "
	    "acceptance (article L232-3 of the Code des relations entre le "
	    "public et l'administration).",
	    "Può chiedere al comune un attestato della decisione implicita "
	    "di accoglimento (articolo L232-3 del Code des relations entre "
	    "le public et l'administration)."),
	[CT_LEGAL] = L3(
	    "Accusé de réception électronique délivré en application des "
	    "articles L112-11 et R112-11-1 à R112-11-3 du code des relations "
	    "entre le public et l'administration.",
	    "Electronic acknowledgement of receipt issued under articles "
	    "L112-11 and R112-11-1 to R112-11-3 of the Code des relations "
	    "entre le public et l'administration.",
	    "Avviso elettronico di ricevimento rilasciato ai sensi degli "
	    "articoli L112-11 e da R112-11-1 a R112-11-3 del Code des "
	    "relations entre le public et l'administration."),
};

static const char *const months[LANG__COUNT][12] = {
	[LANG_FR] = { "janvier", "février", "mars", "avril", "mai", "juin",
	    "juillet", "août", "septembre", "octobre", "novembre",
	    "décembre" },
	[LANG_EN] = { "January", "February", "March", "April", "May", "June",
	    "July", "August", "September", "October", "November",
	    "December" },
	[LANG_IT] = { "gennaio", "febbraio", "marzo", "aprile", "maggio",
	    "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre",
	    "dicembre" },
};

const char *
case_text_appeal(enum lang l)
{
	return (ctexts[CT_APPEAL][l]);
}

const char *
case_text_attestation(enum lang l)
{
	return (ctexts[CT_ATTESTATION][l]);
}

void
case_human_date(const char *ymd, enum lang l, char *out, size_t len)
{
	int	 y, m, d;

	if (ymd == NULL || sscanf(ymd, "%4d-%2d-%2d", &y, &m, &d) != 3 ||
	    m < 1 || m > 12) {
		snprintf(out, len, "%s", ymd != NULL ? ymd : "");
		return;
	}
	if (l == LANG_FR && d == 1)
		snprintf(out, len, "1er %s %d", months[l][m - 1], y);
	else
		snprintf(out, len, "%d %s %d", d, months[l][m - 1], y);
}

/* 'tmpl' with each "%s" replaced by the next of 'args' (NULL: ""). */
static char *
fill(const char *tmpl, const char *const *args, size_t nargs)
{
	struct {
		char	*p;
		size_t	 n, cap;
	}	 b = { NULL, 0, 0 };
	size_t	 i = 0, k;
	const char *a;

	for (; *tmpl != '\0'; tmpl++) {
		if (tmpl[0] == '%' && tmpl[1] == 's') {
			a = i < nargs && args[i] != NULL ? args[i] : "";
			i++;
			tmpl++;
		} else
			a = NULL;
		k = a != NULL ? strlen(a) : 1;
		if (b.n + k + 1 > b.cap) {
			b.cap = (b.n + k + 1) * 2;
			if ((b.p = realloc(b.p, b.cap)) == NULL)
				abort();
		}
		if (a != NULL)
			memcpy(b.p + b.n, a, k);
		else
			b.p[b.n] = *tmpl;
		b.n += k;
	}
	if (b.p == NULL && (b.p = calloc(1, 1)) == NULL)
		abort();
	b.p[b.n] = '\0';
	return (b.p);
}

static void
set_filled(json_t *o, const char *key, enum ctext t, enum lang l,
    const char *const *args, size_t nargs)
{
	char	*s = fill(ctexts[t][l], args, nargs);

	json_object_set_new(o, key, json_string(s));
	free(s);
}

/* A column of the contact row in 'l' ("name_fr"...). */
static const char *
contact_loc(const struct db_res *c, const char *col, enum lang l)
{
	char	 name[32];

	snprintf(name, sizeof(name), "%s_%s", col, lang_code(l));
	return (db_str(c, 0, name));
}

json_t *
case_receipt_mentions(const struct case_receipt *r, enum lang l)
{
	const struct db_res	*c = r->contact;
	const char		*a[4], *dname, *hours;
	char			 received[48], due[48], by[48], days[16];
	char			*list, *s, *t;
	json_t			*o, *v;
	size_t			 i;

	o = json_object();
	json_object_set_new(o, "title", json_string(ctexts[CT_TITLE][l]));
	json_set_str(o, "reference", r->reference);
	json_set_str(o, "procedure", r->procedure);
	json_set_str(o, "received_date", r->received_date);
	json_set_str(o, "received_time", r->received_time);
	case_human_date(r->received_date, l, received, sizeof(received));
	a[0] = r->procedure;
	a[1] = received;
	a[2] = r->received_time;
	a[3] = r->reference;
	set_filled(o, "received", CT_RECEIVED, l, a, 4);

	/* 2°: the department and how to reach it. */
	dname = c != NULL && db_res_rows(c) == 1 ? contact_loc(c, "name", l) :
	    NULL;
	json_set_str(o, "department_name", dname);
	if (c != NULL && db_res_rows(c) == 1 &&
	    !db_isnull(c, 0, "address")) {
		json_set_str(o, "department_address", db_str(c, 0, "address"));
		json_set_str(o, "department_phone", db_str(c, 0, "phone"));
		json_set_str(o, "department_email", db_str(c, 0, "email"));
		a[0] = dname;
		a[1] = db_str(c, 0, "address");
		a[2] = db_str(c, 0, "phone");
		a[3] = db_str(c, 0, "email");
		s = fill(ctexts[CT_DEPARTMENT][l], a, 4);
	} else {
		a[0] = dname;
		s = fill(ctexts[CT_DEPARTMENT_NAME][l], a, 1);
	}
	hours = c != NULL && db_res_rows(c) == 1 ? contact_loc(c, "hours",
	    l) : NULL;
	if (hours != NULL) {
		a[0] = hours;
		t = fill(ctexts[CT_HOURS][l], a, 1);
		list = fill("%s%s", (const char *[]){ s, t }, 2);
		free(s);
		free(t);
		s = list;
	}
	json_object_set_new(o, "department", json_string(s));
	free(s);

	/* 1°: the deadline, and what silence means at its end. */
	snprintf(days, sizeof(days), "%d", r->deadline_days);
	json_set_str(o, "deadline_days", days);
	json_set_str(o, "due_date", r->due_date != NULL ? r->due_date : "");
	a[0] = days;
	if (r->due_date != NULL) {
		case_human_date(r->due_date, l, due, sizeof(due));
		a[1] = due;
		s = fill(ctexts[CT_DEADLINE][l], a, 2);
	} else
		s = fill(ctexts[CT_DEADLINE_PAUSED][l], a, 1);
	t = fill("%s %s", (const char *[]){ s, ctexts[
	    strcmp(r->implicit, "acceptance") == 0 ? CT_SILENCE_ACCEPT :
	    strcmp(r->implicit, "rejection") == 0 ? CT_SILENCE_REJECT :
	    CT_SILENCE_NONE][l] }, 2);
	json_object_set_new(o, "deadline", json_string(t));
	free(s);
	free(t);
	json_set_str(o, "implicit", r->implicit);
	json_set_str(o, "attestation", strcmp(r->implicit, "acceptance") ==
	    0 ? ctexts[CT_ATTESTATION][l] : "");
	json_set_str(o, "appeal", ctexts[CT_APPEAL][l]);

	/* 3°: what is missing (L114-5). */
	if (r->missing != NULL && json_array_size(r->missing) > 0) {
		list = NULL;
		json_array_foreach(r->missing, i, v) {
			s = fill(i == 0 ? "%s" : "%s ; %s", (const char *[]){
			    i == 0 ? json_string_value(v) : list,
			    json_string_value(v) }, 2);
			free(list);
			list = s;
		}
		case_human_date(r->missing_by, l, by, sizeof(by));
		a[0] = list;
		a[1] = by;
		set_filled(o, "incomplete", CT_INCOMPLETE, l, a, 2);
		json_object_set_new(o, "missing", json_deep_copy(r->missing));
		json_set_str(o, "missing_by", r->missing_by);
		free(list);
	} else {
		json_set_str(o, "incomplete", "");
		json_object_set_new(o, "missing", json_array());
		json_set_str(o, "missing_by", "");
	}
	json_object_set_new(o, "legal", json_string(ctexts[CT_LEGAL][l]));
	return (o);
}

const char *
case_document_label(const json_t *d, enum lang l)
{
	const json_t	*label = json_object_get(d, "label");
	const char	*s;

	s = json_string_value(json_object_get(label, lang_code(l)));
	if (s == NULL)
		s = json_string_value(json_object_get(label, "fr"));
	if (s == NULL)
		s = json_string_value(json_object_get(d, "code"));
	return (s != NULL ? s : "");
}

json_t *
case_missing_documents(const struct procedure *p, const json_t *provided,
    enum lang l)
{
	json_t		*out = json_array(), *d;
	size_t		 i;

	json_array_foreach(p->documents, i, d)
		if (json_is_true(json_object_get(d, "required")) &&
		    !case_document_provided(provided, json_string_value(
		    json_object_get(d, "code"))))
			json_array_append_new(out, json_string(
			    case_document_label(d, l)));
	return (out);
}

enum lang
case_owner_lang(struct db *db, const struct db_res *c, struct db_error *err,
    int *rc)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { db_str(c, 0, "owner_id") };
	enum lang	 l = LANG_FR;

	*rc = db_exec(db, CQ(CQ_PERSON), p, &res, err);
	if (*rc == 0 && db_res_rows(res) == 1)
		l = lang_from_code(db_str(res, 0, "locale"), LANG_FR);
	db_res_free(res);
	return (l);
}

/* The payload's common members: reference, procedure, status, link. */
static void
payload_common(struct db *db, const struct db_res *c, enum lang l,
    json_t *payload)
{
	struct procedure	*p = NULL;
	struct db_error		 err;
	const char		*title = NULL;
	char			*url;
	int			 version;

	version = (int)db_int64(c, 0, "procedure_version");
	if (procedures_get(db, db_str(c, 0, "procedure"), version, &p,
	    &err) == 0)
		title = p->title[l];
	json_set_str(payload, "procedure", title != NULL ? title :
	    db_str(c, 0, "procedure"));
	procedure_free(p);
	json_set_str(payload, "reference", db_str(c, 0, "reference") != NULL ?
	    db_str(c, 0, "reference") : "");
	if (json_object_get(payload, "status") == NULL)
		json_set_str(payload, "status", case_status_label(
		    case_status_from(db_str(c, 0, "status")), l));
	url = fill("%s/api/v1/cases/%s", (const char *[]){
	    cases_config.public_url, db_str(c, 0, "id") }, 2);
	json_set_str(payload, "url", url);
	free(url);
}

int
case_mail_owner(struct db *db, const struct db_res *c, const char *template,
    json_t *payload, char *outbox_id, struct db_error *err)
{
	enum lang	 l;
	int		 rc;

	l = case_owner_lang(db, c, err, &rc);
	if (rc == -1)
		return (-1);
	payload_common(db, c, l, payload);
	/* 1: an erased account: nobody to tell. */
	rc = identity_mail(db, db_str(c, 0, "owner_id"), template, payload,
	    outbox_id, err);
	return (rc == -1 ? -1 : 0);
}

int
case_mail_agent(struct db *db, const struct db_res *c, const char *agent,
    enum lang l, const char *template, struct db_error *err)
{
	json_t	*payload = json_object();
	int	 rc;

	payload_common(db, c, l, payload);
	rc = identity_mail(db, agent, template, payload, NULL, err);
	json_decref(payload);
	return (rc == -1 ? -1 : 0);
}

/* What the department's side is told, by event (the mailbox reads fr). */
static const char *const events[][LANG__COUNT] = {
	L3("Nouvelle demande déposée", "New request filed",
	    "Nuova domanda presentata"),
	L3("Nouveau message du demandeur", "New message from the applicant",
	    "Nuovo messaggio del richiedente"),
	L3("Le demandeur indique avoir transmis les informations demandées",
	    "The applicant says the information asked for was sent",
	    "Il richiedente indica di aver inviato le informazioni richieste"),
	L3("Demande retirée par le demandeur",
	    "Request withdrawn by the applicant",
	    "Domanda ritirata dal richiedente"),
	L3("Décision implicite d'acceptation (silence au terme du délai)",
	    "Implicit acceptance (silence at the deadline)",
	    "Accoglimento implicito (silenzio alla scadenza)"),
	L3("Décision implicite de rejet (silence au terme du délai)",
	    "Implicit rejection (silence at the deadline)",
	    "Rigetto implicito (silenzio alla scadenza)"),
};
static const char *const event_codes[] = { "new", "message", "information",
    "withdrawn", "implicit_acceptance", "implicit_rejection" };

int
case_mail_department(struct db *db, const struct db_res *c,
    const char *event, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { db_str(c, 0, "department") }, *to;
	json_t		*payload;
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < sizeof(event_codes) / sizeof(event_codes[0]); i++)
		if (strcmp(event_codes[i], event) == 0)
			break;
	if (i == sizeof(event_codes) / sizeof(event_codes[0]))
		return (0);
	if (db_exec(db, CQ(CQ_CONTACT), p, &res, err) == -1)
		return (-1);
	to = db_res_rows(res) == 1 ? db_str(res, 0, "email") : NULL;
	if (to != NULL) {
		payload = json_pack("{s:s, s:s}", "event", events[i][LANG_FR],
		    "event_code", event);
		json_set_str(payload, "department", db_str(res, 0, "name_fr"));
		payload_common(db, c, LANG_FR, payload);
		/* Nothing about the person in it: it concerns no account. */
		rc = outbox_queue(db, NULL, to, "case_department_notice", "fr",
		    payload, NULL, err);
		json_decref(payload);
	} else
		log_info("cases: department %s has no mailbox: case %s not "
		    "told", p[0], db_str(c, 0, "id"));
	db_res_free(res);
	return (rc);
}
