-- wrk workload: PUT create with the body given in issue 7.
wrk.method = "PUT"
wrk.body = '{"task_template":{"type":"echo","custom":{"sql":"select 1"}},' ..
    '"inputs":{"x":1},"output_prefix":"s3://bucket/prefix"}'
wrk.headers["Content-Type"] = "application/json"
