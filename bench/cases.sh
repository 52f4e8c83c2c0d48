#!/usr/bin/env bash
# bench/cases.sh: démarches under load, with many cases in the database.
#
#   GUICHET_DATABASE='host=... dbname=... user=...' bench/cases.sh URL
#
# URL is a running guichetd on that database (the demo town loaded).
#  1. BENCH_CASES (0: keep what is there) cases exist, made by
#     bench/cases.sql with psql and generate_series (BEN-YYYY-NNNNNNN,
#     BENCH_CASES_OWNERS people); an existing set is topped up, never
#     made twice;
#  2. the agent bench-agent@bench.guichet.test (agent and supervisor of
#     services_techniques, the demo agent's password, a known TOTP secret:
#     oathtool makes its codes) signs in, and the demo resident;
#  3. R rounds (BENCH_CASES_ROUNDS, 3) of wrk -t2 -cC -dDs --latency (C:
#     BENCH_CASES_CONNECTIONS, 8; D: BENCH_CASES_DURATION, 10; each
#     figure the median of the rounds', every round's p99 shown) on: the agent's queue, its second page
#     (the open cases, sorted by deadline, through the cursor of the
#     first: filter + sort + keyset); a search for a person (a first name
#     and a name); a broad search (one name, thousands of cases; no
#     floor); and the submission of a case (POST /api/v1/cases with
#     submit: true as the demo resident: reference, acknowledgement, mail);
#  4. EXPLAIN (ANALYZE, BUFFERS) of the queue page and the search, the
#     statements of src/cases/cases_db.c (CQ_QUEUE_DUE, CQ_SEARCH_RECEIVED_
#     DESC) with the same parameters, into $BENCH_OUT/cases-explain.txt;
#  5. one line per figure, the last ones "cases-queue p99 ...",
#     "cases-search p99 ...", "cases-submit ...", which bench/run.sh
#     reports with its floors (queue p99 < 20 ms, search p99 < 50 ms).
# Exits 1 when a request fails.
set -euo pipefail

URL=${1:?usage: GUICHET_DATABASE=conninfo bench/cases.sh URL}
: "${GUICHET_DATABASE:?set GUICHET_DATABASE to the database of the server}"
N=${BENCH_CASES:-0}
OWNERS=${BENCH_CASES_OWNERS:-20000}
CONNS=${BENCH_CASES_CONNECTIONS:-8}
DURATION=${BENCH_CASES_DURATION:-10}
ROUNDS=${BENCH_CASES_ROUNDS:-3}
OUT=${BENCH_OUT:-.}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PSQL=${BENCH_PGBIN:+$BENCH_PGBIN/}psql
AGENT=bench-agent@bench.guichet.test
AGENT_PASSWORD=demo-agent-2026
AGENT_TOTP=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
RESIDENT=resident@demo.guichet.test
RESIDENT_PASSWORD=demo-resident-2026

die() { echo "bench/cases.sh: $*" >&2; exit 1; }
say() { printf '==> %s\n' "$*" >&2; }
sql() { "$PSQL" -X -qtA -v ON_ERROR_STOP=1 -d "$GUICHET_DATABASE" -c "$1"; }
command -v oathtool >/dev/null || die "oathtool is needed (apt-get install oathtool)"
mkdir -p "$OUT"

# 1. The cases.
have=$(sql "SELECT count(*) FROM cases.cases WHERE procedure_version = 1 AND legal_basis = 'bench'")
if [ "$N" -gt "$have" ]; then
	say "generating $((N - have)) cases ($have there), BENCH_CASES_OWNERS=$OWNERS"
	start=$(date +%s)
	"$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$GUICHET_DATABASE" \
	    -v from="$((have + 1))" -v n="$N" -v owners="$OWNERS" \
	    -f "$ROOT/bench/cases.sql" >/dev/null
	echo "cases-generated $((N - have)) in $(( $(date +%s) - start )) s"
fi
total=$(sql "SELECT count(*) FROM cases.cases")
echo "cases-total $total"

# 2. The agent (like the bench's other people: SQL, the demo agent's hash).
if [ -z "$(sql "SELECT id FROM identity.accounts WHERE email = '$AGENT'")" ]; then
	sql "WITH a AS (INSERT INTO identity.accounts (email, email_key,
	    email_verified_at, password_hash, display_name, locale,
	    profile_kind, status, token_version, created_at, updated_at)
	    SELECT '$AGENT', '$AGENT', now(), password_hash, 'Bench Agent',
	    'fr', 'permanent_resident', 'active', 0, now(), now()
	    FROM identity.accounts WHERE email = 'agent@demo.guichet.test'
	    RETURNING id), g AS (INSERT INTO identity.agents (account_id,
	    roles, totp_secret, totp_enrolled_at, totp_last_step, created_at)
	    SELECT id, '{agent,supervisor}', '$AGENT_TOTP', now(), -1, now()
	    FROM a RETURNING account_id)
	    INSERT INTO identity.agent_departments (account_id, department)
	    SELECT account_id, 'services_techniques' FROM g" >/dev/null
