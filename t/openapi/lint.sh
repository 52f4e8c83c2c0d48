#!/bin/sh
# lint.sh: lint the OpenAPI document ($GUICHET_TEST_OPENAPI, by default
# openapi.json of the build directory, assembled by tools/openapi-gen) with
# Redocly CLI (t/openapi/redocly.yaml:
# the recommended ruleset, strict), failing on any error or warning.
#
# An automake test: exit 0 pass, 77 skip, 1 fail, 99 hard error.  Redocly is
# the exact version of package-lock.json, installed by `npm ci` in t/openapi
# (tools/dev test does it); without it the test is skipped.  It runs offline.
set -u

srcdir=${GUICHET_TEST_SRCDIR:-}
if [ -z "$srcdir" ]; then
	srcdir=$(cd "$(dirname "$0")/../.." && pwd) || exit 99
fi
here=$srcdir/t/openapi
doc=${GUICHET_TEST_OPENAPI:-${GUICHET_TEST_BUILDDIR:-.}/openapi.json}
config=$here/redocly.yaml
ignore=$here/.redocly.lint-ignore.yaml
redocly=$here/node_modules/.bin/redocly

if [ ! -d "$here/node_modules" ] || [ ! -x "$redocly" ]; then
	echo "lint.sh: skipped: $here/node_modules is absent;" \
	    "run 'npm ci' in t/openapi (tools/dev test does it)"
	exit 77
fi
if ! command -v node >/dev/null 2>&1; then
	echo "lint.sh: skipped: node is not installed"
	exit 77
fi
for f in "$doc" "$config"; do
	if [ ! -r "$f" ]; then
		echo "lint.sh: $f: not readable"
		exit 99
	fi
done

# No telemetry, no update check, no colour codes in the test log.
REDOCLY_TELEMETRY=off
REDOCLY_SUPPRESS_UPDATE_NOTICE=true
NO_COLOR=1
FORCE_COLOR=0
export REDOCLY_TELEMETRY REDOCLY_SUPPRESS_UPDATE_NOTICE NO_COLOR FORCE_COLOR

out=$(mktemp) || exit 99
trap 'rm -f "$out"' EXIT
"$redocly" lint --config "$config" "$doc" >"$out" 2>&1
rc=$?
cat "$out"
if [ "$rc" -ne 0 ]; then
	echo "lint.sh: FAIL: redocly lint exited with status $rc"
	exit 1
fi
# The strict ruleset makes warnings errors; this also catches a rule that
# someone sets back to "warn".
if grep -Eq 'You have [0-9]+ warnings?' "$out"; then
	echo "lint.sh: FAIL: redocly lint reported warnings"
	exit 1
fi

# An ignored "never used" component that is now used must leave the ignore
# file, or the day it becomes unused again would go unnoticed.
stale=0
if [ -r "$ignore" ]; then
	for ref in $(sed -n "s/^ *- '\(#\/components\/[^']*\)'.*/\1/p" "$ignore"); do
		if grep -Eq "\"\\\$ref\"[[:space:]]*:[[:space:]]*\"$ref\"" "$doc"; then
			echo "lint.sh: FAIL: $ref is used now: remove it from $ignore"
			stale=1
		fi
	done
fi
[ "$stale" -eq 0 ] || exit 1
exit 0
