/*
 * Flyte's gRPC services, the third front: AsyncAgentService,
 * SyncAgentService and AgentMetadataService exactly as the pinned
 * @flyteorg/flyteidl defines them, the same methods under Flyte's newer
 * connector service names (their messages are the same on the wire), and
 * grpc.health.v1.Health.  Each handler unpacks Flyte's message, translates
 * it onto the call layer through flyte.c, and packs the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-plugind.h"
#include "flyte.h"
#include "grpc.h"

/* ExecuteTaskSync: the header and the inputs, until the client's end. */
struct rpc_sync {
	Flyteidl__Admin__CreateRequestHeader	*rs_header;
	Flyteidl__Core__LiteralMap		*rs_inputs;
};

/*
 * A CreateTask in flight: the worker's create body, written as text from
 * the request and borrowed by the call layer until the call ends.
 */
struct rpc_create {
	struct grpc_call	*rc_g;
	struct call		*rc_ca;
	struct buf		 rc_body;
};

/*
 * ExecuteTaskSync once the inputs are in: the create, then, when the
 * plugin answered it without a resource (an asynchronous job), gets every
 * rp_every seconds (doubling up to RPC_POLL_MAX) until the job is
 * terminal.  The client's deadline or its reset ends it; a client that
 * leaves while the job runs has it deleted.
 */
struct rpc_poll {
	struct grpc_call	*rp_g;
	struct call		*rp_ca;		/* the call in flight, or NULL */
	struct buf		 rp_body;	/* the create's, borrowed by it */
	ev_timer		 rp_timer;
	char			*rp_rid;	/* once created */
	char			*rp_token;	/* the client's, for the delete */
	double			 rp_every;
	char			 rp_type[128];
	char			 rp_version[64];	/* "" for the first */
};
#define RPC_POLL_FIRST	0.1
#define RPC_POLL_MAX	5.0

/*
 * The unary requests are unpacked into one arena, taken back whole when
 * their handler returns (their fields are not kept past it).
 */
#define RPC_ARENA_SIZE	65536
static struct pbarena	*rpc_arena;

/*
 * A request on a resource id (GetTask, DeleteTask, GetTaskMetrics,
 * GetTaskLogs): its message, the worker's op, what answers it, and whether
 * the request's other fields go to the worker as the op's query.
 */
struct rpc_op {
	const ProtobufCMessageDescriptor	*ro_desc;
	enum pool_op				 ro_op;
	call_done_cb				*ro_done;
	int					 ro_query;
};

