"""Posts a message through Slack's Web API with the official ``slack-sdk``.

``base_url`` is Slack's unless configured otherwise (tests point the real SDK at a
local server that speaks the Web API). Slack's own answer decides what happens next:
``ok: false`` with an error such as ``channel_not_found`` or ``invalid_auth`` can never
succeed by waiting (given up), a 429 or 5xx or an unreachable Slack is tried again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient


@dataclass(frozen=True)
class PostResult:
    ok: bool
    retry: bool
    error: str | None = None


class SlackPoster:
    def __init__(self, *, base_url: str, timeout: int) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout

    async def post(
        self, token: str, channel: str, text: str, blocks: list[dict[str, Any]]
    ) -> PostResult:
        client = AsyncWebClient(token=token, base_url=self.base_url, timeout=self.timeout)
        try:
            await client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        except SlackApiError as exc:
            status = exc.response.status_code
            error = str(exc.response.get("error") or f"HTTP {status}")
            return PostResult(ok=False, retry=status == 429 or status >= 500, error=error)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return PostResult(ok=False, retry=True, error=f"{type(exc).__name__}: {exc}")
        return PostResult(ok=True, retry=False)
