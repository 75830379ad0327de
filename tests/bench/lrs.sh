# tests/bench/lrs.sh - benchmark section "lrs" (sourced by tests/bench/run.sh).
# Owns: xAPI statement ingest and query figures of build/vern against the bare
# CivetWeb + jansson + SQLite insert handler build/bench/bare_insert.
#   1. single-statement POST at concurrency 16 and 64: statements/s, p50, p99,
#      vern/bare (target >= 70%); ABBA rounds, best round kept (see healthz.sh).
#   2. POST batches of 100: statements/s (target >= 50,000/s), and the
#      server's CPU time per statement (all threads, and the writer's).
#   3. GET ?verb=V&activity=A&limit=50 on BENCH_LRS_PRELOAD statements
#      (default 1,000,000), once the server is at rest (the index rows and
#      checkpoint the ingest left behind written): p50, p99 (target p99 <
#      20 ms).
# Both servers fsync every commit (WAL, synchronous=FULL): a 2xx means durable.

bench_section_lrs() {
	local dir=$BENCH_TMP/lrs secs=${BENCH_SECONDS:-6} rounds=${BENCH_LRS_ROUNDS:-2}
	local threads=80 preload=${BENCH_LRS_PRELOAD:-1000000}
	local bare_bin=${BARE_INSERT_BIN:-build/bench/bare_insert}
	mkdir -p "$dir/data" || return 1
	[[ -x $bare_bin ]] || { bench_log "bench: $bare_bin missing"; return 1; }
	echo "== lrs: xAPI statements, ${rounds} ABBA rounds x ${secs}s, ${threads} server threads"

	bench_start_server bare "$dir/bare.stderr" "$bare_bin" 127.0.0.1:0 "$threads" "$dir/bare.db" || return 1
	local bare_url=$BENCH_URL
	bench_start_server vern "$dir/vern.stderr" "$VERN_BIN" serve --listen 127.0.0.1:0 \
		--db "$dir/vern.db" --data "$dir/data" --threads "$threads" ${BENCH_VERN_ARGS:-} || return 1
	local vern_url=$BENCH_URL
	local out key secret
	out=$("$VERN_BIN" lrs-client add --name bench --db "$dir/vern.db" 2>/dev/null) || return 1
	key=$(sed -n 's/^key: //p' <<<"$out"); secret=$(sed -n 's/^secret: //p' <<<"$out")
	export LRS_AUTH="Basic $(printf '%s:%s' "$key" "$secret" | base64 -w0)"
	echo "   bare: $bare_url  vern: $vern_url"

	local code
	code=$(curl -s -o "$dir/first" -w '%{http_code}' -X POST -H "Authorization: $LRS_AUTH" \
		-H 'X-Experience-API-Version: 1.0.3' -H 'Content-Type: application/json' \
		--data '{"actor":{"mbox":"mailto:a@b.no"},"verb":{"id":"http://x.no/v"},"object":{"id":"http://x.no/a"}}' \
		"$vern_url/xapi/statements")
	[[ $code == 200 ]] || { bench_log "bench: vern POST gave $code: $(cat "$dir/first")"; return 1; }

	local bad=0 c side url r order
	local -A best_rps best_p50 best_p99 errs
	for c in 16 64; do
		best_rps=([bare]=0 [vern]=0); errs=([bare]=0 [vern]=0)
		for side in bare vern; do
			[[ $side == bare ]] && url=$bare_url || url=$vern_url
			BENCH_CONNECTIONS=$c bench_wrk "$dir/warm-$side-$c.txt" 2 "$url/xapi/statements" \
				-s tests/bench/lrs_statements.lua || return 1
		done
		for ((r = 1; r <= rounds; r++)); do
			if ((r % 2)); then order="bare vern"; else order="vern bare"; fi
			for side in $order; do
				[[ $side == bare ]] && url=$bare_url || url=$vern_url
				BENCH_CONNECTIONS=$c bench_wrk "$dir/single-$side-$c-$r.txt" "$secs" "$url/xapi/statements" \
					-s tests/bench/lrs_statements.lua || return 1
				errs[$side]=$((errs[$side] + WRK_ERRORS))
				if awk -v a="$WRK_RPS" -v b="${best_rps[$side]}" 'BEGIN {exit !(a > b)}'; then
					best_rps[$side]=$WRK_RPS; best_p50[$side]=$WRK_P50_US; best_p99[$side]=$WRK_P99_US
				fi
			done
		done
		local pct verdict
		pct=$(awk -v v="${best_rps[vern]}" -v b="${best_rps[bare]}" 'BEGIN {printf "%.1f", 100 * v / b}')
		if awk -v p="$pct" 'BEGIN {exit !(p >= 70)}'; then verdict=PASS; else verdict=FAIL; BENCH_BELOW_TARGET=1; fi
		printf '   single POST c=%-3s bare %8.0f st/s p50 %s p99 %s | vern %8.0f st/s p50 %s p99 %s | vern/bare %s%% (target >= 70%%) %s\n' \
			"$c" "${best_rps[bare]}" "$(bench_fmt_ms "${best_p50[bare]}")" "$(bench_fmt_ms "${best_p99[bare]}")" \
			"${best_rps[vern]}" "$(bench_fmt_ms "${best_p50[vern]}")" "$(bench_fmt_ms "${best_p99[vern]}")" "$pct" "$verdict"
		echo "BENCH lrs_single c=$c bare_rps=${best_rps[bare]} vern_rps=${best_rps[vern]} vern_pct=$pct vern_p50_us=${best_p50[vern]} vern_p99_us=${best_p99[vern]} errors=$((errs[bare] + errs[vern])) result=$verdict"
		((errs[bare] + errs[vern] > 0)) && { bench_log "bench: lrs single POST saw errors"; bad=1; }
	done

	# Batches of 100, with the server's CPU time per statement stored (all
	# threads; and the single writer thread alone), which tells how far a
	# 2-core machine can go whatever the concurrency.
	local batch_best=0 batch_p99=0 cpu0 wcpu0 n0 writer_stat
	writer_stat=$(grep -l '^vern-writer$' /proc/"$BENCH_PID_vern"/task/*/comm 2>/dev/null | head -n1)
	writer_stat=${writer_stat%/comm}/stat
	cpu0=$(awk '{print $14 + $15}' /proc/"$BENCH_PID_vern"/stat)
	wcpu0=$(awk '{print $14 + $15}' "$writer_stat" 2>/dev/null || echo 0)
	n0=$(sqlite3 "$dir/vern.db" 'SELECT coalesce(max(seq), 0) FROM statements' 2>/dev/null || echo 0)
	for ((r = 1; r <= rounds; r++)); do
		LRS_BATCH=100 BENCH_CONNECTIONS=16 bench_wrk "$dir/batch-$r.txt" "$secs" "$vern_url/xapi/statements" \
			-s tests/bench/lrs_statements.lua || return 1
		((WRK_ERRORS > 0)) && { bench_log "bench: lrs batch POST saw errors"; bad=1; }
		local sps
		sps=$(awk -v r="$WRK_RPS" 'BEGIN {printf "%.0f", r * 100}')
		if ((sps > batch_best)); then batch_best=$sps; batch_p99=$WRK_P99_US; fi
	done
	local bverdict=PASS cpu_us=0 wcpu_us=0 stored
	stored=$(( $(sqlite3 "$dir/vern.db" 'SELECT coalesce(max(seq), 0) FROM statements' 2>/dev/null || echo 0) - n0 ))
	if ((stored > 0)); then
		local ticks=$(getconf CLK_TCK)
		cpu_us=$(awk -v a="$cpu0" -v b="$(awk '{print $14 + $15}' /proc/"$BENCH_PID_vern"/stat)" -v n="$stored" -v t="$ticks" \
			'BEGIN {printf "%.1f", (b - a) / t * 1e6 / n}')
		wcpu_us=$(awk -v a="$wcpu0" -v b="$(awk '{print $14 + $15}' "$writer_stat" 2>/dev/null || echo 0)" -v n="$stored" -v t="$ticks" \
			'BEGIN {printf "%.1f", (b - a) / t * 1e6 / n}')
	fi
	((batch_best >= 50000)) || { bverdict=FAIL; BENCH_BELOW_TARGET=1; }
	printf '   batch POST (100 per request, c=16): %s statements/s, p99 %s per request (target >= 50,000/s) %s\n' \
		"$batch_best" "$(bench_fmt_ms "$batch_p99")" "$bverdict"
	printf '   batch POST CPU: %s us per statement (writer thread %s us)\n' "$cpu_us" "$wcpu_us"
	echo "BENCH lrs_batch statements_per_s=$batch_best p99_us=$batch_p99 cpu_us_per_statement=$cpu_us writer_cpu_us_per_statement=$wcpu_us result=$bverdict"

	bench_stop_pid "$BENCH_PID_bare"

	# Query latency on a large store.
	local have
	have=$(sqlite3 "$dir/vern.db" 'SELECT count(*) FROM statements' 2>/dev/null || echo 0)
	local need=$((preload - have))
	if ((need > 0)); then
		local took
		took=$(node tests/bench/lrs_preload.mjs "$vern_url" "$LRS_AUTH" "$need") || { bench_log "bench: preload failed"; return 1; }
		echo "   preload: $need statements in ${took}s (total $(sqlite3 "$dir/vern.db" 'SELECT count(*) FROM statements'))"
	fi
	# Queries are measured on a store at rest: the index rows and WAL
	# checkpoint the load left behind are written first.
	bench_wait_idle "$BENCH_PID_vern"
	echo "   at rest after ${BENCH_IDLE_AFTER}s"
	BENCH_CONNECTIONS=16 bench_wrk "$dir/query-warm.txt" 2 "$vern_url/xapi/statements" -s tests/bench/lrs_query.lua || return 1
	BENCH_CONNECTIONS=16 bench_wrk "$dir/query.txt" "$secs" "$vern_url/xapi/statements" -s tests/bench/lrs_query.lua || return 1
	local qverdict=PASS
	awk -v p="$WRK_P99_US" 'BEGIN {exit !(p < 20000)}' || { qverdict=FAIL; BENCH_BELOW_TARGET=1; }
	printf '   GET ?verb&activity&limit=50 on %s statements (c=16): %.0f req/s, p50 %s, p99 %s (target p99 < 20 ms) %s\n' \
		"$(sqlite3 "$dir/vern.db" 'SELECT count(*) FROM statements')" "$WRK_RPS" "$(bench_fmt_ms "$WRK_P50_US")" \
		"$(bench_fmt_ms "$WRK_P99_US")" "$qverdict"
	echo "BENCH lrs_query rps=$WRK_RPS p50_us=$WRK_P50_US p99_us=$WRK_P99_US errors=$WRK_ERRORS result=$qverdict"
	((WRK_ERRORS > 0)) && { bench_log "bench: lrs query saw errors"; bad=1; }

	local rc_vern
	bench_stop_pid "$BENCH_PID_vern"; rc_vern=$?
	BENCH_PIDS=()
	[[ $rc_vern -ne 0 ]] && { bench_log "bench: vern exited $rc_vern on SIGTERM"; bad=1; }
	return $bad
}
