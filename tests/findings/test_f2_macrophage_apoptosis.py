"""F2: macrophage apoptosis induced in early telogen advances anagen onset; stronger
induction, earlier onset, until telogen's refractory part limits it."""

from __future__ import annotations

import numpy as np
import pytest
from follicle.models.readouts import first_anagen_onset

import follicle as fl

STRENGTHS = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 1000.0]  # mg/kg
EARLY_COMPETENT = 21.0  # day: three days into competent telogen (see scenarios)


@pytest.fixture(scope="module")
def onsets_by_strength():
    model = fl.models.coupled()
    return np.array(
        [
            first_anagen_onset(
                fl.simulate(
                    model,
                    days=60,
                    schedule=[fl.models.dose("apoptosis_inducer", EARLY_COMPETENT, amount)],
                )
            )
            for amount in STRENGTHS
        ]
    )


def test_onset_never_later_with_stronger_induction(onsets_by_strength):
    assert np.all(np.diff(onsets_by_strength) <= 1e-6), onsets_by_strength


def test_every_dose_advances_onset(onsets_by_strength):
    untreated = onsets_by_strength[0]
    assert np.all(onsets_by_strength[1:] < untreated), onsets_by_strength
    assert untreated - onsets_by_strength[STRENGTHS.index(20.0)] > 1.5  # days, reference dose


def test_advance_saturates_as_competence_limits_it(onsets_by_strength):
    assert onsets_by_strength[-1] > EARLY_COMPETENT
    assert onsets_by_strength[-2] - onsets_by_strength[-1] < 0.5


def test_reference_scenario_advances_onset():
    scenario = fl.models.scenario("early_telogen_macrophage_apoptosis")
    assert first_anagen_onset(scenario.run()) < first_anagen_onset(scenario.control().run()) - 1.5
