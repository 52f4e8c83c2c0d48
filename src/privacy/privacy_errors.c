/*
 * privacy_errors.c: the privacy module's problem codes (http/reply.h,
 * struct errcode), declared in its module (privacy_module.c) and listed
 * with every other module's in the OpenAPI document.  One code per kind
 * of failure: a partner application tells two 409s apart by their code.
 * The texts are the "detail" of the problem in fr, en and it; a '%s'
 * takes a value the handler passes, never a text a person typed.
 */
#include "http/reply.h"
#include "privacy/privacy_int.h"

const struct errcode privacy_errors[PE__COUNT] = {
	[PE_ACCOUNT_NOT_ACTIVE] = { .code = "account_not_active",
	    .problem = PROB_NOT_FOUND, .detail = {
	    "votre compte n'est plus actif",
	    "your account is no longer active",
	    "il tuo account non è più attivo" } },
	[PE_SUBJECT_NOT_FOUND] = { .code = "subject_not_found",
	    .problem = PROB_NOT_FOUND, .detail = {
	    "aucune personne n'a cet identifiant",
	    "no person has this id",
	    "nessuna persona ha questo identificativo" } },
	[PE_REQUEST_NOT_FOUND] = { .code = "rights_request_not_found",
	    .problem = PROB_NOT_FOUND, .detail = {
	    "aucune demande d'exercice de droits n'a cet identifiant",
	    "no rights request has this id",
	    "nessuna richiesta di esercizio dei diritti ha questo "
	    "identificativo" } },
	[PE_PURPOSE_NOT_FOUND] = { .code = "purpose_not_found",
	    .problem = PROB_NOT_FOUND, .detail = {
	    "aucune finalité n'a ce code",
	    "no purpose has this code",
	    "nessuna finalità ha questo codice" } },
	[PE_PURPOSE_NOT_CONSENT] = { .code = "purpose_not_consent_based",
	    .problem = PROB_CONFLICT, .detail = {
	    "cette finalité ne repose pas sur le consentement : il ne peut "
	    "être ni donné ni retiré",
	    "this purpose does not rest on consent: it cannot be given or "
	    "withdrawn",
	    "questa finalità non si basa sul consenso: non può essere dato "
	    "né revocato" } },
	[PE_PURPOSE_CHANGED] = { .code = "purpose_changed",
	    .problem = PROB_CONFLICT, .detail = {
	    "cette finalité a changé entre-temps ; réessayez",
	    "this purpose changed meanwhile; try again",
	    "questa finalità è cambiata nel frattempo; riprova" } },
	[PE_PURPOSE_REQUIRED] = { .code = "purpose_required",
	    .problem = PROB_BAD_REQUEST, .detail = {
	    "une lecture des données d'une personne par la commune déclare "
	    "sa finalité : envoyez-la dans %s",
	    "a read of a person's data by the town states its purpose: send "
	    "it in %s",
	    "una lettura dei dati di una persona da parte del comune ne "
	    "dichiara la finalità: inviala in %s" } },
	[PE_PURPOSE_TOO_LONG] = { .code = "purpose_too_long",
	    .problem = PROB_BAD_REQUEST, .detail = {
	    "%s dépasse %s caractères",
	    "%s is longer than %s characters",
	    "%s supera %s caratteri" } },
	[PE_DISCLOSE_AFTER] = { .code = "disclose_after_invalid",
	    .problem = PROB_BAD_REQUEST, .detail = {
	    "X-Disclose-After doit être une date et une heure RFC 3339",
	    "X-Disclose-After must be an RFC 3339 date and time",
	    "X-Disclose-After deve essere una data e un'ora RFC 3339" } },
	[PE_SUBJECT_RESTRICTED] = { .code = "subject_restricted",
	    .problem = PROB_CONFLICT, .detail = {
	    "le traitement des données de cette personne est limité "
	    "(article 18 du RGPD)",
	    "restricted: this person's data is under restriction of "
	    "processing (Art. 18 GDPR)",
	    "il trattamento dei dati di questa persona è limitato "
	    "(art. 18 RGPD)" } },
	[PE_SUBJECT_NOT_RESTRICTED] = { .code = "subject_not_restricted",
	    .problem = PROB_CONFLICT, .detail = {
	    "le traitement des données de cette personne n'est pas limité",
	    "this person's data is not restricted",
	    "il trattamento dei dati di questa persona non è limitato" } },
	[PE_REQUEST_CLOSED] = { .code = "rights_request_closed",
	    .problem = PROB_CONFLICT, .detail = {
	    "cette demande est déjà close",
	    "this request is already closed",
	    "questa richiesta è già chiusa" } },
	[PE_REQUEST_NOT_OBJECTION] = { .code = "rights_request_not_objection",
	    .problem = PROB_CONFLICT, .detail = {
	    "seule une opposition se tranche par upheld ou rejected : "
	    "répondez à cette demande ou refusez-la",
	    "only an objection is decided with upheld or rejected: answer or "
	    "refuse this request",
	    "solo un'opposizione si decide con upheld o rejected: rispondi a "
	    "questa richiesta o rifiutala" } },
	[PE_REQUEST_STARTED] = { .code = "rights_request_started",
	    .problem = PROB_CONFLICT, .detail = {
	    "le traitement de cette demande a déjà commencé",
	    "this request is already in progress",
	    "questa richiesta è già in corso" } },
	[PE_REQUEST_EXTENDED] = { .code = "rights_request_extended",
	    .problem = PROB_CONFLICT, .detail = {
	    "cette demande a déjà été prolongée : deux mois de plus au plus "
	    "en tout (article 12.3 du RGPD)",
	    "this request was already extended: at most two more months in "
	    "all (Art. 12(3) GDPR)",
	    "questa richiesta è già stata prorogata: al massimo due mesi in "
	    "più in tutto (art. 12, par. 3, RGPD)" } },
	[PE_EXTENSION_LATE] = { .code = "extension_too_late",
	    .problem = PROB_CONFLICT, .detail = {
	    "une prolongation est notifiée à la personne dans le mois qui "
	    "suit la réception (article 12.3 du RGPD) ; ce premier mois est "
	    "écoulé",
	    "an extension must be notified to the person within one month of "
	    "receipt (Art. 12(3) GDPR); the first month is over",
	    "una proroga va comunicata alla persona entro un mese dal "
	    "ricevimento (art. 12, par. 3, RGPD); il primo mese è "
	    "trascorso" } },
	[PE_OBJECTION_WITHDRAW] = { .code = "objection_withdraw_consent",
	    .problem = PROB_CONFLICT, .detail = {
	    "retirez plutôt votre consentement : cette finalité repose sur "
	    "lui ; DELETE %s le retire immédiatement",
	    "withdraw your consent instead: this purpose rests on your "
	    "consent; DELETE %s withdraws it at once",
	    "revoca piuttosto il consenso: questa finalità si basa sul tuo "
	    "consenso; DELETE %s lo revoca subito" } },
	[PE_OBJECTION_BASIS] = { .code = "objection_not_applicable",
	    .problem = PROB_CONFLICT, .detail = {
	    "le droit d'opposition vise les traitements fondés sur une "
	    "mission d'intérêt public ou un intérêt légitime (article 21.1 "
	    "du RGPD), pas la base légale de cette finalité (%s)",
	    "the right to object applies to processing for a public task or "
	    "a legitimate interest (Art. 21(1) GDPR), not to this purpose's "
	    "legal basis (%s)",
	    "il diritto di opposizione riguarda i trattamenti basati su un "
	    "compito di interesse pubblico o su un interesse legittimo "
	    "(art. 21, par. 1, RGPD), non la base giuridica di questa "
	    "finalità (%s)" } },
	[PE_OBJECTION_PENDING] = { .code = "objection_pending",
	    .problem = PROB_CONFLICT, .detail = {
	    "une opposition à cette finalité attend déjà une décision",
	    "an objection to this purpose is already waiting for a decision",
	    "un'opposizione a questa finalità attende già una decisione" } },
	[PE_SUBJECT_ERASED] = { .code = "subject_already_erased",
	    .problem = PROB_CONFLICT, .detail = {
	    "les données de cette personne ont déjà été effacées",
	    "this person's data was already erased",
	    "i dati di questa persona sono già stati cancellati" } },
	[PE_SUBJECT_AGENT] = { .code = "subject_is_agent",
	    .problem = PROB_CONFLICT, .detail = {
	    "c'est le compte d'un agent : il appartient à la commune, un "
	    "administrateur le bloque, il n'est pas effacé",
	    "this is an agent's account: it belongs to the town and is "
	    "blocked by an administrator, not erased",
	    "è l'account di un agente: appartiene al comune, lo blocca un "
	    "amministratore, non viene cancellato" } },
	[PE_AGENT_SELF_ERASE] = { .code = "agent_erasure_forbidden",
	    .problem = PROB_FORBIDDEN, .detail = {
	    "le compte d'un agent appartient à la commune : il ne s'efface "
	    "pas ainsi ; un administrateur le bloque",
	    "an agent's account belongs to the town: it cannot be erased "
	    "this way; an administrator blocks it",
	    "l'account di un agente appartiene al comune: non si cancella "
	    "così; lo blocca un amministratore" } },
	[PE_PASSWORD_WRONG] = { .code = "erasure_password_wrong",
	    .problem = PROB_VALIDATION, .detail = {
	    "le mot de passe est incorrect",
	    "the password is wrong",
	    "la password è errata" } },
	[PE_ERASURE_FAILED] = { .code = "erasure_failed",
	    .problem = PROB_INTERNAL, .detail = {
	    "l'effacement n'a pas pu aboutir ; rien n'a été effacé",
	    "the erasure could not be completed; nothing was erased",
	    "la cancellazione non è stata completata; nulla è stato "
	    "cancellato" } },
};
