"""Regime maps and boundaries (engine), on models whose regimes are known in closed form."""

from __future__ import annotations

import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from _models import PROV

import follicle as fl


def _drift():
    """``dx/dt = a - b``: x grows exactly when a > b."""
    m = fl.Module("drift")
    x = m.state("x", "1", 1.0, nonnegative=False)
    a = m.parameter("a", 0.0, "1/day", bounds=(-10, 10), provenance=PROV)
    b = m.parameter("b", 0.0, "1/day", bounds=(-10, 10), provenance=PROV)
    m.rate(x, a - b, label="drift")
    return fl.Model("drift", [m])


def grows(run) -> str:
    return "grows" if run["x"][-1] > run["x"][0] else "shrinks"


def above_three(run) -> str:
    return "above" if run["x"][-1] > 3.0 else "below"


def _dose_setup(point):
    return {"schedule": [fl.Bolus("x", point["dose"], 1.0)]}


MODEL = _drift()
A = np.linspace(-1, 1, 5)
B = np.linspace(-1, 1, 4)


def test_map_labels_are_those_of_the_closed_form():
    result = fl.regime_map(MODEL, ("a", A), ("b", B), grows, days=2)
    assert result.labels.shape == (B.size, A.size)
    expected = np.where(A[None, :] > B[:, None], "grows", "shrinks")
    np.testing.assert_array_equal(result.labels, expected)
    assert set(result.regimes) == {"grows", "shrinks"}
    assert result.fraction("grows") == pytest.approx(np.mean(A[None, :] > B[:, None]))
    assert result.fraction("oscillates") == 0
    assert result.at(0.9, -0.9) == "grows" and result.at(-0.9, 0.9) == "shrinks"
    # along a: "shrinks" while a <= b, so the edge is the last grid a not above b
    edge = result.edge("shrinks")
    np.testing.assert_array_equal(edge, [A[A <= b].max() for b in B])
    assert np.isnan(result.edge("grows")).all()  # no row starts growing (a = -1 <= b)


def test_a_pool_gives_the_same_map():
    plain = fl.regime_map(MODEL, ("a", A), ("b", B), grows, days=2)
    with ThreadPoolExecutor(2) as pool:
        pooled = fl.regime_map(MODEL, ("a", A), ("b", B), grows, days=2, executor=pool)
    np.testing.assert_array_equal(plain.labels, pooled.labels)


def test_a_state_axis_sets_the_initial_value_and_setup_can_make_a_dose_an_axis():
    by_state = fl.regime_map(MODEL, ("x", [1.0, 4.0]), ("a", [0.0]), above_three, days=1)
    assert by_state.labels.tolist() == [["below", "above"]]
    by_dose = fl.regime_map(
        MODEL, ("dose", [1.0, 2.5]), ("a", [0.0]), above_three, days=2, setup=_dose_setup
    )
    assert by_dose.labels.tolist() == [["below", "above"]]


def test_base_options_apply_to_every_point():
    result = fl.regime_map(MODEL, ("a", [0.5]), ("x", [1.0]), grows, days=1, params={"b": 1.0})
    assert result.labels.tolist() == [["shrinks"]]


@pytest.mark.parametrize("ends", [(-1.0, 2.0), (2.0, -1.0)])
def test_boundary_brackets_the_closed_form_threshold(ends):
    found = fl.boundary(MODEL, ("a", *ends), grows, days=1, params={"b": 0.3}, xtol=1e-6, rtol=0)
    assert found.low <= 0.3 <= found.high
    assert found.high - found.low <= 1e-6
    assert (found.below, found.above) == ("shrinks", "grows")  # below = at the lower end
    assert found.value == pytest.approx(0.3, abs=1e-6)


def test_boundary_over_a_dose_axis():
    # x(2) = 1 + dose: above 3 once the dose passes 2
    found = fl.boundary(
        MODEL, ("dose", 0.0, 10.0), above_three, days=2, setup=_dose_setup, rtol=1e-6
    )
    assert found.value == pytest.approx(2.0, rel=1e-5)


def test_results_are_read_only_and_pickle():
    result = fl.regime_map(MODEL, ("a", A), ("b", B), grows, days=1)
    with pytest.raises(ValueError):
        result.labels[0, 0] = "x"
    back = pickle.loads(pickle.dumps(result))
    np.testing.assert_array_equal(back.labels, result.labels)
    assert not back.labels.flags.writeable
    assert "grows" in repr(result)


def test_bad_input_is_refused_with_names():
    with pytest.raises(fl.errors.UnknownNameError, match="'c'"):
        fl.regime_map(MODEL, ("c", A), ("b", B), grows, days=1)
    with pytest.raises(fl.errors.ParameterValueError, match="must differ"):
        fl.regime_map(MODEL, ("a", A), ("a", B), grows, days=1)
    with pytest.raises(fl.errors.ParameterValueError, match="finite numbers"):
        fl.regime_map(MODEL, ("a", [np.nan]), ("b", B), grows, days=1)
    with pytest.raises(fl.errors.ParameterValueError, match="pair"):
        fl.regime_map(MODEL, "a", ("b", B), grows, days=1)
    with pytest.raises(fl.FollicleError, match="str label"):
        fl.regime_map(MODEL, ("a", A), ("b", B), lambda run: 1, days=1)
    with pytest.raises(fl.FollicleError, match="keys among"):
        fl.regime_map(MODEL, ("a", A), ("b", B), grows, days=1, setup=lambda p: {"x": 1})
    with pytest.raises(fl.errors.AnalysisError, match="both give 'grows'"):
        fl.boundary(MODEL, ("a", 1.0, 2.0), grows, days=1)
    with pytest.raises(fl.errors.AnalysisError, match="still bracketed"):
        fl.boundary(MODEL, ("a", -1.0, 2.0), grows, days=1, rtol=1e-9, max_evaluations=5)
    with pytest.raises(fl.errors.ParameterValueError, match=r"\[-10, 10\] 1/day"):
        fl.boundary(MODEL, ("a", -1.0, 20.0), grows, days=1)
