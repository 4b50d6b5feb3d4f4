#!/bin/sh
# Hostile peers on both sides: a slowloris client is cut off after the
# header timeout while others are served; 300 connections of random bytes
# leave the daemon answering; a worker that sends invalid UTF-8, deeply
# nested JSON, answers to ids it never got and duplicate answers cannot
# crash the daemon or reach another plugin's requests.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

noise() {
	python3 "$top_srcdir/tests/e2e/noise.py" 127.0.0.1 "$PORT" "$@"
}
conf=$(write_config hostile <<EOF2
listen: 127.0.0.1:0
limits: {header_timeout: 2s, body_timeout: 2s, max_connections: 1000}
plugins:
  - name: testworker
    command: [$TESTWORKER]
    timeouts: {create: 3s}
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "ready" wait_ready

noise slowloris 0.5 >"$E2E_TMP/slow" &
slow=$!
ok=0
i=0
while [ $i -lt 20 ]; do
	req PUT /plugins/v1/echo/v1 '{"task_template":{"type":"echo"}}'
	[ "$STATUS" = 200 ] && ok=$((ok + 1))
	i=$((i + 1))
done
expect "others are served while a slowloris client dribbles" 20 "$ok"
wait "$slow"
read -r sent total said <"$E2E_TMP/slow"
check "the slowloris client is cut off before it finishes its head" test "$sent" -lt "$total"
expect "and told 408" "HTTP/1.1 408 Request Timeout" "$said"

answered=$(noise random 300)
check "300 connections of random bytes get 4xx answers" test "$answered" -ge 250
req GET /healthz
expect "the daemon still answers after the noise" 200 "$STATUS"
req PUT /plugins/v1/echo/v1 '{"task_template":{"type":"echo"}}'
expect "and still creates jobs" 200 "$STATUS"

# a hostile worker
req PUT /plugins/v1/testworker/v1 '{"task_template":{"type":"testworker","custom":{"action":"hostile"}},"inputs":{"h":1}}'
expect "a hostile worker's real answer still gets through" 200 "$STATUS"
check "invalid UTF-8 is a protocol violation" grep -q 'protocol violation.*invalid JSON' "$DAEMON_LOG"
check "an answer to an id never sent is dropped" grep -q 'unknown id' "$DAEMON_LOG"
req PUT /plugins/v1/echo/v1 '{"task_template":{"type":"echo"}}'
expect "the other plugin is untouched" 200 "$STATUS"
req GET /plugins/v1/testworker
expect "the hostile instance was not restarted" 0 "$(jget .restarts)"
stop_daemon
finish
