"""The plugin base class and the registry of plugins one program serves.

A plugin sets task_type and version (or task_types for several) and defines
create, get (or poll) and delete, async or plain, plus optionally logs and
metrics; the registry finds the plugin for a request's task type and
version and builds the hello's task_types and concurrency.
"""

import inspect

from .errors import PluginError


class Plugin:
    """A plugin, shaped like Flyte's async agent base class.

    Handlers may be coroutines (run on serve()'s event loop: they must not
    block it) or plain functions (run in a thread).  create returns the
    resource_meta (small: it travels in URLs), or a pair (resource_meta,
    resource) for a job done at once; get returns a resource (see
    resource()); delete returns nothing.  Raise PluginError to fail an
    operation with a code and kind.
    """

    name = None             # for the hello; defaults to the first task type
    task_type = None
    version = "v1"
    task_types = None       # [{"type": ..., "versions": [...]}] for several
    concurrency = 8         # requests held at once
    typed_outputs = False   # True: plain outputs are sent as a LiteralMap

    async def create(self, task_template, inputs=None, output_prefix=None,
                     task_execution_metadata=None, **kw):
        """Starts the job and returns its resource_meta."""
        raise PluginError("UNIMPLEMENTED", "create is not implemented")

    async def get(self, resource_meta, **kw):
        """The job's resource; a subclass defines this or poll."""
        raise PluginError("UNIMPLEMENTED", "get is not implemented")

    async def poll(self, resource_meta, **kw):
        """Another name for get, as in the RFC."""
        got = self.get(resource_meta, **kw)
        return await got if inspect.isawaitable(got) else got

    async def delete(self, resource_meta, **kw):
        """Cancels the job or cleans up; nothing to do by default."""
        return None

    # Optional: define logs(resource_meta, **kw) returning a list of lines
    # (strings, or dicts {"message", "timestamp", "originator"}), or a tuple
    # (lines, token) when there is a next page; the query comes as keywords
    # (lines, token).  And metrics(resource_meta, **kw) returning a list of
    # Flyte ExecutionMetricResult dicts {"metric", "data"}; the query comes
    # as keywords (queries, start_time, end_time, step).  Defined ones are
    # declared in the hello; the daemon sends no other.
    logs = None
    metrics = None

    def served_types(self):
        """The task types and versions of the hello."""
        if self.task_types:
            return [dict(t) for t in self.task_types]
        if not self.task_type:
            raise ValueError("%s sets neither task_type nor task_types" %
                             type(self).__name__)
        return [{"type": self.task_type, "versions": [self.version]}]

    def handler(self, op):
        """The bound method serving op, or None."""
        cls = type(self)
        if op == "get":
            if cls.get is Plugin.get and cls.poll is not Plugin.poll:
                return self.poll
            return self.get
        if op in ("create", "delete", "logs", "metrics"):
            return getattr(self, op)
        return None


# The old name, from the one-file SDK and Flyte's agents.
BackendPluginBase = Plugin


class Registry:
    """The plugins one program serves, by task type and version."""

    def __init__(self):
        self.plugins = []

    def register(self, plugin):
        """Adds a plugin (an instance, or a class, which is instantiated)
        and returns its argument, so that it works as a class decorator."""
        inst = plugin() if isinstance(plugin, type) else plugin
        if not isinstance(inst, Plugin):
            raise TypeError("a plugin subclasses nebula_plugin.Plugin")
        mine = {(t["type"], v) for t in inst.served_types()
                for v in t.get("versions", ["v1"])}
        for other in self.plugins:
            theirs = {(t["type"], v) for t in other.served_types()
                      for v in t.get("versions", ["v1"])}
            if mine & theirs:
                raise ValueError("%s/%s is served twice" %
                                 sorted(mine & theirs)[0])
        self.plugins.append(inst)
        return plugin

    def find(self, task_type, version):
        """The plugin for a request: by type and version, else by type,
        else the only plugin (the configuration may rename task types)."""
        for exact in (True, False):
            for p in self.plugins:
                for t in p.served_types():
                    if t["type"] == task_type and \
                            (not exact or version in t.get("versions",
                                                           ["v1"])):
                        return p
        return self.plugins[0] if len(self.plugins) == 1 else None

    def task_types(self):
        return [t for p in self.plugins for t in p.served_types()]

    def concurrency(self):
        return max([1] + [int(p.concurrency) for p in self.plugins])

    def ops(self):
        """The operations served: the three, and logs and metrics when a
        plugin defines them."""
        ops = ["create", "get", "delete"]
        for op in ("logs", "metrics"):
            if any(p.handler(op) is not None for p in self.plugins):
                ops.append(op)
        return ops


registry = Registry()
register = registry.register
