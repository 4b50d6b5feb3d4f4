/*
 * The HTTP side of the client library: one struct npc per daemon (URL,
 * bearer token, timeout, a shared connection cache for keep-alive) and one
 * struct npc_req per request, which a synchronous call runs with
 * curl_easy_perform() and watch.c runs on a curl multi handle.  It turns
 * every answer into a struct npc_result: status, parsed body, error code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-client.h"

#define NPC_MAX_ANSWER	(64 * 1024 * 1024)

struct npc {
	char			*npc_url;	/* no trailing '/' */
	char			*npc_auth;	/* "Authorization: ..." or NULL */
	long			 npc_timeout_ms;
	char			*npc_cacert;	/* TLS: CA file, or NULL */
	char			*npc_cert;	/* TLS: client certificate */
	char			*npc_key;
	volatile sig_atomic_t	*npc_cancel;
	CURLSH			*npc_share;
};

struct npc_req {
	struct npc		*rq_npc;
	CURL			*rq_easy;
	struct curl_slist	*rq_headers;
	char			*rq_url;
	char			*rq_body;
	char			*rq_data;	/* the answer */
	size_t			 rq_len;
	int			 rq_toobig;
	char			 rq_err[CURL_ERROR_SIZE];
};

struct npc *
npc_new(const char *url, const char *token, double timeout)
{
	struct npc	*c;
	size_t		 len;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->npc_url = strdup(url)) == NULL)
		goto fail;
	len = strlen(c->npc_url);
	while (len > 0 && c->npc_url[len - 1] == '/')
		c->npc_url[--len] = '\0';
	if (token != NULL && asprintf(&c->npc_auth,
	    "Authorization: Bearer %s", token) == -1) {
		c->npc_auth = NULL;
		goto fail;
	}
	c->npc_timeout_ms = timeout > 0 ? (long)(timeout * 1000) : 0;
	if ((c->npc_share = curl_share_init()) == NULL)
		goto fail;
	curl_share_setopt(c->npc_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(c->npc_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	return c;
fail:
	npc_free(c);
	return NULL;
}

void
npc_free(struct npc *c)
{
	if (c == NULL)
		return;
	if (c->npc_share != NULL)
		curl_share_cleanup(c->npc_share);
	free(c->npc_url);
	free(c->npc_auth);
	free(c->npc_cacert);
	free(c->npc_cert);
	free(c->npc_key);
	free(c);
}

/* TLS files for https:// URLs; each may be NULL (system CAs, no cert). */
int
npc_set_tls(struct npc *c, const char *cacert, const char *cert,
    const char *key)
{
	if ((cacert != NULL && (c->npc_cacert = strdup(cacert)) == NULL) ||
	    (cert != NULL && (c->npc_cert = strdup(cert)) == NULL) ||
	    (key != NULL && (c->npc_key = strdup(key)) == NULL))
		return -1;
	return 0;
}

/* While *flag is set, transfers in progress abort (CANCELLED). */
void
npc_set_cancel(struct npc *c, volatile sig_atomic_t *flag)
{
	c->npc_cancel = flag;
}

const char *
npc_url(const struct npc *c)
{
	return c->npc_url;
}

/* Splits "TYPE[/VERSION]"; VERSION defaults to v1.  Caller frees both. */
int
npc_split_type(const char *s, char **type, char **version)
{
	const char	*slash;

	*type = *version = NULL;
	slash = strchr(s, '/');
	if (slash == NULL)
		*type = strdup(s), *version = strdup(NPC_DEFAULT_VERSION);
	else {
		if (strchr(slash + 1, '/') != NULL || slash[1] == '\0')
			return -1;
		*type = strndup(s, (size_t)(slash - s));
		*version = strdup(slash + 1);
	}
	if (*type == NULL || *version == NULL || **type == '\0') {
		free(*type);
		free(*version);
		*type = *version = NULL;
		return -1;
	}
	return 0;
}

void
npc_result_init(struct npc_result *res)
{
	memset(res, 0, sizeof(*res));
	res->res_retry_after = -1;
}

void
npc_result_clear(struct npc_result *res)
{
	json_decref(res->res_body);
	npc_result_init(res);
}

/* The nebula-plugin exit status that a result stands for. */
int
npc_result_exit(const struct npc_result *res)
{
	if (res->res_status >= 200 && res->res_status < 300 &&
	    res->res_code[0] == '\0')
		return NPC_EXIT_OK;
	if (res->res_status == 404)
		return NPC_EXIT_NOT_FOUND;
	return NPC_EXIT_ERROR;
}

/*
 * Whether trying again may help: 429 and 503 always (the request was not
 * served), transport errors, 502 and 504 only for idempotent calls.
 */
int
npc_result_retryable(const struct npc_result *res, int idempotent)
{
	if (res->res_status == 429 || res->res_status == 503 ||
	    res->res_unsent)
		return 1;
	if (!idempotent)
		return 0;
	if (res->res_status == 0)
		return strcmp(res->res_code, "CANCELLED") != 0;
	return res->res_status == 502 || res->res_status == 504;
}

static size_t
npc_req_write(char *data, size_t size, size_t n, void *arg)
{
	struct npc_req	*rq = arg;
	size_t		 len = size * n;
	char		*p;

	if (len > NPC_MAX_ANSWER - rq->rq_len) {
		rq->rq_toobig = 1;
		return 0;
	}
	if ((p = realloc(rq->rq_data, rq->rq_len + len + 1)) == NULL)
		return 0;
	rq->rq_data = p;
	memcpy(rq->rq_data + rq->rq_len, data, len);
	rq->rq_len += len;
	rq->rq_data[rq->rq_len] = '\0';
	return len;
}

static int
npc_req_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct npc_req	*rq = arg;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (rq->rq_npc->npc_cancel != NULL && *rq->rq_npc->npc_cancel)
		return 1;
	return 0;
}

