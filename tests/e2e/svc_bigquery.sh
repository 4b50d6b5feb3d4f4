#!/bin/sh
# The BigQuery plugin end to end: the daemon runs the real worker against a
# local stand-in of the BigQuery REST API (tests/standins/bigquery.py); a
# query that succeeds, one that fails, one cancelled, an idempotent retried
# create, a rotated token file, 401/403/429/503 answers and a service down.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/svc_lib.sh"

start_standin bigquery --token tok-1 ||
    { fail "the BigQuery stand-in starts"; finish; }
printf 'tok-1\n' >"$E2E_TMP/bq-token"
conf=$(write_config bq <<EOF
plugins:
  - name: bigquery
    command: [$BIGQUERY_PLUGIN]
    timeouts: {create: 3s, get: 3s, delete: 3s}
    env:
      BIGQUERY_ENDPOINT: $SI_URL
      BQ_PROJECT: proj-1
      BQ_TOKEN_FILE: $E2E_TMP/bq-token
EOF
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "daemon becomes ready" wait_ready

# A query that succeeds, with a query parameter from the inputs.
tmpl='{"task_template":{"type":"bigquery","custom":{"query":"SELECT @n AS n -- runtime=0.5","destination_table":"ds.out","labels":{"team":"data"}}},"inputs":{"n":7},"task_execution_metadata":{"task_execution_id":{"task_id":{"name":"t1"},"retry_attempt":0}}}'
req PUT /plugins/v1/bigquery/v1 "$tmpl"
expect "create answers 200" 200 "$STATUS"
rid=$(jget .resource_id)
check "create returns a resource_id" test -n "$rid" -a "$rid" != null
req GET "/plugins/v1/bigquery/v1/$rid"
expect "a fresh job polls 200" 200 "$STATUS"
case $(jget .phase) in
QUEUED|RUNNING|SUCCEEDED) pass "a fresh job is QUEUED, RUNNING or SUCCEEDED" ;;
*) fail "a fresh job is QUEUED, RUNNING or SUCCEEDED" "got $BODY" ;;
esac
check "the job reaches a terminal phase" poll_until_done bigquery "$rid"
expect "the query SUCCEEDED" SUCCEEDED "$(jget .phase)"
expect "outputs are a LiteralMap naming the destination table" proj-1.ds.out \
    "$(jget .outputs.literals.destination_table.scalar.primitive.string_value)"
expect "results is a StructuredDataset at bq://project:dataset.table, as Flyte's agent answers" \
    bq://proj-1:ds.out "$(jget .outputs.literals.results.scalar.structured_dataset.uri)"
job=$(jget .outputs.literals.job_id.scalar.primitive.string_value)
check "the job id is derived from the task execution id" matches "$job" 'nebula_[0-9a-f]\{32\}$'
expect "the log link opens the job in the console" \
    "https://console.cloud.google.com/bigquery?project=proj-1&j=bq:US:$job&page=queryresults" \
    "$(jget '.log_links[0].uri')"
expect "custom_info names the job" "$job" "$(jget .custom_info.job_id)"

# The same task execution created again finds the same job (no new bill).
made=$(si_stat jobs_created)
req PUT /plugins/v1/bigquery/v1 "$tmpl"
expect "a retried create answers 200" 200 "$STATUS"
expect "a retried create gives the same resource_id" "$rid" "$(jget .resource_id)"
expect "a retried create starts no second job" "$made" "$(si_stat jobs_created)"
check "the stand-in answered 409 to the retried insert" test "$(si_stat duplicates)" -ge 1

# Another attempt of the task (retry_attempt 1) is a new job.
req PUT /plugins/v1/bigquery/v1 "$(printf '%s' "$tmpl" | sed 's/"retry_attempt":0/"retry_attempt":1/')"
expect "another attempt answers 200" 200 "$STATUS"
check "another attempt is another job" test "$(jget .resource_id)" != "$rid"

# Without task_execution_metadata every create is a fresh job.
made=$(si_stat jobs_created)
req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{"query":"SELECT 1"}}}'
r1=$(jget .resource_id)
req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{"query":"SELECT 1"}}}'
check "without metadata two creates are two jobs" test "$(jget .resource_id)" != "$r1"
expect "without metadata two jobs were created" $((made + 2)) "$(si_stat jobs_created)"

