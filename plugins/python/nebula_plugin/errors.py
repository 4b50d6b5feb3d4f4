"""Errors and resources: what a handler raises and what a get returns.

PluginError carries a protocol error code (which the daemon maps to an HTTP
status) and a kind that tells the orchestrator whether a retry can help;
resource() builds a get answer's resource and checks its phase.
"""

PHASES = ("QUEUED", "INITIALIZING", "WAITING_FOR_RESOURCES", "RUNNING",
          "SUCCEEDED", "FAILED", "RETRYABLE_FAILED", "ABORTED")
KINDS = ("RECOVERABLE", "NON_RECOVERABLE")


class PluginError(Exception):
    """An error with a code the daemon maps to HTTP: INVALID_ARGUMENT 400,
    NOT_FOUND 404, PERMISSION_DENIED 403, UNAVAILABLE 503, others 500;
    kind is RECOVERABLE or NON_RECOVERABLE (Flyte's agent_error kind)."""

    def __init__(self, code, message="", kind="NON_RECOVERABLE"):
        if kind not in KINDS:
            raise ValueError("kind must be one of %s" % ", ".join(KINDS))
        super().__init__(message)
        self.code = str(code)
        self.message = str(message)
        self.kind = kind

    def to_json(self):
        """The error object of the protocol."""
        return {"code": self.code, "message": self.message,
                "kind": self.kind}


def resource(phase, message="", outputs=None, log_links=None,
             custom_info=None, error=None, poll_after_ms=None):
    """A get answer's resource.  outputs belong to SUCCEEDED and may be
    plain JSON or a LiteralMap; error (a PluginError or a dict with code and
    kind) says why a FAILED job failed and whether retrying it can help.
    poll_after_ms is a poll hint: the job is worth polling again in that
    many milliseconds (it travels beside the resource, not inside it)."""
    if phase not in PHASES:
        raise ValueError("unknown phase %r" % (phase,))
    if poll_after_ms is not None and (
            isinstance(poll_after_ms, bool) or
            not isinstance(poll_after_ms, int) or poll_after_ms < 0):
        raise ValueError("poll_after_ms must be a whole number >= 0")
    r = {"phase": phase, "message": message}
    if outputs is not None:
        r["outputs"] = outputs
    if log_links:
        r["log_links"] = log_links
    if custom_info is not None:
        r["custom_info"] = custom_info
    if error is not None:
        r["error"] = error.to_json() if isinstance(error, PluginError) \
            else dict(error)
    if poll_after_ms is not None:
        r["poll_after_ms"] = poll_after_ms
    return r
