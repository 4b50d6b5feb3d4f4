# tests/e2e/client.mk: end-to-end tests of nebula-plugin: the HTTP commands
# against the real daemon, local runs and the conformance check.
CLIENT_E2E_TESTS = \
	tests/e2e/client_check.sh \
	tests/e2e/client_http.sh \
	tests/e2e/client_local.sh
TESTS += $(CLIENT_E2E_TESTS)
EXTRA_DIST += $(CLIENT_E2E_TESTS)
