# tests/unit/flyteidl.mk: the code generated from Flyte's IDL against
# Python's protobuf (test_flyteidl) and the protojson codec (test_pbjson).
# Both link supervisor/libflyteidl.a; the Python side is in tests/grpc/,
# with the check that scripts/fetch-flyteidl refuses a wrong sha256.
FLYTEIDL_UNIT_TESTS = \
	tests/unit/test_flyteidl \
	tests/unit/test_pbjson
check_PROGRAMS += $(FLYTEIDL_UNIT_TESTS)
TESTS += $(FLYTEIDL_UNIT_TESTS) tests/grpc/fetch_refuses_mismatch.sh
EXTRA_DIST += tests/grpc/fetch_refuses_mismatch.sh tests/grpc/gen-stubs.sh \
	tests/grpc/pbcheck.py tests/grpc/python.sh

tests_unit_test_flyteidl_SOURCES = tests/unit/test_flyteidl.c
tests_unit_test_flyteidl_CPPFLAGS = $(AM_CPPFLAGS) $(FLYTEIDL_CPPFLAGS)
tests_unit_test_flyteidl_CFLAGS = $(UNIT_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_unit_test_flyteidl_LDADD = $(FLYTEIDL_LIBS) $(CMOCKA_LIBS) -lm

tests_unit_test_pbjson_SOURCES = tests/unit/test_pbjson.c
tests_unit_test_pbjson_CPPFLAGS = $(AM_CPPFLAGS) $(FLYTEIDL_CPPFLAGS)
tests_unit_test_pbjson_CFLAGS = $(UNIT_CFLAGS) $(PROTOBUF_C_CFLAGS)
tests_unit_test_pbjson_LDADD = $(FLYTEIDL_LIBS) $(CMOCKA_LIBS) -lm

# The Python modules gen-stubs.sh writes for the tests.
clean-local: clean-flyteidl-stubs
clean-flyteidl-stubs:
	rm -rf tests/grpc/stubs
.PHONY: clean-flyteidl-stubs
