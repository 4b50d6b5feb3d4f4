#!/bin/sh
# Checks every manual page in man/ with mandoc -Tlint -Wwarning: any message
# at all (warning, error, unsupported) fails, so the pages stay clean mdoc.
# It also checks that the example workers printed in nebula-plugin-protocol(7)
# are, byte for byte, the runnable files shipped in plugins/examples/.
set -u
. "$(dirname "$0")/lib.sh"

lint_need mandoc

cd "$top_srcdir" || exit 1
set --
for f in man/*.[1-8]; do
	[ -f "$f" ] && set -- "$@" "$f"
done
[ "$#" -gt 0 ] || lint_fail "no manual pages in $top_srcdir/man"

echo "mandoc: $*"
# example SUBSECTION FILE: the literal display under ".Ss SUBSECTION", with
# the mdoc escapes undone (\& at the start of a line, \e for a backslash).
example() {
	sed -n "/^\.Ss $1\$/,/^\.Ed\$/p" man/nebula-plugin-protocol.7 |
	    sed -e '1,/^\.Bd -literal/d' -e '$d' |
	    sed -e 's/^\\&//' -e 's/\\e/\\/g' | cmp -s - "$2" && return 0
	printf '%s\n' "mandoc: $2 differs from its copy under \"$1\" in" \
	    "man/nebula-plugin-protocol.7: paste it there, writing \\ as \\e" >&2
	return 1
}
bad=0
if [ -f man/nebula-plugin-protocol.7 ]; then
	example 'A worker in POSIX shell' \
	    plugins/examples/shell/nebula-example.sh || bad=1
	example 'A worker in Python' \
	    plugins/examples/python/nebula_example.py || bad=1
fi

out=$(mandoc -Tlint -Wwarning "$@" 2>&1)
rc=$?
if [ -n "$out" ] || [ "$rc" -ne 0 ]; then
	printf '%s\n' "$out" >&2
	lint_fail "mandoc -Tlint found problems (exit $rc)"
fi
[ "$bad" -eq 0 ]
