"""Ingest's internal upload route, which Zoom recordings go through on the host's behalf.

The request carries a signed identity of the meeting host (as the gateway's do), so
ingest applies its own rules unchanged: the plan's limits, the format probe, and its
idempotent upload (the same bytes from the same uploader answer the existing call),
which is what makes a re-upload after a crash harmless. Each upload names its source
(``X-Clashtor-Source: zoom:<recording file id>``): ingest answers a second upload of one
recording with its call, and refuses one whose call was erased (410 ``source_erased``)
even when integrations never learnt that call's id (its outcome lost to a crash or a
timeout while ingest committed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import httpx

from clashtor_common.identity import IDENTITY_HEADER, Identity, sign_identity
from clashtor_common.upload_form import SOURCE_HEADER
from integrations.adapters.zoom import TransferError, raise_for_answer, unreachable


@dataclass(frozen=True)
class Uploaded:
    call_id: str
    created: bool


class IngestUploader:
    def __init__(
        self,
        base_url: str,
        identity_secret: str,
        *,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.identity_secret = identity_secret
        self.http = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def upload(
        self,
        identity: Identity,
        path: Path,
        *,
        filename: str,
        title: str | None,
        participants: list[dict[str, str]],
        source: str,
    ) -> Uploaded:
        headers = {
            IDENTITY_HEADER: sign_identity(identity, self.identity_secret, 600),
            SOURCE_HEADER: source,
        }
        data = {"participants": json.dumps(participants)}
        if title:
            data["title"] = title
        try:
            with path.open("rb") as fh:
                resp = await self.http.post(
                    f"{self.base_url}/internal/calls",
                    headers=headers,
                    data=data,
                    files={"file": (filename, fh, "application/octet-stream")},
                )
        except httpx.HTTPError as exc:
            raise unreachable("ingest", exc) from exc
        raise_for_answer(resp, "ingest")
        body = resp.json()
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise TransferError("ingest answered without a call id", transient=True)
        return Uploaded(call_id=body["id"], created=resp.status_code == 202)
