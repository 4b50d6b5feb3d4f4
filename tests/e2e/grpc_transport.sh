#!/bin/sh
# The HTTP/2 and gRPC transport (h2.c, grpc.c) end to end: the test server
# serves test methods to Debian's python3-grpcio (generic calls: each
# method, deadlines, status codes, 200 calls on one channel) and to hostile
# raw-socket peers, then stops on SIGTERM with no sanitizer report.
# shellcheck source=tests/e2e/lib.sh
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

SERVER="$top_builddir/tests/grpc/grpc_testserver"
# Debian's python3, where python3-grpcio lives (not a pyenv shim).
PY=${GRPC_PYTHON:-/usr/bin/python3}
if ! "$PY" -c 'import grpc' 2>/dev/null; then
	echo "grpc_transport.sh: python3-grpcio missing (scripts/install-deps)"
	exit 1
fi

DAEMON_LOG="$E2E_TMP/grpc_testserver.log"
"$SERVER" -b 65536 -w 2 -H 2 >"$E2E_TMP/port" 2>"$DAEMON_LOG" &
DAEMON_PID=$!
wait_for 300 grep -q '^port ' "$E2E_TMP/port" || {
	echo "# the test server did not start"
	sed 's/^/#   /' "$DAEMON_LOG"
	exit 1
}
PORT=$(sed -n 's/^port //p' "$E2E_TMP/port")

"$PY" "$top_srcdir/tests/grpc/grpc_client.py" "$PORT" >"$E2E_TMP/client.out"
expect "grpcio client checks pass" 0 "$?"
sed 's/^/# /' "$E2E_TMP/client.out"
"$PY" "$top_srcdir/tests/grpc/h2_hostile.py" "$PORT" >"$E2E_TMP/hostile.out"
expect "hostile peer checks pass" 0 "$?"
sed 's/^/# /' "$E2E_TMP/hostile.out"

logged() {
	grep -q "$1" "$DAEMON_LOG"
}
check "a held call past its deadline is cancelled on the server" \
	wait_for 300 logged 'hold: cancelled deadline'
check "a held call whose client vanished is cancelled" \
	wait_for 300 logged 'hold: cancelled vanish'
check "a stream whose window never opens holds bounded memory" \
	logged 'stream: send refused after'
check "one access log line per call" \
	logged 'path=/test.Test/Fail status=9 '
check "the reset flood is logged" logged 'ENHANCE_YOUR_CALM'

# Graceful stop: a call in flight at SIGTERM still gets its answer.
"$PY" -c '
import sys, grpc
ch = grpc.insecure_channel("127.0.0.1:" + sys.argv[1])
got = ch.unary_unary("/test.Test/Later")(b"wait:drain", timeout=60)
sys.exit(0 if got == b"wait:drain" else 1)' "$PORT" &
inflight=$!
check "the call in flight reaches the server" \
	wait_for 300 logged 'later: waiting wait:drain'
stop_daemon
wait "$inflight"
expect "a call in flight at SIGTERM is answered (GOAWAY, then drain)" 0 "$?"
finish
