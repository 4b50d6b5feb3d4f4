"""Puts the package of this source tree first on sys.path, and gives the
tests a worker: a plugin program run over pipes, as the daemon runs it."""

import concurrent.futures
import json
import os
import subprocess
import sys

import pytest

SDK = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, SDK)

HANG_GUARD = 60     # seconds before a missing answer fails the test


class Worker:
    """A plugin program on pipes: send() lines, read() answers."""

    def __init__(self, path, env=None):
        e = dict(os.environ, PYTHONPATH=SDK, **(env or {}))
        self.proc = subprocess.Popen([sys.executable, str(path)],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=e)
        self.pool = concurrent.futures.ThreadPoolExecutor(1)

    def send(self, msg):
        line = msg if isinstance(msg, (str, bytes)) else json.dumps(msg)
        if isinstance(line, str):
            line = line.encode()
        self.proc.stdin.write(line.rstrip(b"\n") + b"\n")
        self.proc.stdin.flush()

    def read(self):
        line = self.pool.submit(self.proc.stdout.readline).result(HANG_GUARD)
        assert line, "the worker closed stdout; stderr: %s" % \
            self.proc.stderr.read().decode(errors="replace")
        return json.loads(line)

    def close(self):
        """Closes stdin; returns (exit status, rest of stdout, stderr)."""
        out, err = self.proc.communicate(timeout=HANG_GUARD)
        self.pool.shutdown()
        return self.proc.returncode, out.decode(), err.decode()


@pytest.fixture
def worker(tmp_path):
    """worker(source, env=None): writes the plugin program and starts it."""
    started = []

    def start(source, env=None):
        path = tmp_path / ("plugin%d.py" % len(started))
        path.write_text(source)
        w = Worker(path, env)
        started.append(w)
        return w
    yield start
    for w in started:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait()
