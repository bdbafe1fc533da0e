"""Where a recording download may go: https on Zoom's hosts; plain http only to an
address of the explicit development/test allow-list."""

from __future__ import annotations

import pytest

from integrations.domain.targets import parse_networks
from integrations.domain.zoom import download_refusal

ZOOM = ["zoom.us", "zoom.com"]
LOCAL = parse_networks(["127.0.0.1/32"])


@pytest.mark.parametrize(
    "url",
    [
        "https://zoom.us/rec/download/abc",
        "https://ssrweb.zoom.us/replay/abc?sig=1",
        "https://us06web.zoom.com/rec/download/abc",
    ],
)
def test_https_on_zooms_hosts_is_followed(url: str) -> None:
    assert download_refusal(url, ZOOM, ()) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://zoom.us/rec/download/abc", "not https"),
        ("https://zoom.us.evil.example/rec", "not on Zoom's hosts"),
        ("https://evilzoom.us/rec", "not on Zoom's hosts"),
        ("https://127.0.0.1:8000/internal/calls", "not on Zoom's hosts"),
        ("http://169.254.169.254/latest/meta-data", "not on Zoom's hosts"),
        ("https://user:pw@zoom.us/rec", "not on Zoom's hosts"),
        ("ftp://zoom.us/rec", "not on Zoom's hosts"),
    ],
)
def test_anything_else_is_refused(url: str, reason: str) -> None:
    assert download_refusal(url, ZOOM, LOCAL) == reason


def test_plain_http_only_to_an_allow_listed_address() -> None:
    hosts = [*ZOOM, "127.0.0.1"]
    assert download_refusal("http://127.0.0.1:9000/rec/download/a", hosts, LOCAL) is None
    assert download_refusal("http://127.0.0.1:9000/rec/download/a", hosts, ()) == "not https"
