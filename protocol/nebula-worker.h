/*
 * nebula-worker: the C worker SDK.  A plugin fills in a struct nw_plugin
 * with its name, task types and handlers, and calls nw_run(), which
 * speaks the line protocol (SPEC.md section 3) on stdin and stdout until
 * stdin reaches end of file.  Build with `pkg-config --cflags --libs
 * nebula-worker`.
 *
 * A minimal synchronous plugin:
 *
 *	static void
 *	echo_create(struct nw_call *c, json_t *req, void *arg)
 *	{
 *		nw_reply_meta(c, json_pack("{s:O?}", "inputs",
 *		    json_object_get(req, "inputs")), NULL);
 *	}
 *
 *	static const char *const types[] = { "echo/v1", NULL };
 *
 *	int
 *	main(void)
 *	{
 *		struct nw_plugin p = {
 *			.nwp_name = "echo", .nwp_task_types = types,
 *			.nwp_concurrency = 64, .nwp_create = echo_create,
 *			.nwp_get = echo_get,
 *		};
 *		return nw_run(&p) == 0 ? 0 : 1;
 *	}
 *
 * Rules of the road:
 * - Every request is one struct nw_call, handed to the handler of its op.
 *   It is answered by exactly one nw_reply_*() call, either inside the
 *   handler (synchronous plugins) or later from an fd callback or the tick
 *   (asynchronous plugins).  After the reply the call is freed: do not
 *   touch it again.  Calls not yet answered are "in flight".
 * - nw_run() is single-threaded: call the SDK only from the thread that
 *   runs it (handlers, fd callbacks and the tick all run there).
 * - stdout belongs to the SDK.  nw_run() moves the protocol pipe to a
 *   private descriptor and points fd 1 at stderr, so a stray printf() or a
 *   chatty library ends up in the log, never on the pipe.  Likewise fd 0 is
 *   pointed at /dev/null.  Log with nw_log() or plain stderr.
 * - Output is batched: replies are queued and written in as few write(2)
 *   calls as the pipe allows, never blocking the process.
 * - At end of file on stdin no more requests are read; nw_run() returns 0
 *   once every call in flight has been answered and written.
 */
#ifndef NEBULA_WORKER_H
#define NEBULA_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct nw_call;		/* one request in flight; opaque */

/* Handles one request; request is borrowed and lives as long as the call. */
typedef void nw_handler(struct nw_call *, json_t *request, void *arg);

/*
 * Called once per turn of the loop, after I/O and fd callbacks, and when
 * the time it asked for has passed.  Returns how many milliseconds from
 * now it wants to be called again at the latest, or -1 for "only when
 * something happens".  (For libcurl: curl_multi_timeout().)
 */
typedef int nw_tick(void *arg);

/* An fd became ready; revents as in poll(2) (POLLIN, POLLOUT, POLLERR...). */
typedef void nw_fd_cb(int fd, int revents, void *arg);

struct nw_plugin {
	const char		*nwp_name;	/* hello name; may be NULL */
	/*
	 * NULL-terminated "type/version" strings, e.g. "bigquery/v1"
	 * ("type" alone means v1); grouped by type in the hello.  NULL
	 * leaves task_types out of the hello (the configuration names them).
	 */
	const char *const	*nwp_task_types;
	int			 nwp_concurrency;	/* 0 means 1 */
	nw_handler		*nwp_create;	/* NULL: UNIMPLEMENTED */
	nw_handler		*nwp_get;	/* NULL: UNIMPLEMENTED */
	nw_handler		*nwp_delete;	/* NULL: answered ok */
	nw_tick			*nwp_tick;	/* optional */
	void			*nwp_arg;	/* passed to handlers and tick */
	/*
	 * Optional ops, declared in the hello only when set (the daemon
	 * never sends an op a worker did not declare): a job's log lines
	 * (answer with nw_reply_lines) and its metrics (nw_reply_results).
	 * Their requests carry resource_meta and the query: logs "lines"
	 * (how many, 0 or absent: all) and "token" (the page); metrics
	 * "queries", "start_time", "end_time", "step".
	 */
	nw_handler		*nwp_logs;
	nw_handler		*nwp_metrics;
};

/*
 * Runs the protocol: says hello, then reads, dispatches and answers
 * requests until end of file on stdin and nothing is in flight.  Returns 0
 * then, -1 on a fatal error (the pipe failed, a request line was longer
 * than the protocol's maximum, bad plugin description); the reason is
 * logged.  Call it once.
 */
