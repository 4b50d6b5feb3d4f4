/*
 * `nebula-plugin watch`: polls many jobs at once on one thread with
 * libcurl's multi interface, the orchestrator's asynchronous cache.  Jobs
 * wait in a heap ordered by their next poll time; at most wc_inflight
 * requests run at once over kept-alive connections; each job backs off on
 * its own or polls again when its worker's hint says (poll_after_ms), and
 * one JSON line is printed whenever a job's phase changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

struct watch_job {
	char			*wj_type;
	char			*wj_version;
	char			*wj_rid;
	char			*wj_path;
	char			*wj_phase;	/* last seen, or NULL */
	struct npc_backoff	 wj_bo;		/* between polls */
	struct npc_backoff	 wj_ebo;	/* between failed polls */
	int			 wj_fails;
	double			 wj_due;
	struct npc_req		*wj_req;
};

struct watch {
	struct npc		 *w_npc;
	const struct watch_conf	 *w_conf;
	struct watch_job	 *w_jobs;
	size_t			  w_njobs;
	struct watch_job	**w_heap;	/* min-heap on wj_due */
	size_t			  w_nheap;
	CURLM			 *w_multi;
	size_t			  w_inflight;
	size_t			  w_left;	/* jobs not yet finished */
	int			  w_failed;	/* FAILED, ABORTED... */
	int			  w_notfound;
	int			  w_error;
};

static void
watch_heap_push(struct watch *w, struct watch_job *j)
{
	size_t			 i = w->w_nheap++, p;
	struct watch_job	*t;

	w->w_heap[i] = j;
	while (i > 0) {
		p = (i - 1) / 2;
		if (w->w_heap[p]->wj_due <= w->w_heap[i]->wj_due)
			break;
		t = w->w_heap[p];
		w->w_heap[p] = w->w_heap[i];
		w->w_heap[i] = t;
		i = p;
	}
}

static struct watch_job *
watch_heap_pop(struct watch *w)
{
	struct watch_job	*top = w->w_heap[0], *t;
	size_t			 i = 0, l, m;

	w->w_heap[0] = w->w_heap[--w->w_nheap];
	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < w->w_nheap && w->w_heap[l]->wj_due < w->w_heap[m]->wj_due)
			m = l;
		if (l + 1 < w->w_nheap &&
		    w->w_heap[l + 1]->wj_due < w->w_heap[m]->wj_due)
			m = l + 1;
		if (m == i)
			break;
		t = w->w_heap[m];
		w->w_heap[m] = w->w_heap[i];
		w->w_heap[i] = t;
		i = m;
	}
	return top;
}

/* Reads "TYPE[/VERSION] RESOURCE_ID" lines; blank and '#' lines skipped. */
static int
watch_load(struct watch *w, FILE *fp, const char *name)
{
	struct watch_job	*j, *p;
	char			*line = NULL, *t, *r, *save, *extra;
	size_t			 cap = 0, alloc = 0;
	ssize_t			 n;
	int			 lineno = 0, rv = -1;

	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if ((t = strtok_r(line, " \t\r\n", &save)) == NULL || *t == '#')
			continue;
		r = strtok_r(NULL, " \t\r\n", &save);
		extra = strtok_r(NULL, " \t\r\n", &save);
		if (r == NULL || extra != NULL) {
			cli_err("%s:%d: expected TYPE[/VERSION] RESOURCE_ID",
			    name, lineno);
			goto fail;
		}
		if (w->w_njobs == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			p = reallocarray(w->w_jobs, alloc, sizeof(*p));
			if (p == NULL)
				goto nomem;
			w->w_jobs = p;
		}
		j = &w->w_jobs[w->w_njobs];
		memset(j, 0, sizeof(*j));
		if (npc_split_type(t, &j->wj_type, &j->wj_version) == -1) {
			cli_err("%s:%d: bad task type %s", name, lineno, t);
			goto fail;
		}
		w->w_njobs++;
		if ((j->wj_rid = strdup(r)) == NULL ||
		    (j->wj_path = npc_job_path(w->w_npc, j->wj_type,
		    j->wj_version, r)) == NULL)
			goto nomem;
	}
	if (ferror(fp)) {
		cli_err("%s: %s", name, strerror(errno));
		goto fail;
	}
	rv = 0;
	goto fail;
