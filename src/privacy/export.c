/*
 * export.c: access and portability (Art. 15, 20): the export document,
 * streamed, as JSON or as an HTML page (see export.h).
 *
 * The head (the Art. 15 information, from the same tables as the public
 * register, in the caller's language) is built before the reply starts,
 * so that a missing account or an unavailable database is still a
 * problem document.  Then each module's export hook runs in turn on the
 * request's worker thread while the body is sent: one section in memory
 * at a time.  A module's portable part is kept from the first call when
 * it is small, otherwise its hook runs again for it, so that a person with
 * many records never holds two big sections at once.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/policy.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/conf.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "core/module.h"
#include "db/db.h"
#include "http/reply.h"
#include "http/request.h"
#include "http/xml.h"
#include "json/check.h"
#include "privacy/privacy_int.h"
#include "privacy/export.h"
#include "privacy/hooks.h"
#include "privacy/rights.h"

/* A portable part up to this size is kept from the data pass. */
#define PORTABLE_KEEP_MAX	(64 * 1024)
enum export_stmt {
	EXP_HEAD,
	EXP_PORTABLE_COLUMNS,
	EXP__COUNT
};

/*
 * $1 account, $2 language (NULL: the account's).  The Art. 15 lists,
 * from the register's tables: the purposes (and whether each applies to
 * the person now), the categories (and whether each is portable for
 * them), the recipients, the retention of each category.
 */
static struct db_stmt export_stmts[EXP__COUNT] = {
	[EXP_HEAD] = { .name = "privacy_select_export_head",
	  .sql = "SELECT l.lang AS lang, json_build_object("
	  "'controller', (SELECT json_build_object('name', t.name, "
	  "'insee_code', t.insee_code, 'postcode', t.postcode) "
	  "FROM ops.town t), "
	  "'purposes', coalesce((SELECT json_agg(json_build_object("
	  "'code', p.code, 'title', " PRIV_LOC("l.lang", "p.title") ", "
	  "'description', " PRIV_LOC("l.lang", "p.description") ", "
	  "'legal_basis', p.legal_basis, 'optional', p.optional, "
	  "'applies', NOT p.optional OR privacy.consent_given(a.id, p.code), "
	  "'categories', p.categories, 'recipients', p.recipients, "
	  "'retention', " PRIV_LOC("l.lang", "p.retention") ", "
	  "'version', p.version) "
	  "ORDER BY p.optional, p.code) FROM privacy.purposes p), '[]'), "
	  "'categories', coalesce((SELECT json_agg(json_build_object("
	  "'code', c.code, "
	  "'description', " PRIV_LOC("l.lang", "c.description") ", "
	  "'provided_by_you', c.provided, 'portable', c.code IN "
	  "(SELECT pc.category FROM privacy.portable_categories(a.id) pc)) "
	  "ORDER BY c.code) FROM privacy.categories c), '[]'), "
	  "'recipients', coalesce((SELECT json_agg(json_build_object("
	  "'code', r.code, 'kind', r.kind, "
	  "'name', " PRIV_LOC("l.lang", "r.name") ") "
	  "ORDER BY r.code) FROM privacy.recipients r), '[]'), "
	  "'retention', coalesce((SELECT json_agg(json_build_object("
	  "'category', c.code, 'period', privacy.iso_duration(c.retention), "
	  "'from', c.retention_from, 'from_description', "
	  PRIV_LOC("l.lang", "e.description") ") ORDER BY c.code) "
	  "FROM privacy.categories c JOIN privacy.retention_events e "
	  "ON e.code = c.retention_from), '[]'))::text AS art15 "
	  "FROM identity.directory a, "
	  "LATERAL (SELECT coalesce($2::text, a.locale) AS lang) l "
	  "WHERE a.id = $1::uuid AND a.status <> 'erased'", .nparams = 2 },
	/*
	 * struct privacy_portable's columns(): $1 a table, $2 the person;
	 * the columns whose category is portable for them now.
	 */
	[EXP_PORTABLE_COLUMNS] = { .name = "privacy_select_portable_columns",
	  .sql = "SELECT coalesce(array_agg(cc.col ORDER BY cc.col), "
	  "'{}')::text AS columns FROM privacy.column_categories($1) cc "
	  "JOIN privacy.portable_categories($2::uuid) pc "
	  "ON pc.category = cc.category", .nparams = 2 },
};

const struct module_stmts export_stmt_table = { .stmts = export_stmts,
    .count = EXP__COUNT };

static char	*public_url;

