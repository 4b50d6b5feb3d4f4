/*
 * gRPC over the HTTP/2 streams of h2.c: checks the request (POST,
 * application/grpc, a known method, identity encoding), reassembles the
 * length-prefixed messages within max_body_bytes, calls the method's
 * handler, and frames its answers: HEADERS, DATA, trailers with grpc-status
 * and a percent-encoded grpc-message, or trailers-only for early errors.
 * It owns the calls; a call outlives its stream until grpc_finish.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-plugind.h"
#include "grpc.h"

struct grpc_call {
	struct h2_stream		*gc_stream;	/* NULL once it went */
	const struct grpc_method	*gc_method;
	const char			*gc_path;	/* in the stream, or "" */
	struct buf			 gc_in;		/* partial messages */
	struct buf			 gc_msg;	/* the unary request */
	const uint8_t			*gc_one;	/* or in place, till end */
	size_t				 gc_onelen;
	int				 gc_have_msg;
	int				 gc_busy;	/* in a handler */
	int				 gc_exposed;	/* a handler had it */
	int				 gc_ended;	/* the final call made */
	int				 gc_finished;
	int				 gc_responded;	/* HEADERS sent */
	void				(*gc_cancel)(void *);
	void				*gc_cancel_arg;
	void				(*gc_drained)(void *);
	void				*gc_drained_arg;
	void				*gc_data;
	double				 gc_timeout;
	ev_tstamp			 gc_start;
	size_t				 gc_bytes;
	char				 gc_reqid[40];
	char				 gc_pathcopy[128];
};

static struct {
	const struct grpc_method	*methods;
	size_t				 nmethods;
	size_t				 max_msg;
	unsigned long			 seq;
} grpc = { NULL, 0, 1048576, 0 };

static const char *const grpc_names[] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
	"RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
	"OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
	"DATA_LOSS", "UNAUTHENTICATED"
};

const char *
grpc_status_name(int code)
{
	if (code < 0 || (size_t)code >= sizeof(grpc_names) /
	    sizeof(grpc_names[0]))
		return "UNKNOWN";
	return grpc_names[code];
}

/* The table is not copied: it must outlive every call. */
static void	 grpc_stream_open(struct h2_stream *);
static void	 grpc_stream_data(void *, const uint8_t *, size_t, int);
static void	 grpc_stream_end(void *);
static void	 grpc_stream_gone(void *);
static void	 grpc_set_limits(const struct limits_conf *);
static void	 grpc_stream_drained(void *);

static const struct h2_stream_events grpc_h2_events = {
	grpc_stream_open, grpc_stream_data, grpc_stream_end,
	grpc_stream_gone, grpc_set_limits, grpc_stream_drained
};

/* The methods served; gRPC is then what h2.c serves on its streams. */
void
grpc_set_methods(const struct grpc_method *m, size_t n)
{
	grpc.methods = m;
	grpc.nmethods = n;
	h2_set_streams(&grpc_h2_events);
}

static void
grpc_set_limits(const struct limits_conf *lim)
{
	grpc.max_msg = lim->max_body_bytes;
}

/*
 * Writes s percent-encoded as grpc-message wants (bytes outside 0x20-0x7e,
 * and '%', as %XX) into out (len bytes, NUL-terminated, truncated on a
 * whole escape); returns the length the whole encoding needs.
 */
size_t
grpc_percent_encode(const char *s, char *out, size_t len)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	size_t			 n = 0, w;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		w = *p < 0x20 || *p > 0x7e || *p == '%' ? 3 : 1;
		if (out != NULL && n + w < len) {
			if (w == 1)
				out[n] = (char)*p;
			else {
				out[n] = '%';
				out[n + 1] = hex[*p >> 4];
				out[n + 2] = hex[*p & 0xf];
			}
		} else if (out != NULL && n < len) {
			out[n] = '\0';
			out = NULL;	/* full: only counting from here */
		}
		n += w;
	}
	if (out != NULL && len > 0)
		out[n < len ? n : len - 1] = '\0';
	return n;
}

