"""follicle.analysis on textbook cases whose steady states, eigenvalues, folds, Hopf points
and cycles are known in closed form (see the builders in :mod:`_models`)."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from _models import brusselator, chain, hopf_normal_form, saddle_node, transcritical

import follicle as fl
from follicle.analysis import classify


# -- steady states and stability ---------------------------------------------------------
@pytest.mark.parametrize("r", [-0.25, -1.0, -4.0])
def test_saddle_node_steady_states_and_eigenvalues(r):
    found = fl.steady_states(saddle_node(), {"r": r})
    root = math.sqrt(-r)
    assert len(found) == 2
    low, high = found  # sorted by value
    assert low["x"] == pytest.approx(-root, rel=1e-12)
    assert high["x"] == pytest.approx(root, rel=1e-12)
    # f'(x) = 2x: stable below, unstable above
    assert low.eigenvalues[0] == pytest.approx(-2 * root, rel=1e-10)
    assert high.eigenvalues[0] == pytest.approx(2 * root, rel=1e-10)
    assert (low.stability, high.stability) == ("stable node", "unstable node")
    assert found.stable == (low,)


def test_no_steady_state_is_an_empty_result_not_an_error():
    found = fl.steady_states(saddle_node(), {"r": 0.25})
    assert len(found) == 0
    assert found.starts == 21  # the initial state and 20 random starts


@pytest.mark.parametrize(
    ("a", "b", "label"),
    [(1.0, 1.5, "stable focus"), (1.0, 2.5, "unstable focus"), (2.0, 0.5, "stable node")],
)  # 4.5^2 > 4 * 4
def test_brusselator_steady_state_and_eigenvalues(a, b, label):
    (state,) = fl.steady_states(brusselator(a, b))
    assert state["x"] == pytest.approx(a, rel=1e-12)
    assert state["y"] == pytest.approx(b / a, rel=1e-12)
    # trace b - 1 - a^2, determinant a^2
    expected = np.roots([1.0, -(b - 1 - a**2), a**2])
    np.testing.assert_allclose(
        np.sort_complex(state.eigenvalues), np.sort_complex(expected), rtol=1e-10
    )
    assert state.stability == label
    assert state.residual < 1e-12


def test_conservation_law_is_found_and_the_class_kept():
    # A0 -> A1 -> A2 -> E: everything ends in the sink, A0 + A1 + A2 + E = a0 is conserved
    model = chain([1.0, 2.0, 0.5], a0=3.0)
    (state,) = fl.steady_states(model)
    np.testing.assert_allclose(state.values, [0, 0, 0, 3.0], atol=1e-12)
    (law,) = fl.steady_states(model).conservation
    assert dict(law.weights) == pytest.approx({"A0": 1, "A1": 1, "A2": 1, "E": 1})
    assert law.total == pytest.approx(3.0)
    # the conservation law's zero eigenvalue is dropped; the rest are -k_i
    np.testing.assert_allclose(np.sort(state.eigenvalues.real), [-2.0, -1.0, -0.5])
    assert state.stability == "stable node"
    other = fl.steady_states(model, initial={"A1": 5.0})
    assert other[0]["E"] == pytest.approx(8.0)


def test_classify_labels():
    assert classify([-1.0, -2.0]) == "stable node"
    assert classify([-1 + 2j, -1 - 2j]) == "stable focus"
    assert classify([1.0, 3.0]) == "unstable node"
    assert classify([0.5 + 1j, 0.5 - 1j, 2.0]) == "unstable focus"
    assert classify([-1.0, 2.0]) == "saddle"
    assert classify([-1.0, 0.1 + 1j, 0.1 - 1j]) == "saddle-focus"
    assert classify([1j, -1j, -1.0]) == "non-hyperbolic"
    assert classify([]) == "neutral"


def test_seeded_search_is_deterministic():
    a = fl.steady_states(saddle_node(), {"r": -1.0}, starts=5, seed=7)
    b = fl.steady_states(saddle_node(), {"r": -1.0}, starts=5, seed=7)
    assert [s.as_dict() for s in a] == [s.as_dict() for s in b]


def test_caller_supplied_starts_are_used():
    # one start near each root, and no random ones
    found = fl.steady_states(saddle_node(), {"r": -1.0}, starts=[[-3.0], [2.0]])
    assert [round(s["x"], 12) for s in found] == [-1.0, 1.0]


def test_results_are_read_only_and_pickle():
    found = fl.steady_states(brusselator(1.0, 1.5))
    with pytest.raises(ValueError, match="read-only"):
        found[0].values[0] = 5.0
    with pytest.raises(AttributeError):
        found[0].stability = "stable node"
    again = pickle.loads(pickle.dumps(found, protocol=2))
    assert again[0].as_dict() == found[0].as_dict()
    with pytest.raises(ValueError, match="read-only"):
        again[0].values[0] = 5.0
    result = fl.scan(hopf_normal_form(), "mu", [-0.5, 0.5])
    copy = pickle.loads(pickle.dumps(result, protocol=2))
    assert copy.hopf[0].above.period == result.hopf[0].above.period
    with pytest.raises(ValueError, match="read-only"):
        copy.branches[0].values[0, 0] = 1.0


# -- folds and branch points ----------------------------------------------------------
@pytest.mark.parametrize(
    "grid", [np.linspace(-1, 1, 41), np.linspace(1, -1, 41)], ids=["increasing", "decreasing"]
)
def test_fold_of_the_saddle_node_normal_form_is_at_r_zero(grid):
    result = fl.scan(saddle_node(), "r", grid)
    (fold,) = result.bifurcations
    assert fold.kind == "fold"
    assert abs(fold.value) < 1e-10
    assert abs(fold["x"]) < 1e-5  # x ~ sqrt of the error in r
    assert abs(fold.eigenvalues[0]) < 1e-5
    # one branch turning at the fold: stable where x < 0, unstable where x > 0, r = -x^2
    (branch,) = result.branches
    x = branch["x"]
    np.testing.assert_allclose(branch.parameter, -(x**2), atol=1e-10)
    assert np.all(branch.stable[x < -1e-3]) and not np.any(branch.stable[x > 1e-3])
    assert branch.parameter.min() == pytest.approx(-1.0)
    # the probes: on the side with no steady state x runs off to infinity; on the other
    # it settles on the stable node (no oscillation either way)
    assert fold.above.note.startswith("the simulation failed")
    assert not fold.below.oscillating and not fold.below.note


def test_transcritical_crossing_is_a_branch_point_not_a_fold():
    result = fl.scan(transcritical(), "r", np.linspace(-1, 1, 21), cycles=False)
    kinds = {b.kind for b in result.bifurcations}
    assert kinds == {"branch point"}
    assert all(abs(b.value) < 1e-8 for b in result.bifurcations)
    # the two branches x = 0 and x = r exchange stability at r = 0
    for branch in result.branches:
        before, after = branch.parameter < -0.05, branch.parameter > 0.05
        assert branch.stable[before].all() != branch.stable[after].any()


def test_a_branch_stops_where_a_non_negative_state_would_turn_negative():
    result = fl.scan(transcritical(nonnegative=True), "r", np.linspace(-1, 1, 21))
    ends = [b.ends[0] for b in result.branches]
    assert "a non-negative state would become negative" in ends
    for branch in result.branches:
        assert branch["x"].min() >= 0


# -- Hopf points and their cycles ------------------------------------------------------
@pytest.mark.parametrize("omega", [1.0, 2.5])
def test_hopf_normal_form_hopf_at_zero_with_cycle_of_amplitude_sqrt_mu(omega):
    result = fl.scan(hopf_normal_form(omega), "mu", np.linspace(-0.5, 0.5, 21))
    (hopf,) = result.bifurcations
    assert hopf.kind == "hopf"
    assert abs(hopf.value) < 1e-12
    assert hopf.frequency == pytest.approx(omega, rel=1e-10)
    assert hopf.period_at_onset == pytest.approx(2 * math.pi / omega, rel=1e-10)
    assert hopf.lyapunov == pytest.approx(-2 / omega, rel=1e-6)
    assert hopf.criticality == "supercritical"
    # below: the kicked origin spirals back in; above: a circle of radius sqrt(mu)
    assert hopf.offset == pytest.approx(0.02)
    assert not hopf.below.oscillating
    assert hopf.above.oscillating
    assert hopf.above.amplitude("x") == pytest.approx(math.sqrt(0.02), rel=1e-5)
    assert hopf.above.amplitude("y") == pytest.approx(math.sqrt(0.02), rel=1e-5)
    assert hopf.above.period == pytest.approx(2 * math.pi / omega, rel=1e-5)


def test_subcritical_hopf_has_a_positive_lyapunov_coefficient():
    result = fl.scan(hopf_normal_form(2.0, c=-0.5), "mu", [-0.5, 0.5], cycles=False)
    (hopf,) = result.hopf
    assert abs(hopf.value) < 1e-12
    assert hopf.lyapunov == pytest.approx(2 * 0.5 / 2.0, rel=1e-6)
    assert hopf.criticality == "subcritical"


@pytest.mark.parametrize("mu", [0.04, 0.25])
def test_find_cycle_amplitude_is_sqrt_mu(mu):
    cycle = fl.find_cycle(hopf_normal_form(), {"mu": mu}, days=60 / mu)
    assert cycle.oscillating
    assert cycle.amplitude("x") == pytest.approx(math.sqrt(mu), rel=1e-5)
    assert cycle.low("x") == pytest.approx(-math.sqrt(mu), rel=1e-5)
    assert cycle.period == pytest.approx(2 * math.pi, rel=1e-5)


def test_find_cycle_sees_no_cycle_at_a_stable_focus():
    cycle = fl.find_cycle(hopf_normal_form(), {"mu": -0.2}, days=300)
    assert not cycle.oscillating and math.isnan(cycle.period)


@pytest.mark.parametrize("a", [1.0, 2.0])
def test_brusselator_hopf_at_b_equal_one_plus_a_squared(a):
    b_hopf = 1 + a**2
    result = fl.scan(brusselator(a), "b", np.linspace(b_hopf - 1, b_hopf + 1, 21))
    (hopf,) = result.bifurcations
    assert hopf.kind == "hopf"
    assert hopf.value == pytest.approx(b_hopf, abs=1e-9)
    assert hopf.frequency == pytest.approx(a, rel=1e-8)  # eigenvalues +-i a there
    assert hopf["x"] == pytest.approx(a, rel=1e-9)
    assert hopf["y"] == pytest.approx(b_hopf / a, rel=1e-9)
    assert hopf.criticality == "supercritical"
    # genuine: the pair's real part, (b - 1 - a^2)/2, changes sign across it
    for side, sign in ((-0.05, -1), (0.05, 1)):
        (state,) = fl.steady_states(brusselator(a, b_hopf + side))
        assert np.sign(state.eigenvalues[0].real) == sign
        assert state.eigenvalues[0].real == pytest.approx(side / 2, rel=1e-8)
    assert not hopf.below.oscillating
    assert hopf.above.oscillating
    # a cycle born at the Hopf point starts near the onset period 2 pi / a
    assert hopf.above.period == pytest.approx(2 * math.pi / a, rel=0.05)
