/*
 * nebula-plugind: private declarations shared by the daemon's modules, in
 * blocks headed by the file that defines them.  Data flows one way:
 * http (bytes to requests) -> router (requests to plugin calls) -> pool
 * (instance choice, queue, timeouts) -> worker (one process and its pipes),
 * and back by callback.
 */
#ifndef NEBULA_PLUGIND_H
#define NEBULA_PLUGIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ev.h>
#include <jansson.h>

#include "nebula-protocol.h"

#define NP_DEFAULT_LISTEN	"127.0.0.1:8000"
#define NP_MAX_URL_BYTES	8192
#define NP_READY_RESET_SECS	10.0	/* ready this long resets backoff */
#define NP_MAX_FRONTS		64	/* front_processes */

/* config.c */
struct limits_conf {
	size_t	 max_body_bytes;	/* 1048576 */
	int	 max_connections;	/* 4096 */
	double	 header_timeout;	/* seconds: 10 */
	double	 body_timeout;		/* 30 */
	double	 idle_timeout;		/* 60 */
	size_t	 max_header_bytes;	/* 16384 */
	size_t	 max_line_bytes;	/* 16777216 */
};

struct task_type_conf {
	char	 *tt_type;
	char	**tt_versions;		/* NULL-terminated; ["v1"] if absent */
	size_t	  tt_nversions;
};

struct env_conf {
	char	*env_name;
	char	*env_value;		/* env: the value; secrets: the file */
};

#define RLIMIT_UNSET	(-1LL)

struct plugin_conf {
	char			 *pc_name;
	int			  pc_line;		/* where it starts */
	char			**pc_argv;		/* NULL-terminated */
	size_t			  pc_argc;
	char			 *pc_path;		/* argv[0] as resolved */
	int			  pc_command_line;
	struct task_type_conf	 *pc_task_types;	/* NULL: from hello */
	size_t			  pc_ntask_types;
	int			  pc_instances;		/* 1 */
	int			  pc_concurrency;	/* 0: as hello says */
	int			  pc_queue;		/* 1024 */
	double			  pc_t_start;		/* 5 */
	double			  pc_t_create;		/* 30 */
	double			  pc_t_get;		/* 10 */
	double			  pc_t_delete;		/* 10 */
	double			  pc_t_stop;		/* 5 */
	double			  pc_restart_initial;	/* 0.1 */
	double			  pc_restart_max;	/* 30 */
	struct env_conf		 *pc_env;
	size_t			  pc_nenv;
	struct env_conf		 *pc_secrets;		/* value = file path */
	size_t			  pc_nsecrets;
	char			 *pc_tokens_file;
	char			 *pc_user;
	char			 *pc_group;
	char			 *pc_workdir;
	char			 *pc_image;
	long long		  pc_rl_as;		/* bytes, RLIMIT_UNSET */
	long long		  pc_rl_nofile;
	long long		  pc_rl_cpu;		/* seconds */
	double			  pc_rate[5];		/* per second, by pool_op; 0: none */
	double			  pc_rate_burst;	/* 0: one second's worth */
	long long		  pc_log_lines;		/* stderr a second, 100 */
	long long		  pc_log_bytes;		/* 65536; 0: no limit */
};

struct config {
	char			 *cf_path;		/* NULL: built-in */
	char			 *cf_dir;		/* relative commands */
	char			**cf_listen;		/* NULL-terminated */
	size_t			  cf_nlisten;
	char			 *cf_tokens_file;
	int			  cf_metrics_public;	/* 1 */
	char			 *cf_rid_key_file;
	char			 *cf_tls_cert;
	char			 *cf_tls_key;
	char			 *cf_tls_ca;
	int			  cf_tokens_line;	/* of auth, for -t */
	int			  cf_rid_key_line;
	int			  cf_tls_line;
	double			  cf_drain_delay;	/* 0 */
	int			  cf_access_log;	/* 1 */
	int			  cf_front_processes;	/* 1 */
	struct limits_conf	  cf_limits;
	struct plugin_conf	 *cf_plugins;
	size_t			  cf_nplugins;
};

extern const char config_default_yaml[];	/* conf/nebula-plugind.yaml */

struct config	*config_load(const char *, char *, size_t);
struct config	*config_parse(const char *, size_t, const char *, char *,
		    size_t);
void		 config_free(struct config *);
int		 config_plugin_equal(const struct plugin_conf *,
		    const struct plugin_conf *);
