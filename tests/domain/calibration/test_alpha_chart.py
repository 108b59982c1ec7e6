"""The dashboard's alpha chart draws whatever interval the engine gives, one-sided ones too."""

from __future__ import annotations

from types import SimpleNamespace

from qa_app.charts.calibration import alpha_chart
from qa_app.domain.agreement.alpha import Interval
from qa_app.domain.rubrics.definitions import load_rubric_file
from tests.conftest import RUBRICS_DIR


def test_an_interval_wholly_above_its_estimate_is_drawn_not_refused():
    # BCa can put both ends on one side of the estimate; matplotlib refuses negative bars.
    rubric = load_rubric_file(RUBRICS_DIR / "empathy-v1.toml")
    above = Interval(low=0.71, high=0.9, q_below={}, replicates=1000, undefined=0, method="units")
    result = SimpleNamespace(alpha=0.7, interval=above)
    report = SimpleNamespace(
        dimensions={d.id: result for d in rubric.dimensions}, overall=result
    )
    png = alpha_chart({"QA": report}, rubric)
    assert png.startswith(b"\x89PNG")
