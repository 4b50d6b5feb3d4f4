/*
 * nebula-plugind: the command line, start-up and the stop sequence.  It
 * loads the configuration, opens the listeners, starts a pool per plugin,
 * and runs the one libev loop; signals arrive through libev watchers only.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

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

/* The configuration read without -c when it exists. */
#define MAIN_CONF_FILE	NP_SYSCONFDIR "/nebula/nebula-plugind.yaml"

static void __attribute__((noreturn))
main_usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: nebula-plugind [-dhktTV] [-c file] [-l host:port] "
	    "[-p name]...\n"
	    "  -c file       configuration file (default: %s\n"
	    "                when it exists, else the built-in configuration:\n"
	    "                echo and sleep plugins on 127.0.0.1:8000)\n"
	    "  -d            debug logging\n"
	    "  -h, --help    this help\n"
	    "  -k            print a new random key for resource_id_key_file, "
	    "exit\n"
	    "  -l host:port  listen here instead (port 0 picks a free port)\n"
	    "  -p name       serve only this plugin; repeat for more\n"
	    "  -t            check the configuration, its files and commands, "
	    "print ok\n"
	    "                or every error (file:line: key: reason), exit\n"
	    "  -T            check the configuration's syntax only (no key, "
	    "secret or\n"
	    "                token files, no commands): for CI, exit\n"
	    "  -V            print the version\n"
	    "Signals: SIGTERM/SIGINT drain and stop, SIGHUP reloads.  "
	    "See nebula-plugind(8).\n", MAIN_CONF_FILE);
	exit(status);
}

