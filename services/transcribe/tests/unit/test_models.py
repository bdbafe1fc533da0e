"""Whisper base is joined from its two packaged halves and checked before use."""

from __future__ import annotations

import hashlib

import pytest

from transcribe.adapters.models import (
    BASE_MODEL_MD5,
    ModelNotInstalled,
    install_base,
    model_path,
)


def test_the_halves_join_into_the_pinned_model_with_its_tokenizer(tmp_path) -> None:
    target = install_base(tmp_path / "base")
    digest = hashlib.md5((target / "model.bin").read_bytes(), usedforsecurity=False)
    assert digest.hexdigest() == BASE_MODEL_MD5
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (target / name).stat().st_size > 0
    assert model_path("base", base_dir=target) == target
    assert not list(target.glob(".model.bin.*"))  # no temporary left behind


def test_an_unassembled_directory_is_not_taken_for_a_model(tmp_path) -> None:
    (tmp_path / "model.bin").write_bytes(b"half a model")
    with pytest.raises(ModelNotInstalled, match="make install"):
        model_path("base", base_dir=tmp_path)


def test_unknown_model_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown whisper model"):
        model_path("large-v9")


def test_the_install_step_assembled_the_default_model() -> None:
    assert (model_path("base") / "model.bin").stat().st_size == 145_217_532
