"""F1: untreated skin cycles stably with mouse-like phase durations; the macrophage wave
and the WNT pulse precede each anagen onset."""

from __future__ import annotations

import numpy as np
import pytest

import follicle as fl
from follicle.models.readouts import anagen_ends, anagen_onsets

DAYS = 320


@pytest.fixture(scope="module")
def run():
    return fl.simulate(fl.models.coupled(), days=DAYS)


def test_at_least_five_full_cycles(run):
    starts = anagen_onsets(run)
    assert len(starts) >= 6, starts
    a, t = run["anagen"], run.t
    for t0, t1 in zip(starts[:5], starts[1:6], strict=True):
        cycle = a[(t >= t0) & (t < t1)]
        assert cycle.max() > 0.75, "anagen must involve most of the patch in every cycle"
        assert cycle.min() < 0.1, "follicles must rest in between"


def test_phase_durations_are_mouse_like(run):
    starts, stops = anagen_onsets(run), anagen_ends(run)
    anagen = stops[:5] - starts[:5]
    telogen = starts[1:6] - stops[:5]  # from end of anagen to next onset, catagen included
    # BRIEF: anagen about 2-3 weeks; catagen a few days; second telogen about 3-4 weeks.
    assert np.all((anagen > 12) & (anagen < 23)), anagen
    assert np.all((telogen > 18) & (telogen < 35)), telogen


def test_macrophages_fall_in_telogen(run):
    starts, stops = anagen_onsets(run), anagen_ends(run)
    for stop, nxt in zip(stops[:4], starts[1:5], strict=True):
        telogen = (run.t > stop) & (run.t < nxt)
        anagen_before = (run.t > stop - 5) & (run.t < stop)
        assert run["M"][telogen].min() < 0.6 * run["M"][anagen_before].mean()


@pytest.mark.parametrize("name", ["M_ap", "W"])
def test_apoptotic_macrophages_and_wnt_peak_before_onset(run, name):
    starts, stops = anagen_onsets(run), anagen_ends(run)
    for stop, onset in zip(stops[:4], starts[1:5], strict=True):
        t_peak, _ = fl.readouts.peak(run, name, start=stop, stop=onset + 10)
        assert stop < t_peak < onset, (name, t_peak, onset)


def test_fractions_sum_to_one_and_stay_nonnegative(run):
    total = run["anagen"] + run["catagen"] + run["telogen"]
    assert np.max(np.abs(total - 1)) < 1e-9
    for name in run.state_names:
        assert run[name].min() >= 0, name


def test_macrophages_highest_in_anagen_fall_in_catagen_fewest_in_telogen(run):
    """Paus et al. 1998 (as quoted): most numerous in anagen, a sharp decline during
    catagen, fewest in telogen."""
    starts, stops = anagen_onsets(run), anagen_ends(run)
    t, M = run.t, run["M"]
    for onset, stop, next_onset in zip(starts[:4], stops[:4], starts[1:5], strict=True):
        in_anagen = M[(t >= onset) & (t < stop)]
        in_telogen = M[(run["telogen"] > 0.9) & (t > stop) & (t < next_onset)]
        catagen = (run["catagen"] > 0.2) & (t > stop - 3) & (t < next_onset)
        after_catagen = np.interp(t[catagen][-1], t, M)
        assert in_anagen.max() > in_telogen.max() > in_telogen.min(), (onset, stop)
        assert np.interp(stop, t, M) > 1.3 * after_catagen, "a sharp fall over catagen"
        assert in_anagen.mean() > in_telogen.mean() + 0.2
