# tests/bench/views.sh - benchmark section "views" (sourced by tests/bench/run.sh).
# Owns: server time of the leader dashboard and the ombud statistics on a large
# municipality generated directly in SQL:
#   400 agencies (one of them with 5,000 employees in 20 units), 50,000 active
#   employees, 5 mandatory courses each (250,000 assignments), ~70% completed
#   (completions + completion_history), a third with last year's completions too.
#   1. GET /api/leder/enhet/<the 5,000-employee agency> as its leader
#      (target median < 200 ms).
#   2. the same for a flat unit of 5,000 (every employee listed with their statuses).
#   3. GET /api/ombud/rapport for all 50,000 employees (target median < 1 s).
# Times are curl's time to first byte over loopback (the server's own time plus
# a fraction of a millisecond), BENCH_VIEWS_RUNS (default 15) runs after 2 warm-ups.

bench_views_sql() {
	local now_ms=$1
	cat <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
INSERT INTO org_units(id, external_id, name, parent_id, is_agency, path) VALUES(1, 'k', 'Benchvik kommune', NULL, 0, '/1/');
WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 401)
INSERT INTO org_units(id, external_id, name, parent_id, is_agency, path)
	SELECT i, 'v' || i, 'Virksomhet ' || i, 1, 1, '/1/' || i || '/' FROM n;
-- 20 units under agency 2, 4 under every other agency
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 19)
INSERT INTO org_units(id, external_id, name, parent_id, is_agency, path)
	SELECT 1000 + i, 'e2-' || i, 'Avdeling ' || (i + 1), 2, 0, '/1/2/' || (1000 + i) || '/' FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 399 * 4 - 1)
INSERT INTO org_units(id, external_id, name, parent_id, is_agency, path)
	SELECT 2000 + i, 'e' || i, 'Enhet ' || i, 3 + i / 4, 0, '/1/' || (3 + i / 4) || '/' || (2000 + i) || '/' FROM n;
INSERT INTO courses(id, activity_id, title, valid_months, created_ms) VALUES
	('personvern-grunnkurs', 'urn:vern:kurs:personvern-grunnkurs', 'Personvern – grunnkurs', 12, 0),
	('informasjonssikkerhet-grunnkurs', 'urn:vern:kurs:informasjonssikkerhet-grunnkurs', 'Informasjonssikkerhet – grunnkurs', 12, 0),
	('taushetsplikt', 'urn:vern:kurs:taushetsplikt', 'Taushetsplikt og deling av opplysninger', 12, 0),
	('phishing', 'urn:vern:kurs:phishing', 'Svindel og phishing på e-post', 12, 0),
	('avvik', 'urn:vern:kurs:avvik', 'Å oppdage og melde avvik', 12, 0);
-- one flat unit of 5,000 under agency 3
INSERT INTO org_units(id, external_id, name, parent_id, is_agency, path) VALUES(9000, 'flat', 'Storavdelingen', 3, 0, '/1/3/9000/');
-- employees 1..5000 in agency 2's units (the leader is employee 1, in the agency
-- itself), 5001..10000 in the flat unit (its leader is 5001), 10001..50000 in
-- the other agencies' units
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
INSERT INTO employees(id, external_id, name, unit_id, active, updated_ms)
	SELECT i, 'A' || i, 'Ansatt nummer ' || i,
		CASE WHEN i = 1 THEN 2 WHEN i <= 5000 THEN 1000 + i % 20 WHEN i <= 10000 THEN 9000
		ELSE 2000 + i % (399 * 4) END, 1, $now_ms FROM n;
INSERT INTO employee_roles(employee_id, role_id) SELECT 1, id FROM roles WHERE code = 'virksomhetsleder';
INSERT INTO employee_roles(employee_id, role_id) SELECT 5001, id FROM roles WHERE code = 'leder';
INSERT INTO assignments(employee_id, course_id, due_date, reason, plugin, created_ms)
	SELECT e.id, c.id, date($now_ms / 1000 - 86400 * (e.id % 90) + 86400 * 30, 'unixepoch'), 'Rolle: ansatt', 'bench',
		$now_ms - 86400000 * 500
	FROM employees e, courses c;
INSERT INTO completions(employee_id, course_id, completed_ms, expires_ms, success, statement_id)
	SELECT a.employee_id, a.course_id, $now_ms - 86400000 * ((a.id * 37) % 400),
		$now_ms - 86400000 * ((a.id * 37) % 400) + 86400000 * 365, 1, 'bench-' || a.id
	FROM assignments a WHERE a.id % 10 < 7;
INSERT INTO completion_history(statement_id, employee_id, course_id, completed_ms, success)
	SELECT statement_id, employee_id, course_id, completed_ms, success FROM completions;
INSERT INTO completion_history(statement_id, employee_id, course_id, completed_ms, success)
	SELECT 'bench-old-' || a.id, a.employee_id, a.course_id, $now_ms - 86400000 * (400 + a.id % 200), 1
	FROM assignments a WHERE a.employee_id % 3 = 0;
COMMIT;
ANALYZE;
SQL
}

