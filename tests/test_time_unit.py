"""A model's time unit: its rates are per it, and simulate, output times, schedules and
readouts speak in it (bare numbers) or convert to it (times with units).

The model is x' = -k x + dose: in seconds with k = 0.01/s, in minutes with k = 0.6/min,
the same process, so x(t) = x0 exp(-k t) in either.
"""

from __future__ import annotations

import numpy as np
import pytest

import follicle as fl
from follicle.schedule import in_unit

TIGHT = dict(rtol=1e-10, atol=1e-12)


def decay(unit: str, k: float) -> fl.Model:
    m = fl.Module("decay")
    rate = m.parameter("k", k, f"1/{unit}", provenance="test")
    x = m.state("x", "nM", 5.0)
    m.rate(x, -rate * x)
    return fl.Model(f"decay in {unit}", [m], time_unit=unit)


SECONDS, MINUTES = decay("second", 0.01), decay("minute", 0.6)


def test_the_same_model_in_seconds_and_minutes_gives_the_same_trajectory():
    seconds = np.linspace(0.0, 300.0, 11)
    in_s = fl.simulate(SECONDS, 300, t_eval=seconds, **TIGHT)
    in_min = fl.simulate(MINUTES, 5, t_eval=seconds / 60, **TIGHT)
    np.testing.assert_allclose(in_s["x"], 5.0 * np.exp(-0.01 * seconds), rtol=1e-8)
    np.testing.assert_allclose(in_min["x"], in_s["x"], rtol=1e-8)
    assert (in_s.time_unit, in_min.time_unit) == ("second", "minute")
    assert in_min.quantity("t")[-1].to("second").magnitude == pytest.approx(300.0)


def test_durations_and_output_times_with_units_are_converted():
    a = fl.simulate(SECONDS, "5 min", t_eval=[0.0, 60.0, 300.0], **TIGHT)
    b = fl.simulate(SECONDS, t_span=(0, "300 s"), t_eval=[0.0, 60.0, 300.0], **TIGHT)
    np.testing.assert_allclose(a["x"], b["x"], rtol=1e-12)
    assert a.t[-1] == 300.0


def test_bare_schedule_times_are_the_models_and_times_with_units_convert():
    # A bolus of 2 nM one minute in: bare 60 on the seconds model, "1 min" on either.
    plain = fl.simulate(SECONDS, 120, t_eval=[120.0], schedule=fl.Bolus("x", 2.0, 60), **TIGHT)
    given = fl.simulate(
        SECONDS, 120, t_eval=[120.0], schedule=fl.Bolus("x", 2.0, "1 min"), **TIGHT
    )
    minutes = fl.simulate(MINUTES, 2, t_eval=[2.0], schedule=fl.Bolus("x", 2.0, 1), **TIGHT)
    exact = 5.0 * np.exp(-1.2) + 2.0 * np.exp(-0.6)
    for run in (plain, given, minutes):
        assert run["x"][-1] == pytest.approx(exact, rel=1e-8)


def test_an_hour_on_a_day_model_is_a_twenty_fourth_of_a_day():
    day_model = decay("day", 0.5)
    by_hours = fl.simulate(
        day_model, 2, t_eval=[2.0], schedule=fl.Bolus("x", 1.0, "12 hour"), **TIGHT
    )
    by_days = fl.simulate(day_model, 2, t_eval=[2.0], schedule=fl.Bolus("x", 1.0, 0.5), **TIGHT)
    assert by_hours["x"][-1] == pytest.approx(by_days["x"][-1], rel=1e-12)
    event = fl.Bolus("x", 1.0, "12 hour")
    assert (event.time, event.time_unit) == (12.0, "hour")
    assert in_unit(event, "day").time == pytest.approx(0.5)


