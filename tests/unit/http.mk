# tests/unit/http.mk: the HTTP front end (supervisor/http.c) over real
# sockets, with a fake router and stub logging defined in the test.

check_PROGRAMS += tests/unit/test_http
TESTS += tests/unit/test_http
tests_unit_test_http_SOURCES = tests/unit/test_http.c supervisor/http.c \
	supervisor/listen.c supervisor/tls.c
tests_unit_test_http_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_http_LDADD = $(PROTOCOL_LIBS) $(SSL_LIBS) $(EV_LIBS) \
	$(HTTP_PARSER_LIBS) $(CMOCKA_LIBS)
