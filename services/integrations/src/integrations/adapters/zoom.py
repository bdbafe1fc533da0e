"""Zoom's OAuth and REST API, and recording downloads, over HTTP.

Zoom publishes no official Python SDK, so this is the one adapter that speaks its
documented API with ``httpx``: the token endpoint (``/oauth/token``: authorization
code, refresh token, and account credentials for Server-to-Server OAuth, all with the
app's client id and secret as Basic auth; a Server-to-Server app's own for account
credentials), ``GET /users/me``, ``GET
/past_meetings/{uuid}/participants`` and a recording file's ``download_url`` (Bearer
access token, or the webhook's ``download_token`` as ``access_token``). The base URLs
are settings, so tests point this at a local server speaking the same API.

Every failure says whether waiting can help (``TransferError.transient``): a timeout,
an unreachable host, 429 or 5xx can; another 4xx cannot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)


class TransferError(Exception):
    """A provider or service answered badly or not at all."""

    def __init__(
        self, message: str, *, transient: bool, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.status = status
        self.code = code
        """The error code of a Clashtor service's answer (``{"error": {"code"}}``)."""


def raise_for_answer(resp: httpx.Response, what: str) -> None:
    if resp.status_code < 400:
        return
    transient = resp.status_code == 429 or resp.status_code >= 500
    detail, code = "", None
    try:
        body = resp.json()
        if isinstance(body, dict):
            reason = body.get("reason") or body.get("message") or body.get("error")
            if isinstance(body.get("error"), dict):
                reason = body["error"].get("message")
                code = str(body["error"].get("code") or "") or None
            detail = f": {str(reason)[:200]}" if reason else ""
    except ValueError:
        pass
    raise TransferError(
        f"{what} answered HTTP {resp.status_code}{detail}",
        transient=transient,
        status=resp.status_code,
        code=code,
    )


def unreachable(what: str, exc: httpx.HTTPError) -> TransferError:
    return TransferError(f"{what} could not be reached: {type(exc).__name__}", transient=True)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_in: float
    """Seconds the access token lives, from when it was issued."""


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, TransferError) and exc.transient


def meeting_path_id(meeting_uuid: str) -> str:
    """Zoom's rule: a UUID starting with ``/`` or holding ``//`` is URL-encoded twice."""
    once = quote(meeting_uuid, safe="")
    return quote(once, safe="") if meeting_uuid.startswith("/") or "//" in meeting_uuid else once


