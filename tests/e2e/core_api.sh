#!/bin/sh
# The daemon on its built-in configuration answers create / poll / delete
# through the real echo and sleep workers, and every API error has the
# SPEC's status and JSON body.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

start_daemon "" || { fail "daemon starts on the built-in configuration"; finish; }
check "daemon becomes ready" wait_ready

req GET /healthz
expect "healthz answers 200" 200 "$STATUS"

req PUT /plugins/v1/echo/v1 '{"task_template":{"type":"echo"},"inputs":{"x":1}}'
expect "echo create answers 200" 200 "$STATUS"
rid=$(jget .resource_id)
check "echo create returns a resource_id" test -n "$rid" -a "$rid" != null
req GET "/plugins/v1/echo/v1/$rid"
expect "echo poll answers 200" 200 "$STATUS"
expect "echo poll is SUCCEEDED" SUCCEEDED "$(jget .phase)"
expect "echo outputs are the inputs" '{"x":1}' "$(printf '%s' "$BODY" | jq -c .outputs)"

req PUT /plugins/v1/echo/v1 '{"task_template":{"type":"echo","custom":{"sql":"select 1"}},"inputs":{"x":1},"output_prefix":"s3://bucket/prefix"}'
expect "benchmark body create answers 200" 200 "$STATUS"
rid=$(jget .resource_id)
req GET "/plugins/v1/echo/v1/$rid"
expect "benchmark body poll is SUCCEEDED" SUCCEEDED "$(jget .phase)"

req POST /plugins/v1/echo/v1 '{"task_template":{"type":"echo"}}'
expect "POST also creates" 200 "$STATUS"
rid=$(jget .resource_id)
req DELETE "/plugins/v1/echo/v1/$rid"
expect "delete answers 200" 200 "$STATUS"
expect "delete answers {}" '{}' "$BODY"

# sleep: RUNNING, then SUCCEEDED
req PUT /plugins/v1/sleep/v1 '{"task_template":{"type":"sleep","custom":{"seconds":3}}}'
expect "sleep create answers 200" 200 "$STATUS"
srid=$(jget .resource_id)
req GET "/plugins/v1/sleep/v1/$srid"
expect "sleep is RUNNING at first" RUNNING "$(jget .phase)"
sleep_done() {
	req GET "/plugins/v1/sleep/v1/$srid"
	[ "$(jget .phase)" = SUCCEEDED ]
}
check "sleep goes SUCCEEDED" wait_for 300 sleep_done

# errors
req PUT /plugins/v1/nosuch/v1 '{"task_template":{"type":"nosuch"}}'
expect "unknown plugin answers 404" 404 "$STATUS"
expect "unknown plugin code NOT_FOUND" NOT_FOUND "$(jget .error.code)"
req PUT /plugins/v1/echo/v9 '{"task_template":{"type":"echo"}}'
expect "unknown version answers 404" 404 "$STATUS"
req PUT /plugins/v1/echo/v1 '{"task_template": {'
expect "malformed JSON answers 400" 400 "$STATUS"
expect "malformed JSON code BAD_REQUEST" BAD_REQUEST "$(jget .error.code)"
check "malformed JSON has a message" test -n "$(jget .error.message)"
req PUT /plugins/v1/echo/v1 '{"inputs":{}}'
expect "missing task_template answers 400" 400 "$STATUS"
req PUT /plugins/v1/echo/v1 '[1,2]'
expect "a JSON array body answers 400" 400 "$STATUS"
req GET /plugins/v1/echo/v1/not-base64!
expect "undecodable resource_id answers 400" 400 "$STATUS"
req GET "/plugins/v1/sleep/v1/$rid"
expect "resource_id of another type answers 400" 400 "$STATUS"
req PATCH /plugins/v1/echo/v1 '{}'
expect "PATCH answers 405" 405 "$STATUS"
expect "405 code" METHOD_NOT_ALLOWED "$(jget .error.code)"
check "405 has an Allow header" test -n "$(header Allow)"
req GET /nowhere
expect "unknown route answers 404" 404 "$STATUS"

head -c 3145728 /dev/zero | tr '\0' 'a' >"$E2E_TMP/big"
code=$(curl -s -o "$E2E_TMP/body" -w '%{http_code}' -X PUT \
    --data-binary @"$E2E_TMP/big" "$URL/plugins/v1/echo/v1")
expect "3 MB body answers 413" 413 "$code"
expect "413 code" PAYLOAD_TOO_LARGE "$(jq -r .error.code <"$E2E_TMP/body")"

# listing
req GET /plugins/v1
expect "list answers 200" 200 "$STATUS"
expect "list names echo and sleep" "echo sleep" "$(jget '[.plugins[].name] | sort | join(" ")')"
expect "echo serves echo v1" v1 "$(jget '.plugins[] | select(.name=="echo") | .task_types[0].versions[0]')"
expect "echo is ready" ready "$(jget '.plugins[] | select(.name=="echo") | .state')"
req GET /plugins/v1/echo
expect "one plugin answers 200" 200 "$STATUS"
check "one plugin has last_exit" test "$(jget 'has("last_exit")')" = true
req GET /plugins/v1/nosuch
expect "unknown plugin detail answers 404" 404 "$STATUS"

req GET /readyz
expect "readyz answers 200" 200 "$STATUS"
req GET /metrics
expect "metrics answers 200" 200 "$STATUS"
check "metrics counts echo creates" grep -q 'nebula_requests_total{plugin="echo",op="create",code="200"} 3' "$E2E_TMP/body"

stop_daemon
finish
