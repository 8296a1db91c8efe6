"""The top-level ``secure_exec`` namespace: the plugin host is importable, nothing stray is exported."""

from __future__ import annotations

import subprocess
import sys
import types

import secure_exec as se


def test_plugin_host_names_are_top_level() -> None:
    from secure_exec.host.plugin import PluginError, PluginInstance
    from secure_exec.host.plugin_host import PluginHost

    assert (se.PluginHost, se.PluginInstance, se.PluginError) == (PluginHost, PluginInstance, PluginError)
    assert {"PluginHost", "PluginInstance", "PluginError"} <= set(se.__all__)


def test_namespace_is_clean() -> None:
    public = {n for n in dir(se) if not n.startswith("_")}
    modules = {n for n in public if isinstance(getattr(se, n), types.ModuleType)}
    assert public - modules == set(se.__all__) - {"__version__"}
    assert "annotations" not in public
    assert all(hasattr(se, n) for n in se.__all__)


BAD_FS_SCRIPT = """
import secure_exec as se
from secure_exec.providers.memfs import InMemoryFileSystem

class Bad(InMemoryFileSystem):
    def stat(self, *a, **k):
        raise RuntimeError("host bug at /secret/host/path")

out = []
rt = se.NodeRuntime(system_driver=se.create_node_driver(filesystem=Bad(), permissions=se.allow_all_fs),
                    on_stdio=lambda ev: out.append(ev.data))
r = rt.exec('try { require("fs").statSync("/x") } catch (e) { console.log(e.code) }')
print(r.code, out)
"""


def test_a_bridge_handler_failure_logs_nothing_to_stdout_or_stderr_by_default() -> None:
    """Library logs go to stdlib logging with a NullHandler: no traceback (with host paths) on any stream."""
    r = subprocess.run([sys.executable, "-c", BAD_FS_SCRIPT], capture_output=True, text=True, timeout=120)
    assert (r.stdout, r.stderr) == ("0 ['EIO\\n']\n", "")
    # a host application that configures logging gets the record, traceback included
    configured = "import logging; logging.basicConfig(level=logging.WARNING)\n" + BAD_FS_SCRIPT
    r = subprocess.run([sys.executable, "-c", configured], capture_output=True, text=True, timeout=120)
    assert r.stdout == "0 ['EIO\\n']\n"
    assert "WARNING:secure_exec.bridge:bridge handler failed: RuntimeError" in r.stderr and "Traceback" in r.stderr


def test_cli_main_in_process_leaves_logging_as_it_found_it() -> None:
    """A host or test calling ``main()`` in-process gets no handler piled onto the 'secure_exec' logger."""
    import logging

    from secure_exec.cli.main import main

    logger = logging.getLogger("secure_exec")
    before = (list(logger.handlers), logger.level)
    assert main(["plugins", "--json"]) == 0
    assert main(["--debug", "plugins"]) == 0
    assert (list(logger.handlers), logger.level) == before
