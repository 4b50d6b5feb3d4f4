#!/usr/bin/env python3
"""A local stand-in of the BigQuery REST API v2 (jobs.insert, jobs.get,
jobs.cancel) and of Google's OAuth2 token endpoint for service accounts.

It answers as the REST documentation says, error bodies included
({"error": {"code", "message", "errors": [{"message", "domain", "reason"}],
"status"}}).  Test knobs:
- in the query text: runtime=SECONDS (default 0.5) how long the job runs;
  FAIL_QUERY makes the job end with an invalidQuery errorResult,
  BACKEND_ERROR with backendError, ACCESS_DENIED with accessDenied (the
  403 of a table the job may not read); slow_insert=SECONDS delays the answer to
  a jobs.insert that creates a job (a 409 for an existing one is at once).
- project "denied": 403 accessDenied on every call.
- /_admin/tokens, /_admin/fail, /_admin/stats (see standin.py),
  /_admin/expire (every token issued by /token expires now) and
  /_admin/expires_in {"seconds": N} (the next tokens are announced as
  living N seconds, while the stand-in keeps accepting them for
  --token-ttl: a token its client must take as nearly expired, with no
  clock to wait for; {} goes back to announcing --token-ttl).
- /token verifies the JWT's RS256 signature against --sa-modulus (hex,
  exponent 65537), its iss (--sa-email), aud, scope and times, then issues
  a token that lives --token-ttl seconds.
"""

import base64
import hashlib
import json
import re
import urllib.parse

import standin

DIGESTINFO_SHA256 = bytes.fromhex("3031300d060960864801650304020105000420")


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def error_body(code, status, reason, message, location=None):
    err = {"message": message, "domain": "global", "reason": reason}
    if location:
        err["location"] = location
        err["locationType"] = "header"
    return {"error": {"code": code, "message": message, "errors": [err],
                      "status": status}}


class BQState(standin.State):
    def __init__(self, args):
        super().__init__(args.token)
        self.port = args.port
        self.jobs = {}
        self.issued = {}        # token -> expiry time
        self.ttl = args.token_ttl
        self.announced_ttl = None   # expires_in to announce, else ttl
        self.modulus = int(args.sa_modulus, 16) if args.sa_modulus else None
        self.email = args.sa_email
        self.serial = 0


