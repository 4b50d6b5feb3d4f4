#!/bin/sh
# Fairness on the loop, HTTP connections: one client sends pipelined
# requests without pause on one connection (and reads the answers) while
# another client calls echo; echo answers every request within the bound
# stated in nebula-plugind(8) (2 s, a bound and not a measurement), and the
# pipelining client is served all along.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

# No access log: the pipelining client gets millions of answers.
conf=$(write_config pipeline <<EOF2
listen: 127.0.0.1:0
access_log: false
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "ready" wait_ready

count="$E2E_TMP/count"
python3 "$top_srcdir/tests/e2e/pipeline.py" 127.0.0.1 "$PORT" "$count" &
piper=$!
answered() {
	cat "$count" 2>/dev/null || echo 0
}
started() {
	[ "$(answered)" -ge 5000 ]
}
check "the pipelining client is served" wait_for 300 started
before=$(answered)

# Every create within the fairness bound (echo_creates in lib.sh).
echo_creates 50
expect "echo answers all 50 creates within 2 s each beside a pipelining client" \
    50 "$CREATES_OK"

after=$(answered)
check "the pipelining client went on being served meanwhile ($before, then $after)" \
    test "$after" -gt "$before"
check "the pipelining client is still connected" kill -0 "$piper"
kill "$piper"
wait "$piper" 2>/dev/null
echo "# daemon log: $(wc -c <"$DAEMON_LOG") bytes"
stop_daemon
finish
