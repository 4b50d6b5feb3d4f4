/*
 * nebula-plugind: the command line, start-up and the stop sequence.  It
 * loads the configuration, opens the listeners, starts a pool per plugin,
 * and runs the one libev loop; signals arrive through libev watchers only.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nebula-plugind.h"

enum main_phase {
	MAIN_RUNNING,
	MAIN_DRAIN_DELAY,	/* /readyz says 503, still serving */
	MAIN_FINISHING,		/* not accepting, answering what is left */
	MAIN_STOPPING_WORKERS,
	MAIN_DONE
};

static struct ev_loop	*main_loop;
static struct config	*main_conf;
static struct rid_keys	 main_keys;
static struct auth	*main_auth;
static void		*main_tls;	/* SSL_CTX for new connections */
static struct pool	**main_pools;
static size_t		  main_npools;
static enum main_phase	  main_phase = MAIN_RUNNING;
static ev_timer		  main_timer;
static ev_tstamp	  main_deadline;
static ev_signal	  main_sigterm, main_sigint, main_sighup;
static char		**main_names;		/* -p */
static size_t		  main_nnames;
static ev_timer		  main_retire_timer;
static ev_prepare	  main_log_prepare;

/* Pools a reload removed or replaced, draining, with the old configuration. */
struct main_retired {
	struct config		*mr_conf;
	struct pool		**mr_pools;
	size_t			  mr_npools;
	struct main_retired	*mr_next;
};
static struct main_retired *main_retired;

static void __attribute__((noreturn))
main_usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: nebula-plugind [-c FILE] [-l HOST:PORT] [-p NAME]... [-t] "
	    "[-d] [-h] [-V]\n"
	    "  -c FILE       configuration file (default: the built-in "
	    "configuration,\n"
	    "                echo and sleep plugins on 127.0.0.1:8000)\n"
	    "  -l HOST:PORT  listen here instead (port 0 picks a free port)\n"
	    "  -p NAME       serve only this plugin; repeat for more\n"
	    "  -t            check the configuration, print ok or what is "
	    "wrong, exit\n"
	    "  -d            debug logging\n"
	    "  -h            this help\n"
	    "  -V            print the version\n"
	    "Signals: SIGTERM/SIGINT drain and stop, SIGHUP reloads.  "
	    "See nebula-plugind(8).\n");
	exit(status);
}

/* Keeps only the plugins named with -p; 0, or -1 naming the unknown one. */
static int
main_filter(struct config *cf, char **names, size_t nnames, char *err,
    size_t errlen)
{
	size_t	 i, j, keep = 0;

	for (i = 0; i < nnames; i++)
		if (config_plugin_find(cf, names[i]) == NULL) {
			snprintf(err, errlen, "-p %s: no such plugin in the "
			    "configuration", names[i]);
			return -1;
		}
	if (nnames == 0)
		return 0;
	for (i = 0; i < cf->cf_nplugins; i++) {
		for (j = 0; j < nnames; j++)
			if (strcmp(cf->cf_plugins[i].pc_name, names[j]) == 0)
				break;
		if (j < nnames) {
			if (keep != i) {
				struct plugin_conf tmp = cf->cf_plugins[keep];

				cf->cf_plugins[keep] = cf->cf_plugins[i];
				cf->cf_plugins[i] = tmp;
			}
			keep++;
		}
	}
	/* The rest stays allocated past cf_nplugins: config_free frees it. */
	cf->cf_nplugins = keep;
	return 0;
}

static int
main_retired_stopped(void)
{
	struct main_retired	*mr;
	size_t			 i;

	for (mr = main_retired; mr != NULL; mr = mr->mr_next)
		for (i = 0; i < mr->mr_npools; i++)
			if (!pool_stopped(mr->mr_pools[i]))
				return 0;
	return 1;
}

