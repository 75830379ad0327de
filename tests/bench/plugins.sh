# tests/bench/plugins.sh - benchmark section "plugins" (sourced by tests/bench/run.sh).
# Owns: the plugin host's figures on a municipality of BENCH_PLUGINS_EMPLOYEES
# (50,000) employees in 400 agencies with BENCH_PLUGINS_STATEMENTS (2,000,000)
# statements:
#   0. derivation check: 20,000 statements sent through HTTP to a small server;
#      the completions and starts server/completions.c derived must equal
#      tests/bench/plugins_derive.sql, which then derives the big store (the
#      big store is written with SQL: HTTP would take minutes);
#   1. mandatory_by_role: on_employee for every employee (first run creates the
#      assignments, second run finds nothing to change), in seconds;
#   2. sikkerhetsmaaned: daily() in October (assigns 4 lessons to everyone) and
#      the per-agency report, unpublished and published (target < 1 s).
# Plugin calls run with the default budgets (20M instructions, 2 s per call).

bench_plugins_sql() { # DB SQL... : sqlite3 with the TEMP table p filled from BP_* variables
	local db=$1; shift
	{
		printf "CREATE TEMP TABLE p(hp TEXT, n_emp INTEGER, n_st INTEGER, y INTEGER, now_ms INTEGER, st_from INTEGER);\n"
		printf "INSERT INTO p VALUES('%s', %d, %d, %d, %d, %d);\n" "$BP_HP" "$BP_EMP" "$BP_ST" "$BP_Y" "$(date +%s)000" "${BP_FROM:-0}"
		printf '%s\n' "$@"
	} | sqlite3 -bail "$db"
}

bench_plugins_secs() { # CMD...: prints the seconds CMD took (its output to $BP_DIR/last.out)
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >"$BP_DIR/last.out" 2>&1 || { bench_log "bench: $* failed: $(head -c 500 "$BP_DIR/last.out")"; return 1; }
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}'
}

bench_plugins_post() { # URL PATH [BODY]: POST with the LRS client's Basic auth, fails on non-2xx
	curl -sf -X POST -H "Authorization: $BP_AUTH" -H 'Content-Type: application/json' \
		-H 'X-Experience-API-Version: 1.0.3' --data-binary "${3:-{\}}" "$1$2"
}

bench_plugins_post_file() { # URL PATH FILE
	curl -sf -X POST -H "Authorization: $BP_AUTH" -H 'Content-Type: application/json' \
		-H 'X-Experience-API-Version: 1.0.3' --data-binary "@$3" "$1$2"
}

bench_plugins_get() { curl -sf -H "Authorization: $BP_AUTH" "$1$2"; }

bench_plugins_client() { # DB: sets BP_AUTH
	local out key secret
	out=$("$VERN_BIN" lrs-client add --name bench --scope all --db "$1" 2>/dev/null) || return 1
	key=$(sed -n 's/^key: //p' <<<"$out"); secret=$(sed -n 's/^secret: //p' <<<"$out")
	BP_AUTH="Basic $(printf '%s:%s' "$key" "$secret" | base64 -w0)"
}

