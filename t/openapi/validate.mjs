// validate.mjs: every response the integration tests received, checked
// against the OpenAPI document.  Run by responses.sh (an automake test);
// alone: node validate.mjs [RESPONSES-DIR].
//
// Input: the JSON Lines files of RESPONSES-DIR (default
// $GUICHET_TEST_BUILDDIR/t/responses), one exchange a line, as
// t/integ/record.c writes them; the assembled document at
// $GUICHET_TEST_OPENAPI, or else $GUICHET_TEST_BUILDDIR/openapi.json (what
// tools/openapi-gen writes in the build tree); the known gaps in
// known-gaps.json beside this script.
//
// Matching rules, in order:
//  1. The path template.  The recorded path (without its query, as sent)
//     is matched against every key of `paths`, a `{name}` standing for one
//     non-empty segment without '/'; when several match, the one with the
//     fewest parameters wins (OpenAPI: concrete paths first), then the
//     longest.
//  2. The operation: the method's, HEAD taking GET's (a HEAD answer is
//     checked as the GET answer without a body).
//     A path that matches no template, or a method its path does not have,
//     is not a hole in the document: the document describes those answers
//     once, for every path, in its root extension `x-guichet-common`:
//     `unknown-path` (the router's 404 for a path that matches no
//     template) and `unknown-method` (its 405 with Allow).  Those
//     responses objects stand in for the operation's.
//  3. The response object: the exact status ("404"), else its range
//     ("4XX"), else "default".  None: the status is undocumented.
//  4. Headers.  The headers a response may carry are those its response
//     object declares, those `x-guichet-common.headers` declares for every
//     response, and HTTP's own framing (Date, Content-Type, Content-Length,
//     Transfer-Encoding, Connection, Keep-Alive); any other is
//     undocumented.  Every declared header marked `required` must be there
//     (names compared case-insensitively), and every declared header
//     present must match its schema (integers parsed from the text).
//  5. The body.  A HEAD answer has none; any other answer has one when,
//     and only when, its response object has `content` (a 204 or a 304
//     has none).  The response's Content-Type, parameters such as charset
//     ignored, must equal a key of `content` (parameters ignored there
//     too; `type/*` and `*/*` match as ranges).  A JSON media type
//     (application/json, application/*+json) is parsed and checked
//     against its schema with ajv (JSON Schema 2020-12, ajv-formats; the
//     document is added whole under an $id, so that `#/components/...`
//     references resolve; formats ajv does not know, OpenAPI's `binary`
//     and `password` and ours, are annotations only).  A `date-time` is
//     the API's one form of a time, RFC 3339 in UTC to the second
//     (`2026-12-20T08:30:00Z`, json_set_time()): a fraction of a second or
//     an offset is a body violation, though RFC 3339 allows them.
//     Other media types are checked when their schema is a string schema.
//
// Self-test: `node validate.mjs --self-test selftest.jsonl` checks lines
// written to break one rule each: each must give exactly the kind of
// violation its "expect" member names (null: none), so that a check that
// stopped seeing something fails the suite (responses.sh runs it first).
//
// Exchanges a test marked "unchecked" (harness_unchecked(), with a
// reason) are counted and listed, not checked.  A violation listed in
// known-gaps.json (method, template, status and, when given, the kind of
// violation) is reported as known and does not fail; every other one
// does.  Output: one line per distinct violation (method, template,
// status, kind, what, the first example's path and test), the known gaps
// seen and not seen, then totals.  Exit 0 when every violation is a known
// gap, 1 otherwise, 99 when the input is unusable.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const here = dirname(fileURLToPath(import.meta.url));
const DOC_ID = 'https://guichet.invalid/openapi.json';
const UNMATCHED = '(no template)';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch',
  'trace'];

function die(msg) {
  console.error(`validate.mjs: ${msg}`);
  process.exit(99);
}

function env(name) {
  const v = process.env[name];
  return v !== undefined && v !== '' ? v : null;
}

const docPath = env('GUICHET_TEST_OPENAPI') ??
  (env('GUICHET_TEST_BUILDDIR') !== null ?
    join(env('GUICHET_TEST_BUILDDIR'), 'openapi.json') : null);
if (docPath === null)
  die('no document: set GUICHET_TEST_OPENAPI to the assembled ' +
    'openapi.json, or GUICHET_TEST_BUILDDIR to the build tree holding it');
