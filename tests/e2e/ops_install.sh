#!/bin/sh
# What `make install` lays down works: the systemd unit has every path
# filled in (no @name@ left), its ExecStart and ExecStartPre name the
# installed daemon and configuration by absolute paths, and
# `systemd-analyze verify` accepts it against the installed tree; the
# plugins go to $(libexecdir)/nebula, not bin/; the hardening that would
# break JIT runtimes is off, with the drop-in that turns it on documented.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

dest="$E2E_TMP/root"
# A sub-make of its own, not the jobserver of the make running the tests.
unset MAKEFLAGS MFLAGS MAKELEVEL
if ! make -s -C "$top_builddir" install DESTDIR="$dest" \
    >"$E2E_TMP/install.log" 2>&1; then
	sed 's/^/#   /' "$E2E_TMP/install.log"
	fail "make install DESTDIR=... succeeds"
	finish
fi
pass "make install DESTDIR=... succeeds"

# lacks PATTERN FILE: FILE has no line matching PATTERN.
lacks() {
	! grep -q "$1" "$2"
}

# installed_as DIR-PATTERN NAME: some file of the tree matches.
installed_as() {
	find "$dest" -path "$1$2" -type f | grep -q .
}

not_installed_as() {
	! installed_as "$@"
}

unit=$(find "$dest" -name nebula-plugind.service -path '*/systemd/system/*')
check "the systemd unit is installed under lib/systemd/system" test -f "$unit"
check "the installed unit has no @name@ left" lacks '@[a-z_]*@' "$unit"
start=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$unit")
conf=$(sed -n 's/^ExecStart=.* -c \([^ ]*\)$/\1/p' "$unit")
case $start in
/*) pass "ExecStart is an absolute path ($start)" ;;
*) fail "ExecStart is an absolute path" "got [$start]" ;;
esac
check "ExecStart names the installed daemon" test -x "$dest$start"
check "the unit's -c names the installed configuration" test -f "$dest$conf"
pre=$(sed -n 's/^ExecStartPre=\([^ ]*\) -t -c .*/\1/p' "$unit")
expect "ExecStartPre checks with the same daemon" "$start" "$pre"
expect "the installed configuration passes the installed daemon's -T (syntax; DESTDIR holds the plugins)" ok \
    "$("$dest$start" -T -c "$dest$conf" 2>&1)"
check "MemoryDenyWriteExecute is not on by default (JIT plugins)" \
    lacks '^MemoryDenyWriteExecute=yes' "$unit"
check "nebula-plugind(8) shows the drop-in that turns it on" \
    grep -q '^MemoryDenyWriteExecute=yes' "$top_srcdir/man/nebula-plugind.8"

for p in echo sleep bigquery databricks; do
	check "nebula-$p is installed in libexec/nebula" \
	    installed_as '*/libexec/nebula/' "nebula-$p"
	check "nebula-$p is not installed in a bin directory" \
	    not_installed_as '*bin/' "nebula-$p"
done

if command -v systemd-analyze >/dev/null 2>&1; then
	# --root checks the unit's commands inside the installed tree; kill(1),
	# which ExecReload runs, comes from the system, so a copy stands in.
	mkdir -p "$dest/bin"
	cp "$(command -v kill)" "$dest/bin/kill" 2>/dev/null ||
	    cp /bin/kill "$dest/bin/kill"
	if systemd-analyze verify --man=no --recursive-errors=no \
	    --root="$dest" "${unit#"$dest"}" >"$E2E_TMP/verify.log" 2>&1; then
		pass "systemd-analyze verify accepts the installed unit"
	else
		fail "systemd-analyze verify accepts the installed unit"
		sed 's/^/#   /' "$E2E_TMP/verify.log"
	fi
else
	echo "# systemd-analyze not found (package systemd): verify skipped"
fi
# A plugin author's build: the installed SDK's pkg-config file alone links
# a plugin (echo's source) that then says hello.
pc=$(find "$dest" -name nebula-worker.pc | head -n 1)
lib=$(find "$dest" -name libnebula-protocol.a | head -n 1)
san=
nm "$lib" 2>/dev/null | grep -q __asan && san="-fsanitize=address,undefined"
# shellcheck disable=SC2046,SC2086
if [ -n "$pc" ] && cc -std=c11 $san -o "$E2E_TMP/myecho" \
    "$top_srcdir/plugins/echo/nebula-echo.c" $(PKG_CONFIG_SYSROOT_DIR="$dest" \
    PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --cflags --libs \
    nebula-worker) >"$E2E_TMP/cc.log" 2>&1; then
	pass "a plugin builds with pkg-config --cflags --libs nebula-worker"
	case $("$E2E_TMP/myecho" </dev/null | head -n 1) in
	*'"hello"'*) pass "and says hello" ;;
	*) fail "and says hello" ;;
	esac
else
	fail "a plugin builds with pkg-config --cflags --libs nebula-worker"
	sed 's/^/#   /' "$E2E_TMP/cc.log"
fi
finish