static double
main_stop_timeout(void)
{
	double	 t = 0;
	size_t	 i;

	for (i = 0; i < main_npools; i++)
		if (pool_conf(main_pools[i])->pc_t_stop > t)
			t = pool_conf(main_pools[i])->pc_t_stop;
	return t > 0 ? t : 5;
}

static void
main_next(void)
{
	size_t	 i;

	switch (main_phase) {
	case MAIN_RUNNING:
	case MAIN_DRAIN_DELAY:
		log_info("no longer accepting connections; finishing requests "
		    "in flight");
		http_stop_accepting();
		h2_shutdown();
		main_phase = MAIN_FINISHING;
		main_deadline = ev_now(main_loop) + main_stop_timeout();
		break;
	case MAIN_FINISHING:
		log_info("stopping workers");
		main_phase = MAIN_STOPPING_WORKERS;
		for (i = 0; i < main_npools; i++)
			pool_stop(main_pools[i]);
		break;
	case MAIN_STOPPING_WORKERS:
		main_phase = MAIN_DONE;
		ev_timer_stop(main_loop, &main_timer);
		ev_break(main_loop, EVBREAK_ALL);
		return;
	case MAIN_DONE:
		return;
	}
	ev_timer_stop(main_loop, &main_timer);
	ev_timer_set(&main_timer, 0.02, 0.02);
	ev_timer_start(main_loop, &main_timer);
}

static void
main_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	size_t	 i;
	int	 all;

	(void)loop;
	(void)t;
	(void)revents;
	switch (main_phase) {
	case MAIN_DRAIN_DELAY:
		main_next();
		break;
	case MAIN_FINISHING:
		if (http_requests_pending() == 0 ||
		    ev_now(main_loop) >= main_deadline)
			main_next();
		break;
	case MAIN_STOPPING_WORKERS:
		for (all = main_retired_stopped(), i = 0; i < main_npools; i++)
			if (!pool_stopped(main_pools[i]))
				all = 0;
		if (all)
			main_next();
		break;
	default:
		break;
	}
}

/* Frees retired pools whose workers are all gone (or all, when forced). */
static void
main_retired_reap(int force)
{
	struct main_retired	*mr, **prev = &main_retired;
	size_t			 i;
	int			 done;

	while ((mr = *prev) != NULL) {
		for (done = 1, i = 0; i < mr->mr_npools; i++)
			if (!pool_stopped(mr->mr_pools[i]))
				done = 0;
		if (!done && !force) {
			prev = &mr->mr_next;
			continue;
		}
		for (i = 0; i < mr->mr_npools; i++)
			pool_free(mr->mr_pools[i]);
		free(mr->mr_pools);
		config_free(mr->mr_conf);
		*prev = mr->mr_next;
		free(mr);
	}
	if (main_retired == NULL)
		ev_timer_stop(main_loop, &main_retire_timer);
}

static void
main_retire_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)t;
	(void)revents;
	main_retired_reap(0);
}

/*
 * SIGHUP: the new file is parsed and checked completely first; a bad one
 * changes nothing.  Unchanged plugins keep running, changed ones get a new
 * pool, removed ones drain: their requests in flight are answered by them.
 */
