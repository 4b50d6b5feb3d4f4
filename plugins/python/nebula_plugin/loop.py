"""serve(): the line protocol on one asyncio event loop.

It says hello, reads one request a line from stdin, runs each on its own
task (plain handlers in a thread) with at most `concurrency` at once, and
writes each answer as soon as it is ready, so answers leave in any order.
Every request that names an id gets exactly one answer, even one whose line
cannot be read; serve() returns once stdin ends and all are answered.
"""

import asyncio
import concurrent.futures
import inspect
import json
import os
import stat
import sys

from . import limits
from .errors import PluginError
from .literals import is_literal_map, to_literal_map
from .plugin import Plugin, Registry, registry as default_registry

PROTOCOL = 1
MAX_LINE = 64 << 20
_NOT_PASSED = ("id", "op", "resource_meta", "task_template")


def log(text):
    """One line on stderr, the worker's log."""
    print("nebula_plugin: %s" % text, file=sys.__stderr__, flush=True)


def parse(line):
    """(request, None) for a good line; (None, (id or None, why)) else.
    A line over the input limits (limits.py) is answered by its id: the
    object's, or when it does not parse, the one its text shows (line_id)."""
    try:
        req = limits.decode(line)
    except limits.Unreadable as e:
        return None, (limits.line_id(line), str(e))
    rid = req.get("id") if isinstance(req, dict) else None
    if type(rid) is not int or not 0 <= rid <= limits.INT_MAX:
        return None, (None, "not an object with an integer id")
    try:
        limits.check(req)
    except limits.Unreadable as e:
        return None, (rid, str(e))
    return req, None


def _typed(plugin, res):
    if plugin.typed_outputs and isinstance(res, dict) and \
            isinstance(res.get("outputs"), dict) and \
            not is_literal_map(res["outputs"]):
        res = dict(res, outputs=to_literal_map(res["outputs"]))
    return res


async def _call(fn, *args, **kw):
    if inspect.iscoroutinefunction(fn):
        return await fn(*args, **kw)
    got = await asyncio.to_thread(fn, *args, **kw)
    return await got if inspect.isawaitable(got) else got


async def answer(reg, req):
    """The answer to one request, as an object; never raises."""
    rid, op = req["id"], req.get("op")
    try:
        plugin = reg.find(req.get("task_type"), req.get("version"))
        if plugin is None:
            raise PluginError("NOT_FOUND", "no plugin serves %s/%s" %
                              (req.get("task_type"), req.get("version")))
        fn = plugin.handler(op)
        if fn is None:
            raise PluginError("UNIMPLEMENTED", "unknown op %r" % (op,))
        kw = {k: v for k, v in req.items() if k not in _NOT_PASSED}
        if op == "create":
            tmpl = req.get("task_template")
            if not isinstance(tmpl, dict):
                raise PluginError("INVALID_ARGUMENT",
                                  "task_template must be an object")
            for k in ("inputs", "output_prefix", "task_execution_metadata"):
                kw.setdefault(k, None)
            got = await _call(fn, tmpl, **kw)
            if isinstance(got, tuple):
                meta, res = got
                return {"id": rid, "resource_meta": meta,
                        "resource": _typed(plugin, res)}
            return {"id": rid, "resource_meta": got}
        got = await _call(fn, req.get("resource_meta"), **kw)
        if op == "get":
            hint = None
            if isinstance(got, dict) and "poll_after_ms" in got:
                got = dict(got)
                hint = got.pop("poll_after_ms")
            ans = {"id": rid, "resource": _typed(plugin, got)}
            if isinstance(hint, int) and not isinstance(hint, bool) \
                    and hint >= 0:
                ans["poll_after_ms"] = hint  # beside the resource
            return ans
        if op == "delete":
            return {"id": rid}
        if op == "logs":
            # lines, or (lines, token) when there is a next page
            token = None
            if isinstance(got, tuple):
                got, token = got
            msg = {"id": rid, "lines": list(got or [])}
            if token:
                msg["token"] = str(token)
            return msg
        return {"id": rid, "results": list(got or [])}
    except PluginError as e:
        return {"id": rid, "error": e.to_json()}
    except Exception as e:  # the worker lives on; the request fails
        log("%s id=%s failed: %r" % (op, rid, e))
        return {"id": rid, "error": {"code": "INTERNAL", "message": str(e),
                                     "kind": "RECOVERABLE"}}