/* The rights and where to exercise them (Art. 15(1)(e), 12(2)). */
static const struct {
	const char	*right;
	const char	*article;
	const char	*method;
	const char	*path;
	const char	*text[LANG__COUNT];
} rights[] = {
	{ .right = "access", .article = "15", .method = "GET",
	  .path = "/api/v1/me/export", .text = {
	    "Obtenir la confirmation que des données vous concernant sont "
	    "traitées, et une copie de ces données (ce document).",
	    "Get confirmation that data about you is processed, and a copy "
	    "of it (this document).",
	    "Ottenere la conferma che dati che ti riguardano sono trattati, "
	    "e una copia di essi (questo documento)." } },
	{ .right = "rectification", .article = "16", .method = "PATCH",
	  .path = "/api/v1/me", .text = {
	    "Faire corriger les données inexactes et compléter les données "
	    "incomplètes.",
	    "Have inaccurate data corrected and incomplete data completed.",
	    "Far correggere i dati inesatti e integrare quelli "
	    "incompleti." } },
	{ .right = "erasure", .article = "17", .method = "DELETE",
	  .path = "/api/v1/me", .text = {
	    "Faire effacer vos données, sauf celles que la commune doit "
	    "conserver (obligation légale, mission d'intérêt public, "
	    "archives) : elles sont alors coupées de votre identité.",
	    "Have your data erased, except what the town must keep (legal "
	    "obligation, public task, archives): that is then cut from your "
	    "identity.",
	    "Far cancellare i tuoi dati, tranne quelli che il comune deve "
	    "conservare (obbligo legale, compito di interesse pubblico, "
	    "archivi): questi vengono allora separati dalla tua "
	    "identità." } },
	{ .right = "restriction", .article = "18", .method = "POST",
	  .path = "/api/v1/me/restriction", .text = {
	    "Faire geler le traitement de vos données : elles sont conservées "
	    "mais ne sont plus utilisées ; vous êtes prévenu avant la levée.",
	    "Have the processing of your data frozen: it is kept but no "
	    "longer used; you are told before it is lifted.",
	    "Far sospendere il trattamento dei tuoi dati: sono conservati ma "
	    "non più usati; sei avvisato prima della revoca." } },
	{ .right = "objection", .article = "21", .method = "POST",
	  .path = "/api/v1/me/objections", .text = {
	    "Vous opposer à un traitement fondé sur une mission d'intérêt "
	    "public ou un intérêt légitime ; à la lettre d'information, à "
	    "tout moment et sans motif.",
	    "Object to processing based on a public task or a legitimate "
	    "interest; to the newsletter, at any time and without giving "
	    "reasons.",
	    "Opporti a un trattamento basato su un compito di interesse "
	    "pubblico o su un interesse legittimo; al notiziario, in "
	    "qualsiasi momento e senza motivo." } },
	{ .right = "portability", .article = "20", .method = "GET",
	  .path = "/api/v1/me/export", .text = {
	    "Recevoir, dans un format structuré et lisible par machine, les "
	    "données que vous avez fournies sur la base de votre consentement "
	    "ou d'un contrat : le membre « portable » de ce document.",
	    "Receive, in a structured machine-readable format, the data you "
	    "provided on the basis of your consent or of a contract: the "
	    "\"portable\" member of this document.",
	    "Ricevere, in un formato strutturato e leggibile da dispositivo "
	    "automatico, i dati che hai fornito sulla base del tuo consenso o "
	    "di un contratto: il membro «portable» di questo documento." } },
	{ .right = "withdraw_consent", .article = "7(3)", .method = "DELETE",
	  .path = "/api/v1/me/consents/{purpose}", .text = {
	    "Retirer à tout moment un consentement donné, aussi simplement "
	    "que vous l'avez donné ; cela ne remet pas en cause le traitement "
	    "déjà fait.",
	    "Withdraw a consent at any time, as easily as you gave it; this "
	    "does not affect the processing already done.",
	    "Revocare in qualsiasi momento un consenso dato, con la stessa "
	    "facilità con cui l'hai dato; ciò non pregiudica il trattamento "
	    "già effettuato." } },
};

static const char *const source_text[LANG__COUNT] = {
	"Toutes ces données ont été collectées auprès de vous (ce que vous "
	"avez saisi et vos choix) ou produites par votre utilisation du "
	"service (connexions, messages envoyés). Aucune ne provient d'un "
	"tiers.",
	"All of this data was collected from you (what you entered and your "
	"choices) or produced by your use of the service (sign-ins, messages "
	"sent). None comes from a third party.",
	"Tutti questi dati sono stati raccolti presso di te (ciò che hai "
	"inserito e le tue scelte) o prodotti dal tuo uso del servizio "
	"(accessi, messaggi inviati). Nessuno proviene da terzi.",
};

