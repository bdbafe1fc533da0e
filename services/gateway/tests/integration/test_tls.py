"""HTTPS with TLS 1.3 only (``gateway.serve``): a TLS 1.2 client is refused, 1.3 is served."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from clashtor_common.embedded import free_port
from gateway.main import create_app
from gateway.serve import server_config
from gateway.settings import GatewaySettings


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
async def https_gateway(
    tmp_path: Path, gateway_settings: GatewaySettings
) -> AsyncIterator[tuple[int, Path]]:
    cert, key = _self_signed(tmp_path)
    port = free_port()
    settings = gateway_settings.model_copy(
        update={"tls_cert": str(cert), "tls_key": str(key), "port": port}
    )
    config = server_config(create_app(settings), settings, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        assert not task.done(), "the HTTPS server did not start"
        await asyncio.sleep(0.02)
    assert config.ssl is not None
    assert config.ssl.minimum_version is ssl.TLSVersion.TLSv1_3
    try:
        yield port, cert
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


def _client_context(cert: Path, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(cert))
    if maximum is not None:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.maximum_version = maximum
    return ctx


async def test_a_tls_1_2_client_is_refused(https_gateway: tuple[int, Path]) -> None:
    port, cert = https_gateway
    # The server answers the handshake with a protocol_version alert and closes: the
    # client sees it as an SSL error, or as a reset when the close wins the race.
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        await asyncio.open_connection(
            "127.0.0.1",
            port,
            ssl=_client_context(cert, ssl.TLSVersion.TLSv1_2),
            server_hostname="localhost",
        )


async def test_a_tls_1_3_client_is_served(https_gateway: tuple[int, Path]) -> None:
    port, cert = https_gateway
    _reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=_client_context(cert), server_hostname="localhost"
    )
    assert writer.get_extra_info("ssl_object").version() == "TLSv1.3"
    writer.close()
    await writer.wait_closed()
    async with httpx.AsyncClient(verify=_client_context(cert)) as client:
        resp = await client.get(f"https://localhost:{port}/healthz")
    assert resp.status_code == 200 and resp.json()["service"] == "gateway"


def test_without_a_certificate_the_server_speaks_plain_http(
    gateway_settings: GatewaySettings,
) -> None:
    config = server_config("gateway.main:create_app", gateway_settings, factory=True)
    assert not config.is_ssl
    assert not config.access_log, "it would log each request's query (the OAuth code)"


def test_a_certificate_without_its_key_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="together"):
        GatewaySettings(tls_cert="/etc/cert.pem")
