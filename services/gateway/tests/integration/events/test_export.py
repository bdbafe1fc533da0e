"""export-requested: the account data part goes to S3 encrypted, named by bucket and key;
a later erasure deletes that object too."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from clashtor_common.crypto import Keyring
from clashtor_common.events import (
    ExportRequested,
    Subject,
    Topic,
    make_event,
    parse_envelope,
)
from clashtor_common.outbox import OutboxRecord
from clashtor_common.s3 import ObjectNotFound
from clashtor_common.testing.events import erasure_requested

pytestmark = pytest.mark.slow


def _consumer(api: Any, topic: Topic) -> Any:
    return next(c for c in api.app.state.runtime.consumers if c.topic == topic.value)


async def _parts(api: Any, request_id: str) -> list[Any]:
    async with api.app.state.gateway.db.session() as session:
        rows = (await session.execute(select(OutboxRecord))).scalars().all()
    return [
        parse_envelope(r.payload).payload()
        for r in rows
        if r.topic == Topic.EXPORT_PART_READY.value and request_id in r.payload.decode()
    ]


async def test_export_part_is_encrypted_at_rest_and_erased_later(
    make_api: Any, s3_settings: dict[str, Any]
) -> None:
    api = await make_api(**s3_settings, s3_bucket=f"gw-{uuid.uuid4().hex[:8]}")
    owner = await api.signup()
    rep = await api.invite(owner, "rep", name="Rita Rep")
    await api.api_key(rep)
    request_id = str(uuid.uuid4())
    await _consumer(api, Topic.EXPORT_REQUESTED).apply(
        make_event(
            ExportRequested(request_id=request_id, subject=Subject(type="user", id=rep.user_id)),
            source="privacy",
            org_id=owner.org_id,
        )
    )
    (part,) = await _parts(api, request_id)
    assert part.service == "gateway" and part.status == "ready" and part.items == 1
    assert part.part is not None
    store = api.app.state.gateway.exports.store
    blob = await store.read(part.part)
    assert rep.email.encode() not in blob and b"Rita Rep" not in blob  # ciphertext only
    keyring = Keyring.from_config(api.app.state.gateway.settings.master_keys.get_secret_value())
    data = json.loads(keyring.decrypt(blob))
    assert data["request_id"] and data["subject"]["type"] and data["files"] == {}
    (user,) = data["items"]
    assert user["kind"] == "user"
    assert user["id"] == rep.user_id and user["email"] == rep.email and user["name"] == "Rita Rep"
    assert [k["prefix"][:8] for k in user["api_keys"]] == ["ck_test_"]
    assert "key_hash" not in json.dumps(data) and "password" not in json.dumps(data)

    await _consumer(api, Topic.ERASURE_REQUESTED).apply(
        make_event(erasure_requested("user", rep.user_id), source="privacy", org_id=owner.org_id)
    )
    with pytest.raises(ObjectNotFound):
        await store.read(part.part)


async def test_nothing_to_export_announces_an_empty_part(
    make_api: Any, s3_settings: dict[str, Any]
) -> None:
    api = await make_api(**s3_settings)
    owner = await api.signup()
    request_id = str(uuid.uuid4())
    await _consumer(api, Topic.EXPORT_REQUESTED).apply(
        make_event(
            ExportRequested(request_id=request_id, subject=Subject(type="call", id="c1")),
            source="privacy",
            org_id=owner.org_id,
        )
    )
    (part,) = await _parts(api, request_id)
    assert part.part is None and part.items == 0 and part.status == "ready"