static const char *const complaint_text[LANG__COUNT] = {
	"Si vous estimez que le traitement de vos données ne respecte pas le "
	"RGPD, vous pouvez adresser une réclamation à la CNIL.",
	"If you consider that the processing of your data does not comply "
	"with the GDPR, you may lodge a complaint with the CNIL.",
	"Se ritieni che il trattamento dei tuoi dati non rispetti il GDPR, "
	"puoi presentare un reclamo alla CNIL.",
};

static const char *const automated_text[LANG__COUNT] = {
	"Aucune décision produisant des effets juridiques à votre égard "
	"n'est prise sur le seul fondement d'un traitement automatisé, "
	"profilage compris (article 22).",
	"No decision with legal effects on you is based solely on automated "
	"processing, including profiling (Article 22).",
	"Nessuna decisione che produca effetti giuridici nei tuoi confronti "
	"è basata unicamente su un trattamento automatizzato, compresa la "
	"profilazione (articolo 22).",
};

/* What the codes in the data sections mean ("reason": "secret"...). */
static const struct {
	const char	*code;
	const char	*text[LANG__COUNT];
} notes[] = {
	{ .code = "secret", .text = {
	    "Valeur secrète (empreinte du mot de passe, secret du second "
	    "facteur) : son existence est indiquée, pas sa valeur, qui ne "
	    "vous apprendrait rien et permettrait de se faire passer pour "
	    "vous.",
	    "A secret value (password hash, second-factor secret): its "
	    "existence is shown, not its value, which would tell you nothing "
	    "and would let someone impersonate you.",
	    "Valore segreto (impronta della password, segreto del secondo "
	    "fattore): se ne indica l'esistenza, non il valore, che non ti "
	    "direbbe nulla e permetterebbe di impersonarti." } },
	{ .code = "not_linkable", .text = {
	    "Les échecs de connexion comptés par adresse réseau ne sont "
	    "rattachés à aucune personne : ils ne peuvent pas vous être "
	    "attribués et s'effacent d'eux-mêmes.",
	    "Failed sign-ins counted per network address are tied to no "
	    "person: they cannot be attributed to you and expire on their "
	    "own.",
	    "I tentativi di accesso falliti contati per indirizzo di rete non "
	    "sono legati a nessuna persona: non possono esserti attribuiti e "
	    "scadono da soli." } },
	{ .code = "single_use_link", .text = {
	    "Les liens à usage unique des messages (vérification, "
	    "réinitialisation du mot de passe) ne sont pas recopiés : ils "
	    "donnent accès au compte.",
	    "The single-use links of messages (verification, password reset) "
	    "are not copied: they give access to the account.",
	    "I link monouso dei messaggi (verifica, reimpostazione della "
	    "password) non sono copiati: danno accesso all'account." } },
};

/* Texts of the HTML page. */
enum html_text {
	H_TITLE, H_GENERATED, H_SUBJECT, H_ART15, H_DATA, H_PORTABLE,
	H_SCHEMA, H_YES, H_NO, H_NONE, H__COUNT
};
static const char *const html_texts[H__COUNT][LANG__COUNT] = {
	[H_TITLE] = { "Vos données", "Your data", "I tuoi dati" },
	[H_GENERATED] = { "Document établi le", "Document produced on",
	    "Documento prodotto il" },
	[H_SUBJECT] = { "Compte", "Account", "Account" },
	[H_ART15] = { "Informations sur le traitement (article 15 du RGPD)",
	    "Information about the processing (GDPR Article 15)",
	    "Informazioni sul trattamento (articolo 15 del GDPR)" },
	[H_DATA] = { "Les données détenues sur vous", "The data held about you",
	    "I dati detenuti su di te" },
	[H_PORTABLE] = { "Données portables (article 20 du RGPD)",
	    "Portable data (GDPR Article 20)",
	    "Dati portabili (articolo 20 del GDPR)" },
	[H_SCHEMA] = { "Schéma JSON du document", "JSON Schema of the document",
	    "Schema JSON del documento" },
	[H_YES] = { "oui", "yes", "sì" },
	[H_NO] = { "non", "no", "no" },
	[H_NONE] = { "aucun", "none", "nessuno" },
};

