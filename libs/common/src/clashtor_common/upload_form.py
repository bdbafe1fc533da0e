"""The call upload form (``POST /v1/calls``, forwarded to ingest's ``POST /internal/calls``).

One definition of its fields, their limits and its OpenAPI request body, so the gateway
(which documents and checks the form as it streams through) and ingest (which parses
and enforces it) cannot drift apart. ``EMAIL_PATTERN`` and ``NOT_BLANK_PATTERN`` are also
the gateway's rules for account emails and names.
"""

from __future__ import annotations

from typing import Any

from clashtor_common.languages import AUTO, WHISPER_LANGUAGES

SOURCE_HEADER = "X-Clashtor-Source"
"""Where an internal upload comes from (``zoom:<recording file id>``): ingest answers a
second upload of one source with its call and refuses one whose call was erased. Only
internal callers set it; the gateway builds its own headers and never passes it on."""
SOURCE_MAX_CHARS = 200

TITLE_MAX_CHARS = 500
PARTICIPANTS_MAX = 50
PARTICIPANT_NAME_MAX_CHARS = 200
EMAIL_MAX = 254
"""RFC 5321's path limit."""
EMAIL_PATTERN = r"^[!-?A-~]+@[!-?A-~]+\.[!-\-/-?A-~]+$"
"""Printable ASCII, one ``@``, a dot in the domain. One definition for the OpenAPI
schema (validated by pydantic's Rust regex) and for Python's ``re``: ASCII ranges mean
the same in both."""
NOT_BLANK_PATTERN = r"[^\s\x1c-\x1f]"
"""At least one character that is not whitespace. Python counts \\x1c-\\x1f as
whitespace and Rust does not, so they are excluded explicitly for both to agree."""


def upload_request_body(
    *, title_max: int = TITLE_MAX_CHARS, participants_max: int = PARTICIPANTS_MAX
) -> dict[str, Any]:
    """The form's OpenAPI request body (for a route's ``openapi_extra``), with the
    limits in force (the defaults are the documented ones)."""
    participant = {
        "type": "object",
        "required": ["role"],
        "anyOf": [{"required": ["name"]}, {"required": ["email"]}],
        "additionalProperties": False,
        "properties": {
            "name": {
                "type": "string",
                "maxLength": PARTICIPANT_NAME_MAX_CHARS,
                "pattern": NOT_BLANK_PATTERN,
            },
            "email": {"type": "string", "maxLength": EMAIL_MAX, "pattern": EMAIL_PATTERN},
            "role": {"type": "string", "enum": ["rep", "customer"]},
        },
    }
    form = {
        "type": "object",
        "required": ["file"],
        # Other parts are not part of the upload; a form with more than a few parts is
        # refused (413), so none are promised here.
        "additionalProperties": False,
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "title": {"type": "string", "maxLength": title_max},
            "language": {
                "type": "string",
                "enum": [AUTO, *sorted(WHISPER_LANGUAGES)],
                "default": AUTO,
                "description": "the call's language (ISO 639-1) when you know it; 'auto' "
                "detects it (then the organization's default, if set, applies). Anything "
                "else: 422",
            },
            "participants": {
                "type": "array",
                "maxItems": participants_max,
                "description": "sent as one JSON part; each participant needs a name or an "
                "email (422 from ingest otherwise)",
                "items": participant,
            },
        },
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": form,
                    "encoding": {"participants": {"contentType": "application/json"}},
                }
            },
        }
    }
