#!/bin/sh
# nebula-plugind -t reports every error of a file in one run, each with
# file:line and key; it checks that commands resolve to executables and
# that key and secret files exist; -T checks the syntax only.  ./-relative
# arguments are taken from the configuration's directory, by -t and by the
# daemon alike.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

dir="$E2E_TMP/checkdir"
mkdir -p "$dir"
conf="$dir/bad.yaml"
cat >"$conf" <<EOF2
listen: 127.0.0.1:0
bogus: 1
plugins:
  - name: a
    command: [$ECHO_PLUGIN]
    instances: 0
  - name: b
    command: [$ECHO_PLUGIN]
    timeouts: {start: forever}
EOF2
out=$("$NEBULA_PLUGIND" -t -c "$conf" 2>&1)
expect "-t fails on a bad file" 1 "$?"
check "the unknown key, with its line" \
    sh -c "printf '%s\n' \"\$1\" | grep -q 'bad.yaml:2: unknown key .bogus.'" - "$out"
check "and the bad instance count, in the same run" \
    sh -c "printf '%s\n' \"\$1\" | grep -q 'bad.yaml:6: plugins\[0\].instances: '" - "$out"
check "and the bad duration of the next plugin" \
    sh -c "printf '%s\n' \"\$1\" | grep -q 'bad.yaml:9: plugins\[1\].timeouts.start: '" - "$out"

conf="$dir/files.yaml"
cat >"$conf" <<EOF2
listen: 127.0.0.1:0
resource_id_key_file: $dir/missing.key
plugins:
  - name: gone
    task_types: [{type: gone}]
    command: [./no-such-program]
    secrets: {TOKEN: {file: $dir/missing-secret}}
  - name: nowhere
    task_types: [{type: nowhere}]
    command: [nebula-no-such-command]
EOF2
out=$("$NEBULA_PLUGIND" -t -c "$conf" 2>&1)
expect "-t fails on missing files and programs" 1 "$?"
check "the key file, with its line and key" \
    sh -c "printf '%s\n' \"\$1\" | grep -q 'files.yaml:2: resource_id_key_file: .*missing.key'" - "$out"
check "the relative command, resolved against the file's directory" \
    sh -c "printf '%s\n' \"\$1\" | grep -q 'files.yaml:6: plugin gone: command: $dir/no-such-program: not an executable'" - "$out"
check "the bare command not found anywhere" \
    sh -c "printf '%s\n' \"\$1\" | grep -q 'plugin nowhere: command: nebula-no-such-command: no executable'" - "$out"
check "the secret file" \
    sh -c "printf '%s\n' \"\$1\" | grep -q 'plugin gone: secrets.TOKEN: .*missing-secret'" - "$out"
out=$("$NEBULA_PLUGIND" -T -c "$conf" 2>&1)
expect "-T checks the syntax only" "0 ok" "$? $out"

# -t warns about task types that only the hello names
conf="$dir/hello.yaml"
cat >"$conf" <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
"$NEBULA_PLUGIND" -t -c "$conf" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
expect "-t passes a good file" "0 ok" "$? $(cat "$E2E_TMP/out")"
check "and warns that task_types should be written" \
    grep -q 'hello.yaml:[0-9]*: plugin echo: task_types is not written down' "$E2E_TMP/err"

# ./-relative arguments: the daemon runs python3 ./worker.py from the
# configuration's directory, started from elsewhere
if command -v python3 >/dev/null 2>&1; then
	cat >"$dir/worker.py" <<'EOF2'
import json, sys
print(json.dumps({"hello": {"protocol": 1, "name": "rel",
    "task_types": [{"type": "rel", "versions": ["v1"]}]}}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    print(json.dumps({"id": req["id"], "resource_meta": {"ok": 1}}),
          flush=True)
EOF2
	cat >"$dir/rel.yaml" <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: rel
    task_types: [{type: rel}]
    command: [python3, ./worker.py]
EOF2
	out=$(cd / && "$NEBULA_PLUGIND" -t -c "$dir/rel.yaml" 2>&1)
	expect "-t passes python3 ./worker.py" ok "$out"
	(cd / && start_daemon "$dir/rel.yaml" && wait_ready && req PUT /plugins/v1/rel/v1 '{"task_template":{"type":"rel"}}' && echo "$STATUS" >"$E2E_TMP/relstatus"; stop_daemon >/dev/null) 
	expect "the daemon runs ./worker.py from the configuration's directory" 200 "$(cat "$E2E_TMP/relstatus" 2>/dev/null)"
fi
finish
