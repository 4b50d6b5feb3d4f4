/*
 * nebula-plugin: the command line of the client (SPEC.md section 5).  It
 * parses the global options (daemon URL, token file, request timeout),
 * dispatches to one command per function here or in its own file (watch,
 * local, check), prints JSON on stdout and one error line on stderr, and
 * maps every outcome onto the documented exit statuses.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

#define MAIN_ENV_URL		"NEBULA_PLUGIN_URL"
#define MAIN_ENV_TOKEN		"NEBULA_PLUGIN_TOKEN_FILE"
#define MAIN_CHECK_TIMEOUT	5.0
#define MAIN_START_TIMEOUT	5.0	/* the daemon's default timeouts.start */
#define MAIN_CHECK_CONCURRENCY	64
#define MAIN_WATCH_INFLIGHT	32


struct main_opts {
	const char	*mo_url;
	char		*mo_token;
	double		 mo_timeout;
	const char	*mo_cacert;	/* --cacert: CA of the server */
	const char	*mo_cert;	/* --cert, --key: mutual TLS */
	const char	*mo_key;
};

/* The usage text: on stdout for -h and --help, else on stderr. */
static void
main_usage_to(FILE *fp)
{
	fprintf(fp,
	    "usage: %s [-hV] [-s URL] [-T TOKEN_FILE] [-t SECONDS] "
	    "[--cacert FILE]\n"
	    "       [--cert FILE --key FILE] COMMAND [ARG]...\n"
	    "  create TYPE[/VERSION] FILE|-\n"
	    "  get TYPE[/VERSION] RESOURCE_ID\n"
	    "  delete TYPE[/VERSION] RESOURCE_ID\n"
	    "  run [-i SECONDS] [-m SECONDS] [-r COUNT] TYPE[/VERSION] FILE|-\n"
	    "  list\n"
	    "  watch [-i SECONDS] [-m SECONDS] [-n COUNT] [-r COUNT] FILE|-\n"
	    "  local [-i SECONDS] [-m SECONDS] [-w SECONDS] "
	    "[--start-timeout SECONDS]\n"
	    "        [--] COMMAND [ARG]...\n"
	    "  check [-n COUNT] [-w SECONDS] [--start-timeout SECONDS] "
	    "[--template FILE]\n"
	    "        [--type TYPE[/VERSION]] [--] COMMAND [ARG]...\n"
	    "  -h, --help    this help; see nebula-plugin(1)\n", NPC_PROGNAME);
}

static void
main_usage(void)
{
	main_usage_to(stderr);
}


static void
main_res_err(const char *what, const struct npc_result *res)
{
	if (res->res_status == 0)
		cli_err("%s: %s: %s", what, res->res_code, res->res_message);
	else
		cli_err("%s: %ld %s: %s", what, res->res_status, res->res_code,
		    res->res_message);
}




static int
main_seconds(const char *s, double *d)
{
	char	*end;

	errno = 0;
	*d = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(*d) ||
	    *d <= 0 || *d > 86400 * 365) {
		cli_err("not a positive number of seconds: %s", s);
		return -1;
	}
	return 0;
}

static int
main_count(const char *s, int min, int max, int *n)
{
	char	*end;
	long	 l;

	errno = 0;
	l = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || l < min || l > max) {
		cli_err("not a count from %d to %d: %s", min, max, s);
		return -1;
	}
	*n = (int)l;
	return 0;
}

/* The first line of the token file, without surrounding white space. */
static char *
main_token(const char *path)
{
	FILE	*fp;
	char	*line = NULL, *s, *e;
	size_t	 cap = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		cli_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (getline(&line, &cap, fp) == -1) {
		cli_err("%s: empty token file", path);
		free(line);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	for (s = line; *s == ' ' || *s == '\t'; s++)
		;
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]) != NULL)
		*--e = '\0';
	if (*s == '\0') {
		cli_err("%s: empty token", path);
		free(line);
		return NULL;
	}
	memmove(line, s, strlen(s) + 1);
	return line;
}

static void
main_on_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

