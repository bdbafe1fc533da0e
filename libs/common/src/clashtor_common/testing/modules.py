"""Loading a test helper file (a stub server, a support module) as a module.

Tests run in pytest's importlib mode, where a helper beside the tests cannot be imported
by name; and two services both have a ``support.py``. So each helper is loaded from its
path under a name unique to its suite, once per process.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_module(path: Path, name: str) -> ModuleType:
    """The module in ``path``, loaded under ``name`` (the same object on later calls)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path} as a module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
