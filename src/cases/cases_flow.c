/*
 * cases_flow.c: the states of a case and the table of its transitions
 * (cases.h): {from, to, who, note required}.  Every move of a case is a
 * row here; the HTTP route, the job and the submission all ask this
 * table, and who the caller is for a case is policy_case()'s answer
 * (auth/policy.h).
 *
 *   draft --owner--> submitted --agent--> in_review --supervisor--> accepted
 *                        |                 |  ^                  \-> rejected*
 *                        |      agent*     v  | agent, owner
 *                        +--------> awaiting_information
 *   submitted, in_review, awaiting_information --owner--> withdrawn
 *   submitted, in_review --system (silence at the deadline)--> accepted,
 *       rejected (as the procedure says: CRPA L231-1, L231-4)
 *   submitted --system (incomplete at receipt, L114-5)*--> awaiting_...
 *   accepted, rejected --system (the appeal period ended)--> closed
 *   (* a public note is required: the reasons of a rejection, what a
 *   request for information asks for.)
 *
 * A decision is a supervisor's (the department's delegation of
 * signature); an agent instructs.  The person may withdraw the request
 * until it is decided, and say that the information asked for was sent,
 * which ends the pause (the town may ask again).  Nobody processes a case
 * of their own (policy_case()).
 */
#include <stddef.h>
#include <string.h>

#include "auth/policy.h"
#include "cases/cases_int.h"

static const char *const status_names[CS__COUNT] = {
	[CS_DRAFT] = "draft",
	[CS_SUBMITTED] = "submitted",
	[CS_IN_REVIEW] = "in_review",
	[CS_AWAITING] = "awaiting_information",
	[CS_ACCEPTED] = "accepted",
	[CS_REJECTED] = "rejected",
	[CS_WITHDRAWN] = "withdrawn",
	[CS_CLOSED] = "closed",
};

static const char *const status_labels[CS__COUNT][LANG__COUNT] = {
	[CS_DRAFT] = { "brouillon (non déposée)", "draft (not submitted)",
	    "bozza (non presentata)" },
	[CS_SUBMITTED] = { "déposée", "submitted", "presentata" },
	[CS_IN_REVIEW] = { "en cours d'instruction", "under review",
	    "in istruttoria" },
	[CS_AWAITING] = { "en attente d'informations de votre part",
	    "awaiting information from you", "in attesa di informazioni" },
	[CS_ACCEPTED] = { "acceptée", "accepted", "accolta" },
	[CS_REJECTED] = { "rejetée", "rejected", "respinta" },
	[CS_WITHDRAWN] = { "retirée", "withdrawn", "ritirata" },
	[CS_CLOSED] = { "close", "closed", "chiusa" },
};

static const char *const actor_names[CA__COUNT] = {
	[CA_OWNER] = "owner",
	[CA_AGENT] = "agent",
	[CA_SUPERVISOR] = "supervisor",
	[CA_SYSTEM] = "system",
};

const struct case_transition case_transitions[] = {
	{ .from = CS_DRAFT, .to = CS_SUBMITTED, .who = CA_OWNER },
	{ .from = CS_SUBMITTED, .to = CS_IN_REVIEW, .who = CA_AGENT },
	{ .from = CS_SUBMITTED, .to = CS_AWAITING, .who = CA_AGENT,
	  .note_required = 1 },
	{ .from = CS_SUBMITTED, .to = CS_AWAITING, .who = CA_SYSTEM,
	  .note_required = 1 },
	{ .from = CS_IN_REVIEW, .to = CS_AWAITING, .who = CA_AGENT,
	  .note_required = 1 },
	{ .from = CS_AWAITING, .to = CS_IN_REVIEW, .who = CA_AGENT },
	{ .from = CS_AWAITING, .to = CS_IN_REVIEW, .who = CA_OWNER },
	{ .from = CS_IN_REVIEW, .to = CS_ACCEPTED, .who = CA_SUPERVISOR },
	{ .from = CS_IN_REVIEW, .to = CS_REJECTED, .who = CA_SUPERVISOR,
	  .note_required = 1 },
	{ .from = CS_SUBMITTED, .to = CS_ACCEPTED, .who = CA_SYSTEM },
	{ .from = CS_SUBMITTED, .to = CS_REJECTED, .who = CA_SYSTEM },
	{ .from = CS_IN_REVIEW, .to = CS_ACCEPTED, .who = CA_SYSTEM },
	{ .from = CS_IN_REVIEW, .to = CS_REJECTED, .who = CA_SYSTEM },
	{ .from = CS_SUBMITTED, .to = CS_WITHDRAWN, .who = CA_OWNER },
	{ .from = CS_IN_REVIEW, .to = CS_WITHDRAWN, .who = CA_OWNER },
	{ .from = CS_AWAITING, .to = CS_WITHDRAWN, .who = CA_OWNER },
	{ .from = CS_ACCEPTED, .to = CS_CLOSED, .who = CA_SYSTEM },
	{ .from = CS_REJECTED, .to = CS_CLOSED, .who = CA_SYSTEM },
};
const size_t case_ntransitions = sizeof(case_transitions) /
    sizeof(case_transitions[0]);

const char *
case_status_name(enum case_status s)
{
	return ((unsigned)s < CS__COUNT ? status_names[s] : "unknown");
}

enum case_status
case_status_from(const char *s)
{
	int	 i;

	for (i = 0; s != NULL && i < CS__COUNT; i++)
		if (strcmp(status_names[i], s) == 0)
			return ((enum case_status)i);
	return (CS__COUNT);
}

const char *
case_actor_name(enum case_actor a)
{
	return ((unsigned)a < CA__COUNT ? actor_names[a] : "system");
}

const char *
case_status_label(enum case_status s, enum lang l)
{
	if ((unsigned)s >= CS__COUNT || (unsigned)l >= LANG__COUNT)
		return ("");
	return (status_labels[s][l]);
}

int
case_status_open(enum case_status s)
{
	return (s == CS_SUBMITTED || s == CS_IN_REVIEW || s == CS_AWAITING);
}

/* The act of policy.h that makes 'p' the actor 'a' of a case. */
static enum case_act
act_of(enum case_actor a)
{
	switch (a) {
	case CA_OWNER:
		return (CASE_ACT_OWN);
	case CA_AGENT:
		return (CASE_ACT_PROCESS);
	default:
		return (CASE_ACT_SUPERVISE);
	}
}

const struct case_transition *
case_transition_for(const struct principal *p, const struct policy_case *c,
    enum case_status from, enum case_status to, int *exists)
{
	size_t	 i;

	*exists = 0;
	for (i = 0; i < case_ntransitions; i++) {
		const struct case_transition *t = &case_transitions[i];

		if (t->from != from || t->to != to || t->who == CA_SYSTEM)
			continue;
		*exists = 1;
		if (policy_case(p, act_of(t->who), c) == POLICY_ALLOW)
			return (t);
	}
	return (NULL);
}