/* SIGINT and SIGTERM set cli_stop once; a second one acts as usual. */
static void
main_catch_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static struct npc *
main_npc(const struct main_opts *mo)
{
	struct npc	*c;

	if ((c = npc_new(mo->mo_url, mo->mo_token, mo->mo_timeout)) == NULL)
		cli_err("out of memory");
	else if (npc_set_tls(c, mo->mo_cacert, mo->mo_cert, mo->mo_key) ==
	    -1) {
		cli_err("out of memory");
		npc_free(c);
		c = NULL;
	}
	return c;
}

/* Parses TYPE[/VERSION] and RESOURCE_ID or FILE: the common two args. */
static int
main_two(int argc, char **argv, char **type, char **version)
{
	if (argc != 3) {
		main_usage();
		return -1;
	}
	if (npc_split_type(argv[1], type, version) == -1) {
		cli_err("bad task type: %s (TYPE or TYPE/VERSION)", argv[1]);
		return -1;
	}
	return 0;
}

static int
cmd_create(const struct main_opts *mo, int argc, char **argv)
{
	struct npc_result	 res;
	struct npc		*c = NULL;
	char			*type = NULL, *version = NULL, *rid = NULL;
	json_t			*body = NULL;
	int			 ex = NPC_EXIT_USAGE;

	npc_result_init(&res);
	if (main_two(argc, argv, &type, &version) == -1 ||
	    (body = cli_read_json(argv[2])) == NULL)
		goto fail;
	ex = NPC_EXIT_ERROR;
	if ((c = main_npc(mo)) == NULL)
		goto fail;
	if (npc_create(c, type, version, body, &rid, &res) == -1) {
		main_res_err("create", &res);
		ex = npc_result_exit(&res);
		if (ex == NPC_EXIT_OK)
			ex = NPC_EXIT_ERROR;
		goto fail;
	}
	printf("%s\n", rid);
	ex = NPC_EXIT_OK;
fail:
	npc_result_clear(&res);
	npc_free(c);
	json_decref(body);
	free(rid);
	free(type);
	free(version);
	return ex;
}

/* get and delete: one call on one job, its answer printed. */
static int
cmd_job(const struct main_opts *mo, int argc, char **argv)
{
	struct npc_result	 res;
	struct npc		*c = NULL;
	char			*type = NULL, *version = NULL;
	int			 ex = NPC_EXIT_USAGE, rv;

	npc_result_init(&res);
	if (main_two(argc, argv, &type, &version) == -1)
		goto fail;
	ex = NPC_EXIT_ERROR;
	if ((c = main_npc(mo)) == NULL)
		goto fail;
	if (strcmp(argv[0], "get") == 0)
		rv = npc_get(c, type, version, argv[2], &res);
	else
		rv = npc_delete(c, type, version, argv[2], &res);
	if (rv == -1) {
		main_res_err(argv[0], &res);
		ex = npc_result_exit(&res);
		if (ex == NPC_EXIT_OK)
			ex = NPC_EXIT_ERROR;
		goto fail;
	}
	cli_print(res.res_body);
	ex = NPC_EXIT_OK;
fail:
	npc_result_clear(&res);
	npc_free(c);
	free(type);
	free(version);
	return ex;
}

static int
cmd_list(const struct main_opts *mo, int argc, char **argv)
{
	struct npc_result	 res;
	struct npc		*c;
	int			 ex;

	(void)argv;
	if (argc != 1) {
		main_usage();
		return NPC_EXIT_USAGE;
	}
	if ((c = main_npc(mo)) == NULL)
		return NPC_EXIT_ERROR;
	npc_result_init(&res);
	if (npc_list(c, &res) == -1) {
		main_res_err("list", &res);
		ex = npc_result_exit(&res);
		if (ex == NPC_EXIT_OK)
			ex = NPC_EXIT_ERROR;
	} else {
		cli_print(res.res_body);
		ex = NPC_EXIT_OK;
	}
	npc_result_clear(&res);
	npc_free(c);
	return ex;
}

/* Options -i, -m, -r shared by run and watch; 1 taken, 0 not, -1 bad. */
static int
main_poll_opt(int ch, struct npc_poll_conf *pc)
{
	switch (ch) {
	case 'i':
		return main_seconds(optarg, &pc->pc_initial) == -1 ? -1 : 1;
	case 'm':
		return main_seconds(optarg, &pc->pc_max) == -1 ? -1 : 1;
	case 'r':
		return main_count(optarg, 0, 1000000, &pc->pc_retries) == -1 ?
		    -1 : 1;
	}
	return 0;
}