def _encode(msg):
    try:
        return json.dumps(msg, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as e:
        log("answer to id=%s is not JSON: %s" % (msg.get("id"), e))
        return json.dumps({"id": msg.get("id"), "error": {
            "code": "INTERNAL", "message": "answer is not JSON: %s" % e,
            "kind": "NON_RECOVERABLE"}}, separators=(",", ":"))


async def _pipe_lines(stdin):
    """Lines from a pipe, socket or terminal through the event loop."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_LINE)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), stdin)
    skipping = False
    while True:
        try:
            line = await reader.readline()
        except ValueError:
            log("dropping a line over %d bytes" % MAX_LINE)
            skipping = True
            continue
        if not line:
            return
        if skipping:            # the tail of the line dropped above
            skipping = False
            continue
        yield line


async def _thread_lines(stdin):
    """Lines from anything else (a file, a test's stream), in a thread."""
    loop = asyncio.get_running_loop()
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        while True:
            line = await loop.run_in_executor(ex, stdin.readline)
            if not line:
                return
            yield line


def _lines(stdin):
    try:
        mode = os.fstat(stdin.fileno()).st_mode
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode):
            return _pipe_lines(stdin)
    except (AttributeError, OSError, ValueError):
        pass
    return _thread_lines(stdin)


async def serve_async(reg, stdin, out, name=None, concurrency=None):
    """The protocol loop on the running event loop; see serve()."""
    loop = asyncio.get_running_loop()
    limit = int(concurrency or reg.concurrency())
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(limit))
    slots = asyncio.Semaphore(limit)
    tasks = set()

    def send(msg):
        out.write(_encode(msg) + "\n")
        out.flush()

    async def run(req):
        async with slots:
            send(await answer(reg, req))

    types = reg.task_types()
    send({"hello": {"protocol": PROTOCOL,
                    "name": name or getattr(reg.plugins[0], "name", None)
                    or types[0]["type"],
                    "task_types": types, "concurrency": limit,
                    "ops": reg.ops()}})
    async for line in _lines(stdin):
        if not line.strip():
            continue
        req, bad = parse(line)
        if bad is not None:
            rid, why = bad
            log("cannot read the line: %s%s" % (why, "" if rid is None
                                               else ", answering id=%d" % rid))
            if rid is not None:
                send({"id": rid, "error": {
                    "code": "INVALID_ARGUMENT",
                    "message": "the worker cannot read the request: " + why,
                    "kind": "NON_RECOVERABLE"}})
            continue
        t = asyncio.ensure_future(run(req))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
    return 0


def _registry(plugins):
    if plugins is None:
        return default_registry
    if isinstance(plugins, Registry):
        return plugins
    reg = Registry()
    for p in plugins if isinstance(plugins, (list, tuple)) else [plugins]:
        reg.register(p)
    return reg


def serve(plugins=None, stdin=None, stdout=None, name=None,
          concurrency=None):
    """Serves the plugins (one, a list, a Registry, or by default those
    registered with register()) until stdin ends; returns the exit status.
    The hello's concurrency is the largest of the plugins' unless given.
    While it runs, sys.stdout is the log (stderr), so that a stray print()
    cannot break the protocol."""
    if isinstance(plugins, type) and issubclass(plugins, Plugin):
        plugins = plugins()
    reg = _registry(plugins)
    if not reg.plugins:
        raise ValueError("no plugin to serve: register() one first")
    stdin = stdin if stdin is not None else sys.stdin.buffer
    out = stdout if stdout is not None else sys.stdout
    saved, sys.stdout = sys.stdout, sys.stderr
    try:
        return asyncio.run(serve_async(reg, stdin, out, name, concurrency))
    finally:
        sys.stdout = saved
