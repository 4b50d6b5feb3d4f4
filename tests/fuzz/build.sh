#!/bin/sh
# Builds the libFuzzer targets with clang (libFuzzer, ASan and UBSan) from
# the sources directly, into $top_builddir/tests/fuzz/.  Usage:
#   build.sh [target ...]        (default: every target)
# It needs clang and libFuzzer (Debian: clang, libclang-rt-14-dev); a
# target newer than all its inputs is not rebuilt.  Exit 2: no clang.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
FUZZ_CC=${FUZZ_CC:-clang}
out="$top_builddir/tests/fuzz"

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
	echo "build.sh: $FUZZ_CC not found (Debian: apt-get install clang" \
	    "libclang-rt-14-dev)" >&2
	exit 2
fi
if [ ! -f "$top_builddir/config.h" ]; then
	echo "build.sh: $top_builddir/config.h missing: run configure" >&2
	exit 1
fi
mkdir -p "$out"

# The sources of one target, relative to top_srcdir.
sources() {
	case $1 in
	fuzz_config)
		echo "tests/fuzz/fuzz_config.c supervisor/config.c" ;;
	fuzz_h2)
		echo "tests/fuzz/fuzz_h2.c tests/fuzz/fake_log.c" \
		    "supervisor/grpc.c supervisor/h2.c supervisor/tls.c" \
		    "protocol/buf.c" ;;
	fuzz_http)
		echo "tests/fuzz/fuzz_http.c tests/fuzz/fake_log.c" \
		    "tests/fuzz/fake_pool.c supervisor/auth.c supervisor/call.c" \
		    "supervisor/http.c supervisor/listen.c supervisor/metrics.c" \
		    "supervisor/rest.c" \
		    "supervisor/router.c supervisor/tls.c protocol/buf.c" \
		    "protocol/jgen.c protocol/jscan.c protocol/msg.c" \
		    "protocol/request.c protocol/rid.c" ;;
	fuzz_line)
		echo "tests/fuzz/fuzz_line.c protocol/buf.c protocol/line.c" \
		    "protocol/jgen.c protocol/jscan.c protocol/msg.c" \
		    "protocol/request.c" ;;
	fuzz_rid)
		echo "tests/fuzz/fuzz_rid.c protocol/buf.c protocol/jgen.c" \
		    "protocol/jscan.c protocol/msg.c protocol/request.c" \
		    "protocol/rid.c" ;;
	*)
		echo "build.sh: no target $1" >&2
		exit 1 ;;
	esac
}

libs() {
	case $1 in
	fuzz_config)	echo "-lyaml -ljansson" ;;
	fuzz_h2)	echo "-lnghttp2 -lev -lssl -lcrypto" ;;
	fuzz_http)	echo "-lhttp_parser -lev -ljansson -lyajl -lssl -lcrypto -lm" ;;
	fuzz_line)	echo "-ljansson -lyajl" ;;
	fuzz_rid)	echo "-ljansson -lyajl -lcrypto -lm" ;;
	esac
}

# Is $1 newer than every file named after it?
fresh() {
	bin=$1
	shift
	[ -f "$bin" ] && [ -z "$(find "$@" -newer "$bin" 2>/dev/null)" ]
}

[ $# -gt 0 ] || set -- fuzz_config fuzz_h2 fuzz_http fuzz_line fuzz_rid
for t in "$@"; do
	srcs=
	for s in $(sources "$t"); do
		srcs="$srcs $top_srcdir/$s"
	done
	# shellcheck disable=SC2086
	if fresh "$out/$t" $srcs "$0" "$here/fake.h" \
	    "$top_srcdir/protocol/nebula-protocol.h" \
	    "$top_srcdir/supervisor/nebula-plugind.h" "$top_builddir/config.h"
	then
		continue
	fi
	echo "build.sh: $t"
	# shellcheck disable=SC2046,SC2086
	"$FUZZ_CC" -std=c11 -g -O1 -fno-omit-frame-pointer \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    -Wall -Wextra -include "$top_builddir/config.h" \
	    -I"$top_srcdir/protocol" -I"$top_srcdir/supervisor" \
	    -I"$top_srcdir/tests/fuzz" -o "$out/$t.tmp" $srcs $(libs "$t")
	mv "$out/$t.tmp" "$out/$t"
done
