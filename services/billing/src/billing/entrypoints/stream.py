"""Kafka entry points of the billing service: what it consumes and what it produces."""

from __future__ import annotations

from billing.handlers import events

#: The handler of each topic this service subscribes to (its consumer group is its name),
#: and the topics it emits to through its outbox: declared on the handlers themselves.
ROUTES = events.routes
CONSUMES = events.consumes
PRODUCES = events.produces
