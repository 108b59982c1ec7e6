"""Simulated customers for the panel model tests: calls with a flag, monthly NPS and spend,
with a lagged effect of the flag's share planted (or not) at a chosen lag."""

from __future__ import annotations

from datetime import date

import numpy as np

from qa_app.domain.panels.model import CustomerRecord, EventRecord, ReviewedCall


def _day(month: int, day: int) -> date:
    return date(month // 12, month % 12 + 1, day)


def simulate(
    seed: int,
    customers: int = 150,
    months: int = 24,
    effect: float = 0.0,
    lag: int = 1,
    outcome: str = "nps",
):
    """Customers onboarded over the first six months of 2024, active to the end of 2025.

    Each month a customer has Poisson(1.2) reviewed calls, each flagged with the customer's
    own probability; the outcome in month t + ``lag`` is a customer effect + a month effect +
    ``effect`` × the flagged share in month t + noise (sd 1)."""
    rng = np.random.default_rng(seed)
    start = 2024 * 12
    month_effect = rng.normal(0, 0.5, months + lag)
    records, events, calls = [], [], []
    for i in range(customers):
        name = f"C{i:04d}"
        first = start + int(rng.integers(0, 6))
        records.append(CustomerRecord(name, _day(first, 3)))
        level = rng.normal(7 if outcome == "nps" else 100, 1)
        probability = rng.uniform(0.2, 0.8)
        shares = {}
        for month in range(first, start + months):
            n = int(rng.poisson(1.2))
            flags = rng.random(n) < probability
            for k, flagged in enumerate(flags):
                calls.append(ReviewedCall(name, _day(month, 5 + k % 20), bool(flagged)))
            shares[month] = flags.mean() if n else 0.0
            earlier = shares.get(month - lag, 0.0)
            value = level + month_effect[month - start] + effect * earlier + rng.normal(0, 1)
            events.append(EventRecord(name, _day(month, 25), outcome, float(value)))
    return records, events, calls