int	 nw_run(const struct nw_plugin *);

/*
 * Answers a create: resource_meta (taken; small, it travels in URLs) and,
 * for a job that finished at once, its resource (taken; may be NULL).
 */
void	 nw_reply_meta(struct nw_call *, json_t *meta, json_t *resource);

/* Answers a get with the resource (taken): {"phase", "message", ...}. */
void	 nw_reply_resource(struct nw_call *, json_t *resource);

/*
 * Answers a get with a resource built from its parts: phase (e.g.
 * "RUNNING", "SUCCEEDED"), outputs (taken; may be NULL) and a message
 * (printf format; may be NULL for "").
 */
void	 nw_reply_phase(struct nw_call *, const char *phase, json_t *outputs,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Answers a logs request: lines (taken) is an array whose elements are
 * strings (one line each, with its line ending) or objects {"message",
 * "timestamp" (RFC 3339), "originator" ("USER", "SYSTEM")}; token (may be
 * NULL) names the next page when there is one.
 */
void	 nw_reply_lines(struct nw_call *, json_t *lines, const char *token);

/*
 * Answers a metrics request: results (taken) is an array of Flyte's
 * ExecutionMetricResult in protojson, {"metric": "...", "data": {...}},
 * data in Prometheus' range query result format.
 */
void	 nw_reply_results(struct nw_call *, json_t *results);

/* Answers a delete: {"id": N}. */
void	 nw_reply_ok(struct nw_call *);

/*
 * Answers with an error.  Codes the daemon maps: INVALID_ARGUMENT (400),
 * NOT_FOUND (404), PERMISSION_DENIED (403), UNAVAILABLE (503); anything
 * else is a 500.
 */
void	 nw_reply_error(struct nw_call *, const char *code, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));

/*
 * Typed outputs (protocol/literal.c, also declared in nebula-protocol.h):
 * plain JSON outputs as Flyte's flyteidl.core.LiteralMap in protojson
 * (integers, floats, strings, booleans, null, lists as collections,
 * objects as generic Structs) and back; literal_map_is() tells them apart.
 * The daemon converts plain outputs for Flyte's clients by itself; a
 * plugin builds a LiteralMap when it needs a type plain JSON cannot say
 * (a StructuredDataset, a Blob) or wants our REST routes to show it too.
 */
json_t	*literal_map_from_plain(json_t *);	/* new reference, or NULL */
json_t	*literal_map_to_plain(json_t *);	/* NULL if not a LiteralMap */
int	 literal_map_is(json_t *);

/* Looking at a call (everything borrowed, valid until the reply). */
uint64_t	 nw_call_id(const struct nw_call *);
const char	*nw_call_op(const struct nw_call *);	/* create, get, ... */
json_t		*nw_call_request(const struct nw_call *);
const char	*nw_call_task_type(const struct nw_call *);	/* or "" */
const char	*nw_call_version(const struct nw_call *);	/* or "" */
json_t		*nw_call_meta(const struct nw_call *);	/* get, delete */
json_t		*nw_call_custom(const struct nw_call *);	/* create */
int64_t		 nw_call_deadline(const struct nw_call *);	/* nw_now() ms,
							   -1 if none */
void		 nw_call_set_data(struct nw_call *, void *);

/*
 * A poll hint for a get: the job is worth polling again in ms milliseconds
 * at the earliest (-1: no hint, the default).  Set it before
 * nw_reply_resource() or nw_reply_phase(); it rides beside the resource as
 * "poll_after_ms" and clients wait about that long (within their bounds).
 */
void		 nw_call_poll_after(struct nw_call *, int64_t ms);
void		*nw_call_data(const struct nw_call *);

/*
 * Watching the plugin's own descriptors (sockets of an HTTP client, a
 * timerfd, ...).  nw_watch() adds or changes the watch on fd for events
 * (POLLIN and/or POLLOUT); nw_unwatch() removes it.  Both may be called
 * from any callback, and before nw_run().  Returns 0, or -1 (no memory).
 */
int	 nw_watch(int fd, int events, nw_fd_cb *cb, void *arg);
void	 nw_unwatch(int fd);

/* Milliseconds on the monotonic clock. */
int64_t	 nw_now(void);

/* Calls in flight (received, not yet answered). */
size_t	 nw_in_flight(void);

/* Logs one line to stderr (the daemon tags it with plugin and pid). */
void	 nw_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