nomem:
	cli_err("out of memory");
fail:
	free(line);
	return rv;
}

static void
watch_print(struct watch_job *j, json_t *resource, const struct npc_result *res)
{
	json_t	*o, *v;

	o = json_pack("{s:s, s:s, s:s}", "task_type", j->wj_type, "version",
	    j->wj_version, "resource_id", j->wj_rid);
	if (o == NULL)
		return;
	if (resource != NULL) {
		json_object_set(o, "phase", json_object_get(resource, "phase"));
		if ((v = json_object_get(resource, "message")) != NULL &&
		    json_is_string(v) && json_string_length(v) > 0)
			json_object_set(o, "message", v);
		if ((v = json_object_get(resource, "outputs")) != NULL)
			json_object_set(o, "outputs", v);
	} else
		json_object_set_new(o, "error", json_pack("{s:s, s:s, s:I}",
		    "code", res->res_code, "message", res->res_message,
		    "status", (json_int_t)res->res_status));
	json_dumpf(o, stdout, JSON_COMPACT);
	putchar('\n');
	fflush(stdout);
	json_decref(o);
}

static int
watch_start(struct watch *w, struct watch_job *j)
{
	if ((j->wj_req = npc_req_new(w->w_npc, "GET", j->wj_path, NULL)) ==
	    NULL)
		return -1;
	curl_easy_setopt(npc_req_easy(j->wj_req), CURLOPT_PRIVATE, j);
	if (curl_multi_add_handle(w->w_multi, npc_req_easy(j->wj_req)) !=
	    CURLM_OK) {
		npc_req_free(j->wj_req);
		j->wj_req = NULL;
		return -1;
	}
	w->w_inflight++;
	return 0;
}

/* A job's poll came back: report, then finish it or schedule the next. */
static void
watch_done(struct watch *w, struct watch_job *j, CURLcode cc)
{
	struct npc_result	 res;
	const char		*phase;
	long long		 hint;
	double			 d;

	npc_result_init(&res);
	curl_multi_remove_handle(w->w_multi, npc_req_easy(j->wj_req));
	w->w_inflight--;
	if (npc_req_finish(j->wj_req, cc, &res) == 0 &&
	    (phase = json_string_value(json_object_get(res.res_body,
	    "phase"))) != NULL) {
		if (j->wj_phase == NULL || strcmp(j->wj_phase, phase) != 0) {
			free(j->wj_phase);
			j->wj_phase = strdup(phase);
			watch_print(j, res.res_body, &res);
		}
		j->wj_fails = 0;
		npc_backoff_reset(&j->wj_ebo);
		if (npc_phase_terminal(phase)) {
			if (strcmp(phase, "SUCCEEDED") != 0)
				w->w_failed++;
			w->w_left--;
			goto out;
		}
		/* The worker's hint, within our bounds; else our backoff. */
		if ((hint = npc_poll_hint(res.res_body)) >= 0)
			d = npc_poll_interval(&w->w_conf->wc_poll, 0, hint);
		else
			d = npc_backoff_next(&j->wj_bo);
	} else {
		if (res.res_code[0] == '\0')
			snprintf(res.res_code, sizeof(res.res_code),
			    "BAD_RESPONSE");
		if (!npc_result_retryable(&res, 1) ||
		    ++j->wj_fails > w->w_conf->wc_poll.pc_retries) {
			watch_print(j, NULL, &res);
			if (npc_result_exit(&res) == NPC_EXIT_NOT_FOUND)
				w->w_notfound++;
			else
				w->w_error++;
			w->w_left--;
			goto out;
		}
		d = res.res_retry_after >= 0 ? res.res_retry_after :
		    npc_backoff_next(&j->wj_ebo);
	}
	j->wj_due = wpipe_now() + d;
	watch_heap_push(w, j);
out:
	npc_req_free(j->wj_req);
	j->wj_req = NULL;
	npc_result_clear(&res);
}