static void
rpc_reply(struct grpc_call *g, const ProtobufCMessage *m)
{
	uint8_t	*buf;
	size_t	 n;

	n = protobuf_c_message_get_packed_size(m);
	if ((buf = malloc(n ? n : 1)) == NULL) {
		grpc_finish(g, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	protobuf_c_message_pack(m, buf);
	if (grpc_send(g, buf, n) == -1) {
		free(buf);
		grpc_finish(g, GRPC_INTERNAL, "cannot send the answer");
		return;
	}
	free(buf);
	grpc_finish(g, GRPC_OK, NULL);
}

static void
rpc_fail(struct grpc_call *g, const struct call_result *res)
{
	grpc_finish(g, flyte_grpc_status(res->cr_code), res->cr_message ?
	    res->cr_message : "");
}

static void
rpc_cancel(void *arg)
{
	call_cancel(arg);
}

static void
rpc_call_req(struct grpc_call *g, struct call_req *cq)
{
	memset(cq, 0, sizeof(*cq));
	cq->cq_token = grpc_metadata(g, "authorization");
	cq->cq_request_id = grpc_request_id(g);
	cq->cq_traceparent = grpc_metadata(g, "traceparent");
	cq->cq_timeout = grpc_timeout(g);
}

/* A call the layer kept: the stream's reset must cancel it. */
static void
rpc_started(struct grpc_call *g, struct call *ca)
{
	if (ca != NULL)
		grpc_set_cancel(g, rpc_cancel, ca);
}

static void
rpc_create_free(struct rpc_create *rc)
{
	if (rc == NULL)
		return;
	buf_release(&rc->rc_body);
	free(rc);
}

/* The stream's reset: the call is cancelled, its body no longer lent. */
static void
rpc_create_cancel(void *arg)
{
	struct rpc_create	*rc = arg;

	call_cancel(rc->rc_ca);
	rpc_create_free(rc);
}

static void
rpc_created(void *arg, const struct call_result *res)
{
	struct rpc_create		*rc = arg;
	struct grpc_call		*g = rc->rc_g;
	Flyteidl__Admin__CreateTaskResponse r =
	    FLYTEIDL__ADMIN__CREATE_TASK_RESPONSE__INIT;

	grpc_set_cancel(g, NULL, NULL);
	rpc_create_free(rc);
	if (res->cr_status != 200) {
		rpc_fail(g, res);
		return;
	}
	/* resource_meta carries our resource id's bytes exactly. */
	r.resource_meta.data = (uint8_t *)res->cr_resource_id;
	r.resource_meta.len = strlen(res->cr_resource_id);
	rpc_reply(g, &r.base);
}

/*
 * Starts a create from a Flyte request or sync header (and inputs, or
 * NULL) with cb and arg: the worker's body is written into body, which
 * must live until the call ends; a sync call's poll (else NULL) keeps the
 * route.  -1 when answered at once with an error of the request (the call
 * is finished); else the call layer's call, NULL when it answered at once
 * (cb has run).
 */
static int
rpc_create_from(struct grpc_call *g, const ProtobufCMessage *m,
    const ProtobufCMessage *inputs, struct buf *body, call_done_cb *cb,
    void *arg, struct rpc_poll *rp, struct call **ca)
{
	struct call_req	 cq;
	const char	*type;
	char		 err[256], vbuf[32];
	int32_t		 version;

	*ca = NULL;
	if (flyte_create_text(body, m, inputs, &type, &version, err,
	    sizeof(err)) == -1) {
		grpc_finish(g, GRPC_INVALID_ARGUMENT, err);
		return -1;
	}
	rpc_call_req(g, &cq);
	cq.cq_type = type;
	cq.cq_version = flyte_version(version, vbuf, sizeof(vbuf));
	cq.cq_raw = body->buf_data;
	cq.cq_rawlen = body->buf_len;
	if (rp != NULL) {
		snprintf(rp->rp_type, sizeof(rp->rp_type), "%s", type);
		snprintf(rp->rp_version, sizeof(rp->rp_version), "%s",
		    cq.cq_version ? cq.cq_version : "");
		/* Kept: the stream's metadata is gone when its reset cancels. */
		free(rp->rp_token);
		rp->rp_token = cq.cq_token ? strdup(cq.cq_token) : NULL;
	}
	*ca = call_create(&cq, cb, arg);
	return 0;
}

static void
rpc_create_task(struct grpc_call *g, const uint8_t *msg, size_t len)
{
	Flyteidl__Admin__CreateTaskRequest	*req;
	struct rpc_create			*rc;
	struct call				*ca;

	req = flyteidl__admin__create_task_request__unpack(
	    pbarena_allocator(rpc_arena), len, msg);
	if (req == NULL) {
		pbarena_reset(rpc_arena);
		grpc_finish(g, GRPC_INVALID_ARGUMENT, "the message is not a "
		    "flyteidl.admin.CreateTaskRequest");
		return;
	}
	if ((rc = calloc(1, sizeof(*rc))) == NULL) {
		pbarena_reset(rpc_arena);
		grpc_finish(g, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	rc->rc_g = g;
	/* The text is about as long as the message: one allocation mostly. */
	(void)buf_reserve(&rc->rc_body, len + len / 2 + 256);
	if (rpc_create_from(g, &req->base, NULL, &rc->rc_body, rpc_created,
	    rc, NULL, &ca) == -1)
		rpc_create_free(rc);
	else if (ca != NULL) {
		rc->rc_ca = ca;
		grpc_set_cancel(g, rpc_create_cancel, rc);
	}
	/* Else answered at once: rpc_created has freed rc. */
	pbarena_reset(rpc_arena);
}

static void
rpc_got(void *arg, const struct call_result *res)
{
	struct grpc_call	*g = arg;
	Flyteidl__Admin__GetTaskResponse r =
	    FLYTEIDL__ADMIN__GET_TASK_RESPONSE__INIT;
	char			 err[256], msg[320];

	grpc_set_cancel(g, NULL, NULL);
	if (res->cr_status != 200) {
		rpc_fail(g, res);
		return;
	}
	if ((r.resource = flyte_resource(res->cr_resource, err,
	    sizeof(err))) == NULL) {
		snprintf(msg, sizeof(msg), "the plugin's resource is not a "
		    "valid Flyte resource: %s", err);
		grpc_finish(g, GRPC_INTERNAL, msg);
		return;
	}
	rpc_reply(g, &r.base);
	protobuf_c_message_free_unpacked(&r.resource->base, NULL);
}

static void
rpc_deleted(void *arg, const struct call_result *res)
{
	struct grpc_call	*g = arg;
	Flyteidl__Admin__DeleteTaskResponse r =
	    FLYTEIDL__ADMIN__DELETE_TASK_RESPONSE__INIT;

	grpc_set_cancel(g, NULL, NULL);
	if (res->cr_status != 200)
		rpc_fail(g, res);
	else
		rpc_reply(g, &r.base);
}

static void
rpc_metrics_done(void *arg, const struct call_result *res)
{
	struct grpc_call	*g = arg;
	ProtobufCMessage	*m;
	char			 err[256], msg[320];

	grpc_set_cancel(g, NULL, NULL);
	if (res->cr_status != 200) {
		rpc_fail(g, res);
		return;
	}
	if ((m = flyte_metrics_response(res->cr_response, err,
	    sizeof(err))) == NULL) {
		snprintf(msg, sizeof(msg), "the plugin's metrics are not "
		    "Flyte's ExecutionMetricResults: %s", err);
		grpc_finish(g, GRPC_INTERNAL, msg);
		return;
	}
	rpc_reply(g, m);
	protobuf_c_message_free_unpacked(m, NULL);
}

/*
 * GetTaskLogs' answer on its way: the messages (a header with the token,
 * then bodies of lines) go out as the stream drains, so that logs larger
 * than a stream holds are sent at the pace the client reads them.
 */
struct rpc_logs {
	struct grpc_call	*rl_g;
	json_t			*rl_msgs;
	size_t			 rl_next;
};

static void
rpc_logs_free(void *arg)
{
	struct rpc_logs	*rl = arg;

	json_decref(rl->rl_msgs);
	free(rl);
}

/* Sends what the stream takes now; the rest once it drained. */
static void
rpc_logs_send(void *arg)
{
	struct rpc_logs		*rl = arg;
	struct grpc_call	*g = rl->rl_g;
	ProtobufCMessage	*m;
	uint8_t			*buf;
	size_t			 n;
	int			 room;
	char			 err[256];

	while (rl->rl_next < json_array_size(rl->rl_msgs)) {
		m = pbjson_decode(
		    &flyteidl__admin__get_task_logs_response__descriptor,
		    json_array_get(rl->rl_msgs, rl->rl_next), 0, err,
		    sizeof(err));
		if (m == NULL)
			goto fail;
		n = protobuf_c_message_get_packed_size(m);
		if ((room = grpc_can_send(g, n)) == 0) {
			protobuf_c_message_free_unpacked(m, NULL);
			grpc_set_drained(g, rpc_logs_send, rl);
			grpc_set_cancel(g, rpc_logs_free, rl);
			return;
		}
		if (room == -1 || (buf = malloc(n ? n : 1)) == NULL) {
			protobuf_c_message_free_unpacked(m, NULL);
			snprintf(err, sizeof(err), "cannot send the lines");
			goto fail;
		}
		protobuf_c_message_pack(m, buf);
		protobuf_c_message_free_unpacked(m, NULL);
		if (grpc_send(g, buf, n) == -1) {
			free(buf);
			snprintf(err, sizeof(err), "cannot send the lines");
			goto fail;
		}
		free(buf);
		rl->rl_next++;
	}
	grpc_set_cancel(g, NULL, NULL);
	rpc_logs_free(rl);
	grpc_finish(g, GRPC_OK, NULL);
	return;
fail:
	grpc_set_cancel(g, NULL, NULL);
	rpc_logs_free(rl);
	grpc_finish(g, GRPC_INTERNAL, err);
}

static void
rpc_logs_done(void *arg, const struct call_result *res)
{
	struct grpc_call	*g = arg;
	struct rpc_logs		*rl;
	json_t			*msgs;
	char			 err[256], msg[320];

	grpc_set_cancel(g, NULL, NULL);
	if (res->cr_status != 200) {
		rpc_fail(g, res);
		return;
	}
	if ((msgs = flyte_logs_json(res->cr_response, err, sizeof(err))) ==
	    NULL) {
		snprintf(msg, sizeof(msg), "the plugin's log lines are not "
		    "Flyte's LogLines: %s", err);
		grpc_finish(g, GRPC_INTERNAL, msg);
		return;
	}
	if ((rl = calloc(1, sizeof(*rl))) == NULL) {
		json_decref(msgs);
		grpc_finish(g, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	rl->rl_g = g;
	rl->rl_msgs = msgs;
	rpc_logs_send(rl);
}

/* A field of a request on a resource id, by its name in all four. */
static const void *
rpc_field(const ProtobufCMessage *m, const char *name)
{
	const ProtobufCFieldDescriptor	*f;

	f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor,
	    name);
	return (const char *)m + f->offset;
}

/*
 * The requests on a resource id: the route its task category names (the
 * deprecated task_type of older propellers else), the id from its
 * resource_meta, and for logs and metrics the query.
 */
static void
rpc_resource(struct grpc_call *g, const uint8_t *msg, size_t len,
    const struct rpc_op *op)
{
	const Flyteidl__Admin__TaskCategory	*tc;
	const ProtobufCBinaryData		*meta;
	ProtobufCMessage			*req;
	struct call_req				 cq;
	const char				*task_type;
	char					 vbuf[32], err[128];

	if ((req = protobuf_c_message_unpack(op->ro_desc,
	    pbarena_allocator(rpc_arena), len, msg)) == NULL) {
		pbarena_reset(rpc_arena);
		snprintf(err, sizeof(err), "the message is not a %s",
		    op->ro_desc->name);
		grpc_finish(g, GRPC_INVALID_ARGUMENT, err);
		return;
	}
	tc = *(Flyteidl__Admin__TaskCategory *const *)rpc_field(req,
	    "task_category");
	task_type = *(const char *const *)rpc_field(req, "task_type");
	meta = rpc_field(req, "resource_meta");
	rpc_call_req(g, &cq);
	if (tc != NULL && tc->name != NULL && tc->name[0] != '\0') {
		cq.cq_type = tc->name;
		cq.cq_version = flyte_version(tc->version, vbuf, sizeof(vbuf));
	} else if (task_type != NULL && task_type[0] != '\0')
		cq.cq_type = task_type;
	else {
		pbarena_reset(rpc_arena);
		grpc_finish(g, GRPC_INVALID_ARGUMENT, "task_category.name must "
		    "name the task type");
		return;
	}
	cq.cq_rid = (const char *)meta->data;
	cq.cq_ridlen = meta->len;
	if (op->ro_query)
		cq.cq_body = flyte_query_body(req);
	rpc_started(g, call_resource(op->ro_op, &cq, op->ro_done, g));
	json_decref(cq.cq_body);
	pbarena_reset(rpc_arena);
}

static const struct rpc_op rpc_op_get = {
	&flyteidl__admin__get_task_request__descriptor, POOL_OP_GET,
	rpc_got, 0
};
static const struct rpc_op rpc_op_delete = {
	&flyteidl__admin__delete_task_request__descriptor, POOL_OP_DELETE,
	rpc_deleted, 0
};
static const struct rpc_op rpc_op_metrics = {
	&flyteidl__admin__get_task_metrics_request__descriptor,
	POOL_OP_METRICS, rpc_metrics_done, 1
};
static const struct rpc_op rpc_op_logs = {
	&flyteidl__admin__get_task_logs_request__descriptor, POOL_OP_LOGS,
	rpc_logs_done, 1
};

static void
rpc_get_task(struct grpc_call *g, const uint8_t *msg, size_t len)
{
	rpc_resource(g, msg, len, &rpc_op_get);
}

static void
rpc_delete_task(struct grpc_call *g, const uint8_t *msg, size_t len)
{
	rpc_resource(g, msg, len, &rpc_op_delete);
}

/* GetTaskMetrics: the worker's metrics op, when the plugin declares it. */
static void
rpc_get_metrics(struct grpc_call *g, const uint8_t *msg, size_t len)
{
	rpc_resource(g, msg, len, &rpc_op_metrics);
}

/* GetTaskLogs: the worker's logs op, when the plugin declares it. */
static void
rpc_get_logs(struct grpc_call *g, const uint8_t *msg, size_t len)
{
	rpc_resource(g, msg, len, &rpc_op_logs);
}

static void
rpc_sync_free(struct rpc_sync *rs)
{
	if (rs == NULL)
		return;
	if (rs->rs_header != NULL)
		flyteidl__admin__create_request_header__free_unpacked(
		    rs->rs_header, NULL);
	if (rs->rs_inputs != NULL)
		flyteidl__core__literal_map__free_unpacked(rs->rs_inputs,
		    NULL);
	free(rs);
}

static void	rpc_poll_get(struct ev_loop *, ev_timer *, int);

static void
rpc_poll_free(struct rpc_poll *rp)
{
	ev_timer_stop(ev_default_loop(0), &rp->rp_timer);
	buf_release(&rp->rp_body);
	free(rp->rp_rid);
	free(rp->rp_token);
	free(rp);
}

static void
rpc_poll_ignore(void *arg, const struct call_result *res)
{
	(void)arg;
	(void)res;
}

/* The stream went first: the get in flight is dropped, the job deleted. */
static void
rpc_poll_cancel(void *arg)
{
	struct rpc_poll	*rp = arg;
	struct call_req	 cq;

	call_cancel(rp->rp_ca);
	if (rp->rp_rid != NULL) {
		memset(&cq, 0, sizeof(cq));
		cq.cq_token = rp->rp_token;
		cq.cq_request_id = grpc_request_id(rp->rp_g);
		cq.cq_type = rp->rp_type;
		cq.cq_version = rp->rp_version[0] ? rp->rp_version : NULL;
		cq.cq_rid = rp->rp_rid;
		cq.cq_ridlen = strlen(rp->rp_rid);
		/* Nobody waits for it: its call frees itself when answered. */
		call_resource(POOL_OP_DELETE, &cq, rpc_poll_ignore, NULL);
	}
	rpc_poll_free(rp);
}

/* Answers the sync call with the resource (terminal, or inline). */
static void
rpc_poll_answer(struct rpc_poll *rp, json_t *resource)
{
	struct grpc_call	*g = rp->rp_g;
	Flyteidl__Admin__ExecuteTaskSyncResponse r =
	    FLYTEIDL__ADMIN__EXECUTE_TASK_SYNC_RESPONSE__INIT;
	Flyteidl__Admin__ExecuteTaskSyncResponseHeader h =
	    FLYTEIDL__ADMIN__EXECUTE_TASK_SYNC_RESPONSE_HEADER__INIT;
	char			 err[256], msg[320];

	grpc_set_cancel(g, NULL, NULL);
	rpc_poll_free(rp);
	if ((h.resource = flyte_resource(resource, err, sizeof(err))) ==
	    NULL) {
		snprintf(msg, sizeof(msg), "the plugin's resource is not a "
		    "valid Flyte resource: %s", err);
		grpc_finish(g, GRPC_INTERNAL, msg);
		return;
	}
	r.res_case = FLYTEIDL__ADMIN__EXECUTE_TASK_SYNC_RESPONSE__RES_HEADER;
	r.header = &h;
	rpc_reply(g, &r.base);
	protobuf_c_message_free_unpacked(&h.resource->base, NULL);
}

static int
rpc_phase_terminal(json_t *resource)
{
	static const char *const done[] = {
		"SUCCEEDED", "FAILED", "RETRYABLE_FAILED", "ABORTED", NULL
	};
	const char	*phase;
	size_t		 i;

	phase = json_string_value(json_object_get(resource, "phase"));
	for (i = 0; phase != NULL && done[i] != NULL; i++)
		if (strcmp(done[i], phase) == 0)
			return 1;
	return 0;
}

static void
rpc_poll_fail(struct rpc_poll *rp, const struct call_result *res)
{
	struct grpc_call	*g = rp->rp_g;

	grpc_set_cancel(g, NULL, NULL);
	rpc_poll_free(rp);
	rpc_fail(g, res);
}

/* A poll's answer: terminal ends the call, else the next poll later. */
static void
rpc_polled(void *arg, const struct call_result *res)
{
	struct rpc_poll	*rp = arg;

	rp->rp_ca = NULL;
	if (res->cr_status != 200) {
		rpc_poll_fail(rp, res);
		return;
	}
	if (rpc_phase_terminal(res->cr_resource)) {
		rpc_poll_answer(rp, res->cr_resource);
		return;
	}
	rp->rp_every = rp->rp_every * 2 > RPC_POLL_MAX ? RPC_POLL_MAX :
	    rp->rp_every * 2;
	ev_timer_set(&rp->rp_timer, rp->rp_every, 0.);
	ev_timer_start(ev_default_loop(0), &rp->rp_timer);
}

static void
rpc_poll_get(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct rpc_poll	*rp = t->data;
	struct call_req	 cq;
	struct call	*ca;

	(void)loop;
	(void)revents;
	rpc_call_req(rp->rp_g, &cq);
	cq.cq_timeout = 0;	/* the op's; the client's deadline resets */
	cq.cq_type = rp->rp_type;
	cq.cq_version = rp->rp_version[0] ? rp->rp_version : NULL;
	cq.cq_rid = rp->rp_rid;
	cq.cq_ridlen = strlen(rp->rp_rid);
	/* NULL: answered at once, rp may be gone. */
	if ((ca = call_resource(POOL_OP_GET, &cq, rpc_polled, rp)) != NULL)
		rp->rp_ca = ca;
}

/*
 * The create's answer: a synchronous plugin's inline resource answers at
 * once; an asynchronous job is polled until it is terminal, as flytekit's
 * sync agents block until their job is done.
 */
static void
rpc_synced(void *arg, const struct call_result *res)
{
	struct rpc_poll	*rp = arg;

	rp->rp_ca = NULL;
	if (res->cr_status != 200) {
		rpc_poll_fail(rp, res);
		return;
	}
	if (res->cr_resource != NULL) {
		rpc_poll_answer(rp, res->cr_resource);
		return;
	}
	if ((rp->rp_rid = strdup(res->cr_resource_id)) == NULL) {
		grpc_set_cancel(rp->rp_g, NULL, NULL);
		grpc_finish(rp->rp_g, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		rpc_poll_free(rp);
		return;
	}
	rp->rp_every = RPC_POLL_FIRST;
	ev_timer_set(&rp->rp_timer, rp->rp_every, 0.);
	ev_timer_start(ev_default_loop(0), &rp->rp_timer);
}

/* ExecuteTaskSync: a header, then inputs, then the client's end. */
static void
rpc_execute_sync(struct grpc_call *g, const uint8_t *msg, size_t len)
{
	struct rpc_sync				*rs = grpc_data(g);
	Flyteidl__Admin__ExecuteTaskSyncRequest	*req;
	struct rpc_poll				*rp;
	struct call				*ca;

	if (rs == NULL) {
		if ((rs = calloc(1, sizeof(*rs))) == NULL) {
			grpc_finish(g, GRPC_RESOURCE_EXHAUSTED,
			    "out of memory");
			return;
		}
		grpc_set_data(g, rs);
		grpc_set_cancel(g, (void (*)(void *))rpc_sync_free, rs);
	}
	if (msg != NULL) {
		req = flyteidl__admin__execute_task_sync_request__unpack(NULL,
		    len, msg);
		if (req == NULL) {
			grpc_set_cancel(g, NULL, NULL);
			rpc_sync_free(rs);
			grpc_finish(g, GRPC_INVALID_ARGUMENT, "the message is "
			    "not a flyteidl.admin.ExecuteTaskSyncRequest");
			return;
		}
		if (req->part_case ==
		    FLYTEIDL__ADMIN__EXECUTE_TASK_SYNC_REQUEST__PART_HEADER &&
		    rs->rs_header == NULL) {
			rs->rs_header = req->header;
			req->header = NULL;
			req->part_case =
			    FLYTEIDL__ADMIN__EXECUTE_TASK_SYNC_REQUEST__PART__NOT_SET;
		} else if (req->part_case ==
		    FLYTEIDL__ADMIN__EXECUTE_TASK_SYNC_REQUEST__PART_INPUTS) {
			/* The last inputs win; kept as the message. */
			if (rs->rs_inputs != NULL)
				flyteidl__core__literal_map__free_unpacked(
				    rs->rs_inputs, NULL);
			rs->rs_inputs = req->inputs;
			req->inputs = NULL;
			req->part_case =
			    FLYTEIDL__ADMIN__EXECUTE_TASK_SYNC_REQUEST__PART__NOT_SET;
		}
		flyteidl__admin__execute_task_sync_request__free_unpacked(req,
		    NULL);
		return;
	}
	grpc_set_cancel(g, NULL, NULL);
	grpc_set_data(g, NULL);
	if (rs->rs_header == NULL) {
		rpc_sync_free(rs);
		grpc_finish(g, GRPC_INVALID_ARGUMENT, "the stream must begin "
		    "with a header (CreateRequestHeader)");
		return;
	}
	if ((rp = calloc(1, sizeof(*rp))) == NULL) {
		rpc_sync_free(rs);
		grpc_finish(g, GRPC_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	rp->rp_g = g;
	ev_timer_init(&rp->rp_timer, rpc_poll_get, 0., 0.);
	rp->rp_timer.data = rp;
	grpc_set_cancel(g, rpc_poll_cancel, rp);
	if (rpc_create_from(g, &rs->rs_header->base, rs->rs_inputs != NULL ?
	    &rs->rs_inputs->base : NULL, &rp->rp_body, rpc_synced, rp, rp,
	    &ca) == -1)
		rpc_poll_free(rp);	/* finished: its cancel is gone */
	else if (ca != NULL)
		rp->rp_ca = ca;
	rpc_sync_free(rs);
}

static void
rpc_get_agent(struct grpc_call *g, const uint8_t *msg, size_t len)
{
	Flyteidl__Admin__GetAgentRequest	*req;
	Flyteidl__Admin__GetAgentResponse	 r =
	    FLYTEIDL__ADMIN__GET_AGENT_RESPONSE__INIT;
	struct call_result			 res;
	struct pool				*p;
	json_t					*j;
	char					 err[256];

	if (call_authorize(grpc_metadata(g, "authorization"), NULL, &res) ==
	    -1) {
		rpc_fail(g, &res);
		return;
	}
	if ((req = flyteidl__admin__get_agent_request__unpack(NULL, len,
	    msg)) == NULL) {
		grpc_finish(g, GRPC_INVALID_ARGUMENT, "the message is not a "
		    "flyteidl.admin.GetAgentRequest");
		return;
	}
	p = call_find_plugin(req->name);
	flyteidl__admin__get_agent_request__free_unpacked(req, NULL);
	if (p == NULL) {
		grpc_finish(g, GRPC_NOT_FOUND, "no such agent");
		return;
	}
	j = flyte_agent_json(p);
	r.agent = (Flyteidl__Admin__Agent *)pbjson_decode(
	    &flyteidl__admin__agent__descriptor, j, 0, err, sizeof(err));
	json_decref(j);
	if (r.agent == NULL) {
		grpc_finish(g, GRPC_INTERNAL, err);
		return;
	}
	rpc_reply(g, &r.base);
	protobuf_c_message_free_unpacked(&r.agent->base, NULL);
}

static void
rpc_list_agents(struct grpc_call *g, const uint8_t *msg, size_t len)
{
	struct call_result	 res;
	struct pool		**pools;
	ProtobufCMessage	*m;
	json_t			*list;
	size_t			 i, n;
	char			 err[256];

	(void)msg;
	(void)len;
	if (call_authorize(grpc_metadata(g, "authorization"), NULL, &res) ==
	    -1) {
		rpc_fail(g, &res);
		return;
	}
	pools = call_pools(&n);
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, flyte_agent_json(pools[i]));
	list = json_pack("{s:o}", "agents", list);
	m = pbjson_decode(&flyteidl__admin__list_agents_response__descriptor,
	    list, 0, err, sizeof(err));
	json_decref(list);
	if (m == NULL) {
		grpc_finish(g, GRPC_INTERNAL, err);
		return;
	}
	rpc_reply(g, m);
	protobuf_c_message_free_unpacked(m, NULL);
}

/*
 * grpc.health.v1.Health: HealthCheckResponse is one enum field (1),
 * SERVING 1 or NOT_SERVING 2; the daemon serves once started and until
 * it drains.  Its two bytes are written here: no Debian package ships the
 * health proto for protoc-c.
 */
static void
rpc_health_status(struct grpc_call *g, int finish)
{
	uint8_t	 m[2] = { 0x08, 0x01 };

	if (!call_started() || call_draining())
		m[1] = 0x02;
	grpc_send(g, m, sizeof(m));
	if (finish)
		grpc_finish(g, GRPC_OK, NULL);
}

static void
rpc_health_check(struct grpc_call *g, const uint8_t *msg, size_t len)
{
	(void)msg;
	(void)len;
	rpc_health_status(g, 1);
}

static void
rpc_health_watch_gone(void *arg)
{
	(void)arg;
}

/* Watch: the current status, then the stream stays open. */
static void
rpc_health_watch(struct grpc_call *g, const uint8_t *msg, size_t len)
{
	(void)msg;
	(void)len;
	rpc_health_status(g, 0);
	grpc_set_cancel(g, rpc_health_watch_gone, NULL);
}

#define AGENT_METHODS(svc, meta, get, list)				\
	{ "/flyteidl.service.Async" svc "Service/CreateTask", 0,	\
	    rpc_create_task },						\
	{ "/flyteidl.service.Async" svc "Service/GetTask", 0,		\
	    rpc_get_task },						\
	{ "/flyteidl.service.Async" svc "Service/DeleteTask", 0,	\
	    rpc_delete_task },						\
	{ "/flyteidl.service.Async" svc "Service/GetTaskMetrics", 0,	\
	    rpc_get_metrics },						\
	{ "/flyteidl.service.Async" svc "Service/GetTaskLogs", 0,	\
	    rpc_get_logs },						\
	{ "/flyteidl.service.Sync" svc "Service/ExecuteTaskSync", 1,	\
	    rpc_execute_sync },						\
	{ "/flyteidl.service." meta "/" get, 0, rpc_get_agent },	\
	{ "/flyteidl.service." meta "/" list, 0, rpc_list_agents }

static const struct grpc_method rpc_methods[] = {
	AGENT_METHODS("Agent", "AgentMetadataService", "GetAgent",
	    "ListAgents"),
	AGENT_METHODS("Connector", "ConnectorMetadataService",
	    "GetConnector", "ListConnectors"),
	{ "/grpc.health.v1.Health/Check", 0, rpc_health_check },
	{ "/grpc.health.v1.Health/Watch", 0, rpc_health_watch },
};

void
agentrpc_init(void)
{
	if (rpc_arena == NULL && (rpc_arena = pbarena_new(RPC_ARENA_SIZE)) ==
	    NULL)
		fatalx("agentrpc: out of memory");
	grpc_set_methods(rpc_methods, sizeof(rpc_methods) /
	    sizeof(rpc_methods[0]));
}
