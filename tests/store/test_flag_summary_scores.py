"""`qa-app flags summary`'s mean-score intervals stay on the rubric's scale, and a group whose
calls all scored the same is marked: a zero-width interval is not certainty."""

from __future__ import annotations

from dataclasses import dataclass

from qa_app.store.flags.summary import _score_figure


@dataclass
class Estimate:
    """What qa_app.domain.sampling.estimates gives for one group (its as_dict)."""

    weighted_mean: float
    ci: list[float]
    effective_n: float

    def as_dict(self, rate: bool) -> dict:
        return {
            "weighted_mean": self.weighted_mean,
            "ci": list(self.ci),
            "effective_n": self.effective_n,
            "too_small": self.effective_n < 30,
        }


def test_an_interval_past_the_scale_is_cut_to_it_and_said():
    figure = _score_figure(Estimate(3.0, [-15.3, 21.3], 2.0), (2, 3.0), (1, 5))
    assert figure["ci"] == [1, 5]
    assert "ran past the scale (1 to 5) and was cut to it" in figure["note"]
    assert figure["too_small"]


def test_every_call_scoring_the_same_is_marked():
    figure = _score_figure(Estimate(3.0, [3.0, 3.0], 33.0), (33, 3.0), (1, 5))
    assert figure["ci"] == [3.0, 3.0]
    assert figure["note"] == (
        "every call scored the same: there is no spread to estimate an interval from"
    )


def test_an_ordinary_interval_is_left_as_it_is():
    figure = _score_figure(Estimate(3.4, [3.1, 3.7], 80.0), (80, 3.4), (1, 5))
    assert figure["ci"] == [3.1, 3.7] and figure["note"] is None
