"""FastAPI dependencies of billing's internal routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from billing.adapters.stripe_gateway import StripeGateway
from billing.context import BillingContext, context_of
from clashtor_common.deps import context_dependency
from clashtor_common.errors import ApiError
from clashtor_common.identity import CurrentIdentity, Identity

BILLING_ADMIN_ROLES = frozenset({"owner", "admin"})


billing_context = context_dependency(context_of)
ContextDep = Annotated[BillingContext, Depends(billing_context)]


def get_stripe(context: ContextDep) -> StripeGateway:
    if context.stripe is None:
        raise ApiError(
            503,
            "billing_not_configured",
            "Stripe is not configured for this deployment (set STRIPE_API_KEY)",
        )
    return context.stripe


StripeDep = Annotated[StripeGateway, Depends(get_stripe)]


def billing_admin(identity: CurrentIdentity) -> Identity:
    """Only an organization's owners and admins change what it pays for."""
    if identity.role not in BILLING_ADMIN_ROLES:
        raise ApiError(
            403,
            "forbidden",
            f"role {identity.role!r} cannot manage billing; an owner or admin can",
        )
    return identity


BillingAdmin = Annotated[Identity, Depends(billing_admin)]
