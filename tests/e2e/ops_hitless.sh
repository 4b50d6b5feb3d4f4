#!/bin/sh
# Hitless reload under load: a changed plugin's new instances start beside
# the old ones and take over once they said hello; a change of instances
# alone adds or stops instances, leaving the others; adding and removing
# plugins; every answer of the load is 200 and /readyz stays 200.  A
# configured plugin that cannot start answers 503 with Retry-After on its
# name route, never 404; GET /plugins/v1/NAME lists each instance.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

conf="$E2E_TMP/hitless.yaml"
cat >"$conf" <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
    queue: 100000
  - name: ghost
    command: [$E2E_TMP/no-such-program]
EOF2
start_daemon "$conf" || { fail "daemon starts"; finish; }
started() { req GET /plugins/v1/ghost; [ "$(jget .restarts)" -ge 1 ]; }
check "the plugin with a missing program has tried to start" wait_for 100 started

req PUT /plugins/v1/ghost/v1 '{"task_template":{"type":"ghost"}}'
expect "a configured plugin with a missing program answers 503" 503 "$STATUS"
expect "with its code" UNAVAILABLE "$(jget .error.code)"
check "and a Retry-After header" test -n "$(header Retry-After)"
req PUT /plugins/v1/nobody/v1 '{"task_template":{"type":"nobody"}}'
expect "a task type no configured plugin serves answers 404" 404 "$STATUS"

req GET /plugins/v1/ghost
expect "the plugin shows its last error" true \
    "$(jget '.last_error | test("no-such-program")')"
expect "one entry per instance" 1 "$(jget '.instance_details | length')"
expect "the instance has no pid" null "$(jget '.instance_details[0].pid')"
expect "the instance's own restarts" true \
    "$(jget '.instance_details[0].restarts >= 1')"
req GET /plugins/v1
expect "the list shows last_error too" true \
    "$(jget '.plugins[] | select(.name == "ghost") | .last_error | test("no-such-program")')"

check "ready (echo)" wait_for 100 sh -c "curl -s '$URL/plugins/v1/echo' | jq -e '.ready == 1' >/dev/null"
req GET /plugins/v1/echo
expect "a ready instance shows its state" ready "$(jget '.instance_details[0].state')"
echo_pid=$(jget '.instance_details[0].pid')
check "and its pid is the worker's" kill -0 "$echo_pid"
check "and its uptime" test "$(jget '.instance_details[0].uptime >= 0')" = true

# the load: four loops of creates against echo, every status recorded
load() {
	while [ ! -e "$E2E_TMP/stop" ]; do
		curl -s -o /dev/null -w '%{http_code}\n' -m 20 -X PUT \
		    --data-binary '{"task_template":{"type":"echo"}}' \
		    "$URL/plugins/v1/echo/v1" >>"$E2E_TMP/load.$1"
	done
}
probe() {
	while [ ! -e "$E2E_TMP/stop" ]; do
		curl -s -o /dev/null -w '%{http_code}\n' -m 20 \
		    "$URL/readyz" >>"$E2E_TMP/readyz"
	done
}
load 1 & l1=$!
load 2 & l2=$!
load 3 & l3=$!

reload() {
	cat >"$conf"
	n=$(grep -c 'reloaded ' "$DAEMON_LOG")
	kill -HUP "$DAEMON_PID"
	wait_for 100 sh -c "[ \$(grep -c 'reloaded ' '$DAEMON_LOG') -gt $n ]"
}
answered() { [ "$(cat "$E2E_TMP"/load.* 2>/dev/null | wc -l)" -ge "$1" ]; }

# ghost removed, extra added: echo untouched
check "some load before the reloads" wait_for 200 answered 50
check "reload: add and remove plugins" reload <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
    queue: 100000
  - name: extra
    command: [$TESTWORKER]
EOF2
extra() { req GET /plugins/v1/extra; [ "$(jget .ready)" = 1 ]; }
check "the added plugin starts" wait_for 100 extra
# from here every configured plugin is ready: /readyz must stay 200
probe & l4=$!

# instances 1 -> 3: the first instance keeps its process
check "reload: instances 1 -> 3" reload <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
    queue: 100000
    instances: 3
  - name: extra
    command: [$TESTWORKER]
EOF2
three() { req GET /plugins/v1/echo; [ "$(jget .ready)" = 3 ]; }
check "two instances are added" wait_for 100 three
expect "the first instance keeps its process" "$echo_pid" \
    "$(jget '.instance_details[0].pid')"
expect "the instance count is 3" 3 "$(jget .instances)"

# instances 3 -> 2: only the last one stops
check "reload: instances 3 -> 2" reload <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
    queue: 100000
    instances: 2
  - name: extra
    command: [$TESTWORKER]
EOF2
req GET /plugins/v1/echo
expect "two instances are left" 2 "$(jget '.instance_details | length')"
expect "the first still has its process" "$echo_pid" \
    "$(jget '.instance_details[0].pid')"

# a changed plugin: new instances, then the old ones drain
before=$(cat "$E2E_TMP"/load.* | wc -l)
check "reload: echo's environment changes" reload <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
    queue: 100000
    instances: 2
    env: {GENERATION: "2"}
  - name: extra
    command: [$TESTWORKER]
EOF2
replaced() {
	req GET /plugins/v1/echo
	[ "$(jget '[.instance_details[] | select(.state == "ready")] | length')" = 2 ] &&
	    [ "$(jget '.instance_details[0].pid')" != "$echo_pid" ]
}
check "the changed plugin runs new instances" wait_for 100 replaced
drained() { ! kill -0 "$echo_pid" 2>/dev/null; }
check "the old instances drained and exited" wait_for 100 drained
check "the load went on after the change" wait_for 200 answered $((before + 50))

touch "$E2E_TMP/stop"
wait "$l1" "$l2" "$l3" "$l4"
cat "$E2E_TMP"/load.* >"$E2E_TMP/load"
check "the load made requests" test "$(grep -c . "$E2E_TMP/load")" -gt 100
expect "every create of the load answered 200" "" \
    "$(grep -v -x 200 "$E2E_TMP/load" | sort | uniq -c)"
expect "/readyz answered 200 throughout" "" \
    "$(grep -v -x 200 "$E2E_TMP/readyz" | sort | uniq -c)"
check "the old instances' hand-over is logged" \
    grep -q 'a new instance is ready: the old ones drain' "$DAEMON_LOG"
req GET /metrics
check "metrics: nebula_build_info" sh -c "printf '%s\n' \"\$1\" | grep -q '^nebula_build_info{version='" - "$BODY"
for m in process_cpu_seconds_total process_resident_memory_bytes \
    process_open_fds process_start_time_seconds \
    nebula_config_last_reload_success_timestamp_seconds; do
	check "metrics: $m" sh -c "printf '%s\n' \"\$1\" | grep -q '^$m [0-9]'" - "$BODY"
done
check "metrics: the last reload succeeded" sh -c "printf '%s\n' \"\$1\" | grep -q '^nebula_config_last_reload_successful 1'" - "$BODY"
check "metrics: restarts by reason survive the plugin's removal" sh -c "printf '%s\n' \"\$1\" | grep -q '^nebula_worker_restarts_total{plugin=\"ghost\",reason=\"spawn\"} [1-9]'" - "$BODY"
stop_daemon
finish
