"""The metric catalogue: the per-call measures experiments and rollout evaluations can use.

A metric is named by a key:

- ``flag:NAME`` — a rubric flag's rate: 1 when the call's final scores raise the flag, else 0;
- ``dimension:ID`` — a rubric dimension's mean final score (on the rubric's scale);
- ``outcome:NAME`` — any outcome imported into the outcomes table (saved, callback_30d,
  renewal_intent, ...): boolean outcomes as 0/1, numbers as they are;
- ``credit_per_save`` — the credit given on saved calls: the ``credit_amount`` outcome of the
  calls whose ``saved`` outcome is 1 (calls not saved have no value).

Parsing only checks the form of the key; whether the flag, dimension or outcome exists is for
the database layer (qa_app.store.metrics) to say.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

FLAG, DIMENSION, OUTCOME, CREDIT_PER_SAVE = "flag", "dimension", "outcome", "credit_per_save"
KINDS = (FLAG, DIMENSION, OUTCOME, CREDIT_PER_SAVE)
# The outcome names credit_per_save is built from (the demo and the guide's import use them).
SAVED_OUTCOME = "saved"
CREDIT_OUTCOME = "credit_amount"

VALID_FORMS = (
    "flag:<flag name> (e.g. flag:empathy_absent), dimension:<dimension id> "
    "(e.g. dimension:acknowledgment), outcome:<outcome name> (e.g. outcome:saved, "
    "outcome:callback_30d, outcome:renewal_intent), or credit_per_save"
)
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
_LABELS = {
    FLAG: "rate of the '{}' flag",
    DIMENSION: "mean '{}' score",
    OUTCOME: "outcome '{}'",
}


@dataclass(frozen=True)
class MetricSpec:
    """One catalogue metric: its key, kind, the flag/dimension/outcome name, and a label."""

    key: str
    kind: str
    name: str
    label: str

    @property
    def is_rate(self) -> bool:
        """Flags are 0/1 per call, so their mean is a rate."""
        return self.kind == FLAG


def is_rate(spec: MetricSpec, values: Iterable[float]) -> bool:
    """Whether ``spec``'s mean is a rate, so its differences read as percentage points: a flag,
    or an outcome whose every value is 0 or 1 (saved, callback_30d); not a score or money."""
    if spec.is_rate:
        return True
    if spec.kind != OUTCOME:
        return False
    seen = {float(v) for v in values if v == v}  # NaN (no value) left out
    return bool(seen) and seen <= {0.0, 1.0}


def parse_metric(key: str) -> MetricSpec:
    """The metric a key names; ValueError naming the key and the valid forms otherwise."""
    text = (key or "").strip()
    if text == CREDIT_PER_SAVE:
        return MetricSpec(
            CREDIT_PER_SAVE,
            CREDIT_PER_SAVE,
            CREDIT_OUTCOME,
            f"credit per save ({CREDIT_OUTCOME} on calls with {SAVED_OUTCOME} = 1)",
        )
    kind, sep, name = text.partition(":")
    if not sep or kind not in _LABELS:
        raise ValueError(f"unknown metric '{key}': use {VALID_FORMS}")
    if not _NAME.match(name):
        raise ValueError(
            f"metric '{key}': '{name}' is not a {kind} name (letters, digits, _ . -; "
            f"at most 100); use {VALID_FORMS}"
        )
    return MetricSpec(f"{kind}:{name}", kind, name, _LABELS[kind].format(name))


def flag_metric(name: str) -> MetricSpec:
    return parse_metric(f"{FLAG}:{name}")


def dimension_metric(dimension_id: str) -> MetricSpec:
    return parse_metric(f"{DIMENSION}:{dimension_id}")


def outcome_metric(name: str) -> MetricSpec:
    return parse_metric(f"{OUTCOME}:{name}")


def credit_per_save_metric() -> MetricSpec:
    return parse_metric(CREDIT_PER_SAVE)
