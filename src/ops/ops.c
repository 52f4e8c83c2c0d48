/*
 * ops.c: operations endpoints.
 *  /healthz   the process is alive and serving (no database);
 *  /readyz    the database answers and its schema is the one this binary
 *             expects: one round trip;
 *  /metrics   Prometheus text: HTTP and database counters;
 *  /api/v1/openapi.json  the OpenAPI document compiled into the binary.
 * The module's other pieces: the outbox and its gates (outbox.c), the
 * mail's templates and MIME (mail.c), the sender (mailer.c), the
 * notifications a person reads (notifications.c), Idempotency-Key
 * (idempotency.c).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/policy.h"
#include "auth/token.h"
#include "base/buf.h"
#include "base/conf.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/random.h"
#include "base/seal.h"
#include "core/module.h"
#include "db/db.h"
#include "http/cache.h"
#include "http/fragment.h"
#include "http/live.h"
#include "http/metrics.h"
#include "http/reply.h"
#include "http/route.h"
#include "http/server.h"
#include "ops/idempotency.h"
#include "ops/mail.h"
#include "ops/ops.h"

enum { OPS_SCHEMA, OPS_SECRET, OPS__COUNT };

static struct db_stmt ops_stmts[OPS__COUNT] = {
	[OPS_SCHEMA] = { .name = "ops_select_schema",
	  .sql = "SELECT count(*) AS migrations, coalesce(max(version), 0) "
	  "AS version FROM ops.schema_migrations" },
	[OPS_SECRET] = { .name = "ops_select_instance_secret",
	  .sql = "SELECT secret FROM ops.instance_secret" },
};

static unsigned char	 secret[OPS_SECRET_LEN];
static pthread_once_t	 secret_once = PTHREAD_ONCE_INIT;

static void
secret_load(void)
{
	struct db_res	*res = NULL;
	struct db_error	 e;
	struct db	*db = db_open();
	const char	*hex;
	unsigned int	 b;
	size_t		 i;

	if (db_exec(db, &ops_stmts[OPS_SECRET], NULL, &res, &e) == 0 &&
	    db_res_rows(res) == 1 && (hex = db_str(res, 0, "secret")) != NULL &&
	    strlen(hex) == 2 * OPS_SECRET_LEN) {
		for (i = 0; i < OPS_SECRET_LEN; i++) {
			sscanf(hex + 2 * i, "%2x", &b);
			secret[i] = (unsigned char)b;
		}
	} else {
		log_warnx("instance secret unavailable: keyed hashes and "
		    "cursors use a secret of this process until restart");
		if (random_fill(secret, sizeof(secret)) == -1)
			fatalx("no random bytes for the process secret");
	}
	db_res_free(res);
	db_close(db);
}

void
ops_instance_secret(unsigned char out[OPS_SECRET_LEN])
{
	pthread_once(&secret_once, secret_load);
	memcpy(out, secret, OPS_SECRET_LEN);
}

const struct errcode ops_errors[OPS_E__COUNT] = {
	[OPS_E_SCHEMA_MISSING] = { "schema_missing", PROB_UNAVAILABLE,
	    { "le schéma de la base est absent : lancez guichetd --migrate",
	      "the database schema is missing: run guichetd --migrate",
	      "lo schema del database manca: eseguire guichetd --migrate" } },
	[OPS_E_SCHEMA_MISMATCH] = { "schema_mismatch", PROB_UNAVAILABLE,
	    { "le schéma de la base est à la version %s (%s migrations), ce "
	      "guichetd attend la version %s (%s migrations) : lancez "
	      "guichetd --migrate",
	      "the database schema is at version %s (%s migrations) but this "
	      "guichetd needs %s (%s migrations): run guichetd --migrate",
	      "lo schema del database è alla versione %s (%s migrazioni), "
	      "questo guichetd richiede la %s (%s migrazioni): eseguire "
	      "guichetd --migrate" } },
	[OPS_E_IDEM_KEY_SHAPE] = { "idempotency_key_invalid",
	    PROB_BAD_REQUEST,
	    { "Idempotency-Key doit compter de 1 à 255 caractères ASCII "
	      "visibles", "Idempotency-Key must be 1 to 255 visible ASCII "
	      "characters", "Idempotency-Key deve contare da 1 a 255 "
	      "caratteri ASCII visibili" } },
	[OPS_E_IDEM_ANONYMOUS] = { "idempotency_key_anonymous",
	    PROB_BAD_REQUEST,
	    { "Idempotency-Key demande un appelant connecté : les clés sont "
	      "gardées par appelant", "Idempotency-Key needs a signed-in "
	      "caller: keys are kept per caller", "Idempotency-Key richiede "
	      "un chiamante autenticato: le chiavi sono conservate per "
	      "chiamante" } },
	[OPS_E_IDEM_SECRET] = { "idempotency_key_not_stored",
	    PROB_BAD_REQUEST,
	    { "la réponse de cette ressource contient un secret et n'est "
	      "jamais gardée : envoyez-la sans Idempotency-Key",
	      "the answer of this resource holds a secret and is never "
	      "stored: send it without Idempotency-Key",
	      "la risposta di questa risorsa contiene un segreto e non è mai "
	      "conservata: inviarla senza Idempotency-Key" } },
	[OPS_E_IDEM_RUNNING] = { "idempotency_key_in_use", PROB_CONFLICT,
	    { "une requête avec cette Idempotency-Key est en cours",
	      "a request with this Idempotency-Key is still running",
	      "una richiesta con questa Idempotency-Key è in corso" } },
	[OPS_E_IDEM_OTHER_REQUEST] = { "idempotency_key_reused",
	    PROB_VALIDATION,
	    { "cette Idempotency-Key a servi pour une autre requête "
	      "(méthode, chemin ou corps) : prenez une nouvelle clé",
	      "this Idempotency-Key was used for another request (method, "
	      "path or body); use a new key for a new request",
	      "questa Idempotency-Key è stata usata per un'altra richiesta "
	      "(metodo, percorso o corpo): usare una nuova chiave" } },
};

static _Atomic int	expected_version;
static _Atomic int	expected_count;

static const char	healthz_body[] = "{\"status\":\"ok\"}";

void
ops_set_expected_schema(int version, int count)
{
	atomic_store(&expected_version, version);
	atomic_store(&expected_count, count);
}

static int
ops_healthz(struct request *req)
{
	reply_static(req, 200, CT_JSON, healthz_body,
	    sizeof(healthz_body) - 1);
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

static int
ops_readyz(struct request *req)
{
	struct db_error	 err;
	struct db_res	*res = NULL;
	int		 count, version;
	char		 body[96];

	if (db_exec(db_thread(), &ops_stmts[OPS_SCHEMA], NULL, &res, &err) ==
	    -1) {
		if (err.code == DB_E_UNAVAILABLE || err.code == DB_E_TIMEOUT)
			reply_db_error(req, &err);
		else
			reply_error(req, OPS_ERR(OPS_E_SCHEMA_MISSING));
		return (0);
	}
	count = (int)db_int64(res, 0, "migrations");
	version = (int)db_int64(res, 0, "version");
	db_res_free(res);
	if (count != atomic_load(&expected_count) ||
	    version != atomic_load(&expected_version)) {
		char	 v[4][16];

		snprintf(v[0], sizeof(v[0]), "%d", version);
		snprintf(v[1], sizeof(v[1]), "%d", count);
		snprintf(v[2], sizeof(v[2]), "%d",
		    atomic_load(&expected_version));
		snprintf(v[3], sizeof(v[3]), "%d", atomic_load(&expected_count));
		reply_error(req, OPS_ERR(OPS_E_SCHEMA_MISMATCH), v[0], v[1],
		    v[2], v[3]);
		return (0);
	}
	snprintf(body, sizeof(body),
	    "{\"status\":\"ready\",\"schema_version\":%d}", version);
	reply_bytes(req, 200, CT_JSON, body, strlen(body));
	/* Probes want the state of now, never a stored answer. */
	reply_header(req, "Cache-Control", "no-store");
	return (0);
}

