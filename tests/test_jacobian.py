"""The analytic Jacobian equals central finite differences of the right-hand side, and the
batch (ensemble) form of the compiled functions equals member-by-member evaluation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
import sympy as sp
from _models import (
    PROV,
    chain,
    hill_feedback,
    logistic,
    michaelis_menten,
    twenty_state,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import follicle as fl

SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _product_model():
    """Products, quotients and powers with numeric and symbolic exponents of two states."""
    m = fl.Module("products")
    a = m.state("A", unit="nM", initial=1.0)
    b = m.state("B", unit="nM", initial=2.0)
    c = m.state("C", unit="1", initial=0.3, nonnegative=False)
    k1 = m.parameter("k1", 0.5, "1/(nM*day)", bounds=(0, 10), provenance=PROV)
    k2 = m.parameter("k2", 0.2, "1/day", bounds=(0, 10), provenance=PROV)
    kd = m.parameter("K_d", 0.8, "nM", bounds=(1e-2, 10), provenance=PROV)
    q = m.parameter("q", 1.7, "1", bounds=(0.1, 4), provenance=PROV)
    m.rate(a, -k1 * a * b + k2 * b * (b / kd) ** q / (1 + (a / kd) ** 2), label="binding")
    m.rate(b, k1 * a * b - k2 * b * sp.sqrt(a / kd), label="release")
    m.rate(
        c,
        k2 * (c * a / kd - c**3 + sp.log(1 + b / kd)) - k1 * k2 * a * c * fl.t / 3,
        label="mixed",
    )
    return fl.Model("products", [m])


MODELS = {
    "hill": hill_feedback,
    "michaelis_menten": michaelis_menten,
    "logistic": logistic,
    "products": _product_model,
    "chain": lambda: chain([1.0, 2.0, 3.0, 0.5]),
    "ring20": twenty_state,
}
_BUILT = {name: build() for name, build in MODELS.items()}


def _steps(y):
    return 1e-6 * np.maximum(np.abs(y), 1e-3)


def _fd_jacobian(compiled, t, y, p):
    """Central finite differences with a step relative to each state's magnitude."""
    n = y.size
    out = np.empty((n, n))
    for j, h in enumerate(_steps(y)):
        up, down = y.copy(), y.copy()
        up[j] += h
        down[j] -= h
        out[:, j] = (compiled.rhs(t, up, p) - compiled.rhs(t, down, p)) / (2 * h)
    return out


def _draw_point(draw, model):
    """A state vector in (0.05, 20) times each state's scale and parameters in bounds."""
    y = np.array([draw(st.floats(0.05, 20.0)) * s.scale for s in model.states.values()])
    p = []
    for par in model.parameters.values():
        low, high = par.bounds
        high = min(high, 10 * max(par.value, 1e-3), 1e4)
        low = max(low, high * 1e-3)
        p.append(draw(st.floats(low, high)))
    t = draw(st.floats(0.0, 50.0))
    return t, y, np.array(p)


@st.composite
def model_points(draw):
    name = draw(st.sampled_from(sorted(_BUILT)))
    model = _BUILT[name]
    return (name, model, *_draw_point(draw, model))


@SETTINGS
@given(model_points())
def test_dense_jacobian_matches_finite_differences(point):
    name, model, t, y, p = point
    compiled = model.compiled
    analytic = compiled.jac(t, y, p)
    numeric = _fd_jacobian(compiled, t, y, p)
    assert analytic.shape == (y.size, y.size)
    # Truncation error is relative (rtol); round-off in the differences of f is absolute,
    # about eps |f| / h per column, with a wide margin for cancellation among the terms.
    f_scale = np.max(np.abs(compiled.rhs(t, y, p))) + 1.0
    round_off = 1e3 * np.finfo(float).eps * f_scale / _steps(y)
    tolerance = 1e-5 * np.abs(numeric) + 1e-7 * np.max(np.abs(numeric)) + round_off
    worst = np.unravel_index(np.argmax(np.abs(analytic - numeric) - tolerance), numeric.shape)
    assert np.all(np.abs(analytic - numeric) <= tolerance), (
        f"model {name}: d f_{worst[0]} / d y_{worst[1]} analytic {analytic[worst]!r}, "
        f"finite differences {numeric[worst]!r}"
    )


