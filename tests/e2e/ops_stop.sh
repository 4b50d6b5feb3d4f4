#!/bin/sh
# SIGTERM: /readyz answers 503 for drain_delay while the API still serves,
# then the daemon stops accepting, answers what it holds, stops its workers
# and exits 0; no request it accepted is left without an answer.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

conf=$(write_config stop <<EOF2
listen: 127.0.0.1:0
drain_delay: 2s
plugins:
  - name: testworker
    command: [$TESTWORKER]
    env: {TW_CONCURRENCY: "8"}
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "ready" wait_ready
pids=$(ps -o pid= --ppid "$DAEMON_PID" | tr -d ' ')

# requests in flight when the signal comes: slow creates
i=0
while [ $i -lt 4 ]; do
	curl -s -o /dev/null -w '%{http_code}\n' -m 30 -X PUT --data-binary \
	    '{"task_template":{"type":"testworker","custom":{"action":"slow","ms":1500}}}' \
	    "$URL/plugins/v1/testworker/v1" >"$E2E_TMP/slow.$i" &
	i=$((i + 1))
done
busy() { req GET /plugins/v1/testworker; [ "$(jget .in_flight)" = 4 ]; }
check "four slow requests in flight" wait_for 100 busy
kill -TERM "$DAEMON_PID"
draining() { req GET /readyz; [ "$STATUS" = 503 ]; }
check "readyz turns 503 during the drain delay" wait_for 50 draining
req PUT /plugins/v1/echo/v1 '{"task_template":{"type":"echo"}}'
expect "the API still serves during the drain delay" 200 "$STATUS"
wait "$DAEMON_PID"
expect "the daemon exits 0" 0 $?
DAEMON_PID=
wait
expect "every request in flight was answered 200" "200 200 200 200" \
    "$(cat "$E2E_TMP"/slow.* | tr '\n' ' ' | sed 's/ $//')"
left=0
for p in $pids; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
expect "no worker process is left" 0 "$left"
check_sanitizers
finish
