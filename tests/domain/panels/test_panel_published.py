"""The panel model against published figures: the wage panel of Vella & Verbeek (1998).

Source: J. M. Wooldridge, *Introductory Econometrics: A Modern Approach*, Example 14.4
("A wage equation using panel data"), Table 14.2, fixed effects column: log wage on
exper², married and union with year dummies and person effects (545 men, 1980-87, 4,360
observations): exper² −.0052, married .047, union .080. The same regression is
linearmodels' own documented example (linearmodels.datasets.wage_panel, "PanelOLS with
entity and time effects"), which prints expersq −0.0052, married 0.0467, union 0.0800.

The clustered standard errors have no printed source we can cite to four digits; they are
checked against an independent implementation instead: statsmodels OLS with person and
year dummies and its cluster-robust covariance (which applies the same G/(G−1) and
(N−1)/(N−K) factors).
"""

from __future__ import annotations

import pytest
from linearmodels.datasets import wage_panel

from qa_app.domain.panels.model import fit_two_way

PUBLISHED = {"expersq": -0.0052, "married": 0.047, "union": 0.080}


@pytest.fixture(scope="module")
def wages():
    return wage_panel.load()


def test_within_estimates_match_wooldridge_example_14_4(wages):
    fitted = fit_two_way(wages.set_index(["nr", "year"]), "lwage", list(PUBLISHED))
    assert fitted.nobs == 4360 and fitted.entity_info["total"] == 545
    for name, published in PUBLISHED.items():
        # Published to two significant digits: agree to within half of the last one.
        digits = 4 if name == "expersq" else 3
        assert fitted.params[name] == pytest.approx(published, abs=0.5 * 10**-digits), name


def test_clustered_errors_match_an_independent_implementation(wages):
    import statsmodels.formula.api as smf

    fitted = fit_two_way(wages.set_index(["nr", "year"]), "lwage", list(PUBLISHED))
    dummies = smf.ols("lwage ~ expersq + married + union + C(nr) + C(year)", wages).fit(
        cov_type="cluster", cov_kwds={"groups": wages["nr"]}
    )
    for name in PUBLISHED:
        assert fitted.params[name] == pytest.approx(dummies.params[name], rel=1e-8)
        assert fitted.std_errors[name] == pytest.approx(dummies.bse[name], rel=2e-3)
