"""The coupled model's regimes: cycling at default parameters, arrested above the critical
senescent burden, and a senolytic course that brings the burden below it restores cycling."""

from __future__ import annotations

import numpy as np
import pytest

import follicle as fl
from follicle.models.regimes import (
    ARRESTED,
    CRITICAL_BURDEN_DAYS,
    CYCLING,
    DESYNCHRONISED,
    PERSISTENT_ANAGEN,
    HairCycleClassifier,
    burden_in_balance,
    held_burden_map,
)
from follicle.models.stem_cells import steady_capacity

classify = fl.models.classify_hair_cycle
HELD = fl.models.clamped("senescence")


@pytest.fixture(scope="module")
def critical():
    return fl.models.critical_burden()


def _held(burden, **params):
    return classify(
        fl.simulate(HELD, CRITICAL_BURDEN_DAYS, **burden_in_balance({"X": burden, **params}))
    )


def test_cycling_at_default_parameters():
    assert classify(fl.simulate(fl.models.coupled(), days=CRITICAL_BURDEN_DAYS)) == CYCLING
    assert _held(HELD.parameters["X"].value) == CYCLING


def test_critical_burden_separates_cycling_from_arrest(critical):
    xc = critical.value
    assert critical.below == CYCLING and critical.above != CYCLING
    assert critical.high - critical.low <= 2e-3 * xc
    assert _held(0.9 * xc) == CYCLING
    assert _held(1.1 * xc) != CYCLING
    assert _held(2.5 * xc) == ARRESTED


def test_critical_burden_rises_with_the_burden_that_halves_activation():
    # Coarse map: held burden x K_X_suppression; a larger K_X tolerates a larger burden.
    result = held_burden_map([0.5, 1.0, 1.5, 2.0, 3.0], [1.0, 1.5, 2.5])
    assert (result.x, result.y) == ("X", "K_X_suppression")
    edge = result.edge(CYCLING)
    assert not np.isnan(edge).any(), result.labels
    assert np.all(np.diff(edge) >= 0) and edge[-1] > edge[0], result.labels
    for row in result.labels:  # one change of regime along the burden, cycling first
        cycling = row == CYCLING
        assert np.all(np.diff(cycling.astype(int)) <= 0), row


def test_a_senolytic_course_brings_the_burden_below_critical_so_cycling_resumes_sooner(
    critical,
):
    xc = critical.value
    burden = 4.5 * xc  # well above critical; it falls only slowly by itself
    dose = fl.models.senolytic_dose_needed(burden, xc, start=3, times=7)
    initial = {"X": burden, "P": steady_capacity(burden)}
    untreated = fl.simulate(fl.models.coupled(), days=CRITICAL_BURDEN_DAYS, initial=initial)
    treated = fl.simulate(
        fl.models.coupled(),
        days=CRITICAL_BURDEN_DAYS,
        initial=initial,
        schedule=fl.models.course("senolytic", start=3, amount=dose, times=7),
    )
    assert fl.readouts.value_at(untreated, "X", 10) > xc
    assert fl.readouts.value_at(treated, "X", 10) == pytest.approx(xc, rel=1e-3)
    assert classify(treated) == CYCLING
    # Untreated, the burden clears by itself only slowly (saturated removal): cycling
    # resumes weeks later than after the course.
    onset = fl.models.readouts.first_anagen_onset
    assert onset(untreated) > onset(treated) + 20, (onset(untreated), onset(treated))


def test_dose_needed_grows_with_the_burden_and_is_zero_when_it_clears_by_itself(critical):
    xc = critical.value
    doses = [fl.models.senolytic_dose_needed(k * xc, xc) for k in (1.2, 3, 4.5, 6)]
    assert doses[0] == 0.0  # a burden just above critical falls below it within the course
    assert np.all(np.diff(doses[1:]) > 0) and doses[1] > 0, doses
    later = fl.models.senolytic_dose_needed(4.5 * xc, xc, by=26)
    assert 0 < later < doses[2]  # more time for natural removal: less drug


def test_classifier_labels_each_regime_and_refuses_a_short_run():
    run = fl.simulate(fl.models.coupled(), days=120)
    assert HairCycleClassifier(start=60, min_onsets=1)(run) == CYCLING
    assert HairCycleClassifier(start=60, min_onsets=3)(run) == DESYNCHRONISED
    anagen = fl.simulate(fl.models.coupled(), days=40)  # onset at about day 26
    assert HairCycleClassifier(start=30, level=0.5, low=0.1)(anagen) == PERSISTENT_ANAGEN
    with pytest.raises(fl.errors.AnalysisError, match="day 60"):
        classify(fl.simulate(fl.models.coupled(), days=50))
    with pytest.raises(fl.errors.ParameterValueError, match="low < level"):
        HairCycleClassifier(low=0.6)
