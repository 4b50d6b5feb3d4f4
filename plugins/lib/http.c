/*
 * HTTP requests for the service plugins on libcurl's multi interface,
 * driven by the worker SDK's poll loop: curl's sockets become nw_watch()
 * descriptors and curl's timer is served by the SDK tick, so one worker
 * holds many requests at once and never blocks.  It also owns the mapping
 * from a service's HTTP status to the protocol's error codes.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "nebula-svc.h"

#define HC_MAX_BODY	(8 * 1024 * 1024)
#define HC_MARGIN_MS	250	/* answer the daemon before it gives up */
#define HC_MIN_MS	500

struct hc_op {
	CURL			*op_easy;
	struct curl_slist	*op_headers;
	char			*op_body;	/* what came back */
	size_t			 op_len;
	size_t			 op_cap;
	char			*op_post;	/* what we send */
	int			 op_toolarge;
	hc_done			*op_cb;
	void			*op_arg;
	char			 op_errbuf[CURL_ERROR_SIZE];
};

static struct {
	CURLM		*hs_multi;
	int64_t		 hs_deadline;	/* curl's timer, nw_now() ms; -1 */
} hc = { NULL, -1 };

static void	hc_reap(void);

static void
hc_op_free(struct hc_op *op)
{
	if (op == NULL)
		return;
	if (op->op_easy != NULL) {
		curl_multi_remove_handle(hc.hs_multi, op->op_easy);
		curl_easy_cleanup(op->op_easy);
	}
	curl_slist_free_all(op->op_headers);
	free(op->op_body);
	free(op->op_post);
	free(op);
}

static size_t
hc_write(char *data, size_t size, size_t n, void *arg)
{
	struct hc_op	*op = arg;
	size_t		 len = size * n, cap;
	char		*p;

	if (op->op_len + len + 1 > HC_MAX_BODY) {
		op->op_toolarge = 1;
		return 0;
	}
	if (op->op_len + len + 1 > op->op_cap) {
		cap = op->op_cap ? op->op_cap : 4096;
		while (cap < op->op_len + len + 1)
			cap *= 2;
		if ((p = realloc(op->op_body, cap)) == NULL)
			return 0;
		op->op_body = p;
		op->op_cap = cap;
	}
	memcpy(op->op_body + op->op_len, data, len);
	op->op_len += len;
	op->op_body[op->op_len] = '\0';
	return len;
}

static void
hc_on_fd(int fd, int revents, void *arg)
{
	int	 ev = 0, running;

	(void)arg;
	if (revents & (POLLIN | POLLHUP))
		ev |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		ev |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLNVAL))
		ev |= CURL_CSELECT_ERR;
	curl_multi_socket_action(hc.hs_multi, fd, ev, &running);
	hc_reap();
}

