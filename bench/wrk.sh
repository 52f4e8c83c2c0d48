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

# rounds N NAME PATH TOKEN [BODY]: run() N times (NAME-1, NAME-2...), then
# "NAME req/s p50 p99 errors p99s": the medians of the rounds' rates and
# latencies, the errors of all, and every round's p99 joined by '/'.
rounds() {
	local n=$1 name=$2 i line r a b e
	local -a rps=() p50=() p99=()
	local bad=0
	shift 2
	for i in $(seq 1 "$n"); do
		line=$(run "$name-$i" "$@")
		read -r _ r a b e <<<"$line"
		rps+=("${r:-0}")
		p50+=("${a:-0}")
		p99+=("${b:-0}")
		bad=$((bad + ${e:-1}))
	done
	printf '%s %s %s %s %s %s\n' "$name" "$(median_of "${rps[@]}")" \
	    "$(median_of "${p50[@]}")" "$(median_of "${p99[@]}")" "$bad" \
	    "$(IFS=/; printf '%s' "${p99[*]}")"
}

median_of() {
	printf '%s\n' "$@" | sort -n |
	    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
