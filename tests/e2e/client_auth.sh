#!/bin/sh
# nebula-plugin sends the bearer token from -T TOKEN_FILE or
# $NEBULA_PLUGIN_TOKEN_FILE; without one a daemon with auth on answers 401
# and the client exits 3 with one error line.
. "${top_srcdir:?run through make check}/tests/e2e/client_lib.sh"

printf 'client-e2e-token-0123456789\n' >"$E2E_TMP/tokens"
printf '  client-e2e-token-0123456789  \n' >"$E2E_TMP/mytoken"
conf=$(write_config auth <<EOF2
listen: 127.0.0.1:0
auth: {tokens_file: $E2E_TMP/tokens}
plugins:
  - name: echo
    command: [$ECHO_PLUGIN]
EOF2
)
start_daemon "$conf" || { fail "daemon starts"; finish; }

np -s "$URL" list
expect "no token: exit 3" 3 "$RC"
has "no token: one line naming UNAUTHENTICATED" '^nebula-plugin: list: 401 UNAUTHENTICATED' "$ERR"
np -T "$E2E_TMP/mytoken" -s "$URL" list
expect "-T sends the token (white space trimmed)" 0 "$RC"
NEBULA_PLUGIN_TOKEN_FILE="$E2E_TMP/mytoken" np -s "$URL" run echo - <<'EOF2'
{"task_template":{"type":"echo"},"inputs":{"t":1}}
EOF2
expect "NEBULA_PLUGIN_TOKEN_FILE sends the token" 0 "$RC"
expect "run with a token prints the outputs" '{"t":1}' "$OUT"
printf 'wrong-token\n' >"$E2E_TMP/wrong"
np -T "$E2E_TMP/wrong" -s "$URL" list
expect "a wrong token: exit 3" 3 "$RC"

stop_daemon
client_sanitizers
finish
