#!/usr/bin/env bash
# bench/erase.sh: how long DELETE /api/v1/me (erasure, Art. 17) takes for a
# person with many records.
#
#   GUICHET_DATABASE='host=... dbname=... user=...' bench/erase.sh URL
#
# For each of BENCH_ERASE_RUNS (default 3) fresh people: register through
# the API, give them BENCH_ERASE_RECORDS (default 10000) records with SQL
# (half consent choices, half messages), sign in, then time the erasure
# with curl (the re-authentication's argon2id is part of the time, as a
# person would see it).  Prints min, median and max in seconds.  Exits 1
# when a request fails.  bench/run.sh calls it; it also runs alone.
set -euo pipefail

URL=${1:?usage: GUICHET_DATABASE=conninfo bench/erase.sh URL}
: "${GUICHET_DATABASE:?set GUICHET_DATABASE to the database of the server}"
N=${BENCH_ERASE_RECORDS:-10000}
RUNS=${BENCH_ERASE_RUNS:-3}
PSQL=${BENCH_PGBIN:+$BENCH_PGBIN/}psql
PASSWORD=Bench-Erase-Passphrase-2026

die() { echo "bench/erase.sh: $*" >&2; exit 1; }
sql() { "$PSQL" -X -qtA -v ON_ERROR_STOP=1 -d "$GUICHET_DATABASE" -c "$1"; }

TIMES=$(mktemp)
trap 'rm -f "$TIMES"' EXIT
for run in $(seq "$RUNS"); do
	email="bench-erase-$$-$run-$(date +%s%N)@bench.guichet.test"
	code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' "$URL/api/v1/accounts" \
	    -d "{\"email\":\"$email\",\"password\":\"$PASSWORD\",\
\"display_name\":\"Bench Erase\",\"profile_kind\":\"permanent_resident\"}")
	[ "$code" = 201 ] || die "registration: HTTP $code"
	id=$(sql "SELECT id FROM identity.accounts WHERE lower(email) = '$email'")
	[ -n "$id" ] || die "the account is not in GUICHET_DATABASE"
	nl=$((N / 2))
	sql "INSERT INTO privacy.consent_ledger (account_id, purpose,
	    purpose_version, action, channel, at)
	    SELECT '$id', p.code, p.version,
	    CASE WHEN g % 2 = 0 THEN 'given' ELSE 'withdrawn' END, 'web',
	    '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 minute'
	    FROM privacy.purposes p, generate_series(1, $nl) g
	    WHERE p.code = (SELECT code FROM privacy.purposes WHERE optional
	    ORDER BY code LIMIT 1)" >/dev/null
	sql "INSERT INTO ops.outbox (account_id, recipient, template, locale,
	    payload, created_at)
	    SELECT '$id', '$email', 'case_update', 'fr',
	    jsonb_build_object('case', 'B-' || g, 'status', 'received'),
	    now() - g * interval '1 second'
	    FROM generate_series(1, $((N - nl))) g" >/dev/null
	token=$(curl -fsS -X POST "$URL/api/v1/auth/token" \
	    --data-urlencode grant_type=password \
	    --data-urlencode "username=$email" \
	    --data-urlencode "password=$PASSWORD" |
	    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
	[ -n "$token" ] || die "no token for $email"
	read -r code secs < <(curl -sS -o /dev/null \
	    -w '%{http_code} %{time_total}\n' -X DELETE \
	    -H "Authorization: Bearer $token" \
	    -H 'Content-Type: application/json' \
	    -d "{\"password\":\"$PASSWORD\"}" "$URL/api/v1/me")
	[ "$code" = 200 ] || die "DELETE /api/v1/me: HTTP $code"
	echo "$secs" >>"$TIMES"
done
sort -n "$TIMES" | awk -v records="$N" -v runs="$RUNS" '
	{ t[NR] = $1 }
	END {
		med = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
		printf "erasure: %d records, %d people: " \
		    "min %.3f s, median %.3f s, max %.3f s\n",
		    records, runs, t[1], med, t[NR]
	}'
