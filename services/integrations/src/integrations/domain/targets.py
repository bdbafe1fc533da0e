"""Which webhook targets may be reached: the rule against server-side request forgery.

A subscriber chooses the URL Clashtor posts to, so without a rule anyone with an admin
role could make Clashtor call its own internal services, the cloud metadata endpoint or
a neighbour on the private network. A target is refused when its scheme is not http(s),
when it carries credentials, or when any address its host resolves to is loopback,
private, link-local (the metadata endpoints live there), shared (CGNAT), multicast,
reserved or unspecified, unless that address is inside an explicitly allowed network
(development and tests). The check runs at subscription and again before every
delivery, against the addresses the request then actually goes to (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Cloud metadata services that are not inside the link-local range.
METADATA = (
    ipaddress.ip_network("fd00:ec2::254/128"),  # AWS IMDS over IPv6
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud
)
MAX_URL_LENGTH = 2000


class TargetRefused(ValueError):
    """The URL may not be used as a webhook target; the message says why."""


@dataclass(frozen=True)
class Target:
    """A parsed target: what to connect to (``host``, ``port``) and how (``scheme``)."""

    url: str
    scheme: str
    host: str
    port: int


def parse_target(url: str) -> Target:
    """The URL's parts, or ``TargetRefused`` for a URL that is not a plain http(s) one."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("only http and https URLs can receive webhooks")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the URL may not carry a user name or password")
    host = parts.hostname
    if not host:
        raise TargetRefused("the URL has no host")
    return Target(
        url=url,
        scheme=parts.scheme,
        host=host,
        port=port or (443 if parts.scheme == "https" else 80),
    )


def parse_networks(items: Iterable[str]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(i, strict=False) for i in items)


def forbidden_reason(address: IPAddress) -> str | None:
    """Why ``address`` may not be reached from Clashtor, or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        # an IPv4 address inside (mapped, or 6to4's 2002::/16, which a host with a 6to4
        # route sends to that IPv4 address) is judged as that address
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return forbidden_reason(embedded)
    if any(address in net for net in METADATA if net.version == address.version):
        return "a cloud metadata address"
    checks = (
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address (cloud metadata lives there)"),
        (address.is_unspecified, "the unspecified address"),
        (address.is_multicast, "a multicast address"),
        (
            isinstance(address, ipaddress.IPv4Address)
            and address in ipaddress.ip_network("100.64.0.0/10"),
            "a shared (carrier-grade NAT) address",
        ),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a public address"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    return None


def check_addresses(
    host: str, addresses: Iterable[IPAddress], allowed: tuple[IPNetwork, ...]
) -> list[IPAddress]:
    """The addresses to connect to; ``TargetRefused`` if any of them is forbidden.

    Every resolved address must pass, not just one: a host answering with a public and
    a private address would otherwise reach the private one on a retry.
    """
    resolved = list(dict.fromkeys(addresses))
    if not resolved:
        raise TargetRefused(f"{host} does not resolve to any address")
    for address in resolved:
        if any(address in net for net in allowed if net.version == address.version):
            continue
        reason = forbidden_reason(address)
        if reason:
            raise TargetRefused(f"{host} resolves to {address}, {reason}")
    return resolved
