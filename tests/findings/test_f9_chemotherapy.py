"""F9: a chemotherapy pulse thins the fur, which grows back after a telogen; it grows back
more slowly the more senescence the pulse leaves, and a senolytic course speeds it."""

from __future__ import annotations

import numpy as np
import pytest

import follicle as fl

from ._cycle import regrowth_days

PULSE = 30.0  # day: early anagen of the first cycle
DAYS = 150
LEVELS = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]  # k_chemo_senescence, 1/day (default 4)
SENOLYTIC = [1.0, 2.0, 5.0, 10.0]  # mg/kg daily x7 from three days after the pulse


def _run(model, senolytic=0.0):
    schedule = [fl.models.dose("chemotherapy", day=PULSE, amount="150 mg/kg")]
    if senolytic:
        schedule += fl.models.course("senolytic", start=PULSE + 3, amount=senolytic, times=7)
    return fl.simulate(model, days=DAYS, schedule=schedule)


@pytest.fixture(scope="module")
def control():
    return fl.simulate(fl.models.coupled(), days=DAYS)


def regrowth(run, control) -> float:
    """Days from the pulse until the fur is back at 60% of the untreated coat's mean."""
    return regrowth_days(run, control, PULSE, DAYS)


def test_the_pulse_sheds_more_than_half_the_coat(control):
    run = _run(fl.models.coupled())
    window = (run.t >= PULSE) & (run.t <= PULSE + 30)
    ratio = run["fur_density"][window] / control["fur_density"][window]
    assert ratio.min() < 0.5, ratio.min()


def test_regrowth_is_slower_the_more_senescence_the_pulse_leaves(control):
    model = fl.models.coupled()
    days = np.array(
        [regrowth(_run(model.with_defaults(k_chemo_senescence=k)), control) for k in LEVELS]
    )
    assert np.all(np.isfinite(days)), f"the fur must grow back at every level: {days}"
    assert np.all(np.diff(days) >= 0), days
    assert days[-1] > days[0] + 3, days


def test_a_senolytic_course_speeds_regrowth(control):
    model = fl.models.coupled()
    without = regrowth(_run(model), control)
    days = np.array([regrowth(_run(model, dose), control) for dose in SENOLYTIC])
    assert np.all(days < without - 1), (without, days)


def test_the_scenario_shows_the_senolytic_benefit(control):
    scenario = fl.models.scenario("chemotherapy_then_senolytic")
    treated = scenario.run()
    assert regrowth(treated, control) < regrowth(_run(fl.models.coupled()), control) - 1
