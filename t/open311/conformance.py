#!/usr/bin/env python3
"""conformance.py: the Open311 GeoReport v2 conformance of the answers
t/integ/t4602-open311-conformance recorded (guichet-open311(7)).

  conformance.py DIR SPEC-EXAMPLES-DIR

DIR holds manifest.json, a list of exchanges {"name", "kind", "status",
"mask"}, and for each the answers NAME.xml and NAME.json with
NAME.xml.meta and NAME.json.meta ({"status", "content_type"}).  For every
exchange, checked here (the JSON Schemas are schemas.mjs's):
  - both formats answered the status expected, with the content types
    exactly text/xml and application/json;
  - the XML is well formed, starts with the UTF-8 declaration, has no
    namespace;
  - XML and JSON hold the same data: the JSON is mapped to XML the
    spec's way (arrays as repeated singular elements, null as an empty
    element) by this script, independently of the server's writer, and
    the two trees must be equal ('mask' names the members whose values
    differ by construction, such as the ids of two POSTs);
  - codes and ids are JSON strings, timestamps carry a zone;
  - an error answer is a non-empty list of {code, description} whose
    code is the status, the spec's 400, 403, 404 or a transport status
    kept (405, 413, 414, 415, 429, 431, 501, 503), in both formats:
    also the errors raised before any Open311 handler (no such path,
    another method, a body too large or not a form, bad credentials);
  - the answer has the root, item names and every member of the spec's
    own example of its kind (spec-examples/), errors included.
Exit 0 when all hold, 1 otherwise (one line per problem).
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

PLURALS = {"services": "service", "service_requests": "request",
           "errors": "error", "endpoints": "endpoint", "formats": "format",
           "attributes": "attribute", "values": "value",
           "service_request_updates": "request_update"}
ROOTS = {"discovery": "discovery", "services": "services",
         "service_definition": "service_definition",
         "requests": "service_requests", "post": "service_requests",
         "token": "service_requests", "errors": "errors",
         "updates": "service_request_updates",
         "update_post": "service_request_updates"}
EXAMPLES = {"discovery": "xml-discovery.xml", "services":
            "xml-service-list.xml", "service_definition":
            "xml-service-definition.xml", "requests":
            "xml-service-requests.xml", "post": "xml-service-request-post.xml",
            "token": "xml-request-from-token.xml",
            "errors": "errors-403-xml.http"}
STRING_MEMBERS = {"service_code", "service_request_id", "code", "token",
                  "update_id", "key"}
TIME_MEMBERS = {"requested_datetime", "updated_datetime",
                "expected_datetime", "changeset"}
TZ = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?"
                r"(Z|[+-]\d\d:\d\d)$")
DECL = '<?xml version="1.0" encoding="utf-8"?>'
# The spec's error statuses, and the transport's own that guichet keeps
# (guichet-open311(7), ERRORS); never a 401, 422 or 500.
ERROR_STATUSES = {400, 403, 404, 405, 413, 414, 415, 429, 431, 501, 503}

problems = []


def bad(name, what):
    problems.append("%s: %s" % (name, what))


def scalar(v):
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def from_json(tag, v):
    """The XML tree the spec's mapping makes of JSON value v."""
    e = ET.Element(tag)
    if isinstance(v, dict):
        for k, m in v.items():
            e.append(from_json(k, m))
    elif isinstance(v, list):
        item = PLURALS.get(tag)
        if item is None:
            raise ValueError("an array <%s> without an item name" % tag)
        for m in v:
            e.append(from_json(item, m))
    else:
        e.text = scalar(v)
    return e


def same(a, b, path, mask, name):
    if a.tag != b.tag:
        bad(name, "%s: <%s> in XML, <%s> from JSON" % (path, a.tag, b.tag))
        return
    here = path + "/" + a.tag
    if len(a) != len(b):
        bad(name, "%s: %d children in XML, %d from JSON" % (here, len(a),
                                                            len(b)))
        return
    if len(a) == 0 and a.tag not in mask:
        ta, tb = (a.text or ""), (b.text or "")
        # Numbers: the same value, however written.
        try:
            if float(ta) == float(tb):
                ta = tb
        except ValueError:
            pass
        if ta != tb:
            bad(name, "%s: %r in XML, %r in JSON" % (here, ta, tb))
    for x, y in zip(a, b):
        same(x, y, here, mask, name)


def walk_json(v, name, key=None):
    if isinstance(v, dict):
        for k, m in v.items():
            walk_json(m, name, k)
    elif isinstance(v, list):
        for m in v:
            walk_json(m, name, key)
    else:
        if key in STRING_MEMBERS and not isinstance(v, str):
            bad(name, "%s is %r, not a string" % (key, v))
        if key in TIME_MEMBERS and v is not None and not TZ.match(str(v)):
            bad(name, "%s %r: not ISO 8601 with a zone" % (key, v))


