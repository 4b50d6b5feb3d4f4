/*
 * The BigQuery plugin's private header: credentials (auth.c) and the
 * translation between Flyte task templates, BigQuery Job resources and
 * the protocol's phases (job.c).
 */
#ifndef BIGQUERY_H
#define BIGQUERY_H

#include <jansson.h>

/* auth.c */

/* A token (borrowed for the call), or an error code and message. */
typedef void auth_cb(const char *token, const char *code, const char *err,
    void *arg);

int	 auth_init(char *, size_t);
void	 auth_cleanup(void);
int	 auth_get(auth_cb *, void *);
void	 auth_invalidate(void);

/* job.c */

json_t	*job_insert_body(json_t *, const char *, const char *, char *, size_t);
json_t	*job_resource(json_t *, const char *, const char *, const char *);
char	*job_console_url(const char *, const char *, const char *);
const char *job_error_message(const struct hc_resp *);

#endif
