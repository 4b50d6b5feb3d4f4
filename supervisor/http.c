/*
 * The daemon's HTTP/1.1 front end: accepted connections (from listen.c),
 * request parsing with http_parser and our own framing rules, per-connection
 * timeouts and responses written strictly in request order.  It owns every
 * connection and every struct http_request; the router (http_set_router)
 * only borrows a request between its dispatch and http_respond(), or its
 * abort if the client left.  An HTTP/2 connection is handed whole to http_set_h2()'s
 * handler.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <http_parser.h>

#include "nebula-plugind.h"

#define HTTP_MAX_PIPELINE	64	/* queued requests before reads pause */
#define HTTP_MAX_HEADERS	100
#define HTTP_MAX_OUTPUT		(256 * 1024)	/* output before reads pause */
#define HTTP_READ_SIZE		16384
#define HTTP_LINGER_ROUNDS	4	/* drain reads per wakeup */
#define HTTP_REQ_CACHE		64	/* spare requests kept for reuse */
#define HTTP_KEEP_BUF		16384	/* larger buffers are not kept */
#define HTTP_HEAD_SLACK		16	/* request line beyond the target */
#define HTTP_CONTINUE		"HTTP/1.1 100 Continue\r\n\r\n"
#define HTTP_LINGER		2.0	/* seconds of draining before close */
#define HTTP_H2_PREFACE		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define HTTP_H2_PREFACE_LEN	24
#define HTTP_MAX_AGENT		256	/* User-Agent bytes kept for the log */

enum http_rstate {
	RS_HEAD,		/* reading the request head */
	RS_BODY,		/* reading the body */
	RS_ROUTER,		/* dispatched, waiting for http_respond() */
	RS_DONE			/* answered, waiting for its turn to be sent */
};

enum http_tkind {
	TK_NONE,		/* waiting on the router: no timeout here */
	TK_IDLE,		/* nothing in progress: close quietly */
	TK_HEAD,		/* head incomplete: 408 */
	TK_BODY,		/* body incomplete: 408 */
	TK_WRITE		/* output stuck: close */
};

enum http_scan {
	SCAN_NONE,		/* nothing of ours to check */
	SCAN_HEAD,		/* in a head: no obs-fold */
	SCAN_CHUNKED		/* in chunked framing: lines end with CRLF */
};

enum http_hdr {
	HDR_OTHER,
	HDR_CONTENT_LENGTH,
	HDR_TRANSFER_ENCODING,
	HDR_EXPECT,
	HDR_TRACEPARENT,
	HDR_AUTHORIZATION,
	HDR_USER_AGENT
};

struct http_req {
	struct http_request	 rq_pub;	/* first: what the router sees */
	TAILQ_ENTRY(http_req)	 rq_entry;
	enum http_rstate	 rq_state;
	int			 rq_close;	/* close after its response */
	int			 rq_keepalive10; /* HTTP/1.0 keep-alive */
	int			 rq_nobody;	/* HEAD: no response body */
	int			 rq_continue;	/* 100 Continue still owed */
	int			 rq_queued;	/* response is in hc_out */
	int			 rq_has_trace;
	int			 rq_has_auth;
	int			 rq_has_agent;
	struct buf		 rq_url;
	struct buf		 rq_body;
	struct buf		 rq_trace;
	struct buf		 rq_auth;
	struct buf		 rq_agent;	/* User-Agent, cut */
	struct buf		 rq_resp;	/* response waiting for its turn */
};
TAILQ_HEAD(http_reqs, http_req);

struct http_conn {
	TAILQ_ENTRY(http_conn)	 hc_entry;
	TAILQ_ENTRY(http_conn)	 hc_dentry;	/* in http.dirty */
	int			 hc_dirty;
	int			 hc_fd;
	char			 hc_addr[64];	/* the client's, for the log */
	ev_io			 hc_rio;
	ev_io			 hc_wio;
	ev_timer		 hc_timer;
	enum http_tkind		 hc_tkind;
	unsigned long		 hc_tseq;	/* hc_seq when the timer was set */
	unsigned long		 hc_seq;	/* bumped at each head and body */
	unsigned long		 hc_wseq;	/* bumped when output moves */
	http_parser		 hc_parser;
	struct http_reqs	 hc_reqs;	/* request order */
	size_t			 hc_nreqs;
	struct http_req		*hc_cur;	/* being parsed, or NULL */
	struct buf		 hc_out;
	int			 hc_err;	/* status for a framing error */
	const char		*hc_errmsg;	/* its message, or NULL */
	int			 hc_served;	/* a request was seen */
	int			 hc_rdone;	/* read no further requests */
	int			 hc_eof;	/* the client sent FIN */
	int			 hc_close;	/* close once hc_out is sent */
	int			 hc_broken;	/* close at the next chance */
	int			 hc_dying;
	int			 hc_linger;	/* answered, draining input */
	void			*hc_ssl;	/* TLS session, or NULL */
	int			 hc_rwant_w;	/* TLS read waits for writable */
	int			 hc_wwant_r;	/* TLS write waits for readable */
	int			 hc_sniff;	/* may still be an HTTP/2 preface */
	int			 hc_alpn;	/* TLS: ALPN may still say h2 */
	struct buf		 hc_pre;	/* bytes held while sniffing */
	/* our framing checks over the buffer being parsed */
	const char		*hc_end;
	const char		*hc_scan;	/* next byte to check */
	enum http_scan		 hc_scanning;
	int			 hc_lf;		/* last byte a line end */
	int			 hc_cr;		/* last byte CR */
	/* the head being parsed */
	size_t			 hc_head_bytes;
	size_t			 hc_nheaders;
	int			 hc_in_value;
	enum http_hdr		 hc_hdr;
	int			 hc_hdr_dup;	/* second of its kind */
	char			 hc_field[24];
	size_t			 hc_field_len;
	char			 hc_expect[24];
	size_t			 hc_expect_len;
	char			 hc_te[24];	/* the Transfer-Encoding value */
	size_t			 hc_te_len;
	int			 hc_ncl;
	int			 hc_nte;
	int			 hc_nexpect;
};
TAILQ_HEAD(http_conns, http_conn);

static struct {
	struct ev_loop		*loop;
	struct limits_conf	 limits;
	struct http_conns	 conns;
	struct http_conns	 dirty;		/* output to write this turn */
	ev_prepare		 flush;
	size_t			 nconns;
	size_t			 nh2;		/* handed to the HTTP/2 handler */
	http_h2_take_fn		*take_h2;
	http_request_fn		*dispatch;	/* the router's */
	http_request_fn		*abort;
	size_t			 pending;	/* dispatched, unanswered */
	int			 draining;	/* http_stop_accepting() ran */
	struct http_req		*spare[HTTP_REQ_CACHE];
	size_t			 nspare;
	uint32_t		 id_prefix;
	unsigned long long	 id_counter;
	time_t			 date_when;
	char			 date[64];
	char			 rbuf[HTTP_READ_SIZE];
} http;

