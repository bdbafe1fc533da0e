"""What someone holding the disks, the topics and the master keys can read: a raw-byte scan.

It does what an attacker with those would do, without the services' code paths:

- keys: every wrapped data key an event carries (``{id, master_kid, wrapped}``), and every
  key-table row left anywhere in a file's bytes (SQLite pages, WAL frames, freed space),
  found by its id followed by its master key id, unwrapped with the master keys;
- ciphertext: every ``CTR1``/``CTR2``/``CTS1``/``CTS2`` header in every byte of every
  file and record. Version 1 opens with the master key alone; version 2 with any key found
  for the id it names. AES-GCM is AES-CTR plus a tag, so the scan decrypts with CTR from
  the nonce on: no associated data, no exact length, no tag needed (a torn or partly
  overwritten copy still yields its plaintext);
- findings: a needle (an email, a phrase) in the plaintext, raw or zlib-inflated, or an
  audio file's signature at the start of a stream's first chunk.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12
MAGICS = (b"CTR1", b"CTR2", b"CTS1", b"CTS2")
AUDIO = (b"RIFF", b"OggS", b"fLaC", b"ID3", b"\x1aE\xdf\xa3")
WINDOW = 2 * 1024 * 1024  # plaintext looked at per record (a transcript is far smaller)
KEY_ID = re.compile(rb"(?:call|participant|user|invitation|org):[0-9a-f-]{36}")
FIELD_GAP = 4
"""Bytes a database may put between a row's columns: a PostgreSQL tuple has a varlena
header (1 or 4 bytes, aligned) before each; SQLite's record puts none."""


def _pack(*parts: bytes) -> bytes:
    return b"".join(struct.pack(">H", len(p)) + p for p in parts)


def _fields(buf: bytes, offset: int, count: int) -> tuple[list[bytes], int] | None:
    parts = []
    for _ in range(count):
        if offset + 2 > len(buf):
            return None
        (n,) = struct.unpack_from(">H", buf, offset)
        offset += 2
        if n > 256 or offset + n > len(buf):
            return None
        parts.append(buf[offset : offset + n])
        offset += n
    return parts, offset


def _ctr(key: bytes, nonce: bytes, data: bytes) -> bytes:
    """AES-GCM's keystream for the plaintext starts at counter 2 of ``nonce``."""
    decryptor = Cipher(algorithms.AES(key), modes.CTR(nonce + b"\x00\x00\x00\x02")).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def _inflated(plain: bytes) -> bytes:
    try:
        return zlib.decompressobj().decompress(plain)
    except zlib.error:
        return b""


