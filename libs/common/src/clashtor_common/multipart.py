"""Read a multipart/form-data body as it streams in, within limits on its parts and fields.

Used by the gateway (which inspects an upload while forwarding it to ingest) and by
ingest (which spools the file part to disk). Both must refuse a hostile form *while it
arrives*: 550 text fields of 180 KB once grew ingest by 100 MB for one request
(issue 11, hole 5), because every field was kept in memory and nothing counted them.

``FormReader`` feeds the bytes to python-multipart and checks, as each byte arrives:

- the number of parts (``max_parts``): a form has a file and a few small fields;
- the size of each text field (``max_field_bytes``) and of all of them together
  (``max_fields_bytes``);
- that there is at most one file part.

Only the text fields the caller names in ``keep`` are held in memory (each within its
cap); the file part's bytes go to ``on_file_data`` and are never held. The first
violation raises ``FormTooLarge`` (413) and the caller stops reading the body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from clashtor_common.errors import ApiError

KB = 1024


@dataclass(frozen=True)
class FormLimits:
    """What one upload form may carry besides its file. Defaults fit the documented
    upload (``file``, ``title`` ≤ 500 characters, ``participants`` ≤ 50 entries)."""

    max_parts: int = 8
    max_field_bytes: int = 192 * KB
    max_fields_bytes: int = 256 * KB


class FormTooLarge(ApiError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(413, code, message)


class MalformedForm(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(400, "bad_upload", message)


def form_boundary(content_type: str | None) -> bytes | None:
    """The boundary of a ``multipart/form-data`` content type, or None if it is not one."""
    kind, options = parse_options_header(content_type or "")
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        return None
    return bytes(options[b"boundary"])


class FormReader:
    """Push parser of one form: ``feed`` each chunk as it arrives, then ``finish``."""

    def __init__(
        self,
        boundary: bytes,
        limits: FormLimits,
        *,
        file_field: str = "file",
        keep: frozenset[str] = frozenset(),
        on_file_data: Callable[[bytes], None] | None = None,
    ) -> None:
        self.limits = limits
        self.file_field = file_field
        self.keep = keep
        self.on_file_data = on_file_data
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.has_file = False
        self.parts = 0
        self.fields_bytes = 0
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._is_file = False
        self._field_size = 0
        self._buffer = bytearray()
        self._parser = MultipartParser(
            boundary,
            {  # type: ignore[arg-type]
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value_data,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            raise MalformedForm(f"the multipart body is malformed: {exc}") from exc

    def finish(self) -> None:
        try:
            self._parser.finalize()
        except FormParserError as exc:
            raise MalformedForm(f"the multipart body is malformed: {exc}") from exc

    # python-multipart callbacks --------------------------------------------------------
    def _part_begin(self) -> None:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise FormTooLarge(
                "too_many_fields",
                f"the form has more than {self.limits.max_parts} parts; an upload carries "
                f"'{self.file_field}' and a few small fields",
            )
        self._disposition = b""
        self._name = ""
        self._is_file = False
        self._field_size = 0
        self._buffer = bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]
        if len(self._header_name) + len(self._header_value) > self.limits.max_field_bytes:
            raise FormTooLarge("field_too_large", "a part's headers are too large")

    def _header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = b""
        self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if self._name != self.file_field:
            return
        if self.has_file:
            raise MalformedForm(f"send exactly one '{self.file_field}' part")
        self.has_file = self._is_file = True
        filename = options.get(b"filename")
        self.filename = filename.decode("utf-8", "replace") if filename else None

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            if self.on_file_data is not None:
                self.on_file_data(data[start:end])
            return
        size = end - start
        self._field_size += size
        self.fields_bytes += size
        if self._field_size > self.limits.max_field_bytes:
            raise FormTooLarge(
                "field_too_large",
                f"form field {self._name!r} is larger than {self.limits.max_field_bytes // KB} KB",
            )
        if self.fields_bytes > self.limits.max_fields_bytes:
            raise FormTooLarge(
                "field_too_large",
                f"the form's text fields together are larger than "
                f"{self.limits.max_fields_bytes // KB} KB",
            )
        if self._name in self.keep:
            self._buffer += data[start:end]

    def _part_end(self) -> None:
        if not self._is_file and self._name in self.keep:
            self.fields[self._name] = self._buffer.decode("utf-8", "replace")
        self._buffer = bytearray()
