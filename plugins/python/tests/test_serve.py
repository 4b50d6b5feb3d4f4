"""serve(): the line protocol on one asyncio loop, driven over real pipes
the way the daemon drives a worker."""

import io
import json
import textwrap

import nebula_plugin


def program(body):
    return "import asyncio, threading, time\nimport nebula_plugin\n" + \
        textwrap.dedent(body)


def test_hello_names_every_registered_plugin_and_the_largest_concurrency(
        worker):
    w = worker(program("""
        @nebula_plugin.register
        class A(nebula_plugin.Plugin):
            task_type = "a"
            concurrency = 4

        @nebula_plugin.register
        class B(nebula_plugin.Plugin):
            task_type = "b"
            version = "v2"
            concurrency = 32

        nebula_plugin.serve()
    """))
    hello = w.read()["hello"]
    assert hello["protocol"] == 1
    assert hello["task_types"] == [{"type": "a", "versions": ["v1"]},
                                   {"type": "b", "versions": ["v2"]}]
    assert hello["concurrency"] == 32
    assert hello["ops"] == ["create", "get", "delete"]
    assert w.close()[0] == 0


def test_registry_routes_each_request_to_its_plugin(worker):
    w = worker(program("""
        class A(nebula_plugin.Plugin):
            task_type = "a"
            async def create(self, task_template, inputs, output_prefix,
                             task_execution_metadata, **kw):
                return {"by": "a", "inputs": inputs}

        class B(nebula_plugin.Plugin):
            task_type = "b"
            async def create(self, task_template, inputs, output_prefix,
                             task_execution_metadata, **kw):
                return {"by": "b", "prefix": output_prefix}

        nebula_plugin.serve([A(), B])
    """))
    w.read()
    w.send({"id": 1, "op": "create", "task_type": "b", "version": "v1",
            "task_template": {}, "output_prefix": "s3://x"})
    assert w.read() == {"id": 1, "resource_meta": {"by": "b",
                                                   "prefix": "s3://x"}}
    w.send({"id": 2, "op": "create", "task_type": "a", "version": "v1",
            "task_template": {}, "inputs": {"n": 1}})
    assert w.read() == {"id": 2, "resource_meta": {"by": "a",
                                                   "inputs": {"n": 1}}}
    w.send({"id": 3, "op": "get", "task_type": "zz", "version": "v1",
            "resource_meta": {}})
    assert w.read()["error"]["code"] == "NOT_FOUND"


def test_answers_leave_as_they_complete_many_in_flight(worker):
    # "first" waits until "second" has run: on a loop that held one request
    # at a time it would never be answered (the hang guard fails it).
    w = worker(program("""
        class P(nebula_plugin.Plugin):
            task_type = "p"
            concurrency = 16
            def __init__(self):
                self.second = None
            async def create(self, task_template, inputs, output_prefix,
                             task_execution_metadata, **kw):
                if self.second is None:
                    self.second = asyncio.get_running_loop().create_future()
                if task_template["name"] == "first":
                    await self.second
                else:
                    self.second.set_result(True)
                return task_template["name"]

        nebula_plugin.serve(P())
    """))
    w.read()
    w.send({"id": 1, "op": "create", "task_template": {"name": "first"}})
    w.send({"id": 2, "op": "create", "task_template": {"name": "second"}})
    assert w.read() == {"id": 2, "resource_meta": "second"}
    assert w.read() == {"id": 1, "resource_meta": "first"}
    assert w.close()[0] == 0


def test_never_more_in_flight_than_the_hello_says(worker):
    w = worker(program("""
        class P(nebula_plugin.Plugin):
            task_type = "p"
            concurrency = 2
            def __init__(self):
                self.now = self.most = 0
                self.pair = None
            async def create(self, task_template, inputs, output_prefix,
                             task_execution_metadata, **kw):
                if self.pair is None or self.pair.done():
                    self.pair = asyncio.get_running_loop().create_future()
                pair = self.pair
                self.now += 1
                self.most = max(self.most, self.now)
                if self.now == 2:
                    pair.set_result(True)
                await pair
                self.now -= 1
                return self.most

        nebula_plugin.serve(P())
    """))
    assert w.read()["hello"]["concurrency"] == 2
    for i in range(6):
        w.send({"id": i, "op": "create", "task_template": {}})
    most = [w.read()["resource_meta"] for _ in range(6)]
    assert max(most) == 2