/* grpc-timeout: 1 to 8 digits and a unit of H M S m u n; -1 if malformed. */
int
grpc_parse_timeout(const char *s, double *secs)
{
	double	 v = 0, unit;
	size_t	 i;

	for (i = 0; isdigit((unsigned char)s[i]); i++)
		v = v * 10 + (s[i] - '0');
	if (i == 0 || i > 8 || s[i] == '\0' || s[i + 1] != '\0')
		return -1;
	switch (s[i]) {
	case 'H':
		unit = 3600;
		break;
	case 'M':
		unit = 60;
		break;
	case 'S':
		unit = 1;
		break;
	case 'm':
		unit = 1e-3;
		break;
	case 'u':
		unit = 1e-6;
		break;
	case 'n':
		unit = 1e-9;
		break;
	default:
		return -1;
	}
	*secs = v * unit;
	return 0;
}

const char *
grpc_metadata(struct grpc_call *call, const char *name)
{
	if (call->gc_stream == NULL)
		return NULL;
	return h2_stream_header(call->gc_stream, name);
}

double
grpc_timeout(struct grpc_call *call)
{
	return call->gc_timeout;
}

const char *
grpc_request_id(struct grpc_call *call)
{
	return call->gc_reqid;
}

const char *
grpc_path(struct grpc_call *call)
{
	return call->gc_path;
}

void *
grpc_data(struct grpc_call *call)
{
	return call->gc_data;
}

void
grpc_set_data(struct grpc_call *call, void *data)
{
	call->gc_data = data;
}

void
grpc_set_cancel(struct grpc_call *call, void (*cb)(void *), void *arg)
{
	call->gc_cancel = cb;
	call->gc_cancel_arg = arg;
}

/*
 * Flow control for a handler streaming more than its stream holds: cb(arg)
 * runs once, when the peer has taken every byte sent so far.  Set it after
 * grpc_can_send() said 0.
 */
void
grpc_set_drained(struct grpc_call *call, void (*cb)(void *), void *arg)
{
	call->gc_drained = cb;
	call->gc_drained_arg = arg;
}

/*
 * Whether a response message of len bytes can be sent now: 1 yes, 0 once
 * the stream drained (grpc_set_drained), -1 never (the call is over, or
 * the message is larger than a stream may hold).
 */
int
grpc_can_send(struct grpc_call *call, size_t len)
{
	size_t	 pending;

	if (call->gc_finished || call->gc_stream == NULL ||
	    len > h2_stream_limit() - 5)
		return -1;
	pending = h2_stream_pending(call->gc_stream);
	return pending + 5 + len <= h2_stream_limit() ? 1 : 0;
}

static void
grpc_call_free(struct grpc_call *call)
{
	if (call == NULL)
		return;
	buf_release(&call->gc_in);
	buf_release(&call->gc_msg);
	free(call);
}

static void
grpc_log(struct grpc_call *call, int status)
{
	log_access("POST", call->gc_path, call->gc_reqid, status,
	    call->gc_bytes, ev_time() - call->gc_start);
}

/*
 * One response message.  -1 when the call is over, its stream gone (the
 * answer is dropped), or the peer does not read and the stream already
 * holds h2_stream_limit() bytes unsent.
 */
