#!/bin/sh
# tests/run.sh: runs every test suite (unit and integration, on the normal
# and the ASan+UBSan build) and ends with one line "N passed, N failed".
# Exits non-zero when anything failed. Called by `make test`.
set -u
cd "$(dirname "$0")/.."

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

passed=0
failed=0
log_dir=build/test-logs
mkdir -p "$log_dir"

count() { # count LOGFILE: adds TAP "# pass N" / "# fail N" to the totals
	p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$1" | tail -n 1)
	f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$1" | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
}

suite() { # suite NAME RC LOG: counts a finished suite; a crash counts as a failure
	name=$1 rc=$2 log=$3
	before=$failed
	count "$log"
	if [ "$rc" -ne 0 ] && [ "$failed" -eq "$before" ]; then
		failed=$((failed + 1))
		echo "not ok - $name exited with status $rc (see $log)"
	fi
}

for bin in build/tests/test_* build/asan/tests/test_*; do
	[ -x "$bin" ] || continue
	log="$log_dir/$(echo "$bin" | tr / _).log"
	echo "== $bin"
	"$bin" >"$log" 2>&1
	rc=$?
	grep -E '^(not ok|Bail out)' "$log"
	suite "$bin" "$rc" "$log"
done

# Fuzz targets replay their seed corpus once (the fuzzing itself is `make fuzz`).
for bin in build/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin#build/fuzz/fuzz_}
	log="$log_dir/fuzz_$name.log"
	echo "== $bin (seed corpus)"
	if [ -d "tests/fuzz/corpus/$name" ]; then
		"$bin" -runs=0 "tests/fuzz/corpus/$name" >"$log" 2>&1
	else
		"$bin" -runs=1000 >"$log" 2>&1
	fi
	if [ $? -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "not ok - $bin on its seed corpus (see $log)"
	fi
done

# Two test files at a time: most of their time is spent waiting (browsers,
# servers starting, mail going out), and every file uses its own port,
# database and temp folders. Node without --test-concurrency runs one.
concurrency=
if node --help 2>/dev/null | grep -q -- '--test-concurrency'; then
	concurrency=--test-concurrency=${TEST_CONCURRENCY:-2}
fi
for variant in build/vern build/asan/vern; do
	log="$log_dir/integration_$(echo "$variant" | tr / _).log"
	echo "== integration tests against $variant"
	VERN_BIN="$variant" node --test $concurrency --test-reporter=tap tests/integration/ >"$log" 2>&1
	rc=$?
	grep -E '^ *not ok' "$log" | head -n 50
	suite "integration ($variant)" "$rc" "$log"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
