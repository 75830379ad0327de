#!/bin/sh
# tests/mail/with_sink.sh CMD...: runs CMD (make run's `vern serve`) with the
# demo's email going to a local SMTP sink (smtp_sink.py on 127.0.0.1:2525)
# that keeps every message in vern-data/demo-mail/new, one file each, so the
# demo campaign shows email flowing and nothing leaves the machine. When
# VERN_SMTP_HOST is set, CMD runs unchanged against that server instead.
set -u
maildir=${VERN_DEMO_MAILDIR:-vern-data/demo-mail}
port=${VERN_DEMO_SMTP_PORT:-2525}
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3 # Debian's, with python3-aiosmtpd
if [ -z "${VERN_SMTP_HOST:-}" ]; then
	mkdir -p "$maildir"
	ready="$maildir/.ready"
	rm -f "$ready"
	"$python" "$(dirname "$0")/smtp_sink.py" --port "$port" --maildir "$maildir" >"$ready" &
	sink=$!
	trap 'kill "$sink" 2>/dev/null; rm -f "$ready"' EXIT
	trap 'exit 130' INT TERM
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		grep -q READY "$ready" 2>/dev/null && break
		sleep 0.25
	done
	export VERN_SMTP_HOST=127.0.0.1 VERN_SMTP_PORT="$port" VERN_SMTP_TLS=none
	echo "demo email goes to a local SMTP sink on 127.0.0.1:$port, kept in $maildir/new (one file per email)"
fi
"$@"