static int	 http_on_message_begin(http_parser *);
static int	 http_on_url(http_parser *, const char *, size_t);
static int	 http_on_header_field(http_parser *, const char *, size_t);
static int	 http_on_header_value(http_parser *, const char *, size_t);
static int	 http_on_headers_complete(http_parser *);
static int	 http_on_body(http_parser *, const char *, size_t);
static int	 http_on_message_complete(http_parser *);
static void	 http_conn_close(struct http_conn *);
static void	 http_conn_flush(struct http_conn *);
static void	 http_conn_write(struct http_conn *);
static void	 http_accept_update(void);

static const http_parser_settings http_settings = {
	.on_message_begin = http_on_message_begin,
	.on_url = http_on_url,
	.on_header_field = http_on_header_field,
	.on_header_value = http_on_header_value,
	.on_headers_complete = http_on_headers_complete,
	.on_body = http_on_body,
	.on_message_complete = http_on_message_complete
};

const char *
http_status_text(int status)
{
	const char	*s;

	s = http_status_str((enum http_status)status);
	if (s == NULL || *s == '<')
		return "Unknown";
	return s;
}

static const char *
http_error_code(int status)
{
	switch (status) {
	case 408:
		return "REQUEST_TIMEOUT";
	case 413:
		return "PAYLOAD_TOO_LARGE";
	case 414:
		return "URI_TOO_LONG";
	case 431:
		return "HEADERS_TOO_LARGE";
	default:
		return "BAD_REQUEST";
	}
}

