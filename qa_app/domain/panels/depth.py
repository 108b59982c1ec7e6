"""How far back the data reach: the lags the Outcomes over time page starts with.

A lag k compares customer-months that have a reviewed call with the same customers' outcome k
months later, before the as-of date. :func:`panel_report` refuses a lag without such months
(or with too few customers, an outcome that never varies, one dose only) and warns when fewer
than ``FEW_CUSTOMERS`` customers have a reviewed month in the comparison. Counting those
customers needs no model fit, so the page can choose lags the data support at once, before the
slow fits run: the usual lags when every one of them is supported, else each lag longer than
the deepest supported one is brought down to it. Supported means without the warning when the
data have such a lag, else estimable at all (a small team's data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from qa_app.domain.panels.model import (
    FEW_CUSTOMERS,
    MIN_CUSTOMERS,
    CustomerRecord,
    EventRecord,
    ReviewedCall,
    customer_months,
    dosage,
    latest_date,
    month_index,
    month_label,
    outcome_values,
)

USUAL_LAGS = (1, 3, 12)


@dataclass(frozen=True)
class LagDepth:
    """The lags to start with, and what they rest on."""

    lags: list[int]
    usual: list[int]
    deepest: int | None  # the longest lag (up to the usual longest) every outcome supports
    informative: dict[int, int] = field(default_factory=dict)  # lag: fewest customers compared
    first_reviewed: str | None = None  # the first month with a reviewed call, "YYYY-MM"
    as_of: date | None = None

    @property
    def note(self) -> str | None:
        """Which lags are used and why, when they are not the usual ones."""
        if self.lags == self.usual or self.deepest is None:
            return None
        dropped = [lag for lag in self.usual if lag > self.deepest]
        compared = self.informative.get(self.deepest, 0)
        beyond = self.informative.get(self.deepest + 1)
        if compared >= FEW_CUSTOMERS:
            why = (
                f"the longest lag with at least {FEW_CUSTOMERS} customers who have a reviewed "
                f"month to compare ({compared} at {self.deepest} months"
                + (f", only {beyond} at {self.deepest + 1})" if beyond else ")")
            )
        else:
            why = (
                f"the longest lag that can be estimated, on only {compared} customers with a "
                f"reviewed month to compare (fewer than {FEW_CUSTOMERS}: read it with care)"
            )
        return (
            f"Default lags {_months(self.lags)} months, not the usual {_months(self.usual)}: "
            f"{_months(dropped)} months {'is' if len(dropped) == 1 else 'are'} out of reach "
            f"of these data. Reviewed calls start in {self.first_reviewed} and the data end "
            f"in {month_label(month_index(self.as_of))}, so {self.deepest} months is {why}."
        )


def _months(lags: Sequence[int]) -> str:
    words = [str(lag) for lag in lags]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def lag_depth(
    customers: Sequence[CustomerRecord],
    events: Sequence[EventRecord],
    calls: Sequence[ReviewedCall],
    outcomes: Sequence[str],
    usual: Sequence[int] = USUAL_LAGS,
    dose: str = "share",
    as_of: date | None = None,
) -> LagDepth:
    """The usual lags if the data support every one for every outcome, else the usual lags
    capped at the deepest lag they all support (duplicates dropped). A lag is supported when
    :func:`panel_report` would fit it without its few-customers warning: at least
    ``FEW_CUSTOMERS`` customers with a reviewed month and the outcome known ``lag`` months on,
    an outcome that varies and more than one dose among the reviewed months; when no lag has
    that many, the deepest lag with any such customer (the fit then warns)."""
    usual = sorted(set(usual))
    as_of = as_of or latest_date(customers, events, calls)
    if as_of is None or not outcomes or not usual:
        return LagDepth(list(usual), list(usual), None)
    spans = customer_months(customers, as_of)
    doses, _ = dosage(spans, calls, as_of)
    reviewed = [d for d in doses if d.reviewed]
    first = min((d.month for d in reviewed), default=None)
    informative: dict[int, int] = {}
    for outcome in outcomes:
        values = outcome_values(outcome, spans, customers, events, as_of)
        for lag in range(usual[-1] + 1):
            count = _informative(doses, reviewed, values, lag, dose)
            informative[lag] = min(informative.get(lag, count), count)
    # Without the few-customers warning if the data allow it, else with it (a small team).
    supported = [lag for lag, count in informative.items() if count >= FEW_CUSTOMERS]
    supported = supported or [lag for lag, count in informative.items() if count]
    deepest = max(supported, default=None)
    lags = list(usual) if deepest is None else sorted({min(lag, deepest) for lag in usual})
    return LagDepth(
        lags, list(usual), deepest, informative,
        month_label(first) if first is not None else None, as_of,
    )  # fmt: skip


def _informative(doses, reviewed, values, lag: int, dose: str) -> int:
    """Customers with a reviewed month and the outcome ``lag`` months on; 0 when the model
    would refuse the lag (too few customers, an outcome that never varies, one dose only)."""
    outcome_later = [values[d.customer_id, d.month + lag] for d in doses
                     if (d.customer_id, d.month + lag) in values]  # fmt: skip
    customers = {d.customer_id for d in doses if (d.customer_id, d.month + lag) in values}
    if len(customers) < MIN_CUSTOMERS or len(set(outcome_later)) < 2:
        return 0
    compared = [d for d in reviewed if (d.customer_id, d.month + lag) in values]
    amounts = {d.share if dose == "share" else d.flagged for d in compared}
    if len(amounts) < 2:
        return 0
    return len({d.customer_id for d in compared})
