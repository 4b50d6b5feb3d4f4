"""Turns the raw measurements of bench/run.sh into a table and results.md.

Usage: report.py SCRATCH RESULTS_MD.  SCRATCH holds machine.tsv, idle.tsv,
raw.tsv, conns.tsv and profile.md as run.sh wrote them; every figure is the
median over the rounds.  bench/analysis.md, the hand-written reading of the
figures, is appended when it exists.  The table goes to standard output too.
"""
import os
import statistics
import sys
import time

SERVERS = ["nebula", "nginx", "peer", "peer_nodelay"]
NAMES = {
    "nebula": "nebula-plugind",
    "nginx": "nginx return 200",
    "peer": "FastAPI peer, as shipped",
    "peer_nodelay": "FastAPI peer, NODELAY fixed",
}
WORKLOADS = [
    ("create", "1", "PUT create (the seed's tiny body), 1 connection"),
    ("create", "64", "PUT create (the seed's tiny body), 64 connections"),
    ("get", "64", "GET poll of a running job, 64 connections (the "
     "daemons: a sleep job, answered RUNNING; nginx and the peer: their "
     "echo resource)"),
    ("flyte3k", "64", "PUT create, Flyte-shaped 3.7 KB body "
     "(bench/bodies.py), 64 connections"),
    ("flyte16k", "64", "PUT create, Flyte-shaped 16 KB body "
     "(bench/bodies.py), 64 connections"),
    ("create16k", "64", "PUT create with a 16 KB body (one long string), "
     "64 connections"),
]


def name_of(s):
    if s.startswith("nebula@"):
        return "nebula-plugind, %s" % s[len("nebula@"):]
    return NAMES.get(s, s)


def also_of(raw):
    """The BENCH_ALSO servers (nebula@LABEL) in the order they ran."""
    out = []
    for r in raw:
        s = r[0].split(":")[0]
        if s.startswith("nebula@") and s not in out:
            out.append(s)
    return out
TICK = os.sysconf("SC_CLK_TCK")


def read_tsv(path):
    try:
        with open(path) as f:
            return [line.rstrip("\n").split("\t") for line in f if line.strip()]
    except FileNotFoundError:
        return []


def runs(raw, label, conns):
    """The rounds of one label at one connection count, as dicts."""
    out = []
    for r in raw:
        if r[0] != label or r[1] != conns:
            continue
        req, dur, p50, p99, err, non2xx, ticks, rss = (int(x) for x in r[2:10])
        out.append({
            "rps": req / (dur / 1e6) if dur else 0.0,
            "p50": p50 / 1000.0,
            "p99": p99 / 1000.0,
            "cpu": ticks / TICK / req * 10000 if req else 0.0,
            "rss": rss / 1024.0,
            "err": err + non2xx,
            "req": req,
        })
    return out


def med(rs, key):
    return statistics.median(r[key] for r in rs) if rs else float("nan")


def spread(rs):
    if not rs:
        return "-"
    return "%.0f-%.0f" % (min(r["rps"] for r in rs), max(r["rps"] for r in rs))


def ratio(a, b):
    return "%.2f" % (a / b) if b and b == b and a == a else "-"


