#!/bin/sh
# Fairness on the loop, worker stdout: one plugin's worker writes lines to
# its stdout as fast as it can (answers to ids it was never sent, and
# garbage) while echo is called; echo answers every request within the
# bound stated in nebula-plugind(8) (2 s, a bound and not a measurement),
# the flooding instance is neither killed nor restarted for it, and its
# dropped lines are logged at most 10 a second, then counted.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

flood="$E2E_TMP/flood.sh"
cat >"$flood" <<'EOF2'
#!/bin/sh
printf '%s\n' '{"hello": {"protocol": 1}}'
yes '{"id": 4242, "resource_meta": {"job": "never asked for"}}' &
a=$!
yes 'garbage: not a JSON line at all' &
b=$!
cat >/dev/null
kill $a $b
EOF2
chmod +x "$flood"
conf=$(write_config flood <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: flood
    command: [$flood]
    task_types: [{type: flood, versions: [v1]}]
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "ready" wait_ready

flooding() {
	grep -q 'plugin=flood.*protocol violation, line dropped: ' "$DAEMON_LOG"
}
check "the flood is under way (its lines are protocol violations)" \
    wait_for 100 flooding

# Every create within the fairness bound (echo_creates in lib.sh).
echo_creates 50
expect "echo answers all 50 creates within 2 s each during a stdout flood" \
    50 "$CREATES_OK"

req GET /plugins/v1/flood
expect "the flooding instance is still ready" ready "$(jget .state)"
expect "the flooding instance is not restarted" 0 "$(jget .restarts)"
unlogged() {
	grep -q 'plugin=flood.*protocol violations: [0-9][0-9]* more lines dropped unlogged' \
	    "$DAEMON_LOG"
}
check "past 10 a second, violations are counted, not logged" \
    wait_for 50 unlogged
logged=$(grep -c 'protocol violation, line dropped' "$DAEMON_LOG")
check "only a few of its lines reach the log ($logged)" \
    test "$logged" -gt 0 -a "$logged" -lt 100000
stop_daemon
finish