struct plugin_conf *config_plugin_find(struct config *, const char *);
int		 config_parse_duration(const char *, double *);
int		 config_parse_size(const char *, long long *);
int		 config_parse_rate(const char *, double *);

/* auth.c */
struct auth;
enum auth_result {
	AUTH_OK,
	AUTH_MISSING,		/* 401 */
	AUTH_WRONG,		/* 401 */
	AUTH_FORBIDDEN		/* 403: a good token, not for this plugin */
};
struct auth	*auth_new(const struct config *, char *, size_t);
void		 auth_free(struct auth *);
int		 auth_enabled(const struct auth *);
int		 auth_metrics_public(const struct auth *);
enum auth_result auth_check(const struct auth *, const char *, const char *);

/* tls.c: pointers are SSL_CTX and SSL, kept opaque for the others */
void	*tls_ctx_new(const struct config *, char *, size_t);
void	 tls_ctx_set(void *);
void	 tls_ctx_free(void *);
int	 tls_enabled(void);
void	*tls_conn_new(int);
void	 tls_conn_free(void *);
ssize_t	 tls_read(int, void *, void *, size_t, int *);
ssize_t	 tls_write(int, void *, const void *, size_t, int *);
int	 tls_pending(void *);
void	 tls_set_h2(int);
const char *tls_alpn(void *);

/* log.c */
#define LOG_LEVEL_ERROR	0
#define LOG_LEVEL_WARN	1
#define LOG_LEVEL_INFO	2
#define LOG_LEVEL_DEBUG	3
void	 log_init(int);
void	 log_set_access(int);
void	 log_flush(void);
void	 log_emit(int, const char *, pid_t, const char *, const char *, ...)
	    __attribute__((format(printf, 5, 6)));
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
struct log_access {
	const char	*la_method;
	const char	*la_path;
	const char	*la_reqid;
	int		 la_status;
	size_t		 la_bytes;
	double		 la_seconds;
	const char	*la_addr;	/* client address, or NULL */
	const char	*la_agent;	/* User-Agent, or NULL */
	const char	*la_plugin;	/* or NULL */
};
void	 log_access_full(const struct log_access *);
void	 log_access(const char *, const char *, const char *, int, size_t,
	    double);

/* listen.c: listening sockets; accepted ones go to the accept function */
typedef int listen_accept_fn(int);	/* takes the fd; -1: refused */
void	 listen_init(struct ev_loop *, listen_accept_fn *);
int	 listen_add(const char *, char *, size_t);
void	 listen_set_reuseport(int);
void	 listen_set_full(int);
char	**listen_names(void);
void	 listen_close(void);

/* h2.c: HTTP/2 connections handed over by http.c (nghttp2 kept inside) */
struct h2_stream;
/* what h2.c tells the protocol served on its streams (grpc.c) */
struct h2_stream_events {
	void	(*se_open)(struct h2_stream *);	/* a request's headers */
	/*
	 * Body bytes, valid during the call only; last: the client's end of
	 * stream comes right after them (se_end is not called then).
	 */
	void	(*se_data)(void *, const uint8_t *, size_t, int last);
	void	(*se_end)(void *);		/* the client's end of stream */
	void	(*se_gone)(void *);		/* reset, or connection gone */
	void	(*se_limits)(const struct limits_conf *);
	void	(*se_drained)(void *);		/* body all taken, not ended */
};
void	 h2_set_streams(const struct h2_stream_events *);
void	 h2_set_released(void (*)(void));
int	 h2_take(struct ev_loop *, int, void *, const char *, size_t);
void	 h2_set_limits(const struct limits_conf *);
void	 h2_shutdown(void);
size_t	 h2_connections(void);
const char *h2_stream_header(struct h2_stream *, const char *);
void	 h2_stream_set_data(struct h2_stream *, void *);
int	 h2_stream_respond(struct h2_stream *, const char *const *, size_t,
	    int);
int	 h2_stream_write(struct h2_stream *, const void *, size_t);
int	 h2_stream_end(struct h2_stream *, const char *const *, size_t);
size_t	 h2_stream_pending(const struct h2_stream *);
size_t	 h2_stream_limit(void);


