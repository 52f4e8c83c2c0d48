/*
 * cases_demo.c: guichetctl demo: a few cases of the demo town for the
 * demo resident, filed through the business operations (cases_ops.c) so
 * that they carry a reference and an acknowledgement, and queue their
 * mail, like any other: a resident parking permit filed with its two
 * documents (a small PDF each, through case_attach(): pending until
 * clamd has read them) and another as a draft, a bulky-waste collection in the demo agent's queue, a
 * civil-status certificate in the demo administrator's (a supervisor of
 * the mairie).  Once only: nothing is added when the
 * resident has cases.  The department contacts are
 * sql/demo/004_cases.sql; the million cases of the benchmark are
 * bench/cases.sql's (psql and generate_series, no mail).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "auth/policy.h"
#include "base/xmalloc.h"
#include "cases/cases_int.h"
#include "core/module.h"
#include "db/db.h"
#include "json/check.h"
#include "procedures/procedures.h"

enum cd_stmt {
	CD_RESIDENT,
	CD_HAS_CASES,
	CD__COUNT
};

static struct db_stmt cd_stmts[CD__COUNT] = {
	[CD_RESIDENT] = { .name = "cases_select_demo_resident",
	  .sql = "SELECT id FROM identity.directory WHERE email = $1 AND "
	  "status = 'active'", .nparams = 1 },
	[CD_HAS_CASES] = { .name = "cases_select_demo_has_cases",
	  .sql = "SELECT count(*) AS n FROM cases.cases WHERE owner_id = $1",
	  .nparams = 1 },
};

const struct module_stmts cases_demo_stmt_table = { .stmts = cd_stmts,
    .count = CD__COUNT };

/* The demo's cases: a procedure, its answers, filed or not. */
static const struct {
	const char	*procedure;
	const char	*answers;
	int		 submit;
} demo_cases[] = {
	{ .procedure = "stationnement_resident", .submit = 1,
	  .answers = "{\"adresse\": {\"numero\": 12, \"nom_voie\": "
	  "\"Route d'Italie\", \"code_postal\": \"05100\", \"nom_commune\": "
	  "\"Montgenèvre\", \"code_insee\": \"05085\"}, \"residence\": "
	  "\"principale\", \"secteur\": \"village\", \"immatriculation\": "
	  "\"AB-123-CD\", \"titulaire\": \"demandeur\", \"certification\": "
	  "true}" },
	{ .procedure = "stationnement_resident", .submit = 0,
	  .answers = "{\"residence\": \"secondaire\", \"secteur\": "
	  "\"alberts\"}" },
	/* In the demo agent's queue (services techniques). */
	{ .procedure = "encombrants", .submit = 1,
	  .answers = "{\"adresse\": {\"numero\": 12, \"nom_voie\": "
	  "\"Route d'Italie\", \"code_postal\": \"05100\", "
	  "\"nom_commune\": \"Montgenèvre\", \"code_insee\": \"05085\"}, "
	  "\"objets\": [\"meubles\", \"literie\"], \"volume\": 1.5, "
	  "\"jour\": \"jeudi\", \"acces\": \"Portail bleu, sonner chez "
	  "Demo.\", \"telephone\": \"+33612345678\"}" },
	/* In the demo administrator's (mairie, a supervisor). */
	{ .procedure = "acte_etat_civil", .submit = 1,
	  .answers = "{\"acte\": \"naissance\", \"forme\": "
	  "\"extrait_sans_filiation\", \"lien\": \"moi\", \"nom\": "
	  "\"Demo\", \"prenoms\": \"Camille\", \"date_evenement\": "
	  "\"1990-05-14\", \"exemplaires\": 1, \"remise\": \"guichet\"}" },
};

/*
 * File the draft 'id' with a one-page PDF for each document its procedure
 * requires: 0, or -1 with 'o' set.
 */
static int
demo_submit(struct db *db, const struct principal *who, const char *id,
    const char *procedure, struct case_outcome *o)
{
	struct procedure	*p = NULL;
	struct case_upload	 up;
	json_t			*d;
	char			*pdf, *name;
	size_t			 i;
	int			 rc;

	if ((rc = procedures_get(db, procedure, 0, &p, &o->err)) != 0) {
		o->result = rc == -1 ? CR_DB : CR_INVALID;
		return (-1);
	}
	json_array_foreach(p->documents, i, d) {
		if (!json_is_true(json_object_get(d, "required")))
			continue;
		memset(&up, 0, sizeof(up));
		up.document = json_str(d, "code");
		xasprintf(&name, "%s.pdf", up.document);
		xasprintf(&pdf, "%%PDF-1.4\n%% guichet demo: %s\n%%%%EOF\n",
		    case_document_label(d, LANG_FR));
		up.name = name;
		up.data = pdf;
		up.len = strlen(pdf);
		case_attach(db, who, id, &up, LANG_FR, o);
		json_decref(o->made);
		o->made = NULL;
		free(name);
		free(pdf);
		if (o->result != CR_OK || up.result != FILES_STORED) {
			procedure_free(p);
			if (o->result == CR_OK)
				o->result = CR_INVALID;
			return (-1);
		}
	}
	procedure_free(p);
	case_move(db, who, id, CS_SUBMITTED, NULL, LANG_FR, o);
	json_decref(o->made);
	o->made = NULL;
	return (o->result == CR_OK ? 0 : -1);
}

int
cases_demo(struct ctl_ctx *ctl)
{
	struct principal	 who;
	struct case_outcome	 o;
	struct case_input	 in;
	struct db_res		*res = NULL;
	struct db_error		 err;
	const char		*p[1] = { "resident@demo.guichet.test" };
	json_t			*form;
	char			 id[40];
	size_t			 i;
	int			 made = 0;

	if (db_exec(ctl->db, &cd_stmts[CD_RESIDENT], p, &res, &err) == -1)
		goto db;
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return (0);
	}
	memset(&who, 0, sizeof(who));
	who.kind = PRINCIPAL_PERSON;
	snprintf(who.id, sizeof(who.id), "%s", db_str(res, 0, "id"));
	db_res_free(res);
	p[0] = who.id;
	if (db_exec(ctl->db, &cd_stmts[CD_HAS_CASES], p, &res, &err) == -1)
		goto db;
	if (db_int64(res, 0, "n") > 0) {
		db_res_free(res);
		printf("demo cases already exist\n");
		return (0);
	}
	db_res_free(res);
	for (i = 0; i < NELEM(demo_cases); i++) {
		memset(&o, 0, sizeof(o));
		if ((form = json_loads(demo_cases[i].answers, 0, NULL)) == NULL)
			continue;
		in.procedure = demo_cases[i].procedure;
		in.form = form;
		/* Filed once its documents are attached. */
		in.submit = 0;
		case_create(ctl->db, &who, &in, LANG_FR, &o);
		json_decref(form);
		json_decref(o.made);
		o.made = NULL;
		/* o.id is rewritten by the operations: a copy. */
		snprintf(id, sizeof(id), "%s", o.id);
		if (o.result == CR_OK && demo_cases[i].submit)
			demo_submit(ctl->db, &who, id,
			    demo_cases[i].procedure, &o);
		json_decref(o.errors);
		if (o.result == CR_DB) {
			err = o.err;
			goto db;
		}
		/* A procedure the demo catalogue lacks: skipped. */
		if (o.result == CR_OK)
			made++;
	}
	printf("demo cases: %d for the demo resident\n", made);
	return (0);
db:
	fprintf(stderr, "guichetctl: the database is unavailable (%s)\n",
	    err.sqlstate);
	return (-1);
}
