"""Billing's part of a rectification: the Stripe customer's contact follows a new name or email.

Billing stores no names or emails; Stripe does (Checkout collected them). When privacy
announces ``subject-rectified`` for a ``user`` or an ``organization``, the new values
are fetched from the encrypted claim check (``changes``: privacy's object, read with billing's own S3 client)
and written to the organization's Stripe customer through the Stripe adapter, if that
customer is the subject's:

- ``organization``: the organization's own customer;
- ``user``: the customer whose checkout they started (``created_by``), or whose email at
  Stripe has the subject's fingerprint (the address the user had before the change;
  the same rule erasure uses to find a billing contact).

Idempotent: a customer already holding the values is left alone, and the update
carries an idempotency key per request and customer, so a retry after Stripe applied
it is not applied twice. A customer pseudonymized by an erasure is never written again,
and a claim check that is gone (the subject was erased meanwhile) changes nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.stripe_gateway import StripeGateway
from billing.adapters.tables import BillingCustomer
from billing.domain.pseudonyms import is_pseudonym
from clashtor_common.bus import PermanentError
from clashtor_common.crypto import DecryptionError, Keyring, fingerprint
from clashtor_common.events import SubjectRectified
from clashtor_common.s3 import ObjectNotFound, S3Store

log = logging.getLogger(__name__)
CONTACT_FIELDS = ("name", "email")


@dataclass
class RectificationDeps:
    gateway: StripeGateway | None
    keyring: Keyring
    s3: S3Store
    fingerprint_secret: str


async def read_changes(
    change: SubjectRectified, keyring: Keyring, s3: S3Store
) -> dict[str, str] | None:
    """The new ``{name?, email?}``; None when the claim check is gone (subject erased)."""
    try:
        blob = await s3.read(change.changes)
    except ObjectNotFound:
        return None
    try:
        document = json.loads(keyring.decrypt(blob))
        changes = document["changes"]
        return {k: str(changes[k]) for k in CONTACT_FIELDS if changes.get(k)}
    except (DecryptionError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PermanentError(f"rectification {change.request_id}: unreadable changes") from exc


def _is_theirs(
    change: SubjectRectified,
    org_id: str,
    customer: BillingCustomer,
    at_stripe: dict[str, Any],
    secret: str,
) -> bool:
    subject = change.subject
    if subject.type == "organization":
        return (subject.id or org_id) == org_id
    if subject.id and customer.created_by == subject.id:
        return True
    email = at_stripe.get("email")
    return bool(subject.fingerprint and email and fingerprint(secret, email) == subject.fingerprint)


def _erased(at_stripe: dict[str, Any]) -> bool:
    """Pseudonymized by an erasure (of the organization or of its billing contact)."""
    metadata = at_stripe.get("metadata") or {}
    return (
        metadata.get("erased") == "true"
        or is_pseudonym(at_stripe.get("name"))
        or is_pseudonym(at_stripe.get("email"))
    )


async def rectify_customer(
    session: AsyncSession, change: SubjectRectified, org_id: str, deps: RectificationDeps
) -> str:
    """Bring the Stripe customer's name/email up to date; returns what happened."""
    if change.subject.type not in ("user", "organization"):
        return "not_held"
    customer = await session.get(BillingCustomer, org_id)
    if customer is None:
        return "no_customer"
    if customer.erased_at is not None:
        return "erased"
    if deps.gateway is None:
        log.warning(
            "rectification %s: Stripe is not configured; customer %s not updated",
            change.request_id,
            customer.stripe_customer_id,
        )
        return "stripe_not_configured"
    changes = await read_changes(change, deps.keyring, deps.s3)
    if not changes:
        return "gone" if changes is None else "nothing_to_change"
    at_stripe = await deps.gateway.retrieve_customer(customer.stripe_customer_id)
    if at_stripe is None or at_stripe.get("deleted"):
        return "no_customer"
    if _erased(at_stripe):
        return "erased"
    if not _is_theirs(change, org_id, customer, at_stripe, deps.fingerprint_secret):
        return "not_theirs"
    if all(at_stripe.get(k) == v for k, v in changes.items()):
        return "unchanged"
    # The full change every time, so a retry sends the same parameters with its key.
    await deps.gateway.update_customer(
        customer.stripe_customer_id,
        changes,
        idempotency_key=f"clashtor-rectify-{change.request_id}-{customer.stripe_customer_id}",
    )
    return "updated"