int
grpc_send(struct grpc_call *call, const void *msg, size_t len)
{
	static const char *const hdrs[] = {
		":status", "200", "content-type", "application/grpc"
	};
	uint8_t	 pfx[5];

	if (call->gc_finished || call->gc_stream == NULL || len > UINT32_MAX)
		return -1;
	if (!call->gc_responded) {
		if (h2_stream_respond(call->gc_stream, hdrs, 2, 1) == -1)
			return -1;
		call->gc_responded = 1;
	}
	if (h2_stream_pending(call->gc_stream) + sizeof(pfx) + len >
	    h2_stream_limit())
		return -1;
	pfx[0] = 0;
	pfx[1] = (uint8_t)(len >> 24);
	pfx[2] = (uint8_t)(len >> 16);
	pfx[3] = (uint8_t)(len >> 8);
	pfx[4] = (uint8_t)len;
	if (h2_stream_write(call->gc_stream, pfx, sizeof(pfx)) == -1 ||
	    (len > 0 && h2_stream_write(call->gc_stream, msg, len) == -1))
		return -1;
	call->gc_bytes += sizeof(pfx) + len;
	return 0;
}

/* Ends the call with its status (trailers); the call is gone after it. */
void
grpc_finish(struct grpc_call *call, int status, const char *message)
{
	const char	*hdrs[8];
	char		 code[12], *enc = NULL;
	size_t		 n = 0, len;

	if (call == NULL || call->gc_finished)
		return;
	call->gc_finished = 1;
	if (call->gc_stream != NULL) {
		if (!call->gc_responded) {	/* trailers-only */
			hdrs[n++] = ":status";
			hdrs[n++] = "200";
			hdrs[n++] = "content-type";
			hdrs[n++] = "application/grpc";
		}
		snprintf(code, sizeof(code), "%d", status);
		hdrs[n++] = "grpc-status";
		hdrs[n++] = code;
		if (message != NULL && *message != '\0') {
			len = grpc_percent_encode(message, NULL, 0) + 1;
			if ((enc = malloc(len)) != NULL) {
				grpc_percent_encode(message, enc, len);
				hdrs[n++] = "grpc-message";
				hdrs[n++] = enc;
			}
		}
		if (!call->gc_responded)
			(void)h2_stream_respond(call->gc_stream, hdrs, n / 2,
			    0);
		else
			(void)h2_stream_end(call->gc_stream, hdrs, n / 2);
		free(enc);
		h2_stream_set_data(call->gc_stream, NULL);
		call->gc_stream = NULL;
	}
	grpc_log(call, status);
	if (call->gc_busy == 0)
		grpc_call_free(call);
}

/* Runs the handler, keeping the call alive if it finishes inside. */
static int
grpc_call_handle(struct grpc_call *call, const uint8_t *msg, size_t len)
{
	call->gc_busy++;
	call->gc_exposed = 1;
	call->gc_method->gm_handler(call, msg, len);
	call->gc_busy--;
	if (call->gc_finished) {
		if (call->gc_busy == 0)
			grpc_call_free(call);
		return -1;
	}
	return 0;
}

