/*
 * The small shared library of the plugins that call outside services
 * (bigquery, databricks): HTTP requests on libcurl's multi interface driven
 * by the worker SDK's loop, secret files re-read when they change, and
 * idempotency keys derived from the task execution id.
 */
#ifndef NEBULA_SVC_H
#define NEBULA_SVC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "nebula-worker.h"

/* http.c */

/* The answer to one request; everything borrowed for the callback. */
struct hc_resp {
	long		 hr_status;	/* HTTP status; 0: no answer */
	const char	*hr_body;	/* NUL-terminated, may be "" */
	size_t		 hr_len;
	json_t		*hr_json;	/* the body parsed, or NULL */
	const char	*hr_error;	/* why there was no answer, or NULL */
	int		 hr_timedout;	/* the request ran out of time */
};

typedef void hc_done(const struct hc_resp *, void *arg);

/* One request; strings are copied by hc_start(). */
struct hc_req {
	const char	*hq_method;	/* GET, POST */
	const char	*hq_url;
	const char	*hq_token;	/* bearer token, or NULL */
	const char	*hq_ctype;	/* body's Content-Type, or NULL */
	const char	*hq_body;	/* or NULL */
	int64_t		 hq_timeout;	/* ms for the whole request */
	hc_done		*hq_cb;		/* called exactly once */
	void		*hq_arg;
};

int		 hc_init(void);
void		 hc_cleanup(void);
int		 hc_start(const struct hc_req *);
int		 hc_tick(void *);
int64_t		 hc_call_timeout(const struct nw_call *, int64_t);
const char	*hc_error_code(long);
int		 hc_retryable(long);
char		*hc_escape(const char *);

/* token.c */

struct tok_file;

struct tok_file	*tok_file_new(const char *);
void		 tok_file_free(struct tok_file *);
const char	*tok_file_get(struct tok_file *, char *, size_t);

/* idem.c */

int		 idem_key(json_t *, const char *, char *, size_t);

#endif
