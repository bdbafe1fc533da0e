"""Look everywhere for personal data: every table of every service, every S3 object, every event."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from clashtor_common.ops.replay import list_topics, read_topics

from .stack import Stack


def _hits(blob: bytes, needles: Iterable[bytes]) -> set[bytes]:
    low = blob.lower()
    return {n for n in needles if n.lower() in low}


async def _scan_database(url: str, needles: list[bytes]) -> dict[str, set[bytes]]:
    engine = create_async_engine(url)
    found: dict[str, set[bytes]] = {}
    try:
        async with engine.connect() as conn:
            meta = MetaData()
            await conn.run_sync(meta.reflect)
            for table in meta.sorted_tables:
                for row in (await conn.execute(table.select())).all():
                    blob = b"|".join(
                        v if isinstance(v, bytes) else str(v).encode() for v in row if v is not None
                    )
                    if hits := _hits(blob, needles):
                        found.setdefault(table.name, set()).update(hits)
    finally:
        await engine.dispose()
    return found


async def _scan_s3(stack: Stack, needles: list[bytes]) -> dict[str, set[bytes]]:
    assert stack.s3
    found: dict[str, set[bytes]] = {}
    async with stack.s3.async_client() as s3:
        for bucket in (await s3.list_buckets())["Buckets"]:
            paginator = s3.get_paginator("list_objects_v2")
            async for page in paginator.paginate(Bucket=bucket["Name"]):
                for obj in page.get("Contents", []):
                    body = await (await s3.get_object(Bucket=bucket["Name"], Key=obj["Key"]))[
                        "Body"
                    ].read()
                    hits = _hits(body, needles)
                    if body[:4] in (b"RIFF", b"fLaC", b"OggS") or body[:3] == b"ID3" or hits:
                        found[f"{bucket['Name']}/{obj['Key']}"] = hits or {b"<plain audio>"}
    return found


async def _scan_topics(stack: Stack, needles: list[bytes]) -> dict[str, set[bytes]]:
    found: dict[str, set[bytes]] = {}
    topics = [t for t in await list_topics(stack.kafka_bootstrap) if not t.startswith("__")]
    for topic, records in (await read_topics(stack.kafka_bootstrap, topics)).items():
        for record in records:
            blob = record.value + b"|".join(v.encode() for v in record.headers.values())
            if hits := _hits(blob, needles):
                found.setdefault(topic, set()).update(hits)
    return found


def scan_everything(stack: Stack, needles: list[str]) -> dict[str, dict[str, set[bytes]]]:
    """``{place: {where: needles found}}`` over databases, S3 objects and topics."""
    raw = [n.encode() for n in needles]

    async def run() -> dict[str, dict[str, set[bytes]]]:
        result: dict[str, dict[str, set[bytes]]] = {}
        for name, url in stack.database_urls.items():
            if hits := await _scan_database(url, raw):
                result[f"db:{name}"] = hits
        if hits := await _scan_s3(stack, raw):
            result["s3"] = hits
        if hits := await _scan_topics(stack, raw):
            result["topics"] = hits
        return result

    return asyncio.run(run())
