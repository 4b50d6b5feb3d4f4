# End-to-end tests of security: tokens, signed ids, hostile clients.
E2E_SEC_TESTS = \
	tests/e2e/sec_auth.sh \
	tests/e2e/sec_fair_pipeline.sh \
	tests/e2e/sec_fair_stdout.sh \
	tests/e2e/sec_flood.sh \
	tests/e2e/sec_json.sh \
	tests/e2e/sec_limits.sh \
	tests/e2e/sec_hostile.sh \
	tests/e2e/sec_tls.sh
TESTS += $(E2E_SEC_TESTS)
EXTRA_DIST += $(E2E_SEC_TESTS) tests/e2e/noise.py tests/e2e/pipeline.py