/* One metric without labels, in the Prometheus text format. */
static void
metric(struct buf *b, const char *name, const char *type, const char *help,
    unsigned long long v)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help,
	    name, type, name, v);
}

static int
ops_metrics(struct request *req)
{
	struct db_stats	 st;
	struct cache_stats cs;
	struct fragment_stats fs;
	struct mailer_stats ms;
	struct buf	 b;

	buf_init(&b);
	metrics_render(&b);
	db_stats(&st);
	metric(&b, "guichet_http_requests_in_flight", "gauge",
	    "Requests being processed.", (unsigned long long)server_inflight());
	metric(&b, "guichet_db_errors_total", "counter",
	    "Failed database statements.", st.errors);
	metric(&b, "guichet_db_statements_total", "counter",
	    "Statements of the statement tables sent to the database.",
	    st.statements);
	metric(&b, "guichet_db_reconnects_total", "counter",
	    "Database connections re-established after a failure.",
	    st.reconnects);
	metric(&b, "guichet_db_connect_failures_total", "counter",
	    "Failed attempts to connect to the database.",
	    st.connect_failures);
	metric(&b, "guichet_token_cache_hits_total", "counter",
	    "Access tokens whose verification came from the cache.",
	    token_cache_hits());
	cache_stats(&cs);
	buf_addf(&b, "# HELP guichet_cache_requests_total Lookups in the "
	    "response cache, by result.\n"
	    "# TYPE guichet_cache_requests_total counter\n"
	    "guichet_cache_requests_total{result=\"hit\"} %llu\n"
	    "guichet_cache_requests_total{result=\"miss\"} %llu\n",
	    (unsigned long long)cs.hits, (unsigned long long)cs.misses);
	buf_addf(&b, "# HELP guichet_cache_drops_total Cached answers dropped "
	    "because their data changed (or notifications were lost).\n"
	    "# TYPE guichet_cache_drops_total counter\n"
	    "guichet_cache_drops_total %llu\n",
	    (unsigned long long)cs.drops);
	buf_addf(&b, "# HELP guichet_cache_entries Answers held in the "
	    "response cache.\n# TYPE guichet_cache_entries gauge\n"
	    "guichet_cache_entries %llu\n"
	    "# HELP guichet_cache_bytes Bytes of the answers held.\n"
	    "# TYPE guichet_cache_bytes gauge\nguichet_cache_bytes %llu\n",
	    (unsigned long long)cs.entries, (unsigned long long)cs.bytes);
	fragment_stats(&fs);
	buf_addf(&b, "# HELP guichet_fragments_requests_total Lookups of "
	    "rendered rows (a report's Feature) kept for the lists, by "
	    "result.\n# TYPE guichet_fragments_requests_total counter\n"
	    "guichet_fragments_requests_total{result=\"hit\"} %llu\n"
	    "guichet_fragments_requests_total{result=\"miss\"} %llu\n"
	    "# HELP guichet_fragments_bytes Bytes of the rendered rows held.\n"
	    "# TYPE guichet_fragments_bytes gauge\nguichet_fragments_bytes "
	    "%llu\n", (unsigned long long)fs.hits,
	    (unsigned long long)fs.misses, (unsigned long long)fs.bytes);
	mailer_stats(&ms);
	buf_addf(&b, "# HELP guichet_mail_sent_total Messages the SMTP relay "
	    "accepted.\n# TYPE guichet_mail_sent_total counter\n"
	    "guichet_mail_sent_total %llu\n"
	    "# HELP guichet_mail_failures_total Failed attempts to hand a "
	    "message to the relay.\n"
	    "# TYPE guichet_mail_failures_total counter\n"
	    "guichet_mail_failures_total %llu\n"
	    "# HELP guichet_mail_suppressed_total Messages the sender did not "
	    "send (restriction, address), besides those suppressed when "
	    "queued.\n# TYPE guichet_mail_suppressed_total counter\n"
	    "guichet_mail_suppressed_total %llu\n", ms.sent, ms.failures,
	    ms.suppressed);
	reply_bytes(req, 200, CT_PROMETHEUS, b.data, b.len);
	reply_header(req, "Cache-Control", "no-store");
	buf_cleanup(&b);
	return (0);
}