# A create whose answer is too slow times out; its retry finds the job.
made=$(si_stat jobs_created)
slow='{"task_template":{"type":"bigquery","custom":{"query":"SELECT 2 -- slow_insert=6 runtime=0.2","location":"EU"}},"task_execution_metadata":{"task_execution_id":"exec-slow"}}'
req PUT /plugins/v1/bigquery/v1 "$slow"
case $STATUS in
503|504) pass "a create the service answers too late fails ($STATUS)" ;;
*) fail "a create the service answers too late fails" "got $STATUS $BODY" ;;
esac
req PUT /plugins/v1/bigquery/v1 "$slow"
expect "its retry answers 200" 200 "$STATUS"
expect "the slow create and its retry made one job" $((made + 1)) "$(si_stat jobs_created)"
srid=$(jget .resource_id)
check "the slow job reaches a terminal phase" poll_until_done bigquery "$srid"
expect "the slow job SUCCEEDED" SUCCEEDED "$(jget .phase)"
check "its log link names its location" matches "$(jget '.log_links[0].uri')" '.*j=bq:EU:nebula_'

# A query that fails.
req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{"query":"SELECT FAIL_QUERY -- runtime=0.2"}}}'
frid=$(jget .resource_id)
check "the failing job reaches a terminal phase" poll_until_done bigquery "$frid"
expect "the failing query is FAILED" FAILED "$(jget .phase)"
check "the message is the service's" matches "$(jget .message)" '.*Syntax error'
expect "the error is the job's reason" invalidQuery "$(jget .error.code)"
expect "a bad query is not worth a retry" NON_RECOVERABLE "$(jget .error.kind)"

req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{"query":"SELECT BACKEND_ERROR -- runtime=0.2"}}}'
brid=$(jget .resource_id)
poll_until_done bigquery "$brid"
expect "a backendError job is RETRYABLE_FAILED" RETRYABLE_FAILED "$(jget .phase)"
expect "a backendError job is RECOVERABLE" RECOVERABLE "$(jget .error.kind)"

# A query cancelled while it runs.
req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{"query":"SELECT 3 -- runtime=600"}}}'
crid=$(jget .resource_id)
req DELETE "/plugins/v1/bigquery/v1/$crid"
expect "delete answers 200" 200 "$STATUS"
expect "delete answers {}" '{}' "$BODY"
check "the stand-in saw jobs.cancel" test "$(si_stat cancels)" -ge 1
check "the cancelled job reaches a terminal phase" poll_until_done bigquery "$crid"
expect "the cancelled job is ABORTED" ABORTED "$(jget .phase)"
req DELETE "/plugins/v1/bigquery/v1/$crid"
expect "deleting it again answers 200" 200 "$STATUS"

# Templates that are wrong name the field.
req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{}}}'
expect "no query answers 400" 400 "$STATUS"
expect "no query is INVALID_ARGUMENT" INVALID_ARGUMENT "$(jget .error.code)"
check "no query names the field" matches "$(jget .error.message)" '.*task_template.custom.query'
req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{"query":"SELECT 1","destination_table":"nodots"}}}'
expect "a bad destination_table answers 400" 400 "$STATUS"
check "a bad destination_table names the field" matches "$(jget .error.message)" '.*custom.destination_table'
req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{"query":"SELECT @x"}},"inputs":{"x":{"a":1}}}'
expect "an input that is no query parameter answers 400" 400 "$STATUS"
check "the bad input is named" matches "$(jget .error.message)" '.*inputs\.x'
req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{"query":"SELECT 1","use_legacy_sql":"no"}}}'
check "a bad use_legacy_sql is named" matches "$(jget .error.message)" '.*use_legacy_sql'

# 403 from the service: PERMISSION_DENIED with the service's message.
req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{"query":"SELECT 1","project":"denied"}}}'
expect "a 403 from BigQuery answers 403" 403 "$STATUS"
expect "a 403 from BigQuery is PERMISSION_DENIED" PERMISSION_DENIED "$(jget .error.code)"
check "the 403 carries the service's message" matches "$(jget .error.message)" '.*Access Denied'