/*
 * Prepares one request; path starts with '/', body (borrowed) may be NULL.
 * CURLOPT_PRIVATE of the easy handle is left to the caller.
 */
struct npc_req *
npc_req_new(struct npc *c, const char *method, const char *path, json_t *body)
{
	struct npc_req		*rq;
	struct curl_slist	*l;
	CURL			*e;

	if ((rq = calloc(1, sizeof(*rq))) == NULL)
		return NULL;
	rq->rq_npc = c;
	if (asprintf(&rq->rq_url, "%s%s", c->npc_url, path) == -1) {
		rq->rq_url = NULL;
		goto fail;
	}
	if ((e = rq->rq_easy = curl_easy_init()) == NULL)
		goto fail;
	l = curl_slist_append(NULL, "Accept: application/json");
	if (l == NULL)
		goto fail;
	rq->rq_headers = l;
	if (c->npc_auth != NULL) {
		if ((l = curl_slist_append(rq->rq_headers, c->npc_auth)) == NULL)
			goto fail;
		rq->rq_headers = l;
	}
	if (body != NULL) {
		if ((rq->rq_body = json_dumps(body, JSON_COMPACT)) == NULL)
			goto fail;
		l = curl_slist_append(rq->rq_headers,
		    "Content-Type: application/json");
		if (l == NULL)
			goto fail;
		rq->rq_headers = l;
		/* No "Expect: 100-continue" round trip for small bodies. */
		if ((l = curl_slist_append(rq->rq_headers, "Expect:")) == NULL)
			goto fail;
		rq->rq_headers = l;
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, rq->rq_body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(rq->rq_body));
	}
	curl_easy_setopt(e, CURLOPT_URL, rq->rq_url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, rq->rq_headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, npc_req_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, rq);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, rq->rq_err);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "nebula-plugin/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, npc_req_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, rq);
	if (c->npc_timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->npc_timeout_ms);
	if (c->npc_cacert != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->npc_cacert);
	if (c->npc_cert != NULL) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, c->npc_cert);
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->npc_key);
	}
	return rq;
fail:
	npc_req_free(rq);
	return NULL;
}

CURL *
npc_req_easy(struct npc_req *rq)
{
	return rq->rq_easy;
}

void
npc_req_free(struct npc_req *rq)
{
	if (rq == NULL)
		return;
	if (rq->rq_easy != NULL)
		curl_easy_cleanup(rq->rq_easy);
	curl_slist_free_all(rq->rq_headers);
	free(rq->rq_url);
	free(rq->rq_body);
	free(rq->rq_data);
	free(rq);
}

static void
npc_result_error(struct npc_result *res, const char *code, const char *msg)
{
	snprintf(res->res_code, sizeof(res->res_code), "%s", code);
	snprintf(res->res_message, sizeof(res->res_message), "%s", msg);
}

/*
 * Turns a finished transfer into a result (cleared first).  Returns 0 on a
 * 2xx answer with a JSON object body, -1 otherwise.
 */
