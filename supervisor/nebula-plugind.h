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
ssize_t	 tls_read(void *, void *, size_t, int *);
ssize_t	 tls_write(void *, const void *, size_t, int *);
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
void	 http_set_h2(http_h2_take_fn *);
void	 http_conn_released(void);

/* pool.c: one per plugin: its instances, queue and per-call timeouts */
enum pool_op {
	POOL_OP_CREATE = 0,
	POOL_OP_GET,
	POOL_OP_DELETE,
	POOL_NOPS
};
struct pool;
struct pool_call;
struct pool_result {
	int		 res_status;	/* 200, or the HTTP error status */
	const char	*res_code;	/* error code, NULL on success */
	const char	*res_message;	/* error message, NULL on success */
	json_t		*res_response;	/* the worker's answer (borrowed) */
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
extern const char *const pool_op_names[POOL_NOPS];
struct pool	*pool_new(struct ev_loop *, struct plugin_conf *,
		    const struct limits_conf *);
void		 pool_start(struct pool *);
int		 pool_fresh(const struct pool *);
void		 pool_stop(struct pool *);
int		 pool_stopped(const struct pool *);
void		 pool_free(struct pool *);
int		 pool_started(const struct pool *);
int		 pool_serves(const struct pool *, const char *, const char *);
const char	*pool_name(const struct pool *);
const struct plugin_conf *pool_conf(const struct pool *);
void		 pool_stats(struct pool *, struct pool_stats *);
struct pool_call *pool_call(struct pool *, enum pool_op, json_t *,
		    const char *, size_t, pool_done_cb *, void *);
void		 pool_call_cancel(struct pool_call *);
void		 pool_fail_queued(struct pool *, int, const char *,
		    const char *);
void		 pool_set_limits(struct pool *, const struct limits_conf *);
void		 pool_set_conf(struct pool *, struct plugin_conf *);
void		 pool_inherit(struct pool *, const struct pool *);

/* worker.c: one worker process, its pipes, its state */
enum worker_state {
	WORKER_STARTING,	/* spawned, waiting for hello */
	WORKER_READY,
	WORKER_DRAINING,	/* stdin closed, answers still accepted */
	WORKER_DEAD,		/* gone, not yet restarted */
	WORKER_BACKOFF		/* waiting to be restarted */
};
struct worker;
struct worker	*worker_new(struct pool *, int);
void		 worker_free(struct worker *);
void		 worker_start(struct worker *);
void		 worker_stop(struct worker *);
enum worker_state worker_state(const struct worker *);
int		 worker_free_slots(const struct worker *);
int		 worker_in_flight(const struct worker *);
pid_t		 worker_pid(const struct worker *);
int		 worker_send(struct worker *, struct pool_call *, json_t *,
		    const char *, size_t, uint64_t *);
void		 worker_forget(struct worker *, struct pool_call *);
double		 worker_backoff_left(const struct worker *);
/* worker.c calls these in pool.c */
void		 pool_worker_hello(struct pool *, struct worker *,
		    const struct msg_hello *);
void		 pool_worker_answer(struct pool *, struct pool_call *, json_t *);
void		 pool_worker_lost(struct pool *, struct worker *,
		    struct pool_call **, size_t);
void		 pool_worker_idle(struct pool *, struct worker *);
void		 pool_worker_changed(struct pool *, struct worker *);
void		 pool_worker_exited(struct pool *, struct worker *, int,
		    const char *);
const struct limits_conf *pool_limits(const struct pool *);
struct ev_loop	*pool_loop(const struct pool *);

/* metrics.c */
void	 metrics_observe(const char *, enum pool_op, int, double);
void	 metrics_render(struct buf *, struct pool **, size_t, size_t);
void	 metrics_free(void);

/* router.c */
enum router_shape {
	ROUTER_SHAPE_NATIVE,	/* /plugins/v1: resource_id, bare resource */
	ROUTER_SHAPE_FLYTE	/* /api/v1: resource_meta, {"resource": } */
};
int	 router_init(struct ev_loop *, struct rid_keys *, struct auth *);
int	 router_all_started(void);
struct pool *router_find(const char *, const char *);
struct pool *router_find_plugin(const char *);
struct pool **router_pools_list(size_t *);
json_t	*router_body(struct http_request *, const char *);
json_t	*router_plugin_json(struct pool *, int);
void	 router_create(struct http_request *, struct pool *, const char *,
	    const char *, json_t *, enum router_shape);
void	 router_not_found(struct http_request *, const char *, const char *);
void	 router_resource(struct http_request *, enum pool_op, const char *,
	    const char *, const char *, enum router_shape);
void	 router_json(struct http_request *, int, json_t *, const char *);
void	 router_method_not_allowed(struct http_request *, const char *);
void	 router_unavailable(struct http_request *, const char *);
int	 router_split(char *, char **, int);

/* front.c: front_processes > 1 */
int	 front_start(struct ev_loop *, int, int *);
void	 front_free(void);

/* agent.c: Flyte's agent routes, /api/v1/... */
void	 agent_dispatch(struct http_request *, const char *);
void	 router_set_pools(struct pool **, size_t);
void	 router_set_draining(int);

/* router.c: called by http */
void	 router_dispatch(struct http_request *);
void	 router_abort(struct http_request *);

#endif
