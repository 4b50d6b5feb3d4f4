#!/bin/sh
# Runs yamllint in strict mode (warnings fail too) on the YAML the project
# ships: everything git tracks outside tests/, plus conf/ and deploy/.  Test
# fixtures are left out on purpose: some are broken by design.  The rules are
# in .yamllint at the top of the tree.
set -u
. "$(dirname "$0")/lib.sh"

lint_need yamllint

cd "$top_srcdir" || exit 1
list=$(mktemp) || exit 1
trap 'rm -f "$list"' EXIT
lint_files conf deploy | while IFS= read -r f; do
	case $f in
	tests/*|build*/*)
		;;
	*.yaml|*.yml)
		printf '%s\n' "$f" ;;
	esac
done >"$list"
if [ ! -s "$list" ]; then
	echo "yamllint: no YAML files to check"
	exit 0
fi

set --
[ -f .yamllint ] && set -- -c .yamllint
echo "yamllint:" "$(tr '\n' ' ' <"$list")"
# File names come from the tree and hold no blanks or newlines.
# shellcheck disable=SC2046
yamllint -s "$@" -- $(cat "$list")
