"""Billing's command line: ``python -m billing.entrypoints.cli`` (``clashtor-billing-setup-plans``).

Creates the plan catalog in Stripe (``service_layer.catalog``) and prints what exists.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from billing.adapters.stripe_gateway import gateway_from_settings
from billing.service_layer.catalog import SetupReport, setup_plans
from billing.settings import BillingSettings

app = typer.Typer(help="Create Clashtor's plans, prices and meter in Stripe (idempotent).")


async def _run(settings: BillingSettings) -> SetupReport:
    gateway = gateway_from_settings(settings)
    if gateway is None:
        raise typer.BadParameter("no Stripe API key: set STRIPE_API_KEY or BILLING_STRIPE_API_KEY")
    try:
        return await setup_plans(gateway)
    finally:
        await gateway.aclose()


@app.command()
def main(
    api_base: Annotated[
        str | None, typer.Option(help="Stripe API base URL (default: Stripe's)")
    ] = None,
) -> None:
    """Create missing plans, prices and the usage meter; print what exists."""
    settings = BillingSettings()
    if api_base:
        settings = settings.model_copy(update={"stripe_api_base": api_base})
    report = asyncio.run(_run(settings))
    for line in report.created:
        typer.echo(f"created  {line}")
    for line in report.existing:
        typer.echo(f"exists   {line}")
    for line in report.mismatched:
        typer.echo(f"MISMATCH {line}", err=True)
    if report.mismatched:
        raise typer.Exit(code=2)


if __name__ == "__main__":
    app()
