#!/bin/sh
# The Databricks plugin end to end: the daemon runs the real worker against
# a local stand-in of the Jobs API 2.1 (tests/standins/databricks.py); runs
# that succeed, fail, time out, hit an internal error, are skipped or are
# cancelled, an idempotent retried submit, a rotated token file,
# 401/403/429/503 answers and a service down.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/svc_lib.sh"

start_standin databricks --token dapi-1 ||
    { fail "the Databricks stand-in starts"; finish; }
printf 'dapi-1\n' >"$E2E_TMP/dbx-token"
conf=$(write_config dbx <<EOF
plugins:
  - name: databricks
    command: [$DATABRICKS_PLUGIN]
    timeouts: {create: 3s, get: 3s, delete: 3s}
    env:
      DATABRICKS_HOST: $SI_URL
      DATABRICKS_TOKEN_FILE: $E2E_TMP/dbx-token
EOF
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "daemon becomes ready" wait_ready

# run_body NAME [TASK_EXECUTION_ID]: a runs/submit spec as the template.
run_body() {
	meta=
	[ -n "${2:-}" ] && meta=",\"task_execution_metadata\":{\"task_execution_id\":\"$2\"}"
	printf '{"task_template":{"type":"databricks","custom":{"run_name":"%s","tasks":[{"task_key":"main","notebook_task":{"notebook_path":"/Users/me/nb"},"existing_cluster_id":"0123-456789-abc"}]}}%s}' "$1" "$meta"
}

# A run that succeeds.
req PUT /plugins/v1/databricks/v1 "$(run_body 'ok runtime=0.5' exec-1)"
expect "submit answers 200" 200 "$STATUS"
rid=$(jget .resource_id)
check "submit returns a resource_id" test -n "$rid" -a "$rid" != null
req GET "/plugins/v1/databricks/v1/$rid"
case $(jget .phase) in
QUEUED|RUNNING|SUCCEEDED) pass "a fresh run is QUEUED, RUNNING or SUCCEEDED" ;;
*) fail "a fresh run is QUEUED, RUNNING or SUCCEEDED" "got $BODY" ;;
esac
check "the run reaches a terminal phase" poll_until_done databricks "$rid"
expect "the run SUCCEEDED" SUCCEEDED "$(jget .phase)"
run=$(jget .custom_info.run_id)
check "custom_info names the run" test -n "$run" -a "$run" != null
expect "the log link is the run page" "$SI_URL/?o=1234#job/$((run + 5))/run/$run" "$(jget '.log_links[0].uri')"
expect "custom_info carries the run page" "$(jget '.log_links[0].uri')" "$(jget .custom_info.run_page_url)"
expect "no outputs: the run's program writes them under output_prefix" null "$(jget .outputs)"
expect "custom_info has the life cycle state" TERMINATED "$(jget .custom_info.life_cycle_state)"

# The same task execution submitted again gets the same run.
made=$(si_stat runs_created)
req PUT /plugins/v1/databricks/v1 "$(run_body 'ok runtime=0.5' exec-1)"
expect "a retried submit answers 200" 200 "$STATUS"
expect "a retried submit gives the same resource_id" "$rid" "$(jget .resource_id)"
expect "a retried submit starts no second run" "$made" "$(si_stat runs_created)"
req PUT /plugins/v1/databricks/v1 "$(run_body 'ok')"
r1=$(jget .resource_id)
req PUT /plugins/v1/databricks/v1 "$(run_body 'ok')"
check "without metadata two submits are two runs" test "$(jget .resource_id)" != "$r1"

# A submit answered too late times out; its retry finds the run.
made=$(si_stat runs_created)
req PUT /plugins/v1/databricks/v1 "$(run_body 'slow_submit=6 runtime=0.2' exec-slow)"
case $STATUS in
503|504) pass "a submit the service answers too late fails ($STATUS)" ;;
*) fail "a submit the service answers too late fails" "got $STATUS $BODY" ;;
esac
req PUT /plugins/v1/databricks/v1 "$(run_body 'slow_submit=6 runtime=0.2' exec-slow)"
expect "its retry answers 200" 200 "$STATUS"
expect "the slow submit and its retry made one run" $((made + 1)) "$(si_stat runs_created)"

# How runs end: result_state and life_cycle_state to phases.
# phase_of NAME: submits a run with that run_name, polls it to the end
# (the last poll is in BODY).
phase_of() {
	req PUT /plugins/v1/databricks/v1 "$(run_body "$1")"
	r=$(jget .resource_id)
	poll_until_done databricks "$r"
}
phase_of 'result=FAILED runtime=0.2'
expect "result FAILED is FAILED" FAILED "$(jget .phase)"
check "a failed run's message is the service's" matches "$(jget .message)" '.*Workload failed'
expect "a failed run is NON_RECOVERABLE" NON_RECOVERABLE "$(jget .error.kind)"
phase_of 'result=TIMEDOUT runtime=0.2'
expect "result TIMEDOUT is FAILED" FAILED "$(jget .phase)"
expect "the error code is the result state" TIMEDOUT "$(jget .error.code)"
phase_of 'result=INTERNAL_ERROR runtime=0.2'
expect "INTERNAL_ERROR is RETRYABLE_FAILED" RETRYABLE_FAILED "$(jget .phase)"
expect "INTERNAL_ERROR is RECOVERABLE" RECOVERABLE "$(jget .error.kind)"
phase_of 'result=SKIPPED runtime=0.2'
expect "SKIPPED is FAILED" FAILED "$(jget .phase)"
phase_of 'result=CANCELED runtime=0.2'
expect "result CANCELED is ABORTED" ABORTED "$(jget .phase)"

