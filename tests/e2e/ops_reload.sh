#!/bin/sh
# SIGHUP: a broken file changes nothing; adding, removing and changing
# plugins while a load runs loses no request: every one gets 2xx, 429 or 503.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

conf="$E2E_TMP/reload.yaml"
cat >"$conf" <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
  - name: sleep
    command: [$SLEEP_PLUGIN]
EOF2
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "ready" wait_ready
pid_of_echo=$(ps -o pid=,args= --ppid "$DAEMON_PID" | awk '/nebula-echo/ { print $1 }')

cp "$conf" "$E2E_TMP/good.yaml"
printf 'plugins: [\n' >"$conf"
kill -HUP "$DAEMON_PID"
bad_logged() { grep -q 'reload failed, the running configuration stays' "$DAEMON_LOG"; }
check "a broken file is refused and logged" wait_for 100 bad_logged
req PUT /plugins/v1/sleep/v1 '{"task_template":{"type":"sleep","custom":{"seconds":0}}}'
expect "the old configuration keeps serving" 200 "$STATUS"

# load: four loops of creates against echo
load() {
	i=0
	while [ $i -lt 60 ]; do
		curl -s -o /dev/null -w '%{http_code}\n' -m 20 -X PUT \
		    --data-binary '{"task_template":{"type":"echo"}}' \
		    "$URL/plugins/v1/echo/v1" >>"$E2E_TMP/load.$1"
		i=$((i + 1))
	done
}
load 1 & l1=$!
load 2 & l2=$!
load 3 & l3=$!
load 4 & l4=$!

cat >"$conf" <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
  - name: extra
    command: [$TESTWORKER]
EOF2
kill -HUP "$DAEMON_PID"
added() { req GET /plugins/v1/extra; [ "$(jget .ready)" = 1 ]; }
check "a plugin added by reload starts" wait_for 100 added
req PUT /plugins/v1/sleep/v1 '{"task_template":{"type":"sleep"}}'
expect "a removed plugin answers 404" 404 "$STATUS"
expect "an unchanged plugin keeps its process" "$pid_of_echo" \
    "$(ps -o pid=,args= --ppid "$DAEMON_PID" | awk '/nebula-echo/ { print $1 }')"

cat >"$conf" <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
    instances: 2
  - name: extra
    command: [$TESTWORKER]
EOF2
kill -HUP "$DAEMON_PID"
changed() { req GET /plugins/v1/echo; [ "$(jget .ready)" = 2 ]; }
check "a changed plugin restarts with its new configuration" wait_for 100 changed
wait "$l1" "$l2" "$l3" "$l4"
cat "$E2E_TMP"/load.* >"$E2E_TMP/load"
expect "every request of the load was answered" 240 "$(grep -c . "$E2E_TMP/load")"
expect "each with 200, 429 or 503" "" "$(grep -v -E '^(200|429|503)$' "$E2E_TMP/load" | sort | uniq -c)"
stop_daemon
finish
