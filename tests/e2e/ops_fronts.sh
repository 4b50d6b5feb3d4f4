#!/bin/sh
# front_processes: N front processes share the listening port with
# SO_REUSEPORT, each with its own pools; the supervisor forwards SIGHUP and
# SIGTERM, restarts a front that dies, and exits 0 with nothing left over.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

conf="$E2E_TMP/fronts.yaml"
cat >"$conf" <<EOF2
listen: 127.0.0.1:0
front_processes: 2
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
start_daemon "$conf" || { fail "daemon starts with two fronts"; finish; }
fronts() { pgrep -P "$DAEMON_PID"; }
two_fronts() { [ "$(fronts | grep -c .)" = 2 ]; }
check "two front processes" wait_for 100 two_fronts
check "ready" wait_ready
all_workers() {
	n=0
	for f in $(fronts); do
		n=$((n + $(pgrep -c -P "$f")))
	done
	[ "$n" = 2 ]
}
check "each front has its own echo worker" wait_for 100 all_workers
ok=0
i=0
while [ $i -lt 40 ]; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
	    --data-binary '{"task_template":{"type":"echo"}}' "$URL/plugins/v1/echo/v1")
	[ "$code" = 200 ] && ok=$((ok + 1))
	i=$((i + 1))
done
expect "40 creates through the shared port all answer 200" 40 "$ok"
served() { [ "$(grep -c 'method=PUT' "$DAEMON_LOG")" -ge 40 ]; }
check "the access log has them" wait_for 50 served
check "both fronts started" sh -c "[ \$(grep -c 'front [01] of 2 started' '$DAEMON_LOG') = 2 ]"

kill -HUP "$DAEMON_PID"
both_reloaded() { [ "$(grep -c 'reloaded' "$DAEMON_LOG")" = 2 ]; }
check "SIGHUP reaches both fronts" wait_for 100 both_reloaded

victim=$(fronts | head -n 1)
kill -KILL "$victim"
replaced() { fronts | grep -qx "$victim" && return 1; two_fronts; }
check "a front that dies is replaced" wait_for 100 replaced
check "ready again" wait_ready
all=$(fronts)
for f in $all; do all="$all $(pgrep -P "$f")"; done
stop_daemon
left=0
for p in $all; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
expect "no front or worker outlives the supervisor" 0 "$left"
finish