/* -k: base64 of 32 random bytes, one line of resource_id_key_file. */
static int
main_keygen(void)
{
	unsigned char	 raw[32], text[4 * sizeof(raw) / 3 + 4];

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		fprintf(stderr, "nebula-plugind: no random bytes from "
		    "libcrypto\n");
		return 1;
	}
	EVP_EncodeBlock(text, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	printf("%s\n", text);
	OPENSSL_cleanse(text, sizeof(text));
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Whether a HOST:PORT listener address names a loopback host only. */
static int
main_loopback(const char *addr)
{
	const char	*end;
	size_t		 len;

	if (addr[0] == '[') {
		end = strchr(addr, ']');
		addr++;
	} else
		end = strrchr(addr, ':');
	len = end != NULL ? (size_t)(end - addr) : strlen(addr);
	if (len == 9 && strncmp(addr, "localhost", len) == 0)
		return 1;
	if (len == 3 && strncmp(addr, "::1", len) == 0)
		return 1;
	return len > 4 && strncmp(addr, "127.", 4) == 0;
}

/* Unsigned resource ids on a listener others can reach: say so. */
static void
main_warn_unsigned(const char *listen)
{
	const char	*addr = NULL;
	size_t		 i;

	if (main_keys.nkeys > 0)
		return;
	if (listen != NULL && !main_loopback(listen))
		addr = listen;
	for (i = 0; listen == NULL && i < main_conf->cf_nlisten; i++)
		if (!main_loopback(main_conf->cf_listen[i]))
			addr = main_conf->cf_listen[i];
	if (addr != NULL)
		log_warnx("resource ids are not signed and %s is not a loopback "
		    "address: any client can forge a job's resource_id; set "
		    "resource_id_key_file (nebula-plugind -k makes a key)",
		    addr);
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

/* Equal plugins but for instances: the pool adds or stops instances. */
static int
main_same_but_instances(const struct plugin_conf *old,
    const struct plugin_conf *pc)
{
	struct plugin_conf	 tmp = *pc;

	tmp.pc_instances = old->pc_instances;
	return config_plugin_equal(old, &tmp);
}

/*
 * A reload's new set, built beside the running one by main_set_build() and
 * applied by main_set_commit().  Until the commit nothing running is
 * touched: kept pools are only named here (ms_keep), fresh ones are made
 * but not started.
 */
struct main_set {
	struct config		*ms_conf;
	struct rid_keys		 ms_keys;
	struct auth		*ms_auth;
	void			*ms_tls;
	struct pool		**ms_pools;	/* fresh pools, NULL where kept */
	size_t			*ms_keep;	/* kept: index in main_pools */
	struct main_retired	*ms_retired;	/* made now, used by commit */
	size_t			 ms_kept, ms_fresh;
};
#define MAIN_SET_FRESH	((size_t)-1)

/* Frees what main_set_build() made and main_set_commit() did not take. */
static void
main_set_clear(struct main_set *ms)
{
	size_t	 i;

	if (ms->ms_pools != NULL && ms->ms_conf != NULL)
		for (i = 0; i < ms->ms_conf->cf_nplugins; i++)
			pool_free(ms->ms_pools[i]);
	free(ms->ms_pools);
	free(ms->ms_keep);
	if (ms->ms_retired != NULL)
		free(ms->ms_retired->mr_pools);
	free(ms->ms_retired);
	rid_keys_clear(&ms->ms_keys);
	auth_free(ms->ms_auth);
	tls_ctx_free(ms->ms_tls);
	config_free(ms->ms_conf);
	memset(ms, 0, sizeof(*ms));
}

/*
 * Reload, step 1: parses and checks the whole new file, loads its keys,
 * tokens and certificates, and diffs its plugins against the running
 * pools: an equal plugin keeps its pool, any other gets a fresh one (not
 * started).  0, or -1 with err set and the running configuration untouched.
 */
static int
main_set_build(struct main_set *ms, char *err, size_t errlen)
{
	struct config	*cf;
	size_t		 i, j, n;

	memset(ms, 0, sizeof(*ms));
	err[0] = '\0';
	if ((cf = ms->ms_conf = config_load(main_conf->cf_path, err,
	    errlen)) == NULL)
		goto fail;
	if (main_filter(cf, main_names, main_nnames, err, errlen) == -1)
		goto fail;
	if (cf->cf_rid_key_file != NULL && rid_keys_load(&ms->ms_keys,
	    cf->cf_rid_key_file, err, errlen) == -1)
		goto fail;
	if ((ms->ms_auth = auth_new(cf, err, errlen)) == NULL)
		goto fail;
	if ((ms->ms_tls = tls_ctx_new(cf, err, errlen)) == NULL &&
	    err[0] != '\0')
		goto fail;
	if (cf->cf_front_processes != main_conf->cf_front_processes) {
		snprintf(err, errlen, "changing front_processes needs a "
		    "restart");
		goto fail;
	}
	if ((ms->ms_tls == NULL) != (main_tls == NULL)) {
		snprintf(err, errlen, "turning TLS on or off needs a restart");
		goto fail;
	}
	n = cf->cf_nplugins;
	if ((ms->ms_pools = calloc(n + 1, sizeof(*ms->ms_pools))) == NULL ||
	    (ms->ms_keep = calloc(n + 1, sizeof(*ms->ms_keep))) == NULL ||
	    (ms->ms_retired = calloc(1, sizeof(*ms->ms_retired))) == NULL ||
	    (ms->ms_retired->mr_pools = calloc(main_npools + 1,
	    sizeof(*ms->ms_retired->mr_pools))) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		struct plugin_conf *pc = &cf->cf_plugins[i];

		for (j = 0; j < main_npools; j++)
			if (strcmp(pool_name(main_pools[j]), pc->pc_name) == 0 &&
			    main_same_but_instances(pool_conf(main_pools[j]),
			    pc))
				break;
		if (j < main_npools) {
			ms->ms_keep[i] = j;
			ms->ms_kept++;
			continue;
		}
		ms->ms_keep[i] = MAIN_SET_FRESH;
		if ((ms->ms_pools[i] = pool_new(main_loop, pc,
		    &cf->cf_limits)) == NULL)
			goto oom;
		ms->ms_fresh++;
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	main_set_clear(ms);
	return -1;
}

/*
 * Reload, step 2, which cannot fail: kept pools take their new
 * configuration (and instance count), fresh ones inherit their
 * predecessor's counters and start; a predecessor with a ready instance
 * serves on until the fresh pool's first hello, then drains (pool.c); the
 * others, removed, drain now.  All wait in main_retired with the old
 * configuration until their workers are reaped.
 */
static void
main_set_commit(struct main_set *ms)
{
	struct config		*cf = ms->ms_conf;
	struct main_retired	*mr = ms->ms_retired;
	struct pool		**old = main_pools;
	size_t			 i, j, nold = main_npools;
	int			 changed, handover;

	for (i = 0; i < cf->cf_nplugins; i++) {
		if ((j = ms->ms_keep[i]) == MAIN_SET_FRESH)
			continue;
		ms->ms_pools[i] = old[j];
		old[j] = NULL;
		pool_set_conf(ms->ms_pools[i], &cf->cf_plugins[i]);
		pool_set_limits(ms->ms_pools[i], &cf->cf_limits);
	}
	for (j = 0; j < nold; j++)
		if (old[j] != NULL) {
			changed = handover = 0;
			for (i = 0; i < cf->cf_nplugins; i++)
				if (pool_fresh(ms->ms_pools[i]) &&
				    strcmp(pool_name(old[j]),
				    pool_name(ms->ms_pools[i])) == 0) {
					changed = 1;
					handover = pool_inherit(ms->ms_pools[i],
					    old[j]);
				}
			log_info("plugin %s: %s", pool_name(old[j]), !changed ?
			    "removed, draining its instances" : handover ?
			    "configuration changed, its instances serve until "
			    "a new one is ready" : "configuration changed, "
			    "draining its instances");
			if (!changed || !handover)
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
	main_pools = ms->ms_pools;
	main_npools = cf->cf_nplugins;
	rid_keys_clear(&main_keys);
	main_keys = ms->ms_keys;
	auth_free(main_auth);
	main_auth = ms->ms_auth;
	main_tls = ms->ms_tls;
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
	    "draining", main_conf->cf_path, ms->ms_kept,
	    ms->ms_kept == 1 ? "" : "s", ms->ms_fresh,
	    main_retired ? main_retired->mr_npools : 0);
	free(ms->ms_keep);
}

/*
 * SIGHUP: the new set is built and checked completely first; a bad one
 * changes nothing.  Unchanged plugins keep running, changed ones get a new
 * pool, removed ones drain: their requests in flight are answered by them.
 */
static void
main_reload(void)
{
	struct main_set	 ms;
	char		 err[1024];

	if (main_conf->cf_path == NULL) {
		log_warnx("SIGHUP: running on the built-in configuration, "
		    "there is no file to reload");
		return;
	}
	if (main_set_build(&ms, err, sizeof(err)) == -1) {
		log_warnx("reload failed, the running configuration stays: %s",
		    err);
		metrics_reload(0);
		return;
	}
	main_set_commit(&ms);
	metrics_reload(1);
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
 * Everything start-up reads besides the listeners: the configuration (the
 * -c file, else the installed one when it exists, else the built-in one), the -p filter, resource_id keys, tokens, TLS files.
 */
static int
main_load(const char *cfile, char *err, size_t errlen)
{
	if (cfile == NULL && access(MAIN_CONF_FILE, F_OK) == 0)
		cfile = MAIN_CONF_FILE;
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

/* Each line of err, as one line of stderr. */
static void
main_print_errors(const char *err, const char *tag)
{
	const char	*nl;

	while (*err != '\0') {
		nl = strchr(err, '\n');
		fprintf(stderr, "nebula-plugind: %s%.*s\n", tag,
		    nl ? (int)(nl - err) : (int)strlen(err), err);
		err = nl ? nl + 1 : err + strlen(err);
	}
}

/*
 * -t and -T: the whole file is parsed and every error printed (FILE:LINE:
 * key: reason).  -t then does what start-up would: loads the key, token
 * and TLS files, and checks that each command resolves to an executable
 * (spawn_resolve(), as a worker's start does), each secret file is
 * readable and each workdir a directory.  -T (syntax only, for CI where
 * secrets and programs are absent) stops after the parse.  0 or 1.
 */
static int
main_check(const char *cfile, int syntax_only)
{
	struct rid_keys		 keys;
	struct auth		*auth;
	struct plugin_conf	*pc;
	struct stat		 sb;
	const char		*name;
	char			 err[16384], path[PATH_MAX];
	size_t			 i, j;
	int			 bad = 0;
	void			*tls;

	if (cfile == NULL && access(MAIN_CONF_FILE, F_OK) == 0)
		cfile = MAIN_CONF_FILE;
	if (cfile != NULL)
		main_conf = config_load(cfile, err, sizeof(err));
	else
		main_conf = config_parse(config_default_yaml,
		    strlen(config_default_yaml), "(built-in configuration)",
		    err, sizeof(err));
	if (main_conf == NULL || main_filter(main_conf, main_names,
	    main_nnames, err, sizeof(err)) == -1) {
		main_print_errors(err, "");
		return 1;
	}
	name = main_conf->cf_path ? main_conf->cf_path :
	    "(built-in configuration)";
	for (i = 0; i < main_conf->cf_nplugins; i++) {
		pc = &main_conf->cf_plugins[i];
		if (pc->pc_ntask_types == 0)
			fprintf(stderr, "nebula-plugind: warning: %s:%d: "
			    "plugin %s: task_types is not written down: until "
			    "its first hello only its name (%s/v1) routes to "
			    "it; write task_types\n", name, pc->pc_line,
			    pc->pc_name, pc->pc_name);
	}
	if (syntax_only)
		goto done;
	memset(&keys, 0, sizeof(keys));
	if (main_conf->cf_rid_key_file != NULL && rid_keys_load(&keys,
	    main_conf->cf_rid_key_file, err, sizeof(err)) == -1) {
		fprintf(stderr, "nebula-plugind: %s:%d: resource_id_key_file: "
		    "%s\n", name, main_conf->cf_rid_key_line, err);
		bad = 1;
	}
	rid_keys_clear(&keys);
	err[0] = '\0';
	if ((auth = auth_new(main_conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "nebula-plugind: %s:%d: tokens_file: %s\n",
		    name, main_conf->cf_tokens_line, err);
		bad = 1;
	}
	auth_free(auth);
	err[0] = '\0';
	if ((tls = tls_ctx_new(main_conf, err, sizeof(err))) == NULL &&
	    err[0] != '\0') {
		fprintf(stderr, "nebula-plugind: %s:%d: tls: %s\n", name,
		    main_conf->cf_tls_line, err);
		bad = 1;
	}
	tls_ctx_free(tls);
	for (i = 0; i < main_conf->cf_nplugins; i++) {
		pc = &main_conf->cf_plugins[i];
		if (spawn_resolve(pc->pc_path, path, sizeof(path)) == -1 ||
		    stat(path, &sb) == -1 || !S_ISREG(sb.st_mode)) {
			fprintf(stderr, "nebula-plugind: %s:%d: plugin %s: "
			    "command: %s: %s\n", name, pc->pc_command_line,
			    pc->pc_name, pc->pc_path, strchr(pc->pc_path, '/') ?
			    "not an executable file" : "no executable of that "
			    "name beside the daemon, in PATH or in "
			    NP_LIBEXECDIR "/nebula");
			bad = 1;
		}
		for (j = 0; j < pc->pc_nsecrets; j++)
			if (access(pc->pc_secrets[j].env_value, R_OK) == -1) {
				fprintf(stderr, "nebula-plugind: %s:%d: plugin "
				    "%s: secrets.%s: %s: %s\n", name,
				    pc->pc_line, pc->pc_name,
				    pc->pc_secrets[j].env_name,
				    pc->pc_secrets[j].env_value,
				    strerror(errno));
				bad = 1;
			}
		if (pc->pc_workdir != NULL && (stat(pc->pc_workdir, &sb) ==
		    -1 || !S_ISDIR(sb.st_mode))) {
			fprintf(stderr, "nebula-plugind: %s:%d: plugin %s: "
			    "workdir: %s: not a directory\n", name,
			    pc->pc_line, pc->pc_name, pc->pc_workdir);
			bad = 1;
		}
	}
done:
	if (!bad)
		printf("ok\n");
	return bad;
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
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char	 err[16384], *cfile = NULL, *listen = NULL;
	size_t	 i;
	int	 ch, check = 0, level = LOG_LEVEL_INFO;

	while ((ch = getopt_long(argc, argv, "c:dhkl:p:tTV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		case 'd':
			level = LOG_LEVEL_DEBUG;
			break;
		case 'h':
			main_usage(0);
		case 'k':
			return main_keygen();
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
		case 'T':
			check = 2;
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
	if (check) {
		ch = main_check(cfile, check == 2);
		main_release();
		return ch;
	}
	if (main_load(cfile, err, sizeof(err)) == -1) {
		main_print_errors(err, "");
		main_release();
		return 1;
	}
	log_set_access(main_conf->cf_access_log);
	signal(SIGPIPE, SIG_IGN);
	main_loop = ev_default_loop(EVFLAG_AUTO);
	ev_prepare_init(&main_log_prepare, main_log_cb);
	ev_prepare_start(main_loop, &main_log_prepare);
	ev_unref(main_loop);	/* the log alone keeps nothing running */
	if (http_init(main_loop, &main_conf->cf_limits) == -1)
		fatalx("cannot set up the HTTP front");
	http_set_router(router_dispatch, router_abort);
	/* The same listeners speak HTTP/2: gRPC for Flyte's services. */
	h2_set_limits(&main_conf->cf_limits);
	http_set_h2(h2_take);
	h2_set_released(http_conn_released);
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
	    main_conf->cf_path ? main_conf->cf_path : "built-in (no "
	    MAIN_CONF_FILE ")");
	main_warn_unsigned(listen);

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