enum phase {
	PH_DATA,	/* the modules' sections, one per step */
	PH_PORTABLE_OPEN,
	PH_PORTABLE,	/* the modules' portable parts, one per step */
	PH_TAIL,
	PH_END
};

struct export_job {
	struct db	*db;		/* NULL: the calling thread's */
	char		 account[40];
	enum lang	 lang;
	int		 html;
	enum phase	 phase;
	size_t		 module;
	size_t		 nmodules;
	struct buf	*kept;		/* portable parts kept from PH_DATA */
	int		*have;		/* kept[i] is complete */
	struct buf	 pending;	/* bytes produced, not sent yet */
	char		*columns;	/* portable_columns()'s last answer */
	size_t		 off;
	size_t		 total;
	int64_t		 started;
	int		 streaming;	/* the body started: log the outcome */
	int		 failed;
};

void
privacy_export_init(const struct conf *c)
{
	size_t		 n;

	free(public_url);
	public_url = xstrdup(c->public_url != NULL ? c->public_url : "");
	n = strlen(public_url);
	while (n > 0 && public_url[n - 1] == '/')
		public_url[--n] = '\0';
}

static struct db *
job_db(const struct export_job *j)
{
	return (j->db != NULL ? j->db : db_thread());
}

static char *
url_of(const char *path)
{
	size_t	 n = strlen(public_url) + strlen(path) + 1;
	char	*s = xmalloc(n);

	snprintf(s, n, "%s%s", public_url, path);
	return (s);
}

/* The members of art15 that are texts of this file, not data. */
static void
art15_texts(json_t *art15, enum lang l)
{
	json_t	*a, *o;
	char	*u;
	size_t	 i;

	json_object_set_new(art15, "source", json_pack("{s:s, s:s}", "code",
	    "data_subject", "description", source_text[l]));
	a = json_array();
	for (i = 0; i < NELEM(rights); i++) {
		u = url_of(rights[i].path);
		o = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "right",
		    rights[i].right, "article", rights[i].article,
		    "description", rights[i].text[l], "endpoint", "method",
		    rights[i].method, "url", u);
		free(u);
		json_array_append_new(a, o);
	}
	json_object_set_new(art15, "rights", a);
	json_object_set_new(art15, "complaint", json_pack("{s:s, s:s, s:s, "
	    "s:s, s:s}", "authority", "CNIL", "name", "Commission nationale "
	    "de l'informatique et des libertés", "url",
	    "https://www.cnil.fr/fr/plaintes", "postal_address",
	    "3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07",
	    "description", complaint_text[l]));
	json_object_set_new(art15, "automated_decision_making",
	    json_pack("{s:b, s:s}", "exists", 0, "description",
	    automated_text[l]));
	o = json_object();
	for (i = 0; i < NELEM(notes); i++)
		json_object_set_new(o, notes[i].code,
		    json_string(notes[i].text[l]));
	json_object_set_new(art15, "notes", o);
}

/* HTML */

static int
is_scalar(const json_t *v)
{
	return (!json_is_object(v) && !json_is_array(v));
}

/* An array of flat objects reads best as a table. */
static int
is_table(const json_t *a)
{
	const json_t	*it, *v;
	const char	*k;
	size_t		 i;

	if (json_array_size(a) == 0)
		return (0);
	json_array_foreach(a, i, it) {
		if (!json_is_object(it))
			return (0);
		json_object_foreach((json_t *)(uintptr_t)it, k, v)
			if (!is_scalar(v))
				return (0);
	}
	return (1);
}

static void	html_value(struct buf *, const json_t *, enum lang);

static void
html_scalar(struct buf *b, const json_t *v, enum lang l)
{
	const char	*s;

	if (json_is_string(v)) {
		s = json_string_value(v);
		if (strncmp(s, "https://", 8) == 0 ||
		    strncmp(s, "http://", 7) == 0) {
			buf_adds(b, "<a href=\"");
			xml_escape(b, s);
			buf_adds(b, "\">");
			xml_escape(b, s);
			buf_adds(b, "</a>");
		} else
			xml_escape(b, s);
	} else if (json_is_integer(v))
		buf_addf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		buf_addf(b, "%g", json_real_value(v));
	else if (json_is_true(v))
		buf_adds(b, html_texts[H_YES][l]);
	else if (json_is_false(v))
		buf_adds(b, html_texts[H_NO][l]);
	else
		buf_adds(b, "—");
}

