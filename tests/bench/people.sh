# tests/bench/people.sh - benchmark section "people" (sourced by tests/bench/run.sh).
# Owns: `vern people import` of a generated municipality of BENCH_PEOPLE employees
# (default 50,000) in 500 units (sectors, agencies, units; managers; roles):
#   1. the units file;
#   2. the employee file into an empty database (target < 10 s);
#   3. the same file again: nothing changes (target < 5 s);
#   4. the file with 1% of the employees changed (new email, moved unit).
# Each import is one CLI run, timed from start to exit (durable commit included).

bench_people_csv() { # bench_people_csv DIR N SEED_CHANGE: writes DIR/units.csv and DIR/employees.csv
	local dir=$1 n=$2 change=$3
	awk -v n="$n" -v change="$change" -v dir="$dir" 'BEGIN {
		srand(20261123)
		units = dir "/units.csv"; emp = dir "/employees.csv"
		print "unit_id,name,parent_id,agency" > units
		print "K,Bench kommune,,nei" > units
		nu = 0
		for (s = 1; s <= 5; s++) {
			print "S" s ",Sektor " s ",K,nei" > units
			for (a = 1; a <= 19; a++) {
				ag = "S" s "A" a
				print ag ",Virksomhet " s "." a ",S" s ",ja" > units
				agencies[++na] = ag
				for (u = 1; u <= 4; u++) {
					print ag "U" u ",Enhet " s "." a "." u "," ag ",nei" > units
					leaves[++nu] = ag "U" u
				}
			}
		}
		close(units)
		split("Kari Ola Anne Per Ingrid Lars Nora Jonas Åse Øyvind Marit Ahmed", first, " ")
		split("Hansen Johansen Olsen Larsen Berg Dahl Lie Sæther Ødegård Nguyen Haugen Moe", last, " ")
		print "employee_id;name;email;unit_id;manager_id;roles;active;start_date" > emp
		# Leaders first: one per agency and one per unit.
		id = 100000
		for (i = 1; i <= na; i++) {
			lead[agencies[i]] = ++id
			printf "%d;Leder %s;leder%d@bench.kommune.no;%s;;virksomhetsleder;ja;2010-01-01\n", id, agencies[i], id, agencies[i] > emp
		}
		for (i = 1; i <= nu; i++) {
			ag = substr(leaves[i], 1, index(leaves[i], "U") - 1)
			lead[leaves[i]] = ++id
			printf "%d;Leder %s;leder%d@bench.kommune.no;%s;%d;leder|personvernkoordinator;ja;2012-06-01\n", id, leaves[i], id, leaves[i], lead[ag] > emp
		}
		while (id < 100000 + n) {
			id++
			u = leaves[1 + int(rand() * nu)]
			f = first[1 + int(rand() * 12)]; l = last[1 + int(rand() * 12)]
			mail = "e" id "@bench.kommune.no"
			if (change && id % 100 == 0) { mail = "ny" id "@bench.kommune.no"; u = leaves[1 + (id % nu)] }
			printf "%d;%s %s;%s;%s;%d;;ja;20%02d-%02d-%02d\n", id, f, l, mail, u, lead[u], int(rand() * 25), 1 + int(rand() * 12), 1 + int(rand() * 28) > emp
		}
		close(emp)
	}'
}

bench_people_import() { # bench_people_import LABEL FILE DB -> sets PEOPLE_SECS, PEOPLE_OUT
	local label=$1 file=$2 db=$3 t0 t1
	t0=$(date +%s.%N)
	PEOPLE_OUT=$("$VERN_BIN" people import "$file" --db "$db" 2>"$BENCH_TMP/people/$label.stderr" | tail -n 1) || {
		bench_log "bench: people import ($label) failed: $(tail -n 5 "$BENCH_TMP/people/$label.stderr")"
		return 1
	}
	t1=$(date +%s.%N)
	PEOPLE_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
}

bench_section_people() {
	local dir=$BENCH_TMP/people n=${BENCH_PEOPLE:-50000} bad=0
	mkdir -p "$dir/changed" || return 1
	echo "== people: vern people import of $n employees in 500 units (one CLI run each, durable)"
	bench_people_csv "$dir" "$n" 0
	bench_people_csv "$dir/changed" "$n" 1
	echo "   files: $(wc -l <"$dir/units.csv") unit lines, $(wc -l <"$dir/employees.csv") employee lines ($(du -h "$dir/employees.csv" | cut -f1))"
	local db=$dir/vern.db
	bench_people_import units "$dir/units.csv" "$db" || return 1
	echo "   units:             ${PEOPLE_SECS} s ($PEOPLE_OUT)"
	bench_people_import first "$dir/employees.csv" "$db" || return 1
	local first=$PEOPLE_SECS verdict=PASS
	awk -v s="$first" 'BEGIN {exit !(s < 10)}' || { verdict=FAIL; BENCH_BELOW_TARGET=1; }
	echo "   first import:      ${first} s ($PEOPLE_OUT) (target < 10 s) $verdict"
	[[ $PEOPLE_OUT == *"created $n,"* ]] || { bench_log "bench: first import did not create $n"; bad=1; }
	bench_people_import again "$dir/employees.csv" "$db" || return 1
	local again=$PEOPLE_SECS verdict2=PASS
	awk -v s="$again" 'BEGIN {exit !(s < 5)}' || { verdict2=FAIL; BENCH_BELOW_TARGET=1; }
	echo "   same file again:   ${again} s ($PEOPLE_OUT) (target < 5 s) $verdict2"
	[[ $PEOPLE_OUT == *"unchanged $n"* ]] || { bench_log "bench: re-import was not idempotent"; bad=1; }
	bench_people_import changed "$dir/changed/employees.csv" "$db" || return 1
	local changed=$PEOPLE_SECS
	echo "   1% changed:        ${changed} s ($PEOPLE_OUT)"
	echo "BENCH people employees=$n first_s=$first reimport_s=$again changed_s=$changed result=$([[ $verdict$verdict2 == PASSPASS ]] && echo PASS || echo FAIL)"
	return $bad
}
