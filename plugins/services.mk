# plugins/services.mk: the plugins that run jobs on outside services
# (BigQuery, Databricks) over libcurl, and their small shared library.

noinst_LIBRARIES += plugins/lib/libnebula-svc.a
plugins_lib_libnebula_svc_a_SOURCES = \
	plugins/lib/http.c \
	plugins/lib/idem.c \
	plugins/lib/token.c
plugins_lib_libnebula_svc_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) \
	$(CURL_CFLAGS) $(CRYPTO_CFLAGS)
noinst_HEADERS += plugins/lib/nebula-svc.h plugins/bigquery/bigquery.h \
	plugins/databricks/databricks.h

SVC_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/plugins/lib $(JANSSON_CFLAGS) \
	$(CURL_CFLAGS) $(CRYPTO_CFLAGS)
SVC_LIBS = plugins/lib/libnebula-svc.a $(PROTOCOL_LIBS) $(CURL_LIBS) \
	$(CRYPTO_LIBS)

nebulalibexec_PROGRAMS += plugins/bigquery/nebula-bigquery \
	plugins/databricks/nebula-databricks

plugins_bigquery_nebula_bigquery_SOURCES = \
	plugins/bigquery/auth.c \
	plugins/bigquery/job.c \
	plugins/bigquery/nebula-bigquery.c
plugins_bigquery_nebula_bigquery_CFLAGS = $(SVC_CFLAGS)
plugins_bigquery_nebula_bigquery_LDADD = $(SVC_LIBS) $(MIMALLOC_LIBS)

plugins_databricks_nebula_databricks_SOURCES = \
	plugins/databricks/nebula-databricks.c \
	plugins/databricks/run.c
plugins_databricks_nebula_databricks_CFLAGS = $(SVC_CFLAGS)
plugins_databricks_nebula_databricks_LDADD = $(SVC_LIBS) $(MIMALLOC_LIBS)
