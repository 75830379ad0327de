# tests/bench/mail.sh - bench section "mail" (BENCH_ONLY=mail): queueing a campaign lesson to
# 50,000 employees (target < 10 s) with delivery off, then the delivery rate to a local SMTP sink
# (aiosmtpd, tests/mail/smtp_sink.py) with 1, 2 and 4 connections, next to what the sink takes
# from a plain Python smtplib client. The work is done by tests/bench/mail_bench.mjs.

bench_section_mail() {
	echo "== mail: queue 50,000 personal emails; delivery rate to a local SMTP sink"
	if [[ ! -f node_modules/.package-lock.json ]]; then
		echo "bench: node_modules missing (make node_modules/.package-lock.json)"; return 1
	fi
	local out
	if ! out=$(VERN_BIN="$VERN_BIN" node tests/bench/mail_bench.mjs); then
		echo "$out"; return 1
	fi
	echo "$out"
	if grep -q 'BELOW TARGET' <<<"$out"; then BENCH_BELOW_TARGET=1; fi
}
