# End-to-end tests of the core daemon: real daemon, real workers, curl.
TESTS += \
	tests/e2e/core_api.sh \
	tests/e2e/core_http.sh \
	tests/e2e/core_lifecycle.sh \
	tests/e2e/core_workers.sh
EXTRA_DIST += \
	tests/e2e/core_api.sh \
	tests/e2e/core_http.sh \
	tests/e2e/core_lifecycle.sh \
	tests/e2e/core_workers.sh \
	tests/e2e/rawhttp.py
