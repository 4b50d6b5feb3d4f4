#!/bin/sh
# Runs a Python script with the first python3 that has Debian's protobuf and
# grpc modules (a pyenv python3 on PATH may have neither); exits 77 (skip)
# when there is none.  Usage: python.sh SCRIPT [ARG...]
set -eu
for p in "${PYTHON:-}" python3 /usr/bin/python3; do
	[ -n "$p" ] || continue
	if "$p" -c 'import google.protobuf, grpc' 2>/dev/null; then
		exec "$p" "$@"
	fi
done
echo "python.sh: no python3 with the protobuf and grpc modules" >&2
exit 77
