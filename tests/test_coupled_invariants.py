"""Invariants of the coupled model over random parameters and random schedules."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import follicle as fl

MODEL = fl.models.coupled()
PHASES = ("refractory", "competent", "anagen", "catagen")


@st.composite
def parameter_sets(draw):
    """Each parameter log-uniform (or uniform when the range touches 0) in its range."""
    params = {}
    for name, p in MODEL.parameters.items():
        lo, hi = p.bounds
        u = draw(st.floats(0.0, 1.0))
        if lo > 0 and np.isfinite(hi):
            params[name] = float(lo * (hi / lo) ** u)
        elif np.isfinite(hi):
            params[name] = float(lo + (hi - lo) * u)
    params["age0"] = min(params["age0"], 1.0)  # keep production below removal capacity
    return params


@st.composite
def schedules(draw):
    events = []
    for drug in draw(st.lists(st.sampled_from(sorted(fl.models.DRUGS)), max_size=4)):
        events.append(fl.models.dose(drug, draw(st.floats(0, 40)), draw(st.floats(0, 200))))
    if draw(st.booleans()):
        start = draw(st.floats(0, 30))
        events.append(fl.models.induce_senescence(start, start + draw(st.floats(1, 20))))
    return events


#: A boundary case always tried: every parameter at its lower bound, a day of induction.
LOWEST = {n: p.bounds[0] for n, p in MODEL.parameters.items() if np.isfinite(p.bounds[1])}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=parameter_sets(), schedule=schedules())
@example(params=LOWEST, schedule=[fl.models.induce_senescence(0, 1)])
def test_phase_fractions_sum_to_one_and_nothing_goes_negative(params, schedule):
    # Default tolerances: the engine clips undershoots of non-negative states at zero and
    # scales the declared phase fractions back to their total (Module.conserve), so the
    # total holds to round-off, not just to the tolerance.
    run = fl.simulate(MODEL, days=60, params=params, schedule=schedule)
    total = sum(run[name] for name in PHASES)
    np.testing.assert_allclose(total, 1.0, atol=1e-12, rtol=0)
    assert np.all(run.values[: run.n_states] >= 0)