def example(kind, specdir):
    f = EXAMPLES.get(kind)
    if f is None:
        return None
    text = open(os.path.join(specdir, f), encoding="utf-8").read()
    text = text[text.index("<?xml"):]
    return ET.fromstring(text.encode("utf-8"))


def like_example(root, ex, name):
    """Our tree has the example's root, item names and members."""
    if root.tag != ex.tag:
        bad(name, "root <%s>, the spec's example has <%s>" % (root.tag,
                                                              ex.tag))
        return

    def members(e):
        return {c.tag for c in e}

    def check(ours, theirs, path):
        want = members(theirs)
        have = members(ours)
        if not want <= have:
            bad(name, "%s lacks %s (the spec's example has them)" %
                (path, sorted(want - have)))
        for c in theirs:
            if len(c) == 0:
                continue
            mine = [o for o in ours if o.tag == c.tag]
            for o in mine[:1]:
                check(o, c, path + "/" + c.tag)

    if len(ex) > 0 and ex.tag in PLURALS:
        if len(root) == 0:
            bad(name, "an empty list: nothing to compare with the example")
            return
        for item in root:
            if item.tag != PLURALS[ex.tag]:
                bad(name, "item <%s>, not <%s>" % (item.tag,
                                                   PLURALS[ex.tag]))
        check(root[0], ex[0], ex.tag + "/" + ex[0].tag)
    else:
        check(root, ex, ex.tag)


def main():
    d, specdir = sys.argv[1], sys.argv[2]
    manifest = json.load(open(os.path.join(d, "manifest.json")))
    kinds = set()
    for x in manifest:
        name, kind = x["name"], x["kind"]
        kinds.add(kind)
        mask = set(x.get("mask", []))
        metas = {}
        for fmt, ct in (("xml", "text/xml"), ("json", "application/json")):
            m = json.load(open(os.path.join(d, name + "." + fmt + ".meta")))
            metas[fmt] = m
            if m["status"] != x["status"]:
                bad(name, "%s answered %s, not %s" % (fmt, m["status"],
                                                      x["status"]))
            if m["content_type"] != ct:
                bad(name, "%s Content-Type %r, not %r" % (fmt,
                                                          m["content_type"],
                                                          ct))
        raw = open(os.path.join(d, name + ".xml"), "rb").read()
        text = raw.decode("utf-8")
        if not text.startswith(DECL):
            bad(name, "the XML does not start with " + DECL)
        try:
            root = ET.fromstring(raw)
        except ET.ParseError as e:
            bad(name, "the XML is not well formed: %s" % e)
            continue
        if "{" in root.tag or any("{" in e.tag for e in root.iter()):
            bad(name, "a namespace in the XML")
        try:
            j = json.load(open(os.path.join(d, name + ".json"),
                               encoding="utf-8"))
        except ValueError as e:
            bad(name, "the JSON does not parse: %s" % e)
            continue
        want_root = ROOTS[kind]
        if root.tag != want_root:
            bad(name, "XML root <%s>, not <%s>" % (root.tag, want_root))
        if kind in ("discovery", "service_definition"):
            if not isinstance(j, dict):
                bad(name, "the JSON root is not an object")
        elif not isinstance(j, list):
            bad(name, "the JSON root is not an array (the spec's mapping)")
        walk_json(j, name)
        if kind == "errors":
            if x["status"] not in ERROR_STATUSES:
                bad(name, "an error answered %s: the spec's 400, 403, 404 "
                    "or a transport status %s" % (x["status"],
                                                  sorted(ERROR_STATUSES)))
            if not isinstance(j, list) or len(j) == 0:
                bad(name, "an error answer lists no error")
            for e in j if isinstance(j, list) else []:
                if set(e) != {"code", "description"}:
                    bad(name, "an error is not {code, description}: %r" % e)
                elif str(e["code"]) != str(x["status"]):
                    bad(name, "error code %s with status %s" % (e["code"],
                                                               x["status"]))
        try:
            mapped = from_json(want_root, j)
        except ValueError as e:
            bad(name, str(e))
            continue
        same(root, mapped, "", mask, name)
        ex = example(kind, specdir)
        if ex is not None:
            like_example(root, ex, name)
    for kind in EXAMPLES:
        if kind not in kinds:
            bad("manifest", "no exchange of kind %s" % kind)
    for p in problems:
        print(p)
    print("conformance.py: %d exchanges, %d problems" % (len(manifest),
                                                         len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
