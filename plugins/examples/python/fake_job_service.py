#!/usr/bin/env python3
"""A fake job service for trying nebula_http_example.py: a tiny HTTP server,
standard library only, that holds jobs in memory.

POST /jobs {"key": ..., "polls": N, "inputs": {...}} starts a job (the same
key finds the same job again) and answers {"id": ...}; GET /jobs/ID answers
{"state": "RUNNING"} for its first N polls, then {"state": "DONE",
"result": {...}}; DELETE /jobs/ID cancels it.  Run it with a port (0 picks
a free one); it prints "listening on 127.0.0.1:PORT" once bound.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

jobs = {}
keys = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        print("fake-jobs: " + fmt % args, file=sys.stderr, flush=True)

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def job(self):
        parts = self.path.split("/")
        if len(parts) != 3 or parts[1] != "jobs" or parts[2] not in jobs:
            self.answer(404, {"error": "no such job"})
            return None
        return jobs[parts[2]]

    def do_POST(self):
        if self.path != "/jobs":
            return self.answer(404, {"error": "no such route"})
        try:
            n = int(self.headers.get("Content-Length", "0"))
            req = json.loads(self.rfile.read(n) or b"{}")
            polls = int(req.get("polls", 1))
        except (ValueError, TypeError, AttributeError):
            return self.answer(400, {"error": "bad job"})
        with lock:
            key = req.get("key")
            if key is not None and key in keys:
                return self.answer(200, {"id": keys[key]})
            jid = "job-%d" % (len(jobs) + 1)
            jobs[jid] = {"state": "RUNNING", "polls": polls,
                         "result": {"job": jid,
                                    "inputs": req.get("inputs") or {}}}
            if key is not None:
                keys[key] = jid
        self.answer(200, {"id": jid})

    def do_GET(self):
        with lock:
            job = self.job()
            if job is None:
                return
            if job["state"] == "RUNNING":
                if job["polls"] > 0:
                    job["polls"] -= 1
                else:
                    job["state"] = "DONE"
            body = {"state": job["state"]}
            if job["state"] == "DONE":
                body["result"] = job["result"]
        self.answer(200, body)

    def do_DELETE(self):
        with lock:
            job = self.job()
            if job is None:
                return
            if job["state"] == "RUNNING":
                job["state"] = "CANCELLED"
            state = job["state"]
        self.answer(200, {"state": state})


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("listening on 127.0.0.1:%d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
