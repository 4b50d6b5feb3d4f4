#!/bin/sh
# Flyte's agent REST shapes: /api/v1/agent/task with "template", answers
# with "resource_meta", polls wrapped in {"resource": ...}, integer versions
# (0 meaning the plugin's first), and the agents listing.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

start_daemon "" || { fail "daemon starts"; finish; }
check "ready" wait_ready

req POST /api/v1/agent/task '{"template":{"type":"echo","task_type_version":1},"inputs":{"y":2},"output_prefix":"s3://b/p","task_execution_metadata":{}}'
expect "create answers 200" 200 "$STATUS"
meta=$(jget .resource_meta)
check "create answers a resource_meta" test -n "$meta" -a "$meta" != null
expect "and no resource_id" null "$(jget .resource_id)"
req GET "/api/v1/agent/task/echo/1/$meta"
expect "get answers 200" 200 "$STATUS"
expect "get wraps the resource" SUCCEEDED "$(jget .resource.phase)"
expect "outputs are the inputs" '{"y":2}' "$(jget '.resource.outputs | tojson')"
req GET "/api/v1/agent/task/echo/0/$meta"
expect "version 0 means the plugin's first version" SUCCEEDED "$(jget .resource.phase)"
req GET "/plugins/v1/echo/v1/$meta"
expect "the resource_meta is a resource_id on the native routes too" SUCCEEDED "$(jget .phase)"
req DELETE "/api/v1/agent/task_executions/echo/1/$meta"
expect "delete answers 200" 200 "$STATUS"

req POST /api/v1/agent/task '{"template":{"type":"sleep","custom":{"seconds":0}},"inputs":{}}'
expect "create without a version uses the first" 200 "$STATUS"
req POST /api/v1/agent/task '{"template":{"type":"nosuch"}}'
expect "an unknown task type answers 404" 404 "$STATUS"
expect "with NOT_FOUND" NOT_FOUND "$(jget .error.code)"
req POST /api/v1/agent/task '{"task_template":{"type":"echo"}}'
expect "a body without template answers 400" 400 "$STATUS"
req GET "/api/v1/agent/task/echo/x/$meta"
expect "a version that is not an integer answers 400" 400 "$STATUS"
req PUT /api/v1/agent/task '{}'
expect "PUT on agent/task answers 405" 405 "$STATUS"

req GET /api/v1/agents
expect "agents answers 200" 200 "$STATUS"
expect "agents are named" "echo sleep" "$(jget '[.agents[].name] | sort | join(" ")')"
expect "categories have integer versions" '[{"name":"echo","version":1}]' \
    "$(jget '.agents[] | select(.name=="echo") | .supported_task_categories | tojson')"
expect "is_sync is there" false "$(jget '.agents[] | select(.name=="echo") | .is_sync')"
req GET /api/v1/agent/sleep
expect "one agent answers 200" 200 "$STATUS"
expect "wrapped in agent" sleep "$(jget .agent.name)"
req GET /api/v1/agent/nosuch
expect "an unknown agent answers 404" 404 "$STATUS"
stop_daemon
finish
