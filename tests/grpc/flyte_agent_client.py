#!/usr/bin/python3
"""Drives nebula-plugind's gRPC front as Flyte's propeller would: a real
gRPC client (Debian's python3-grpcio) with the message classes generated
at test time from the pinned @flyteorg/flyteidl protos, calling the methods
of service/agent.proto by their paths (its service stubs need googleapis'
annotations.proto, which no Debian package ships).
Prints TAP-like "ok - ..." / "not ok - ..." lines; the exit status is the
number of failures.

Usage: flyte_agent_client.py HOST:PORT STUBS_DIR [--token T] [--tls CA]
       [--only auth|tls|bigquery|databricks] [--record FILE] [--si URL]
With --tls the channel is grpc.secure_channel with the CA's certificate
(grpcio insists on ALPN h2); --only tls lists agents and creates and polls
an echo job on it.  --record names the file where the tw plugin's test
worker records the requests it gets (TW_RECORD): then a client leaving
mid-ExecuteTaskSync must see its job deleted there.  --only bigquery and
--only databricks drive those plugins against their stand-ins
(tests/standins/, at --si URL): typed outputs, idempotent creates,
deletes, failures as agent_error, a 403 from the service.
"""
import concurrent.futures
import json
import sys
import time
import urllib.request

ADDR = sys.argv[1]
sys.path.insert(0, sys.argv[2])
TOKEN = None
ONLY = None
CA = None
RECORD = None
SI = None
args = sys.argv[3:]
while args:
    if args[0] == "--token":
        TOKEN = args[1]
        args = args[2:]
    elif args[0] == "--tls":
        CA = args[1]
        args = args[2:]
    elif args[0] == "--si":
        SI = args[1]
        args = args[2:]
    elif args[0] == "--record":
        RECORD = args[1]
        args = args[2:]
    elif args[0] == "--only":
        ONLY = args[1]
        args = args[2:]
    else:
        sys.exit("unknown argument " + args[0])

import grpc  # noqa: E402
from flyteidl.admin import agent_pb2 as A  # noqa: E402
from flyteidl.core import literals_pb2 as L  # noqa: E402
from flyteidl.core import tasks_pb2 as T  # noqa: E402
from flyteidl.core import execution_pb2 as E  # noqa: E402
import tap  # noqa: E402
from tap import ok  # noqa: E402


def md():
    return (("authorization", "Bearer " + TOKEN),) if TOKEN else ()


def code_of(fn):
    try:
        fn()
    except grpc.RpcError as e:
        return e.code(), e.details()
    return grpc.StatusCode.OK, ""


def template(ttype, version=0, custom=None):
    t = T.TaskTemplate(type=ttype, task_type_version=version)
    if custom is not None:
        t.custom.update(custom)
    return t


def inputs(**kw):
    m = L.LiteralMap()
    for k, v in kw.items():
        lit = m.literals[k]
        if isinstance(v, bool):
            lit.scalar.primitive.boolean = v
        elif isinstance(v, int):
            lit.scalar.primitive.integer = v
        else:
            lit.scalar.primitive.string_value = v
    return m


def meta(exec_id="exec-1"):
    m = A.TaskExecutionMetadata(namespace="ns")
    m.task_execution_id.node_execution_id.node_id = exec_id
    m.labels["team"] = "data"
    return m


if CA is not None:
    with open(CA, "rb") as f:
        chan = grpc.secure_channel(
            ADDR, grpc.ssl_channel_credentials(root_certificates=f.read()))
else:
    chan = grpc.insecure_channel(ADDR)
grpc.channel_ready_future(chan).result(timeout=20)


class Stub:
    """The methods of one of Flyte's services, by their gRPC paths, with
    the message classes generated from Flyte's protos."""

    def __init__(self, service, methods):
        for name, (kind, req, resp) in methods.items():
            path = "/flyteidl.service.%s/%s" % (service, name)
            make = getattr(chan, kind)
            setattr(self, name, make(path,
                                     request_serializer=req.SerializeToString,
                                     response_deserializer=resp.FromString))