static int
hc_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *sockp)
{
	int	 ev = 0;

	(void)easy;
	(void)userp;
	(void)sockp;
	if (what == CURL_POLL_REMOVE) {
		nw_unwatch(s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= POLLIN;
	if (what & CURL_POLL_OUT)
		ev |= POLLOUT;
	if (nw_watch(s, ev, hc_on_fd, NULL) == -1) {
		nw_log("http: cannot watch a socket: out of memory");
		return -1;
	}
	return 0;
}

static int
hc_timer(CURLM *multi, long ms, void *userp)
{
	(void)multi;
	(void)userp;
	hc.hs_deadline = ms < 0 ? -1 : nw_now() + ms;
	return 0;
}

int
hc_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return -1;
	if ((hc.hs_multi = curl_multi_init()) == NULL)
		return -1;
	curl_multi_setopt(hc.hs_multi, CURLMOPT_SOCKETFUNCTION, hc_socket);
	curl_multi_setopt(hc.hs_multi, CURLMOPT_TIMERFUNCTION, hc_timer);
	return 0;
}

void
hc_cleanup(void)
{
	if (hc.hs_multi != NULL)
		curl_multi_cleanup(hc.hs_multi);
	hc.hs_multi = NULL;
	curl_global_cleanup();
}

/* The SDK tick: curl's timer, then how long until it wants us again. */
int
hc_tick(void *arg)
{
	int64_t	 left;
	int	 running;

	(void)arg;
	hc_reap();
	if (hc.hs_deadline != -1 && nw_now() >= hc.hs_deadline) {
		hc.hs_deadline = -1;
		curl_multi_socket_action(hc.hs_multi, CURL_SOCKET_TIMEOUT, 0,
		    &running);
		hc_reap();
	}
	if (hc.hs_deadline == -1)
		return -1;
	left = hc.hs_deadline - nw_now();
	if (left < 0)
		left = 0;
	return left > 60000 ? 60000 : (int)left;
}

/* Hands every finished request to its callback. */
static void
hc_reap(void)
{
	struct hc_resp	 r;
	struct hc_op	*op;
	CURLMsg		*m;
	json_error_t	 jerr;
	int		 left;

	while ((m = curl_multi_info_read(hc.hs_multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		op = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &op);
		if (op == NULL)
			continue;
		memset(&r, 0, sizeof(r));
		r.hr_body = op->op_body ? op->op_body : "";
		r.hr_len = op->op_len;
		if (m->data.result == CURLE_OK) {
			curl_easy_getinfo(op->op_easy, CURLINFO_RESPONSE_CODE,
			    &r.hr_status);
			if (op->op_len > 0)
				r.hr_json = json_loadb(op->op_body, op->op_len,
				    0, &jerr);
		} else {
			r.hr_timedout = m->data.result ==
			    CURLE_OPERATION_TIMEDOUT;
			if (op->op_toolarge)
				r.hr_error = "the answer is too large";
			else
				r.hr_error = op->op_errbuf[0] ? op->op_errbuf :
				    curl_easy_strerror(m->data.result);
		}
		/* m is invalid once the handle is removed. */
		curl_multi_remove_handle(hc.hs_multi, op->op_easy);
		op->op_cb(&r, op->op_arg);
		json_decref(r.hr_json);
		hc_op_free(op);
	}
}

int
hc_start(const struct hc_req *q)
{
	struct hc_op	*op;
	char		 h[4096];
	int		 running;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		return -1;
	op->op_cb = q->hq_cb;
	op->op_arg = q->hq_arg;
	if ((op->op_easy = curl_easy_init()) == NULL)
		goto fail;
	if (q->hq_token != NULL) {
		snprintf(h, sizeof(h), "Authorization: Bearer %s", q->hq_token);
		if ((op->op_headers = curl_slist_append(op->op_headers, h)) ==
		    NULL)
			goto fail;
	}
	if (q->hq_ctype != NULL) {
		snprintf(h, sizeof(h), "Content-Type: %s", q->hq_ctype);
		if ((op->op_headers = curl_slist_append(op->op_headers, h)) ==
		    NULL)
			goto fail;
	}
	if ((op->op_headers = curl_slist_append(op->op_headers,
	    "Accept: application/json")) == NULL ||
	    (op->op_headers = curl_slist_append(op->op_headers,
	    "Expect:")) == NULL)
		goto fail;
	curl_easy_setopt(op->op_easy, CURLOPT_URL, q->hq_url);
	curl_easy_setopt(op->op_easy, CURLOPT_HTTPHEADER, op->op_headers);
	curl_easy_setopt(op->op_easy, CURLOPT_USERAGENT,
	    "nebula-plugind/" PACKAGE_VERSION);
	curl_easy_setopt(op->op_easy, CURLOPT_PRIVATE, op);
	curl_easy_setopt(op->op_easy, CURLOPT_WRITEFUNCTION, hc_write);
	curl_easy_setopt(op->op_easy, CURLOPT_WRITEDATA, op);
	curl_easy_setopt(op->op_easy, CURLOPT_ERRORBUFFER, op->op_errbuf);
	curl_easy_setopt(op->op_easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(op->op_easy, CURLOPT_TIMEOUT_MS,
	    (long)(q->hq_timeout > 0 ? q->hq_timeout : 30000));
	curl_easy_setopt(op->op_easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(op->op_easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(op->op_easy, CURLOPT_ACCEPT_ENCODING, "");
	if (strcmp(q->hq_method, "GET") != 0 || q->hq_body != NULL) {
		if ((op->op_post = strdup(q->hq_body ? q->hq_body : "")) ==
		    NULL)
			goto fail;
		curl_easy_setopt(op->op_easy, CURLOPT_POSTFIELDS, op->op_post);
		curl_easy_setopt(op->op_easy, CURLOPT_POSTFIELDSIZE,
		    (long)strlen(op->op_post));
		if (strcmp(q->hq_method, "POST") != 0)
			curl_easy_setopt(op->op_easy, CURLOPT_CUSTOMREQUEST,
			    q->hq_method);
	}
	if (curl_multi_add_handle(hc.hs_multi, op->op_easy) != CURLM_OK)
		goto fail;
	/* Kick it off now; curl's timer may also ask for it. */
	curl_multi_socket_action(hc.hs_multi, CURL_SOCKET_TIMEOUT, 0, &running);
	return 0;
fail:
	hc_op_free(op);
	return -1;
}

/*
 * The time one outgoing request may take for this call: what is left of
 * the daemon's deadline less a margin, else the default.
 */
int64_t
hc_call_timeout(const struct nw_call *c, int64_t dflt)
{
	int64_t	 left;

	if (nw_call_deadline(c) == -1)
		return dflt;
	left = nw_call_deadline(c) - nw_now() - HC_MARGIN_MS;
	return left < HC_MIN_MS ? HC_MIN_MS : left;
}

/* A service's HTTP status as one of the protocol's error codes. */
const char *
hc_error_code(long status)
{
	if (status == 401 || status == 403)
		return "PERMISSION_DENIED";
	if (status == 400)
		return "INVALID_ARGUMENT";
	if (status == 404)
		return "NOT_FOUND";
	if (status == 409)
		return "ALREADY_EXISTS";
	if (hc_retryable(status))
		return "UNAVAILABLE";
	return "INTERNAL";
}

/* No answer, a timeout, throttling or a server error: worth a retry. */
int
hc_retryable(long status)
{
	return status == 0 || status == 408 || status == 429 || status >= 500;
}

/* A path segment or query value, percent-encoded; free() the result. */
char *
hc_escape(const char *s)
{
	char	*e, *r;

	if ((e = curl_easy_escape(NULL, s, 0)) == NULL)
		return NULL;
	r = strdup(e);
	curl_free(e);
	return r;
}
