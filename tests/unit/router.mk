# tests/unit/router.mk: routing of the native and Flyte routes.  Links the
# daemon library; the test supplies its own http_respond*, so http.c is
# never pulled in.
check_PROGRAMS += tests/unit/test_router
TESTS += tests/unit/test_router
tests_unit_test_router_SOURCES = tests/unit/test_router.c
tests_unit_test_router_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_router_LDADD = $(NEBULAD_LIBS) $(CMOCKA_LIBS)
