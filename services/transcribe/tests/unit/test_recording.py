"""The recording is decrypted chunk by chunk into a private file under the data key its event
carries; tampering, a missing key and another master key are refused; old self-keyed
recordings still read."""

from __future__ import annotations

import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from clashtor_common.crypto import DataKey, DecryptionError, KeyDestroyed, Keyring
from transcribe.adapters.recording import decrypt_to_file, downloaded_recording

KEY = DataKey.generate("call:c1")
KEYS = {KEY.id: KEY}


async def _encrypt(
    keyring: Keyring, data: bytes, chunk_size: int, key: DataKey | None = KEY
) -> bytes:
    async def pieces() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 1000):
            yield data[i : i + 1000]

    chunks = keyring.encrypt_stream(pieces(), chunk_size=chunk_size, key=key)
    return b"".join([c async for c in chunks])


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.from_config(f"k1:{Keyring.generate_key()}")


@pytest.mark.parametrize("size", [0, 1, 4096, 4096 * 3, 10_000])
async def test_any_size_decrypts_to_the_original_bytes(
    keyring: Keyring, tmp_path: Path, size: int
) -> None:
    data = os.urandom(size)
    target = tmp_path / "call.wav"
    written = decrypt_to_file(keyring, await _encrypt(keyring, data, 4096), target, KEYS)
    assert written == size and target.read_bytes() == data


async def test_a_self_keyed_recording_from_before_key_tables_still_reads(
    keyring: Keyring, tmp_path: Path
) -> None:
    blob = await _encrypt(keyring, b"old audio", 4096, key=None)
    assert decrypt_to_file(keyring, blob, tmp_path / "old.wav", {}) == len(b"old audio")


async def test_without_its_data_key_the_recording_does_not_open(
    keyring: Keyring, tmp_path: Path
) -> None:
    with pytest.raises(KeyDestroyed):
        decrypt_to_file(keyring, await _encrypt(keyring, b"audio", 4096), tmp_path / "x", {})


async def test_a_tampered_or_truncated_recording_is_refused(
    keyring: Keyring, tmp_path: Path
) -> None:
    blob = bytearray(await _encrypt(keyring, os.urandom(10_000), 4096))
    with pytest.raises(DecryptionError):
        decrypt_to_file(keyring, bytes(blob[:-100]), tmp_path / "a", KEYS)
    blob[-1] ^= 1
    with pytest.raises(DecryptionError):
        decrypt_to_file(keyring, bytes(blob), tmp_path / "b", KEYS)


async def test_another_key_ring_cannot_read_it(keyring: Keyring, tmp_path: Path) -> None:
    blob = await _encrypt(keyring, b"audio", 4096, key=None)
    other = Keyring.from_config(f"k1:{Keyring.generate_key()}")
    with pytest.raises(DecryptionError):
        decrypt_to_file(other, blob, tmp_path / "c", {})


async def test_the_downloaded_recording_lives_in_a_private_file_removed_afterwards(
    keyring: Keyring, tmp_path: Path
) -> None:
    blob = await _encrypt(keyring, b"RIFF-audio-bytes", 4096)

    async def read() -> bytes:  # what S3Store.read(ref) returns: the encrypted object
        return blob

    async with downloaded_recording(
        read(), keyring, keys=KEYS, audio_format="wav", temp_dir=str(tmp_path)
    ) as path:
        assert path.suffix == ".wav" and path.read_bytes() == b"RIFF-audio-bytes"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []
