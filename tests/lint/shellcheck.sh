#!/bin/sh
# Runs shellcheck on every shell script of the tree: the ones git tracks and
# the ones under tests/, scripts/, .ci/ and plugins/examples/ (all of those
# outside git).  A shell script is a *.sh file or a file whose first line is
# a #! naming sh, bash, dash or ksh.
set -u
. "$(dirname "$0")/lib.sh"

lint_need shellcheck

list=$(mktemp) || exit 1
trap 'rm -f "$list"' EXIT
lint_files tests scripts .ci plugins/examples | while IFS= read -r f; do
	case $f in
	*.sh)
		printf '%s\n' "$f"
		continue ;;
	esac
	first=$(head -n 1 "$top_srcdir/$f" 2>/dev/null | tr -d '\000')
	case $first in
	'#!'*[/\ ]sh|'#!'*[/\ ]sh\ *|'#!'*[/\ ]bash|'#!'*[/\ ]bash\ *|\
	'#!'*[/\ ]dash|'#!'*[/\ ]dash\ *|'#!'*[/\ ]ksh|'#!'*[/\ ]ksh\ *)
		printf '%s\n' "$f" ;;
	esac
done >"$list"

n=0
bad=0
cd "$top_srcdir" || exit 1
while IFS= read -r f; do
	n=$((n + 1))
	# A file without a #! line is a library that scripts source: the
	# variables it sets are for them (SC2034 does not apply), and without
	# a "shellcheck shell=" directive it is checked as POSIX sh.
	set --
	if ! head -n 1 "$f" | grep -q '^#!'; then
		set -- --exclude=SC2034
		grep -q '^# *shellcheck  *shell=' "$f" ||
			set -- "$@" --shell=sh
	fi
	if ! shellcheck -x --source-path=SCRIPTDIR "$@" -- "$f"; then
		bad=$((bad + 1))
	fi
done <"$list"

echo "shellcheck: $n scripts checked, $bad with findings"
[ "$n" -gt 0 ] || lint_fail "no shell scripts found under $top_srcdir"
[ "$bad" -eq 0 ]
