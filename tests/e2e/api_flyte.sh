#!/bin/sh
# Flyte's REST routes as Flyte's IDL defines them (grpc-gateway mapping of
# flyteidl.service.AsyncAgentService and its connector twin): protojson
# bodies read strictly with both field namings, resource_meta as base64 of
# the resource id's bytes, Resource answers with LiteralMap outputs, errors
# as google.rpc.Status, integer versions (0: the plugin's first).
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

start_daemon "" || { fail "daemon starts"; finish; }
check "ready" wait_ready

lit='{"literals":{"y":{"scalar":{"primitive":{"integer":"2"}}}}}'
# proto field names
req POST /api/v1/agent/task "{\"template\":{\"type\":\"echo\",\"task_type_version\":1},\"inputs\":$lit,\"output_prefix\":\"s3://b/p\",\"task_execution_metadata\":{\"namespace\":\"ns\"}}"
expect "create answers 200" 200 "$STATUS"
meta=$(jget .resource_meta)
check "create answers a resource_meta" test -n "$meta" -a "$meta" != null
expect "and nothing else" '["resource_meta"]' "$(jget 'keys | tojson')"
rid=$(printf '%s' "$meta" | base64 -d)
check "resource_meta is padded standard base64 of a resource id" \
    test "$(printf '%s' "$rid" | base64 -w0)" = "$meta"
req GET "/api/v1/agent/task/echo/1/$meta"
expect "get answers 200" 200 "$STATUS"
expect "get wraps the resource" SUCCEEDED "$(jget .resource.phase)"
expect "outputs are a LiteralMap" '"2"' \
    "$(jget '.resource.outputs.literals.y.scalar.primitive.integer | tojson')"
req GET "/api/v1/agent/task/echo/0/$meta"
expect "version 0 means the plugin's first version" SUCCEEDED "$(jget .resource.phase)"
urlsafe=$(printf '%s' "$meta" | tr '+/' '-_' | tr -d '=')
req GET "/api/v1/agent/task/echo/1/$urlsafe"
expect "URL-safe unpadded base64 reads too" SUCCEEDED "$(jget .resource.phase)"
req GET "/plugins/v1/echo/v1/$rid"
expect "the decoded bytes are a resource_id on the native routes" SUCCEEDED "$(jget .phase)"
req DELETE "/api/v1/agent/task_executions/echo/1/$meta"
expect "delete answers 200" 200 "$STATUS"
expect "delete answers {}" '{}' "$BODY"

# json_name (lowerCamelCase) field names
req POST /api/v1/agent/task "{\"template\":{\"type\":\"echo\",\"taskTypeVersion\":1},\"inputs\":$lit,\"outputPrefix\":\"s3://b/q\",\"taskExecutionMetadata\":{\"taskExecutionId\":{\"nodeExecutionId\":{\"nodeId\":\"n1\"}}}}"
expect "json_name fields are read" 200 "$STATUS"
req POST /api/v1/connector/task '{"template":{"type":"sleep","custom":{"seconds":0}}}'
expect "the connector route creates; no version uses the first" 200 "$STATUS"
m2=$(jget .resource_meta)
req GET "/api/v1/connector/task/sleep/0/$m2"
expect "the connector route polls" 200 "$STATUS"

# errors: google.rpc.Status
req POST /api/v1/agent/task '{"template":{"type":"nosuch"}}'
expect "an unknown task type answers 404" 404 "$STATUS"
expect "with Status code 5" 5 "$(jget .code)"
expect "and details" '[]' "$(jget '.details | tojson')"
req POST /api/v1/agent/task '{"task_template":{"type":"echo"}}'
expect "an unknown field answers 400" 400 "$STATUS"
expect "with Status code 3" 3 "$(jget .code)"
check "naming the field" sh -c "printf '%s' '$BODY' | grep -q task_template"
req POST /api/v1/agent/task '{"template":{"type":"echo"},"inputs":{"y":2}}'
expect "plain inputs are not a LiteralMap: 400" 400 "$STATUS"
req GET "/api/v1/agent/task/echo/x/$meta"
expect "a version that is not an integer answers 400" 400 "$STATUS"
req PUT /api/v1/agent/task '{}'
expect "PUT on agent/task answers 405" 405 "$STATUS"
expect "as a Status" 12 "$(jget .code)"
req GET "/api/v1/agent/task/metrics/echo/1/$meta"
expect "metrics of a plugin without them: 501" 501 "$STATUS"
req GET "/api/v1/agent/task/logs/echo/1/$meta"
expect "logs of a plugin without them: 501" 501 "$STATUS"

