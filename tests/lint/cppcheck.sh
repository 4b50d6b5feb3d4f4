#!/bin/sh
# Runs cppcheck over the C sources of protocol/, supervisor/, client/,
# plugins/ and tests/, with warnings and portability checks on; any finding
# fails.  A deliberate exception is marked in the source with a
# "// cppcheck-suppress ID" comment on the line before, saying why.
set -u
. "$(dirname "$0")/lib.sh"

lint_need cppcheck

list=$(mktemp) || exit 1
trap 'rm -f "$list"' EXIT
lint_files protocol supervisor client plugins tests | while IFS= read -r f; do
	case $f in
	protocol/*.c|supervisor/*.c|client/*.c|plugins/*.c|tests/*.c)
		printf '%s\n' "$f" ;;
	esac
done >"$list"
[ -s "$list" ] || lint_fail "no C sources found under $top_srcdir"

# The module directories and every directory holding a C file are include
# paths, as in the build (where -I is the source's own directory).
incs=$(sed -n 's|/[^/]*\.c$||p' "$list" | sort -u)
incs="protocol supervisor client $incs"

cd "$top_srcdir" || exit 1
set -- --error-exitcode=1 --enable=warning,portability --inline-suppr -q \
    --std=c11 -D_GNU_SOURCE
for d in $incs; do
	[ -d "$d" ] && set -- "$@" -I "$d"
done
# cppcheck reads no system headers, but <sys/queue.h> is all macros that
# declare structs (TAILQ_HEAD ...): without them it cannot parse the code.
for q in /usr/include/sys/queue.h /usr/include/*/sys/queue.h; do
	if [ -f "$q" ]; then
		set -- "$@" --include="$q"
		break
	fi
done
# jansson's iteration macros must be known, or cppcheck stops at them.
[ -f /usr/include/jansson.h ] && set -- "$@" --include=/usr/include/jansson.h
jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1

echo "cppcheck: $(wc -l <"$list") files"
cppcheck "$@" -j "$jobs" --file-list="$list"