static void
main_reload(void)
{
	struct config		*cf;
	struct rid_keys		 keys;
	struct auth		*auth = NULL;
	void			*tls = NULL;
	struct pool		**pools = NULL, **old = main_pools;
	struct main_retired	*mr = NULL;
	size_t			 i, j, nold = main_npools, kept = 0, fresh = 0;
	char			 err[1024];

	memset(&keys, 0, sizeof(keys));
	if (main_conf->cf_path == NULL) {
		log_warnx("SIGHUP: running on the built-in configuration, "
		    "there is no file to reload");
		return;
	}
	cf = config_load(main_conf->cf_path, err, sizeof(err));
	if (cf == NULL || main_filter(cf, main_names, main_nnames, err,
	    sizeof(err)) == -1)
		goto fail;
	if (cf->cf_rid_key_file != NULL && rid_keys_load(&keys,
	    cf->cf_rid_key_file, err, sizeof(err)) == -1)
		goto fail;
	if ((auth = auth_new(cf, err, sizeof(err))) == NULL)
		goto fail;
	if ((tls = tls_ctx_new(cf, err, sizeof(err))) == NULL && err[0] != '\0')
		goto fail;
	if (cf->cf_front_processes != main_conf->cf_front_processes) {
		snprintf(err, sizeof(err), "changing front_processes needs a "
		    "restart");
		goto fail;
	}
	if ((tls == NULL) != (main_tls == NULL)) {
		snprintf(err, sizeof(err), "turning TLS on or off needs a "
		    "restart");
		goto fail;
	}
	if ((pools = calloc(cf->cf_nplugins + 1, sizeof(*pools))) == NULL ||
	    (mr = calloc(1, sizeof(*mr))) == NULL ||
	    (mr->mr_pools = calloc(nold + 1, sizeof(*mr->mr_pools))) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	for (i = 0; i < cf->cf_nplugins; i++) {
		struct plugin_conf *pc = &cf->cf_plugins[i];

		for (j = 0; j < nold; j++)
			if (old[j] != NULL &&
			    strcmp(pool_name(old[j]), pc->pc_name) == 0 &&
			    config_plugin_equal(pool_conf(old[j]), pc))
				break;
		if (j < nold) {
			pools[i] = old[j];
			old[j] = NULL;
			pool_set_conf(pools[i], pc);
			pool_set_limits(pools[i], &cf->cf_limits);
			kept++;
		} else if ((pools[i] = pool_new(main_loop, pc,
		    &cf->cf_limits)) == NULL) {
			snprintf(err, sizeof(err), "out of memory");
			for (j = 0; j < i; j++)
				if (pools[j] != NULL && !pool_started(pools[j]))
					pool_free(pools[j]);
			goto fail;
		} else
			fresh++;
	}
	/* Committed from here on. */
	for (i = 0; i < cf->cf_nplugins; i++)
		for (j = 0; j < nold; j++)
			if (old[j] != NULL && pool_fresh(pools[i]) &&
			    strcmp(pool_name(old[j]), pool_name(pools[i])) == 0)
				pool_inherit(pools[i], old[j]);
	for (j = 0; j < nold; j++)
		if (old[j] != NULL) {
			log_info("plugin %s: %s, draining its old instances",
			    pool_name(old[j]), config_plugin_find(cf,
			    pool_name(old[j])) ? "configuration changed" :
			    "removed");
			pool_stop(old[j]);
			mr->mr_pools[mr->mr_npools++] = old[j];
		}
	free(old);
	mr->mr_conf = main_conf;
	if (mr->mr_npools > 0) {
		mr->mr_next = main_retired;
		main_retired = mr;
		ev_timer_start(main_loop, &main_retire_timer);
	} else {
		config_free(mr->mr_conf);
		free(mr->mr_pools);
		free(mr);
	}
	main_conf = cf;
	main_pools = pools;
	main_npools = cf->cf_nplugins;
	rid_keys_clear(&main_keys);
	main_keys = keys;
	auth_free(main_auth);
	main_auth = auth;
	main_tls = tls;
	tls_ctx_set(main_tls);	/* new certificates for new connections */
	call_init(main_loop, main_keys.nkeys ? &main_keys : NULL, main_auth);
	call_set_pools(main_pools, main_npools);
	http_set_limits(&main_conf->cf_limits);
	h2_set_limits(&main_conf->cf_limits);
	log_set_access(main_conf->cf_access_log);
	for (i = 0; i < main_npools; i++)
		if (pool_fresh(main_pools[i]))
			pool_start(main_pools[i]);
	log_info("reloaded %s: %zu plugin%s unchanged, %zu started, %zu "
	    "draining", main_conf->cf_path, kept, kept == 1 ? "" : "s", fresh,
	    main_retired ? main_retired->mr_npools : 0);
	return;
fail:
	log_warnx("reload failed, the running configuration stays: %s", err);
	if (mr != NULL)
		free(mr->mr_pools);
	free(mr);
	free(pools);
	rid_keys_clear(&keys);
	auth_free(auth);
	tls_ctx_free(tls);
	config_free(cf);
}

/* Before the loop waits: the lines of this iteration, in one write. */
static void
main_log_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	(void)loop;
	(void)p;
	(void)revents;
	log_flush();
}