/* http.c */
struct http_conn;
struct http_request {
	struct http_conn	*req_conn;	/* NULL once the client left */
	int			 req_method;	/* enum http_method */
	const char		*req_method_name;
	char			*req_path;	/* target up to '?', NUL-ended */
	size_t			 req_path_len;
	char			*req_query;	/* after '?', or NULL */
	char			*req_body;	/* NUL-ended; may be NULL */
	size_t			 req_body_len;
	char			*req_traceparent;	/* or NULL */
	char			*req_authorization;	/* or NULL */
	char			 req_id[24];	/* request id, for logs */
	ev_tstamp		 req_start;
	void			*req_router;	/* router's state, or NULL */
	const char		*req_user_agent;	/* or NULL */
	/* set by the router, for the metrics and the access log */
	char			 req_route[64];	/* pattern; "": no route */
	char			 req_plugin[64];	/* "": none involved */
};
int	 http_init(struct ev_loop *, const struct limits_conf *);
void	 http_set_limits(const struct limits_conf *);
void	 http_stop_accepting(void);
size_t	 http_requests_pending(void);
size_t	 http_connections(void);
void	 http_shutdown(void);
void	 http_respond(struct http_request *, int, const char *, const char *,
	    size_t);
void	 http_respond_error(struct http_request *, int, const char *,
	    const char *, const char *);
const char *http_status_text(int);
/*
 * The HTTP/2 hand-off (h2.c): the handler takes the fd and the TLS session
 * (or NULL) and gets every byte read so far, preface included, valid only
 * during the call; it calls http_conn_released() once it has closed them.
 * -1: it took nothing, and http.c closes the connection.
 */
typedef int http_h2_take_fn(struct ev_loop *, int fd, void *tls,
    const char *buffered, size_t len);
typedef void http_request_fn(struct http_request *);
void	 http_set_router(http_request_fn *, http_request_fn *);
void	 http_set_h2(http_h2_take_fn *);
void	 http_conn_released(void);

/* pool.c: one per plugin: its instances, queue and per-call timeouts */
enum pool_op {
	POOL_OP_CREATE = 0,
	POOL_OP_GET,
	POOL_OP_DELETE,
	POOL_OP_LOGS,		/* optional: declared in the hello */
	POOL_OP_METRICS,	/* optional: declared in the hello */
	POOL_NOPS
};
_Static_assert(POOL_NOPS <= 5, "plugin_conf.pc_rate has a rate per op");
struct pool;
struct pool_call;
struct pool_result {
	int		 res_status;	/* 200, or the HTTP error status */
	const char	*res_code;	/* error code, NULL on success */
	const char	*res_message;	/* error message, NULL on success */
	json_t		*res_response;	/* the worker's answer (borrowed) */
	const char	*res_meta;	/* its resource_meta as text, or NULL */
	size_t		 res_metalen;
	double		 res_retry_after;	/* > 0: Retry-After seconds */
};
typedef void pool_done_cb(void *, const struct pool_result *);
struct pool_stats {
	const char	*ps_name;
	const char	*ps_state;	/* starting, ready, backoff, stopping */
	json_t		*ps_task_types;	/* borrowed */
	int		 ps_is_sync;
	int		 ps_instances;
	int		 ps_ready;
	int		 ps_in_flight;
	int		 ps_queued;
	unsigned long	 ps_restarts;
	const char	*ps_last_exit;	/* or NULL */
	const char	*ps_last_error;	/* or NULL */
};
/* the ops' names on the worker's line, owned by the protocol */
#define pool_op_names	msg_op_names
_Static_assert(POOL_NOPS == MSG_NOPS, "one name per op");
struct pool	*pool_new(struct ev_loop *, struct plugin_conf *,
		    const struct limits_conf *);
void		 pool_start(struct pool *);
int		 pool_fresh(const struct pool *);
void		 pool_stop(struct pool *);
int		 pool_stopped(const struct pool *);
void		 pool_free(struct pool *);
int		 pool_started(const struct pool *);
int		 pool_serves(const struct pool *, const char *, const char *);
int		 pool_has_op(const struct pool *, enum pool_op);
const char	*pool_name(const struct pool *);
const struct plugin_conf *pool_conf(const struct pool *);
void		 pool_stats(struct pool *, struct pool_stats *);
struct pool_call *pool_call(struct pool *, enum pool_op,
		    const struct msg_request *, double, pool_done_cb *, void *);
void		 pool_call_cancel(struct pool_call *);
void		 pool_fail_queued(struct pool *, int, const char *,
		    const char *);