U = "unary_unary"
async_stub = Stub("AsyncAgentService", {
    "CreateTask": (U, A.CreateTaskRequest, A.CreateTaskResponse),
    "GetTask": (U, A.GetTaskRequest, A.GetTaskResponse),
    "DeleteTask": (U, A.DeleteTaskRequest, A.DeleteTaskResponse),
    "GetTaskLogs": ("unary_stream", A.GetTaskLogsRequest,
                    A.GetTaskLogsResponse),
    "GetTaskMetrics": (U, A.GetTaskMetricsRequest,
                       A.GetTaskMetricsResponse)})
sync_stub = Stub("SyncAgentService", {
    "ExecuteTaskSync": ("stream_stream", A.ExecuteTaskSyncRequest,
                        A.ExecuteTaskSyncResponse)})
meta_stub = Stub("AgentMetadataService", {
    "GetAgent": (U, A.GetAgentRequest, A.GetAgentResponse),
    "ListAgents": (U, A.ListAgentsRequest, A.ListAgentsResponse)})


def cat(name, version=0):
    return A.TaskCategory(name=name, version=version)


if ONLY == "auth":
    c, _ = code_of(lambda: meta_stub.ListAgents(A.ListAgentsRequest()))
    ok("no token: UNAUTHENTICATED", c == grpc.StatusCode.UNAUTHENTICATED, c)
    c, _ = code_of(lambda: meta_stub.ListAgents(
        A.ListAgentsRequest(), metadata=(("authorization", "Bearer nope"),)))
    ok("wrong token: UNAUTHENTICATED", c == grpc.StatusCode.UNAUTHENTICATED,
       c)
    r = meta_stub.ListAgents(A.ListAgentsRequest(), metadata=md())
    ok("good token lists agents", len(r.agents) > 0)
    c, _ = code_of(lambda: async_stub.CreateTask(A.CreateTaskRequest(
        template=template("echo"), inputs=inputs(x=1)), metadata=md()))
    ok("good token creates", c == grpc.StatusCode.OK, c)
    sys.exit(tap.FAILED)

if ONLY == "tls":
    r = meta_stub.ListAgents(A.ListAgentsRequest(), metadata=md())
    ok("ListAgents over TLS", any(a.name == "echo" for a in r.agents), r)
    cr = async_stub.CreateTask(A.CreateTaskRequest(
        template=template("echo"), inputs=inputs(t=1)), metadata=md())
    ok("CreateTask over TLS", len(cr.resource_meta) > 0, cr)
    g = async_stub.GetTask(A.GetTaskRequest(task_category=cat("echo"),
                                            resource_meta=cr.resource_meta),
                           metadata=md())
    ok("GetTask over TLS: typed outputs",
       g.resource.outputs.literals["t"].scalar.primitive.integer == 1, g)
    sys.exit(tap.FAILED)

NONREC = A.AgentError.NON_RECOVERABLE
REC = A.AgentError.RECOVERABLE
TERMINAL = (E.TaskExecution.SUCCEEDED, E.TaskExecution.FAILED,
            E.TaskExecution.ABORTED, E.TaskExecution.RETRYABLE_FAILED)


def poll_done(name, rmeta):
    """GetTask until a terminal phase; the last Resource."""
    r = None
    for _ in range(600):
        r = async_stub.GetTask(A.GetTaskRequest(
            task_category=cat(name), resource_meta=rmeta),
            metadata=md()).resource
        if r.phase in TERMINAL:
            break
        time.sleep(0.1)
    return r


def phase_name(p):
    return E.TaskExecution.Phase.Name(p)


def exec_meta(name, attempt=0):
    m = A.TaskExecutionMetadata(namespace="ns")
    m.task_execution_id.task_id.name = name
    m.task_execution_id.node_execution_id.node_id = "n0"
    m.task_execution_id.retry_attempt = attempt
    return m


def svc_create(name, custom, inputs_=None, metadata=None):
    return async_stub.CreateTask(A.CreateTaskRequest(
        template=template(name, custom=custom), inputs=inputs_,
        output_prefix="s3://bucket/out", task_execution_metadata=metadata),
        metadata=md()).resource_meta


def svc_failure(name, custom, want_phase, want_code, want_kind, what):
    rm = svc_create(name, custom)
    r = poll_done(name, rm)
    ok(what + ": " + phase_name(want_phase), r.phase == want_phase, r)
    ok(what + ": agent_error code " + want_code,
       r.agent_error.code == want_code, r.agent_error)
    ok(what + ": agent_error kind " + A.AgentError.Kind.Name(want_kind),
       r.HasField("agent_error") and r.agent_error.kind == want_kind,
       r.agent_error)


