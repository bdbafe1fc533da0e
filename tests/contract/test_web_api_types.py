"""The web client's API types are generated from the gateway as it is now.

``web/openapi.json`` must equal the running code's OpenAPI document, and
``web/src/api/schema.d.ts`` must equal what openapi-typescript makes of it. After an
API change, ``make web-api`` regenerates both; the type check (``make web-test``) then
shows every place in the web app the change touches.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from clashtor_common.webbuild import WEB, ensure_dependencies
from gateway.openapi_document import render


def test_the_committed_openapi_document_is_the_gateways() -> None:
    committed = (WEB / "openapi.json").read_text()
    assert committed == render(), "web/openapi.json is stale: run `make web-api`"


def test_the_committed_typescript_types_are_generated_from_it(tmp_path: Path) -> None:
    ensure_dependencies()
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(WEB / "node_modules" / ".bin" / "openapi-typescript"), "openapi.json", "-o", str(out)],
        cwd=WEB,
        check=True,
        capture_output=True,
    )
    committed = (WEB / "src" / "api" / "schema.d.ts").read_text()
    assert out.read_text() == committed, "web/src/api/schema.d.ts is stale: run `make web-api`"
