# tests/e2e/client.mk: end-to-end tests of nebula-plugin: the HTTP commands
# against the real daemon (run, create/get/delete/list, watch, exit
# statuses), retries through 503 and 429 and SIGINT, local runs and the
# conformance check.  client_lib.sh holds their shared helpers.
CLIENT_E2E_TESTS = \
	tests/e2e/client_auth.sh \
	tests/e2e/client_check.sh \
	tests/e2e/client_http.sh \
	tests/e2e/client_local.sh \
	tests/e2e/client_poll_hint.sh \
	tests/e2e/client_rate.sh \
	tests/e2e/client_retry.sh
TESTS += $(CLIENT_E2E_TESTS)
EXTRA_DIST += $(CLIENT_E2E_TESTS) tests/e2e/client_lib.sh