int
npc_req_finish(struct npc_req *rq, CURLcode cc, struct npc_result *res)
{
	json_error_t	 jerr;
	json_t		*err, *v;
	curl_off_t	 ra = 0;
	const char	*code;

	npc_result_clear(res);
	if (cc != CURLE_OK) {
		if (cc == CURLE_ABORTED_BY_CALLBACK)
			code = "CANCELLED";
		else if (cc == CURLE_WRITE_ERROR && rq->rq_toobig)
			code = "TOO_LARGE";
		else
			code = "TRANSPORT";
		npc_result_error(res, code, rq->rq_err[0] != '\0' ?
		    rq->rq_err : curl_easy_strerror(cc));
		/* Nothing reached the server: safe to retry even a create. */
		res->res_unsent = cc == CURLE_COULDNT_CONNECT ||
		    cc == CURLE_COULDNT_RESOLVE_HOST;
		return -1;
	}
	curl_easy_getinfo(rq->rq_easy, CURLINFO_RESPONSE_CODE,
	    &res->res_status);
	if (curl_easy_getinfo(rq->rq_easy, CURLINFO_RETRY_AFTER, &ra) ==
	    CURLE_OK && ra > 0)
		res->res_retry_after = (double)ra;
	if (rq->rq_len > 0)
		res->res_body = json_loadb(rq->rq_data, rq->rq_len, 0, &jerr);
	if (res->res_status >= 200 && res->res_status < 300) {
		if (json_is_object(res->res_body))
			return 0;
		npc_result_error(res, "BAD_RESPONSE",
		    "the answer is not a JSON object");
		return -1;
	}
	err = json_object_get(res->res_body, "error");
	v = json_object_get(err, "code");
	snprintf(res->res_code, sizeof(res->res_code), "%s",
	    json_is_string(v) ? json_string_value(v) : "HTTP_ERROR");
	v = json_object_get(err, "message");
	if (json_is_string(v))
		snprintf(res->res_message, sizeof(res->res_message), "%s",
		    json_string_value(v));
	else
		snprintf(res->res_message, sizeof(res->res_message),
		    "HTTP status %ld", res->res_status);
	return -1;
}

/* One synchronous request; path starts with '/', body is borrowed. */
int
npc_call(struct npc *c, const char *method, const char *path, json_t *body,
    struct npc_result *res)
{
	struct npc_req	*rq;
	CURLcode	 cc;
	int		 rv;

	npc_result_clear(res);
	if ((rq = npc_req_new(c, method, path, body)) == NULL) {
		npc_result_error(res, "TRANSPORT", "out of memory");
		return -1;
	}
	curl_easy_setopt(rq->rq_easy, CURLOPT_SHARE, c->npc_share);
	cc = curl_easy_perform(rq->rq_easy);
	rv = npc_req_finish(rq, cc, res);
	npc_req_free(rq);
	return rv;
}

/* "/plugins/v1/TYPE/VERSION[/RID]", each part escaped; caller frees. */
char *
npc_job_path(struct npc *c, const char *type, const char *version,
    const char *rid)
{
	char	*t = NULL, *v = NULL, *r = NULL, *path = NULL;
	CURL	*e;

	(void)c;
	if ((e = curl_easy_init()) == NULL)
		return NULL;
	if ((t = curl_easy_escape(e, type, 0)) == NULL ||
	    (v = curl_easy_escape(e, version, 0)) == NULL)
		goto fail;
	if (rid != NULL && (r = curl_easy_escape(e, rid, 0)) == NULL)
		goto fail;
	if (asprintf(&path, "/plugins/v1/%s/%s%s%s", t, v, r ? "/" : "",
	    r ? r : "") == -1)
		path = NULL;
fail:
	curl_free(t);
	curl_free(v);
	curl_free(r);
	curl_easy_cleanup(e);
	return path;
}

static int
npc_job_call(struct npc *c, const char *method, const char *type,
    const char *version, const char *rid, json_t *body,
    struct npc_result *res)
{
	char	*path;
	int	 rv;

	if ((path = npc_job_path(c, type, version, rid)) == NULL) {
		npc_result_clear(res);
		npc_result_error(res, "TRANSPORT", "out of memory");
		return -1;
	}
	rv = npc_call(c, method, path, body, res);
	free(path);
	return rv;
}

/*
 * Creates a job.  On success *rid is the new resource_id (caller frees) and
 * res_body the whole answer, with "resource" when the plugin is synchronous.
 */
int
npc_create(struct npc *c, const char *type, const char *version,
    json_t *body, char **rid, struct npc_result *res)
{
	json_t	*v;

	*rid = NULL;
	if (npc_job_call(c, "PUT", type, version, NULL, body, res) == -1)
		return -1;
	v = json_object_get(res->res_body, "resource_id");
	if (!json_is_string(v) || (*rid = strdup(json_string_value(v))) ==
	    NULL) {
		npc_result_error(res, "BAD_RESPONSE",
		    "the answer has no resource_id");
		return -1;
	}
	return 0;
}

/* Polls a job: res_body is the resource (phase, message, outputs...). */
int
npc_get(struct npc *c, const char *type, const char *version,
    const char *rid, struct npc_result *res)
{
	json_t	*phase;

	if (npc_job_call(c, "GET", type, version, rid, NULL, res) == -1)
		return -1;
	phase = json_object_get(res->res_body, "phase");
	if (!json_is_string(phase)) {
		npc_result_error(res, "BAD_RESPONSE",
		    "the answer has no phase");
		return -1;
	}
	return 0;
}

int
npc_delete(struct npc *c, const char *type, const char *version,
    const char *rid, struct npc_result *res)
{
	return npc_job_call(c, "DELETE", type, version, rid, NULL, res);
}

int
npc_list(struct npc *c, struct npc_result *res)
{
	return npc_call(c, "GET", "/plugins/v1", NULL, res);
}
