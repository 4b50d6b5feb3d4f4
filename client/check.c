/*
 * `nebula-plugin check`: the plugin author's conformance kit.  It starts a
 * worker over pipes and checks its side of the line protocol one step at a
 * time (hello, create, get, concurrency, unknown op, delete, exit at end of
 * input, nothing but protocol lines on stdout), printing PASS, FAIL or SKIP
 * with a reason for each; without --template the job is a sample built
 * from the worker's hello.  It owns the worker for the whole run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "client.h"

#define CHECK_UNKNOWN_OP	"nebula-check-no-such-op"

enum check_id_state {
	CK_UNSENT = 0,
	CK_PENDING,
	CK_ANSWERED,
	CK_LATE			/* timed out: a late answer is no violation */
};

struct check {
	const struct check_conf	*ck_conf;
	struct wpipe		*ck_wp;
	uint64_t		 ck_next;	/* next request id */
	unsigned char		*ck_ids;	/* enum check_id_state by id */
	size_t			 ck_nids;
	int			 ck_eof;
	int			 ck_npass;
	int			 ck_nfail;
	int			 ck_nskip;
	int			 ck_nstray;	/* stdout lines not protocol */
	char			 ck_stray[256];	/* the first of them */
	char			*ck_type;
	char			*ck_version;
	int			 ck_concurrency;
	int			 ck_sample;	/* no --template: ours */
	json_t			*ck_meta;	/* from create, or NULL */
};