/* Builds {"error":{"code":...,"message":...}}; the caller frees it. */
static char *
http_error_body(const char *code, const char *message)
{
	json_t	*j;
	char	*s;

	j = json_pack("{s:{s:s,s:s}}", "error", "code", code ? code : "",
	    "message", message ? message : "");
	if (j == NULL)		/* not UTF-8: keep the code at least */
		j = json_pack("{s:{s:s,s:s}}", "error", "code", "INTERNAL",
		    "message", "unprintable error");
	if (j == NULL)
		return NULL;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

/* Drops a buffer's contents, and its memory when it grew large. */
static void
http_buf_recycle(struct buf *b)
{
	if (b->buf_cap > HTTP_KEEP_BUF)
		buf_release(b);
	else
		buf_reset(b);
}

static void
http_req_free(struct http_req *r)
{
	if (r == NULL)
		return;
	if (http.nspare < HTTP_REQ_CACHE) {
		http_buf_recycle(&r->rq_url);
		http_buf_recycle(&r->rq_body);
		http_buf_recycle(&r->rq_trace);
		http_buf_recycle(&r->rq_auth);
		http_buf_recycle(&r->rq_agent);
		http_buf_recycle(&r->rq_resp);
		http.spare[http.nspare++] = r;
		return;
	}
	buf_release(&r->rq_url);
	buf_release(&r->rq_body);
	buf_release(&r->rq_trace);
	buf_release(&r->rq_auth);
	buf_release(&r->rq_agent);
	buf_release(&r->rq_resp);
	free(r);
}

/* Starts a request at the end of the connection's queue. */
/* The request id: the process's 8 hex digits, then 12 of the counter. */
static void
http_request_id(char id[24], uint32_t prefix, unsigned long long n)
{
	static const char	 hex[] = "0123456789abcdef";
	int			 i;

	for (i = 7; i >= 0; i--, prefix >>= 4)
		id[i] = hex[prefix & 0xf];
	for (i = 19; i >= 8; i--, n >>= 4)
		id[i] = hex[n & 0xf];
	id[20] = '\0';
}

static struct http_req *
http_req_new(struct http_conn *c)
{
	struct http_req	*r;
	struct buf	 keep[6];

	if (http.nspare > 0) {
		r = http.spare[--http.nspare];
		keep[0] = r->rq_url;
		keep[1] = r->rq_body;
		keep[2] = r->rq_trace;
		keep[3] = r->rq_auth;
		keep[4] = r->rq_resp;
		keep[5] = r->rq_agent;
		memset(r, 0, sizeof(*r));
		r->rq_url = keep[0];
		r->rq_body = keep[1];
		r->rq_trace = keep[2];
		r->rq_auth = keep[3];
		r->rq_resp = keep[4];
		r->rq_agent = keep[5];
	} else if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->rq_state = RS_HEAD;
	r->rq_pub.req_conn = c;
	r->rq_pub.req_method = -1;
	r->rq_pub.req_method_name = "-";
	r->rq_pub.req_path = NULL;
	r->rq_pub.req_start = ev_now(http.loop);
	http_request_id(r->rq_pub.req_id, http.id_prefix, ++http.id_counter);
	TAILQ_INSERT_TAIL(&c->hc_reqs, r, rq_entry);
	c->hc_nreqs++;
	return r;
}

static void
http_req_remove(struct http_conn *c, struct http_req *r)
{
	TAILQ_REMOVE(&c->hc_reqs, r, rq_entry);
	c->hc_nreqs--;
	if (c->hc_cur == r)
		c->hc_cur = NULL;
	http_req_free(r);
}

/* NUL-terminates a captured string; NULL when there is none. */
static char *
http_buf_str(struct buf *b, size_t *lenp)
{
	if (lenp != NULL)
		*lenp = b->buf_len;
	if (b->buf_len == 0 && lenp != NULL)
		return NULL;
	if (buf_append(b, "", 1) == -1)
		return NULL;
	b->buf_len--;
	return b->buf_data;
}

/* Trims trailing blanks of a header value, then NUL-terminates it. */
static char *
http_buf_value(struct buf *b, int present)
{
	if (!present)
		return NULL;
	while (b->buf_len > 0 && (b->buf_data[b->buf_len - 1] == ' ' ||
	    b->buf_data[b->buf_len - 1] == '\t'))
		b->buf_len--;
	return http_buf_str(b, NULL);
}

/* Splits the target into path and query for the router and the log. */
static void
http_req_target(struct http_req *r)
{
	struct http_request	*q = &r->rq_pub;
	char			*s, *p;

	if (r->rq_url.buf_len > NP_MAX_URL_BYTES ||
	    (s = http_buf_str(&r->rq_url, NULL)) == NULL) {
		q->req_path = NULL;
		return;
	}
	/* absolute-form (RFC 9112 3.2.2): routed on its path */
	if (*s != '/' && (p = strstr(s, "://")) != NULL &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789+-.") == (size_t)(p - s) && p > s) {
		p += 3;
		p += strcspn(p, "/?#");
		if (*p == '/')
			s = p;
		else {
			/* no path: "/", written over the authority's end */
			s = p - 1;
			*s = '/';
		}
	}
	q->req_path = s;
	q->req_query = NULL;
	if ((p = strchr(s, '?')) != NULL) {
		*p = '\0';
		q->req_query = p + 1;
	}
	q->req_path_len = strlen(s);
}

static const char *
http_date(void)
{
	time_t		 now = (time_t)ev_now(http.loop);
	struct tm	 tm;

	if (now != http.date_when || http.date[0] == '\0') {
		http.date_when = now;
		if (gmtime_r(&now, &tm) == NULL ||
		    strftime(http.date, sizeof(http.date),
		    "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm) == 0)
			http.date[0] = '\0';
	}
	return http.date;
}

/* Does a block of "Name: value\r\n" lines contain the named header? */
static int
http_has_header(const char *lines, const char *name)
{
	size_t		 n = strlen(name);
	const char	*p = lines;

	while (p != NULL && *p != '\0') {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			return 1;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return 0;
}

/* Formats a response; it goes out now if the request heads the queue. */
static void
http_req_answer(struct http_req *r, int status, const char *extra,
    const char *body, size_t len)
{
	struct http_conn	*c = r->rq_pub.req_conn;
	struct log_access	 la;
	struct buf		*b;
	size_t			 start;
	int			 rc = 0;

	if (http.draining && c->hc_cur == NULL &&
	    TAILQ_NEXT(r, rq_entry) == NULL) {
		r->rq_close = 1;
		c->hc_rdone = 1;
	}
	if (body == NULL)
		len = 0;
	b = TAILQ_FIRST(&c->hc_reqs) == r && !c->hc_close ? &c->hc_out :
	    &r->rq_resp;
	start = b->buf_len;
	/* Written piece by piece: printf would cost more than the rest. */
	rc |= buf_puts(b, "HTTP/1.1 ");
	rc |= buf_put_uint(b, (unsigned)status, 0);
	rc |= buf_puts(b, " ");
	rc |= buf_puts(b, http_status_text(status));
	rc |= buf_puts(b, "\r\n");
	rc |= buf_puts(b, http_date());
	if (extra == NULL || !http_has_header(extra, "content-type"))
		rc |= buf_puts(b, "Content-Type: application/json\r\n");
	rc |= buf_puts(b, "Content-Length: ");
	rc |= buf_put_uint(b, len, 0);
	rc |= buf_puts(b, "\r\n");
	if (r->rq_close)
		rc |= buf_puts(b, "Connection: close\r\n");
	else if (r->rq_keepalive10)
		rc |= buf_puts(b, "Connection: keep-alive\r\n");
	if (extra != NULL)
		rc |= buf_append(b, extra, strlen(extra));
	rc |= buf_append(b, "\r\n", 2);
	if (!r->rq_nobody)
		rc |= buf_append(b, body, len);
	if (rc != 0) {
		b->buf_len = start;
		c->hc_broken = 1;
	}
	r->rq_state = RS_DONE;
	r->rq_queued = b == &c->hc_out;
	metrics_http(r->rq_pub.req_route[0] ? r->rq_pub.req_route : NULL,
	    status);
	memset(&la, 0, sizeof(la));
	la.la_method = r->rq_pub.req_method_name;
	la.la_path = r->rq_pub.req_path ? r->rq_pub.req_path : "-";
	la.la_reqid = r->rq_pub.req_id;
	la.la_status = status;
	la.la_bytes = len;
	/* the real time: ev_now() is when this loop turn began */
	la.la_seconds = ev_time() - r->rq_pub.req_start;
	if (la.la_seconds < 0)
		la.la_seconds = 0;
	la.la_addr = c->hc_addr[0] ? c->hc_addr : NULL;
	la.la_agent = http_buf_value(&r->rq_agent, r->rq_has_agent);
	la.la_plugin = r->rq_pub.req_plugin[0] ? r->rq_pub.req_plugin : NULL;
	log_access_full(&la);
	http_conn_flush(c);
}

static void
http_req_answer_error(struct http_req *r, int status, const char *message)
{
	char	*body;

	body = http_error_body(http_error_code(status), message);
	http_req_answer(r, status, NULL, body, body ? strlen(body) : 0);
	free(body);
}

void
http_respond(struct http_request *req, int status, const char *extra,
    const char *body, size_t len)
{
	struct http_req	*r = (struct http_req *)req;

	if (r == NULL || r->rq_state != RS_ROUTER || req->req_conn == NULL) {
		log_warnx("http_respond: request %s is not waiting for an "
		    "answer", r ? req->req_id : "(null)");
		return;
	}
	http.pending--;
	http_req_answer(r, status, extra, body, len);
}

void
http_respond_error(struct http_request *req, int status, const char *code,
    const char *message, const char *extra)
{
	char	*body;

	body = http_error_body(code, message);
	http_respond(req, status, extra, body, body ? strlen(body) : 0);
	free(body);
}

static void
http_conn_update_read(struct http_conn *c)
{
	int	 want;

	want = (!c->hc_rdone && !c->hc_eof && !c->hc_close && !c->hc_dying &&
	    !c->hc_broken && c->hc_nreqs < HTTP_MAX_PIPELINE &&
	    buf_pending(&c->hc_out) < HTTP_MAX_OUTPUT) || c->hc_linger ||
	    (c->hc_wwant_r && !c->hc_dying);
	if (want && !ev_is_active(&c->hc_rio))
		ev_io_start(http.loop, &c->hc_rio);
	else if (!want && ev_is_active(&c->hc_rio))
		ev_io_stop(http.loop, &c->hc_rio);
}

/* Moves answered responses from the queue's head to the output buffer. */
static void
http_conn_flush(struct http_conn *c)
{
	struct http_req	*r;

	if (c->hc_dying)
		return;
	while ((r = TAILQ_FIRST(&c->hc_reqs)) != NULL) {
		if (r->rq_state == RS_DONE) {
			if (!r->rq_queued && buf_append(&c->hc_out,
			    r->rq_resp.buf_data, r->rq_resp.buf_len) == -1)
				c->hc_broken = 1;
			if (r->rq_close)
				c->hc_close = 1;
			http_req_remove(c, r);
			if (c->hc_close)
				break;
			continue;
		}
		if (r->rq_continue && r == c->hc_cur) {
			r->rq_continue = 0;
			if (buf_append(&c->hc_out, HTTP_CONTINUE,
			    strlen(HTTP_CONTINUE)) == -1)
				c->hc_broken = 1;
		}
		break;
	}
	/*
	 * Written before the loop next waits, with every other answer of
	 * this turn: no write watcher, no extra wake-up, unless the socket
	 * is full.
	 */
	if ((buf_pending(&c->hc_out) > 0 || c->hc_broken) &&
	    !ev_is_active(&c->hc_wio) && !c->hc_dirty) {
		c->hc_dirty = 1;
		TAILQ_INSERT_TAIL(&http.dirty, c, hc_dentry);
	}
	http_conn_update_read(c);
}

static void
http_flush_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	struct http_conn	*c;

	(void)loop;
	(void)p;
	(void)revents;
	while ((c = TAILQ_FIRST(&http.dirty)) != NULL) {
		TAILQ_REMOVE(&http.dirty, c, hc_dentry);
		c->hc_dirty = 0;
		http_conn_write(c);
	}
}

/* Arms the connection's one timer for what it is waiting for now. */
static void
http_conn_timer(struct http_conn *c)
{
	enum http_tkind	 kind;
	unsigned long	 seq;
	double		 secs = 0;

	if (c->hc_cur != NULL)
		kind = c->hc_cur->rq_state == RS_HEAD ? TK_HEAD : TK_BODY;
	else if (buf_pending(&c->hc_out) > 0)
		kind = TK_WRITE;
	else if (!TAILQ_EMPTY(&c->hc_reqs))
		kind = TK_NONE;
	else
		kind = TK_IDLE;
	seq = kind == TK_WRITE ? c->hc_wseq : c->hc_seq;
	if (kind == c->hc_tkind && c->hc_tseq == seq)
		return;
	c->hc_tkind = kind;
	c->hc_tseq = seq;
	switch (kind) {
	case TK_HEAD:
		secs = http.limits.header_timeout;
		break;
	case TK_BODY:
		secs = http.limits.body_timeout;
		break;
	case TK_IDLE:
		secs = c->hc_served ? http.limits.idle_timeout :
		    http.limits.header_timeout;
		break;
	case TK_WRITE:
		secs = http.limits.idle_timeout;
		break;
	case TK_NONE:
		break;
	}
	ev_timer_stop(http.loop, &c->hc_timer);
	if (kind != TK_NONE && secs > 0) {
		ev_timer_set(&c->hc_timer, secs, 0.);
		ev_timer_start(http.loop, &c->hc_timer);
	}
}

/*
 * Ends reading on a framing error: the request being parsed (or a new one
 * standing for the bytes that made no request) is answered with the error,
 * in its turn, and the connection closes once that is written.
 */
static int
http_conn_fail(struct http_conn *c, int status, const char *message)
{
	struct http_req	*r;

	if ((r = c->hc_cur) == NULL && (r = http_req_new(c)) == NULL)
		return -1;
	c->hc_cur = NULL;
	c->hc_rdone = 1;
	r->rq_close = 1;
	r->rq_continue = 0;
	r->rq_state = RS_HEAD;
	http_req_target(r);
	http_req_answer_error(r, status, message);
	return 0;
}

/* Closes the connection if nothing is left to do on it; 1 if closed. */
static int
http_conn_check(struct http_conn *c)
{
	if (c->hc_linger)
		return 0;
	if (c->hc_broken || (buf_pending(&c->hc_out) == 0 && (c->hc_close ||
	    ((c->hc_eof || c->hc_rdone) && TAILQ_EMPTY(&c->hc_reqs))))) {
		/*
		 * Closing with unread input would reset the connection and
		 * could destroy the answer just sent (a 413 or 431 for a
		 * client still sending): stop writing, drain a while, close.
		 */
		if (!c->hc_broken && !c->hc_eof && c->hc_ssl == NULL &&
		    TAILQ_EMPTY(&c->hc_reqs) && !http.draining &&
		    shutdown(c->hc_fd, SHUT_WR) == 0) {
			c->hc_linger = 1;
			c->hc_tkind = TK_IDLE;
			ev_timer_stop(http.loop, &c->hc_timer);
			ev_timer_set(&c->hc_timer, HTTP_LINGER, 0.);
			ev_timer_start(http.loop, &c->hc_timer);
			http_conn_update_read(c);
			return 0;
		}
		http_conn_close(c);
		return 1;
	}
	http_conn_update_read(c);
	http_conn_timer(c);
	return 0;
}

static struct http_conn *
http_conn_of(http_parser *p)
{
	return p->data;
}

/*
 * Our framing rules over the bytes http_parser does not hand us (between
 * the target, the header names and values, and the chunk data): no
 * obs-fold in a head (a line end followed by a blank), and every line of
 * chunked framing ended by CRLF.  Checks the buffer up to `to`; with
 * find_end, stops after the blank line that ends the head or the trailers
 * and returns 1.  -1 on a violation, with the 400 set.
 */
static int
http_scan(struct http_conn *c, const char *to, int find_end)
{
	const char	*p;

	for (p = c->hc_scan; p < to; p++) {
		if (*p == '\n') {
			if (c->hc_scanning == SCAN_CHUNKED && !c->hc_cr) {
				c->hc_errmsg = "chunked framing line ended "
				    "by a bare LF";
				goto fail;
			}
			if (find_end && c->hc_lf) {
				c->hc_scan = p + 1;
				c->hc_lf = c->hc_cr = 0;
				return 1;
			}
			c->hc_lf = 1;
		} else if ((*p == ' ' || *p == '\t') && c->hc_lf &&
		    c->hc_scanning == SCAN_HEAD) {
			c->hc_errmsg = "obs-fold: a header line continued on "
			    "the next line";
			goto fail;
		} else if (*p != '\r')
			c->hc_lf = 0;
		c->hc_cr = *p == '\r';
	}
	c->hc_scan = to;
	return 0;
 fail:
	c->hc_err = 400;
	return -1;
}

/* Checks the bytes before a piece the parser hands us, and its first. */
static int
http_scan_piece(struct http_conn *c, const char *at, size_t len)
{
	if (c->hc_scanning == SCAN_NONE)
		return 0;
	if (http_scan(c, len > 0 ? at + 1 : at, 0) == -1)
		return -1;
	c->hc_scan = at + len;
	c->hc_lf = c->hc_cr = 0;
	return 0;
}

static int
http_on_message_begin(http_parser *p)
{
	struct http_conn	*c = http_conn_of(p);
	struct http_req		*r;

	if ((r = http_req_new(c)) == NULL) {
		c->hc_broken = 1;
		return -1;
	}
	c->hc_cur = r;
	c->hc_served = 1;
	c->hc_seq++;
	c->hc_head_bytes = HTTP_HEAD_SLACK;
	c->hc_nheaders = 0;
	c->hc_in_value = 0;
	c->hc_hdr = HDR_OTHER;
	c->hc_field_len = 0;
	c->hc_expect_len = 0;
	c->hc_te_len = 0;
	c->hc_ncl = c->hc_nte = c->hc_nexpect = 0;
	c->hc_scanning = SCAN_NONE;
	return 0;
}

static int
http_head_grow(struct http_conn *c, size_t len)
{
	c->hc_head_bytes += len;
	if (c->hc_head_bytes > http.limits.max_header_bytes) {
		c->hc_err = 431;
		return -1;
	}
	return 0;
}

static int
http_on_url(http_parser *p, const char *at, size_t len)
{
	struct http_conn	*c = http_conn_of(p);
	struct http_req		*r = c->hc_cur;

	if (r == NULL)
		return -1;
	r->rq_pub.req_method = p->method;
	r->rq_pub.req_method_name = http_method_str(p->method);
	if (r->rq_url.buf_len + len > NP_MAX_URL_BYTES) {
		c->hc_err = 414;
		return -1;
	}
	if (buf_append(&r->rq_url, at, len) == -1) {
		c->hc_broken = 1;
		return -1;
	}
	if (c->hc_scanning == SCAN_NONE) {
		c->hc_scanning = SCAN_HEAD;
		c->hc_lf = c->hc_cr = 0;
	}
	c->hc_scan = at + len;
	return http_head_grow(c, len);
}

/* Names the header whose field name is complete. */
static void
http_header_identify(struct http_conn *c)
{
	static const struct {
		const char	*name;
		enum http_hdr	 hdr;
	} known[] = {
		{ "content-length", HDR_CONTENT_LENGTH },
		{ "transfer-encoding", HDR_TRANSFER_ENCODING },
		{ "expect", HDR_EXPECT },
		{ "traceparent", HDR_TRACEPARENT },
		{ "authorization", HDR_AUTHORIZATION },
		{ "user-agent", HDR_USER_AGENT }
	};
	size_t	 i;

	c->hc_hdr = HDR_OTHER;
	c->hc_hdr_dup = 0;
	if (c->hc_field_len >= sizeof(c->hc_field))
		return;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strlen(known[i].name) == c->hc_field_len &&
		    strncasecmp(known[i].name, c->hc_field,
		    c->hc_field_len) == 0) {
			c->hc_hdr = known[i].hdr;
			break;
		}
	}
	switch (c->hc_hdr) {
	case HDR_CONTENT_LENGTH:
		c->hc_ncl++;
		break;
	case HDR_TRANSFER_ENCODING:
		c->hc_nte++;
		break;
	case HDR_EXPECT:
		c->hc_hdr_dup = c->hc_nexpect++ > 0;
		break;
	case HDR_TRACEPARENT:
		c->hc_hdr_dup = c->hc_cur->rq_has_trace;
		c->hc_cur->rq_has_trace = 1;
		break;
	case HDR_AUTHORIZATION:
		c->hc_hdr_dup = c->hc_cur->rq_has_auth;
		c->hc_cur->rq_has_auth = 1;
		break;
	case HDR_USER_AGENT:
		c->hc_hdr_dup = c->hc_cur->rq_has_agent;
		c->hc_cur->rq_has_agent = 1;
		break;
	case HDR_OTHER:
		break;
	}
}

static int
http_on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_conn	*c = http_conn_of(p);

	if (c->hc_cur == NULL || c->hc_cur->rq_state != RS_HEAD)
		return 0;	/* trailers of a chunked body: ignored */
	if (http_scan_piece(c, at, len) == -1)
		return -1;
	if (c->hc_in_value || c->hc_nheaders == 0) {
		c->hc_in_value = 0;
		c->hc_field_len = 0;
		if (++c->hc_nheaders > HTTP_MAX_HEADERS) {
			c->hc_err = 431;
			return -1;
		}
		if (http_head_grow(c, 4) == -1)
			return -1;
	}
	/* A blank in a name reads differently elsewhere: refuse it. */
	if (memchr(at, ' ', len) != NULL || memchr(at, '\t', len) != NULL) {
		c->hc_err = 400;
		return -1;
	}
	if (c->hc_field_len < sizeof(c->hc_field))
		memcpy(c->hc_field + c->hc_field_len, at,
		    len < sizeof(c->hc_field) - c->hc_field_len ? len :
		    sizeof(c->hc_field) - c->hc_field_len);
	c->hc_field_len += len;
	return http_head_grow(c, len);
}

