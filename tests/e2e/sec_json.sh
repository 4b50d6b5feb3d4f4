#!/bin/sh
# One reading of a create body for the daemon and its workers: the daemon
# proves most bodies with yajl (protocol/jscan.c) and forwards them as sent,
# so every body a worker's parser could read otherwise than jansson must be
# refused 400 before it is forwarded (duplicate names at any depth, lone
# surrogate escapes, overlong or surrogate UTF-8, U+0000, yajl-only white
# space, integers past 64 bits, reals past a double), and every body that
# is forwarded must come back from echo as the client meant it (escapes,
# pairs, long integers and large objects that the fast path leaves to
# jansson included).
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

conf=$(write_config json <<EOF2
listen: 127.0.0.1:0
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "ready" wait_ready

# body NAME INPUTS-TEXT [TAIL]: writes a create body whose inputs are the
# raw text given (Python escapes: \\x.. bytes), then TAIL, to $E2E_TMP/NAME.
body() {
	python3 -c 'import sys
raw = sys.argv[1].encode("latin-1").decode("unicode_escape").encode("latin-1")
tail = sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1")
sys.stdout.buffer.write(b"{\"task_template\":{\"type\":\"echo\"},\"inputs\":" +
    raw + b"}" + tail)' "$2" "${3:-}" >"$E2E_TMP/$1"
}

# create NAME: PUTs the body, sets STATUS and BODY.
create() {
	STATUS=$(curl -s -o "$E2E_TMP/body" -w '%{http_code}' -X PUT \
	    -H 'Content-Type: application/json' --data-binary @"$E2E_TMP/$1" \
	    "$URL/plugins/v1/echo/v1")
	BODY=$(cat "$E2E_TMP/body")
}

refused() {
	body "$@"
	create "$1"
	expect "$1: refused 400" 400 "$STATUS"
	# By the daemon, before forwarding: a worker's refusal says
	# INVALID_ARGUMENT.
	expect "$1: by the daemon" BAD_REQUEST "$(jget .error.code)"
	case $(jget .error.message) in
	*JSON*|*UTF-8*|*Unicode*|*integer*|*number*|*duplicate*|*limit*)
		pass "$1: the message says why" ;;
	*) fail "$1: the message says why" "body: $BODY" ;;
	esac
}

# echoed NAME INPUTS [TAIL]: forwarded, and echo's outputs are the inputs
# as Python's json module reads them from the body the client sent.
echoed() {
	body "$@"
	create "$1"
	expect "$1: created" 200 "$STATUS"
	rid=$(jget .resource_id)
	req GET "/plugins/v1/echo/v1/$rid"
	printf '%s' "$BODY" >"$E2E_TMP/$1.out"
	if python3 -c 'import json, sys
sent = json.load(open(sys.argv[1], "rb"))["inputs"]
got = json.load(open(sys.argv[2], "rb"))["outputs"]
sys.exit(0 if sent == got and json.dumps(sent) == json.dumps(got) else 1)' \
	    "$E2E_TMP/$1" "$E2E_TMP/$1.out"; then
		pass "$1: echo read what the client sent"
	else
		fail "$1: echo read what the client sent" "got: $BODY"
	fi
}

refused dup_top '{"a":1}' ',"inputs":{"b":2}'
refused dup_deep '{"x":{"y":[{"k":1,"k":2}]}}'
refused dup_escaped '{"a":1,"\\u0061":2}'
refused lone_high '{"s":"\\ud800"}'
refused lone_low '{"s":"x\\udc00"}'
refused overlong '{"s":"\xc0\xaf"}'
refused utf8_surrogate '{"s":"\xed\xa0\x80"}'
refused past_10ffff '{"s":"\xf4\x90\x80\x80"}'
refused nul_escape '{"s":"a\\u0000b"}'
refused nul_name '{"a\\u0000":1}'
refused vtab '{"a":1}' '\x0b'
refused formfeed '{"a":1}' '\x0c'
refused int_past_64 '{"n":9223372036854775808}'
refused real_past_double '{"n":1e400}'
refused control_char '{"s":"a\tb"}'

echoed plain '{"a":1,"b":[true,false,null],"c":{"d":"e"}}'
echoed escapes '{"s":"caf\\u00e9 \\"q\\" \\\\ \\/ \\n\\t"}'
echoed utf8 '{"s":"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"}'
echoed pair '{"s":"\\ud83d\\ude00"}'
echoed int_18 '{"n":123456789012345678,"m":-123456789012345678}'
echoed int_max '{"n":9223372036854775807,"m":-9223372036854775808}'
echoed reals '{"a":0.1,"b":-2.5e-3,"c":1E+2,"d":1.5e300,"e":-0.0}'
echoed crlf '{"a":\r\n1}' '\r\n'
wide=$(python3 -c 'print("{" + ",".join("\"k%d\":%d" % (i, i) for i in range(300)) + "}")')
echoed wide "$wide"

req GET /plugins/v1/echo
expect "echo was never restarted" 0 "$(jget .restarts)"
stop_daemon
check_sanitizers
finish
