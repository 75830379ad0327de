#!/usr/bin/env bash
# tests/bench/run.sh - Vern benchmark driver (`make bench` runs `bash tests/bench/run.sh` from the project root).
# Owns: environment, temp dir, cleanup trap and the list of benchmark sections. Each section lives in
# tests/bench/<name>.sh, defines bench_section_<name>, starts and stops its own servers on 127.0.0.1
# and prints a figure block plus one machine-readable `BENCH <name> key=value ...` line.
# To add a section: create tests/bench/<name>.sh and append <name> to BENCH_SECTIONS below.
#
# Environment:
#   VERN_BIN (build/vern)  BARE_BIN (build/bench/bare_hello)
#   BENCH_SECONDS (6) per measured run   BENCH_ROUNDS (4, keep it even for ABBA)   BENCH_WARMUP_SECONDS (2)
#   BENCH_CONNECTIONS (32) wrk connections   BENCH_WRK_THREADS (2)   BENCH_THREADS (48) server threads
#   BENCH_VERN_ARGS="--access-log false"  extra vern serve flags, for diagnosis only
#   BENCH_ONLY="healthz ..." run only these sections (healthz, lrs, lrs_growth, courses, people, plugins, views, mail)
#   BENCH_LRS_GROWTH_SECONDS (240), BENCH_LRS_GROWTH_WINDOW (30)  length of the lrs_growth section
#   BENCH_PLUGINS_EMPLOYEES (50000)  BENCH_PLUGINS_STATEMENTS (2000000)  sizes of the plugins section
#   BENCH_STRICT=1  exit 1 when a section misses its target (default: report only)
# Exit status: 0 ok, 1 a section failed (server did not start, errors, bad shutdown) or strict miss.
set -u
cd "$(dirname "$0")/../.." || exit 1

BENCH_SECTIONS=(healthz lrs lrs_growth courses people plugins views mail)

VERN_BIN=${VERN_BIN:-build/vern}
BARE_BIN=${BARE_BIN:-build/bench/bare_hello}
BENCH_BELOW_TARGET=0

for tool in wrk curl timeout awk; do
	command -v "$tool" >/dev/null || { echo "bench: '$tool' not found" >&2; exit 1; }
done
for bin in "$VERN_BIN" "$BARE_BIN"; do
	[[ -x $bin ]] || { echo "bench: $bin missing (run make first)" >&2; exit 1; }
done

source tests/bench/lib/common.sh

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vern-bench.XXXXXX") || exit 1
bench_cleanup() {
	bench_stop_all
	if [[ ${BENCH_KEEP_TMP:-0} == 1 ]]; then echo "bench: kept $BENCH_TMP" >&2; else rm -rf "$BENCH_TMP"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

echo "Vern benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) CPUs  vern=$VERN_BIN  bare=$BARE_BIN"
"$VERN_BIN" version 2>/dev/null | head -n1 | sed 's/^/vern version: /'

failed=()
for s in ${BENCH_ONLY:-${BENCH_SECTIONS[@]}}; do
	if [[ ! -f tests/bench/$s.sh ]]; then echo "bench: no section tests/bench/$s.sh" >&2; failed+=("$s"); continue; fi
	source "tests/bench/$s.sh"
	if ! "bench_section_$s"; then failed+=("$s"); fi
	bench_stop_all
	echo
done

if ((${#failed[@]})); then
	echo "bench: FAILED sections: ${failed[*]}"
	exit 1
fi
if [[ $BENCH_BELOW_TARGET == 1 ]]; then
	echo "bench: some figures are below target"
	[[ ${BENCH_STRICT:-0} == 1 ]] && exit 1
fi
echo "bench: done"
