/*
 * cases_errors.c: the cases module's problem codes (http/reply.h, struct
 * errcode), one per kind of failure, listed in the OpenAPI document.  A
 * '%s' takes a state or a profile kind, never a text a person typed.  A
 * 409 also carries the state it found in its member "state".
 */
#include "cases/cases_int.h"
#include "http/reply.h"

const struct errcode cases_errors[CE__COUNT] = {
	[CE_NOT_FOUND] = { .code = "case_not_found",
	    .problem = PROB_NOT_FOUND, .detail = {
	    "aucune démarche n'a cet identifiant",
	    "no case has this id",
	    "nessuna pratica ha questo identificativo" } },
	[CE_NOT_DRAFT] = { .code = "case_not_draft",
	    .problem = PROB_CONFLICT, .detail = {
	    "cette démarche a été déposée (état : %s) : elle ne se modifie "
	    "plus",
	    "this case was submitted (state: %s): it can no longer be "
	    "edited",
	    "questa pratica è stata presentata (stato: %s): non si modifica "
	    "più" } },
	[CE_OWNER_ONLY] = { .code = "case_owner_only",
	    .problem = PROB_FORBIDDEN, .detail = {
	    "seule la personne qui a déposé cette démarche peut faire cela",
	    "only the person who filed this case may do that",
	    "solo la persona che ha presentato questa pratica può farlo" } },
	[CE_PROFILE] = { .code = "case_profile_not_allowed",
	    .problem = PROB_FORBIDDEN, .detail = {
	    "cette démarche n'est pas ouverte à votre profil (%s)",
	    "this procedure is not open to your profile (%s)",
	    "questa pratica non è aperta al suo profilo (%s)" } },
	[CE_TRANSITION] = { .code = "case_transition_impossible",
	    .problem = PROB_CONFLICT, .detail = {
	    "cette démarche est à l'état %s : elle ne peut pas passer à "
	    "l'état %s",
	    "this case is %s: it cannot become %s",
	    "questa pratica è nello stato %s: non può passare allo stato "
	    "%s" } },
	[CE_TRANSITION_ACTOR] = { .code = "case_transition_forbidden",
	    .problem = PROB_FORBIDDEN, .detail = {
	    "vous ne pouvez pas faire passer cette démarche à l'état %s",
	    "you may not make this case %s",
	    "non può far passare questa pratica allo stato %s" } },
	[CE_ASSIGN_FORBIDDEN] = { .code = "case_assign_forbidden",
	    .problem = PROB_FORBIDDEN, .detail = {
	    "seul un responsable du service chargé de cette démarche "
	    "l'attribue",
	    "only a supervisor of the department in charge assigns this case",
	    "solo un responsabile del servizio competente assegna questa "
	    "pratica" } },
	[CE_ASSIGN_STATE] = { .code = "case_assign_state",
	    .problem = PROB_CONFLICT, .detail = {
	    "seule une démarche en cours s'attribue ; celle-ci est à l'état "
	    "%s",
	    "only an open case is assigned; this one is %s",
	    "solo una pratica in corso si assegna; questa è nello stato "
	    "%s" } },
	[CE_THREAD_CLOSED] = { .code = "case_thread_closed",
	    .problem = PROB_CONFLICT, .detail = {
	    "les échanges sur cette démarche sont fermés (état : %s)",
	    "the thread of this case is closed (state: %s)",
	    "i messaggi su questa pratica sono chiusi (stato: %s)" } },
	[CE_NOTES_FORBIDDEN] = { .code = "case_notes_forbidden",
	    .problem = PROB_FORBIDDEN, .detail = {
	    "les notes internes d'une démarche sont celles du service qui "
	    "la traite, pas de la personne qui l'a déposée",
	    "the internal notes of a case belong to the department that "
	    "handles it, not to the person who filed it",
	    "le note interne di una pratica sono del servizio che la tratta, "
	    "non della persona che l'ha presentata" } },
	[CE_ATTACHMENT_NOT_FOUND] = { .code = "case_attachment_not_found",
	    .problem = PROB_NOT_FOUND, .detail = {
	    "cette démarche n'a aucun fichier de cet identifiant",
	    "this case has no file with this id",
	    "questa pratica non ha alcun file con questo identificativo" } },
	[CE_ATTACHMENT_NOT_YOURS] = { .code = "case_attachment_not_yours",
	    .problem = PROB_FORBIDDEN, .detail = {
	    "seule la personne qui a envoyé ce fichier peut le retirer",
	    "only the person who sent this file may remove it",
	    "solo la persona che ha inviato questo file può ritirarlo" } },
	[CE_ATTACHMENT_SENT] = { .code = "case_attachment_sent",
	    .problem = PROB_CONFLICT, .detail = {
	    "ce fichier a été transmis avec la démarche ou un message "
	    "(état : %s) : il ne se retire plus",
	    "this file was sent with the case or a message (state: %s): it "
	    "can no longer be removed",
	    "questo file è stato trasmesso con la pratica o un messaggio "
	    "(stato: %s): non si ritira più" } },
};
