/*
 * Unit tests for supervisor/worker.c (and spawn.c under it): the worker's
 * state machine driven with real child processes, small /bin/sh scripts,
 * on the real default ev loop.  The owner is this file, recording every
 * event; no pool is linked, which also proves the worker is a leaf.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "nebula-plugind.h"
#include "loopwait.h"

#define MAXSTATES	64

/* Hello, then answer each request line by its id; see the cases. */
#define SCRIPT_ANSWER \
	"printf '{\"hello\":{\"protocol\":1,\"concurrency\":4}}\\n'\n" \
	"while read -r line; do\n" \
	"  id=${line#*\\\"id\\\":}; id=${id%%[!0-9]*}\n" \
	"  case $line in\n" \
	"  *'\"hang\"'*) ;;\n" \
	"  *'\"crash\"'*) exit 3 ;;\n" \
	"  *'\"noise\"'*)\n" \
	"    printf '{\"id\":999,\"resource_meta\":{}}\\n'\n" \
	"    printf '{\"foo\":1}\\n'\n" \
	"    printf 'x\\001%0300d\\n' 0\n" \
	"    printf '{\"id\":%s,\"resource_meta\":{}}\\n' \"$id\" ;;\n" \
	"  *) printf '{\"id\":%s,\"resource_meta\":{}}\\n' \"$id\" ;;\n" \
	"  esac\n" \
	"done\n"

/* What the owner saw. */
struct owner {
	struct worker		*o_w;
	int			 o_hellos;
	int			 o_hello_conc;
	int			 o_answers;
	void			*o_answer_call;
	long long		 o_answer_id;
	int			 o_lost;
	void			*o_lost_calls[8];
	size_t			 o_nlost;
	int			 o_idle;
	enum worker_state	 o_states[MAXSTATES];
	int			 o_nstates;
	int			 o_exits;
	int			 o_exit_status;
	int			 o_violations;
	char			 o_why[512];
};

static struct ev_loop	*loop;
static struct owner	 own;
static char		*argv_sh[4];
static struct plugin_conf pc;
static struct worker_limits wl;
static char		 logpath[64];
static int		 saved_stderr = -1;

static void
on_hello(void *arg, struct worker *w, const struct msg_hello *h)
{
	struct owner	*o = arg;

	assert_ptr_equal(w, o->o_w);
	o->o_hellos++;
	o->o_hello_conc = h->hello_concurrency;
}

static void
on_answer(void *arg, void *call, json_t *obj, const struct jscan_raw *raw)
{
	struct owner	*o = arg;

	(void)raw;
	o->o_answers++;
	o->o_answer_call = call;
	o->o_answer_id = json_integer_value(json_object_get(obj, "id"));
}

static void
on_lost(void *arg, struct worker *w, void **calls, size_t n)
{
	struct owner	*o = arg;
	size_t		 i;

	assert_ptr_equal(w, o->o_w);
	o->o_lost++;
	for (i = 0; i < n && o->o_nlost < 8; i++)
		o->o_lost_calls[o->o_nlost++] = calls[i];
}

static void
on_idle(void *arg, struct worker *w)
{
	struct owner	*o = arg;

	assert_ptr_equal(w, o->o_w);
	o->o_idle++;
}

static void
on_changed(void *arg, struct worker *w)
{
	struct owner	*o = arg;

	if (o->o_nstates < MAXSTATES)
		o->o_states[o->o_nstates++] = worker_state(w);
}

static void
on_exited(void *arg, struct worker *w, int status, const char *why)
{
	struct owner	*o = arg;

	assert_ptr_equal(w, o->o_w);
	o->o_exits++;
	o->o_exit_status = status;
	snprintf(o->o_why, sizeof(o->o_why), "%s", why);
}

static void
on_violation(void *arg, struct worker *w)
{
	struct owner	*o = arg;

	assert_ptr_equal(w, o->o_w);
	o->o_violations++;
}

static const struct worker_events events = {
	on_hello, on_answer, on_lost, on_idle, on_changed, on_exited, NULL,
	on_violation
};

/* What run_until_state waits for. */
struct state_goal {
	struct worker		*sg_w;
	enum worker_state	 sg_state;
};

static int
in_state(void *arg)
{
	struct state_goal	*g = arg;

	return worker_state(g->sg_w) == g->sg_state;
}

static void
run_until_state(struct worker *w, enum worker_state st)
{
	struct state_goal	 g = { w, st };

	loopwait_until(loop, in_state, &g);
}