static void
html_table(struct buf *b, const json_t *a, enum lang l)
{
	json_t		*cols, *it, *v;
	const char	*k;
	size_t		 i, c;

	/* The columns: every key, in the order first seen. */
	cols = json_object();
	json_array_foreach(a, i, it)
		json_object_foreach(it, k, v)
			json_object_set_new(cols, k, json_true());
	buf_adds(b, "<table><thead><tr>");
	json_object_foreach(cols, k, v) {
		buf_adds(b, "<th scope=\"col\">");
		xml_escape(b, k);
		buf_adds(b, "</th>");
	}
	buf_adds(b, "</tr></thead><tbody>\n");
	json_array_foreach(a, i, it) {
		buf_adds(b, "<tr>");
		c = 0;
		json_object_foreach(cols, k, v) {
			buf_adds(b, c++ == 0 ? "<th scope=\"row\">" : "<td>");
			html_scalar(b, json_object_get(it, k), l);
			buf_adds(b, c == 1 ? "</th>" : "</td>");
		}
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</tbody></table>\n");
	json_decref(cols);
}

static void
html_value(struct buf *b, const json_t *v, enum lang l)
{
	const json_t	*it;
	const char	*k;
	size_t		 i;

	if (json_is_object(v)) {
		if (json_object_size(v) == 0) {
			buf_adds(b, html_texts[H_NONE][l]);
			return;
		}
		buf_adds(b, "<dl>\n");
		json_object_foreach((json_t *)(uintptr_t)v, k, it) {
			buf_adds(b, "<dt>");
			xml_escape(b, k);
			buf_adds(b, "</dt><dd>");
			html_value(b, it, l);
			buf_adds(b, "</dd>\n");
		}
		buf_adds(b, "</dl>\n");
	} else if (json_is_array(v)) {
		if (json_array_size(v) == 0)
			buf_adds(b, html_texts[H_NONE][l]);
		else if (is_table(v))
			html_table(b, v, l);
		else {
			buf_adds(b, "<ul>\n");
			json_array_foreach(v, i, it) {
				buf_adds(b, "<li>");
				html_value(b, it, l);
				buf_adds(b, "</li>\n");
			}
			buf_adds(b, "</ul>\n");
		}
	} else
		html_scalar(b, v, l);
}

/* A module's section: <section><h3>module</h3>...</section>. */
static int
html_section(struct buf *b, const char *kind, const char *module,
    const char *json, size_t len, enum lang l)
{
	json_t	*v;

	if ((v = json_loadb(json, len, 0, NULL)) == NULL)
		return (-1);
	buf_addf(b, "<section aria-labelledby=\"%s-%s\"><h3 id=\"%s-%s\">",
	    kind, module, kind, module);
	xml_escape(b, module);
	buf_adds(b, "</h3>\n");
	html_value(b, v, l);
	buf_adds(b, "</section>\n");
	json_decref(v);
	return (0);
}

static void
html_head(struct buf *b, const json_t *doc, enum lang l)
{
	const char	*title = html_texts[H_TITLE][l];

	buf_addf(b, "<!doctype html>\n<html lang=\"%s\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n<title>",
	    lang_code(l));
	xml_escape(b, title);
	buf_adds(b, " — guichet</title>\n<link rel=\"stylesheet\" "
	    "href=\"/static/guichet.css\">\n</head>\n<body>\n<main>\n<h1>");
	xml_escape(b, title);
	buf_adds(b, "</h1>\n<dl>\n<dt>");
	xml_escape(b, html_texts[H_GENERATED][l]);
	buf_adds(b, "</dt><dd>");
	xml_escape(b, json_string_value(json_object_get(doc, "generated_at")));
	buf_adds(b, "</dd>\n<dt>");
	xml_escape(b, html_texts[H_SUBJECT][l]);
	buf_adds(b, "</dt><dd>");
	xml_escape(b, json_string_value(json_object_get(json_object_get(doc,
	    "subject"), "account_id")));
	buf_adds(b, "</dd>\n<dt>");
	xml_escape(b, html_texts[H_SCHEMA][l]);
	buf_adds(b, "</dt><dd>");
	html_scalar(b, json_object_get(doc, "$schema"), l);
	buf_adds(b, "</dd>\n</dl>\n<section aria-labelledby=\"art15\">"
	    "<h2 id=\"art15\">");
	xml_escape(b, html_texts[H_ART15][l]);
	buf_adds(b, "</h2>\n");
	html_value(b, json_object_get(doc, "art15"), l);
	buf_adds(b, "</section>\n<section aria-labelledby=\"data\">"
	    "<h2 id=\"data\">");
	xml_escape(b, html_texts[H_DATA][l]);
	buf_adds(b, "</h2>\n");
}

/* The job */

static void
job_free(void *cls)
{
	struct export_job	*j = cls;
	size_t			 i;

	if (j == NULL)
		return;
	if (j->streaming && (j->phase != PH_END || j->failed))
		log_warnx("export of account %s cut after %zu bytes",
		    j->account, j->total);
	else if (j->streaming)
		log_info("export of account %s: %zu bytes in %lld ms",
		    j->account, j->total,
		    (long long)((clock_mono() - j->started) / 1000));
	for (i = 0; i < j->nmodules; i++)
		buf_cleanup(&j->kept[i]);
	free(j->kept);
	free(j->have);
	free(j->columns);
	buf_cleanup(&j->pending);
	free(j);
}

/*
 * Build the head into j->pending: 0, 1 when there is no such account, -1
 * with 'err'.  'lang' NULL: the account's language.
 */
static int
job_head(struct export_job *j, const char *lang, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[2];
	char		*head, *u;
	json_t		*doc, *art15;
	size_t		 n;

	p[0] = j->account;
	p[1] = lang;
	if (db_exec(job_db(j), &export_stmts[EXP_HEAD], p, &res, err) == -1)
		return (-1);
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return (1);
	}
	j->lang = lang_from_code(db_str(res, 0, "lang"), LANG_FR);
	if ((art15 = json_loads(db_str(res, 0, "art15"), 0, NULL)) == NULL) {
		db_res_free(res);
		err->code = DB_E_INTERNAL;
		return (-1);
	}
	json_object_set_new(art15, "language",
	    json_string(lang_code(j->lang)));
	art15_texts(art15, j->lang);
	u = url_of(EXPORT_SCHEMA_PATH);
	doc = json_pack("{s:s, s:s, s:i, s:n, s:{s:s}, s:o}", "$schema", u,
	    "format", "guichet-export", "version", 1, "generated_at",
	    "subject", "account_id", j->account, "art15", art15);
	json_set_time(doc, "generated_at", clock_now());
	free(u);
	db_res_free(res);
	if (j->html)
		html_head(&j->pending, doc, j->lang);
	else {
		/* The head's members, then the open "data" object. */
		head = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (head == NULL)
			abort();
		n = strlen(head);
		buf_add(&j->pending, head, n - 1);
		buf_adds(&j->pending, ",\"data\":{");
		free(head);
	}
	json_decref(doc);
	return (0);
}

