"""Billing: Stripe customers and subscriptions, usage ledger, plan limits."""
