"""The public HTTP API of Clashtor (``/v1``), served by the gateway.

The gateway has no ``/internal`` API of its own: it *is* the public edge. Each router
is one resource; forwarded resources go to the owning service's internal API with a
signed identity (see ``gateway.adapters.services``). The app tries the routers in this
order, every route of each it passes: the hottest read's router comes first (no
router answers another's paths: ``tests/unit/test_route_order.py``).
"""

from __future__ import annotations

from fastapi import APIRouter

from gateway.entrypoints.routes import (
    admin,
    analytics,
    api_keys,
    auth,
    billing,
    call_coaching,
    calls,
    coaching,
    invitations,
    library,
    me,
    members,
    notifications,
    privacy,
    rescore_jobs,
    slack,
    webhooks,
    zapier,
    zoom,
)

routers: list[APIRouter] = [
    calls.router,  # first: the app tries every route of each router before (issue 20)
    auth.router,
    me.router,
    members.router,
    invitations.router,
    api_keys.router,
    library.router,
    call_coaching.router,
    coaching.scorecards_router,
    coaching.trackers_router,
    rescore_jobs.router,
    analytics.router,
    billing.router,
    billing.webhooks,
    privacy.router,
    privacy.account,
    notifications.router,
    admin.router,
    webhooks.router,
    slack.router,
    zapier.router,
    zoom.router,
    zoom.webhooks,
]
