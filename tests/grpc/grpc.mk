# tests/grpc/: the HTTP/2 and gRPC transport (h2.c, grpc.c) on a test
# server with test methods, driven by Debian's python3-grpcio (generic
# calls, no stubs) and by hostile peers on raw sockets.
check_PROGRAMS += tests/grpc/grpc_testserver
tests_grpc_grpc_testserver_SOURCES = tests/grpc/grpc_testserver.c
tests_grpc_grpc_testserver_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	-I$(top_srcdir)/supervisor
tests_grpc_grpc_testserver_LDADD = $(NEBULAD_LIBS)
TESTS += tests/e2e/grpc_transport.sh
EXTRA_DIST += tests/e2e/grpc_transport.sh tests/grpc/grpc_client.py \
	tests/grpc/h2_hostile.py tests/grpc/tap.py
# Flyte's services on the real daemon, with the Python stubs of gen-stubs.sh.
TESTS += tests/e2e/api_grpc.sh
EXTRA_DIST += tests/e2e/api_grpc.sh tests/grpc/flyte_agent_client.py
# The same client under TLS (ALPN h2) on the real daemon.
TESTS += tests/e2e/api_grpc_tls.sh
EXTRA_DIST += tests/e2e/api_grpc_tls.sh
# Hostile HTTP/2 peers against the real daemon's Flyte services.
TESTS += tests/e2e/api_grpc_hostile.sh
EXTRA_DIST += tests/e2e/api_grpc_hostile.sh tests/grpc/h2_hostile_daemon.py
# The input limits on the gRPC CreateTask path, hand-built messages against
# the real daemon and a worker recording the lines it gets.
TESTS += tests/e2e/grpc_limits.sh
EXTRA_DIST += tests/e2e/grpc_limits.sh tests/grpc/grpc_limits.py \
	tests/grpc/rawrecord_worker.py
