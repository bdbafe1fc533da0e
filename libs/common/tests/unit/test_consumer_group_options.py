"""A service's consumer group is configured from its settings, session timeout included."""

from __future__ import annotations

from clashtor_common.bus import _attach_subscribers, group_subscribers, make_broker, subscribe
from clashtor_common.events import Envelope
from clashtor_common.settings import ServiceSettings


async def _handler(event: Envelope) -> None: ...


def test_the_group_consumer_gets_the_session_timeout_and_heartbeat_of_the_settings() -> None:
    """A short session timeout is what lets a test stack's consumers join in a second
    (Tansu holds a join for half of it) and take over a killed member's partitions soon."""
    settings = ServiceSettings(
        service_name="options",
        environment="test",
        consumer_batch_size=7,
        consumer_session_timeout_ms=2_500,
        consumer_heartbeat_interval_ms=400,
        consumer_fetch_max_wait_ms=50,
    )
    broker = make_broker(settings)
    for topic in ("call-scored", "call-failed"):
        subscribe(broker, topic, settings=settings, db=None, handler=_handler)  # type: ignore[arg-type]
    _attach_subscribers(broker)

    subscriber = group_subscribers(broker)["options"]
    aiokafka_options = subscriber._connection_args  # what FastStream hands AIOKafkaConsumer
    assert aiokafka_options["session_timeout_ms"] == 2_500
    assert aiokafka_options["heartbeat_interval_ms"] == 400
    assert aiokafka_options["fetch_max_wait_ms"] == 50
    assert subscriber.max_records == 7


def test_without_settings_the_group_keeps_kafkas_client_defaults() -> None:
    settings = ServiceSettings(service_name="defaults", environment="test")
    broker = make_broker(settings)
    subscribe(broker, "call-scored", settings=settings, db=None, handler=_handler)  # type: ignore[arg-type]
    _attach_subscribers(broker)

    options = group_subscribers(broker)["defaults"]._connection_args
    assert (options["session_timeout_ms"], options["heartbeat_interval_ms"]) == (10_000, 3_000)
