"""F7: with age-rising senescent production (Karin et al. 2019) turnover slows with age,
telogen lengthens and fur thins in old skin; a senolytic in old skin restores cycling."""

from __future__ import annotations

import numpy as np
import pytest
from follicle.models.readouts import anagen_onsets

import follicle as fl

from ._cycle import mean

AGES = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5]  # years


def _half_life(age):
    """Days for an extra burden of 0.1, given at day 5, to fall to half."""
    model = fl.models.compartment("senescence")
    skin = fl.models.aged_skin(age)
    initial = {"X": skin["initial"]["X"]}
    base = fl.simulate(model, days=400, params=skin["params"], initial=initial)
    pulsed = fl.simulate(
        model, days=400, params=skin["params"], initial=initial, schedule=[fl.Bolus("X", 0.1, 5)]
    )
    excess = pulsed["X"] - base["X"]
    below = np.flatnonzero((pulsed.t > 5) & (excess < 0.05))
    return pulsed.t[below[0]] - 5


def test_senescent_half_life_is_days_young_and_weeks_old():
    half_lives = np.array([_half_life(age) for age in AGES])
    assert np.all(np.diff(half_lives) > 0), half_lives
    assert half_lives[0] < 7, half_lives
    assert half_lives[-1] > 14, half_lives


@pytest.fixture(scope="module")
def by_age():
    return [fl.simulate(fl.models.coupled(), days=150, **fl.models.aged_skin(age)) for age in AGES]


def test_old_skin_spends_longer_in_telogen_and_has_thinner_fur(by_age):
    young, old = by_age[0], by_age[-1]
    assert mean(old, "telogen", 30, 150) > mean(young, "telogen", 30, 150) + 0.1
    assert mean(old, "fur_density", 30, 150) < 0.8 * mean(young, "fur_density", 30, 150)


def test_fur_thins_across_ages(by_age):
    fur = np.array([mean(run, "fur_density", 30, 150) for run in by_age])
    assert np.all(np.diff(fur) < 0), fur


def test_ageing_scenario_cycles_slower_then_stops():
    run = fl.models.scenario("ageing").run()
    starts = anagen_onsets(run)
    assert len(starts) >= 5
    assert starts[-1] < run.t[-1] - 100, "old skin has stopped cycling"
    assert mean(run, "fur_density", 500, 600) < 0.6 * mean(run, "fur_density", 0, 100)


def test_senolytic_in_old_skin_restores_cycling():
    scenario = fl.models.scenario("foxo4_dri_aged")
    treated, control = scenario.run(), scenario.control().run()
    assert len(anagen_onsets(treated)) > len(anagen_onsets(control))
    assert mean(treated, "fur_density", 60, 120) > 1.3 * mean(control, "fur_density", 60, 120)
