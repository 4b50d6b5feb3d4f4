"""Shared parts of the local stand-ins of outside services.

A stand-in is a small threaded HTTP server on 127.0.0.1 (port 0 by default)
that answers as the service's REST documentation says.  Tests drive it
through an admin API under /_admin/: the bearer tokens it accepts, failures
to inject into the next calls (a status and a count, with Retry-After), and
counters to read back.  It prints "listening on 127.0.0.1:PORT" once bound.
Python 3 standard library only.
"""

import argparse
import json
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    """What every stand-in keeps: tokens, injected failures, counters."""

    def __init__(self, tokens):
        self.lock = threading.Lock()
        self.tokens = set(tokens)
        self.fail_status = 0
        self.fail_count = 0
        self.fail_retry_after = 1
        self.stats = {}

    def count(self, name):
        with self.lock:
            self.stats[name] = self.stats.get(name, 0) + 1

    def take_failure(self):
        """The status to fail this call with, or 0."""
        with self.lock:
            if self.fail_count > 0:
                self.fail_count -= 1
                return self.fail_status
            return 0


class Handler(BaseHTTPRequestHandler):
    """Routes to do_api(method, path, query, body) of a subclass."""

    protocol_version = "HTTP/1.1"
    server_version = "standin/1"

    def log_message(self, fmt, *args):
        sys.stderr.write("standin: %s\n" % (fmt % args))

    @property
    def state(self):
        return self.server.state

    def send_json(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def bearer(self):
        h = self.headers.get("Authorization") or ""
        return h[7:].strip() if h.startswith("Bearer ") else None

    def handle_any(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        raw = self.read_body()
        if url.path.startswith("/_admin/"):
            self.admin(method, url.path[len("/_admin/"):], raw)
            return
        self.do_api(method, url.path, query, raw)

    def do_GET(self):  # noqa: N802 (the stdlib's naming)
        self.handle_any("GET")

    def do_POST(self):  # noqa: N802
        self.handle_any("POST")

    def admin(self, method, what, raw):
        st = self.state
        body = json.loads(raw or b"{}")
        if what == "tokens" and method == "POST":
            with st.lock:
                st.tokens = set(body.get("tokens", []))
            self.send_json(200, {})
        elif what == "fail" and method == "POST":
            with st.lock:
                st.fail_status = int(body.get("status", 503))
                st.fail_count = int(body.get("count", 1))
                st.fail_retry_after = int(body.get("retry_after", 1))
            self.send_json(200, {})
        elif what == "stats":
            with st.lock:
                self.send_json(200, dict(st.stats))
        else:
            self.admin_more(method, what, body)

    def admin_more(self, method, what, body):
        self.send_json(404, {"error": "no admin route %s %s" % (method, what)})

    def do_api(self, method, path, query, raw):
        raise NotImplementedError


def parse_args(description, extra=None):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", action="append", default=[],
                    help="a bearer token the API accepts (repeatable)")
    if extra:
        extra(ap)
    return ap.parse_args()


def serve(handler, state):
    srv = ThreadingHTTPServer(("127.0.0.1", state.port), handler)
    srv.daemon_threads = True
    srv.state = state
    state.port = srv.server_address[1]
    print("listening on 127.0.0.1:%d" % state.port, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


def now():
    return time.time()
