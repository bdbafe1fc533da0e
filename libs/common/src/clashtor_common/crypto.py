"""AES-256-GCM envelope encryption: data keys wrapped by a master key.

Two shapes of ciphertext, each in two versions:

- record (``CTR2``, legacy ``CTR1``): one blob for a value up to a few MB (transcripts,
  names, JSON);
- stream (``CTS2``, legacy ``CTS1``): fixed-size chunks, each sealed with its index and
  a last-chunk flag in the associated data, so audio is encrypted while it streams, a
  reader can decrypt any byte range by fetching only the chunks it covers, and
  truncation or reordering is detected.

Version 2 (crypto-shredding): the header only *names* its data key (``call:<id>``,
``participant:<id>``...); the key itself is a row of the owning service's key table
(``clashtor_common.datakeys``), wrapped by the master key. Destroying that row makes
every copy of the ciphertext unreadable (S3 volumes, database pages and WAL, backups),
and a master-key rotation re-wraps the rows without touching the ciphertext: the
associated data is the magic, the key id and the stream parameters, never the wrapped
key. Version 1 carries its own wrapped data key in the header (and authenticates it),
so it can only be shredded by deleting every copy; it is still read (existing data)
and still written where a blob must open with the master key alone (export parts and
claim checks, short-lived objects read by another service).

Master keys are addressed by key id so they rotate: the first configured key
encrypts, every configured key decrypts. In production the master key lives in a KMS;
the ``Keyring`` is the seam where that client goes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

RECORD_MAGIC = b"CTR1"
STREAM_MAGIC = b"CTS1"
KEYED_RECORD_MAGIC = b"CTR2"
KEYED_STREAM_MAGIC = b"CTS2"
NONCE_SIZE = 12
TAG_SIZE = 16
DATA_KEY_SIZE = 32
DATA_KEY_ID_MAX = 120
DEFAULT_CHUNK_SIZE = 256 * 1024


class DecryptionError(ValueError):
    """Wrong key, unknown key id, destroyed data key, tampered or truncated ciphertext."""


class KeyDestroyed(DecryptionError):
    """The ciphertext names a data key that is not (any longer) in the key table."""


@dataclass(frozen=True)
class DataKey:
    """A plain data key, held only in memory; ``id`` is what ciphertext headers name."""

    id: str
    material: bytes = b""

    def __post_init__(self) -> None:
        if not self.id or len(self.id) > DATA_KEY_ID_MAX:
            raise ValueError(f"data key id must be 1..{DATA_KEY_ID_MAX} characters")
        if len(self.material) != DATA_KEY_SIZE:
            raise ValueError(f"data key {self.id!r} must be {DATA_KEY_SIZE} bytes")

    @classmethod
    def generate(cls, key_id: str) -> DataKey:
        return cls(key_id, AESGCM.generate_key(bit_length=256))

    def __repr__(self) -> str:  # never the material in logs or tracebacks
        return f"DataKey({self.id!r})"


@dataclass(frozen=True)
class WrappedKey:
    """A data key as stored: sealed by master key ``master_kid``, bound to its id."""

    id: str
    master_kid: str
    wrapped: bytes


DataKeys = Mapping[str, DataKey]
"""Data keys by id, as loaded from a key table for the ciphertext at hand."""


def data_key_id(blob: bytes) -> str | None:
    """The data-key id a version-2 record or stream header names; None for version 1."""
    if blob[:4] not in (KEYED_RECORD_MAGIC, KEYED_STREAM_MAGIC):
        return None
    (kid,), _ = _unpack(blob, 4, 1)
    return kid.decode()


def fingerprint(secret: str | bytes, value: str) -> str:
    """Keyed hash of a normalized identifier (an email), for lookups without the value."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()


def _pack(*parts: bytes) -> bytes:
    return b"".join(struct.pack(">H", len(p)) + p for p in parts)


