"""F3: the macrophage-targeted WNT-production inhibitor delays anagen onset, more with
dose; given during anagen it leaves that anagen unchanged."""

from __future__ import annotations

import numpy as np
import pytest

import follicle as fl

from ._cycle import ends, onsets

DOSES = [0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0]  # mg/kg, every 2 days, 6 times


def _course(dose, start):
    return fl.repeat(fl.Bolus("D_wnt", f"{dose} mg/kg", start), every="2 day", times=6)


@pytest.fixture(scope="module")
def untreated():
    return fl.simulate(fl.models.coupled(), days=130)


def test_delay_grows_with_dose_in_telogen(untreated):
    first_end = ends(untreated)[0]
    baseline = onsets(untreated)[1]
    delays = []
    for dose in DOSES:
        run = fl.simulate(fl.models.coupled(), days=130,
                          schedule=_course(dose, first_end + 10))
        delays.append(onsets(run)[1] - baseline)
    delays = np.array(delays)
    assert abs(delays[0]) < 1e-3  # a zero dose only splits the integration span
    assert np.all(np.diff(delays) > 0), delays
    assert delays[-1] > 3, "the highest dose must delay onset by days"


def test_given_during_anagen_it_leaves_that_anagen_unchanged(untreated):
    start, stop = onsets(untreated)[0], ends(untreated)[0]
    run = fl.simulate(fl.models.coupled(), days=130,
                      schedule=_course(5.0, start + 2))
    assert ends(run)[0] == pytest.approx(stop, abs=1e-3)
    assert onsets(run)[0] == pytest.approx(start, abs=1e-3)
