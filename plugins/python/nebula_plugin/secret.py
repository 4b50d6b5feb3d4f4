"""Secrets for plugins: from the environment, or from a file it names.

The daemon passes a configured secret as an environment variable; a secret
that rotates is better passed as the path of a file (NAME_FILE) that the
plugin reads again on every use, which is what secret() does.
"""

import os

from .errors import PluginError


def secret(name, default=None):
    """$NAME if set, else the content of the file named by $NAME_FILE (read
    on every call, without its trailing newline), else default; with no
    default, a missing secret raises PluginError FAILED_PRECONDITION."""
    value = os.environ.get(name)
    if value is not None:
        return value
    path = os.environ.get(name + "_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                return f.read().rstrip("\r\n")
        except OSError as e:
            raise PluginError("FAILED_PRECONDITION",
                              "secret %s: cannot read %s: %s" %
                              (name, path, e.strerror)) from None
    if default is not None:
        return default
    raise PluginError("FAILED_PRECONDITION",
                      "secret %s is not set (neither $%s nor $%s_FILE)" %
                      (name, name, name))
