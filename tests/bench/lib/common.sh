# tests/bench/lib/common.sh - shared helpers for the Vern benchmark (sourced by tests/bench/run.sh).
# Owns: starting/stopping servers under test, running wrk with a time bound, parsing wrk --latency
# output, and printing figures. Sections (healthz.sh, later lrs.sh, courses.sh, ...) use these.

BENCH_PIDS=()

bench_log() { printf '%s\n' "$*" >&2; }

# bench_start_server NAME STDERR_FILE CMD...  -> sets BENCH_URL (http://127.0.0.1:PORT)
# Starts CMD in the background with stderr to STDERR_FILE, waits (max 15 s) for the
# `url=http://127.0.0.1:PORT` line that both bare_hello and vern print when listening.
bench_start_server() {
	local name=$1 errf=$2; shift 2
	"$@" >"$errf.stdout" 2>"$errf" </dev/null &
	local pid=$!
	BENCH_PIDS+=("$pid")
	local i url=
	for ((i = 0; i < 150; i++)); do
		url=$(grep -o 'url=http://127\.0\.0\.1:[0-9]*' "$errf" 2>/dev/null | head -n1 | cut -d= -f2)
		[[ -n $url ]] && break
		if ! kill -0 "$pid" 2>/dev/null; then
			bench_log "bench: $name exited before listening; stderr:"; tail -n 20 "$errf" >&2
			return 1
		fi
		sleep 0.1
	done
	if [[ -z $url ]]; then
		bench_log "bench: $name printed no url= line within 15 s; stderr:"; tail -n 20 "$errf" >&2
		return 1
	fi
	BENCH_URL=$url
	eval "BENCH_PID_${name//[^A-Za-z0-9_]/_}=$pid"
}

# bench_stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL. Returns the exit status (137 if killed).
bench_stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		bench_log "bench: pid $pid ignored SIGTERM for 10 s, killing"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
}

bench_stop_all() {
	local pid
	for pid in "${BENCH_PIDS[@]}"; do bench_stop_pid "$pid"; done
	BENCH_PIDS=()
}

# bench_wait_idle PID [MAX_SECONDS]: waits (max 60 s) until process PID has used under 5% of one
# CPU in each of two consecutive half seconds: the work a load left behind (index catch-up, WAL
# checkpoint) is done. Sets BENCH_IDLE_AFTER to the seconds waited (or "timeout").
bench_wait_idle() {
	local pid=$1 max=${2:-60} ticks quiet=0 a b start=$SECONDS
	ticks=$(getconf CLK_TCK)
	BENCH_IDLE_AFTER=timeout
	while ((SECONDS - start < max)); do
		a=$(awk '{print $14 + $15}' /proc/"$pid"/stat 2>/dev/null) || return 1
		sleep 0.5
		b=$(awk '{print $14 + $15}' /proc/"$pid"/stat 2>/dev/null) || return 1
		if (((b - a) * 100 < ticks * 5 / 2)); then quiet=$((quiet + 1)); else quiet=0; fi
		if ((quiet >= 2)); then BENCH_IDLE_AFTER=$((SECONDS - start)); return 0; fi
	done
	return 0
}

# Convert a wrk duration ("812.00us", "1.23ms", "2.00s", "3.00m") to microseconds.
bench_to_us() {
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") f = 1; else if (u == "ms") f = 1000; else if (u == "s") f = 1000000;
		else if (u == "m") f = 60000000; else if (u == "h") f = 3600000000; else f = -1
		if (f < 0) print "nan"; else printf "%.0f", n * f }'
}

# bench_wrk OUTFILE SECONDS URL [extra wrk args...]
# Runs wrk (bounded by `timeout`) and parses it. Sets WRK_RPS, WRK_P50_US, WRK_P99_US,
# WRK_REQS, WRK_ERRORS (non-2xx/3xx + socket errors). Returns 1 if wrk failed.
bench_wrk() {
	local out=$1 secs=$2 url=$3; shift 3
	local t=${BENCH_WRK_THREADS:-2} c=${BENCH_CONNECTIONS:-32}
	timeout -k 5 $((secs + 30)) wrk -t"$t" -c"$c" -d"${secs}s" --timeout 5s --latency "$@" "$url" >"$out" 2>&1
	local rc=$?
	WRK_RPS=$(awk '/^Requests\/sec:/ {print $2}' "$out")
	WRK_REQS=$(awk '/ requests in / {print $1}' "$out")
	WRK_P50_US=$(bench_to_us "$(awk '$1 == "50%" {print $2}' "$out")")
	WRK_P99_US=$(bench_to_us "$(awk '$1 == "99%" {print $2}' "$out")")
	WRK_ERRORS=$(awk '/Non-2xx or 3xx responses:/ {e += $NF}
		/Socket errors:/ {gsub(/,/, ""); e += $4 + $6 + $8 + $10} END {print e + 0}' "$out")
	if [[ $rc -ne 0 || -z $WRK_RPS ]]; then
		bench_log "bench: wrk failed (rc=$rc) against $url:"; cat "$out" >&2
		return 1
	fi
}

bench_fmt_ms() { awk -v u="$1" 'BEGIN { if (u == "nan" || u == "") print "?"; else printf "%.3f ms", u / 1000 }'; }
