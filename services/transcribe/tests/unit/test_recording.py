"""The recording is decrypted chunk by chunk into a private file; tampering is refused."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from clashtor_common.crypto import DecryptionError, Keyring
from transcribe.adapters.recording import decrypt_to_file, downloaded_recording


async def _encrypt(keyring: Keyring, data: bytes, chunk_size: int) -> bytes:
    async def pieces() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 1000):
            yield data[i : i + 1000]

    return b"".join([c async for c in keyring.encrypt_stream(pieces(), chunk_size=chunk_size)])


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.from_config(f"k1:{Keyring.generate_key()}")


@pytest.mark.parametrize("size", [0, 1, 4096, 4096 * 3, 10_000])
async def test_any_size_decrypts_to_the_original_bytes(
    keyring: Keyring, tmp_path: Path, size: int
) -> None:
    data = os.urandom(size)
    target = tmp_path / "call.wav"
    written = decrypt_to_file(keyring, await _encrypt(keyring, data, 4096), target)
    assert written == size and target.read_bytes() == data


async def test_a_tampered_or_truncated_recording_is_refused(
    keyring: Keyring, tmp_path: Path
) -> None:
    blob = bytearray(await _encrypt(keyring, os.urandom(10_000), 4096))
    with pytest.raises(DecryptionError):
        decrypt_to_file(keyring, bytes(blob[:-100]), tmp_path / "a")
    blob[-1] ^= 1
    with pytest.raises(DecryptionError):
        decrypt_to_file(keyring, bytes(blob), tmp_path / "b")


async def test_another_key_ring_cannot_read_it(keyring: Keyring, tmp_path: Path) -> None:
    blob = await _encrypt(keyring, b"audio", 4096)
    other = Keyring.from_config(f"k1:{Keyring.generate_key()}")
    with pytest.raises(DecryptionError):
        decrypt_to_file(other, blob, tmp_path / "c")


async def test_the_downloaded_recording_lives_in_a_private_file_removed_afterwards(
    keyring: Keyring, tmp_path: Path
) -> None:
    blob = await _encrypt(keyring, b"RIFF-audio-bytes", 4096)

    async def read() -> bytes:  # what S3Store.read(ref) returns: the encrypted object
        return blob

    async with downloaded_recording(
        read(), keyring, audio_format="wav", temp_dir=str(tmp_path)
    ) as path:
        assert path.suffix == ".wav" and path.read_bytes() == b"RIFF-audio-bytes"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []
