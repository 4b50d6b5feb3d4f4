#!/bin/sh
# Worker limits: a clean environment (PATH, configured env and secrets
# only), rlimits, workdir, and, when the daemon runs as root, the user and
# group to drop to.  The test worker writes what it got.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

chmod 711 "$E2E_TMP"
mkdir -m 777 "$E2E_TMP/work"
printf 's3cr3t\n' >"$E2E_TMP/secret"
as_line=
# AddressSanitizer needs more address space than any sane limit.
grep -q __asan_init "$TESTWORKER" || as_line="as: 1G, "
user_lines=
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	user_lines="    user: nobody
    group: $(id -gn nobody)"
fi
conf=$(write_config limits <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: testworker
    command: [$TESTWORKER]
    env: {TW_PRINT_ENV: $E2E_TMP/work/env, MY_SETTING: hello}
    secrets: {MY_SECRET: {file: $E2E_TMP/secret}}
    workdir: $E2E_TMP/work
    rlimits: {${as_line}nofile: 256, cpu: 3600}
$user_lines
EOF2
)
export LEAKED_FROM_DAEMON=yes
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "ready" wait_ready
out="$E2E_TMP/work/env"
check "the worker wrote what it got" test -s "$out"
check "configured env is passed" grep -qx 'env MY_SETTING=hello' "$out"
check "secrets are passed as env" grep -qx 'env MY_SECRET=s3cr3t' "$out"
check "PATH is passed" grep -q '^env PATH=' "$out"
check "the daemon's own env is not passed" sh -c "! grep -q LEAKED_FROM_DAEMON '$out'"
expect "the environment holds nothing else" "" \
    "$(sed -n 's/^env \([A-Z_]*\)=.*/\1/p' "$out" | grep -v -x -E 'PATH|MY_SETTING|MY_SECRET|TW_PRINT_ENV|ASAN_OPTIONS|UBSAN_OPTIONS|LSAN_OPTIONS')"
check "rlimit nofile is set" grep -qx 'rlimit nofile 256 256' "$out"
check "rlimit cpu is set" grep -qx 'rlimit cpu 3600 3600' "$out"
if [ -n "$as_line" ]; then
	check "rlimit as is set" grep -qx 'rlimit as 1073741824 1073741824' "$out"
fi
expect "workdir is the cwd" "cwd $E2E_TMP/work" "$(grep '^cwd ' "$out")"
if [ -n "$user_lines" ]; then
	expect "the worker runs as the configured user" "uid $(id -u nobody)" "$(grep '^uid ' "$out")"
	expect "and group" "gid $(id -g nobody)" "$(grep '^gid ' "$out")"
fi
stop_daemon
finish
