"""Run the gateway: ``python -m gateway.serve``. HTTPS with TLS 1.3 only when
``GATEWAY_TLS_CERT`` and ``GATEWAY_TLS_KEY`` are set, plain HTTP otherwise (behind an
ingress that terminates TLS 1.3 itself, or in development).

uvicorn builds its own ``SSLContext`` from ``ssl_certfile``/``ssl_keyfile``, which
allows TLS 1.2; ``ssl_context_factory`` lets us take that context and raise its floor.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from gateway.settings import GatewaySettings


def _tls13_factory(config: uvicorn.Config, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    ctx = default()
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def server_config(
    app: FastAPI | str, settings: GatewaySettings, **kwargs: object
) -> uvicorn.Config:
    """The uvicorn configuration for ``app``: TLS 1.3-only when a certificate is configured."""
    options: dict[str, object] = {
        "host": settings.host,
        "port": settings.port,
        "proxy_headers": settings.trust_forwarded_for,
        "server_header": False,
        # uvicorn's access log writes each request's path with its query (the OAuth
        # callback's one-time code); requests are on the server spans, query values
        # redacted, as in every other service
        "access_log": False,
        **kwargs,
    }
    if settings.tls_cert and settings.tls_key:
        options.update(
            ssl_certfile=settings.tls_cert,
            ssl_keyfile=settings.tls_key,
            ssl_context_factory=_tls13_factory,
        )
    return uvicorn.Config(app, **options)  # type: ignore[arg-type]


def main() -> None:
    settings = GatewaySettings()
    config = server_config("gateway.main:create_app", settings, factory=True)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
