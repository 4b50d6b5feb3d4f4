#!/bin/sh
# The fuzz targets in `make check`: builds them with clang, replays every
# input under tests/fuzz/regress/, and fuzzes each target for a few seconds
# (FUZZ_CHECK_SECONDS, default 5) on its seed corpus, once it has checked
# that every case of tests/e2e/framing/ is a fuzz_http seed.  Without clang
# and libFuzzer it fails, unless NEBULA_FUZZ_OPTIONAL=1 makes that a skip.
set -u

# The targets are built by clang from the sources with their own sanitizer
# flags, whatever the build: scripts/check-all sets NEBULA_ONCE_DONE=1 for
# its second build, where this could only repeat the first.
if [ "${NEBULA_ONCE_DONE:-0}" = 1 ]; then
	echo "check.sh: already run in the first build, skipped (NEBULA_ONCE_DONE=1)" >&2
	exit 77
fi

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir

# Every case of the e2e framing corpus is a fuzz_http seed, byte for byte
# after the seed's two set-up bytes (mkseeds.py writes them).
for f in "$top_srcdir"/tests/e2e/framing/*; do
	seed="$here/corpus/fuzz_http/framing_${f##*/}"
	if ! tail -c +3 "$seed" 2>/dev/null | cmp -s - "$f"; then
		echo "check.sh: no fuzz_http seed for framing case ${f##*/}" \
		    "(run tests/fuzz/mkseeds.py)" >&2
		exit 1
	fi
done

sh "$here/build.sh"
rc=$?
if [ "$rc" -eq 2 ]; then
	if [ "${NEBULA_FUZZ_OPTIONAL:-0}" = 1 ]; then
		echo "check.sh: no clang, skipped (NEBULA_FUZZ_OPTIONAL=1)" >&2
		exit 77
	fi
	echo "check.sh: the fuzz targets need clang and libFuzzer" \
	    "(scripts/install-deps), or set NEBULA_FUZZ_OPTIONAL=1 to skip" >&2
	exit 1
fi
[ "$rc" -eq 0 ] || exit 1
exec sh "$here/run.sh" "${FUZZ_CHECK_SECONDS:-5}"
