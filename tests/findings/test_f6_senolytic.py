"""F6: a senolytic course after induction removes senescent cells and restores
proliferation, anagen and fur; the dose-response has a window."""

from __future__ import annotations

import numpy as np
import pytest

import follicle as fl

from ._cycle import mean

DOSES = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0]  # mg/kg daily x7
INDUCTION = fl.models.induce_senescence(0, 21)


def _treated(dose):
    schedule = [INDUCTION, *fl.models.course("senolytic", start=28, amount=dose, times=7)]
    return fl.simulate(fl.models.coupled(), days=120, schedule=schedule)


@pytest.fixture(scope="module")
def runs():
    scenario = fl.models.scenario("abt737_after_induction")
    return scenario.run(), _treated(0.0)


def test_course_removes_half_the_burden_within_a_week(runs):
    treated, _ = runs
    before = fl.readouts.value_at(treated, "senescent_burden", 28)
    assert fl.readouts.value_at(treated, "senescent_burden", 35) < 0.5 * before


def test_proliferation_anagen_and_fur_come_back(runs):
    treated, untreated = runs
    for name in ("proliferation", "anagen", "fur_density"):
        assert mean(treated, name, 35, 120) > 1.2 * mean(untreated, name, 35, 120), name


def test_fur_recovery_has_a_therapeutic_window():
    fur = np.array([mean(_treated(dose), "fur_density", 35, 120) for dose in DOSES])
    best = int(np.argmax(fur))
    assert 0 < best < len(DOSES) - 1, fur
    assert fur[best] > fur[0] * 1.2 and fur[best] > fur[-1] * 1.2, fur
    assert np.all(np.diff(fur[best:]) < 0), "beyond the best dose, more drug is worse"