# bench_views_time URL COOKIE RUNS -> prints "median max" in ms
bench_views_time() {
	local url=$1 cookie=$2 runs=$3 i
	for ((i = 0; i < 2; i++)); do curl -s -o /dev/null -H "Cookie: $cookie" "$url"; done
	local out
	out=$(for ((i = 0; i < runs; i++)); do
		curl -s -o /dev/null -w '%{http_code} %{time_starttransfer}\n' -H "Cookie: $cookie" "$url"
	done)
	if awk '$1 != 200 { bad = 1 } END { exit !bad }' <<<"$out"; then echo error; return; fi
	awk '{ printf "%.1f\n", $2 * 1000 }' <<<"$out" | sort -n | awk '{ t[NR] = $1 } END {
		printf "%.1f %.1f\n", (NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2), t[NR] }'
}

bench_section_views() {
	local dir=$BENCH_TMP/views runs=${BENCH_VIEWS_RUNS:-15}
	mkdir -p "$dir/data" || return 1
	echo "== views: leader dashboard (5,000 employees) and ombud statistics (50,000 employees)"
	"$VERN_BIN" migrate --db "$dir/vern.db" >/dev/null 2>&1 || { bench_log "bench: vern migrate failed"; return 1; }
	local t0=$SECONDS
	bench_views_sql "$(($(date +%s) * 1000))" | sqlite3 -bail "$dir/vern.db" >/dev/null || { bench_log "bench: data generation failed"; return 1; }
	echo "   data: $(sqlite3 "$dir/vern.db" 'SELECT count(*) FROM employees') employees, $(sqlite3 "$dir/vern.db" 'SELECT count(*) FROM assignments') assignments, $(sqlite3 "$dir/vern.db" 'SELECT count(*) FROM completion_history') completions in history, generated in $((SECONDS - t0)) s"
	bench_start_server vern "$dir/vern.stderr" "$VERN_BIN" serve --listen 127.0.0.1:0 \
		--db "$dir/vern.db" --data "$dir/data" --test-endpoints true --access-log false || return 1
	local url=$BENCH_URL cookie leader flat ombud
	leader=$(curl -s -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data '{"employee":"A1","scope":"full"}' "$url/api/test/session" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')
	flat=$(curl -s -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data '{"employee":"A5001","scope":"full"}' "$url/api/test/session" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')
	sqlite3 "$dir/vern.db" "INSERT INTO users(id, username, display_name, created_ms) VALUES(1, 'ombud', 'Ombud', 0);
		INSERT INTO user_roles(user_id, role) VALUES(1, 'ombud');" || return 1
	ombud=$(curl -s -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data '{"user":"ombud","scope":"full"}' "$url/api/test/session" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p')
	[[ -n $leader && -n $flat && -n $ombud ]] || { bench_log "bench: could not sign in"; return 1; }

	local bad=0 res median max verdict
	res=$(bench_views_time "$url/api/leder/enhet/2" "$leader" "$runs")
	[[ $res == error ]] && { bench_log "bench: leader dashboard failed"; return 1; }
	read -r median max <<<"$res"
	verdict=PASS; awk -v m="$median" 'BEGIN {exit !(m < 200)}' || { verdict=FAIL; BENCH_BELOW_TARGET=1; }
	printf '   leader dashboard, agency of 5,000 employees (%d runs): median %s ms, max %s ms (target < 200 ms) %s\n' \
		"$runs" "$median" "$max" "$verdict"
	echo "BENCH views_leader median_ms=$median max_ms=$max bytes=$(curl -s -H "Cookie: $leader" "$url/api/leder/enhet/2" | wc -c) result=$verdict"

	res=$(bench_views_time "$url/api/leder/enhet/9000" "$flat" "$runs")
	[[ $res == error ]] && { bench_log "bench: flat leader dashboard failed"; return 1; }
	read -r median max <<<"$res"
	verdict=PASS; awk -v m="$median" 'BEGIN {exit !(m < 200)}' || { verdict=FAIL; BENCH_BELOW_TARGET=1; }
	printf '   leader dashboard, one flat unit of 5,000 employees listed one by one (%d runs): median %s ms, max %s ms (target < 200 ms) %s\n' \
		"$runs" "$median" "$max" "$verdict"
	echo "BENCH views_leader_flat median_ms=$median max_ms=$max bytes=$(curl -s -H "Cookie: $flat" "$url/api/leder/enhet/9000" | wc -c) result=$verdict"

	res=$(bench_views_time "$url/api/ombud/rapport" "$ombud" "$runs")
	[[ $res == error ]] && { bench_log "bench: ombud report failed"; return 1; }
	read -r median max <<<"$res"
	verdict=PASS; awk -v m="$median" 'BEGIN {exit !(m < 1000)}' || { verdict=FAIL; BENCH_BELOW_TARGET=1; }
	printf '   ombud statistics, 50,000 employees in 400 agencies (%d runs): median %s ms, max %s ms (target < 1 s) %s\n' \
		"$runs" "$median" "$max" "$verdict"
	echo "BENCH views_ombud median_ms=$median max_ms=$max result=$verdict"

	local rc_vern
	bench_stop_pid "$BENCH_PID_vern"; rc_vern=$?
	BENCH_PIDS=()
	[[ $rc_vern -ne 0 ]] && { bench_log "bench: vern exited $rc_vern on SIGTERM"; bad=1; }
	return $bad
}
