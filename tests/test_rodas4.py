"""fl.simulate(method="RODAS4"): the engine's integrator against closed forms and against
SciPy's Radau at tight tolerance (test models, the zoo, the coupled model with a course)."""

from __future__ import annotations

import numpy as np
import pytest

import follicle as fl
from tests._models import erlang_chain, erlang_last, hill_feedback, logistic, logistic_exact

T = np.linspace(0.0, 10.0, 41)


def test_erlang_chain_matches_its_closed_form():
    run = fl.simulate(erlang_chain(6), t_eval=T, t_span=(0, 10), method="RODAS4", rtol=1e-9)
    exact = erlang_last(T, 6, 1.0)
    np.testing.assert_allclose(run["A5"], exact, rtol=0, atol=1e-7)
    assert run.stats.method == "RODAS4"


def test_logistic_growth_matches_its_closed_form():
    run = fl.simulate(logistic(), t_eval=T, t_span=(0, 10), method="RODAS4", rtol=1e-9)
    exact = logistic_exact(T, 0.8, 1000.0, 10.0)
    np.testing.assert_allclose(run["N"], exact, rtol=1e-6)


def _against_radau(model, days, rtol=1e-8, schedule=None, tol=1e-5):
    t = np.linspace(0.0, days, 61)
    ours = fl.simulate(model, days=days, t_eval=t, schedule=schedule, method="RODAS4", rtol=rtol)
    ref = fl.simulate(model, days=days, t_eval=t, schedule=schedule, method="Radau", rtol=1e-11)
    for name, state in model.states.items():
        np.testing.assert_allclose(
            ours[name], ref[name], rtol=tol, atol=tol * state.scale, err_msg=name
        )


def test_hill_feedback_matches_radau():
    _against_radau(hill_feedback(), 20.0)


@pytest.mark.parametrize("name", ["halloy2002", "alnuaimi2012", "karin2019"])
def test_zoo_models_match_radau(name):
    _against_radau(getattr(fl.models.zoo, name)(), 30.0)


def test_coupled_model_under_a_course_matches_radau():
    schedule = fl.models.scenario("macrophage_wnt_inhibition").schedule
    _against_radau(fl.models.coupled(), 40.0, schedule=schedule, tol=1e-4)


def test_it_is_the_default_method():
    assert fl.simulate(logistic(), days=1.0).stats.method == "RODAS4"


#: The logistic test model (r = 0.8 per day, K = 1000, N0 = 10) reaches K/2 at ln(K/N0 - 1)/r.
HALF_TIME = np.log(1000.0 / 10.0 - 1.0) / 0.8


def test_threshold_events_are_located_on_the_interpolant():
    events = [
        fl.Threshold("N", 500.0, direction="up", label="half"),
        fl.Threshold("N", 500.0, direction="down", label="never"),
    ]
    run = fl.simulate(logistic(), days=10, rtol=1e-8, events=events)
    (half,) = run.event_times("half")
    assert half == pytest.approx(HALF_TIME, rel=1e-6)
    assert run.event_times("never") == ()
    assert run.t[-1] == 10.0


def test_a_terminal_event_ends_the_outputs_there():
    event = fl.Threshold("N", 500.0, direction="up", terminal=True, label="half")
    run = fl.simulate(logistic(), t_span=(0, 10), t_eval=T, rtol=1e-8, events=[event])
    assert run.event_times("half")[0] == pytest.approx(HALF_TIME, rel=1e-6)
    np.testing.assert_array_equal(run.t, T[T <= HALF_TIME])


def test_max_step_bounds_every_step():
    free = fl.simulate(logistic(), t_eval=T, t_span=(0, 10), rtol=1e-9)
    bounded = fl.simulate(logistic(), t_eval=T, t_span=(0, 10), rtol=1e-9, max_step=0.01)
    assert free.stats.njev < 500 < 1000 <= bounded.stats.njev  # accepted steps
    np.testing.assert_allclose(bounded["N"], logistic_exact(T, 0.8, 1000.0, 10.0), rtol=1e-6)


@pytest.mark.parametrize("runner", ["simulate", "ensemble"])
def test_a_run_far_shorter_than_one_time_unit_is_not_an_underflow(runner):
    """A fast decay over 8e-5 days (an SBML model in seconds, converted) starts with steps
    of ~1e-14 days: small next to one day, not next to the run; the step-size floor is
    relative to the run's time scale, so the run succeeds and meets the closed form."""
    m = fl.Module("fast")
    k = m.parameter("k", 1.8e5, "1/day", provenance="test")
    x = m.state("x", "1", 1.9e6)
    y = m.state("y", "1", 0.0)
    m.rate(x, -k * x)
    m.rate(y, k * x)
    model = fl.Model("fast", [m])
    times = np.array([0.0, 1e-5, 8e-5])
    exact = 1.9e6 * np.exp(-1.8e5 * times)
    if runner == "simulate":
        values = fl.simulate(model, t_span=(0.0, 8e-5), t_eval=times, rtol=1e-8)["x"]
    else:
        ens = fl.simulate_ensemble(model, t_span=(0.0, 8e-5), t_eval=times, rtol=1e-8)
        assert ens.status[0] == "ok", ens.reason[0]
        values = ens.values[0, 0]
    np.testing.assert_allclose(values, exact, rtol=1e-6, atol=1e-3)


def _root_decay():
    """dX/dt = -sqrt(k) X: the rate is a power of a parameter alone, which the kernel
    computes once per parameter change (follicle.codegen.kernels.hoisted)."""
    m = fl.Module("root_decay")
    x = m.state("X", "nM", 1.0)
    k = m.parameter("k", 0.25, "1/day**2", bounds=(0, 10), provenance="assumed: test")
    m.rate(x, -(k**0.5) * x)
    return fl.Model("root_decay", [m])


def test_parameter_only_subexpressions_follow_each_member_and_each_step():
    from follicle.codegen import kernels

    model = _root_decay()
    hoisted = kernels.hoisted(model.compiled)
    assert hoisted.derived  # sqrt(k) is taken out of the right-hand side and the Jacobian
    assert not [
        s for e in (*hoisted.rhs, *hoisted.jac_entries) for s in e.free_symbols if s.name == "_p0"
    ]
    t = np.linspace(0, 4, 9)
    # members with their own k; a step sets k = 1 on [1, 2) for all of them
    step = fl.ParameterStep("k", 1.0, start=1, stop=2)
    ks = np.array([0.04, 0.25, 2.25])
    ens = fl.simulate_ensemble(
        model, days=4, t_eval=t, params={"k": ks}, schedule=step, rtol=1e-10, atol=1e-13
    )
    for i, k in enumerate(ks):
        r = np.sqrt(k)
        exponent = r * np.minimum(t, 1) + np.clip(t - 1, 0, 1) + r * np.clip(t - 2, 0, None)
        np.testing.assert_allclose(ens.member(i)["X"], np.exp(-exponent), rtol=1e-8)
        one = fl.simulate(model, days=4, t_eval=t, params={"k": k}, schedule=step, rtol=1e-10)
        np.testing.assert_allclose(one["X"], np.exp(-exponent), rtol=1e-7)
