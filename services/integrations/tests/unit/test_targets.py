"""The SSRF rule: which webhook targets are refused, and what the allow-list lifts."""

from __future__ import annotations

import ipaddress

import pytest

from integrations.domain.targets import (
    TargetRefused,
    check_addresses,
    forbidden_reason,
    parse_networks,
    parse_target,
)

FORBIDDEN = [
    "127.0.0.1",
    "127.8.8.8",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # AWS, GCP, Azure metadata
    "100.100.100.200",  # Alibaba metadata
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:169.254.169.254",
    "::",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of the metadata address
    "2002:a00:7::1",  # 6to4 of 10.0.0.7
]


@pytest.mark.parametrize("address", FORBIDDEN)
def test_internal_addresses_are_forbidden(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "2002:5db8:d822::1"]
)
def test_public_addresses_pass(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None


def test_every_resolved_address_must_pass() -> None:
    public, private = ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.7")
    with pytest.raises(TargetRefused, match=r"10\.0\.0\.7"):
        check_addresses("mixed.example", [public, private], ())
    assert check_addresses("ok.example", [public], ()) == [public]


def test_allow_list_lifts_only_the_networks_it_names() -> None:
    allowed = parse_networks(["127.0.0.1/32"])
    loopback = ipaddress.ip_address("127.0.0.1")
    assert check_addresses("localhost", [loopback], allowed) == [loopback]
    with pytest.raises(TargetRefused):
        check_addresses("metadata", [ipaddress.ip_address("169.254.169.254")], allowed)


def test_no_address_is_refused() -> None:
    with pytest.raises(TargetRefused, match="does not resolve"):
        check_addresses("nowhere.example", [], ())


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/hook", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("https://user:pw@example.com/hook", "user name or password"),
        ("https:///hook", "no host"),
        ("https://example.com:99999/hook", "not a valid URL"),
        ("https://example.com/" + "a" * 2100, "longer than"),
    ],
)
def test_urls_that_are_not_plain_http_targets_are_refused(url: str, reason: str) -> None:
    with pytest.raises(TargetRefused, match=reason):
        parse_target(url)


def test_target_parts() -> None:
    target = parse_target("https://hooks.example.com/x?y=1")
    assert (target.scheme, target.host, target.port) == ("https", "hooks.example.com", 443)
    assert parse_target("http://[2606:4700::1]:8080/").host == "2606:4700::1"
