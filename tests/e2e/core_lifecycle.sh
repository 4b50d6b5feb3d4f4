#!/bin/sh
# The command line and the process tree: -h, -V, -t, usage errors, -p, and a
# SIGTERM that stops every worker and exits 0.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

"$NEBULA_PLUGIND" -h >"$E2E_TMP/help"
expect "-h exits 0" 0 $?
check "-h prints the usage" grep -q 'usage: nebula-plugind' "$E2E_TMP/help"
"$NEBULA_PLUGIND" -V >"$E2E_TMP/version"
expect "-V exits 0" 0 $?
check "-V prints the version" grep -q '^nebula-plugind ' "$E2E_TMP/version"
"$NEBULA_PLUGIND" -x 2>/dev/null
expect "an unknown option exits 2" 2 $?
"$NEBULA_PLUGIND" extra 2>/dev/null
expect "an extra argument exits 2" 2 $?

out=$("$NEBULA_PLUGIND" -t)
expect "-t on the built-in configuration exits 0" 0 $?
expect "-t prints ok" ok "$out"
"$NEBULA_PLUGIND" -t -c "$top_srcdir/conf/nebula-plugind.yaml" >/dev/null
expect "-t on the shipped file exits 0" 0 $?
bad=$(write_config bad <<'EOF2'
listen: 127.0.0.1:0
plugins:
  - name: echo
    command: [nebula-echo]
    instances: many
EOF2
)
"$NEBULA_PLUGIND" -t -c "$bad" 2>"$E2E_TMP/bad.err"
expect "-t on a bad file exits 1" 1 $?
check "the error names the file and line" grep -q "$bad:5" "$E2E_TMP/bad.err"
"$NEBULA_PLUGIND" -c "$E2E_TMP/none.yaml" 2>"$E2E_TMP/none.err"
expect "a missing configuration file exits 1" 1 $?
"$NEBULA_PLUGIND" -t -p nosuch 2>"$E2E_TMP/p.err"
expect "-p with an unknown plugin exits 1" 1 $?

# -p serves only that plugin
start_daemon "" -p sleep || fail "daemon starts with -p"
check "ready with -p sleep" wait_ready
req PUT /plugins/v1/echo/v1 '{"task_template":{"type":"echo"}}'
expect "-p sleep: echo answers 404" 404 "$STATUS"
req PUT /plugins/v1/sleep/v1 '{"task_template":{"type":"sleep","custom":{"seconds":0}}}'
expect "-p sleep: sleep answers 200" 200 "$STATUS"
req GET /plugins/v1
expect "-p sleep lists only sleep" sleep "$(jget '[.plugins[].name] | join(" ")')"
stop_daemon

# SIGTERM stops every worker
start_daemon "" || fail "daemon starts"
check "ready" wait_ready
pids=$(ps -o pid= --ppid "$DAEMON_PID" | tr -d ' ')
expect "one worker process per plugin" 2 "$(printf '%s\n' "$pids" | grep -c .)"
stop_daemon
left=0
for p in $pids; do
	kill -0 "$p" 2>/dev/null && left=$((left + 1))
done
expect "no worker outlives the daemon" 0 "$left"

# installed layout: the plugins beside the daemon, no build tree around
mkdir -p "$E2E_TMP/inst/bin"
cp "$NEBULA_PLUGIND" "$ECHO_PLUGIN" "$SLEEP_PLUGIN" "$E2E_TMP/inst/bin/"
NEBULA_PLUGIND="$E2E_TMP/inst/bin/nebula-plugind"
start_daemon "" || fail "installed daemon starts"
check "installed daemon finds its plugins beside it" wait_ready
req PUT /plugins/v1/echo/v1 '{"task_template":{"type":"echo"}}'
expect "installed daemon serves echo" 200 "$STATUS"
stop_daemon
NEBULA_PLUGIND="$top_builddir/supervisor/nebula-plugind"

# a daemon killed outright: its workers see end of file and go
start_daemon "" || fail "daemon starts"
check "ready" wait_ready
pids=$(ps -o pid= --ppid "$DAEMON_PID" | tr -d ' ')
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
gone() {
	for p in $pids; do
		kill -0 "$p" 2>/dev/null && return 1
	done
	return 0
}
check "workers exit when the daemon is killed" wait_for 100 gone
finish
