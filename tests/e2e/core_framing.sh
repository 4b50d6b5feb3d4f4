#!/bin/sh
# The framing corpus: every file under tests/e2e/framing/ is a request that
# two HTTP parsers could read differently (or a close cousin that must be
# served), replayed against the real daemon.  A file named STATUS-STATE-what
# must get STATUS first and leave the connection in STATE: "close" (400 and
# close) or "open" (served, and a second request on it answered).
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

start_daemon "" || { fail "daemon starts"; finish; }
check "daemon becomes ready" wait_ready

for f in "$top_srcdir"/tests/e2e/framing/*; do
	name=${f##*/}
	want_status=${name%%-*}
	rest=${name#*-}
	want_state=${rest%%-*}
	got=$(python3 "$top_srcdir/tests/e2e/replay.py" 127.0.0.1 "$PORT" "$f")
	expect "$name answers $want_status and is left $want_state" \
	    "$want_status $want_state" "$got"
done

req GET /healthz
expect "still serving after the corpus" 200 "$STATUS"
stop_daemon
finish
