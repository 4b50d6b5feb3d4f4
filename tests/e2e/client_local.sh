#!/bin/sh
# nebula-plugin local runs a worker over pipes with no daemon: the shipped
# echo and sleep plugins, the examples and the test worker to completion;
# a FAILED job exits 1; a worker error or a worker that cannot run exits 3;
# SIGINT deletes the job before exiting.
. "${top_srcdir:?run through make check}/tests/e2e/client_lib.sh"

np local "$ECHO_PLUGIN" <<'EOF2'
{"task_template":{"type":"echo"},"inputs":{"x":1}}
EOF2
expect "local echo exits 0" 0 "$RC"
expect "local echo prints the inputs" '{"x":1}' "$OUT"

np local -i 0.1 -m 0.5 -- "$SLEEP_PLUGIN" <<'EOF2'
{"task_template":{"type":"sleep","custom":{"seconds":1}}}
EOF2
expect "local sleep exits 0" 0 "$RC"
expect "local sleep prints its outputs" '{"slept":1}' "$OUT"

np local "$TESTWORKER" <<'EOF2'
{"task_template":{"type":"testworker","custom":{"action":"sync"}},"inputs":{"y":2}}
EOF2
expect "local with a synchronous answer exits 0" 0 "$RC"
expect "local with a synchronous answer prints outputs" '{"y":2}' "$OUT"

np local "$TESTWORKER" <<'EOF2'
{"task_template":{"type":"testworker","custom":{"action":"stderr"}},"inputs":{}}
EOF2
expect "local passes worker stderr on" 0 "$RC"
has "worker stderr reaches the terminal" 'testworker: stderr line 1' "$ERR"

for ex in "$top_srcdir/plugins/examples/shell/nebula-example.sh" \
    "$top_srcdir/plugins/examples/python/nebula_example.py"; do
	[ -x "$ex" ] || continue
	np local "$ex" <<'EOF2'
{"task_template":{"custom":{}},"inputs":{"z":3}}
EOF2
	expect "local runs example $(basename "$ex")" 0 "$RC"
	has "example $(basename "$ex") prints the inputs" '"z": ?3' "$OUT"
done

SHW_PHASE=FAILED np local "$SHWORKER" <<'EOF2'
{"task_template":{"type":"shw"}}
EOF2
expect "a FAILED job exits 1" 1 "$RC"
has "a FAILED job says so on stderr" '^nebula-plugin: job FAILED: shw$' "$ERR"

np local "$TESTWORKER" <<'EOF2'
{"task_template":{"type":"testworker"},"inputs":{}, "op": "x"}
EOF2
expect "body fields do not override the request's op" 0 "$RC"

TW_BAD_PROTOCOL=1 np local "$TESTWORKER" <<'EOF2'
{"task_template":{"type":"testworker"}}
EOF2
expect "a bad hello exits 3" 3 "$RC"

np local "$E2E_TMP/does-not-exist" <<'EOF2'
{"task_template":{"type":"x"}}
EOF2
expect "a worker that cannot run exits 3" 3 "$RC"

np local "$ECHO_PLUGIN" <<'EOF2'
{"inputs":{}}
EOF2
expect "a body without task_template exits 2" 2 "$RC"

np local "$ECHO_PLUGIN" <<'EOF2'
{"task_template":
EOF2
expect "a body that is not JSON exits 2" 2 "$RC"

# SIGINT while polling: the job is deleted first.
rec="$E2E_TMP/local.record"
: >"$rec"
printf '%s\n' '{"task_template":{"type":"shw"}}' >"$E2E_TMP/shw.json"
SHW_PHASE=RUNNING SHW_RECORD="$rec" "$NEBULA_PLUGIN" local -i 0.1 -m 0.2 \
    "$SHWORKER" <"$E2E_TMP/shw.json" >"$E2E_TMP/int.out" 2>"$E2E_TMP/int.err" &
pid=$!
polled() { grep -q '^get$' "$rec"; }
check "local polls a RUNNING job" wait_for 300 polled
kill -INT "$pid"
wait "$pid"
expect "local exits 1 after SIGINT" 1 "$?"
check "the worker was asked to delete the job" grep -q '^delete$' "$rec"
has "local says the job was deleted" 'interrupted: job deleted' "$(cat "$E2E_TMP/int.err")"
cat "$E2E_TMP/int.err" >>"$CLIENT_LOG"

client_sanitizers
finish
