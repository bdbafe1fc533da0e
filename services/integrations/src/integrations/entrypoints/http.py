"""Internal HTTP API of the integrations service (reached only through the gateway)."""

from __future__ import annotations

from integrations.entrypoints.slack_api import router as slack_router
from integrations.entrypoints.webhooks_api import router as webhooks_router
from integrations.entrypoints.zapier_api import router as zapier_router
from integrations.entrypoints.zoom_api import router as zoom_router

routers = [webhooks_router, slack_router, zapier_router, zoom_router]
