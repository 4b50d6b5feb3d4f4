#!/bin/sh
# Misbehaving workers: one that crashes mid-request, hangs, prints garbage,
# answers the wrong id or a malformed answer, floods a huge line, or cannot
# be executed.  Each gets its SPEC status, and the other plugins (and the
# same plugin after its restart) keep being served.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

conf=$(write_config workers <<EOF2
listen: 127.0.0.1:0
limits:
  max_line_bytes: 1048576
plugins:
  - name: testworker
    command: [$TESTWORKER]
    timeouts: {create: 2s, get: 2s, delete: 2s, start: 5s, stop: 2s}
    restart: {initial: 100ms, max: 1s}
  - name: echo
    command: [$ECHO_PLUGIN]
  - name: broken
    command: [$E2E_TMP/does-not-exist]
    task_types: [{type: broken, versions: [v1]}]
    restart: {initial: 100ms, max: 400ms}
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
tw_ready() {
	req GET /plugins/v1/testworker
	[ "$(jget .ready)" = 1 ]
}
check "testworker becomes ready" wait_for 100 tw_ready

create() {
	req PUT /plugins/v1/testworker/v1 "{\"task_template\":{\"type\":\"testworker\",\"custom\":{\"action\":\"$1\"}},\"inputs\":{\"a\":1}}"
}

create ok
expect "a well-behaved create answers 200" 200 "$STATUS"
rid=$(jget .resource_id)
req GET "/plugins/v1/testworker/v1/$rid"
expect "its poll is SUCCEEDED" SUCCEEDED "$(jget .phase)"

create crash
expect "a worker crashing mid-request answers 502" 502 "$STATUS"
expect "crash code WORKER_FAILED" WORKER_FAILED "$(jget .error.code)"
check "restarted after the crash" wait_for 100 tw_ready
create ok
expect "served again after the restart" 200 "$STATUS"
req GET /plugins/v1/testworker
check "restarts are counted" test "$(jget .restarts)" -ge 1
check "last_exit says how it exited" test "$(jget .last_exit)" = "exit status 3"

create hang
expect "a hanging worker answers 504" 504 "$STATUS"
expect "hang code DEADLINE_EXCEEDED" DEADLINE_EXCEEDED "$(jget .error.code)"

create garbage
expect "a worker printing garbage answers 504" 504 "$STATUS"
check "the garbage is logged as a protocol violation" grep -q 'protocol violation' "$DAEMON_LOG"

create wrongid
expect "a worker answering the wrong id answers 504" 504 "$STATUS"
req GET /metrics
check "metrics count the two dropped lines as protocol violations" \
    grep -qx 'nebula_protocol_violations_total{plugin="testworker"} 2' "$E2E_TMP/body"
check "metrics count the three creates that timed out" \
    grep -qx 'nebula_timeouts_total{plugin="testworker",op="create"} 3' "$E2E_TMP/body"

create badresponse
expect "a malformed answer to the right id answers 502" 502 "$STATUS"

create sync
expect "a synchronous create answers 200" 200 "$STATUS"
expect "the inline resource is passed through" SUCCEEDED "$(jget .resource.phase)"
req GET /plugins/v1
expect "the plugin is marked is_sync" true "$(jget '.plugins[] | select(.name=="testworker") | .is_sync')"

create stderr
expect "a worker writing stderr answers 200" 200 "$STATUS"
check "its stderr is logged with plugin and pid" \
    grep -q 'plugin=testworker pid=[0-9]* .*stderr' "$DAEMON_LOG"

check "ready before the huge line" wait_for 100 tw_ready
create huge
expect "a line over max_line_bytes answers 502" 502 "$STATUS"
check "the overlong line is logged" grep -q 'longer than max_line_bytes' "$DAEMON_LOG"
check "restarted after the huge line" wait_for 100 tw_ready
create ok
expect "served again after the huge line" 200 "$STATUS"

req PUT /plugins/v1/echo/v1 '{"task_template":{"type":"echo"}}'
expect "the other plugin kept working" 200 "$STATUS"

req PUT /plugins/v1/broken/v1 '{"task_template":{"type":"broken"}}'
expect "a plugin that cannot start answers 503" 503 "$STATUS"
expect "its code is UNAVAILABLE" UNAVAILABLE "$(jget .error.code)"
check "with a Retry-After header" test -n "$(header Retry-After)"
req GET /plugins/v1/broken
expect "its state is backoff" backoff "$(jget .state)"
check "its last_error names the missing command" \
    sh -c "printf '%s' '$(jget .last_error)' | grep -q 'cannot execute'"

stop_daemon
finish
