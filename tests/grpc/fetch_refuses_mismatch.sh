#!/bin/sh
# scripts/fetch-flyteidl refuses a package whose sha256 is not the pinned
# one, and leaves no protos behind: an `npm` first on PATH hands it a
# tarball of the right name with other contents (no registry is reached).
set -u
: "${top_srcdir:?run through make check}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fetch-flyteidl.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/pkg/package/protos/flyteidl/admin"
echo 'syntax = "proto3";' >"$tmp/pkg/package/protos/flyteidl/admin/agent.proto"
cat >"$tmp/bin/npm" <<EOS
#!/bin/sh
ver=\${3#@flyteorg/flyteidl@}
tar -czf "flyteorg-flyteidl-\$ver.tgz" -C "$tmp/pkg" package
EOS
chmod +x "$tmp/bin/npm"

PATH="$tmp/bin:$PATH" NEBULA_CACHE_DIR="$tmp/cache" \
    sh "$top_srcdir/scripts/fetch-flyteidl" >"$tmp/out" 2>"$tmp/err"
rc=$?
fail=0
if [ "$rc" -eq 0 ]; then
	echo "FAIL: a tarball with the wrong sha256 was accepted"
	fail=1
elif ! grep -q 'sha256 mismatch' "$tmp/err"; then
	echo "FAIL: refused without saying why:"
	cat "$tmp/err"
	fail=1
fi
if [ -n "$(find "$tmp/cache" -name '*.proto' 2>/dev/null)" ]; then
	echo "FAIL: protos left in the cache after a refusal"
	fail=1
fi
if [ "$fail" -eq 0 ]; then
	echo "1 passed, 0 failed"
else
	echo "0 passed, 1 failed"
fi
exit "$fail"
