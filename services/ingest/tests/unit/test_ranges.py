"""HTTP Range headers for the audio endpoint."""

from __future__ import annotations

import pytest

from ingest.entrypoints.ranges import RangeNotSatisfiable, parse_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 100)),
        ("bytes=100-", (100, 1000)),
        ("bytes=-10", (990, 1000)),
        ("bytes=-5000", (0, 1000)),
        ("bytes=990-5000", (990, 1000)),
        ("BYTES = 5-5", (5, 6)),
    ],
)
def test_satisfiable_ranges(header: str, expected: tuple[int, int]) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize(
    "header", [None, "", "items=0-1", "bytes=0-1,5-6", "bytes=abc", "bytes=-", "bytes=9-3"]
)
def test_absent_invalid_or_multiple_ranges_mean_the_whole_body(header: str | None) -> None:
    assert parse_range(header, 1000) is None


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_ranges_answer_416_with_the_size(header: str) -> None:
    with pytest.raises(RangeNotSatisfiable) as refused:
        parse_range(header, 1000)
    assert refused.value.status == 416
    assert refused.value.headers == {"Content-Range": "bytes */1000"}