static int
main_error_exit(const struct npc_result *res)
{
	int	 ex = npc_result_exit(res);

	return ex == NPC_EXIT_OK ? NPC_EXIT_ERROR : ex;
}

/* Deletes the job after an interrupt; always "failed" (the job aborted). */
static int
main_run_abort(struct npc *c, const struct npc_poll_conf *pc,
    const char *path, struct npc_result *res)
{
	npc_set_cancel(c, NULL);
	if (npc_poll_retry(c, pc, NULL, 1, "DELETE", path, NULL, res) == 0)
		cli_err("interrupted: job deleted");
	else
		main_res_err("interrupted: delete", res);
	return NPC_EXIT_FAILED;
}

/* run's progress on a terminal: one stderr line per phase change. */
static void
main_progress(void *arg, json_t *resource)
{
	char		**last = arg;
	const char	 *phase, *msg;

	phase = json_string_value(json_object_get(resource, "phase"));
	if (phase == NULL || (*last != NULL && strcmp(*last, phase) == 0))
		return;
	free(*last);
	*last = strdup(phase);
	msg = json_string_value(json_object_get(resource, "message"));
	fprintf(stderr, "%s: %s%s%s\n", NPC_PROGNAME, phase,
	    msg != NULL && *msg != '\0' ? ": " : "", msg != NULL ? msg : "");
}

/*
 * run's retries on a terminal: why and how long, so a plugin that cannot
 * start (503 until the retries run out) does not look like a hang.
 */
static void
main_retrying(void *arg, const struct npc_result *res, double delay)
{
	(void)arg;
	if (res->res_status != 0)
		fprintf(stderr, "%s: %ld %s: %s; retrying in %.1f s\n",
		    NPC_PROGNAME, res->res_status, res->res_code,
		    res->res_message, delay);
	else
		fprintf(stderr, "%s: %s: %s; retrying in %.1f s\n",
		    NPC_PROGNAME, res->res_code, res->res_message, delay);
}

static int
cmd_run(const struct main_opts *mo, int argc, char **argv)
{
	struct npc_poll_conf	 pc;
	struct npc_result	 res;
	struct npc		*c = NULL;
	char			*type = NULL, *version = NULL, *path = NULL;
	char			*jpath = NULL, *ridcopy = NULL, *phase = NULL;
	const char		*rid;
	json_t			*body = NULL, *r;
	int			 ex = NPC_EXIT_USAGE, ch, rv;

	npc_result_init(&res);
	npc_poll_conf_init(&pc);
	optind = 0;
	while ((ch = getopt(argc, argv, "+i:m:r:")) != -1)
		if ((rv = main_poll_opt(ch, &pc)) != 1) {
			if (rv == 0)
				main_usage();
			goto fail;
		}
	argc -= optind - 1;
	argv += optind - 1;
	if (main_two(argc, argv, &type, &version) == -1 ||
	    (body = cli_read_json(argv[2])) == NULL)
		goto fail;
	ex = NPC_EXIT_ERROR;
	if ((c = main_npc(mo)) == NULL ||
	    (path = npc_job_path(c, type, version, NULL)) == NULL)
		goto fail;
	main_catch_signals();
	if (isatty(STDERR_FILENO))
		pc.pc_retrying = main_retrying;
	rv = npc_poll_retry(c, &pc, &cli_stop, 0, "PUT", path, body, &res);
	if (rv == NPC_POLL_CANCELLED) {
		cli_err("interrupted before the job was created");
		ex = NPC_EXIT_FAILED;
		goto fail;
	}
	if (rv == -1) {
		main_res_err("create", &res);
		ex = main_error_exit(&res);
		goto fail;
	}
	rid = json_string_value(json_object_get(res.res_body, "resource_id"));
	if (rid == NULL) {
		cli_err("create: the answer has no resource_id");
		goto fail;
	}
	/* res_body is about to be replaced: keep our own copy of the id. */
	if ((ridcopy = strdup(rid)) == NULL ||
	    (jpath = npc_job_path(c, type, version, ridcopy)) == NULL)
		goto fail;
	if (cli_stop) {
		ex = main_run_abort(c, &pc, jpath, &res);
		goto fail;
	}
	r = json_object_get(res.res_body, "resource");
	if (r != NULL && json_is_string(json_object_get(r, "phase")) &&
	    npc_phase_terminal(json_string_value(json_object_get(r,
	    "phase")))) {
		ex = cli_outcome(r);
		goto fail;
	}
	if (isatty(STDERR_FILENO)) {
		pc.pc_progress = main_progress;
		pc.pc_progress_arg = &phase;
	}
	npc_set_cancel(c, &cli_stop);
	rv = npc_poll_job(c, &pc, &cli_stop, type, version, ridcopy, &res);
	if (rv == NPC_POLL_CANCELLED)
		ex = main_run_abort(c, &pc, jpath, &res);
	else if (rv == -1) {
		main_res_err("get", &res);
		ex = main_error_exit(&res);
	} else
		ex = cli_outcome(res.res_body);
fail:
	npc_result_clear(&res);
	npc_free(c);
	json_decref(body);
	free(path);
	free(jpath);
	free(ridcopy);
	free(phase);
	free(type);
	free(version);
	return ex;
}

