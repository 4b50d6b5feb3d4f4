# tests/e2e/sdk.mk: the Python SDK's pytest suite (through a shell wrapper)
# and its async HTTP example served by the real daemon against a fake job
# service, driven to SUCCEEDED by nebula-plugin run; the README's Python
# walk-through, run as printed.
SDK_E2E_TESTS = \
	tests/e2e/sdk_python.sh \
	tests/e2e/sdk_python_http.sh \
	tests/e2e/sdk_readme.sh
TESTS += $(SDK_E2E_TESTS)
EXTRA_DIST += $(SDK_E2E_TESTS) \
	plugins/python/tests/conftest.py \
	plugins/python/tests/test_install.py \
	plugins/python/tests/test_limits.py \
	plugins/python/tests/test_literals.py \
	plugins/python/tests/test_secret.py \
	plugins/python/tests/test_serve.py