void		 pool_set_limits(struct pool *, const struct limits_conf *);
void		 pool_set_conf(struct pool *, struct plugin_conf *);
int		 pool_inherit(struct pool *, struct pool *);
struct pool_instance {
	int		 pi_index;
	pid_t		 pi_pid;	/* 0: no process */
	const char	*pi_state;	/* starting, ready, draining, ... */
	double		 pi_uptime;	/* seconds since spawned, if pid */
	unsigned long	 pi_restarts;
	int		 pi_in_flight;
	const char	*pi_last_error;	/* or NULL */
};
int		 pool_instance(struct pool *, int, struct pool_instance *);

/* rate.c: token buckets, the per-plugin, per-op rate limits */
struct rate_bucket {
	double	 rb_rate;		/* tokens per second; 0: no limit */
	double	 rb_burst;		/* most tokens held */
	double	 rb_tokens;
	double	 rb_last;		/* when last refilled */
};
void	 rate_init(struct rate_bucket *, double, double, double);
void	 rate_set(struct rate_bucket *, double, double, double);
int	 rate_take(struct rate_bucket *, double, double *);

/* spawn.c: making a worker process from its plugin's configuration */
pid_t	 spawn_start(const struct plugin_conf *, int[4], char *, size_t,
	    char *, size_t);
int	 spawn_report(int);
int	 spawn_resolve(const char *, char *, size_t);

/*
 * worker.c: one worker process, its pipes, its state.  A leaf: it reports
 * to its owner through these events, each given the owner's argument; a
 * call is the owner's pointer, kept as is in the worker's slot table.
 */
enum worker_state {
	WORKER_STARTING,	/* spawned, waiting for hello */
	WORKER_READY,
	WORKER_DRAINING,	/* stdin closed, answers still accepted */
	WORKER_DEAD,		/* gone, not yet restarted */
	WORKER_BACKOFF		/* waiting to be restarted */
};
struct worker;
struct worker_events {
	/* a valid hello arrived; the worker is ready */
	void	(*we_hello)(void *, struct worker *, const struct msg_hello *);
	/*
	 * the answer (borrowed) to a call given to worker_send; raw, when
	 * its jr_text is set, holds the answer's resource_meta as the worker
	 * wrote it (the tree has null there)
	 */
	void	(*we_answer)(void *, void *, json_t *,
		    const struct jscan_raw *);
	/* the instance failed holding these calls; their slots are gone */
	void	(*we_lost)(void *, struct worker *, void **, size_t);
	/* a slot came free */
	void	(*we_idle)(void *, struct worker *);
	/* its state changed */
	void	(*we_changed)(void *, struct worker *);
	/* it exited (a wait status), or could not start (-1); why says it */
	void	(*we_exited)(void *, struct worker *, int, const char *);
	/* stderr lines it dropped over log_rate in the last window */
	void	(*we_log_suppressed)(void *, struct worker *, unsigned long long);
	/* a stdout line broke the protocol and was dropped */
	void	(*we_violation)(void *, struct worker *);
};
struct worker_limits {
	size_t	 wl_max_line_bytes;	/* stdout lines */
	int	 wl_concurrency;	/* cap on the hello's; 0: none */
	double	 wl_t_start;		/* seconds to the hello */
	double	 wl_t_stop;		/* seconds from closing stdin to TERM */
	double	 wl_restart_initial;	/* backoff */
	double	 wl_restart_max;
	char	 wl_name[64];		/* the plugin, for logs */
};
struct worker	*worker_new(struct ev_loop *, int, const struct worker_events *,
		    void *, const struct worker_limits *,
		    const struct plugin_conf *);
void		 worker_free(struct worker *);
void		 worker_set_limits(struct worker *, const struct worker_limits *);
void		 worker_set_conf(struct worker *, const struct plugin_conf *);
void		 worker_start(struct worker *);
void		 worker_stop(struct worker *);
enum worker_state worker_state(const struct worker *);
int		 worker_free_slots(const struct worker *);
int		 worker_in_flight(const struct worker *);
pid_t		 worker_pid(const struct worker *);
int		 worker_send(struct worker *, void *,
		    const struct msg_request *, uint64_t *);
void		 worker_forget(struct worker *, void *);
double		 worker_backoff_left(const struct worker *);

/* metrics.c */
void	 metrics_observe(const char *, enum pool_op, int, double);
void	 metrics_rate_limited(const char *, enum pool_op);
void	 metrics_restart(const char *, const char *);
void	 metrics_reload(int);
void	 metrics_render(struct buf *, const struct pool_stats *, size_t,
	    size_t);
void	 metrics_log_suppressed(const char *, unsigned long long);
void	 metrics_violation(const char *);
void	 metrics_timeout(const char *, enum pool_op);
void	 metrics_http(const char *, int);
int	 metrics_shared(int);
void	 metrics_set_slot(int);
void	 metrics_free(void);