/* struct privacy_portable's columns() (core/module.h), for j->account. */
static const char *
portable_columns(struct privacy_portable *pp, const char *table,
    struct db_error *err)
{
	struct export_job	*j = pp->ctx;
	struct db_res		*res = NULL;
	const char		*p[2] = { table, j->account };

	if (db_exec(job_db(j), &export_stmts[EXP_PORTABLE_COLUMNS], p, &res,
	    err) == -1)
		return (NULL);
	free(j->columns);
	j->columns = xstrdup(db_res_rows(res) == 1 &&
	    db_str(res, 0, "columns") != NULL ? db_str(res, 0, "columns") :
	    "{}");
	db_res_free(res);
	return (j->columns);
}

/* Append one module's section to j->pending (data or portable). */
static int
job_module(struct export_job *j, int portable)
{
	const struct module		*h = privacy_hook_at(j->module);
	struct buf			 tmp, scratch, *dst;
	struct privacy_portable		 pp;
	struct db_error			 err;
	size_t				 i = j->module, mark;
	int				 rc;

	buf_init(&tmp);
	buf_init(&scratch);
	if (!j->html) {
		if (i > 0)
			buf_addc(&j->pending, ',');
		buf_add_json_str(&j->pending, h->name);
		buf_addc(&j->pending, ':');
	}
	/* JSON goes straight to the output; HTML is rendered from 'tmp'. */
	dst = j->html ? &tmp : &j->pending;
	mark = dst->len;
	pp.columns = portable_columns;
	pp.ctx = j;
	if (h->privacy->export == NULL)
		rc = 0;
	else if (!portable) {
		pp.out = &j->kept[i];
		rc = h->privacy->export(job_db(j), j->account, dst, &pp, &err);
		if (rc == 0 && j->kept[i].len <= PORTABLE_KEEP_MAX)
			j->have[i] = 1;
		else
			buf_cleanup(&j->kept[i]);
	} else if (j->have[i]) {
		buf_add(dst, j->kept[i].data, j->kept[i].len);
		buf_cleanup(&j->kept[i]);
		rc = 0;
	} else {
		pp.out = dst;
		rc = h->privacy->export(job_db(j), j->account, &scratch, &pp,
		    &err);
	}
	buf_cleanup(&scratch);
	if (rc == 0 && dst->len == mark)
		buf_adds(dst, "{}");
	if (rc == 0 && j->html)
		rc = html_section(&j->pending, portable ? "portable" : "data",
		    h->name, tmp.data, tmp.len, j->lang);
	buf_cleanup(&tmp);
	if (rc == -1)
		log_warnx("export of account %s: module %s failed",
		    j->account, h->name);
	return (rc);
}

