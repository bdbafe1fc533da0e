"""Hole 8: a user's own GDPR export failed whenever the subject had a user account,
because the gateway's part broke the bundle format. Every part now has the one shape
(``tests/contract/schemas/export-part.v1.json``, checked in ``tests/contract``)."""

from __future__ import annotations

import io
import json
import time
import zipfile

from ..e2e.client import POLL_SECONDS
from ..e2e.stack import Stack
from .actors import Browser


def test_a_users_own_export_completes_with_their_account_data(stack: Stack) -> None:
    owner = Browser(stack.gateway).signup()
    resp = owner.privacy("export", {"type": "user", "id": owner.id})
    assert resp.status_code == 202, resp.text
    request_id = resp.json()["id"]
    deadline = time.monotonic() + 120
    while True:
        req = owner.http.get(f"/v1/privacy/requests/{request_id}").json()
        if req["status"] in ("completed", "failed") or time.monotonic() > deadline:
            break
        time.sleep(POLL_SECONDS)
    assert req["status"] == "completed", req
    bundle = owner.http.get(req["download_url"])
    assert bundle.status_code == 200
    assert bundle.headers["cache-control"] == "private, no-store"
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        gateway_part = json.loads(archive.read("gateway.json"))
    (record,) = gateway_part["items"]
    assert record["id"] == owner.id and record["email"] == owner.email
