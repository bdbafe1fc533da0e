"""The retry schedule lives in the database: a new process (a fresh engine on the same
file) sends what an old one had scheduled, and leaves alone what is not due yet."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clashtor_common.crypto import Keyring
from clashtor_common.db import Database
from clashtor_common.embedded import free_port
from integrations.adapters.credentials import Credentials, new_secret
from integrations.adapters.sender import WebhookSender
from integrations.adapters.tables import TABLES, WebhookDelivery, WebhookSubscription
from integrations.domain.retries import RetryPolicy
from integrations.domain.targets import parse_networks
from integrations.service_layer.dispatch import Dispatcher

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from receiver import Receiver

KEYRING = Keyring.from_config(f"t1:{Keyring.generate_key()}")


async def _schedule(db: Database, url: str, secret: str) -> None:
    """What the old process left: one delivery due (its lease ran out), one not yet."""
    creds = Credentials(KEYRING)
    now = datetime.now(UTC)
    async with db.session() as session:
        session.add(
            WebhookSubscription(
                id="sub-1",
                org_id="org-1",
                url_enc=creds.seal_url("sub-1", url),
                event_types=["call.scored"],
                secret_enc=creds.seal_secret("sub-1", secret),
                created_by="user-1",
            )
        )
        await session.flush()
        for msg_id, due in (
            ("msg_due", now - timedelta(seconds=1)),
            ("msg_later", now + timedelta(hours=1)),
        ):
            session.add(
                WebhookDelivery(
                    id=msg_id,
                    org_id="org-1",
                    subscription_id="sub-1",
                    event_type="call.scored",
                    event_id=msg_id,
                    subject_id="call-1",
                    payload=json.dumps({"type": "call.scored", "data": {"call_id": msg_id}}),
                    attempts=2,
                    failures=2,
                    next_attempt_at=due,
                )
            )


async def test_a_restarted_dispatcher_sends_what_was_due_and_only_that(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'integrations.db'}"
    secret = new_secret()
    receiver = Receiver(free_port(), secrets=[secret]).start()
    before = Database(url)
    await before.create_all(*TABLES)
    await _schedule(before, receiver.url, secret)
    await before.dispose()  # the old process is gone

    after = Database(url)
    sender = WebhookSender(allowed=parse_networks(["127.0.0.1/32"]), timeout=5)
    dispatcher = Dispatcher(
        after,
        RetryPolicy(initial=1, max_interval=10, window=timedelta(days=3)),
        sender=sender,
        credentials=Credentials(KEYRING),
        batch=10,
        lease=timedelta(seconds=60),
        poll_seconds=0,
    )
    try:
        assert await dispatcher.run_until_idle() == 1
        assert [r.msg_id for r in receiver.accepted] == ["msg_due"]
        async with after.session() as session:
            due = await session.get(WebhookDelivery, "msg_due")
            later = await session.get(WebhookDelivery, "msg_later")
        assert due is not None and (due.status, due.attempts) == ("delivered", 3)
        assert later is not None and (later.status, later.attempts) == ("pending", 2)
    finally:
        receiver.stop()
        await sender.aclose()
        await after.dispose()
