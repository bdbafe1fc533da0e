"""Zapier REST hooks: subscribe, receive on the webhook machinery, sample, unsubscribe."""

from __future__ import annotations

import uuid

import pytest

from clashtor_common.events import CallScored
from clashtor_common.testing.waiting import wait_until

from .conftest import Api, Publisher
from .receiver import Receiver

pytestmark = pytest.mark.slow


async def test_a_zap_subscribes_receives_and_unsubscribes(
    api: Api, publisher: Publisher, receiver: Receiver
) -> None:
    org = f"org-{uuid.uuid4().hex[:12]}"
    resp = await api.call(
        "POST",
        "/internal/zapier/hooks",
        org,
        json={"hook_url": receiver.url, "event": "call.scored"},
    )
    assert resp.status_code == 201, resp.text
    hook = resp.json()
    listed = (await api.call("GET", "/internal/webhooks", org)).json()["items"]
    assert [(h["id"], h["source"]) for h in listed] == [(hook["id"], "zapier")]

    receiver.verifies = False  # Zapier does not check signatures
    call_id = str(uuid.uuid4())
    await publisher.publish(
        CallScored(call_id=call_id, uploader_id="u1", overall_score=60, engine="local"),
        org=org,
        key=call_id,
    )
    [got] = await wait_until(lambda: receiver.for_subject(call_id), timeout=60)
    sample = (await api.call("GET", "/internal/zapier/samples/call.scored", org)).json()
    assert set(sample[0]) == set(got.body["data"])  # the sample has the real fields

    gone = await api.call("DELETE", f"/internal/zapier/hooks/{hook['id']}", org)
    assert gone.status_code == 204
    assert (await api.call("GET", "/internal/webhooks", org)).json()["items"] == []


async def test_zapier_refuses_private_hooks_and_cannot_delete_other_webhooks(
    api: Api, receiver: Receiver
) -> None:
    org = f"org-{uuid.uuid4().hex[:12]}"
    private = await api.call(
        "POST",
        "/internal/zapier/hooks",
        org,
        json={"hook_url": "http://10.1.1.1/hook", "event": "call.failed"},
    )
    assert private.status_code == 422 and private.json()["error"]["code"] == "target_refused"
    plain = await api.call(
        "POST",
        "/internal/webhooks",
        org,
        json={"url": receiver.url, "event_types": ["call.failed"]},
    )
    resp = await api.call("DELETE", f"/internal/zapier/hooks/{plain.json()['id']}", org)
    assert resp.status_code == 404
    assert (await api.call("GET", "/internal/zapier/samples/call.nope", org)).status_code == 422