def test_plain_handlers_run_in_threads_and_poll_is_get(worker):
    w = worker(program("""
        class P(nebula_plugin.Plugin):
            task_type = "p"
            def create(self, task_template, inputs=None, **kw):
                return {"main": threading.current_thread() is
                        threading.main_thread()}
            def poll(self, resource_meta, **kw):
                return nebula_plugin.resource("SUCCEEDED",
                                              outputs=resource_meta)

        nebula_plugin.serve(P())
    """))
    w.read()
    w.send({"id": 1, "op": "create", "task_template": {}})
    meta = w.read()["resource_meta"]
    assert meta == {"main": False}
    w.send({"id": 2, "op": "get", "resource_meta": meta})
    assert w.read() == {"id": 2, "resource": {
        "phase": "SUCCEEDED", "message": "", "outputs": {"main": False}}}
    w.send({"id": 3, "op": "delete", "resource_meta": meta})
    assert w.read() == {"id": 3}


def test_errors_carry_code_and_kind(worker):
    w = worker(program("""
        class P(nebula_plugin.Plugin):
            task_type = "p"
            async def create(self, task_template, inputs, output_prefix,
                             task_execution_metadata, **kw):
                raise nebula_plugin.PluginError("PERMISSION_DENIED", "403",
                                                kind="NON_RECOVERABLE")
            async def get(self, resource_meta, **kw):
                raise RuntimeError("boom")
            async def delete(self, resource_meta, **kw):
                raise nebula_plugin.PluginError("UNAVAILABLE", "later",
                                                kind="RECOVERABLE")

        nebula_plugin.serve(P())
    """))
    w.read()
    w.send({"id": 1, "op": "create", "task_template": {}})
    assert w.read() == {"id": 1, "error": {"code": "PERMISSION_DENIED",
                                           "message": "403",
                                           "kind": "NON_RECOVERABLE"}}
    w.send({"id": 2, "op": "get", "resource_meta": {}})
    assert w.read()["error"]["code"] == "INTERNAL"
    w.send({"id": 3, "op": "delete", "resource_meta": {}})
    assert w.read()["error"]["kind"] == "RECOVERABLE"
    w.send({"id": 4, "op": "fly", "resource_meta": {}})
    assert w.read()["error"]["code"] == "UNIMPLEMENTED"
    w.send({"id": 5, "op": "create", "task_template": 3})
    assert w.read()["error"]["code"] == "INVALID_ARGUMENT"
    status, rest, log = w.close()
    assert status == 0 and rest == ""
    assert "boom" in log


def test_unreadable_lines_with_an_id_are_answered(worker):
    w = worker(program("""
        class P(nebula_plugin.Plugin):
            task_type = "p"
            async def delete(self, resource_meta, **kw):
                return None

        nebula_plugin.serve(P())
    """))
    w.read()
    w.send('{"op":"get","id":7,"resource_meta":{"id":99},"x":nul}')
    got = w.read()
    assert got["id"] == 7 and got["error"]["code"] == "INVALID_ARGUMENT"
    deep = "[" * 100000 + "]" * 100000
    w.send('{"op":"create","id":8,"task_template":{"a":%s}}' % deep)
    got = w.read()
    assert got["id"] == 8 and got["error"]["code"] == "INVALID_ARGUMENT"
    # No id: nothing to answer; an id inside the template is not the id.
    w.send('garbage')
    w.send('{"op":"get","task_template":{"id":5},"x":]')
    w.send('[1, 2]')
    w.send({"id": 9, "op": "delete", "resource_meta": {}})
    assert w.read() == {"id": 9}
    status, rest, log = w.close()
    assert status == 0 and rest == ""
    assert "cannot read the line" in log


def test_typed_outputs_on_request_and_literal_maps_pass(worker):
    w = worker(program("""
        class P(nebula_plugin.Plugin):
            task_type = "p"
            typed_outputs = True
            async def get(self, resource_meta, **kw):
                out = resource_meta["out"]
                if resource_meta.get("typed"):
                    out = nebula_plugin.to_literal_map(out)
                return nebula_plugin.resource("SUCCEEDED", outputs=out)

        nebula_plugin.serve(P())
    """))
    w.read()
    want = {"literals": {"n": {"scalar": {"primitive": {"integer": "3"}}}}}
    w.send({"id": 1, "op": "get", "resource_meta": {"out": {"n": 3}}})
    assert w.read()["resource"]["outputs"] == want
    w.send({"id": 2, "op": "get",
            "resource_meta": {"out": {"n": 3}, "typed": True}})
    assert w.read()["resource"]["outputs"] == want


