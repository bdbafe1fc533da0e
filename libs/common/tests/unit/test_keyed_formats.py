"""Version-2 ciphertext: the header names a key-table key, so destroying it shreds every copy
and a master-key rotation re-wraps the key without touching the ciphertext."""

from __future__ import annotations

import os

import pytest

from clashtor_common.crypto import (
    DataKey,
    DecryptionError,
    KeyDestroyed,
    Keyring,
    data_key_id,
)

PLAIN = b"the customer said our budget is forty thousand, write to jane@example.com" * 20


def ring(*kids: str) -> Keyring:
    return Keyring.from_config(",".join(f"{k}:{Keyring.generate_key()}" for k in kids or ("m1",)))


async def _aiter(data: bytes, step: int):
    for i in range(0, len(data), step):
        yield data[i : i + step]


def test_record_names_its_key_and_carries_no_wrapped_key() -> None:
    keyring, key = ring(), DataKey.generate("call:c1")
    blob = keyring.encrypt(PLAIN, aad=b"ctx", key=key)
    assert blob[:4] == b"CTR2" and data_key_id(blob) == "call:c1"
    assert key.material not in blob and keyring.wrap(key).wrapped not in blob
    assert keyring.decrypt(blob, aad=b"ctx", keys={key.id: key}) == PLAIN
    assert b"budget" not in blob


def test_destroyed_key_makes_the_record_unreadable_even_with_the_master_key() -> None:
    keyring, key = ring(), DataKey.generate("participant:p1")
    blob = keyring.encrypt(PLAIN, key=key)
    with pytest.raises(KeyDestroyed, match="participant:p1"):
        keyring.decrypt(blob, keys={})
    with pytest.raises(KeyDestroyed):
        keyring.decrypt(blob)  # the master key alone opens nothing


def test_another_key_under_the_same_id_does_not_open_it() -> None:
    keyring = ring()
    blob = keyring.encrypt(PLAIN, key=DataKey.generate("call:c1"))
    with pytest.raises(DecryptionError, match="tampered"):
        keyring.decrypt(blob, keys={"call:c1": DataKey.generate("call:c1")})


@pytest.mark.parametrize("position", [5, 9, -1, -20])
def test_tampered_record_fails(position: int) -> None:
    keyring, key = ring(), DataKey.generate("call:c1")
    blob = bytearray(keyring.encrypt(PLAIN, key=key))
    blob[position] ^= 0x01
    with pytest.raises(DecryptionError):
        keyring.decrypt(bytes(blob), keys={"call:c1": key, "call:c0": key, "caml:c1": key})


def test_record_bound_to_its_context() -> None:
    keyring, key = ring(), DataKey.generate("call:c1")
    with pytest.raises(DecryptionError):
        keyring.decrypt(keyring.encrypt(PLAIN, aad=b"a", key=key), aad=b"b", keys={key.id: key})


async def test_stream_round_trip_and_shred() -> None:
    keyring, key = ring(), DataKey.generate("call:c1")
    data = os.urandom(5000)
    blob = b"".join(
        [c async for c in keyring.encrypt_stream(_aiter(data, 700), chunk_size=1024, key=key)]
    )
    assert blob[:4] == b"CTS2" and data_key_id(blob) == "call:c1"
    assert keyring.decrypt_stream_bytes(blob, keys={key.id: key}) == data
    with pytest.raises(KeyDestroyed):
        keyring.decrypt_stream_bytes(blob, keys={})
    tampered = bytearray(blob)
    tampered[12] ^= 0x01  # the chunk size / nonce prefix are authenticated too
    with pytest.raises(DecryptionError):
        keyring.decrypt_stream_bytes(bytes(tampered), keys={key.id: key})


async def test_stream_range_reads_with_a_keyed_header() -> None:
    keyring, key = ring(), DataKey.generate("call:c1")
    data = os.urandom(5000)
    chunks = [c async for c in keyring.encrypt_stream(_aiter(data, 999), chunk_size=1024, key=key)]
    blob = b"".join(chunks)
    dec = keyring.stream_decryptor(blob[:200], keys={key.id: key})
    a, b, first = dec.cipher_range(2100, 3000)
    plain = b"".join(dec.open_chunks(blob[a:b], first, 5000))
    assert plain[2100 - first * 1024 :][:900] == data[2100:3000]


async def test_old_formats_still_read() -> None:
    keyring = ring()
    assert keyring.decrypt(keyring.encrypt(PLAIN, aad=b"x"), aad=b"x") == PLAIN
    legacy = b"".join([c async for c in keyring.encrypt_stream(_aiter(PLAIN, 100))])
    assert legacy[:4] == b"CTS1" and data_key_id(legacy) is None
    assert keyring.decrypt_stream_bytes(legacy, keys={}) == PLAIN


def test_rotation_rewraps_the_key_and_old_ciphertext_still_opens() -> None:
    old_secret, new_secret = Keyring.generate_key(), Keyring.generate_key()
    old = Keyring.from_config(f"old:{old_secret}")
    key = DataKey.generate("call:c1")
    blob, wrapped = old.encrypt(PLAIN, key=key), old.wrap(key)
    rotating = Keyring.from_config(f"new:{new_secret},old:{old_secret}")
    rewrapped = rotating.wrap(rotating.unwrap(wrapped))
    assert rewrapped.master_kid == "new"
    retired = Keyring.from_config(f"new:{new_secret}")  # the old master key is gone
    opened = retired.unwrap(rewrapped)
    assert retired.decrypt(blob, keys={opened.id: opened}) == PLAIN
    with pytest.raises(DecryptionError, match="unknown master key"):
        retired.unwrap(wrapped)


def test_a_wrapped_key_is_bound_to_its_id() -> None:
    keyring, key = ring(), DataKey.generate("call:c1")
    wrapped = keyring.wrap(key)
    swapped = type(wrapped)("call:c2", wrapped.master_kid, wrapped.wrapped)
    with pytest.raises(DecryptionError):
        keyring.unwrap(swapped)


def test_data_key_never_shows_its_material() -> None:
    key = DataKey.generate("user:u1")
    assert key.material.hex() not in repr(key) and "user:u1" in repr(key)