const selfTest = process.argv[2] === '--self-test' ? process.argv[3] : null;
const dir = selfTest !== null ? null : process.argv[2] ??
  (env('GUICHET_TEST_BUILDDIR') !== null ?
    join(env('GUICHET_TEST_BUILDDIR'), 't/responses') : null);
if (dir === null && (selfTest === null || selfTest === undefined))
  die('usage: node validate.mjs [RESPONSES-DIR | --self-test FILE] ' +
    '(RESPONSES-DIR: $GUICHET_TEST_BUILDDIR/t/responses)');

let doc, gaps;
try {
  doc = JSON.parse(readFileSync(docPath, 'utf8'));
} catch (e) {
  die(`${docPath}: ${e.message}`);
}
try {
  gaps = JSON.parse(readFileSync(join(here, 'known-gaps.json'), 'utf8'));
} catch (e) {
  die(`known-gaps.json: ${e.message}`);
}
if (!Array.isArray(gaps))
  die('known-gaps.json: not an array');
for (const g of gaps)
  if (typeof g.method !== 'string' || typeof g.path !== 'string' ||
      typeof g.status !== 'number' || typeof g.reason !== 'string' ||
      g.reason === '')
    die(`known-gaps.json: an entry needs method, path, status and a reason: ` +
      JSON.stringify(g));

// The document, whole, as one schema: references into it resolve.
const ajv = new Ajv2020({ strict: false, allErrors: true,
  validateFormats: true });
addFormats(ajv);
// The API's one precision of a time: to the second, in UTC (see the head
// comment); ajv-formats' date-time would take any RFC 3339 time.
const SECOND_UTC = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$/;
ajv.addFormat('date-time', {
  type: 'string',
  validate: (s) => {
    const m = SECOND_UTC.exec(s);
    if (m === null)
      return false;
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1,
      Number(m[3])));
    return d.getUTCFullYear() === Number(m[1]) &&
      d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
  },
});
for (const f of ['binary', 'password', 'guichet-export'])
  ajv.addFormat(f, true);
// RFC 6531 addresses (a Unicode local part or domain): one @, no space.
ajv.addFormat('idn-email', /^[^\s@]+@[^\s@.][^\s@]*\.[^\s@]+$/u);
ajv.addSchema({ ...doc, $id: DOC_ID });

// JSON Pointer of a path in the document.
function pointer(parts) {
  return '#/' + parts.map((p) => String(p).replaceAll('~', '~0')
    .replaceAll('/', '~1')).join('/');
}

// Follow a $ref inside the document (components).
function deref(obj) {
  let guard = 0;
  while (obj && typeof obj.$ref === 'string' && guard++ < 16) {
    const ref = obj.$ref;
    if (!ref.startsWith('#/'))
      die(`external $ref not supported: ${ref}`);
    obj = ref.slice(2).split('/').reduce((o, k) =>
      o?.[k.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
    if (obj === undefined)
      die(`unresolved $ref ${ref}`);
  }
  return obj;
}

// Path templates, most specific first.
const templates = Object.keys(doc.paths ?? {}).map((t) => {
  const params = (t.match(/\{[^}]+\}/g) ?? []).length;
  const re = new RegExp('^' + t.split(/(\{[^}]+\})/).map((part) =>
    part.startsWith('{') ? '[^/]+' :
      part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('') + '$');
  return { t, re, params, literal: t.replace(/\{[^}]+\}/g, '').length };
}).sort((a, b) => a.params - b.params || b.literal - a.literal);

function template(path) {
  for (const x of templates)
    if (x.re.test(path))
      return x.t;
  return null;
}

const common = doc['x-guichet-common'] ?? {};
const FRAMING = new Set(['date', 'content-type', 'content-length',
  'transfer-encoding', 'connection', 'keep-alive']);

// [responses object, JSON pointer parts of it] of an exchange.
function responsesOf(tpl, method) {
  if (tpl === null)
    return [common['unknown-path'], ['x-guichet-common', 'unknown-path']];
  const m = method === 'head' ? 'get' : method;
  const item = doc.paths[tpl];
  if (METHODS.includes(m) && item[m] !== undefined)
    return [item[m].responses, ['paths', tpl, m, 'responses']];
  return [common['unknown-method'], ['x-guichet-common', 'unknown-method']];
}

function responseOf(responses, base, status) {
  if (responses === undefined)
    return [null, null];
  for (const key of [String(status), `${String(status)[0]}XX`, 'default'])
    if (responses[key] !== undefined) {
      let parts = [...base, key];
      const r = responses[key];
      // A response $ref: schemas are then addressed in the component.
      if (typeof r.$ref === 'string')
        parts = r.$ref.slice(2).split('/').map((k) =>
          k.replaceAll('~1', '/').replaceAll('~0', '~'));
      return [deref(r), parts];
    }
  return [null, null];
}

