#!/bin/bash
# Instructions per gRPC CreateTask of the daemon and of the echo worker,
# both under callgrind: the body of bench/bodies.py (a 2.5 KB
# CreateTaskRequest) sent by h2load at 64 streams (4 connections of 16),
# counters zeroed after a warm-up, then a fixed number of calls (so that
# none is left half done).  Instruction counts do not depend on the
# machine's load as wall-clock times do.
# Usage: bench/cg-grpc.sh BUILDDIR [CALLS]; VERBOSE=N prints the N
# functions of each that cost most (self), KEEP=1 keeps the scratch folder.

set -eu

B=$(cd "${1:?usage: cg-grpc.sh BUILDDIR [CALLS]}" && pwd)
CALLS=${2:-640}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PORT=$((18900 + RANDOM % 400))
D=$(mktemp -d "${TMPDIR:-/tmp}/cg-grpc.XXXXXX")
PID=

cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$D"
}
trap cleanup EXIT

PY=$(top_builddir=$B "$SRC/tests/grpc/gen-stubs.sh" "$D/stubs")
"$PY" "$SRC/bench/bodies.py" "$D" "$D/stubs" 2>/dev/null

cat >"$D/c.yaml" <<EOC
listen: 127.0.0.1:$PORT
plugins:
  - name: echo
    command: [valgrind, -q, --tool=callgrind, --callgrind-out-file=$D/cg.worker, $B/plugins/echo/nebula-echo]
    task_types: [{type: echo, versions: [v1]}]
    timeouts: {start: 60s, stop: 30s}
EOC
valgrind -q --tool=callgrind --callgrind-out-file="$D/cg.daemon" \
    "$B/supervisor/nebula-plugind" -c "$D/c.yaml" 2>"$D/log" &
PID=$!
for _ in $(seq 1 600); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' \
	    "http://127.0.0.1:$PORT/readyz")" = 200 ] && break
	sleep 0.2
done

h2() {
	h2load -t 2 -c 4 -m 16 -n "$1" -d "$D/grpc_create.bin" \
	    -H 'content-type: application/grpc' -H 'te: trailers' \
	    "http://127.0.0.1:$PORT/flyteidl.service.AsyncAgentService/CreateTask"
}

h2 256 >/dev/null
# Only a real client sees a gRPC status: one call checks it is OK.
"$PY" "$SRC/bench/grpc_peer.py" check "127.0.0.1:$PORT" "$D/stubs" \
    "$D/grpc_create.bin" >/dev/null || echo "cg-grpc: the check call failed"
WK=$(ps -o pid= --ppid "$PID" | head -1)
callgrind_control -z "$PID" >/dev/null 2>&1
callgrind_control -z "$WK" >/dev/null 2>&1
OUT=$(h2 "$CALLS")
kill "$PID"
wait "$PID" 2>/dev/null || true
PID=
sleep 1
N=$(printf '%s\n' "$OUT" | sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p')
echo "grpc create: $N requests"
for f in daemon worker; do
	T=$(callgrind_annotate "$D/cg.$f" 2>/dev/null |
	    sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
	echo "$f: $((T / N)) instr/request"
	[ -n "${VERBOSE:-}" ] && callgrind_annotate --inclusive=no \
	    --threshold=100 --auto=no "$D/cg.$f" 2>/dev/null |
	    grep '^ *[0-9,]* ([ 0-9.]*%)' |
	    grep -v -e 'PROGRAM TOTALS' -e '(100.0%)' | head -n "$VERBOSE" |
	    sed -e 's#/usr/lib/x86_64-linux-gnu/##g' -e 's#\./[^: ]*/##' |
	    cut -c1-140
done
exit 0
