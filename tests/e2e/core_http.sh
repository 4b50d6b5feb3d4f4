#!/bin/sh
# The HTTP front: keep-alive, pipelining, HTTP/1.0, chunked bodies,
# Expect: 100-continue, and hostile framing that must get 400 and a close.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

raw() {
	python3 "$top_srcdir/tests/e2e/rawhttp.py" 127.0.0.1 "$PORT" "$@"
}

start_daemon "" || { fail "daemon starts"; finish; }
check "daemon becomes ready" wait_ready

# 200 keep-alive requests on one connection
set --
i=0
while [ $i -lt 200 ]; do
	set -- "$@" -o /dev/null "$URL/healthz"
	i=$((i + 1))
done
curl -s -w '%{http_code} %{num_connects}\n' "$@" >"$E2E_TMP/ka"
expect "200 keep-alive requests all answer 200" 200 "$(grep -c '^200 ' "$E2E_TMP/ka")"
expect "200 keep-alive requests use one connection" 1 \
    "$(awk '{ n += $2 } END { print n }' "$E2E_TMP/ka")"

# 50 pipelined creates in one write, answered in order
body='{"task_template":{"type":"echo"},"inputs":{"n":NUM}}'
: >"$E2E_TMP/pipe"
i=0
while [ $i -lt 50 ]; do
	b=$(printf '%s' "$body" | sed "s/NUM/$i/")
	printf 'PUT /plugins/v1/echo/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
	    "${#b}" "$b" >>"$E2E_TMP/pipe"
	i=$((i + 1))
done
raw <"$E2E_TMP/pipe" >"$E2E_TMP/pipe.out"
expect "50 pipelined requests get 50 answers" 50 "$(grep -o 'HTTP/1.1 200 ' "$E2E_TMP/pipe.out" | wc -l | tr -d ' ')"
# decode every resource_id in order and check its inputs.n
grep -o '"resource_id":"[^"]*"' "$E2E_TMP/pipe.out" | cut -d'"' -f4 >"$E2E_TMP/rids"
order=ok
n=0
while read -r rid; do
	got=$(printf '%s' "$rid" | tr '_-' '/+' | awk '{ l = length($0) % 4; if (l == 2) $0 = $0 "=="; else if (l == 3) $0 = $0 "="; print }' | base64 -d 2>/dev/null | jq -r .m.inputs.n)
	[ "$got" = "$n" ] || order="rid $n carries $got"
	n=$((n + 1))
done <"$E2E_TMP/rids"
expect "pipelined answers come in request order" ok "$order"

# HTTP/1.0
printf 'GET /healthz HTTP/1.0\r\n\r\n' | raw >"$E2E_TMP/h10"
check "HTTP/1.0 gets an answer" grep -q '^HTTP/1.[01] 200 ' "$E2E_TMP/h10"

# chunked body
code=$(curl -s -o "$E2E_TMP/body" -w '%{http_code}' -X PUT -H 'Transfer-Encoding: chunked' \
    --data-binary '{"task_template":{"type":"echo"},"inputs":{"c":1}}' "$URL/plugins/v1/echo/v1")
expect "chunked body is served" 200 "$code"

# Expect: 100-continue (curl sends it for bodies over 1 KB)
head -c 2000 /dev/zero | tr '\0' ' ' >"$E2E_TMP/pad"
{ printf '{"task_template":{"type":"echo"},"pad":"'; cat "$E2E_TMP/pad"; printf '"}'; } >"$E2E_TMP/cont"
# curl sends the body anyway after --expect100-timeout; waiting longer than
# its own -m makes a missing 100 Continue fail the request.
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Expect: 100-continue' \
    --expect100-timeout 60 -m 20 \
    --data-binary @"$E2E_TMP/cont" "$URL/plugins/v1/echo/v1")
expect "Expect: 100-continue is honoured" 200 "$code"

# framing that two parsers could read differently: 400 and close
printf 'PUT /plugins/v1/echo/v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' \
    | raw >"$E2E_TMP/smuggle"
check "Content-Length with chunked answers 400" grep -q '^HTTP/1.1 400 ' "$E2E_TMP/smuggle"
printf 'PUT /plugins/v1/echo/v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n{}{}{' \
    | raw >"$E2E_TMP/dupcl"
check "two different Content-Length answer 400" grep -q '^HTTP/1.1 400 ' "$E2E_TMP/dupcl"
printf 'this is not http\r\n\r\n' | raw >"$E2E_TMP/garbage"
check "garbage answers 400" grep -q '^HTTP/1.1 400 ' "$E2E_TMP/garbage"
check "400 has a JSON error body" grep -q '"code":"BAD_REQUEST"' "$E2E_TMP/garbage"

# long target and huge head
long=$(head -c 9000 /dev/zero | tr '\0' 'a')
printf 'GET /%s HTTP/1.1\r\nHost: x\r\n\r\n' "$long" | raw >"$E2E_TMP/uri"
check "request target over 8 KiB answers 414" grep -q '^HTTP/1.1 414 ' "$E2E_TMP/uri"
hdr=$(head -c 20000 /dev/zero | tr '\0' 'b')
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n' "$hdr" | raw >"$E2E_TMP/hdr"
check "head over max_header_bytes answers 431" grep -q '^HTTP/1.1 431 ' "$E2E_TMP/hdr"

# a request sent one byte at a time is still served
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw --slow >"$E2E_TMP/slow"
check "byte-by-byte request is served" grep -q '^HTTP/1.1 200 ' "$E2E_TMP/slow"

req GET /healthz
expect "still serving after hostile input" 200 "$STATUS"
stop_daemon
finish
