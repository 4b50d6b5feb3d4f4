#!/bin/sh
# The async HTTP example plugin on the Python SDK, served by the real daemon
# against the fake job service: a job polls RUNNING, then `nebula-plugin
# run` drives one to SUCCEEDED, and a delete cancels a job in the service.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

ex="$top_srcdir/plugins/examples/python"
FAKE_PID=
fake_cleanup() {
	if [ -n "$FAKE_PID" ]; then
		kill "$FAKE_PID" 2>/dev/null
		wait "$FAKE_PID" 2>/dev/null
	fi
	e2e_cleanup
}
trap fake_cleanup EXIT

python3 "$ex/fake_job_service.py" 0 >"$E2E_TMP/fake.out" \
    2>"$E2E_TMP/fake.err" &
FAKE_PID=$!
fake_port() {
	FAKE_PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	    "$E2E_TMP/fake.out")
	[ -n "$FAKE_PORT" ]
}
check "the fake job service starts" wait_for 300 fake_port

conf=$(write_config sdkhttp <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: http-job
    command: [python3, $ex/nebula_http_example.py]
    timeouts: {start: 30s}    # a loaded machine starts Python slowly
    env:
      PYTHONPATH: $top_srcdir/plugins/python
      PYTHONDONTWRITEBYTECODE: "1"
      JOBS_URL: http://127.0.0.1:$FAKE_PORT
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "the async plugin becomes ready" wait_ready
req PUT /plugins/v1/http-job/v1 '{"task_template":{"type":"http-job","custom":{"polls":1}},"inputs":{"n":7}}'
expect "create answers 200" 200 "$STATUS"
rid=$(jget .resource_id)
req GET "/plugins/v1/http-job/v1/$rid"
expect "the first poll is RUNNING" RUNNING "$(jget .phase)"
req GET "/plugins/v1/http-job/v1/$rid"
expect "then SUCCEEDED" SUCCEEDED "$(jget .phase)"
expect "with the service's result" '{"job":"job-1","inputs":{"n":7}}' \
    "$(jget '.outputs | tojson')"

printf '%s' '{"task_template":{"type":"http-job","custom":{"polls":3}},"inputs":{"m":2}}' \
    >"$E2E_TMP/job.json"
out=$("$NEBULA_PLUGIN" -s "$URL" run http-job "$E2E_TMP/job.json")
expect "nebula-plugin run drives a job to SUCCEEDED (exit 0)" 0 "$?"
expect "and prints its outputs" '{"job":"job-2","inputs":{"m":2}}' \
    "$(printf '%s' "$out" | jq -c .)"

req PUT /plugins/v1/http-job/v1 '{"task_template":{"type":"http-job","custom":{"polls":100}}}'
rid=$(jget .resource_id)
req DELETE "/plugins/v1/http-job/v1/$rid"
expect "delete answers 200" 200 "$STATUS"
req GET "/plugins/v1/http-job/v1/$rid"
expect "the service cancelled the job" ABORTED "$(jget .phase)"

req PUT /plugins/v1/http-job/v1 '{"task_template":{"type":"http-job","custom":{"polls":-1}}}'
expect "a PluginError maps to its status" 400 "$STATUS"
expect "and its code" INVALID_ARGUMENT "$(jget .error.code)"
stop_daemon
finish