static int
watch_loop(struct watch *w)
{
	struct watch_job	*j;
	CURLMsg			*m;
	double			 now, wait;
	int			 running, q;
	size_t			 max = (size_t)w->w_conf->wc_inflight;

	while (w->w_left > 0) {
		now = wpipe_now();
		while (w->w_inflight < max && w->w_nheap > 0 &&
		    w->w_heap[0]->wj_due <= now) {
			j = watch_heap_pop(w);
			if (watch_start(w, j) == -1) {
				cli_err("cannot start a request");
				return -1;
			}
		}
		if (curl_multi_perform(w->w_multi, &running) != CURLM_OK) {
			cli_err("curl multi failed");
			return -1;
		}
		while ((m = curl_multi_info_read(w->w_multi, &q)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			j = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&j);
			watch_done(w, j, m->data.result);
		}
		if (w->w_left == 0)
			break;
		wait = 1.0;
		if (w->w_inflight < max && w->w_nheap > 0) {
			wait = w->w_heap[0]->wj_due - wpipe_now();
			if (wait < 0)
				wait = 0;
			if (wait > 1.0)
				wait = 1.0;
		}
		if (curl_multi_poll(w->w_multi, NULL, 0, (int)(wait * 1000),
		    NULL) != CURLM_OK) {
			cli_err("curl multi poll failed");
			return -1;
		}
	}
	return 0;
}

/* Watches the jobs listed in fp (named name) until all are finished. */
int
watch_main(struct npc *c, const struct watch_conf *wc, FILE *fp,
    const char *name)
{
	struct watch	 w;
	size_t		 i;
	int		 ex = NPC_EXIT_ERROR;
	double		 now = wpipe_now();

	memset(&w, 0, sizeof(w));
	w.w_npc = c;
	w.w_conf = wc;
	if (watch_load(&w, fp, name) == -1) {
		ex = NPC_EXIT_USAGE;
		goto fail;
	}
	if ((w.w_heap = calloc(w.w_njobs + 1, sizeof(*w.w_heap))) == NULL ||
	    (w.w_multi = curl_multi_init()) == NULL) {
		cli_err("out of memory");
		goto fail;
	}
	curl_multi_setopt(w.w_multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)wc->wc_inflight);
	curl_multi_setopt(w.w_multi, CURLMOPT_MAXCONNECTS,
	    (long)wc->wc_inflight);
	for (i = 0; i < w.w_njobs; i++) {
		npc_backoff_init(&w.w_jobs[i].wj_bo, wc->wc_poll.pc_initial,
		    wc->wc_poll.pc_max);
		npc_backoff_init(&w.w_jobs[i].wj_ebo, wc->wc_poll.pc_initial,
		    wc->wc_poll.pc_max);
		w.w_jobs[i].wj_due = now;
		watch_heap_push(&w, &w.w_jobs[i]);
	}
	w.w_left = w.w_njobs;
	if (watch_loop(&w) == -1)
		goto fail;
	if (w.w_error > 0)
		ex = NPC_EXIT_ERROR;
	else if (w.w_notfound > 0)
		ex = NPC_EXIT_NOT_FOUND;
	else if (w.w_failed > 0)
		ex = NPC_EXIT_FAILED;
	else
		ex = NPC_EXIT_OK;
fail:
	for (i = 0; i < w.w_njobs; i++) {
		if (w.w_jobs[i].wj_req != NULL) {
			curl_multi_remove_handle(w.w_multi,
			    npc_req_easy(w.w_jobs[i].wj_req));
			npc_req_free(w.w_jobs[i].wj_req);
		}
		free(w.w_jobs[i].wj_type);
		free(w.w_jobs[i].wj_version);
		free(w.w_jobs[i].wj_rid);
		free(w.w_jobs[i].wj_path);
		free(w.w_jobs[i].wj_phase);
	}
	if (w.w_multi != NULL)
		curl_multi_cleanup(w.w_multi);
	free(w.w_jobs);
	free(w.w_heap);
	return ex;
}
