# tests/lint/lint.mk: the linters, run by `make check` as tests: shellcheck
# on the shell scripts, cppcheck on the C sources, mandoc -Tlint on the
# manual pages, yamllint on the shipped YAML.  A missing tool fails its test
# unless NEBULA_LINT_OPTIONAL=1 is set, which makes it a skip.

LINT_TESTS = \
	tests/lint/cppcheck.sh \
	tests/lint/mandoc.sh \
	tests/lint/shellcheck.sh \
	tests/lint/yamllint.sh
TESTS += $(LINT_TESTS)
dist_check_SCRIPTS += $(LINT_TESTS)
EXTRA_DIST += .yamllint tests/lint/lib.sh
