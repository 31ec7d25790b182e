#!/usr/bin/env python3
"""Creates a PaymentIntent with the official `stripe` package and confirms it with pm_card_visa.

Against the Stripe emulator (or Stripe's test mode):
    pip install stripe
    STRIPE_API_BASE=http://127.0.0.1:12111 STRIPE_API_KEY=sk_test_123 python3 tests/clients/confirm_payment_intent.py

Exits 0 when the PaymentIntent ends `succeeded` with a charge, 1 otherwise (2 when misconfigured).
"""

import os
import sys

import stripe


def main() -> int:
    base = os.environ.get("STRIPE_API_BASE")
    key = os.environ.get("STRIPE_API_KEY", "sk_test_emulator")
    if not base:
        print("STRIPE_API_BASE is not set (e.g. http://127.0.0.1:12111)", file=sys.stderr)
        return 2
    stripe.api_key = key
    stripe.api_base = base.rstrip("/")
    try:
        intent = stripe.PaymentIntent.create(
            amount=2000,
            currency="usd",
            payment_method_types=["card"],
            metadata={"order_id": "client-check"},
        )
        if intent.status != "requires_payment_method":
            print(f"created with status {intent.status}, expected requires_payment_method", file=sys.stderr)
            return 1
        if not intent.client_secret.startswith(f"{intent.id}_secret_"):
            print(f"unexpected client_secret {intent.client_secret!r}", file=sys.stderr)
            return 1
        intent = stripe.PaymentIntent.confirm(intent.id, payment_method="pm_card_visa")
    except stripe.error.StripeError as error:
        print(f"Stripe error: {error}", file=sys.stderr)
        return 1
    if intent.status != "succeeded" or not intent.latest_charge:
        print(f"confirmed with status {intent.status}, charge {intent.latest_charge}", file=sys.stderr)
        return 1
    print(f"{intent.id} succeeded, charge {intent.latest_charge}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
