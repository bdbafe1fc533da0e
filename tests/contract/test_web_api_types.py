"""The web client's API types are generated from the gateway as it is now.

``web/openapi.json`` must equal the running code's OpenAPI document. The TypeScript types
(``web/src/api/schema.d.ts``, not tracked) are generated from it by every web build, type
check and test run (the npm ``pre*`` scripts), so they cannot go stale. After an API
change, ``make web-api`` rewrites the document; the type check (``make web-test``) then
shows every place in the web app the change touches.
"""

from __future__ import annotations

from clashtor_common.webbuild import WEB
from gateway.openapi_document import render


def test_the_committed_openapi_document_is_the_gateways() -> None:
    committed = (WEB / "openapi.json").read_text()
    assert committed == render(), "web/openapi.json is stale: run `make web-api`"