def si_stat(name):
    """One of the stand-in's counters (tests/standins/standin.py)."""
    with urllib.request.urlopen(SI + "/_admin/stats", timeout=20) as f:
        return json.load(f).get(name, 0)


def svc_delete(name, rm, what):
    """DeleteTask of a running job: it answers OK with a DeleteTaskResponse
    and the service got exactly one cancel call for it."""
    before = si_stat("cancels")
    try:
        resp = async_stub.DeleteTask(A.DeleteTaskRequest(
            task_category=cat(name), resource_meta=rm), metadata=md())
        c, d = grpc.StatusCode.OK, ""
    except grpc.RpcError as e:
        resp, c, d = None, e.code(), e.details()
    ok(what + " DeleteTask answers OK with a DeleteTaskResponse",
       c == grpc.StatusCode.OK and isinstance(resp, A.DeleteTaskResponse),
       (c, d))
    after = si_stat("cancels")
    ok(what + " DeleteTask reached the service: one cancel call",
       after == before + 1, (before, after))


if ONLY == "bigquery":
    custom = {"query": "SELECT @n AS n -- runtime=0.3",
              "destination_table": "ds.out"}
    rm = svc_create("bigquery", custom, inputs(n=7), exec_meta("bq-1"))
    ok("BigQuery CreateTask answers resource_meta", len(rm) > 0, rm)
    r = poll_done("bigquery", rm)
    ok("BigQuery GetTask reaches SUCCEEDED",
       r.phase == E.TaskExecution.SUCCEEDED, r)
    lits = r.outputs.literals
    ok("BigQuery results: a StructuredDataset at bq://project:dataset.table",
       lits["results"].scalar.structured_dataset.uri == "bq://proj-1:ds.out",
       r.outputs)
    ok("BigQuery outputs name the destination table",
       lits["destination_table"].scalar.primitive.string_value ==
       "proj-1.ds.out", r.outputs)
    job = lits["job_id"].scalar.primitive.string_value
    ok("BigQuery custom_info names the job",
       r.custom_info["job_id"] == job and job.startswith("nebula_"),
       r.custom_info)
    ok("BigQuery log link: a TaskLog to the console",
       len(r.log_links) == 1 and r.log_links[0].uri.startswith(
           "https://console.cloud.google.com/bigquery?project=proj-1&j=bq:"
           "US:" + job), r.log_links)
    ok("BigQuery log link shows while pending",
       len(r.log_links) == 1 and r.log_links[0].ShowWhilePending,
       r.log_links)
    again = svc_create("bigquery", custom, inputs(n=7), exec_meta("bq-1"))
    ok("a retried CreateTask of the same task execution: the same job",
       again == rm, (again, rm))
    other = svc_create("bigquery", custom, inputs(n=7), exec_meta("bq-1", 1))
    ok("another attempt of the task is another job", other != rm)
    rm = svc_create("bigquery", {"query": "SELECT 3 -- runtime=600"})
    svc_delete("bigquery", rm, "BigQuery")
    r = poll_done("bigquery", rm)
    ok("the deleted job is ABORTED", r.phase == E.TaskExecution.ABORTED, r)
    svc_failure("bigquery", {"query": "SELECT FAIL_QUERY -- runtime=0.2"},
                E.TaskExecution.FAILED, "invalidQuery", NONREC,
                "a bad query")
    svc_failure("bigquery", {"query": "SELECT BACKEND_ERROR -- runtime=0.2"},
                E.TaskExecution.RETRYABLE_FAILED, "backendError",
                REC, "a backend error")
    svc_failure("bigquery", {"query": "SELECT ACCESS_DENIED -- runtime=0.2"},
                E.TaskExecution.FAILED, "accessDenied", NONREC,
                "a job the service denies (403 accessDenied)")
    c, d = code_of(lambda: svc_create("bigquery", {"query": "SELECT 1",
                                                   "project": "denied"}))
    ok("a 403 from BigQuery on create: PERMISSION_DENIED, not retried",
       c == grpc.StatusCode.PERMISSION_DENIED and "Access Denied" in d,
       (c, d))
    c, d = code_of(lambda: svc_create("bigquery", {}))
    ok("a template without query: INVALID_ARGUMENT naming the field",
       c == grpc.StatusCode.INVALID_ARGUMENT and
       "task_template.custom" in d and "query" in d, (c, d))
    sys.exit(tap.FAILED)

