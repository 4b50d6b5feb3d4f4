#!/bin/sh
# The input limits (nebula-plugin-protocol(7)): a create body nested deeper
# than 64 levels is refused 400 by the daemon at once, on our routes and
# Flyte's, and never reaches a worker; 256 of them leave echo's instances
# alone; a body at the limit is forwarded, and a worker on the C SDK answers
# a request line it cannot read with INVALID_ARGUMENT instead of dropping it.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

conf=$(write_config limits <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
    instances: 2
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "ready" wait_ready

# deep N: an echo create body nested N levels deep (the body counts 1).
deep() {
	python3 -c 'import sys; n = int(sys.argv[1]) - 1
print("{\"task_template\":{\"type\":\"echo\"},\"inputs\":" + "[" * n + "]" * n + "}")' "$1"
}
deep 65 >"$E2E_TMP/deep65"
deep 64 >"$E2E_TMP/deep64"

req PUT /plugins/v1/echo/v1 "$(cat "$E2E_TMP/deep65")"
expect "a body nested 65 deep answers 400" 400 "$STATUS"
expect "as BAD_REQUEST" BAD_REQUEST "$(jget .error.code)"
case $BODY in
*max_depth*) pass "naming the limit" ;;
*) fail "naming the limit" "body: $BODY" ;;
esac

flyte=$(python3 -c 'n = 64
print("{\"template\":{\"type\":\"echo\",\"custom\":{\"a\":" + "[" * n + "]" * n + "}}}")')
req POST /api/v1/agent/task "$flyte"
expect "Flyte's create route refuses it too" 400 "$STATUS"

codes=$(i=0; while [ $i -lt 256 ]; do
	curl -s -m 10 -o /dev/null -w '%{http_code}\n' -X PUT \
	    -H 'Content-Type: application/json' \
	    --data-binary @"$E2E_TMP/deep65" "$URL/plugins/v1/echo/v1"
	i=$((i + 1))
done | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
expect "256 of them all answer 400" "400:256 " "$codes"
req GET /plugins/v1/echo
expect "and echo was not restarted" 0 "$(jget .restarts)"
expect "and holds nothing" 0 "$(jget .in_flight)"
req PUT /plugins/v1/echo/v1 '{"task_template":{"type":"echo"},"inputs":{"x":1}}'
expect "a normal request still gets 200" 200 "$STATUS"

req PUT /plugins/v1/echo/v1 "$(cat "$E2E_TMP/deep64")"
expect "a body at the limit (64 deep) is forwarded and answered" 200 "$STATUS"
stop_daemon

# The SDK side, without the daemon: nebula-echo reads our lines on stdin.
sdk() {
	printf '%s\n' "$1" | "$ECHO_PLUGIN" 2>/dev/null | sed -n 2p
}
line=$(python3 -c 'n = 64
print("{\"id\":5,\"op\":\"create\",\"task_type\":\"echo\",\"version\":\"v1\",\"inputs\":" + "[" * n + "]" * n + "}")')
out=$(sdk "$line")
expect "the SDK answers a line over the depth limit" \
    "5 INVALID_ARGUMENT" "$(printf '%s' "$out" | jq -r '"\(.id) \(.error.code)"')"
line=$(python3 -c 'n = 5000
print("{\"op\":\"create\",\"inputs\":" + "[" * n + "]" * n + ",\"id\":6}")')
out=$(sdk "$line")
expect "and one too deep for its parser, by the id it finds" \
    "6 INVALID_ARGUMENT" "$(printf '%s' "$out" | jq -r '"\(.id) \(.error.code)"')"
out=$(printf '{"id":7,"op":"create","inputs":"\377"}\n' | "$ECHO_PLUGIN" 2>/dev/null | sed -n 2p)
expect "and one with invalid UTF-8" \
    "7 INVALID_ARGUMENT" "$(printf '%s' "$out" | jq -r '"\(.id) \(.error.code)"')"
out=$(sdk '{"id":8,"id":9,"op":"create"}')
expect "but not one whose id is ambiguous (duplicate keys)" "" "$out"
finish
