# End-to-end tests of the core daemon and its operation: real daemon, real
# workers, curl.
E2E_CORE_TESTS = \
	tests/e2e/api_examples.sh \
	tests/e2e/api_flyte.sh \
	tests/e2e/core_api.sh \
	tests/e2e/core_framing.sh \
	tests/e2e/core_http.sh \
	tests/e2e/core_lifecycle.sh \
	tests/e2e/core_workers.sh \
	tests/e2e/ops_backpressure.sh \
	tests/e2e/ops_check.sh \
	tests/e2e/ops_crashloop.sh \
	tests/e2e/ops_fronts.sh \
	tests/e2e/ops_help.sh \
	tests/e2e/ops_hitless.sh \
	tests/e2e/ops_install.sh \
	tests/e2e/ops_limits.sh \
	tests/e2e/ops_protocol.sh \
	tests/e2e/ops_reload.sh \
	tests/e2e/ops_slots.sh \
	tests/e2e/ops_startup.sh \
	tests/e2e/ops_stop.sh
TESTS += $(E2E_CORE_TESTS)
EXTRA_DIST += $(E2E_CORE_TESTS) tests/e2e/rawhttp.py tests/e2e/replay.py \
	tests/e2e/framing