if ONLY == "databricks":
    def run(name):
        return {"run_name": name, "tasks": [{
            "task_key": "main",
            "notebook_task": {"notebook_path": "/Users/me/nb"},
            "existing_cluster_id": "0123-456789-abc"}]}

    rm = svc_create("databricks", run("ok runtime=0.3"), None,
                    exec_meta("dbx-1"))
    ok("Databricks CreateTask answers resource_meta", len(rm) > 0, rm)
    r = poll_done("databricks", rm)
    ok("Databricks GetTask reaches SUCCEEDED",
       r.phase == E.TaskExecution.SUCCEEDED, r)
    rid = r.custom_info["run_id"]
    ok("Databricks custom_info names the run and its state",
       rid > 0 and r.custom_info["life_cycle_state"] == "TERMINATED",
       r.custom_info)
    ok("Databricks log link: a TaskLog to the run page",
       len(r.log_links) == 1 and r.log_links[0].uri ==
       "%s/?o=1234#job/%d/run/%d" % (SI, int(rid) + 5, int(rid)),
       r.log_links)
    ok("Databricks outputs: an empty LiteralMap (the run writes its own)",
       len(r.outputs.literals) == 0, r.outputs)
    again = svc_create("databricks", run("ok runtime=0.3"), None,
                       exec_meta("dbx-1"))
    ok("a retried CreateTask of the same task execution: the same run",
       again == rm, (again, rm))
    rm = svc_create("databricks", run("long runtime=600"))
    svc_delete("databricks", rm, "Databricks")
    r = poll_done("databricks", rm)
    ok("the deleted run is ABORTED", r.phase == E.TaskExecution.ABORTED, r)
    svc_failure("databricks", run("result=FAILED runtime=0.2"),
                E.TaskExecution.FAILED, "FAILED", NONREC,
                "a failed run")
    svc_failure("databricks", run("result=INTERNAL_ERROR runtime=0.2"),
                E.TaskExecution.RETRYABLE_FAILED, "INTERNAL_ERROR",
                REC, "an internal error")
    c, d = code_of(lambda: svc_create("databricks", run("denied")))
    ok("a 403 from Databricks on submit: PERMISSION_DENIED, not retried",
       c == grpc.StatusCode.PERMISSION_DENIED and
       "does not have permission" in d, (c, d))
    c, d = code_of(lambda: svc_create("databricks", {"run_name": "x"}))
    ok("a run without tasks: INVALID_ARGUMENT naming the field",
       c == grpc.StatusCode.INVALID_ARGUMENT and
       "task_template.custom.tasks" in d, (c, d))
    sys.exit(tap.FAILED)

# Metadata service.
r = meta_stub.ListAgents(A.ListAgentsRequest(), metadata=md())
names = sorted(a.name for a in r.agents)
ok("ListAgents names every plugin", "echo" in names and "sleep" in names,
   names)
echo = [a for a in r.agents if a.name == "echo"][0]
ok("an agent lists its task categories",
   any(c.name == "echo" and c.version == 1
       for c in echo.supported_task_categories), echo)
r = meta_stub.GetAgent(A.GetAgentRequest(name="sleep"), metadata=md())
ok("GetAgent answers the agent", r.agent.name == "sleep", r)
c, _ = code_of(lambda: meta_stub.GetAgent(A.GetAgentRequest(name="nosuch"),
                                          metadata=md()))
ok("GetAgent of an unknown agent: NOT_FOUND", c == grpc.StatusCode.NOT_FOUND,
   c)

# echo: create, get, delete; typed outputs.
cr = async_stub.CreateTask(A.CreateTaskRequest(
    template=template("echo"), inputs=inputs(n=3, s="hi", b=True),
    output_prefix="s3://bucket/x", task_execution_metadata=meta()),
    metadata=md())
ok("CreateTask answers resource_meta bytes", len(cr.resource_meta) > 0, cr)
g = async_stub.GetTask(A.GetTaskRequest(task_category=cat("echo"),
                                        resource_meta=cr.resource_meta),
                       metadata=md())
