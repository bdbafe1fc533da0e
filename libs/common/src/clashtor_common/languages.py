"""The languages a call may be set to: the ISO 639-1 codes Whisper transcribes.

Shared because three places must agree on one list: ingest refuses an upload whose
``language`` is not on it (422), the gateway documents it as the form field's enum, and
transcribe hands the code to Whisper, which would fail the call much later (a dead
letter, not an answer the uploader sees) on a code it does not know.

Whisper also knows ``haw`` and ``yue`` (no ISO 639-1 code) and spells Javanese ``jw``
(ISO 639-1 says ``jv``); those are left out rather than accepting codes that are not what
the field promises. A test in transcribe checks the list against the installed model's.
"""

from __future__ import annotations

#: ``auto`` = detect the language from the audio (the default).
AUTO = "auto"

WHISPER_LANGUAGES: frozenset[str] = frozenset(
    [
        "af",
        "am",
        "ar",
        "as",
        "az",
        "ba",
        "be",
        "bg",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "es",
        "et",
        "eu",
        "fa",
        "fi",
        "fo",
        "fr",
        "gl",
        "gu",
        "ha",
        "he",
        "hi",
        "hr",
        "ht",
        "hu",
        "hy",
        "id",
        "is",
        "it",
        "ja",
        "ka",
        "kk",
        "km",
        "kn",
        "ko",
        "la",
        "lb",
        "ln",
        "lo",
        "lt",
        "lv",
        "mg",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "ne",
        "nl",
        "nn",
        "no",
        "oc",
        "pa",
        "pl",
        "ps",
        "pt",
        "ro",
        "ru",
        "sa",
        "sd",
        "si",
        "sk",
        "sl",
        "sn",
        "so",
        "sq",
        "sr",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "tk",
        "tl",
        "tr",
        "tt",
        "uk",
        "ur",
        "uz",
        "vi",
        "yi",
        "yo",
        "zh",
    ]
)


class UnknownLanguage(ValueError):
    """Not ``auto`` and not a language Whisper transcribes."""


def parse_language(raw: str | None) -> str | None:
    """The language code to force, or None to detect (absent, blank or ``auto``).

    Case and surrounding spaces are forgiven (``" PT "`` is ``pt``); anything else that
    is not on the list raises ``UnknownLanguage`` with a message fit for the client.
    """
    code = (raw or "").strip().lower()
    if not code or code == AUTO:
        return None
    if code not in WHISPER_LANGUAGES:
        shown = code if len(code) <= 20 else code[:20] + "…"
        raise UnknownLanguage(
            f"language {shown!r} is not supported: send 'auto' or an ISO 639-1 code "
            "Whisper transcribes (e.g. 'en', 'pt', 'de')"
        )
    return code
