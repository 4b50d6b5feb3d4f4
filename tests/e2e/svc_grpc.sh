#!/bin/sh
# The BigQuery and Databricks plugins driven over Flyte's gRPC services by
# Debian's python3-grpcio (tests/grpc/flyte_agent_client.py, stubs from the
# pinned Flyte protos), against the local stand-ins of the services:
# CreateTask, GetTask until SUCCEEDED with typed outputs, idempotent
# creates, DeleteTask, failures as agent_error with their kind, a 403.
# shellcheck source=tests/e2e/lib.sh
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"
# shellcheck source=tests/e2e/svc_lib.sh
. "$top_srcdir/tests/e2e/svc_lib.sh"

stubs="$top_builddir/tests/grpc/stubs"
PY=$("$top_srcdir/tests/grpc/gen-stubs.sh" "$stubs") || {
	echo "svc_grpc.sh: cannot generate the Flyte stubs"
	exit 1
}
"$PY" -c 'import grpc' 2>/dev/null || {
	echo "svc_grpc.sh: python3-grpcio missing (scripts/install-deps)"
	exit 1
}

# grpc_client NAME: the client's checks of that plugin, against SI_URL.
grpc_client() {
	"$PY" "$top_srcdir/tests/grpc/flyte_agent_client.py" \
	    "127.0.0.1:$PORT" "$stubs" --only "$1" --si "$SI_URL" \
	    >"$E2E_TMP/grpc-$1.out" 2>&1
	rc=$?
	sed 's/^/# /' "$E2E_TMP/grpc-$1.out"
	expect "the gRPC client's $1 checks pass" 0 "$rc"
}

start_standin bigquery --token tok-1 ||
    { fail "the BigQuery stand-in starts"; finish; }
printf 'tok-1\n' >"$E2E_TMP/bq-token"
conf=$(write_config bqgrpc <<EOF2
plugins:
  - name: bigquery
    command: [$BIGQUERY_PLUGIN]
    timeouts: {create: 5s, get: 5s, delete: 5s}
    env:
      BIGQUERY_ENDPOINT: $SI_URL
      BQ_PROJECT: proj-1
      BQ_TOKEN_FILE: $E2E_TMP/bq-token
EOF2
)
start_daemon "$conf" || { fail "daemon starts with BigQuery"; finish; }
check "daemon with BigQuery becomes ready" wait_ready
grpc_client bigquery
check "the stand-in saw jobs.cancel" test "$(si_stat cancels)" -ge 1
stop_daemon
stop_standin

start_standin databricks --token dapi-1 ||
    { fail "the Databricks stand-in starts"; finish; }
printf 'dapi-1\n' >"$E2E_TMP/dbx-token"
conf=$(write_config dbxgrpc <<EOF2
plugins:
  - name: databricks
    command: [$DATABRICKS_PLUGIN]
    timeouts: {create: 5s, get: 5s, delete: 5s}
    env:
      DATABRICKS_HOST: $SI_URL
      DATABRICKS_TOKEN_FILE: $E2E_TMP/dbx-token
EOF2
)
start_daemon "$conf" || { fail "daemon starts with Databricks"; finish; }
check "daemon with Databricks becomes ready" wait_ready
grpc_client databricks
check "the stand-in saw runs/cancel" test "$(si_stat cancels)" -ge 1
stop_daemon
finish
