# tests/unit/supervisor.mk: the worker state machine and the pool, driven
# with real child processes (/bin/sh scripts) on a real ev loop.  They link
# the daemon library; test_worker pulls in no pool, so the worker stays a
# leaf.  loopwait.c holds the waits on the loop that both share.
check_PROGRAMS += tests/unit/test_worker tests/unit/test_pool
TESTS += tests/unit/test_worker tests/unit/test_pool
tests_unit_test_worker_SOURCES = tests/unit/loopwait.c \
	tests/unit/loopwait.h tests/unit/test_worker.c
tests_unit_test_worker_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_worker_LDADD = $(NEBULAD_LIBS) $(CMOCKA_LIBS)
tests_unit_test_pool_SOURCES = tests/unit/loopwait.c \
	tests/unit/loopwait.h tests/unit/test_pool.c
tests_unit_test_pool_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pool_LDADD = $(NEBULAD_LIBS) $(CMOCKA_LIBS)
# The token bucket of the rate limits: rate.c alone, time passed in.
check_PROGRAMS += tests/unit/test_rate
TESTS += tests/unit/test_rate
tests_unit_test_rate_SOURCES = tests/unit/test_rate.c supervisor/rate.c
tests_unit_test_rate_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_rate_LDADD = $(CMOCKA_LIBS) -lm
# gRPC header parsing (grpc-timeout, grpc-message) of supervisor/grpc.c.
check_PROGRAMS += tests/unit/test_grpc
TESTS += tests/unit/test_grpc
tests_unit_test_grpc_SOURCES = tests/unit/test_grpc.c
tests_unit_test_grpc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_grpc_LDADD = $(NEBULAD_LIBS) $(CMOCKA_LIBS)
# The counters (metrics.c): by plugin and route, and summed over the
# front processes' slots in one shared mapping (forked children).
check_PROGRAMS += tests/unit/test_metrics
TESTS += tests/unit/test_metrics
tests_unit_test_metrics_SOURCES = tests/unit/test_metrics.c
tests_unit_test_metrics_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_metrics_LDADD = $(NEBULAD_LIBS) $(CMOCKA_LIBS)