static int
http_on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_conn	*c = http_conn_of(p);
	struct http_req		*r = c->hc_cur;
	struct buf		*b = NULL;

	if (r == NULL || r->rq_state != RS_HEAD)
		return 0;
	if (http_scan_piece(c, at, len) == -1)
		return -1;
	if (!c->hc_in_value) {
		c->hc_in_value = 1;
		http_header_identify(c);
	}
	if (http_head_grow(c, len) == -1)
		return -1;
	if (c->hc_hdr_dup)
		return 0;
	switch (c->hc_hdr) {
	case HDR_EXPECT:
		if (c->hc_expect_len < sizeof(c->hc_expect))
			memcpy(c->hc_expect + c->hc_expect_len, at,
			    len < sizeof(c->hc_expect) - c->hc_expect_len ?
			    len : sizeof(c->hc_expect) - c->hc_expect_len);
		c->hc_expect_len += len;
		return 0;
	case HDR_TRANSFER_ENCODING:
		if (c->hc_nte == 1 && c->hc_te_len < sizeof(c->hc_te))
			memcpy(c->hc_te + c->hc_te_len, at,
			    len < sizeof(c->hc_te) - c->hc_te_len ?
			    len : sizeof(c->hc_te) - c->hc_te_len);
		c->hc_te_len += len;
		return 0;
	case HDR_TRACEPARENT:
		b = &r->rq_trace;
		break;
	case HDR_AUTHORIZATION:
		b = &r->rq_auth;
		break;
	case HDR_USER_AGENT:
		if (r->rq_agent.buf_len >= HTTP_MAX_AGENT)
			return 0;
		if (len > HTTP_MAX_AGENT - r->rq_agent.buf_len)
			len = HTTP_MAX_AGENT - r->rq_agent.buf_len;
		b = &r->rq_agent;
		break;
	default:
		return 0;
	}
	if (buf_append(b, at, len) == -1) {
		c->hc_broken = 1;
		return -1;
	}
	return 0;
}

