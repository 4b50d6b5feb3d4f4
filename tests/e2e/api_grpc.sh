#!/bin/sh
# Flyte's gRPC services end to end: the real daemon with echo, sleep and a
# test worker (sync, hang, crash, slow actions) on one listener, driven by
# Debian's python3-grpcio with the message classes generated at test time
# from the pinned @flyteorg/flyteidl protos (tests/grpc/gen-stubs.sh):
# agents, create/get/delete, typed outputs, ExecuteTaskSync, deadlines,
# status codes, 200 calls on one channel, connector names, health, logs
# and metrics (declared or not); then bearer tokens.
# shellcheck source=tests/e2e/lib.sh
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

stubs="$top_builddir/tests/grpc/stubs"
PY=$("$top_srcdir/tests/grpc/gen-stubs.sh" "$stubs") || {
	echo "api_grpc.sh: cannot generate the Flyte stubs"
	exit 1
}
"$PY" -c 'import grpc' 2>/dev/null || {
	echo "api_grpc.sh: python3-grpcio missing (scripts/install-deps)"
	exit 1
}

conf=$(write_config grpc <<EOF2
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
  - name: sleep
    command: [$SLEEP_PLUGIN]
  - name: tw
    command: [$TESTWORKER]
    task_types: [{type: tw, versions: [v1]}]
    instances: 2
    timeouts: {get: 1s, create: 5s}
    env: {TW_OPS: "logs,metrics", TW_RECORD: "$E2E_TMP/tw.record"}
  - name: twlogs
    command: [$TESTWORKER]
    task_types: [{type: twlogs, versions: [v1]}]
    env: {TW_OPS: logs}
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "daemon becomes ready" wait_ready
"$PY" "$top_srcdir/tests/grpc/flyte_agent_client.py" "127.0.0.1:$PORT" \
    "$stubs" --record "$E2E_TMP/tw.record" >"$E2E_TMP/client.out" 2>&1
rc=$?
sed 's/^/# /' "$E2E_TMP/client.out"
expect "the Flyte gRPC client's checks pass" 0 "$rc"
stop_daemon

# Tokens from authorization metadata.
printf 'grpc-secret-token\n' >"$E2E_TMP/tokens"
conf=$(write_config grpcauth <<EOF2
auth: {tokens_file: $E2E_TMP/tokens}
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts with tokens"; finish; }
check "daemon with tokens becomes ready" wait_ready
"$PY" "$top_srcdir/tests/grpc/flyte_agent_client.py" "127.0.0.1:$PORT" \
    "$stubs" --only auth --token grpc-secret-token >"$E2E_TMP/auth.out" 2>&1
rc=$?
sed 's/^/# /' "$E2E_TMP/auth.out"
expect "bearer tokens in metadata are checked" 0 "$rc"
stop_daemon
finish
