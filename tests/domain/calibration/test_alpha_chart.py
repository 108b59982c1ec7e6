"""The dashboard's alpha chart draws whatever interval the engine gives, one-sided ones too."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

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


def test_the_heatmap_scale_reads_without_colour_vision():
    """Low and high scores differ in lightness, step by step, not only in hue: the red-green
    scale it had was the same grey for 1 and 5 to a reader without red-green vision."""
    import matplotlib

    from qa_app.charts.calibration import HEATMAP_COLOURS

    colours = matplotlib.colormaps[HEATMAP_COLOURS](np.linspace(0, 1, 11))

    def luminance(rgb):  # WCAG 2 relative luminance
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lightness = [luminance(c) for c in colours]
    assert all(b > a for a, b in zip(lightness, lightness[1:], strict=False)), lightness
    assert (lightness[-1] + 0.05) / (lightness[0] + 0.05) >= 4.5  # 1 and 5 apart in contrast