class ZoomClient:
    def __init__(
        self,
        *,
        oauth_base_url: str,
        api_base_url: str,
        client_id: str,
        client_secret: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.oauth_base_url = oauth_base_url.rstrip("/")
        self.api_base_url = api_base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.http = httpx.AsyncClient(timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self.http.aclose()

    # OAuth ------------------------------------------------------------------------------

    def authorize_url(self, *, state: str, redirect_uri: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{self.oauth_base_url}/oauth/authorize?{query}"

    async def exchange_code(self, code: str, redirect_uri: str) -> Tokens:
        return await self._token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    async def refresh(self, refresh_token: str) -> Tokens:
        return await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def account_token(self, account_id: str, *, client_id: str, client_secret: str) -> Tokens:
        """Server-to-Server OAuth: a token for ``account_id`` with the credentials of the
        app its admin created inside that account (not this deployment's app)."""
        return await self._token(
            {"grant_type": "account_credentials", "account_id": account_id},
            auth=(client_id, client_secret),
        )

    async def _token(self, form: dict[str, str], auth: tuple[str, str] | None = None) -> Tokens:
        async def ask() -> Tokens:
            try:
                resp = await self.http.post(
                    f"{self.oauth_base_url}/oauth/token",
                    data=form,
                    auth=auth or (self.client_id, self.client_secret),
                )
            except httpx.HTTPError as exc:
                raise unreachable("Zoom's token endpoint", exc) from exc
            raise_for_answer(resp, "Zoom's token endpoint")
            body = resp.json()
            return Tokens(
                access_token=str(body["access_token"]),
                refresh_token=body.get("refresh_token"),
                expires_in=float(body.get("expires_in") or 3600),
            )

        return await self._retrying(ask)

    # REST -------------------------------------------------------------------------------

    async def me(self, access_token: str) -> dict[str, Any]:
        return await self._get("/users/me", access_token)

    async def participants(self, access_token: str, meeting_uuid: str) -> list[dict[str, Any]]:
        """Everyone who took part in a past meeting (every page)."""
        people: list[dict[str, Any]] = []
        page_token = ""
        for _ in range(50):  # at most 15,000 entries: enough for any sales call
            params = {"page_size": "300", **({"next_page_token": page_token} if page_token else {})}
            body = await self._get(
                f"/past_meetings/{meeting_path_id(meeting_uuid)}/participants",
                access_token,
                params,
            )
            people.extend(p for p in body.get("participants") or [] if isinstance(p, dict))
            page_token = str(body.get("next_page_token") or "")
            if not page_token:
                break
        return people

    async def _get(
        self, path: str, access_token: str, params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        async def ask() -> dict[str, Any]:
            try:
                resp = await self.http.get(
                    self.api_base_url + path,
                    params=params,
                    headers={"Authorization": f"Bearer {access_token}"},
                )
            except httpx.HTTPError as exc:
                raise unreachable("Zoom's API", exc) from exc
            raise_for_answer(resp, f"Zoom's API ({path.split('/')[1]})")
            body: dict[str, Any] = resp.json()
            return body

        return await self._retrying(ask)

    @staticmethod
    async def _retrying(ask: Any) -> Any:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(3),
            wait=wait_exponential(multiplier=0.5, max=4),
            reraise=True,
        ):
            with attempt:
                return await ask()

    # downloads --------------------------------------------------------------------------

    async def download(
        self,
        url: str,
        dest: Path,
        *,
        access_token: str | None,
        download_token: str | None,
        max_bytes: int,
        refusal: Callable[[str], str | None],
    ) -> int:
        """Stream a recording file into ``dest``; its size. The webhook's download token
        goes in the query (Zoom's documented form), the access token as Bearer.

        ``refusal`` says why a URL may not be fetched (off Zoom's hosts, say): the link
        and every redirect are checked before a request goes there, so the token never
        reaches, and no answer is read from, an address the notification chose."""
        params = {"access_token": download_token} if download_token else None
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        origin = _origin(url)
        try:
            for hop in range(MAX_REDIRECTS + 1):
                why = refusal(url)
                if why:
                    where = "redirected off Zoom" if hop else "link is off Zoom"
                    raise TransferError(
                        f"the recording's download {where} ({why}): not followed",
                        transient=False,
                    )
                async with self.http.stream("GET", url, params=params, headers=headers) as resp:
                    if not resp.is_redirect:
                        return await _save(resp, dest, max_bytes)
                    url = str(resp.url.join(resp.headers["location"]))
                params = None  # the redirect's own URL says what it needs
                if _origin(url) != origin:
                    headers = {}  # the token stays with the origin it was given to
        except httpx.HTTPError as exc:
            raise unreachable("Zoom's recording download", exc) from exc
        raise TransferError("Zoom's recording download redirected too often", transient=False)


MAX_REDIRECTS = 5


def _origin(url: str) -> tuple[str, str, int | None]:
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port


async def _save(resp: httpx.Response, dest: Path, max_bytes: int) -> int:
    if resp.status_code >= 400:
        await resp.aread()
        raise_for_answer(resp, "Zoom's recording download")
    size = 0
    with dest.open("wb") as out:
        async for chunk in resp.aiter_bytes(1024 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise TransferError(
                    f"the recording is larger than {max_bytes} bytes", transient=False
                )
            out.write(chunk)
    return size
