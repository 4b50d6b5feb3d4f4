#!/bin/sh
# nebula-plugin against the real daemon: run echo and sleep to completion,
# create/get/delete/list, exit 4 on an unknown task type, exit 3 on a bad
# resource_id and when nothing listens, usage errors exit 2, and watch
# follows 200 sleep jobs (far more than its 16 connections) to completion
# reporting each phase once.
. "${top_srcdir:?run through make check}/tests/e2e/client_lib.sh"

start_daemon "" || { fail "daemon starts"; finish; }
check "daemon becomes ready" wait_ready

echobody=$(body echo '{"task_template":{"type":"echo"},"inputs":{"x":1}}')
np -s "$URL" run echo "$echobody"
expect "run echo exits 0" 0 "$RC"
expect "run echo prints the outputs" '{"x":1}' "$OUT"

NEBULA_PLUGIN_URL=$URL np run -i 0.1 -m 0.5 sleep/v1 - <<'EOF2'
{"task_template":{"type":"sleep","custom":{"seconds":1}}}
EOF2
expect "run sleep (URL from the environment) exits 0" 0 "$RC"
expect "run sleep prints the outputs" '{"slept":1}' "$OUT"

np -s "$URL" create echo "$echobody"
expect "create exits 0" 0 "$RC"
rid=$OUT
check "create prints a bare resource_id" test -n "$rid"
expect "create prints one line" 1 "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')"
np -s "$URL" get echo/v1 "$rid"
expect "get exits 0" 0 "$RC"
expect "get prints the resource" SUCCEEDED "$(printf '%s' "$OUT" | jq -r .phase)"
np -s "$URL" delete echo "$rid"
expect "delete exits 0" 0 "$RC"
expect "delete prints {}" '{}' "$OUT"
np -s "$URL" list
expect "list exits 0" 0 "$RC"
expect "list names the plugins" 'echo sleep' \
    "$(printf '%s' "$OUT" | jq -r '[.plugins[].name] | sort | join(" ")')"

np -s "$URL" run nosuch "$echobody"
expect "run of an unknown task type exits 4" 4 "$RC"
has "one error line naming NOT_FOUND" '^nebula-plugin: create: 404 NOT_FOUND: ' "$ERR"
expect "the error is one line" 1 "$(printf '%s\n' "$ERR" | wc -l | tr -d ' ')"
np -s "$URL" create echo/v9 "$echobody"
expect "create of an unknown version exits 4" 4 "$RC"
np -s "$URL" get echo not-a-resource-id
expect "get of a bad resource_id exits 3" 3 "$RC"

np -s "$URL"
expect "no command exits 2" 2 "$RC"
np -s "$URL" frobnicate
expect "an unknown command exits 2" 2 "$RC"
np -s "$URL" create a/b/c "$echobody"
expect "a bad task type exits 2" 2 "$RC"
np -s "$URL" create echo "$E2E_TMP/missing.json"
expect "a missing body file exits 2" 2 "$RC"
np -t 0 -s "$URL" list
expect "a bad timeout exits 2" 2 "$RC"
np -T "$E2E_TMP/missing-token" -s "$URL" list
expect "a missing token file exits 2" 2 "$RC"
np -V
expect "-V exits 0" 0 "$RC"
np -h
expect "-h exits 0" 0 "$RC"

# watch: 200 sleep jobs of 1 to 5 seconds, one process, 16 connections.
# They are created by one curl run (a config file of 200 requests), so that
# most are still RUNNING when watch starts.  (A thousand cost more time
# and proved nothing more: the jobs share the 16 connections either way.)
jobs="$E2E_TMP/jobs"
cfg="$E2E_TMP/curl.cfg"
: >"$cfg"
for s in 1 2 3 4 5; do
	printf '{"task_template":{"type":"sleep","custom":{"seconds":%d}}}\n' \
	    "$s" >"$E2E_TMP/sleep$s.json"
done
i=0
while [ $i -lt 200 ]; do
	{
		[ $i -gt 0 ] && echo next
		echo "url = \"$URL/plugins/v1/sleep/v1\""
		echo 'request = "PUT"'
		echo 'header = "Content-Type: application/json"'
		echo "data-binary = \"@$E2E_TMP/sleep$((i % 5 + 1)).json\""
		printf '%s\n' 'write-out = "\\n"'
	} >>"$cfg"
	i=$((i + 1))
done
curl -s -K "$cfg" | jq -r '"sleep " + .resource_id' >"$jobs"
expect "200 sleep jobs created" 200 "$(grep -c '^sleep [A-Za-z0-9_-]' "$jobs")"
np -s "$URL" watch -i 0.2 -m 1 -n 16 "$jobs"
expect "watch exits 0 when every job succeeds" 0 "$RC"
expect "watch reports each job SUCCEEDED once" 200 \
    "$(printf '%s\n' "$OUT" | jq -r 'select(.phase == "SUCCEEDED") | .resource_id' | sort -u | wc -l | tr -d ' ')"
expect "watch reports every phase change once" 0 \
    "$(printf '%s\n' "$OUT" | jq -r '.resource_id + " " + .phase' | sort | uniq -d | wc -l | tr -d ' ')"
expect "watch prints nothing but phase changes" \
    "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" \
    "$(printf '%s\n' "$OUT" | jq -r '.phase' | grep -c -E '^(RUNNING|SUCCEEDED)$')"
check "watch saw jobs RUNNING" test "$(printf '%s\n' "$OUT" | grep -c '"RUNNING"')" -gt 0

printf 'sleep not-an-id\n# a comment\n\n' >"$E2E_TMP/badjobs"
np -s "$URL" watch "$E2E_TMP/badjobs"
expect "watch of a bad resource_id exits 3" 3 "$RC"
expect "watch reports the error as JSON" BAD_REQUEST "$(printf '%s' "$OUT" | jq -r .error.code)"
printf 'sleep\n' >"$E2E_TMP/badfile"
np -s "$URL" watch "$E2E_TMP/badfile"
expect "watch of a malformed file exits 2" 2 "$RC"

stop_daemon

# nothing listens any more
np -s "$URL" list
expect "list with nothing listening exits 3" 3 "$RC"
# A refused connection is retried like a 503 (nebula-plugin(1)): two quick
# retries here, not the default ten backing off to -m (nearly two minutes).
np -s "$URL" run -i 0.1 -m 0.2 -r 2 echo "$echobody"
expect "run with nothing listening exits 3 after its retries" 3 "$RC"
has "a transport error is one line" '^nebula-plugin: create: TRANSPORT: ' "$ERR"

client_sanitizers
finish