def test_logs_and_metrics_are_declared_and_served(worker):
    w = worker(program("""
        class P(nebula_plugin.Plugin):
            task_type = "p"
            async def logs(self, resource_meta, **kw):
                return ["line 1", "line 2"]
            def metrics(self, resource_meta, **kw):
                return [{"metric": "EXECUTION_METRIC_USED_CPU_AVG"}]

        nebula_plugin.serve(P())
    """))
    assert w.read()["hello"]["ops"] == ["create", "get", "delete", "logs",
                                        "metrics"]
    w.send({"id": 1, "op": "logs", "resource_meta": {}})
    assert w.read() == {"id": 1, "lines": ["line 1", "line 2"]}
    w.send({"id": 2, "op": "metrics", "resource_meta": {}})
    assert w.read()["results"][0]["metric"] == \
        "EXECUTION_METRIC_USED_CPU_AVG"


def test_logs_pages_and_query_keywords(worker):
    w = worker(program("""
        class P(nebula_plugin.Plugin):
            task_type = "p"
            def logs(self, resource_meta, lines=0, token="", **kw):
                return ["got %s %s" % (lines, token)], "page2"

        nebula_plugin.serve(P())
    """))
    assert w.read()["hello"]["ops"] == ["create", "get", "delete", "logs"]
    w.send({"id": 1, "op": "logs", "resource_meta": {}, "lines": 5,
            "token": "a"})
    assert w.read() == {"id": 1, "lines": ["got 5 a"], "token": "page2"}


def test_print_goes_to_the_log_not_the_protocol(worker):
    w = worker(program("""
        class P(nebula_plugin.Plugin):
            task_type = "p"
            async def delete(self, resource_meta, **kw):
                print("hello from the plugin")

        nebula_plugin.serve(P())
    """))
    w.read()
    w.send({"id": 1, "op": "delete", "resource_meta": {}})
    assert w.read() == {"id": 1}
    status, rest, log = w.close()
    assert rest == "" and "hello from the plugin" in log


def test_serves_any_stream_in_process():
    class Echo(nebula_plugin.BackendPluginBase):
        task_type = "echo-py"

        def create(self, task_template, inputs=None, **kw):
            return {"inputs": inputs or {}}

        def get(self, resource_meta, **kw):
            return nebula_plugin.resource("SUCCEEDED",
                                          outputs=resource_meta["inputs"])

    stdin = io.StringIO(
        '{"id":1,"op":"create","task_template":{},"inputs":{"a":1}}\n'
        '{"id":2,"op":"get","resource_meta":{"inputs":{"a":1}}}\n')
    out = io.StringIO()
    assert nebula_plugin.serve(Echo(), stdin=stdin, stdout=out) == 0
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert lines[0]["hello"]["name"] == "echo-py"
    answers = {m["id"]: m for m in lines[1:]}
    assert answers[1] == {"id": 1, "resource_meta": {"inputs": {"a": 1}}}
    assert answers[2]["resource"]["outputs"] == {"a": 1}


def test_poll_hint_travels_beside_the_resource(worker):
    w = worker(program("""
        class P(nebula_plugin.Plugin):
            task_type = "p"
            async def create(self, task_template, **kw):
                return {}
            async def get(self, resource_meta, **kw):
                return nebula_plugin.resource("RUNNING", poll_after_ms=2500)

        nebula_plugin.serve(P())
    """))
    w.read()
    w.send({"id": 1, "op": "get", "resource_meta": {}})
    assert w.read() == {"id": 1, "poll_after_ms": 2500, "resource": {
        "phase": "RUNNING", "message": ""}}


def test_poll_hint_must_be_a_whole_number():
    for bad in (-1, 1.5, "10", True):
        try:
            nebula_plugin.resource("RUNNING", poll_after_ms=bad)
        except ValueError:
            continue
        raise AssertionError("accepted poll_after_ms=%r" % (bad,))
