/*
 * nebula-plugin: private declarations shared by the command's modules, in
 * blocks headed by the file that defines them.  The HTTP commands use the
 * public client library (nebula-client.h); local and check talk to a worker
 * over pipes (wpipe.c) with the protocol library.
 */
#ifndef NEBULA_PLUGIN_CLIENT_H
#define NEBULA_PLUGIN_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "nebula-client.h"
#include "nebula-protocol.h"

#define NPC_PROGNAME	"nebula-plugin"

/* cli.c: what every command says and reads the same way. */
extern volatile sig_atomic_t	 cli_stop;	/* SIGINT or SIGTERM seen */
void	 cli_err(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
json_t	*cli_read_json(const char *);
void	 cli_print(json_t *);
int	 cli_outcome(json_t *);

/* wpipe.c: one worker process, its stdin and stdout piped to us. */
struct wpipe;
#define WPIPE_LINE	1
#define WPIPE_EOF	0
#define WPIPE_TIMEOUT	(-2)
struct wpipe	*wpipe_start(char *const *);
int		 wpipe_send(struct wpipe *, const struct msg_request *);
int		 wpipe_line(struct wpipe *, double, char **, size_t *);
void		 wpipe_close(struct wpipe *);
int		 wpipe_wait(struct wpipe *, double, int *);
pid_t		 wpipe_pid(const struct wpipe *);
void		 wpipe_free(struct wpipe *);
double		 wpipe_now(void);

/* local.c */
struct local_conf {
	double	 lc_initial;
	double	 lc_max;
	double	 lc_start_timeout;	/* the hello */
	double	 lc_timeout;	/* each answer */
};
int	 local_main(const struct local_conf *, char *const *, json_t *);

/* check.c */
struct check_conf {
	double		 cc_start_timeout;	/* the hello */
	double		 cc_timeout;	/* each answer, exit */
	json_t		*cc_template;	/* create body, or NULL */
	const char	*cc_type;	/* TYPE[/VERSION], or NULL */
	int		 cc_max_concurrency;
};
int	 check_main(const struct check_conf *, char *const *);

/* watch.c */
struct watch_conf {
	struct npc_poll_conf	 wc_poll;
	int			 wc_inflight;	/* requests at once */
};
int	 watch_main(struct npc *, const struct watch_conf *, FILE *,
	    const char *);

#endif
