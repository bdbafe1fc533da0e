"""The import contracts in ``.importlinter`` (run by ``make lint``) hold, and catch a breach.

Each breach is planted in a copy of the gateway package placed first on ``PYTHONPATH``,
so ``lint-imports`` analyses the copy with the repository's own configuration while
the real source stays untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
GATEWAY = ROOT / "services/gateway/src/gateway"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250"}  # one verdict per line, however long its name
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(CONFIG), "--no-cache"],
        cwd=pythonpath or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def plant(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the gateway package with ``line`` appended to ``module`` (a path inside it)."""
    copy = tmp_path / "gateway"
    shutil.copytree(GATEWAY, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n{line}\n")
    return tmp_path


def test_the_code_keeps_every_contract() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (
            "domain/permissions.py",
            "import gateway.adapters.tables",
            "Inside a service, each layer imports only the layers below it",
        ),
        (
            "service_layer/members.py",
            "import gateway.entrypoints.deps",
            "Inside a service, each layer imports only the layers below it",
        ),
        (
            "handlers.py",
            "import ingest.handlers",
            "Services never import each other",
        ),
        (
            # the cycle issue 19 removed: a handler reaching back into the composition root
            "handlers.py",
            "import gateway.bootstrap",
            "Inside a service, each layer imports only the layers below it",
        ),
        (
            "service_layer/members.py",
            "from clashtor_common.errors import ApiError",
            "No HTTP errors below the entrypoints",
        ),
        (
            # two siblings no layer orders, importing each other
            "settings.py",
            "import gateway.serve",
            "No import cycles between the modules of a package",
        ),
        (
            # the call generator is a test helper; runtime code reaching it would ship it
            "service_layer/members.py",
            "import clashtor_callgen",
            "The call generator (libs/callgen) is test-only",
        ),
    ],
    ids=[
        "domain-imports-adapters",
        "service-layer-imports-entrypoints",
        "service-imports-service",
        "handler-imports-bootstrap",
        "service-layer-raises-http-errors",
        "cycle",
        "runtime-imports-callgen",
    ],
)
def test_a_planted_violation_breaks_its_contract(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    result = lint_imports(plant(tmp_path, module, line))
    assert result.returncode != 0
    verdicts = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert any(line.startswith(broken) for line in verdicts), result.stdout