/* Sends {"what": what} for call and returns its id. */
static uint64_t
send_what(struct worker *w, void *call, const char *what)
{
	struct msg_request	 mr;
	json_t			*body = json_pack("{s:s}", "what", what);
	uint64_t		 id = 0;

	memset(&mr, 0, sizeof(mr));
	mr.mr_op = "create";
	mr.mr_task_type = "t";
	mr.mr_version = "v1";
	mr.mr_deadline_ms = -1;
	mr.mr_body = body;
	assert_int_equal(worker_send(w, call, &mr, &id), 0);
	json_decref(body);
	return id;
}

/* The daemon's log goes to a file while a test runs. */
static void
log_capture(void)
{
	int	 fd;

	log_flush();
	snprintf(logpath, sizeof(logpath), "/tmp/test_worker.XXXXXX");
	assert_true((fd = mkstemp(logpath)) != -1);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

/* Returns the log written since log_capture (to free). */
static char *
log_release(void)
{
	FILE	*fp;
	char	*text;
	long	 n;

	log_flush();
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
	assert_non_null(fp = fopen(logpath, "r"));
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	assert_non_null(text = calloc(1, (size_t)n + 1));
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	unlink(logpath);
	return text;
}

static struct worker *
new_worker(const char *script)
{
	struct worker	*w;

	argv_sh[0] = "/bin/sh";
	argv_sh[1] = "-c";
	argv_sh[2] = (char *)script;
	argv_sh[3] = NULL;
	assert_non_null(w = worker_new(loop, 0, &events, &own, &wl, &pc));
	own.o_w = w;
	return w;
}

/* Stops the worker and waits until it is dead and reaped, then frees it. */
static void
stop_and_free(struct worker *w)
{
	worker_stop(w);
	run_until_state(w, WORKER_DEAD);
	while (worker_pid(w) > 0) {
		int n = own.o_exits;

		loopwait_count(loop, &own.o_exits, n + 1);
	}
	worker_free(w);
}

static int
setup(void **state)
{
	(void)state;
	memset(&own, 0, sizeof(own));
	memset(&pc, 0, sizeof(pc));
	pc.pc_name = "t";
	pc.pc_argv = argv_sh;
	pc.pc_argc = 3;
	pc.pc_path = "/bin/sh";
	pc.pc_rl_as = pc.pc_rl_nofile = pc.pc_rl_cpu = RLIMIT_UNSET;
	memset(&wl, 0, sizeof(wl));
	wl.wl_max_line_bytes = 65536;
	wl.wl_t_start = 5;
	wl.wl_t_stop = 5;
	wl.wl_restart_initial = 0.01;
	wl.wl_restart_max = 0.03;
	snprintf(wl.wl_name, sizeof(wl.wl_name), "t");
	return 0;
}

/*
 * starting -> ready, an answer, a crash -> dead -> backoff -> starting ->
 * ready, then the stop: draining -> dead, the process reaped.
 */
static void
test_lifecycle(void **state)
{
	static const enum worker_state want[] = {
		WORKER_STARTING, WORKER_READY, WORKER_DEAD, WORKER_BACKOFF,
		WORKER_STARTING, WORKER_READY, WORKER_DRAINING, WORKER_DEAD
	};
	struct worker	*w;
	int		 call, i;
	uint64_t	 id;

	(void)state;
	w = new_worker(SCRIPT_ANSWER);
	assert_int_equal(worker_state(w), WORKER_DEAD);
	worker_start(w);
	assert_int_equal(worker_state(w), WORKER_STARTING);
	assert_true(worker_pid(w) > 0);
	loopwait_count(loop, &own.o_hellos, 1);
	assert_int_equal(worker_state(w), WORKER_READY);
	assert_int_equal(own.o_hello_conc, 4);
	assert_int_equal(worker_free_slots(w), 4);

	id = send_what(w, &call, "ok");
	assert_int_equal(worker_in_flight(w), 1);
	loopwait_count(loop, &own.o_answers, 1);
	assert_ptr_equal(own.o_answer_call, &call);
	assert_int_equal(own.o_answer_id, (long long)id);
	assert_int_equal(worker_in_flight(w), 0);
	assert_true(own.o_idle >= 2);	/* after the hello and the answer */

	send_what(w, &call, "crash");
	loopwait_count(loop, &own.o_exits, 1);
	assert_true(WIFEXITED(own.o_exit_status));
	assert_int_equal(WEXITSTATUS(own.o_exit_status), 3);
	assert_int_equal(worker_state(w), WORKER_BACKOFF);
	assert_true(worker_backoff_left(w) > 0);
	loopwait_count(loop, &own.o_hellos, 2);

	worker_stop(w);
	assert_int_equal(worker_state(w), WORKER_DRAINING);
	loopwait_count(loop, &own.o_exits, 2);	/* it exits on end of file */
	assert_int_equal(worker_state(w), WORKER_DEAD);
	assert_int_equal(worker_pid(w), 0);
	assert_int_equal(own.o_nstates, (int)(sizeof(want) / sizeof(want[0])));
	for (i = 0; i < own.o_nstates; i++)
		assert_int_equal(own.o_states[i], want[i]);
	worker_free(w);
}

static void
test_start_timeout(void **state)
{
	struct worker	*w;

	(void)state;
	wl.wl_t_start = 0.1;
	w = new_worker("exec sleep 30");
	worker_start(w);
	loopwait_count(loop, &own.o_exits, 1);
	assert_non_null(strstr(own.o_why, "no hello within the start timeout"));
	assert_true(WIFSIGNALED(own.o_exit_status));
	assert_int_equal(worker_state(w), WORKER_BACKOFF);
	assert_int_equal(own.o_hellos, 0);
	stop_and_free(w);
}

static void
test_bad_hello(void **state)
{
	struct worker	*w;

	(void)state;
	w = new_worker("printf '{\"hello\":{\"protocol\":2}}\\n'; exec sleep 30");
	worker_start(w);
	loopwait_count(loop, &own.o_exits, 1);
	assert_non_null(strstr(own.o_why, "protocol 2"));
	assert_non_null(strstr(own.o_why, "during the handshake"));
	assert_int_equal(own.o_hellos, 0);
	assert_int_equal(worker_state(w), WORKER_BACKOFF);

	/* A first line that is not JSON at all. */
	worker_stop(w);
	worker_free(w);
	memset(&own, 0, sizeof(own));
	w = new_worker("echo hello there; exec sleep 30");
	worker_start(w);
	loopwait_count(loop, &own.o_exits, 1);
	assert_non_null(strstr(own.o_why, "first line is not a JSON hello"));
	stop_and_free(w);
}

static void
test_crash_holding_calls(void **state)
{
	struct worker	*w;
	int		 a, b, c;

	(void)state;
	w = new_worker(SCRIPT_ANSWER);
	worker_start(w);
	loopwait_count(loop, &own.o_hellos, 1);
	send_what(w, &a, "hang");
	send_what(w, &b, "hang");
	send_what(w, &c, "crash");
	assert_int_equal(worker_in_flight(w), 3);
	assert_int_equal(worker_free_slots(w), 1);
	loopwait_count(loop, &own.o_lost, 1);
	assert_int_equal(own.o_nlost, 3);
	assert_true((own.o_lost_calls[0] == &a || own.o_lost_calls[1] == &a ||
	    own.o_lost_calls[2] == &a));
	assert_true((own.o_lost_calls[0] == &c || own.o_lost_calls[1] == &c ||
	    own.o_lost_calls[2] == &c));
	assert_int_equal(own.o_answers, 0);
	assert_int_equal(worker_in_flight(w), 0);
	loopwait_count(loop, &own.o_exits, 1);
	assert_int_equal(WEXITSTATUS(own.o_exit_status), 3);
	stop_and_free(w);
}

/* A forgotten call keeps its slot; its answer is dropped, not handed on. */
static void
test_forget(void **state)
{
	struct worker	*w;
	int		 a, b;
	char		*log;

	(void)state;
	w = new_worker(SCRIPT_ANSWER);
	worker_start(w);
	loopwait_count(loop, &own.o_hellos, 1);
	log_capture();
	send_what(w, &a, "ok");
	worker_forget(w, &a);
	assert_int_equal(worker_in_flight(w), 0);
	assert_int_equal(worker_free_slots(w), 3);
	send_what(w, &b, "ok");
	loopwait_count(loop, &own.o_answers, 1);
	assert_ptr_equal(own.o_answer_call, &b);
	log = log_release();
	assert_non_null(strstr(log, "late answer to request 1"));
	free(log);
	assert_int_equal(worker_free_slots(w), 4);
	stop_and_free(w);
}

/* A missing program: exited with the reason, the backoff doubles, caps. */
static void
test_exec_failure(void **state)
{
	struct worker	*w;
	char		*log;
	const char	*p;
	int		 n;

	(void)state;
	pc.pc_path = "/nonexistent/nebula-nothing";
	w = new_worker("");
	log_capture();
	worker_start(w);
	assert_int_equal(own.o_exits, 1);
	assert_int_equal(own.o_exit_status, -1);
	assert_non_null(strstr(own.o_why,
	    "cannot execute /nonexistent/nebula-nothing"));
	assert_int_equal(worker_state(w), WORKER_BACKOFF);
	assert_int_equal(worker_pid(w), 0);
	loopwait_count(loop, &own.o_exits, 5);
	worker_stop(w);
	assert_int_equal(worker_state(w), WORKER_DEAD);
	log = log_release();
	assert_non_null(p = strstr(log, "restarts in 0.010 s"));
	assert_non_null(p = strstr(p, "restarts in 0.020 s"));
	assert_non_null(p = strstr(p, "restarts in 0.030 s"));
	assert_non_null(p = strstr(p + 1, "restarts in 0.030 s"));
	for (n = 0, p = log; (p = strstr(p, "restarts in 0.010 s")) != NULL;
	    p++)
		n++;
	assert_int_equal(n, 1);
	free(log);
	worker_free(w);
}

/* exec itself fails in the child: the report pipe says why. */
static void
test_exec_report(void **state)
{
	struct worker	*w;
	char		 path[64];
	FILE		*fp;
	int		 fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_worker_bin.XXXXXX");
	assert_true((fd = mkstemp(path)) != -1);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs("\177ELF not really\n", fp);
	fclose(fp);
	chmod(path, 0700);
	pc.pc_path = path;
	w = new_worker("");
	worker_start(w);
	assert_int_equal(worker_state(w), WORKER_STARTING);
	loopwait_count(loop, &own.o_exits, 1);
	unlink(path);
	assert_non_null(strstr(own.o_why, "cannot execute"));
	assert_non_null(strstr(own.o_why, "Exec format error"));
	assert_int_equal(worker_state(w), WORKER_BACKOFF);
	stop_and_free(w);

	/* A workdir that does not exist fails in the child too. */
	memset(&own, 0, sizeof(own));
	pc.pc_path = "/bin/sh";
	pc.pc_workdir = "/nonexistent-workdir";
	w = new_worker(SCRIPT_ANSWER);
	worker_start(w);
	loopwait_count(loop, &own.o_exits, 1);
	assert_non_null(strstr(own.o_why, "cannot execute /bin/sh: No such "
	    "file or directory"));
	stop_and_free(w);
}

/* A worker that ignores end of file and SIGTERM gets SIGKILL. */
static void
test_stop_sequence(void **state)
{
	struct worker	*w;

	(void)state;
	wl.wl_t_stop = 0.1;
	w = new_worker("trap '' TERM\n"
	    "printf '{\"hello\":{\"protocol\":1}}\\n'\n"
	    "exec sleep 30\n");
	worker_start(w);
	loopwait_count(loop, &own.o_hellos, 1);
	worker_stop(w);
	assert_int_equal(worker_state(w), WORKER_DRAINING);
	loopwait_count(loop, &own.o_exits, 1);
	assert_non_null(strstr(own.o_why, "killed after the stop timeout"));
	assert_true(WIFSIGNALED(own.o_exit_status));
	assert_int_equal(WTERMSIG(own.o_exit_status), SIGKILL);
	assert_int_equal(worker_state(w), WORKER_DEAD);
	assert_int_equal(worker_pid(w), 0);
	worker_free(w);
}

/*
 * An answer with an unknown id, one without id and a line that is not
 * JSON are dropped and logged with the line quoted; the real answer
 * still arrives.
 */
static void
test_protocol_violations(void **state)
{
	struct worker	*w;
	int		 a;
	char		*log, want[300];

	(void)state;
	w = new_worker(SCRIPT_ANSWER);
	worker_start(w);
	loopwait_count(loop, &own.o_hellos, 1);
	log_capture();
	send_what(w, &a, "noise");
	loopwait_count(loop, &own.o_answers, 1);
	log = log_release();
	assert_ptr_equal(own.o_answer_call, &a);
	assert_int_equal(worker_state(w), WORKER_READY);
	assert_non_null(strstr(log, "protocol violation, line dropped: "
	    "unknown id: {\\\"id\\\":999,\\\"resource_meta\\\":{}}"));
	assert_non_null(strstr(log, "protocol violation, line dropped: "
	    "no id: {\\\"foo\\\":1}\""));
	/* 200 bytes: 'x', the control byte escaped, 198 zeros, then a cut. */
	snprintf(want, sizeof(want), ": x\\\\x01%0198d...\"", 0);
	assert_non_null(strstr(log, want));
	assert_null(strchr(strstr(log, want), '\001'));
	/* each dropped line is an event for the owner's metrics */
	assert_int_equal(own.o_violations, 3);
	free(log);
	stop_and_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_lifecycle, setup),
		cmocka_unit_test_setup(test_start_timeout, setup),
		cmocka_unit_test_setup(test_bad_hello, setup),
		cmocka_unit_test_setup(test_crash_holding_calls, setup),
		cmocka_unit_test_setup(test_forget, setup),
		cmocka_unit_test_setup(test_exec_failure, setup),
		cmocka_unit_test_setup(test_exec_report, setup),
		cmocka_unit_test_setup(test_stop_sequence, setup),
		cmocka_unit_test_setup(test_protocol_violations, setup),
	};

	log_init(LOG_LEVEL_INFO);
	loop = EV_DEFAULT;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
