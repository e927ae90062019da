"""The coupled model's global-sensitivity readouts: directions, and Sobol plumbing that
gives no influence to a parameter the readout cannot see."""

from __future__ import annotations

import pytest

import follicle as fl
from follicle.models.global_sensitivity import fur_recovery, onset_delay

pytest.importorskip("SALib")


def test_readouts_move_the_way_the_mechanism_says():
    reference = onset_delay({})
    assert reference > 2  # the scenario's course delays onset by days (finding F3)
    assert onset_delay({"EC50_wnt": 0.25}) > reference > onset_delay({"EC50_wnt": 1.0})
    recovery = fur_recovery({})
    assert recovery > 0  # the course restores fur (finding F6)
    assert fur_recovery({"k_senolytic": 1.0}) > recovery > fur_recovery({"k_senolytic": 0.25})


@pytest.mark.parametrize(
    ("readout", "seen", "unseen"),
    [(onset_delay, "EC50_wnt", "g_fur"), (fur_recovery, "k_senolytic", "EC50_wnt")],
)
def test_sobol_gives_no_influence_to_a_parameter_the_readout_cannot_see(readout, seen, unseen):
    # g_fur only makes hair shafts (no effect on onset); no WNT inhibitor is given in the
    # senolytic scenario. Their indices are 0 up to integration round-off.
    result = fl.fitting.sobol_indices(
        fl.models.coupled(), [seen, unseen], readout, n=4, vectorized=True
    )
    assert result.ranking() == (seen, unseen)
    assert result.index(unseen) == pytest.approx((0.0, 0.0), abs=1e-6)
    assert result.index(seen)[1] > 0
