# shellcheck shell=sh disable=SC2034
# Shared helpers for the end-to-end tests: start the real daemon on a free
# port with a configuration written by the test, talk HTTP to it with curl,
# count checks, and stop it checking its exit status and sanitizer reports.

: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
NEBULA_PLUGIND="$top_builddir/supervisor/nebula-plugind"
NEBULA_PLUGIN="$top_builddir/client/nebula-plugin"
TESTWORKER="$top_builddir/tests/workers/nebula-testworker"
ECHO_PLUGIN="$top_builddir/plugins/echo/nebula-echo"
SLEEP_PLUGIN="$top_builddir/plugins/sleep/nebula-sleep"
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/nebula-e2e.XXXXXX")
E2E_PASSED=0
E2E_FAILED=0
DAEMON_PID=
DAEMON_LOG=
PORT=
URL=
STATUS=
BODY=
HEADERS=

e2e_cleanup() {
	if [ -n "$DAEMON_PID" ]; then
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM

pass() {
	E2E_PASSED=$((E2E_PASSED + 1))
	echo "ok - $1"
}

fail() {
	E2E_FAILED=$((E2E_FAILED + 1))
	echo "not ok - $1"
	[ -n "${2:-}" ] && echo "#   $2"
	return 0
}

# check NAME COMMAND...: passes when the command succeeds.
check() {
	name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "failed: $*"; fi
}

# expect NAME WANT GOT
expect() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "want [$2], got [$3]"
	fi
}

finish() {
	echo "# $E2E_PASSED passed, $E2E_FAILED failed"
	[ "$E2E_FAILED" -eq 0 ]
	exit $?
}

# A configuration with the given plugins section (YAML text on stdin).
write_config() {
	file="$E2E_TMP/${1:-nebula}.yaml"
	cat >"$file"
	echo "$file"
}

# start_daemon CONFIG|"" [ARGS...]: sets DAEMON_PID, PORT, URL.  An empty
# CONFIG runs the built-in default configuration.
start_daemon() {
	conf=$1
	shift
	DAEMON_LOG="$E2E_TMP/daemon.$$.$(date +%s%N).log"
	if [ -n "$conf" ]; then
		set -- -c "$conf" "$@"
	fi
	: >"$DAEMON_LOG"	# there before the first read below
	"$NEBULA_PLUGIND" -l 127.0.0.1:0 "$@" 2>"$DAEMON_LOG" &
	DAEMON_PID=$!
	i=0
	while [ $i -lt 300 ]; do
		PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
		    "$DAEMON_LOG" | head -n 1)
		[ -n "$PORT" ] && break
		if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			echo "# daemon exited at start:"
			sed 's/^/#   /' "$DAEMON_LOG"
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$PORT" ] || return 1
	URL="http://127.0.0.1:$PORT"
}

# wait_ready: until /readyz answers 200 (bounded, never timed by a check).
wait_ready() {
	i=0
	while [ $i -lt 300 ]; do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")
		[ "$code" = 200 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_for TRIES COMMAND...: retries a condition every 0.1 s.
wait_for() {
	tries=$1
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# stop_daemon: SIGTERM, expect exit 0 and no sanitizer report.
stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	rc=$?
	DAEMON_PID=
	expect "daemon exits 0 on SIGTERM" 0 "$rc"
	check_sanitizers
}

check_sanitizers() {
	if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' \
	    "$DAEMON_LOG" >/dev/null; then
		fail "no sanitizer report in the daemon log"
		sed 's/^/#   /' "$DAEMON_LOG" | grep -v "level=info request_id" | tail -n 80
	else
		pass "no sanitizer report in the daemon log"
	fi
}

# echo_creates N: N creates of echo, one curl each, each given up after
# 2 s (the fairness bound of nebula-plugind(8), a bound and not a
# measurement).  Sets CREATES_OK to how many answered 200 and CREATES_SLOW
# to the others, as " INDEX:STATUS" words.
echo_creates() {
	CREATES_OK=0
	CREATES_SLOW=
	i=0
	while [ $i -lt "$1" ]; do
		code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' -X PUT \
		    -H 'Content-Type: application/json' \
		    --data-binary '{"task_template":{"type":"echo"},"inputs":{"i":1}}' \
		    "$URL/plugins/v1/echo/v1")
		if [ "$code" = 200 ]; then
			CREATES_OK=$((CREATES_OK + 1))
		else
			CREATES_SLOW="$CREATES_SLOW $i:$code"
		fi
		i=$((i + 1))
	done
	[ -z "$CREATES_SLOW" ] || echo "# not answered in time:$CREATES_SLOW"
}

# req METHOD PATH [BODY]: sets STATUS, BODY, HEADERS (a file).
req() {
	HEADERS="$E2E_TMP/headers"
	if [ $# -ge 3 ]; then
		printf '%s' "$3" >"$E2E_TMP/reqbody"
		STATUS=$(curl -s -o "$E2E_TMP/body" -D "$HEADERS" \
		    -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
		    --data-binary @"$E2E_TMP/reqbody" "$URL$2")
	else
		STATUS=$(curl -s -o "$E2E_TMP/body" -D "$HEADERS" \
		    -w '%{http_code}' -X "$1" "$URL$2")
	fi
	BODY=$(cat "$E2E_TMP/body")
}

# jget FILTER: jq on the last BODY.
jget() {
	printf '%s' "$BODY" | jq -r "$1"
}

header() {
	tr -d '\r' <"$HEADERS" | sed -n "s/^$1: //Ip" | head -n 1
}
