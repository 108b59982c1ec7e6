"""Stratified randomisation of queues / schedule blocks (qa_app.domain.experiments.assignment)."""

import numpy as np
import pytest

from qa_app.domain.experiments.assignment import assign_units, balance_table

STRATA = {
    **{f"q{i:02d}": "billing" for i in range(7)},
    **{f"s{i:02d}": "sales" for i in range(5)},
    **{f"t{i:02d}": "tech" for i in range(4)},
}
ARMS = ["control", "empathy", "script"]


def test_same_seed_same_assignment_whatever_the_input_order():
    first = assign_units(STRATA, ARMS, seed=20261203)
    reordered = dict(reversed(list(STRATA.items())))
    assert assign_units(reordered, ARMS, seed=20261203) == first
    assert set(first) == set(STRATA)
    assert set(first.values()) == set(ARMS)


def test_different_seeds_give_different_draws():
    draws = {tuple(sorted(assign_units(STRATA, ARMS, seed=s).items())) for s in range(20)}
    assert len(draws) >= 18


def test_balanced_within_each_stratum_and_overall():
    for seed in range(50):
        assignment = assign_units(STRATA, ARMS, seed=seed)
        table = balance_table(STRATA, assignment, ARMS)
        assert [row["stratum"] for row in table] == ["billing", "sales", "tech"]
        assert [row["units"] for row in table] == [7, 5, 4]
        for row in table:
            counts = [row[arm] for arm in ARMS]
            assert sum(counts) == row["units"]
            assert max(counts) - min(counts) <= 1
        totals = [sum(row[arm] for row in table) for arm in ARMS]
        assert max(totals) - min(totals) <= 1


def test_spare_units_go_to_random_arms():
    # One unit per stratum with two arms: which arm gets it must vary with the seed.
    strata = {"mon-early": "mon", "tue-early": "tue", "wed-early": "wed"}
    firsts = {assign_units(strata, ["a", "b"], seed=s)["mon-early"] for s in range(30)}
    assert firsts == {"a", "b"}
    for seed in range(30):
        assert set(assign_units(strata, ["a", "b"], seed=seed).values()) == {"a", "b"}


