#!/bin/sh
# The BigQuery plugin with a service account key: the worker signs a JWT
# (RS256) and exchanges it at the token endpoint of the stand-in, which
# checks the signature; the token is cached until it nearly expires, then
# fetched again, and fetched at once after the service refuses it.  A key
# the service does not know is PERMISSION_DENIED.  No step waits for a
# clock: a token's life is what the token endpoint announces.
: "${top_srcdir:?run through make check}"
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/svc_lib.sh"

command -v openssl >/dev/null || { echo "# openssl missing; skipped"; exit 77; }
for k in key other; do
	if ! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$E2E_TMP/$k.pem" 2>/dev/null; then
		fail "openssl makes RSA keys"
		finish
	fi
done
modulus=$(openssl rsa -in "$E2E_TMP/key.pem" -noout -modulus | sed 's/^Modulus=//')
email=nebula@proj-sa.iam.gserviceaccount.com

# Tokens live an hour at the stand-in (its default --token-ttl).
start_standin bigquery --sa-modulus "$modulus" --sa-email "$email" ||
    { fail "the BigQuery stand-in starts"; finish; }
for k in key other; do
	jq -n --arg email "$email" --rawfile pem "$E2E_TMP/$k.pem" \
	    --arg uri "$SI_URL/token" \
	    '{type: "service_account", project_id: "proj-sa",
	      client_email: $email, private_key: $pem, token_uri: $uri}' \
	    >"$E2E_TMP/$k.json"
done
conf=$(write_config bqsa <<EOF
plugins:
  - name: bigquery
    command: [$BIGQUERY_PLUGIN]
    env:
      BIGQUERY_ENDPOINT: $SI_URL
      BQ_PROJECT: proj-sa
      BQ_CREDENTIALS_FILE: $E2E_TMP/key.json
  - name: bigquery-otherkey
    command: [$BIGQUERY_PLUGIN]
    task_types: [{type: bqother, versions: [v1]}]
    env:
      BIGQUERY_ENDPOINT: $SI_URL
      BQ_PROJECT: proj-sa
      GOOGLE_APPLICATION_CREDENTIALS: $E2E_TMP/other.json
EOF
)
start_daemon "$conf" || { fail "daemon starts"; finish; }
check "daemon becomes ready" wait_ready

tmpl='{"task_template":{"type":"bigquery","custom":{"query":"SELECT 1 -- runtime=0"}}}'

# The first token is announced as living 1 s: the worker refreshes a short
# life halfway, so that token is due for refresh as soon as it is used.
si_admin expires_in '{"seconds":1}' >/dev/null
req PUT /plugins/v1/bigquery/v1 "$tmpl"
expect "create with a service account answers 200" 200 "$STATUS"
rid=$(jget .resource_id)
expect "one token was issued for it" 1 "$(si_stat tokens_issued)"
si_admin expires_in '{}' >/dev/null

# Past the token's life the worker fetches a new one by itself.
req GET "/plugins/v1/bigquery/v1/$rid"
expect "a poll after the token expired answers 200" 200 "$STATUS"
expect "and sees the job SUCCEEDED" SUCCEEDED "$(jget .phase)"
expect "a second token was issued" 2 "$(si_stat tokens_issued)"
expect "no call was refused for an expired token" 0 "$(si_stat unauthorized)"

# That one is announced as living an hour: it is cached.
req PUT /plugins/v1/bigquery/v1 "$tmpl"
expect "a further create answers 200" 200 "$STATUS"
req GET "/plugins/v1/bigquery/v1/$rid"
expect "a further poll answers 200" 200 "$STATUS"
expect "further calls use the cached token" 2 "$(si_stat tokens_issued)"

# The service revokes the token early: that call fails, the next refreshes.
si_admin expire '{}' >/dev/null
req GET "/plugins/v1/bigquery/v1/$rid"
expect "a poll with a revoked token answers 403" 403 "$STATUS"
req GET "/plugins/v1/bigquery/v1/$rid"
expect "the next poll fetched a new token and works" SUCCEEDED "$(jget .phase)"
expect "a third token was issued" 3 "$(si_stat tokens_issued)"

# A key the token endpoint does not accept.
req PUT /plugins/v1/bqother/v1 '{"task_template":{"type":"bqother","custom":{"query":"SELECT 1"}}}'
expect "a key the service does not know answers 403" 403 "$STATUS"
expect "and is PERMISSION_DENIED" PERMISSION_DENIED "$(jget .error.code)"
check "with the token endpoint's reason" matches "$(jget .error.message)" '.*Invalid JWT Signature'

# The token endpoint is down: UNAVAILABLE.
si_admin expire '{}' >/dev/null
stop_standin
req PUT /plugins/v1/bigquery/v1 "$tmpl"
expect "with the token endpoint down, create answers 503" 503 "$STATUS"

stop_daemon
finish