static int
cmd_watch(const struct main_opts *mo, int argc, char **argv)
{
	struct watch_conf	 wc;
	struct npc		*c;
	FILE			*fp;
	int			 ch, rv;

	npc_poll_conf_init(&wc.wc_poll);
	wc.wc_inflight = MAIN_WATCH_INFLIGHT;
	optind = 0;
	while ((ch = getopt(argc, argv, "+i:m:n:r:")) != -1) {
		if (ch == 'n') {
			if (main_count(optarg, 1, 100000, &wc.wc_inflight) == -1)
				return NPC_EXIT_USAGE;
			continue;
		}
		if ((rv = main_poll_opt(ch, &wc.wc_poll)) != 1) {
			if (rv == 0)
				main_usage();
			return NPC_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		main_usage();
		return NPC_EXIT_USAGE;
	}
	if (strcmp(argv[optind], "-") == 0)
		fp = stdin;
	else if ((fp = fopen(argv[optind], "r")) == NULL) {
		cli_err("%s: %s", argv[optind], strerror(errno));
		return NPC_EXIT_USAGE;
	}
	if ((c = main_npc(mo)) == NULL)
		rv = NPC_EXIT_ERROR;
	else
		rv = watch_main(c, &wc, fp, argv[optind]);
	npc_free(c);
	if (fp != stdin)
		fclose(fp);
	return rv;
}

static int
cmd_local(const struct main_opts *mo, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "start-timeout", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct local_conf	 lc;
	json_t			*body;
	int			 ch, ex;

	lc.lc_initial = NPC_POLL_INITIAL;
	lc.lc_max = NPC_POLL_MAX;
	lc.lc_start_timeout = MAIN_START_TIMEOUT;
	lc.lc_timeout = mo->mo_timeout;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+i:m:w:", longopts, NULL)) !=
	    -1) {
		if ((ch == 'i' && main_seconds(optarg, &lc.lc_initial) == 0) ||
		    (ch == 'm' && main_seconds(optarg, &lc.lc_max) == 0) ||
		    (ch == 'w' && main_seconds(optarg, &lc.lc_timeout) == 0) ||
		    (ch == 'S' &&
		    main_seconds(optarg, &lc.lc_start_timeout) == 0))
			continue;
		if (ch != 'i' && ch != 'm' && ch != 'w' && ch != 'S')
			main_usage();
		return NPC_EXIT_USAGE;
	}
	if (optind >= argc) {
		main_usage();
		return NPC_EXIT_USAGE;
	}
	if ((body = cli_read_json("-")) == NULL)
		return NPC_EXIT_USAGE;
	main_catch_signals();
	ex = local_main(&lc, argv + optind, body);
	json_decref(body);
	return ex;
}

