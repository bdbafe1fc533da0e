"""Cursors: what goes out comes back, and a forged one is refused (422 at the routes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clashtor_common.pagination import (
    InvalidCursor,
    Page,
    PageQuery,
    Paging,
    decode_cursor,
    encode_cursor,
    page_of,
    paging,
)


def test_a_cursor_comes_back_as_it_went_out() -> None:
    key = (datetime(2026, 12, 7, 5, 30, tzinfo=UTC), "call-1")
    assert decode_cursor(encode_cursor(key), [datetime, str]) == key


def test_a_cursor_with_a_naive_time_is_forged() -> None:
    """Every cursor handed out carries an aware time; a naive one would be read in the
    server's local time (a shifted page) or fail against an aware column."""
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor((datetime(2020, 1, 1), "x")), [datetime, str])


class NamePage(Page[str]):
    pass


def test_a_page_of_found_rows_shows_each_row_and_keeps_the_next_cursor() -> None:
    rows = [{"name": "ada"}, {"name": "bob"}, {"name": "cy"}]
    found = page_of(rows, lambda r: (r["name"],), [str], limit=2, cursor=None)
    page = NamePage.of(found, lambda r: r["name"].title())
    assert isinstance(page, NamePage)
    assert page.items == ["Ada", "Bob"]
    assert page.next_cursor == encode_cursor(("bob",))
    assert NamePage.of(([], None), str) == NamePage(items=[], next_cursor=None)


def test_a_route_reads_limit_and_cursor_as_one_page_query_with_its_default_limit() -> None:
    app = FastAPI()

    @app.get("/things")
    def things(page: Paging) -> dict[str, Any]:
        return {"limit": page.limit, "cursor": page.cursor}

    @app.get("/few")
    def few(page: Annotated[PageQuery, paging(default_limit=20)]) -> dict[str, Any]:
        return {"limit": page.limit, "cursor": page.cursor}

    client = TestClient(app)
    assert client.get("/things").json() == {"limit": 50, "cursor": None}
    assert client.get("/few").json() == {"limit": 20, "cursor": None}
    assert client.get("/few?limit=3&cursor=abc").json() == {"limit": 3, "cursor": "abc"}
    assert client.get("/things?limit=0").status_code == 422
    assert client.get("/things?limit=201").status_code == 422
    assert client.get("/things", params={"cursor": "x" * 501}).status_code == 422


def test_a_forwarded_page_names_its_cursor_only_after_the_first_page() -> None:
    assert PageQuery(limit=20).params() == {"limit": 20}
    assert PageQuery(limit=20, cursor="abc").params() == {"limit": 20, "cursor": "abc"}
