#!/bin/sh
# nebula-plugin check passes the shipped and example plugins and the test
# worker, and fails, naming the right check, workers that never say hello,
# speak another protocol version, answer the wrong id, print lines that are
# not JSON, ignore unknown ops, or never exit at end of input.  Without
# --template it sends a sample built from the hello, and a job check that
# fails on it says to rerun with --template FILE.  Its requests are the
# daemon's lines, from the protocol codec.
. "${top_srcdir:?run through make check}/tests/e2e/client_lib.sh"

np check "$ECHO_PLUGIN"
expect "check passes echo" 0 "$RC"
for c in hello create get concurrency unknown-op delete exit stdout; do
	has "check of echo passes $c" "^PASS $c: " "$OUT"
done
has "check prints a count" '^8 passed, 0 failed, 0 skipped$' "$OUT"

sleepbody=$(body sleep '{"task_template":{"type":"sleep","custom":{"seconds":0}},"inputs":{}}')
np check --template "$sleepbody" -- "$SLEEP_PLUGIN"
expect "check passes sleep with a template" 0 "$RC"
has "with a template, create does not mention the sample" \
    '^PASS create: sleep/v1 answered with a resource_meta$' "$OUT"

# sleep refuses a template without custom.seconds: the sample fails create
np check "$SLEEP_PLUGIN"
expect "sleep without a template: exit 1" 1 "$RC"
has "sleep without a template: FAIL create says to rerun with --template" \
    '^FAIL create: .*seconds.*; this check needs a real template and ran on a sample built from the hello: rerun with --template FILE$' \
    "$OUT"
has "sleep without a template: the job checks are skipped" \
    '^SKIP get: create failed' "$OUT"
has "sleep without a template: unknown-op needs no template" \
    '^PASS unknown-op: ' "$OUT"

# the sample is built from the hello (its first task type and version), and
# the request lines are the codec's: the daemon's fields first, in order
rec="$E2E_TMP/check.record"
: >"$rec"
RAW_RECORD="$rec" np check "$RAWWORKER"
expect "check passes the recording worker" 0 "$RC"
has "create PASS says the sample template was used" \
    '^PASS create: raw/v2 answered with a resource_meta \(to the sample template\)$' \
    "$OUT"
has "the sample create: hello's first type and version, daemon fields first" \
    '^\{"id":1,"op":"create","task_type":"raw","version":"v2","request_id":"check-1","deadline_ms":5000,"task_template":\{"type":"raw","custom":\{\}\},"inputs":\{\}' \
    "$(cat "$rec")"
has "get carries the resource_meta after the daemon's fields" \
    '^\{"id":2,"op":"get","task_type":"raw","version":"v2","request_id":"check-2","deadline_ms":5000,"resource_meta":\{"job":1\}\}$' \
    "$(cat "$rec")"

: >"$rec"
tmpl=$(body tmpl '{"op":"x","id":99,"task_template":{"type":"raw"},"inputs":{"a":"b\"c"}}')
RAW_RECORD="$rec" np check --template "$tmpl" -w 2 "$RAWWORKER"
expect "check with a template passes the recording worker" 0 "$RC"
has "a template's members follow, the daemon's names win" \
    '^\{"id":1,"op":"create","task_type":"raw","version":"v2","request_id":"check-1","deadline_ms":2000,"task_template":\{"type":"raw"\},"inputs":\{"a":"b\\"c"\}\}$' \
    "$(cat "$rec")"

# failing workers: exit 1, the right check FAILs
TW_NO_HELLO=1 np check --start-timeout 1 "$TESTWORKER"
expect "no hello: exit 1" 1 "$RC"
has "no hello: FAIL hello names the start timeout and the first line" \
    '^FAIL hello: no hello within 1 s; the first line on stdout must be \{"hello": \{"protocol": 1, \.\.\.\}\}$' \
    "$OUT"
has "no hello: the rest is skipped" '^SKIP create: ' "$OUT"

TW_EXIT_AT_START=0 np check "$TESTWORKER"
expect "stdout closed before a hello: exit 1" 1 "$RC"
has "stdout closed before a hello: FAIL hello names the first line" \
    '^FAIL hello: stdout closed before a hello; the first line on stdout must be \{"hello"' \
    "$OUT"

np check --start-timeout 0 "$TESTWORKER"
expect "check --start-timeout 0: exit 2" 2 "$RC"

TW_BAD_PROTOCOL=1 np check -w 1 "$TESTWORKER"
expect "protocol 2: exit 1" 1 "$RC"
has "protocol 2: FAIL hello names the protocol" '^FAIL hello: .*protocol 2' "$OUT"

wrongid=$(body wrongid '{"task_template":{"type":"testworker","custom":{"action":"wrongid"}}}')
np check -w 1 --template "$wrongid" "$TESTWORKER"
expect "wrong id: exit 1" 1 "$RC"
has "wrong id: FAIL create names the ids" '^FAIL create: answered id 1001, expected 1$' "$OUT"

garbage=$(body garbage '{"task_template":{"type":"testworker","custom":{"poll_action":"garbage"}}}')
np check -w 1 --template "$garbage" "$TESTWORKER"
expect "non-JSON line: exit 1" 1 "$RC"
has "non-JSON line: FAIL stdout" '^FAIL stdout: .*this is not json' "$OUT"

SHW_IGNORE_UNKNOWN=1 np check -w 1 "$SHWORKER"
expect "ignored unknown op: exit 1" 1 "$RC"
has "ignored unknown op: FAIL unknown-op" '^FAIL unknown-op: ' "$OUT"
has "ignored unknown op: the rest passes" '^PASS delete: ' "$OUT"

SHW_NO_EXIT=1 np check -w 1 "$SHWORKER"
expect "no exit at end of input: exit 1" 1 "$RC"
has "no exit at end of input: FAIL exit" '^FAIL exit: ' "$OUT"

np check -w 1 "$E2E_TMP/does-not-exist"
expect "a command that cannot run: exit 3" 3 "$RC"
has "a command that cannot run: one error line" '^nebula-plugin: cannot run' "$ERR"

np check
expect "check without a command: exit 2" 2 "$RC"
np check --template "$E2E_TMP/nope.json" "$ECHO_PLUGIN"
expect "check with a missing template: exit 2" 2 "$RC"

client_sanitizers
finish
