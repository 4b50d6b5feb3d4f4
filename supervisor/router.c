/*
 * The router matches each HTTP request against the route tables the fronts
 * register (our REST routes, Flyte's REST routes, the probes) and answers,
 * once for all of them, what a table alone decides: 404 for no route, 405
 * with Allow, a table's bearer token and the start-up 503.  It also holds
 * the few helpers every REST front answers with.  It knows no route itself.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "nebula-plugind.h"

#define ROUTER_MAX_TABLES	8
#define ROUTER_MAX_SEGMENTS	8

static const struct route_table	*router_tables[ROUTER_MAX_TABLES];
static size_t			 router_ntables;

/* Tables are tried in the order added; the first whose prefix fits wins. */
int
router_add(const struct route_table *t)
{
	if (router_ntables == ROUTER_MAX_TABLES)
		return -1;
	router_tables[router_ntables++] = t;
	return 0;
}

void
router_clear(void)
{
	router_ntables = 0;
}

/* The headers an error result carries: Retry-After, WWW-Authenticate. */
static const char *
router_result_headers(const struct call_result *res, const char *extra,
    char *out, size_t outlen)
{
	size_t	 n = 0;

	out[0] = '\0';
	if (extra != NULL)
		n += (size_t)snprintf(out, outlen, "%s", extra);
	if (res->cr_retry_after > 0 && n < outlen)
		n += (size_t)snprintf(out + n, outlen - n,
		    "Retry-After: %.0f\r\n", ceil(res->cr_retry_after));
	if (res->cr_challenge != NULL && n < outlen)
		snprintf(out + n, outlen - n, "WWW-Authenticate: %s\r\n",
		    res->cr_challenge);
	return out[0] != '\0' ? out : NULL;
}

/* Our error body, {"error": {"code", "message"}}, for a failed result. */
void
router_error(struct http_request *req, const struct call_result *res,
    const char *extra)
{
	char	 hdr[256];

	http_respond_error(req, res->cr_status, res->cr_code,
	    res->cr_message ? res->cr_message : "", router_result_headers(res,
	    extra, hdr, sizeof(hdr)));
}

static void
router_fail(struct http_request *req, const struct route_table *t,
    int status, const char *code, const char *message, double retry_after,
    const char *extra)
{
	struct call_result	 res;
	char			 hdr[256];

	memset(&res, 0, sizeof(res));
	res.cr_status = status;
	res.cr_code = code;
	res.cr_message = message;
	res.cr_retry_after = retry_after;
	if (t->tb_error != NULL)
		t->tb_error(req, &res, router_result_headers(&res, extra, hdr,
		    sizeof(hdr)));
	else
		router_error(req, &res, extra);
}

void
router_json(struct http_request *req, int status, json_t *body,
    const char *headers)
{
	char	*text;

	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL) {
		http_respond_error(req, 500, "INTERNAL", "out of memory", NULL);
		return;
	}
	http_respond(req, status, headers, text, strlen(text));
	free(text);
}

/*
 * Parses the request body as a JSON object with an object member what.
 * NULL with the reason in err when it is not one.
 */