const bare = (mt) => mt.split(';')[0].trim().toLowerCase();
const isJson = (mt) => mt === 'application/json' ||
  /^application\/[^;]*\+json$/.test(mt);

function mediaKey(content, mt) {
  const keys = Object.keys(content);
  for (const k of keys)
    if (bare(k) === mt)
      return k;
  for (const k of keys) {
    const b = bare(k);
    if (b === '*/*' || (b.endsWith('/*') && mt.startsWith(b.slice(0, -1))))
      return k;
  }
  return null;
}

// Compiled validators, one per schema location.
const compiled = new Map();
function validator(parts) {
  const ref = DOC_ID + pointer(parts);
  let v = compiled.get(ref);
  if (v === undefined) {
    try {
      v = ajv.compile({ $ref: ref });
    } catch (e) {
      die(`cannot compile the schema at ${pointer(parts)}: ${e.message}`);
    }
    compiled.set(ref, v);
  }
  return v;
}

function header(x, name) {
  const v = x.headers?.[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function schemaErrors(v) {
  return v.errors.slice(0, 3).map((e) =>
    `${e.instancePath.replace(/\/\d+(?=\/|$)/g, '/*') || '/'} ${e.message}` +
    (e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : '') +
    (e.params?.missingProperty ? '' : '')).join('; ');
}

// A header's value against its schema (at 'sp'), numbers parsed.
function checkHeader(out, name, value, h, sp) {
  const type = deref(h.schema).type;
  const val = type === 'integer' || type === 'number' ?
    (/^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value) : value;
  const v = validator(sp);
  if (!v(val))
    out.push([`header:${name.toLowerCase()}`,
      `${name}: ${JSON.stringify(value)}: ${schemaErrors(v)}`]);
}

// The violations of one exchange: [kind, what], each once.
function check(x, tpl) {
  const seen = new Set();
  return checkAll(x, tpl).filter(([kind, what]) => {
    const k = `${kind}\u0000${what}`;
    return seen.has(k) ? false : seen.add(k);
  });
}

function checkAll(x, tpl) {
  const out = [];
  const method = x.method.toLowerCase();
  const [responses, base] = responsesOf(tpl, method);
  const [resp, parts] = responseOf(responses, base ?? [], x.status);
  if (resp === null) {
    out.push(['status', `status ${x.status} is not documented` +
      (responses === undefined ? ' (no operation)' : '')]);
    return out;
  }
  const declared = new Set();
  const headerSets = [[common.headers ?? {}, ['x-guichet-common', 'headers']],
    [resp.headers ?? {}, parts.concat(['headers'])]];
  for (const [set, at] of headerSets)
    for (const [name, h0] of Object.entries(set)) {
      declared.add(name.toLowerCase());
      const h = deref(h0);
      const value = header(x, name);
      if (value === undefined) {
        if (h.required === true)
          out.push([`header:${name.toLowerCase()}`, `no ${name} header`]);
        continue;
      }
      if (h.schema !== undefined)
        checkHeader(out, name, value, h, h0.$ref !== undefined ?
          h0.$ref.slice(2).split('/').concat(['schema']) :
          at.concat([name, 'schema']));
    }
  for (const name of Object.keys(x.headers ?? {}))
    if (!declared.has(name) && !FRAMING.has(name))
      out.push([`header:${name}`, `${name} is not documented`]);
  const hasBody = x.body !== undefined ? x.body.length > 0 :
    (x.body_base64 ?? '').length > 0;
  if (method === 'head' || !hasBody) {
    if (method === 'head' && hasBody)
      out.push(['body', 'a HEAD answer with a body']);
    else if (method !== 'head' && resp.content !== undefined &&
        Object.keys(resp.content).length > 0)
      out.push(['body', 'no body where the document has one']);
    return out;
  }
  if (resp.content === undefined) {
    out.push(['media-type', 'a body where the document has none']);
    return out;
  }
  const ct = header(x, 'content-type');
  if (ct === undefined) {
    out.push(['media-type', 'a body without Content-Type']);
    return out;
  }
  const mt = bare(ct);
  const key = mediaKey(resp.content, mt);
  if (key === null) {
    out.push(['media-type', `${mt} is not documented (` +
      Object.keys(resp.content).map(bare).join(', ') + ')']);
    return out;
  }
  const media = resp.content[key];
  if (media.schema === undefined)
    return out;
  const sp = parts.concat(['content', key, 'schema']);
  if (isJson(mt)) {
    let body;
    try {
      body = JSON.parse(x.body ?? '');
    } catch {
      out.push(['body', `${mt} body is not JSON`]);
      return out;
    }
    const v = validator(sp);
    if (!v(body))
      out.push(['body', schemaErrors(v)]);
  } else if (deref(media.schema).type === 'string' && x.body !== undefined) {
    const v = validator(sp);
    if (!v(x.body))
      out.push(['body', schemaErrors(v)]);
  }
  return out;
}

function lines(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    die(`${file}: ${e.message}`);
  }
  return text.split('\n').map((line, i) => {
    if (line === '')
      return null;
    try {
      return JSON.parse(line);
    } catch (e) {
      die(`${file}:${i + 1}: ${e.message}`);
    }
  }).filter((x) => x !== null);
}

if (selfTest !== null) {
  let bad = 0, n = 0;
  for (const x of lines(selfTest)) {
    const got = check(x, template(x.path)).map(([kind]) => kind);
    const want = x.expect === null ? [] : [x.expect];
    n++;
    if (got.join() !== want.join()) {
      bad++;
      console.log(`SELF-TEST FAILED: ${x.method} ${x.path} ${x.status} ` +
        `(${x.why}): expected [${want}], got [${got}]`);
    }
  }
  console.log(`self-test: ${n} exchanges, ${bad} not judged as expected`);
  process.exit(bad === 0 && n > 0 ? 0 : 1);
}

// Read every line.
let files;
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
} catch (e) {
  die(`${dir}: ${e.message}`);
}
if (files.length === 0)
  die(`no recorded responses in ${dir}: run the integration tests first`);

