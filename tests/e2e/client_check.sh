#!/bin/sh
# nebula-plugin check passes the shipped and example plugins and the test
# worker, and fails, naming the right check, workers that never say hello,
# speak another protocol version, answer the wrong id, print lines that are
# not JSON, ignore unknown ops, or never exit at end of input.
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

np check "$TESTWORKER"
expect "check passes the well-behaved test worker" 0 "$RC"

np check "$SHWORKER"
expect "check passes a worker in shell" 0 "$RC"

for ex in "$top_srcdir/plugins/examples/shell/nebula-example.sh" \
    "$top_srcdir/plugins/examples/python/nebula_example.py" \
    "$top_srcdir/plugins/examples/python/nebula_sdk_example.py"; do
	[ -x "$ex" ] || continue
	np check "$ex"
	expect "check passes example $(basename "$ex")" 0 "$RC"
done

# failing workers: exit 1, the right check FAILs
TW_NO_HELLO=1 np check -w 1 "$TESTWORKER"
expect "no hello: exit 1" 1 "$RC"
has "no hello: FAIL hello" '^FAIL hello: ' "$OUT"
has "no hello: the rest is skipped" '^SKIP create: ' "$OUT"

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
