#!/bin/sh
# nebula-plugin run as the orchestrator polls: it retries through 503 (the
# daemon starting, a plugin restarting) and 429 (a full queue) honouring
# Retry-After, and on SIGINT it deletes the job (the worker records it).
. "${top_srcdir:?run through make check}/tests/e2e/client_lib.sh"

rec="$E2E_TMP/shw.record"
: >"$rec"
conf=$(write_config retry <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: testworker
    command: [$TESTWORKER]
    concurrency: 1
    queue: 1
    env: {TW_HELLO_DELAY_MS: "1500", TW_CONCURRENCY: "1"}
    timeouts: {start: 10s, create: 10s, get: 10s}
    restart: {initial: 1s, max: 1s}
  - name: shw
    command: [$SHWORKER]
    env: {SHW_PHASE: RUNNING, SHW_RECORD: "$rec"}
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }

okbody=$(body ok '{"task_template":{"type":"testworker"},"inputs":{"a":1}}')
# The test worker says hello only after 1.5 s: until then, 503.
req PUT /plugins/v1/testworker/v1 "$(cat "$okbody")"
if [ "$STATUS" = 503 ]; then
	np -s "$URL" run -i 0.1 -m 0.5 testworker "$okbody"
	expect "run retries through 503 at start-up" 0 "$RC"
	expect "run after 503 prints the outputs" '{"a":1}' "$OUT"
else
	echo "# the daemon was ready before the first request ($STATUS)"
fi
check "daemon becomes ready" wait_ready

# 429: one slow create holds the only slot, another waits in the queue.
slow=$(body slow '{"task_template":{"type":"testworker","custom":{"action":"slow","ms":4000}}}')
curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' \
    --data-binary @"$slow" "$URL/plugins/v1/testworker/v1" &
c1=$!
busy() {
	req GET /plugins/v1/testworker
	[ "$(jget .in_flight)" = 1 ]
}
wait_for 50 busy
curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' \
    --data-binary @"$slow" "$URL/plugins/v1/testworker/v1" &
c2=$!
queued() {
	req GET /plugins/v1/testworker
	[ "$(jget .queued)" = 1 ]
}
wait_for 50 queued
full() {
	req PUT /plugins/v1/testworker/v1 "$(cat "$okbody")"
	[ "$STATUS" = 429 ]
}
if wait_for 20 full; then
	pass "a full queue answers 429"
	check "429 carries Retry-After" test -n "$(header Retry-After)"
	np -s "$URL" run -i 0.1 -m 0.5 testworker "$okbody"
	expect "run retries through 429" 0 "$RC"
else
	fail "a full queue answers 429" "last status $STATUS"
fi
wait "$c1" "$c2"

# 503 while the plugin restarts after a crash.
crash=$(body crash '{"task_template":{"type":"testworker","custom":{"action":"crash"}}}')
req PUT /plugins/v1/testworker/v1 "$(cat "$crash")"
expect "a crashing worker answers 502" 502 "$STATUS"
np -s "$URL" run -i 0.1 -m 0.5 testworker "$okbody"
expect "run retries through 503 while the plugin restarts" 0 "$RC"

# SIGINT during run: the job is deleted before nebula-plugin exits.
shwbody=$(body shw '{"task_template":{"type":"shw"}}')
"$NEBULA_PLUGIN" -s "$URL" run -i 0.1 -m 0.2 shw "$shwbody" \
    >"$E2E_TMP/int.out" 2>"$E2E_TMP/int.err" &
pid=$!
polled() { grep -q '^get$' "$rec"; }
check "run polls a RUNNING job" wait_for 300 polled
kill -INT "$pid"
wait "$pid"
expect "run exits 1 after SIGINT" 1 "$?"
deleted() { grep -q '^delete$' "$rec"; }
check "the worker got the delete" wait_for 50 deleted
has "run says the job was deleted" 'interrupted: job deleted' "$(cat "$E2E_TMP/int.err")"
cat "$E2E_TMP/int.err" >>"$CLIENT_LOG"

stop_daemon
client_sanitizers
finish
