#!/usr/bin/env python3
"""Soak test for nebula-plugind (make soak; not part of make check).

Starts the daemon on a free loopback port with echo (2 instances) and sleep,
drives mixed load (echo create+get, sleep create, plugin list, probes) from
several client threads for SOAK_MINUTES (default 2) while a chaos thread
kills workers (SIGKILL), stops and continues them (SIGSTOP/SIGCONT) and
sends reload storms (SIGHUP bursts).  Reports answers by status, the
maximum latency, and the daemon's fds and RSS at start and end.
Environment: SOAK_MINUTES, SOAK_CLIENTS (default 8), BUILDDIR.
"""
import collections
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

BUILD = os.environ.get("BUILDDIR", os.getcwd())
MINUTES = float(os.environ.get("SOAK_MINUTES", "2"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "8"))


def daemon_stats(pid):
    fds = len(os.listdir("/proc/%d/fd" % pid))
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return fds, rss


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True,
                         text=True).stdout
    return [int(p) for p in out.split()]


class Load:
    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.status = collections.Counter()
        self.max_lat = 0.0
        self.max_what = ""
        self.n = 0
        self.stop = threading.Event()

    def call(self, conn, method, path, body=None):
        t0 = time.monotonic()
        try:
            headers = {"Content-Type": "application/json"} if body else {}
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            code = str(r.status)
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException) as e:
            data = b""
            code = "transport:" + type(e).__name__
            conn.close()
        lat = time.monotonic() - t0
        with self.lock:
            self.status[code] += 1
            self.n += 1
            if lat > self.max_lat:
                self.max_lat, self.max_what = lat, "%s %s -> %s" % (
                    method, path.split("/")[3] if path.count("/") > 3
                    else path, code)
        return code, data

    def client(self, seed):
        rnd = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        while not self.stop.is_set():
            x = rnd.random()
            if x < 0.6:
                code, data = self.call(
                    conn, "PUT", "/plugins/v1/echo/v1",
                    json.dumps({"task_template": {"type": "echo"},
                                "inputs": {"n": rnd.randrange(1 << 30)}}))
                if code == "200":
                    rid = json.loads(data)["resource_id"]
                    self.call(conn, "GET", "/plugins/v1/echo/v1/" + rid)
            elif x < 0.8:
                self.call(conn, "PUT", "/plugins/v1/sleep/v1", json.dumps(
                    {"task_template": {"type": "sleep",
                                       "custom": {"seconds": 0}}}))
            elif x < 0.9:
                self.call(conn, "GET", "/plugins/v1")
            else:
                self.call(conn, "GET", "/readyz")


def chaos(pid, load, events):
    rnd = random.Random(1)
    while not load.stop.wait(rnd.uniform(0.5, 2.0)):
        kids = children(pid)
        x = rnd.random()
        if x < 0.4 and kids:
            os.kill(rnd.choice(kids), signal.SIGKILL)
            events["worker SIGKILL"] += 1
        elif x < 0.7 and kids:
            k = rnd.choice(kids)
            try:
                os.kill(k, signal.SIGSTOP)
                events["worker SIGSTOP/SIGCONT"] += 1
                time.sleep(rnd.uniform(0.2, 2.0))
                os.kill(k, signal.SIGCONT)
            except ProcessLookupError:
                pass
        else:
            for _ in range(rnd.randrange(3, 10)):
                os.kill(pid, signal.SIGHUP)
                time.sleep(0.01)
            events["reload storm (SIGHUP burst)"] += 1


def main():
    tmp = tempfile.mkdtemp(prefix="nebula-soak.")
    conf = os.path.join(tmp, "soak.yaml")
    with open(conf, "w") as f:
        f.write("""listen: 127.0.0.1:0
access_log: false
plugins:
  - name: echo
    command: [%s/plugins/echo/nebula-echo]
    instances: 2
    timeouts: {create: 3s, get: 3s}
    restart: {initial: 50ms, max: 1s}
  - name: sleep
    command: [%s/plugins/sleep/nebula-sleep]
    timeouts: {create: 3s, get: 3s}
    restart: {initial: 50ms, max: 1s}
""" % (BUILD, BUILD))
    log = open(os.path.join(tmp, "daemon.log"), "w+")
    d = subprocess.Popen([os.path.join(BUILD, "supervisor/nebula-plugind"),
                          "-c", conf], stderr=log)
    port = None
    for _ in range(300):
        log.seek(0)
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", log.read())
        if m:
            port = int(m.group(1))
            break
        time.sleep(0.1)
    if port is None:
        sys.exit("soak: the daemon did not start")
    for _ in range(300):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/readyz")
            if c.getresponse().status == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    fds0, rss0 = daemon_stats(d.pid)
    load = Load(port)
    events = collections.Counter()
    threads = [threading.Thread(target=load.client, args=(i,))
               for i in range(CLIENTS)]
    threads.append(threading.Thread(target=chaos, args=(d.pid, load, events)))
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(MINUTES * 60)
    load.stop.set()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    # Let restarts settle, then take the end figures.
    for k in children(d.pid):
        try:
            os.kill(k, signal.SIGCONT)
        except ProcessLookupError:
            pass
    time.sleep(3)
    fds1, rss1 = daemon_stats(d.pid)
    workers = len(children(d.pid))
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("PUT", "/plugins/v1/echo/v1",
              body='{"task_template":{"type":"echo"}}',
              headers={"Content-Type": "application/json"})
    after = c.getresponse().status
    d.send_signal(signal.SIGTERM)
    rc = d.wait(60)
    log.seek(0)
    text = log.read()
    sanitizer = bool(re.search(r"AddressSanitizer|LeakSanitizer|runtime "
                               r"error:", text))
    print("soak: %.0f s, %d clients, %d requests (%.0f/s)" % (
        elapsed, CLIENTS, load.n, load.n / elapsed))
    print("answers by status:")
    for code, n in sorted(load.status.items()):
        print("  %-28s %d" % (code, n))
    print("chaos:")
    for what, n in sorted(events.items()):
        print("  %-28s %d" % (what, n))
    print("max latency: %.3f s (%s)" % (load.max_lat, load.max_what))
    print("daemon fds: %d at start, %d at end" % (fds0, fds1))
    print("daemon RSS: %.1f MB at start, %.1f MB at end" % (
        rss0 / 1024, rss1 / 1024))
    print("worker processes at end: %d (configured 3)" % workers)
    print("echo create after the soak: %d" % after)
    print("daemon exit status on SIGTERM: %d" % rc)
    print("sanitizer report in the log: %s" % ("yes" if sanitizer else "no"))
    print("daemon log: %s" % log.name)
    ok = (after == 200 and rc == 0 and not sanitizer and workers == 3
          and not any(k.startswith("transport") for k in load.status))
    print("soak: %s" % ("ok" if ok else "FAILED"))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
