"""nebula_plugin: write a nebula-plugind worker in Python in a few lines.

Standard library only; copy this one file next to your plugin.  Subclass
BackendPluginBase (the shape of Flyte's agent base class), fill in
task_type, version, create, get and delete, and call serve():

    import nebula_plugin

    class Echo(nebula_plugin.BackendPluginBase):
        task_type = "echo-py"

        def create(self, task_template, inputs=None, **kw):
            return {"inputs": inputs or {}}

        def get(self, resource_meta, **kw):
            return nebula_plugin.resource("SUCCEEDED",
                                          outputs=resource_meta["inputs"])

    nebula_plugin.serve(Echo())

serve() speaks the line protocol of nebula-plugin-protocol(7) on stdin and
stdout: it sends the hello, runs up to `concurrency` requests at once on a
thread pool, answers each id exactly once (an exception becomes an error
answer, PluginError carries its own code), and returns when stdin ends and
every request in flight has been answered.  While it runs, sys.stdout is
the log (stderr), so a stray print() cannot break the protocol.
"""

import concurrent.futures
import json
import sys
import threading

PROTOCOL = 1
PHASES = ("QUEUED", "INITIALIZING", "WAITING_FOR_RESOURCES", "RUNNING",
          "SUCCEEDED", "FAILED", "RETRYABLE_FAILED", "ABORTED")


class PluginError(Exception):
    """An error with a code the daemon maps to HTTP: INVALID_ARGUMENT 400,
    NOT_FOUND 404, PERMISSION_DENIED 403, UNAVAILABLE 503, others 500."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def resource(phase, message="", outputs=None, log_links=None,
             custom_info=None):
    """A get answer's resource; outputs belong to SUCCEEDED."""
    if phase not in PHASES:
        raise ValueError("unknown phase %r" % phase)
    r = {"phase": phase, "message": message}
    if outputs is not None:
        r["outputs"] = outputs
    if log_links:
        r["log_links"] = log_links
    if custom_info is not None:
        r["custom_info"] = custom_info
    return r


class BackendPluginBase:
    """A plugin: one task type (or several in task_types), its version."""

    name = None             # defaults to task_type
    task_type = None
    version = "v1"
    task_types = None       # [{"type": ..., "versions": [...]}] for several
    concurrency = 8         # requests held at once (threads)

    def create(self, task_template, inputs=None, output_prefix=None,
               task_execution_metadata=None, **extra):
        """Starts the job; returns its resource_meta (small: it travels in
        URLs), or (resource_meta, resource) for a job done at once."""
        raise PluginError("UNIMPLEMENTED", "create is not implemented")

    def get(self, resource_meta, **extra):
        """Returns the job's resource (see resource())."""
        raise PluginError("UNIMPLEMENTED", "get is not implemented")

    def delete(self, resource_meta, **extra):
        """Cancels or cleans up; nothing to do by default."""
        return None


def _answer(plugin, req):
    rid, op = req["id"], req.get("op")
    extra = {k: v for k, v in req.items()
             if k not in ("id", "op", "resource_meta", "task_template")}
    try:
        if op == "create":
            got = plugin.create(req.get("task_template") or {}, **extra)
            if isinstance(got, tuple):
                meta, res = got
                return {"id": rid, "resource_meta": meta, "resource": res}
            return {"id": rid, "resource_meta": got}
        if op == "get":
            return {"id": rid,
                    "resource": plugin.get(req.get("resource_meta"), **extra)}
        if op == "delete":
            plugin.delete(req.get("resource_meta"), **extra)
            return {"id": rid}
        return {"id": rid, "error": {"code": "UNIMPLEMENTED",
                                     "message": "unknown op %r" % (op,)}}
    except PluginError as e:
        return {"id": rid, "error": {"code": e.code, "message": e.message}}
    except Exception as e:  # the worker lives on; the request fails
        print("nebula_plugin: %s %s failed: %r" % (op, rid, e),
              file=sys.stderr, flush=True)
        return {"id": rid, "error": {"code": "INTERNAL", "message": str(e)}}


def serve(plugin, stdin=None, stdout=None):
    """Runs the protocol until stdin ends; returns the exit status (0)."""
    stdin = stdin or sys.stdin.buffer
    out = stdout or sys.stdout
    sys.stdout = sys.stderr     # print() in plugin code goes to the log
    lock = threading.Lock()

    def send(msg):
        line = json.dumps(msg, separators=(",", ":")) + "\n"
        with lock:
            out.write(line)
            out.flush()

    types = plugin.task_types or [{"type": plugin.task_type,
                                   "versions": [plugin.version]}]
    send({"hello": {"protocol": PROTOCOL,
                    "name": plugin.name or types[0]["type"],
                    "task_types": types,
                    "concurrency": plugin.concurrency}})
    with concurrent.futures.ThreadPoolExecutor(plugin.concurrency) as pool:
        for raw in stdin:
            try:
                req = json.loads(raw)
                if not isinstance(req, dict) or \
                        not isinstance(req.get("id"), int):
                    raise ValueError("no id")
            except ValueError as e:
                print("nebula_plugin: bad request line dropped: %s" % e,
                      file=sys.stderr, flush=True)
                continue
            pool.submit(lambda r=req: send(_answer(plugin, r)))
    return 0
