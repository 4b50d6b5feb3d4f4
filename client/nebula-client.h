/*
 * nebula-client: a small C client library for the nebula-plugind HTTP API
 * (SPEC.md section 2), built on libcurl and jansson.  One struct npc holds
 * the daemon's URL, the bearer token and the request timeout; npc_create(),
 * npc_get(), npc_delete() and npc_list() are synchronous calls, npc_req_*()
 * prepare requests for a caller's own curl multi handle, and npc_poll_*()
 * poll a job to a terminal phase with exponential backoff and jitter.
 *
 * Every call fills a struct npc_result; it returns 0 on a 2xx answer and -1
 * otherwise.  Link with -lnebula-client and libcurl and jansson.
 */
#ifndef NEBULA_CLIENT_H
#define NEBULA_CLIENT_H

#include <signal.h>

#include <curl/curl.h>
#include <jansson.h>

#define NPC_DEFAULT_URL		"http://127.0.0.1:8000"
#define NPC_DEFAULT_VERSION	"v1"
#define NPC_DEFAULT_TIMEOUT	30.0	/* seconds per request */

/* What one call came back with. */
struct npc_result {
	long	 res_status;		/* HTTP status; 0: transport error */
	json_t	*res_body;		/* parsed answer body or NULL; owned */
	double	 res_retry_after;	/* seconds, or -1 when not sent */
	char	 res_code[64];		/* error.code, or TRANSPORT */
	char	 res_message[512];	/* error.message or curl's reason */
	int	 res_unsent;		/* transport error before sending */
};

/* Exit statuses of nebula-plugin, also useful to other callers. */
#define NPC_EXIT_OK		0
#define NPC_EXIT_FAILED		1	/* job FAILED or ABORTED */
#define NPC_EXIT_USAGE		2
#define NPC_EXIT_ERROR		3	/* transport or server error */
#define NPC_EXIT_NOT_FOUND	4	/* no plugin serves that task type */

/* api.c */
struct npc;
struct npc_req;
struct npc	*npc_new(const char *url, const char *token, double timeout);
void		 npc_free(struct npc *);
void		 npc_set_cancel(struct npc *, volatile sig_atomic_t *);
int		 npc_set_tls(struct npc *, const char *cacert,
		    const char *cert, const char *key);
const char	*npc_url(const struct npc *);
int		 npc_create(struct npc *, const char *, const char *, json_t *,
		    char **rid, struct npc_result *);
int		 npc_get(struct npc *, const char *, const char *, const char *,
		    struct npc_result *);
int		 npc_delete(struct npc *, const char *, const char *,
		    const char *, struct npc_result *);
int		 npc_list(struct npc *, struct npc_result *);
int		 npc_call(struct npc *, const char *method, const char *path,
		    json_t *body, struct npc_result *);
char		*npc_job_path(struct npc *, const char *, const char *,
		    const char *);
struct npc_req	*npc_req_new(struct npc *, const char *method,
		    const char *path, json_t *body);
CURL		*npc_req_easy(struct npc_req *);
int		 npc_req_finish(struct npc_req *, CURLcode,
		    struct npc_result *);
void		 npc_req_free(struct npc_req *);
void		 npc_result_init(struct npc_result *);
void		 npc_result_clear(struct npc_result *);
int		 npc_result_exit(const struct npc_result *);
int		 npc_result_retryable(const struct npc_result *, int);
int		 npc_split_type(const char *, char **, char **);

/* poll.c */
struct npc_poll_conf {
	double	 pc_initial;		/* first and shortest poll interval, s */
	double	 pc_max;		/* interval cap, seconds */
	int	 pc_retries;		/* consecutive retryable failures */
	/* Called with each polled resource (borrowed), or NULL. */
	void	(*pc_progress)(void *, json_t *);
	void	*pc_progress_arg;
	/* Called before each retry with the failure and the wait, or NULL. */
	void	(*pc_retrying)(void *, const struct npc_result *, double);
};
struct npc_backoff {
	double	 bo_initial;
	double	 bo_max;
	double	 bo_cur;
};
#define NPC_POLL_INITIAL	0.5
#define NPC_POLL_AGE_SHARE	0.2	/* interval: this share of the job's age */
#define NPC_POLL_MAX		30.0
#define NPC_POLL_RETRIES	10
#define NPC_POLL_CANCELLED	(-2)
void		 npc_poll_conf_init(struct npc_poll_conf *);
void		 npc_backoff_init(struct npc_backoff *, double, double);
double		 npc_backoff_next(struct npc_backoff *);
void		 npc_backoff_reset(struct npc_backoff *);
int		 npc_poll_sleep(double, volatile sig_atomic_t *);
long long	 npc_poll_hint(json_t *);
double		 npc_poll_interval(const struct npc_poll_conf *, double,
		    long long);
int		 npc_phase_known(const char *);
int		 npc_phase_terminal(const char *);
int		 npc_poll_retry(struct npc *, const struct npc_poll_conf *,
		    volatile sig_atomic_t *, int, const char *, const char *,
		    json_t *, struct npc_result *);
int		 npc_poll_job(struct npc *, const struct npc_poll_conf *,
		    volatile sig_atomic_t *, const char *, const char *,
		    const char *, struct npc_result *);

#endif
