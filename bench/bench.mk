# bench/: `make bench` compares the daemon with nginx and the FastAPI peer
# and writes bench/results.md (see bench/run.sh).  Its helper programs are
# EXTRA_PROGRAMS: built only by `make bench`, never by `make` or `make check`.

EXTRA_PROGRAMS = bench/idleconns bench/slowworker
CLEANFILES += bench/idleconns bench/slowworker

bench_idleconns_SOURCES = bench/idleconns.c

bench_slowworker_SOURCES = bench/slowworker.c
bench_slowworker_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
bench_slowworker_LDADD = $(PROTOCOL_LIBS)

EXTRA_DIST += bench/analysis.md bench/bodies.py bench/create.lua \
	bench/create16k.lua bench/flyte.lua bench/grpc_peer.py bench/noread.py \
	bench/get.lua bench/nginx.conf bench/profile.sh bench/report.lua \
	bench/report.py bench/results.md bench/run.sh bench/uvicorn_nodelay.py \
	bench/parsers.c bench/parsers.sh bench/parsers_simdjson.cc bench/cg-grpc.sh

.PHONY: bench
bench: supervisor/nebula-plugind plugins/echo/nebula-echo \
	plugins/sleep/nebula-sleep bench/idleconns bench/slowworker
	BENCH_BUILDDIR="$(abs_top_builddir)" \
	    bash $(top_srcdir)/bench/run.sh

# `make soak`: mixed load with random worker kills, stops and reload storms
# for SOAK_MINUTES (default 2); never part of `make check`.
EXTRA_DIST += bench/soak.py
.PHONY: soak
soak: supervisor/nebula-plugind plugins/echo/nebula-echo \
	plugins/sleep/nebula-sleep
	BUILDDIR="$(abs_top_builddir)" python3 $(top_srcdir)/bench/soak.py
