#!/bin/sh
# Crash loops: an instance that exits during its handshake again and again
# backs off exponentially, is reported with its exit status, and its
# requests answer 503 with Retry-After at once; /readyz names it.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

conf=$(write_config loop <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: flaky
    command: [$TESTWORKER]
    task_types: [{type: flaky, versions: [v1]}]
    env: {TW_EXIT_AT_START: "5"}
    restart: {initial: 100ms, max: 800ms}
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
restarted() {
	req GET /plugins/v1/flaky
	[ "$(jget .restarts)" -ge 4 ]
}
check "the crashing plugin keeps being restarted" wait_for 200 restarted
expect "its state is backoff or starting" yes \
    "$(jget '.state == "backoff" or .state == "starting"' | sed 's/true/yes/')"
expect "its last exit is reported" "exit status 5" "$(jget .last_exit)"
check "its last error says it exited during the handshake" \
    sh -c "printf '%s' '$(jget .last_error)' | grep -q 'handshake'"
check "the log has the backoff growing to the maximum" \
    grep -q 'restarts in 0.800 s' "$DAEMON_LOG"
check "the log has the doubling" grep -q 'restarts in 0.400 s' "$DAEMON_LOG"

req PUT /plugins/v1/flaky/v1 '{"task_template":{"type":"flaky"}}'
expect "its requests answer 503" 503 "$STATUS"
check "with Retry-After" test -n "$(header Retry-After)"
req GET /readyz
expect "readyz answers 503" 503 "$STATUS"
expect "readyz names the plugin" flaky "$(jget '.not_ready | join(",")')"
req PUT /plugins/v1/echo/v1 '{"task_template":{"type":"echo"}}'
expect "the other plugin is served" 200 "$STATUS"
stop_daemon
finish
