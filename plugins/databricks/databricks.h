/*
 * The Databricks plugin's private header: the translation between Flyte
 * task templates, Jobs API 2.1 runs and the protocol's phases (run.c).
 */
#ifndef DATABRICKS_H
#define DATABRICKS_H

#include <jansson.h>

/* run.c */

json_t		*run_submit_body(json_t *, const char *, char *, size_t);
json_t		*run_resource(json_t *);
const char	*run_error_message(const struct hc_resp *);

#endif
