#!/bin/sh
# Fairness on the loop: one plugin's worker writes to its stderr as fast as
# it can while echo is called; echo answers every request within the bound
# stated in nebula-plugind(8) (2 s, a bound and not a measurement), and the
# flood is cut to the plugin's log_rate with a "suppressed" line a second
# and a counter in the metrics.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

flood="$E2E_TMP/flood.sh"
cat >"$flood" <<'EOF2'
#!/bin/sh
printf '%s\n' '{"hello": {"protocol": 1}}'
yes "flood: a worker that logs without pause" >&2 &
cat >/dev/null
kill $!
EOF2
chmod +x "$flood"
conf=$(write_config flood <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: flood
    command: [$flood]
    task_types: [{type: flood, versions: [v1]}]
    log_rate: {lines: 20, bytes: 4K}
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "ready" wait_ready

# Every create within the fairness bound (echo_creates in lib.sh).
echo_creates 50
expect "echo answers all 50 creates within 2 s each during a stderr flood" \
    50 "$CREATES_OK"

has_suppressed() {
	grep -q 'plugin=flood.*stderr: suppressed [0-9][0-9]* lines ([0-9][0-9]* bytes)' \
	    "$DAEMON_LOG"
}
check "the flood is cut to log_rate with a suppressed line" \
    wait_for 50 has_suppressed
logged=$(grep -c 'flood: a worker that logs' "$DAEMON_LOG")
check "only a few of its lines reach the log ($logged)" \
    test "$logged" -gt 0 -a "$logged" -lt 100000
req GET /metrics
n=$(printf '%s\n' "$BODY" | sed -n \
    's/^nebula_worker_log_suppressed_lines_total{plugin="flood"} \([0-9]*\)$/\1/p')
check "the suppressed lines are counted in the metrics ($n)" \
    test "${n:-0}" -gt 0
req GET /plugins/v1/flood
expect "the flooding instance is not restarted" 0 "$(jget .restarts)"
stop_daemon
finish
