#!/bin/sh
# Per-plugin rate limits (rate: in the configuration): a plugin's burst of
# creates goes through, the next is refused 429 OVERLOADED with Retry-After
# before it reaches the worker, the refusal is counted in
# nebula_rate_limited_total, each op has its own bucket, other plugins are
# unaffected, and nebula-plugin run waits out the 429 and succeeds.
. "${top_srcdir:?run through make check}/tests/e2e/client_lib.sh"

rec="$E2E_TMP/shw.record"
: >"$rec"
conf=$(write_config rate <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: shw
    command: [$SHWORKER]
    env: {SHW_RECORD: "$rec"}
    rate: {create: 1/h, get: 1000/s, burst: 3}
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "daemon becomes ready" wait_ready

shwbody='{"task_template":{"type":"shw"}}'
n=0
while [ $n -lt 3 ]; do
	req PUT /plugins/v1/shw/v1 "$shwbody"
	expect "create $((n + 1)) of the burst answers 200" 200 "$STATUS"
	n=$((n + 1))
done
rid=$(jget .resource_id)
req PUT /plugins/v1/shw/v1 "$shwbody"
expect "the create past the burst answers 429" 429 "$STATUS"
expect "with code OVERLOADED" OVERLOADED "$(jget .error.code)"
check "and a Retry-After of whole seconds" \
    test "$(header Retry-After)" -ge 1
expect "the refused create never reached the worker" 3 \
    "$(grep -c create "$rec")"

req GET "/plugins/v1/shw/v1/$rid"
expect "get has its own bucket: 200" 200 "$STATUS"

n=0
while [ $n -lt 5 ]; do
	req PUT /plugins/v1/echo/v1 '{"task_template":{"type":"echo"},"inputs":{"a":1}}'
	expect "another plugin is unaffected ($((n + 1)))" 200 "$STATUS"
	n=$((n + 1))
done

req GET /metrics
has "the refusal is counted" \
    '^nebula_rate_limited_total\{plugin="shw",op="create"\} 1$' "$BODY"
has "per op" '^nebula_rate_limited_total\{plugin="shw",op="get"\} 0$' "$BODY"
has "and per plugin" \
    '^nebula_rate_limited_total\{plugin="echo",op="create"\} 0$' "$BODY"
has "it is also a 429 among the requests" \
    '^nebula_requests_total\{plugin="shw",op="create",code="429"\} 1$' "$BODY"

# The Flyte front goes through the same call layer: 429 there too.
req POST /api/v1/agent/task '{"template":{"type":"shw"}}'
expect "Flyte's REST front is limited too" 429 "$STATUS"

stop_daemon
client_sanitizers
finish
