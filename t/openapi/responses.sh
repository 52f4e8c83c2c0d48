#!/bin/sh
# responses.sh: every response the integration tests received obeys the
# OpenAPI document (status, media type, headers, body schema).
#
# An automake test, run after every integration test (Makefile.am orders
# it): exit 0 pass, 77 skip, 1 fail, 99 hard error.  The tests' harness
# records each exchange in $GUICHET_TEST_BUILDDIR/t/responses/*.jsonl
# (t/integ/record.c); validate.mjs, with the exact ajv of package-lock.json
# (`npm ci` in t/openapi; tools/dev test does it), first proves on
# selftest.jsonl that it still sees each kind of violation, then checks
# every recorded exchange.  Its head comment has the matching rules;
# known-gaps.json lists the violations tolerated for now, each with why.
# Without node, the packages or any record (no database: the integration
# tests skipped), the test is skipped.
set -u

srcdir=${GUICHET_TEST_SRCDIR:-}
if [ -z "$srcdir" ]; then
	srcdir=$(cd "$(dirname "$0")/../.." && pwd) || exit 99
fi
here=$srcdir/t/openapi
builddir=${GUICHET_TEST_BUILDDIR:-.}
records=$builddir/t/responses

if ! command -v node >/dev/null 2>&1; then
	echo "responses.sh: skipped: node is not installed"
	exit 77
fi
if [ ! -d "$here/node_modules/ajv" ] ||
    [ ! -d "$here/node_modules/ajv-formats" ]; then
	echo "responses.sh: skipped: $here/node_modules is absent;" \
	    "run 'npm ci' in t/openapi (tools/dev test does it)"
	exit 77
fi
if [ -z "$(find "$records" -name '*.jsonl' -size +0c 2>/dev/null |
    head -n 1)" ]; then
	echo "responses.sh: skipped: no recorded responses in $records" \
	    "(the integration tests need GUICHET_TEST_DATABASE)"
	exit 77
fi

node "$here/validate.mjs" --self-test "$here/selftest.jsonl" || exit 1
node "$here/validate.mjs" "$records"
