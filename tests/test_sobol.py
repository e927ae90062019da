"""Sobol indices against cases whose indices are known in closed form."""

from __future__ import annotations

import math
import pickle
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from _models import PROV

import follicle as fl

pytest.importorskip("SALib")


def _ishigami_model():
    m = fl.Module("ishigami")
    m.state("y", "1", 0.0)
    for name in ("x1", "x2", "x3"):
        m.parameter(name, 0.0, "1", bounds=(-math.pi, math.pi), provenance=PROV)
    return fl.Model("ishigami", [m])


def ishigami(p, a=7.0, b=0.1):
    return math.sin(p["x1"]) + a * math.sin(p["x2"]) ** 2 + b * p["x3"] ** 4 * math.sin(p["x1"])


def ishigami_arrays(p, a=7.0, b=0.1):
    """:func:`ishigami` of arrays of points."""
    x1, x2, x3 = (np.asarray(p[k]) for k in ("x1", "x2", "x3"))
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def _ishigami_indices(a=7.0, b=0.1):
    """Closed-form indices (Ishigami & Homma 1990; Sobol' & Levitan 1999)."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    var = v1 + v2 + v13
    first = np.array([v1, v2, 0.0]) / var
    total = np.array([v1 + v13, v2, v13]) / var
    return first, total


def _line():
    """``dy/dt = c1 k1 + c2 k2 + c3 k3``, so ``y(1 day) = sum c_i k_i``."""
    m = fl.Module("line")
    y = m.state("y", "1", 0.0)
    ks = [m.parameter(f"k{i}", 1.0, "1/day", bounds=(0, 10), provenance=PROV) for i in (1, 2, 3)]
    m.rate(y, 1 * ks[0] + 2 * ks[1] + 4 * ks[2], label="production")
    return fl.Model("line", [m])


LINE = _line()


def line_readout(params):
    return float(fl.simulate(LINE, days=1, params=params, t_eval=[0.0, 1.0])["y"][-1])


ISHIGAMI = _ishigami_model()
FULL = {name: (-math.pi, math.pi) for name in ("x1", "x2", "x3")}


def test_ishigami_indices_match_the_closed_form():
    result = fl.fitting.sobol_indices(
        ISHIGAMI, ["x1", "x2", "x3"], ishigami, n=4096, ranges=FULL, seed=1
    )
    first, total = _ishigami_indices()
    np.testing.assert_allclose(result.first, first, atol=0.04)
    np.testing.assert_allclose(result.total, total, atol=0.04)
    assert result.ranking() == ("x1", "x2", "x3")
    assert result.ranking(by="first") == ("x2", "x1", "x3")
    assert np.all(result.first_conf > 0) and np.all(result.total_conf < 0.1)
    assert result.evaluations == 4096 * 5


def test_linear_model_through_simulation_has_additive_indices():
    # k_i uniform on [0.8, 1.2] (spread 0.2): Var(c_i k_i) = c_i^2 0.4^2 / 12, so
    # S_i = ST_i = c_i^2 / (1 + 4 + 16).
    result = fl.fitting.sobol_indices(LINE, ["k1", "k2", "k3"], line_readout, n=256, seed=2)
    expected = np.array([1, 4, 16]) / 21
    np.testing.assert_allclose(result.ranges, [[0.8, 1.2]] * 3)
    np.testing.assert_allclose(result.first, expected, atol=0.03)
    np.testing.assert_allclose(result.total, expected, atol=0.03)
    assert result.ranking() == ("k3", "k2", "k1")


def test_seeded_and_executor_independent():
    args = (ISHIGAMI, ["x1", "x2", "x3"], ishigami)
    plain = fl.fitting.sobol_indices(*args, n=64, ranges=FULL, seed=3, batch=7)
    again = fl.fitting.sobol_indices(*args, n=64, ranges=FULL, seed=3)
    with ThreadPoolExecutor(2) as pool:
        pooled = fl.fitting.sobol_indices(*args, n=64, ranges=FULL, seed=3, executor=pool)
    other = fl.fitting.sobol_indices(*args, n=64, ranges=FULL, seed=4)
    for result in (again, pooled):
        np.testing.assert_array_equal(result.first, plain.first)
        np.testing.assert_array_equal(result.total_conf, plain.total_conf)
    assert not np.array_equal(other.first, plain.first)
    # A readout of arrays, a batch at a time, gives the same numbers.
    vectorized = fl.fitting.sobol_indices(
        ISHIGAMI, ["x1", "x2", "x3"], ishigami_arrays, n=64, ranges=FULL, seed=3, vectorized=True
    )
    np.testing.assert_allclose(vectorized.first, plain.first, rtol=1e-12)
    np.testing.assert_allclose(vectorized.total_conf, plain.total_conf, rtol=1e-12)
    back = pickle.loads(pickle.dumps(plain))
    np.testing.assert_array_equal(back.total, plain.total)
    assert not back.total.flags.writeable
    assert "| `x1` |" in plain.table() and "top: x" in repr(plain)


def test_seed_zero_repeats_its_intervals_too():
    # SALib leaves its bootstrap unseeded for a falsy seed; ours must not
    args = (ISHIGAMI, ["x1", "x2", "x3"], ishigami)
    first, second = (fl.fitting.sobol_indices(*args, n=16, ranges=FULL, seed=0) for _ in "ab")
    np.testing.assert_array_equal(first.first_conf, second.first_conf)
    np.testing.assert_array_equal(first.total_conf, second.total_conf)


def test_ranges_are_clipped_to_the_declared_bounds():
    m = fl.Module("clip")
    m.state("y", "1", 0.0)
    m.parameter("f", 0.9, "1", bounds=(0, 1), provenance=PROV)
    m.parameter("g", 2.0, "1", bounds=(0, 10), provenance=PROV)
    result = fl.fitting.sobol_indices(
        fl.Model("clip", [m]), ["f", "g"], lambda p: p["f"] + p["g"], n=16, spread=0.5
    )
    np.testing.assert_allclose(result.ranges, [[0.45, 1.0], [1.0, 3.0]])


def test_bad_input_is_refused_with_names():
    sobol = fl.fitting.sobol_indices
    with pytest.raises(fl.errors.UnknownNameError, match="'x4'"):
        sobol(ISHIGAMI, ["x1", "x4"], ishigami, n=8, ranges=FULL)
    with pytest.raises(fl.errors.ParameterValueError, match="power of two"):
        sobol(ISHIGAMI, ["x1"], ishigami, n=100, ranges={"x1": FULL["x1"]})
    with pytest.raises(fl.errors.ParameterValueError, match="'x1' would be sampled on"):
        sobol(ISHIGAMI, ["x1"], ishigami, n=8)  # default 0: +-20% of it is empty
    with pytest.raises(fl.errors.ParameterValueError, match="outside its allowed range"):
        sobol(ISHIGAMI, ["x1"], ishigami, n=8, ranges={"x1": (-4, 0)})
    with pytest.raises(fl.errors.ParameterValueError, match="not sampled"):
        sobol(ISHIGAMI, ["x1"], ishigami, n=8, ranges=FULL)
    with pytest.raises(fl.errors.AnalysisError, match="does not depend"):
        sobol(ISHIGAMI, ["x3"], lambda p: 1.0, n=8, ranges={"x3": FULL["x3"]})
    with pytest.raises(fl.errors.AnalysisError, match="readout is nan"):
        sobol(ISHIGAMI, ["x3"], lambda p: math.nan, n=8, ranges={"x3": FULL["x3"]})
    x3 = {"x3": FULL["x3"]}
    with pytest.raises(fl.errors.AnalysisError, match="one value per sample point"):
        sobol(ISHIGAMI, ["x3"], lambda p: np.zeros(3), n=8, ranges=x3, vectorized=True)
    with pytest.raises(fl.errors.AnalysisError, match=r"readout is inf at \{'x3': "):
        sobol(
            ISHIGAMI,
            ["x3"],
            lambda p: np.where(p["x3"] > 0, 1.0, np.inf),
            n=8,
            ranges=x3,
            vectorized=True,
        )
