"""The package installs with pip into a venv, offline, and serves from
there: python3 -m venv --system-site-packages, then pip install
--no-build-isolation --no-index (PyPI is not needed)."""

import os
import shutil
import subprocess
import sys

from conftest import SDK


def test_pip_installs_it_into_a_venv_offline(tmp_path):
    src = tmp_path / "src"      # pip builds in place: keep the tree clean
    shutil.copytree(SDK, src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages",
                    str(venv)], check=True)
    py = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([py, "-m", "pip", "install", "--no-build-isolation",
                    "--no-index", "--quiet", str(src)], check=True, env=env,
                   cwd=str(tmp_path))
    got = subprocess.run(
        [py, "-c", "import nebula_plugin, sys\n"
         "print(nebula_plugin.__file__)\n"
         "class P(nebula_plugin.Plugin):\n"
         "    task_type = 'installed'\n"
         "sys.exit(nebula_plugin.serve(P()))\n"],
        input=b"", stdout=subprocess.PIPE, check=True, env=env,
        cwd=str(tmp_path)).stdout.decode().splitlines()
    assert got[0].startswith(str(venv))
    assert '"installed"' in got[1]
