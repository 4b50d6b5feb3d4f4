#!/bin/sh
# --help and -h on both binaries print their usage on standard output and
# exit 0; a usage error prints it on standard error and exits 2.  Every
# option and command of each man page's SYNOPSIS appears in the usage text,
# so the two cannot drift apart silently.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

out="$E2E_TMP/out"
err="$E2E_TMP/err"

# usage_ok NAME PROGRAM ARGS...: exit 0, usage on stdout, nothing on stderr.
usage_ok() {
	what=$1
	shift
	"$@" >"$out" 2>"$err"
	rc=$?
	expect "$what exits 0" 0 "$rc"
	check "$what prints the usage on stdout" grep -q '^usage: ' "$out"
	check "$what prints nothing on stderr" test ! -s "$err"
}

# usage_error NAME PROGRAM ARGS...: exit 2, usage on stderr, stdout empty.
usage_error() {
	what=$1
	shift
	"$@" >"$out" 2>"$err"
	rc=$?
	expect "$what exits 2" 2 "$rc"
	check "$what prints the usage on stderr" grep -q '^usage: ' "$err"
	check "$what prints nothing on stdout" test ! -s "$out"
}

# synopsis MANPAGE: the flags (-x, --long) and commands (.Cm) of its
# SYNOPSIS section, one a line.
synopsis() {
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh /p' "$1" | sed -n \
	    -e 's/^\.Op Fl \\-\([a-z-]*\).*/L--\1/p' \
	    -e 's/^\.Op Fl \([a-zA-Z][a-zA-Z]*\)\( .*\)*$/F\1/p' \
	    -e 's/^\.Cm \([a-z]*\)$/C\1/p' |
	while IFS= read -r w; do
		case $w in
		F*)	# a run of single-letter flags: -dhktV
			echo "${w#F}" | fold -w 1 | sed 's/^/-/' ;;
		*) echo "${w#?}" ;;
		esac
	done
}

# shows WORD FILE: the usage text names the option or command, alone or
# in a bracketed run of flags such as [-hV].
shows() {
	case $1 in
	-?) grep -qE -e "(^|[[ ])$1([] ,]|\$)" \
	    -e "\[-[a-zA-Z]*${1#-}[a-zA-Z]*\]" "$2" ;;
	*) grep -qE "(^|[[ ])$1([] ,]|\$)" "$2" ;;
	esac
}

usage_ok "nebula-plugind --help" "$NEBULA_PLUGIND" --help
usage_ok "nebula-plugind -h" "$NEBULA_PLUGIND" -h
usage_error "nebula-plugind with an unknown option" "$NEBULA_PLUGIND" -Z
usage_error "nebula-plugind with an argument" "$NEBULA_PLUGIND" extra
usage_ok "nebula-plugin --help" "$NEBULA_PLUGIN" --help
usage_ok "nebula-plugin -h" "$NEBULA_PLUGIN" -h
usage_error "nebula-plugin with an unknown option" "$NEBULA_PLUGIN" -Z
usage_error "nebula-plugin with no command" "$NEBULA_PLUGIN"

"$NEBULA_PLUGIND" --help >"$E2E_TMP/plugind.help"
"$NEBULA_PLUGIN" --help >"$E2E_TMP/plugin.help"
synopsis "$top_srcdir/man/nebula-plugind.8" >"$E2E_TMP/plugind.words"
synopsis "$top_srcdir/man/nebula-plugin.1" >"$E2E_TMP/plugin.words"
check "nebula-plugind(8) SYNOPSIS names options" \
    test "$(wc -l <"$E2E_TMP/plugind.words")" -ge 8
check "nebula-plugin(1) SYNOPSIS names options and commands" \
    test "$(wc -l <"$E2E_TMP/plugin.words")" -ge 15
for pair in plugind:8 plugin:1; do
	prog=${pair%:*}
	while IFS= read -r w; do
		check "nebula-$prog --help shows $w of nebula-$prog(${pair#*:})" \
		    shows "$w" "$E2E_TMP/$prog.help"
	done <"$E2E_TMP/$prog.words"
done
finish
