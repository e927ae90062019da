"""F5: induced senescence lowers stem-cell proliferation, holds follicles in telogen and
thins the fur; the burden outlasts the induction by weeks."""

from __future__ import annotations

import numpy as np
import pytest

import follicle as fl

from ._cycle import mean

STRENGTHS = [0.1, 0.2, 0.3, 0.5, 0.75, 1.0]  # 1/day, k_induction


@pytest.fixture(scope="module")
def runs():
    scenario = fl.models.scenario("epidermal_senescence_induction")
    return scenario.run(), scenario.control().run()


def test_proliferation_falls_and_follicles_stay_in_telogen(runs):
    induced, control = runs
    assert mean(induced, "proliferation", 21, 90) < 0.2 * mean(control, "proliferation", 21, 90)
    assert mean(induced, "telogen", 21, 90) > mean(control, "telogen", 21, 90) + 0.2


def test_fur_thins(runs):
    induced, control = runs
    for day in (42, 63, 90, 120):
        assert fl.readouts.value_at(induced, "fur_density", day) < 0.8 * fl.readouts.value_at(
            control, "fur_density", day
        )


def test_burden_two_weeks_after_induction_is_above_half_its_peak(runs):
    induced, _ = runs
    peak_time, peak = fl.readouts.peak(induced, "senescent_burden")
    assert peak_time == pytest.approx(21, abs=0.2)  # induction stops at day 21
    assert fl.readouts.value_at(induced, "senescent_burden", peak_time + 14) > 0.5 * peak


def test_stronger_induction_more_burden_less_fur():
    model = fl.models.coupled()
    schedule = [fl.models.induce_senescence(0, 21)]
    runs = [
        fl.simulate(model, days=90, params={"k_induction": k}, schedule=schedule)
        for k in STRENGTHS
    ]
    peaks = np.array([fl.readouts.peak(r, "senescent_burden")[1] for r in runs])
    fur = np.array([mean(r, "fur_density", 21, 90) for r in runs])
    assert np.all(np.diff(peaks) > 0), peaks
    assert np.all(np.diff(fur) < 0), fur


def test_no_spontaneous_recovery_over_the_follow_up_but_recovery_after_removal(runs):
    """Tokarsky-Amiel et al. 2013: the stem cells 'irreversibly' lose the ability to start
    growth; removing the senescent cells (ABT-737, Yosef et al. 2016) restores it."""
    induced, control = runs
    follow_up = induced.t[-1]
    assert fl.models.readouts.anagen_onsets(induced).size == 0, "no anagen over the follow-up"
    # proliferation stays suppressed to the end: no slow recovery towards untreated skin
    late = mean(induced, "proliferation", 90, follow_up)
    assert late < 0.1 * mean(control, "proliferation", 90, follow_up)
    assert late <= 1.5 * mean(induced, "proliferation", 21, 90)
    removed = fl.models.scenario("abt737_after_induction").run()
    onsets = fl.models.readouts.anagen_onsets(removed)
    assert onsets.size >= 1 and onsets[0] < follow_up, onsets
