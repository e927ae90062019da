"""Schedule events print their units (a warning quotes them), and an event's ``unit`` reads a
bare amount in it: the dose lands as if it had been written as a quantity."""

from __future__ import annotations

import math
import warnings

import pytest
from _models import decay, one_compartment

import follicle as fl
from follicle.errors import FollicleWarning, ScheduleError


def test_a_drug_dose_prints_its_unit_and_day():
    assert (
        repr(fl.models.dose("wnt_inhibitor", day=22, amount=2))
        == "Bolus('D_wnt', 2 mg/kg, day 22)"
    )
    first, second = fl.models.course(
        "senolytic", start="1 day", amount="500 ug/kg", every="12 hour", times=2
    )
    assert (repr(first), repr(second)) == (
        "Bolus('D_sl', 0.5 mg/kg, day 1)",
        "Bolus('D_sl', 0.5 mg/kg, day 1.5)",
    )


@pytest.mark.parametrize(
    ("event", "shown"),
    [
        (fl.Bolus("X", "3 nM", "2 day"), "Bolus('X', 3 nM, day 2)"),
        (fl.Bolus("X", 3, 2), "Bolus('X', 3 (X's unit), t = 2)"),
        (fl.Bolus("X", 3, 2, time_unit="day"), "Bolus('X', 3 (X's unit), day 2)"),
        (fl.Bolus("X", 3, "90 min"), "Bolus('X', 3 (X's unit), 90 minute)"),
        (fl.Infusion("X", 0.5, 1, 3, unit="uM/day"), "Infusion('X', 0.5 uM/day, t = 1-3)"),
        (
            fl.Infusion("X", 0.5, "1 day", "3 day"),
            "Infusion('X', 0.5 (X's unit per time unit), days 1-3)",
        ),
        (fl.ParameterStep("k_deg", "2 1/day", 4), "ParameterStep('k_deg', 2 1/day, from t = 4)"),
        (fl.ParameterStep("k", 2, "1 h", "3 h"), "ParameterStep('k', 2 (k's unit), 1-3 hour)"),
        (
            fl.models.induce_senescence(0, 21),
            "ParameterStep('induction', 1 (induction's unit), days 0-21)",
        ),
    ],
)
def test_events_print_amounts_with_units(event, shown):
    assert repr(event) == shown


def test_the_warning_about_a_late_dose_quotes_it_with_units():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fl.simulate(one_compartment(), days=5, schedule=fl.Bolus("drug", 2, 22, unit="mg/kg"))
    (warning,) = [w for w in caught if issubclass(w.category, FollicleWarning)]
    assert str(warning.message).startswith(
        "Bolus('drug', 2 mg/kg, t = 22) starts after the run ends at day 5"
    )


@pytest.mark.parametrize("kind", ["bolus", "infusion"])
def test_a_bare_amount_is_read_in_the_events_unit(kind):
    # X in nM: 3 uM is 3000 nM, as the same dose written "3 uM" (or "3 uM/day").
    model = decay(k=0.5, x0=0.0)
    if kind == "bolus":
        given, written = fl.Bolus("X", 3, 1, unit="uM"), fl.Bolus("X", "3 uM", 1)
    else:
        given, written = (
            fl.Infusion("X", 3, 1, 2, unit="uM/day"),
            fl.Infusion("X", "3 uM/day", 1, 2),
        )
    a = fl.simulate(model, days=4, schedule=given)
    b = fl.simulate(model, days=4, schedule=written)
    assert a["X"][-1] == pytest.approx(b["X"][-1], rel=1e-12)
    # After the bolus at day 1: X(4) = 3000 exp(-0.5 * 3) nM.
    if kind == "bolus":
        assert a["X"][-1] == pytest.approx(3000 * math.exp(-1.5), rel=1e-5)


def test_repeat_keeps_the_unit():
    doses = fl.repeat(fl.Bolus("X", 3, 1, unit="uM"), every="2 day", times=3)
    assert [(d.unit, d.time) for d in doses] == [("uM", 1.0), ("uM", 3.0), ("uM", 5.0)]


@pytest.mark.parametrize(
    ("amount", "unit", "says"),
    [
        ("3 nM", "uM", "carries its own unit"),
        (3, "bananas", "bananas"),
        (3, 7, "must be text"),
    ],
)
def test_a_bad_unit_is_a_schedule_error(amount, unit, says):
    with pytest.raises(ScheduleError, match=says):
        fl.Bolus("X", amount, 1, unit=unit)
