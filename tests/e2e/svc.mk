# End-to-end tests of the service plugins (BigQuery, Databricks) against
# local stand-ins of the services, and the checks of the deployment files.
E2E_SVC_TESTS = \
	tests/e2e/svc_bigquery.sh \
	tests/e2e/svc_bigquery_sa.sh \
	tests/e2e/svc_databricks.sh \
	tests/e2e/svc_deploy.sh \
	tests/e2e/svc_docker.sh \
	tests/e2e/svc_grpc.sh \
	tests/e2e/svc_helm.sh
TESTS += $(E2E_SVC_TESTS)
EXTRA_DIST += $(E2E_SVC_TESTS) tests/e2e/svc_lib.sh \
	tests/standins/bigquery.py tests/standins/databricks.py \
	tests/standins/standin.py tests/lint/helm-render.go
