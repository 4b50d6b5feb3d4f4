#!/bin/sh
# The example plugins in shell and Python (plain, and on the nebula_plugin
# module) are served by the daemon: a plugin is just a program that reads
# and writes lines.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

ex="$top_srcdir/plugins/examples"
conf=$(write_config examples <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: example-sh
    command: [$ex/shell/nebula-example.sh]
  - name: example-py
    command: [python3, $ex/python/nebula_example.py]
  - name: example-timer
    command: [python3, $ex/python/nebula_sdk_example.py]
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "all three become ready" wait_ready
for t in example-sh example-py; do
	req PUT "/plugins/v1/$t/v1" "{\"task_template\":{\"type\":\"$t\"},\"inputs\":{\"n\":7}}"
	expect "$t: create answers 200" 200 "$STATUS"
	rid=$(jget .resource_id)
	req GET "/plugins/v1/$t/v1/$rid"
	expect "$t: poll is SUCCEEDED" SUCCEEDED "$(jget .phase)"
	expect "$t: outputs are the inputs" '{"n":7}' "$(jget '.outputs | tojson')"
	req DELETE "/plugins/v1/$t/v1/$rid"
	expect "$t: delete answers 200" 200 "$STATUS"
done
req PUT /plugins/v1/example-timer/v1 '{"task_template":{"type":"example-timer","custom":{"seconds":1}},"inputs":{"m":1}}'
expect "SDK timer: create answers 200" 200 "$STATUS"
rid=$(jget .resource_id)
req GET "/plugins/v1/example-timer/v1/$rid"
expect "SDK timer: RUNNING at first" RUNNING "$(jget .phase)"
timer_done() { req GET "/plugins/v1/example-timer/v1/$rid"; [ "$(jget .phase)" = SUCCEEDED ]; }
check "SDK timer: then SUCCEEDED" wait_for 100 timer_done
expect "SDK timer: outputs" '{"m":1}' "$(jget '.outputs | tojson')"
req PUT /plugins/v1/example-timer/v1 '{"task_template":{"type":"example-timer","custom":{"seconds":-1}}}'
expect "SDK timer: a PluginError maps to its status" 400 "$STATUS"
expect "SDK timer: and its code" INVALID_ARGUMENT "$(jget .error.code)"
stop_daemon
finish