static int
http_expects_continue(struct http_conn *c)
{
	const char	*v = c->hc_expect;
	size_t		 n = c->hc_expect_len;

	if (n > sizeof(c->hc_expect))
		return 0;
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n == 12 && strncasecmp(v, "100-continue", 12) == 0;
}

/* Is the one Transfer-Encoding value exactly "chunked", blanks aside? */
static int
http_te_chunked(struct http_conn *c)
{
	const char	*v = c->hc_te;
	size_t		 n = c->hc_te_len;

	if (n > sizeof(c->hc_te))
		return 0;
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	return n == 7 && strncasecmp(v, "chunked", 7) == 0;
}

static int
http_on_headers_complete(http_parser *p)
{
	struct http_conn	*c = http_conn_of(p);
	struct http_req		*r = c->hc_cur;
	int			 chunked, haslen;

	if (r == NULL)
		return -1;
	if (!c->hc_in_value && c->hc_field_len > 0)
		http_header_identify(c);
	/* The head ends in this buffer: check its end, find the body. */
	if (c->hc_scanning == SCAN_HEAD &&
	    http_scan(c, c->hc_end, 1) != 1) {
		if (c->hc_err != 0)
			return -1;
		c->hc_scanning = SCAN_NONE;	/* cannot happen */
	}
	if (c->hc_nte > 1 || (c->hc_nte == 1 && !http_te_chunked(c))) {
		c->hc_err = 400;
		c->hc_errmsg = "Transfer-Encoding must be one field saying "
		    "chunked";
		return -1;
	}
	chunked = (p->flags & F_CHUNKED) != 0;
	haslen = (p->flags & F_CONTENTLENGTH) != 0;
	r->rq_pub.req_method = p->method;
	r->rq_pub.req_method_name = http_method_str(p->method);
	r->rq_nobody = p->method == HTTP_HEAD;
	if (p->http_major != 1 || c->hc_ncl > 1 || (c->hc_nte > 0 && (c->hc_ncl > 0 || !chunked ||
	    p->http_minor == 0)) || (chunked && haslen)) {
		c->hc_err = 400;
		return -1;
	}
	if (haslen && p->content_length > http.limits.max_body_bytes) {
		c->hc_err = 413;
		return -1;
	}
	if (c->hc_scanning == SCAN_HEAD) {
		c->hc_scanning = chunked ? SCAN_CHUNKED : SCAN_NONE;
		c->hc_lf = c->hc_cr = 0;
	}
	if (chunked || (haslen && p->content_length > 0)) {
		r->rq_state = RS_BODY;
		c->hc_seq++;
		if (haslen && buf_reserve(&r->rq_body,
		    (size_t)p->content_length + 1) == -1) {
			c->hc_broken = 1;
			return -1;
		}
		if (p->http_major == 1 && p->http_minor >= 1 &&
		    c->hc_nexpect > 0 && http_expects_continue(c)) {
			r->rq_continue = 1;
			http_conn_flush(c);
		}
	}
	return 0;
}

