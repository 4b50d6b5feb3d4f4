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
static struct pool	**main_pools;
static size_t		  main_npools;
static enum main_phase	  main_phase = MAIN_RUNNING;
static ev_timer		  main_timer;
static ev_tstamp	  main_deadline;
static ev_signal	  main_sigterm, main_sigint, main_sighup;

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
		for (all = 1, i = 0; i < main_npools; i++)
			if (!pool_stopped(main_pools[i]))
				all = 0;
		if (all)
			main_next();
		break;
	default:
		break;
	}
}

static void
main_signal_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
	(void)loop;
	(void)revents;
	if (s->signum == SIGHUP) {
		log_warnx("SIGHUP: reloading is not available yet; the "
		    "running configuration stays");
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
	router_set_draining(1);
	main_phase = MAIN_DRAIN_DELAY;
	ev_timer_set(&main_timer, main_conf->cf_drain_delay, 0.);
	ev_timer_start(main_loop, &main_timer);
}

int
main(int argc, char *argv[])
{
	char	 err[1024], *cfile = NULL, *listen = NULL;
	char	**names = NULL;
	size_t	 nnames = 0, i;
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
			names = reallocarray(names, nnames + 1, sizeof(*names));
			if (names == NULL)
				fatalx("out of memory");
			names[nnames++] = optarg;
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
	if (cfile != NULL)
		main_conf = config_load(cfile, err, sizeof(err));
	else
		main_conf = config_parse(config_default_yaml,
		    strlen(config_default_yaml), "(built-in configuration)",
		    err, sizeof(err));
	if (main_conf == NULL || main_filter(main_conf, names, nnames, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "nebula-plugind: %s\n", err);
		config_free(main_conf);
		free(names);
		return 1;
	}
	free(names);
	if (main_conf->cf_rid_key_file != NULL &&
	    rid_keys_load(&main_keys, main_conf->cf_rid_key_file, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "nebula-plugind: resource_id_key_file: %s\n",
		    err);
		config_free(main_conf);
		return 1;
	}
	if (check) {
		printf("ok\n");
		rid_keys_clear(&main_keys);
		config_free(main_conf);
		return 0;
	}
	log_set_access(main_conf->cf_access_log);
	signal(SIGPIPE, SIG_IGN);
	main_loop = ev_default_loop(EVFLAG_AUTO);
	if (http_init(main_loop, &main_conf->cf_limits) == -1)
		fatalx("cannot set up the HTTP front");
	if (listen != NULL) {
		if (http_listen(listen, err, sizeof(err)) == -1)
			fatalx("%s", err);
	} else
		for (i = 0; i < main_conf->cf_nlisten; i++)
			if (http_listen(main_conf->cf_listen[i], err,
			    sizeof(err)) == -1)
				fatalx("%s", err);
	router_init(main_loop, main_conf, main_keys.nkeys ? &main_keys : NULL);
	main_npools = main_conf->cf_nplugins;
	if ((main_pools = calloc(main_npools + 1, sizeof(*main_pools))) == NULL)
		fatalx("out of memory");
	for (i = 0; i < main_npools; i++)
		if ((main_pools[i] = pool_new(main_loop, &main_conf->cf_plugins[i],
		    &main_conf->cf_limits)) == NULL)
			fatalx("out of memory");
	router_set_pools(main_pools, main_npools);
	for (i = 0; i < main_npools; i++)
		pool_start(main_pools[i]);
	log_info("nebula-plugind %s started, %zu plugin%s, configuration %s",
	    PACKAGE_VERSION, main_npools, main_npools == 1 ? "" : "s",
	    main_conf->cf_path ? main_conf->cf_path : "built-in");

	ev_init(&main_timer, main_timer_cb);
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
	http_shutdown();
	metrics_free();
	rid_keys_clear(&main_keys);
	config_free(main_conf);
	ev_signal_stop(main_loop, &main_sigterm);
	ev_signal_stop(main_loop, &main_sigint);
	ev_signal_stop(main_loop, &main_sighup);
	ev_loop_destroy(main_loop);
	log_info("stopped");
	return 0;
}
