#!/bin/sh
# gRPC under TLS: one TLS listener serves HTTP/1.1 and, chosen by ALPN,
# HTTP/2.  An unmodified grpcio client with grpc.ssl_channel_credentials
# (which needs ALPN h2) lists agents and creates and polls a job; openssl
# s_client sees h2 chosen for h2 and http/1.1 for http/1.1; curl still
# speaks HTTPS/1.1 on the same port.  Certificates are made here, as in
# sec_tls.sh.
# shellcheck source=tests/e2e/lib.sh
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

command -v openssl >/dev/null || { fail "openssl is installed (scripts/install-deps)"; finish; }
stubs="$top_builddir/tests/grpc/stubs"
PY=$("$top_srcdir/tests/grpc/gen-stubs.sh" "$stubs") || {
	echo "api_grpc_tls.sh: cannot generate the Flyte stubs"
	exit 1
}
"$PY" -c 'import grpc' 2>/dev/null || {
	echo "api_grpc_tls.sh: python3-grpcio missing (scripts/install-deps)"
	exit 1
}
d="$E2E_TMP/pki"
mkdir -p "$d"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ca" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$d/server.ext"
openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
    -CAcreateserial -days 2 -extfile "$d/server.ext" \
    -out "$d/server.crt" 2>/dev/null
check "certificates made" test -s "$d/server.crt"

conf=$(write_config grpctls <<EOF2
listen: 127.0.0.1:0
tls: {cert_file: $d/server.crt, key_file: $d/server.key}
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts with TLS"; finish; }
HTTPS="https://127.0.0.1:$PORT"
ready_tls() { [ "$(curl -s --http1.1 -o /dev/null -w '%{http_code}' --cacert "$d/ca.crt" "$HTTPS/readyz")" = 200 ]; }
check "ready over HTTPS/1.1" wait_for 300 ready_tls

alpn() {
	openssl s_client -connect "127.0.0.1:$PORT" -alpn "$1" \
	    -CAfile "$d/ca.crt" </dev/null 2>/dev/null |
	    sed -n 's/^ALPN protocol: //p'
}
expect "ALPN h2 is chosen for a client offering h2 alone (gRPC)" h2 "$(alpn h2)"
expect "ALPN http/1.1 for one that offers it too (curl), as h2 serves gRPC only" \
    http/1.1 "$(alpn h2,http/1.1)"
expect "ALPN http/1.1 for one offering only http/1.1" http/1.1 "$(alpn http/1.1)"

"$PY" "$top_srcdir/tests/grpc/flyte_agent_client.py" "localhost:$PORT" \
    "$stubs" --tls "$d/ca.crt" --only tls >"$E2E_TMP/client.out" 2>&1
rc=$?
sed 's/^/# /' "$E2E_TMP/client.out"
expect "grpcio over TLS with ALPN h2: agents, create, get" 0 "$rc"
code=$(curl -s -o /dev/null -w '%{http_code}' --http1.1 --cacert "$d/ca.crt" \
    "$HTTPS/api/v1/agents")
expect "HTTPS/1.1 still answers on the same listener" 200 "$code"
stop_daemon
finish