json_t *
router_body(struct http_request *req, const char *what, char *err,
    size_t errlen)
{
	json_t		*body;
	json_error_t	 jerr;

	if (req->req_body == NULL || req->req_body_len == 0) {
		snprintf(err, errlen, "the request has no body; send a JSON "
		    "object with %s", what);
		return NULL;
	}
	body = json_loadb(req->req_body, req->req_body_len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (body == NULL) {
		snprintf(err, errlen, "malformed JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(body) ||
	    !json_is_object(json_object_get(body, what))) {
		json_decref(body);
		snprintf(err, errlen, "the body must be a JSON object with a %s "
		    "object", what);
		return NULL;
	}
	/* Nothing a conforming worker cannot read is forwarded. */
	if (msg_limits_check(body, err, errlen) == -1) {
		json_decref(body);
		return NULL;
	}
	return body;
}

/*
 * 1 when the create body is proved (protocol/jscan.c) to be one JSON
 * object with a what object and none of the daemon's field names, within
 * the input limits, that every worker reads as jansson reads it: it then
 * goes to the worker as sent, never built as a tree.  0: router_body must
 * read it (it may still be fine, or is refused in jansson's words).
 */
int
router_body_proved(struct http_request *req, const char *what)
{
	struct jscan_top	 top = {
		.jt_want = what,
		.jt_reserved = msg_request_name_reserved,
	};

	if (req->req_body == NULL || req->req_body_len == 0)
		return 0;
	return jscan_proof(req->req_body, req->req_body_len, MSG_MAX_DEPTH,
	    &top) == 0 && top.jt_found && !top.jt_has_reserved;
}

/* The call layer's view of the request: token, ids, tracing. */
void
router_call_req(struct http_request *req, struct call_req *cq)
{
	memset(cq, 0, sizeof(*cq));
	cq->cq_token = req->req_authorization;
	cq->cq_request_id = req->req_id;
	cq->cq_traceparent = req->req_traceparent;
	cq->cq_plugin = req->req_plugin;
}

/* Splits path into at most max segments, in place; -1 when malformed. */
static int
router_split(char *path, char **seg, int max)
{
	int	 n = 0;
	char	*p = path;

	while (*p == '/')
		p++;
	while (*p != '\0') {
		if (n == max)
			return -1;
		seg[n++] = p;
		if ((p = strchr(p, '/')) == NULL)
			break;
		*p++ = '\0';
		if (*p == '\0')
			break;	/* one trailing slash is fine */
		if (*p == '/')
			return -1;
	}
	return n;
}

/*
 * Does the pattern match the segments?  Returns how many of its segments
 * are literal (the most literal match wins), or -1; the "{}" segments are
 * the arguments.
 */
static int
router_match(const char *pattern, char **seg, int n, char **args, int *nargs)
{
	const char	*p = pattern, *end;
	size_t		 len;
	int		 i = 0, literal = 0;

	*nargs = 0;
	while (*p != '\0') {
		if (*p == '/')
			p++;
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (i == n)
			return -1;
		if (len == 2 && strncmp(p, "{}", 2) == 0)
			args[(*nargs)++] = seg[i];
		else if (strlen(seg[i]) != len || strncmp(seg[i], p, len) != 0)
			return -1;
		else
			literal++;
		i++;
		p += len;
	}
	return i == n ? literal : -1;
}

static void
router_allow(unsigned methods, char *out, size_t outlen)
{
	static const int	 order[] = {
		HTTP_GET, HTTP_HEAD, HTTP_PUT, HTTP_POST, HTTP_DELETE
	};
	size_t			 i, n = 0;

	out[0] = '\0';
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if ((methods & ROUTE_M(order[i])) && n < outlen)
			n += (size_t)snprintf(out + n, outlen - n, "%s%s",
			    n ? ", " : "", http_method_str(order[i]));
}

static void
router_method_not_allowed(struct http_request *req,
    const struct route_table *t, unsigned methods)
{
	char	 allow[64], hdr[96], msg[160];

	router_allow(methods, allow, sizeof(allow));
	snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
	snprintf(msg, sizeof(msg), "method %s not allowed here; allowed: %s",
	    req->req_method_name, allow);
	router_fail(req, t, 405, "METHOD_NOT_ALLOWED", msg, 0, hdr);
}

/* 0 when the token lets the request go on; otherwise it is answered. */
static int
router_authorize(struct http_request *req, const struct route_table *t)
{
	struct call_result	 res;
	char			 hdr[256];

	if (call_authorize(req->req_authorization, NULL, &res) == 0)
		return 0;
	if (t->tb_error != NULL)
		t->tb_error(req, &res, router_result_headers(&res, NULL, hdr,
		    sizeof(hdr)));
	else
		router_error(req, &res, NULL);
	return -1;
}

static void
router_table_dispatch(struct http_request *req, const struct route_table *t,
    const char *path)
{
	char			 rest[NP_MAX_URL_BYTES + 1];
	char			*seg[ROUTER_MAX_SEGMENTS];
	char			*args[ROUTER_MAX_SEGMENTS], *best_args[ROUTER_MAX_SEGMENTS];
	const struct route	*r, *hit = NULL, *best_r = NULL;
	unsigned		 methods = 0;
	int			 n, i, lit, best = -1, nargs, best_nargs = 0;

	/* Split a copy: the request keeps its path for the access log. */
	if (strlen(path) >= sizeof(rest) || (n = router_split(strcpy(rest,
	    path), seg, ROUTER_MAX_SEGMENTS)) == -1)
		n = -1;
	for (i = 0; n != -1 && i < (int)t->tb_nroutes; i++) {
		r = &t->tb_routes[i];
		if ((lit = router_match(r->rt_pattern, seg, n, args, &nargs)) <
		    best)
			continue;
		if (lit > best) {
			best = lit;
			best_r = r;
			methods = 0;
			hit = NULL;
		}
		methods |= r->rt_methods;
		if (hit == NULL && (r->rt_methods & ROUTE_M(req->req_method))) {
			hit = r;
			memcpy(best_args, args, sizeof(args[0]) * (size_t)nargs);
			best_nargs = nargs;
		}
	}
	/* The metrics' route label: the pattern matched, a bounded set. */
	if (best_r != NULL)
		snprintf(req->req_route, sizeof(req->req_route), "%s%s%s",
		    t->tb_prefix, *best_r->rt_pattern ? "/" : "",
		    best_r->rt_pattern);
	if ((t->tb_flags & ROUTE_AUTH) && router_authorize(req, t) == -1)
		return;
	if (best == -1) {
		router_fail(req, t, 404, "NOT_FOUND", "no such route", 0, NULL);
		return;
	}
	if (hit == NULL) {
		router_method_not_allowed(req, t, methods);
		return;
	}
	if ((hit->rt_flags & ROUTE_METRICS_AUTH) && !call_metrics_public() &&
	    router_authorize(req, t) == -1)
		return;
	if ((hit->rt_flags & ROUTE_STARTED) && !call_started()) {
		router_fail(req, t, 503, "UNAVAILABLE", "the daemon is "
		    "starting; its plugins are not ready yet", 1, NULL);
		return;
	}
	hit->rt_handler(req, best_args, best_nargs);
}

/* Every complete request comes here from http.c. */
void
router_dispatch(struct http_request *req)
{
	const struct route_table	*t;
	const char			*path = req->req_path;
	size_t				 i, plen;

	req->req_router = NULL;
	req->req_route[0] = '\0';
	req->req_plugin[0] = '\0';
	for (i = 0; i < router_ntables; i++) {
		t = router_tables[i];
		plen = strlen(t->tb_prefix);
		if (strncmp(path, t->tb_prefix, plen) != 0 ||
		    (path[plen] != '\0' && path[plen] != '/'))
			continue;
		router_table_dispatch(req, t, path + plen);
		return;
	}
	http_respond_error(req, 404, "NOT_FOUND", "no such route", NULL);
}

/* The client left before its answer: its call must not answer it. */
void
router_abort(struct http_request *req)
{
	struct call	*ca = req->req_router;

	req->req_router = NULL;
	call_cancel(ca);
}
