"""The Coaching page's answer, said first: which flag goes with the largest difference in the
outcome, standardised to the interaction mix, with its interval. An association in reviewed
calls, never an effect (the page says so beside it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def _readable(group: Mapping) -> bool:
    ci = group.get("standardized_ci")
    return (
        not group.get("too_small")
        and group.get("standardized_difference") is not None
        and bool(ci)
        and ci[0] is not None
        and ci[1] is not None
    )


def headline(groups: Sequence[Mapping]) -> Mapping | None:
    """The row to lead with: among rows large enough to read, the largest standardised
    difference whose interval leaves out zero, else the largest one; None when no row is
    large enough."""
    readable = [g for g in groups if _readable(g)]
    if not readable:
        return None
    clear = [g for g in readable if g["standardized_ci"][0] > 0 or g["standardized_ci"][1] < 0]
    return max(clear or readable, key=lambda g: abs(g["standardized_difference"]))

