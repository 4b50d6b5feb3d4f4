#!/bin/sh
# TLS on the listener: HTTPS with curl and nebula-plugin; with
# client_ca_file, mutual TLS refuses a client without a certificate and one
# signed by another CA; certificates reload on SIGHUP.  The test makes its
# own certificates with the openssl command.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"

command -v openssl >/dev/null || { fail "openssl is installed (scripts/install-deps)"; finish; }
d="$E2E_TMP/pki"
mkdir -p "$d"
mkca() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
	    -keyout "$d/$1.key" -out "$d/$1.crt" 2>/dev/null
}
mkcert() {	# NAME CA [SAN]
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" \
	    -keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null &&
	printf 'subjectAltName=%s\n' "${3:-DNS:$1}" >"$d/$1.ext" &&
	openssl x509 -req -in "$d/$1.csr" -CA "$d/$2.crt" -CAkey "$d/$2.key" \
	    -CAcreateserial -days 2 -extfile "$d/$1.ext" -out "$d/$1.crt" 2>/dev/null
}
mkca ca && mkca otherca && mkcert server ca "IP:127.0.0.1" &&
    mkcert client ca && mkcert intruder otherca
check "certificates made" test -s "$d/intruder.crt"

conf=$(write_config tls <<EOF2
listen: 127.0.0.1:0
tls: {cert_file: $d/server.crt, key_file: $d/server.key}
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts with TLS"; finish; }
HTTPS="https://127.0.0.1:$PORT"
ready_tls() { [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$d/ca.crt" "$HTTPS/readyz")" = 200 ]; }
check "ready over HTTPS" wait_for 300 ready_tls
code=$(curl -s -o "$E2E_TMP/body" -w '%{http_code}' --cacert "$d/ca.crt" -X PUT \
    --data-binary '{"task_template":{"type":"echo"},"inputs":{"t":1}}' "$HTTPS/plugins/v1/echo/v1")
expect "create over HTTPS with curl" 200 "$code"
rid=$(jq -r .resource_id <"$E2E_TMP/body")
out=$("$NEBULA_PLUGIN" -s "$HTTPS" --cacert "$d/ca.crt" get echo "$rid")
expect "nebula-plugin over HTTPS" '{"t":1}' "$(printf '%s' "$out" | jq -c .outputs)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$HTTPS/healthz")
expect "a client that does not trust the CA is refused" 000 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")
check "plain HTTP on the TLS port gets no answer" test "$code" != 200
req_pipe=$(curl -s --cacert "$d/ca.crt" "$HTTPS/healthz" "$HTTPS/healthz")
expect "keep-alive over TLS" '{"status":"ok"}{"status":"ok"}' "$req_pipe"
stop_daemon

# mutual TLS
conf=$(write_config mtls <<EOF2
listen: 127.0.0.1:0
tls: {cert_file: $d/server.crt, key_file: $d/server.key, client_ca_file: $d/ca.crt}
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts with mutual TLS"; finish; }
HTTPS="https://127.0.0.1:$PORT"
ready_mtls() { [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$d/ca.crt" --cert "$d/client.crt" --key "$d/client.key" "$HTTPS/readyz")" = 200 ]; }
check "ready over mutual TLS" wait_for 300 ready_mtls
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$d/ca.crt" "$HTTPS/healthz")
expect "no client certificate: refused" 000 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$d/ca.crt" \
    --cert "$d/intruder.crt" --key "$d/intruder.key" "$HTTPS/healthz")
expect "a certificate from another CA: refused" 000 "$code"
out=$("$NEBULA_PLUGIN" -s "$HTTPS" --cacert "$d/ca.crt" --cert "$d/client.crt" \
    --key "$d/client.key" list)
expect "nebula-plugin with a client certificate" echo "$(printf '%s' "$out" | jq -r '.plugins[0].name')"
"$NEBULA_PLUGIN" -s "$HTTPS" --cacert "$d/ca.crt" list >/dev/null 2>&1
expect "nebula-plugin without one exits 3" 3 $?

# certificates reload on SIGHUP
old=$(echo | openssl s_client -connect "127.0.0.1:$PORT" -cert "$d/client.crt" \
    -key "$d/client.key" 2>/dev/null | openssl x509 -noout -serial)
mkcert server ca "IP:127.0.0.1"
kill -HUP "$DAEMON_PID"
reloaded() { grep -q 'reloaded' "$DAEMON_LOG"; }
check "reloaded" wait_for 100 reloaded
new=$(echo | openssl s_client -connect "127.0.0.1:$PORT" -cert "$d/client.crt" \
    -key "$d/client.key" 2>/dev/null | openssl x509 -noout -serial)
check "a new certificate is served after SIGHUP" test -n "$new" -a "$new" != "$old"
stop_daemon
finish