ok("GetTask: echo is SUCCEEDED",
   g.resource.phase == E.TaskExecution.SUCCEEDED, g)
lits = g.resource.outputs.literals
ok("outputs are a LiteralMap: integer",
   lits["n"].scalar.primitive.integer == 3, g.resource.outputs)
ok("outputs are a LiteralMap: string",
   lits["s"].scalar.primitive.string_value == "hi")
ok("outputs are a LiteralMap: boolean", lits["b"].scalar.primitive.boolean)
g1 = async_stub.GetTask(A.GetTaskRequest(task_category=cat("echo", 1),
                                         resource_meta=cr.resource_meta),
                        metadata=md())
ok("task category version 1 is v1",
   g1.resource.phase == E.TaskExecution.SUCCEEDED)
g2 = async_stub.GetTask(A.GetTaskRequest(task_type="echo",
                                         resource_meta=cr.resource_meta),
                        metadata=md())
ok("the deprecated task_type still routes",
   g2.resource.phase == E.TaskExecution.SUCCEEDED)
c, d = code_of(lambda: async_stub.DeleteTask(A.DeleteTaskRequest(
    task_category=cat("echo"), resource_meta=cr.resource_meta),
    metadata=md()))
ok("DeleteTask answers OK", c == grpc.StatusCode.OK, (c, d))

# sleep: RUNNING, then SUCCEEDED.
cr = async_stub.CreateTask(A.CreateTaskRequest(
    template=template("sleep", custom={"seconds": 2})), metadata=md())
g = async_stub.GetTask(A.GetTaskRequest(task_category=cat("sleep"),
                                        resource_meta=cr.resource_meta),
                       metadata=md())
ok("sleep is RUNNING at first", g.resource.phase == E.TaskExecution.RUNNING,
   g)
phase = None
for _ in range(300):
    g = async_stub.GetTask(A.GetTaskRequest(task_category=cat("sleep"),
                                            resource_meta=cr.resource_meta),
                           metadata=md())
    phase = g.resource.phase
    if phase == E.TaskExecution.SUCCEEDED:
        break
    time.sleep(0.1)
ok("sleep goes SUCCEEDED", phase == E.TaskExecution.SUCCEEDED, phase)
logs = list(async_stub.GetTaskLogs(A.GetTaskLogsRequest(
    task_category=cat("sleep"), resource_meta=cr.resource_meta),
    metadata=md()))
ok("GetTaskLogs of sleep (the C SDK's logs handler): its lines",
   len(logs) == 2 and [ln.message for ln in logs[1].body.structured_lines]
   == ["sleep: 2 s asked\n", "sleep: done\n"], logs)

def recorded(op, mark, field="resource_meta"):
    """The requests of op the test worker recorded (TW_RECORD) whose field
    (the resource_meta, or for a create its inputs) carries mark."""
    try:
        with open(RECORD) as f:
            reqs = [json.loads(ln) for ln in f if ln.strip()]
    except OSError:
        return []
    return [r for r in reqs if r.get("op") == op and
            mark in json.dumps(r.get(field))]


def wait_recorded(op, mark):
    for _ in range(600):
        if recorded(op, mark):
            return True
        time.sleep(0.05)
    return False


# Status codes.
c, _ = code_of(lambda: async_stub.CreateTask(A.CreateTaskRequest(
    template=template("nosuch")), metadata=md()))
ok("no plugin: NOT_FOUND", c == grpc.StatusCode.NOT_FOUND, c)
c, _ = code_of(lambda: async_stub.CreateTask(A.CreateTaskRequest(
    template=template("echo", 7)), metadata=md()))
ok("no such version: NOT_FOUND", c == grpc.StatusCode.NOT_FOUND, c)
c, _ = code_of(lambda: async_stub.CreateTask(A.CreateTaskRequest(),
                                             metadata=md()))
ok("no template: INVALID_ARGUMENT", c == grpc.StatusCode.INVALID_ARGUMENT, c)
c, _ = code_of(lambda: async_stub.GetTask(A.GetTaskRequest(
    task_category=cat("echo"), resource_meta=b"not-an-id"), metadata=md()))
ok("an id that does not decode: INVALID_ARGUMENT",
   c == grpc.StatusCode.INVALID_ARGUMENT, c)