req GET /api/v1/agents
expect "agents answers 200" 200 "$STATUS"
expect "agents are named" "echo sleep" "$(jget '[.agents[].name] | sort | join(" ")')"
expect "categories have integer versions" '[{"name":"echo","version":1}]' \
    "$(jget '.agents[] | select(.name=="echo") | .supported_task_categories | tojson')"
expect "is_sync false is left out, as protojson does" null \
    "$(jget '.agents[] | select(.name=="echo") | .is_sync')"
req GET /api/v1/connectors
expect "connectors answers too" "echo sleep" "$(jget '[.agents[].name] | sort | join(" ")')"
req GET /api/v1/agent/sleep
expect "one agent answers 200" 200 "$STATUS"
expect "wrapped in agent" sleep "$(jget .agent.name)"
req GET /api/v1/agent/nosuch
expect "an unknown agent answers 404" 404 "$STATUS"
stop_daemon

# Logs and metrics of plugins that declare them in their hello (TW_OPS).
conf=$(write_config ops <<EOF2
plugins:
  - name: tw
    command: [$TESTWORKER]
    task_types: [{type: tw, versions: [v1]}]
    env: {TW_OPS: "logs,metrics"}
  - name: twlogs
    command: [$TESTWORKER]
    task_types: [{type: twlogs, versions: [v1]}]
    env: {TW_OPS: logs}
EOF2
)
start_daemon "$conf" || { fail "daemon with logs and metrics starts"; finish; }
check "ready" wait_ready
req POST /api/v1/agent/task '{"template":{"type":"tw"}}'
m=$(jget .resource_meta | tr '+/' '-_')
req GET "/api/v1/agent/task/logs/tw/1/$m?lines=5&token=abc"
expect "logs answers 200" 200 "$STATUS"
expect "as a grpc-gateway stream: a header, then a body" 2 \
    "$(printf '%s\n' "$BODY" | grep -c '^{"result":')"
expect "the header carries the worker's token" next \
    "$(printf '%s\n' "$BODY" | jq -rs '.[0].result.header.token')"
expect "the worker got the query string (lines, token)" \
    '"lines=5 token=abc\n"' \
    "$(printf '%s\n' "$BODY" | jq -s '.[1].result.body.structured_lines[0].message')"
expect "a structured line keeps its timestamp and originator" \
    '2024-01-02T03:04:05Z SYSTEM' \
    "$(printf '%s\n' "$BODY" | jq -rs '.[1].result.body.structured_lines[1] | "\(.timestamp) \(.originator)"')"
expect "the deprecated results carry the lines too" 2 \
    "$(printf '%s\n' "$BODY" | jq -s '.[1].result.body.results | length')"
req GET "/api/v1/connector/task/logs/tw/0/$m"
expect "the connector logs route answers" 200 "$STATUS"
req GET "/api/v1/agent/task/metrics/tw/1/$m?queries=A&queries=B&start_time=2024-01-02T03:04:05Z&step=60s"
expect "metrics answers 200" 200 "$STATUS"
expect "with the worker's ExecutionMetricResults" EXECUTION_METRIC_USED_CPU_AVG \
    "$(jget '.results[0].metric')"
expect "the worker got the repeated queries" '["A","B"]' \
    "$(jget '.results[0].data.queries | tojson')"
req GET "/api/v1/agent/task/metrics/tw/1/$m?nosuch=1"
expect "an unknown query parameter answers 400" 400 "$STATUS"
expect "as a Status" 3 "$(jget .code)"
req GET "/api/v1/agent/task/metrics/tw/1/$m?step=%zz"
expect "a malformed escape answers 400" 400 "$STATUS"
req POST /api/v1/agent/task '{"template":{"type":"twlogs"}}'
m=$(jget .resource_meta | tr '+/' '-_')
req GET "/api/v1/agent/task/metrics/twlogs/1/$m"
expect "metrics of a plugin declaring only logs: 501, never sent" 501 "$STATUS"
expect "as a Status UNIMPLEMENTED" 12 "$(jget .code)"
req GET "/api/v1/agent/task/logs/twlogs/1/$m"
expect "its logs answer" 200 "$STATUS"
req POST /api/v1/agent/task '{"template":{"type":"tw","custom":{"poll_action":"badresponse"}}}'
m=$(jget .resource_meta | tr '+/' '-_')
req GET "/api/v1/agent/task/logs/tw/1/$m"
expect "logs answered without lines: 502" 502 "$STATUS"
stop_daemon
finish
