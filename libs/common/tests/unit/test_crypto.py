"""AES-256-GCM envelope encryption: at rest the bytes differ, decrypt back, fail loudly."""

from __future__ import annotations

import os

import pytest

from clashtor_common.crypto import DEFAULT_CHUNK_SIZE, DecryptionError, Keyring, fingerprint

PLAIN = b"RIFF....WAVEfmt the customer said our budget is forty thousand" * 50


def keyring(*kids: str) -> Keyring:
    spec = ",".join(f"{k}:{Keyring.generate_key()}" for k in kids or ("k1",))
    return Keyring.from_config(spec)


async def _aiter(data: bytes, step: int):
    for i in range(0, len(data), step):
        yield data[i : i + step]


def test_record_ciphertext_differs_from_plaintext_and_decrypts_back() -> None:
    ring = keyring()
    blob = ring.encrypt(PLAIN, aad=b"call-1")
    assert PLAIN not in blob and b"budget" not in blob
    assert ring.decrypt(blob, aad=b"call-1") == PLAIN


def test_each_record_gets_its_own_data_key() -> None:
    ring = keyring()
    assert ring.encrypt(b"same") != ring.encrypt(b"same")


def test_wrong_master_key_fails_loudly() -> None:
    blob = keyring("k1").encrypt(PLAIN)
    with pytest.raises(DecryptionError, match="wrong master key"):
        keyring("k1").decrypt(blob)


def test_unknown_key_id_fails_loudly() -> None:
    blob = keyring("old").encrypt(PLAIN)
    with pytest.raises(DecryptionError, match="unknown master key"):
        keyring("new").decrypt(blob)


@pytest.mark.parametrize("position", [-1, -20, 60])
def test_a_tampered_byte_fails_loudly(position: int) -> None:
    ring = keyring()
    blob = bytearray(ring.encrypt(PLAIN))
    blob[position] ^= 0x01
    with pytest.raises(DecryptionError):
        ring.decrypt(bytes(blob))


def test_context_mismatch_fails() -> None:
    ring = keyring()
    with pytest.raises(DecryptionError):
        ring.decrypt(ring.encrypt(PLAIN, aad=b"org-a"), aad=b"org-b")


def test_rotation_new_key_encrypts_old_key_still_decrypts() -> None:
    old_key, new_key = Keyring.generate_key(), Keyring.generate_key()
    before = Keyring.from_config(f"v1:{old_key}").encrypt(PLAIN)
    rotated = Keyring.from_config(f"v2:{new_key},v1:{old_key}")
    assert rotated.decrypt(before) == PLAIN
    after = rotated.encrypt(PLAIN)
    assert b"v2" in after[:16]
    with pytest.raises(DecryptionError):
        Keyring.from_config(f"v1:{old_key}").decrypt(after)


@pytest.mark.parametrize("size", [0, 1, 1000, DEFAULT_CHUNK_SIZE, 3 * DEFAULT_CHUNK_SIZE + 7])
async def test_stream_round_trip(size: int) -> None:
    ring = keyring()
    data = os.urandom(size)
    blob = b"".join([c async for c in ring.encrypt_stream(_aiter(data, 10_000))])
    assert ring.decrypt_stream_bytes(blob) == data
    if size > 32:
        assert data[:32] not in blob


async def test_stream_range_decrypts_only_the_chunks_it_needs() -> None:
    ring = Keyring.from_config(f"k:{Keyring.generate_key()}")
    data = os.urandom(5000)
    chunks = [c async for c in ring.encrypt_stream(_aiter(data, 999), chunk_size=1024)]
    blob = b"".join(chunks)
    dec = ring.stream_decryptor(blob[:200])
    assert dec.plaintext_size(len(blob)) == 5000
    a, b, first = dec.cipher_range(2100, 3000)
    plain = b"".join(dec.open_chunks(blob[a:b], first, 5000))
    offset = 2100 - first * 1024
    assert plain[offset : offset + 900] == data[2100:3000]


async def test_truncated_stream_is_detected() -> None:
    ring = keyring()
    data = os.urandom(3 * 1024)
    blob = b"".join([c async for c in ring.encrypt_stream(_aiter(data, 500), chunk_size=1024)])
    truncated = blob[: -(1024 + 16)]  # drop the last chunk: the new last one lacks its flag
    with pytest.raises(DecryptionError):
        ring.decrypt_stream_bytes(truncated)


def test_fingerprint_normalizes_and_depends_on_the_secret() -> None:
    assert fingerprint("s", " Jane@Example.com ") == fingerprint("s", "jane@example.com")
    assert fingerprint("s", "jane@example.com") != fingerprint("t", "jane@example.com")
    assert "jane" not in fingerprint("s", "jane@example.com")
