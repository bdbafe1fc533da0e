"""Object storage through aioboto3: streamed multipart uploads, ranged reads, object references.

Objects cross service boundaries as ``ObjectRef`` (bucket and key) in events; the reader
fetches them with its own client (``S3Store.read``), so an event stays readable when S3
moves to another address, and unreadable once the object is erased.
"""

from __future__ import annotations

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
_GONE = ("NoSuchKey", "NoSuchBucket", "404")


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
        self._bucket_ready = False

    @asynccontextmanager
    async def client(self) -> AsyncIterator[Any]:
        async with self._session.client(
            "s3",
            endpoint_url=self.settings.s3_endpoint,
            region_name=self.settings.s3_region,
            aws_access_key_id=self.settings.s3_access_key,
            aws_secret_access_key=self.settings.s3_secret_key.get_secret_value(),
            config=self._config,
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
        self, key: str, chunks: AsyncIterable[bytes], part_size: int = 8 * 1024 * 1024
    ) -> int:
        """Multipart upload of a byte stream; aborted (nothing left behind) on any error."""
        await self.ensure_bucket()
        part_size = max(part_size, MIN_PART_SIZE)
        size = 0
        async with self.client() as s3:
            upload = await s3.create_multipart_upload(Bucket=self.bucket, Key=key)
            upload_id = upload["UploadId"]
            parts: list[dict[str, Any]] = []
            buf = bytearray()
            try:
                async for chunk in chunks:
                    buf += chunk
                    size += len(chunk)
                    while len(buf) >= part_size:
                        await self._upload_part(s3, key, upload_id, parts, bytes(buf[:part_size]))
                        del buf[:part_size]
                if buf or not parts:
                    await self._upload_part(s3, key, upload_id, parts, bytes(buf))
                await s3.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
            except BaseException:
                await s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
                raise
        return size

    async def _upload_part(
        self, s3: Any, key: str, upload_id: str, parts: list[dict[str, Any]], body: bytes
    ) -> None:
        number = len(parts) + 1
        resp = await s3.upload_part(
            Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body
        )
        parts.append({"ETag": resp["ETag"], "PartNumber": number})

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