bench_plugins_check() {
	local d=$BP_DIR/check
	mkdir -p "$d/data" "$d/plugins" || return 1
	BP_EMP=500 BP_ST=20000
	"$VERN_BIN" migrate --db "$d/vern.db" >/dev/null 2>&1 || return 1
	BP_ST=0 bench_plugins_sql "$d/vern.db" '.read tests/bench/plugins_data.sql' || return 1
	bench_start_server check "$d/vern.stderr" "$VERN_BIN" serve --listen 127.0.0.1:0 --db "$d/vern.db" \
		--data "$d/data" --plugins-dir "$d/plugins" --public-url "$BP_HP" || return 1
	local url=$BENCH_URL
	bench_plugins_client "$d/vern.db" || return 1
	# The same statements as the big store, in batches of 1,000 through POST.
	bench_plugins_sql "$d/vern.db" '.read tests/bench/plugins_data.sql' \
		"SELECT head || '}' FROM gen;" >"$d/statements.jsonl" || return 1
	split -l 1000 "$d/statements.jsonl" "$d/batch." || return 1
	local f
	for f in "$d"/batch.*; do
		{ printf '['; paste -sd, "$f"; printf ']'; } >"$f.json"
		bench_plugins_post_file "$url" /xapi/statements "$f.json" >/dev/null ||
			{ bench_log "bench: POST of $f failed"; return 1; }
	done
	bench_stop_pid "$BENCH_PID_check"
	local diff
	diff=$(bench_plugins_sql "$d/vern.db" '.read tests/bench/plugins_derive.sql' \
		"SELECT ((SELECT count(*) FROM (SELECT statement_id, employee_id, course_id, completed_ms, success, score FROM d_history EXCEPT SELECT * FROM completion_history))
		      + (SELECT count(*) FROM (SELECT * FROM completion_history EXCEPT SELECT statement_id, employee_id, course_id, completed_ms, success, score FROM d_history))
		      + (SELECT count(*) FROM (SELECT * FROM d_completions EXCEPT SELECT * FROM completions))
		      + (SELECT count(*) FROM (SELECT * FROM completions EXCEPT SELECT * FROM d_completions))
		      + (SELECT count(*) FROM (SELECT * FROM d_starts EXCEPT SELECT * FROM course_starts))
		      + (SELECT count(*) FROM (SELECT * FROM course_starts EXCEPT SELECT * FROM d_starts)))
		      || ' ' || (SELECT count(*) FROM completion_history) || ' ' || (SELECT count(*) FROM completions)
		      || ' ' || (SELECT count(*) FROM course_starts);") || return 1
	read -r BP_DIFF BP_CH BP_CC BP_CS <<<"$diff"
	local verdict=PASS
	[[ $BP_DIFF == 0 && $BP_CH -gt 0 && $BP_CS -gt 0 ]] || { verdict=FAIL; BENCH_BELOW_TARGET=1; }
	echo "   derivation check: 20000 statements via HTTP -> $BP_CH history, $BP_CC completions, $BP_CS starts; SQL derivation differs in $BP_DIFF rows $verdict"
	echo "BENCH plugins_derivation_check statements=20000 history=$BP_CH completions=$BP_CC starts=$BP_CS differences=$BP_DIFF result=$verdict"
	[[ $verdict == PASS ]]
}

