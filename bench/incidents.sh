#!/usr/bin/env bash
# bench/incidents.sh: the public map and submissions of signalements, with
# many reports in the database.
#
#   GUICHET_DATABASE='host=... dbname=... user=...' bench/incidents.sh URL
#
# URL is a running guichetd on that database (the demo town loaded).
#  1. BENCH_INCIDENTS (0: keep what is there) reports exist, made by
#     bench/incidents.sql with psql and generate_series; an existing set
#     is topped up, never made twice; the reports earlier runs submitted
#     are deleted first (they would slow each run's duplicate search);
#  2. R rounds (BENCH_INCIDENTS_ROUNDS, 3) of wrk -t2 -cC -dDs --latency
#     (C: BENCH_INCIDENTS_CONNECTIONS, 4; D: BENCH_INCIDENTS_DURATION, 10;
#     each figure the median of the rounds') on: the public map of a town-sized box
#     (the village, about 2 x 1.5 km) of open reports, the same box with
#     every state (the 1000 newest), and the submission of a report
#     (POST /api/v1/incidents as the demo resident: area check, insert,
#     history, duplicate search); and Open311's GET requests (the
#     default window: the last 90 days, the 1000 newest; and the open
#     ones in XML), guichet-open311(7);
#  3. EXPLAIN (ANALYZE, BUFFERS) of the map's statement (IQ_MAP) and of
#     the duplicate search (IQ_DUPLICATES) into
#     $BENCH_OUT/incidents-explain.txt: both go through the one GiST index;
#  4. one line per figure: "incidents-map-open p99 ...", "incidents-map-all
#     ...", "incidents-submit ... req/s", "open311-requests ...",
#     "open311-requests-open-xml ...", which bench/run.sh reports and holds
#     to a p99 under 20 ms (the maps and Open311's requests).
# Exits 1 when a request fails.
set -euo pipefail

URL=${1:?usage: GUICHET_DATABASE=conninfo bench/incidents.sh URL}
: "${GUICHET_DATABASE:?set GUICHET_DATABASE to the database of the server}"
N=${BENCH_INCIDENTS:-0}
CONNS=${BENCH_INCIDENTS_CONNECTIONS:-4}
DURATION=${BENCH_INCIDENTS_DURATION:-10}
ROUNDS=${BENCH_INCIDENTS_ROUNDS:-3}
OUT=${BENCH_OUT:-.}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PSQL=${BENCH_PGBIN:+$BENCH_PGBIN/}psql
RESIDENT=resident@demo.guichet.test
RESIDENT_PASSWORD=demo-resident-2026
# The village: a town-sized box.
BBOX=6.705,44.925,6.735,44.940

die() { echo "bench/incidents.sh: $*" >&2; exit 1; }
say() { printf '==> %s\n' "$*" >&2; }
sql() { "$PSQL" -X -qtA -v ON_ERROR_STOP=1 -d "$GUICHET_DATABASE" -c "$1"; }
mkdir -p "$OUT"

# 1. The reports.
have=$(sql "SELECT count(*) FROM incidents.reports WHERE description LIKE 'bench %'")
if [ "$N" -gt "$have" ]; then
	say "generating $((N - have)) reports ($have there)"
	start=$(date +%s)
	"$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$GUICHET_DATABASE" \
	    -v from="$((have + 1))" -v n="$N" \
	    -f "$ROOT/bench/incidents.sql" >/dev/null
	echo "incidents-generated $((N - have)) in $(( $(date +%s) - start )) s"
fi
# The submissions of earlier runs, all at the same spot, would make each
# run's duplicate search slower than the last: closed, they still lay in
# the GiST index that search walks (32,737 of them after some fifty runs:
# 74 submissions a second instead of 229).  They are the bench's own
# rows: deleted.
sql "DELETE FROM incidents.reports WHERE description = 'bench: trou devant la boulangerie'" >/dev/null
# Every run starts from the table autovacuum leaves (incidents.reports
# vacuums after 1 % of its rows changed, sql/035): the map's statement
# reads its index alone where the visibility map says a page holds no
# change since.
sql "VACUUM (ANALYZE) incidents.reports" >/dev/null
echo "incidents-total $(sql "SELECT count(*) FROM incidents.reports")"
echo "incidents-in-box $(sql "SELECT count(*) FROM incidents.reports r WHERE r.position && ST_MakeEnvelope($BBOX, 4326)::geography")"

RT=$(curl -fsS -X POST "$URL/api/v1/auth/token" \
    --data-urlencode grant_type=password \
    --data-urlencode "username=$RESIDENT" \
    --data-urlencode "password=$RESIDENT_PASSWORD" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$RT" ] || die "the demo resident cannot sign in"

. "$ROOT/bench/wrk.sh"

OPEN="/api/v1/incidents?bbox=$BBOX&status=open"
ALL="/api/v1/incidents?bbox=$BBOX"
SUBMIT='{"category": "pothole", "description": "bench: trou devant la boulangerie", "lat": 44.9316, "lon": 6.7219}'
O311="/open311/v2/requests.json"
O311_OPEN="/open311/v2/requests.xml?status=open"
for p in "$OPEN" "$ALL" "$O311" "$O311_OPEN"; do
	BENCH_METHOD= BENCH_BODY= wrk -t1 -c2 -d2s -s "$ROOT/bench/request.lua" \
	    "$URL$p" >/dev/null
done
RES=$OUT/incidents-results.txt
{
	rounds "$ROUNDS" incidents-map-open "$OPEN" ""
	rounds "$ROUNDS" incidents-map-all "$ALL" ""
	rounds "$ROUNDS" incidents-submit /api/v1/incidents "$RT" "$SUBMIT"
	rounds "$ROUNDS" open311-requests "$O311" ""
	rounds "$ROUNDS" open311-requests-open-xml "$O311_OPEN" ""
} >"$RES"
while read -r name rps p50 p99 bad p99s; do
	[ "$bad" -eq 0 ] || die "$name: $bad requests failed (see $OUT/wrk-$name-*.txt)"
	echo "$name $rps req/s p50 $p50 ms p99 $p99 ms (rounds' p99: $p99s)"
done <"$RES"

# 3. The plans.
"$PSQL" -X -q -d "$GUICHET_DATABASE" >"$OUT/incidents-explain.txt" 2>&1 <<SQL
\echo the map: IQ_MAP
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT r.id, r.status FROM incidents.reports r
WHERE r.position && ST_MakeEnvelope($BBOX, 4326)::geography
AND r.status = 'open' ORDER BY r.updated_at DESC, r.id LIMIT 1000;
\echo the duplicates: IQ_DUPLICATES
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT r.id FROM incidents.reports r
WHERE r.category = 'pothole' AND r.status IN ('open', 'acknowledged', 'in_progress')
AND ST_DWithin(r.position, ST_SetSRID(ST_MakePoint(6.7219, 44.9316), 4326)::geography, 50)
ORDER BY ST_Distance(r.position, ST_SetSRID(ST_MakePoint(6.7219, 44.9316), 4326)::geography) LIMIT 10;
SQL
echo "incidents-explain $OUT/incidents-explain.txt"
