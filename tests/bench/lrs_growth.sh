# tests/bench/lrs_growth.sh - benchmark section "lrs_growth" (sourced by tests/bench/run.sh).
# Owns: batch ingest as the store grows. Batches of 100 statements (c=16)
# are POSTed to a fresh server for BENCH_LRS_GROWTH_SECONDS (default 240;
# about 8-10 million statements on a 2-core machine), and the statements
# stored are counted every BENCH_LRS_GROWTH_WINDOW seconds (default 30):
# one line per window with the store's size and the window's rate. The
# last window against the first tells whether storing a statement costs
# more as the store grows (it did before the index was split into parts,
# 016_lrs_index_parts.sql: 39,800 statements/s at first, 23,000 after 3
# million). No target: a figure to watch.

bench_section_lrs_growth() {
	local dir=$BENCH_TMP/lrs_growth secs=${BENCH_LRS_GROWTH_SECONDS:-240} win=${BENCH_LRS_GROWTH_WINDOW:-30}
	mkdir -p "$dir/data" || return 1
	command -v sqlite3 >/dev/null || { bench_log "bench: sqlite3 not found"; return 1; }
	echo "== lrs_growth: batches of 100 (c=16) for ${secs}s, stored statements counted every ${win}s"
	bench_start_server vern_growth "$dir/vern.stderr" "$VERN_BIN" serve --listen 127.0.0.1:0 \
		--db "$dir/vern.db" --data "$dir/data" --threads 80 || return 1
	local url=$BENCH_URL pid=$BENCH_PID_vern_growth out key secret
	out=$("$VERN_BIN" lrs-client add --name growth --db "$dir/vern.db" 2>/dev/null) || return 1
	key=$(sed -n 's/^key: //p' <<<"$out"); secret=$(sed -n 's/^secret: //p' <<<"$out")
	local auth
	auth="Basic $(printf '%s:%s' "$key" "$secret" | base64 -w0)"
	LRS_AUTH=$auth LRS_BATCH=100 timeout $((secs + 30)) wrk -t4 -c16 -d"${secs}s" \
		-s tests/bench/lrs_statements.lua "$url/xapi/statements" >"$dir/wrk.txt" 2>&1 &
	local wrk_pid=$! t prev=0 now first=0 last=0 rate
	for ((t = win; t <= secs; t += win)); do
		sleep "$win"
		now=$(sqlite3 -cmd '.timeout 5000' "$dir/vern.db" 'SELECT coalesce(max(seq), 0) FROM statements' 2>/dev/null || echo "$prev")
		rate=$(((now - prev) / win))
		((first == 0)) && first=$rate
		last=$rate
		printf '   %4ss: %9s statements stored, %6s statements/s in the last %ss\n' "$t" "$now" "$rate" "$win"
		prev=$now
	done
	wait "$wrk_pid"
	local errors
	errors=$(awk '/Non-2xx|Socket errors/ {n++} END {print n + 0}' "$dir/wrk.txt")
	echo "BENCH lrs_growth stored=$prev first_window_rps=$first last_window_rps=$last errors=$errors"
	local rc=0
	bench_stop_pid "$pid" || rc=$?
	BENCH_PIDS=()
	[[ $rc -ne 0 ]] && { bench_log "bench: vern exited $rc on SIGTERM"; return 1; }
	((errors == 0)) || { bench_log "bench: lrs_growth saw errors"; return 1; }
	return 0
}
