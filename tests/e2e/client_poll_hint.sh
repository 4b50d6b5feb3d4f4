#!/bin/sh
# Poll hints: a worker (on the Python SDK) adds poll_after_ms to its get
# answers; the REST answer carries it as the field poll_after_ms and the
# header Nebula-Poll-After-Ms; `nebula-plugin run` and `watch` wait that
# long (within -i and -m) before the next poll, counted by the worker; and
# `run` shows phase changes on stderr only when stderr is a terminal.
. "${top_srcdir:?run through make check}/tests/e2e/client_lib.sh"

# The first get of a job answers RUNNING with a hint of HINT_MS; a later
# get that comes when the hint said answers SUCCEEDED with the count of
# polls and of early ones (those that came before the hint ran out).
HINTWORKER="$E2E_TMP/hintworker.py"
cat >"$HINTWORKER" <<'EOF2'
import itertools
import math
import time

import nebula_plugin

HINT_MS = 1500
SLACK = 0.01        # seconds: float rounding in the client's sleep
jobs = {}
ids = itertools.count(1)


class Hint(nebula_plugin.Plugin):
    task_type = "hint"

    async def create(self, task_template, **kw):
        n = next(ids)
        jobs[n] = {"due": None, "polls": 0, "early": 0}
        return {"job": n}

    async def get(self, resource_meta, **kw):
        job = jobs[resource_meta["job"]]
        job["polls"] += 1
        now = time.monotonic()
        if job["due"] is None:
            job["due"] = now + HINT_MS / 1000
        elif now >= job["due"] - SLACK:
            return nebula_plugin.resource("SUCCEEDED", outputs={
                "polls": job["polls"], "early": job["early"]})
        else:
            job["early"] += 1
        left = math.ceil((job["due"] - now) * 1000)
        return nebula_plugin.resource("RUNNING", message="running",
                                      poll_after_ms=left)


nebula_plugin.serve(Hint())
EOF2

conf=$(write_config hint <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: hint
    command: [python3, $HINTWORKER]
    timeouts: {start: 30s}    # a loaded machine starts Python slowly
    env:
      PYTHONPATH: $top_srcdir/plugins/python
      PYTHONDONTWRITEBYTECODE: "1"
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "the hint plugin becomes ready" wait_ready
job=$(body job '{"task_template":{"type":"hint"}}')

req PUT /plugins/v1/hint/v1 "$(cat "$job")"
rid=$(jget .resource_id)
req GET "/plugins/v1/hint/v1/$rid"
expect "a get with a hint is RUNNING" RUNNING "$(jget .phase)"
check "the REST answer carries poll_after_ms as a field" \
    test "$(jget '.poll_after_ms | type')" = number
check "and as the header Nebula-Poll-After-Ms, the same value" \
    test "$(header Nebula-Poll-After-Ms)" = "$(jget .poll_after_ms)"

# Honoured: one poll at once, the next after the hint, and it is done.
np -s "$URL" run -i 0.1 -m 30 hint "$job"
expect "run exits 0" 0 "$RC"
expect "run polled twice, as the hint said" '{"early":0,"polls":2}' \
    "$(printf '%s' "$OUT" | jq -cS .)"
check "stderr is not a terminal: no progress lines" \
    test -z "$(printf '%s' "$ERR" | grep RUNNING)"

# Bounded by -m: a hint longer than the maximum is cut to it.
np -s "$URL" run -i 0.1 -m 0.2 hint "$job"
expect "run -m 0.2 exits 0" 0 "$RC"
check "run -m 0.2 polls sooner than the hint says" \
    test "$(printf '%s' "$OUT" | jq .early)" -gt 0

# watch honours it too.
np -s "$URL" create hint "$job"
printf 'hint %s\n' "$OUT" >"$E2E_TMP/watch.list"
np -s "$URL" watch -i 0.1 -m 30 "$E2E_TMP/watch.list"
expect "watch exits 0" 0 "$RC"
expect "watch polled twice, as the hint said" '{"early":0,"polls":2}' \
    "$(printf '%s\n' "$OUT" | tail -n 1 | jq -cS .outputs)"

# on_tty TYPE JOB [ARG...]: nebula-plugin run with its stderr on a pty,
# that stderr on stdout.
on_tty() {
	python3 - "$NEBULA_PLUGIN" "$URL" "$@" <<'EOF2'
import os
import pty
import subprocess
import sys

master, slave = pty.openpty()
p = subprocess.Popen([sys.argv[1], "-s", sys.argv[2], "run", "-i", "0.1"] +
                     sys.argv[5:] + [sys.argv[3], sys.argv[4]],
                     stdout=subprocess.DEVNULL, stderr=slave)
os.close(slave)
out = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
p.wait()
sys.stdout.write(out.decode(errors="replace"))
EOF2
}

# Progress on a terminal: stderr on a pty shows each phase once.
on_tty hint "$job" >"$E2E_TMP/tty.err"
tty_err=$(tr -d '\r' <"$E2E_TMP/tty.err")
has "run on a terminal shows RUNNING" '^nebula-plugin: RUNNING: running$' "$tty_err"
has "then SUCCEEDED" '^nebula-plugin: SUCCEEDED$' "$tty_err"
expect "each phase once" 1 "$(printf '%s\n' "$tty_err" | grep -c RUNNING)"
stop_daemon

# Retries on a terminal say why: a plugin whose program is missing answers
# 503 to every create.
conf=$(write_config missing <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: missing
    command: [$E2E_TMP/no-such-program]
    task_types: [{type: missing}]
EOF2
)
start_daemon "$conf" || { fail "daemon with a missing program starts"; finish; }
started() {
	req PUT /plugins/v1/missing/v1 '{"task_template":{}}'
	[ "$STATUS" = 503 ] && ! printf '%s' "$BODY" | grep -q 'daemon is starting'
}
check "the missing plugin answers 503" wait_for 300 started
on_tty missing "$job" -r 1 >"$E2E_TMP/retry.err"
retry_err=$(tr -d '\r' <"$E2E_TMP/retry.err")
has "run on a terminal says why it retries" \
    '^nebula-plugin: 503 UNAVAILABLE: .*; retrying in [0-9.]* s$' "$retry_err"

stop_daemon
client_sanitizers
finish
