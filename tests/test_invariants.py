"""Property tests: conservation of mass and non-negativity in linear chains under random
rates and random dosing schedules, and linearity of the response."""

from __future__ import annotations

import numpy as np
from _models import chain
from hypothesis import given, settings
from hypothesis import strategies as st

import follicle as fl

SETTINGS = settings(max_examples=25, deadline=None)
SPAN = 20.0
_CHAINS = {n: chain([1.0] * n, a0=1.0, sink=True) for n in range(1, 6)}

rates = st.floats(0.01, 50.0)
times = st.floats(0.0, SPAN)
amounts = st.floats(0.0, 10.0)


@st.composite
def dosed_chains(draw):
    n = draw(st.integers(1, 5))
    model = _CHAINS[n]
    params = {f"k_{i}": draw(rates) for i in range(n)}
    a0 = draw(st.floats(0.0, 5.0))
    targets = [*model.state_names]
    boluses = draw(
        st.lists(st.builds(fl.Bolus, st.sampled_from(targets), amounts, times), max_size=6)
    )
    infusions = draw(
        st.lists(
            st.tuples(
                st.sampled_from(targets), st.floats(0.0, 3.0), times, st.floats(0.01, 10.0)
            ).map(lambda a: fl.Infusion(a[0], a[1], a[2], a[2] + a[3])),
            max_size=2,
        )
    )
    method = draw(st.sampled_from(["BDF", "Radau", "LSODA", "RK45"]))
    return model, params, a0, boluses, infusions, method


def _dosed_amount(t, boluses, infusions):
    """Total amount put in by ``t`` (a bolus at ``t`` counts: outputs show post-dose)."""
    total = np.zeros_like(t)
    for b in boluses:
        total += np.where(t >= b.time, float(b.amount), 0.0)
    for inf in infusions:
        total += float(inf.rate) * np.clip(np.minimum(t, inf.stop) - inf.start, 0.0, None)
    return total


@SETTINGS
@given(dosed_chains())
def test_chain_conserves_mass_and_stays_nonnegative(case):
    model, params, a0, boluses, infusions, method = case
    run = fl.simulate(
        model,
        days=SPAN,
        params=params,
        initial={"A0": a0},
        schedule=[*boluses, *infusions],
        method=method,
    )
    states = run.values[: run.n_states]
    assert np.all(np.isfinite(states))
    assert np.all(states >= 0.0)
    total = states.sum(axis=0)
    expected = a0 + _dosed_amount(run.t, boluses, infusions)
    np.testing.assert_allclose(total, expected, rtol=1e-6, atol=1e-8)
    # Material only moves downstream: the sink never decreases.
    assert np.all(np.diff(run["E"]) >= -1e-8)


@SETTINGS
@given(st.integers(1, 5), st.data())
def test_chain_right_hand_side_sums_to_zero(n, data):
    compiled = _CHAINS[n].compiled
    y = np.array(data.draw(st.lists(st.floats(0.0, 1e3), min_size=n + 1, max_size=n + 1)))
    p = np.array(data.draw(st.lists(rates, min_size=n, max_size=n)))
    dy = compiled.rhs(0.0, y, p)
    assert abs(dy.sum()) <= 1e-12 * max(1.0, np.abs(dy).max())
    # Column sums of the Jacobian vanish too: every flow leaves one state and enters another.
    np.testing.assert_allclose(compiled.jac(0.0, y, p).sum(axis=0), 0.0, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(dosed_chains(), st.floats(0.1, 10.0))
def test_chain_response_is_linear_in_the_doses(case, factor):
    model, params, a0, boluses, infusions, _ = case
    base = fl.simulate(
        model,
        days=SPAN,
        params=params,
        initial={"A0": a0},
        schedule=[*boluses, *infusions],
        rtol=1e-9,
        atol=1e-12,
    )
    scaled_schedule = [fl.Bolus(b.target, float(b.amount) * factor, b.time) for b in boluses]
    scaled_schedule += [
        fl.Infusion(i.target, float(i.rate) * factor, i.start, i.stop) for i in infusions
    ]
    scaled = fl.simulate(
        model,
        days=SPAN,
        params=params,
        initial={"A0": a0 * factor},
        schedule=scaled_schedule,
        rtol=1e-9,
        atol=1e-12,
    )
    scale = max(1.0, float(np.abs(base.values).max()))
    np.testing.assert_allclose(
        scaled.values, factor * base.values, rtol=1e-6, atol=1e-7 * factor * scale
    )


@SETTINGS
@given(st.integers(2, 5), st.data())
def test_parameter_steps_do_not_create_or_destroy_mass(n, data):
    model = _CHAINS[n]
    params = {f"k_{i}": data.draw(rates) for i in range(n)}
    which = data.draw(st.integers(0, n - 1))
    start = data.draw(st.floats(0.0, SPAN - 1))
    stop = data.draw(st.floats(start + 0.5, SPAN + 5))
    step = fl.ParameterStep(f"k_{which}", data.draw(rates), start, stop)
    run = fl.simulate(model, days=SPAN, params=params, initial={"A0": 3.0}, schedule=step)
    states = run.values[: run.n_states]
    assert np.all(states >= 0.0)
    np.testing.assert_allclose(states.sum(axis=0), 3.0, rtol=1e-6)
