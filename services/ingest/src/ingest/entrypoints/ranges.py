"""HTTP ``Range`` headers (RFC 9110 byte ranges) for the audio stream."""

from __future__ import annotations

import re

from clashtor_common.errors import ApiError


class RangeNotSatisfiable(ApiError):
    """416 with ``Content-Range: bytes */size``: the range is outside the audio."""

    def __init__(self, message: str, size: int) -> None:
        super().__init__(
            416, "range_not_satisfiable", message, headers={"Content-Range": f"bytes */{size}"}
        )


_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``[start, end)`` of the one range asked for, or None to send the whole body.

    Several ranges in one header are answered with the whole body (allowed by the RFC);
    a syntactically invalid header is ignored, as the RFC says; a valid but
    unsatisfiable one raises RangeNotSatisfiable (416).
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    match = _SPEC.match(spec)
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    unsatisfiable = RangeNotSatisfiable(
        f"range {spec.strip()} is outside the {size}-byte audio", size
    )
    if first == "":  # suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise unsatisfiable
        return max(size - length, 0), size
    start = int(first)
    end = size if last == "" else min(int(last) + 1, size)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        raise unsatisfiable
    return start, end
