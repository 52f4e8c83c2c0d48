# bench/wrk.sh: what the scenarios with wrk share (sourced by
# bench/cases.sh and bench/incidents.sh, which set ROOT, URL, OUT, CONNS,
# DURATION and say()).

# A wrk latency ("850.00us", "12.44ms", "1.04s") in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000
		printf "%.2f", n }'
}

# run NAME PATH TOKEN [BODY]: wrk (TOKEN "": no Authorization), then
# "NAME req/s p50 p99 errors".
run() {
	local name=$1 path=$2 tok=$3 body=${4:-} f=$OUT/wrk-$1.txt
	local -a auth=()
	[ -z "$tok" ] || auth=(-H "Authorization: Bearer $tok")
	say "$name: ${body:+POST }$path (${DURATION}s, -c$CONNS)"
	BENCH_METHOD=${body:+POST} BENCH_BODY=$body \
	    wrk -t2 -c "$CONNS" -d "${DURATION}s" --latency \
	    -s "$ROOT/bench/request.lua" "${auth[@]}" "$URL$path" >"$f"
	printf '%s %s %s %s %s\n' "$name" \
	    "$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$f")" \
	    "$(to_ms "$(awk '$1 == "50%" { print $2 }' "$f")")" \
	    "$(to_ms "$(awk '$1 == "99%" { print $2 }' "$f")")" \
	    "$(awk '/Non-2xx or 3xx responses:/ { n += $NF } END { print n + 0 }' "$f")"
}