static char		 openapi_etag[40];
static pthread_once_t	 openapi_once = PTHREAD_ONCE_INIT;

static void
openapi_etag_init(void)
{
	etag_of(openapi_json, openapi_json_len, openapi_etag);
}

static int
ops_openapi(struct request *req)
{
	pthread_once(&openapi_once, openapi_etag_init);
	reply_static(req, 200, CT_JSON, openapi_json, openapi_json_len);
	/* Hashed once: 270 KB per request would be a waste. */
	reply_header(req, "ETag", openapi_etag);
	reply_header(req, "Cache-Control", "public, max-age=300");
	return (0);
}

/* The module (core/module.h). */

static const struct ops_privacy_part *const privacy_parts[] = {
	&outbox_privacy, &idempotency_privacy,
};

static int
ops_privacy_export(struct db *db, const char *account, struct buf *out,
    struct privacy_portable *portable, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { account }, *v;
	size_t		 i;

	buf_addc(out, '{');
	for (i = 0; i < NELEM(privacy_parts); i++) {
		if (db_exec(db, privacy_parts[i]->export, p, &res, err) == -1)
			return (-1);
		v = db_str(res, 0, privacy_parts[i]->member);
		buf_addf(out, "%s\"%s\":%s", i > 0 ? "," : "",
		    privacy_parts[i]->member, v != NULL ? v : "[]");
		db_res_free(res);
	}
	buf_addc(out, '}');
	/* The town's messages and answers: nothing the person provided. */
	if (portable != NULL)
		buf_adds(portable->out, "{}");
	return (0);
}

