# shellcheck shell=sh
# Helpers for the nebula-plugin end-to-end tests, on top of lib.sh: run the
# client capturing its exit status, stdout and stderr (kept for a sanitizer
# check at the end), a small worker in shell whose misbehaviour is chosen
# by environment variables, and one that records the request lines.
# shellcheck source=lib.sh
. "${top_srcdir:?run through make check}/tests/e2e/lib.sh"

CLIENT_LOG="$E2E_TMP/client.log"
: >"$CLIENT_LOG"
RC=
OUT=
ERR=

# np ARG...: runs nebula-plugin; sets RC, OUT and ERR.  stdin is passed on.
np() {
	"$NEBULA_PLUGIN" "$@" >"$E2E_TMP/np.out" 2>"$E2E_TMP/np.err"
	RC=$?
	OUT=$(cat "$E2E_TMP/np.out")
	ERR=$(cat "$E2E_TMP/np.err")
	cat "$E2E_TMP/np.err" >>"$CLIENT_LOG"
}

# has NAME PATTERN TEXT: passes when TEXT has a line matching PATTERN.
has() {
	if printf '%s\n' "$3" | grep -E -- "$2" >/dev/null; then
		pass "$1"
	else
		fail "$1" "no line matching [$2] in: $(printf '%s' "$3" | head -c 600)"
	fi
}

# client_sanitizers: no ASan/UBSan/LSan report from any client run.
client_sanitizers() {
	if grep -E 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' \
	    "$CLIENT_LOG" >/dev/null; then
		fail "no sanitizer report from nebula-plugin"
		sed 's/^/#   /' "$CLIENT_LOG" | head -n 60
	else
		pass "no sanitizer report from nebula-plugin"
	fi
}

# A worker in POSIX shell serving task type "shw", two requests at once.
# SHW_PHASE: the phase get answers (default SUCCEEDED); SHW_RECORD=FILE:
# append each op to FILE; SHW_IGNORE_UNKNOWN=1: never answer unknown ops;
# SHW_NO_EXIT=1: keep running after end of input.
SHWORKER="$E2E_TMP/shworker"
cat >"$SHWORKER" <<'EOF'
#!/bin/sh
printf '%s\n' '{"hello":{"protocol":1,"name":"shw","task_types":[{"type":"shw","versions":["v1"]}],"concurrency":2}}'
while IFS= read -r line; do
	id=$(printf '%s\n' "$line" | sed -n 's/.*[{,]"id":\([0-9][0-9]*\).*/\1/p')
	op=$(printf '%s\n' "$line" | sed -n 's/.*"op":"\([^"]*\)".*/\1/p')
	if [ -n "${SHW_RECORD:-}" ]; then
		echo "$op" >>"$SHW_RECORD"
	fi
	case $op in
	create)
		printf '{"id":%s,"resource_meta":{"job":1}}\n' "$id" ;;
	get)
		printf '{"id":%s,"resource":{"phase":"%s","message":"shw","outputs":{"ok":true}}}\n' \
		    "$id" "${SHW_PHASE:-SUCCEEDED}" ;;
	delete)
		printf '{"id":%s}\n' "$id" ;;
	*)
		if [ -z "${SHW_IGNORE_UNKNOWN:-}" ]; then
			printf '{"id":%s,"error":{"code":"UNIMPLEMENTED","message":"unknown op"}}\n' "$id"
		fi ;;
	esac
done
if [ -n "${SHW_NO_EXIT:-}" ]; then
	exec sleep 600
fi
EOF
chmod +x "$SHWORKER"

# A worker in shell that serves raw/v2 and appends every request line, as
# it came, to $RAW_RECORD.
RAWWORKER="$E2E_TMP/rawworker"
cat >"$RAWWORKER" <<'EOF'
#!/bin/sh
printf '%s\n' '{"hello":{"protocol":1,"task_types":[{"type":"raw","versions":["v2","v3"]}]}}'
while IFS= read -r line; do
	printf '%s\n' "$line" >>"$RAW_RECORD"
	id=$(printf '%s\n' "$line" | sed -n 's/^{"id":\([0-9][0-9]*\),.*/\1/p')
	case $line in
	*'"op":"create"'*)
		printf '{"id":%s,"resource_meta":{"job":1}}\n' "$id" ;;
	*'"op":"get"'*)
		printf '{"id":%s,"resource":{"phase":"SUCCEEDED","outputs":{}}}\n' "$id" ;;
	*'"op":"delete"'*)
		printf '{"id":%s}\n' "$id" ;;
	*)
		printf '{"id":%s,"error":{"code":"UNIMPLEMENTED","message":"no"}}\n' "$id" ;;
	esac
done
EOF
chmod +x "$RAWWORKER"

# A create body file: body NAME JSON; prints the path.
body() {
	printf '%s\n' "$2" >"$E2E_TMP/$1.json"
	echo "$E2E_TMP/$1.json"
}