fi
token() {
	curl -fsS -X POST "$URL/api/v1/auth/token" \
	    --data-urlencode grant_type=password --data-urlencode "username=$1" \
	    --data-urlencode "password=$2" ${3:+--data-urlencode "otp=$3"} |
	    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
AT=$(token "$AGENT" "$AGENT_PASSWORD" "$(oathtool --totp -b "$AGENT_TOTP")")
[ -n "$AT" ] || die "the bench agent cannot sign in"
RT=$(token "$RESIDENT" "$RESIDENT_PASSWORD")
[ -n "$RT" ] || die "the demo resident cannot sign in"

# 3. The requests.
QUEUE="/api/v1/cases?status=submitted,in_review&sort=due&limit=20"
cursor=$(curl -fsS -H "Authorization: Bearer $AT" "$URL$QUEUE" |
    sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p')
[ -n "$cursor" ] || die "the queue has one page only: generate cases (BENCH_CASES)"
PAGE2="$QUEUE&cursor=$cursor"
SEARCH="/api/v1/cases?q=Camille%20Chevalier&sort=-received&limit=20"
BROAD="/api/v1/cases?q=chevalier&sort=-received&limit=20"
SUBMIT='{"procedure": "encombrants", "submit": true, "form": {"adresse": {"numero": 12, "nom_voie": "Route d'"'"'Italie", "code_postal": "05100", "nom_commune": "Montgenèvre"}, "objets": ["meubles"], "volume": 1, "jour": "jeudi", "telephone": "+33612345678"}}'

. "$ROOT/bench/wrk.sh"

# A warm-up of each, then the measures.
for p in "$PAGE2" "$SEARCH" "$BROAD"; do
	BENCH_METHOD= BENCH_BODY= wrk -t1 -c2 -d2s -s "$ROOT/bench/request.lua" \
	    -H "Authorization: Bearer $AT" "$URL$p" >/dev/null
done
RES=$OUT/cases-results.txt
{
	rounds "$ROUNDS" cases-queue "$PAGE2" "$AT"
	rounds "$ROUNDS" cases-search "$SEARCH" "$AT"
	rounds "$ROUNDS" cases-search-broad "$BROAD" "$AT"
	rounds "$ROUNDS" cases-submit /api/v1/cases "$RT" "$SUBMIT"
} >"$RES"
while read -r name rps p50 p99 bad p99s; do
	[ "$bad" -eq 0 ] || die "$name: $bad requests failed (see $OUT/wrk-$name-N.txt)"
	echo "$name $rps req/s p50 $p50 ms p99 $p99 ms (rounds' p99: $p99s)"
done <"$RES"

# 4. The plans, with the parameters the requests had (the cursor's key).
key=$(sql "SELECT coalesce(due_at, 'infinity')::text || '|' || id FROM (
    SELECT c.* FROM cases.cases c
    WHERE c.department = 'services_techniques'
    AND c.status IN ('submitted', 'in_review')
    ORDER BY coalesce(c.due_at, 'infinity'), c.id LIMIT 20) s
    ORDER BY coalesce(due_at, 'infinity') DESC, id DESC LIMIT 1")
"$PSQL" -X -q -d "$GUICHET_DATABASE" >"$OUT/cases-explain.txt" 2>&1 <<EOF
\echo the second page of the queue: CQ_QUEUE_DUE
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT q.* FROM unnest('{services_techniques}'::text[]) AS d(code)
CROSS JOIN unnest('{submitted,in_review}'::text[]) AS s(st)
CROSS JOIN LATERAL (SELECT c.id, c.reference, c.status,
    coalesce(c.due_at, 'infinity'::timestamptz) AS k
    FROM cases.cases c WHERE c.department = d.code AND c.status = s.st
    AND c.status <> 'draft' AND NOT privacy.is_restricted(c.owner_id)
    AND (coalesce(c.due_at, 'infinity'::timestamptz), c.id) >
    ('${key%%|*}'::timestamptz, '${key##*|}'::uuid)
    ORDER BY coalesce(c.due_at, 'infinity'::timestamptz), c.id LIMIT 21) q
ORDER BY q.k, q.id LIMIT 21;
\echo a search: CQ_SEARCH_RECEIVED_DESC
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT c.id, c.reference FROM cases.cases c
WHERE c.department = ANY ('{services_techniques}'::text[])
AND c.status = ANY ('{submitted,in_review,awaiting_information,accepted,rejected,withdrawn,closed}'::text[])
AND c.status <> 'draft' AND NOT privacy.is_restricted(c.owner_id)
AND c.search @@ websearch_to_tsquery('cases.french_unaccent', 'Camille Chevalier')
ORDER BY coalesce(c.received_at, c.created_at) DESC, c.id DESC LIMIT 21;
EOF
echo "cases-explain $OUT/cases-explain.txt"
