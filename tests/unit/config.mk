# tests/unit/config.mk: the configuration module's unit test.  It links
# supervisor/config.c and the generated built-in default directly, so it
# needs no other daemon module.

check_PROGRAMS += tests/unit/test_config
TESTS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c supervisor/config.c
nodist_tests_unit_test_config_SOURCES = supervisor/config_default.c
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) \
	-DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_config_CFLAGS = $(UNIT_CFLAGS) $(YAML_CFLAGS)
tests_unit_test_config_LDADD = $(YAML_LIBS) $(CMOCKA_LIBS)
EXTRA_DIST += tests/fixtures/conf/full.yaml
