#!/bin/sh
# The input limits of nebula-plugin-protocol(7) on the gRPC CreateTask
# path: the real daemon, a worker recording the lines it gets as bytes
# (tests/grpc/rawrecord_worker.py) and Debian's python3-grpcio sending
# hand-built messages (tests/grpc/grpc_limits.py): 64 deep forwarded, 65
# refused; 1 MiB strings and names forwarded, one byte more refused;
# invalid UTF-8 refused; a map or Struct key repeated on the wire written
# once.  Then the worker was started once and never restarted, and no
# sanitizer report when the daemon stops.
# shellcheck source=tests/e2e/lib.sh
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

stubs="$top_builddir/tests/grpc/stubs"
PY=$("$top_srcdir/tests/grpc/gen-stubs.sh" "$stubs") || {
	echo "grpc_limits.sh: cannot generate the Flyte stubs"
	exit 1
}
"$PY" -c 'import grpc' 2>/dev/null || {
	echo "grpc_limits.sh: python3-grpcio missing (scripts/install-deps)"
	exit 1
}
PYPATH=$(command -v "$PY")

conf=$(write_config grpclimits <<EOF2
limits: {max_body_bytes: 4194304}
plugins:
  - name: rec
    command: [$PYPATH, $top_srcdir/tests/grpc/rawrecord_worker.py, $E2E_TMP/rec.record, $E2E_TMP/rec.starts]
    task_types: [{type: rec, versions: [v1]}]
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "daemon becomes ready" wait_ready
"$PY" "$top_srcdir/tests/grpc/grpc_limits.py" "127.0.0.1:$PORT" "$stubs" \
    "$E2E_TMP/rec.record" >"$E2E_TMP/client.out" 2>&1
rc=$?
sed 's/^/# /' "$E2E_TMP/client.out"
expect "the gRPC input limits client's checks pass" 0 "$rc"

starts=$(wc -l <"$E2E_TMP/rec.starts" | tr -d ' ')
expect "the worker was started once" 1 "$starts"
req GET /metrics
restarts=$(printf '%s\n' "$BODY" | sed -n \
    's/^nebula_worker_restarts_total{plugin="rec",[^}]*} \([0-9]*\)$/\1/p' |
    awk '{ n += $1; k++ } END { print k ? n : "none" }')
expect "the worker was never restarted (metrics)" 0 "$restarts"
stop_daemon
finish
