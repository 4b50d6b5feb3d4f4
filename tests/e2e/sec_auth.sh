#!/bin/sh
# Bearer tokens and signed resource ids: every API route needs a listed
# token (compared whole: a prefix or an extension is wrong), a plugin can be
# restricted to its own tokens, probes stay open, tokens reload on SIGHUP
# and never reach the log; a resource_id must carry a valid HMAC tag from
# one of the keys, the first of which signs.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

good="tok-0123456789abcdef"
printf '# orchestrator\n%s\n\nother-token-42\n' "$good" >"$E2E_TMP/tokens"
printf 'other-token-42\n' >"$E2E_TMP/sleep-tokens"
keyA=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
keyB=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
printf '%s\n' "$keyA" >"$E2E_TMP/rid.key"
conf="$E2E_TMP/auth.yaml"
cat >"$conf" <<EOF2
listen: 127.0.0.1:0
auth: {tokens_file: $E2E_TMP/tokens, metrics_public: false}
resource_id_key_file: $E2E_TMP/rid.key
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
  - name: sleep
    command: [$SLEEP_PLUGIN]
    tokens_file: $E2E_TMP/sleep-tokens
EOF2
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "ready" wait_ready

areq() {
	tok=$1
	shift
	HEADERS="$E2E_TMP/headers"
	STATUS=$(curl -s -o "$E2E_TMP/body" -D "$HEADERS" -w '%{http_code}' \
	    ${tok:+-H "Authorization: Bearer $tok"} -X "$1" \
	    ${3:+--data-binary "$3"} "$URL$2")
	BODY=$(cat "$E2E_TMP/body")
}
create='{"task_template":{"type":"echo"},"inputs":{"k":1}}'
areq "" PUT /plugins/v1/echo/v1 "$create"
expect "no token: 401" 401 "$STATUS"
expect "no token: UNAUTHENTICATED" UNAUTHENTICATED "$(jget .error.code)"
check "no token: WWW-Authenticate: Bearer" sh -c "tr -d '\r' <'$HEADERS' | grep -qi '^WWW-Authenticate: Bearer'"
areq wrong PUT /plugins/v1/echo/v1 "$create"
expect "a wrong token: 401" 401 "$STATUS"
areq tok-0123456789abcde PUT /plugins/v1/echo/v1 "$create"
expect "a prefix of a good token: 401" 401 "$STATUS"
areq "${good}0" PUT /plugins/v1/echo/v1 "$create"
expect "an extension of a good token: 401" 401 "$STATUS"
areq "$good" PUT /plugins/v1/echo/v1 "$create"
expect "a good token: 200" 200 "$STATUS"
rid=$(jget .resource_id)
areq "$good" GET "/plugins/v1/echo/v1/$rid"
expect "a signed id polls" SUCCEEDED "$(jget .phase)"
areq "" GET /plugins/v1
expect "listing needs a token" 401 "$STATUS"
areq "" POST /api/v1/agent/task '{"template":{"type":"echo"}}'
expect "Flyte routes need a token" 401 "$STATUS"
areq "" GET /healthz
expect "healthz stays open" 200 "$STATUS"
areq "" GET /readyz
expect "readyz stays open" 200 "$STATUS"
areq "" GET /metrics
expect "metrics need a token when not public" 401 "$STATUS"
areq "$good" GET /metrics
expect "metrics with a token" 200 "$STATUS"

# per-plugin tokens
sleepreq='{"task_template":{"type":"sleep","custom":{"seconds":0}}}'
areq "$good" PUT /plugins/v1/sleep/v1 "$sleepreq"
expect "a good token not listed for the plugin: 403" 403 "$STATUS"
expect "with PERMISSION_DENIED" PERMISSION_DENIED "$(jget .error.code)"
areq other-token-42 PUT /plugins/v1/sleep/v1 "$sleepreq"
expect "the plugin's own token: 200" 200 "$STATUS"

# signed ids: tamper, truncate, forge
body=${rid%%.*}
tag=${rid#*.}
first=$(printf '%s' "$tag" | cut -c1)
if [ "$first" = A ]; then swap=B; else swap=A; fi
areq "$good" GET "/plugins/v1/echo/v1/$body.$swap$(printf '%s' "$tag" | cut -c2-)"
expect "a tampered tag: 403" 403 "$STATUS"
areq "$good" GET "/plugins/v1/echo/v1/$(printf '%s' "$rid" | cut -c2-)"
expect "a truncated id: 403" 403 "$STATUS"
forged=$(printf '{"v":1,"t":"echo","ver":"v1","m":{"inputs":{"k":2}}}' | base64 -w0 | tr '+/' '-_' | tr -d '=')
areq "$good" GET "/plugins/v1/echo/v1/$forged"
expect "an unsigned forged id: 403" 403 "$STATUS"
areq "$good" GET "/plugins/v1/echo/v1/$forged.$tag"
expect "a forged id with another id's tag: 403" 403 "$STATUS"

# rotation and token reload: B signs, A still verifies; tokens change
printf '%s\n%s\n' "$keyB" "$keyA" >"$E2E_TMP/rid.key"
printf 'fresh-token-77\n' >"$E2E_TMP/tokens"
printf 'fresh-token-77\n' >"$E2E_TMP/sleep-tokens"
kill -HUP "$DAEMON_PID"
reloaded() { grep -q 'reloaded' "$DAEMON_LOG"; }
check "reloaded" wait_for 100 reloaded
areq "$good" GET /plugins/v1
expect "a token removed by reload: 401" 401 "$STATUS"
areq fresh-token-77 GET "/plugins/v1/echo/v1/$rid"
expect "an id signed with the old key verifies with it second" SUCCEEDED "$(jget .phase)"
areq fresh-token-77 PUT /plugins/v1/echo/v1 "$create"
rid2=$(jget .resource_id)
check "new ids are signed with the new first key" test "${rid2#*.}" != "$tag"
printf '%s\n' "$keyB" >"$E2E_TMP/rid.key"
kill -HUP "$DAEMON_PID"
reloaded2() { [ "$(grep -c 'reloaded' "$DAEMON_LOG")" -ge 2 ]; }
check "reloaded again" wait_for 100 reloaded2
areq fresh-token-77 GET "/plugins/v1/echo/v1/$rid"
expect "once the old key is gone, its ids are refused" 403 "$STATUS"
areq fresh-token-77 GET "/plugins/v1/echo/v1/$rid2"
expect "ids of the current key still verify" SUCCEEDED "$(jget .phase)"

check "no token appears in the log" sh -c "! grep -q -e '$good' -e fresh-token-77 -e other-token-42 '$DAEMON_LOG'"
stop_daemon
finish
