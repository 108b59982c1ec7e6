"""Metric keys: the forms the experiments and rollout commands accept, and the refusals."""

from __future__ import annotations

import pytest

from qa_app.domain.metrics import MetricSpec, parse_metric


@pytest.mark.parametrize(
    ("key", "kind", "name"),
    [
        ("flag:empathy_absent", "flag", "empathy_absent"),
        ("dimension:acknowledgment", "dimension", "acknowledgment"),
        ("outcome:saved", "outcome", "saved"),
        ("outcome:callback_30d", "outcome", "callback_30d"),
        ("outcome:renewal_intent", "outcome", "renewal_intent"),
        ("credit_per_save", "credit_per_save", "credit_amount"),
        ("  flag:acknowledged ", "flag", "acknowledged"),
    ],
)
def test_valid_keys(key, kind, name):
    spec = parse_metric(key)
    assert isinstance(spec, MetricSpec)
    assert (spec.kind, spec.name) == (kind, name)
    assert spec.key == key.strip()
    assert spec.label
    assert spec.is_rate == (kind == "flag")


@pytest.mark.parametrize(
    "key", ["", "saved", "score:acknowledgment", "flag:", "flag:a b", "credit"]
)
def test_bad_keys_name_the_key_and_the_valid_forms(key):
    with pytest.raises(ValueError) as raised:
        parse_metric(key)
    message = str(raised.value)
    assert f"'{key}'" in message
    assert "flag:" in message and "dimension:" in message and "outcome:" in message
    assert "credit_per_save" in message
