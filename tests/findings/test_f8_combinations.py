"""F8: effects compose and timing matters: a WNT inhibitor still delays onset on top of a
senolytic; a macrophage apoptosis inducer given in refractory telogen does less than the
same dose in competent telogen: the follicles answer it later (a longer latency from dose to
onset), though a strong early dose still brings anagen forward (F2)."""

from __future__ import annotations

import numpy as np

import follicle as fl
from follicle.models.readouts import first_anagen_onset

REFRACTORY, COMPETENT = 8.0, 21.0  # days into telogen: P53 and P66 (competent from day 18)


def _onset(*schedule):
    return first_anagen_onset(fl.simulate(fl.models.coupled(), days=80, schedule=schedule))


def test_wnt_inhibitor_still_delays_onset_on_top_of_a_senolytic():
    senolytic = fl.models.course("senolytic", start=0, amount="10 mg/kg", times=7)
    alone = _onset(*senolytic)
    delays = np.array(
        [
            _onset(
                *senolytic, *fl.models.course("wnt_inhibitor", 12, dose, every="2 day", times=8)
            )
            - alone
            for dose in (0.5, 1.0, 2.0, 5.0)
        ]
    )
    assert np.all(delays > 0) and np.all(np.diff(delays) > 0), delays


def test_inducer_does_less_in_refractory_than_in_competent_telogen():
    untreated = _onset()
    for amount in (2.0, 5.0, 10.0, 20.0, 50.0):
        early = _onset(fl.models.dose("apoptosis_inducer", REFRACTORY, amount))
        late = _onset(fl.models.dose("apoptosis_inducer", COMPETENT, amount))
        assert late < untreated, (amount, late, untreated)  # never worse than untreated
        latency_early, latency_late = early - REFRACTORY, late - COMPETENT
        assert latency_late < latency_early, (amount, latency_early, latency_late)