def test_an_infusion_rate_is_per_the_models_time_unit():
    # 0.1 nM per second for 100 s from x = 5 with k = 0.01/s: x' = 0.1 - 0.01 x holds x.
    infusion = fl.Infusion("x", 0.05, 0, 100)
    run = fl.simulate(SECONDS, 100, t_eval=[100.0], schedule=infusion, **TIGHT)
    assert run["x"][-1] == pytest.approx(5.0, rel=1e-9)
    run = fl.simulate(MINUTES, "100 s", t_eval=[100 / 60], schedule=infusion, **TIGHT)
    steady = 0.05 / 0.6  # 0.05 nM per *minute* on the minute model
    exact = steady + (5.0 - steady) * np.exp(-0.6 * 100 / 60)
    assert run["x"][-1] == pytest.approx(exact, rel=1e-8)


def test_readouts_take_the_models_unit_in_a_sweep_and_on_a_trajectory():
    readout = fl.readouts.ValueAt("x", "1 min")
    table = fl.sweep(SECONDS, {"k": [0.01, 0.02]}, readout, days=120, **TIGHT)
    np.testing.assert_allclose(table["value:x"], 5.0 * np.exp(-np.array([0.6, 1.2])), rtol=1e-8)
    run = fl.simulate(SECONDS, 120, **TIGHT)
    assert fl.readouts.value_at(run, "x", 60) == pytest.approx(5.0 * np.exp(-0.6), rel=1e-4)
    crossing = fl.readouts.crossing_time(run, "x", 2.5, direction="down")
    assert crossing == pytest.approx(np.log(2) / 0.01, rel=1e-3)  # seconds


def test_a_repeated_bare_number_event_takes_the_intervals_unit():
    doses = fl.repeat(fl.Bolus("x", 1.0, 1), every="2 hour", times=3)
    assert [(d.time, d.time_unit) for d in doses] == [(1.0, "hour"), (3.0, "hour"), (5.0, "hour")]
    assert [in_unit(d, "minute").time for d in doses] == [60.0, 180.0, 300.0]


def test_the_time_unit_is_checked_and_used_in_messages():
    with pytest.raises(fl.errors.ModelDefinitionError, match="'kg' is not a unit of time"):
        decay("kg", 1.0)
    with pytest.raises(fl.errors.TimeSpanError, match="days"):
        fl.simulate(SECONDS, "3 kg")
    with pytest.raises(fl.errors.ScheduleError, match="not a time"):
        fl.Bolus("x", 1.0, "3 kg")
    with pytest.raises(fl.errors.ScheduleError, match="mix a bare number"):
        fl.Infusion("x", 1.0, 0, "1 h")
    with pytest.raises(fl.errors.TimeSpanError, match=r"\[0, 10\] second"):
        fl.simulate(SECONDS, 10, t_eval=[0, 20])


def test_export_writes_the_time_unit_and_load_keeps_it():
    pytest.importorskip("libsbml")
    document = fl.sbml.export(MINUTES, initial={"x": 2.0})
    loaded = fl.sbml.load(document)
    assert str(loaded.time_unit) == "minute"
    times = [0.0, 1.0, 2.0]
    ours = fl.simulate(MINUTES, 2, t_eval=times, initial={"x": 2.0}, **TIGHT)
    back = fl.simulate(loaded, 2, t_eval=times, **TIGHT)
    np.testing.assert_allclose(back["x"], ours["x"], rtol=1e-8)


def test_rates_in_another_time_unit_are_converted_to_the_models():
    """A rate constant in 1/day on a model in seconds: the unit check converts it."""
    per_day = fl.Model("per day in seconds", [decay("day", 0.5).modules[0]], time_unit="second")
    run = fl.simulate(per_day, "1 day", t_eval=[86400.0], **TIGHT)
    assert run["x"][-1] == pytest.approx(5.0 * np.exp(-0.5), rel=1e-8)


def test_saved_results_keep_their_time_unit():
    pytest.importorskip("xarray")
    run = fl.simulate(SECONDS, 10, t_eval=[0.0, 10.0])
    assert run.to_xarray()["t"].attrs["units"] == "second"
    assert fl.Trajectory.from_xarray(run.to_xarray()).time_unit == "second"
    ens = fl.simulate_ensemble(SECONDS, 10, t_eval=[0.0, 10.0], params={"k": [0.01, 0.02]})
    back = fl.Ensemble.from_xarray(ens.to_xarray())
    assert back.time_unit == "second" and back.member(1).time_unit == "second"
