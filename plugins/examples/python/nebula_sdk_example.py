#!/usr/bin/env python3
"""A plugin on the nebula_plugin module: a timer that finishes `seconds`
after create, with nothing kept in memory (the deadline rides in the
resource_meta), so any instance can answer any poll."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "python"))
import nebula_plugin  # noqa: E402


class Timer(nebula_plugin.BackendPluginBase):
    task_type = "example-timer"
    concurrency = 16

    def create(self, task_template, inputs=None, **kw):
        seconds = (task_template.get("custom") or {}).get("seconds", 0)
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise nebula_plugin.PluginError(
                "INVALID_ARGUMENT", "custom.seconds must be a number >= 0")
        return {"until": time.time() + seconds, "inputs": inputs or {}}

    def get(self, resource_meta, **kw):
        left = resource_meta["until"] - time.time()
        if left > 0:
            return nebula_plugin.resource("RUNNING", "%.1f s left" % left)
        return nebula_plugin.resource("SUCCEEDED",
                                      outputs=resource_meta["inputs"])


if __name__ == "__main__":
    sys.exit(nebula_plugin.serve(Timer()))
