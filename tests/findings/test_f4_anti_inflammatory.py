"""F4: anti-inflammatory treatment advances telogen exit, through the macrophage route."""

from __future__ import annotations

import numpy as np
import pytest

import follicle as fl
from follicle.models.readouts import first_anagen_onset

DOSES = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0]  # mg/kg, daily for 5 days from day 18
MACROPHAGE_ROUTE_OFF = {"d_M_antiinfl": 0.0, "i_supply_antiinfl": 0.0}


def _onset(dose, **params):
    schedule = fl.models.course("anti_inflammatory", start=18, amount=dose, times=5)
    run = fl.simulate(fl.models.coupled(), days=60, params=params, schedule=schedule)
    return first_anagen_onset(run)


@pytest.fixture(scope="module")
def untreated():
    return first_anagen_onset(fl.simulate(fl.models.coupled(), days=60))


def test_every_dose_advances_telogen_exit(untreated):
    advanced = np.array([untreated - _onset(dose) for dose in DOSES])
    assert np.all(advanced > 0.5), advanced
    assert np.all(np.diff(advanced) >= -1e-6), advanced


def test_without_the_macrophage_route_the_effect_vanishes(untreated):
    for dose in DOSES:
        assert _onset(dose, **MACROPHAGE_ROUTE_OFF) == pytest.approx(untreated, abs=1e-3)


def test_reference_scenario_advances_exit():
    scenario = fl.models.scenario("anti_inflammatory")
    assert first_anagen_onset(scenario.run()) < first_anagen_onset(scenario.control().run()) - 1
