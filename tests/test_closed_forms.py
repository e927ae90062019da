"""Simulations against closed-form solutions, to a relative error below 1e-6.

Every simulation here runs with tight tolerances (``rtol=1e-10``, ``atol=1e-14`` times the
state's magnitude), so a 1e-6 discrepancy means a wrong equation, a wrong unit conversion or
a mishandled discontinuity, never integration error.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from _models import (
    TIGHT,
    chain,
    decay,
    erlang_chain,
    erlang_last,
    logistic,
    logistic_exact,
    michaelis_menten,
    one_compartment,
)
from scipy import stats
from scipy.special import lambertw

import follicle as fl

REL = 1e-6


def assert_close(actual, expected, *, scale=1.0, rel=REL):
    """Relative error below ``rel``; values far below ``scale`` are compared absolutely."""
    np.testing.assert_allclose(actual, expected, rtol=rel, atol=1e-10 * scale)


# -- plain dynamics --------------------------------------------------------------------
@pytest.mark.parametrize("k", [0.05, 0.5, 3.0])
def test_exponential_decay(k):
    run = fl.simulate(decay(k, x0=2.0), days=10, **TIGHT)
    assert_close(run["X"], 2.0 * np.exp(-k * run.t), scale=2.0)
    assert run.t[0] == 0.0 and run.t[-1] == 10.0
    assert run["X"][0] == 2.0


@pytest.mark.parametrize("n", [1, 2, 5, 12])
def test_erlang_transit_chain_last_compartment(n):
    k = 0.8  # mean transit time 1/k
    run = fl.simulate(erlang_chain(n, k), days=12, **TIGHT)
    last = run[f"A{n - 1}"]
    expected = erlang_last(run.t, n, k)
    assert_close(last, expected)
    # The same closed form via scipy's gamma density: A_last = pdf / (n k).
    via_gamma = stats.gamma.pdf(run.t, a=n, scale=1 / (n * k)) / (n * k)
    assert_close(last, via_gamma)
    # Every intermediate compartment follows the Poisson form (nkt)^i/i! e^{-nkt}.
    for i in range(n):
        exact = (n * k * run.t) ** i / math.factorial(i) * np.exp(-n * k * run.t)
        assert_close(run[f"A{i}"], exact)


def test_erlang_outflow_cumulates_to_gamma_cdf():
    n, k = 4, 0.5
    run = fl.simulate(chain([n * k] * n, a0=3.0, sink=True), days=20, **TIGHT)
    expected = 3.0 * stats.gamma.cdf(run.t, a=n, scale=1 / (n * k))
    assert_close(run["E"], expected, scale=3.0)


def test_long_erlang_chain_uses_sparse_jacobian_and_matches_closed_form():
    # 50 states with a 2-diagonal Jacobian: simulate() switches BDF to the sparse Jacobian.
    n, k = 50, 0.25
    model = erlang_chain(n, k)
    assert model.compiled.jac_density < 0.2
    run = fl.simulate(model, days=10, **TIGHT)
    assert_close(run[f"A{n - 1}"], erlang_last(run.t, n, k))
    assert_close(run["A10"], erlang_last(run.t, 11, k * n / 11))


def test_logistic_growth():
    r, cap, n0 = 0.8, 1000.0, 10.0
    run = fl.simulate(logistic(r, cap, n0), days=25, **TIGHT)
    exact = logistic_exact(run.t, r, cap, n0)
    assert_close(run["N"], exact, scale=cap)
    assert_close(run["occupancy"], exact / cap)
    assert run["N"][-1] == pytest.approx(cap, rel=1e-6)


def test_michaelis_menten_against_lambert_w():
    # X(t) = Km W((X0/Km) exp((X0 - Vmax t)/Km)), all in nM and days.
    km, vmax, x0 = 500.0, 20_000.0, 2000.0
    run = fl.simulate(michaelis_menten(0.5, "uM", 20.0, x0), days=0.2, **TIGHT)
    arg = (x0 / km) * np.exp((x0 - vmax * run.t) / km)
    exact = km * lambertw(arg).real
    assert_close(run["X"], exact, scale=x0)


# -- dosing -----------------------------------------------------------------------------
def test_bolus_then_first_order_elimination():
    k, amount = 0.3, 2.5
    run = fl.simulate(one_compartment(k), days=20, schedule=[fl.Bolus("drug", amount, 5)], **TIGHT)
    before, after = run.t < 5, run.t >= 5
    assert np.all(run["drug"][before] == 0.0)
    assert_close(run["drug"][after], amount * np.exp(-k * (run.t[after] - 5)), scale=amount)
    # The output at the dose time shows the state after the dose.
    assert run["drug"][run.t == 5.0] == pytest.approx([amount], rel=1e-12)
    assert run.stats.segments == 2


def test_bolus_amount_and_time_with_units():
    k = 0.3
    plain = fl.simulate(one_compartment(k), days=10, schedule=[fl.Bolus("drug", 2.0, 4)], **TIGHT)
    dosed = fl.simulate(
        one_compartment(k), days=10, schedule=[fl.Bolus("drug", "2000 ug/kg", "96 hour")], **TIGHT
    )
    np.testing.assert_allclose(dosed["drug"], plain["drug"], rtol=1e-12, atol=1e-15)
    event = dosed.schedule.events[0]
    assert (event.time, event.time_unit) == (96.0, "hour")  # kept as given
    assert fl.schedule.in_unit(event, "day").time == pytest.approx(4.0, rel=1e-14)


def _infusion_exact(t, rate, k, start, stop):
    t = np.asarray(t, dtype=float)
    during = (rate / k) * (1 - np.exp(-k * (np.clip(t, start, stop) - start)))
    return np.where(t < start, 0.0, during * np.exp(-k * np.clip(t - stop, 0, None)))


def test_constant_infusion_rises_to_steady_state_and_decays_after():
    k, rate, start, stop = 0.4, 1.5, 2.0, 12.0
    run = fl.simulate(
        one_compartment(k), days=30, schedule=[fl.Infusion("drug", rate, start, stop)], **TIGHT
    )
    assert_close(run["drug"], _infusion_exact(run.t, rate, k, start, stop), scale=rate / k)
    assert run.stats.segments == 3


def test_long_infusion_reaches_rate_over_k():
    k, rate = 2.0, 3.0
    run = fl.simulate(
        one_compartment(k),
        days=25,
        schedule=[fl.Infusion("drug", "0.125 mg/kg/hour", 0, 25)],
        **TIGHT,
    )
    assert rate / 24 == 0.125
    assert run["drug"][-1] == pytest.approx(rate / k, rel=REL)
    assert_close(run["drug"], (rate / k) * (1 - np.exp(-k * run.t)), scale=rate / k)


def test_parameter_step_piecewise_decay():
    k1, k2, t1, t2 = 0.5, 2.0, 3.0, 6.0
    run = fl.simulate(
        decay(k1), days=10, schedule=[fl.ParameterStep("k_deg", k2, t1, t2)], **TIGHT
    )
    t = run.t
    x1 = math.exp(-k1 * t1)
    x2 = x1 * math.exp(-k2 * (t2 - t1))
    exact = np.where(
        t < t1,
        np.exp(-k1 * t),
        np.where(t < t2, x1 * np.exp(-k2 * (t - t1)), x2 * np.exp(-k1 * (t - t2))),
    )
    assert_close(run["X"], exact)
    # The trajectory reports the parameters at the start, not the stepped value.
    assert run.parameter_values == {"k_deg": k1}


def test_observables_use_the_stepped_parameter_value():
    # occupancy = N / K must use the K in effect at each time, not the default.
    r, k_default, k_step, n0 = 0.8, 1000.0, 400.0, 10.0
    run = fl.simulate(
        logistic(r, k_default, n0),
        days=10,
        schedule=[fl.ParameterStep("K", k_step, 2, 6)],
        **TIGHT,
    )
    k_now = np.where((run.t >= 2) & (run.t < 6), k_step, k_default)
    np.testing.assert_allclose(run["occupancy"], run["N"] / k_now, rtol=1e-12)
    # Before the step, N follows the logistic with the default capacity.
    before = run.t < 2
    assert_close(run["N"][before], logistic_exact(run.t[before], r, k_default, n0), scale=n0)


def test_open_ended_parameter_step():
    k1, k2, t1 = 0.2, 1.0, 4.0
    run = fl.simulate(decay(k1), days=10, schedule=fl.ParameterStep("k_deg", k2, t1), **TIGHT)
    t = run.t
    exact = np.where(t < t1, np.exp(-k1 * t), math.exp(-k1 * t1) * np.exp(-k2 * (t - t1)))
    assert_close(run["X"], exact)


@pytest.mark.parametrize(("every", "times"), [(3.0, 4), (1.5, 7), (7.0, 1)])
def test_repeated_boluses_superpose(every, times):
    k, amount, first = 0.4, 1.2, 2.0
    doses = fl.repeat(fl.Bolus("drug", amount, first), every=every, times=times)
    assert [d.time for d in doses] == pytest.approx([first + j * every for j in range(times)])
    run = fl.simulate(one_compartment(k), days=30, schedule=doses, **TIGHT)
    exact = np.zeros_like(run.t)
    for j in range(times):
        tj = first + j * every
        exact += np.where(run.t >= tj, amount * np.exp(-k * (run.t - tj)), 0.0)
    assert_close(run["drug"], exact, scale=amount)


def test_repeated_infusions_superpose():
    k, rate = 0.7, 2.0
    doses = fl.repeat(fl.Infusion("drug", rate, 1.0, 2.5), every="4 day", times=3)
    run = fl.simulate(one_compartment(k), days=15, schedule=doses, **TIGHT)
    exact = sum(_infusion_exact(run.t, rate, k, 1.0 + 4 * j, 2.5 + 4 * j) for j in range(3))
    assert_close(run["drug"], exact, scale=rate / k)


def test_dose_at_final_time_shows_in_last_output():
    run = fl.simulate(
        one_compartment(0.5),
        days=4,
        schedule=[fl.Bolus("drug", 1.0, 2), fl.Bolus("drug", 3.0, 4)],
        **TIGHT,
    )
    assert run["drug"][-1] == pytest.approx(math.exp(-0.5 * 2) + 3.0, rel=REL)


@pytest.mark.parametrize("method", ["BDF", "Radau", "LSODA", "RK45", "DOP853"])
def test_breakpoints_a_round_off_apart(method):
    # 3 * 0.1 = 0.30000000000000004: the step starts a round-off after the bolus, leaving a
    # segment no solver can step across. The state is carried across it unchanged.
    k1, k2, amount = 0.5, 2.0, 1.0
    t1 = 3 * 0.1
    assert 0 < t1 - 0.3 < 1e-15
    schedule = [fl.Bolus("X", amount, 0.3), fl.ParameterStep("k_deg", k2, t1, 1.0)]
    run = fl.simulate(decay(k1), days=2, schedule=schedule, method=method, **TIGHT)
    x_dose = math.exp(-k1 * 0.3) + amount
    x_stop = x_dose * math.exp(-k2 * (1.0 - t1))
    t = run.t
    exact = np.where(
        t < 0.3,
        np.exp(-k1 * t),
        np.where(t < 1.0, x_dose * np.exp(-k2 * (t - t1)), x_stop * np.exp(-k1 * (t - 1.0))),
    )
    assert_close(run["X"], exact, rel=1e-5 if method in ("LSODA", "RK45") else REL)


def test_zero_dose_a_denormal_after_the_start():
    run = fl.simulate(
        chain([1.0], a0=0.0), days=20, method="Radau", schedule=[fl.Bolus("A0", 0.0, 5e-324)]
    )
    assert np.all(run.values == 0.0)


# -- units -----------------------------------------------------------------------------
def test_rate_in_per_hour_is_24_times_faster_per_day():
    k = 0.1
    hourly = fl.simulate(decay(k, rate_unit="1/hour"), days=2, **TIGHT)
    daily = fl.simulate(decay(k, rate_unit="1/day"), days=2, **TIGHT)
    assert_close(hourly["X"], np.exp(-24 * k * hourly.t))
    assert_close(daily["X"], np.exp(-k * daily.t))
    inside = hourly.t > 0
    ratio = np.log(hourly["X"][inside]) / np.log(daily["X"][inside])
    np.testing.assert_allclose(ratio, 24.0, rtol=REL)
    # The same rate written per day compiles to the same numbers.
    per_day = fl.simulate(decay(24 * k), days=2, **TIGHT)
    np.testing.assert_allclose(hourly["X"], per_day["X"], rtol=REL)


def test_parameter_override_with_units_is_converted():
    run = fl.simulate(decay(0.5), days=3, params={"k_deg": "2 1/week"}, **TIGHT)
    assert run.parameter_values["k_deg"] == pytest.approx(2 / 7, rel=1e-14)
    assert_close(run["X"], np.exp(-(2 / 7) * run.t))


def test_michaelis_menten_km_in_um_equals_km_in_nm_times_1000():
    in_um = fl.simulate(michaelis_menten(0.5, "uM"), days=0.2, **TIGHT)
    in_nm = fl.simulate(michaelis_menten(0.5 * 1000, "nM"), days=0.2, **TIGHT)
    np.testing.assert_allclose(in_um["X"], in_nm["X"], rtol=REL, atol=1e-9)
    # And a genuinely different Km (0.5 nM) gives a visibly different answer.
    wrong = fl.simulate(michaelis_menten(0.5, "nM"), days=0.2, **TIGHT)
    assert np.max(np.abs(wrong["X"] - in_um["X"])) > 1.0


def test_observable_unit_conversion(twenty_state_model):
    run = fl.simulate(twenty_state_model, days=1, **TIGHT)
    total_nm = run.values[: run.n_states].sum(axis=0)
    np.testing.assert_allclose(run["total"], total_nm / 1000, rtol=1e-12)
    assert run.unit("total") == "µM"


def test_span_and_output_times_with_units():
    k = 0.5
    t_eval = fl.units.Q_(np.linspace(24, 72, 9), "hour")
    run = fl.simulate(decay(k), t_span=("1 day", "72 hour"), t_eval=t_eval, **TIGHT)
    np.testing.assert_allclose(run.t, np.linspace(1, 3, 9), rtol=1e-14)
    # The initial state is the state at the span's start.
    assert_close(run["X"], np.exp(-k * (run.t - 1)))


def test_min_and_max_in_a_rate():
    # dX/dt = max(k, X k) - min(k, X k) = k |X - 1|: X(t) = 1 + (x0 - 1) e^{k t} for x0 > 1.
    m = fl.Module("minmax")
    x = m.state("X", unit="1", initial=1.5)
    k = m.parameter("k", 0.4, "1/day", bounds=(0, 1), provenance="assumed: test model")
    m.rate(x, sp.Max(k, x * k) - sp.Min(k, x * k), label="|X - 1| k")
    run = fl.simulate(fl.Model("minmax", [m]), days=3, **TIGHT)
    assert_close(run["X"], 1 + 0.5 * np.exp(0.4 * run.t))
