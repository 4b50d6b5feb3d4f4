#!/bin/sh
# The framing corpus: every file under tests/e2e/framing/ is a request that
# two HTTP parsers could read differently (or a close cousin that must be
# served), replayed against the real daemon.  A file named STATUS-STATE-what
# must get STATUS first and leave the connection in STATE: "close" (400 and
# close) or "open" (served, and a second request on it answered).
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

# The HTTP/2 preface alone gets no HTTP/1.1 answer: the connection is
# closed when the request head's timeout runs out, so that one is short
# here (3 s instead of 10; every other file is sent whole in one write).
conf=$(write_config framing <<EOF2
limits: {header_timeout: 3s}
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "daemon becomes ready" wait_ready

# One replay.py for the whole corpus, a connection per file.
python3 "$top_srcdir/tests/e2e/replay.py" 127.0.0.1 "$PORT" \
    "$top_srcdir"/tests/e2e/framing/* >"$E2E_TMP/replayed"
for f in "$top_srcdir"/tests/e2e/framing/*; do
	name=${f##*/}
	want_status=${name%%-*}
	rest=${name#*-}
	want_state=${rest%%-*}
	got=$(sed -n "s/^$name //p" "$E2E_TMP/replayed")
	expect "$name answers $want_status and is left $want_state" \
	    "$want_status $want_state" "$got"
done

req GET /healthz
expect "still serving after the corpus" 200 "$STATUS"
stop_daemon
finish