/* Produce the next piece into j->pending; -1 on failure. */
static int
job_step(struct export_job *j)
{
	switch (j->phase) {
	case PH_DATA:
	case PH_PORTABLE:
		if (j->module == j->nmodules) {
			j->phase = j->phase == PH_DATA ? PH_PORTABLE_OPEN :
			    PH_TAIL;
			return (0);
		}
		if (job_module(j, j->phase == PH_PORTABLE) == -1)
			return (-1);
		j->module++;
		return (0);
	case PH_PORTABLE_OPEN:
		if (j->html) {
			buf_adds(&j->pending, "</section>\n<section "
			    "aria-labelledby=\"portable\"><h2 id=\"portable\">");
			xml_escape(&j->pending, html_texts[H_PORTABLE][j->lang]);
			buf_adds(&j->pending, "</h2>\n");
		} else
			buf_adds(&j->pending, "},\"portable\":{");
		j->module = 0;
		j->phase = PH_PORTABLE;
		return (0);
	case PH_TAIL:
		buf_adds(&j->pending, j->html ?
		    "</section>\n</main>\n</body>\n</html>\n" : "}}\n");
		j->phase = PH_END;
		return (0);
	case PH_END:
		break;
	}
	return (0);
}

static long
job_next(void *cls, char *dst, size_t max)
{
	struct export_job	*j = cls;
	size_t			 n;

	while (j->off == j->pending.len) {
		buf_reset(&j->pending);
		j->off = 0;
		if (j->phase == PH_END)
			return (0);
		if (job_step(j) == -1) {
			j->failed = 1;
			return (-1);
		}
	}
	n = j->pending.len - j->off;
	if (n > max)
		n = max;
	memcpy(dst, j->pending.data + j->off, n);
	j->off += n;
	j->total += n;
	return ((long)n);
}

static struct export_job *
job_new(struct db *db, const char *account, int html)
{
	struct export_job	*j;
	size_t			 i;

	j = xcalloc(1, sizeof(*j));
	j->db = db;
	snprintf(j->account, sizeof(j->account), "%s", account);
	j->html = html;
	j->started = clock_mono();
	j->nmodules = privacy_hook_count();
	j->kept = xcalloc(j->nmodules + 1, sizeof(*j->kept));
	j->have = xcalloc(j->nmodules + 1, sizeof(*j->have));
	for (i = 0; i < j->nmodules; i++)
		buf_init(&j->kept[i]);
	buf_init(&j->pending);
	j->phase = PH_DATA;
	return (j);
}

/* HTTP */

/* A job for the reply, by ?format=; NULL with the 400 set. */
static struct export_job *
export_job_or_reply(struct request *req, const char *account)
{
	const char	*format = request_query(req, "format");

	if (format != NULL && strcmp(format, "json") != 0 &&
	    strcmp(format, "html") != 0) {
		reply_error(req, HTTP_ERR(HE_BAD_QUERY), "format=json|html");
		return (NULL);
	}
	return (job_new(NULL, account, format != NULL &&
	    strcmp(format, "html") == 0));
}

/* Stream the job, its head made, as the reply. */
static void
export_start(struct request *req, struct export_job *j)
{
	char	 disp[80], date[40];

	j->streaming = 1;
	reply_stream(req, 200, j->html ? CT_HTML : CT_JSON, job_next, j,
	    job_free);
	if (!j->html) {
		clock_format(clock_now(), date, sizeof(date));
		snprintf(disp, sizeof(disp), "attachment; "
		    "filename=\"guichet-export-%.10s.json\"", date);
		reply_header(req, "Content-Disposition", disp);
	}
	priv_language_headers(req, j->lang);
}

