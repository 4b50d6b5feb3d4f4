#!/bin/sh
# nebula-plugin local runs a worker over pipes with no daemon: the shipped
# echo and sleep plugins, the examples and the test worker to completion;
# a FAILED job exits 1; a worker error or a worker that cannot run exits 3;
# no hello within the start timeout (5 s, --start-timeout) exits 3 naming
# the limit and the expected first line; SIGINT deletes the job before
# exiting.  Its request lines are the daemon's, from the protocol codec.
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
has "a bad hello names the expected first line" \
    'protocol 2.*the first line on stdout must be \{"hello": \{"protocol": 1, \.\.\.\}\}$' \
    "$ERR"

TW_NO_HELLO=1 np local --start-timeout 1 "$TESTWORKER" <<'EOF2'
{"task_template":{"type":"testworker"}}
EOF2
expect "no hello within --start-timeout exits 3" 3 "$RC"
has "no hello names the start timeout and the first line" \
    '^nebula-plugin: no hello within 1 s; the first line on stdout must be \{"hello": \{"protocol": 1, \.\.\.\}\}$' \
    "$ERR"

# the default start timeout is 5 s (the daemon's), not the request timeout
TW_NO_HELLO=1 np local "$TESTWORKER" <<'EOF2'
{"task_template":{"type":"testworker"}}
EOF2
expect "no hello by default exits 3" 3 "$RC"
has "no hello by default says 5 s" '^nebula-plugin: no hello within 5 s; ' \
    "$ERR"

np local --start-timeout nope "$TESTWORKER" <<'EOF2'
{"task_template":{"type":"testworker"}}
EOF2
expect "a bad --start-timeout exits 2" 2 "$RC"

# the request lines: the daemon's fields first, in order, then the body's
# members, the daemon's names winning
rec="$E2E_TMP/local.lines"
: >"$rec"
RAW_RECORD="$rec" np local -i 0.1 "$RAWWORKER" <<'EOF2'
{"task_template":{"type":"raw","custom":{"q":"a\nb"}},
 "op": "x", "deadline_ms": -1, "inputs": {"k": [1, 2]}}
EOF2
expect "local runs the recording worker" 0 "$RC"
has "local's create line is the codec's" \
    '^\{"id":1,"op":"create","task_type":"raw","version":"v2","request_id":"local-1","deadline_ms":30000,"task_template":\{"type":"raw","custom":\{"q":"a\\nb"\}\},"inputs":\{"k":\[1,2\]\}\}$' \
    "$(cat "$rec")"
has "local's get line carries the resource_meta" \
    '^\{"id":2,"op":"get","task_type":"raw","version":"v2","request_id":"local-2","deadline_ms":30000,"resource_meta":\{"job":1\}\}$' \
    "$(cat "$rec")"

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