def _unpack(buf: bytes, offset: int, count: int) -> tuple[list[bytes], int]:
    parts = []
    for _ in range(count):
        if offset + 2 > len(buf):
            raise DecryptionError("ciphertext header truncated")
        (n,) = struct.unpack_from(">H", buf, offset)
        offset += 2
        if offset + n > len(buf):
            raise DecryptionError("ciphertext header truncated")
        parts.append(buf[offset : offset + n])
        offset += n
    return parts, offset


class Keyring:
    """Master keys by id; wraps and unwraps per-record data keys."""

    def __init__(self, keys: dict[str, bytes], active: str) -> None:
        for kid, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"master key {kid!r} must be 32 bytes, got {len(key)}")
        if active not in keys:
            raise ValueError(f"active master key {active!r} is not configured")
        self._keys = keys
        self.active = active

    @classmethod
    def from_config(cls, spec: str) -> Keyring:
        """Parse ``kid:base64key[,kid:base64key...]``; the first key is the active one."""
        keys: dict[str, bytes] = {}
        for item in filter(None, (s.strip() for s in spec.split(","))):
            kid, _, b64 = item.partition(":")
            if not kid or not b64:
                raise ValueError("master keys must look like 'kid:base64key,...'")
            keys[kid] = base64.b64decode(b64)
        if not keys:
            raise ValueError("no master key configured")
        return cls(keys, next(iter(keys)))

    @staticmethod
    def generate_key() -> str:
        return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()

    # data keys held in key tables (version 2) ---------------------------------------------
    def wrap(self, key: DataKey) -> WrappedKey:
        """Seal ``key`` with the active master key, bound to its id (rows cannot be swapped)."""
        nonce = os.urandom(NONCE_SIZE)
        aad = _pack(self.active.encode(), key.id.encode())
        sealed = AESGCM(self._keys[self.active]).encrypt(nonce, key.material, aad)
        return WrappedKey(key.id, self.active, nonce + sealed)

    def unwrap(self, wrapped: WrappedKey) -> DataKey:
        master = self._keys.get(wrapped.master_kid)
        if master is None:
            raise DecryptionError(f"unknown master key id {wrapped.master_kid!r}")
        aad = _pack(wrapped.master_kid.encode(), wrapped.id.encode())
        blob = wrapped.wrapped
        try:
            material = AESGCM(master).decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], aad)
        except InvalidTag as exc:
            raise DecryptionError("data key does not unwrap: wrong master key") from exc
        return DataKey(wrapped.id, material)

    # data keys inside the ciphertext (version 1) -------------------------------------------
    def _wrap(self, dek: bytes, kid: str) -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        return nonce + AESGCM(self._keys[kid]).encrypt(nonce, dek, kid.encode())

    def _unwrap(self, kid: str, wrapped: bytes) -> bytes:
        key = self._keys.get(kid)
        if key is None:
            raise DecryptionError(f"unknown master key id {kid!r}")
        try:
            return AESGCM(key).decrypt(wrapped[:NONCE_SIZE], wrapped[NONCE_SIZE:], kid.encode())
        except InvalidTag as exc:
            raise DecryptionError("data key does not unwrap: wrong master key") from exc

    def _new_header(self, magic: bytes, extra: bytes = b"") -> tuple[bytes, bytes]:
        dek = AESGCM.generate_key(bit_length=256)
        kid = self.active
        header = magic + _pack(kid.encode(), self._wrap(dek, kid), extra)
        return header, dek

    def _read_header(self, blob: bytes, magic: bytes) -> tuple[bytes, bytes, bytes, int]:
        if blob[:4] != magic:
            raise DecryptionError("not a Clashtor ciphertext (bad magic)")
        (kid, wrapped, extra), end = _unpack(blob, 4, 3)
        dek = self._unwrap(kid.decode(), wrapped)
        return blob[:end], dek, extra, end

    def _read_keyed_header(
        self, blob: bytes, magic: bytes, count: int, keys: DataKeys | None
    ) -> tuple[bytes, bytes, list[bytes], int]:
        """Version 2: ``magic | key id | parameters``; the key comes from ``keys``."""
        if blob[:4] != magic:
            raise DecryptionError("not a Clashtor ciphertext (bad magic)")
        (kid, *extra), end = _unpack(blob, 4, count)
        key = (keys or {}).get(kid.decode())
        if key is None:
            raise KeyDestroyed(f"data key {kid.decode()!r} is destroyed or was never loaded")
        return blob[:end], key.material, extra, end

    # records ---------------------------------------------------------------------------
    def encrypt(self, plaintext: bytes, aad: bytes = b"", *, key: DataKey | None = None) -> bytes:
        """Version 2 under ``key`` (a key-table key); version 1 (self-keyed) without one."""
        if key is None:
            header, dek = self._new_header(RECORD_MAGIC)
        else:
            header, dek = KEYED_RECORD_MAGIC + _pack(key.id.encode()), key.material
        nonce = os.urandom(NONCE_SIZE)
        return header + nonce + AESGCM(dek).encrypt(nonce, plaintext, header + aad)

    def decrypt(self, blob: bytes, aad: bytes = b"", *, keys: DataKeys | None = None) -> bytes:
        """Either version; a version-2 record needs its data key in ``keys``."""
        if blob[:4] == KEYED_RECORD_MAGIC:
            header, dek, _, end = self._read_keyed_header(blob, KEYED_RECORD_MAGIC, 1, keys)
        else:
            header, dek, _, end = self._read_header(blob, RECORD_MAGIC)
        nonce, ct = blob[end : end + NONCE_SIZE], blob[end + NONCE_SIZE :]
        try:
            return AESGCM(dek).decrypt(nonce, ct, header + aad)
        except InvalidTag as exc:
            raise DecryptionError("ciphertext was tampered with or the context differs") from exc

    def encrypt_text(self, text: str, aad: bytes = b"", *, key: DataKey | None = None) -> bytes:
        return self.encrypt(text.encode(), aad, key=key)

    def decrypt_text(self, blob: bytes, aad: bytes = b"", *, keys: DataKeys | None = None) -> str:
        return self.decrypt(blob, aad, keys=keys).decode()

    # streams ---------------------------------------------------------------------------
    def stream_encryptor(
        self, chunk_size: int = DEFAULT_CHUNK_SIZE, *, key: DataKey | None = None
    ) -> StreamEncryptor:
        prefix = os.urandom(NONCE_SIZE - 5)
        params = struct.pack(">I", chunk_size) + prefix
        if key is None:
            header, dek = self._new_header(STREAM_MAGIC, params)
        else:
            header, dek = KEYED_STREAM_MAGIC + _pack(key.id.encode(), params), key.material
        return StreamEncryptor(header, AESGCM(dek), chunk_size, prefix)

    def stream_decryptor(
        self, header_bytes: bytes, *, keys: DataKeys | None = None
    ) -> StreamDecryptor:
        """``header_bytes``: at least the first ``STREAM_HEADER_MAX`` bytes of the object."""
        if header_bytes[:4] == KEYED_STREAM_MAGIC:
            header, dek, (extra,), _ = self._read_keyed_header(
                header_bytes, KEYED_STREAM_MAGIC, 2, keys
            )
        else:
            header, dek, extra, _ = self._read_header(header_bytes, STREAM_MAGIC)
        (chunk_size,) = struct.unpack(">I", extra[:4])
        return StreamDecryptor(header, AESGCM(dek), chunk_size, extra[4:])

    async def encrypt_stream(
        self,
        chunks: AsyncIterable[bytes],
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        *,
        key: DataKey | None = None,
    ) -> AsyncIterator[bytes]:
        """Re-chunk and encrypt an async byte stream; yields the header then sealed chunks."""
        enc = self.stream_encryptor(chunk_size, key=key)
        yield enc.header
        async for piece in chunks:
            sealed = enc.update(piece)
            if sealed:
                yield sealed
        yield enc.finalize()

    def decrypt_stream_bytes(self, blob: bytes, *, keys: DataKeys | None = None) -> bytes:
        """Whole-object decryption (tests, small objects)."""
        dec = self.stream_decryptor(blob[:STREAM_HEADER_MAX], keys=keys)
        return b"".join(dec.open_all(blob[len(dec.header) :]))