static int
ops_privacy_erase(struct db *db, const char *account, const char *salt,
    json_t *erased, json_t *retained, struct db_error *err)
{
	struct db_res	*res = NULL;
	const char	*p[1] = { account }, *const *c;
	size_t		 i;
	long		 n;

	(void)salt;
	(void)retained;
	for (i = 0; i < NELEM(privacy_parts); i++) {
		if (db_exec(db, privacy_parts[i]->erase, p, &res, err) == -1)
			return (-1);
		n = db_res_affected(res);
		db_res_free(res);
		for (c = privacy_parts[i]->categories; *c != NULL; c++)
			privacy_erased_add(erased, "ops", *c, n, "delete");
	}
	return (0);
}

static int
ops_init(const struct module_env *env, char *err, size_t errlen)
{
	unsigned char	 s[OPS_SECRET_LEN], k[SHA256_LEN];
	static const char label[] = "guichet: cursor sealing key, v1";

	/* The same hooks in every mode (core/module.c checks it). */
	idempotency_init();
	if (env->mode != MODULE_SERVER)
		return (0);
	/* Every template of every module, or guichetd does not start. */
	if (mail_templates_load(env->conf->templates_dir, err, errlen) == -1 ||
	    mailer_configure(env->conf, err, errlen) == -1)
		return (-1);
	/* Every guichetd of the deployment seals cursors alike. */
	ops_instance_secret(s);
	hmac_sha256(s, sizeof(s), label, sizeof(label) - 1, k);
	seal_set_key(k);
	memset(s, 0, sizeof(s));
	memset(k, 0, sizeof(k));
	return (0);
}

static const struct module_stmts ops_stmt_table = { ops_stmts,
    NELEM(ops_stmts) };
static const struct module_stmts outbox_stmt_table = { outbox_stmts,
    OB__COUNT };
static const struct module_stmts idempotency_stmt_table = {
    idempotency_stmts, IDEMPOTENCY_NSTMTS };
static const struct module_stmts *const ops_stmt_tables[] = {
	&ops_stmt_table, &outbox_stmt_table, &idempotency_stmt_table,
	&mailer_stmt_table, NULL
};

static const struct route ops_routes[] = {
	{ .method = "GET", .pattern = "/healthz", .handler = ops_healthz,
	  .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = "/readyz", .handler = ops_readyz,
	  .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = "/metrics", .handler = ops_metrics,
	  .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = "/api/v1/openapi.json",
	  .handler = ops_openapi, .perm = PERM_PUBLIC },
	{ .method = "GET", .pattern = "/api/v1/me/notifications",
	  .handler = ops_notifications, .perm = PERM_SELF },
	/* The live stream: the hub is the http layer's (http/live.h). */
	{ .method = "GET", .pattern = "/api/v1/live",
	  .handler = live_handler, .perm = PERM_PUBLIC,
	  .flags = ROUTE_STREAM },
};

static const struct privacy_hooks ops_privacy = {
	.export = ops_privacy_export,
	.erase = ops_privacy_erase,
};

static const struct ctl_command ops_commands[] = {
	{ .name = "outbox", .run = outbox_ctl, .usage = "outbox list",
	  .help = "show the messages, oldest first: status, attempts, why "
	  "one was suppressed or failed" },
	{ .name = "outbox", .run = outbox_ctl,
	  .usage = "outbox retry ID|--failed",
	  .help = "queue a failed or suppressed message (or every failed "
	  "one) again, due now" },
};

static const char *const ops_tables[] = { "ops.schema_migrations",
    "ops.instance_secret", "ops.town", "ops.outbox", "ops.idempotency_keys",
    NULL };
/* The town (the controller of the register) and the instance's secret. */
static const char *const ops_exports[] = { "ops.town", "ops.instance_secret",
    NULL };

const struct module ops_module = {
	.name = "ops",
	.errors = ops_errors,
	.nerrors = OPS_E__COUNT,
	.init = ops_init,
	.start = mailer_start,
	.stop = mailer_stop,
	.stmts = ops_stmt_tables,
	.routes = ops_routes,
	.nroutes = NELEM(ops_routes),
	.privacy = &ops_privacy,
	.commands = ops_commands,
	.ncommands = NELEM(ops_commands),
	.tables = ops_tables,
	.exports = ops_exports,
	.openapi = "src/ops/openapi.json",
};