static void
check_report(struct check *ck, const char *verdict, const char *name,
    const char *fmt, ...)
{
	va_list	 ap;

	if (strcmp(verdict, "PASS") == 0)
		ck->ck_npass++;
	else if (strcmp(verdict, "FAIL") == 0)
		ck->ck_nfail++;
	else
		ck->ck_nskip++;
	printf("%s %s: ", verdict, name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/*
 * What a failing check that needs a real job adds to its FAIL line when it
 * ran on the sample template: a plugin that checks its inputs refuses it.
 */
static const char *
check_hint(const struct check *ck)
{
	return ck->ck_sample ? "; this check needs a real template and "
	    "ran on a sample built from the hello: rerun with --template FILE"
	    : "";
}

static void
check_stray(struct check *ck, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
check_stray(struct check *ck, const char *fmt, ...)
{
	va_list	 ap;

	if (ck->ck_nstray++ > 0)
		return;
	va_start(ap, fmt);
	vsnprintf(ck->ck_stray, sizeof(ck->ck_stray), fmt, ap);
	va_end(ap);
}

static int
check_id_set(struct check *ck, uint64_t id, enum check_id_state st)
{
	unsigned char	*p;
	size_t		 n;

	if (id >= ck->ck_nids) {
		n = ck->ck_nids ? ck->ck_nids * 2 : 64;
		while (n <= id)
			n *= 2;
		if ((p = realloc(ck->ck_ids, n)) == NULL)
			return -1;
		memset(p + ck->ck_nids, 0, n - ck->ck_nids);
		ck->ck_ids = p;
		ck->ck_nids = n;
	}
	ck->ck_ids[id] = (unsigned char)st;
	return 0;
}

static enum check_id_state
check_id_get(const struct check *ck, uint64_t id)
{
	return id < ck->ck_nids ? ck->ck_ids[id] : CK_UNSENT;
}

/*
 * Sends op, as the daemon would, with a create body or the job's
 * resource_meta (both borrowed, may be NULL); its id or 0.
 */
static uint64_t
check_send(struct check *ck, const char *op, json_t *body, json_t *meta,
    char *why, size_t whylen)
{
	struct msg_request	 req;
	uint64_t		 id = ++ck->ck_next;
	char			 rqid[32];

	snprintf(rqid, sizeof(rqid), "check-%llu", (unsigned long long)id);
	memset(&req, 0, sizeof(req));
	req.mr_id = id;
	req.mr_op = op;
	req.mr_task_type = ck->ck_type;
	req.mr_version = ck->ck_version;
	req.mr_request_id = rqid;
	req.mr_deadline_ms = (long long)(ck->ck_conf->cc_timeout * 1000);
	req.mr_resource_meta = meta;
	req.mr_body = body;
	if (check_id_set(ck, id, CK_PENDING) == -1) {
		snprintf(why, whylen, "out of memory");
		return 0;
	}
	if (wpipe_send(ck->ck_wp, &req) == -1) {
		snprintf(why, whylen, "cannot write the request: %s",
		    strerror(errno));
		return 0;
	}
	return id;
}

/*
 * Collects the answers to ids first .. first+n-1 into ans[], within the
 * timeout.  Lines that are not protocol are noted for the stdout check; an
 * answer naming an id we did not send fails at once.  0 or -1 (why set).
 */
static int
check_collect(struct check *ck, uint64_t first, size_t n, json_t **ans,
    char *why, size_t whylen)
{
	double		 end = wpipe_now() + ck->ck_conf->cc_timeout, left;
	char		*line, err[256];
	size_t		 len, got = 0, i;
	json_t		*msg;
	uint64_t	 id;
	int		 r;

	while (got < n) {
		left = end - wpipe_now();
		r = wpipe_line(ck->ck_wp, left > 0 ? left : 0, &line, &len);
		if (r == WPIPE_TIMEOUT || r == WPIPE_EOF || r == -1) {
			if (r == WPIPE_TIMEOUT)
				snprintf(why, whylen, "%zu of %zu answers "
				    "missing after %gs", n - got, n,
				    ck->ck_conf->cc_timeout);
			else if (r == WPIPE_EOF) {
				ck->ck_eof = 1;
				snprintf(why, whylen, "the worker closed its "
				    "stdout (exited?)");
			} else {
				ck->ck_eof = 1;
				snprintf(why, whylen, "reading stdout: %s",
				    errno == EMSGSIZE ? "line too long" :
				    strerror(errno));
			}
			for (i = 0; i < n; i++)
				if (ans[i] == NULL)
					check_id_set(ck, first + i, CK_LATE);
			return -1;
		}
		if ((msg = msg_decode(line, len, err, sizeof(err))) == NULL) {
			check_stray(ck, "%s: %.60s", err, line);
			continue;
		}
		if (msg_id(msg, &id) == -1) {
			check_stray(ck, "a JSON line with no id: %.60s", line);
			json_decref(msg);
			continue;
		}
		if (check_id_get(ck, id) == CK_LATE) {
			json_decref(msg);
			continue;
		}
		if (id < first || id >= first + n ||
		    check_id_get(ck, id) != CK_PENDING) {
			check_stray(ck, "an answer naming id %llu, which is "
			    "not waiting for one", (unsigned long long)id);
			snprintf(why, whylen, "answered id %llu, expected %s%llu",
			    (unsigned long long)id, n > 1 ? "one of " : "",
			    (unsigned long long)first);
			json_decref(msg);
			for (i = 0; i < n; i++)
				if (ans[i] == NULL)
					check_id_set(ck, first + i, CK_LATE);
			return -1;
		}
		check_id_set(ck, id, CK_ANSWERED);
		ans[id - first] = msg;
		got++;
	}
	return 0;
}

/* One request, one answer; NULL with why on failure. */
static json_t *
check_call(struct check *ck, const char *op, json_t *body, json_t *meta,
    char *why, size_t whylen)
{
	json_t		*ans = NULL;
	uint64_t	 id;

	if ((id = check_send(ck, op, body, meta, why, whylen)) == 0)
		return NULL;
	if (check_collect(ck, id, 1, &ans, why, whylen) == -1)
		return NULL;
	return ans;
}

static int
check_error_answer(json_t *ans, char *why, size_t whylen)
{
	json_t	*e;

	if ((e = json_object_get(ans, "error")) == NULL)
		return 0;
	snprintf(why, whylen, "answered with error %s: %s",
	    json_is_string(json_object_get(e, "code")) ?
	    json_string_value(json_object_get(e, "code")) : "(no code)",
	    json_is_string(json_object_get(e, "message")) ?
	    json_string_value(json_object_get(e, "message")) : "");
	return -1;
}

/* A resource: known phase, well-formed message, outputs and log_links. */
static int
check_resource(json_t *r, char *why, size_t whylen)
{
	json_t		*v, *l;
	const char	*p;
	size_t		 i;

	if (!json_is_object(r)) {
		snprintf(why, whylen, "resource is not an object");
		return -1;
	}
	p = json_string_value(json_object_get(r, "phase"));
	if (p == NULL || !npc_phase_known(p)) {
		snprintf(why, whylen, "resource.phase %s is not a known phase",
		    p != NULL ? p : "(missing)");
		return -1;
	}
	if ((v = json_object_get(r, "message")) != NULL && !json_is_string(v)) {
		snprintf(why, whylen, "resource.message is not a string");
		return -1;
	}
	if ((v = json_object_get(r, "outputs")) != NULL && !json_is_object(v)) {
		snprintf(why, whylen, "resource.outputs is not an object");
		return -1;
	}
	if ((v = json_object_get(r, "custom_info")) != NULL &&
	    !json_is_object(v)) {
		snprintf(why, whylen, "resource.custom_info is not an object");
		return -1;
	}
	if ((v = json_object_get(r, "log_links")) == NULL)
		return 0;
	if (!json_is_array(v)) {
		snprintf(why, whylen, "resource.log_links is not an array");
		return -1;
	}
	json_array_foreach(v, i, l) {
		if (!json_is_object(l) ||
		    !json_is_string(json_object_get(l, "name")) ||
		    !json_is_string(json_object_get(l, "uri"))) {
			snprintf(why, whylen, "resource.log_links[%zu] needs "
			    "string name and uri", i);
			return -1;
		}
		if ((json_object_get(l, "show_while_pending") != NULL &&
		    !json_is_boolean(json_object_get(l, "show_while_pending")))
		    || (json_object_get(l, "hide_once_finished") != NULL &&
		    !json_is_boolean(json_object_get(l,
		    "hide_once_finished")))) {
			snprintf(why, whylen, "resource.log_links[%zu] flags "
			    "must be booleans", i);
			return -1;
		}
	}
	return 0;
}

/* Picks the task type: --type, the template's, else the hello's first. */
static int
check_pick_type(struct check *ck, json_t *tt, json_t *body)
{
	const char	*t = NULL, *v = NULL;
	json_t		*e;
	size_t		 i;

	if (ck->ck_conf->cc_type != NULL)
		return npc_split_type(ck->ck_conf->cc_type, &ck->ck_type,
		    &ck->ck_version);
	t = json_string_value(json_object_get(json_object_get(body,
	    "task_template"), "type"));
	json_array_foreach(tt, i, e) {
		if (t != NULL && strcmp(t, json_string_value(json_object_get(e,
		    "type"))) != 0)
			continue;
		if (t == NULL)
			t = json_string_value(json_object_get(e, "type"));
		v = json_string_value(json_array_get(json_object_get(e,
		    "versions"), 0));
		break;
	}
	ck->ck_type = strdup(t != NULL ? t : "check");
	ck->ck_version = strdup(v != NULL ? v : NPC_DEFAULT_VERSION);
	return ck->ck_type != NULL && ck->ck_version != NULL ? 0 : -1;
}

static int
check_hello(struct check *ck, json_t **bodyp)
{
	struct msg_hello	 h;
	char			*line, err[256], types[256];
	size_t			 len, i, j, off = 0;
	json_t			*msg, *e, *v;
	int			 r, n;

	r = wpipe_line(ck->ck_wp, ck->ck_conf->cc_start_timeout, &line,
	    &len);
	if (r == WPIPE_TIMEOUT) {
		check_report(ck, "FAIL", "hello", "no hello within %g s; the "
		    "first line on stdout must be %s",
		    ck->ck_conf->cc_start_timeout, MSG_HELLO_FIRST_LINE);
		return -1;
	}
	if (r != WPIPE_LINE) {
		check_report(ck, "FAIL", "hello", "stdout closed before a "
		    "hello; the first line on stdout must be %s",
		    MSG_HELLO_FIRST_LINE);
		return -1;
	}
	if ((msg = msg_decode(line, len, err, sizeof(err))) == NULL) {
		check_report(ck, "FAIL", "hello", "first line: %s: %.60s; it "
		    "must be %s", err, line, MSG_HELLO_FIRST_LINE);
		return -1;
	}
	if (msg_hello_parse(msg, &h, err, sizeof(err)) == -1) {
		json_decref(msg);
		check_report(ck, "FAIL", "hello", "%s; the first line on "
		    "stdout must be %s", err, MSG_HELLO_FIRST_LINE);
		return -1;
	}
	json_decref(msg);
	types[0] = '\0';
	json_array_foreach(h.hello_task_types, i, e) {
		v = json_object_get(e, "versions");
		for (j = 0; j == 0 || j < json_array_size(v); j++) {
			n = snprintf(types + off, sizeof(types) - off, " %s/%s",
			    json_string_value(json_object_get(e, "type")),
			    json_array_size(v) > 0 ?
			    json_string_value(json_array_get(v, j)) : "v1");
			if (n < 0 || (size_t)n >= sizeof(types) - off)
				goto full;
			off += (size_t)n;
		}
	}
full:
	ck->ck_concurrency = h.hello_concurrency;
	r = check_pick_type(ck, h.hello_task_types, *bodyp);
	check_report(ck, "PASS", "hello", "protocol %d, name %s, task types"
	    "%s, concurrency %d", h.hello_protocol, h.hello_name ?
	    h.hello_name : "(none)", types[0] ? types :
	    " (left to the configuration)", h.hello_concurrency);
	msg_hello_clear(&h);
	if (r == -1)
		return -1;
	if (*bodyp == NULL) {
		/* the sample template: the hello's first task type */
		ck->ck_sample = 1;
		*bodyp = json_pack("{s:{s:s, s:{}}, s:{}, s:s, s:{s:s}}",
		    "task_template", "type", ck->ck_type, "custom",
		    "inputs", "output_prefix", "file:///tmp/nebula-check",
		    "task_execution_metadata", "task_execution_id",
		    "nebula-check-1");
		if (*bodyp == NULL)
			return -1;
	}
	return 0;
}

static void
check_create(struct check *ck, json_t *body)
{
	char	 why[512];
	json_t	*ans, *r;

	if ((ans = check_call(ck, "create", body, NULL, why, sizeof(why))) ==
	    NULL) {
		check_report(ck, "FAIL", "create", "%s%s", why,
		    check_hint(ck));
		return;
	}
	if (check_error_answer(ans, why, sizeof(why)) == -1)
		check_report(ck, "FAIL", "create", "%s%s", why,
		    check_hint(ck));
	else if (json_object_get(ans, "resource_meta") == NULL)
		check_report(ck, "FAIL", "create", "no resource_meta%s",
		    check_hint(ck));
	else if ((r = json_object_get(ans, "resource")) != NULL &&
	    check_resource(r, why, sizeof(why)) == -1)
		check_report(ck, "FAIL", "create", "inline %s%s", why,
		    check_hint(ck));
	else {
		ck->ck_meta = json_incref(json_object_get(ans,
		    "resource_meta"));
		check_report(ck, "PASS", "create", "%s/%s answered with a "
		    "resource_meta%s%s", ck->ck_type, ck->ck_version,
		    r != NULL ? " and an inline resource" : "",
		    ck->ck_sample ? " (to the sample template)" : "");
	}
	json_decref(ans);
}

static void
check_get(struct check *ck)
{
	char	 why[512];
	json_t	*ans, *r;

	if ((ans = check_call(ck, "get", NULL, ck->ck_meta, why,
	    sizeof(why))) == NULL) {
		check_report(ck, "FAIL", "get", "%s%s", why, check_hint(ck));
		return;
	}
	r = json_object_get(ans, "resource");
	if (check_error_answer(ans, why, sizeof(why)) == -1)
		check_report(ck, "FAIL", "get", "%s%s", why, check_hint(ck));
	else if (r == NULL)
		check_report(ck, "FAIL", "get", "no resource in the answer%s",
		    check_hint(ck));
	else if (check_resource(r, why, sizeof(why)) == -1)
		check_report(ck, "FAIL", "get", "%s%s", why, check_hint(ck));
	else
		check_report(ck, "PASS", "get", "phase %s",
		    json_string_value(json_object_get(r, "phase")));
	json_decref(ans);
}

/* As many gets at once as the hello allows, each answered with its id. */
static void
check_concurrency(struct check *ck)
{
	char		 why[512];
	json_t		**ans;
	size_t		 n, i;
	uint64_t	 first = 0, id;
	int		 bad = 0;

	n = (size_t)ck->ck_concurrency;
	if (n > (size_t)ck->ck_conf->cc_max_concurrency)
		n = (size_t)ck->ck_conf->cc_max_concurrency;
	if ((ans = calloc(n, sizeof(*ans))) == NULL) {
		check_report(ck, "FAIL", "concurrency", "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		if ((id = check_send(ck, "get", NULL, ck->ck_meta, why,
		    sizeof(why))) == 0) {
			check_report(ck, "FAIL", "concurrency", "%s%s", why,
			    check_hint(ck));
			goto done;
		}
		if (i == 0)
			first = id;
	}
	if (check_collect(ck, first, n, ans, why, sizeof(why)) == -1) {
		check_report(ck, "FAIL", "concurrency", "%zu requests at "
		    "once: %s%s", n, why, check_hint(ck));
		goto done;
	}
	for (i = 0; i < n && !bad; i++)
		if (check_error_answer(ans[i], why, sizeof(why)) == -1 ||
		    check_resource(json_object_get(ans[i], "resource"), why,
		    sizeof(why)) == -1)
			bad = 1;
	if (bad)
		check_report(ck, "FAIL", "concurrency", "request %zu of %zu: "
		    "%s%s", i, n, why, check_hint(ck));
	else
		check_report(ck, "PASS", "concurrency", "%zu requests at once, "
		    "each answered with its own id", n);
done:
	for (i = 0; i < n; i++)
		json_decref(ans[i]);
	free(ans);
}

static void
check_unknown_op(struct check *ck)
{
	char		 why[512];
	json_t		*ans, *e;

	ans = check_call(ck, CHECK_UNKNOWN_OP, NULL, NULL, why, sizeof(why));
	if (ans == NULL) {
		check_report(ck, "FAIL", "unknown-op", "%s", why);
		return;
	}
	e = json_object_get(ans, "error");
	if (!json_is_object(e) || !json_is_string(json_object_get(e, "code")))
		check_report(ck, "FAIL", "unknown-op", "answer has no error "
		    "object with a code");
	else
		check_report(ck, "PASS", "unknown-op", "op %s answered error "
		    "%s", CHECK_UNKNOWN_OP,
		    json_string_value(json_object_get(e, "code")));
	json_decref(ans);
}

static void
check_delete(struct check *ck)
{
	char	 why[512];
	json_t	*ans;

	if ((ans = check_call(ck, "delete", NULL, ck->ck_meta, why,
	    sizeof(why))) == NULL) {
		check_report(ck, "FAIL", "delete", "%s%s", why,
		    check_hint(ck));
		return;
	}
	if (check_error_answer(ans, why, sizeof(why)) == -1)
		check_report(ck, "FAIL", "delete", "%s%s", why,
		    check_hint(ck));
	else
		check_report(ck, "PASS", "delete", "answered");
	json_decref(ans);
}

/* Closes stdin; reads stdout to its end; the worker must exit soon. */
static void
check_exit(struct check *ck)
{
	double		 end = wpipe_now() + ck->ck_conf->cc_timeout, left;
	char		*line, err[256];
	size_t		 len;
	json_t		*msg;
	uint64_t	 id;
	int		 r = WPIPE_EOF, status;

	wpipe_close(ck->ck_wp);
	while (!ck->ck_eof) {
		left = end - wpipe_now();
		r = wpipe_line(ck->ck_wp, left > 0 ? left : 0, &line, &len);
		if (r != WPIPE_LINE)
			break;
		if ((msg = msg_decode(line, len, err, sizeof(err))) == NULL)
			check_stray(ck, "%s: %.60s", err, line);
		else if (msg_id(msg, &id) == -1 ||
		    check_id_get(ck, id) != CK_LATE)
			check_stray(ck, "a line after the last answer: %.60s",
			    line);
		json_decref(msg);
	}
	left = end - wpipe_now();
	if (r == WPIPE_TIMEOUT ||
	    wpipe_wait(ck->ck_wp, left > 0 ? left : 0, &status) ==
	    WPIPE_TIMEOUT) {
		check_report(ck, "FAIL", "exit", "still running %gs after end "
		    "of input", ck->ck_conf->cc_timeout);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		check_report(ck, "PASS", "exit", "exited with status 0 at end "
		    "of input");
	else if (WIFEXITED(status))
		check_report(ck, "FAIL", "exit", "exited with status %d at "
		    "end of input", WEXITSTATUS(status));
	else
		check_report(ck, "FAIL", "exit", "killed by signal %d",
		    WTERMSIG(status));
}

static void
check_stdout(struct check *ck)
{
	if (ck->ck_nstray == 0)
		check_report(ck, "PASS", "stdout", "nothing but protocol lines");
	else
		check_report(ck, "FAIL", "stdout", "%d line%s that %s not "
		    "protocol, the first: %s", ck->ck_nstray,
		    ck->ck_nstray > 1 ? "s" : "", ck->ck_nstray > 1 ? "are" :
		    "is", ck->ck_stray);
}

static void
check_skip(struct check *ck, const char *const *names, const char *why)
{
	for (; *names != NULL; names++)
		check_report(ck, "SKIP", *names, "%s", why);
}

/* Runs every check on the worker argv; 0 when all pass, else 1 (or 3). */
int
check_main(const struct check_conf *cc, char *const *argv)
{
	static const char *const after_hello[] = { "create", "get",
	    "concurrency", "unknown-op", "delete", "exit", "stdout", NULL };
	static const char *const after_create[] = { "get", "concurrency",
	    "delete", NULL };
	struct check	 ck;
	json_t		*body = NULL;
	int		 ex;

	memset(&ck, 0, sizeof(ck));
	ck.ck_conf = cc;
	if (cc->cc_template != NULL)
		body = json_deep_copy(cc->cc_template);
	if ((ck.ck_wp = wpipe_start(argv)) == NULL) {
		cli_err("cannot run %s: %s", argv[0], strerror(errno));
		json_decref(body);
		return NPC_EXIT_ERROR;
	}
	if (check_hello(&ck, &body) == -1) {
		check_skip(&ck, after_hello, "no valid hello");
		goto done;
	}
	check_create(&ck, body);
	if (ck.ck_meta == NULL)
		check_skip(&ck, after_create, "create failed");
	else {
		check_get(&ck);
		check_concurrency(&ck);
	}
	check_unknown_op(&ck);
	if (ck.ck_meta != NULL)
		check_delete(&ck);
	check_exit(&ck);
	check_stdout(&ck);
done:
	printf("%d passed, %d failed, %d skipped\n", ck.ck_npass,
	    ck.ck_nfail, ck.ck_nskip);
	ex = ck.ck_nfail > 0 ? NPC_EXIT_FAILED : NPC_EXIT_OK;
	json_decref(body);
	json_decref(ck.ck_meta);
	free(ck.ck_ids);
	free(ck.ck_type);
	free(ck.ck_version);
	wpipe_free(ck.ck_wp);
	return ex;
}