static void
main_signal_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
	(void)loop;
	(void)revents;
	if (s->signum == SIGHUP) {
		if (main_phase == MAIN_RUNNING)
			main_reload();
		return;
	}
	if (main_phase != MAIN_RUNNING) {
		log_info("second stop signal: stopping now");
		if (main_phase < MAIN_FINISHING)
			main_next();
		if (main_phase == MAIN_FINISHING)
			main_next();
		return;
	}
	log_info("signal %d: draining for %.3g s, then stopping", s->signum,
	    main_conf->cf_drain_delay);
	call_set_draining(1);
	main_phase = MAIN_DRAIN_DELAY;
	ev_timer_set(&main_timer, main_conf->cf_drain_delay, 0.);
	ev_timer_start(main_loop, &main_timer);
}

/*
 * Everything start-up reads besides the listeners: the configuration (file
 * or built-in), the -p filter, resource_id keys, tokens, TLS files.
 */
static int
main_load(const char *cfile, char *err, size_t errlen)
{
	if (cfile != NULL)
		main_conf = config_load(cfile, err, errlen);
	else
		main_conf = config_parse(config_default_yaml,
		    strlen(config_default_yaml), "(built-in configuration)",
		    err, errlen);
	if (main_conf == NULL || main_filter(main_conf, main_names,
	    main_nnames, err, errlen) == -1)
		return -1;
	if (main_conf->cf_rid_key_file != NULL &&
	    rid_keys_load(&main_keys, main_conf->cf_rid_key_file, err,
	    errlen) == -1)
		return -1;
	if ((main_auth = auth_new(main_conf, err, errlen)) == NULL)
		return -1;
	main_tls = tls_ctx_new(main_conf, err, errlen);
	if (main_tls == NULL && err[0] != '\0')
		return -1;
	tls_ctx_set(main_tls);		/* tls.c owns it from here */
	return 0;
}

/* Frees what main_load() made (and what a reload replaced it with). */
static void
main_release(void)
{
	tls_ctx_set(NULL);
	main_tls = NULL;
	auth_free(main_auth);
	main_auth = NULL;
	rid_keys_clear(&main_keys);
	config_free(main_conf);
	main_conf = NULL;
	free(main_names);
	main_names = NULL;
}