# The token is rotated: the old one is refused (401), the new file is read.
si_admin tokens '{"tokens":["tok-2"]}' >/dev/null
req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{"query":"SELECT 1"}}}'
expect "a 401 from BigQuery answers 403" 403 "$STATUS"
expect "a 401 from BigQuery is PERMISSION_DENIED" PERMISSION_DENIED "$(jget .error.code)"
check "the 401 carries the service's message" matches "$(jget .error.message)" '.*invalid authentication credentials'
printf 'tok-2\n' >"$E2E_TMP/bq-token.new"
mv "$E2E_TMP/bq-token.new" "$E2E_TMP/bq-token"
req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{"query":"SELECT 1"}}}'
expect "after the token file changes, create answers 200" 200 "$STATUS"
req GET "/plugins/v1/bigquery/v1/$rid"
expect "and polls work with the new token" SUCCEEDED "$(jget .phase)"

# Throttled and failing service: UNAVAILABLE on create, RETRYABLE_FAILED on get.
si_admin fail '{"status":429,"count":1}' >/dev/null
req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{"query":"SELECT 1"}}}'
expect "a 429 on create answers 503" 503 "$STATUS"
expect "a 429 on create is UNAVAILABLE" UNAVAILABLE "$(jget .error.code)"
check "the 429 carries the service's message" matches "$(jget .error.message)" '.*Exceeded rate limits'
si_admin fail '{"status":503,"count":1}' >/dev/null
req GET "/plugins/v1/bigquery/v1/$rid"
expect "a 503 on get answers 200" 200 "$STATUS"
expect "a 503 on get is RETRYABLE_FAILED" RETRYABLE_FAILED "$(jget .phase)"
si_admin fail '{"status":500,"count":1}' >/dev/null
req DELETE "/plugins/v1/bigquery/v1/$rid"
expect "a 500 on delete answers 503" 503 "$STATUS"
req GET "/plugins/v1/bigquery/v1/$rid"
expect "once the service is back, the job is SUCCEEDED again" SUCCEEDED "$(jget .phase)"

# Many jobs at once through one worker (multi interface).
i=0
: >"$E2E_TMP/many"
while [ $i -lt 20 ]; do
	curl -s -X PUT -H 'Content-Type: application/json' \
	    --data-binary "{\"task_template\":{\"type\":\"bigquery\",\"custom\":{\"query\":\"SELECT $i -- slow_insert=0.5\"}}}" \
	    "$URL/plugins/v1/bigquery/v1" >>"$E2E_TMP/many" &
	i=$((i + 1))
done
wait_creates() { [ "$(grep -o resource_id "$E2E_TMP/many" | wc -l)" -ge 20 ]; }
check "20 concurrent slow creates all answer" wait_for 300 wait_creates

# The client: `run` to the end, and the plugin author's `check`.
if have_client; then
	printf '%s' "$tmpl" | sed 's/"t1"/"t-client"/' >"$E2E_TMP/client.json"
	out=$("$NEBULA_PLUGIN" -s "$URL" run bigquery "$E2E_TMP/client.json")
	expect "nebula-plugin run exits 0" 0 "$?"
	expect "nebula-plugin run prints the outputs" bq://proj-1:ds.out \
	    "$(printf '%s' "$out" | jq -r .literals.results.scalar.structured_dataset.uri)"
	printf '{"task_template":{"type":"bigquery","custom":{"query":"SELECT 1"}}}' >"$E2E_TMP/check.json"
	BIGQUERY_ENDPOINT=$SI_URL BQ_PROJECT=proj-1 BQ_TOKEN_FILE=$E2E_TMP/bq-token \
	    "$NEBULA_PLUGIN" check --template "$E2E_TMP/check.json" -- \
	    "$BIGQUERY_PLUGIN" >"$E2E_TMP/check.out" 2>&1
	rc=$?
	expect "nebula-plugin check passes on the BigQuery plugin" 0 "$rc"
	[ "$rc" = 0 ] || sed 's/^/#   /' "$E2E_TMP/check.out"
else
	echo "# nebula-plugin check: the client is not built; skipped"
fi

# The service is down.
stop_standin
req PUT /plugins/v1/bigquery/v1 '{"task_template":{"type":"bigquery","custom":{"query":"SELECT 1"}}}'
expect "a create with the service down answers 503" 503 "$STATUS"
expect "a create with the service down is UNAVAILABLE" UNAVAILABLE "$(jget .error.code)"
req GET "/plugins/v1/bigquery/v1/$rid"
expect "a poll with the service down is RETRYABLE_FAILED" RETRYABLE_FAILED "$(jget .phase)"

# The daemon log holds the worker's stderr too: its sanitizer reports.
stop_daemon
finish
