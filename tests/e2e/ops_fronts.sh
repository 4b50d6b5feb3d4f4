#!/bin/sh
# front_processes: N front processes share the listening port with
# SO_REUSEPORT, each with its own pools; the supervisor forwards SIGHUP and
# SIGTERM, restarts a front that dies, and exits 0 with nothing left over.
# One scrape sums every front's counters, which never go backwards, even
# across a front's restart.
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
check "the access log names client, user agent and plugin" \
    grep -q 'plugin=echo .*method=PUT .*client=127\.0\.0\.1:[0-9]* user_agent=curl/' "$DAEMON_LOG"

# One scrape shows both fronts: whichever front answers, the sums are the
# requests sent so far, and they never go backwards.
put_count() {
	printf '%s\n' "$1" | sed -n 's|^nebula_http_responses_total{route="/plugins/v1/{}/{}",status="200"} ||p'
}
metrics_count() {
	printf '%s\n' "$1" | sed -n 's|^nebula_http_responses_total{route="/metrics",status="200"} ||p'
}
prev=0
mono=0
exact=0
i=0
while [ $i -lt 20 ]; do
	body=$(curl -s "$URL/metrics")
	n=$(put_count "$body")
	m=$(metrics_count "$body")
	[ "${n:-0}" -ge "$prev" ] && mono=$((mono + 1))
	[ "$n" = 40 ] && [ "${m:-0}" -ge $((i)) ] && exact=$((exact + 1))
	prev=${n:-0}
	i=$((i + 1))
done
expect "20 scrapes never go backwards" 20 "$mono"
expect "every scrape counts the 40 creates of both fronts" 20 "$exact"
check "requests by plugin summed too" sh -c "curl -s '$URL/metrics' | grep -qx 'nebula_requests_total{plugin=\"echo\",op=\"create\",code=\"200\"} 40'"
check "the scrape says it sums two fronts" sh -c "curl -s '$URL/metrics' | grep -qx 'nebula_fronts 2'"
curl -s -o /dev/null "$URL/no/such/path"
curl -s -o /dev/null "$URL/no/such/path"
check "404s of unknown paths are counted under route unknown" sh -c "curl -s '$URL/metrics' | grep -qx 'nebula_http_responses_total{route=\"unknown\",status=\"404\"} 2'"
check "both fronts started" sh -c "[ \$(grep -c 'front [01] of 2 started' '$DAEMON_LOG') = 2 ]"

kill -HUP "$DAEMON_PID"
both_reloaded() { [ "$(grep -c 'reloaded' "$DAEMON_LOG")" = 2 ]; }
check "SIGHUP reaches both fronts" wait_for 100 both_reloaded

victim=$(fronts | head -n 1)
kill -KILL "$victim"
replaced() { fronts | grep -qx "$victim" && return 1; two_fronts; }
check "a front that dies is replaced" wait_for 100 replaced
check "ready again" wait_ready
body=$(curl -s "$URL/metrics")
expect "a replaced front's counts are kept" 40 "$(put_count "$body")"
all=$(fronts)
for f in $all; do all="$all $(pgrep -P "$f")"; done
stop_daemon
left=0
for p in $all; do kill -0 "$p" 2>/dev/null && left=$((left + 1)); done
expect "no front or worker outlives the supervisor" 0 "$left"
finish
