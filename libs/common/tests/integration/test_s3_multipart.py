"""Multipart uploads on the real S3: parts go out while the stream is still written, at
most ``in_flight`` at once, assembled in order; an upload not completed leaves nothing."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import pytest

from clashtor_common.s3 import MIN_PART_SIZE, S3Store
from clashtor_common.settings import ServiceSettings
from clashtor_common.testing.apps import settings_for_tests

PART = MIN_PART_SIZE


class GatedStore(S3Store):
    """Parts wait at a gate the test opens (so "in flight" is a state, not a timing), and
    part ``fail_at`` fails as S3 would."""

    def __init__(self, settings: ServiceSettings) -> None:
        super().__init__(settings)
        self.gate = asyncio.Event()
        self.in_flight = 0
        self.most_in_flight = 0
        self.fail_at: int | None = None

    async def upload_part(
        self, s3: Any, key: str, upload_id: str, number: int, body: bytes
    ) -> dict[str, Any]:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.gate.wait()
            if number == self.fail_at:
                raise ConnectionError(f"injected: part {number} lost")
            return await super().upload_part(s3, key, upload_id, number, body)
        finally:
            self.in_flight -= 1


@pytest.fixture
def store(s3_settings: dict[str, Any]) -> GatedStore:
    settings = settings_for_tests(
        ServiceSettings, "s3lib", "127.0.0.1:1", "sqlite+aiosqlite://", s3_settings
    )
    return GatedStore(settings)


async def settle() -> None:
    """Let every task that can run, run (the parts reach the gate)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def pending(store: S3Store, key: str) -> list[str]:
    return [u.upload_id for u in await store.pending_uploads() if u.key == key]


async def test_parts_go_out_while_writing_at_most_in_flight_and_assemble_in_order(
    store: GatedStore,
) -> None:
    key = f"k/{uuid.uuid4().hex}"
    data = os.urandom(3 * PART + 12345)
    async with store.multipart(key, part_size=PART, in_flight=2) as upload:
        await upload.write(data[: 2 * PART])  # two parts sent, both held at the gate
        await settle()
        assert store.in_flight == 2
        third = asyncio.create_task(upload.write(data[2 * PART :]))
        await settle()
        assert not third.done(), "a third part waits for a free slot: memory stays bounded"
        store.gate.set()
        await third
        assert await upload.complete() == len(data)
    assert store.most_in_flight == 2
    assert await store.get_bytes(key) == data
    assert await pending(store, key) == []


async def test_a_failed_part_aborts_the_upload_and_leaves_nothing(store: GatedStore) -> None:
    key = f"k/{uuid.uuid4().hex}"
    store.fail_at = 2
    store.gate.set()
    with pytest.raises(ConnectionError, match="part 2"):
        async with store.multipart(key, part_size=PART, in_flight=2) as upload:
            for _ in range(6 * 5):
                await upload.write(os.urandom(1024 * 1024))
            await upload.complete()
    assert await pending(store, key) == []
    assert await store.size(key) is None


async def test_an_upload_left_without_complete_is_aborted(store: GatedStore) -> None:
    """How a refused upload ends: its parts reached S3, the object never exists."""
    key = f"k/{uuid.uuid4().hex}"
    store.gate.set()
    async with store.multipart(key, part_size=PART) as upload:
        await upload.write(os.urandom(2 * PART))
        assert upload.upload_id in await pending(store, key)
    assert await pending(store, key) == []
    assert await store.size(key) is None