static int
cmd_check(const struct main_opts *mo, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "start-timeout", required_argument, NULL, 'S' },
		{ "template", required_argument, NULL, 'f' },
		{ "type", required_argument, NULL, 'y' },
		{ NULL, 0, NULL, 0 }
	};
	struct check_conf	 cc;
	json_t			*tmpl = NULL;
	int			 ch, ex = NPC_EXIT_USAGE;

	(void)mo;
	memset(&cc, 0, sizeof(cc));
	cc.cc_start_timeout = MAIN_START_TIMEOUT;
	cc.cc_timeout = MAIN_CHECK_TIMEOUT;
	cc.cc_max_concurrency = MAIN_CHECK_CONCURRENCY;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+n:w:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			json_decref(tmpl);
			if ((tmpl = cli_read_json(optarg)) == NULL)
				goto fail;
			if (!json_is_object(json_object_get(tmpl,
			    "task_template"))) {
				cli_err("%s: no task_template object", optarg);
				goto fail;
			}
			break;
		case 'n':
			if (main_count(optarg, 1, NP_MAX_CONCURRENCY,
			    &cc.cc_max_concurrency) == -1)
				goto fail;
			break;
		case 'S':
			if (main_seconds(optarg, &cc.cc_start_timeout) == -1)
				goto fail;
			break;
		case 'w':
			if (main_seconds(optarg, &cc.cc_timeout) == -1)
				goto fail;
			break;
		case 'y':
			cc.cc_type = optarg;
			break;
		default:
			main_usage();
			goto fail;
		}
	}
	if (optind >= argc) {
		main_usage();
		goto fail;
	}
	cc.cc_template = tmpl;
	ex = check_main(&cc, argv + optind);
fail:
	json_decref(tmpl);
	return ex;
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char	*name;
		int		(*fn)(const struct main_opts *, int, char **);
	} cmds[] = {
		{ "check", cmd_check },
		{ "create", cmd_create },
		{ "delete", cmd_job },
		{ "get", cmd_job },
		{ "list", cmd_list },
		{ "local", cmd_local },
		{ "run", cmd_run },
		{ "watch", cmd_watch },
	};
	struct main_opts	 mo;
	const char		*token_file;
	size_t			 i;
	int			 ch, ex;

	memset(&mo, 0, sizeof(mo));
	mo.mo_timeout = NPC_DEFAULT_TIMEOUT;
	mo.mo_url = getenv(MAIN_ENV_URL);
	token_file = getenv(MAIN_ENV_TOKEN);
	static const struct option gopts[] = {
		{ "cacert", required_argument, NULL, 'A' },
		{ "cert", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "key", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};

	while ((ch = getopt_long(argc, argv, "+hVs:T:t:", gopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'A':
			mo.mo_cacert = optarg;
			break;
		case 'C':
			mo.mo_cert = optarg;
			break;
		case 'K':
			mo.mo_key = optarg;
			break;
		case 'h':
			main_usage_to(stdout);
			return NPC_EXIT_OK;
		case 'V':
			printf("%s %s\n", NPC_PROGNAME, PACKAGE_VERSION);
			return NPC_EXIT_OK;
		case 's':
			mo.mo_url = optarg;
			break;
		case 'T':
			token_file = optarg;
			break;
		case 't':
			if (main_seconds(optarg, &mo.mo_timeout) == -1)
				return NPC_EXIT_USAGE;
			break;
		default:
			main_usage();
			return NPC_EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		main_usage();
		return NPC_EXIT_USAGE;
	}
	if ((mo.mo_cert == NULL) != (mo.mo_key == NULL)) {
		cli_err("--cert and --key go together");
		return NPC_EXIT_USAGE;
	}
	if (mo.mo_url == NULL || *mo.mo_url == '\0')
		mo.mo_url = NPC_DEFAULT_URL;
	if (token_file != NULL && *token_file != '\0' &&
	    (mo.mo_token = main_token(token_file)) == NULL)
		return NPC_EXIT_USAGE;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		cli_err("unknown command: %s", argv[0]);
		main_usage();
		free(mo.mo_token);
		return NPC_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		cli_err("cannot initialise libcurl");
		free(mo.mo_token);
		return NPC_EXIT_ERROR;
	}
	ex = cmds[i].fn(&mo, argc, argv);
	curl_global_cleanup();
	free(mo.mo_token);
	return ex;
}