# A run cancelled while it runs.
req PUT /plugins/v1/databricks/v1 "$(run_body 'long runtime=600')"
crid=$(jget .resource_id)
req DELETE "/plugins/v1/databricks/v1/$crid"
expect "delete answers 200" 200 "$STATUS"
expect "delete answers {}" '{}' "$BODY"
check "the stand-in saw runs/cancel" test "$(si_stat cancels)" -ge 1
check "the cancelled run reaches a terminal phase" poll_until_done databricks "$crid"
expect "the cancelled run is ABORTED" ABORTED "$(jget .phase)"

# Templates that are wrong name the field.
req PUT /plugins/v1/databricks/v1 '{"task_template":{"type":"databricks","custom":{"run_name":"x"}}}'
expect "no tasks answers 400" 400 "$STATUS"
expect "no tasks is INVALID_ARGUMENT" INVALID_ARGUMENT "$(jget .error.code)"
check "no tasks names the field" matches "$(jget .error.message)" '.*task_template.custom.tasks'
req PUT /plugins/v1/databricks/v1 '{"task_template":{"type":"databricks","custom":{"tasks":[{"notebook_task":{}}]}}}'
check "a task without task_key is named" matches "$(jget .error.message)" '.*tasks\[0\].task_key'
req PUT /plugins/v1/databricks/v1 '{"task_template":{"type":"databricks"}}'
expect "no custom answers 400" 400 "$STATUS"

# 403 and 401 from the service; the token file is re-read.
req PUT /plugins/v1/databricks/v1 "$(run_body 'denied')"
expect "a 403 from Databricks answers 403" 403 "$STATUS"
expect "a 403 is PERMISSION_DENIED" PERMISSION_DENIED "$(jget .error.code)"
check "the 403 carries the service's message" matches "$(jget .error.message)" '.*does not have permission'
si_admin tokens '{"tokens":["dapi-2"]}' >/dev/null
req GET "/plugins/v1/databricks/v1/$rid"
expect "a 401 from Databricks answers 403" 403 "$STATUS"
check "the 401 carries the service's message" matches "$(jget .error.message)" '.*Invalid access token'
printf 'dapi-2\n' >"$E2E_TMP/dbx-token.new"
mv "$E2E_TMP/dbx-token.new" "$E2E_TMP/dbx-token"
req GET "/plugins/v1/databricks/v1/$rid"
expect "after the token file changes, polls work" SUCCEEDED "$(jget .phase)"

# Throttled and failing service.
si_admin fail '{"status":429,"count":1}' >/dev/null
req PUT /plugins/v1/databricks/v1 "$(run_body 'ok')"
expect "a 429 on submit answers 503" 503 "$STATUS"
expect "a 429 on submit is UNAVAILABLE" UNAVAILABLE "$(jget .error.code)"
check "the 429 carries the service's error code" matches "$(jget .error.message)" '.*REQUEST_LIMIT_EXCEEDED'
si_admin fail '{"status":503,"count":1}' >/dev/null
req GET "/plugins/v1/databricks/v1/$rid"
expect "a 503 on get is RETRYABLE_FAILED" RETRYABLE_FAILED "$(jget .phase)"
req GET "/plugins/v1/databricks/v1/$rid"
expect "once the service is back, the run is SUCCEEDED again" SUCCEEDED "$(jget .phase)"

if have_client; then
	run_body 'client runtime=0.3' exec-client >"$E2E_TMP/client.json"
	out=$("$NEBULA_PLUGIN" -s "$URL" run databricks "$E2E_TMP/client.json")
	expect "nebula-plugin run exits 0" 0 "$?"
	expect "nebula-plugin run prints no outputs" '{}' "$(printf '%s' "$out" | jq -c .)"
	run_body 'check' >"$E2E_TMP/check.json"
	DATABRICKS_HOST=$SI_URL DATABRICKS_TOKEN_FILE=$E2E_TMP/dbx-token \
	    "$NEBULA_PLUGIN" check --template "$E2E_TMP/check.json" -- \
	    "$DATABRICKS_PLUGIN" >"$E2E_TMP/check.out" 2>&1
	rc=$?
	expect "nebula-plugin check passes on the Databricks plugin" 0 "$rc"
	[ "$rc" = 0 ] || sed 's/^/#   /' "$E2E_TMP/check.out"
else
	echo "# nebula-plugin check: the client is not built; skipped"
fi

# The service is down.
stop_standin
req PUT /plugins/v1/databricks/v1 "$(run_body 'ok')"
expect "a submit with the service down answers 503" 503 "$STATUS"
expect "a submit with the service down is UNAVAILABLE" UNAVAILABLE "$(jget .error.code)"
req GET "/plugins/v1/databricks/v1/$rid"
expect "a poll with the service down is RETRYABLE_FAILED" RETRYABLE_FAILED "$(jget .phase)"

stop_daemon
finish
