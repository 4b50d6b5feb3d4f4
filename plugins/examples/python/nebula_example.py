#!/usr/bin/env python3
"""A whole nebula-plugind worker in Python, standard library only.

It serves task type "example-py", version v1, up to eight requests at once,
one thread each.  create keeps the job's inputs in its resource_meta (or,
with task_template.custom.fail set to an error code, fails with that code),
get answers SUCCEEDED with those inputs as outputs, delete has nothing to
clean up.  The line protocol is described in nebula-plugin-protocol(7).
"""

import json
import sys
import threading

CONCURRENCY = 8
out_lock = threading.Lock()


def send(msg):
    """Writes one message as one line; threads take turns."""
    line = json.dumps(msg, separators=(",", ":")) + "\n"
    with out_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def log(text):
    """stderr is the worker's log: the daemon tags each line with our pid."""
    print(text, file=sys.stderr, flush=True)


def handle(req):
    """Answers one request; every request gets exactly one answer."""
    rid, op = req["id"], req.get("op")
    try:
        if op == "create":
            custom = (req.get("task_template") or {}).get("custom") or {}
            if custom.get("fail"):
                send({"id": rid, "error": {"code": str(custom["fail"]),
                                           "message": "failed on request"}})
                return
            send({"id": rid,
                  "resource_meta": {"inputs": req.get("inputs") or {}}})
        elif op == "get":
            meta = req.get("resource_meta") or {}
            send({"id": rid, "resource": {
                "phase": "SUCCEEDED",
                "message": "echoed",
                "outputs": meta.get("inputs") or {}}})
        elif op == "delete":
            send({"id": rid})
        else:
            send({"id": rid, "error": {"code": "INVALID_ARGUMENT",
                                       "message": "unknown op %r" % op}})
    except Exception as e:  # a bad request must not take the worker down
        send({"id": rid, "error": {"code": "INTERNAL", "message": str(e)}})


def main():
    send({"hello": {"protocol": 1, "name": "example-py",
                    "task_types": [{"type": "example-py",
                                    "versions": ["v1"]}],
                    "concurrency": CONCURRENCY}})
    # The daemon never sends more than CONCURRENCY requests at once, so one
    # thread per request stays bounded.
    for line in iter(sys.stdin.readline, ""):
        try:
            req = json.loads(line)
            if not isinstance(req, dict) or not isinstance(req.get("id"), int):
                raise ValueError("no integer id")
        except ValueError as e:
            log("dropping a bad line: %s" % e)
            continue
        log("request id=%s op=%s request_id=%s" %
            (req["id"], req.get("op"), req.get("request_id")))
        threading.Thread(target=handle, args=(req,)).start()
    log("stdin closed, exiting once the requests in hand are answered")


if __name__ == "__main__":
    main()
