"""Declared conservation (Module.conserve): invariants hold by construction (issue 16,
finding 5). Initial values that break a declared total are refused at the boundary, and
clipping non-negative states in output does not change the total."""

from __future__ import annotations

import numpy as np
import pytest
from _models import PROV

import follicle as fl
from follicle.model import clip_conserving


def phases(k: float = 40.0, *, conserve=True, leak=False) -> fl.Model:
    """Three fractions cycling P -> Q -> R -> P, declared to sum to one."""
    m = fl.Module("cycle")
    p = m.state("P", "1", 1.0)
    q = m.state("Q", "1", 0.0)
    r = m.state("R", "1", 0.0)
    rate = m.parameter("k", k, "1/day", provenance=PROV)
    m.flow(p, q, rate * p)
    m.flow(q, r, rate * q)
    m.flow(r, p, rate / 10 * r)
    if leak:
        m.rate(r, -rate * r, label="leak")
    if conserve:
        m.conserve([p, q, r], 1.0, label="fractions")
    return fl.Model("cycle", [m])


def test_initial_values_breaking_the_total_are_refused_with_names_and_sum():
    with pytest.raises(fl.errors.ParameterValueError) as err:
        fl.simulate(phases(), days=1, initial={"P": 5.0})
    message = str(err.value)
    assert "'fractions'" in message and "= 5" in message and "must be 1" in message
    assert "'P': 5.0" in message


def test_initial_values_keeping_the_total_are_accepted():
    run = fl.simulate(phases(), days=1, initial={"P": 0.3, "Q": 0.7})
    assert run.values[:3].sum(axis=0) == pytest.approx(1.0, abs=1e-12)


def test_an_ensemble_member_breaking_the_total_is_invalid_not_run():
    ens = fl.simulate_ensemble(phases(), days=1, initial={"P": [1.0, 5.0, 0.5]})
    assert list(ens.status) == ["ok", "invalid", "invalid"]
    assert "'fractions'" in ens.reason[1] and "= 5" in ens.reason[1]
    assert "= 0.5" in ens.reason[2]


def test_the_phase_fractions_of_the_coupled_model_are_declared():
    model = fl.models.coupled()
    (law,) = [c for c in model.conservation if c.label == "phase fractions"]
    assert law.total == 1.0 and len(law.states) == 72
    with pytest.raises(fl.errors.ParameterValueError, match=r"phase fractions.*= 5"):
        model.initial_vector({"R1": 5.0})


def test_a_model_whose_rates_break_a_declared_total_is_refused():
    with pytest.raises(
        fl.errors.ModelDefinitionError, match="'fractions' conserved, but the rate"
    ):
        phases(leak=True)


def test_defaults_breaking_the_total_are_refused():
    m = fl.Module("m")
    a, b = m.state("A", "1", 0.5), m.state("B", "1", 0.2)
    m.flow(a, b, m.parameter("k", 2.0, "1/day", provenance=PROV) * a)
    m.conserve([a, b], 1.0)
    with pytest.raises(fl.errors.ModelDefinitionError, match="default initial values break"):
        fl.Model("m", [m])


def test_conserve_names_unknown_states():
    m = fl.Module("m")
    a = m.state("A", "1", 1.0)
    m.conserve([a, "Bee"], 1.0)
    with pytest.raises(fl.errors.UnknownNameError, match="Bee"):
        fl.Model("m", [m])


def test_clipping_keeps_each_conserved_total():
    y = np.array([[1.0 + 3e-9, 0.5], [-3e-9, 0.5], [0.0, 0.0], [-1.0, -1.0]])
    nonnegative = np.array([True, True, True, False])
    out = clip_conserving(y.copy(), nonnegative, (np.array([0, 1, 2]),))
    assert (out[:3] >= 0).all()
    np.testing.assert_array_equal(out[3], y[3])  # not non-negative: untouched
    assert out[:3].sum(axis=0) == pytest.approx(y[:3].sum(axis=0), abs=1e-15)
    naive = np.maximum(y[:3], 0).sum(axis=0)
    assert naive[0] - y[:3, 0].sum() > 2e-9  # what plain clipping would have added