@dataclass
class RawScan:
    master_keys: dict[str, bytes]
    needles: list[bytes]
    keys: dict[str, set[bytes]] = field(default_factory=dict)
    """Data keys recovered, by id (a destroyed row may survive in several places)."""

    @classmethod
    def with_keys(cls, spec: str, needles: Iterable[str]) -> RawScan:
        masters = {}
        for item in filter(None, spec.split(",")):
            kid, _, b64 = item.partition(":")
            masters[kid] = base64.b64decode(b64)
        return cls(masters, [n.lower().encode() for n in needles])

    # keys ---------------------------------------------------------------------------------
    def _unwrap(self, key_id: bytes, kid: bytes, wrapped: bytes) -> bytes | None:
        master = self.master_keys.get(kid.decode(errors="replace"))
        if master is None or len(wrapped) != NONCE + 32 + 16:
            return None
        try:
            return AESGCM(master).decrypt(wrapped[:NONCE], wrapped[NONCE:], _pack(kid, key_id))
        except InvalidTag:
            return None

    def _add(self, key_id: bytes, material: bytes | None) -> None:
        if material is not None:
            self.keys.setdefault(key_id.decode(), set()).add(material)

    def keys_in_event(self, value: Any) -> None:
        if isinstance(value, dict):
            if {"id", "master_kid", "wrapped"} <= set(value):
                wrapped = base64.b64decode(str(value["wrapped"]))
                key_id = str(value["id"]).encode()
                self._add(key_id, self._unwrap(key_id, str(value["master_kid"]).encode(), wrapped))
            for inner in value.values():
                self.keys_in_event(inner)
        elif isinstance(value, list):
            for inner in value:
                self.keys_in_event(inner)

    def keys_in_bytes(self, blob: bytes) -> None:
        """A key-table row is stored as its id, its master key id, then the wrapped key
        (with up to ``FIELD_GAP`` bytes of column headers between them)."""
        for match in KEY_ID.finditer(blob):
            for kid in self.master_keys:
                k = kid.encode()
                for gap in range(FIELD_GAP + 1):
                    after = match.end() + gap
                    if blob[after : after + len(k)] != k:
                        continue
                    start = after + len(k)
                    for skew in range(FIELD_GAP + 1):
                        wrapped = blob[start + skew : start + skew + NONCE + 48]
                        self._add(match.group(), self._unwrap(match.group(), k, wrapped))

    # ciphertext ---------------------------------------------------------------------------
    def _candidates(self, blob: bytes, at: int) -> Iterator[tuple[bytes, int, bytes]]:
        """(data key, end of header, stream parameters) for the header at ``at``."""
        magic = blob[at : at + 4]
        if magic in (b"CTR1", b"CTS1"):
            parsed = _fields(blob, at + 4, 3)
            if parsed:
                (kid, wrapped, extra), end = parsed
                master = self.master_keys.get(kid.decode(errors="replace"))
                if master and len(wrapped) > NONCE:
                    try:
                        dek = AESGCM(master).decrypt(wrapped[:NONCE], wrapped[NONCE:], kid)
                        yield dek, end, extra
                    except InvalidTag:
                        pass
        else:
            count = 1 if magic == b"CTR2" else 2
            parsed = _fields(blob, at + 4, count)
            if parsed:
                fields, end = parsed
                extra = fields[1] if count == 2 else b""
                for dek in self.keys.get(fields[0].decode(errors="replace"), ()):
                    yield dek, end, extra

    def read(self, blob: bytes) -> set[str]:
        """Needles (and ``<audio>``) recoverable from ``blob``."""
        found: set[str] = set()
        for magic in MAGICS:
            for at in (m.start() for m in re.finditer(re.escape(magic), blob)):
                for dek, end, extra in self._candidates(blob, at):
                    if magic.startswith(b"CTR"):
                        nonce = blob[end : end + NONCE]
                        plain = _ctr(dek, nonce, blob[end + NONCE : end + NONCE + WINDOW])
                        text = (plain + b"|" + _inflated(plain)).lower()
                        found |= {n.decode() for n in self.needles if n in text}
                    elif len(extra) == 4 + 7:
                        prefix = extra[4:]
                        for last in (False, True):
                            nonce = prefix + struct.pack(">I?", 0, last)
                            head = _ctr(dek, nonce, blob[end : end + 64])
                            if head.startswith(AUDIO) or head[4:8] == b"ftyp":
                                found.add("<audio>")
        return found


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots for p in sorted(root.rglob("*")) if p.is_file()]


def sqlite_files(urls: Iterable[str]) -> list[Path]:
    """Every SQLite database file with its WAL and shared-memory file."""
    paths = []
    for url in urls:
        base = Path(url.split("///", 1)[1])
        paths += [p for p in (base, Path(f"{base}-wal"), Path(f"{base}-shm")) if p.exists()]
    return paths


def scan(scanner: RawScan, files: list[Path], records: dict[str, bytes]) -> dict[str, set[str]]:
    """``{where: what is recoverable there}`` over files and topic records."""
    blobs = {}
    for p in files:
        try:
            blobs[str(p)] = p.read_bytes()
        except FileNotFoundError:  # removed since listed (a WAL segment at a checkpoint)
            continue
    for value in records.values():
        try:
            scanner.keys_in_event(json.loads(value))
        except ValueError:
            pass
    for blob in [*blobs.values(), *records.values()]:
        scanner.keys_in_bytes(blob)
    found = {where: scanner.read(blob) for where, blob in {**blobs, **records}.items()}
    return {where: what for where, what in found.items() if what}