static int
http_on_body(http_parser *p, const char *at, size_t len)
{
	struct http_conn	*c = http_conn_of(p);
	struct http_req		*r = c->hc_cur;

	if (r == NULL)
		return -1;
	if (http_scan_piece(c, at, 0) == -1)
		return -1;
	c->hc_scan = at + len;
	r->rq_continue = 0;
	if (r->rq_body.buf_len + len > http.limits.max_body_bytes) {
		c->hc_err = 413;
		return -1;
	}
	if (buf_append(&r->rq_body, at, len) == -1) {
		c->hc_broken = 1;
		return -1;
	}
	return 0;
}

static int
http_on_message_complete(http_parser *p)
{
	struct http_conn	*c = http_conn_of(p);
	struct http_req		*r = c->hc_cur;
	struct http_request	*q;

	if (r == NULL)
		return -1;
	if (c->hc_scanning == SCAN_CHUNKED && http_scan(c, c->hc_end, 1) == -1)
		return -1;
	c->hc_scanning = SCAN_NONE;
	q = &r->rq_pub;
	http_req_target(r);
	if (q->req_path == NULL) {
		c->hc_broken = 1;
		return -1;
	}
	q->req_body = http_buf_str(&r->rq_body, &q->req_body_len);
	q->req_traceparent = http_buf_value(&r->rq_trace, r->rq_has_trace);
	q->req_authorization = http_buf_value(&r->rq_auth, r->rq_has_auth);
	q->req_user_agent = http_buf_value(&r->rq_agent, r->rq_has_agent);
	q->req_start = ev_now(http.loop);
	r->rq_continue = 0;
	if (!http_should_keep_alive(p) || p->upgrade) {
		r->rq_close = 1;
		c->hc_rdone = 1;
		http_parser_pause(p, 1);
	} else if (p->http_major == 1 && p->http_minor == 0)
		r->rq_keepalive10 = 1;
	r->rq_state = RS_ROUTER;
	c->hc_cur = NULL;
	c->hc_seq++;
	http.pending++;
	http.dispatch(q);	/* may answer, and free r, at once */
	return 0;
}

/* Feeds bytes to the parser; framing errors are answered here. */
static void
http_conn_parse(struct http_conn *c, const char *data, size_t len)
{
	enum http_errno	 e;
	int		 status;

	c->hc_err = 0;
	c->hc_errmsg = NULL;
	c->hc_scan = data;
	c->hc_end = data + len;
	http_parser_execute(&c->hc_parser, &http_settings, data, len);
	if (c->hc_broken)
		return;
	e = HTTP_PARSER_ERRNO(&c->hc_parser);
	if (e == HPE_OK || e == HPE_PAUSED) {
		if (c->hc_parser.upgrade && c->hc_cur == NULL)
			c->hc_rdone = 1;
		/* what the parser holds for later is checked now */
		if (c->hc_scanning == SCAN_NONE || c->hc_cur == NULL ||
		    http_scan(c, c->hc_end, 0) == 0)
			return;
	}
	if ((status = c->hc_err) == 0)
		status = e == HPE_HEADER_OVERFLOW ? 431 : 400;
	if (http_conn_fail(c, status, c->hc_errmsg != NULL ? c->hc_errmsg :
	    status == 400 ? http_errno_description(e) :
	    http_status_text(status)) == -1)
		c->hc_broken = 1;
}

static void
http_conn_eof(struct http_conn *c)
{
	c->hc_eof = 1;
	if (c->hc_cur != NULL)		/* an unfinished request: dropped */
		http_req_remove(c, c->hc_cur);
	http_conn_flush(c);
}

/*
 * Hands an HTTP/2 connection to the handler: our watchers and timer stop
 * and the connection is forgotten, but its fd and TLS session now belong
 * to the handler, which calls http_conn_released() when it closes them.
 */
