"""The service metrics an operator alerts on, as OpenTelemetry instruments.

Read by Prometheus from ``/metrics`` (``telemetry.metrics_text``) and sent over OTLP
when configured. HTTP request rate, errors and duration come from the FastAPI
instrumentation (``http_server_duration_milliseconds`` by route and status); this module
adds the bus and the outbox:

- ``clashtor_consumer_handler_duration_seconds`` (histogram, topic and group: the mean
  handler time per event, one observation per run of events one producer transaction
  emitted and one batch handled together, or per event handled alone),
- ``clashtor_consumer_events_total`` (handled, duplicate, skipped), ``..._retries_total``
  and ``clashtor_consumer_dead_letters_total`` (counters from the consumers' stats),
- ``clashtor_consumer_lag`` (records behind the partition's end, per topic and partition),
- ``clashtor_outbox_backlog`` (rows not yet acknowledged by the broker) and
  ``clashtor_outbox_published_total``.

Lag and backlog need the broker and the database, which an observable callback (sync,
at collection time) cannot await: ``MetricsRefresher.refresh`` measures them, every few
seconds in the background and just before each scrape, and the callbacks read the last
values. Each process registers its consumers and relay once; the callbacks are module
level so several apps in one test process do not duplicate instruments.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from opentelemetry.metrics import CallbackOptions, Histogram, Observation

from clashtor_common.telemetry import meter

if TYPE_CHECKING:
    from clashtor_common.bus import EventConsumer
    from clashtor_common.db import Database
    from clashtor_common.outbox import OutboxRelay

log = logging.getLogger(__name__)

#: The Prometheus series this module and the HTTP instrumentation export. The alert rules and
#: the Grafana dashboard (deploy/k8s/components/monitoring) may use only these (and ``up``);
#: tests hold the rules to this list and a running service's ``/metrics`` to it.
PROMETHEUS_SERIES = frozenset(
    {
        *(
            f"{histogram}_{part}"
            for histogram in (
                "clashtor_consumer_handler_duration_seconds",
                "http_server_duration_milliseconds",
            )
            for part in ("bucket", "count", "sum")
        ),
        "clashtor_consumer_events_total",
        "clashtor_consumer_retries_total",
        "clashtor_consumer_dead_letters_total",
        "clashtor_consumer_lag",
        "clashtor_outbox_backlog",
        "clashtor_outbox_published_total",
    }
)

_consumers: weakref.WeakSet[EventConsumer] = weakref.WeakSet()
_relays: weakref.WeakSet[OutboxRelay] = weakref.WeakSet()
_lag: dict[tuple[str, str, int], int] = {}
_backlog: dict[str, int] = {}
_handler_duration: Histogram | None = None


def handler_duration() -> Histogram:
    """Seconds a handler call took, the mean over a run of events handled together (the
    transaction's commit not included)."""
    global _handler_duration
    if _handler_duration is None:
        _install()
    assert _handler_duration is not None
    return _handler_duration


def track_consumer(consumer: EventConsumer) -> None:
    _install()
    _consumers.add(consumer)


def track_relay(relay: OutboxRelay) -> None:
    _install()
    _relays.add(relay)


def _consumer_stats(field: str, **extra: str) -> list[Observation]:
    return [
        Observation(getattr(c.stats, field), {"topic": c.topic, "group": c.consumer, **extra})
        for c in list(_consumers)
    ]


def _events(_: CallbackOptions) -> Iterable[Observation]:
    return [
        *_consumer_stats("handled", outcome="handled"),
        *_consumer_stats("duplicates", outcome="duplicate"),
        *_consumer_stats("skipped", outcome="skipped"),
    ]


def _retries(_: CallbackOptions) -> Iterable[Observation]:
    return _consumer_stats("retries")


def _dead_letters(_: CallbackOptions) -> Iterable[Observation]:
    return _consumer_stats("dead_lettered")


def _lag_values(_: CallbackOptions) -> Iterable[Observation]:
    return [
        Observation(lag, {"group": group, "topic": topic, "partition": str(partition)})
        for (group, topic, partition), lag in list(_lag.items())
    ]


def _backlog_values(_: CallbackOptions) -> Iterable[Observation]:
    return [Observation(n, {"service": service}) for service, n in list(_backlog.items())]


def _published(_: CallbackOptions) -> Iterable[Observation]:
    return [Observation(sum(r.published for r in list(_relays)))]


def _install() -> None:
    global _handler_duration
    if _handler_duration is not None:
        return
    m = meter("clashtor")
    _handler_duration = m.create_histogram(
        "clashtor.consumer.handler.duration",
        unit="s",
        description="Time an event handler took (mean over a run handled together), "
        "by topic and consumer group",
    )
    m.create_observable_counter(
        "clashtor.consumer.events", [_events], description="Events seen, by outcome"
    )
    m.create_observable_counter(
        "clashtor.consumer.retries", [_retries], description="Handler attempts retried"
    )
    m.create_observable_counter(
        "clashtor.consumer.dead_letters",
        [_dead_letters],
        description="Events sent to the dead-letter topic",
    )
    m.create_observable_gauge(
        "clashtor.consumer.lag",
        [_lag_values],
        description="Records behind the end of the partition, per assigned partition",
    )
    m.create_observable_gauge(
        "clashtor.outbox.backlog",
        [_backlog_values],
        description="Outbox rows written but not yet acknowledged by the broker",
    )
    m.create_observable_counter(
        "clashtor.outbox.published", [_published], description="Outbox rows published"
    )


class MetricsRefresher:
    """Measures what the callbacks cannot: consumer lag and outbox backlog."""

    def __init__(
        self,
        service: str,
        db: Database,
        subscribers: Any,
        *,
        backlog: Callable[[Database], Awaitable[int]],
    ) -> None:
        self.service = service
        self.db = db
        #: ``() -> {group: FastStream subscriber}`` (its ``.consumer`` is aiokafka's).
        self.subscribers = subscribers
        #: Counts the outbox rows not yet published (``outbox.pending_count``; passed in
        #: because the outbox reports to this module, which must not import it back).
        self.backlog = backlog

    async def refresh(self) -> None:
        await asyncio.gather(self._refresh_backlog(), self._refresh_lag())

    async def _refresh_backlog(self) -> None:
        try:
            _backlog[self.service] = await self.backlog(self.db)
        except Exception as exc:  # the database is away: keep the last value
            log.debug("outbox backlog not measured: %s", exc)

    async def _refresh_lag(self) -> None:
        for group, subscriber in self.subscribers().items():
            consumer = getattr(subscriber, "consumer", None)
            if consumer is None:
                continue
            measured: dict[tuple[str, str, int], int] = {}
            for tp in list(consumer.assignment()):
                end = consumer.highwater(tp)
                if end is None:
                    continue
                try:
                    position = await asyncio.wait_for(consumer.position(tp), timeout=2)
                except Exception as exc:  # rebalancing or resetting: measure next time
                    log.debug("no position for %s: %s", tp, exc)
                    continue
                measured[(group, tp.topic, tp.partition)] = max(end - position, 0)
            for key in [k for k in _lag if k[0] == group and k not in measured]:
                del _lag[key]  # revoked: another process reports it now
            _lag.update(measured)