@pytest.mark.parametrize(
    ("strata", "arms", "seed", "message"),
    [
        (STRATA, ["control"], 1, "at least 2 arms"),
        (STRATA, "ab", 1, "a list of names, not the single text 'ab'"),
        (STRATA, ["a", "b", "a"], 1, "distinct; repeated: a"),
        (STRATA, ["a", " "], 1, "arm 2"),
        ({"q1": "x", "q2": ""}, ["a", "b"], 1, "no stratum for unit(s): q2"),
        ({"q1": "x", "q2": None}, ["a", "b"], 1, "no stratum for unit(s): q2"),
        ({"q1": "x", "q2": "x"}, ["a", "b", "c"], 1, "2 unit(s) for 3 arms"),
        (STRATA, ARMS, -1, "seed must be a whole number"),
        (STRATA, ARMS, 1.5, "seed must be a whole number"),
    ],
)
def test_bad_designs_are_refused_with_a_clear_message(strata, arms, seed, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        assign_units(strata, arms, seed)


def test_balance_table_refuses_unknown_units_and_arms():
    with pytest.raises(ValueError, match="no stratum: zz"):
        balance_table(STRATA, {"zz": "control"}, ARMS)
    with pytest.raises(ValueError, match="not in the plan"):
        balance_table(STRATA, {"q00": "placebo"}, ARMS)


def test_redraws_for_randomisation_inference_are_the_assignment_itself():
    from qa_app.domain.experiments.assignment import redraw_assignments

    seeds = [0, 7, 2**40 + 3, 123456789]
    units, drawn = redraw_assignments(STRATA, ARMS, seeds)
    assert units == sorted(STRATA)
    for seed, row in zip(seeds, drawn, strict=True):
        assert {u: ARMS[i] for u, i in zip(units, row, strict=True)} == assign_units(
            STRATA, ARMS, seed
        )


# Stored assignments made before allocations existed must stay reproducible: these are the
# draws of the original even dealing (captured from the code before allocations were added).
def test_equal_dealing_is_unchanged_by_allocations():
    before = {"q00": "empathy", "q01": "script", "q02": "control", "q03": "control",
              "q04": "script", "q05": "script", "q06": "empathy", "s00": "control",
              "s01": "empathy", "s02": "control", "s03": "script", "s04": "empathy",
              "t00": "script", "t01": "empathy", "t02": "control", "t03": "script"}  # fmt: skip
    assert assign_units(STRATA, ARMS, seed=20261203) == before
    for seed in range(40):
        plain = assign_units(STRATA, ARMS, seed=seed)
        assert assign_units(STRATA, ARMS, seed, dict.fromkeys(ARMS, 3)) == plain


def test_an_allocation_deals_each_stratum_in_its_ratio_reproducibly():
    allocation = {"control": 2, "empathy": 1, "script": 1}
    for seed in range(60):
        assignment = assign_units(STRATA, ARMS, seed, allocation)
        assert assign_units(dict(reversed(list(STRATA.items()))), ARMS, seed, allocation) == (
            assignment
        )
        for row in balance_table(STRATA, assignment, ARMS):
            for arm in ARMS:  # each arm's count is its share of the stratum, rounded
                share = row["units"] * allocation[arm] / 4
                assert abs(row[arm] - share) < 1, (seed, row)
        totals = {a: sum(v == a for v in assignment.values()) for a in ARMS}
        # 16 units at 2:1:1 -> 8, 4, 4 exactly
        assert totals == {"control": 8, "empathy": 4, "script": 4}, (seed, totals)
    draws = {tuple(sorted(assign_units(STRATA, ARMS, s, allocation).items())) for s in range(20)}
    assert len(draws) == 20


def test_overall_counts_are_as_close_to_the_ratio_as_whole_units_allow():
    """Seeded: 400 random designs (2-4 arms, ratios 1-5, 1-5 strata of 1-7 units); every arm's
    total is within one unit of its share and never zero."""
    from qa_app.domain.experiments.assignment import arm_counts

    rng = np.random.default_rng(7)
    checked = 0
    for trial in range(400):
        arms = [f"a{i}" for i in range(rng.integers(2, 5))]
        allocation = {a: int(rng.integers(1, 6)) for a in arms}
        sizes = rng.integers(1, 8, size=rng.integers(1, 6))
        strata = {f"u{j}-{i}": f"s{j}" for j, n in enumerate(sizes) for i in range(n)}
        shares = arm_counts(len(strata), arms, allocation)
        if min(shares.values()) < 1:
            with pytest.raises(ValueError, match="at least one"):
                assign_units(strata, arms, trial, allocation)
            continue
        assignment = assign_units(strata, arms, trial, allocation)
        for arm in arms:
            count = sum(v == arm for v in assignment.values())
            assert count >= 1 and abs(count - shares[arm]) < 1, (trial, arm, count, shares)
        checked += 1
    assert checked > 250


def test_two_of_six_queues_every_assignment_equally_likely():
    strata = {f"q{i}": "all" for i in range(6)}
    seen = {}
    for seed in range(3000):
        a = assign_units(strata, ["control", "training"], seed, {"control": 2, "training": 1})
        treated = tuple(sorted(u for u, arm in a.items() if arm == "training"))
        assert len(treated) == 2
        seen[treated] = seen.get(treated, 0) + 1
    assert len(seen) == 15  # C(6, 2)
    assert max(seen.values()) / min(seen.values()) < 1.6  # about 200 each


@pytest.mark.parametrize(
    ("allocation", "message"),
    [
        ({"control": 2}, "missing: empathy, script"),
        ({"control": 1, "empathy": 1, "script": 1, "other": 1}, "not arms: other"),
        ({"control": 0, "empathy": 1, "script": 1}, "control is 0"),
        ({"control": 1.5, "empathy": 1, "script": 1}, "control is 1.5"),
        ({"control": 40, "empathy": 1, "script": 1}, "empathy 0.38 of a unit"),
    ],
)
def test_bad_allocations_are_refused(allocation, message):
    with pytest.raises(ValueError, match=message):
        assign_units(STRATA, ARMS, 1, allocation)


def test_the_design_resolution_is_the_count_of_equally_likely_assignments():
    from qa_app.domain.experiments.assignment import design_resolution

    one = {f"q{i}": "all" for i in range(6)}
    two = {f"q{i}": "phone" if i < 3 else "digital" for i in range(6)}
    arms, two_to_one = ["control", "training"], {"control": 2, "training": 1}
    assert design_resolution(one, arms, two_to_one) == {
        "distinct_assignments": 15, "smallest_p_value": pytest.approx(1 / 15), "exact": True
    }  # fmt: skip
    assert design_resolution(two, arms, two_to_one)["smallest_p_value"] == pytest.approx(1 / 9)
    # equal arms: the mirror image (labels swapped) is as extreme, so 2 / C(6, 3)
    assert design_resolution(one, arms)["smallest_p_value"] == pytest.approx(2 / 20)
    assert (
        design_resolution({f"q{i}": "all" for i in range(12)}, arms)["distinct_assignments"] == 924
    )
