#!/bin/sh
# The slot and backoff rules of the line protocol: a request that timed out
# keeps its slot until the worker answers (the late answer is dropped); an
# instance whose every slot is held that way is restarted; the restart
# backoff doubles, and resets once an instance has stayed ready for 10 s.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

conf=$(write_config slots <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: testworker
    command: [$TESTWORKER]
    env: {TW_CONCURRENCY: "2"}
    timeouts: {create: 1s}
    restart: {initial: 300ms, max: 5s}
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "ready" wait_ready
create() {
	req PUT /plugins/v1/testworker/v1 "{\"task_template\":{\"type\":\"testworker\",\"custom\":{\"action\":\"$1\",\"ms\":${2:-0}}}}"
}
restarts() { req GET /plugins/v1/testworker; jget .restarts; }

create hang
expect "a hung request gets 504" 504 "$STATUS"
create ok
expect "the other slot still serves" 200 "$STATUS"
expect "one held slot does not restart the instance" 0 "$(restarts)"
create hang
expect "the second hung request gets 504" 504 "$STATUS"
every_slot_held() { [ "$(restarts)" = 1 ]; }
check "every slot held by timed-out requests: the instance restarts" wait_for 100 every_slot_held
check "the log says why" grep -q 'every slot is held by a request that timed out' "$DAEMON_LOG"
check "ready again" wait_ready

create slow 1500
expect "an answer later than the timeout gets 504" 504 "$STATUS"
late() { grep -q 'late answer to request' "$DAEMON_LOG"; }
check "the late answer is dropped" wait_for 100 late
create ok
expect "served after the late answer" 200 "$STATUS"
create hang
expect "a hung request gets 504" 504 "$STATUS"
expect "the late answer freed its slot: no restart" 1 "$(restarts)"

crash_and_wait() {
	n=$(restarts)
	create crash
	again() { [ "$(restarts)" -gt "$n" ] && req GET /readyz && [ "$STATUS" = 200 ]; }
	wait_for 200 again
}
initial() { grep -c 'restarts in 0.300 s' "$DAEMON_LOG"; }
doubled() { grep -c 'restarts in 0.600 s' "$DAEMON_LOG"; }
sleep 11
before=$(initial)
check "a crash after 10 s ready" crash_and_wait
expect "starts the backoff at restart.initial" $((before + 1)) "$(initial)"
check "a second crash at once" crash_and_wait
expect "the backoff doubles" 1 "$(doubled)"
sleep 11
check "a crash after 10 s ready again" crash_and_wait
expect "the backoff is back to restart.initial" $((before + 2)) "$(initial)"
stop_daemon
finish
