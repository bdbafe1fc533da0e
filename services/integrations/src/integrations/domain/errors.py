"""Errors of the integrations service a client can act on."""

from __future__ import annotations

from clashtor_common.errors import ApiError


def target_refused(reason: str) -> ApiError:
    return ApiError(422, "target_refused", f"this URL cannot receive webhooks: {reason}")


def webhook_not_found(sub_id: str) -> ApiError:
    return ApiError(404, "not_found", f"webhook {sub_id} not found")


def delivery_not_found(delivery_id: str) -> ApiError:
    return ApiError(404, "not_found", f"delivery {delivery_id} not found")


def not_admin() -> ApiError:
    return ApiError(403, "forbidden", "managing integrations needs the admin or owner role")


def invalid_cursor() -> ApiError:
    return ApiError(400, "invalid_cursor", "cursor is not one this API returned")


def slack_not_connected() -> ApiError:
    return ApiError(404, "slack_not_connected", "this organization has not connected Slack")


def slack_rule_not_found(rule_id: str) -> ApiError:
    return ApiError(404, "not_found", f"Slack rule {rule_id} not found")
