"""Threshold events located by root finding, and the readout functions, against analytic
crossing times, peaks and integrals."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from _models import PROV, TIGHT, decay, logistic, one_compartment
from sympy import cos

import follicle as fl
from follicle import readouts

REL = 1e-6


def _oscillator(x0=2.0, amp=1.0, omega=1.3):
    """``dX/dt = A w cos(w t)``: ``X(t) = x0 + A sin(w t)``."""
    m = fl.Module("osc")
    x = m.state("X", unit="nM", initial=x0)
    a = m.parameter("A", amp, "nM", provenance=PROV)
    w = m.parameter("w", omega, "1/day", provenance=PROV)
    m.rate(x, a * w * cos(w * fl.t), label="forcing")
    m.observable("X_um", x, unit="uM")
    return fl.Model("osc", [m])


# -- Threshold events ------------------------------------------------------------------
@pytest.mark.parametrize("k", [0.1, 0.5, 4.0])
def test_decay_crosses_half_at_ln2_over_k(k):
    run = fl.simulate(decay(k), days=20 / k, events=[fl.Threshold("X", 0.5)], **TIGHT)
    (times,) = [v for _, v in run.events]
    assert times == pytest.approx((math.log(2) / k,), rel=REL)
    assert run.event_times("X both 0.5") == times


def test_logistic_crosses_half_capacity():
    r, cap, n0 = 0.8, 1000.0, 10.0
    run = fl.simulate(
        logistic(r, cap, n0),
        days=20,
        events=[fl.Threshold("N", "500 cells/mm**2", label="half")],
        **TIGHT,
    )
    expected = math.log((cap - n0) / n0) / r
    assert run.event_times("half") == pytest.approx((expected,), rel=REL)


def test_threshold_on_an_observable():
    r, cap, n0 = 0.8, 1000.0, 10.0
    run = fl.simulate(
        logistic(r, cap, n0),
        days=20,
        events=[fl.Threshold("occupancy", 0.25, direction="up", label="q")],
        **TIGHT,
    )
    # N = K/4 when e^{rt} = (K - N0) / (3 N0).
    expected = math.log((cap - n0) / (3 * n0)) / r
    assert run.event_times("q") == pytest.approx((expected,), rel=REL)


def test_threshold_value_in_another_unit():
    run = fl.simulate(
        _oscillator(),
        days=5,
        events=[fl.Threshold("X_um", "2.5 nM", direction="up", label="u")],
        **TIGHT,
    )
    assert run.event_times("u") == pytest.approx((math.pi / 6 / 1.3,), rel=REL)


@pytest.mark.parametrize(
    ("direction", "phases"),
    [
        ("up", [1 / 6, 13 / 6, 25 / 6]),
        ("down", [5 / 6, 17 / 6, 29 / 6]),
        ("both", [1 / 6, 5 / 6, 13 / 6, 17 / 6, 25 / 6, 29 / 6]),
    ],
)
def test_threshold_direction(direction, phases):
    omega = 1.3
    span = 5.5 * math.pi / omega  # up to phase 5.5 pi
    run = fl.simulate(
        _oscillator(omega=omega),
        days=span,
        events=[fl.Threshold("X", 2.5, direction=direction, label="e")],
        **TIGHT,
    )
    expected = [phase * math.pi / omega for phase in phases]
    assert run.event_times("e") == pytest.approx(expected, rel=REL)


def test_several_thresholds_at_once():
    k = 0.5
    levels = [0.9, 0.5, 0.1]
    run = fl.simulate(decay(k), days=10, events=[fl.Threshold("X", v) for v in levels], **TIGHT)
    for v in levels:
        assert run.event_times(f"X both {v}") == pytest.approx((-math.log(v) / k,), rel=REL)


def test_threshold_crossings_in_separate_schedule_segments():
    # Infusion rate R from t0 to ts, then elimination: the level L is crossed on the way
    # up (during the infusion) and on the way down (after it stops).
    k, rate, t0, ts, level = 0.5, 2.0, 1.0, 6.0, 2.0
    run = fl.simulate(
        one_compartment(k),
        days=15,
        schedule=[fl.Infusion("drug", rate, t0, ts)],
        events=[fl.Threshold("drug", level, label="L")],
        **TIGHT,
    )
    c_stop = (rate / k) * (1 - math.exp(-k * (ts - t0)))
    up = t0 - math.log(1 - level * k / rate) / k
    down = ts + math.log(c_stop / level) / k
    assert run.event_times("L") == pytest.approx((up, down), rel=REL)


def test_terminal_event_stops_the_trajectory():
    k = 0.5
    crossing = math.log(2) / k
    run = fl.simulate(
        decay(k), days=10, events=[fl.Threshold("X", 0.5, terminal=True, label="half")], **TIGHT
    )
    assert run.event_times("half") == pytest.approx((crossing,), rel=REL)
    grid = np.linspace(0, 10, 201)
    expected_times = grid[grid <= crossing]
    np.testing.assert_array_equal(run.t, expected_times)
    assert run.t[-1] <= crossing
    np.testing.assert_allclose(run["X"], np.exp(-k * run.t), rtol=REL)
    assert run.values.shape == (1, expected_times.size)


def test_terminal_event_skips_later_schedule_segments():
    k = 0.3
    run = fl.simulate(
        one_compartment(k),
        days=20,
        schedule=[fl.Bolus("drug", 1.0, 1), fl.Bolus("drug", 1.0, 10)],
        events=[fl.Threshold("drug", 0.5, direction="down", terminal=True, label="low")],
        **TIGHT,
    )
    crossing = 1 + math.log(2) / k
    assert run.event_times("low") == pytest.approx((crossing,), rel=REL)
    assert run.t[-1] <= crossing < run.t[-1] + 0.1
    assert np.all(run["drug"] <= 1.0 + 1e-12)  # the second dose never happened


def test_no_crossing_gives_empty_event_times():
    run = fl.simulate(decay(0.1), days=1, events=[fl.Threshold("X", 0.5, label="never")])
    assert run.event_times("never") == ()


# -- readouts --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def decay_run():
    return fl.simulate(decay(0.5), days=10, **TIGHT)


def _linear_crossing(t, y, level):
    i = int(np.flatnonzero((y[:-1] - level) * (y[1:] - level) <= 0)[0])
    return t[i] + (t[i + 1] - t[i]) * (level - y[i]) / (y[i + 1] - y[i])


def test_crossing_time_is_interpolated_between_outputs(decay_run):
    got = readouts.crossing_time(decay_run, "X", 0.5, direction="down")
    assert got == pytest.approx(_linear_crossing(decay_run.t, decay_run["X"], 0.5), rel=1e-12)
    # Linear interpolation on a 0.1-day grid is close to, but not exactly, ln 2 / k.
    assert got == pytest.approx(math.log(2) / 0.5, abs=1e-3)
    assert got != pytest.approx(math.log(2) / 0.5, abs=1e-9)


def test_crossing_time_accepts_units_and_windows(decay_run):
    got = readouts.crossing_time(
        decay_run, "X", "500 pM", direction="either", start="24 hour", stop=8
    )
    assert got == pytest.approx(math.log(2) / 0.5, abs=1e-3)


def test_crossing_time_is_nan_without_a_crossing(decay_run):
    assert math.isnan(readouts.crossing_time(decay_run, "X", 0.5, direction="up"))
    assert math.isnan(readouts.crossing_time(decay_run, "X", 2.0, direction="either"))
    assert math.isnan(readouts.crossing_time(decay_run, "X", 0.5, direction="down", start=2))


def test_crossing_time_up_and_down():
    run = fl.simulate(_oscillator(), days=6, t_eval=np.linspace(0, 6, 6001), **TIGHT)
    up = readouts.crossing_time(run, "X", 2.5, direction="up")
    down = readouts.crossing_time(run, "X", 2.5, direction="down")
    assert up == pytest.approx(math.pi / 6 / 1.3, abs=1e-5)
    assert down == pytest.approx(5 * math.pi / 6 / 1.3, abs=1e-5)


def test_recovery_time_is_the_first_regain_after_the_minimum():
    run = fl.simulate(_oscillator(), days=6, t_eval=np.linspace(0, 6, 6001), **TIGHT)
    # X = 2 + sin(1.3 t) is lowest at 1.3 t = 3 pi / 2 and is back at 2.5 at 13 pi / 6.
    regained = 13 * math.pi / 6 / 1.3
    assert readouts.recovery_time(run, "X", 2.5) == pytest.approx(regained, abs=1e-5)
    assert readouts.recovery_time(run, "X", 2.5, start=4.0) == pytest.approx(regained, abs=1e-5)
    # The earlier up-crossing (before the minimum) is not a recovery.
    assert readouts.crossing_time(run, "X", 2.5) < 1.0


@pytest.mark.parametrize("level", [3.5, 0.5])
def test_recovery_time_is_nan_when_never_regained_or_never_lost(level):
    run = fl.simulate(_oscillator(), days=6, t_eval=np.linspace(0, 6, 6001), **TIGHT)
    assert math.isnan(readouts.recovery_time(run, "X", level))


def test_crossing_times_lists_every_crossing_of_a_sine():
    run = fl.simulate(_oscillator(), days=12, t_eval=np.linspace(0, 12, 12001), **TIGHT)
    ups = readouts.crossing_times(run, "X", 2.5, direction="up")
    period = 2 * math.pi / 1.3
    assert ups == pytest.approx(math.pi / 6 / 1.3 + period * np.arange(ups.size), abs=1e-5)
    assert ups.size == 3  # 12 days hold a little more than two periods
    both = readouts.crossing_times(run, "X", 2.5, direction="either")
    assert both.size == 6  # and three down-crossings between and after them
    assert np.all(np.diff(both) > 0)
    assert readouts.crossing_times(run, "X", 99.0).size == 0


def test_peak_of_infusion_is_at_its_stop():
    k, rate, t0, ts = 0.4, 1.5, 2.0, 7.0
    run = fl.simulate(
        one_compartment(k), days=20, schedule=[fl.Infusion("drug", rate, t0, ts)], **TIGHT
    )
    when, value = readouts.peak(run, "drug")
    assert when == pytest.approx(ts, abs=1e-12)
    assert value == pytest.approx((rate / k) * (1 - math.exp(-k * (ts - t0))), rel=REL)
    # Restricted to a window after the stop, the peak is at the window's start.
    when, value = readouts.peak(run, "drug", start=10, stop=12)
    assert when == pytest.approx(10.0)
    assert value == pytest.approx(readouts.value_at(run, "drug", 10), rel=1e-12)


def test_peak_of_a_two_compartment_chain_matches_bateman():
    from _models import chain

    k0, k1 = 2.0, 0.5
    run = fl.simulate(chain([k0, k1]), days=10, t_eval=np.linspace(0, 10, 10001), **TIGHT)
    t_max = math.log(k0 / k1) / (k0 - k1)
    a_max = k0 / (k0 - k1) * (math.exp(-k1 * t_max) - math.exp(-k0 * t_max))
    when, value = readouts.peak(run, "A1")
    assert when == pytest.approx(t_max, abs=1e-3)
    assert value == pytest.approx(a_max, rel=1e-6)


@pytest.mark.parametrize(("start", "stop"), [(None, None), (1.234, 7.891), ("12 hour", 3)])
def test_time_average_against_analytic_integral(start, stop):
    k = 0.5
    run = fl.simulate(decay(k), days=10, t_eval=np.linspace(0, 10, 4001), **TIGHT)
    a = {None: 0.0, "12 hour": 0.5}.get(start, start)
    b = 10.0 if stop is None else stop
    exact = (math.exp(-k * a) - math.exp(-k * b)) / (k * (b - a))
    got = readouts.time_average(run, "X", start=start, stop=stop)
    assert got == pytest.approx(exact, rel=1e-5)


def test_time_average_of_a_constant_is_exact():
    m = fl.Module("const")
    m.state("Y", unit="AU", initial=3.25)
    model = fl.Model("const", [m])
    run = fl.simulate(model, days=4)
    assert readouts.time_average(run, "Y", start=0.33, stop=2.9) == pytest.approx(3.25, rel=1e-14)


def test_value_at(decay_run):
    t, x = decay_run.t, decay_run["X"]
    assert readouts.value_at(decay_run, "X", t[37]) == x[37]
    mid = 0.5 * (t[37] + t[38])
    assert readouts.value_at(decay_run, "X", mid) == pytest.approx(0.5 * (x[37] + x[38]))
    assert readouts.value_at(decay_run, "X", "2 day") == pytest.approx(math.exp(-1), rel=REL)
    assert readouts.value_at(decay_run, "X", 10) == pytest.approx(math.exp(-5), rel=REL)


def test_readout_windows_outside_the_trajectory_are_errors(decay_run):
    with pytest.raises(fl.errors.TimeSpanError, match="outside the trajectory"):
        readouts.value_at(decay_run, "X", 11)
    with pytest.raises(fl.errors.TimeSpanError, match="outside the trajectory"):
        readouts.peak(decay_run, "X", start=-1)
    with pytest.raises(fl.errors.TimeSpanError, match="empty or reversed"):
        readouts.time_average(decay_run, "X", start=5, stop=5)
    with pytest.raises(fl.FollicleError, match="direction"):
        readouts.crossing_time(decay_run, "X", 0.5, direction="sideways")
    with pytest.raises(fl.errors.UnknownNameError, match="Did you mean 'X'"):
        readouts.peak(decay_run, "XX")


def test_crossing_times_lists_every_crossing_in_order():
    run = fl.simulate(_oscillator(omega=1.0), days=20, t_eval=np.linspace(0, 20, 2001), **TIGHT)
    ups = readouts.crossing_times(run, "X", 2.5, direction="up")
    downs = readouts.crossing_times(run, "X", 2.5, direction="down", start=5)
    # X = 2 + sin(t): up through 2.5 at pi/6 + 2 pi k, down at 5 pi/6 + 2 pi k
    np.testing.assert_allclose(ups, np.pi / 6 + 2 * np.pi * np.arange(4), atol=1e-4)
    np.testing.assert_allclose(downs, 5 * np.pi / 6 + 2 * np.pi * np.arange(1, 3), atol=1e-4)
    assert readouts.crossing_times(run, "X", 5.0).size == 0


def _course(run, t, x):
    """``run`` with the hand-made time course ``x(t)`` of its one state."""
    return dataclasses.replace(run, t=np.array(t, float), values=np.array([x], float))


def test_a_repeated_output_time_is_a_jump_read_after_it(decay_run):
    run = _course(decay_run, [0, 1, 1, 2], [1, 1, 3, 3])
    assert readouts.value_at(run, "X", 1.0) == 3.0  # after the jump, as at a breakpoint
    assert readouts.value_at(run, "X", 0.5) == 1.0
    assert readouts.crossing_time(run, "X", 2.0) == 1.0  # the jump crosses
    assert readouts.time_average(run, "X") == pytest.approx(2.0, rel=1e-14)
    assert readouts.peak(run, "X") == (1.0, 3.0)


def test_a_nan_in_the_window_makes_peak_and_recovery_nan_not_skipped(decay_run):
    run = _course(decay_run, [0, 1, 2, 3], [1, np.nan, 3, 0])
    assert all(math.isnan(v) for v in readouts.peak(run, "X"))
    assert math.isnan(readouts.recovery_time(run, "X", 0.5))
    assert math.isnan(readouts.Peak("X")(run))
    assert readouts.peak(run, "X", start=2) == (2.0, 3.0)  # the nan is outside the window
