#!/usr/bin/env python3
"""An async plugin on the nebula_plugin SDK that drives jobs of an outside
HTTP service (fake_job_service.py here), standard library only.

create starts a job (idempotent: the task execution id is its key) and
keeps only the job's id in the resource_meta; get polls the job; delete
cancels it.  All calls run on serve()'s one event loop, so one process
holds up to 64 jobs' calls at once.  The service is at $JOBS_URL; a token
from secret("JOBS_TOKEN") ($JOBS_TOKEN or the file $JOBS_TOKEN_FILE), if
any, goes in an Authorization header.
"""

import asyncio
import json
import os
import urllib.parse

import nebula_plugin


async def call(method, path, body=None, timeout=10.0):
    """One HTTP/1.1 call to the service; returns (status, JSON body)."""
    url = urllib.parse.urlsplit(os.environ.get("JOBS_URL",
                                               "http://127.0.0.1:8080"))
    data = json.dumps(body).encode() if body is not None else b""
    head = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % url.netloc,
            "Content-Type: application/json",
            "Content-Length: %d" % len(data), "Connection: close"]
    token = nebula_plugin.secret("JOBS_TOKEN", default="")
    if token:
        head.append("Authorization: Bearer %s" % token)
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(url.hostname, url.port or 80), timeout)
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        raw = await asyncio.wait_for(reader.read(), timeout)
        writer.close()
    except (OSError, asyncio.TimeoutError) as e:
        raise nebula_plugin.PluginError(
            "UNAVAILABLE", "jobs service: %s" % (e or "timeout"),
            kind="RECOVERABLE") from None
    top, _, payload = raw.partition(b"\r\n\r\n")
    status = int(top.split(b" ", 2)[1])
    return status, json.loads(payload or b"{}")


def check(status, body):
    """Service errors as plugin errors, with a kind."""
    if status in (401, 403):
        raise nebula_plugin.PluginError("PERMISSION_DENIED", str(body))
    if status == 404:
        raise nebula_plugin.PluginError("NOT_FOUND", str(body))
    if status >= 500:
        raise nebula_plugin.PluginError("UNAVAILABLE", str(body),
                                        kind="RECOVERABLE")
    if status >= 400:
        raise nebula_plugin.PluginError("INVALID_ARGUMENT", str(body))
    return body


class HttpJob(nebula_plugin.Plugin):
    task_type = "http-job"
    version = "v1"
    concurrency = 64

    async def create(self, task_template, inputs, output_prefix,
                     task_execution_metadata, **kw):
        polls = (task_template.get("custom") or {}).get("polls", 1)
        if not isinstance(polls, int) or polls < 0:
            raise nebula_plugin.PluginError(
                "INVALID_ARGUMENT", "custom.polls must be an integer >= 0")
        key = (task_execution_metadata or {}).get("task_execution_id")
        job = check(*await call("POST", "/jobs", {
            "key": json.dumps(key) if key else None, "polls": polls,
            "inputs": inputs or {}}))
        return {"job": job["id"]}          # small: it travels in URLs

    async def get(self, resource_meta, **kw):
        job = check(*await call("GET", "/jobs/" + resource_meta["job"]))
        if job["state"] == "RUNNING":
            return nebula_plugin.resource("RUNNING", "polling the service")
        if job["state"] == "CANCELLED":
            return nebula_plugin.resource("ABORTED", "cancelled")
        return nebula_plugin.resource("SUCCEEDED", outputs=job["result"])

    async def delete(self, resource_meta, **kw):
        try:
            check(*await call("DELETE", "/jobs/" + resource_meta["job"]))
        except nebula_plugin.PluginError as e:
            if e.code != "NOT_FOUND":      # already gone is fine
                raise


if __name__ == "__main__":
    raise SystemExit(nebula_plugin.serve(HttpJob()))
