"""Metric keys: the forms the experiments and rollout commands accept, and the refusals."""

from __future__ import annotations

import pytest

from qa_app.domain.metrics import MetricSpec, is_rate, parse_metric


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


def test_a_rate_is_a_flag_or_an_outcome_of_zeros_and_ones():
    """Rates read in percentage points: flags always; outcomes only when every value is 0 or 1
    (saved), never a score, a 0-10 intent or money; missing values do not count."""
    nan = float("nan")
    assert is_rate(parse_metric("flag:empathy_absent"), [])
    assert is_rate(parse_metric("outcome:saved"), [0.0, 1.0, nan, 1.0])
    assert not is_rate(parse_metric("outcome:renewal_intent"), [0.0, 1.0, 7.0])
    assert not is_rate(parse_metric("outcome:saved"), [nan])
    assert not is_rate(parse_metric("dimension:acknowledgment"), [1.0, 1.0])
    assert not is_rate(parse_metric("credit_per_save"), [0.0, 1.0])