static void
http_conn_h2(struct http_conn *c, const char *data, size_t len)
{
	struct buf	 pre = c->hc_pre;	/* data may point into it */
	void		*ssl = c->hc_ssl;
	int		 fd = c->hc_fd;

	if (c->hc_dirty)
		TAILQ_REMOVE(&http.dirty, c, hc_dentry);
	ev_io_stop(http.loop, &c->hc_rio);
	ev_io_stop(http.loop, &c->hc_wio);
	ev_timer_stop(http.loop, &c->hc_timer);
	buf_release(&c->hc_out);
	TAILQ_REMOVE(&http.conns, c, hc_entry);
	http.nconns--;
	http.nh2++;
	free(c);
	if (http.take_h2(http.loop, fd, ssl, data, len) == -1) {
		tls_conn_free(ssl);
		close(fd);
		http_conn_released();
	}
	buf_release(&pre);
}

/*
 * Holds the first bytes of a cleartext connection while they could be the
 * HTTP/2 preface; 1 if the connection was handed over.
 */
static int
http_conn_sniff(struct http_conn *c, const char *data, size_t len)
{
	if (c->hc_pre.buf_len > 0) {
		if (buf_append(&c->hc_pre, data, len) == -1) {
			c->hc_broken = 1;
			return 0;
		}
		data = c->hc_pre.buf_data;
		len = c->hc_pre.buf_len;
	}
	if (memcmp(data, HTTP_H2_PREFACE, len < HTTP_H2_PREFACE_LEN ? len :
	    HTTP_H2_PREFACE_LEN) != 0) {
		c->hc_sniff = 0;
		http_conn_parse(c, data, len);
		buf_release(&c->hc_pre);
		return 0;
	}
	if (len >= HTTP_H2_PREFACE_LEN) {
		http_conn_h2(c, data, len);
		return 1;
	}
	if (c->hc_pre.buf_len == 0 && buf_append(&c->hc_pre, data, len) == -1)
		c->hc_broken = 1;
	return 0;
}

/* Takes bytes read (none: only a TLS handshake moved); 1 if handed over. */
static int
http_conn_take(struct http_conn *c, const char *data, size_t len)
{
	const char	*proto;

	if (c->hc_alpn) {
		proto = tls_alpn(c->hc_ssl);
		if (proto != NULL || len > 0)
			c->hc_alpn = 0;		/* the handshake is over */
		if (proto != NULL && strcmp(proto, "h2") == 0) {
			http_conn_h2(c, data, len);
			return 1;
		}
	}
	if (len == 0)
		return 0;
	if (c->hc_sniff)
		return http_conn_sniff(c, data, len);
	http_conn_parse(c, data, len);
	return 0;
}

static void
http_conn_read(struct http_conn *c)
{
	ssize_t	 n;
	int	 rounds = 0;

	/*
	 * One read per wakeup (TLS: and the rest of a record it decrypted),
	 * so that a client sending without pause cannot hold the loop.
	 */
	if (c->hc_linger) {
		/* Drain what the client still sends; close at its EOF. */
		while ((n = recv(c->hc_fd, http.rbuf, sizeof(http.rbuf), 0)) >
		    0)
			if (++rounds == HTTP_LINGER_ROUNDS)
				return;		/* more at the next wakeup */
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR))
			http_conn_close(c);
		return;
	}
	if (c->hc_wwant_r) {
		http_conn_write(c);
		return;
	}
	do {
		n = tls_read(c->hc_fd, c->hc_ssl, http.rbuf,
		    sizeof(http.rbuf), &c->hc_rwant_w);
		if (c->hc_rwant_w && !ev_is_active(&c->hc_wio))
			ev_io_start(http.loop, &c->hc_wio);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR) {
				if (c->hc_alpn && http_conn_take(c, NULL, 0))
					return;
				break;
			}
			if (errno != ECONNRESET)
				log_debug("http: read: %s", strerror(errno));
			http_conn_close(c);
			return;
		}
		if (n == 0) {
			if (c->hc_sniff && c->hc_pre.buf_len > 0) {
				/* a preface's start, then EOF: not HTTP/2 */
				c->hc_sniff = 0;
				http_conn_parse(c, c->hc_pre.buf_data,
				    c->hc_pre.buf_len);
				buf_release(&c->hc_pre);
			}
			c->hc_sniff = 0;
			http_conn_eof(c);
			break;
		}
		if (http_conn_take(c, http.rbuf, (size_t)n))
			return;
		/* TLS may hold decrypted bytes the socket will not signal. */
	} while (c->hc_ssl != NULL && !c->hc_broken && !c->hc_rdone &&
	    tls_pending(c->hc_ssl) > 0);
	http_conn_check(c);
}

static void
http_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	http_conn_read(w->data);
}

static void
http_conn_write(struct http_conn *c)
{
	struct buf		*b = &c->hc_out;
	ssize_t			 n;
	int			 progress = 0;

	while (!c->hc_broken && buf_pending(b) > 0) {
		n = tls_write(c->hc_fd, c->hc_ssl, b->buf_data + b->buf_off,
		    buf_pending(b), &c->hc_wwant_r);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno != EPIPE && errno != ECONNRESET)
				log_debug("http: write: %s", strerror(errno));
			http_conn_close(c);
			return;
		}
		buf_consume(b, (size_t)n);
		progress = 1;
	}
	if (buf_pending(b) == 0 && !c->hc_rwant_w)
		ev_io_stop(http.loop, &c->hc_wio);
	else if (buf_pending(b) > 0 && !ev_is_active(&c->hc_wio))
		ev_io_start(http.loop, &c->hc_wio);	/* the socket is full */
	if (progress)
		c->hc_wseq++;	/* output moved: the write timer restarts */
	http_conn_check(c);
}

static void
http_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct http_conn	*c = w->data;

	(void)loop;
	(void)revents;
	if (c->hc_rwant_w) {
		/* A TLS read was waiting for this: go on reading. */
		c->hc_rwant_w = 0;
		if (buf_pending(&c->hc_out) == 0)
			ev_io_stop(http.loop, &c->hc_wio);
		http_conn_read(c);
		return;
	}
	http_conn_write(c);
}

static void
http_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct http_conn	*c = w->data;

	(void)loop;
	(void)revents;
	switch (c->hc_tkind) {
	case TK_HEAD:
	case TK_BODY:
		c->hc_tkind = TK_NONE;
		if (http_conn_fail(c, 408, "request not received in time") ==
		    -1)
			c->hc_broken = 1;
		http_conn_check(c);
		break;
	case TK_IDLE:
	case TK_WRITE:
	case TK_NONE:
		http_conn_close(c);
		break;
	}
}

