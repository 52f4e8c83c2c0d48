/*
 * export.h: access and portability (Art. 15 and 20 RGPD).
 *
 * One document per person: the Art. 15 information (purposes, categories,
 * recipients, retention, source, rights, complaint), then "data", one
 * member per module with privacy hooks (core/module.h), then
 * "portable", the part the person provided under consent or contract.
 * The document is produced while it is sent: the modules' export hooks
 * run one after the other, so memory holds one section at a time.  Its
 * JSON Schema is made at build from the modules' OpenAPI schemas
 * (Export<Module>) and served at EXPORT_SCHEMA_PATH.
 *
 * Invariants:
 *  - nothing is decided after the first byte is sent except a database
 *    failure, which cuts the transfer (a truncated document never parses);
 *  - secrets are never exported (password hash, TOTP secret, token hashes,
 *    the links with tokens of queued messages): the document says they
 *    exist, without their value;
 *  - the HTML form carries the same content, every text escaped.
 */
#ifndef GUICHET_PRIVACY_EXPORT_H
#define GUICHET_PRIVACY_EXPORT_H

#include <stdio.h>

struct conf;
struct db;
struct db_error;
struct request;

/* The public URL; once, at start-up. */
void	 privacy_export_init(const struct conf *);

/* Where the export's JSON Schema is served (its "$schema"). */
#define EXPORT_SCHEMA_PATH	"/api/v1/privacy/export-schema.json"
/* That schema, made at build by tools/openapi-gen (libguichet_doc.a). */
extern const char	export_schema_json[];
extern const size_t	export_schema_json_len;

/* Handlers (route table). */
int	 privacy_export_schema(struct request *);	/* PERM_PUBLIC */
int	 privacy_export_me(struct request *);		/* PERM_SELF */
int	 privacy_export_subject(struct request *);	/* PERM_DPO */

/*
 * The JSON document of 'account' in 'lang' ("fr", "en", "it"; NULL: the
 * account's own) to 'f' (guichetctl privacy export).  0, 1 when there is
 * no such account, -1 on a database or write failure (said on stderr).
 */
int	 privacy_export_to_file(struct db *, const char *, const char *,
	    FILE *);

#endif
