# tests/bench/courses.sh - bench section "courses" (BENCH_ONLY=courses): importing a 50 MB
# SCORM package (CLI and upload endpoint), the player's page weight, and the time from a click
# in the outline to the SCO loaded, in headless Chromium on localhost. The work is done by
# tests/bench/courses_bench.mjs, which starts its own vern with a separate content origin.

bench_section_courses() {
	echo "== courses: package import, player page weight, click to SCO loaded"
	if [[ ! -f node_modules/.package-lock.json ]]; then
		echo "bench: node_modules missing (make node_modules/.package-lock.json)"; return 1
	fi
	local out
	if ! out=$(VERN_BIN="$VERN_BIN" BENCH_TMP="$BENCH_TMP" node tests/bench/courses_bench.mjs); then
		echo "$out"; return 1
	fi
	echo "$out"
}