static void
http_conn_close(struct http_conn *c)
{
	struct http_req	*r;

	c->hc_dying = 1;
	if (c->hc_dirty) {
		TAILQ_REMOVE(&http.dirty, c, hc_dentry);
		c->hc_dirty = 0;
	}
	ev_io_stop(http.loop, &c->hc_rio);
	ev_io_stop(http.loop, &c->hc_wio);
	ev_timer_stop(http.loop, &c->hc_timer);
	tls_conn_free(c->hc_ssl);
	close(c->hc_fd);
	while ((r = TAILQ_FIRST(&c->hc_reqs)) != NULL) {
		TAILQ_REMOVE(&c->hc_reqs, r, rq_entry);
		c->hc_nreqs--;
		if (r->rq_state == RS_ROUTER) {
			http.pending--;
			r->rq_pub.req_conn = NULL;
			r->rq_state = RS_DONE;
			http.abort(&r->rq_pub);
		}
		http_req_free(r);
	}
	buf_release(&c->hc_out);
	buf_release(&c->hc_pre);
	TAILQ_REMOVE(&http.conns, c, hc_entry);
	http.nconns--;
	free(c);
	http_accept_update();
}

/* Pauses accept (listen.c) while max_connections are open. */
static void
http_accept_update(void)
{
	if (http.loop != NULL)
		listen_set_full(http.nconns + http.nh2 >=
		    (size_t)http.limits.max_connections);
}

/* The client's address as "ip:port" ("[ip6]:port"), for the access log. */
static void
http_conn_addr(struct http_conn *c)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 ip[INET6_ADDRSTRLEN];

	c->hc_addr[0] = '\0';
	if (getpeername(c->hc_fd, (struct sockaddr *)&ss, &sl) == -1)
		return;
	if (ss.ss_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip,
	    sizeof(ip)) != NULL)
		snprintf(c->hc_addr, sizeof(c->hc_addr), "%s:%u", ip,
		    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	else if (ss.ss_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip,
	    sizeof(ip)) != NULL)
		snprintf(c->hc_addr, sizeof(c->hc_addr), "[%s]:%u", ip,
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
}

/* Takes an accepted socket (listen.c's accept function). */
static int
http_conn_new(int fd)
{
	struct http_conn	*c;
	int			 one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		log_debug("http: TCP_NODELAY: %s", strerror(errno));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	if (tls_enabled() && (c->hc_ssl = tls_conn_new(fd)) == NULL) {
		free(c);
		return -1;
	}
	c->hc_fd = fd;
	http_conn_addr(c);
	c->hc_sniff = http.take_h2 != NULL && c->hc_ssl == NULL;
	c->hc_alpn = http.take_h2 != NULL && c->hc_ssl != NULL;
	TAILQ_INIT(&c->hc_reqs);
	http_parser_init(&c->hc_parser, HTTP_REQUEST);
	c->hc_parser.data = c;
	ev_io_init(&c->hc_rio, http_read_cb, fd, EV_READ);
	c->hc_rio.data = c;
	ev_io_init(&c->hc_wio, http_write_cb, fd, EV_WRITE);
	c->hc_wio.data = c;
	ev_init(&c->hc_timer, http_timer_cb);
	c->hc_timer.data = c;
	c->hc_tkind = TK_NONE;
	TAILQ_INSERT_TAIL(&http.conns, c, hc_entry);
	http.nconns++;
	http_accept_update();
	http_conn_update_read(c);
	http_conn_timer(c);
	return 0;
}

int
http_init(struct ev_loop *loop, const struct limits_conf *limits)
{
	uint32_t	 r;

	http.loop = loop;
	TAILQ_INIT(&http.conns);
	TAILQ_INIT(&http.dirty);
	ev_prepare_init(&http.flush, http_flush_cb);
	ev_prepare_start(loop, &http.flush);
	ev_unref(loop);		/* pending output alone keeps nothing alive */
	http.nconns = http.pending = http.nh2 = 0;
	http.draining = 0;
	listen_init(loop, http_conn_new);
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)getpid() ^ (uint32_t)time(NULL);
	http.id_prefix = r;
	http_set_limits(limits);
	return 0;
}

void
http_set_limits(const struct limits_conf *limits)
{
	size_t	 max;

	http.limits = *limits;
	/* The parser's own limit is a backstop behind ours. */
	max = limits->max_header_bytes * 2 + NP_MAX_URL_BYTES + 4096;
	http_parser_set_max_header_size(max > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)max);
	http_accept_update();
}

/*
 * Closes the listeners and starts draining: idle connections close now,
 * the others read no further requests and close once answered.
 */
void
http_stop_accepting(void)
{
	struct http_conn	*c, *next;

	if (http.loop == NULL)
		return;
	listen_close();
	http.draining = 1;
	for (c = TAILQ_FIRST(&http.conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, hc_entry);
		c->hc_rdone = 1;
		if (c->hc_cur != NULL)
			http_req_remove(c, c->hc_cur);
		http_conn_check(c);
	}
}

size_t
http_requests_pending(void)
{
	return http.pending;
}

/* Open client connections, the ones handed to HTTP/2 included. */
size_t
http_connections(void)
{
	return http.nconns + http.nh2;
}

/*
 * With a handler, a cleartext connection that starts with the HTTP/2
 * preface and a TLS one whose ALPN says "h2" go to it (NULL: none; the
 * preface then answers 400).
 */
/*
 * Where complete requests go (the router), and who hears that a client
 * left before its answer: set once, before the first connection.
 */
void
http_set_router(http_request_fn *dispatch, http_request_fn *abort)
{
	http.dispatch = dispatch;
	http.abort = abort;
}

void
http_set_h2(http_h2_take_fn *fn)
{
	http.take_h2 = fn;
	tls_set_h2(fn != NULL);
}

/* The HTTP/2 handler closed a connection it was handed. */
void
http_conn_released(void)
{
	if (http.nh2 > 0)
		http.nh2--;
	http_accept_update();
}

void
http_shutdown(void)
{
	struct http_conn	*c;

	if (http.loop == NULL)
		return;
	http_stop_accepting();
	while ((c = TAILQ_FIRST(&http.conns)) != NULL)
		http_conn_close(c);
	while (http.nspare > 0) {
		http.nspare--;
		http.spare[http.nspare]->rq_pub.req_conn = NULL;
		buf_release(&http.spare[http.nspare]->rq_url);
		buf_release(&http.spare[http.nspare]->rq_body);
		buf_release(&http.spare[http.nspare]->rq_trace);
		buf_release(&http.spare[http.nspare]->rq_auth);
		buf_release(&http.spare[http.nspare]->rq_agent);
		buf_release(&http.spare[http.nspare]->rq_resp);
		free(http.spare[http.nspare]);
	}
	ev_ref(http.loop);
	ev_prepare_stop(http.loop, &http.flush);
	http.loop = NULL;
}
