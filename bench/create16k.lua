-- wrk workload: PUT create with a 16 KB body.  The bulk rides in
-- task_template.custom, passed through to the worker: echo keeps inputs in
-- the resource_id, which must fit in a URL, so 16 KB of inputs would be
-- answered 502 by design.
wrk.method = "PUT"
wrk.body = '{"task_template":{"type":"echo","custom":{"sql":"select ' ..
    string.rep("x", 16384 - 114) ..
    '"}},"inputs":{"x":1},"output_prefix":"s3://bucket/prefix"}'
wrk.headers["Content-Type"] = "application/json"
