"""The public OpenAPI document as a file: ``python -m gateway.openapi_document web/openapi.json``.

The web client's TypeScript types are generated from this file (openapi-typescript) by
every web build, type check and test run, and a test checks the file against the current
app, so the client and the API cannot drift.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def document() -> dict[str, Any]:
    from gateway.main import create_app  # the whole app; imported late so --help stays cheap

    return create_app().openapi()


def render() -> str:
    """Stable text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m gateway.openapi_document OUTPUT.json", file=sys.stderr)
        return 2
    Path(argv[0]).write_text(render())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
