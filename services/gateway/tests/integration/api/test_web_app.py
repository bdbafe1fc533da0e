"""The web app at ``/``: files, client-route fallback, caching, CSP, and the API untouched."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.settings import GatewaySettings

INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-1a2b.js"></script>'


@pytest.fixture(scope="module")
def web_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("dist")
    (root / "assets").mkdir()
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "app-1a2b.js").write_text("console.log('app')")
    (root / "favicon.svg").write_text("<svg/>")
    (root.parent / "secret.txt").write_text("outside the build")
    yield root


@pytest.fixture(scope="module")
def gateway_settings(
    settings_factory: Callable[..., GatewaySettings], web_dir: Path
) -> GatewaySettings:
    return settings_factory(web_dir=str(web_dir))


async def test_root_and_client_routes_serve_index_without_caching(api: Any) -> None:
    client = api.client()
    for path in ("/", "/calls", "/calls/abc-123", "/login?next=/calls"):
        resp = await client.get(path)
        assert resp.status_code == 200, path
        assert resp.text == INDEX
        assert resp.headers["content-type"].startswith("text/html")
        assert resp.headers["cache-control"] == "no-cache"
        csp = resp.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp


async def test_hashed_assets_are_immutable_and_others_revalidated(api: Any) -> None:
    client = api.client()
    asset = await client.get("/assets/app-1a2b.js")
    assert asset.status_code == 200 and asset.text == "console.log('app')"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in asset.headers["content-type"]
    icon = await client.get("/favicon.svg")
    assert icon.status_code == 200 and icon.headers["cache-control"] == "no-cache"
    stale = await client.get("/assets/app-old.js")
    assert stale.status_code == 404 and stale.text != INDEX


async def test_no_file_outside_the_build_is_served(api: Any) -> None:
    client = api.client()
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt"):
        resp = await client.get(path)
        assert "outside the build" not in resp.text, path


async def test_api_paths_never_fall_back_to_the_app(api: Any) -> None:
    client = api.client()
    for path in ("/v1/nothing-here", "/docs/x", "/webhooks/nope", "/internal/calls"):
        resp = await client.get(path)
        assert resp.status_code == 404, path
        assert resp.json()["error"]["code"] == "not_found"
    assert (await client.post("/calls")).status_code == 404
    wrong_method = await client.delete("/v1/auth/login")
    assert wrong_method.status_code == 405
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "Clashtor API"
    assert (await client.get("/v1/me")).status_code == 401