const t0 = Date.now();
const seen = new Map();		// violation key -> {count, first, ...}
const unchecked = new Map();	// reason -> count
const perTest = new Map();
let total = 0;
for (const f of files) {
  for (const x of lines(join(dir, f))) {
    total++;
    perTest.set(x.test, (perTest.get(x.test) ?? 0) + 1);
    if (typeof x.unchecked === 'string') {
      const k = `${x.unchecked} (${x.test})`;
      unchecked.set(k, (unchecked.get(k) ?? 0) + 1);
      continue;
    }
    const tpl = template(x.path);
    for (const [kind, what] of check(x, tpl)) {
      const key = [x.method, tpl ?? UNMATCHED, x.status, kind, what]
        .join('\u0000');
      const s = seen.get(key);
      if (s !== undefined)
        s.count++;
      else
        seen.set(key, { method: x.method, tpl: tpl ?? UNMATCHED,
          status: x.status, kind, what, count: 1,
          example: x.path + (typeof x.query === 'string' ? '?' + x.query : ''),
          test: x.test + (x.case ? ':' + x.case : '') });
    }
  }
}

function gapOf(v) {
  return gaps.find((g) => g.method === v.method && g.path === v.tpl &&
    g.status === v.status && (g.what === undefined || g.what === v.kind));
}

const failing = [];
const known = [];
const used = new Set();
for (const v of seen.values()) {
  const g = gapOf(v);
  if (g !== undefined) {
    used.add(g);
    known.push(v);
  } else
    failing.push(v);
}

const show = (v) => `${v.method} ${v.tpl} ${v.status} [${v.kind}] ${v.what}` +
  ` -- ${v.count}x, e.g. ${v.example} (${v.test})`;
for (const v of failing)
  console.log(`VIOLATION: ${show(v)}`);
for (const v of known)
  console.log(`known gap: ${show(v)}`);
for (const g of gaps)
  if (!used.has(g))
    console.log(`known gap not seen (remove it?): ${g.method} ${g.path} ` +
      `${g.status}${g.what ? ' [' + g.what + ']' : ''}`);
for (const [reason, n] of unchecked)
  console.log(`unchecked: ${n}x: ${reason}`);
const count = (list) => list.reduce((a, v) => a + v.count, 0);
console.log(`${total} exchanges from ${files.length} programs checked ` +
  `against ${docPath} in ${Date.now() - t0} ms: ` +
  `${failing.length} violations (${count(failing)} exchanges), ` +
  `${known.length} known gaps (${count(known)} exchanges), ` +
  `${[...unchecked.values()].reduce((a, n) => a + n, 0)} unchecked`);
process.exit(failing.length === 0 ? 0 : 1);
