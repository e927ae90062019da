"""F2: macrophage apoptosis induced in early telogen advances anagen onset; stronger
induction, earlier onset; later in telogen the same dose is answered sooner (F8).

Day 0 of the model is the start of the second telogen, P45 (Plikus et al. 2008): early
telogen (its first third) is days 0-8, P45-P53. The inducer is swept over dose and over
the day of dosing across the whole telogen, each cell one member of a single ensemble.
"""

from __future__ import annotations

import numpy as np
import pytest

import follicle as fl
from follicle.models.readouts import anagen_onset, first_anagen_onset

DOSES = [0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]  # mg/kg, one dose
EARLY, MIDDLE, LATE = [2.0, 5.0, 8.0], [12.0, 15.0], [18.0, 21.0]  # days into telogen
DAYS = EARLY + MIDDLE + LATE
EC50 = fl.models.coupled().parameters["EC50_apo"].value  # 5 mg/kg


@pytest.fixture(scope="module")
def onsets():
    """Onset (days) by dosing day (rows) and dose (columns)."""
    schedules = [
        [fl.models.dose("apoptosis_inducer", day, amount)] if amount else []
        for day in DAYS
        for amount in DOSES
    ]
    ensemble = fl.simulate_ensemble(
        fl.models.coupled(), days=80, schedules=schedules, readouts=anagen_onset
    )
    return np.asarray(ensemble.readouts["readout"]).reshape(len(DAYS), len(DOSES))


@pytest.mark.parametrize("day", EARLY)
def test_early_telogen_induction_advances_anagen(onsets, day):
    row = onsets[DAYS.index(day)]
    untreated = row[0]
    strong = np.array(DOSES) >= EC50
    assert np.all(row[strong] < untreated - 0.5), (day, row)
    assert np.all(np.diff(row[strong]) < 0), "stronger induction, earlier onset"
    assert untreated - row[DOSES.index(20.0)] > 5, "the reference dose: about a week earlier"


@pytest.mark.parametrize("day", EARLY)
def test_weak_early_doses_never_delay_by_more_than_half_a_day(onsets, day):
    """Below the inducer's EC50 a dose on day 2 recruits only a few follicles: they thin
    the late-competent fraction that cues the natural wave, so onset can come a few hours
    late (the model's honest limit of 'stronger induction, earlier onset'); from day 5 on
    weak doses advance it too."""
    row = onsets[DAYS.index(day)]
    weak = np.array(DOSES) < EC50
    assert np.all(row[weak] < row[0] + 0.5), (day, row)


@pytest.mark.parametrize("day", MIDDLE + LATE)
def test_middle_and_late_telogen_induction_advances_anagen_at_every_dose(onsets, day):
    row = onsets[DAYS.index(day)]
    assert np.all(row[1:] < row[0]), (day, row)
    assert np.all(np.diff(row[1:]) < 0), (day, row)


def test_the_later_in_telogen_the_sooner_the_answer(onsets):
    """F8 across the whole telogen: at each dose from the EC50 up, the latency from dose
    to onset shortens the later the dose comes."""
    for j, amount in enumerate(DOSES):
        if amount >= EC50:
            latency = onsets[:, j] - np.array(DAYS)
            assert np.all(np.diff(latency) < 0), (amount, latency)


def test_scenarios_dose_when_their_names_say():
    early = fl.models.scenario("early_telogen_macrophage_apoptosis")
    late = fl.models.scenario("late_telogen_macrophage_apoptosis")
    tau = fl.models.coupled().parameters
    telogen = tau["tau_refractory"].value + tau["tau_competent"].value
    (dose_early,), (dose_late,) = early.schedule, late.schedule
    assert dose_early.time <= telogen / 3 < dose_late.time
    assert "P50" in early.timing and "P66" in late.timing
    control = first_anagen_onset(early.control().run())
    assert first_anagen_onset(early.run()) < control - 5
    assert first_anagen_onset(late.run()) < control - 1
