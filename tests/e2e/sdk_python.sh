#!/bin/sh
# The Python SDK's own tests (plugins/python/tests, pytest): literals, the
# protocol loop over pipes, secrets, and pip installing the package into a
# venv offline.  Runs the Python that has Debian's python3-pytest.
: "${top_srcdir:?run through make check}"

py=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import pytest' 2>/dev/null; then
		py=$p
		break
	fi
done
if [ -z "$py" ]; then
	echo "not ok - a python3 with pytest (scripts/install-deps)"
	exit 1
fi
# Keep the source tree clean: no bytecode, no pytest cache.
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
exec "$py" -m pytest -p no:cacheprovider -v \
    "$top_srcdir/plugins/python/tests"