def main():
    scratch, results = sys.argv[1], sys.argv[2]
    machine = dict((r[0], r[1] if len(r) > 1 else "") for r in
                   read_tsv(os.path.join(scratch, "machine.tsv")))
    idle = {r[0]: (int(r[1]) / 1024.0, int(r[2]) / 1024.0) for r in
            read_tsv(os.path.join(scratch, "idle.tsv"))}
    raw = read_tsv(os.path.join(scratch, "raw.tsv"))
    conns = read_tsv(os.path.join(scratch, "conns.tsv"))
    try:
        with open(os.path.join(scratch, "profile.md")) as f:
            profile = f.read()
    except FileNotFoundError:
        profile = ""

    out = []
    w = out.append
    w("# nebula-plugind benchmark results")
    w("")
    w("Written by `make bench` (bench/run.sh) on %s UTC. Every figure is "
      "the median of the rounds; the servers ran alternately "
      "(A B C D A B C D ...), each run %s s." %
      (time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
       machine.get("settings", "").split()[0].split("=")[-1]))
    w("")
    w("## Machine and versions")
    w("")
    for k in ("cpus", "model", "kernel", "os", "daemon", "source", "cflags",
              "nginx", "wrk",
              "python", "fastapi", "settings", "load"):
        w("- %s: %s" % (k if k != "load" else "load average at start",
                        machine.get(k, "?")))
    w("")
    w("Servers: **nebula-plugind** on its built-in default configuration "
      "(`-l 127.0.0.1:PORT`, no `-c`: echo and sleep plugins, one worker "
      "process each, access log on, stderr to a file); **nginx** with "
      "`return 200` and a fixed JSON body on the same routes "
      "(bench/nginx.conf); the **FastAPI peer** "
      "(`python3 -m uvicorn fastapi_plugin:app --workers 2`) as shipped "
      "and with TCP_NODELAY fixed by bench/uvicorn_nodelay.py. CPU is "
      "utime+stime of the server and all its descendants (workers "
      "included) per 10,000 requests; RSS is the VmRSS sum of the same "
      "processes, idle after start-up and at mid-run under load. Ratios "
      "are requests/s over nginx's and over the NODELAY-fixed peer's.")
    w("")
    w("## Side by side")
    w("")
    table = {}
    also = also_of(raw)
    if also:
        w("Also in the same alternation, on the 64-connection workloads "
          "and gRPC: %s (BENCH_ALSO: other builds of the daemon, each with "
          "its own plugins)." % ", ".join("**%s**" % name_of(s)
                                          for s in also))
        w("")
    for script, c, title in WORKLOADS:
        w("### %s" % title)
        w("")
        w("| server | req/s | (rounds' range) | p50 ms | p99 ms | "
          "CPU s/10k req | RSS idle MB | RSS load MB | x nginx | x peer | "
          "errors |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        base = {s: med(runs(raw, "%s:%s" % (s, script), c), "rps")
                for s in SERVERS}
        for s in SERVERS + also:
            rs = runs(raw, "%s:%s" % (s, script), c)
            table[(s, script, c)] = rs
            if not rs:
                continue
            base[s] = med(rs, "rps")
            w("| %s | %.0f | %s | %.3f | %.3f | %.3f | %.1f | %.1f | %s | %s "
              "| %d |" % (
                name_of(s), med(rs, "rps"), spread(rs), med(rs, "p50"),
                med(rs, "p99"),
                med(rs, "cpu"), idle.get(s, (0, 0))[0], med(rs, "rss"),
                ratio(base[s], base["nginx"]),
                ratio(base[s], base["peer_nodelay"]),
                sum(r["err"] for r in rs)))
        w("")

    grpc = {}
    for s in ["nebula", "grpc_peer"] + also:
        rs = runs(raw, "%s:grpc" % s, "64")
        if rs:
            grpc[s] = rs
    if grpc:
        w("### gRPC CreateTask, 64 streams (h2load: 4 connections of 16 "
          "streams, the Flyte-shaped 3.7 KB create as a CreateTaskRequest "
          "of %s bytes)" % machine.get("grpc_body", "?"))
        w("")
        w("The peer is a grpcio server as flytekit serves agents (10 "
          "worker threads, bench/grpc_peer.py), answering like echo. "
          "A real gRPC client checks grpc-status OK before and after each "
          "run (h2load counts only HTTP statuses).")
        w("")
        w("| server | req/s | (rounds' range) | p50 ms | p99 ms | "
          "CPU s/10k req | RSS load MB | x grpcio peer | errors |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        pb = med(grpc.get("grpc_peer", []), "rps")
        for s, rs in grpc.items():
            w("| %s | %.0f | %s | %.3f | %.3f | %.3f | %.1f | %s | %d |" % (
                name_of(s) if s != "grpc_peer" else
                "grpcio peer (flytekit-style)", med(rs, "rps"), spread(rs),
                med(rs, "p50"), med(rs, "p99"), med(rs, "cpu"),
                med(rs, "rss"), ratio(med(rs, "rps"), pb),
                sum(r["err"] for r in rs)))
        w("")
    if also:
        w("### The same workloads across builds of the daemon")
        w("")
        w("Requests/s, and in brackets the ratio to nginx's in the same "
          "round set; the last column is this build over the first "
          "BENCH_ALSO build.")
        w("")
        cols = also + ["nebula"]
        w("| workload | %s | this / %s |" % (
            " | ".join(name_of(s) for s in cols), name_of(also[0])))
        w("|---|%s---:|" % ("---:|" * len(cols)))
        for script, c, _ in WORKLOADS:
            if c != "64":
                continue
            ng = med(table.get(("nginx", script, c), []), "rps")
            cells = []
            for s in cols:
                v = med(table.get((s, script, c), []), "rps")
                cells.append("%.0f (%s)" % (v, ratio(v, ng)) if v == v
                             else "-")
            first = med(table.get((also[0], script, c), []), "rps")
            mine = med(table.get(("nebula", script, c), []), "rps")
            w("| %s | %s | %s |" % (script, " | ".join(cells),
                                    ratio(mine, first)))
        if grpc:
            cells = ["%.0f" % med(grpc[s], "rps") if s in grpc else "-"
                     for s in cols]
            first = med(grpc.get(also[0], []), "rps")
            w("| grpc | %s | %s |" % (" | ".join(cells),
                                      ratio(med(grpc.get("nebula", []),
                                                "rps"), first)))
        w("")

    scale = [r for r in raw if r[0].startswith(
        ("instances:", "concurrency:", "access_log_off:",
         "front_processes:"))]
    if scale or conns:
        w("## Scale")
        w("")
    if scale:
        w("PUT create at 64 connections, one daemon each time.")
        w("")
        w("| setting | req/s | p50 ms | p99 ms | CPU s/10k req | errors |")
        w("|---|---:|---:|---:|---:|---:|")
        for label in ("instances:1", "instances:2", "instances:4",
                      "access_log_off:1", "front_processes:1",
                      "front_processes:2", "front_processes:4",
                      "concurrency:1", "concurrency:16", "concurrency:64"):
            rs = runs(raw, label, "64")
            if not rs:
                continue
            name = label.replace(":", " ")
            if label.startswith("concurrency"):
                name += " (worker answers 20 ms late)"
            elif label.startswith("access_log_off"):
                name = "access_log: false, 1 instance (echo)"
            else:
                name += " (echo)"
            w("| %s | %.0f | %.3f | %.3f | %.3f | %d |" % (
                name, med(rs, "rps"), med(rs, "p50"), med(rs, "p99"),
                med(rs, "cpu"), sum(r["err"] for r in rs)))
        w("")
        w("With a 20 ms worker the ceiling is concurrency / 20 ms: 50, 800 "
          "and 3200 requests/s.")
        w("")
    if conns:
        w("Idle keep-alive connections (each has sent one GET /healthz and "
          "stays open; the daemon runs with `limits.max_connections: "
          "20000`):")
        w("")
        w("| server | connections | RSS before kB | RSS with them kB | "
          "per connection | whole tree before -> with kB |")
        w("|---|---:|---:|---:|---:|---|")
        for r in conns:
            label, n, r0, r1, t0, t1 = r[0], int(r[1]), int(r[2]), \
                int(r[3]), int(r[4]), int(r[5])
            per = "%.2f kB" % ((r1 - r0) / n) if n else "-"
            if label == "nginx":
                per = "%.2f kB (tree)" % ((t1 - t0) / n) if n else "-"
            w("| %s | %d | %d | %d | %s | %d -> %d |" % (
                label, n, r0, r1, per, t0, t1))
        w("")

    w("## Goals of issue 15")
    w("")
    goals = []

    def x_of(script, other):
        a = med(table.get(("nebula", script, "64"), []), "rps")
        b = med(table.get((other, script, "64"), []), "rps")
        return a / b if b and a == a and b == b else float("nan")

    for script, xn, xp, label in (("flyte3k", 0.5, 5, "3.7 KB"),
                                  ("flyte16k", 0.25, 4, "16 KB")):
        x = x_of(script, "nginx")
        goals.append(("Flyte-shaped %s create at 64: >= %s x nginx" %
                      (label, xn), "%.2f x" % x, x >= xn))
        x = x_of(script, "peer_nodelay")
        goals.append(("Flyte-shaped %s create at 64: >= %s x the "
                      "NODELAY-fixed FastAPI peer" % (label, xp),
                      "%.2f x" % x, x >= xp))
    x = x_of("create", "nginx")
    goals.append(("tiny create at 64: >= 0.7 x nginx", "%.2f x" % x,
                  x >= 0.7))
    cpu = med(table.get(("nebula", "create", "64"), []), "cpu")
    goals.append(("tiny create: < 0.25 CPU-s per 10,000 (daemon + echo "
                  "worker)", "%.3f s" % cpu, cpu < 0.25))
    pn = med(table.get(("nebula", "create", "64"), []), "p99")
    px = med(table.get(("nginx", "create", "64"), []), "p99")
    goals.append(("tiny create at 64: p99 <= 1.5 x nginx's p99",
                  "%.3f ms against %.3f ms (%.2f x)" % (pn, px, pn / px)
                  if px else "-", px and pn <= 1.5 * px))
    if "nebula" in grpc and "grpc_peer" in grpc:
        x = med(grpc["nebula"], "rps") / med(grpc["grpc_peer"], "rps")
        goals.append(("gRPC CreateTask at 64 streams: >= 10 x the grpcio "
                      "peer, p99 stated",
                      "%.1f x, p99 %.3f ms (peer %.3f ms)" % (
                          x, med(grpc["nebula"], "p99"),
                          med(grpc["grpc_peer"], "p99")), x >= 10))
    if "nebula" in idle:
        mb = idle["nebula"][1]
        goals.append(("RSS idle < 8 MB (daemon process alone)",
                      "%.1f MB (%.1f MB with its 2 workers)" %
                      (mb, idle["nebula"][0]), mb < 8))
    noread = read_tsv(os.path.join(scratch, "noread.tsv"))
    if noread:
        # conns, requests written, daemon RSS kB before, with them
        last = noread[-1]
        n, sent, r0, r1 = (int(x) for x in last[:4])
        goals.append(("a client that pipelines and never reads costs "
                      "bounded memory (state the bound)",
                      "%s: %d connections wrote %d creates without reading "
                      "an answer: daemon RSS %d -> %d kB (%.1f kB each); "
                      "bound: reads pause at 64 queued requests or 256 KB "
                      "of pending output per connection" % (
                          "; ".join("%s conns +%d kB" % (
                              r[0], int(r[3]) - int(r[2]))
                              for r in noread[:-1]) or "measured",
                          n, sent, r0, r1, (r1 - r0) / n if n else 0),
                      r1 - r0 < 64 * 1024))
    else:
        goals.append(("a client that pipelines and never reads costs "
                      "bounded memory", "not measured in this run (see "
                      "bench/analysis.md)", False))
    w("| goal | measured | met |")
    w("|---|---|---|")
    for g, m, ok in goals:
        w("| %s | %s | %s |" % (g, m, "yes" if ok else "**no**"))
    w("")

    w("## Goals of issue 7 (earlier)")
    w("")
    goals = []
    c64 = {s: med(table.get((s, "create", "64"), []), "rps") for s in SERVERS}
    n64 = table.get(("nebula", "create", "64"), [])
    n1 = table.get(("nebula", "create", "1"), [])
    if c64["nginx"] and c64["peer_nodelay"]:
        x = c64["nebula"] / c64["nginx"]
        goals.append(("create at 64: >= 0.6 x nginx (aim 0.7)",
                      "%.2f x" % x, x >= 0.6))
        x = c64["nebula"] / c64["peer_nodelay"]
        goals.append(("create at 64: >= 4 x the NODELAY-fixed peer",
                      "%.1f x" % x, x >= 4))
    for script, c, _ in WORKLOADS:
        if c == "64":
            p = med(table.get(("nebula", script, c), []), "p99")
            goals.append(("p99 under 2 ms, %s at 64" % script,
                          "%.3f ms" % p, p < 2))
    p = med(n1, "p50")
    goals.append(("p50 under 0.1 ms, create at 1", "%.3f ms" % p, p < 0.1))
    cpu = med(n64, "cpu")
    goals.append(("CPU per 10,000 creates (daemon + worker) under 0.25 s",
                  "%.3f s" % cpu, cpu < 0.25))
    if "nebula" in idle:
        mb = idle["nebula"][1]
        goals.append(("daemon RSS idle under 8 MB (daemon process alone)",
                      "%.1f MB (%.1f MB with its 2 workers)" %
                      (mb, idle["nebula"][0]), mb < 8))
    for r in conns:
        if r[0] == "nebula" and int(r[1]):
            per = (int(r[3]) - int(r[2])) / int(r[1])
            goals.append(("under 4 KB per idle keep-alive connection",
                          "%.2f kB" % per, per < 4))
    fr = [med(runs(raw, "front_processes:%d" % n, "64"), "rps")
          for n in (1, 2, 4)]
    if fr[0] == fr[0]:
        goals.append(("`front_processes: N` grows throughput where cores "
                      "allow (%s cpus, wrk on the same machine)" %
                      machine.get("cpus", "?"),
                      "1: %.0f, 2: %.0f, 4: %.0f req/s" % tuple(fr),
                      fr[1] > fr[0] * 1.1))
    else:
        goals.append(("`front_processes: N` scales beyond one core",
                      "not measured (option not in this daemon)", False))
    w("| goal | measured | met |")
    w("|---|---|---|")
    for g, m, ok in goals:
        w("| %s | %s | %s |" % (g, m, "yes" if ok else "**no**"))
    w("")
    if profile.strip():
        w(profile.rstrip())
        w("")
    analysis = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "analysis.md")
    if os.path.exists(analysis):
        with open(analysis) as f:
            w(f.read().rstrip())
        w("")
    text = "\n".join(out) + "\n"
    with open(results, "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
