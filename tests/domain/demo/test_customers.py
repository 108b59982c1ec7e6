"""The demo's customer base: every call has a customer, and every timeline holds together."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from qa_app.domain.demo.calls import generate_demo
from qa_app.domain.demo.customers import AS_OF, generate_customers
from qa_app.domain.imports.customers import EVENT_KINDS


def test_the_same_seed_gives_the_same_customers_and_every_call_has_one():
    data = generate_demo()
    first, second = generate_customers(data), generate_customers(data)
    assert first.customers == second.customers and first.events == second.events
    assert set(first.call_customer) == {c.call_id for c in data.calls}
    assert len({c.customer_id for c in first.customers}) == len(first.customers) >= 300


def test_timelines_hold_together():
    data = generate_demo()
    base = generate_customers(data)
    customers = {c.customer_id: c for c in base.customers}
    calls = {c.call_id: c for c in data.calls}
    for call_id, customer_id in base.call_customer.items():
        customer = customers[customer_id]
        assert customer.onboarded_at < calls[call_id].started_at
        if customer.ended_at is not None:
            assert calls[call_id].started_at < customer.ended_at <= AS_OF
    for event in base.events:
        customer = customers[event.customer_id]
        assert customer.onboarded_at <= event.at <= (customer.ended_at or AS_OF)
        assert event.kind in EVENT_KINDS
    kinds = Counter(e.kind for e in base.events)
    assert kinds["nps"] > 1000 and kinds["renewal"] > 20 and kinds["incident"] > 20
    assert all(0 <= e.value <= 10 for e in base.events if e.kind == "nps")
    # Customers leave and some stay: both survival groups have events and censored customers.
    ended = sum(c.ended_at is not None for c in base.customers)
    assert 50 <= ended <= len(base.customers) - 100


def test_most_first_calls_come_within_four_weeks_of_onboarding():
    data = generate_demo()
    base = generate_customers(data)
    customers = {c.customer_id: c for c in base.customers}
    new = sum(
        call.started_at - customers[base.call_customer[call.call_id]].onboarded_at
        <= timedelta(days=30)
        for call in data.calls
    )
    assert 0.5 * len(data.calls) <= new <= 0.7 * len(data.calls)
