/*
 * incidents_errors.c: the incidents module's problem codes (http/reply.h,
 * struct errcode), listed in the OpenAPI document.  A '%s' takes a state
 * or a code, never a text a person typed.
 */
#include "http/reply.h"
#include "incidents/incidents_int.h"

const struct errcode incidents_errors[IE__COUNT] = {
	[IE_NOT_FOUND] = { .code = "incident_not_found",
	    .problem = PROB_NOT_FOUND, .detail = {
	    "aucun signalement n'a cet identifiant",
	    "no report has this id",
	    "nessuna segnalazione ha questo identificativo" } },
	[IE_ANONYMOUS] = { .code = "incident_account_required",
	    .problem = PROB_UNAUTHORIZED, .detail = {
	    "un signalement de la catégorie %s se fait connecté",
	    "a report of category %s needs you to sign in",
	    "una segnalazione della categoria %s richiede l'accesso" } },
	[IE_TRANSITION] = { .code = "incident_transition_impossible",
	    .problem = PROB_CONFLICT, .detail = {
	    "ce signalement est à l'état %s : impossible de passer à %s",
	    "this report is %s: it cannot become %s",
	    "questa segnalazione è nello stato %s: non può passare a %s" } },
	[IE_DEPARTMENT] = { .code = "incident_department_forbidden",
	    .problem = PROB_FORBIDDEN, .detail = {
	    "vous n'êtes pas agent du service %s",
	    "you are not an agent of the department %s",
	    "non è agente del servizio %s" } },
	[IE_NOTES_FORBIDDEN] = { .code = "incident_staff_only",
	    .problem = PROB_FORBIDDEN, .detail = {
	    "réservé aux agents des services",
	    "for the departments' agents only",
	    "riservato agli agenti dei servizi" } },
	[IE_TOKEN] = { .code = "incident_contact_token_unknown",
	    .problem = PROB_NOT_FOUND, .detail = {
	    "ce lien de confirmation n'est pas ou plus valable",
	    "this confirmation link is not (or no longer) valid",
	    "questo link di conferma non è (più) valido" } },
	[IE_PHOTOS_FULL] = { .code = "incident_photos_full",
	    .problem = PROB_CONFLICT, .detail = {
	    "ce signalement a déjà ses %s photos",
	    "this report has its %s photos already",
	    "questa segnalazione ha già le sue %s foto" } },
	[IE_PHOTO_LATE] = { .code = "incident_photo_late",
	    .problem = PROB_CONFLICT, .detail = {
	    "les photos s'ajoutent dans les %s heures qui suivent le "
	    "signalement",
	    "photos are added within %s hours of the report",
	    "le foto si aggiungono entro %s ore dalla segnalazione" } },
	[IE_PHOTO_UNREADABLE] = { .code = "incident_photo_unreadable",
	    .problem = PROB_VALIDATION, .detail = {
	    "cette image ne peut pas être lue",
	    "this image cannot be read",
	    "questa immagine non può essere letta" } },
	[IE_PHOTO_NOT_FOUND] = { .code = "incident_photo_not_found",
	    .problem = PROB_NOT_FOUND, .detail = {
	    "ce signalement n'a pas cette photo",
	    "this report has no such photo",
	    "questa segnalazione non ha questa foto" } },
	[IE_REPORTER_RESTRICTED] = { .code = "incident_reporter_restricted",
	    .problem = PROB_CONFLICT, .detail = {
	    "l'auteur du signalement a limité le traitement de ses données : "
	    "l'original n'est pas lu, la copie publique reste",
	    "the reporter restricted the processing of their data: the "
	    "original is not read, the public copy remains",
	    "l'autore della segnalazione ha limitato il trattamento dei suoi "
	    "dati: l'originale non viene letto, la copia pubblica resta" } },
};
