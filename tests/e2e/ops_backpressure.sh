#!/bin/sh
# Back-pressure: with its one slot taken, a plugin queues up to `queue`
# requests, refuses the next with 429 and Retry-After, and a request whose
# timeout runs out while queued gets 504.  Every accepted request is answered.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

conf=$(write_config bp <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: testworker
    command: [$TESTWORKER]
    env: {TW_CONCURRENCY: "1"}
    queue: 2
    timeouts: {create: 6s, get: 3s}
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "ready" wait_ready
req PUT /plugins/v1/testworker/v1 '{"task_template":{"type":"testworker"}}'
rid=$(jget .resource_id)

bg() {
	curl -s -o "$E2E_TMP/$1.body" -w '%{http_code}' -m 30 -X "$2" \
	    ${3:+--data-binary "$3"} "$URL$4" >"$E2E_TMP/$1.code"
}
bg hang PUT '{"task_template":{"type":"testworker","custom":{"action":"hang"}}}' \
    /plugins/v1/testworker/v1 &
hang_pid=$!
in_flight() {
	req GET /plugins/v1/testworker
	[ "$(jget .in_flight)" = 1 ]
}
check "the hanging create holds the only slot" wait_for 100 in_flight
bg q1 GET "" "/plugins/v1/testworker/v1/$rid" &
q1=$!
bg q2 GET "" "/plugins/v1/testworker/v1/$rid" &
q2=$!
queued() {
	req GET /plugins/v1/testworker
	[ "$(jget .queued)" = 2 ]
}
check "two requests wait in the queue" wait_for 100 queued
req GET "/plugins/v1/testworker/v1/$rid"
expect "the queue is full: 429" 429 "$STATUS"
expect "429 code OVERLOADED" OVERLOADED "$(jget .error.code)"
check "429 carries Retry-After" test -n "$(header Retry-After)"

wait "$q1" "$q2"
expect "a queued request that runs out of time gets 504" 504 "$(cat "$E2E_TMP/q1.code")"
expect "so does the second" 504 "$(cat "$E2E_TMP/q2.code")"
check "504 says it was queued" grep -q 'queued' "$E2E_TMP/q1.body"
wait "$hang_pid"
expect "the hanging create gets 504" 504 "$(cat "$E2E_TMP/hang.code")"

req GET /metrics
check "metrics count the 429" grep -q 'nebula_requests_total{plugin="testworker",op="get",code="429"} 1' "$E2E_TMP/body"
check "metrics count the 504s" grep -q 'nebula_requests_total{plugin="testworker",op="get",code="504"} 2' "$E2E_TMP/body"
check "metrics count the timeouts by op" grep -q 'nebula_timeouts_total{plugin="testworker",op="get"} 2' "$E2E_TMP/body"
check "metrics count every HTTP status by route" grep -q 'nebula_http_responses_total{route="/plugins/v1/{}/{}/{}",status="429"} 1' "$E2E_TMP/body"
stop_daemon
finish
