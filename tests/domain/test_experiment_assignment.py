"""Stratified randomisation of queues / schedule blocks (qa_app.domain.experiment_assignment)."""

import pytest

from qa_app.domain.experiment_assignment import assign_units, balance_table

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
    from qa_app.domain.experiment_assignment import redraw_assignments

    seeds = [0, 7, 2**40 + 3, 123456789]
    units, drawn = redraw_assignments(STRATA, ARMS, seeds)
    assert units == sorted(STRATA)
    for seed, row in zip(seeds, drawn, strict=True):
        assert {u: ARMS[i] for u, i in zip(units, row, strict=True)} == assign_units(
            STRATA, ARMS, seed
        )