cr = async_stub.CreateTask(A.CreateTaskRequest(
    template=template("tw", custom={"poll_action": "hang"})), metadata=md())
c, _ = code_of(lambda: async_stub.GetTask(A.GetTaskRequest(
    task_category=cat("tw"), resource_meta=cr.resource_meta),
    metadata=md(), timeout=60))
ok("a hanging worker: DEADLINE_EXCEEDED",
   c == grpc.StatusCode.DEADLINE_EXCEEDED, c)
c, _ = code_of(lambda: async_stub.CreateTask(A.CreateTaskRequest(
    template=template("tw", custom={"action": "crash"})), metadata=md()))
ok("a worker that dies: INTERNAL", c == grpc.StatusCode.INTERNAL, c)
c, d = code_of(lambda: async_stub.CreateTask(A.CreateTaskRequest(
    template=template("tw", custom={"action": "slow", "ms": 3000})),
    metadata=md(), timeout=0.5))
ok("grpc-timeout bounds the call: DEADLINE_EXCEEDED",
   c == grpc.StatusCode.DEADLINE_EXCEEDED, (c, d))
# What the worker is told: the deadline_ms of the request line is the time
# the client's grpc-timeout leaves (2 s; grpcio rounds the header up a
# little, 2009 ms has been seen), not the plugin's create timeout (5 s for
# tw).
if RECORD is not None:
    mark = "deadline-%d" % int(time.time() * 1000)
    c, d = code_of(lambda: async_stub.CreateTask(A.CreateTaskRequest(
        template=template("tw", custom={"action": "record"}),
        inputs=inputs(mark=mark)), metadata=md(), timeout=2))
    ok("a create with a 2 s grpc-timeout answers", c == grpc.StatusCode.OK,
       (c, d))
    got = recorded("create", mark, "inputs")
    dl = got[0].get("deadline_ms") if len(got) == 1 else None
    ok("grpc-timeout bounds the worker's deadline_ms (about 2000, not 5000)",
       isinstance(dl, int) and 0 < dl < 3000, got)
em = async_stub.CreateTask(A.CreateTaskRequest(template=template("echo")),
                           metadata=md()).resource_meta
c, _ = code_of(lambda: list(async_stub.GetTaskLogs(A.GetTaskLogsRequest(
    task_category=cat("echo"), resource_meta=em), metadata=md())))
ok("GetTaskLogs of a plugin without logs: UNIMPLEMENTED",
   c == grpc.StatusCode.UNIMPLEMENTED, c)
c, _ = code_of(lambda: async_stub.GetTaskMetrics(A.GetTaskMetricsRequest(
    task_category=cat("echo"), resource_meta=em), metadata=md()))
ok("GetTaskMetrics of a plugin without metrics: UNIMPLEMENTED",
   c == grpc.StatusCode.UNIMPLEMENTED, c)

# Logs and metrics of a plugin that declares them (tw: TW_OPS).
cr = async_stub.CreateTask(A.CreateTaskRequest(template=template("tw")),
                           metadata=md())
logs = list(async_stub.GetTaskLogs(A.GetTaskLogsRequest(
    task_category=cat("tw"), resource_meta=cr.resource_meta, lines=5,
    token="abc"), metadata=md()))
ok("GetTaskLogs streams a header, then a body",
   len(logs) == 2 and logs[0].HasField("header") and
   logs[1].HasField("body"), logs)
if len(logs) == 2:
    ok("the header carries the worker's token",
       logs[0].header.token == "next", logs[0])
    sl = logs[1].body.structured_lines
    ok("the worker got the query (lines, token)",
       len(sl) == 2 and sl[0].message == "lines=5 token=abc\n", sl)
    ok("a structured line keeps its timestamp and originator",
       len(sl) == 2 and sl[1].message == "done\n" and
       sl[1].timestamp.seconds == 1704164645 and
       sl[1].originator == A.SYSTEM, sl)
    ok("the deprecated results carry the same lines",
       list(logs[1].body.results) == ["lines=5 token=abc\n", "done\n"],
       logs[1].body)
mreq = A.GetTaskMetricsRequest(task_category=cat("tw"),
                               resource_meta=cr.resource_meta,
                               queries=["EXECUTION_METRIC_USED_CPU_AVG"])
