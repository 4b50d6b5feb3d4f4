#!/usr/bin/env python3
"""A local stand-in of the Databricks Jobs API 2.1 (runs/submit, runs/get,
runs/cancel).

It answers as the REST documentation says, error bodies included
({"error_code": "...", "message": "..."}).  A submit with an
idempotency_token seen before answers the run_id of the first one.  Test
knobs, in the run_name:
- runtime=SECONDS (default 0.5): PENDING for a fifth of it, then RUNNING,
  then TERMINATED;
- result=STATE: the result_state at the end (default SUCCESS), or the
  life_cycle_state when STATE is INTERNAL_ERROR or SKIPPED;
- slow_submit=SECONDS: delays the answer to a submit that creates a run;
- "denied": 403 PERMISSION_DENIED.
Plus /_admin/tokens, /_admin/fail, /_admin/stats (see standin.py).
"""

import json
import re

import standin


def err(code, message):
    return {"error_code": code, "message": message}


class DBState(standin.State):
    def __init__(self, args):
        super().__init__(args.token)
        self.port = args.port
        self.runs = {}
        self.by_token = {}
        self.next_run = 1000


class DBHandler(standin.Handler):

    def run_view(self, run):
        el = standin.now() - run["created"]
        name = run["spec"].get("run_name", "")
        m = re.search(r"result=([A-Z_]+)", name)
        result = m.group(1) if m else "SUCCESS"
        state = {"life_cycle_state": "TERMINATED", "result_state": result,
                 "state_message": "", "user_cancelled_or_timedout": False}
        if run.get("cancelled"):
            state.update(result_state="CANCELED", state_message="Run "
                         "cancelled.", user_cancelled_or_timedout=True)
        elif el < run["runtime"] * 0.2:
            state = {"life_cycle_state": "PENDING", "state_message":
                     "Waiting for cluster"}
        elif el < run["runtime"]:
            state = {"life_cycle_state": "RUNNING", "state_message":
                     "In run"}
        elif result in ("INTERNAL_ERROR", "SKIPPED"):
            state = {"life_cycle_state": result, "state_message":
                     "Run ended in %s" % result}
        elif result == "FAILED":
            state["state_message"] = "Task main failed with message: " \
                "Workload failed, see run output for details."
        elif result == "TIMEDOUT":
            state["state_message"] = "Run timed out"
        view = {
            "job_id": run["job_id"], "run_id": run["run_id"],
            "creator_user_name": "standin@example.com",
            "number_in_job": run["run_id"],
            "run_name": name,
            "run_type": "SUBMIT_RUN",
            "state": state,
            "start_time": int(run["created"] * 1000),
            "tasks": [{"task_key": t.get("task_key", "main"),
                       "run_id": run["run_id"] + 1 + i, "state": state}
                      for i, t in enumerate(run["spec"].get("tasks", []))],
            "run_page_url": "http://127.0.0.1:%d/?o=1234#job/%d/run/%d" % (
                self.state.port, run["job_id"], run["run_id"]),
        }
        return view

    def submit(self, raw):
        st = self.state
        st.count("submits")
        try:
            spec = json.loads(raw)
        except ValueError:
            self.send_json(400, err("MALFORMED_REQUEST",
                                    "Could not parse request object"))
            return
        tasks = spec.get("tasks")
        if not isinstance(tasks, list) or not tasks:
            self.send_json(400, err("INVALID_PARAMETER_VALUE",
                                    "At least one task is required."))
            return
        if "denied" in spec.get("run_name", ""):
            self.send_json(403, err("PERMISSION_DENIED", "User does not "
                                    "have permission to submit runs."))
            return
        tok = spec.get("idempotency_token")
        if tok is not None and len(tok) > 64:
            self.send_json(400, err("INVALID_PARAMETER_VALUE",
                                    "idempotency_token is too long"))
            return
        with st.lock:
            if tok is not None and tok in st.by_token:
                rid = st.by_token[tok]
                created = False
            else:
                st.next_run += 10
                rid = st.next_run
                m = re.search(r"runtime=([0-9.]+)", spec.get("run_name", ""))
                st.runs[rid] = {"run_id": rid, "job_id": rid + 5,
                                "spec": spec, "created": standin.now(),
                                "runtime": float(m.group(1)) if m else 0.5}
                if tok is not None:
                    st.by_token[tok] = rid
                created = True
        if created:
            st.count("runs_created")
            m = re.search(r"slow_submit=([0-9.]+)", spec.get("run_name", ""))
            if m:
                standin.time.sleep(float(m.group(1)))
        else:
            st.count("duplicates")
        self.send_json(200, {"run_id": rid})

    def find(self, run_id):
        try:
            run = self.state.runs.get(int(run_id))
        except (TypeError, ValueError):
            self.send_json(400, err("INVALID_PARAMETER_VALUE",
                                    "Invalid run_id: %s" % run_id))
            return None
        if run is None:
            self.send_json(404, err("RESOURCE_DOES_NOT_EXIST",
                                    "Run %s does not exist." % run_id))
        return run

    def do_api(self, method, path, query, raw):
        st = self.state
        fail = st.take_failure()
        if fail:
            st.count("injected_failures")
            if fail == 429:
                body = err("REQUEST_LIMIT_EXCEEDED", "Too many requests. "
                           "Please wait a moment and try again.")
            else:
                body = err("TEMPORARILY_UNAVAILABLE", "The service at "
                           "/api/2.1/jobs is temporarily unavailable.")
            self.send_json(fail, body,
                           {"Retry-After": str(st.fail_retry_after)})
            return
        tok = self.bearer()
        with st.lock:
            ok = tok is not None and tok in st.tokens
        if not ok:
            st.count("unauthorized")
            self.send_json(401, err("UNAUTHENTICATED",
                                    "Invalid access token."))
            return
        if path == "/api/2.1/jobs/runs/submit" and method == "POST":
            self.submit(raw)
        elif path == "/api/2.1/jobs/runs/get" and method == "GET":
            st.count("gets")
            run = self.find(query.get("run_id"))
            if run:
                self.send_json(200, self.run_view(run))
        elif path == "/api/2.1/jobs/runs/cancel" and method == "POST":
            st.count("cancels")
            try:
                rid = json.loads(raw or b"{}").get("run_id")
            except ValueError:
                rid = None
            run = self.find(rid)
            if run:
                if self.run_view(run)["state"]["life_cycle_state"] in (
                        "PENDING", "RUNNING", "QUEUED", "BLOCKED"):
                    run["cancelled"] = True
                self.send_json(200, {})
        else:
            self.send_json(404, err("ENDPOINT_NOT_FOUND",
                                    "No API found for '%s %s'" % (method,
                                                                   path)))


def main():
    args = standin.parse_args(__doc__.splitlines()[0])
    standin.serve(DBHandler, DBState(args))


if __name__ == "__main__":
    main()
