"""The event envelope every Clashtor event travels in, validated on both ends."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, ClassVar, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, ValidationError

from clashtor_common.failures import PermanentError


class InvalidEvent(ValueError):
    """A message that can never be handled: not JSON, not an envelope, unknown type or version."""


class EventPayload(BaseModel):
    """Base of every typed payload. Subclasses set ``event_type`` and ``event_version``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1


P = TypeVar("P", bound=EventPayload)


_REGISTRY: dict[tuple[str, int], type[EventPayload]] = {}
"""Every readable payload model by (type, version), filled by ``events.schemas`` (which
the ``clashtor_common.events`` package imports first): the envelope looks models up
here instead of importing the schemas, so the two modules do not import each other."""


def register_payloads(*models: type[EventPayload]) -> None:
    for model in models:
        _REGISTRY[(model.event_type, model.event_version)] = model


def payload_model(event_type: str, version: int) -> type[EventPayload]:
    try:
        return _REGISTRY[(event_type, version)]
    except KeyError:
        known = sorted(v for t, v in _REGISTRY if t == event_type)
        hint = f"known versions {known}" if known else "unknown event type"
        raise InvalidEvent(f"cannot handle {event_type!r} v{version}: {hint}") from None


class Envelope(BaseModel):
    """Typed envelope: identity, routing and tracing around a payload (``data``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    source: str
    org_id: str
    subject_ids: list[str] = Field(default_factory=list)
    key: str = Field(description="partition key: the call id or the org id")
    trace: dict[str, str] = Field(default_factory=dict, description="W3C trace context carrier")
    data: dict[str, Any]
    #: The payload once validated (``payload()``, ``parse_envelopes``): payloads are frozen.
    _payload: EventPayload | None = PrivateAttr(default=None)

    def __eq__(self, other: object) -> bool:
        """Equal fields are equal envelopes, whether or not the payload was validated yet."""
        if not isinstance(other, Envelope):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # as before: ``data`` is a dict

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy; one with another payload validates it anew."""
        copy = super().model_copy(update=update, deep=deep)
        if update and {"type", "version", "data"} & set(update):
            copy._payload = None
        return copy

    def payload(self) -> EventPayload:
        """The typed, validated payload; raises InvalidEvent for an unknown type or version."""
        if self._payload is None:
            model = payload_model(self.type, self.version)
            try:
                payload = model.model_validate(self.data)
            except ValidationError as exc:
                raise InvalidEvent(f"{self.type} v{self.version} payload invalid: {exc}") from exc
            self._payload = _upcast(payload)
        return self._payload

    def payload_as(self, model: builtins.type[P]) -> P:
        """The payload as the handler expects it; any other payload is poison.

        A handler is subscribed to one topic, so a payload of another type can never be
        handled: ``PermanentError`` sends it to the dead-letter topic at once."""
        payload = self.payload()
        if not isinstance(payload, model):
            raise PermanentError(
                f"{self.type} carries {type(payload).__name__}, not {model.__name__}"
            )
        return payload

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


def parse_envelope(raw: bytes | str | dict[str, Any]) -> Envelope:
    """Parse and validate a message off the wire, payload included."""
    try:
        env = (
            Envelope.model_validate(raw)
            if isinstance(raw, dict)
            else Envelope.model_validate_json(raw)
        )
    except ValidationError as exc:
        raise InvalidEvent(f"not a valid event envelope: {exc.errors()[:3]}") from exc
    env.payload()
    return env


def _upcast(payload: EventPayload) -> EventPayload:
    # Looked up on the class: a missing attribute on a pydantic instance costs an exception.
    upcast = getattr(type(payload), "upcast", None)
    return upcast(payload) if upcast is not None else payload  # type: ignore[no-any-return]


@cache
def _payloads(model: type[EventPayload]) -> TypeAdapter[list[EventPayload]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def parse_envelopes(raws: Sequence[bytes]) -> list[Envelope | InvalidEvent]:
    """``parse_envelope`` for a fetched batch: each envelope validated straight from its
    bytes (``model_validate_json``: no Python dicts built first, a third of the cost of
    decoding then validating), and one validation call per payload model instead of one
    per message (each call has a fixed cost).

    Each message is decoded on its own (messages are never joined into one document,
    where a crafted one could swallow its neighbour). When anything is invalid, each
    message is parsed alone so that only the bad ones are refused.
    """
    try:
        envelopes = [Envelope.model_validate_json(raw) for raw in raws]
        by_model: dict[type[EventPayload], list[Envelope]] = {}
        for env in envelopes:
            by_model.setdefault(payload_model(env.type, env.version), []).append(env)
        for model, group in by_model.items():
            payloads = _payloads(model).validate_python([env.data for env in group])
            for env, payload in zip(group, payloads, strict=True):
                env._payload = _upcast(payload)
    except (ValueError, TypeError, InvalidEvent):  # ValidationError, bad JSON, no value
        return [_parse_or_error(raw) for raw in raws]
    return list(envelopes)


def _parse_or_error(raw: bytes) -> Envelope | InvalidEvent:
    try:
        return parse_envelope(raw)
    except InvalidEvent as exc:
        return exc


def make_event(
    payload: EventPayload,
    *,
    source: str,
    org_id: str,
    key: str | None = None,
    subject_ids: list[str] | None = None,
    trace: dict[str, str] | None = None,
) -> Envelope:
    """Wrap a payload; the current trace context is captured unless ``trace`` is given."""
    if trace is None:
        from clashtor_common.telemetry import current_trace_carrier

        trace = current_trace_carrier()
    return Envelope(
        type=payload.event_type,
        version=payload.event_version,
        source=source,
        org_id=org_id,
        key=key or org_id,
        subject_ids=subject_ids or [],
        trace=trace,
        data=payload.model_dump(mode="json"),
    )