static void
grpc_stream_open(struct h2_stream *s)
{
	static const char *const bad_method[] = { ":status", "405" };
	static const char *const bad_type[] = { ":status", "415" };
	struct grpc_call	*call;
	const char		*v, *ct, *path;
	char			 msg[192];
	size_t			 i;

	v = h2_stream_header(s, ":method");
	if (v == NULL || strcmp(v, "POST") != 0) {
		(void)h2_stream_respond(s, bad_method, 1, 0);
		return;
	}
	ct = h2_stream_header(s, "content-type");
	if (ct == NULL || strncmp(ct, "application/grpc", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != '+' && ct[16] != ';')) {
		(void)h2_stream_respond(s, bad_type, 1, 0);
		return;
	}
	if ((call = calloc(1, sizeof(*call))) == NULL) {
		(void)h2_stream_respond(s, bad_method + 1, 0, 0);
		return;
	}
	call->gc_stream = s;
	call->gc_start = ev_time();
	if ((path = h2_stream_header(s, ":path")) == NULL)
		path = "";
	/* The path outlives the stream in the log line only. */
	snprintf(call->gc_pathcopy, sizeof(call->gc_pathcopy), "%s", path);
	call->gc_path = call->gc_pathcopy;
	v = h2_stream_header(s, "x-request-id");
	if (v != NULL && *v != '\0' && strlen(v) < sizeof(call->gc_reqid) &&
	    strspn(v, "0123456789abcdefABCDEF-_.") == strlen(v))
		snprintf(call->gc_reqid, sizeof(call->gc_reqid), "%s", v);
	else
		snprintf(call->gc_reqid, sizeof(call->gc_reqid),
		    "%08x%08lx", arc4random(), ++grpc.seq);
	h2_stream_set_data(s, call);
	if ((v = h2_stream_header(s, "grpc-timeout")) != NULL &&
	    grpc_parse_timeout(v, &call->gc_timeout) == -1) {
		grpc_finish(call, GRPC_INTERNAL, "malformed grpc-timeout");
		return;
	}
	if ((v = h2_stream_header(s, "grpc-encoding")) != NULL &&
	    strcmp(v, "identity") != 0) {
		snprintf(msg, sizeof(msg), "grpc-encoding %.64s is not "
		    "supported", v);
		grpc_finish(call, GRPC_UNIMPLEMENTED, msg);
		return;
	}
	for (i = 0; i < grpc.nmethods; i++)
		if (strcmp(grpc.methods[i].gm_path, path) == 0)
			break;
	if (i == grpc.nmethods) {
		snprintf(msg, sizeof(msg), "unknown method %.128s", path);
		grpc_finish(call, GRPC_UNIMPLEMENTED, msg);
		return;
	}
	call->gc_method = &grpc.methods[i];
}

/*
 * The transport ends a call on the peer's error.  A handler that has seen
 * the call hears it first: its cancel callback runs (it must not use the
 * call after), or, without one, a streaming handler gets its end of stream
 * and answers itself.
 */
static void
grpc_fail(struct grpc_call *call, int status, const char *message)
{
	void	(*cb)(void *) = call->gc_cancel;

	if (call->gc_exposed && cb != NULL) {
		call->gc_cancel = NULL;
		cb(call->gc_cancel_arg);
	} else if (call->gc_exposed && call->gc_method->gm_streaming &&
	    !call->gc_ended) {
		call->gc_ended = 1;
		(void)grpc_call_handle(call, NULL, 0);
		return;		/* it answers, now or later */
	}
	grpc_finish(call, status, message);
}

/* The stream's output is all out: a handler waiting for it sends on. */
static void
grpc_stream_drained(void *arg)
{
	struct grpc_call	*call = arg;
	void			(*cb)(void *) = call->gc_drained;

	if (call->gc_finished || cb == NULL)
		return;
	call->gc_drained = NULL;
	call->gc_busy++;
	cb(call->gc_drained_arg);
	call->gc_busy--;
	if (call->gc_finished && call->gc_busy == 0)
		grpc_call_free(call);
}

static void	 grpc_stream_end(void *);

/*
 * Splits the messages received so far; each within max_body_bytes.  The
 * bytes are read where h2.c has them: only a partial message is kept, and
 * a unary request that came whole with the end of stream is handled in
 * place, never copied.
 */
