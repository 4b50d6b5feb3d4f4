#!/bin/sh
# Checks every manual page in man/ with mandoc -Tlint -Wwarning: any message
# at all (warning, error, unsupported) fails, so the pages stay clean mdoc.
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
out=$(mandoc -Tlint -Wwarning "$@" 2>&1)
rc=$?
if [ -n "$out" ] || [ "$rc" -ne 0 ]; then
	printf '%s\n' "$out" >&2
	lint_fail "mandoc -Tlint found problems (exit $rc)"
fi