STREAM_HEADER_MAX = 4 + 2 + 64 + 2 + NONCE_SIZE + 48 + 2 + 4 + NONCE_SIZE
assert 4 + 2 + DATA_KEY_ID_MAX + 2 + 4 + NONCE_SIZE <= STREAM_HEADER_MAX  # version 2 fits


def _chunk_nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">I?", index, last)


@dataclass
class StreamEncryptor:
    """Seals a stream chunk by chunk: ``seal`` one chunk, or push any pieces through
    ``update`` and end with ``finalize`` (the header is not included in either)."""

    header: bytes
    aead: AESGCM
    chunk_size: int
    prefix: bytes
    index: int = 0
    _pending: bytearray = field(default_factory=bytearray, repr=False)

    def seal(self, chunk: bytes | memoryview, *, last: bool) -> bytes:
        if len(chunk) > self.chunk_size:
            raise ValueError("chunk larger than the stream's chunk size")
        nonce = _chunk_nonce(self.prefix, self.index, last)
        self.index += 1
        return self.aead.encrypt(nonce, chunk, self.header)

    def update(self, data: bytes) -> bytes:
        """The sealed chunks ``data`` completes. A full chunk is held back until more
        data follows it: only ``finalize`` knows which chunk is the last."""
        self._pending += data
        ready = (len(self._pending) - 1) // self.chunk_size if self._pending else 0
        if not ready:
            return b""
        view = memoryview(self._pending)
        size = self.chunk_size
        sealed = b"".join(
            self.seal(view[n * size : (n + 1) * size], last=False) for n in range(ready)
        )
        view.release()
        del self._pending[: ready * size]
        return sealed

    def finalize(self) -> bytes:
        """The last chunk (possibly empty), sealed as the last."""
        last = self.seal(bytes(self._pending), last=True)
        self._pending.clear()
        return last


