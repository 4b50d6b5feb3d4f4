# tests/fuzz/fuzz.mk: libFuzzer targets for the hostile inputs (HTTP
# requests, HTTP/2 and gRPC frames, worker lines, configuration files, resource ids), built with
# clang by tests/fuzz/build.sh outside the autotools compiler.  `make check`
# fuzzes each for a few seconds and replays tests/fuzz/regress/; `make
# fuzz` runs each for FUZZ_SECONDS on a scratch copy of its seed corpus.

FUZZ_SECONDS = 60
FUZZ_TARGETS = fuzz_config fuzz_h2 fuzz_http fuzz_line fuzz_rid

TESTS += tests/fuzz/check.sh
dist_check_SCRIPTS += tests/fuzz/check.sh
EXTRA_DIST += \
	tests/fuzz/build.sh \
	tests/fuzz/corpus \
	tests/fuzz/fake.h \
	tests/fuzz/fake_log.c \
	tests/fuzz/fake_pool.c \
	tests/fuzz/fuzz_config.c \
	tests/fuzz/fuzz_h2.c \
	tests/fuzz/fuzz_http.c \
	tests/fuzz/fuzz_line.c \
	tests/fuzz/fuzz_rid.c \
	tests/fuzz/mkseeds.py \
	tests/fuzz/regress \
	tests/fuzz/run.sh
CLEANFILES += tests/fuzz/fuzz_config tests/fuzz/fuzz_h2 tests/fuzz/fuzz_http \
	tests/fuzz/fuzz_line tests/fuzz/fuzz_rid

fuzz: $(top_builddir)/config.h
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	    $(SHELL) $(top_srcdir)/tests/fuzz/run.sh $(FUZZ_SECONDS) \
	    $(FUZZ_TARGETS)
.PHONY: fuzz
