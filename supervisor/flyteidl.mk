# supervisor/flyteidl.mk: Flyte's message definitions, generated at build
# time by protoc-c from the pinned @flyteorg/flyteidl protos (configure's
# --with-flyteidl, scripts/fetch-flyteidl) and Google's well-known types, into
# supervisor/pb/ of the build tree; with pbjson.c, their protojson codec, they
# make supervisor/libflyteidl.a.  Only admin/agent.proto and what it imports
# are generated.  Nothing generated is committed; `make dist` ships it (and
# the stamp), so a tarball builds without npm or protoc-c.

FLYTEIDL_PROTOS = \
	flyteidl/admin/agent.proto \
	flyteidl/core/artifact_id.proto \
	flyteidl/core/condition.proto \
	flyteidl/core/execution.proto \
	flyteidl/core/identifier.proto \
	flyteidl/core/interface.proto \
	flyteidl/core/literals.proto \
	flyteidl/core/metrics.proto \
	flyteidl/core/security.proto \
	flyteidl/core/tasks.proto \
	flyteidl/core/types.proto \
	flyteidl/core/workflow.proto
FLYTEIDL_WKT_PROTOS = \
	google/protobuf/duration.proto \
	google/protobuf/struct.proto \
	google/protobuf/timestamp.proto \
	google/protobuf/wrappers.proto
FLYTEIDL_GEN = \
	supervisor/pb/flyteidl/admin/agent.pb-c.c \
	supervisor/pb/flyteidl/admin/agent.pb-c.h \
	supervisor/pb/flyteidl/core/artifact_id.pb-c.c \
	supervisor/pb/flyteidl/core/artifact_id.pb-c.h \
	supervisor/pb/flyteidl/core/condition.pb-c.c \
	supervisor/pb/flyteidl/core/condition.pb-c.h \
	supervisor/pb/flyteidl/core/execution.pb-c.c \
	supervisor/pb/flyteidl/core/execution.pb-c.h \
	supervisor/pb/flyteidl/core/identifier.pb-c.c \
	supervisor/pb/flyteidl/core/identifier.pb-c.h \
	supervisor/pb/flyteidl/core/interface.pb-c.c \
	supervisor/pb/flyteidl/core/interface.pb-c.h \
	supervisor/pb/flyteidl/core/literals.pb-c.c \
	supervisor/pb/flyteidl/core/literals.pb-c.h \
	supervisor/pb/flyteidl/core/metrics.pb-c.c \
	supervisor/pb/flyteidl/core/metrics.pb-c.h \
	supervisor/pb/flyteidl/core/security.pb-c.c \
	supervisor/pb/flyteidl/core/security.pb-c.h \
	supervisor/pb/flyteidl/core/tasks.pb-c.c \
	supervisor/pb/flyteidl/core/tasks.pb-c.h \
	supervisor/pb/flyteidl/core/types.pb-c.c \
	supervisor/pb/flyteidl/core/types.pb-c.h \
	supervisor/pb/flyteidl/core/workflow.pb-c.c \
	supervisor/pb/flyteidl/core/workflow.pb-c.h \
	supervisor/pb/google/protobuf/duration.pb-c.c \
	supervisor/pb/google/protobuf/duration.pb-c.h \
	supervisor/pb/google/protobuf/struct.pb-c.c \
	supervisor/pb/google/protobuf/struct.pb-c.h \
	supervisor/pb/google/protobuf/timestamp.pb-c.c \
	supervisor/pb/google/protobuf/timestamp.pb-c.h \
	supervisor/pb/google/protobuf/wrappers.pb-c.c \
	supervisor/pb/google/protobuf/wrappers.pb-c.h

# The generated files depend on the stamp only, never on the protos: a
# tarball has the stamp and the files but not the protos.  The pinned
# version is in scripts/fetch-flyteidl; changing it changes that script.
supervisor/flyteidl.stamp: $(top_srcdir)/supervisor/flyteidl.mk \
    $(top_srcdir)/scripts/fetch-flyteidl
	$(AM_V_GEN)rm -rf supervisor/pb && $(MKDIR_P) supervisor/pb && \
	$(PROTOC_C) -I'$(FLYTEIDL_DIR)' -I'$(PROTOBUF_INCLUDE)' \
	    --c_out=supervisor/pb $(FLYTEIDL_PROTOS) $(FLYTEIDL_WKT_PROTOS) && \
	echo 'flyteidl: $(FLYTEIDL_DIR)' >$@
$(FLYTEIDL_GEN): supervisor/flyteidl.stamp
	@test -f $@ || test -f $(srcdir)/$@ || { rm -f supervisor/flyteidl.stamp; \
	    $(MAKE) $(AM_MAKEFLAGS) supervisor/flyteidl.stamp; }

BUILT_SOURCES += supervisor/flyteidl.stamp $(FLYTEIDL_GEN)
EXTRA_DIST += supervisor/flyteidl.stamp scripts/fetch-flyteidl
MAINTAINERCLEANFILES = supervisor/flyteidl.stamp $(FLYTEIDL_GEN)

FLYTEIDL_CPPFLAGS = -I$(top_builddir)/supervisor/pb -I$(top_srcdir)/supervisor/pb
noinst_LIBRARIES += supervisor/libflyteidl.a
supervisor_libflyteidl_a_SOURCES = $(FLYTEIDL_GEN) \
	supervisor/pbarena.c \
	supervisor/pbjson.c \
	supervisor/pbjson.h
supervisor_libflyteidl_a_CPPFLAGS = $(AM_CPPFLAGS) $(FLYTEIDL_CPPFLAGS)
supervisor_libflyteidl_a_CFLAGS = $(AM_CFLAGS) $(PROTOBUF_C_CFLAGS) $(JANSSON_CFLAGS) \
	$(YAJL_CFLAGS) $(CRYPTO_CFLAGS)
# pbjson.c writes through protocol/'s buffers, UTF-8 rule and yajl reader.
FLYTEIDL_LIBS = supervisor/libflyteidl.a $(PROTOCOL_LIBS) $(PROTOBUF_C_LIBS)
