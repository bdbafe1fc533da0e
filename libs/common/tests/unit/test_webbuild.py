"""The web build's source hash: what makes ``make up`` build the web app again."""

from __future__ import annotations

from pathlib import Path

from clashtor_common.webbuild import source_hash


def _web(tmp_path: Path) -> Path:
    web = tmp_path / "web"
    (web / "src" / "api").mkdir(parents=True)
    (web / "src" / "api" / "client.ts").write_text('import type { paths } from "./schema";\n')
    (web / "openapi.json").write_text('{"openapi": "3.1.0", "paths": {}}')
    (web / "package.json").write_text('{"name": "web"}')
    return web


def test_a_changed_openapi_document_rebuilds_the_web_app(tmp_path: Path) -> None:
    web = _web(tmp_path)
    before = source_hash(web)
    (web / "openapi.json").write_text('{"openapi": "3.1.0", "paths": {"/v1/me": {}}}')
    assert source_hash(web) != before


def test_the_generated_api_types_are_not_a_source(tmp_path: Path) -> None:
    """The build writes them from openapi.json: hashing them would rebuild once more."""
    web = _web(tmp_path)
    before = source_hash(web)
    (web / "src" / "api" / "schema.d.ts").write_text("export interface paths {}\n")
    assert source_hash(web) == before


def test_a_changed_source_file_rebuilds_the_web_app(tmp_path: Path) -> None:
    web = _web(tmp_path)
    before = source_hash(web)
    (web / "src" / "api" / "client.ts").write_text("export {};\n")
    assert source_hash(web) != before
