#!/bin/sh
# Hostile HTTP/2 against the real daemon serving Flyte's services
# (tests/grpc/h2_hostile_daemon.py): garbage after the preface, a reset
# flood while another client is served, a window that never opens,
# oversized messages, a client vanishing with calls in flight; every one
# answered or cut off, nothing else disturbed, the workers still serving,
# and no sanitizer report when the daemon stops.
# shellcheck source=tests/e2e/lib.sh
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

stubs="$top_builddir/tests/grpc/stubs"
PY=$("$top_srcdir/tests/grpc/gen-stubs.sh" "$stubs") || {
	echo "api_grpc_hostile.sh: cannot generate the Flyte stubs"
	exit 1
}
"$PY" -c 'import grpc' 2>/dev/null || {
	echo "api_grpc_hostile.sh: python3-grpcio missing (scripts/install-deps)"
	exit 1
}

conf=$(write_config grpchostile <<EOF2
limits: {max_body_bytes: 65536, body_timeout: 2s, header_timeout: 2s}
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
  - name: sleep
    command: [$SLEEP_PLUGIN]
  - name: tw
    command: [$TESTWORKER]
    task_types: [{type: tw, versions: [v1]}]
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "daemon becomes ready" wait_ready
"$PY" "$top_srcdir/tests/grpc/h2_hostile_daemon.py" "$PORT" "$stubs" \
    >"$E2E_TMP/hostile.out" 2>&1
rc=$?
sed 's/^/# /' "$E2E_TMP/hostile.out"
expect "hostile HTTP/2 peers are answered or cut off" 0 "$rc"
req GET /readyz
expect "the REST front is undisturbed" 200 "$STATUS"
req PUT /plugins/v1/tw/v1 '{"task_template":{"type":"tw"}}'
expect "the test worker still serves" 200 "$STATUS"
stop_daemon
finish