/*
 * GET /api/v1/privacy/export-schema.json: the JSON Schema of the export,
 * made at build from the modules' OpenAPI schemas (tools/openapi-gen),
 * built into the binary like the OpenAPI document.
 */
static char		 schema_etag[40];
static pthread_once_t	 schema_once = PTHREAD_ONCE_INIT;

static void
schema_etag_init(void)
{
	etag_of(export_schema_json, export_schema_json_len, schema_etag);
}

int
privacy_export_schema(struct request *req)
{
	pthread_once(&schema_once, schema_etag_init);
	reply_static(req, 200, CT_JSON, export_schema_json,
	    export_schema_json_len);
	reply_header(req, "ETag", schema_etag);
	reply_header(req, "Cache-Control", "public, max-age=300");
	return (0);
}

int
privacy_export_me(struct request *req)
{
	struct export_job	*j;
	struct db_error		 err;
	int			 rc;

	if ((j = export_job_or_reply(req, req->principal->id)) == NULL)
		return (0);
	/*
	 * The caller's language: a signed-in person's is their account's
	 * locale (the guard sets it), so a person reads their own export in
	 * the language they chose and the DPO reads one in theirs.
	 */
	if ((rc = job_head(j, lang_code(req->lang), &err)) != 0) {
		if (rc == 1)
			reply_error(req, PRIV_ERR(PE_ACCOUNT_NOT_ACTIVE));
		else
			reply_db_error(req, &err);
		job_free(j);
		return (0);
	}
	export_start(req, j);
	return (0);
}

/*
 * The DPO's read: the head (which finds the person) and its entry in the
 * access log, in one transaction, committed before anything is sent.
 */
struct dpo_read {
	struct export_job	*job;
	const char		*lang;
	const char		*reason;
	const struct principal	*who;
	int			 missing;
};

static int
dpo_read_tx(struct db *db, void *arg, struct db_error *err)
{
	struct dpo_read	*r = arg;
	int		 rc;

	buf_reset(&r->job->pending);
	if ((rc = job_head(r->job, r->lang, err)) == 1) {
		r->missing = 1;
		err->code = DB_OK;
		return (-1);
	}
	if (rc == -1)
		return (-1);
	return (privacy_access_record(db, r->job->account, r->who,
	    "privacy.export", NULL, r->reason, 0, err));
}

int
privacy_export_subject(struct request *req)
{
	struct dpo_read	 r;
	struct db_error	 err;
	const char	*id;

	memset(&r, 0, sizeof(r));
	if ((id = param_uuid_or_reply(req, "id",
	    PRIV_ERR(PE_SUBJECT_NOT_FOUND))) == NULL ||
	    (r.reason = priv_purpose_or_reply(req, 1)) == NULL ||
	    (r.job = export_job_or_reply(req, id)) == NULL)
		return (0);
	r.lang = lang_code(req->lang);
	r.who = req->principal;
	/* No row in the access log, no read. */
	if (db_tx(db_thread(), dpo_read_tx, &r, &err) == -1) {
		if (r.missing)
			reply_error(req, PRIV_ERR(PE_SUBJECT_NOT_FOUND));
		else
			reply_db_error(req, &err);
		job_free(r.job);
		return (0);
	}
	export_start(req, r.job);
	/* Ids only: the reason is in the access log, never in this one. */
	log_info("dpo %s exports the data of account %s (request %s, access "
	    "logged)", req->principal->id, id, req->id);
	return (0);
}

/* guichetctl */

int
privacy_export_to_file(struct db *db, const char *account, const char *lang,
    FILE *f)
{
	struct export_job	*j;
	struct db_error		 err;
	char			 chunk[32 * 1024];
	long			 n;
	int			 rc;

	if (!json_format_ok(JF_UUID, account))
		return (1);
	j = job_new(db, account, 0);
	rc = job_head(j, lang, &err);
	if (rc != 0) {
		if (rc == -1)
			fprintf(stderr, "guichetctl: the database is "
			    "unavailable or refused the export\n");
		job_free(j);
		return (rc);
	}
	j->streaming = 1;
	while ((n = job_next(j, chunk, sizeof(chunk))) > 0)
		if (fwrite(chunk, 1, (size_t)n, f) != (size_t)n) {
			n = -1;
			break;
		}
	if (n == 0 && fflush(f) != 0)
		n = -1;
	if (n < 0) {
		fprintf(stderr, "guichetctl: the export failed\n");
		j->failed = 1;
	}
	job_free(j);
	return (n < 0 ? -1 : 0);
}