static void
grpc_stream_data(void *arg, const uint8_t *p, size_t len, int last)
{
	struct grpc_call	*call = arg;
	const uint8_t		*m;
	size_t			 mlen, avail;
	int			 kept;
	char			 msg[128];

	if (call->gc_finished || call->gc_method == NULL)
		return;
	if ((kept = buf_pending(&call->gc_in) > 0)) {
		if (buf_append(&call->gc_in, p, len) == -1) {
			grpc_fail(call, GRPC_RESOURCE_EXHAUSTED,
			    "out of memory");
			return;
		}
		p = (const uint8_t *)call->gc_in.buf_data +
		    call->gc_in.buf_off;
		len = buf_pending(&call->gc_in);
	}
	for (m = p, avail = len; avail >= 5; m += 5 + mlen, avail -= 5 + mlen) {
		mlen = (size_t)m[1] << 24 | (size_t)m[2] << 16 |
		    (size_t)m[3] << 8 | m[4];
		if (m[0] != 0) {
			grpc_fail(call, GRPC_INTERNAL, m[0] == 1 ?
			    "compressed message without grpc-encoding" :
			    "bad message flags");
			return;
		}
		if (mlen > grpc.max_msg) {
			snprintf(msg, sizeof(msg), "message of %zu bytes is "
			    "larger than the limit of %zu", mlen,
			    grpc.max_msg);
			grpc_fail(call, GRPC_RESOURCE_EXHAUSTED, msg);
			return;
		}
		if (avail < 5 + mlen)
			break;
		if (call->gc_method->gm_streaming) {
			if (grpc_call_handle(call, m + 5, mlen) == -1)
				return;
		} else if (call->gc_have_msg) {
			grpc_fail(call, GRPC_INTERNAL,
			    "more than one request message for a unary method");
			return;
		} else if (last && avail == 5 + mlen) {
			call->gc_one = m + 5;	/* valid until we return */
			call->gc_onelen = mlen;
			call->gc_have_msg = 1;
		} else {
			if (buf_append(&call->gc_msg, m + 5, mlen) == -1) {
				grpc_fail(call, GRPC_RESOURCE_EXHAUSTED,
				    "out of memory");
				return;
			}
			call->gc_have_msg = 1;
		}
	}
	if (kept)
		buf_consume(&call->gc_in, len - avail);
	else if (avail > 0 && buf_append(&call->gc_in, m, avail) == -1) {
		grpc_fail(call, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	if (last)
		grpc_stream_end(call);
}

/* The client's end of stream: the unary handler runs, or the last call. */
static void
grpc_stream_end(void *arg)
{
	struct grpc_call	*call = arg;
	const uint8_t		*m;

	if (call->gc_finished || call->gc_method == NULL)
		return;
	if (buf_pending(&call->gc_in) > 0) {
		grpc_fail(call, GRPC_INTERNAL, "incomplete message");
		return;
	}
	call->gc_ended = 1;
	if (call->gc_method->gm_streaming) {
		(void)grpc_call_handle(call, NULL, 0);
		return;
	}
	if (!call->gc_have_msg) {
		grpc_fail(call, GRPC_INTERNAL,
		    "no request message for a unary method");
		return;
	}
	if ((m = call->gc_one) != NULL) {
		call->gc_one = NULL;	/* h2.c's bytes: not past this call */
		(void)grpc_call_handle(call, m, call->gc_onelen);
		return;
	}
	(void)grpc_call_handle(call, call->gc_msg.buf_data == NULL ?
	    (const uint8_t *)"" : (const uint8_t *)call->gc_msg.buf_data +
	    call->gc_msg.buf_off, buf_pending(&call->gc_msg));
}

/*
 * The stream was reset or its connection went before grpc_finish.  With a
 * cancel callback the call ends here.  Without one, a streaming handler
 * still waiting for messages gets its final call (msg NULL) now; a call a
 * handler holds then waits for its grpc_finish (answers are dropped), and
 * a call no handler has seen ends at once.
 */
static void
grpc_stream_gone(void *arg)
{
	struct grpc_call	*call = arg;

	call->gc_stream = NULL;
	if (call->gc_finished)
		return;
	if (call->gc_exposed && call->gc_cancel == NULL) {
		if (call->gc_method->gm_streaming && !call->gc_ended) {
			call->gc_ended = 1;
			(void)grpc_call_handle(call, NULL, 0);
		}
		return;		/* orphaned until grpc_finish */
	}
	call->gc_finished = 1;
	if (call->gc_method != NULL)
		grpc_log(call, GRPC_CANCELLED);
	if (call->gc_cancel != NULL)
		call->gc_cancel(call->gc_cancel_arg);
	if (call->gc_busy == 0)
		grpc_call_free(call);
}
