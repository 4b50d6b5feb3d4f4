# shellcheck shell=sh
# tests/lint/lib.sh: shared by the lint scripts (sourced, not run).  It finds
# the source tree, decides whether a missing tool is a skip or a failure, and
# lists the files a linter should see.

# The test environment (tests/Makefile.inc) exports top_srcdir; by hand, the
# tree is two levels above this script.
if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
fi
export top_srcdir

lint_name=$(basename "$0" .sh)

# A linter reads the sources, not the build: scripts/check-all sets
# NEBULA_ONCE_DONE=1 for its second build, where the result could only repeat.
if [ "${NEBULA_ONCE_DONE:-0}" = 1 ]; then
	echo "$lint_name: already run in the first build, skipped (NEBULA_ONCE_DONE=1)" >&2
	exit 77
fi

lint_fail() {
	echo "$lint_name: $*" >&2
	exit 1
}

# lint_need TOOL: a missing tool fails the test, unless NEBULA_LINT_OPTIONAL=1
# says the linters are optional here, in which case the test is skipped (77).
lint_need() {
	if command -v "$1" >/dev/null 2>&1; then
		return 0
	fi
	if [ "${NEBULA_LINT_OPTIONAL:-0}" = 1 ]; then
		echo "$lint_name: $1 not found, skipped (NEBULA_LINT_OPTIONAL=1)" >&2
		exit 77
	fi
	lint_fail "$1 not found: install it (scripts/install-deps)" \
	    "or set NEBULA_LINT_OPTIONAL=1 to skip"
}

# lint_in_git: true when top_srcdir is the top of a git work tree (not a
# release tarball unpacked inside some other repository).
lint_in_git() {
	command -v git >/dev/null 2>&1 || return 1
	_top=$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null) ||
		return 1
	[ "$(cd "$_top" && pwd -P)" = "$(cd "$top_srcdir" && pwd -P)" ]
}

# lint_files DIR...: paths relative to top_srcdir, one a line, of the files
# tracked by git anywhere plus those not ignored under DIR...; outside git,
# every file under DIR....  Build directories are never listed.
lint_files() {
	(
		cd "$top_srcdir" || exit 1
		if lint_in_git; then
			git ls-files --cached
			existing=
			for d in "$@"; do
				[ -d "$d" ] && existing="$existing $d"
			done
			if [ -n "$existing" ]; then
				# shellcheck disable=SC2086
				git ls-files --others --exclude-standard -- $existing
			fi
		else
			for d in "$@"; do
				[ -d "$d" ] || continue
				find "$d" -type d -name 'build*' -prune -o -type f -print
			done
		fi
	) | sed 's|^\./||' | sort -u | while IFS= read -r f; do
		[ -f "$top_srcdir/$f" ] && printf '%s\n' "$f"
	done
}