mreq.start_time.FromSeconds(1704164645)
m = async_stub.GetTaskMetrics(mreq, metadata=md())
ok("GetTaskMetrics answers the worker's ExecutionMetricResults",
   len(m.results) == 1 and
   m.results[0].metric == "EXECUTION_METRIC_USED_CPU_AVG", m)
ok("the worker got the queries",
   len(m.results) == 1 and
   list(m.results[0].data["queries"]) == ["EXECUTION_METRIC_USED_CPU_AVG"],
   m)
logs = chan.unary_stream(
    "/flyteidl.service.AsyncConnectorService/GetTaskLogs",
    request_serializer=A.GetTaskLogsRequest.SerializeToString,
    response_deserializer=A.GetTaskLogsResponse.FromString)
r = list(logs(A.GetTaskLogsRequest(task_category=cat("tw"),
                                   resource_meta=cr.resource_meta),
              metadata=md()))
ok("AsyncConnectorService/GetTaskLogs answers", len(r) == 2, r)
c, _ = code_of(lambda: async_stub.GetTaskMetrics(A.GetTaskMetricsRequest(
    task_category=cat("twlogs"), resource_meta=async_stub.CreateTask(
        A.CreateTaskRequest(template=template("twlogs")),
        metadata=md()).resource_meta), metadata=md()))
ok("metrics of a plugin declaring only logs: UNIMPLEMENTED, not sent",
   c == grpc.StatusCode.UNIMPLEMENTED, c)
cr = async_stub.CreateTask(A.CreateTaskRequest(
    template=template("tw", custom={"poll_action": "badresponse"})),
    metadata=md())
c, _ = code_of(lambda: list(async_stub.GetTaskLogs(A.GetTaskLogsRequest(
    task_category=cat("tw"), resource_meta=cr.resource_meta),
    metadata=md())))
ok("logs answered without lines: INTERNAL", c == grpc.StatusCode.INTERNAL,
   c)

# Logs larger than an HTTP/2 stream holds unsent (about 2 MB here): about
# 4 MB of lines, sent as the client reads them instead of failing.
cr = async_stub.CreateTask(A.CreateTaskRequest(
    template=template("tw", custom={"poll_action": "biglogs"})),
    metadata=md())
try:
    big = list(async_stub.GetTaskLogs(A.GetTaskLogsRequest(
        task_category=cat("tw"), resource_meta=cr.resource_meta),
        metadata=md(), timeout=120))
    err = None
except grpc.RpcError as e:
    big, err = [], (e.code(), e.details())
ok("GetTaskLogs of about 4 MB of lines answers OK", err is None, err)
msgs = [ln.message for r in big[1:] for ln in r.body.structured_lines]
ok("every line of the big logs arrives, in order",
   len(msgs) == 40001 and msgs[0].startswith("line 000000 ") and
   msgs[39999].startswith("line 039999 ") and msgs[-1] == "end\n",
   (len(msgs), msgs[:1], msgs[-1:]))
ok("the big logs come as several messages", len(big) > 3, len(big))
ok("the big logs are more than a stream holds unsent",
   sum(r.ByteSize() for r in big) > 2 * 1048576 + 1024,
   sum(r.ByteSize() for r in big))

# A sync plugin through ExecuteTaskSync.


def sync_requests():
    yield A.ExecuteTaskSyncRequest(header=A.CreateRequestHeader(
        template=template("tw", custom={"action": "sync"})))
    yield A.ExecuteTaskSyncRequest(inputs=inputs(q=5))


resps = list(sync_stub.ExecuteTaskSync(sync_requests(), metadata=md()))
ok("ExecuteTaskSync answers one header",
   len(resps) == 1 and resps[0].HasField("header"), resps)
if resps:
    rs = resps[0].header.resource
    ok("ExecuteTaskSync: the resource is SUCCEEDED",
       rs.phase == E.TaskExecution.SUCCEEDED, rs)
    ok("ExecuteTaskSync: outputs are the inputs",
       rs.outputs.literals["q"].scalar.primitive.integer == 5, rs)



def sync_of(tmpl):
    def reqs():
        yield A.ExecuteTaskSyncRequest(header=A.CreateRequestHeader(
            template=tmpl))
    return reqs


