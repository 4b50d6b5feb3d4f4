#!/bin/sh
# The README's "Write your first plugin" walk-through, as printed: its
# countdown.py, job.json and my.yaml are taken from README.md and run by
# nebula-plugin local and check, then served by the daemon and driven by
# nebula-plugin run.  The venv gets the SDK by a .pth file rather than pip
# (sdk_python.sh tests the pip install), so the test needs no network.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

readme="$top_srcdir/README.md"
dir="$E2E_TMP/countdown"
mkdir -p "$dir"
cd "$dir" || exit 1

# The walk-through's section, then its first ```TAG block, unindented.
section() {
	sed -n '/^## Write your first plugin/,/^## /p' "$readme"
}
block() {
	section | awk -v tag="$1" '
	    $0 ~ "^ *```" tag "$" { f = 1; next }
	    f && /^ *```$/ { exit }
	    f { sub(/^   /, ""); print }'
}
block python >countdown.py
block yaml >my.yaml
section | sed -n 's/^ *\$ \(echo .*countdown.*\) > job\.json$/\1/p' |
    head -n 1 >job.sh
check "the README has countdown.py" grep -q 'nebula_plugin.serve' countdown.py
check "the README has my.yaml" grep -q 'countdown.py' my.yaml
check "the README has job.json's echo" test -s job.sh
sh job.sh >job.json

py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" -m venv --system-site-packages --without-pip venv
site=$(venv/bin/python -c \
    'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$top_srcdir/plugins/python" >"$site/nebula_plugin_src.pth"
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

out=$("$NEBULA_PLUGIN" local -- venv/bin/python countdown.py <job.json)
expect "step 3: local runs the job (exit 0)" 0 "$?"
expect "and prints the README's outputs" '{"done":true}' "$out"

"$NEBULA_PLUGIN" check -- venv/bin/python countdown.py >check.out 2>&1
expect "step 4: every check passes (exit 0)" 0 "$?"
[ -s check.out ] && sed 's/^/#   /' check.out

"$NEBULA_PLUGIND" -t -c my.yaml >t.out 2>t.err
expect "step 5: nebula-plugind -t accepts my.yaml" "0 ok" "$? $(cat t.out)"
expect "without a warning" "" "$(cat t.err)"

start_daemon "$dir/my.yaml" || { fail "the daemon starts on my.yaml"; finish; }
if wait_ready; then
	pass "the plugin becomes ready"
else
	fail "the plugin becomes ready" "$(tail -n 5 "$DAEMON_LOG")"
	finish
fi
out=$("$NEBULA_PLUGIN" -s "$URL" run countdown job.json)
expect "nebula-plugin run drives the job (exit 0)" 0 "$?"
expect "and prints its outputs" '{"done":true}' "$out"
req GET /plugins/v1/countdown
expect "two instances serve it" 2 "$(jget .instances)"
stop_daemon
finish
