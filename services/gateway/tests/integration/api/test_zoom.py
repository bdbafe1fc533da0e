"""/v1/integrations/zoom forwarded to integrations: the browser's way in and back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any


async def test_connecting_leads_to_zoom_or_back_to_settings_with_the_reason(
    api: Any, fake_state: Any
) -> None:
    owner = await api.signup()
    started = await owner.client.get("/v1/integrations/zoom/authorize")
    assert started.status_code == 302
    assert started.headers["location"].startswith("https://zoom.example/oauth/authorize")

    # Zoom not configured on this server: the admin lands on the settings page, told why
    fake_state.fail_next("POST", "/internal/zoom/authorize", 409)
    refused = await owner.client.get("/v1/integrations/zoom/authorize")
    assert refused.status_code == 302
    assert refused.headers["location"] == "/settings/integrations?zoom=error&reason=scripted"

    back = await owner.client.get("/v1/integrations/zoom/callback", params={"error": "denied"})
    assert back.headers["location"] == "/settings/integrations?zoom=error&reason=denied"


async def test_reps_may_not_connect_zoom(api: Any) -> None:
    _owner, rep = await api.team("rep")
    assert (await rep.client.get("/v1/integrations/zoom/authorize")).status_code == 403
    assert (await rep.client.get("/v1/integrations/zoom")).status_code == 403


async def test_a_notification_nested_too_deep_is_refused_not_a_500(api: Any) -> None:
    """The gateway reads the host's email out of the body before anyone checked its
    signature: JSON nested deeper than the parser recurses is the sender's to be told
    (here integrations refuses the unsigned body), not a crash of ours."""
    for body in (b"[" * 100_000, b'{"payload": ' * 50_000):
        resp = await api.client().post(
            "/webhooks/zoom", content=body, headers={"content-type": "application/json"}
        )
        assert resp.status_code == 401, resp.text
        assert resp.json()["error"]["code"] == "zoom_signature_invalid"


async def test_a_chunked_notification_past_the_limit_is_refused_before_it_is_all_read(
    api: Any,
) -> None:
    """Without a Content-Length nothing tells the size up front: the body is read up to
    the webhook limit (1 MiB) and refused there, not held whole in memory first (any
    sender may post to /webhooks/zoom, unauthenticated)."""
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(64):
            sent += 1
            yield b" " * (256 * 1024)

    resp = await api.client().post(
        "/webhooks/zoom", content=chunks(), headers={"content-type": "application/json"}
    )
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"]["code"] == "payload_too_large"
    assert sent < 64, "the whole 16 MiB body was read before it was refused"
