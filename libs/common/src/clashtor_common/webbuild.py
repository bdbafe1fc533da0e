"""Builds the web app (``web/``) when its sources changed: ``npm ci`` + ``npm run build``.

``make up`` and the browser tests call ``ensure_built()``. The build is skipped while a
stamp in ``web/dist`` holds the hash of every source file and the lock file, so a second
start costs a hash of a few hundred kilobytes. ``npm ci`` installs exactly the committed
``package-lock.json`` (registry only; no browser or binary is fetched).

The API types (``src/api/schema.d.ts``) are not a source: ``npm run build`` generates them
from ``openapi.json`` (its ``prebuild`` script), so ``openapi.json`` is hashed instead.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
WEB = ROOT / "web"
SOURCES = ("src", "public", "index.html", "openapi.json", "package.json", "package-lock.json")
SOURCE_GLOBS = ("vite.config.*", "tsconfig*.json")
GENERATED = ("src/api/schema.d.ts",)
STAMP = ".source-hash"


def _files(web: Path) -> list[Path]:
    found: list[Path] = []
    for name in SOURCES:
        path = web / name
        if path.is_dir():
            found += [p for p in path.rglob("*") if p.is_file()]
        elif path.is_file():
            found.append(path)
    for pattern in SOURCE_GLOBS:
        found += list(web.glob(pattern))
    generated = {web / name for name in GENERATED}
    return sorted(p for p in found if p not in generated)


def source_hash(web: Path = WEB) -> str:
    digest = hashlib.sha256()
    for path in _files(web):
        digest.update(str(path.relative_to(web)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _run(args: list[str], web: Path, log: Path | None) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is required to build the web app (Node 20+)")
    out = open(log, "ab") if log else None  # noqa: SIM115
    try:
        result = subprocess.run([npm, *args], cwd=web, stdout=out, stderr=out, check=False)
    finally:
        if out:
            out.close()
    if result.returncode != 0:
        where = f"; see {log}" if log else ""
        raise RuntimeError(f"npm {' '.join(args)} failed in {web}{where}")


def ensure_dependencies(web: Path = WEB, log: Path | None = None) -> None:
    """``npm ci`` unless ``node_modules`` already matches the lock file."""
    lock = (web / "package-lock.json").read_bytes()
    marker = web / "node_modules" / ".clashtor-lock-hash"
    wanted = hashlib.sha256(lock).hexdigest()
    if marker.is_file() and marker.read_text() == wanted:
        return
    _run(["ci", "--no-audit", "--no-fund"], web, log)
    marker.write_text(wanted)


def ensure_built(web: Path = WEB, log: Path | None = None) -> Path:
    """The production build (``web/dist``), rebuilt only when a source changed.

    Holds a lock on ``web/.build.lock`` meanwhile: parallel test workers and a ``make up``
    share one ``node_modules`` and one ``dist``, and must not build over each other."""
    dist = web / "dist"
    with open(web / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wanted = source_hash(web)
        stamp = dist / STAMP
        if stamp.is_file() and stamp.read_text() == wanted and (dist / "index.html").is_file():
            return dist
        ensure_dependencies(web, log)
        _run(["run", "build"], web, log)
        stamp.write_text(wanted)
    return dist
