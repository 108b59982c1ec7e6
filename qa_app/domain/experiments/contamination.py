"""How far a randomised experiment's arms leaked into each other, from the calls and the
exposure log: agents who worked units of more than one arm, control calls handled by agents
already exposed to the intervention, treatment calls by agents never or not yet exposed, and
exposed agents who took no call. Contamination dilutes the difference between the arms (the
analysis is by intention to treat), so the report shows these counts beside the effects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd

__all__ = ["Contamination", "contamination_check"]


@dataclass
class Contamination:
    """How far the experiment's arms leaked into each other (counts and the agents behind them)."""

    intervention: str
    calls: int
    agents: int
    agents_in_both_arms: int
    agents_in_both_arms_top: list[dict]
    calls_outside_arm: int
    treatment_calls_unexposed: int
    treatment_calls_before_exposure: int
    exposures_without_calls: int
    agents_exposed_without_calls: list[str]
    calls_without_agent: int = 0

    def to_json(self) -> dict:
        return asdict(self)

    @property
    def clean(self) -> bool:
        """True when no agent crossed arms and no exposed agent handled a control call."""
        return self.agents_in_both_arms == 0 and self.calls_outside_arm == 0


def _utc_naive(values: pd.Series, what: str) -> pd.Series:
    try:
        times = pd.to_datetime(values, utc=True, format="mixed")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what}: not a date and time ({exc})") from None
    return times.dt.tz_localize(None)


def contamination_check(
    calls: pd.DataFrame,
    exposures: pd.DataFrame,
    *,
    intervention: str,
    treatment_arms: Sequence[str],
) -> Contamination:
    """Counts of contamination between arms.

    ``calls``: call_id, agent, unit, arm, started_at; ``exposures``: agent, intervention, at
    (only rows of ``intervention`` count). Reports agents who worked units of more than one
    arm (the 20 with the most calls outside their main arm, by name), calls in control units
    handled by agents exposed at or before the call ("outside their arm"), calls in treatment
    units by agents never exposed and by agents not yet exposed, and exposed agents who never
    took a call in the experiment. Times without a zone are read as UTC.
    """
    for name, frame, needed in (
        ("calls", calls, ["call_id", "agent", "unit", "arm", "started_at"]),
        ("exposures", exposures, ["agent", "intervention", "at"]),
    ):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(f"the {name} lack column(s): {', '.join(missing)}")
    treatment_arms = {str(a) for a in treatment_arms}
    c = calls[["call_id", "agent", "unit", "arm", "started_at"]].copy()
    no_agent = c["agent"].isna() | (c["agent"].astype(str).str.strip() == "")
    c = c[~no_agent].assign(
        agent=lambda d: d["agent"].astype(str), arm=lambda d: d["arm"].astype(str)
    )
    c["started_at"] = _utc_naive(c["started_at"], "calls.started_at")
    e = exposures[exposures["intervention"].astype(str) == intervention][["agent", "at"]].copy()
    e["agent"] = e["agent"].astype(str)
    e["at"] = _utc_naive(e["at"], "exposures.at")
    first_exposure = e.groupby("agent")["at"].min()

    per_agent = c.groupby(["agent", "arm"]).size().unstack(fill_value=0)
    crossed = per_agent[(per_agent > 0).sum(axis=1) > 1]
    outside = crossed.sum(axis=1) - crossed.max(axis=1)
    top = []
    for agent in sorted(crossed.index, key=lambda a: (-outside[a], a))[:20]:
        arms_worked = {arm: int(n) for arm, n in crossed.loc[agent].items() if n > 0}
        top.append({"agent": agent, "calls_by_arm": arms_worked})

    exposed_at = c["agent"].map(first_exposure)
    in_treatment = c["arm"].isin(treatment_arms)
    exposed_by_then = exposed_at.notna() & (exposed_at <= c["started_at"])
    never = exposed_at.isna()
    idle = sorted(set(first_exposure.index) - set(c["agent"]))
    return Contamination(
        intervention=intervention,
        calls=len(c),
        agents=int(c["agent"].nunique()),
        agents_in_both_arms=len(crossed),
        agents_in_both_arms_top=top,
        calls_outside_arm=int((~in_treatment & exposed_by_then).sum()),
        treatment_calls_unexposed=int((in_treatment & never).sum()),
        treatment_calls_before_exposure=int((in_treatment & ~never & ~exposed_by_then).sum()),
        exposures_without_calls=len(idle),
        agents_exposed_without_calls=idle,
        calls_without_agent=int(no_agent.sum()),
    )