# An asynchronous plugin through ExecuteTaskSync: polled until terminal.
resps = list(sync_stub.ExecuteTaskSync(
    sync_of(template("sleep", custom={"seconds": 0.5}))(), metadata=md(),
    timeout=60))
ok("ExecuteTaskSync on an async plugin answers once the job is done",
   len(resps) == 1 and
   resps[0].header.resource.phase == E.TaskExecution.SUCCEEDED, resps)
if resps:
    ok("ExecuteTaskSync on an async plugin: the job's outputs",
       resps[0].header.resource.outputs.literals["slept"].scalar.primitive
       .float_value == 0.5, resps[0])
c, _ = code_of(lambda: list(sync_stub.ExecuteTaskSync(
    sync_of(template("tw", custom={"poll_action": "badresponse"}))(),
    metadata=md(), timeout=60)))
ok("ExecuteTaskSync: a poll that fails ends the call (INTERNAL)",
   c == grpc.StatusCode.INTERNAL, c)
c, _ = code_of(lambda: list(sync_stub.ExecuteTaskSync(
    sync_of(template("sleep", custom={"seconds": 30}))(), metadata=md(),
    timeout=1)))
ok("ExecuteTaskSync on a long job: the client's deadline ends it",
   c == grpc.StatusCode.DEADLINE_EXCEEDED, c)



# A client that leaves mid-ExecuteTaskSync on an asynchronous plugin: the
# job it started is deleted (the worker sees the delete).
if RECORD is not None:
    mark = "leave-%d" % int(time.time() * 1000)

    def leave_reqs():
        yield A.ExecuteTaskSyncRequest(header=A.CreateRequestHeader(
            template=template("tw", custom={"poll_action": "running"})))
        yield A.ExecuteTaskSyncRequest(inputs=inputs(leave=mark))

    call = sync_stub.ExecuteTaskSync(leave_reqs(), metadata=md(),
                                     timeout=120)
    ok("ExecuteTaskSync on a job that runs on: the daemon polls it",
       wait_recorded("get", mark), mark)
    ok("no delete while the client waits", not recorded("delete", mark))
    call.cancel()
    c, _ = code_of(lambda: list(call))
    ok("the client's cancel ends its call", c == grpc.StatusCode.CANCELLED,
       c)
    ok("the client left mid-ExecuteTaskSync: the worker sees the delete",
       wait_recorded("delete", mark), mark)
    d = recorded("delete", mark)
    g = recorded("get", mark)
    ok("the delete names the job that was polled",
       len(d) == 1 and g and d[0]["resource_meta"] == g[0]["resource_meta"],
       (d, g[:1]))

# 200 concurrent calls multiplexed on one channel.
with concurrent.futures.ThreadPoolExecutor(max_workers=32) as ex:
    futs = [ex.submit(lambda i=i: async_stub.CreateTask(A.CreateTaskRequest(
        template=template("echo"), inputs=inputs(i=i)), metadata=md()))
        for i in range(200)]
    res = [f.exception() for f in futs]
ok("200 concurrent creates on one channel all answer",
   all(r is None for r in res), [r for r in res if r][:3])

# The connector names, same messages on the wire.
unary = chan.unary_unary(
    "/flyteidl.service.ConnectorMetadataService/ListConnectors",
    request_serializer=A.ListAgentsRequest.SerializeToString,
    response_deserializer=A.ListAgentsResponse.FromString)
r = unary(A.ListAgentsRequest(), metadata=md())
ok("ConnectorMetadataService/ListConnectors answers",
   any(a.name == "echo" for a in r.agents), r)
create = chan.unary_unary(
    "/flyteidl.service.AsyncConnectorService/CreateTask",
    request_serializer=A.CreateTaskRequest.SerializeToString,
    response_deserializer=A.CreateTaskResponse.FromString)
r = create(A.CreateTaskRequest(template=template("echo")), metadata=md())
ok("AsyncConnectorService/CreateTask answers", len(r.resource_meta) > 0)

# Health.
health = chan.unary_unary("/grpc.health.v1.Health/Check",
                          request_serializer=lambda b: b,
                          response_deserializer=lambda b: b)
ok("grpc.health.v1.Health/Check: SERVING", health(b"") == b"\x08\x01")

sys.exit(tap.FAILED)
