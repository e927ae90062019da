"""Forward sensitivities (follicle.sensitivities) against closed forms and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from _models import decay, hill_feedback

import follicle as fl
from follicle.sensitivities import simulate_sensitivities

TIGHT = {"rtol": 1e-10, "atol": 1e-12}
FD_TIGHT = {"rtol": 1e-11, "atol": 1e-13}


METHODS = pytest.mark.parametrize("method", ["RODAS4", "BDF", "Radau"])


@METHODS
def test_decay_matches_closed_form(method):
    t = np.array([0.0, 0.5, 1.0, 2.0, 4.0])
    s = simulate_sensitivities(
        decay(k=0.5, x0=2.0), ["k_deg"], days=4, t_eval=t, method=method, **TIGHT
    )
    np.testing.assert_allclose(s.of("X", "k_deg"), -2.0 * t * np.exp(-0.5 * t), atol=1e-9)
    np.testing.assert_allclose(s["X"], 2.0 * np.exp(-0.5 * t), rtol=1e-9)


@METHODS
def test_a_step_that_overrides_the_parameter_freezes_its_sensitivity(method):
    # k = 0.5 except on [1, 2), where a step fixes it at 2: x(t) = exp(-k min(t,1) - 2 (t-1)+
    # - k (t-2)+), so dx/dk = -(min(t, 1) + (t - 2)+) x(t).
    t = np.linspace(0, 3, 13)
    step = fl.ParameterStep("k_deg", 2.0, start=1, stop=2)
    s = simulate_sensitivities(
        decay(k=0.5), ["k_deg"], days=3, t_eval=t, schedule=step, method=method, **TIGHT
    )
    x = np.exp(-0.5 * np.minimum(t, 1) - 2 * np.clip(t - 1, 0, 1) - 0.5 * np.clip(t - 2, 0, None))
    np.testing.assert_allclose(s["X"], x, rtol=1e-8)
    expected = -(np.minimum(t, 1) + np.clip(t - 2, 0, None)) * x
    np.testing.assert_allclose(s.of("X", "k_deg"), expected, atol=1e-9)


def _central_differences(model, names, values, days, t_eval, schedule, rel=1e-5):
    columns = []
    for name in names:
        h = rel * values[name]
        up = fl.simulate(
            model,
            days=days,
            t_eval=t_eval,
            schedule=schedule,
            params=values | {name: values[name] + h},
            **FD_TIGHT,
        )
        down = fl.simulate(
            model,
            days=days,
            t_eval=t_eval,
            schedule=schedule,
            params=values | {name: values[name] - h},
            **FD_TIGHT,
        )
        columns.append((up.values - down.values) / (2 * h))
    return np.stack(columns, axis=1)


def _assert_close(analytic, fd, rel=1e-5):
    """Each variable's sensitivity matches to ``rel`` of its own largest magnitude; variables
    whose sensitivity is below 1e-3 of the largest are compared at that floor (there the
    differences are round-off)."""
    scale = np.abs(fd).max(axis=2, keepdims=True) + 1e-3 * np.abs(fd).max()
    assert np.max(np.abs(analytic - fd) / scale) < rel


def test_hill_feedback_all_parameters_match_finite_differences():
    model = hill_feedback()
    names = list(model.parameter_names)
    values = {n: p.value for n, p in model.parameters.items()}
    t = np.linspace(0, 5, 11)
    s = simulate_sensitivities(model, names, days=5, t_eval=t, **TIGHT)
    _assert_close(s.sensitivities, _central_differences(model, names, values, 5, t, None))


@pytest.mark.parametrize("seed", [1, 2])
def test_coupled_model_random_parameters_match_finite_differences(seed):
    """Random parameter values (within 30% of the defaults, inside the ranges), a random
    subset of parameters, and a schedule with a bolus and a parameter step."""
    model = fl.models.coupled()
    rng = np.random.default_rng(seed)
    names = [
        str(n)
        for n in rng.choice(
            [n for n, p in model.parameters.items() if p.value > 0 and n != "induction"],
            size=4,
            replace=False,
        )
    ]
    values = {}
    for name in names:
        p = model.parameters[name]
        low, high = p.bounds
        margin = 1e-3 * (min(high, 2 * p.value) - low)  # room for the difference steps
        values[name] = float(np.clip(p.value * rng.uniform(0.7, 1.3), low + margin, high - margin))
    schedule = [
        fl.models.dose("apoptosis_inducer", day=20, amount="20 mg/kg"),
        fl.models.induce_senescence(start=0, stop=10),
    ]
    t = np.linspace(0, 35, 8)
    s = simulate_sensitivities(
        model, names, days=35, t_eval=t, params=values, schedule=schedule, **TIGHT
    )
    fd = _central_differences(model, names, values, 35, t, schedule)
    # the activation switch makes sensitivities near an onset steep: central differences
    # (step 1e-5) err there by about 1e-5 of the largest sensitivity
    _assert_close(s.sensitivities, fd, rel=3e-5)


@METHODS
def test_an_infusion_and_a_dose_at_the_end(method):
    """x' = -k x + r on [1, 2] (an infusion), a bolus at the last time: x jumps, its
    sensitivity does not. From x(0) = 1: dx/dk = -t x on [0, 1], then by the equation."""
    t = np.array([0.0, 1.0, 1.5, 2.0, 3.0])
    schedule = [fl.Infusion("X", 0.5, start=1, stop=2), fl.Bolus("X", 1.0, 3)]
    s = simulate_sensitivities(
        decay(k=0.5), ["k_deg"], days=3, t_eval=t, schedule=schedule, method=method, **TIGHT
    )
    k, r = 0.5, 0.5

    def x_and_s(time):
        # closed forms: decay to 1, then towards r/k on [1, 2], then decay again
        if time <= 1:
            return np.exp(-k * time), -time * np.exp(-k * time)
        x1, s1 = np.exp(-k), -np.exp(-k)
        if time <= 2:
            tau = time - 1
            x = r / k + (x1 - r / k) * np.exp(-k * tau)
            ds = (
                -r / k**2
                + (s1 + r / k**2) * np.exp(-k * tau)
                - tau * (x1 - r / k) * np.exp(-k * tau)
            )
            return x, ds
        x2, s2 = x_and_s(2.0)
        tau = time - 2
        return x2 * np.exp(-k * tau), (s2 - tau * x2) * np.exp(-k * tau)

    expected = np.array([x_and_s(tt) for tt in t])
    expected[-1, 0] += 1.0  # the dose at the end shows in the last output
    np.testing.assert_allclose(s["X"], expected[:, 0], rtol=1e-8)
    np.testing.assert_allclose(s.of("X", "k_deg"), expected[:, 1], rtol=1e-7, atol=1e-10)


def test_unknown_parameter_is_named():
    with pytest.raises(fl.errors.UnknownNameError, match="k_dge"):
        simulate_sensitivities(decay(), ["k_dge"], days=1)


def test_rodas4_agrees_with_a_tight_radau_reference_on_the_coupled_model():
    """The engine's integrator of the augmented system (block solves through the model's
    LU) against SciPy's Radau on the same equations at far tighter tolerances, under a
    course of doses."""
    model = fl.models.coupled()
    names = ["d_W", "k_act", "hill_wnt"]
    kw = {
        "days": 40,
        "t_eval": np.linspace(0, 40, 9),
        "schedule": fl.models.course(
            "wnt_inhibitor", start=12, amount="2 mg/kg", every="2 day", times=3
        ),
    }
    ref = simulate_sensitivities(model, names, method="Radau", rtol=1e-11, atol=1e-13, **kw)
    run = simulate_sensitivities(model, names, rtol=1e-8, **kw)
    np.testing.assert_allclose(run.values, ref.values, rtol=1e-6, atol=1e-9)
    _assert_close(run.sensitivities, ref.sensitivities, rel=2e-6)


def test_a_parameter_sensitivity_does_not_depend_on_the_others_chosen():
    """One generated module serves every selection: a column is the same whichever
    parameters come with it, in whatever order."""
    model = hill_feedback()
    names = list(model.parameter_names)
    t = np.linspace(0, 5, 6)
    both = simulate_sensitivities(model, names, days=5, t_eval=t, **TIGHT)
    for name in names:
        alone = simulate_sensitivities(model, [name], days=5, t_eval=t, **TIGHT)
        np.testing.assert_allclose(
            alone.sensitivities[:, 0],
            both.sensitivities[:, names.index(name)],
            rtol=1e-7,
            atol=1e-12,
        )
    reversed_ = simulate_sensitivities(model, names[::-1], days=5, t_eval=t, **TIGHT)
    np.testing.assert_allclose(
        reversed_.sensitivities[:, ::-1], both.sensitivities, rtol=1e-7, atol=1e-12
    )


def test_a_method_that_is_not_stiff_is_refused():
    with pytest.raises(fl.errors.FollicleError, match="RK45"):
        simulate_sensitivities(decay(), ["k_deg"], days=1, method="RK45")


def test_no_parameters_gives_the_states_alone():
    t = np.array([0.0, 1.0, 2.0])
    s = simulate_sensitivities(decay(k=0.5), [], days=2, t_eval=t)
    assert s.sensitivities.shape == (1, 0, 3)
    np.testing.assert_allclose(s["X"], np.exp(-0.5 * t), rtol=1e-6)


def test_something_that_is_not_a_model_is_refused():
    with pytest.raises(fl.errors.FollicleError, match="needs a follicle Model"):
        simulate_sensitivities("decay", ["k_deg"], days=1)
