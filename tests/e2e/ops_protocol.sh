#!/bin/sh
# What a worker gets on every request: its id, the op, task type and
# version, request_id (also in the daemon's log), deadline_ms, traceparent
# when the HTTP request had one, and the create body's fields untouched.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

rec="$E2E_TMP/record"
conf=$(write_config proto <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: testworker
    command: [$TESTWORKER]
    env: {TW_RECORD: $rec}
    timeouts: {create: 7s}
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "ready" wait_ready
tp=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
STATUS=$(curl -s -o "$E2E_TMP/body" -w '%{http_code}' -X PUT -H "traceparent: $tp" \
    --data-binary '{"task_template":{"type":"testworker","custom":{"action":"record"}},"inputs":{"x":1},"output_prefix":"s3://b/p","task_execution_metadata":{"task_execution_id":"t1"},"extra_field":[1,2]}' \
    "$URL/plugins/v1/testworker/v1")
expect "recorded create answers 200" 200 "$STATUS"
line=$(head -n 1 "$rec")
BODY=$line
expect "op" create "$(jget .op)"
expect "task_type" testworker "$(jget .task_type)"
expect "version" v1 "$(jget .version)"
check "an integer id" test "$(jget '.id | type')" = number
expect "traceparent" "$tp" "$(jget .traceparent)"
check "deadline_ms within the create timeout" test "$(jget .deadline_ms)" -gt 0 -a "$(jget .deadline_ms)" -le 7000
rqid=$(jget .request_id)
check "request_id is set" test -n "$rqid" -a "$rqid" != null
check "request_id is in the daemon's access log" grep -q "request_id=$rqid" "$DAEMON_LOG"
expect "inputs pass through" '{"x":1}' "$(jget ".inputs | tojson")"
expect "output_prefix passes through" s3://b/p "$(jget .output_prefix)"
expect "task_execution_metadata passes through" t1 "$(jget .task_execution_metadata.task_execution_id)"
expect "unknown fields pass through" '[1,2]' "$(jget ".extra_field | tojson")"
BODY=$(cat "$E2E_TMP/body")
rid=$(jget .resource_id)
req GET "/plugins/v1/testworker/v1/$rid"
BODY=$(sed -n 2p "$rec")
expect "get carries the resource_meta" record "$(jget .resource_meta.action)"
check "get has no traceparent when the request had none" test "$(jget .traceparent)" = null

# the body is passed through as sent: pretty-printed bodies still make one
# line, and a body using the daemon's own field names cannot override them
printf '{\n  "task_template": {"type": "testworker",\r\n  "custom": {"action": "record"}},\n  "inputs": {"s": "a\\nb"}\n}\n' >"$E2E_TMP/pretty"
STATUS=$(curl -s -o "$E2E_TMP/body" -w '%{http_code}' -X PUT --data-binary @"$E2E_TMP/pretty" \
    "$URL/plugins/v1/testworker/v1")
expect "a multi-line body is served" 200 "$STATUS"
BODY=$(sed -n 3p "$rec")
expect "it reached the worker on one line, its strings intact" '"a\nb"' "$(jget '.inputs.s | tojson')"
req PUT /plugins/v1/testworker/v1 '{"task_template":{"type":"testworker","custom":{"action":"record"}},"op":"delete","id":424242,"task_type":"evil","request_id":"forged"}'
expect "a body with the daemon's field names is served" 200 "$STATUS"
BODY=$(sed -n 4p "$rec")
expect "the daemon's op wins" create "$(jget .op)"
expect "the daemon's task_type wins" testworker "$(jget .task_type)"
check "the daemon's id wins" test "$(jget .id)" != 424242
check "the daemon's request_id wins" test "$(jget .request_id)" != forged
stop_daemon
finish
