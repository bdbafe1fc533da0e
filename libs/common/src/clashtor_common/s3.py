"""Object storage through aioboto3: streamed multipart uploads, ranged reads, presigned links."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aioboto3
import httpx
from botocore.config import Config
from botocore.exceptions import ClientError

from clashtor_common.settings import ServiceSettings

MIN_PART_SIZE = 5 * 1024 * 1024


class ObjectNotFound(LookupError):
    pass


class S3Store:
    """One bucket of one service."""

    def __init__(self, settings: ServiceSettings, bucket: str | None = None) -> None:
        self.settings = settings
        self.bucket = bucket or settings.s3_bucket
        self._session = aioboto3.Session()
        self._config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 5, "mode": "standard"},
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
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if byte_range:
            kwargs["Range"] = f"bytes={byte_range[0]}-{byte_range[1] - 1}"
        async with self.client() as s3:
            try:
                resp = await s3.get_object(**kwargs)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    raise ObjectNotFound(key) from exc
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
            paginator = s3.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for obj in page.get("Contents", []):
                    await s3.delete_object(Bucket=self.bucket, Key=obj["Key"])
                    removed += 1
        return removed

    async def list_keys(self, prefix: str = "") -> list[str]:
        keys: list[str] = []
        async with self.client() as s3:
            paginator = s3.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return keys

    async def presign_get(self, key: str, ttl_seconds: int | None = None) -> str:
        async with self.client() as s3:
            url: str = await s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": key},
                ExpiresIn=ttl_seconds or self.settings.presign_ttl_seconds,
            )
        return url


async def fetch_presigned(url: str, timeout: float = 120.0) -> bytes:
    """Download a presigned object; ObjectNotFound if it is gone (erased or expired)."""
    async with httpx.AsyncClient(timeout=timeout) as client:
        resp = await client.get(url)
    if resp.status_code in (403, 404):
        raise ObjectNotFound(f"object behind link is gone (HTTP {resp.status_code})")
    resp.raise_for_status()
    return resp.content