class BQHandler(standin.Handler):

    def admin_more(self, method, what, body):
        if what == "expire" and method == "POST":
            with self.state.lock:
                for t in self.state.issued:
                    self.state.issued[t] = 0
            self.send_json(200, {})
            return
        if what == "expires_in" and method == "POST":
            with self.state.lock:
                n = body.get("seconds")
                self.state.announced_ttl = None if n is None else int(n)
            self.send_json(200, {})
            return
        super().admin_more(method, what, body)

    # The OAuth2 token endpoint.

    def verify_jwt(self, jwt):
        st = self.state
        parts = jwt.split(".")
        if len(parts) != 3:
            return "not a JWT"
        head = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        if head.get("alg") != "RS256":
            return "alg must be RS256"
        if st.modulus is None:
            return "no service account is known"
        n = st.modulus
        k = (n.bit_length() + 7) // 8
        sig = int.from_bytes(b64url_decode(parts[2]), "big")
        em = pow(sig, 65537, n).to_bytes(k, "big")
        digest = hashlib.sha256((parts[0] + "." + parts[1]).encode()).digest()
        t = DIGESTINFO_SHA256 + digest
        want = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
        if em != want:
            return "Invalid JWT Signature."
        if claims.get("iss") != st.email:
            return "Invalid issuer: %s" % claims.get("iss")
        if not str(claims.get("aud", "")).endswith("/token"):
            return "Invalid audience"
        if "https://www.googleapis.com/auth/bigquery" not in \
                str(claims.get("scope", "")).split():
            return "Invalid scope"
        now = standin.now()
        iat, exp = claims.get("iat", 0), claims.get("exp", 0)
        if exp - iat > 3600 or exp < now or iat > now + 300:
            return "Invalid JWT: Token must be a short-lived token (60 " \
                "minutes) and in a reasonable timeframe."
        return None

    def token_endpoint(self, raw):
        st = self.state
        st.count("token_requests")
        form = dict(urllib.parse.parse_qsl(raw.decode()))
        if form.get("grant_type") != \
                "urn:ietf:params:oauth:grant-type:jwt-bearer":
            self.send_json(400, {"error": "unsupported_grant_type",
                                 "error_description": "Invalid grant_type"})
            return
        why = self.verify_jwt(form.get("assertion", ""))
        if why:
            self.send_json(400, {"error": "invalid_grant",
                                 "error_description": why})
            return
        with st.lock:
            st.serial += 1
            tok = "ya29.standin-%d" % st.serial
            st.issued[tok] = standin.now() + st.ttl
            announced = st.ttl if st.announced_ttl is None else \
                st.announced_ttl
        st.count("tokens_issued")
        self.send_json(200, {"access_token": tok, "expires_in": announced,
                             "token_type": "Bearer"})

    # The BigQuery API.

    def authorized(self):
        tok = self.bearer()
        st = self.state
        with st.lock:
            ok = tok is not None and (tok in st.tokens or
                                      st.issued.get(tok, 0) > standin.now())
        if not ok:
            st.count("unauthorized")
            self.send_json(401, error_body(
                401, "UNAUTHENTICATED", "authError",
                "Request had invalid authentication credentials. Expected "
                "OAuth 2 access token, login cookie or other valid "
                "authentication credential.", "Authorization"),
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.'
                 'com/", error="invalid_token"'})
        return ok

    def job_view(self, job):
        now = standin.now()
        el = now - job["created"]
        q = job["query"]
        status = {"state": "DONE"}
        if job.get("cancelled"):
            status["errorResult"] = {
                "reason": "stopped", "message":
                "Job execution was cancelled: User requested cancellation"}
        elif el < job["runtime"] * 0.2:
            status = {"state": "PENDING"}
        elif el < job["runtime"]:
            status = {"state": "RUNNING"}
        elif "FAIL_QUERY" in q:
            status["errorResult"] = {
                "reason": "invalidQuery", "location": "query",
                "message": "Syntax error: Unexpected identifier "
                "\"FAIL_QUERY\" at [1:8]"}
        elif "BACKEND_ERROR" in q:
            status["errorResult"] = {
                "reason": "backendError",
                "message": "Backend error. Job aborted."}
        elif "ACCESS_DENIED" in q:
            status["errorResult"] = {
                "reason": "accessDenied",
                "message": "Access Denied: Table proj-1:ds.secret: User "
                "does not have permission to query table proj-1:ds.secret."}
        if "errorResult" in status:
            status["errors"] = [status["errorResult"]]
        ref = job["ref"]
        view = {
            "kind": "bigquery#job",
            "etag": "\"%s\"" % job["etag"],
            "id": "%s:%s.%s" % (ref["projectId"], ref["location"],
                                ref["jobId"]),
            "selfLink": "http://127.0.0.1:%d/bigquery/v2/projects/%s/jobs/%s"
                        "?location=%s" % (self.state.port, ref["projectId"],
                                          ref["jobId"], ref["location"]),
            "user_email": "standin@example.com",
            "jobReference": ref,
            "configuration": job["configuration"],
            "status": status,
            "statistics": {"creationTime": str(int(job["created"] * 1000))},
        }
        if status["state"] == "DONE" and "errorResult" not in status:
            view["statistics"]["query"] = {"totalBytesProcessed": "1024",
                                           "cacheHit": False}
        return view

    def denied(self, project):
        self.send_json(403, error_body(
            403, "PERMISSION_DENIED", "accessDenied",
            "Access Denied: Project %s: User does not have bigquery.jobs."
            "create permission in project %s." % (project, project)))

    def insert(self, project, raw):
        st = self.state
        st.count("inserts")
        try:
            job = json.loads(raw)
        except ValueError:
            self.send_json(400, error_body(400, "INVALID_ARGUMENT",
                                           "parseError", "Parse Error"))
            return
        qconf = job.get("configuration", {}).get("query", {})
        query = qconf.get("query")
        if not isinstance(query, str) or not query:
            self.send_json(400, error_body(
                400, "INVALID_ARGUMENT", "required",
                "Required parameter is missing: query"))
            return
        ref = dict(job.get("jobReference") or {})
        ref["projectId"] = project
        ref.setdefault("location", "US")
        with st.lock:
            st.serial += 1
            ref.setdefault("jobId", "job_standin_%d" % st.serial)
            key = (project, ref["jobId"])
            if key in st.jobs:
                dup = True
            else:
                dup = False
                conf = json.loads(json.dumps(job["configuration"]))
                conf["jobType"] = "QUERY"
                conf["query"].setdefault("destinationTable", {
                    "projectId": project,
                    "datasetId": "_standin_anon",
                    "tableId": "anon_" + hashlib.sha1(
                        ref["jobId"].encode()).hexdigest()[:16]})
                m = re.search(r"runtime=([0-9.]+)", query)
                st.jobs[key] = {
                    "ref": ref, "configuration": conf, "query": query,
                    "created": standin.now(), "etag": st.serial,
                    "runtime": float(m.group(1)) if m else 0.5}
        if dup:
            st.count("duplicates")
            self.send_json(409, error_body(
                409, "ALREADY_EXISTS", "duplicate",
                "Already Exists: Job %s:%s.%s" % (project, ref["location"],
                                                  ref["jobId"])))
            return
        st.count("jobs_created")
        m = re.search(r"slow_insert=([0-9.]+)", query)
        if m:
            standin.time.sleep(float(m.group(1)))
        self.send_json(200, self.job_view(st.jobs[key]))

    def find(self, project, job_id, query):
        job = self.state.jobs.get((project, job_id))
        loc = query.get("location")
        if job is None or (loc and loc != job["ref"]["location"]):
            self.send_json(404, error_body(
                404, "NOT_FOUND", "notFound", "Not found: Job %s:%s.%s" % (
                    project, loc or "US", job_id)))
            return None
        return job

    def do_api(self, method, path, query, raw):
        st = self.state
        if path == "/token" and method == "POST":
            self.token_endpoint(raw)
            return
        m = re.fullmatch(r"/bigquery/v2/projects/([^/]+)/jobs"
                         r"(?:/([^/]+))?(/cancel)?", path)
        if not m:
            self.send_json(404, error_body(404, "NOT_FOUND", "notFound",
                                           "Not Found: %s" % path))
            return
        project, job_id, cancel = [urllib.parse.unquote(g) if g else g
                                   for g in m.groups()]
        fail = st.take_failure()
        if fail:
            st.count("injected_failures")
            if fail == 429:
                body = error_body(429, "RESOURCE_EXHAUSTED",
                                  "rateLimitExceeded",
                                  "Exceeded rate limits: too many api "
                                  "requests per user per method for this "
                                  "user_method.")
            else:
                body = error_body(fail, "UNAVAILABLE", "backendError",
                                  "The service is currently unavailable.")
            self.send_json(fail, body,
                           {"Retry-After": str(st.fail_retry_after)})
            return
        if not self.authorized():
            return
        if project == "denied":
            self.denied(project)
            return
        if method == "POST" and job_id is None:
            self.insert(project, raw)
        elif method == "GET" and job_id and not cancel:
            st.count("gets")
            job = self.find(project, job_id, query)
            if job:
                self.send_json(200, self.job_view(job))
        elif method == "POST" and job_id and cancel:
            st.count("cancels")
            job = self.find(project, job_id, query)
            if job:
                if self.job_view(job)["status"]["state"] != "DONE":
                    job["cancelled"] = True
                self.send_json(200, {"kind": "bigquery#jobCancelResponse",
                                     "job": self.job_view(job)})
        else:
            self.send_json(405, error_body(405, "METHOD_NOT_ALLOWED",
                                           "badRequest",
                                           "Method not allowed"))


def extra_args(ap):
    ap.add_argument("--token-ttl", type=int, default=3600)
    ap.add_argument("--sa-modulus", help="RSA modulus (hex) of the service "
                    "account key")
    ap.add_argument("--sa-email", default="nebula@standin.iam.example.com")


def main():
    args = standin.parse_args(__doc__.splitlines()[0], extra_args)
    standin.serve(BQHandler, BQState(args))


if __name__ == "__main__":
    main()
