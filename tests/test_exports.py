"""Every exception a bench script may catch is importable from `jumperless_mcp` itself.

Found mechanically: every module of the host and of `firmware_api` is imported and each exception class it
defines must be exported by the package (the same object), unless it is listed below as internal, with why.
The virtual board's own exceptions stay in `jumperless_mcp.emulator`; `Board.open(parts=...)` turns a bad parts
file into `ArgumentError` (tests/test_sync_open.py).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import firmware_api
import jumperless_mcp
from jumperless_mcp.errors import JumperlessError

SKIPPED_MODULES = ("jumperless_mcp.__main__", "jumperless_mcp.emulator")  # runs the CLI; apart from the host
INTERNAL = {  # exception classes that never reach a bench script's `except` (besides private `_Names`)
    "jumperless_mcp.serving.asking.InputRequired": "the MCP server's own control flow (asking the client)",
    "jumperless_mcp.tooling.tool_runner.ToolFailure": "becomes an MCP error result; never raised to a script",
    "jumperless_mcp.bench.selftest.CheckFailed": "one selftest check's failure, caught and shown in its table",
    "jumperless_mcp.testing.selection.SelectionError": "the pytest plugin turns it into a usage error",
}


def _exception_classes() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for package in (jumperless_mcp, firmware_api):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if info.name.startswith(SKIPPED_MODULES):
                continue
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if (
                    inspect.isclass(value)
                    and issubclass(value, BaseException)
                    and value.__module__ == info.name
                    and not value.__name__.startswith("_")
                ):
                    found[f"{info.name}.{value.__qualname__}"] = value
    return found


def test_every_exception_is_importable_from_the_package() -> None:
    classes = _exception_classes()
    assert "firmware_api.errors.FirmwareError" in classes and "jumperless_mcp.errors.BoardTimeout" in classes
    missing = [
        name
        for name, cls in classes.items()
        if name not in INTERNAL and getattr(jumperless_mcp, cls.__name__, None) is not cls
    ]
    assert not missing, f"export these from jumperless_mcp/__init__.py (or list them in INTERNAL, with why): {missing}"
    unexported = [
        name for name, cls in classes.items() if name not in INTERNAL and cls.__name__ not in jumperless_mcp.__all__
    ]
    assert not unexported, f"add to jumperless_mcp.__all__: {unexported}"
    for name in ("MeasureError", "OledDisconnected", "BackchannelError", "UnsupportedByFirmware", "ConfigError"):
        assert name in jumperless_mcp.__all__


def test_the_internal_list_is_current_and_holds_no_user_error() -> None:
    classes = _exception_classes()
    for name in INTERNAL:
        assert name in classes, f"{name} no longer exists: drop it from INTERNAL"
        assert not issubclass(classes[name], JumperlessError), f"{name} is a JumperlessError: export it"


def test_every_name_in_all_resolves() -> None:
    for name in jumperless_mcp.__all__:
        assert getattr(jumperless_mcp, name) is not None, name
    assert set(jumperless_mcp.__all__) <= set(dir(jumperless_mcp))


def test_importing_the_package_does_not_load_the_bench_layer() -> None:
    """The command line starts fast: `Board`, `SyncBoard` and the bench exceptions load on first use."""
    code = "import sys, jumperless_mcp; print(sorted(m for m in sys.modules if m.startswith('jumperless_mcp.bench')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
