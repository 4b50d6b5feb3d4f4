# tests/unit/protocol.mk: unit tests of the protocol library (line reader,
# typed outputs, message codec, resource_id codec) and the hostile test
# worker that the end-to-end tests run under the daemon.

PROTOCOL_UNIT_TESTS = \
	tests/unit/test_jgen \
	tests/unit/test_jscan \
	tests/unit/test_line \
	tests/unit/test_literal \
	tests/unit/test_msg \
	tests/unit/test_rid
check_PROGRAMS += $(PROTOCOL_UNIT_TESTS) tests/workers/nebula-testworker
TESTS += $(PROTOCOL_UNIT_TESTS)

tests_unit_test_jgen_SOURCES = tests/unit/test_jgen.c tests/unit/jsame.c \
	tests/unit/jsame.h
tests_unit_test_jgen_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jgen_LDADD = $(PROTOCOL_LIBS) $(CMOCKA_LIBS)

tests_unit_test_jscan_SOURCES = tests/unit/test_jscan.c tests/unit/jsame.c \
	tests/unit/jsame.h
tests_unit_test_jscan_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jscan_LDADD = $(PROTOCOL_LIBS) $(CMOCKA_LIBS)

tests_unit_test_line_SOURCES = tests/unit/test_line.c
tests_unit_test_line_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_line_LDADD = $(PROTOCOL_LIBS) $(CMOCKA_LIBS)

tests_unit_test_literal_SOURCES = tests/unit/test_literal.c
tests_unit_test_literal_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_literal_LDADD = $(PROTOCOL_LIBS) $(CMOCKA_LIBS)

tests_unit_test_msg_SOURCES = tests/unit/test_msg.c
tests_unit_test_msg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_msg_LDADD = $(PROTOCOL_LIBS) $(CMOCKA_LIBS)

tests_unit_test_rid_SOURCES = tests/unit/test_rid.c
tests_unit_test_rid_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rid_LDADD = $(PROTOCOL_LIBS) $(CMOCKA_LIBS)

tests_workers_nebula_testworker_SOURCES = tests/workers/nebula-testworker.c
tests_workers_nebula_testworker_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
tests_workers_nebula_testworker_LDADD = $(PROTOCOL_LIBS)
