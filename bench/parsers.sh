#!/bin/sh
# Instructions per parse of each JSON reader (bench/parsers.c) on the
# Flyte-shaped 3.7 KB and 16 KB bodies, counted by callgrind: one run of
# 1 parse and one of 101, the difference over 100.  Usage, from the top of
# the source tree after ./scripts/build: bench/parsers.sh [BUILDDIR].
# simdjson's rows need libsimdjson-dev and g++ (never part of the build).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
b=$(cd "${1:-$top/build}" && pwd)
d=$(mktemp -d "${TMPDIR:-/tmp}/parsers.XXXXXX")
trap 'rm -rf "$d"' EXIT

command -v valgrind >/dev/null || { echo "parsers.sh: needs valgrind" >&2; exit 2; }
python3 "$top/bench/bodies.py" "$d" >/dev/null 2>&1
cflags="-O2 -I$top/protocol $(pkg-config --cflags jansson)"
libs="$b/protocol/libnebula-protocol.a $(pkg-config --libs jansson yajl) -lcrypto"
modes="0 1 2"
if [ -f /usr/include/simdjson.h ] && command -v g++ >/dev/null; then
	g++ -O2 -std=c++17 -c -o "$d/sj.o" "$top/bench/parsers_simdjson.cc"
	# shellcheck disable=SC2086
	cc $cflags -DHAVE_SIMDJSON -o "$d/parsers" "$top/bench/parsers.c" \
	    "$d/sj.o" $libs -lsimdjson -lstdc++
	modes="0 1 2 3 4"
else
	# shellcheck disable=SC2086
	cc $cflags -o "$d/parsers" "$top/bench/parsers.c" $libs
	echo "(libsimdjson-dev or g++ missing: no simdjson rows)"
fi

# count MODE FILE N: instructions of one run.
count() {
	valgrind --tool=callgrind --callgrind-out-file="$d/cg" "$d/parsers" \
	    "$1" "$2" "$3" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

echo "| reader | Flyte 3.7 KB | Flyte 16 KB |"
echo "|---|---:|---:|"
for m in $modes; do
	case $m in
	0) name="jansson json_loadb (tree)" ;;
	1) name="yajl proof, jscan_proof (no tree)" ;;
	2) name="yajl to jansson's tree, jscan_load" ;;
	3) name="simdjson DOM parse (no jansson tree)" ;;
	4) name="simdjson DOM to jansson's tree" ;;
	esac
	row="| $name |"
	for body in flyte3k flyte16k; do
		one=$(count "$m" "$d/$body.json" 1)
		many=$(count "$m" "$d/$body.json" 101)
		row="$row $(( (many - one) / 100 )) |"
	done
	echo "$row"
done
