"""Runs inside MicroPython (not CPython): one host source per call, in a fresh globals dict.

run.mjs loads this once; `run(source, module_name, variant)` imports the stub module, makes it the
`jumperless` module with its public names as globals (the firmware's start-up `from jumperless import *`),
sets which of its listed return kinds the stub's functions give (`variant`), and returns the traceback
text of an uncaught exception, or None.
"""

import io
import sys


def implementation():
    """`name version` of the interpreter, so the test can check it really is MicroPython."""
    return sys.implementation.name + " " + ".".join(str(part) for part in sys.implementation.version[:3])


_scopes = {}  # module name -> the globals every run starts from (copied per run: a fresh VM's globals)


def _scope(module_name):
    if module_name not in _scopes:
        module = __import__(module_name)
        scope = {"__name__": "__main__", "jumperless": module}
        for name, value in module.__dict__.items():  # not dir(): it only lists names already interned
            if not name.startswith("_"):
                scope[name] = value
        _scopes[module_name] = scope
    return _scopes[module_name]


def run(source, module_name, variant):
    base = _scope(module_name)
    module = base["jumperless"]
    module._variant = variant
    sys.modules["jumperless"] = module
    try:
        exec(source, dict(base))
    except BaseException as exc:
        text = io.StringIO()
        sys.print_exception(exc, text)
        return text.getvalue()
    return None
