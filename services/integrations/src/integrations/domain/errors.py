"""Errors of the integrations service a client can act on.

Raised as ``clashtor_common.domain_errors`` (the rule, not the status): the HTTP edge
maps them to statuses, so the use cases raising them know nothing of HTTP.
"""

from __future__ import annotations

from clashtor_common.domain_errors import Conflict, Forbidden, InvalidInput, NotFound


def target_refused(reason: str) -> InvalidInput:
    return InvalidInput(f"this URL cannot receive webhooks: {reason}", "target_refused")


def webhook_not_found(sub_id: str) -> NotFound:
    return NotFound.of("webhook", sub_id)


def delivery_not_found(delivery_id: str) -> NotFound:
    return NotFound.of("delivery", delivery_id)


def not_admin() -> Forbidden:
    return Forbidden("managing integrations needs the admin or owner role")


def slack_not_connected() -> NotFound:
    return NotFound("this organization has not connected Slack", "slack_not_connected")


def slack_rule_not_found(rule_id: str) -> NotFound:
    return NotFound.of("Slack rule", rule_id)


def too_many_webhooks(limit: int) -> Conflict:
    return Conflict(
        f"an organization can have at most {limit} webhooks; delete one first",
        "too_many_webhooks",
    )
