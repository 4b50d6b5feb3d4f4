#!/bin/sh
# What start-up tells the operator: `-k` prints a fresh signing key (base64
# of 32 random bytes) that resource_id_key_file accepts; unsigned resource
# ids on a listener that is not loopback log a warning, signed ones or a
# loopback listener do not; without -c the installed configuration file is
# read when it exists (tried in a private mount namespace, where one can be
# made), else the built-in one, and the start-up line says which.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

# -k: a key, different each time, accepted by the daemon.
k1=$("$NEBULA_PLUGIND" -k)
rc=$?
k2=$("$NEBULA_PLUGIND" -k)
expect "-k exits 0" 0 "$rc"
check "-k prints base64 of 32 bytes" test "$(printf '%s' "$k1" |
    openssl base64 -d -A | wc -c)" -eq 32
expect "-k prints one line of 44 characters" 44 "${#k1}"
check "-k prints a fresh key each time" test "$k1" != "$k2"
printf '%s\n' "$k1" >"$E2E_TMP/rid.key"
conf=$(write_config signed <<EOC
resource_id_key_file: $E2E_TMP/rid.key
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
    task_types: [{type: echo, versions: [v1]}]
EOC
)
expect "a -k key passes as resource_id_key_file" ok \
    "$("$NEBULA_PLUGIND" -t -c "$conf" 2>&1)"
plain=$(write_config plain <<EOC
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
    task_types: [{type: echo, versions: [v1]}]
EOC
)

# started_log ARGS...: runs the daemon until it logged its start-up line,
# stops it, and leaves the log in $E2E_TMP/start.log.
started_log() {
	log="$E2E_TMP/start.log"
	"$NEBULA_PLUGIND" "$@" 2>"$log" &
	pid=$!
	wait_for 300 grep -q 'msg="nebula-plugind .* started' "$log"
	kill -TERM "$pid"
	wait "$pid"
	DAEMON_LOG=$log
	check_sanitizers
}

# no_warning LOG: the log has no unsigned-ids warning.
no_warning() {
	! grep -q 'not signed' "$1"
}

started_log -c "$plain" -l 0.0.0.0:0
check "unsigned ids on 0.0.0.0 log a warning naming resource_id_key_file" \
    grep -q 'level=warn.*not signed.*0\.0\.0\.0:0.*resource_id_key_file' \
    "$log"
started_log -c "$plain" -l 127.0.0.1:0
check "unsigned ids on loopback log no warning" no_warning "$log"
started_log -c "$conf" -l 0.0.0.0:0
check "signed ids on 0.0.0.0 log no warning" no_warning "$log"

# Without -c: the installed file when it exists, else the built-in one.
installed=$("$NEBULA_PLUGIND" -h | sed -n 's/.*(default: \(.*\.yaml\)$/\1/p')
check "--help names the installed configuration file" test -n "$installed"
etc=$(dirname "$(dirname "$installed")")
if [ ! -e "$installed" ]; then
	started_log -l 127.0.0.1:0
	check "without -c and no installed file, the built-in one runs" \
	    grep -q "configuration built-in (no $installed)" "$log"
fi
if [ "$(id -u)" -eq 0 ] && [ -d "$etc" ] &&
    unshare -m true 2>/dev/null; then
	mkdir -p "$E2E_TMP/etc/nebula"
	cp "$plain" "$E2E_TMP/etc/nebula/nebula-plugind.yaml"
	log="$E2E_TMP/start.log"
	# shellcheck disable=SC2016 # the inner shell expands its own $1..$3
	unshare -m sh -c 'mount --bind "$1" "$2" && exec "$3" -l 127.0.0.1:0' \
	    sh "$E2E_TMP/etc" "$etc" "$NEBULA_PLUGIND" 2>"$log" &
	pid=$!
	wait_for 300 grep -q 'msg="nebula-plugind .* started' "$log"
	kill -TERM "$pid"
	wait "$pid"
	check "without -c the installed $installed is read" \
	    grep -q "started, 1 plugin, configuration $installed\"" "$log"
else
	echo "# no private mount namespace here (needs root and unshare):" \
	    "the installed-file case is not run"
fi
finish
