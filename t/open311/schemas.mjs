// schemas.mjs: the JSON answers t/integ/t4602-open311-conformance
// recorded, checked with ajv (t/openapi/node_modules) against the Open311
// JSON Schemas of open311/schema-validation (t/data/open311/
// schema-validation: services, service, service-definition, requests,
// request).
//
//   node schemas.mjs DIR SCHEMA-DIR
//
// DIR/manifest.json lists the exchanges {"name", "kind", "status"}; the
// JSON answer of each is DIR/NAME.json.  Kinds with a schema: services,
// service_definition, requests (the single request too: a list of one),
// and errors (the spec's list of {code, description}, restated here).
// Exit 0 when every such answer is valid and each kind was seen, 1
// otherwise.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'openapi', 'package.json'));
const Ajv = require('ajv');
const addFormats = require('ajv-formats');

const [dir, schemas] = process.argv.slice(2);
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
for (const f of ['service', 'services', 'service-definition', 'request',
    'requests']) {
	ajv.addSchema(JSON.parse(readFileSync(join(schemas, f + '.json'),
	    'utf8')), f + '.json');
}
// The spec's error list (it has no schema of its own): an array of
// {code, description}, both strings, nothing else.
ajv.addSchema({ type: 'array', minItems: 1, items: { type: 'object',
    required: ['code', 'description'], additionalProperties: false,
    properties: { code: { type: 'string', pattern: '^[0-9]{3}$' },
    description: { type: 'string', minLength: 1 } } } }, 'errors.json');
const byKind = { errors: 'errors.json', services: 'services.json',
    service_definition: 'service-definition.json',
    requests: 'requests.json' };
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
let bad = 0, checked = 0;
const seen = new Set();
for (const x of manifest) {
	const id = byKind[x.kind];
	if (id === undefined || (x.status >= 300) !== (x.kind === 'errors'))
		continue;
	const body = JSON.parse(readFileSync(join(dir, x.name + '.json'),
	    'utf8'));
	const validate = ajv.getSchema(id);
	checked++;
	seen.add(x.kind);
	if (!validate(body)) {
		bad++;
		console.log(`${x.name}: not valid against ${id}: ` +
		    ajv.errorsText(validate.errors));
	}
	// Each item of a list against its own schema too (the list
	// schemas put minItems where it does nothing).
	if (Array.isArray(body) && body.length === 0) {
		bad++;
		console.log(`${x.name}: an empty list checks nothing`);
	}
}
for (const k of Object.keys(byKind)) {
	if (!seen.has(k)) {
		bad++;
		console.log(`no answer of kind ${k} was checked`);
	}
}
console.log(`schemas.mjs: ${checked} answers checked, ${bad} problems`);
process.exit(bad > 0 ? 1 : 0);
