"""Object storage through aioboto3: streamed multipart uploads, ranged reads, object references.

Objects cross service boundaries as ``ObjectRef`` (bucket and key) in events; the reader
fetches them with its own client (``S3Store.read``), so an event stays readable when S3
moves to another address, and unreadable once the object is erased.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aioboto3
from botocore.config import Config
from botocore.exceptions import ClientError

from clashtor_common.events.schemas import ObjectRef
from clashtor_common.settings import ServiceSettings

MIN_PART_SIZE = 5 * 1024 * 1024
DEFAULT_PART_SIZE = 8 * 1024 * 1024
DEFAULT_IN_FLIGHT = 3
_GONE = ("NoSuchKey", "NoSuchBucket", "404")
log = logging.getLogger(__name__)


class ObjectNotFound(LookupError):
    pass


@dataclass(frozen=True)
class StoredObject:
    key: str
    modified: datetime


@dataclass(frozen=True)
class PendingUpload:
    """A multipart upload started and neither completed nor aborted (its parts use space)."""

    key: str
    upload_id: str
    initiated: datetime


class S3Store:
    """One bucket of one service."""

    def __init__(self, settings: ServiceSettings, bucket: str | None = None) -> None:
        self.settings = settings
        self.bucket = bucket or settings.s3_bucket
        self._session = aioboto3.Session()
        self._config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            # Few attempts: a caller that cannot wait gets a fast 503, the bus retries the rest.
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
        )
        # Multipart parts carry the CRC32 checksum botocore sends with them (a signed
        # header), and what we upload is AES-GCM ciphertext; hashing each part again for
        # the signature (botocore does over plain http, never over https with a
        # checksum) cost a SHA-256 pass over every uploaded byte on the event loop.
        self._parts_config = self._config.merge(
            Config(s3={"addressing_style": "path", "payload_signing_enabled": False})
        )
        self._bucket_ready = False

    @asynccontextmanager
    async def client(self, *, parts: bool = False) -> AsyncIterator[Any]:
        """A client; ``parts``: the one multipart uploads send their parts with."""
        async with self._session.client(
            "s3",
            endpoint_url=self.settings.s3_endpoint,
            region_name=self.settings.s3_region,
            aws_access_key_id=self.settings.s3_access_key,
            aws_secret_access_key=self.settings.s3_secret_key.get_secret_value(),
            config=self._parts_config if parts else self._config,
        ) as client:
            yield client

    async def ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        async with self.client() as s3:
            try:
                await s3.head_bucket(Bucket=self.bucket)
            except ClientError:
                try:
                    await s3.create_bucket(Bucket=self.bucket)
                except ClientError as exc:
                    if "BucketAlready" not in str(exc):
                        raise
        self._bucket_ready = True

    async def ping(self) -> bool:
        try:
            async with self.client() as s3:
                await s3.list_buckets()
            return True
        except Exception:
            return False

    async def put_bytes(self, key: str, data: bytes) -> None:
        await self.ensure_bucket()
        async with self.client() as s3:
            await s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    async def upload_stream(
        self, key: str, chunks: AsyncIterable[bytes], part_size: int = DEFAULT_PART_SIZE
    ) -> int:
        """Multipart upload of a byte stream; aborted (nothing left behind) on any error."""
        async with self.multipart(key, part_size=part_size) as upload:
            async for chunk in chunks:
                await upload.write(chunk)
            return await upload.complete()

    @asynccontextmanager
    async def multipart(
        self, key: str, *, part_size: int = DEFAULT_PART_SIZE, in_flight: int = DEFAULT_IN_FLIGHT
    ) -> AsyncIterator[MultipartWriter]:
        """A multipart upload written piece by piece; **aborted unless ``complete`` was
        awaited** inside the block (an error, a refusal or a plain exit all abort it)."""
        async with self.client(parts=True) as s3:
            writer = MultipartWriter(self, s3, key, part_size=part_size, in_flight=in_flight)
            try:
                yield writer
            finally:
                if not writer.completed:
                    await writer.abort()

    async def upload_part(
        self, s3: Any, key: str, upload_id: str, number: int, body: bytes
    ) -> dict[str, Any]:
        """One part of a multipart upload (``MultipartWriter`` sends them)."""
        resp: dict[str, Any] = await s3.upload_part(
            Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
        )
        return resp

    async def get_bytes(self, key: str, byte_range: tuple[int, int] | None = None) -> bytes:
        """The object, or bytes ``[start, end)`` of it."""
        return await self._get(self.bucket, key, byte_range)

    def ref(self, key: str) -> ObjectRef:
        """How an event names ``key`` of this bucket."""
        return ObjectRef(bucket=self.bucket, key=key)

    async def read(self, ref: ObjectRef) -> bytes:
        """The object an event names, through this service's own client and credentials.

        Raises ``ObjectNotFound`` when it is gone (erased); S3 being unreachable raises
        botocore's connection errors, which ``clashtor_common.failures`` calls transient.
        """
        return await self._get(ref.bucket, ref.key, None)

    async def _get(self, bucket: str, key: str, byte_range: tuple[int, int] | None) -> bytes:
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if byte_range:
            kwargs["Range"] = f"bytes={byte_range[0]}-{byte_range[1] - 1}"
        async with self.client() as s3:
            try:
                resp = await s3.get_object(**kwargs)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in _GONE:
                    raise ObjectNotFound(f"{bucket}/{key}") from exc
                raise
            async with resp["Body"] as body:
                return await body.read()

    async def size(self, key: str) -> int | None:
        async with self.client() as s3:
            try:
                head = await s3.head_object(Bucket=self.bucket, Key=key)
            except ClientError:
                return None
            return int(head["ContentLength"])

    async def delete(self, key: str) -> None:
        async with self.client() as s3:
            await s3.delete_object(Bucket=self.bucket, Key=key)

    async def delete_many(self, keys: list[str]) -> int:
        """Delete several objects over one connection (a client per call costs ~40 ms)."""
        if not keys:
            return 0
        async with self.client() as s3:
            for key in keys:
                await s3.delete_object(Bucket=self.bucket, Key=key)
        return len(keys)

    async def delete_prefix(self, prefix: str) -> int:
        removed = 0
        async with self.client() as s3:
            async for obj in self._each_object(s3, prefix):
                await s3.delete_object(Bucket=self.bucket, Key=obj["Key"])
                removed += 1
        return removed

    async def list_keys(self, prefix: str = "") -> list[str]:
        return [found.key for found in await self.list_objects(prefix)]

    async def list_objects(self, prefix: str = "") -> list[StoredObject]:
        """Keys with their last-modified time (for sweeps that must spare young objects)."""
        async with self.client() as s3:
            return [
                StoredObject(obj["Key"], obj["LastModified"])
                async for obj in self._each_object(s3, prefix)
            ]

    async def _each_object(self, s3: Any, prefix: str) -> AsyncIterator[dict[str, Any]]:
        """Every object under ``prefix``, page after page, over the open client ``s3``."""
        paginator = s3.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                yield obj

    async def pending_uploads(self, prefix: str = "") -> list[PendingUpload]:
        async with self.client() as s3:
            resp = await s3.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix)
        return [
            PendingUpload(u["Key"], u["UploadId"], u["Initiated"]) for u in resp.get("Uploads", [])
        ]

    async def abort_upload(self, upload: PendingUpload) -> None:
        async with self.client() as s3:
            await s3.abort_multipart_upload(
                Bucket=self.bucket, Key=upload.key, UploadId=upload.upload_id
            )


class MultipartWriter:
    """One multipart upload fed piece by piece: every ``part_size`` bytes become a part,
    sent while the next ones are written, at most ``in_flight`` at a time (``write``
    waits for a free slot: memory stays bounded whatever the stream's length).

    The upload itself is created with the first part (a stream refused before its first
    part never reaches S3). ``S3Store.multipart`` aborts it unless ``complete`` returned.
    """

    def __init__(
        self, store: S3Store, s3: Any, key: str, *, part_size: int, in_flight: int
    ) -> None:
        self.store = store
        self.key = key
        self.part_size = max(part_size, MIN_PART_SIZE)
        self.size = 0
        self.completed = False
        self.aborted = False
        self._s3 = s3
        self._upload_id: str | None = None
        self._buffer = bytearray()
        self._slots = asyncio.Semaphore(max(in_flight, 1))
        self._sending: list[asyncio.Task[dict[str, Any]]] = []

    @property
    def upload_id(self) -> str | None:
        """None until the first part is sent."""
        return self._upload_id

    async def write(self, data: bytes) -> None:
        """Take ``data``; a part full by now is sent (after waiting for a free slot)."""
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) >= self.part_size:
            part = bytes(memoryview(self._buffer)[: self.part_size])
            del self._buffer[: self.part_size]
            await self._send(part)

    async def complete(self) -> int:
        """Send what is left, wait for every part, complete the upload; its size."""
        if self._buffer or not self._sending:
            await self._send(bytes(self._buffer))
            self._buffer.clear()
        parts = await asyncio.gather(*self._sending)
        await self._s3.complete_multipart_upload(
            Bucket=self.store.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": parts},
        )
        self.completed = True
        return self.size

    async def abort(self) -> None:
        """Stop sending and abort the upload (its parts are deleted). A failure to abort
        is logged: the orphan sweep aborts uploads left pending."""
        for task in self._sending:
            task.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)
        if self._upload_id is None or self.aborted:
            return
        self.aborted = True
        try:
            await self._s3.abort_multipart_upload(
                Bucket=self.store.bucket, Key=self.key, UploadId=self._upload_id
            )
        except Exception:
            log.exception("could not abort the multipart upload of %s", self.key)

    async def _send(self, body: bytes) -> None:
        if self.aborted:
            raise RuntimeError(f"the multipart upload of {self.key} was aborted")
        await self._slots.acquire()
        try:
            self._raise_failed()
            if self._upload_id is None:
                await self.store.ensure_bucket()
                created = await self._s3.create_multipart_upload(
                    Bucket=self.store.bucket, Key=self.key
                )
                self._upload_id = created["UploadId"]
        except BaseException:
            self._slots.release()
            raise
        number = len(self._sending) + 1
        self._sending.append(asyncio.create_task(self._upload_part(number, body)))

    async def _upload_part(self, number: int, body: bytes) -> dict[str, Any]:
        try:
            resp = await self.store.upload_part(
                self._s3, self.key, self._upload_id or "", number, body
            )
            return {"ETag": resp["ETag"], "PartNumber": number}
        finally:
            self._slots.release()

    def _raise_failed(self) -> None:
        """A part that failed ends the upload at the next write, not at the end."""
        for task in self._sending:
            if task.done() and not task.cancelled():
                error = task.exception()
                if error is not None:
                    raise error