@SETTINGS
@given(model_points())
def test_sparse_jacobian_equals_dense(point):
    _name, model, t, y, p = point
    compiled = model.compiled
    sparse = compiled.jac_sparse(t, y, p)
    assert scipy.sparse.issparse(sparse)
    assert sparse.shape == (y.size, y.size)
    np.testing.assert_array_equal(sparse.toarray(), compiled.jac(t, y, p))


def test_jacobian_structure_is_the_structural_nonzeros():
    model = chain([1.0, 2.0, 3.0, 0.5])
    compiled = model.compiled
    # A chain with a sink: each compartment depends on itself and its predecessor only.
    pattern = set(zip(compiled.jac_rows.tolist(), compiled.jac_cols.tolist(), strict=True))
    expected = {(i, i) for i in range(4)} | {(i + 1, i) for i in range(4)}
    assert pattern == expected
    assert compiled.jac_density == pytest.approx(len(expected) / 25)


def test_jacobian_of_linear_chain_is_exact():
    rates = [1.0, 2.0, 3.0, 0.5]
    model = chain(rates)
    p = np.array(rates)
    jac = model.compiled.jac(0.0, np.ones(5), p)
    expected = np.zeros((5, 5))
    for i, k in enumerate(rates):
        expected[i, i] = -k
        expected[i + 1, i] = k
    np.testing.assert_array_equal(jac, expected)


@SETTINGS
@given(st.sampled_from(sorted(_BUILT)), st.integers(1, 6), st.data())
def test_batch_evaluation_equals_member_by_member(name, batch, data):
    model = _BUILT[name]
    compiled = model.compiled
    points = [_draw_point(data.draw, model) for _ in range(batch)]
    t = points[0][0]
    y = np.stack([pt[1] for pt in points], axis=1)
    p = np.stack([pt[2] for pt in points], axis=1)
    assert y.shape == (compiled.n_states, batch) and p.shape == (compiled.n_params, batch)
    rhs = compiled.rhs(t, y, p)
    jac = compiled.jac(t, y, p)
    obs = compiled.observables(t, y, p)
    assert rhs.shape == (compiled.n_states, batch)
    assert jac.shape == (compiled.n_states, compiled.n_states, batch)
    assert obs.shape == (compiled.n_observables, batch)
    # NumPy evaluates powers and exponentials of arrays with SIMD code and of single values
    # with libm; both are within a few ulps, which sums and products can grow to ~1e-12
    # (seen: 5e-13 in a Jacobian entry of ring20 from a difference of two Hill terms).
    close = {"rtol": 1e-12, "atol": 0.0}
    for b in range(batch):
        np.testing.assert_allclose(rhs[:, b], compiled.rhs(t, y[:, b], p[:, b]), **close)
        np.testing.assert_allclose(jac[..., b], compiled.jac(t, y[:, b], p[:, b]), **close)
        np.testing.assert_allclose(obs[:, b], compiled.observables(t, y[:, b], p[:, b]), **close)


def test_observables_along_a_trajectory_broadcast_over_time():
    model = hill_feedback()
    compiled = model.compiled
    run = fl.simulate(model, days=3)
    values = run.parameter_values
    p = np.array([values[n] for n in model.parameter_names])
    states = run.values[: run.n_states]
    along = compiled.observables(run.t, states, p)
    assert along.shape == (1, run.t.size)
    for i in range(0, run.t.size, 37):
        single = compiled.observables(run.t[i], states[:, i], p)
        np.testing.assert_allclose(along[:, i], single, rtol=1e-13)
    np.testing.assert_allclose(run["activity"], run["X"] * run["Y"] / values["K_x"], rtol=1e-12)


def test_rhs_matches_hand_written_equations():
    model = hill_feedback()
    names = model.parameter_names
    p = np.array([model.parameters[n].value for n in names])
    v = dict(zip(names, p, strict=True))
    y = np.array([0.7, 1.3, 80.0])
    t = 2.0
    x, yy, w = y
    expected = [
        v["beta"] / (1 + (yy / v["K_x"]) ** v["n_hill"])
        - v["V_x"] * x / (v["K_m"] + x)
        + v["beta"] * (1 + np.sin(v["omega"] * t)) / 4,
        v["k_on"] * x * (1 + w / v["W_ref"]) - v["k_y"] * yy * np.exp(-yy / v["K_x"]),
        v["k_w"] * w * (1 - w * yy / (v["W_ref"] * v["K_x"] * 10)),
    ]
    np.testing.assert_allclose(model.compiled.rhs(t, y, p), expected, rtol=1e-13)