/* front.c: front_processes > 1 */
int	 front_start(struct ev_loop *, int, int *);
void	 front_free(void);

/* call.c: the transport-free plugin calls every front translates onto */
struct call;
struct call_req {
	const char	*cq_token;	/* Authorization value, or NULL */
	const char	*cq_request_id;	/* for logs and the worker */
	const char	*cq_traceparent;	/* or NULL */
	const char	*cq_type;	/* task type */
	const char	*cq_version;	/* NULL: first version (Flyte's 0) */
	json_t		*cq_body;	/* create: borrowed, has task_template;
					   logs, metrics: the query or NULL */
	const char	*cq_body_error;	/* create: why the body is unusable */
	const char	*cq_raw;	/* create: body bytes to send as is */
	size_t		 cq_rawlen;
	const char	*cq_rid;	/* get, delete: the resource id */
	size_t		 cq_ridlen;
	double		 cq_timeout;	/* > 0: the client's own deadline, s */
	char		*cq_plugin;	/* or NULL: gets the plugin's name
					   (64 bytes) once one is found */
};
struct call_result {
	int		 cr_status;	/* 200, or the HTTP error status */
	const char	*cr_code;	/* error code (SPEC.md 2), NULL on 200 */
	const char	*cr_message;
	const char	*cr_kind;	/* worker error's kind, or NULL */
	const char	*cr_challenge;	/* 401: WWW-Authenticate value */
	double		 cr_retry_after;	/* > 0: seconds */
	const char	*cr_resource_id;	/* create */
	json_t		*cr_resource;	/* create (sync) and get; borrowed */
	json_t		*cr_response;	/* the worker's whole answer, or NULL */
};
typedef void call_done_cb(void *, const struct call_result *);
int		 call_init(struct ev_loop *, struct rid_keys *, struct auth *);
void		 call_set_pools(struct pool **, size_t);
struct pool	**call_pools(size_t *);
void		 call_set_draining(int);
int		 call_draining(void);
int		 call_started(void);
int		 call_metrics_public(void);
struct pool	*call_find(const char *, const char *);
struct pool	*call_find_plugin(const char *);
const char	*call_first_version(struct pool *, const char *);
int		 call_authorize(const char *, const char *,
		    struct call_result *);
struct call	*call_create(const struct call_req *, call_done_cb *, void *);
struct call	*call_resource(enum pool_op, const struct call_req *,
		    call_done_cb *, void *);
void		 call_cancel(struct call *);

/* router.c: route tables, one matcher for every REST front */
#define ROUTE_M(m)		(1u << (m))	/* enum http_method */
#define ROUTE_STARTED		0x01	/* 503 until start-up is over */
#define ROUTE_METRICS_AUTH	0x02	/* token unless metrics_public */
#define ROUTE_AUTH		0x04	/* table: bearer token first */
typedef void route_fn(struct http_request *, char **, int);
struct route {
	unsigned	 rt_methods;
	const char	*rt_pattern;	/* after the prefix; "{}": any segment */
	int		 rt_flags;
	route_fn	*rt_handler;
};
struct route_table {
	const char		*tb_prefix;
	int			 tb_flags;	/* ROUTE_AUTH */
	const struct route	*tb_routes;
	size_t			 tb_nroutes;
	/* the front's error shape; NULL: ours (router_error) */
	void			(*tb_error)(struct http_request *,
				    const struct call_result *, const char *);
};
int	 router_add(const struct route_table *);
void	 router_clear(void);
void	 router_dispatch(struct http_request *);	/* http.c's dispatch */
void	 router_abort(struct http_request *);	/* http.c's abort */
void	 router_error(struct http_request *, const struct call_result *,
	    const char *);
void	 router_json(struct http_request *, int, json_t *, const char *);
json_t	*router_body(struct http_request *, const char *, char *, size_t);
int	 router_body_proved(struct http_request *, const char *);
void	 router_call_req(struct http_request *, struct call_req *);

/* rest.c: our /plugins/v1 routes and the probes */
extern const struct route_table rest_table;
extern const struct route_table probe_table;
json_t	*rest_plugin_json(struct pool *, int);

/* agent.c: Flyte's agent and connector REST routes, /api/v1/... */
extern const struct route_table agent_table;

/* agentrpc.c: Flyte's gRPC services on h2.c and grpc.c */
void	 agentrpc_init(void);

#endif