@dataclass
class StreamDecryptor:
    header: bytes
    aead: AESGCM
    chunk_size: int
    prefix: bytes

    @property
    def sealed_chunk_size(self) -> int:
        return self.chunk_size + TAG_SIZE

    def plaintext_size(self, object_size: int) -> int:
        body = object_size - len(self.header)
        full, rest = divmod(body, self.sealed_chunk_size)
        if rest == 0 and full:  # the last chunk was exactly full
            return full * self.chunk_size
        if rest < TAG_SIZE:
            raise DecryptionError("encrypted stream truncated")
        return full * self.chunk_size + rest - TAG_SIZE

    def cipher_range(self, start: int, end: int) -> tuple[int, int, int]:
        """Object byte range ``[a, b)`` covering plaintext ``[start, end)``, and its first chunk."""
        first, last = start // self.chunk_size, max(end - 1, start) // self.chunk_size
        a = len(self.header) + first * self.sealed_chunk_size
        b = len(self.header) + (last + 1) * self.sealed_chunk_size
        return a, b, first

    def open(self, sealed: bytes, index: int, *, last: bool) -> bytes:
        try:
            return self.aead.decrypt(_chunk_nonce(self.prefix, index, last), sealed, self.header)
        except InvalidTag as exc:
            raise DecryptionError(f"chunk {index} was tampered with or is out of place") from exc

    def open_chunks(self, body: bytes, first_index: int, total_plain: int) -> Iterable[bytes]:
        """Open consecutive sealed chunks starting at ``first_index``."""
        last_index = max(total_plain - 1, 0) // self.chunk_size
        for n, off in enumerate(range(0, max(len(body), 1), self.sealed_chunk_size)):
            index = first_index + n
            piece = body[off : off + self.sealed_chunk_size]
            if not piece and index != last_index:
                break
            yield self.open(piece, index, last=index == last_index)
            if index == last_index:
                break

    def open_all(self, body: bytes) -> Iterable[bytes]:
        total = self.plaintext_size(len(self.header) + len(body))
        return self.open_chunks(body, 0, total)
