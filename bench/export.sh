#!/usr/bin/env bash
# bench/export.sh: how long GET /api/v1/me/export takes for a person with
# many records (the RGPD issue: "a person with 10,000 records exports in
# under a second").
#
#   GUICHET_DATABASE='host=... dbname=... user=...' bench/export.sh URL
#
# URL is a running guichetd (e.g. http://127.0.0.1:8080) on that database.
# The person bench-export@bench.guichet.test is registered the first time
# (through the API, like anyone) and given BENCH_EXPORT_RECORDS (default
# 10000) records, half consent choices, half queued messages, inserted
# with SQL (the consent ledger accepts INSERT; it refuses only UPDATE and
# DELETE); later runs reuse them (the messages are recent: the retention
# purge keeps them 3 months).  Then one warm-up export and BENCH_EXPORT_RUNS
# (default 10) timed ones with curl; prints min, median and max in
# seconds, and the size of the document.  Exits 1 when a request fails.
# bench/run.sh calls it after the throughput runs; it also runs alone.
set -euo pipefail

URL=${1:?usage: GUICHET_DATABASE=conninfo bench/export.sh URL}
: "${GUICHET_DATABASE:?set GUICHET_DATABASE to the database of the server}"
N=${BENCH_EXPORT_RECORDS:-10000}
RUNS=${BENCH_EXPORT_RUNS:-10}
PSQL=${BENCH_PGBIN:+$BENCH_PGBIN/}psql
EMAIL=bench-export@bench.guichet.test
PASSWORD=Bench-Export-Passphrase-2026

die() { echo "bench/export.sh: $*" >&2; exit 1; }
sql() { "$PSQL" -X -qtA -v ON_ERROR_STOP=1 -d "$GUICHET_DATABASE" -c "$1"; }

ID=$(sql "SELECT id FROM identity.accounts WHERE lower(email) = '$EMAIL'")
if [ -z "$ID" ]; then
	code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' "$URL/api/v1/accounts" \
	    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\
\"display_name\":\"Bench Export\",\"profile_kind\":\"permanent_resident\"}")
	[ "$code" = 201 ] || die "registration: HTTP $code"
	ID=$(sql "SELECT id FROM identity.accounts WHERE lower(email) = '$EMAIL'")
	[ -n "$ID" ] || die "the account is not in GUICHET_DATABASE: is it the server's?"
fi

# Top the records up to N: N/2 consent choices, the rest messages.
NL=$((N / 2))
NO=$((N - NL))
have=$(sql "SELECT count(*) FROM privacy.consent_ledger WHERE account_id = '$ID'")
if [ "$have" -lt "$NL" ]; then
	sql "INSERT INTO privacy.consent_ledger (account_id, purpose,
	    purpose_version, action, channel, at)
	    SELECT '$ID', p.code, p.version,
	    CASE WHEN g % 2 = 0 THEN 'given' ELSE 'withdrawn' END, 'web',
	    '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 minute'
	    FROM privacy.purposes p, generate_series($have + 1, $NL) g
	    WHERE p.code = (SELECT code FROM privacy.purposes WHERE optional
	    ORDER BY code LIMIT 1)" >/dev/null
fi
have=$(sql "SELECT count(*) FROM ops.outbox WHERE account_id = '$ID'")
if [ "$have" -lt "$NO" ]; then
	sql "INSERT INTO ops.outbox (account_id, recipient, template, locale,
	    payload, created_at, sent_at)
	    SELECT '$ID', '$EMAIL', 'case_update', 'fr',
	    jsonb_build_object('case', 'B-' || g, 'status', 'received'),
	    now() - g * interval '1 second', now() - g * interval '1 second'
	    FROM generate_series($have + 1, $NO) g" >/dev/null
fi
RECORDS=$(sql "SELECT (SELECT count(*) FROM privacy.consent_ledger
    WHERE account_id = '$ID') + (SELECT count(*) FROM ops.outbox
    WHERE account_id = '$ID')")

TOKEN=$(curl -fsS -X POST "$URL/api/v1/auth/token" \
    --data-urlencode grant_type=password \
    --data-urlencode "username=$EMAIL" \
    --data-urlencode "password=$PASSWORD" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ] || die "no token for $EMAIL"

export_once() {
	curl -sS -o /dev/null -w '%{http_code} %{time_total} %{size_download}\n' \
	    -H "Authorization: Bearer $TOKEN" "$URL/api/v1/me/export"
}

export_once >/dev/null	# warm-up: statements prepared, caches filled
TIMES=$(mktemp)
trap 'rm -f "$TIMES"' EXIT
for _ in $(seq "$RUNS"); do
	read -r code secs size < <(export_once)
	[ "$code" = 200 ] || die "GET /api/v1/me/export: HTTP $code"
	echo "$secs" >>"$TIMES"
done
sort -n "$TIMES" | awk -v records="$RECORDS" -v size="$size" -v runs="$RUNS" '
	{ t[NR] = $1 }
	END {
		med = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
		printf "export: %d records, %d bytes, %d runs: " \
		    "min %.3f s, median %.3f s, max %.3f s\n",
		    records, size, runs, t[1], med, t[NR]
	}'
