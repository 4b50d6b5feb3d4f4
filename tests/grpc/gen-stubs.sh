#!/bin/sh
# Generates the Python modules of Flyte's messages (admin/agent.proto and
# what it imports) with python3 -m grpc_tools.protoc, from the same pinned
# protos as the C build, into a directory of the build tree for the tests to
# import; service/agent.proto's gRPC stubs too when google/api/*.proto can
# be found.  Prints the interpreter that can import them.
# Usage: gen-stubs.sh OUTDIR [PROTOS_DIR]; exits 77 when a part is missing.
set -eu
out=${1:?usage: gen-stubs.sh OUTDIR [PROTOS_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
protos=${2:-${FLYTEIDL_DIR:-}}
if [ -z "$protos" ] && [ -n "${top_builddir:-}" ] &&
    [ -f "$top_builddir/supervisor/flyteidl.stamp" ]; then
	protos=$(sed -n 's/^flyteidl: //p' "$top_builddir/supervisor/flyteidl.stamp")
fi
[ -n "$protos" ] || protos=$("$here/../../scripts/fetch-flyteidl" --print-dir)
if [ ! -f "$protos/flyteidl/admin/agent.proto" ]; then
	echo "gen-stubs: no Flyte protos in $protos" >&2
	exit 77
fi

# Debian's python3-grpc-tools and python3-protobuf, whichever python3 comes
# first on PATH (a pyenv one may have neither).
py=
for p in "${PYTHON:-}" python3 /usr/bin/python3; do
	[ -n "$p" ] || continue
	if "$p" -c 'import grpc_tools.protoc, google.protobuf' 2>/dev/null; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "gen-stubs: no python3 with grpc_tools and protobuf" >&2
	exit 77
fi

set -- flyteidl/admin/agent.proto
for f in artifact_id condition execution identifier interface literals \
    metrics security tasks types workflow; do
	set -- "$@" "flyteidl/core/$f.proto"
done
inc=${PROTOBUF_INCLUDE:-/usr/include}
grpc=
if [ -f "$inc/google/api/annotations.proto" ]; then
	set -- "$@" flyteidl/service/agent.proto
	grpc=--grpc_python_out=$out
fi

if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$protos $*" ]; then
	printf '%s\n' "$py"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out"
# shellcheck disable=SC2086
"$py" -m grpc_tools.protoc -I"$protos" -I"$inc" --python_out="$out" $grpc \
    "$@" >&2
printf '%s\n' "$protos $*" >"$out/.stamp"
printf '%s\n' "$py"