bench_section_plugins() {
	BP_DIR=$BENCH_TMP/plugins
	BP_HP=https://bench.vern.example
	BP_Y=$(($(date +%Y) - 1))
	local emp=${BENCH_PLUGINS_EMPLOYEES:-50000} st=${BENCH_PLUGINS_STATEMENTS:-2000000}
	mkdir -p "$BP_DIR/data" "$BP_DIR/mbr" "$BP_DIR/skm" || return 1
	cp plugins/mandatory_by_role.lua "$BP_DIR/mbr/" && cp plugins/sikkerhetsmaaned.lua "$BP_DIR/skm/" || return 1
	echo "== plugins: $emp employees, 400 agencies, $st statements, campaign $BP_Y"
	bench_plugins_check || return 1

	local db=$BP_DIR/vern.db took
	"$VERN_BIN" migrate --db "$db" >/dev/null 2>&1 || return 1
	BP_EMP=$emp BP_ST=$st
	took=$(bench_plugins_secs bench_plugins_sql "$db" '.read tests/bench/plugins_data.sql' "BEGIN;
		INSERT INTO statements(seq, id, stored_ms, verb, voiding, voided, client_id, has_attachments, full)
		SELECT n + 1, sid, ms, verb, 0, 0, NULL, 0, head
		  || ',\"stored\":\"' || strftime('%Y-%m-%dT%H:%M:%fZ', ms / 1000.0, 'unixepoch')
		  || '\",\"authority\":{\"objectType\":\"Agent\",\"name\":\"Vern\",\"account\":{\"homePage\":\"$BP_HP\",\"name\":\"vern\"}},\"version\":\"1.0.0\"}'
		FROM gen; COMMIT;") || return 1
	echo "   data: $emp employees and $st statements written with SQL in ${took}s"
	took=$(bench_plugins_secs bench_plugins_sql "$db" '.read tests/bench/plugins_derive.sql' "BEGIN;
		INSERT INTO completion_history SELECT statement_id, employee_id, course_id, completed_ms, success, score FROM d_history;
		INSERT INTO completions SELECT * FROM d_completions;
		INSERT INTO course_starts SELECT * FROM d_starts; COMMIT;") || return 1
	echo "   derived with plugins_derive.sql in ${took}s: $(sqlite3 "$db" "SELECT (SELECT count(*) FROM completion_history) || ' history, ' || (SELECT count(*) FROM completions) || ' completions, ' || (SELECT count(*) FROM course_starts) || ' starts'")"

	# 1. mandatory_by_role over every employee.
	bench_start_server mbr "$BP_DIR/mbr.stderr" "$VERN_BIN" serve --listen 127.0.0.1:0 --db "$db" --data "$BP_DIR/data" \
		--plugins-dir "$BP_DIR/mbr" --public-url "$BP_HP" --test-endpoints true --plugins-daily-hour -1 || return 1
	local url=$BENCH_URL now first second
	bench_plugins_client "$db" || return 1
	now=$(date +%s)
	first=$(bench_plugins_secs bench_plugins_post "$url" /api/test/plugins/sync "{\"now\":$now}") || return 1
	grep -q '"result":0' "$BP_DIR/last.out" || { bench_log "bench: sync reported failures: $(cat "$BP_DIR/last.out")"; return 1; }
	local nassign
	nassign=$(sqlite3 "$db" 'SELECT count(*) FROM assignments')
	second=$(bench_plugins_secs bench_plugins_post "$url" /api/test/plugins/sync "{\"now\":$now}") || return 1
	echo "   mandatory_by_role on_employee for $emp employees: ${first}s (creates $nassign assignments), ${second}s again (nothing to change)"
	echo "BENCH plugins_mandatory_by_role employees=$emp first_s=$first again_s=$second assignments=$nassign"
	bench_stop_pid "$BENCH_PID_mbr"

	# 2. Sikkerhetsmåneden.
	bench_start_server skm "$BP_DIR/skm.stderr" "$VERN_BIN" serve --listen 127.0.0.1:0 --db "$db" --data "$BP_DIR/data" \
		--plugins-dir "$BP_DIR/skm" --public-url "$BP_HP" --test-endpoints true --plugins-daily-hour -1 || return 1
	url=$BENCH_URL
	local oct daily
	oct=$(date -d "$BP_Y-10-10 12:00" +%s)
	daily=$(bench_plugins_secs bench_plugins_post "$url" /api/test/plugins/daily "{\"now\":$oct}") || return 1
	echo "   sikkerhetsmaaned daily() in October: ${daily}s (assignments now $(sqlite3 "$db" 'SELECT count(*) FROM assignments'))"
	local r best=999 worst=0 t pub
	bench_plugins_get "$url" "/api/plugins/sikkerhetsmaaned/reports/agencies?year=$BP_Y" >"$BP_DIR/report.json" || return 1
	for r in 1 2 3 4 5; do
		t=$(bench_plugins_secs bench_plugins_get "$url" "/api/plugins/sikkerhetsmaaned/reports/agencies?year=$BP_Y") || return 1
		best=$(awk -v a="$t" -v b="$best" 'BEGIN {print (a < b) ? a : b}')
		worst=$(awk -v a="$t" -v b="$worst" 'BEGIN {print (a > b) ? a : b}')
	done
	pub=$(bench_plugins_secs bench_plugins_get "$url" "/api/plugins/sikkerhetsmaaned/reports/agencies?year=$BP_Y&published=true") || return 1
	local summary verdict=PASS
	summary=$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		const t = r.total; console.log(`${r.agencies.length} agencies, headcount ${t.headcount}, completion rate ${t.completion_rate} (last year ${t.last_year_rate})`);' \
		"$BP_DIR/report.json") || return 1
	awk -v w="$worst" 'BEGIN {exit !(w < 1)}' || { verdict=FAIL; BENCH_BELOW_TARGET=1; }
	echo "   sikkerhetsmaaned report: $summary"
	echo "   report time over 5 runs: best ${best}s, worst ${worst}s; published ${pub}s (target < 1 s) $verdict"
	echo "BENCH plugins_sikkerhetsmaaned employees=$emp statements=$st daily_s=$daily report_best_s=$best report_worst_s=$worst published_s=$pub result=$verdict"
	local rc
	bench_stop_pid "$BENCH_PID_skm"; rc=$?
	BENCH_PIDS=()
	[[ $rc -eq 0 ]] || { bench_log "bench: vern exited $rc on SIGTERM"; return 1; }
	[[ $verdict == PASS ]] || return 0
}