int
main(int argc, char *argv[])
{
	char	 err[1024], *cfile = NULL, *listen = NULL;
	size_t	 i;
	int	 ch, check = 0, level = LOG_LEVEL_INFO;

	while ((ch = getopt(argc, argv, "c:dhl:p:tV")) != -1) {
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		case 'd':
			level = LOG_LEVEL_DEBUG;
			break;
		case 'h':
			main_usage(0);
		case 'l':
			listen = optarg;
			break;
		case 'p':
			main_names = reallocarray(main_names, main_nnames + 1,
			    sizeof(*main_names));
			if (main_names == NULL)
				fatalx("out of memory");
			main_names[main_nnames++] = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'V':
			printf("nebula-plugind %s (protocol %d)\n",
			    PACKAGE_VERSION, NP_PROTOCOL_VERSION);
			return 0;
		default:
			main_usage(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "nebula-plugind: unexpected argument: %s\n",
		    argv[optind]);
		main_usage(2);
	}
	log_init(level);
	if (main_load(cfile, err, sizeof(err)) == -1) {
		fprintf(stderr, "nebula-plugind: %s\n", err);
		main_release();
		return 1;
	}
	if (check) {
		printf("ok\n");
		main_release();
		return 0;
	}
	log_set_access(main_conf->cf_access_log);
	signal(SIGPIPE, SIG_IGN);
	main_loop = ev_default_loop(EVFLAG_AUTO);
	ev_prepare_init(&main_log_prepare, main_log_cb);
	ev_prepare_start(main_loop, &main_log_prepare);
	ev_unref(main_loop);	/* the log alone keeps nothing running */
	if (http_init(main_loop, &main_conf->cf_limits) == -1)
		fatalx("cannot set up the HTTP front");
	/* The same listeners speak HTTP/2: gRPC for Flyte's services. */
	h2_set_limits(&main_conf->cf_limits);
	http_set_h2(h2_take);
	agentrpc_init();
	listen_set_reuseport(main_conf->cf_front_processes > 1);
	if (listen != NULL) {
		if (listen_add(listen, err, sizeof(err)) == -1)
			fatalx("%s", err);
	} else
		for (i = 0; i < main_conf->cf_nlisten; i++)
			if (listen_add(main_conf->cf_listen[i], err,
			    sizeof(err)) == -1)
				fatalx("%s", err);
	if (main_conf->cf_front_processes > 1) {
		int status;

		if (!front_start(main_loop, main_conf->cf_front_processes,
		    &status)) {
			/* The supervisor: every front has stopped. */
			front_free();
			http_shutdown();
			main_release();
			ev_ref(main_loop);
			ev_prepare_stop(main_loop, &main_log_prepare);
			ev_loop_destroy(main_loop);
			log_info("stopped");
			return status;
		}
	}
	call_init(main_loop, main_keys.nkeys ? &main_keys : NULL, main_auth);
	router_add(&rest_table);
	router_add(&agent_table);
	router_add(&probe_table);	/* last: it takes every other path */
	main_npools = main_conf->cf_nplugins;
	if ((main_pools = calloc(main_npools + 1, sizeof(*main_pools))) == NULL)
		fatalx("out of memory");
	for (i = 0; i < main_npools; i++)
		if ((main_pools[i] = pool_new(main_loop, &main_conf->cf_plugins[i],
		    &main_conf->cf_limits)) == NULL)
			fatalx("out of memory");
	call_set_pools(main_pools, main_npools);
	for (i = 0; i < main_npools; i++)
		pool_start(main_pools[i]);
	log_info("nebula-plugind %s started, %zu plugin%s, configuration %s",
	    PACKAGE_VERSION, main_npools, main_npools == 1 ? "" : "s",
	    main_conf->cf_path ? main_conf->cf_path : "built-in");

	ev_init(&main_timer, main_timer_cb);
	ev_timer_init(&main_retire_timer, main_retire_cb, 0.1, 0.1);
	ev_signal_init(&main_sigterm, main_signal_cb, SIGTERM);
	ev_signal_init(&main_sigint, main_signal_cb, SIGINT);
	ev_signal_init(&main_sighup, main_signal_cb, SIGHUP);
	ev_signal_start(main_loop, &main_sigterm);
	ev_signal_start(main_loop, &main_sigint);
	ev_signal_start(main_loop, &main_sighup);
	ev_run(main_loop, 0);

	for (i = 0; i < main_npools; i++)
		pool_free(main_pools[i]);
	free(main_pools);
	main_retired_reap(1);
	front_free();
	http_shutdown();
	metrics_free();
	main_release();
	ev_signal_stop(main_loop, &main_sigterm);
	ev_signal_stop(main_loop, &main_sigint);
	ev_signal_stop(main_loop, &main_sighup);
	ev_ref(main_loop);
	ev_prepare_stop(main_loop, &main_log_prepare);
	ev_loop_destroy(main_loop);
	log_info("stopped");
	return 0;
}
