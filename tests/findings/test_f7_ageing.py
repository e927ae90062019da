"""F7: with age-rising senescent production (Karin et al. 2019) turnover slows with age,
telogen lengthens and fur thins in old skin; a senolytic in old skin restores cycling."""

from __future__ import annotations

import numpy as np
import pytest

import follicle as fl
from follicle.models.readouts import anagen_onsets
from follicle.models.senescence import DAYS_PER_YEAR

from ._cycle import mean

AGES = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5]  # years


def test_senescent_half_life_is_days_young_and_weeks_old():
    """Karin et al. 2019: turnover of days in young and weeks in old mice. The removal
    half-life of a senescent cell at the burden a mouse has lived to, from 3 to 30 months
    (past the crossover at 21 months it stays finite: weeks, not infinity)."""
    ages = np.array([3, 6, 12, 18, 22, 24, 28, 30]) / 12
    burden = np.array([fl.models.senescence.lived_burden(a) for a in ages])
    half_lives = fl.models.senescence.removal_half_life(burden)
    assert np.all(np.diff(half_lives) > 0), half_lives
    assert half_lives[0] < 7, half_lives
    assert np.all((half_lives[ages >= 22 / 12] > 14) & (half_lives[ages >= 22 / 12] < 120))


def test_old_skin_simulates_to_30_months_and_reports_death_past_the_critical_burden():
    ages = [0.25, 1.0, 1.5, 2.0, 2.25, 2.5]
    runs = [fl.simulate(fl.models.coupled(), days=120, **fl.models.aged_skin(a)) for a in ages]
    assert all(np.all(np.isfinite(run["X"])) for run in runs)
    deaths = [fl.models.readouts.death_time(run) for run in runs]
    assert deaths[:4] == [np.inf] * 4, deaths  # up to 24 months the mouse lives on
    assert 0 < deaths[-1] < 120, deaths  # at 30 months the burden passes X_c within months
    assert fl.models.senescence.death_age() == pytest.approx(2.6, abs=0.15)


def test_foxo4_dri_restores_cycling_in_skin_older_than_24_months():
    treated = fl.models.scenario("foxo4_dri_aged")
    assert treated.params["age0"] > 2.0
    run, control = treated.run(), treated.control().run()
    assert anagen_onsets(control).size == 0, "old skin is held in telogen"
    assert anagen_onsets(run).size >= 1, "FOXO4-DRI restores anagen"
    assert mean(run, "fur_density", 60, 120) > 1.2 * mean(control, "fur_density", 60, 120)


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
    # skin older than 24 months (Baar et al. 2017 treated mice of that age), from 3 months
    old = [(months - 3) * DAYS_PER_YEAR / 12 for months in (24, 27)]
    assert mean(run, "fur_density", *old) < 0.6 * mean(run, "fur_density", 0, 100)


def test_senolytic_in_old_skin_restores_cycling():
    scenario = fl.models.scenario("foxo4_dri_aged")
    treated, control = scenario.run(), scenario.control().run()
    assert len(anagen_onsets(treated)) > len(anagen_onsets(control))
    assert mean(treated, "fur_density", 60, 120) > 1.3 * mean(control, "fur_density", 60, 120)
