#!/usr/bin/python3
"""A worker for tests/e2e/grpc_limits.sh that records each request line
exactly as the daemon wrote it, bytes and all, before reading it: the
limits tests look at what reached the worker, not at what a JSON library
made of it.  It serves task type "rec" (v1): create answers a
resource_meta, get SUCCEEDED, delete nothing; a line it cannot read
(not UTF-8, not JSON, a member name given twice) is answered with an
INVALID_ARGUMENT error whose message starts with "rawrecord:", so that a
client tells it from the daemon's refusals.

Usage: rawrecord_worker.py RECORD_FILE STARTS_FILE
Each start appends its pid to STARTS_FILE; each request line is appended
to RECORD_FILE before it is answered.
"""
import json
import os
import re
import sys

RECORD, STARTS = sys.argv[1], sys.argv[2]


def send(msg):
    sys.stdout.write(json.dumps(msg, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def no_dups(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise ValueError("member %r given twice" % k)
        seen.add(k)
    return dict(pairs)


def answer(line):
    try:
        req = json.loads(line.decode("utf-8", "strict"),
                         object_pairs_hook=no_dups)
        rid = req["id"]
    except (ValueError, KeyError, TypeError, RecursionError) as e:
        m = re.search(rb'"id": *([0-9]+)', line)
        if m is None:
            print("rawrecord: dropping a line: %s" % e, file=sys.stderr,
                  flush=True)
            return
        send({"id": int(m.group(1)), "error": {
            "code": "INVALID_ARGUMENT", "message": "rawrecord: %s" % e}})
        return
    op = req.get("op")
    if op == "create":
        send({"id": rid, "resource_meta": {"n": rid}})
    elif op == "get":
        send({"id": rid, "resource": {"phase": "SUCCEEDED", "outputs": {}}})
    else:
        send({"id": rid})


def main():
    with open(STARTS, "a") as f:
        f.write("%d\n" % os.getpid())
    send({"hello": {"protocol": 1, "name": "rawrecord",
                    "task_types": [{"type": "rec", "versions": ["v1"]}],
                    "concurrency": 1}})
    for line in iter(sys.stdin.buffer.readline, b""):
        with open(RECORD, "ab") as f:
            f.write(line)
        answer(line.rstrip(b"\n"))


if __name__ == "__main__":
    main()
