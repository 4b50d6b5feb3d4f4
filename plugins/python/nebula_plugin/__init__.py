"""nebula_plugin: write a nebula-plugind worker in Python.

Standard library only.  Subclass Plugin (the shape of Flyte's async agent
base class), set task_type and version, define create, get (or poll) and
delete, async or plain, and call serve():

    import nebula_plugin

    class Echo(nebula_plugin.Plugin):
        task_type = "echo-py"

        async def create(self, task_template, inputs, output_prefix,
                         task_execution_metadata, **kw):
            return {"inputs": inputs or {}}

        async def get(self, resource_meta, **kw):
            return nebula_plugin.resource("SUCCEEDED",
                                          outputs=resource_meta["inputs"])

    nebula_plugin.serve(Echo())

serve() speaks nebula-plugin-protocol(7) on stdin and stdout with one
asyncio loop; register() several plugins to serve several task types from
one program.  to_literal_map(), from_literal_map() and is_literal_map()
convert outputs to and from Flyte's LiteralMap; secret() reads a secret
from the environment or a file.
"""

from .errors import PHASES, PluginError, resource
from .literals import from_literal_map, is_literal_map, to_literal_map
from .loop import PROTOCOL, serve, serve_async
from .plugin import BackendPluginBase, Plugin, Registry, register, registry
from .secret import secret

__all__ = ["PHASES", "PROTOCOL", "BackendPluginBase", "Plugin",
           "PluginError", "Registry", "from_literal_map", "is_literal_map",
           "register", "registry", "resource", "secret", "serve",
           "serve_async", "to_literal_map"]
